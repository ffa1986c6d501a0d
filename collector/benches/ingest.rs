//! Ingest benchmark: events/s from framed stdin through the real host binary
//! into durable SQLite, against a bare rusqlite batched insert of the same rows
//! into the same schema (the limit), in the same run. Prints medians.
//!
//! `cargo bench -p logout-lens-collector --bench ingest`
//! (env: `INGEST_EVENTS` = events per run, default 100000; `INGEST_RUNS`, default 5;
//! `INGEST_BATCH`, default 500; `LOGOUT_LENS_SYNC=full` for fsync on every commit;
//! `INGEST_CONTROL_BIN=FILE` also runs another `logout-lens` binary, e.g. an
//! older build, in the same runs).

mod common;
#[path = "../tests/collector/support.rs"]
mod support;

use common::{env_num, median};
use std::io::{BufReader, Write};
use std::time::Instant;

use logout_lens_collector::store::{Durability, LOCAL, NewEvent, Store};
use logout_lens_model::wire::parse_event;
use rusqlite::params;

fn main() {
    // `cargo bench` passes `--bench`; nothing to filter here.
    let n = env_num("INGEST_EVENTS", 100_000);
    let runs = env_num("INGEST_RUNS", 5);
    let batch = env_num("INGEST_BATCH", 500);
    let durability = match std::env::var("LOGOUT_LENS_SYNC").as_deref() {
        Ok("full") => Durability::Full,
        _ => Durability::Normal,
    };
    let events: Vec<_> = (0..n as u64).map(support::event).collect();
    let mut input = support::frame(&support::hello());
    let mut batches = 0;
    for (seq, chunk) in events.chunks(batch).enumerate() {
        input.extend(support::frame(&support::batch(
            seq as u64,
            chunk.iter().cloned(),
        )));
        batches += 1;
    }
    let rows: Vec<NewEvent> = events
        .iter()
        .map(|v| NewEvent::from_event(&parse_event(v.to_string().as_bytes()).unwrap()).unwrap())
        .collect();

    let control = std::env::var_os("INGEST_CONTROL_BIN").map(std::path::PathBuf::from);
    let (mut host_rates, mut bare_rates, mut control_rates) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let host = host_run(
            support::BIN.as_ref(),
            &dir.path().join("host.db"),
            &input,
            batches,
            n,
        );
        let bare = bare_run(&dir.path().join("bare.db"), &rows, batch, durability);
        let other = control
            .as_deref()
            .map(|bin| host_run(bin, &dir.path().join("control.db"), &input, batches, n));
        eprintln!(
            "run {run}: host {host:>9.0} ev/s   bare rusqlite {bare:>9.0} ev/s{}",
            other.map_or(String::new(), |c| format!("   control host {c:>9.0} ev/s"))
        );
        host_rates.push(host);
        bare_rates.push(bare);
        control_rates.extend(other);
    }
    let (h, b) = (median(&host_rates), median(&bare_rates));
    println!(
        "ingest median over {runs} runs of {n} events (batch {batch}, sync {durability:?}): \
         host {h:.0} events/s, bare rusqlite {b:.0} events/s, host/bare {:.0}%",
        100.0 * h / b
    );
    if !control_rates.is_empty() {
        let c = median(&control_rates);
        println!(
            "control host ({}): {c:.0} events/s, host/control {:.0}%",
            control.unwrap_or_default().display(),
            100.0 * h / c
        );
    }
}

/// Spawns the host `bin`, feeds every frame, waits for every ack; events/s.
fn host_run(
    bin: &std::path::Path,
    db: &std::path::Path,
    input: &[u8],
    batches: usize,
    n: usize,
) -> f64 {
    let mut child = support::spawn_host_bin(bin, db);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Wait until the host has opened its database before the clock starts.
    stdin.write_all(&support::frame(&support::hello())).unwrap();
    stdin.flush().unwrap();
    let hello = support::read_frame(&mut stdout).unwrap();
    assert_eq!(hello["type"], "hello");
    let body = input[support::frame(&support::hello()).len()..].to_vec();
    let start = Instant::now();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&body).unwrap();
        drop(stdin);
    });
    let mut stored = 0;
    for _ in 0..batches {
        let ack = support::read_frame(&mut stdout).expect("ack");
        assert_eq!(ack["type"], "ack", "{ack}");
        stored += ack["stored"].as_u64().unwrap() as usize;
    }
    let secs = start.elapsed().as_secs_f64();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(stored, n);
    n as f64 / secs
}

/// The same rows into the same schema with a prepared statement, one
/// transaction per batch; events/s.
fn bare_run(db: &std::path::Path, rows: &[NewEvent], batch: usize, d: Durability) -> f64 {
    drop(Store::open(db, d).unwrap());
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    let sync = if d == Durability::Full {
        "FULL"
    } else {
        "NORMAL"
    };
    conn.pragma_update(None, "synchronous", sync).unwrap();
    let start = Instant::now();
    for chunk in rows.chunks(batch) {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO events (trace, id, ts_ms, origin, kind, is_logout, received_ms, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (trace, id) DO NOTHING",
                )
                .unwrap();
            for e in chunk {
                stmt.execute(params![
                    LOCAL,
                    e.id,
                    e.ts_ms,
                    e.origin,
                    e.kind,
                    e.is_logout,
                    0,
                    e.body
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    rows.len() as f64 / start.elapsed().as_secs_f64()
}
