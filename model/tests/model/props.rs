//! Every parser answers `Ok` or `Err` for any input — never a panic.
//!
//! Case count: `PROPTEST_CASES` (default 512 here). A long run:
//! `PROPTEST_CASES=100000 cargo test --release -p logout-lens-model --test model props`.

use logout_lens_model::event::EventKind;
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
            proptest::sample::select(EventKind::KNOWN), Just("zzz")],
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

/// Arbitrary JSON whose keys are often the names `creds::find` looks for.
fn storage_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let key = prop_oneof![
        Just("access_token".to_owned()),
        Just("refresh_token".to_owned()),
        Just("id_token".to_owned()),
        Just("expires_at".to_owned()),
        Just("expiresAt".to_owned()),
        Just("expires_in".to_owned()),
        Just("expirationTime".to_owned()),
        Just("expiresOn".to_owned()),
        Just("exp".to_owned()),
        Just("secret".to_owned()),
        Just("credentialType".to_owned()),
        Just("data".to_owned()),
        Just("nonce".to_owned()),
        Just("refresh_expires_in".to_owned()),
        "[a-z~/_]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,24}".prop_map(Value::String),
        "[A-Za-z0-9_-]{8,40}".prop_map(Value::String),
        Just(Value::String(format!(
            "{}.{}.sig",
            b64(br#"{"alg":"HS256"}"#),
            b64(br#"{"exp":1900000000}"#)
        ))),
        prop_oneof![Just("AccessToken"), Just("RefreshToken"), Just("IdToken")]
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(24, 256, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn creds_cases() -> u32 {
    std::env::var("CREDS_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(creds_cases()))]

    /// Never a panic; the limits hold; every reported path leads to the reported value.
    #[test]
    fn creds_find_any_json(
        v in storage_json(),
        key in prop_oneof![Just("oidc.user:x:y"), Just("msal.3|a|b|accesstoken|c|||"), Just("sb-x-auth-token"),
                           Just("CognitoIdentityServiceProvider.c.u.refreshToken"), Just("other")],
        stored in proptest::option::of(any::<i64>()),
        max_depth in 0usize..8, max_nodes in 0usize..64, max_credentials in 0usize..4,
    ) {
        use logout_lens_model::creds::{self, Limits};
        let text = v.to_string();
        let limits = Limits { max_bytes: 64 * 1024, max_depth, max_nodes, max_credentials };
        match creds::find_with(key, &text, stored, &limits) {
            Err(creds::CredsError::TooLarge { .. }) => prop_assert!(text.len() > limits.max_bytes),
            Err(e) => prop_assert!(false, "valid JSON refused: {e}"),
            Ok(found) => {
                prop_assert!(found.credentials.len() <= max_credentials);
                for c in &found.credentials {
                    // Segments: one per level entered, plus the field itself.
                    prop_assert!(c.path.matches('/').count() <= max_depth + 1, "{}", c.path);
                    let at = if c.path.is_empty() { v.as_str() } else { v.pointer(&c.path).and_then(|x| x.as_str()) };
                    prop_assert_eq!(at, Some(c.value.as_str()));
                }
            }
        }
    }

    #[test]
    fn creds_find_any_string(key in ".{0,40}", value in ".{0,200}", stored in proptest::option::of(any::<i64>())) {
        let _ = logout_lens_model::creds::find(&key, &value, stored);
    }
}
