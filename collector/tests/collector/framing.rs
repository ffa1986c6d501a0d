//! The host loop over in-memory readers: round trips and every malformed frame.

use std::io::Cursor;

use logout_lens_collector::host::{Host, HostExit};
use logout_lens_collector::protocol::{ErrorCode, MAX_INCOMING_FRAME};
use logout_lens_collector::store::{Filter, Store};
use native_messaging::host::{MAX_FROM_BROWSER, decode_message, encode_message};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::support::{batch, event, frame, frame_bytes, hello, read_all};

/// Runs the host over `input`; returns the exit, the replies and the store.
fn run(input: Vec<u8>) -> (HostExit, Vec<Value>, Store) {
    let mut store = Store::in_memory().unwrap();
    let mut out = Vec::new();
    let exit = Host::new(&mut store)
        .unwrap()
        .serve(Cursor::new(input), &mut out)
        .unwrap();
    (exit, read_all(&out), store)
}

fn concat(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

#[test]
fn hello_batch_query_round_trip() {
    let input = concat(&[
        frame(&hello()),
        frame(&batch(1, (0..10).map(event))),
        frame(&batch(2, (5..12).map(event))),
        frame(&json!({"type": "query", "id": "q1", "query": "status"})),
    ]);
    let (exit, replies, store) = run(input);
    assert_eq!(exit, HostExit::Disconnected);
    assert_eq!(replies[0]["type"], "hello");
    assert_eq!(replies[0]["version"], 1);
    assert_eq!(
        replies[1],
        json!({"type":"ack","seq":1,"stored":10,"duplicates":0,"rejected":[]})
    );
    assert_eq!(
        replies[2],
        json!({"type":"ack","seq":2,"stored":2,"duplicates":5,"rejected":[]})
    );
    assert_eq!(replies[3]["type"], "result");
    assert_eq!(replies[3]["id"], "q1");
    assert_eq!(replies[3]["status"]["events"], 12);
    assert_eq!(store.events(&Filter::default()).unwrap().len(), 12);
}

/// (name, input frames after hello, expected error code, fatal?)
fn malformed_cases() -> Vec<(&'static str, Vec<u8>, ErrorCode, bool)> {
    let too_long = ((MAX_INCOMING_FRAME + 1) as u32).to_ne_bytes().to_vec();
    let mut truncated_body = 100u32.to_ne_bytes().to_vec();
    truncated_body.extend_from_slice(b"{\"type\":");
    vec![
        (
            "empty frame",
            frame_bytes(b""),
            ErrorCode::EmptyFrame,
            false,
        ),
        ("over the limit", too_long, ErrorCode::FrameTooLarge, true),
        (
            "truncated length",
            vec![5, 0],
            ErrorCode::TruncatedFrame,
            true,
        ),
        (
            "truncated body",
            truncated_body,
            ErrorCode::TruncatedFrame,
            true,
        ),
        (
            "bad utf-8",
            frame_bytes(b"{\"type\":\"hello\xff\"}"),
            ErrorCode::BadUtf8,
            false,
        ),
        (
            "bad json",
            frame_bytes(b"{\"type\":"),
            ErrorCode::BadJson,
            false,
        ),
        (
            "not an object",
            frame_bytes(b"[1,2,3]"),
            ErrorCode::BadMessage,
            false,
        ),
        (
            "no type",
            frame(&json!({"seq": 1})),
            ErrorCode::UnknownType,
            false,
        ),
        (
            "unknown type",
            frame(&json!({"type": "exec"})),
            ErrorCode::UnknownType,
            false,
        ),
        (
            "batch without seq",
            frame(&json!({"type": "batch", "events": []})),
            ErrorCode::BadMessage,
            false,
        ),
        (
            "batch too large",
            frame(&batch(9, (0..5_001).map(|_| json!({})))),
            ErrorCode::BatchTooLarge,
            false,
        ),
        (
            "unknown version",
            frame(&json!({"type": "hello", "versions": [2, 3]})),
            ErrorCode::UnsupportedVersion,
            false,
        ),
        (
            "unknown query",
            frame(&json!({"type": "query", "id": 7, "query": "drop"})),
            ErrorCode::UnknownQuery,
            false,
        ),
        (
            "diagnosis with no logout",
            frame(&json!({"type": "query", "id": 8, "query": "diagnosis"})),
            ErrorCode::NoLogout,
            false,
        ),
    ]
}

#[test]
fn every_malformed_frame_gets_its_code() {
    for (name, bad, code, fatal) in malformed_cases() {
        // hello, the bad frame, then a valid batch that must still be served
        // unless the error was fatal.
        // A truncated frame can only be the end of the stream.
        let tail = if code == ErrorCode::TruncatedFrame {
            vec![]
        } else {
            frame(&batch(1, [event(1)]))
        };
        let input = concat(&[frame(&hello()), bad, tail]);
        let (exit, replies, store) = run(input);
        let err = &replies[1];
        assert_eq!(err["type"], "error", "{name}: {replies:?}");
        assert_eq!(err["code"], code.as_str(), "{name}");
        assert_eq!(err["fatal"], fatal, "{name}");
        let stored = store.stats(0).unwrap().events;
        if fatal {
            assert_eq!(exit, HostExit::Fatal(code), "{name}");
            assert_eq!(replies.len(), 2, "{name}: nothing after a fatal error");
            assert_eq!(stored, 0, "{name}");
        } else {
            assert_eq!(exit, HostExit::Disconnected, "{name}");
            assert_eq!(replies[2]["type"], "ack", "{name}: host kept serving");
            assert_eq!(stored, 1, "{name}");
        }
    }
}

#[test]
fn unsupported_version_lists_what_is_supported() {
    let (_, replies, _) = run(frame(&json!({"type": "hello", "versions": [99]})));
    assert_eq!(replies[0]["supported"], json!([1]));
}

#[test]
fn requests_before_hello_are_refused() {
    let input = concat(&[
        frame(&batch(1, [event(1)])),
        frame(&json!({"type":"query","id":1,"query":"status"})),
    ]);
    let (_, replies, store) = run(input);
    assert!(
        replies.iter().all(|r| r["code"] == "hello_required"),
        "{replies:?}"
    );
    assert_eq!(store.stats(0).unwrap().events, 0);
}

#[test]
fn invalid_events_are_rejected_one_by_one() {
    let bad = [
        json!({"schema": 1, "id": "x1", "ts_ms": 1, "kind": "idle_state", "state": "asleep"}),
        json!({"schema": 2, "id": "x2", "ts_ms": 1, "kind": "activity", "last_input_ms": 1}),
        json!({"schema": 1, "ts_ms": 1, "kind": "activity", "last_input_ms": 1}),
        json!("not an object"),
    ];
    let events = [event(1)].into_iter().chain(bad).chain([event(2)]);
    let (_, replies, store) = run(concat(&[frame(&hello()), frame(&batch(4, events))]));
    let ack = &replies[1];
    assert_eq!(ack["stored"], 2);
    let rejected = ack["rejected"].as_array().unwrap();
    let summary: Vec<(u64, &str)> = rejected
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "invalid_event"),
            (2, "unsupported_schema"),
            (3, "missing_field"),
            (4, "bad_json")
        ]
    );
    assert_eq!(rejected[0]["id"], "x1");
    assert!(rejected.iter().all(|r| r["code"] == "invalid_event"));
    assert_eq!(store.stats(0).unwrap().events, 2);
}

#[test]
fn popup_queries() {
    let logout = json!({"schema":1,"id":"lo-1","ts_ms":super::support::base_ts() + 100_000,"origin":"https://app.example",
        "kind":"logout_observed","trigger":"login_page","url":"https://app.example/login"});
    let expired = json!({"schema":1,"id":"ck-1","ts_ms":super::support::base_ts() + 99_000,"origin":"https://app.example",
        "kind":"cookie_change","name":"sessionid","removed":true,"cause":"expired"});
    let input = concat(&[
        frame(&hello()),
        frame(&batch(1, [expired, logout])),
        frame(
            &json!({"type":"query","id":"a","query":"recent_logouts","origin":"https://app.example"}),
        ),
        frame(&json!({"type":"query","id":"b","query":"diagnosis","logout_id":"lo-1"})),
        frame(&json!({"type":"query","id":"c","query":"diagnosis","logout_id":"nope"})),
    ]);
    let (_, replies, _) = run(input);
    assert_eq!(replies[2]["logouts"][0]["id"], "lo-1");
    assert_eq!(replies[3]["query"], "diagnosis");
    assert_eq!(replies[3]["diagnosis"]["logout_id"], "lo-1");
    assert!(
        replies[3]["diagnosis"]["causes"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(replies[4]["code"], "unknown_logout");
    assert_eq!(replies[4]["id"], "c");
}

/// 64 cases unless `PROPTEST_CASES` says otherwise (a long run:
/// `PROPTEST_CASES=20000 cargo test --release -p logout-lens-collector --test collector framing`).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig::with_cases(cases)
}

/// A byte stream as a hostile or broken browser could send it: frames whose
/// length prefix is right, short, long or huge, around JSON that is valid,
/// almost valid or not JSON at all.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let body = prop_oneof![
        Just(br#"{"type":"hello","versions":[1]}"#.to_vec()),
        Just(br#"{"type":"query","id":1,"query":"status"}"#.to_vec()),
        "\\PC{0,40}".prop_map(|s| {
            format!(r#"{{"type":"batch","seq":1,"events":[{{"schema":1,"id":"e","ts_ms":1,"kind":"{s}"}}]}}"#)
                .into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 0..64),
    ];
    let piece = (body, 0u8..8).prop_map(|(body, how)| {
        let len = body.len() as u32;
        let declared = match how {
            0 => len.saturating_sub(1),
            1 => len + 3,
            2 => u32::MAX,
            3 => 9 << 20,
            _ => len,
        };
        let mut out = declared.to_ne_bytes().to_vec();
        out.extend(body);
        out
    });
    proptest::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config())]

    /// The frame decoder and the reading side alone (no store): any stream
    /// ends in a final step, every reply serializes, nothing panics.
    #[test]
    fn the_reading_side_survives_any_stream(input in stream()) {
        let redactor = logout_lens_model::Redactor::new(&[1u8; 32], Default::default()).unwrap();
        let mut session = logout_lens_collector::host::Session::new(redactor);
        let mut ended = 0;
        session.read_all(&mut input.as_slice(), |step| {
            use logout_lens_collector::host::Step;
            match &step {
                Step::Reply(r) => assert!(serde_json::to_vec(r).is_ok()),
                Step::Exit(_) | Step::Fail(_) => ended += 1,
                Step::Store { .. } | Step::Query { .. } => {}
            }
            true
        });
        prop_assert_eq!(ended, 1);
    }

    #[test]
    fn framing_round_trips(s in "\\PC{0,300}", n in any::<i64>()) {
        let v = json!({"s": s, "n": n});
        let bytes = encode_message(&v).unwrap();
        let back = decode_message(&mut Cursor::new(bytes), MAX_FROM_BROWSER).unwrap();
        prop_assert_eq!(serde_json::from_str::<Value>(&back).unwrap(), v);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_replies_are_frames(
        prefix in proptest::collection::vec(any::<u8>(), 0..64),
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut input = frame(&hello());
        input.extend(frame_bytes(&body));
        input.extend(prefix);
        let mut store = Store::in_memory().unwrap();
        let mut out = Vec::new();
        let exit = Host::new(&mut store).unwrap().serve(Cursor::new(input), &mut out);
        prop_assert!(exit.is_ok());
        // Every reply is a whole, parseable frame.
        let mut rest: &[u8] = &out;
        while !rest.is_empty() {
            prop_assert!(rest.len() >= 4);
            let len = u32::from_ne_bytes(rest[..4].try_into().unwrap()) as usize;
            prop_assert!(rest.len() >= 4 + len);
            prop_assert!(serde_json::from_slice::<Value>(&rest[4..4 + len]).is_ok());
            rest = &rest[4 + len..];
        }
    }
}
