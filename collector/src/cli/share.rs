//! export / import / imports / report: what leaves or enters the machine.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use logout_lens_collector::export::{ExportFilter, bundle, har, read_import};
use logout_lens_collector::report::render;
use logout_lens_collector::store::{Filter, NewEvent, Store, now_ms};
use logout_lens_collector::units::{parse_time_ms, rfc3339_ms};
use serde_json::json;

use super::Out;
use super::data::find_diagnosis;
use super::output::safe;

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
pub(crate) struct ImportsArgs {
    #[command(subcommand)]
    action: Option<ImportsCmd>,
}

#[derive(Debug, Subcommand)]
enum ImportsCmd {
    /// Remove imported traces and their events.
    Rm {
        /// Trace ids (see `logout-lens imports`).
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

impl ImportsArgs {
    /// Whether this changes the database (so it needs a writable open).
    pub(crate) fn removes(&self) -> bool {
        self.action.is_some()
    }
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
/// and a trace is not world-readable. Nothing is written through a symlink:
/// the output path may not be one, and the temporary file beside it is
/// created fresh under a random name with `O_CREAT|O_EXCL`, which fails on an
/// existing path — a link planted there included — instead of following it.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes)?;
        stdout.flush()?;
        return Ok(());
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        anyhow::bail!(
            "{} is a symbolic link; refusing to write through it (give the real path)",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile: a random name, O_CREAT|O_EXCL, mode 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(".logout-lens-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("write {}", tmp.path().display()))?;
    // On failure the temporary file is removed when `tmp` drops.
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("write {}", path.display()))?;
    Ok(())
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
    let redactor = store.redactor()?;
    let bytes = if a.har {
        serde_json::to_vec_pretty(&har(&events, &redactor))?
    } else {
        let mut progress = Progress::new(events.len());
        let filter = ExportFilter {
            origin: a.origin.clone(),
            since_ms,
        };
        let b = bundle(&events, filter, &redactor, now_ms(), |n| progress.tick(n));
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
                safe(&a.output.display().to_string())
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import(store: &mut Store, a: &ImportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("read {}", a.file.display()))?;
    let events = read_import(&bytes)?;
    // Imports are scrubbed like ingest: the store never keeps a raw credential.
    let redactor = store.redactor()?;
    let rows = events
        .into_iter()
        .map(|mut e| {
            redactor.scrub_event(&mut e);
            Ok(NewEvent::from_event(&e)?)
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
            "imported {} events as trace {trace} ({}); use --trace {trace} with list, diagnose, report",
            outcome.stored,
            safe(&name)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn imports(store: &mut Store, a: &ImportsArgs, out: &Out) -> anyhow::Result<ExitCode> {
    if let Some(ImportsCmd::Rm { ids }) = &a.action {
        let mut removed = Vec::new();
        for &id in ids {
            let events = store.delete_trace(id)?;
            if !out.json {
                out.line(&format!("removed trace {id} ({events} events)"))?;
            }
            removed.push(json!({"trace": id, "events": events}));
        }
        if out.json {
            out.json(&json!({"removed": removed}))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
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
                safe(&r.name)
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn report(store: &mut Store, a: &ReportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let (d, events) = find_diagnosis(store, a.trace, a.logout_id.as_deref(), a.origin.as_deref())?;
    let html = render(&events, Some(&d), &store.redactor()?);
    write_private(&a.output, html.as_bytes())?;
    if out.json {
        out.json(&json!({"file": a.output, "logout_id": d.logout_id, "cause": d.cause}))?;
    } else {
        out.line(&format!(
            "wrote {} ({})",
            safe(&a.output.display().to_string()),
            safe(&d.headline)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
