//! Export-time re-redaction.
//!
//! The extension redacts before anything reaches the collector, but an export
//! leaves the machine, so it is checked again here: URLs lose query values,
//! credentials in headers become fingerprints, anything shaped like a JWT or a
//! bearer credential becomes a placeholder, e-mail addresses are masked, and
//! values under secret-sounding keys of unknown event kinds are replaced.

use logout_lens_model::redact::{RedactionOptions, Redactor, redact_url};
use logout_lens_model::{Event, ModelError};
use serde_json::{Map, Value};

/// Re-redacts events and free text with one install's secret.
#[derive(Debug, Clone)]
pub struct Scrubber {
    redactor: Redactor,
}

/// Keys whose string values are URLs (absolute or relative).
const URL_KEYS: &[&str] = &[
    "url",
    "location",
    "href",
    "referrer",
    "referer",
    "redirect",
    "redirect_url",
    "redirectURL",
];

/// Keys that hold names or fingerprints, never secret values.
const NAME_KEYS: &[&str] = &[
    "set_cookie_deletions",
    "setCookieDeletions",
    "cookie_path",
    "name",
    "key",
    "fp",
    "kind",
];

/// Response headers that explain an auth failure and carry no credential.
const DIAGNOSTIC_HEADERS: &[&str] = &[
    "www-authenticate",
    logout_lens_model::http::AUTH_CODE_HEADER,
    "date",
    "content-type",
];

/// Key fragments that mark a value as secret.
const SECRET_KEY_PARTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "xsrf",
    "apikey",
    "api_key",
    "credential",
    "bearer",
    "signature",
];

impl Scrubber {
    /// A scrubber whose placeholders fingerprint under `secret` (≥ 16 bytes).
    pub fn new(secret: &[u8]) -> Result<Self, ModelError> {
        Ok(Scrubber {
            redactor: Redactor::new(secret, RedactionOptions::default())?,
        })
    }

    /// The event's wire JSON, scrubbed.
    pub fn event(&self, event: &Event) -> Value {
        let mut v = serde_json::to_value(event).unwrap_or(Value::Null);
        self.value(None, &mut v);
        v
    }

    /// Scrubs any JSON value in place; `key` is the field it sits under.
    pub fn value(&self, key: Option<&str>, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.string(key, s),
            Value::Array(items) => {
                for item in items.iter_mut() {
                    self.value(key, item);
                }
            }
            Value::Object(map) => {
                if key.is_some_and(|k| k.eq_ignore_ascii_case("headers")) {
                    self.headers(map);
                } else {
                    for (k, item) in map.iter_mut() {
                        self.value(Some(k), item);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// HAR-style `[{name, value}]` arrays and `{name: value}` maps of headers.
    fn headers(&self, map: &mut Map<String, Value>) {
        let pair = map.get("name").and_then(Value::as_str).map(str::to_owned);
        if let (Some(name), Some(Value::String(value))) = (pair, map.get_mut("value")) {
            *value = self.header(&name, value);
            return;
        }
        for (name, value) in map.iter_mut() {
            match value {
                Value::String(s) => *s = self.header(name, s),
                other => self.value(Some(name), other),
            }
        }
    }

    /// One header value. The auth *diagnostics* headers are what a logout
    /// trace is for, so they pass (with free-text checks) even though their
    /// names sound secret.
    fn header(&self, name: &str, value: &str) -> String {
        let lname = name.to_ascii_lowercase();
        if DIAGNOSTIC_HEADERS.contains(&lname.as_str()) {
            return self.text(value);
        }
        if matches!(lname.as_str(), "location" | "referer" | "content-location") {
            return self.text(&redact_url(value));
        }
        self.text(&self.redactor.header(name, value))
    }

    fn string(&self, key: Option<&str>, s: &str) -> String {
        let Some(k) = key else { return self.text(s) };
        let lk = k.to_ascii_lowercase();
        if NAME_KEYS.contains(&k) || lk.ends_with("fp") {
            return self.text(s);
        }
        if matches!(
            lk.as_str(),
            "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
        ) {
            return self.redactor.header(k, s);
        }
        if URL_KEYS.contains(&k) {
            return self.text(&redact_url(s));
        }
        if lk.contains("email") {
            return self.redactor.email(s);
        }
        if SECRET_KEY_PARTS.iter().any(|p| lk.contains(p)) && !is_placeholder(s) {
            return self.redactor.placeholder(s);
        }
        self.text(s)
    }

    /// Free text (stack traces, messages): URLs inside it lose their query
    /// values, JWT-shaped and bearer credentials become placeholders.
    pub fn text(&self, s: &str) -> String {
        let s = redact_urls_in(s);
        let mut out = String::with_capacity(s.len());
        let mut bearer = false;
        for piece in split_keep(&s) {
            let word = piece.trim_matches(|c: char| !is_token_char(c));
            if !word.is_empty() && (looks_like_jwt(word) || (bearer && word.len() >= 8)) {
                out.push_str(&piece.replacen(word, &self.redactor.placeholder(word), 1));
            } else {
                out.push_str(piece);
            }
            if !piece.trim().is_empty() {
                bearer = piece.trim().eq_ignore_ascii_case("bearer");
            }
        }
        out
    }
}

fn is_placeholder(s: &str) -> bool {
    s.is_empty() || s.starts_with("[fp:") || s == logout_lens_model::redact::REDACTED
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/')
}

/// Splits into whitespace-separated pieces, keeping the separators attached.
fn split_keep(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '(' | ')' | '<' | '>');
        if space != in_space && i > start {
            out.push(&s[start..i]);
            start = i;
        }
        in_space = space;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// `xxx.yyy.zzz` with a base64url JSON header (`eyJ`).
fn looks_like_jwt(w: &str) -> bool {
    let w = w.trim_end_matches(['.', '=']);
    let parts: Vec<&str> = w.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].len() >= 2
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Applies [`redact_url`] to every `scheme://…` run inside free text.
fn redact_urls_in(s: &str) -> String {
    if !s.contains("://") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("://") {
        let scheme_start = rest[..pos]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = rest[pos..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | '`'))
            .map_or(rest.len(), |i| pos + i);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&redact_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JWT: &str =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXNlY3JldA";

    fn s() -> Scrubber {
        Scrubber::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn free_text_table() {
        let cases = [
            (
                format!("at f (https://a.test/app.js?access_token={JWT}:1:2)"),
                JWT,
            ),
            (format!("token is {JWT}."), JWT),
            (
                "Authorization: Bearer opaque-secret-123456".to_owned(),
                "opaque-secret-123456",
            ),
            (
                "see https://u:pw@a.test/x?sid=abc123def#frag=zz".to_owned(),
                "abc123def",
            ),
        ];
        for (input, secret) in cases {
            let out = s().text(&input);
            assert!(!out.contains(secret), "{input} -> {out}");
        }
        assert_eq!(
            s().text("plain words, nothing secret"),
            "plain words, nothing secret"
        );
    }

    #[test]
    fn unknown_kind_bodies_are_scrubbed_by_key() {
        let mut v = json!({
            "kind": "custom",
            "authorization": "Bearer rawsecretvalue1",
            "cookie": "sid=rawcookievalue; theme=dark",
            "headers": {"Set-Cookie": "sid=rawcookie2; Path=/", "Accept": "text/html"},
            "request": {"headers": [{"name": "X-Api-Key", "value": "rawkey123"}]},
            "refresh_token": "opaque-refresh-1",
            "user_email": "alice@example.com",
            "url": "/cb?code=rawcode1",
            "access_token_fp": "0123456789abcdef",
        });
        s().value(None, &mut v);
        let text = v.to_string();
        for secret in [
            "rawsecretvalue1",
            "rawcookievalue",
            "rawcookie2",
            "opaque-refresh-1",
            "alice@",
            "rawcode1",
            "rawkey123",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        // Structure and names stay debuggable.
        assert!(
            text.contains("sid=[fp:") && text.contains("theme=[fp:") && text.contains("text/html")
        );
        assert_eq!(v["access_token_fp"], "0123456789abcdef");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn text_never_panics_and_is_stable(s in "\\PC{0,200}") {
            let sc = Scrubber::new(&[1u8; 32]).unwrap();
            let once = sc.text(&s);
            // Scrubbing scrubbed text changes nothing more.
            prop_assert_eq!(sc.text(&once), once);
        }

        #[test]
        fn embedded_jwts_never_survive(
            before in "[a-z ]{0,20}",
            h in "[A-Za-z0-9_-]{4,20}",
            p in "[A-Za-z0-9_-]{8,40}",
            sig in "[A-Za-z0-9_-]{16,43}",
        ) {
            let jwt = format!("eyJ{h}.{p}.{sig}");
            let sc = Scrubber::new(&[1u8; 32]).unwrap();
            let out = sc.text(&format!("{before} {jwt} tail"));
            prop_assert!(!out.contains(&sig), "{}", out);
        }
    }
}
