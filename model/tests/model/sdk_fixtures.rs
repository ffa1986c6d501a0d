//! Every storage layout captured from a real SDK (`model/fixtures/sdk/`, made by
//! `e2e/sdk/capture.mjs`) is read by `creds::find` to the credentials the SDK wrote.

use std::path::PathBuf;

use logout_lens_model::creds::{self, ExpirySource, Layout, TimeUnit, TokenKind};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Capture {
    library: String,
    version: String,
    captured_at_ms: i64,
    local_storage: serde_json::Map<String, Value>,
    session_storage: serde_json::Map<String, Value>,
    cookies: Vec<Cookie>,
    indexed_db: Vec<Store>,
}

#[derive(Deserialize)]
struct Cookie {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct Store {
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    key: Value,
    value: Value,
}

/// How a credential's expiry is expected to be known.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Exp {
    None,
    Jwt,
    Field(&'static str, TimeUnit),
}

use Exp::Field;
use TimeUnit::{Millis, Seconds};
use TokenKind::{Access, Id, Refresh};

/// One expected credential: (where: "local" | "session" | "idb", key prefix, kind, JSON path, expiry).
type Want = (&'static str, &'static str, TokenKind, &'static str, Exp);

struct Case {
    file: &'static str,
    library: &'static str,
    layout: Option<Layout>,
    want: Vec<Want>,
    /// Keys whose credential the SDK encrypted: (key prefix, kind).
    sealed: Vec<(&'static str, TokenKind)>,
}

fn cases() -> Vec<Case> {
    let oidc = |area| {
        vec![
            (
                area,
                "oidc.user:http://localhost:",
                Id,
                "/id_token",
                Exp::Jwt,
            ),
            (
                area,
                "oidc.user:http://localhost:",
                Access,
                "/access_token",
                Field("/expires_at", Seconds),
            ),
            (
                area,
                "oidc.user:http://localhost:",
                Refresh,
                "/refresh_token",
                Exp::None,
            ),
        ]
    };
    let auth0_tokens = "@@auth0spajs@@::auth0-spa-js-client::default::";
    let msal = |area| {
        vec![
            (
                area,
                "msal.3|alice|",
                Access,
                "/secret",
                Field("/expiresOn", Seconds),
            ),
            (area, "msal.3|alice|", Id, "/secret", Exp::Jwt),
            (area, "msal.3|alice|", Refresh, "/secret", Exp::None),
        ]
    };
    let fb = "firebase:authUser:demo-api-key:[DEFAULT]";
    let cognito = "CognitoIdentityServiceProvider.logoutlenstestclient0001.alice.";
    vec![
        Case {
            file: "oidc-client-ts",
            library: "oidc-client-ts",
            layout: Some(Layout::OidcClient),
            want: oidc("session"),
            sealed: vec![],
        },
        Case {
            file: "oidc-client-ts-local",
            library: "oidc-client-ts",
            layout: Some(Layout::OidcClient),
            want: oidc("local"),
            sealed: vec![],
        },
        Case {
            file: "auth0-spa-js-localstorage",
            library: "@auth0/auth0-spa-js",
            layout: Some(Layout::Auth0Spa),
            want: vec![
                // The ID token once, though the entry also keeps it as `decodedToken.claims.__raw`.
                (
                    "local",
                    "@@auth0spajs@@::auth0-spa-js-client::@@user@@",
                    Id,
                    "/id_token",
                    Exp::Jwt,
                ),
                (
                    "local",
                    auth0_tokens,
                    Access,
                    "/body/access_token",
                    Field("/expiresAt", Seconds),
                ),
                (
                    "local",
                    auth0_tokens,
                    Refresh,
                    "/body/refresh_token",
                    Exp::None,
                ),
            ],
            sealed: vec![],
        },
        // The default memory cache writes no token anywhere (only the is.authenticated cookie).
        Case {
            file: "auth0-spa-js-memory",
            library: "@auth0/auth0-spa-js",
            layout: None,
            want: vec![],
            sealed: vec![],
        },
        Case {
            file: "msal-browser-session",
            library: "@azure/msal-browser",
            layout: Some(Layout::Msal),
            want: msal("session"),
            sealed: vec![],
        },
        // MSAL v5 encrypts its localStorage cache: only the keys say what is there.
        Case {
            file: "msal-browser-local",
            library: "@azure/msal-browser",
            layout: Some(Layout::Msal),
            want: vec![],
            sealed: vec![
                ("msal.3|alice|", Access),
                ("msal.3|alice|", Id),
                ("msal.3|alice|", Refresh),
            ],
        },
        // keycloak-js keeps every token in memory.
        Case {
            file: "keycloak-js",
            library: "keycloak-js",
            layout: None,
            want: vec![],
            sealed: vec![],
        },
        Case {
            file: "firebase-indexeddb",
            library: "firebase",
            layout: Some(Layout::Firebase),
            want: vec![
                (
                    "idb",
                    fb,
                    Access,
                    "/value/stsTokenManager/accessToken",
                    Field("/value/stsTokenManager/expirationTime", Millis),
                ),
                (
                    "idb",
                    fb,
                    Refresh,
                    "/value/stsTokenManager/refreshToken",
                    Exp::None,
                ),
            ],
            sealed: vec![],
        },
        Case {
            file: "firebase-local",
            library: "firebase",
            layout: Some(Layout::Firebase),
            want: vec![
                (
                    "local",
                    fb,
                    Access,
                    "/stsTokenManager/accessToken",
                    Field("/stsTokenManager/expirationTime", Millis),
                ),
                (
                    "local",
                    fb,
                    Refresh,
                    "/stsTokenManager/refreshToken",
                    Exp::None,
                ),
            ],
            sealed: vec![],
        },
        Case {
            file: "supabase-js",
            library: "@supabase/supabase-js",
            layout: Some(Layout::Supabase),
            want: vec![
                (
                    "local",
                    "sb-localhost-auth-token",
                    Access,
                    "/access_token",
                    Field("/expires_at", Seconds),
                ),
                (
                    "local",
                    "sb-localhost-auth-token",
                    Refresh,
                    "/refresh_token",
                    Exp::None,
                ),
            ],
            sealed: vec![],
        },
        Case {
            file: "aws-amplify",
            library: "aws-amplify",
            layout: Some(Layout::Cognito),
            want: vec![
                ("local", cognito, Access, "", Exp::Jwt),
                ("local", cognito, Id, "", Exp::Jwt),
                // Cognito's refresh token is a JWE only Cognito can read: no expiry in it.
                ("local", cognito, Refresh, "", Exp::None),
            ],
            sealed: vec![],
        },
    ]
}

fn load(name: &str) -> Capture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sdk")
        .join(format!("{name}.json"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every (area, key, value) the capture holds: web storage as written, IndexedDB records as JSON.
fn entries(c: &Capture) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for (area, map) in [("local", &c.local_storage), ("session", &c.session_storage)] {
        for (k, v) in map {
            out.push((
                area,
                k.clone(),
                v.as_str().expect("storage values are strings").to_owned(),
            ));
        }
    }
    for store in &c.indexed_db {
        for r in &store.records {
            let key = r
                .key
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| r.key.to_string());
            out.push(("idb", key, r.value.to_string()));
        }
    }
    out
}

fn source(e: &Option<ExpirySource>) -> Exp {
    match e {
        None => Exp::None,
        Some(ExpirySource::Jwt) => Exp::Jwt,
        Some(ExpirySource::Field { path, unit }) => {
            Field(Box::leak(path.clone().into_boxed_str()), *unit)
        }
        Some(ExpirySource::Lifetime { .. }) => panic!("a captured layout stores absolute expiries"),
    }
}

#[test]
fn every_captured_layout_is_read() {
    let all = cases();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sdk");
    let files: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("fixtures/sdk")
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_owned))
        .collect();
    let named: std::collections::BTreeSet<String> = all.iter().map(|c| c.file.to_owned()).collect();
    assert_eq!(
        files, named,
        "every captured fixture has a row, every row a fixture"
    );

    for case in all {
        let cap = load(case.file);
        assert_eq!(cap.library, case.library, "{}", case.file);
        assert!(!cap.version.is_empty());
        let mut got: Vec<Want> = Vec::new();
        let mut sealed = Vec::new();
        let mut layouts = std::collections::BTreeSet::new();
        for (area, key, value) in entries(&cap) {
            let found = creds::find(&key, &value, Some(cap.captured_at_ms))
                .unwrap_or_else(|e| panic!("{} {key}: {e}", case.file));
            assert!(!found.truncated, "{} {key}", case.file);
            if let Some(l) = found.layout {
                layouts.insert(format!("{l:?}"));
            }
            if let Some(kind) = found.sealed {
                let prefix = case
                    .sealed
                    .iter()
                    .find(|(p, _)| key.starts_with(p))
                    .map(|(p, _)| *p);
                sealed.push((prefix.unwrap_or("?"), kind));
            }
            let parsed: Option<Value> = serde_json::from_str(&value).ok();
            for c in &found.credentials {
                // The raw value is exactly what sits at the reported path.
                let at = if c.path.is_empty() {
                    value.clone()
                } else {
                    let v = parsed.as_ref().and_then(|p| p.pointer(&c.path));
                    v.and_then(Value::as_str)
                        .unwrap_or_else(|| panic!("{} {key}: nothing at {}", case.file, c.path))
                        .to_owned()
                };
                assert_eq!(at, c.value, "{} {key} {}", case.file, c.path);
                // Units normalised: every expiry lands between the capture and a year after it.
                if let Some(exp) = c.expires_at_ms {
                    let ahead = exp - cap.captured_at_ms;
                    assert!(
                        (0..366 * 86_400_000).contains(&ahead),
                        "{} {key} {}: expiry {ahead} ms after capture",
                        case.file,
                        c.path
                    );
                }
                let prefix = case
                    .want
                    .iter()
                    .find(|w| w.0 == area && key.starts_with(w.1) && w.2 == c.kind && w.3 == c.path)
                    .map(|w| w.1)
                    .unwrap_or("<unexpected>");
                got.push((
                    area,
                    prefix,
                    c.kind,
                    Box::leak(c.path.clone().into_boxed_str()),
                    source(&c.expiry),
                ));
            }
        }
        // Cookies are read too: none of these SDKs keeps a token in one.
        for cookie in &cap.cookies {
            let found = creds::find(&cookie.name, &cookie.value, Some(cap.captured_at_ms));
            assert!(
                found.map(|f| f.credentials.is_empty()).unwrap_or(true),
                "{} cookie {}",
                case.file,
                cookie.name
            );
        }
        let mut want = case.want.clone();
        want.sort_by_key(|w| format!("{w:?}"));
        got.sort_by_key(|w| format!("{w:?}"));
        assert_eq!(got, want, "{}", case.file);
        let mut want_sealed = case.sealed.clone();
        want_sealed.sort_by_key(|w| format!("{w:?}"));
        sealed.sort_by_key(|w| format!("{w:?}"));
        assert_eq!(sealed, want_sealed, "{}", case.file);
        if let Some(l) = case.layout {
            assert!(
                layouts.contains(&format!("{l:?}")),
                "{}: layouts {layouts:?}",
                case.file
            );
        }
    }
}

#[test]
fn access_expiry_fields_agree_with_the_token() {
    // Where a layout stores its own expiry beside a JWT access token, it is the token's exp
    // (computed locally as now + expires_in, so within seconds of it).
    for name in [
        "oidc-client-ts",
        "auth0-spa-js-localstorage",
        "msal-browser-session",
        "firebase-local",
        "supabase-js",
    ] {
        let cap = load(name);
        for (_, key, value) in entries(&cap) {
            for c in creds::find(&key, &value, None).expect("reads").credentials {
                if c.kind != Access || !c.jwt {
                    continue;
                }
                let jwt = logout_lens_model::jwt::decode(&c.value).expect("decodes");
                let exp = jwt.exp_ms().expect("exp");
                let field = c.expires_at_ms.expect("expiry");
                assert!(
                    (field - exp).abs() <= 5_000,
                    "{name} {key}: field {field} vs exp {exp}"
                );
            }
        }
    }
}
