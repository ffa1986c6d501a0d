//! The two readers of an event agree: [`parse_event`]'s fast path (the
//! envelope borrowed, then the kind's typed body from the same text) and
//! the tolerant reader through [`WireEvent`] (every field of the body in a
//! JSON map first) that it falls back to. And what either reads, the
//! writer writes back as the same JSON value and reads back the same.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// The map reader alone: what `parse_event` falls back to.
fn by_map(bytes: &[u8]) -> Result<Event, ModelError> {
    let wire: WireEvent =
        serde_json::from_slice(bytes).map_err(|e| ModelError::Json(e.to_string()))?;
    Event::try_from(wire)
}

/// Both readers on one text: the same event, or the same error; and an
/// event the fast path reads is one the map reader reads the same.
fn agree(raw: &str) -> bool {
    let (ours, theirs) = (parse_event(raw.as_bytes()), by_map(raw.as_bytes()));
    assert_eq!(ours, theirs, "{raw}");
    let fast = fast(raw.as_bytes());
    if let Some(e) = &fast {
        assert_eq!(
            Ok(e),
            theirs.as_ref(),
            "fast path read what the map reader does not: {raw}"
        );
    }
    fast.is_some()
}

/// The writer: envelope then payload, the same JSON value as the
/// envelope's fields beside the payload's own serialization, and read back
/// the same.
fn writes_back(e: &Event) {
    let text = serde_json::to_string(e).expect("writes");
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    let mut want = json!({"schema": e.schema, "id": e.id, "ts_ms": e.ts_ms, "source": e.source, "kind": e.kind.name()});
    for (k, x) in [
        ("origin", json!(e.origin)),
        ("path", json!(e.path)),
        ("tab", json!(e.tab)),
        ("frame", json!(e.frame)),
    ] {
        if !x.is_null() {
            want[k] = x;
        }
    }
    if let Value::Object(body) = serde_json::to_value(e.kind.payload()).expect("payload") {
        want.as_object_mut().expect("object").extend(body);
    }
    assert_eq!(v, want, "{text}");
    assert_eq!(
        &parse_event(text.as_bytes()).expect("reads back"),
        e,
        "{text}"
    );
    assert_eq!(&by_map(text.as_bytes()).expect("reads back"), e, "{text}");
}

/// Every event of the model's fixtures (every kind the extension makes,
/// and more), plus a kind this build does not know.
fn samples() -> Vec<Event> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
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
        out.extend(parse_timeline(&bytes).expect("timeline"));
    }
    out.push(
        parse_event(
            br#"{"schema":1,"id":"o1","ts_ms":5,"kind":"future_kind","x":{"b":[1,"\u0000"],"a":null},"z":-1.5}"#,
        )
        .expect("other"),
    );
    out
}

static SAMPLES: std::sync::LazyLock<Vec<Event>> = std::sync::LazyLock::new(samples);

#[test]
fn every_kind_writes_and_reads_back() {
    let all = &*SAMPLES;
    let kinds: std::collections::BTreeSet<&str> = all.iter().map(|e| e.kind.name()).collect();
    for k in EventKind::KNOWN {
        assert!(kinds.contains(k), "no fixture event of {k}");
    }
    for e in all {
        writes_back(e);
        let known = !matches!(e.kind, EventKind::Other { .. });
        assert_eq!(agree(&serde_json::to_string(e).expect("json")), known);
    }
    let list = serde_json::to_vec(all).expect("array");
    assert_eq!(&parse_timeline(&list).expect("timeline"), all);
}

/// One valid event of every known kind, with every envelope field.
fn corpus() -> Vec<Value> {
    let env = json!({"schema": 1, "id": "e1", "ts_ms": 1_764_000_000_000_i64, "origin": "https://a.test",
                     "path": "/p", "tab": 3, "frame": 0, "source": "page"});
    SAMPLES
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).expect("json");
            v.as_object_mut()
                .expect("object")
                .extend(env.as_object().expect("object").clone());
            v
        })
        .collect()
}

/// Every event, and every event with one field replaced by each odd value
/// or removed.
fn mutations() -> Vec<String> {
    let odd = [
        json!(null),
        json!("x"),
        json!(""),
        json!(1.5),
        json!(-1),
        json!(70000),
        json!([]),
        json!({}),
        json!(true),
    ];
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for e in corpus() {
        // One event of each kind and shape is enough.
        let shape: Vec<String> = e.as_object().expect("object").keys().cloned().collect();
        if !seen.insert((e["kind"].to_string(), shape)) {
            continue;
        }
        out.push(e.to_string());
        for key in e.as_object().expect("object").keys() {
            let mut removed = e.clone();
            removed.as_object_mut().expect("object").remove(key);
            out.push(removed.to_string());
            for v in &odd {
                let mut m = e.clone();
                m[key] = v.clone();
                out.push(m.to_string());
            }
        }
    }
    out.extend(
        [
            "[]",
            "[1,2]",
            r#"[1,"id",5]"#,
            "null",
            "{",
            r#"{"id":"a","id":"b","kind":"activity","last_input_ms":1}"#,
            r#"{"schema":1,"id":"d","ts_ms":1,"kind":"activity","last_input_ms":1,"last_input_ms":2}"#,
            r#"{"schema":1,"id":"d","ts_ms":1.9,"kind":"activity","last_input_ms":1}"#,
            r#" {"schema":1,"id":"d","ts_ms":1,"kind":"idle_state","state":"idle"}"#,
        ]
        .map(str::to_owned),
    );
    out
}

#[test]
fn the_fast_path_agrees_with_the_map_reader() {
    let all = mutations();
    let hits = all.iter().filter(|raw| agree(raw)).count();
    assert!(
        hits > 100,
        "the fast path is actually used ({hits} of {})",
        all.len()
    );
}

proptest! {
    #[test]
    fn any_envelope_writes_and_reads_back(
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
        // The readers redact URLs: give the writer them as they are read,
        // so the round trip compares like with like.
        e.origin = origin.map(|o| redact_url(&o));
        e.path = path.map(|p| redact_url(&p));
        e.tab = tab;
        e.frame = frame;
        writes_back(&e);
    }

    /// A known kind's event with any one field set to any JSON scalar or
    /// removed: both readers give the same answer.
    #[test]
    fn any_field_any_value(
        pick in any::<prop::sample::Index>(),
        field in any::<prop::sample::Index>(),
        value in prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,12}".prop_map(Value::from),
            proptest::sample::select(EventKind::KNOWN).prop_map(Value::from),
        ],
        remove in any::<bool>(),
    ) {
        let all = corpus();
        let mut e = all[pick.index(all.len())].clone();
        let keys: Vec<String> = e.as_object().expect("object").keys().cloned().collect();
        let key = &keys[field.index(keys.len())];
        if remove {
            e.as_object_mut().expect("object").remove(key);
        } else {
            e[key] = value;
        }
        agree(&e.to_string());
    }
}
