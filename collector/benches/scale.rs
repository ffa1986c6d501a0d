//! Scale benchmark: the CLI on a million-event database, beside bare
//! baselines in the same run. Prints medians, peak RSS and the ratios the
//! goals are stated in.
//!
//! `cargo bench -p logout-lens-collector --bench scale`
//!
//! - `export` and `export --har` (the real binary, to a file) against a bare
//!   rusqlite + serde_json dump of the same rows (read each stored body,
//!   parse it, write a JSON array);
//! - `import` of a bundle of the same events against the collector's own
//!   ingest path (the host binary fed framed batches of 500, every ack
//!   awaited);
//! - `list`, `list --logouts`, `diagnose --last` (whole process, start to
//!   exit) and one `tail` poll (in process).
//!
//! Env: `SCALE_EVENTS` (default 1000000), `SCALE_RUNS` (default 3),
//! `SCALE_BIN` (measure another build of `logout-lens`, e.g. an older one;
//! its schema must read this build's database), `SCALE_TIMEOUT_S` (a command
//! running longer is killed and shown as `>T`; default 300), `SCALE_DB` (keep
//! the seeded database at this path and reuse it on the next run).

mod common;
#[path = "../tests/collector/corpus.rs"]
mod corpus;
#[path = "../tests/collector/support.rs"]
mod support;

use common::{env_num, median};
use std::io::{BufWriter, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use logout_lens_collector::store::{Durability, Filter, LOCAL, NewEvent, Store, now_ms};
use logout_lens_model::wire::parse_event;

/// How one child process went.
#[derive(Debug, Clone, Copy)]
struct Run {
    secs: f64,
    /// Peak resident set, MB.
    rss_mb: f64,
    /// Killed at the timeout.
    timed_out: bool,
}

/// Samples a process's peak RSS (`VmHWM`, a high-water mark, so only a peak
/// in its last few milliseconds could be missed) until it is gone.
fn sample_peak(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(kb) = support::peak_rss_kb(pid) {
            peak = peak.max(kb);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    })
}

/// Waits for `child` (killing it at `timeout`); its time since `start` and
/// the peak `sampler` saw.
fn wait_run(
    child: &mut std::process::Child,
    sampler: std::thread::JoinHandle<u64>,
    start: Instant,
    timeout: Duration,
) -> Run {
    let mut timed_out = false;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let secs = start.elapsed().as_secs_f64();
            assert!(status.success() || timed_out, "child failed: {status}");
            return Run {
                secs,
                rss_mb: sampler.join().unwrap() as f64 / 1024.0,
                timed_out,
            };
        }
        if !timed_out && start.elapsed() > timeout {
            let _ = child.kill();
            timed_out = true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

struct Bench {
    bin: PathBuf,
    db: PathBuf,
    dir: PathBuf,
    timeout: Duration,
}

impl Bench {
    /// Runs the CLI on `db`, stdout to a sink; time and peak RSS.
    fn cli(&self, db: &Path, args: &[&str]) -> Run {
        let start = Instant::now();
        let mut child = Command::new(&self.bin)
            .args(args)
            .env("LOGOUT_LENS_DB", db)
            .env("LOGOUT_LENS_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn logout-lens");
        let sampler = sample_peak(child.id());
        wait_run(&mut child, sampler, start, self.timeout)
    }

    /// The host binary fed `input` (hello, then framed batches); every ack awaited.
    fn host_ingest(&self, db: &Path, input: &[u8], batches: usize) -> Run {
        let mut child = support::spawn_host_bin(&self.bin, db);
        let sampler = sample_peak(child.id());
        let start = Instant::now();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let body = input.to_vec();
        let writer = std::thread::spawn(move || {
            stdin.write_all(&body).unwrap();
        });
        assert_eq!(support::read_frame(&mut stdout).unwrap()["type"], "hello");
        for _ in 0..batches {
            let ack = support::read_frame(&mut stdout).expect("ack");
            assert_eq!(ack["type"], "ack", "{ack}");
        }
        writer.join().unwrap();
        let mut rest = Vec::new();
        let _ = stdout.read_to_end(&mut rest);
        wait_run(&mut child, sampler, start, self.timeout)
    }
}

/// The bare baseline: every stored body of the trace read with rusqlite,
/// parsed and written as one JSON array with serde_json.
fn bare_dump(db: &Path, out: &Path) -> f64 {
    let start = Instant::now();
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT body FROM events WHERE trace = 0 ORDER BY ts_ms, seq")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut w = BufWriter::new(std::fs::File::create(out).unwrap());
    w.write_all(b"[").unwrap();
    let mut first = true;
    while let Some(row) = rows.next().unwrap() {
        let body = row.get_ref(0).unwrap().as_str().unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        if !first {
            w.write_all(b",\n").unwrap();
        }
        first = false;
        serde_json::to_writer(&mut w, &v).unwrap();
    }
    w.write_all(b"]\n").unwrap();
    w.into_inner().unwrap().sync_all().unwrap();
    start.elapsed().as_secs_f64()
}

/// Seeds `db` with `events` through the store (parse, canonical body, batches).
fn seed(db: &Path, events: &[String]) {
    let mut store = Store::open(db, Durability::Normal).unwrap();
    for chunk in events.chunks(5_000) {
        let rows: Vec<NewEvent> = chunk
            .iter()
            .map(|t| NewEvent::from_event(&parse_event(t.as_bytes()).unwrap()).unwrap())
            .collect();
        store.insert_batch(LOCAL, &rows, now_ms()).unwrap();
    }
    store
        .connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
}

/// A trace bundle of `events`, as `export` writes one.
fn write_bundle(path: &Path, events: &[String]) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    write!(
        w,
        r#"{{"format":"logout-lens-trace","version":1,"generator":"bench","exported_ms":{},"filter":{{}},"events":["#,
        now_ms()
    )
    .unwrap();
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            w.write_all(b",\n").unwrap();
        }
        w.write_all(e.as_bytes()).unwrap();
    }
    w.write_all(b"],\"diagnoses\":[]}\n").unwrap();
    w.flush().unwrap();
}

/// Framed hello + batches of `batch` events; returns the bytes and the batch count.
fn host_input(events: &[String], batch: usize) -> (Vec<u8>, usize) {
    let mut input = support::frame(&support::hello());
    let mut n = 0;
    for (seq, chunk) in events.chunks(batch).enumerate() {
        let mut body = format!(r#"{{"type":"batch","seq":{seq},"events":["#).into_bytes();
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(e.as_bytes());
        }
        body.extend_from_slice(b"]}");
        input.extend(support::frame_bytes(&body));
        n += 1;
    }
    (input, n)
}

fn show(r: &[Run]) -> String {
    let secs: Vec<f64> = r.iter().map(|r| r.secs).collect();
    let rss: Vec<f64> = r.iter().map(|r| r.rss_mb).collect();
    let t = median(&secs);
    let cut = if r.iter().any(|r| r.timed_out) {
        ">"
    } else {
        ""
    };
    format!("{cut}{t:>7.2} s  {:>7.0} MB", median(&rss))
}

fn file_mb(p: &Path) -> f64 {
    std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6)
}

fn main() {
    let n = env_num("SCALE_EVENTS", 1_000_000);
    let runs = env_num("SCALE_RUNS", 3).max(1);
    let timeout = Duration::from_secs(env_num("SCALE_TIMEOUT_S", 300) as u64);
    let bin =
        std::env::var_os("SCALE_BIN").map_or_else(|| PathBuf::from(support::BIN), PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();

    let t = Instant::now();
    let events = corpus::timeline(n, now_ms() - 60_000);
    let bytes: usize = events.iter().map(String::len).sum();
    eprintln!(
        "generated {n} events ({:.0} MB of JSON) in {:.1} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    // SCALE_DB=path keeps the seeded database for the next run (same size).
    let db = std::env::var_os("SCALE_DB").map_or_else(|| dir.join("scale.db"), PathBuf::from);
    let b = Bench {
        bin,
        db,
        dir: dir.clone(),
        timeout,
    };
    let t = Instant::now();
    if !b.db.exists() {
        seed(&b.db, &events);
    }
    let logouts = Store::open_read_only(&b.db)
        .unwrap()
        .stats(LOCAL)
        .unwrap()
        .logouts;
    eprintln!(
        "seeded {} ({:.0} MB, {logouts} logout events) in {:.1} s",
        b.db.display(),
        file_mb(&b.db),
        t.elapsed().as_secs_f64()
    );
    let bundle = dir.join("bundle.json");
    write_bundle(&bundle, &events);
    let (input, batches) = host_input(&events, 500);
    drop(events);

    let db = b.db.to_str().unwrap().to_owned();
    let (mut bare, mut export, mut har, mut ingest, mut import) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut list, mut logouts_list, mut diag, mut tail) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let out = b.dir.join("out.json");
    let out_s = out.to_str().unwrap().to_owned();
    for run in 0..runs {
        bare.push(bare_dump(&b.db, &out));
        let bare_mb = file_mb(&out);
        export.push(b.cli(&b.db, &["export", "-o", &out_s]));
        let export_mb = file_mb(&out);
        har.push(b.cli(&b.db, &["export", "--har", "-o", &out_s]));
        let har_mb = file_mb(&out);
        let _ = std::fs::remove_file(&out);

        let fresh = b.dir.join(format!("ingest-{run}.db"));
        ingest.push(b.host_ingest(&fresh, &input, batches));
        remove_db(&fresh);
        let fresh = b.dir.join(format!("import-{run}.db"));
        import.push(b.cli(&fresh, &["import", bundle.to_str().unwrap()]));
        remove_db(&fresh);

        for _ in 0..3 {
            list.push(b.cli(&b.db, &["list"]));
            logouts_list.push(b.cli(&b.db, &["list", "--logouts"]));
            diag.push(b.cli(&b.db, &["diagnose", "--last"]));
            tail.push(tail_poll(&db));
        }
        eprintln!(
            "run {run}: bare {:.2} s ({bare_mb:.0} MB) | export {:.2} s {:.0} MB ({export_mb:.0} MB) | \
             har {:.2} s {:.0} MB ({har_mb:.0} MB) | ingest {:.2} s {:.0} MB | import {:.2} s {:.0} MB",
            bare[run],
            export[run].secs,
            export[run].rss_mb,
            har[run].secs,
            har[run].rss_mb,
            ingest[run].secs,
            ingest[run].rss_mb,
            import[run].secs,
            import[run].rss_mb,
        );
    }
    let bare_s = median(&bare);
    let ratio = |r: &[Run], base: f64| median(&r.iter().map(|r| r.secs).collect::<Vec<_>>()) / base;
    let ingest_s = median(&ingest.iter().map(|r| r.secs).collect::<Vec<_>>());
    println!(
        "scale: {n} events, {logouts} logout events, medians of {runs} runs (list/diagnose/tail: {} runs)",
        runs * 3
    );
    println!("  bare rusqlite+serde_json dump {bare_s:>7.2} s");
    println!(
        "  export                        {}   {:.2}x bare (goal <= 3x, <= 150 MB)",
        show(&export),
        ratio(&export, bare_s)
    );
    println!(
        "  export --har                  {}   {:.2}x bare (goal <= 3x, <= 150 MB)",
        show(&har),
        ratio(&har, bare_s)
    );
    println!("  host ingest (batches of 500)  {}", show(&ingest));
    println!(
        "  import                        {}   {:.2}x ingest (goal <= 2x, <= 150 MB)",
        show(&import),
        ratio(&import, ingest_s)
    );
    for (name, r) in [
        ("list", &list),
        ("list --logouts", &logouts_list),
        ("diagnose --last", &diag),
    ] {
        println!(
            "  {name:<29} {:>7.1} ms (whole process; goal < 50 ms)",
            1000.0 * median(&r.iter().map(|r| r.secs).collect::<Vec<_>>())
        );
    }
    println!(
        "  tail poll (in process)        {:>7.1} ms",
        1000.0 * median(&tail)
    );
}

/// One `tail` poll as the CLI does it: the newest seq, then what came after.
fn tail_poll(db: &str) -> f64 {
    let start = Instant::now();
    let store = Store::open_read_only(Path::new(db)).unwrap();
    let after = store.max_seq().unwrap();
    let rows = store
        .events(&Filter {
            after_seq: Some(after - 5),
            ..Filter::default()
        })
        .unwrap();
    assert!(rows.len() <= 5);
    start.elapsed().as_secs_f64()
}

fn remove_db(p: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(s));
    }
}
