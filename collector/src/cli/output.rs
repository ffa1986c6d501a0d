//! Printing: JSON or human text, colour only when wanted, and never a
//! control character from event data (see `logout_lens_collector::term`).

use std::io::{IsTerminal as _, Write as _};

use logout_lens_collector::term;
use serde::Serialize;

use super::ColorChoice;

/// How results are printed.
pub(crate) struct Out {
    pub(crate) json: bool,
    color: bool,
}

impl Out {
    pub(crate) fn new(json: bool, choice: ColorChoice) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // https://no-color.org: present and non-empty disables colour.
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Out {
            json,
            color: color && !json,
        }
    }

    /// One JSON document on stdout (pretty).
    pub(crate) fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        writeln!(std::io::stdout().lock(), "{}", term::escape_json(&text))?;
        Ok(())
    }

    /// One JSON document on one line (`tail --json`).
    pub(crate) fn json_line<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string(value)?;
        writeln!(std::io::stdout().lock(), "{}", term::escape_json(&text))?;
        Ok(())
    }

    /// One line on stdout. Data in it was escaped where it was formatted
    /// ([`safe`]); this pass makes sure nothing but this program's own
    /// colours reaches the terminal.
    pub(crate) fn line(&self, text: &str) -> anyhow::Result<()> {
        let text = if self.color {
            term::escape_keeping_colour(text)
        } else {
            term::escape(text)
        };
        writeln!(std::io::stdout().lock(), "{text}")?;
        Ok(())
    }

    /// An error on stderr, one line, escaped.
    pub(crate) fn error(&self, message: &str) {
        eprintln!("logout-lens: {}", term::escape(message));
    }

    pub(crate) fn red(&self, s: &str) -> String {
        self.paint("31;1", s)
    }

    pub(crate) fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }

    pub(crate) fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    pub(crate) fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{}\x1b[0m", term::escape(s))
        } else {
            s.to_owned()
        }
    }
}

/// Event data (or anything else a page or a file name could choose) as it
/// may be put into a line: control characters written out.
pub(crate) fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    term::escape(s)
}
