//! PROTOCOL.md's examples are real: every ```json event block parses into its
//! kind, the seed payload parses as the app's report, and every kind has one.

use logout_lens_model::event::EventKind;
use logout_lens_model::host::{self, Request, Response};
use logout_lens_model::wire::{self, LogoutReport};
use serde_json::value::RawValue;

fn blocks(tag: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../PROTOCOL.md");
    let text = std::fs::read_to_string(path).expect("PROTOCOL.md at the repo root");
    let fence = format!("```{tag}");
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        match &mut cur {
            None if line.trim() == fence => cur = Some(String::new()),
            Some(buf) if line.trim() == "```" => {
                out.push(std::mem::take(buf));
                cur = None;
            }
            Some(buf) => {
                buf.push_str(line);
                buf.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn every_kind_has_a_parsing_example() {
    let mut seen = std::collections::BTreeSet::new();
    for block in blocks("json event") {
        let e = wire::parse_event(block.as_bytes()).unwrap_or_else(|err| panic!("{err}\n{block}"));
        seen.insert(e.kind.name().to_owned());
    }
    for kind in EventKind::KNOWN {
        assert!(seen.contains(*kind), "PROTOCOL.md has no example of {kind}");
    }
    assert!(
        seen.iter().any(|k| k == "future_kind"),
        "an unknown kind example is expected"
    );
}

#[test]
fn the_seed_payload_is_accepted_verbatim() {
    let seed = blocks("json seed");
    assert!(!seed.is_empty());
    for block in seed {
        match wire::parse_logout_report(block.as_bytes()).expect("seed payload parses") {
            LogoutReport::App(r) => {
                assert_eq!(r.report_type, "TOKEN_EXPIRED");
                assert_eq!(r.idle_minutes, Some(23.0));
                let ctx = r.context.expect("context");
                assert_eq!(ctx.user_email.as_deref(), Some("user@example.com"));
            }
            LogoutReport::Event(e) => panic!("seed read as envelope: {e:?}"),
        }
    }
}

#[test]
fn unknown_kinds_keep_their_fields() {
    for block in blocks("json event") {
        let e = wire::parse_event(block.as_bytes()).expect("parses");
        if let EventKind::Other { body, .. } = &e.kind {
            let again = serde_json::to_value(&e).expect("encode");
            for (k, v) in body {
                assert_eq!(&again[k], v);
            }
        }
    }
}

/// Every native-messaging example reads as the model's host types, and
/// writes back as the same JSON value; every request and reply type has one.
#[test]
fn the_host_protocol_examples_are_the_models_types() {
    let mut seen = std::collections::BTreeSet::new();
    let same = |line: &str, again: String| {
        let a: serde_json::Value = serde_json::from_str(line).expect("json");
        let b: serde_json::Value = serde_json::from_str(&again).expect("json");
        assert_eq!(a, b, "{line}");
    };
    for block in blocks("json request") {
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            let r =
                host::parse_request::<&RawValue>(line).unwrap_or_else(|e| panic!("{e:?}\n{line}"));
            if let Request::Batch { events, .. } = &r {
                for e in events {
                    wire::parse_event(e.get().as_bytes()).expect("a valid event");
                }
            }
            seen.insert(serde_json::to_value(&r).expect("json")["type"].to_string());
            same(line, serde_json::to_string(&r).expect("json"));
        }
    }
    for block in blocks("json response") {
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            let r: Response = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}\n{line}"));
            assert_ne!(r, Response::Unknown, "{line}");
            seen.insert(format!(
                "reply {}",
                serde_json::to_value(&r).expect("json")["type"]
            ));
            same(line, serde_json::to_string(&r).expect("json"));
        }
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [
            r#""batch""#,
            r#""hello""#,
            r#""query""#,
            r#"reply "ack""#,
            r#"reply "error""#,
            r#"reply "hello""#,
            r#"reply "result""#,
        ]
    );
}
