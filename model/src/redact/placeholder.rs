//! The placeholder that stands for a redacted value in text:
//! `[fp:<16 hex> len:<bytes>]`. Recognising it is what makes every scrub
//! idempotent: a placeholder is never fingerprinted again.

use super::{Fingerprint, REDACTED};

const OPEN: &str = "[fp:";
const FP_LEN: usize = 16;
/// `u32::MAX` has 10 digits.
const MAX_LEN_DIGITS: usize = 10;

/// `[fp:<fp> len:<len>]`.
pub(super) fn format(fp: &Fingerprint, len: usize) -> String {
    format!("{OPEN}{fp} len:{len}]")
}

/// The byte length of the placeholder at the start of `s`, if one starts there.
pub(super) fn len_at(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !s.starts_with(OPEN) {
        return None;
    }
    let mut i = OPEN.len();
    let hex_end = i + FP_LEN;
    if b.len() < hex_end || !b[i..hex_end].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    i = hex_end;
    if !s[i..].starts_with(" len:") {
        return None;
    }
    i += " len:".len();
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > MAX_LEN_DIGITS {
        return None;
    }
    // The length is a `u32` (what a redacted token carries).
    s[i..i + digits].parse::<u32>().ok()?;
    i += digits;
    (b.get(i) == Some(&b']')).then_some(i + 1)
}

/// Is the whole of `s` one placeholder?
pub fn is_placeholder(s: &str) -> bool {
    len_at(s) == Some(s.len())
}

/// Is `s` a mark some redaction left: a placeholder, `REDACTED` or `:REDACTED`?
pub fn is_redaction_mark(s: &str) -> bool {
    s == REDACTED || s.strip_prefix(':') == Some(REDACTED) || is_placeholder(s)
}

/// The fingerprint and length a placeholder carries.
pub fn parse_placeholder(s: &str) -> Option<(&str, u32)> {
    if !is_placeholder(s) {
        return None;
    }
    let fp = &s[OPEN.len()..OPEN.len() + FP_LEN];
    let len = s[OPEN.len() + FP_LEN + " len:".len()..s.len() - 1]
        .parse()
        .ok()?;
    Some((fp, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognised_table() {
        let cases: &[(&str, Option<usize>)] = &[
            ("[fp:0123456789abcdef len:19]", Some(28)),
            ("[fp:0123456789abcdef len:19] tail", Some(28)),
            ("[fp:0123456789ABCDEF len:1]", Some(27)),
            ("[fp:0123456789abcde len:19]", None),
            ("[fp:0123456789abcdefg len:19]", None),
            ("[fp:0123456789abcdef len:]", None),
            ("[fp:0123456789abcdef len:12345678901]", None),
            ("[fp:0123456789abcdef len:4294967296]", None),
            ("[fp:0123456789abcdef len:19", None),
            ("[fp:0123456789abcdef  len:19]", None),
            ("x[fp:0123456789abcdef len:19]", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(len_at(s), *want, "{s}");
        }
        assert_eq!(
            parse_placeholder("[fp:0123456789abcdef len:19]"),
            Some(("0123456789abcdef", 19))
        );
        assert_eq!(
            parse_placeholder("[fp:0123456789abcdef len:4294967295]"),
            Some(("0123456789abcdef", u32::MAX))
        );
        assert!(is_redaction_mark("REDACTED") && is_redaction_mark(":REDACTED"));
        assert!(!is_redaction_mark("REDACTED!"));
    }
}
