//! The native-messaging host's reading side on any byte stream: framing,
//! message parsing, validation and scrubbing never panic, and the stream
//! always ends with a final step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logout_lens_collector::host::{Session, Step};
use logout_lens_model::Redactor;

fuzz_target!(|data: &[u8]| {
    let redactor = Redactor::new(&[3u8; 32], Default::default()).unwrap();
    let mut session = Session::new(redactor);
    // Let the fuzzer reach batches: a well-formed hello first when asked to.
    let mut input = Vec::new();
    if data.first().is_some_and(|b| b & 1 == 1) {
        let hello = br#"{"type":"hello","versions":[1]}"#;
        input.extend((hello.len() as u32).to_ne_bytes());
        input.extend(hello);
    }
    input.extend(data.get(1..).unwrap_or_default());
    let mut ended = false;
    session.read_all(&mut input.as_slice(), |step| {
        match &step {
            Step::Reply(r) => {
                serde_json::to_vec(r).expect("replies serialize");
            }
            Step::Exit(_) | Step::Fail(_) => ended = true,
            Step::Store { .. } | Step::Query { .. } => {}
        }
        true
    });
    assert!(ended, "every stream ends with a final step");
});
