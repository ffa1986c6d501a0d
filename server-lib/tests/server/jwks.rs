//! Tokens signed with `jsonwebtoken` verify with `jwt-compact` using only the JWKS document.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_compact::alg::Ed25519;
use jwt_compact::{AlgorithmExt as _, UntrustedToken};
use serde::Deserialize;

use crate::harness::TestServer;

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    sid: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_verify_with_another_library_via_jwks() {
    let s = TestServer::start(|b| b.issuer("https://auth.test").audience("api.test")).await;
    let jwks = s
        .send("GET", "/.well-known/jwks.json", &[], "")
        .await
        .json();
    let access = s.login(true).await["access"].as_str().unwrap().to_owned();

    let token = UntrustedToken::new(&access).expect("parses");
    assert_eq!(token.algorithm(), "EdDSA");
    assert_eq!(token.header().token_type.as_deref(), Some("at+jwt"));
    let kid = token.header().key_id.clone().expect("kid");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("kid in JWKS");
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let key = ed25519_compact::PublicKey::from_slice(&x).unwrap();

    let verified = Ed25519
        .validator::<Claims>(&key)
        .validate(&token)
        .expect("signature verifies");
    let c = &verified.claims().custom;
    assert_eq!(
        (c.sub.as_str(), c.iss.as_str(), c.aud.as_str()),
        ("user-1", "https://auth.test", "api.test")
    );
    assert!(!c.sid.is_empty());

    // A flipped signature byte fails in the other library too.
    let sig_start = access.rfind('.').unwrap() + 10;
    let flipped = if access.as_bytes()[sig_start] == b'A' {
        "B"
    } else {
        "A"
    };
    let mut bad = access.clone();
    bad.replace_range(sig_start..=sig_start, flipped);
    let bad = UntrustedToken::new(&bad).unwrap();
    assert!(Ed25519.validator::<Claims>(&key).validate(&bad).is_err());
}
