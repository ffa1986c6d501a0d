//! Generated JSON compared with committed files. `UPDATE_SNAPSHOTS=1` rewrites them.

use axum::response::IntoResponse as _;
use http_body_util::BodyExt as _;
use logout_lens_server::{AccessFailure, KeySet, RefreshFailure, ServerError, SigningKey};
use serde_json::{Value, json};

fn check(name: &str, actual: &Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/server/snapshots")
        .join(name);
    let text = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        text, expected,
        "snapshot {name} differs; rerun with UPDATE_SNAPSHOTS=1 if intended"
    );
}

/// A fixed Ed25519 key: PKCS#8 v1 prefix + a constant seed.
fn fixed_key() -> SigningKey {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[7u8; 32]);
    SigningKey::ed25519_from_pkcs8("snap-1", &der).unwrap()
}

#[tokio::test]
async fn error_responses() {
    let errors: Vec<(&str, ServerError)> = vec![
        (
            "refresh_expired",
            ServerError::Refresh(RefreshFailure::Expired),
        ),
        (
            "refresh_idle_timeout",
            ServerError::Refresh(RefreshFailure::IdleTimeout),
        ),
        (
            "refresh_reused",
            ServerError::Refresh(RefreshFailure::Reused),
        ),
        (
            "refresh_revoked",
            ServerError::Refresh(RefreshFailure::Revoked),
        ),
        (
            "refresh_not_found",
            ServerError::Refresh(RefreshFailure::NotFound),
        ),
        (
            "refresh_malformed",
            ServerError::Refresh(RefreshFailure::Malformed),
        ),
        (
            "refresh_wrong_type",
            ServerError::Refresh(RefreshFailure::WrongType),
        ),
        (
            "access_expired",
            ServerError::Access(AccessFailure::Expired),
        ),
        (
            "access_not_yet_valid",
            ServerError::Access(AccessFailure::NotYetValid),
        ),
        (
            "access_bad_signature",
            ServerError::Access(AccessFailure::BadSignature),
        ),
        (
            "access_wrong_type",
            ServerError::Access(AccessFailure::WrongType),
        ),
        (
            "access_session_revoked",
            ServerError::Access(AccessFailure::SessionRevoked),
        ),
        (
            "access_malformed",
            ServerError::Access(AccessFailure::Malformed),
        ),
        ("no_credentials", ServerError::MissingCredentials),
        ("bad_credentials", ServerError::BadCredentials),
        (
            "missing_token",
            ServerError::bad_request("missing_token", "no refresh token in the request"),
        ),
        ("too_large", ServerError::TooLarge { limit: 16384 }),
        (
            "rate_limited",
            ServerError::RateLimited { retry_after_s: 3 },
        ),
        (
            "internal",
            ServerError::Store("disk I/O error at /secret/path".into()),
        ),
    ];
    let mut all = serde_json::Map::new();
    for (name, err) in errors {
        let res = err.into_response();
        let mut headers = serde_json::Map::new();
        for h in [
            "x-auth-error-code",
            "www-authenticate",
            "retry-after",
            "cache-control",
        ] {
            if let Some(v) = res.headers().get(h) {
                headers.insert(h.into(), json!(v.to_str().unwrap()));
            }
        }
        let status = res.status().as_u16();
        let body: Value =
            serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        all.insert(
            name.into(),
            json!({ "status": status, "headers": headers, "body": body }),
        );
    }
    check("errors.json", &Value::Object(all));
}

#[test]
fn jwks_document() {
    let keys = KeySet::new(fixed_key())
        .with_retired(SigningKey::hs256("never-published", &[1; 32]).unwrap());
    let jwks = serde_json::to_value(keys.jwks()).unwrap();
    // Cross-check the published key against another implementation's derivation from the seed.
    let pk = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([7u8; 32])).pk;
    use base64::Engine as _;
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pk.as_ref());
    assert_eq!(jwks["keys"][0]["x"].as_str(), Some(x.as_str()));
    check("jwks.json", &jwks);
}

/// The OpenAPI document as the demo configures it, in both token modes.
#[test]
fn openapi_documents() {
    let base = || {
        logout_lens_server::Config::builder()
            .signing_key(fixed_key())
            .openapi_path("/v1/auth/openapi.json")
    };
    for (name, config) in [
        ("openapi.json", base().build().unwrap()),
        (
            "openapi-cookies.json",
            base()
                .cookies(logout_lens_server::CookieConfig::default())
                .build()
                .unwrap(),
        ),
    ] {
        let doc = serde_json::to_value(logout_lens_server::openapi::document(&config)).unwrap();
        check(name, &doc);
    }
}
