//! The CLI under hostile input and hostile file systems: terminal escapes in
//! event data, read-only databases, unreadable files, symlinks, file modes.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use super::support::{BIN, base_ts, cli, ingest, logout_scenario, stdout};

/// Characters a page could use to take over a terminal or disguise a line.
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b[2J\rFAKE\u{9b}31m\u{202e}gpj.exe\u{2066}\x08\x7f";

fn has_control(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    })
}

/// Events whose every printed field carries [`HOSTILE`].
fn hostile_events() -> Vec<Value> {
    let t = base_ts();
    let h = HOSTILE;
    vec![
        json!({"schema": 1, "id": format!("h1{h}"), "ts_ms": t, "kind": format!("odd{h}"),
               "origin": format!("https://a.example{h}"), "path": format!("/p{h}"), "note": h}),
        json!({"schema": 1, "id": format!("h2{h}"), "ts_ms": t + 1, "kind": "logout_action",
               "origin": "https://a.example", "path": format!("/p{h}"), "label": format!("Log out{h}")}),
        json!({"schema": 1, "id": format!("h3{h}"), "ts_ms": t + 2, "kind": "logout_observed",
               "origin": "https://a.example", "trigger": "login_page", "url": format!("https://a.example/login{h}")}),
    ]
}

fn assert_no_control(what: &str, o: &Output) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        if let Some(c) = has_control(&text) {
            panic!("{what} {stream} has {c:?}: {text:?}");
        }
    }
}

#[test]
fn event_data_never_reaches_the_terminal_as_control() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    ingest(&db, hostile_events());
    let bundle = home.path().join(format!("trace{}.json", "\u{202e}x"));
    stdout(&cli(
        home.path(),
        &db,
        &["export", "-o", bundle.to_str().unwrap()],
    ));
    let imported = cli(
        home.path(),
        &db,
        &[
            "import",
            bundle.to_str().unwrap(),
            "--name",
            &format!("n{HOSTILE}"),
        ],
    );
    assert_no_control("import", &imported);
    let ids: Vec<String> =
        serde_json::from_str::<Value>(&stdout(&cli(home.path(), &db, &["list", "--json"])))
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(ids.len(), 3);
    let mut runs: Vec<Vec<String>> = vec![
        vec!["list".into()],
        vec!["list".into(), "--json".into()],
        vec!["list".into(), "--color".into(), "always".into()],
        vec!["list".into(), "--trace".into(), "1".into()],
        vec!["diagnose".into()],
        vec!["diagnose".into(), "--color".into(), "always".into()],
        vec!["diagnose".into(), "--json".into()],
        vec!["imports".into()],
        vec!["imports".into(), "--json".into()],
        vec!["doctor".into()],
        vec!["show".into(), format!("no such id{HOSTILE}")],
    ];
    for id in &ids {
        runs.push(vec!["show".into(), id.clone()]);
        runs.push(vec!["show".into(), id.clone(), "--json".into()]);
        runs.push(vec![
            "show".into(),
            id.clone(),
            "--color".into(),
            "always".into(),
        ]);
    }
    for args in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = cli(home.path(), &db, &args);
        if args.contains(&"always") {
            // Only the program's own colours: ESC followed by an SGR sequence.
            let text = String::from_utf8_lossy(&o.stdout).replace("\x1b[", "");
            assert!(!text.contains('\x1b'), "{args:?}: {text:?}");
            assert!(
                has_control(&text.replace('\x1b', "")).is_none(),
                "{args:?}: {text:?}"
            );
        } else {
            assert_no_control(&format!("{args:?}"), &o);
        }
        if args[0] != "show" || !args[1].starts_with("no such") {
            assert!(o.status.success() || args[0] == "doctor", "{args:?}: {o:?}");
        }
    }
    // `tail` prints what arrives.
    let follower = Command::new(BIN)
        .args(["tail", "--max", "3", "--interval-ms", "50"])
        .env("LOGOUT_LENS_DB", &db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let again: Vec<Value> = hostile_events()
        .into_iter()
        .map(|mut e| {
            e["id"] = json!(format!("again-{}", e["id"].as_str().unwrap()));
            e
        })
        .collect();
    ingest(&db, again);
    let o = follower.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 3);
    assert_no_control("tail", &o);
    // JSON output stays JSON: the escapes are JSON's own.
    let listed: Value =
        serde_json::from_str(&stdout(&cli(home.path(), &db, &["list", "--json"]))).unwrap();
    assert!(
        listed[0]["id"].as_str().unwrap().contains('\x1b'),
        "data kept, only escaped"
    );
}

/// Runs the CLI as an unprivileged user when the tests run as root (root
/// ignores file modes), so that a read-only file is read-only. `bin` is a
/// copy of the binary that user can reach (the build folder may be private).
fn cli_unprivileged(bin: &Path, db: &Path, args: &[&str]) -> Output {
    let mut c = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin);
        c
    } else {
        Command::new(bin)
    };
    c.args(args)
        .env("LOGOUT_LENS_DB", db)
        .env("HOME", db.parent().unwrap())
        .output()
        .expect("run logout-lens")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn read_commands_work_on_a_read_only_file_and_folder() {
    let top = tempfile::tempdir().unwrap();
    chmod(top.path(), 0o755);
    let dir = top.path().join("ro");
    let db = dir.join("events.db");
    ingest(&db, logout_scenario(true));
    // A clean close leaves no -wal/-shm; SQLite could not create them here.
    for p in [dir.as_path(), db.as_path()] {
        chmod(p, if p == db { 0o444 } else { 0o555 });
    }
    let bin = top.path().join("logout-lens");
    std::fs::copy(BIN, &bin).unwrap();
    chmod(&bin, 0o755);
    let out_dir = top.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    chmod(&out_dir, 0o777);
    let before = std::fs::read(&db).unwrap();
    let export = out_dir.join("t.json");
    let report = out_dir.join("r.html");
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "s-13"],
        vec!["diagnose", "--last"],
        vec!["imports"],
        vec!["export", "-o", export.to_str().unwrap()],
        vec!["export", "--har", "-o", "-"],
        vec!["report", "-o", report.to_str().unwrap()],
    ] {
        let o = cli_unprivileged(&bin, &db, &args);
        assert!(
            o.status.success(),
            "{args:?} on a read-only database: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(std::fs::read_to_string(&export).unwrap().contains("s-13"));
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing written");
    assert!(!companions_exist(&db), "no -wal or -shm was made");
    // Writing commands say why they cannot, in one line.
    let o = cli_unprivileged(&bin, &db, &["prune", "--older-than", "1d"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(db.to_str().unwrap()), "{err}");
    chmod(&dir, 0o755);
}

fn companions_exist(db: &Path) -> bool {
    ["-wal", "-shm"].iter().any(|s| {
        let mut p = db.as_os_str().to_owned();
        p.push(s);
        Path::new(&p).exists()
    })
}

#[test]
fn database_errors_are_one_line_naming_the_file() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    std::fs::write(
        &db,
        b"this is not an SQLite database, just some text.........",
    )
    .unwrap();
    for args in [
        vec!["list"],
        vec!["diagnose"],
        vec!["export", "-o", "-"],
        vec!["prune", "--vacuum"],
    ] {
        let o = cli(home.path(), &db, &args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("logout-lens: {}: ", db.display())),
            "{args:?}: {err}"
        );
        assert_eq!(err.matches("not a database").count(), 1, "{args:?}: {err}");
    }
    // doctor: the file is there, it cannot be opened — not "not created yet".
    let human = String::from_utf8_lossy(&cli(home.path(), &db, &["doctor"]).stdout).into_owned();
    assert!(
        human.contains("cannot open: ") && !human.contains("not created yet"),
        "{human}"
    );
    let report: Value =
        serde_json::from_slice(&cli(home.path(), &db, &["doctor", "--json"]).stdout).unwrap();
    assert_eq!(report["database"]["exists"], true);
    assert!(
        report["database"]["error"]
            .as_str()
            .unwrap()
            .contains("not a database")
    );
}

#[cfg(unix)]
#[test]
fn database_and_folder_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("data/logout-lens/events.db");
    ingest(&db, logout_scenario(false));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert_eq!(mode(&db), 0o600);
    // A database made by an older version (world-readable) is tightened.
    chmod(&db, 0o644);
    ingest(&db, vec![super::support::event(1)]);
    assert_eq!(mode(&db), 0o600);
    let report: Value =
        serde_json::from_slice(&cli(home.path(), &db, &["doctor", "--json"]).stdout).unwrap();
    assert_eq!(report["database"]["private"], true);
}

#[cfg(unix)]
#[test]
fn exports_never_write_through_a_symlink() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    ingest(&db, logout_scenario(false));
    let victim = home.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    // A link planted where the old temporary file went, and one as the output.
    let out = home.path().join("trace.json");
    std::os::unix::fs::symlink(&victim, home.path().join("trace.tmp-logout-lens")).unwrap();
    stdout(&cli(
        home.path(),
        &db,
        &["export", "-o", out.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(&out)
            .unwrap()
            .file_type()
            .is_file()
    );
    let link = home.path().join("link.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    for args in [
        vec!["export", "-o", link.to_str().unwrap()],
        vec!["export", "--har", "-o", link.to_str().unwrap()],
        vec!["report", "-o", link.to_str().unwrap()],
    ] {
        let o = cli(home.path(), &db, &args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("symbolic link"), "{args:?}: {err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
