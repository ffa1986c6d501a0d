//! export (bundle, HAR), import and report: redaction scan and round trips.

use serde_json::Value;

use super::support::{
    RAW_BEARER, RAW_CODE, RAW_COOKIE, RAW_JWT, cli, ingest, logout_scenario, stdout,
};

/// Pieces of every raw secret: the JWT's signature and payload, the cookie
/// value, the bearer credential and the authorization code.
fn secrets() -> Vec<&'static str> {
    let mut parts: Vec<&str> = RAW_JWT.split('.').collect();
    parts.extend([RAW_COOKIE, RAW_BEARER, RAW_CODE]);
    parts
}

fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(s), "{what} leaks `{s}`");
    }
}

#[test]
fn exports_hold_no_raw_token_or_cookie_value() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    // A buggy producer sends unredacted values; the host scrubs them before
    // anything is stored (issue 18: it used to store what it got).
    ingest(&db, logout_scenario(true));
    for file in ["events.db", "events.db-wal", "events.db-shm"] {
        let bytes = std::fs::read(home.path().join(file)).unwrap_or_default();
        assert_clean(file, &String::from_utf8_lossy(&bytes));
    }

    let bundle = home.path().join("trace.json");
    let har = home.path().join("trace.har");
    let report = home.path().join("report.html");
    stdout(&cli(
        home.path(),
        &db,
        &["export", "-o", bundle.to_str().unwrap()],
    ));
    stdout(&cli(
        home.path(),
        &db,
        &["export", "--har", "-o", har.to_str().unwrap()],
    ));
    stdout(&cli(
        home.path(),
        &db,
        &["report", "-o", report.to_str().unwrap()],
    ));
    let listed = stdout(&cli(home.path(), &db, &["export", "-o", "-"]));
    for (what, path) in [("bundle", &bundle), ("HAR", &har), ("report", &report)] {
        assert_clean(what, &std::fs::read_to_string(path).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{what} must not be readable by others");
        }
    }
    assert_clean("stdout export", &listed);

    // Still debuggable: names, fingerprints and structure survive.
    let b: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(b["format"], "logout-lens-trace");
    assert_eq!(b["version"], 1);
    assert_eq!(b["events"].as_array().unwrap().len(), 16);
    let text = b.to_string();
    assert!(
        text.contains("access_token=REDACTED") && text.contains("sessionid=[fp:"),
        "{text}"
    );
    assert!(text.contains("5555666677778888"), "fingerprints are kept");
    assert_eq!(b["diagnoses"][0]["logout_id"], "s-13");
}

#[test]
fn har_is_valid_1_2_with_custom_fields() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    ingest(&db, logout_scenario(false));
    let har = home.path().join("t.har");
    stdout(&cli(
        home.path(),
        &db,
        &["export", "--har", "-o", har.to_str().unwrap()],
    ));
    let v: Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    let log = &v["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "logout-lens");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "only the HTTP exchanges");
    for e in entries {
        for field in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            assert!(!e[field].is_null(), "entry lacks {field}");
        }
        for field in [
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        ] {
            assert!(!e["request"][field].is_null(), "request lacks {field}");
        }
        for field in [
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
        ] {
            assert!(!e["response"][field].is_null(), "response lacks {field}");
        }
        assert!(e["startedDateTime"].as_str().unwrap().ends_with('Z'));
        // Custom data only in `_` fields.
        for k in e.as_object().unwrap().keys() {
            assert!(
                [
                    "startedDateTime",
                    "time",
                    "request",
                    "response",
                    "cache",
                    "timings"
                ]
                .contains(&k.as_str())
                    || k.starts_with('_'),
                "non-standard field {k}"
            );
        }
    }
    let refresh = &entries[1];
    assert_eq!(refresh["response"]["status"], 401);
    assert_eq!(refresh["_logoutLens"]["role"], "refresh");
    assert!(
        refresh["response"]["headers"]
            .to_string()
            .contains("refresh_expired")
    );
    assert_eq!(log["_logoutLens"]["logouts"][0]["id"], "s-13");
}

#[test]
fn import_keeps_traces_apart_and_diagnoses_them() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    ingest(&db, logout_scenario(true));
    let bundle = home.path().join("from-user.json");
    stdout(&cli(
        home.path(),
        &db,
        &["export", "-o", bundle.to_str().unwrap()],
    ));

    // The engineer's machine: a fresh database.
    let db2 = home.path().join("engineer.db");
    let out: Value = serde_json::from_str(&stdout(&cli(
        home.path(),
        &db2,
        &["import", bundle.to_str().unwrap(), "--json"],
    )))
    .unwrap();
    assert_eq!(out["stored"], 16);
    let trace = out["trace"].as_i64().unwrap().to_string();
    let local: Value =
        serde_json::from_str(&stdout(&cli(home.path(), &db2, &["list", "--json"]))).unwrap();
    assert_eq!(local, serde_json::json!([]), "imports are not local events");
    let imported: Value = serde_json::from_str(&stdout(&cli(
        home.path(),
        &db2,
        &["list", "--trace", &trace, "--json"],
    )))
    .unwrap();
    assert_eq!(imported.as_array().unwrap().len(), 16);
    let imports: Value =
        serde_json::from_str(&stdout(&cli(home.path(), &db2, &["imports", "--json"]))).unwrap();
    assert_eq!(imports[0]["name"], "from-user.json");
    let d: Value = serde_json::from_str(&stdout(&cli(
        home.path(),
        &db2,
        &["diagnose", "--trace", &trace, "--json"],
    )))
    .unwrap();
    assert_eq!(d["logout_id"], "s-13");

    // A raw (unredacted) timeline imported directly is scrubbed on the way in.
    let raw = home.path().join("raw.json");
    std::fs::write(&raw, serde_json::to_vec(&logout_scenario(true)).unwrap()).unwrap();
    stdout(&cli(home.path(), &db2, &["import", raw.to_str().unwrap()]));
    drop(std::process::Command::new("true").status());
    let dump = std::process::Command::new(super::support::BIN)
        .args(["export", "--trace", "2", "-o", "-"])
        .env("LOGOUT_LENS_DB", &db2)
        .output()
        .unwrap();
    assert_clean(
        "imported raw timeline",
        &String::from_utf8_lossy(&dump.stdout),
    );

    for bad in [
        &b"{\"format\":\"other\"}"[..],
        b"not json",
        b"{\"format\":\"logout-lens-trace\",\"version\":9,\"events\":[]}",
    ] {
        let f = home.path().join("bad.json");
        std::fs::write(&f, bad).unwrap();
        let o = cli(home.path(), &db2, &["import", f.to_str().unwrap()]);
        assert!(!o.status.success());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("trace"),
            "clear error"
        );
    }
}

#[test]
fn round_trips_keep_every_fingerprint() {
    // Issue 18: every import/export round trip nested the placeholders
    // (`Bearer [[[fp:… len:19] len:19] len:40]`) and lost the original
    // fingerprint and length.
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    ingest(&db, logout_scenario(true));
    let mut bundles = Vec::new();
    let mut source = (db, "0".to_owned());
    for hop in 0..3 {
        let file = home.path().join(format!("hop{hop}.json"));
        stdout(&cli(
            home.path(),
            &source.0,
            &["export", "--trace", &source.1, "-o", file.to_str().unwrap()],
        ));
        let b: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        bundles.push((b["events"].clone(), b["diagnoses"].clone()));
        // The next machine: a fresh database, another install secret.
        let next = home.path().join(format!("hop{hop}.db"));
        let out: Value = serde_json::from_str(&stdout(&cli(
            home.path(),
            &next,
            &["import", file.to_str().unwrap(), "--json"],
        )))
        .unwrap();
        source = (next, out["trace"].to_string());
    }
    assert!(bundles[0].0.to_string().contains("Bearer [fp:"));
    assert_eq!(bundles[0], bundles[1], "first round trip changed the trace");
    assert_eq!(
        bundles[1], bundles[2],
        "second round trip changed the trace"
    );
}
