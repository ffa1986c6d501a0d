//! JWT header and claims decoding — base64url and JSON only.
//!
//! Signatures are not checked here: the extension sees other sites' tokens and
//! has no keys. It only needs to know what a token claims about itself.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// base64url that accepts tokens with or without padding.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Tokens longer than this are not JWTs anyone should be storing; refusing them
/// bounds the work done on hostile input.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Access tokens closer than this to expiry are worth a warning (seed: < 5 min).
pub const ACCESS_WARN_MS: i64 = 5 * 60 * 1000;
/// Refresh tokens closer than this to expiry are worth a warning (seed: < 1 day).
pub const REFRESH_WARN_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwtError {
    #[error("token is longer than {MAX_TOKEN_LEN} bytes")]
    TooLong,
    #[error("expected 3 dot-separated parts, found {0}")]
    Parts(usize),
    #[error("encrypted JWT (JWE): claims are not readable")]
    Encrypted,
    #[error("{0} is not valid base64url")]
    Base64(&'static str),
    #[error("{0} is not a JSON object")]
    Json(&'static str),
    #[error("claim `{0}` has the wrong type")]
    Claim(&'static str),
}

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
    Id,
    #[default]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub alg: Option<String>,
    pub typ: Option<String>,
    pub kid: Option<String>,
}

/// The registered claims plus the few private ones that hint at a token's kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims {
    /// Seconds since the epoch.
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
    pub iss: Option<String>,
    pub aud: Vec<String>,
    pub sub: Option<String>,
    pub jti: Option<String>,
    /// `token_type` / `typ` / `type` claim (simplejwt, Keycloak, …).
    pub token_type: Option<String>,
    /// Whether OIDC ID-token markers (`nonce`, `at_hash`, `auth_time`) are present.
    pub id_markers: bool,
}

/// A decoded (unverified) JWT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Jwt {
    pub header: Header,
    pub claims: Claims,
}

/// A warning about a token's remaining life, as the seed's TokenExpiryMonitor gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryWarning {
    Expired,
    /// Access token with less than 5 minutes left.
    AccessExpiringSoon,
    /// Refresh token with less than a day left.
    RefreshExpiringSoon,
}

/// Does this string look like a compact JWS (`eyJ…`.`…`.`…`)? Cheap; no decoding.
pub fn looks_like_jwt(s: &str) -> bool {
    let s = s.trim();
    if !s.starts_with("eyJ") || s.len() > MAX_TOKEN_LEN {
        return false;
    }
    let mut parts = 0;
    for part in s.split('.') {
        parts += 1;
        if parts > 3 {
            return false;
        }
        if !part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        {
            return false;
        }
    }
    parts == 3
}

/// Strip a `Bearer ` prefix and surrounding quotes (tokens stored as JSON strings).
pub fn strip_wrapping(s: &str) -> &str {
    let s = s.trim();
    let s = s
        .strip_prefix("Bearer ")
        .or_else(|| s.strip_prefix("bearer "))
        .unwrap_or(s);
    s.trim_matches('"')
}

/// Decode header and claims. Never panics; anything malformed is a [`JwtError`].
pub fn decode(token: &str) -> Result<Jwt, JwtError> {
    let token = strip_wrapping(token);
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::TooLong);
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.len() {
        3 => {}
        5 => return Err(JwtError::Encrypted),
        n => return Err(JwtError::Parts(n)),
    }
    let header = decode_object(parts[0], "header")?;
    let claims = decode_object(parts[1], "payload")?;
    Ok(Jwt {
        header: Header {
            alg: string_claim(&header, "alg")?,
            typ: string_claim(&header, "typ")?,
            kid: string_claim(&header, "kid")?,
        },
        claims: Claims {
            exp: seconds_claim(&claims, "exp")?,
            iat: seconds_claim(&claims, "iat")?,
            nbf: seconds_claim(&claims, "nbf")?,
            iss: string_claim(&claims, "iss")?,
            aud: audience(&claims)?,
            sub: id_claim(&claims, "sub")?,
            jti: id_claim(&claims, "jti")?,
            token_type: ["token_type", "typ", "type"]
                .iter()
                .find_map(|k| claims.get(*k).and_then(Value::as_str).map(str::to_owned)),
            id_markers: ["nonce", "at_hash", "auth_time"]
                .iter()
                .any(|k| claims.contains_key(*k)),
        },
    })
}

fn decode_object(part: &str, what: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = B64URL.decode(part).map_err(|_| JwtError::Base64(what))?;
    // JSON is UTF-8; read as text, with the one JSON reader the wasm carries.
    let text = std::str::from_utf8(&bytes).map_err(|_| JwtError::Json(what))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(JwtError::Json(what)),
    }
}

fn string_claim(m: &Map<String, Value>, k: &'static str) -> Result<Option<String>, JwtError> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(JwtError::Claim(k)),
    }
}

/// `sub` and `jti` are strings by the RFC, but numbers turn up in the wild.
fn id_claim(m: &Map<String, Value>, k: &'static str) -> Result<Option<String>, JwtError> {
    match m.get(k) {
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        _ => string_claim(m, k),
    }
}

fn seconds_claim(m: &Map<String, Value>, k: &'static str) -> Result<Option<i64>, JwtError> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else {
                match n.as_f64() {
                    // NumericDate may carry fractions; beyond ±1e15 s it is nonsense.
                    Some(f) if f.is_finite() && f.abs() < 1.0e15 => Ok(Some(f.floor() as i64)),
                    _ => Err(JwtError::Claim(k)),
                }
            }
        }
        Some(_) => Err(JwtError::Claim(k)),
    }
}

fn audience(m: &Map<String, Value>) -> Result<Vec<String>, JwtError> {
    match m.get("aud") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or(JwtError::Claim("aud")))
            .collect(),
        Some(_) => Err(JwtError::Claim("aud")),
    }
}

impl Jwt {
    /// Expiry in ms since the epoch.
    pub fn exp_ms(&self) -> Option<i64> {
        self.claims.exp.map(|s| s.saturating_mul(1000))
    }

    /// Milliseconds left at `now_ms` (negative once expired).
    pub fn remaining_ms(&self, now_ms: i64) -> Option<i64> {
        self.exp_ms().map(|e| e.saturating_sub(now_ms))
    }

    /// Best guess of what the token is for. `key_hint` is the storage key or
    /// cookie name it was found under, which often says it outright.
    pub fn kind(&self, key_hint: Option<&str>) -> TokenKind {
        let typ = self
            .header
            .typ
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        if typ == "at+jwt" || typ == "application/at+jwt" {
            return TokenKind::Access;
        }
        if let Some(t) = self.claims.token_type.as_deref() {
            let t = t.to_ascii_lowercase();
            if t.contains("refresh") {
                return TokenKind::Refresh;
            }
            if t.contains("access") || t == "bearer" {
                return TokenKind::Access;
            }
            if t == "id" || t == "id_token" {
                return TokenKind::Id;
            }
        }
        if let Some(hint) = key_hint {
            let hint = hint.to_ascii_lowercase();
            if hint.contains("refresh") {
                return TokenKind::Refresh;
            }
            if hint.contains("id_token") || hint.contains("idtoken") {
                return TokenKind::Id;
            }
            if hint.contains("access") {
                return TokenKind::Access;
            }
        }
        if self.claims.id_markers {
            return TokenKind::Id;
        }
        match (self.claims.iat, self.claims.exp) {
            // Lifetimes of a day or more are refresh-token lifetimes.
            (Some(iat), Some(exp)) if exp - iat >= 24 * 3600 => TokenKind::Refresh,
            (_, Some(_)) => TokenKind::Access,
            _ => TokenKind::Unknown,
        }
    }

    /// The seed's warnings: expired; access < 5 min; refresh < 1 day.
    pub fn warning(&self, kind: TokenKind, now_ms: i64) -> Option<ExpiryWarning> {
        let left = self.remaining_ms(now_ms)?;
        if left <= 0 {
            return Some(ExpiryWarning::Expired);
        }
        match kind {
            TokenKind::Refresh if left < REFRESH_WARN_MS => {
                Some(ExpiryWarning::RefreshExpiringSoon)
            }
            TokenKind::Access | TokenKind::Id | TokenKind::Unknown if left < ACCESS_WARN_MS => {
                Some(ExpiryWarning::AccessExpiringSoon)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn make(header: &str, claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(header), e.encode(claims))
    }

    #[test]
    fn decodes_registered_claims() {
        let t = make(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"exp":1700003600,"iat":1700000000,"sub":42,"aud":["a","b"],"token_type":"access","jti":"j1"}"#,
        );
        let jwt = decode(&t).expect("decodes");
        assert_eq!(jwt.claims.exp, Some(1_700_003_600));
        assert_eq!(jwt.claims.sub.as_deref(), Some("42"));
        assert_eq!(jwt.claims.aud, vec!["a", "b"]);
        assert_eq!(jwt.kind(None), TokenKind::Access);
        assert_eq!(jwt.remaining_ms(1_700_003_000_000), Some(600_000));
        assert!(looks_like_jwt(&t));
    }

    #[test]
    fn kind_guess_table() {
        let cases = [
            (
                r#"{"alg":"EdDSA","typ":"at+jwt"}"#,
                r#"{"exp":2}"#,
                None,
                TokenKind::Access,
            ),
            (
                r#"{"alg":"HS256"}"#,
                r#"{"exp":2,"token_type":"refresh"}"#,
                None,
                TokenKind::Refresh,
            ),
            (
                r#"{"alg":"HS256"}"#,
                r#"{"exp":2}"#,
                Some("refresh_token"),
                TokenKind::Refresh,
            ),
            (
                r#"{"alg":"RS256"}"#,
                r#"{"exp":2,"nonce":"n"}"#,
                None,
                TokenKind::Id,
            ),
            (
                r#"{"alg":"HS256"}"#,
                r#"{"iat":0,"exp":1728000}"#,
                None,
                TokenKind::Refresh,
            ),
            (
                r#"{"alg":"HS256"}"#,
                r#"{"iat":0,"exp":3600}"#,
                None,
                TokenKind::Access,
            ),
            (r#"{"alg":"HS256"}"#, r#"{}"#, None, TokenKind::Unknown),
        ];
        for (h, c, hint, want) in cases {
            let jwt = decode(&make(h, c)).expect("decodes");
            assert_eq!(jwt.kind(hint), want, "{h} {c} {hint:?}");
        }
    }

    #[test]
    fn warnings_follow_the_seed() {
        let jwt = decode(&make(r#"{"alg":"HS256"}"#, r#"{"exp":1000}"#)).expect("decodes");
        let now = |s: i64| s * 1000;
        assert_eq!(
            jwt.warning(TokenKind::Access, now(1001)),
            Some(ExpiryWarning::Expired)
        );
        assert_eq!(
            jwt.warning(TokenKind::Access, now(800)),
            Some(ExpiryWarning::AccessExpiringSoon)
        );
        assert_eq!(jwt.warning(TokenKind::Access, now(0)), None);
        assert_eq!(
            jwt.warning(TokenKind::Refresh, now(0)),
            Some(ExpiryWarning::RefreshExpiringSoon)
        );
    }

    #[test]
    fn malformed_tokens_are_typed_errors() {
        assert_eq!(decode("abc"), Err(JwtError::Parts(1)));
        assert_eq!(decode("a.b.c.d.e"), Err(JwtError::Encrypted));
        assert_eq!(decode("!!.e30.x"), Err(JwtError::Base64("header")));
        assert_eq!(decode("WzFd.e30.x"), Err(JwtError::Json("header")));
        let bad_exp = make(r#"{"alg":"HS256"}"#, r#"{"exp":"soon"}"#);
        assert_eq!(decode(&bad_exp), Err(JwtError::Claim("exp")));
        assert!(!looks_like_jwt("eyJhbGciOiJIUzI1NiJ9.e30"));
    }
}
