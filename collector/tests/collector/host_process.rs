//! The real binary as a browser starts it: volume, exactly-once, and crash recovery.

use std::collections::BTreeSet;
use std::io::{BufReader, Write};
use std::process::Command;

use logout_lens_collector::store::{Durability, Store};
use serde_json::Value;

use super::support::{BIN, batch, event, frame, hello, read_frame, spawn_host};

/// Every id in the local trace, and the row count.
fn stored_ids(db: &std::path::Path) -> (Vec<String>, i64) {
    let store = Store::open(db, Durability::Normal).unwrap();
    let conn = store.connection();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    let mut stmt = conn.prepare("SELECT id FROM events ORDER BY id").unwrap();
    let ids = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (ids, rows)
}

fn expected_ids(n: u64) -> Vec<String> {
    (0..n)
        .map(|i| event(i)["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn hundred_thousand_events_each_stored_exactly_once() {
    const N: u64 = 100_000;
    const BATCH: u64 = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut child = spawn_host(&db);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let writer = std::thread::spawn(move || {
        stdin.write_all(&frame(&hello())).unwrap();
        for seq in 0..N / BATCH {
            let events = (seq * BATCH..(seq + 1) * BATCH).map(event);
            stdin.write_all(&frame(&batch(seq, events))).unwrap();
        }
    });
    assert_eq!(read_frame(&mut stdout).unwrap()["type"], "hello");
    let mut stored = 0;
    for seq in 0..N / BATCH {
        let ack = read_frame(&mut stdout).unwrap();
        assert_eq!(
            (ack["type"].as_str(), ack["seq"].as_u64()),
            (Some("ack"), Some(seq)),
            "{ack}"
        );
        stored += ack["stored"].as_u64().unwrap();
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success(), "clean exit on stdin EOF");
    assert_eq!(stored, N);
    let (ids, rows) = stored_ids(&db);
    assert_eq!(rows, N as i64);
    assert_eq!(ids, expected_ids(N));
}

#[test]
fn sigkill_mid_stream_then_replay_loses_and_duplicates_nothing() {
    const BATCHES: u64 = 200;
    const BATCH: u64 = 250;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let frames: Vec<Vec<u8>> = (0..BATCHES)
        .map(|seq| frame(&batch(seq, (seq * BATCH..(seq + 1) * BATCH).map(event))))
        .collect();

    // First run: stream everything, kill -9 after some acks arrive.
    let mut child = spawn_host(&db);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let to_send = frames.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&frame(&hello()));
        for f in to_send {
            if stdin.write_all(&f).is_err() {
                break; // the host died: expected
            }
        }
    });
    assert_eq!(read_frame(&mut stdout).unwrap()["type"], "hello");
    let mut acked = BTreeSet::new();
    while acked.len() < 40 {
        let ack = read_frame(&mut stdout).unwrap();
        acked.insert(ack["seq"].as_u64().unwrap());
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    // Acks already written before the kill still count as acked.
    while let Some(ack) = read_frame(&mut stdout) {
        acked.insert(ack["seq"].as_u64().unwrap());
    }
    writer.join().unwrap();
    assert!(
        (acked.len() as u64) < BATCHES,
        "the kill must land mid-stream"
    );

    // Every acked batch must already be durable.
    let (ids, _) = stored_ids(&db);
    let present: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    for seq in &acked {
        let first = event(seq * BATCH)["id"].as_str().unwrap().to_owned();
        assert!(present.contains(first.as_str()), "acked batch {seq} lost");
    }

    // Second run: the extension replays every unacked batch.
    let mut child = spawn_host(&db);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(&frame(&hello())).unwrap();
    assert_eq!(read_frame(&mut stdout).unwrap()["type"], "hello");
    let unacked: Vec<u64> = (0..BATCHES).filter(|s| !acked.contains(s)).collect();
    let mut duplicates = 0;
    for seq in &unacked {
        stdin.write_all(&frames[*seq as usize]).unwrap();
        let ack: Value = read_frame(&mut stdout).unwrap();
        assert_eq!(ack["seq"].as_u64(), Some(*seq), "{ack}");
        duplicates += ack["duplicates"].as_u64().unwrap();
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());

    let (ids, rows) = stored_ids(&db);
    assert_eq!(rows, (BATCHES * BATCH) as i64, "0 duplicated");
    assert_eq!(ids, expected_ids(BATCHES * BATCH), "0 lost");
    // Batches committed but not acked before the kill came back as duplicates.
    eprintln!(
        "replayed {} batches, {duplicates} events were already stored",
        unacked.len()
    );
}

#[test]
fn callers_off_the_allow_list_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let cases: &[&[&str]] = &[
        &["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"],
        &[
            "/home/u/.mozilla/native-messaging-hosts/dev.logout_lens.collector.json",
            "evil@example.com",
        ],
    ];
    for args in cases {
        let out = Command::new(BIN)
            .args(*args)
            .env("LOGOUT_LENS_DB", &db)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let reply = read_frame(&mut out.stdout.as_slice()).unwrap();
        assert_eq!(reply["code"], "caller_not_allowed");
        assert_eq!(reply["fatal"], true);
        assert!(
            !db.exists(),
            "a refused caller must not create the database"
        );
    }
}

#[test]
fn firefox_caller_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut child = Command::new(BIN)
        .args([
            "/x/dev.logout_lens.collector.json",
            logout_lens_manifest::FIREFOX_ADDON_ID,
        ])
        .env("LOGOUT_LENS_DB", &db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&frame(&hello())).unwrap();
    stdin.write_all(&frame(&batch(0, [event(1)]))).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let replies = super::support::read_all(&out.stdout);
    assert_eq!(replies[1]["stored"], 1);
}

#[test]
fn the_size_cap_holds_while_the_host_runs() {
    // Issue 18: the cap was applied only when the host started, so one long
    // browser session could grow the database without bound.
    const CAP: u64 = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut child = Command::new(BIN)
        .arg(logout_lens_manifest::chromium_origin())
        .env("LOGOUT_LENS_DB", &db)
        .env("LOGOUT_LENS_MAX_SIZE", CAP.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(&frame(&hello())).unwrap();
    assert_eq!(read_frame(&mut stdout).unwrap()["type"], "hello");
    let mut peak = 0;
    for seq in 0..40 {
        let events = (seq * 500..(seq + 1) * 500).map(event);
        stdin.write_all(&frame(&batch(seq, events))).unwrap();
        let ack = read_frame(&mut stdout).unwrap();
        assert_eq!(ack["stored"], 500, "{ack}");
        // Measured between batches, while the host keeps its connection.
        let used = Store::open_read_only(&db).unwrap().used_bytes().unwrap();
        peak = peak.max(used);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert!(peak <= CAP, "peak {peak} bytes over the {CAP}-byte cap");
    let (ids, rows) = stored_ids(&db);
    assert!(rows < 20_000, "the oldest events made room");
    let newest = event(19_999)["id"].as_str().unwrap().to_owned();
    assert!(ids.contains(&newest), "the newest event is kept");
}
