//! Every parser answers `Ok` or `Err` for any input — never a panic.
//!
//! Case count: `PROPTEST_CASES` (default 512 here). A long run:
//! `PROPTEST_CASES=100000 cargo test --release -p logout-lens-model --test model props`.

use logout_lens_model::{DiagnoseOptions, Target, diagnose, http, jwt, redact, wire};
use proptest::prelude::*;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// 512 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn jwt_decode_any_string(s in ".*") {
        let _ = jwt::decode(&s);
        let _ = jwt::looks_like_jwt(&s);
    }

    #[test]
    fn jwt_decode_any_segments(h in proptest::collection::vec(any::<u8>(), 0..64),
                               c in proptest::collection::vec(any::<u8>(), 0..128)) {
        let token = format!("{}.{}.sig", b64(&h), b64(&c));
        let _ = jwt::decode(&token);
    }

    #[test]
    fn jwt_decode_any_json_claims(exp in any::<f64>(), aud in ".*", sub in any::<i64>()) {
        let claims = serde_json::json!({"exp": exp, "aud": aud, "sub": sub});
        let token = format!("{}.{}.s", b64(br#"{"alg":"HS256"}"#), b64(claims.to_string().as_bytes()));
        if let Ok(j) = jwt::decode(&token) {
            let _ = j.remaining_ms(i64::MAX);
            let _ = j.remaining_ms(i64::MIN);
            let _ = j.warning(j.kind(None), 0);
        }
    }

    #[test]
    fn wire_parsers_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = wire::parse_event(&bytes);
        let _ = wire::parse_timeline(&bytes);
        let _ = wire::parse_logout_report(&bytes);
    }

    #[test]
    fn wire_parsers_jsonish(kind in prop_oneof![
            Just("storage_change"), Just("cookie_change"), Just("http_exchange"), Just("navigation"),
            Just("activity"), Just("idle_state"), Just("page_lifecycle"), Just("time_sample"),
            Just("logout_observed"), Just("logout_action"), Just("app_report"), Just("zzz")],
        ts in any::<i64>(), field in "[a-z_]{1,12}", value in any::<i64>(), s in ".{0,20}") {
        let v = serde_json::json!({"schema": 1, "id": s, "ts_ms": ts, "kind": kind, field: value, "state": s});
        let bytes = serde_json::to_vec(&v).expect("json");
        if let Ok(event) = wire::parse_event(&bytes) {
            // Whatever parses re-encodes and parses to the same event.
            let again = serde_json::to_vec(&event).expect("encode");
            prop_assert_eq!(wire::parse_event(&again).expect("reparse"), event.clone());
            let _ = diagnose(&[event], &Target::Last, &DiagnoseOptions::default());
        }
    }

    #[test]
    fn http_helpers_any_string(s in ".*", now in any::<i64>()) {
        let _ = http::parse_http_date(&s);
        let _ = http::set_cookie_deletion(&s, now);
        let _ = http::parse_www_authenticate(&s);
        let _ = http::guess_role("POST", &s, &http::SiteHints::default());
        let _ = http::is_login_page(&s, &http::SiteHints::default());
        let _ = redact::redact_url(&s);
    }

    #[test]
    fn redacted_url_never_keeps_query_values(path in "/[a-z/]{0,20}", name in "[a-z]{1,8}", secret in "[A-Za-z0-9]{12,40}") {
        let url = format!("https://a.test{path}?{name}={secret}#frag");
        let out = redact::redact_url(&url);
        prop_assert!(!out.contains(&secret), "{out}");
        prop_assert!(out.contains(&name));
    }
}
