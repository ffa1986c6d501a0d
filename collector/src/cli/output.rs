//! Printing: JSON or human text, colour only when wanted.

use std::io::{IsTerminal as _, Write as _};

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

    /// One JSON document on stdout.
    pub(crate) fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)?;
        writeln!(stdout)?;
        Ok(())
    }

    /// One line on stdout.
    pub(crate) fn line(&self, text: &str) -> anyhow::Result<()> {
        writeln!(std::io::stdout().lock(), "{text}")?;
        Ok(())
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
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}
