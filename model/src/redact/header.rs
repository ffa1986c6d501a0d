//! Header values and request/response bodies, redacted by what they are.

use super::Redactor;
use super::placeholder::is_redaction_mark;
use super::shape::is_secret_name;
use super::url::redact_pairs;

/// Response headers that explain an auth failure and carry no credential of
/// their own: they are what a logout trace is for, so they are scrubbed as
/// text (a token quoted in an `error_description` still goes) rather than
/// replaced, even though some of their names sound secret.
const DIAGNOSTIC_HEADERS: &[&str] = &[
    "www-authenticate",
    "proxy-authenticate",
    crate::http::AUTH_CODE_HEADER,
    "date",
    "content-type",
];

/// Headers whose value is a URL.
const URL_HEADERS: &[&str] = &["location", "content-location", "referer", "referrer"];

/// Header-name fragments that mark the whole value as a credential.
const SECRET_HEADER_PARTS: &[&str] = &[
    "token", "secret", "key", "session", "auth", "csrf", "xsrf", "password",
];

impl Redactor {
    /// Redact a header value by its name: credentials become placeholders
    /// (the `Authorization` scheme and cookie names and attributes are kept),
    /// URLs are redacted, `WWW-Authenticate` keeps its `error` and
    /// `error_description`, everything else is scrubbed as text. Idempotent.
    pub fn header(&self, name: &str, value: &str) -> String {
        let lname = name.trim().to_ascii_lowercase();
        match lname.as_str() {
            "authorization" | "proxy-authorization" => self.authorization(value),
            "cookie" => self.cookie_list(value, false),
            "set-cookie" => self.cookie_list(value, true),
            n if URL_HEADERS.contains(&n) => self.url(value),
            n if DIAGNOSTIC_HEADERS.contains(&n) => self.scrub_text(value),
            n if is_secret_name(n) || SECRET_HEADER_PARTS.iter().any(|p| n.contains(p)) => {
                self.placeholder(value)
            }
            _ => self.scrub_text(value),
        }
    }

    /// An `X-Auth-Error-Code` value: a short code (`expired`,
    /// `invalid_grant`) is the server's reason and stays; anything else
    /// (a JWT, in any letter case, or an opaque token a misbehaving server
    /// put there) becomes one placeholder. Idempotent.
    pub fn auth_code(&self, value: &str) -> String {
        let scrubbed = self.scrub_text(value);
        if is_redaction_mark(scrubbed.trim()) || looks_like_code(&scrubbed) {
            scrubbed
        } else {
            self.placeholder(&scrubbed)
        }
    }

    /// Redact a request/response body. JSON keeps its keys and structure
    /// (strings become placeholders, numbers and booleans stay); form bodies
    /// keep their names; anything else becomes its length.
    pub fn body(&self, content_type: Option<&str>, body: &str) -> String {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if ct.contains("json") || (ct.is_empty() && body.trim_start().starts_with(['{', '['])) {
            if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(body.as_bytes()) {
                self.strings_to_placeholders(&mut v);
                // Not `v.to_string()`: `Display` carries the pretty printer too.
                return serde_json::to_string(&v).unwrap_or_default();
            }
        }
        if ct.contains("x-www-form-urlencoded") {
            return redact_pairs(body, '&');
        }
        format!("[{} bytes redacted]", body.len())
    }

    fn strings_to_placeholders(&self, v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::String(s) => *s = self.placeholder(s),
            Value::Array(items) => items
                .iter_mut()
                .for_each(|i| self.strings_to_placeholders(i)),
            Value::Object(m) => m.values_mut().for_each(|i| self.strings_to_placeholders(i)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// A stable error code as servers send them: at most 48 characters of
/// letters, digits and `_ - . :`, not a JWT (`eyJ…` in any case), and no
/// 16-character run of letters mixed with digits (a random value).
fn looks_like_code(s: &str) -> bool {
    let ok_chars = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b));
    let jwt = s
        .as_bytes()
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"eyj"));
    let random = s.split(|c: char| !c.is_ascii_alphanumeric()).any(|run| {
        run.len() >= 16
            && run.bytes().any(|b| b.is_ascii_digit())
            && run.bytes().any(|b| b.is_ascii_alphabetic())
    });
    !s.is_empty() && s.len() <= 48 && ok_chars && !jwt && !random
}

#[cfg(test)]
mod tests {
    use super::super::tests::redactor;

    #[test]
    fn headers_keep_names_drop_values() {
        let r = redactor();
        let auth = r.header("Authorization", "Bearer sekrit");
        assert!(auth.starts_with("Bearer [fp:") && !auth.contains("sekrit"));
        let cookie = r.header("Cookie", "sid=sekritvalue; theme=dark");
        assert!(cookie.starts_with("sid=[fp:") && cookie.contains("; theme=[fp:"));
        assert!(!cookie.contains("sekritvalue"));
        let set = r.header("Set-Cookie", "sid=sekritvalue; Path=/; HttpOnly; Max-Age=0");
        assert!(set.ends_with("; Path=/; HttpOnly; Max-Age=0") && !set.contains("sekritvalue"));
        assert_eq!(r.header("Content-Type", "text/html"), "text/html");
        assert!(r.header("X-CSRF-Token", "zzz").starts_with("[fp:"));
        assert_eq!(
            r.header("Location", "https://a.test/cb?code=abc"),
            "https://a.test/cb?code=REDACTED"
        );
        for (name, value) in [
            ("Authorization", auth.as_str()),
            ("Cookie", cookie.as_str()),
            ("Set-Cookie", set.as_str()),
        ] {
            assert_eq!(r.header(name, value), value, "idempotent {name}");
        }
    }

    #[test]
    fn www_authenticate_keeps_the_servers_reason() {
        let r = redactor();
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        let v = format!(
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token {jwt} reused\", code=\"reused\""
        );
        let out = r.header("WWW-Authenticate", &v);
        assert!(!out.contains(jwt), "{out}");
        let ch = crate::http::parse_www_authenticate(&out);
        assert_eq!(ch.param("error"), Some("invalid_token"));
        assert_eq!(ch.param("code"), Some("reused"));
        assert!(ch.param("error_description").unwrap().ends_with(" reused"));
        assert_eq!(
            r.header("WWW-Authenticate", "Negotiate a87421000492aa874209af8bc028"),
            format!(
                "Negotiate {}",
                r.placeholder("a87421000492aa874209af8bc028")
            ),
            "a token68 credential in a challenge is one"
        );
    }

    #[test]
    fn a_quoted_credential_param_in_a_challenge_goes() {
        let r = redactor();
        for (v, raw) in [
            ("Bearer token=\"RAWSECRETVALUE123\"", "RAWSECRETVALUE123"),
            (
                "Bearer realm=\"x\", token=\"RAW SECRET\\\" 123\", error=\"invalid_token\"",
                "RAW SECRET",
            ),
            (
                "Bearer session_id=\"opaque-42\", error=\"invalid_token\"",
                "opaque-42",
            ),
        ] {
            let out = r.header("WWW-Authenticate", v);
            assert!(!out.contains(raw), "{v} -> {out}");
            assert_eq!(r.header("WWW-Authenticate", &out), out, "idempotent");
            assert_eq!(r.scrub_text(&out), out, "idempotent as text");
        }
        let out = r.header(
            "WWW-Authenticate",
            "Bearer realm=\"x\", token=\"RAWSECRETVALUE123\", error=\"invalid_token\"",
        );
        let ch = crate::http::parse_www_authenticate(&out);
        assert_eq!(ch.param("realm"), Some("x"));
        assert_eq!(ch.param("error"), Some("invalid_token"));
        assert_eq!(
            ch.param("token").map(String::from),
            Some(r.placeholder("RAWSECRETVALUE123")),
            "the param keeps its name and quotes; its value is the placeholder"
        );
    }

    #[test]
    fn an_auth_error_code_that_is_a_token_becomes_a_placeholder() {
        let r = redactor();
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        for v in [
            jwt.to_owned(),
            jwt.to_ascii_lowercase(),
            jwt[..30].to_ascii_lowercase(),
            "a87421000492aa874209af8bc028".to_owned(),
        ] {
            let out = r.auth_code(&v);
            assert!(
                super::super::is_placeholder(&out),
                "{v} -> {out:?}: a placeholder, not the value and not empty"
            );
            assert_eq!(r.auth_code(&out), out, "idempotent");
            assert_eq!(out.to_ascii_lowercase(), out, "lower-casing keeps it");
        }
        for code in [
            "reused",
            "Expired",
            "invalid_grant",
            "session_revoked",
            "e401",
        ] {
            assert_eq!(r.auth_code(code), code, "a code is the server's reason");
        }
    }

    #[test]
    fn bodies_keep_structure() {
        let r = redactor();
        let b = r.body(
            Some("application/json"),
            r#"{"refresh":"rt-secret","n":3,"ok":true}"#,
        );
        assert!(b.contains("\"refresh\"") && b.contains("\"n\":3") && !b.contains("rt-secret"));
        assert_eq!(r.body(Some("application/json"), &b), b, "idempotent");
        assert_eq!(
            r.body(Some("application/x-www-form-urlencoded"), "a=1&b=2"),
            "a=REDACTED&b=REDACTED"
        );
        assert_eq!(r.body(Some("text/plain"), "hello"), "[5 bytes redacted]");
    }
}
