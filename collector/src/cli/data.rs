//! list / show / tail / diagnose / prune.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use logout_lens_collector::store::{Filter, Store, StoredEvent, now_ms};
use logout_lens_collector::term;
use logout_lens_collector::units::{
    human_bytes, parse_duration_ms, parse_size, parse_time_ms, rfc3339_ms,
};
use logout_lens_model::{DiagnoseOptions, Diagnosis, EventId, Target, classify, diagnose};
use serde_json::json;

use super::Out;
use super::output::safe;

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
    /// Delete the oldest local events until the database fits (e.g. 500MB);
    /// only as many as that takes, and none if imported traces alone are
    /// larger (remove those with `imports rm ID`).
    #[arg(long, value_name = "SIZE")]
    max_size: Option<String>,
    /// Compact the file (VACUUM) so it shrinks on disk; alone, only compacts.
    #[arg(long)]
    vacuum: bool,
}

fn print_event(out: &Out, s: &StoredEvent) -> anyhow::Result<()> {
    let e = &s.event;
    let when = rfc3339_ms(e.ts_ms);
    let name = safe(e.kind.name());
    let kind = if e.is_logout() {
        out.red(&name)
    } else {
        name.into_owned()
    };
    let place = format!(
        "{}{}",
        safe(e.origin.as_deref().unwrap_or("-")),
        safe(e.path.as_deref().unwrap_or(""))
    );
    out.line(&format!(
        "{}  {kind:<16}  {place}  {}",
        out.dim(&when),
        out.dim(e.id.as_str())
    ))
}

/// An origin as typed, as the extension records it: `scheme://host[:port]`
/// in lower case, without a path, a trailing slash or the scheme's default
/// port (`HTTPS://App.Example:443/` is `https://app.example`).
pub(crate) fn normalize_origin(typed: &str) -> String {
    let t = typed.trim();
    let Some((scheme, rest)) = t.split_once("://") else {
        return t.trim_end_matches('/').to_ascii_lowercase();
    };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.to_ascii_lowercase();
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("https", Some((host, "443"))) | ("http", Some((host, "80"))) => host.to_owned(),
        _ => authority,
    };
    format!("{scheme}://{authority}")
}

/// Rows beyond which "showing N of M" stops counting.
const COUNT_CAP: u64 = 10_000;

pub(crate) fn list(store: &Store, a: &ListArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let since_ms = a
        .since
        .as_deref()
        .map(|s| parse_time_ms(s, now_ms()))
        .transpose()?;
    let filter = Filter {
        trace: a.trace,
        origin: a.origin.as_deref().map(normalize_origin),
        since_ms,
        logouts_only: a.logouts,
        limit: Some(a.limit),
        ..Filter::default()
    };
    let rows = store.events(&filter)?;
    // A cut listing says so; counting stops at a cap so a huge store still
    // lists at once.
    let total = if rows.len() as u64 >= u64::from(a.limit) {
        Some(store.count_events_upto(&filter, COUNT_CAP)?)
    } else {
        None
    };
    let causes = if a.logouts {
        logout_causes(store, a.trace, &rows)
    } else {
        Vec::new()
    };
    if out.json {
        if a.logouts {
            let rows: Vec<_> = rows
                .iter()
                .zip(&causes)
                .map(|(r, d)| {
                    let mut v = serde_json::to_value(&r.event).unwrap_or_default();
                    if let (Some(o), Some(d)) = (v.as_object_mut(), d) {
                        o.insert("diagnosed_cause".into(), json!(d.cause));
                        o.insert("headline".into(), json!(d.headline));
                    }
                    v
                })
                .collect();
            out.json(&rows)?;
        } else {
            out.json(&rows.iter().map(|r| &r.event).collect::<Vec<_>>())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    for (i, r) in rows.iter().enumerate() {
        print_event(out, r)?;
        if let Some(Some(d)) = causes.get(i) {
            out.line(&format!(
                "    cause: {} ({}%) — {}",
                safe(d.cause.title()),
                d.causes.first().map_or(0, |f| f.confidence),
                safe(&d.headline)
            ))?;
        }
    }
    if let Some(total) = total.filter(|&t| t > rows.len() as u64) {
        let of = if total >= COUNT_CAP {
            format!("more than {COUNT_CAP}")
        } else {
            total.to_string()
        };
        out.line(&out.dim(&format!(
            "showing the newest {} of {of}; more with --limit N or --since T",
            rows.len()
        )))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The diagnosis of each listed logout (the same as `diagnose ID`; one per
/// episode, shared by its events).
fn logout_causes(store: &Store, trace: i64, rows: &[StoredEvent]) -> Vec<Option<Diagnosis>> {
    let mut done: Vec<Diagnosis> = Vec::new();
    rows.iter()
        .map(|r| {
            if let Some(d) = done.iter().find(|d| d.logout_id == r.event.id) {
                return Some(d.clone());
            }
            let (d, _) = find_diagnosis(store, trace, Some(r.event.id.as_str()), None).ok()?;
            done.push(d.clone());
            Some(d)
        })
        .collect()
}

pub(crate) fn show(store: &Store, a: &ShowArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let s = store.event(a.trace, &a.id)?;
    let signal = format!("{:?}", classify(&s.event));
    if out.json {
        out.json(&json!({"event": s.event, "signal": signal, "seq": s.seq, "received_ms": s.received_ms}))?;
    } else {
        print_event(out, &s)?;
        out.line(&format!("signal: {}", safe(&signal)))?;
        // JSON escapes control characters itself; the rest are escaped its way.
        let json = serde_json::to_string_pretty(&s.event)?;
        for line in term::escape_json(&json).lines() {
            out.line(line)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The database `tail` reads, and whether it was created while tail waited.
/// `tail` may start before the browser's first event made the database: it
/// waits for the file (without creating it: read commands never write), then
/// for the host's first commit, which gives it its schema.
pub(crate) fn open_for_tail(path: &Path, a: &TailArgs, out: &Out) -> anyhow::Result<(Store, bool)> {
    if path.exists() {
        return Ok((Store::open_read_only(path)?, false));
    }
    out.note(&format!(
        "waiting for {} (made when the browser sends its first event)",
        path.display()
    ));
    let interval = Duration::from_millis(a.interval_ms.max(50));
    let mut appeared: Option<Instant> = None;
    loop {
        std::thread::sleep(interval);
        if !path.exists() {
            continue;
        }
        match Store::open_read_only(path) {
            Ok(store) => return Ok((store, true)),
            // Created, not yet committed: the host is making its schema.
            Err(_) if appeared.get_or_insert_with(Instant::now).elapsed() < NEW_DB_SETTLE => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// How long a database that just appeared may stay unreadable.
const NEW_DB_SETTLE: Duration = Duration::from_secs(10);

pub(crate) fn tail(
    store: &Store,
    a: &TailArgs,
    from_start: bool,
    out: &Out,
) -> anyhow::Result<ExitCode> {
    // Start at the current end: tail shows what arrives from now on (all of
    // it when the database is new).
    let mut after = if from_start { 0 } else { store.max_seq()? };
    let mut printed = 0;
    loop {
        let rows = store.events(&Filter {
            origin: a.origin.as_deref().map(normalize_origin),
            after_seq: Some(after),
            ..Filter::default()
        })?;
        for r in &rows {
            after = after.max(r.seq);
            if out.json {
                out.json_line(&r.event)?;
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
    let origin = origin.map(normalize_origin);
    let origin = origin.as_deref();
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
        safe(d.logout_id.as_str()),
        rfc3339_ms(d.logout_ts_ms),
        d.origin
            .as_deref()
            .map_or(String::new(), |o| format!(" on {}", safe(o)))
    ))?;
    for (i, f) in d.causes.iter().enumerate() {
        let title = format!("{}. {} ({}%)", i + 1, f.cause.title(), f.confidence);
        out.line(&if i == 0 {
            out.red(&title)
        } else {
            out.bold(&title)
        })?;
        out.line(&format!("   {}", safe(&f.explanation)))?;
        out.line(&format!("   fix: {}", safe(&f.fix_hint)))?;
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
    if a.older_than.is_none() && a.max_size.is_none() && !a.vacuum {
        bail!("give --older-than DURATION, --max-size SIZE and/or --vacuum");
    }
    // Check every argument before deleting anything.
    let cutoff = a
        .older_than
        .as_deref()
        .map(|d| parse_duration_ms(d).map(|ms| now_ms().saturating_sub(ms)))
        .transpose()?;
    let cap = a.max_size.as_deref().map(parse_size).transpose()?;
    let before = store.db_bytes()?;
    let by_age = match cutoff {
        Some(c) => store.prune_older_than(c)?,
        None => 0,
    };
    let by_size = cap.map(|c| store.prune_to_size(c, false)).transpose()?;
    if a.vacuum {
        store.vacuum()?;
    }
    let (size, used) = (store.db_bytes()?, store.used_bytes()?);
    let reached = by_size.is_none_or(|o| o.reached);
    if out.json {
        out.json(&json!({
            "deleted_by_age": by_age,
            "deleted_by_size": by_size.map_or(0, |o| o.deleted),
            "size": by_size,
            "bytes_before": before,
            "bytes_after": size,
            "used_bytes": used,
            "reached": reached,
        }))?;
    } else {
        out.line(&format!(
            "deleted {by_age} local events by age, {} by size; database {} ({} in use{})",
            by_size.map_or(0, |o| o.deleted),
            human_bytes(size),
            human_bytes(used),
            if a.vacuum || size == used {
                ""
            } else {
                "; --vacuum shrinks the file"
            }
        ))?;
    }
    match (by_size, cap) {
        (Some(o), Some(cap)) if !o.reached => bail!(
            "the database cannot fit in {}: with no local event at all it would still use about {} \
             (imported traces: see `logout-lens imports`, remove one with `logout-lens imports rm ID`); \
             no local event was deleted for the size",
            human_bytes(cap),
            human_bytes(o.floor_bytes)
        ),
        _ => Ok(ExitCode::SUCCESS),
    }
}
