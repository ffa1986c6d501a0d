//! export / import / imports / report: what leaves or enters the machine.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use logout_lens_collector::export::{ExportFilter, bundle, har, read_import};
use logout_lens_collector::report::render;
use logout_lens_collector::scrub::Scrubber;
use logout_lens_collector::store::{Filter, NewEvent, Store, now_ms};
use logout_lens_collector::units::{parse_time_ms, rfc3339_ms};
use serde_json::json;

use super::Out;
use super::data::find_diagnosis;

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Output file (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// HAR 1.2 of the network part instead of the trace bundle.
    #[arg(long)]
    har: bool,
    /// Since a time: 2h (ago), 2026-11-28, epoch ms.
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Only this origin.
    #[arg(long)]
    origin: Option<String>,
    /// An imported trace instead of the local events.
    #[arg(long, default_value_t = 0, value_name = "ID")]
    trace: i64,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A trace bundle (from `export`) or a JSON array of events.
    file: PathBuf,
    /// A name for the imported trace [default: the file name].
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The logout's event id [default: the newest logout].
    logout_id: Option<String>,
    /// Output file.
    #[arg(short, long, value_name = "FILE", default_value = "report.html")]
    output: PathBuf,
    /// The newest logout of this origin.
    #[arg(long)]
    origin: Option<String>,
    #[arg(long, default_value_t = 0, value_name = "ID")]
    trace: i64,
}

/// Writes `bytes` atomically and owner-only: a reader never sees half a file,
/// and a trace is not world-readable.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes)?;
        stdout.flush()?;
        return Ok(());
    }
    let tmp = path.with_extension("tmp-logout-lens");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("create {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("write {}", path.display()))?;
    Ok(())
}

fn scrubber(store: &mut Store) -> anyhow::Result<Scrubber> {
    Ok(Scrubber::new(&store.install_secret()?)?)
}

/// A one-line progress bar on stderr, for long exports on a terminal.
struct Progress {
    total: usize,
    shown: bool,
    last: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            shown: total >= 20_000 && std::io::stderr().is_terminal(),
            last: 0,
        }
    }

    fn tick(&mut self, done: usize) {
        if !self.shown || (done - self.last < 2_000 && done != self.total) {
            return;
        }
        self.last = done;
        let pct = done * 100 / self.total.max(1);
        let bar = "#".repeat(pct / 4) + &" ".repeat(25 - pct / 4);
        eprint!("\rexporting [{bar}] {pct:>3}% {done}/{}", self.total);
        if done == self.total {
            eprintln!();
        }
    }
}

pub(crate) fn export(store: &mut Store, a: &ExportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let since_ms = a
        .since
        .as_deref()
        .map(|s| parse_time_ms(s, now_ms()))
        .transpose()?;
    let events: Vec<_> = store
        .events(&Filter {
            trace: a.trace,
            origin: a.origin.clone(),
            site: true,
            since_ms,
            ..Filter::default()
        })?
        .into_iter()
        .map(|s| s.event)
        .collect();
    let scrubber = scrubber(store)?;
    let bytes = if a.har {
        serde_json::to_vec_pretty(&har(&events, &scrubber))?
    } else {
        let mut progress = Progress::new(events.len());
        let filter = ExportFilter {
            origin: a.origin.clone(),
            since_ms,
        };
        let b = bundle(&events, filter, &scrubber, now_ms(), |n| progress.tick(n));
        serde_json::to_vec_pretty(&b)?
    };
    write_private(&a.output, &bytes)?;
    if a.output != Path::new("-") {
        let what = if a.har { "HAR" } else { "trace bundle" };
        if out.json {
            out.json(&json!({"file": a.output, "format": what, "events": events.len()}))?;
        } else {
            out.line(&format!(
                "wrote {what} with {} events to {}",
                events.len(),
                a.output.display()
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import(store: &mut Store, a: &ImportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("read {}", a.file.display()))?;
    let events = read_import(&bytes)?;
    // Imports are scrubbed too: the store never keeps a raw credential.
    let scrubber = scrubber(store)?;
    let rows = events
        .iter()
        .map(|e| {
            let clean: logout_lens_model::Event = serde_json::from_value(scrubber.event(e))?;
            Ok(NewEvent::from_event(&clean)?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let name = a.name.clone().unwrap_or_else(|| {
        a.file
            .file_name()
            .map_or_else(|| "import".to_owned(), |n| n.to_string_lossy().into_owned())
    });
    let trace = store.create_trace(&name, now_ms())?;
    let outcome = store.insert_batch(trace, &rows, now_ms())?;
    if out.json {
        out.json(&json!({"trace": trace, "name": name, "stored": outcome.stored, "duplicates": outcome.duplicates}))?;
    } else {
        out.line(&format!(
            "imported {} events as trace {trace} ({name}); use --trace {trace} with list, diagnose, report",
            outcome.stored
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn imports(store: &Store, out: &Out) -> anyhow::Result<ExitCode> {
    let rows = store.imports()?;
    if out.json {
        out.json(&rows)?;
    } else {
        for r in &rows {
            out.line(&format!(
                "{:>4}  {}  {:>7} events  {}",
                r.trace,
                rfc3339_ms(r.imported_ms),
                r.events,
                r.name
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn report(store: &mut Store, a: &ReportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let (d, events) = find_diagnosis(store, a.trace, a.logout_id.as_deref(), a.origin.as_deref())?;
    let html = render(&events, Some(&d), &scrubber(store)?);
    write_private(&a.output, html.as_bytes())?;
    if out.json {
        out.json(&json!({"file": a.output, "logout_id": d.logout_id, "cause": d.cause}))?;
    } else {
        out.line(&format!("wrote {} ({})", a.output.display(), d.headline))?;
    }
    Ok(ExitCode::SUCCESS)
}
