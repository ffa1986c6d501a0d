//! Progress on stderr for commands that take a while (import, export,
//! report, prune): shown only when stderr is a terminal, never with
//! `--json`, and only once the command has run for about a second, so quick
//! runs and pipes stay quiet.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Out;

/// How long a command runs before its progress appears.
const AFTER: Duration = Duration::from_secs(1);

/// A progress bar that appears when it is worth showing.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    enabled: bool,
    start: Instant,
    total: Option<u64>,
    what: &'static str,
    bytes: bool,
    calls: u32,
}

impl Progress {
    /// Progress of `what` over `total` units (events, or bytes with `bytes`).
    pub(crate) fn new(out: &Out, what: &'static str, total: Option<u64>, bytes: bool) -> Self {
        Progress {
            bar: None,
            enabled: !out.json && std::io::stderr().is_terminal(),
            start: Instant::now(),
            total,
            what,
            bytes,
            calls: 0,
        }
    }

    /// Whether a bar can appear at all (callers skip costly totals otherwise).
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// `done` units so far.
    pub(crate) fn set(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        if self.bar.is_none() {
            // Reading the clock on every event would cost more than the bar.
            self.calls = self.calls.wrapping_add(1);
            if self.calls % 1024 != 1 || self.start.elapsed() < AFTER {
                return;
            }
            self.bar = Some(self.make());
        }
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn make(&self) -> ProgressBar {
        let bar = match self.total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let units = if self.bytes {
            "{bytes}/{total_bytes}"
        } else {
            "{human_pos}/{human_len}"
        };
        let template = match self.total {
            Some(_) => format!("{{prefix}} [{{bar:30}}] {{percent:>3}}% {units} ({{eta}} left)"),
            None if self.bytes => "{prefix} {spinner} {bytes}".to_owned(),
            None => "{prefix} {spinner} {human_pos}".to_owned(),
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(self.what);
        bar
    }

    /// Clears the bar, if one was shown.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
