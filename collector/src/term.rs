//! Terminal safety: event data is written by web pages, so nothing from it may
//! reach a terminal as a control sequence. ESC starts colour changes, cursor
//! moves and OSC commands (window titles, clipboard writes, hyperlinks); CR
//! and backspace overwrite what was printed; C1 controls act like ESC on many
//! terminals; bidi overrides reorder what is shown (a line that reads as one
//! thing and is another).
//!
//! [`escape`] is the one escaper for text; [`escape_json`] does the same for
//! serialized JSON with JSON's own `\uXXXX` escapes.

use std::borrow::Cow;

/// Characters that change how a terminal shows text rather than being shown.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() // C0 (including ESC, CR, LF, TAB, BS), DEL and C1
        || matches!(c,
            '\u{061C}'              // ARABIC LETTER MARK
            | '\u{200E}' | '\u{200F}' // LRM, RLM
            | '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
            | '\u{2066}'..='\u{2069}' // LRI, RLI, FSI, PDI
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
        )
}

/// Text with every [`is_unsafe`] character written out: `\n`, `\r`, `\t`,
/// `\x1b` for the other ASCII controls, `\u{202e}` for the rest. Everything
/// else, backslashes included, is kept, so the output is idempotent.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_unsafe(c) && c.is_ascii() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Like [`escape`], but keeps the colour sequences (`ESC [ digits/; m`) this
/// program adds itself. Data never reaches here with an ESC of its own: it is
/// escaped where it is formatted, and this pass is the net under that.
pub fn escape_keeping_colour(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let sgr = sgr_len(rest);
        if sgr > 0 {
            out.push_str(&rest[..sgr]);
            rest = &rest[sgr..];
        } else {
            push_escaped(&mut out, c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Cow::Owned(out)
}

/// The length of an SGR (colour) sequence at the start of `s`, or 0.
fn sgr_len(s: &str) -> usize {
    let Some(params) = s.strip_prefix("\x1b[") else {
        return 0;
    };
    let n = params
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    if params[n..].starts_with('m') {
        2 + n + 1
    } else {
        0
    }
}

/// Serialized JSON with every [`is_unsafe`] character that serde_json leaves
/// raw (DEL, C1, bidi controls, separators) written as a JSON `\uXXXX` escape,
/// so the text still parses to the same value. Line breaks and indentation of
/// pretty-printed JSON are layout, not data, and are kept.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    let unsafe_in_json = |c: char| is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r' | ' ');
    if !json.chars().any(unsafe_in_json) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if unsafe_in_json(c) {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases = [
            ("plain text, C:\\path", "plain text, C:\\path"),
            ("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"),
            ("ok\rFAKE", "ok\\rFAKE"),
            ("a\nb\tc", "a\\nb\\tc"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("\u{7f}", "\\x7f"),
            ("user\u{202e}gpj.exe", "user\\u{202e}gpj.exe"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("héllo ✓", "héllo ✓"),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want, "{input:?}");
        }
        assert_eq!(
            escape_keeping_colour("\x1b[31;1mlogout\x1b[0m \x1b]8;;x\x1b\\"),
            "\x1b[31;1mlogout\x1b[0m \\x1b]8;;x\\x1b\\"
        );
        let json = serde_json::to_string("a\u{9b}b\u{202e}\x1b").unwrap();
        assert_eq!(escape_json(&json), r#""a\u009bb\u202e\u001b""#);
    }

    proptest! {
        #[test]
        fn escaped_text_is_safe_and_stable(s in "\\PC*|[\\x00-\\x1f\\x7f\u{80}-\u{9f}\u{202a}-\u{202e}\u{2066}-\u{2069}a\\\\]*") {
            let once = escape(&s);
            prop_assert!(!once.chars().any(is_unsafe), "{:?}", once);
            prop_assert_eq!(escape(&once), once.clone());
            let kept = escape_keeping_colour(&s);
            prop_assert!(!kept.chars().any(|c| is_unsafe(c) && c != '\x1b'));
        }

        #[test]
        fn escaped_json_is_safe_and_the_same_value(s in "\\PC*|[\\x00-\\x1f\\x7f\u{80}-\u{9f}\u{202a}-\u{202e}\u{2066}-\u{2069}a\"\\\\]*") {
            for json in [serde_json::to_string(&s).unwrap(), serde_json::to_string_pretty(&[&s]).unwrap()] {
                let safe = escape_json(&json);
                prop_assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'));
                let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
                let orig: serde_json::Value = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(back, orig);
            }
        }
    }
}
