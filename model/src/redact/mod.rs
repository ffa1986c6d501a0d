//! Redaction: raw tokens and cookie values never leave this module.
//!
//! A secret value becomes a [`Fingerprint`] (HMAC-SHA256 under a per-install
//! secret, first 16 hex chars) plus its length and, for JWTs, the non-secret
//! claims. The same token always gets the same fingerprint within one install,
//! so a trace can still say "these two requests carried the same refresh
//! token" without holding it.
//!
//! This is the one redaction implementation of Logout Lens: the extension
//! applies it before anything is queued, stored or shown, and the collector
//! applies it again on ingest, on import and on export. Every function here is
//! idempotent — a placeholder (`[fp:… len:…]`, `REDACTED`, `:REDACTED`, a
//! masked e-mail) is recognised and kept — so a token's fingerprint and length
//! are the same on every hop.
//!
//! - [`Redactor::scrub_event`]: every string of every event kind.
//! - [`Redactor::scrub_text`]: free text (stacks, messages, notes).
//! - [`Redactor::scrub_json`]: any JSON value under a key.
//! - [`redact_url`]: URLs (no secret needed).

mod event;
mod header;
mod json;
mod placeholder;
mod shape;
mod text;
mod url;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ModelError;
use crate::jwt::{self, TokenKind};

pub(crate) use event::{StringPass, Strings};
pub use placeholder::{is_placeholder, is_redaction_mark, parse_placeholder};
pub use shape::{contains_email, contains_jwt};
pub use url::redact_url;

type HmacSha256 = Hmac<Sha256>;

/// First 16 hex chars of HMAC-SHA256(install secret, value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this looks like a fingerprint (1–64 hex digits) rather than a
    /// value a careless producer put in its place.
    pub fn is_well_formed(&self) -> bool {
        (1..=64).contains(&self.0.len()) && self.0.bytes().all(|b| b.is_ascii_hexdigit())
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

/// The placeholder that replaces redacted values in URLs.
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
    /// helps guess a JWT's kind. A value that is already a placeholder keeps
    /// its fingerprint and length.
    pub fn token(&self, raw: &str, key_hint: Option<&str>) -> RedactedToken {
        if let Some((fp, len)) = parse_placeholder(raw.trim()) {
            return RedactedToken {
                fp: Fingerprint(fp.to_owned()),
                len,
                claims: None,
            };
        }
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
        let mut claims = TokenClaims {
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
        };
        // The claims are the token's own words: a hostile token can put
        // anything in them.
        self.scrub_claims(&mut claims);
        claims
    }

    /// A field meant to hold a URL: [`redact_url`] (scheme, host and path
    /// kept; query and fragment values, path parameters, token-looking
    /// segments and userinfo dropped), then the free-text rules for whatever a
    /// careless producer put there that is not a URL. Idempotent.
    pub fn url(&self, url: &str) -> String {
        self.url_cow(url).into_owned()
    }

    /// [`Redactor::url`] without a copy when nothing changes.
    pub(crate) fn url_cow<'a>(&self, url: &'a str) -> std::borrow::Cow<'a, str> {
        let u = url::redact_url_cow(url);
        // The text rules leave a redacted URL alone when it is one URL token
        // or holds nothing they act on: then it is the fixed point already.
        if !text::may_hold_secret(&u) || text::is_one_url(&u) {
            return u;
        }
        std::borrow::Cow::Owned(fixed_point(
            url,
            |u| self.scrub_text(&redact_url(u)),
            |u| self.placeholder(u),
        ))
    }

    /// `[fp:0123456789abcdef len:212]`, or empty for an empty value. A value
    /// that already is a placeholder or `REDACTED` is returned unchanged.
    pub fn placeholder(&self, value: &str) -> String {
        if value.is_empty() || is_redaction_mark(value) {
            return value.to_owned();
        }
        placeholder::format(&self.fingerprint(value), value.len())
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

/// At most this many passes of a scrub; one almost always suffices (see [`fixed_point`]).
const MAX_PASSES: usize = 8;

/// Applies `pass` until its output stops changing. One pass removes every
/// secret shape it sees, but a removal can expose a new shape (an e-mail's
/// local part that a token was glued to), so a changed string is checked by
/// another pass; a string the first pass leaves alone costs one pass. A
/// string that has not settled after [`MAX_PASSES`] (only contrived input
/// gets there) becomes `settle(input)`, a mark every scrub keeps. Together
/// this makes every scrub idempotent by construction.
fn fixed_point(s: &str, pass: impl Fn(&str) -> String, settle: impl Fn(&str) -> String) -> String {
    let mut cur = pass(s);
    if cur == s {
        return cur;
    }
    for _ in 1..MAX_PASSES {
        let next = pass(&cur);
        if next == cur {
            return cur;
        }
        cur = next;
    }
    settle(s)
}

fn hex_digit(n: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(n & 0x0f)])
}

/// `user@example.com` → `u***@example.com`; a string without `@` is fully
/// masked. Idempotent: a masked address stays as it is.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, _))
            if local
                .strip_suffix("***")
                .is_some_and(|head| head.chars().count() <= 1) =>
        {
            email.to_owned()
        }
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn redactor() -> Redactor {
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
        assert!(a.is_well_formed());
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
    fn placeholders_keep_their_fingerprint_and_length() {
        let r = redactor();
        let p = r.placeholder("opaque-secret-value");
        assert_eq!(r.placeholder(&p), p);
        let t = r.token(&p, None);
        assert_eq!(
            (t.fp, t.len),
            (r.fingerprint("opaque-secret-value"), 19),
            "a placeholder read as a token is the same token"
        );
        assert_eq!(r.placeholder(REDACTED), REDACTED);
        assert_eq!(r.placeholder(""), "");
    }

    #[test]
    fn a_url_field_full_of_urls_settles() {
        // Found by fuzzing: text read as one URL lost a path chunk to the
        // free-text rules on each pass and never settled.
        let r = redactor();
        let s = "hps://st/a-otsSeCt-Cookie2 tt://u:f (uht://u:pw@a.Bteat f (https://st/a-otsSeCt-Cookie2 tt://u:f (https://st/a-otsSeCt-Cookie2 s:itopw@a.//uht://u:pw@a.Bteat f://st/a-otsSeCt-Cookie2 tt://u:f (uht://u:pe:bc; tcsrf=w@a.Bteat f (https://st/a-otsSeCt-Cookie2 tt://u:f (https://st/a-otsSeCt-Cookie2 s:itopw@a./ (https://st/a-otsSeCt-Cookie2 tt://u:f (hjtps://st/a-otsSeCt-Cwokie1 s:itopw@a.tkest/p";
        let once = r.url(s);
        assert_eq!(r.url(&once), once);
        assert_eq!(r.scrub_text(&r.scrub_text(s)), r.scrub_text(s));
        let u = redact_url(s);
        assert_eq!(redact_url(&u), u);
    }

    #[test]
    fn emails_masked_unless_opted_in() {
        assert_eq!(redactor().email("user@example.com"), "u***@example.com");
        assert_eq!(mask_email("u***@example.com"), "u***@example.com");
        assert_eq!(mask_email("@"), "***@");
        assert_eq!(mask_email("***@"), "***@");
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
