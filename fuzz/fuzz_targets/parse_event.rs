//! The event parsers on any bytes: an answer, never a panic; what parses
//! re-encodes and parses to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logout_lens_model::wire;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = wire::parse_event(data) {
        let again = serde_json::to_vec(&event).expect("encodes");
        assert_eq!(wire::parse_event(&again).expect("reparses"), event);
    }
    let _ = wire::parse_timeline(data);
    let _ = wire::parse_logout_report(data);
});
