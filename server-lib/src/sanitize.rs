//! Make untrusted text safe for one log line.

/// Longest field we ever put in a log line, in characters.
pub const MAX_LOG_FIELD: usize = 512;

/// Escape every control character (CR, LF, ESC, NUL, U+2028, …) so a value can never start a
/// new log line or inject terminal escapes, and cap its length.
pub fn for_log(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_LOG_FIELD) + 8);
    for (n, c) in s.chars().enumerate() {
        if n >= MAX_LOG_FIELD {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        for (input, want) in [
            ("plain", "plain"),
            ("a\nb", "a\\nb"),
            ("a\r\nINFO forged", "a\\r\\nINFO forged"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("x\u{2028}y", "x\\u{2028}y"),
        ] {
            assert_eq!(for_log(input), want);
        }
    }

    proptest! {
        #[test]
        fn never_contains_control_chars(s in any::<String>()) {
            let out = for_log(&s);
            let bad = out.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}');
            prop_assert!(!bad);
            prop_assert!(out.chars().count() <= MAX_LOG_FIELD * 12 + 1);
        }
    }
}
