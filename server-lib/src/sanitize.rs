//! Make untrusted text safe for one log line.

/// Longest field we ever put in a log line, in characters.
pub const MAX_LOG_FIELD: usize = 512;

/// Escape every control character (CR, LF, ESC, NUL, U+2028, …) so a value can never start a
/// new log line or inject terminal escapes, and cap its length.
pub fn for_log(s: &str) -> String {
    LogSafe(s).to_string()
}

/// [`for_log`] as a `Display` value: written straight into the log line being formatted,
/// without a `String` per field. `None` shows as nothing.
#[derive(Clone, Copy)]
pub struct LogSafe<'a>(pub &'a str);

impl<'a> LogSafe<'a> {
    pub fn opt(s: &'a Option<String>) -> Self {
        LogSafe(s.as_deref().unwrap_or_default())
    }
}

impl std::fmt::Display for LogSafe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        let mut clean = 0;
        for (n, (i, c)) in self.0.char_indices().enumerate() {
            if n >= MAX_LOG_FIELD {
                f.write_str(&self.0[clean..i])?;
                return f.write_char('…');
            }
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                f.write_str(&self.0[clean..i])?;
                for e in c.escape_default() {
                    f.write_char(e)?;
                }
                clean = i + c.len_utf8();
            }
        }
        f.write_str(&self.0[clean..])
    }
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
        let long = "é".repeat(MAX_LOG_FIELD + 1);
        assert_eq!(
            for_log(&long),
            format!("{}…", "é".repeat(MAX_LOG_FIELD)),
            "capped by characters, not bytes"
        );
        assert_eq!(
            for_log(&"a".repeat(MAX_LOG_FIELD)),
            "a".repeat(MAX_LOG_FIELD)
        );
    }

    /// The escaper as it was first written (one `String` per field): the `Display` form must
    /// produce exactly the same text.
    fn reference(s: &str) -> String {
        let mut out = String::new();
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

    proptest! {
        #[test]
        fn never_contains_control_chars(s in any::<String>()) {
            let out = for_log(&s);
            let bad = out.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}');
            prop_assert!(!bad);
            prop_assert!(out.chars().count() <= MAX_LOG_FIELD * 12 + 1);
        }

        #[test]
        fn display_matches_the_reference(s in any::<String>(), n in 0usize..3) {
            let s = s.repeat(n * 200 + 1);
            prop_assert_eq!(LogSafe(&s).to_string(), reference(&s));
        }
    }
}
