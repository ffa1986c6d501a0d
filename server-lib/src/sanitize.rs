//! Untrusted text in log lines.
//!
//! Client-supplied values go into `tracing` events only as string **fields**
//! (`field = log_field(s)`), never into the message and never through `%` (Display) or `?`
//! (Debug) formatting. A subscriber records a string field as one quoted, escaped value:
//! `tracing_subscriber::fmt` writes `key="…"` with `"`, `\`, CR, LF, ESC, U+2028, bidi
//! controls and every other non-printable character escaped (Rust's `str` Debug form), the JSON
//! formatter a JSON string, logfmt-style layers a quoted value. So a value can neither end its
//! own field, nor add a forged `key=value`, nor start a new line or a terminal escape.

/// Longest field we put in a log line, in characters.
pub const MAX_LOG_FIELD: usize = 512;

/// `s` cut to [`MAX_LOG_FIELD`] characters (on a character boundary), without copying.
pub fn log_field(s: &str) -> &str {
    match s.char_indices().nth(MAX_LOG_FIELD) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// [`log_field`] of an optional value: `None` records no field at all.
pub fn log_opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(log_field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn caps_by_characters_not_bytes() {
        let long = "é".repeat(MAX_LOG_FIELD + 1);
        assert_eq!(log_field(&long), "é".repeat(MAX_LOG_FIELD));
        let exact = "a".repeat(MAX_LOG_FIELD);
        assert_eq!(log_field(&exact), exact);
        assert_eq!(log_field(""), "");
        assert_eq!(log_opt(&None), None);
    }

    proptest! {
        #[test]
        fn a_prefix_of_at_most_the_cap(s in any::<String>(), n in 0usize..3) {
            let s = s.repeat(n * 300 + 1);
            let out = log_field(&s);
            prop_assert!(s.starts_with(out));
            prop_assert_eq!(out.chars().count(), s.chars().count().min(MAX_LOG_FIELD));
        }
    }
}
