//! The scrubber on any text: idempotent, and its output holds no JWT-shaped
//! run and no e-mail address. The same for URLs, headers, the
//! auth error code, JSON and events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logout_lens_model::Redactor;
use logout_lens_model::redact::{contains_email, contains_jwt, redact_url};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let r = Redactor::new(&[5u8; 32], Default::default()).unwrap();
    let text = r.scrub_text(s);
    assert_eq!(r.scrub_text(&text), text, "scrub_text is idempotent");
    assert!(!contains_jwt(&text) && !contains_email(&text), "{text:?}");
    let url = redact_url(s);
    assert_eq!(redact_url(&url), url, "redact_url is idempotent");
    let field = r.url(s);
    assert_eq!(r.url(&field), field, "url is idempotent");
    assert!(
        !contains_jwt(&field) && !contains_email(&field),
        "{field:?}"
    );
    for name in [
        "Authorization",
        "Cookie",
        "Set-Cookie",
        "WWW-Authenticate",
        "X-Other",
    ] {
        let h = r.header(name, s);
        assert_eq!(r.header(name, &h), h, "{name} is idempotent");
    }
    let code = r.auth_code(s);
    assert_eq!(r.auth_code(&code), code, "auth_code is idempotent");
    assert!(!contains_jwt(&code) && !contains_email(&code), "{code:?}");
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(s) {
        r.scrub_json(None, &mut v);
        let once = v.clone();
        r.scrub_json(None, &mut v);
        assert_eq!(v, once, "scrub_json is idempotent");
    }
    if let Ok(mut e) = logout_lens_model::wire::parse_event(data) {
        r.scrub_event(&mut e);
        let once = e.clone();
        r.scrub_event(&mut e);
        assert_eq!(e, once, "scrub_event is idempotent");
    }
});
