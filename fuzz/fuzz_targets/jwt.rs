//! JWT decoding on any string: an answer, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logout_lens_model::jwt;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = jwt::looks_like_jwt(s);
    if let Ok(j) = jwt::decode(s) {
        let _ = j.remaining_ms(i64::MAX);
        let _ = j.remaining_ms(i64::MIN);
        let _ = j.warning(j.kind(None), 0);
    }
});
