//! Generated JSON (trace bundle, HAR) against committed snapshots in
//! `tests/snapshots/`. `UPDATE_SNAPSHOTS=1` rewrites them after an intended change.

use std::path::Path;

use logout_lens_collector::export::{ExportFilter, bundle, har};
use logout_lens_model::Event;
use serde_json::Value;

use super::support::logout_scenario;

/// The scenario moved to a fixed time, so the output is deterministic.
fn fixed_events() -> Vec<Event> {
    let events = logout_scenario(true);
    let first = events
        .iter()
        .map(|e| e["ts_ms"].as_i64().unwrap())
        .min()
        .unwrap();
    events
        .into_iter()
        .map(|mut e| {
            let shift = 1_764_000_000_000 - first;
            e["ts_ms"] = (e["ts_ms"].as_i64().unwrap() + shift).into();
            for key in ["expires_ms", "last_input_ms"] {
                if let Some(v) = e.get(key).and_then(Value::as_i64) {
                    e[key] = (v + shift).into();
                }
            }
            if let Some(claims) = e.pointer_mut("/token/claims") {
                for key in ["exp", "iat"] {
                    if let Some(v) = claims.get(key).and_then(Value::as_i64) {
                        claims[key] = (v + shift / 1000).into();
                    }
                }
            }
            serde_json::from_value(e).unwrap()
        })
        .collect()
}

fn check(name: &str, value: &Value) {
    let mut actual = serde_json::to_string_pretty(value).unwrap();
    actual.push('\n');
    let actual = actual.replace(env!("CARGO_PKG_VERSION"), "VERSION");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
    assert_eq!(
        actual, expected,
        "snapshot {name} differs; UPDATE_SNAPSHOTS=1 if intended"
    );
}

#[test]
fn bundle_and_har_snapshots() {
    let events = fixed_events();
    let redactor =
        logout_lens_model::Redactor::new(b"fixed-test-secret-32-bytes-long!", Default::default())
            .unwrap();
    let filter = ExportFilter {
        origin: Some("https://app.example".into()),
        since_ms: None,
    };
    let b = bundle(&events, filter, &redactor, 1_764_003_600_000, |_| {});
    check("bundle.json", &serde_json::to_value(&b).unwrap());
    check("har.json", &har(&events, &redactor));
}
