//! Free text: stack traces, messages, notes, labels — anything whose meaning
//! is not known. Secrets are found by their shape:
//!
//! - URLs (`scheme://…`) go through [`redact_url`];
//! - JWT-shaped runs become placeholders;
//! - `Authorization:`, `Cookie:` and `Set-Cookie:` lines lose their credential
//!   and cookie values (names and attributes kept);
//! - the credential after `Bearer`, `Basic`, `Negotiate` or `Token` becomes a
//!   placeholder (an auth-parameter such as `error="invalid_token"`, a word
//!   shorter than 8 characters, or a short lower-case word of prose, is not a
//!   credential);
//! - the value of a `name=value` pair whose name says it is a credential
//!   (`sessionid=…`, `password=…`, `x_token=…`; quoted too: `token="…"`,
//!   `"sessionid": "…"`) becomes a placeholder;
//! - e-mail addresses are masked unless the user opted in.
//!
//! Placeholders already in the text are kept as they are.

use std::borrow::Cow;

use super::shape::{is_secret_name, jwt_len_at};
use super::url::{mask_emails, redact_url};
use super::{Redactor, placeholder};

/// Header lines whose value is a credential or a cookie list, as they appear
/// in pasted requests and logs.
const HEADER_LINES: &[(&str, Line)] = &[
    ("proxy-authorization:", Line::Authorization),
    ("authorization:", Line::Authorization),
    ("set-cookie:", Line::SetCookie),
    ("cookie:", Line::Cookie),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Authorization,
    Cookie,
    SetCookie,
}

/// Authorization schemes whose next word is the credential (`Token` as some
/// frameworks send it, and as messages quote one: "token eyJ… is bad").
const CREDENTIAL_SCHEMES: &[&str] = &["bearer", "basic", "negotiate", "token"];

/// A credential after a scheme word is at least this long; shorter words are
/// prose or numbers ("the same refresh token 38 ms apart", "Bearer 2").
const MIN_CREDENTIAL: usize = 8;

impl Redactor {
    /// Free text with every secret shape replaced (see the module docs).
    /// Idempotent.
    pub fn scrub_text(&self, s: &str) -> String {
        self.text_cow(s).into_owned()
    }

    /// [`Redactor::scrub_text`] without a copy when nothing changes (the
    /// common case: most strings hold nothing any rule acts on).
    pub(super) fn text_cow<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if !may_hold_secret(s) {
            return Cow::Borrowed(s);
        }
        let out = super::fixed_point(s, |t| self.text_pass(t), |t| self.placeholder(t));
        if out == s {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(out)
        }
    }

    fn text_pass(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            let rest = &s[i..];
            let prev = out.chars().next_back();
            // The first rule that recognises something here takes it.
            let taken = if let Some(n) = placeholder::len_at(rest) {
                out.push_str(&rest[..n]);
                Some(n)
            } else if let Some(n) = url_len_at(rest, prev) {
                out.push_str(&redact_url(&rest[..n]));
                Some(n)
            } else if let Some(n) = jwt_len_at(rest) {
                out.push_str(&self.placeholder(&rest[..n]));
                Some(n)
            } else {
                self.header_line_at(rest, prev, &mut out)
                    .or_else(|| self.credential_at(rest, prev, &mut out))
                    .or_else(|| self.secret_pair_at(rest, prev, &mut out))
            };
            match taken {
                Some(n) => i += n,
                None => {
                    let c = rest.chars().next().unwrap_or('\0');
                    out.push(c);
                    i += c.len_utf8();
                }
            }
        }
        if self.options.keep_email {
            out
        } else {
            mask_emails(&out).into_owned()
        }
    }

    /// `Authorization: …`, `Cookie: …`, `Set-Cookie: …` up to the end of the line.
    fn header_line_at(&self, rest: &str, prev: Option<char>, out: &mut String) -> Option<usize> {
        if prev.is_some_and(|c| c.is_alphanumeric() || c == '-') {
            return None;
        }
        let (prefix, line) = HEADER_LINES.iter().find(|(p, _)| starts_with_ci(rest, p))?;
        let tail_end = rest[prefix.len()..]
            .find(['\n', '\r'])
            .map_or(rest.len(), |e| prefix.len() + e);
        let tail = &rest[prefix.len()..tail_end];
        out.push_str(&rest[..prefix.len()]);
        out.push_str(&match line {
            Line::Authorization => self.authorization(tail),
            Line::Cookie => self.cookie_list(tail, false),
            Line::SetCookie => self.cookie_list(tail, true),
        });
        Some(tail_end)
    }

    /// The credential after `Bearer ` or `Basic `.
    fn credential_at(&self, rest: &str, prev: Option<char>, out: &mut String) -> Option<usize> {
        if prev.is_some_and(char::is_alphanumeric) {
            return None;
        }
        let scheme = CREDENTIAL_SCHEMES
            .iter()
            .find(|s| starts_with_ci(rest, s))?
            .len();
        let gap = rest[scheme..]
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        if gap == 0 {
            return None;
        }
        let start = scheme + gap;
        let cred_len = rest[start..]
            .bytes()
            .take_while(|&b| is_token68_byte(b))
            .count();
        let cred = &rest[start..start + cred_len];
        let unpadded = cred.trim_end_matches('=');
        // `error=invalid_token` or `realm="api"`: an auth-parameter, not a credential.
        let param = unpadded.contains('=')
            || (unpadded.len() < cred.len() && rest[start + cred_len..].starts_with('"'));
        let scheme_word = CREDENTIAL_SCHEMES.contains(&unpadded.to_ascii_lowercase().as_str());
        if unpadded.len() < MIN_CREDENTIAL || param || scheme_word || is_prose_word(unpadded) {
            return None;
        }
        out.push_str(&rest[..start]);
        out.push_str(&self.placeholder(cred));
        Some(start + cred_len)
    }

    /// `sessionid=…`, `password=…`: a pair whose name says its value is a
    /// credential. Also quoted as data is (`token="…"`, `sid='…'`,
    /// `"password": "…"`); after a colon only a quoted value counts (`token:
    /// expired` is prose).
    fn secret_pair_at(&self, rest: &str, prev: Option<char>, out: &mut String) -> Option<usize> {
        if prev.is_some_and(is_name_char) {
            return None;
        }
        let name_quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''));
        let name_start = name_quote.map_or(0, char::len_utf8);
        let body = &rest[name_start..];
        let name_len = body.find(|c: char| !is_name_char(c)).unwrap_or(body.len());
        if name_len == 0 {
            return None;
        }
        let name = &body[..name_len];
        let mut sep = name_start + name_len;
        if let Some(q) = name_quote {
            if !rest[sep..].starts_with(q) {
                return None;
            }
            sep += 1;
        }
        let colon = match rest[sep..].chars().next() {
            Some('=') => false,
            Some(':') => true,
            _ => return None,
        };
        // A token glued to the name is the JWT rule's, further on.
        if !is_secret_name(name) || name.contains("eyJ") {
            return None;
        }
        let start = sep
            + 1
            + if colon {
                rest[sep + 1..].bytes().take_while(|&b| b == b' ').count()
            } else {
                0
            };
        // Already a placeholder, or a value a URL's redaction left
        // (`;csrf=REDACTED/next/segment`): let the scan go on.
        let after = &rest[start..];
        let redacted_mark = after.strip_prefix(super::REDACTED).is_some_and(|tail| {
            !tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        if placeholder::len_at(after).is_some() || redacted_mark {
            return None;
        }
        // A quoted value (an auth-parameter's quoted-string, a JSON string)
        // is what is between the quotes, up to the closing one.
        if let Some(q) = after.chars().next().filter(|c| matches!(c, '"' | '\'')) {
            let quoted = &after[1..];
            let value_len = quoted_len(quoted, q);
            let value = &quoted[..value_len];
            // A closing quote glued to a word is not one (`x='a b='c'`):
            // another pair's quote, which its own rule reads.
            let glued = quoted[value_len..]
                .chars()
                .nth(1)
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            if value.is_empty() || glued || super::is_redaction_mark(value) {
                return None;
            }
            out.push_str(&rest[..=start]);
            out.push_str(&self.placeholder(value));
            return Some(start + 1 + value_len);
        }
        if colon {
            return None;
        }
        let value_len = rest[start..]
            .find(|c: char| c.is_whitespace() || "&;,\"'<>(){}`".contains(c))
            .unwrap_or(rest.len() - start);
        let value = &rest[start..start + value_len];
        if value.is_empty() {
            return None;
        }
        out.push_str(&rest[..start]);
        out.push_str(&self.placeholder(value));
        Some(start + value_len)
    }

    /// An `Authorization` value: the scheme is kept, the credential becomes a
    /// placeholder; surrounding whitespace is kept as it was.
    pub(super) fn authorization(&self, value: &str) -> String {
        let body = value.trim();
        if body.is_empty() || super::is_redaction_mark(body) {
            return value.to_owned();
        }
        let lead = &value[..value.len() - value.trim_start().len()];
        let trail = &value[value.trim_end().len()..];
        let redacted = match body.split_once(char::is_whitespace) {
            Some((scheme, cred)) if is_scheme_name(scheme) => {
                let gap = &body[scheme.len()..body.len() - cred.trim_start().len()];
                format!("{scheme}{gap}{}", self.placeholder(cred.trim_start()))
            }
            None if CREDENTIAL_SCHEMES.contains(&body.to_ascii_lowercase().as_str()) => {
                body.to_owned()
            }
            _ => self.placeholder(body),
        };
        format!("{lead}{redacted}{trail}")
    }

    /// A `Cookie` list (every value redacted) or a `Set-Cookie` value (the
    /// first pair's value redacted, attributes scrubbed as text). Names,
    /// separators and whitespace are kept as they were.
    pub(super) fn cookie_list(&self, value: &str, set_cookie: bool) -> String {
        let mut out = String::with_capacity(value.len() + 32);
        for (i, part) in value.split(';').enumerate() {
            if i > 0 {
                out.push(';');
            }
            if set_cookie && i > 0 {
                out.push_str(&self.scrub_text(part));
                continue;
            }
            let (name, eq, val) = match part.split_once('=') {
                Some((n, v)) => (n, "=", v),
                None => ("", "", part),
            };
            out.push_str(&self.scrub_text(name));
            out.push_str(eq);
            let trimmed = val.trim();
            if trimmed.is_empty() {
                out.push_str(val);
            } else {
                let lead = &val[..val.len() - val.trim_start().len()];
                let trail = &val[val.trim_end().len()..];
                out.push_str(lead);
                out.push_str(&self.placeholder(trimmed));
                out.push_str(trail);
            }
        }
        out
    }
}

/// The length of a quoted value's content: up to its closing `quote` (a
/// backslash escapes the next character), or the end of the line when it is
/// not closed.
fn quoted_len(s: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\n' | '\r' => return i,
            c if c == quote => return i,
            _ => {}
        }
    }
    s.len()
}

/// The length of the `scheme://…` URL starting at `rest`, when a scheme starts
/// a word here. It ends at whitespace, a quote, `<`, `>`, `)` or a backtick.
fn url_len_at(rest: &str, prev: Option<char>) -> Option<usize> {
    if prev.is_some_and(is_scheme_char) {
        return None;
    }
    let scheme = rest
        .find(|c: char| !is_scheme_char(c))
        .unwrap_or(rest.len());
    if scheme == 0 || !rest[scheme..].starts_with("://") {
        return None;
    }
    let end = rest[scheme..]
        .find(|c: char| c.is_whitespace() || "\"'<>)`".contains(c))
        .map_or(rest.len(), |e| scheme + e);
    Some(end)
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// An auth scheme's name as schemes are named (`Bearer`, `AWS4-HMAC-SHA256`);
/// anything else in its place is treated as part of the credential.
fn is_scheme_name(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// RFC 7235 token68, the shape of a credential after its scheme.
fn is_token68_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// `Bearer tokens are…`, `token expired`: a short lower-case word after a
/// scheme name is prose, not a credential (credentials mix cases and digits).
fn is_prose_word(w: &str) -> bool {
    w.len() <= 12 && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Is all of `s` one URL as the text rules see it (so they leave a redacted
/// URL exactly as it is)?
pub(super) fn is_one_url(s: &str) -> bool {
    url_len_at(s, None) == Some(s.len())
}

/// A cheap check that lets most strings (ids, names, dates, plain words)
/// through without a scan: every rule needs one of these.
pub(super) fn may_hold_secret(s: &str) -> bool {
    let has_ci = |needle: &str| {
        s.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    s.bytes().any(|b| matches!(b, b'=' | b'@'))
        || (s.contains(':') && s.contains(['"', '\'']))
        || s.contains("://")
        || s.contains("eyJ")
        || (s.contains(':') && (has_ci("cookie:") || has_ci("authorization:")))
        || (s.contains([' ', '\t']) && CREDENTIAL_SCHEMES.iter().any(|scheme| has_ci(scheme)))
}

#[cfg(test)]
mod tests {
    use super::super::tests::redactor;
    use super::*;

    const JWT: &str =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXNlY3JldA";

    #[test]
    fn secrets_leave_free_text() {
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
                "header bearer\topaque-secret-99".to_owned(),
                "opaque-secret-99",
            ),
            (
                "see https://u:pw@a.test/x?sid=abc123def#frag=zz".to_owned(),
                "abc123def",
            ),
            (
                "Cookie: sessionid=rawCookie1; theme=dark".to_owned(),
                "rawCookie1",
            ),
            (
                "set-cookie: sid=rawCookie2; Path=/; HttpOnly".to_owned(),
                "rawCookie2",
            ),
            ("saw sessionid=rawCookie3 in a log".to_owned(), "rawCookie3"),
            ("password=hunter22&x=1".to_owned(), "hunter22"),
            // Found by the property test: a JWT inside a secret-sounding name.
            (".eyJ-.A.token=REDACTED".to_owned(), "eyJ-.A.token"),
            (
                "mail alice.smith@example.com now".to_owned(),
                "alice.smith@",
            ),
            (
                "at (https://a.test/#/reset/Zk3mQ9xT2vLp8RwY:3:1)".to_owned(),
                "Zk3mQ9xT2vLp8RwY",
            ),
            // Quoted values: an auth-parameter, JSON in a message, a shell line.
            (
                r#"Bearer realm="api", token="quotedRaw1 x", error="invalid_token""#.to_owned(),
                "quotedRaw1",
            ),
            (
                r#"body {"sessionid":"quotedRaw2"}"#.to_owned(),
                "quotedRaw2",
            ),
            (r#"password: "quotedRaw3""#.to_owned(), "quotedRaw3"),
            ("sessionid='quotedRaw4'".to_owned(), "quotedRaw4"),
            (
                r#"{'csrf_token': 'quotedRaw5\'s'}"#.to_owned(),
                "quotedRaw5",
            ),
        ];
        let r = redactor();
        for (input, secret) in cases {
            let out = r.scrub_text(&input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert_eq!(r.scrub_text(&out), out, "idempotent on {out}");
        }
    }

    #[test]
    fn what_a_diagnosis_reads_stays() {
        let r = redactor();
        for s in [
            "plain words, nothing secret",
            "Bearer error=\"invalid_token\", error_description=\"refresh token reused\"",
            "Bearer realm=\"api\", error=invalid_token, code=reused",
            "Bearer",
            "at refresh (https://a.test/static/app.js:120:9)",
            "Set-Cookie: sid=[fp:0123456789abcdef len:32]; Path=/; Max-Age=0",
            "Authorization: Bearer [fp:0123456789abcdef len:40]",
            "token_type=Bearer",
            "a***@example.com",
            "the session cookie expired at 10:00",
            "the refresh token expired; Bearer tokens are short-lived",
            "Two tabs sent the same refresh token 38 ms apart",
            "Bearer 2 of 3",
            "token: expired after 30 minutes",
            r#"{"error":"invalid_grant","error_description":"token expired"}"#,
        ] {
            assert_eq!(r.scrub_text(s), s);
        }
    }

    #[test]
    fn placeholders_are_not_nested() {
        // The issue-18 bug: each round trip wrapped the previous placeholder.
        let r = redactor();
        let once = r.scrub_text("Bearer opaque-secret-value1");
        assert_eq!(
            once,
            format!("Bearer {}", r.placeholder("opaque-secret-value1"))
        );
        let mut x = once.clone();
        for _ in 0..3 {
            x = r.scrub_text(&x);
        }
        assert_eq!(x, once);
        // Same fingerprint for the same token wherever it appears.
        assert_eq!(
            r.scrub_text(&format!("Authorization: Bearer {JWT}")),
            format!("Authorization: Bearer {}", r.placeholder(JWT))
        );
        assert_eq!(r.scrub_text(JWT), r.placeholder(JWT));
    }

    #[test]
    fn emails_kept_when_opted_in() {
        let open = Redactor::new(
            b"0123456789abcdef",
            super::super::RedactionOptions {
                keep_email: true,
                keep_sub: false,
            },
        )
        .unwrap();
        assert_eq!(
            open.scrub_text("to alice@example.com"),
            "to alice@example.com"
        );
    }
}
