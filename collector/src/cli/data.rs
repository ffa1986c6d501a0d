//! list / show / tail / diagnose / prune.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use logout_lens_collector::store::{Filter, Store, StoredEvent, now_ms};
use logout_lens_collector::units::{parse_duration_ms, parse_size, parse_time_ms, rfc3339_ms};
use logout_lens_model::{DiagnoseOptions, Diagnosis, EventId, Target, classify, diagnose};
use serde_json::json;

use super::Out;

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only this origin (scheme://host, and :port unless the default).
    #[arg(long)]
    origin: Option<String>,
    /// Only logouts.
    #[arg(long)]
    logouts: bool,
    /// Since a time: 2h (ago), 2026-11-28, 2026-11-28T13:00Z or epoch ms.
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Newest N events.
    #[arg(long, default_value_t = 200)]
    limit: u32,
    /// An imported trace instead of the local events (see `imports`).
    #[arg(long, default_value_t = 0, value_name = "ID")]
    trace: i64,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Event id.
    id: String,
    #[arg(long, default_value_t = 0, value_name = "ID")]
    trace: i64,
}

#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    /// Only this origin.
    #[arg(long)]
    origin: Option<String>,
    /// Poll interval in milliseconds.
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
    /// Exit after printing this many events.
    #[arg(long, hide = true)]
    max: Option<usize>,
}

#[derive(Debug, Args)]
pub(crate) struct DiagnoseArgs {
    /// The logout's event id [default: the newest logout].
    logout_id: Option<String>,
    /// The newest logout (the default).
    #[arg(long, conflicts_with = "logout_id")]
    last: bool,
    /// With --last: the newest logout of this origin.
    #[arg(long)]
    origin: Option<String>,
    #[arg(long, default_value_t = 0, value_name = "ID")]
    trace: i64,
}

#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    /// Delete local events older than this (e.g. 30d).
    #[arg(long, value_name = "DURATION")]
    older_than: Option<String>,
    /// Delete the oldest local events until the database fits (e.g. 500MB).
    #[arg(long, value_name = "SIZE")]
    max_size: Option<String>,
    /// Compact the file afterwards (VACUUM) so it shrinks on disk.
    #[arg(long)]
    vacuum: bool,
}

fn print_event(out: &Out, s: &StoredEvent) -> anyhow::Result<()> {
    let e = &s.event;
    let when = rfc3339_ms(e.ts_ms);
    let kind = if e.is_logout() {
        out.red(e.kind.name())
    } else {
        e.kind.name().to_owned()
    };
    let place = format!(
        "{}{}",
        e.origin.as_deref().unwrap_or("-"),
        e.path.as_deref().unwrap_or("")
    );
    out.line(&format!(
        "{}  {kind:<16}  {place}  {}",
        out.dim(&when),
        out.dim(e.id.as_str())
    ))
}

pub(crate) fn list(store: &Store, a: &ListArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let since_ms = a
        .since
        .as_deref()
        .map(|s| parse_time_ms(s, now_ms()))
        .transpose()?;
    let rows = store.events(&Filter {
        trace: a.trace,
        origin: a.origin.clone(),
        since_ms,
        logouts_only: a.logouts,
        limit: Some(a.limit),
        ..Filter::default()
    })?;
    if out.json {
        out.json(&rows.iter().map(|r| &r.event).collect::<Vec<_>>())?;
    } else {
        for r in &rows {
            print_event(out, r)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn show(store: &Store, a: &ShowArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let s = store.event(a.trace, &a.id)?;
    let signal = format!("{:?}", classify(&s.event));
    if out.json {
        out.json(&json!({"event": s.event, "signal": signal, "seq": s.seq, "received_ms": s.received_ms}))?;
    } else {
        print_event(out, &s)?;
        out.line(&format!("signal: {signal}"))?;
        out.line(&serde_json::to_string_pretty(&s.event)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn tail(store: &Store, a: &TailArgs, out: &Out) -> anyhow::Result<ExitCode> {
    // Start at the current end: tail shows what arrives from now on.
    let mut after = store.max_seq()?;
    let mut printed = 0;
    loop {
        let rows = store.events(&Filter {
            origin: a.origin.clone(),
            after_seq: Some(after),
            ..Filter::default()
        })?;
        for r in &rows {
            after = after.max(r.seq);
            if out.json {
                out.line(&serde_json::to_string(&r.event)?)?;
            } else {
                print_event(out, r)?;
            }
            printed += 1;
            if a.max.is_some_and(|m| printed >= m) {
                return Ok(ExitCode::SUCCESS);
            }
        }
        std::thread::sleep(Duration::from_millis(a.interval_ms.max(50)));
    }
}

/// Finds and diagnoses a logout.
pub(crate) fn find_diagnosis(
    store: &Store,
    trace: i64,
    logout_id: Option<&str>,
    origin: Option<&str>,
) -> anyhow::Result<(Diagnosis, Vec<logout_lens_model::Event>)> {
    let Some((logout, events)) = store.diagnosis_window(trace, logout_id, origin)? else {
        bail!(
            "no logout recorded{}",
            origin.map_or(String::new(), |o| format!(" for {o}"))
        );
    };
    let d = diagnose(
        &events,
        &Target::Id(EventId(logout.id.clone())),
        &DiagnoseOptions::default(),
    )
    .with_context(|| format!("diagnose {}", logout.id))?;
    Ok((d, events))
}

pub(crate) fn diagnose_cmd(store: &Store, a: &DiagnoseArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let (d, events) = find_diagnosis(store, a.trace, a.logout_id.as_deref(), a.origin.as_deref())?;
    if out.json {
        out.json(&d)?;
        return Ok(ExitCode::SUCCESS);
    }
    out.line(&out.bold(&d.headline))?;
    out.line(&format!(
        "logout {} at {}{}",
        d.logout_id,
        rfc3339_ms(d.logout_ts_ms),
        d.origin
            .as_deref()
            .map_or(String::new(), |o| format!(" on {o}"))
    ))?;
    for (i, f) in d.causes.iter().enumerate() {
        let title = format!("{}. {} ({}%)", i + 1, f.cause.title(), f.confidence);
        out.line(&if i == 0 {
            out.red(&title)
        } else {
            out.bold(&title)
        })?;
        out.line(&format!("   {}", f.explanation))?;
        out.line(&format!("   fix: {}", f.fix_hint))?;
        for id in &f.evidence {
            if let Some(e) = events.iter().find(|e| &e.id == id) {
                out.line(&out.dim(&format!(
                    "   · {} {} {}",
                    rfc3339_ms(e.ts_ms),
                    e.kind.name(),
                    e.id
                )))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn prune(store: &mut Store, a: &PruneArgs, out: &Out) -> anyhow::Result<ExitCode> {
    if a.older_than.is_none() && a.max_size.is_none() {
        bail!("give --older-than DURATION and/or --max-size SIZE");
    }
    let mut by_age = 0;
    if let Some(d) = &a.older_than {
        by_age = store.prune_older_than(now_ms().saturating_sub(parse_duration_ms(d)?))?;
    }
    let mut by_size = None;
    if let Some(s) = &a.max_size {
        by_size = Some(store.prune_to_size(parse_size(s)?, a.vacuum)?);
    } else if a.vacuum {
        store
            .connection()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
    }
    let by_size_n = by_size.map_or(0, |o| o.deleted);
    if out.json {
        out.json(
            &json!({"deleted_by_age": by_age, "deleted_by_size": by_size_n, "size": by_size}),
        )?;
    } else {
        out.line(&format!(
            "deleted {by_age} events by age, {by_size_n} by size"
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
