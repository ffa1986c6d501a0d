//! Host mode: started by a browser with the caller in argv.
#![deny(clippy::print_stdout)]

use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

use logout_lens_collector::host::{Host, HostExit};
use logout_lens_collector::paths::db_path_from_env;
use logout_lens_collector::protocol::{ErrorCode, Refusal, Response};
use logout_lens_collector::store::{Durability, Store, now_ms};
use logout_lens_collector::units::parse_size;
use logout_lens_manifest::Caller;
use native_messaging::host::send_json;

/// Default retention applied at host start (the CLI's `prune` does more).
const RETENTION_MS: i64 = 30 * 24 * 3_600_000;
/// The database's size cap, applied at start and while running, unless
/// `LOGOUT_LENS_MAX_SIZE` sets another (`500MB`, `2GiB`).
const SIZE_CAP_BYTES: u64 = 1 << 30;

fn size_cap() -> u64 {
    match std::env::var("LOGOUT_LENS_MAX_SIZE") {
        Ok(v) if !v.trim().is_empty() => parse_size(&v).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "LOGOUT_LENS_MAX_SIZE ignored");
            SIZE_CAP_BYTES
        }),
        _ => SIZE_CAP_BYTES,
    }
}

pub(crate) fn run(caller: &Caller) -> ExitCode {
    crate::cli::init_logging();
    let mut stdout = std::io::stdout().lock();
    let refuse = |out: &mut std::io::StdoutLock<'_>, code: ErrorCode, msg: String| {
        let _ = send_json(out, &Response::refusal(Refusal::new(code, msg), true));
    };
    if !caller.is_allowed() {
        tracing::error!(?caller, "caller not on the allow-list");
        refuse(
            &mut stdout,
            ErrorCode::CallerNotAllowed,
            format!("caller {caller:?} is not allowed"),
        );
        return ExitCode::from(2);
    }
    let Some(path) = db_path_from_env() else {
        refuse(
            &mut stdout,
            ErrorCode::StoreFailed,
            "no database path: set LOGOUT_LENS_DB or HOME".into(),
        );
        return ExitCode::FAILURE;
    };
    let durability = match std::env::var("LOGOUT_LENS_SYNC").as_deref() {
        Ok("full") => Durability::Full,
        _ => Durability::Normal,
    };
    let mut store = match Store::open(&path, durability) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "cannot open database");
            refuse(
                &mut stdout,
                ErrorCode::StoreFailed,
                format!("cannot open database: {e}"),
            );
            return ExitCode::FAILURE;
        }
    };
    let cap = size_cap();
    if let Err(e) = store
        .prune_older_than(now_ms() - RETENTION_MS)
        .and_then(|_| store.prune_to_size(cap, false))
    {
        tracing::warn!(error = %e, "retention skipped");
    }
    let mut host = match Host::new(&mut store) {
        Ok(h) => h.with_size_cap(cap),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the host");
            refuse(
                &mut stdout,
                ErrorCode::StoreFailed,
                format!("cannot start: {e}"),
            );
            return ExitCode::FAILURE;
        }
    };
    let reader = BufReader::with_capacity(1 << 16, std::io::stdin());
    // Every reply is flushed by the framing layer; buffering only merges the
    // length prefix and body into one write.
    let mut writer = BufWriter::new(stdout);
    let outcome = host.serve(reader, &mut writer);
    tracing::info!(totals = ?host.totals(), "host exiting");
    match outcome {
        Ok(HostExit::Disconnected) => ExitCode::SUCCESS,
        Ok(HostExit::Fatal(code)) => {
            tracing::warn!(code = code.as_str(), "fatal protocol error");
            ExitCode::from(3)
        }
        Err(e) => {
            tracing::error!(error = %e, "host failed");
            ExitCode::FAILURE
        }
    }
}
