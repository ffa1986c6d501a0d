use logout_lens_extension::ExtError;
use logout_lens_extension::core::is_logout_label;
use logout_lens_extension::relay::HOST_NAME;
use logout_lens_model::EventKind;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::support::{Harness, T0, input, jwt};

const INPUTS: &[&str] = &[
    "capture",
    "before_request",
    "send_headers",
    "headers_received",
    "before_redirect",
    "completed",
    "error",
    "cookie_changed",
    "idle",
    "tab_updated",
    "tab_removed",
    "page",
    "tick",
];

#[test]
fn the_host_name_is_the_manifest_crates() {
    assert_eq!(HOST_NAME, logout_lens_manifest::HOST_NAME);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let mut h = Harness::new();
    let cases: &[&str] = &[
        r#"{"input":"nope","details":{}}"#,
        "not json",
        r#"{"input":"page","details":"not an object"}"#,
        r#"{"input":"page","details":{"msg":{"area":"local"}}}"#,
        r#"{"input":"cookie_changed","details":{"removed":"yes"}}"#,
        r#"{"input":"idle","details":{"state":5}}"#,
        r#"{"input":"completed","details":[]}"#,
        r#"{"details":{}}"#,
    ];
    for json in cases {
        let r = h.core.handle_json(json, T0);
        assert!(matches!(r, Err(ExtError::BadInput(_))), "{json}: {r:?}");
    }
    assert_eq!(
        h.core.counts().total(),
        0,
        "nothing was read, so nothing counted"
    );
}

/// A value this build does not know is counted, never guessed at.
#[test]
fn unknown_values_are_counted() {
    let mut h = Harness::new();
    let cases: &[(&str, Value)] = &[
        ("idle", json!({"state": "asleep"})),
        (
            "page",
            json!({"msg": {"t": "teleport"}, "tab": 1, "url": "http://h.test/"}),
        ),
        (
            "page",
            json!({"msg": {"t": "lifecycle", "state": "dreaming"}, "tab": 1, "url": "http://h.test/"}),
        ),
        (
            "page",
            json!({"msg": {"t": "storage", "area": "cloud", "op": "set", "key": "k"}, "tab": 1, "url": "http://h.test/"}),
        ),
        (
            "page",
            json!({"msg": {"t": "storage", "area": "local", "op": "merge", "key": "k"}, "tab": 1, "url": "http://h.test/"}),
        ),
        (
            "cookie_changed",
            json!({"removed": true, "cause": "vanished", "cookie": {"name": "sid", "domain": "h.test"}}),
        ),
    ];
    for (n, (name, details)) in cases.iter().enumerate() {
        let out = h
            .core
            .handle_json(&input(name, details.clone()), T0)
            .unwrap();
        assert!(out.is_empty(), "{name} {details}: {out:?}");
        assert_eq!(
            h.core.counts().unknown_value,
            n as u64 + 1,
            "{name} {details}"
        );
    }
    // An unknown SameSite reads as unspecified, and is counted.
    let out = h.send(
        "cookie_changed",
        json!({"removed": false, "cause": "explicit",
               "cookie": {"name": "theme", "domain": "h.test", "value": "dark", "sameSite": "cosy"}}),
    );
    assert_eq!(h.core.counts().unknown_value, cases.len() as u64 + 1);
    match &out[..] {
        [e] => match &e.kind {
            EventKind::CookieChange(c) => {
                assert_eq!(c.same_site, logout_lens_model::event::SameSite::Unspecified)
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn page_input_is_capped_and_clamped() {
    let mut h = Harness::new();
    // A page claiming input in the future cannot make the user look active later.
    let out = h.page(
        "/x",
        json!({"t":"activity","last_input_ms": T0 + 10_000_000}),
    );
    match &out[0].kind {
        EventKind::Activity(a) => assert_eq!(a.last_input_ms, T0),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.core.idle_ms(T0 + 500), 500);
    let huge = "x".repeat(100_000);
    let out = h.page(
        "/x",
        json!({"t":"storage","area":"local","op":"clear","entries":[["k", huge]],"stack": huge}),
    );
    match &out[0].kind {
        EventKind::StorageChange(s) => assert!(s.stack.as_ref().unwrap().len() <= 1_000),
        other => panic!("{other:?}"),
    }
    // Pages on non-web schemes are ignored.
    assert!(
        h.send(
            "page",
            json!({"msg":{"t":"click","label":"Log out"},"tab":1,"url":"chrome://settings"})
        )
        .is_empty()
    );
}

#[test]
fn page_hook_backlog_is_dated_when_it_happened() {
    // The hook keeps its messages until the forwarder starts, after load;
    // each carries `at`. Believed when earlier than arrival and within 5 min.
    let token = jwt("access", (T0 / 1000) + 900, "backlog");
    let write = |at: Value| json!({"t":"storage","area":"local","op":"set","key":"access_token","value":token,"at": at});
    for (at, dated) in [
        (json!(T0 - 1_500), T0 - 1_500),
        (json!(T0), T0),
        (json!(T0 + 60_000), T0),
        (json!(T0 - 3_600_000), T0 - 300_000),
        (json!(i64::MIN), T0 - 300_000),
        (Value::Null, T0),
    ] {
        let mut h = Harness::new();
        let out = h.page("/x", write(at.clone()));
        assert_eq!(out.len(), 1, "{at}");
        assert_eq!(out[0].ts_ms, dated, "{at}");
    }
    let mut h = Harness::new();
    let details =
        json!({"msg": write(json!("soon")), "tab": 1, "frame": 0, "url": "http://h.test/x"});
    assert!(
        h.core.handle_json(&input("page", details), T0).is_err(),
        "a malformed `at` is an error, not a guess"
    );
}

#[test]
fn idle_and_sleep() {
    let mut h = Harness::new();
    let out = h.send("idle", json!({"state":"locked"}));
    assert_eq!(out.len(), 1);
    assert!(h.send("tick", json!({"mono_ms": 1000.0})).is_empty());
    // 30 s of monotonic time but 10 min of wall time: the machine slept.
    let out = h.at(600_000).send("tick", json!({"mono_ms": 31000.0}));
    match &out[0].kind {
        EventKind::TimeSample(t) => assert_eq!(t.gap_ms(), 570_000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn logout_labels() {
    let cases = [
        ("Log out", true),
        ("  LOGOUT ", true),
        ("Sign out", true),
        ("Sign out of all devices", true),
        ("Log off", true),
        ("Logout →", true),
        ("Log\u{a0}out", true),
        ("🚪 Sign out", true),
        ("Blogout", false),
        ("Login", false),
        ("Sign in", false),
        ("Catalog outline", false),
        ("", false),
    ];
    for (label, want) in cases {
        assert_eq!(is_logout_label(label), want, "{label}");
    }
}

proptest! {
    /// Whatever a page or the browser hands over, the core answers without panicking.
    #[test]
    fn any_input_is_handled(name in proptest::sample::select(INPUTS), body in ".{0,200}") {
        let mut h = Harness::new();
        let _ = h.core.handle_json(&format!(r#"{{"input":"{name}","details":{body}}}"#), T0);
        let _ = h.core.handle_json(&body, T0);
    }

    #[test]
    fn any_page_message_is_handled(t in "storage|cookie|scan|activity|lifecycle|click|net|dropped",
                                   s in ".{0,100}", n in any::<i64>(), frame in any::<i64>(),
                                   origin in proptest::option::of(".{0,30}")) {
        let mut h = Harness::new();
        let msg = json!({"t": t, "area": s, "op": s, "key": s, "value": s, "text": s, "state": s,
                         "label": s, "last_input_ms": n, "local": [[s, s]], "entries": [[s, s]],
                         "url": format!("http://h.test/{s}"), "id": n.unsigned_abs(), "start": n, "end": n,
                         "n": n.unsigned_abs(), "at": n});
        let _ = h.core.handle_json(&input("page", json!({"msg": msg, "tab": n, "frame": frame,
            "url": format!("http://h.test/{s}"), "origin": origin})), T0);
    }
}
