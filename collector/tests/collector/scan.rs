//! The import half of issue 18's secret scan: a bundle seeding every event
//! kind × every string field with a JWT, a bearer header, an e-mail address
//! and a cookie value goes through `logout-lens import` (and, for `tail`,
//! through the native host); none of the four is found in the database files,
//! an export, a HAR, a report, or the output of any CLI command.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::support::{BIN, base_ts, batch, cli, hello, read_all, send, spawn_host, stdout};

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
    eyJzdWIiOiJzY2FuLXVzZXItNDIiLCJleHAiOjE3NjQwMDA5MDB9.\
    ScanSignatureSecret_0xA1b2C3d4E5";
const BEARER: &str = "ScanBearerSecret7f3e9a1c";
const EMAIL: &str = "scan.victim@example.com";
const COOKIE: &str = "ScanCookieSecret5b8d2e6f";

/// What must not appear: each secret, and the parts of the JWT that carry
/// its claims and signature.
fn needles() -> Vec<&'static str> {
    let mut n: Vec<&str> = JWT.split('.').skip(1).collect();
    n.extend([JWT, BEARER, EMAIL, "scan.victim", COOKIE]);
    n
}

/// The values a careless producer could put in a string field: each secret
/// on its own, as a header or URL would carry it, and all of them at once.
fn variants() -> Vec<String> {
    vec![
        JWT.to_owned(),
        format!("Authorization: Bearer {BEARER}"),
        format!("Bearer {BEARER}"),
        EMAIL.to_owned(),
        format!("Cookie: sessionid={COOKIE}; theme=dark"),
        format!("sessionid={COOKIE}"),
        format!("Bearer realm=\"app\", token=\"{BEARER}\", error=\"invalid_token\""),
        format!("{{\"sessionid\": \"{COOKIE}\"}}"),
        format!("https://app.example/magic/{JWT}?access_token={JWT}&email={EMAIL}#sid={COOKIE}"),
        format!(
            "at f (https://app.example/app.js?code={COOKIE}:1:2) {JWT} mail {EMAIL}\n\
             Authorization: Bearer {BEARER}\nSet-Cookie: sid={COOKIE}; Path=/"
        ),
    ]
}

/// Every kind with benign values, and the JSON pointers of its string fields.
fn templates() -> Vec<(Value, Vec<&'static str>)> {
    let token = json!({"fp": "00112233445566aa", "len": 200,
        "claims": {"kind": "access", "alg": "HS256", "exp": 1_764_000_900, "iss": "https://idp.example",
                   "aud": ["app"], "jti": "j-1", "sub_fp": "8899aabbccddeeff"}});
    let claims = [
        "/token/fp",
        "/token/claims/alg",
        "/token/claims/iss",
        "/token/claims/aud/0",
        "/token/claims/jti",
        "/token/claims/sub_fp",
        "/previous/fp",
    ];
    vec![
        (
            json!({"kind": "storage_change", "area": "local", "key": "access_token", "op": "set",
                   "is_jwt": true, "actor": "page_script", "token": token, "previous": token,
                   "stack": "at save (app.js:1:2)"}),
            [&["/key", "/stack"][..], &claims[..]].concat(),
        ),
        (
            json!({"kind": "cookie_change", "name": "sessionid", "domain": "app.example",
                   "cookie_path": "/", "removed": false, "cause": "explicit", "writer": "server",
                   "value": {"fp": "fedcba9876543210", "len": 32}, "request_id": "r1"}),
            vec![
                "/name",
                "/domain",
                "/cookie_path",
                "/value/fp",
                "/request_id",
            ],
        ),
        (
            json!({"kind": "http_exchange", "request_id": "r2", "method": "POST",
                   "url": "https://app.example/api/auth/refresh/", "status": 401, "role": "refresh",
                   "error": "net::ERR_FAILED", "www_authenticate": "Bearer error=\"invalid_token\"",
                   "auth_error_code": "reused", "location": "https://app.example/login",
                   "date": "Fri, 28 Nov 2025 09:08:20 GMT", "set_cookie_deletions": ["sessionid"],
                   "refresh_token_fp": "77aa01bc93de45f0", "access_token_fp": "0123456789abcdef"}),
            vec![
                "/request_id",
                "/method",
                "/url",
                "/error",
                "/www_authenticate",
                "/auth_error_code",
                "/location",
                "/date",
                "/set_cookie_deletions/0",
                "/refresh_token_fp",
                "/access_token_fp",
            ],
        ),
        (
            json!({"kind": "navigation", "url": "https://app.example/login", "to_login": true}),
            vec!["/url"],
        ),
        (json!({"kind": "activity", "last_input_ms": 1}), vec![]),
        (json!({"kind": "idle_state", "state": "idle"}), vec![]),
        (json!({"kind": "page_lifecycle", "state": "hidden"}), vec![]),
        (
            json!({"kind": "time_sample", "wall_elapsed_ms": 10, "mono_elapsed_ms": 10}),
            vec![],
        ),
        (
            json!({"kind": "logout_observed", "trigger": "login_page", "url": "https://app.example/login",
                   "idle_ms": 5}),
            vec!["/url"],
        ),
        (
            json!({"kind": "logout_action", "label": "Log out"}),
            vec!["/label"],
        ),
        (
            json!({"kind": "app_report", "type": "TOKEN_EXPIRED", "message": "expired",
                   "location": "/dashboard", "context": {"userId": "u1", "userEmail": "a@b.example"}}),
            vec![
                "/type",
                "/message",
                "/location",
                "/context/userId",
                "/context/userEmail",
            ],
        ),
        (
            json!({"kind": "future_kind", "note": "n", "url": "/x", "authorization": "a",
                   "cookie": "c=d", "headers": {"Set-Cookie": "s=t", "X-Other": "o"},
                   "nested": [{"deep": "v"}], "token": {"fp": "0011223344556677", "len": 3}}),
            vec![
                "/kind",
                "/note",
                "/url",
                "/authorization",
                "/cookie",
                "/headers/Set-Cookie",
                "/headers/X-Other",
                "/nested/0/deep",
                "/token/fp",
            ],
        ),
    ]
}

/// One event per kind × field × variant, plus one per kind × envelope field.
fn seeded_events() -> Vec<Value> {
    let mut out = Vec::new();
    let mut n = 0;
    let mut push = |mut e: Value, at: &str, v: &str| {
        n += 1;
        let o = e.as_object_mut().unwrap();
        o.insert("schema".into(), json!(1));
        o.insert("id".into(), json!(format!("scan-{n:05}")));
        o.insert("ts_ms".into(), json!(base_ts() - 600_000 + n * 100));
        o.insert("origin".into(), json!("https://app.example"));
        o.insert("path".into(), json!("/dashboard"));
        o.insert("tab".into(), json!(1));
        o.insert("source".into(), json!("page"));
        match at {
            // Ids must stay unique: the seeded one ends with the number.
            "/id" => e["id"] = json!(format!("{v} #{n}")),
            _ => *e.pointer_mut(at).unwrap() = json!(v),
        }
        out.push(e);
    };
    for (template, fields) in templates() {
        for v in variants() {
            for at in ["/id", "/origin", "/path"].iter().chain(&fields) {
                push(template.clone(), at, &v);
            }
        }
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    for s in needles() {
        assert!(!text.contains(s), "{what} holds `{s}`");
    }
}

fn db_files_clean(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let bytes = std::fs::read(&p).unwrap_or_default();
        assert_clean(
            &format!("{}", Path::new(&p).display()),
            &String::from_utf8_lossy(&bytes),
        );
    }
}

/// Every CLI output for one trace, human and JSON.
fn scan_cli(home: &Path, db: &Path, trace: &str) {
    let run = |args: &[&str]| -> String {
        let o = cli(home, db, args);
        // `doctor` fails when no browser has the host registered (none here).
        assert!(
            o.status.success() || args[0] == "doctor",
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_clean(&format!("`{}`", args.join(" ")), &text);
        text
    };
    let listed: Value = serde_json::from_str(&run(&[
        "list", "--trace", trace, "--limit", "100000", "--json",
    ]))
    .unwrap();
    run(&["list", "--trace", trace, "--limit", "100000"]);
    run(&["list", "--trace", trace, "--logouts", "--color", "always"]);
    run(&["diagnose", "--trace", trace]);
    run(&["diagnose", "--trace", trace, "--json"]);
    run(&["imports"]);
    run(&["imports", "--json"]);
    run(&["doctor", "--json"]);
    let events = listed.as_array().unwrap();
    for (i, e) in events.iter().enumerate() {
        let id = e["id"].as_str().unwrap();
        run(&["show", id, "--trace", trace, "--json"]);
        if i % 7 == 0 {
            run(&["show", id, "--trace", trace]);
        }
        if e["kind"] == "logout_observed" && i % 5 == 0 {
            run(&["diagnose", id, "--trace", trace]);
        }
    }
    for args in [
        vec!["export", "--trace", trace, "-o", "-"],
        vec!["export", "--har", "--trace", trace, "-o", "-"],
    ] {
        run(&args);
    }
    let report = home.join(format!("report-{trace}.html"));
    run(&["report", "--trace", trace, "-o", report.to_str().unwrap()]);
    assert_clean("report", &std::fs::read_to_string(&report).unwrap());
}

#[test]
fn no_seeded_secret_survives_import_or_any_output() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    let events = seeded_events();
    assert!(events.len() > 400, "{} events", events.len());
    let bundle = home.path().join("seeded.json");
    std::fs::write(
        &bundle,
        serde_json::to_vec(&json!({"format": "logout-lens-trace", "version": 1, "events": events}))
            .unwrap(),
    )
    .unwrap();
    let out: Value = serde_json::from_str(&stdout(&cli(
        home.path(),
        &db,
        &["import", bundle.to_str().unwrap(), "--json"],
    )))
    .unwrap();
    assert_eq!(out["stored"].as_u64().unwrap() as usize, events.len());
    let trace = out["trace"].to_string();

    // The same events through the native host, as local events, while
    // `tail` follows them.
    let tail = Command::new(BIN)
        .args([
            "tail",
            "--max",
            &events.len().to_string(),
            "--interval-ms",
            "50",
        ])
        .env("LOGOUT_LENS_DB", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let mut host = spawn_host(&db);
    send(&mut host, &hello());
    send(&mut host, &batch(1, events.clone()));
    drop(host.stdin.take());
    let replies = read_all(&host.wait_with_output().unwrap().stdout);
    assert_eq!(
        replies[1]["stored"].as_u64().unwrap() as usize,
        events.len(),
        "{}",
        replies[1]
    );
    let tailed = tail.wait_with_output().unwrap();
    let tailed = String::from_utf8_lossy(&tailed.stdout);
    assert_eq!(tailed.lines().count(), events.len());
    assert_clean("tail", &tailed);

    db_files_clean(&db);
    scan_cli(home.path(), &db, &trace);
    scan_cli(home.path(), &db, "0");
    // The store reopened (migrations run again, nothing to redo): still clean.
    drop(logout_lens_collector::store::Store::open(&db, Default::default()).unwrap());
    db_files_clean(&db);
}
