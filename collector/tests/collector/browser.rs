//! Real headless Chromium (`/usr/bin/chromium`, driven by `playwright-core`
//! from `e2e/`): a test extension reaches the installed host, and the HTML
//! report renders its timeline. Needs `npm ci --prefix e2e` once.

use std::path::{Path, PathBuf};
use std::process::Command;

use logout_lens_collector::store::Store;
use logout_lens_manifest::{EXTENSION_ID, ExtensionDescription, Family};
use serde_json::{Value, json};

use super::support::{cli, ingest, logout_scenario, stdout};

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e")
}

/// Runs one of the e2e scripts with node and parses its JSON line.
fn node(script: &str, args: &[&Path], envs: &[(&str, &Path)]) -> Value {
    let dir = e2e_dir();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core missing: run `npm ci --prefix e2e` (see collector/README.md)"
    );
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} missing: `apt-get install chromium`"
    );
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("collector").join(script)).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run node");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed: {stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .last()
        .unwrap_or_else(|| panic!("{script}: no output; {stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{script}: {e}: {line}"))
}

/// A minimal extension whose service worker talks to the host.
fn write_test_extension(dir: &Path, event_id: &str) {
    let description = ExtensionDescription {
        name: "Logout Lens host test".into(),
        background: "bg.js".into(),
        permissions: vec!["nativeMessaging".into()],
        host_permissions: vec![],
        content_scripts: vec![],
        options_page: None,
        commands: Default::default(),
        icons: Default::default(),
        ..ExtensionDescription::default()
    };
    let manifest = description.manifest(Family::Chromium);
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("popup.html"), "<!doctype html><title>test</title>").unwrap();
    let event = json!({"schema": 1, "id": event_id, "kind": "idle_state", "state": "idle",
                       "origin": "https://e2e.example", "source": "extension"});
    let bg = format!(
        r#"const result = {{ replies: [] }};
const port = chrome.runtime.connectNative('{host}');
port.onMessage.addListener((msg) => {{
  result.replies.push(msg);
  if (msg.type === 'hello') {{
    port.postMessage({{ type: 'batch', seq: 1, events: [{{ ...{event}, ts_ms: Date.now() }}] }});
  }} else if (msg.type === 'ack') {{
    port.postMessage({{ type: 'query', id: 'q1', query: 'status' }});
  }} else {{
    globalThis.__nativeResult = result;
  }}
}});
port.onDisconnect.addListener(() => {{
  result.disconnected = chrome.runtime.lastError?.message ?? 'disconnected';
  globalThis.__nativeResult = result;
}});
port.postMessage({{ type: 'hello', versions: [1], client: 'e2e-test' }});
"#,
        host = logout_lens_manifest::HOST_NAME,
    );
    std::fs::write(dir.join("bg.js"), bg).unwrap();
}

#[test]
fn chromium_extension_reaches_the_installed_host() {
    let home = tempfile::tempdir().unwrap();
    let udd = tempfile::tempdir().unwrap();
    let ext = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    let event_id = format!("e2e-{}", std::process::id());
    write_test_extension(ext.path(), &event_id);
    let udd_s = udd.path().to_str().unwrap();
    stdout(&cli(
        home.path(),
        &db,
        &["install", "--browser", "chromium", "--user-data-dir", udd_s],
    ));

    let out = node(
        "native-host.mjs",
        &[ext.path(), udd.path()],
        &[("LOGOUT_LENS_DB", &db), ("HOME", home.path())],
    );
    assert_eq!(out["id"], EXTENSION_ID, "the fixed key gives the fixed id");
    let replies = &out["result"]["replies"];
    assert_eq!(replies[0]["type"], "hello", "{out}");
    assert_eq!(replies[1]["type"], "ack", "{out}");
    assert_eq!(replies[1]["stored"], 1, "{out}");
    assert_eq!(replies[2]["status"]["events"], 1, "{out}");

    let store = Store::open_read_only(&db).unwrap();
    let stored = store.event(0, &event_id).unwrap();
    assert_eq!(stored.event.origin.as_deref(), Some("https://e2e.example"));
}

#[test]
fn report_in_chromium_shows_the_timeline_and_logout_marker() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("events.db");
    ingest(&db, logout_scenario(false));
    let report = home.path().join("report.html");
    stdout(&cli(
        home.path(),
        &db,
        &["report", "-o", report.to_str().unwrap()],
    ));
    let shot = home.path().join("report.png");
    let dom = node("report-dom.mjs", &[&report, &shot], &[]);
    assert_eq!(dom["logoutId"], "s-13", "{dom}");
    assert_eq!(dom["markerVisible"], true, "{dom}");
    assert_eq!(dom["markerInsideTimeline"], true, "{dom}");
    assert_eq!(dom["logoutRow"], true, "{dom}");
    for lane in ["idleSpans", "sleepSpans", "tokenSpans", "failedRequests"] {
        assert!(dom[lane].as_u64().unwrap() >= 1, "{lane}: {dom}");
    }
    assert!(!dom["findings"].as_array().unwrap().is_empty(), "{dom}");
    assert_eq!(dom["external"], json!([]), "self-contained: {dom}");
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 1000,
        "screenshot written"
    );
    // Keep the artefacts for a look: LOGOUT_LENS_KEEP_REPORT=/some/dir
    if let Some(keep) = std::env::var_os("LOGOUT_LENS_KEEP_REPORT") {
        let keep = Path::new(&keep);
        std::fs::create_dir_all(keep).unwrap();
        std::fs::copy(&report, keep.join("report.html")).unwrap();
        std::fs::copy(&shot, keep.join("report.png")).unwrap();
    }
}
