//! The SDKs' storage layouts, recognised by key (and, for MSAL's older keys
//! and wrapped records, by shape). Each is documented with a fixture captured
//! from the real library in `model/fixtures/sdk/`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::jwt::TokenKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// oidc-client-ts / oidc-client-js: `oidc.user:<authority>:<client_id>`.
    OidcClient,
    /// @auth0/auth0-spa-js with `cacheLocation: 'localstorage'`: `@@auth0spajs@@::…`.
    Auth0Spa,
    /// MSAL.js: v5 `msal.3|…` (and its index keys), v2/v3 `<account>-<env>-<type>-…`.
    Msal,
    /// Firebase Auth: `firebase:authUser:<apiKey>:<app>` (web storage or IndexedDB record).
    Firebase,
    /// supabase-js: `sb-<ref>-auth-token` (also `@supabase/ssr`'s chunked cookies).
    Supabase,
    /// Amplify v6 / amazon-cognito-identity-js: `CognitoIdentityServiceProvider.<client>.<user>.<token>`.
    Cognito,
    /// Okta Auth JS: `okta-token-storage` (and its per-token cookies).
    Okta,
}

impl Layout {
    pub fn from_key(key: &str) -> Option<Layout> {
        let k = key.trim();
        if k.starts_with("oidc.user:") {
            Some(Layout::OidcClient)
        } else if k.starts_with("@@auth0spajs@@::") {
            Some(Layout::Auth0Spa)
        } else if k.starts_with("msal.") {
            Some(Layout::Msal)
        } else if k.starts_with("firebase:authUser:") {
            Some(Layout::Firebase)
        } else if is_supabase_key(k) {
            Some(Layout::Supabase)
        } else if k.starts_with("CognitoIdentityServiceProvider.") {
            Some(Layout::Cognito)
        } else if k.starts_with("okta-token-storage") {
            Some(Layout::Okta)
        } else {
            None
        }
    }

    /// The kind a key names outright (Cognito's raw-token keys, MSAL's credential keys).
    pub(crate) fn kind_from_key(self, key: &str) -> Option<TokenKind> {
        match self {
            Layout::Cognito => {
                let last = key.rsplit('.').next().unwrap_or("");
                match last {
                    "accessToken" => Some(TokenKind::Access),
                    "refreshToken" => Some(TokenKind::Refresh),
                    "idToken" => Some(TokenKind::Id),
                    _ => None,
                }
            }
            Layout::Msal => {
                // v5: msal.3|<account>|<env>|<type>|…; v2/v3: <account>-<env>-<type>-…
                let lower = key.to_ascii_lowercase();
                let typed = |t: &str| {
                    lower.contains(&format!("|{t}|")) || lower.contains(&format!("-{t}-"))
                };
                if typed("accesstoken") || typed("accesstoken_with_authscheme") {
                    Some(TokenKind::Access)
                } else if typed("refreshtoken") {
                    Some(TokenKind::Refresh)
                } else if typed("idtoken") {
                    Some(TokenKind::Id)
                } else {
                    None
                }
            }
            Layout::Okta => {
                let lower = key.to_ascii_lowercase();
                if lower.ends_with("_accesstoken") {
                    Some(TokenKind::Access)
                } else if lower.ends_with("_refreshtoken") {
                    Some(TokenKind::Refresh)
                } else if lower.ends_with("_idtoken") {
                    Some(TokenKind::Id)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// `sb-<ref>-auth-token`, or one of `@supabase/ssr`'s chunks `….0`, `….1`.
fn is_supabase_key(k: &str) -> bool {
    let base = match k.rsplit_once('.') {
        Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => k,
    };
    base.starts_with("sb-") && base.ends_with("-auth-token") && base.len() > "sb--auth-token".len()
}

/// `@supabase/ssr` writes its session cookie as `base64-<base64url JSON>`;
/// other values are read as they are.
pub(crate) fn unwrap_value(layout: Option<Layout>, value: &str) -> std::borrow::Cow<'_, str> {
    if layout == Some(Layout::Supabase) {
        if let Some(b64) = value.trim().strip_prefix("base64-") {
            let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            if let Ok(bytes) = engine.decode(b64.trim_end_matches('=')) {
                if let Ok(s) = String::from_utf8(bytes) {
                    return std::borrow::Cow::Owned(s);
                }
            }
        }
    }
    std::borrow::Cow::Borrowed(value)
}
