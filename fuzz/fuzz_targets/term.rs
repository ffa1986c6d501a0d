//! The terminal escaper on any text: nothing unsafe comes out, escaping is
//! idempotent, and escaped JSON is still the same JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logout_lens_collector::term::{escape, escape_json, escape_keeping_colour, is_unsafe};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let once = escape(s);
    assert!(!once.chars().any(is_unsafe));
    assert_eq!(escape(&once), once);
    assert!(
        !escape_keeping_colour(s)
            .chars()
            .any(|c| is_unsafe(c) && c != '\x1b')
    );
    let json = serde_json::to_string(s).unwrap();
    let safe = escape_json(&json);
    assert!(!safe.chars().any(is_unsafe));
    assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), s);
});
