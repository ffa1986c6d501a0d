//! What secrets look like in text: JWTs, e-mail addresses, secret-sounding
//! names. The scrubbers act on these shapes and the property tests check for
//! them, so both share one definition.

/// base64url plus `=` padding: what a JWT part is made of.
fn is_jwt_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=')
}

/// The byte length of the JWT-shaped run starting at `s`, if one starts there:
/// `eyJ…` `.` a non-empty part `.` a part that may be empty (unsigned tokens),
/// then any further `.part` (JWE). Deliberately loose: anything shaped like a
/// token is treated as one.
pub(super) fn jwt_len_at(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !b.starts_with(b"eyJ") {
        return None;
    }
    let run = |from: usize| from + b[from..].iter().take_while(|&&c| is_jwt_byte(c)).count();
    let header_end = run(0);
    if b.get(header_end) != Some(&b'.') {
        return None;
    }
    let payload_end = run(header_end + 1);
    if payload_end == header_end + 1 || b.get(payload_end) != Some(&b'.') {
        return None;
    }
    let mut end = run(payload_end + 1);
    while b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(|&c| is_jwt_byte(c)) {
        end = run(end + 1);
    }
    Some(end)
}

/// Does `s` hold a JWT-shaped run anywhere?
pub fn contains_jwt(s: &str) -> bool {
    s.match_indices("eyJ")
        .any(|(i, _)| jwt_len_at(&s[i..]).is_some())
}

/// Characters of an e-mail address's local part (the common subset of RFC 5322).
pub(super) fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Does a domain (`label.label…`, at least one dot) start at `s`?
fn domain_at(s: &str) -> bool {
    let b = s.as_bytes();
    let first = b.iter().take_while(|&&c| is_label_byte(c)).count();
    first > 0 && b.get(first) == Some(&b'.') && b.get(first + 1).is_some_and(|&c| is_label_byte(c))
}

/// The byte length of the local part, when an e-mail address starts at `s`.
pub(super) fn email_local_len(s: &str) -> Option<usize> {
    let local = s
        .char_indices()
        .find(|&(_, c)| !is_local_char(c))
        .map_or(s.len(), |(i, _)| i);
    (local > 0 && s[local..].starts_with('@') && domain_at(&s[local + 1..])).then_some(local)
}

/// Does `s` hold an e-mail address anywhere (a local-part character, `@`, a
/// dotted domain)? A masked address (`u***@example.com`) does not count.
pub fn contains_email(s: &str) -> bool {
    s.match_indices('@').any(|(i, _)| {
        s[..i].chars().next_back().is_some_and(is_local_char) && domain_at(&s[i + 1..])
    })
}

/// Name fragments that mark a value as a credential.
const SECRET_PARTS: &[&str] = &[
    "token",
    "secret",
    "passw",
    "pwd",
    "session",
    "sessid",
    "csrf",
    "xsrf",
    "apikey",
    "api_key",
    "api-key",
    "credential",
    "cookie",
    "bearer",
    "signature",
    "jwt",
    "authorization",
    "private_key",
];

/// Whole names that are credentials.
const SECRET_NAMES: &[&str] = &[
    "sid",
    "auth",
    "key",
    "pass",
    "otp",
    "ticket",
    "code_verifier",
];

/// Endings of names that describe a credential without holding it
/// (`refresh_token_fp`, `cookie_path`, `token_type`, `session_expires`).
const DESCRIPTIVE_ENDINGS: &[&str] = &[
    "fp",
    "path",
    "name",
    "names",
    "domain",
    "deletions",
    "type",
    "kind",
    "count",
    "len",
    "length",
    "expires",
    "expiry",
    "exp",
    "ttl",
    "age",
];

/// Does a field, parameter or header name say its value is a credential?
pub(super) fn is_secret_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    if DESCRIPTIVE_ENDINGS.iter().any(|e| l.ends_with(e)) {
        return false;
    }
    SECRET_NAMES.contains(&l.as_str()) || SECRET_PARTS.iter().any(|p| l.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_shapes() {
        let cases: &[(&str, Option<usize>)] = &[
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", Some(41)),
            ("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", Some(36)),
            ("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. Next", Some(36)),
            ("eyJa.b.c.d.e rest", Some(12)),
            ("eyJa.b.c. end", Some(8)),
            ("eyJa..c", None),
            ("eyJa.b", None),
            ("eyJa", None),
            ("xeyJa.b.c", None),
        ];
        for (s, want) in cases {
            assert_eq!(jwt_len_at(s), *want, "{s}");
        }
        assert!(contains_jwt("at f (x.js?t=eyJa.b.c:1:2)"));
        assert!(!contains_jwt("eyJ alone"));
    }

    #[test]
    fn email_shapes() {
        assert_eq!(email_local_len("alice@example.com rest"), Some(5));
        assert_eq!(email_local_len("a.b+c@x.io"), Some(5));
        assert_eq!(email_local_len("alice@localhost"), None);
        assert_eq!(email_local_len("@example.com"), None);
        assert_eq!(email_local_len("alice@.com"), None);
        assert!(contains_email("mail (alice@example.com)"));
        assert!(!contains_email("mail a***@example.com"));
        assert!(!contains_email("user@localhost"));
    }

    #[test]
    fn secret_names() {
        for n in [
            "access_token",
            "refreshToken",
            "sessionid",
            "JSESSIONID",
            "sid",
            "X-Api-Key",
            "password",
            "client_secret",
            "Cookie",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "refresh_token_fp",
            "cookie_path",
            "token_type",
            "error",
            "error_description",
            "code",
            "state",
            "author",
            "set_cookie_deletions",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}
