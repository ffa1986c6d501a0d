//! export / import / imports / report: what leaves or enters the machine.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use logout_lens_collector::error::CollectorError;
use logout_lens_collector::export::{ExportFilter, read_events, write_bundle, write_har};
use logout_lens_collector::report::render;
use logout_lens_collector::store::{Filter, NewEvent, Store, now_ms};
use logout_lens_collector::units::{parse_time_ms, rfc3339_ms};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::Out;
use super::data::find_diagnosis;
use super::data::normalize_origin;
use super::output::safe;
use super::progress::Progress;

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
    /// The newest logout of this origin (with --since: this site's events).
    #[arg(long)]
    origin: Option<String>,
    /// A time window instead of one logout's: every event since T (2h,
    /// 2026-11-28, a time `list` printed), with the newest logout in it
    /// diagnosed if there is one.
    #[arg(long, value_name = "T", conflicts_with = "logout_id")]
    since: Option<String>,
    #[arg(long, default_value_t = 0, value_name = "ID")]
    trace: i64,
}

/// Writes a file atomically and owner-only, streaming: `write` fills a
/// buffered writer and the file appears whole at the end, or not at all (a
/// reader never sees half a file, and a trace is not world-readable).
/// `-` is stdout. Nothing is written through a symlink: the output path may
/// not be one, and the temporary file beside it is created fresh under a
/// random name with `O_CREAT|O_EXCL`, which fails on an existing path — a
/// link planted there included — instead of following it.
fn write_private<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    if path == Path::new("-") {
        let mut stdout = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let t = write(&mut stdout)?;
        stdout.flush()?;
        return Ok(t);
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
    let tmp = tempfile::Builder::new()
        .prefix(".logout-lens-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("create a temporary file in {}", dir.display()))?;
    let mut w = BufWriter::with_capacity(1 << 16, tmp);
    // On failure the temporary file is removed when it drops.
    let t = write(&mut w)?;
    let tmp = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("write {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("write {}", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("write {}", path.display()))?;
    Ok(t)
}

pub(crate) fn export(store: &mut Store, a: &ExportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let since_ms = a
        .since
        .as_deref()
        .map(|s| parse_time_ms(s, now_ms()))
        .transpose()?;
    let filter = ExportFilter {
        origin: a.origin.as_deref().map(normalize_origin),
        since_ms,
    };
    let redactor = store.redactor()?;
    let what = if a.har { "HAR" } else { "trace bundle" };
    let mut progress = Progress::new(out, "exporting", None, false);
    if progress.enabled() {
        progress = Progress::new(
            out,
            "exporting",
            Some(store.count_events(&Filter {
                trace: a.trace,
                origin: filter.origin.clone(),
                site: true,
                since_ms,
                ..Filter::default()
            })?),
            false,
        );
    }
    let store = &*store;
    let written = write_private(&a.output, |w| {
        let tick = |n: usize| progress.set(n as u64);
        Ok(if a.har {
            write_har(store, a.trace, &filter, &redactor, w, tick)?
        } else {
            write_bundle(store, a.trace, &filter, &redactor, now_ms(), w, tick)?
        })
    });
    progress.finish();
    let written = written?;
    if a.output != Path::new("-") {
        let shown = safe(&a.output.display().to_string()).into_owned();
        if out.json {
            let mut v = json!({"file": a.output, "format": what, "events": written.events});
            if a.har {
                v["entries"] = written.entries.into();
            } else {
                v["diagnoses"] = written.logouts.into();
            }
            out.json(&v)?;
        } else if a.har {
            out.line(&format!(
                "wrote HAR with {} entries (the HTTP exchanges among {} events) to {shown}",
                written.entries, written.events
            ))?;
        } else {
            out.line(&format!(
                "wrote trace bundle with {} events and {} diagnoses to {shown}",
                written.events, written.logouts
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// SHA-256 of a file, hex.
fn file_digest(path: &Path) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("read {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut f, &mut hasher).with_context(|| format!("read {}", path.display()))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Counts the bytes read through it, for progress.
struct Counting<R> {
    inner: R,
    read: u64,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.progress.set(self.read);
        Ok(n)
    }
}

pub(crate) fn import(store: &mut Store, a: &ImportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let digest = file_digest(&a.file)?;
    let file =
        std::fs::File::open(&a.file).with_context(|| format!("read {}", a.file.display()))?;
    let size = file.metadata().map(|m| m.len()).ok();
    let name = a.name.clone().unwrap_or_else(|| {
        a.file
            .file_name()
            .map_or_else(|| "import".to_owned(), |n| n.to_string_lossy().into_owned())
    });
    // Imports are scrubbed like ingest: the store never keeps a raw credential.
    let redactor = store.redactor()?;
    // A page cache of a tenth of the file, 2 to 32 MiB: a large import
    // then rewrites fewer index pages, and memory stays bounded.
    store.set_cache_bytes(size.unwrap_or(0).div_ceil(10).min(32 << 20))?;
    let mut reader = Counting {
        inner: BufReader::with_capacity(1 << 16, file),
        read: 0,
        progress: Progress::new(out, "importing", size, true),
    };
    let outcome = store.import_trace(&name, &digest, now_ms(), |sink| {
        read_events(&mut reader, |mut e| {
            redactor.scrub_event(&mut e);
            sink(NewEvent::from_event(&e)?)
        })?;
        Ok(())
    });
    reader.progress.finish();
    let outcome = match outcome {
        Err(CollectorError::AlreadyImported {
            trace,
            name: earlier,
        }) => {
            if out.json {
                out.json(&json!({"duplicate_of": trace, "name": earlier, "stored": 0}))?;
            } else {
                out.line(&format!(
                    "{} was imported before, as trace {trace} ({}); nothing stored",
                    safe(&a.file.display().to_string()),
                    safe(&earlier)
                ))?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        other => other.with_context(|| format!("import {}", a.file.display()))?,
    };
    let trace = outcome.trace;
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

/// Events a `report --since` draws at most (the newest).
const REPORT_EVENTS: u32 = 20_000;

pub(crate) fn report(store: &mut Store, a: &ReportArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let (events, d) = match &a.since {
        Some(since) => {
            let filter = Filter {
                trace: a.trace,
                origin: a.origin.as_deref().map(normalize_origin),
                site: true,
                since_ms: Some(parse_time_ms(since, now_ms())?),
                limit: Some(REPORT_EVENTS),
                ..Filter::default()
            };
            let events: Vec<_> = store
                .events(&filter)?
                .into_iter()
                .map(|s| s.event)
                .collect();
            if events.is_empty() {
                anyhow::bail!("no events since {since}");
            }
            let newest = events.iter().rev().find(|e| e.is_logout());
            let d = match newest {
                Some(l) => Some(find_diagnosis(store, a.trace, Some(l.id.as_str()), None)?.0),
                None => None,
            };
            (events, d)
        }
        None => {
            let (d, events) =
                find_diagnosis(store, a.trace, a.logout_id.as_deref(), a.origin.as_deref())
                    .context("use --since T for a report of a time window")?;
            (events, Some(d))
        }
    };
    let html = render(&events, d.as_ref(), &store.redactor()?);
    write_private(&a.output, |w| Ok(w.write_all(html.as_bytes())?))?;
    let shown = safe(&a.output.display().to_string()).into_owned();
    if out.json {
        out.json(&json!({
            "file": a.output,
            "events": events.len(),
            "logout_id": d.as_ref().map(|d| &d.logout_id),
            "cause": d.as_ref().map(|d| d.cause),
        }))?;
    } else {
        match &d {
            Some(d) => out.line(&format!("wrote {shown} ({})", safe(&d.headline)))?,
            None => out.line(&format!(
                "wrote {shown} ({} events, no logout among them)",
                events.len()
            ))?,
        }
    }
    Ok(ExitCode::SUCCESS)
}
