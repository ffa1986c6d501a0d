//! URLs: keep what a diagnosis needs (scheme, host, path shape, parameter
//! names), drop what can carry a credential.

use std::borrow::Cow;

use super::REDACTED;
use super::shape::{contains_jwt, email_local_len, is_local_char, jwt_len_at};

/// Keep scheme, host and path; drop userinfo; replace
///
/// - every query value, and every query part without `=`, by `REDACTED`
///   (names kept: `?code=REDACTED&REDACTED`);
/// - every path parameter's value (`;jsessionid=REDACTED`);
/// - path segments that look like tokens (a JWT, or 16+ letters and digits
///   mixed) by `:REDACTED`;
/// - the fragment: `name=value` pairs like the query, a client-side route
///   (`#/reset/…`, `#!/…`) like a path with its own query, anything else
///   (`#TOKEN`) by `REDACTED`;
/// - any JWT left anywhere by `REDACTED`, and e-mail addresses by their mask
///   (`a***@example.com`).
///
/// Idempotent: a redacted URL comes out unchanged.
pub fn redact_url(url: &str) -> String {
    redact_url_cow(url).into_owned()
}

/// [`redact_url`] without a copy when nothing changes.
pub(super) fn redact_url_cow(url: &str) -> Cow<'_, str> {
    if is_plain(url) {
        return Cow::Borrowed(url);
    }
    let out = super::fixed_point(url, one_pass, |_| REDACTED.to_owned());
    if out == url {
        Cow::Borrowed(url)
    } else {
        Cow::Owned(out)
    }
}

/// Nothing any rule acts on: no userinfo, query, fragment, parameter, JWT or
/// e-mail, and no token-looking segment.
fn is_plain(url: &str) -> bool {
    !url.contains(['?', '#', '@', ';'])
        && !url.contains("eyJ")
        && !url.split('/').any(|seg| {
            let bare = &seg[..seg.len() - line_col_len(seg)];
            looks_secret_segment(bare)
        })
}

fn one_pass(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut out = String::with_capacity(url.len() + 16);
    let (scheme, rest) = match base.split_once("://") {
        Some((s, r)) if is_scheme(s) => (Some(s), r),
        _ => (None, base),
    };
    let path = match scheme {
        Some(s) => {
            out.push_str(s);
            out.push_str("://");
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            // Drop `user:password@`.
            out.push_str(
                authority
                    .rsplit_once('@')
                    .map_or(authority, |(_, host)| host),
            );
            path
        }
        None => rest,
    };
    push_path(&mut out, path);
    if let Some(q) = query {
        out.push('?');
        push_pairs(&mut out, q, '&');
    }
    if let Some(f) = fragment {
        out.push('#');
        push_fragment(&mut out, f);
    }
    sweep(&out)
}

/// `[A-Za-z][A-Za-z0-9+.-]*` (RFC 3986).
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

fn push_path(out: &mut String, path: &str) {
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let (main, params) = match seg.split_once(';') {
            Some((m, p)) => (m, Some(p)),
            None => (seg, None),
        };
        // A stack frame's `:line:col` is not part of the segment.
        let (bare, position) = main.split_at(main.len() - line_col_len(main));
        if looks_secret_segment(bare) {
            out.push(':');
            out.push_str(REDACTED);
            out.push_str(position);
        } else {
            out.push_str(main);
        }
        if let Some(p) = params {
            out.push(';');
            push_pairs(out, p, ';');
        }
    }
}

/// `name=value` pairs separated by `sep`, values redacted (see [`push_pairs`]).
pub(super) fn redact_pairs(s: &str, sep: char) -> String {
    let mut out = String::with_capacity(s.len());
    push_pairs(&mut out, s, sep);
    out
}

/// `name=value` → `name=REDACTED`; a part without `=` → `REDACTED`; empty
/// values and empty parts stay as they are.
fn push_pairs(out: &mut String, s: &str, sep: char) {
    for (i, pair) in s.split(sep).enumerate() {
        if i > 0 {
            out.push(sep);
        }
        match pair.split_once('=') {
            Some((n, v)) => {
                out.push_str(n);
                out.push('=');
                if !v.is_empty() {
                    out.push_str(REDACTED);
                }
            }
            None if pair.is_empty() => {}
            None => out.push_str(REDACTED),
        }
    }
}

fn push_fragment(out: &mut String, f: &str) {
    let route = f
        .strip_prefix('/')
        .map(|r| ("/", r))
        .or_else(|| f.strip_prefix("!/").map(|r| ("!/", r)));
    if let Some((prefix, route)) = route {
        out.push_str(prefix);
        let (path, query) = match route.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (route, None),
        };
        push_path(out, path);
        if let Some(q) = query {
            out.push('?');
            push_pairs(out, q, '&');
        }
    } else if f.contains('=') {
        push_pairs(out, f, '&');
    } else if !f.is_empty() {
        out.push_str(REDACTED);
    }
}

/// The length of a trailing `:12` or `:12:7` (a stack frame's line and column).
fn line_col_len(seg: &str) -> usize {
    let mut len = 0;
    for _ in 0..2 {
        let rest = &seg[..seg.len() - len];
        let digits = rest.bytes().rev().take_while(u8::is_ascii_digit).count();
        if digits == 0 || !rest[..rest.len() - digits].ends_with(':') {
            break;
        }
        len += digits + 1;
    }
    len
}

/// JWTs and long opaque strings in a path are almost always credentials
/// (reset links, magic links, Django's `uidb64/token`).
fn looks_secret_segment(seg: &str) -> bool {
    contains_jwt(seg)
        || (seg.len() >= 16
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && seg.bytes().any(|b| b.is_ascii_digit())
            && seg.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// Whatever the structure let through: JWTs become `REDACTED`, e-mail
/// addresses their mask.
fn sweep(s: &str) -> String {
    let out = replace_jwts(s, |_| Cow::Borrowed(REDACTED));
    mask_emails(&out).into_owned()
}

/// Replaces every JWT-shaped run by what `with` makes of it.
pub(super) fn replace_jwts<'a>(s: &str, with: impl Fn(&str) -> Cow<'a, str>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("eyJ") {
        match jwt_len_at(&rest[pos..]) {
            Some(n) => {
                out.push_str(&rest[..pos]);
                out.push_str(&with(&rest[pos..pos + n]));
                rest = &rest[pos + n..];
            }
            None => {
                out.push_str(&rest[..pos + 3]);
                rest = &rest[pos + 3..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `alice@example.com` → `a***@example.com`, wherever an address appears.
pub(super) fn mask_emails(s: &str) -> Cow<'_, str> {
    if !s.contains('@') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut word_start = 0;
    for (i, c) in s.char_indices() {
        if !is_local_char(c) {
            if c == '@' {
                if let Some(local) = email_local_len(&s[word_start..]) {
                    if word_start + local == i {
                        let first = s[word_start..].chars().next().unwrap_or('*');
                        out.truncate(out.len() - local);
                        out.push(first);
                        out.push_str("***");
                    }
                }
            }
            word_start = i + c.len_utf8();
        }
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

    #[test]
    fn url_table() {
        let magic = format!("https://a.test/magic/{JWT}");
        let cases = [
            (
                "https://a.test/p?x=1&y=&z",
                "https://a.test/p?x=REDACTED&y=&REDACTED",
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
            (
                "/reset/MQ/c1v4m2-3f8e2a9d4b6c1e7f0a5d/",
                "/reset/MQ/:REDACTED/",
            ),
            ("/api/users/42/profile", "/api/users/42/profile"),
            ("/api/v1/items", "/api/v1/items"),
            ("https://a.test", "https://a.test"),
            // The bugs of issue 18, one row each.
            (
                "https://a.test/app;jsessionid=0A1B2C3D4E5F6A7B",
                "https://a.test/app;jsessionid=REDACTED",
            ),
            (
                "https://a.test/x;v=1;flag/y",
                "https://a.test/x;v=REDACTED;REDACTED/y",
            ),
            (
                "https://a.test/#/reset/abc123",
                "https://a.test/#/reset/abc123",
            ),
            (
                "https://a.test/#/reset/Zk3mQ9xT2vLp8RwY",
                "https://a.test/#/reset/:REDACTED",
            ),
            (
                "https://a.test/#!/verify?t=abc",
                "https://a.test/#!/verify?t=REDACTED",
            ),
            (
                "https://a.test/login#TOKEN",
                "https://a.test/login#REDACTED",
            ),
            (
                "https://a.test/verify?s3cr3tv4lue",
                "https://a.test/verify?REDACTED",
            ),
            (&magic, "https://a.test/magic/:REDACTED"),
            (
                "https://a.test/u/alice@example.com/x",
                "https://a.test/u/a***@example.com/x",
            ),
            ("mailto:alice@example.com", "mailto:a***@example.com"),
            ("", ""),
            ("?", "?"),
            ("#", "#"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_url(input), want, "{input}");
            assert_eq!(redact_url(want), want, "idempotent on {want}");
        }
    }

    #[test]
    fn emails_masked_anywhere() {
        assert_eq!(
            mask_emails("to alice@x.io, b@y.org."),
            "to a***@x.io, b***@y.org."
        );
        assert_eq!(mask_emails("a***@x.io"), "a***@x.io");
        assert_eq!(mask_emails("user@localhost"), "user@localhost");
    }
}
