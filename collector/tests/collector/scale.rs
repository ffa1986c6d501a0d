//! The CLI at size and its listings: streaming import and export under a
//! memory bound, a file imported twice, what `list` prints and reads back,
//! `report --since`, a closed pipe.

use std::io::{BufWriter, Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::corpus;
use super::support::{BIN, cli, ingest, logout_scenario, peak_rss_kb, stdout};

fn json_out(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap()
}

/// Runs the CLI and samples its peak RSS (KiB) while it runs.
fn cli_peak(db: &Path, args: &[&str]) -> (std::process::Output, u64) {
    let child = Command::new(BIN)
        .args(args)
        .env("LOGOUT_LENS_DB", db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(kb) = peak_rss_kb(pid) {
            peak = peak.max(kb);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    });
    let out = child.wait_with_output().unwrap();
    (out, sampler.join().unwrap())
}

/// Peak RSS a streaming command may reach here, whatever the file size.
const LIMIT_KB: u64 = 32 * 1024;

#[test]
fn import_and_export_stream_a_bundle_larger_than_their_memory() {
    let dir = tempfile::tempdir().unwrap();
    let events = corpus::timeline(100_000, logout_lens_collector::store::now_ms() - 60_000);
    let bundle = dir.path().join("big.json");
    {
        let mut w = BufWriter::new(std::fs::File::create(&bundle).unwrap());
        w.write_all(br#"{"format":"logout-lens-trace","version":1,"events":["#)
            .unwrap();
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                w.write_all(b",").unwrap();
            }
            w.write_all(e.as_bytes()).unwrap();
        }
        w.write_all(b"]}").unwrap();
    }
    let size_kb = std::fs::metadata(&bundle).unwrap().len() / 1024;
    assert!(
        size_kb > LIMIT_KB,
        "the bundle ({size_kb} KiB) is larger than the limit"
    );

    let db = dir.path().join("events.db");
    let (out, peak) = cli_peak(&db, &["import", bundle.to_str().unwrap(), "--json"]);
    let imported = json_out(&out);
    assert_eq!(imported["stored"], 100_000, "{imported}");
    eprintln!("import of {size_kb} KiB: peak {peak} KiB");
    assert!(peak < LIMIT_KB, "import peaked at {peak} KiB");
    let trace = imported["trace"].as_i64().unwrap().to_string();

    let again = dir.path().join("again.json");
    let (out, peak) = cli_peak(
        &db,
        &["export", "--trace", &trace, "-o", again.to_str().unwrap()],
    );
    stdout(&out);
    eprintln!("export: peak {peak} KiB");
    assert!(peak < LIMIT_KB, "export peaked at {peak} KiB");
    let exported: Value = serde_json::from_slice(&std::fs::read(&again).unwrap()).unwrap();
    assert_eq!(exported["events"].as_array().unwrap().len(), 100_000);
    assert!(!exported["diagnoses"].as_array().unwrap().is_empty());

    let har = dir.path().join("t.har");
    let (out, peak) = cli_peak(
        &db,
        &[
            "export",
            "--har",
            "--trace",
            &trace,
            "-o",
            har.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(peak < LIMIT_KB, "export --har peaked at {peak} KiB");
    let said = json_out(&out);
    let har: Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap().len();
    assert!(entries > 30_000);
    assert_eq!(said["entries"], entries, "{said}");
}

#[test]
fn the_same_file_imported_twice_is_stored_once() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    let file = home.path().join("trace.json");
    let bundle = json!({"format": "logout-lens-trace", "version": 1, "events": logout_scenario(false)
        .into_iter()
        .map(|mut e| {
            e["schema"] = json!(1);
            e
        })
        .collect::<Vec<_>>()});
    std::fs::write(&file, bundle.to_string()).unwrap();
    let first = json_out(&cli(
        home.path(),
        &db,
        &["import", file.to_str().unwrap(), "--json"],
    ));
    assert_eq!(first["stored"], 13, "{first}");
    let second = cli(home.path(), &db, &["import", file.to_str().unwrap()]);
    let said = stdout(&second);
    assert!(
        said.contains(&format!("imported before, as trace {}", first["trace"]))
            && said.contains("nothing stored"),
        "{said}"
    );
    let again = json_out(&cli(
        home.path(),
        &db,
        &["import", file.to_str().unwrap(), "--json"],
    ));
    assert_eq!(again["duplicate_of"], first["trace"], "{again}");
    let imports = json_out(&cli(home.path(), &db, &["imports", "--json"]));
    assert_eq!(imports.as_array().unwrap().len(), 1, "{imports}");
    assert_eq!(imports[0]["events"], 13);
    // A file that is not a trace leaves no trace behind.
    let bad = home.path().join("bad.json");
    std::fs::write(&bad, r#"{"events":[], "format":"har","version":1}"#).unwrap();
    assert!(
        !cli(home.path(), &db, &["import", bad.to_str().unwrap()])
            .status
            .success()
    );
    let imports = json_out(&cli(home.path(), &db, &["imports", "--json"]));
    assert_eq!(imports.as_array().unwrap().len(), 1, "{imports}");
}

#[test]
fn listings_say_what_they_cut_and_read_what_they_print() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    ingest(&db, logout_scenario(false));
    let h = home.path();

    // A cut listing says how many there are.
    let cut = stdout(&cli(h, &db, &["list", "--limit", "5"]));
    assert_eq!(cut.lines().count(), 6, "{cut}");
    assert!(
        cut.lines()
            .last()
            .unwrap()
            .contains("showing the newest 5 of 13"),
        "{cut}"
    );
    let whole = stdout(&cli(h, &db, &["list"]));
    assert!(!whole.contains("showing"), "{whole}");

    // --logouts shows each logout's cause, the same as diagnose.
    let logouts = stdout(&cli(h, &db, &["list", "--logouts"]));
    let d = json_out(&cli(h, &db, &["diagnose", "--last", "--json"]));
    assert!(
        logouts.contains("cause: Refresh token expired"),
        "{logouts}"
    );
    assert_eq!(d["cause"], "refresh_token_expired");
    let rows = json_out(&cli(h, &db, &["list", "--logouts", "--json"]));
    assert_eq!(rows[0]["diagnosed_cause"], d["cause"], "{rows}");

    // --origin as people type it.
    for typed in [
        "https://app.example/",
        "HTTPS://App.Example",
        "https://app.example:443/dashboard",
    ] {
        let rows = json_out(&cli(h, &db, &["list", "--origin", typed, "--json"]));
        assert!(rows.as_array().unwrap().len() >= 10, "{typed}: {rows}");
    }

    // --since reads the times list prints: from an event on, that event included.
    let line = whole.lines().nth(8).unwrap().to_owned();
    let printed = line.split_whitespace().next().unwrap();
    let since = stdout(&cli(h, &db, &["list", "--since", printed]));
    assert_eq!(since.lines().next().unwrap(), line, "{since}");
    assert_eq!(since.lines().count(), 13 - 8, "{since}");

    // export --har says how many entries it wrote.
    let har = h.join("t.har");
    let said = stdout(&cli(
        h,
        &db,
        &["export", "--har", "-o", har.to_str().unwrap()],
    ));
    let written: Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    let n = written["log"]["entries"].as_array().unwrap().len();
    assert!(
        n >= 2 && said.contains(&format!("with {n} entries")),
        "{said}"
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    let events: Vec<Value> = (0..3_000).map(super::support::event).collect();
    ingest(&db, events);
    for args in [
        vec!["list", "--limit", "3000"],
        vec!["list", "--limit", "3000", "--json"],
        vec!["export", "-o", "-"],
        vec!["export", "--har", "-o", "-"],
    ] {
        let mut child = Command::new(BIN)
            .args(&args)
            .env("LOGOUT_LENS_DB", &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, as `head -1` does, and close the pipe.
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        let _ = out.read(&mut first).unwrap();
        drop(out);
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn report_since_covers_a_window_without_a_logout() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    let mut events = logout_scenario(false);
    events.retain(|e| e["id"] != "s-13");
    ingest(&db, events);
    let h = home.path();
    let report = h.join("r.html");
    let no_logout = cli(h, &db, &["report", "-o", report.to_str().unwrap()]);
    assert!(!no_logout.status.success());
    assert!(String::from_utf8_lossy(&no_logout.stderr).contains("--since"));
    let said = stdout(&cli(
        h,
        &db,
        &["report", "--since", "1d", "-o", report.to_str().unwrap()],
    ));
    assert!(said.contains("12 events, no logout"), "{said}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("No logout in this window"));
    assert!(html.contains("Tab 1"));
    assert!(html.contains("<dl class=\"kv\">"));
}
