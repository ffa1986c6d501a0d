//! Redaction: raw tokens and cookie values never leave this module.
//!
//! A secret value becomes a [`Fingerprint`] (HMAC-SHA256 under a per-install
//! secret, first 16 hex chars) plus its length and, for JWTs, the non-secret
//! claims. The same token always gets the same fingerprint within one install,
//! so a trace can still say "these two requests carried the same refresh
//! token" without holding it.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ModelError;
use crate::jwt::{self, TokenKind};

type HmacSha256 = Hmac<Sha256>;

/// First 16 hex chars of HMAC-SHA256(install secret, value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is safe to keep of a JWT: no signature, no raw subject (unless opted in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TokenClaims {
    pub kind: TokenKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aud: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The subject, only when the user opted in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Fingerprint of the subject otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_fp: Option<Fingerprint>,
}

impl TokenClaims {
    pub fn exp_ms(&self) -> Option<i64> {
        self.exp.map(|s| s.saturating_mul(1000))
    }
}

/// A secret value as it may be stored and sent: fingerprint, length, safe claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactedToken {
    pub fp: Fingerprint,
    pub len: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<TokenClaims>,
}

/// What the user chose to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RedactionOptions {
    /// Keep JWT `sub` in clear.
    #[serde(default)]
    pub keep_sub: bool,
    /// Keep e-mail addresses in clear.
    #[serde(default)]
    pub keep_email: bool,
}

/// The placeholder that replaces redacted values in URLs and bodies.
pub const REDACTED: &str = "REDACTED";

/// Turns secrets into fingerprints under one install's secret.
#[derive(Clone)]
pub struct Redactor {
    mac: HmacSha256,
    pub options: RedactionOptions,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Redactor")
            .field("options", &self.options)
            .finish()
    }
}

impl Redactor {
    /// `secret` is the per-install secret (at least 16 bytes; the extension makes 32 random ones).
    pub fn new(secret: &[u8], options: RedactionOptions) -> Result<Self, ModelError> {
        if secret.len() < 16 {
            return Err(ModelError::WeakSecret(secret.len()));
        }
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| ModelError::WeakSecret(0))?;
        Ok(Redactor { mac, options })
    }

    /// The fingerprint of any secret value.
    pub fn fingerprint(&self, value: &str) -> Fingerprint {
        let mut mac = self.mac.clone();
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(16);
        for b in &digest[..8] {
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
        Fingerprint(out)
    }

    /// Redact a token or cookie value. `key_hint` (storage key, cookie name)
    /// helps guess a JWT's kind.
    pub fn token(&self, raw: &str, key_hint: Option<&str>) -> RedactedToken {
        let bare = jwt::strip_wrapping(raw);
        let claims = if jwt::looks_like_jwt(bare) {
            jwt::decode(bare).ok().map(|j| self.claims(&j, key_hint))
        } else {
            None
        };
        RedactedToken {
            fp: self.fingerprint(bare),
            len: u32::try_from(raw.len()).unwrap_or(u32::MAX),
            claims,
        }
    }

    fn claims(&self, j: &jwt::Jwt, key_hint: Option<&str>) -> TokenClaims {
        let c = &j.claims;
        let (sub, sub_fp) = match &c.sub {
            Some(s) if self.options.keep_sub => (Some(s.clone()), None),
            Some(s) => (None, Some(self.fingerprint(s))),
            None => (None, None),
        };
        TokenClaims {
            kind: j.kind(key_hint),
            alg: j.header.alg.clone(),
            exp: c.exp,
            iat: c.iat,
            nbf: c.nbf,
            iss: c.iss.clone(),
            aud: c.aud.clone(),
            jti: c.jti.clone(),
            sub,
            sub_fp,
        }
    }

    /// Keep scheme, host and path; replace every query and fragment value by
    /// `REDACTED` (names kept); drop userinfo; replace token-looking path segments.
    pub fn url(&self, url: &str) -> String {
        redact_url(url)
    }

    /// Redact a header value by its name: credentials become fingerprints,
    /// cookie names and attributes are kept, everything else passes through.
    pub fn header(&self, name: &str, value: &str) -> String {
        let lname = name.to_ascii_lowercase();
        match lname.as_str() {
            "authorization" | "proxy-authorization" => match value.split_once(' ') {
                Some((scheme, cred)) => format!("{scheme} {}", self.placeholder(cred.trim())),
                None => self.placeholder(value),
            },
            "cookie" => value
                .split(';')
                .map(|pair| {
                    let pair = pair.trim();
                    match pair.split_once('=') {
                        Some((n, v)) => format!("{n}={}", self.placeholder(v)),
                        None => pair.to_owned(),
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            "set-cookie" => {
                let mut parts = value.split(';');
                let first = parts.next().unwrap_or("");
                let head = match first.split_once('=') {
                    Some((n, v)) => format!("{}={}", n.trim(), self.placeholder(v.trim())),
                    None => first.trim().to_owned(),
                };
                std::iter::once(head)
                    .chain(parts.map(|a| a.trim().to_owned()))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            _ if is_secret_header(&lname) => self.placeholder(value),
            _ => value.to_owned(),
        }
    }

    /// `[fp:0123456789abcdef len:212]`, or empty for an empty value.
    pub fn placeholder(&self, value: &str) -> String {
        if value.is_empty() {
            return String::new();
        }
        format!("[fp:{} len:{}]", self.fingerprint(value), value.len())
    }

    /// Redact a request/response body. JSON keeps its keys and structure
    /// (strings become placeholders, numbers and booleans stay); form bodies
    /// keep their names; anything else becomes its length.
    pub fn body(&self, content_type: Option<&str>, body: &str) -> String {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if ct.contains("json") || (ct.is_empty() && body.trim_start().starts_with(['{', '['])) {
            if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(body.as_bytes()) {
                self.json_in_place(&mut v);
                // Not `v.to_string()`: `Display` carries the pretty printer too.
                return serde_json::to_string(&v).unwrap_or_default();
            }
        }
        if ct.contains("x-www-form-urlencoded") {
            return redact_pairs(body, '&');
        }
        format!("[{} bytes redacted]", body.len())
    }

    fn json_in_place(&self, v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::String(s) => *s = self.placeholder(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.json_in_place(i)),
            Value::Object(m) => m.values_mut().for_each(|i| self.json_in_place(i)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Mask an e-mail address (`u***@example.com`) unless the user opted in.
    pub fn email(&self, email: &str) -> String {
        if self.options.keep_email {
            email.to_owned()
        } else {
            mask_email(email)
        }
    }
}

fn hex_digit(n: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(n & 0x0f)])
}

fn is_secret_header(lname: &str) -> bool {
    [
        "token", "secret", "key", "session", "auth", "csrf", "xsrf", "password",
    ]
    .iter()
    .any(|w| lname.contains(w))
}

/// `user@example.com` → `u***@example.com`; a string without `@` is fully masked.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// See [`Redactor::url`].
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut out = String::with_capacity(url.len());
    // Drop `user:password@` from the authority.
    let (scheme, rest) = match base.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, base),
    };
    if let Some(s) = scheme {
        out.push_str(s);
        out.push_str("://");
    }
    let (authority, path) = match (scheme, rest.find('/')) {
        (Some(_), Some(i)) => (&rest[..i], &rest[i..]),
        (Some(_), None) => (rest, ""),
        (None, _) => ("", rest),
    };
    out.push_str(
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host),
    );
    let mut first = true;
    for seg in path.split('/') {
        if !first {
            out.push('/');
        }
        first = false;
        if looks_secret_segment(seg) {
            out.push(':');
            out.push_str(REDACTED);
        } else {
            out.push_str(seg);
        }
    }
    if let Some(q) = query {
        out.push('?');
        out.push_str(&redact_pairs(q, '&'));
    }
    if let Some(f) = fragment {
        out.push('#');
        if f.contains('=') {
            out.push_str(&redact_pairs(f, '&'));
        } else {
            out.push_str(f);
        }
    }
    out
}

fn redact_pairs(s: &str, sep: char) -> String {
    s.split(sep)
        .map(|pair| match pair.split_once('=') {
            Some((n, v)) if !v.is_empty() => format!("{n}={REDACTED}"),
            Some((n, _)) => format!("{n}="),
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

/// JWTs and long opaque strings in a path are almost always credentials (reset links, magic links).
fn looks_secret_segment(seg: &str) -> bool {
    jwt::looks_like_jwt(seg)
        || (seg.len() >= 32
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && seg.bytes().any(|b| b.is_ascii_digit())
            && seg.bytes().any(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(b"0123456789abcdef-test-secret", RedactionOptions::default())
            .expect("secret long enough")
    }

    #[test]
    fn fingerprint_is_stable_and_short() {
        let r = redactor();
        let a = r.fingerprint("token-a");
        assert_eq!(a, r.fingerprint("token-a"));
        assert_ne!(a, r.fingerprint("token-b"));
        assert_eq!(a.as_str().len(), 16);
        let other =
            Redactor::new(b"another-secret-of-16+", RedactionOptions::default()).expect("secret");
        assert_ne!(a, other.fingerprint("token-a"));
        assert!(Redactor::new(b"short", RedactionOptions::default()).is_err());
    }

    #[test]
    fn jwt_keeps_claims_not_subject() {
        let r = redactor();
        let t = crate::jwt::tests::make(
            r#"{"alg":"HS256"}"#,
            r#"{"exp":100,"sub":"alice","jti":"j"}"#,
        );
        let red = r.token(&format!("\"{t}\""), Some("access_token"));
        let claims = red.claims.clone().expect("jwt claims");
        assert_eq!(claims.exp, Some(100));
        assert_eq!(claims.sub, None);
        assert!(claims.sub_fp.is_some());
        assert_eq!(claims.kind, TokenKind::Access);
        let json = serde_json::to_string(&red).expect("json");
        assert!(!json.contains("alice"));
        assert!(!json.contains(&t));
    }

    #[test]
    fn url_table() {
        let cases = [
            (
                "https://a.test/p?x=1&y=&z",
                "https://a.test/p?x=REDACTED&y=&z",
            ),
            ("https://u:pw@a.test/", "https://a.test/"),
            (
                "https://a.test/cb#access_token=abc&state=s",
                "https://a.test/cb#access_token=REDACTED&state=REDACTED",
            ),
            (
                "/reset/0123456789abcdef0123456789abcdef42",
                "/reset/:REDACTED",
            ),
            ("/api/users/42/profile", "/api/users/42/profile"),
            ("https://a.test", "https://a.test"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_url(input), want, "{input}");
        }
    }

    #[test]
    fn headers_keep_names_drop_values() {
        let r = redactor();
        let auth = r.header("Authorization", "Bearer sekrit");
        assert!(auth.starts_with("Bearer [fp:") && !auth.contains("sekrit"));
        let cookie = r.header("Cookie", "sid=sekritvalue; theme=dark");
        assert!(cookie.starts_with("sid=[fp:") && cookie.contains("theme=[fp:"));
        assert!(!cookie.contains("sekritvalue"));
        let set = r.header("Set-Cookie", "sid=sekritvalue; Path=/; HttpOnly; Max-Age=0");
        assert!(set.ends_with("Path=/; HttpOnly; Max-Age=0") && !set.contains("sekritvalue"));
        assert_eq!(r.header("Content-Type", "text/html"), "text/html");
        assert!(r.header("X-CSRF-Token", "zzz").starts_with("[fp:"));
    }

    #[test]
    fn bodies_keep_structure() {
        let r = redactor();
        let b = r.body(
            Some("application/json"),
            r#"{"refresh":"rt-secret","n":3,"ok":true}"#,
        );
        assert!(b.contains("\"refresh\"") && b.contains("\"n\":3") && !b.contains("rt-secret"));
        assert_eq!(
            r.body(Some("application/x-www-form-urlencoded"), "a=1&b=2"),
            "a=REDACTED&b=REDACTED"
        );
        assert_eq!(r.body(Some("text/plain"), "hello"), "[5 bytes redacted]");
    }

    #[test]
    fn emails_masked_unless_opted_in() {
        assert_eq!(redactor().email("user@example.com"), "u***@example.com");
        let open = Redactor::new(
            b"0123456789abcdef",
            RedactionOptions {
                keep_email: true,
                keep_sub: false,
            },
        )
        .expect("secret");
        assert_eq!(open.email("user@example.com"), "user@example.com");
    }
}
