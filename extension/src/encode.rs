//! Events in their flat wire form, written straight to text.
//!
//! `serde_json::to_string(&Event)` goes through the model's `WireEvent`:
//! it clones the event, turns the kind's payload into a `serde_json::Value`
//! map and serializes that, flattened after the envelope. The worker's wasm
//! encodes every event it relays and every timeline the popup asks for, so
//! it writes the envelope itself and the payload directly. The text is the
//! same JSON value (the payload's keys in declaration order rather than
//! sorted); tests check that against `serde_json` and the model's parser.

use logout_lens_model::{Event, EventKind};
use serde::Serialize;

/// `value` as JSON appended to `out`; `fallback` when it cannot be written
/// (never for the model's own types).
fn push<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T, fallback: &str) {
    let mark = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(mark);
        out.extend_from_slice(fallback.as_bytes());
    }
}

/// Appends the payload's fields (an object's members, without braces).
fn push_members<T: Serialize>(out: &mut Vec<u8>, payload: &T) {
    let mark = out.len();
    out.push(b',');
    push(out, payload, "{}");
    // An object: drop its braces; an empty one leaves nothing at all.
    if out.get(mark + 1) == Some(&b'{') && out.last() == Some(&b'}') {
        out.pop();
        out.remove(mark + 1);
        if out.len() == mark + 1 {
            out.truncate(mark);
        }
    } else {
        out.truncate(mark);
    }
}

fn push_event(out: &mut Vec<u8>, e: &Event) {
    out.extend_from_slice(b"{\"schema\":");
    push(out, &e.schema, "1");
    out.extend_from_slice(b",\"id\":");
    push(out, &e.id.0, "\"\"");
    out.extend_from_slice(b",\"ts_ms\":");
    push(out, &e.ts_ms, "0");
    if let Some(o) = &e.origin {
        out.extend_from_slice(b",\"origin\":");
        push(out, o, "\"\"");
    }
    if let Some(p) = &e.path {
        out.extend_from_slice(b",\"path\":");
        push(out, p, "\"\"");
    }
    if let Some(t) = e.tab {
        out.extend_from_slice(b",\"tab\":");
        push(out, &t, "0");
    }
    if let Some(f) = e.frame {
        out.extend_from_slice(b",\"frame\":");
        push(out, &f, "0");
    }
    out.extend_from_slice(b",\"source\":");
    push(out, &e.source, "\"unknown\"");
    out.extend_from_slice(b",\"kind\":");
    push(out, e.kind.name(), "\"\"");
    match &e.kind {
        EventKind::StorageChange(p) => push_members(out, p),
        EventKind::CookieChange(p) => push_members(out, p),
        EventKind::HttpExchange(p) => push_members(out, p),
        EventKind::Navigation(p) => push_members(out, p),
        EventKind::Activity(p) => push_members(out, p),
        EventKind::IdleState(p) => push_members(out, p),
        EventKind::PageLifecycle(p) => push_members(out, p),
        EventKind::TimeSample(p) => push_members(out, p),
        EventKind::LogoutObserved(p) => push_members(out, p),
        EventKind::LogoutAction(p) => push_members(out, p),
        EventKind::AppReport(p) => push_members(out, p),
        EventKind::Other { body, .. } => push_members(out, body),
    }
    out.push(b'}');
}

fn text(out: Vec<u8>) -> String {
    // serde_json writes UTF-8 only, and so does everything above.
    String::from_utf8(out).unwrap_or_default()
}

/// One event as JSON text.
pub fn event(e: &Event) -> String {
    let mut out = Vec::with_capacity(256);
    push_event(&mut out, e);
    text(out)
}

/// Events as a JSON array.
pub fn events<'a>(list: impl IntoIterator<Item = &'a Event>) -> String {
    let mut out = Vec::with_capacity(4096);
    out.push(b'[');
    for (i, e) in list.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_event(&mut out, e);
    }
    out.push(b']');
    text(out)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use logout_lens_model::{EventId, wire};
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// Every event of the model's fixtures (every kind the extension makes,
    /// and more), plus a kind this build does not know.
    fn samples() -> Vec<Event> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../model/fixtures");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("model fixtures")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for p in files {
            let f: Value = serde_json::from_slice(&std::fs::read(&p).expect("read")).expect("json");
            let bytes = serde_json::to_vec(&f["events"]).expect("events");
            out.extend(wire::parse_timeline(&bytes).expect("timeline"));
        }
        out.push(
            wire::parse_event(
                br#"{"schema":1,"id":"o1","ts_ms":5,"kind":"future_kind","x":{"b":[1,"\u0000"],"a":null},"z":-1.5}"#,
            )
            .expect("other"),
        );
        out
    }

    static SAMPLES: std::sync::LazyLock<Vec<Event>> = std::sync::LazyLock::new(samples);

    /// The same JSON value as serde_json's, and the same event read back.
    fn check(e: &Event) {
        let text = event(e);
        let mine: Value = serde_json::from_str(&text).expect("valid JSON");
        let theirs = serde_json::to_value(e).expect("serde_json");
        assert_eq!(mine, theirs, "{text}");
        assert_eq!(&wire::parse_event(text.as_bytes()).expect("parses"), e);
    }

    #[test]
    fn every_kind_matches_serde_json() {
        let all = samples();
        let kinds: std::collections::BTreeSet<&str> = all.iter().map(|e| e.kind.name()).collect();
        assert!(kinds.len() >= 12, "{kinds:?}");
        for e in &all {
            check(e);
        }
        let list: Value = serde_json::from_str(&events(&all)).expect("array");
        assert_eq!(list, serde_json::to_value(&all).expect("serde_json"));
        assert_eq!(events(&[]), "[]");
    }

    proptest! {
        #[test]
        fn any_envelope_matches_serde_json(
            pick in any::<prop::sample::Index>(),
            id in ".*",
            ts_ms in any::<i64>(),
            origin in proptest::option::of(".*"),
            path in proptest::option::of("\\PC*|[\"\\\\\\x00-\\x1f\u{2028}]*"),
            tab in proptest::option::of(any::<i64>()),
            frame in proptest::option::of(any::<i64>()),
        ) {
            let all = &*SAMPLES;
            let mut e = all[pick.index(all.len())].clone();
            e.id = EventId(if id.is_empty() { "x".into() } else { id });
            e.ts_ms = ts_ms;
            e.origin = origin;
            // `parse_event` redacts the path: give the encoder a path as it
            // is read, so the round trip compares like with like.
            e.path = path.map(|p| logout_lens_model::redact::redact_url(&p));
            e.tab = tab;
            e.frame = frame;
            check(&e);
        }
    }
}
