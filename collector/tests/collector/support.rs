//! Shared helpers: realistic events, framing, spawning the host binary.
//! Also compiled into the ingest benchmark (`#[path]`), so keep it std + deps only.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_logout-lens");

/// An hour ago, fixed for the whole process: recent enough that the host's
/// 30-day retention keeps it, stable so `event(i)` is the same on every call.
pub fn base_ts() -> i64 {
    static BASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| logout_lens_collector::store::now_ms() - 3_600_000)
}

/// A varied, realistic event (already redacted, as the extension sends them).
pub fn event(i: u64) -> Value {
    let id = format!("ev-{i:08}");
    let ts = base_ts() + i as i64 * 37;
    let origin = if i % 7 == 0 {
        "https://shop.example"
    } else {
        "https://app.example"
    };
    let mut e = match i % 5 {
        0 => json!({
            "kind": "http_exchange", "request_id": format!("r{i}"), "method": "GET",
            "url": format!("{origin}/api/items/{}?page=REDACTED", i % 97),
            "status": if i % 50 == 0 { 401 } else { 200 }, "role": "api", "duration_ms": 42,
            "date": "Mon, 24 Nov 2025 12:00:00 GMT", "access_token_fp": "0123456789abcdef"
        }),
        1 => json!({
            "kind": "cookie_change", "name": "sessionid", "domain": "app.example", "cookie_path": "/",
            "removed": false, "cause": "explicit", "http_only": true, "secure": true,
            "same_site": "lax", "value": {"fp": "fedcba9876543210", "len": 32}, "writer": "server"
        }),
        2 => json!({
            "kind": "storage_change", "area": "local", "key": "access_token", "op": "set",
            "is_jwt": true, "actor": "page_script",
            "token": {"fp": "00112233445566aa", "len": 212,
                      "claims": {"kind": "access", "alg": "HS256", "exp": 1_764_000_900, "iat": 1_764_000_000}}
        }),
        3 => {
            json!({"kind": "page_lifecycle", "state": if i % 2 == 0 { "hidden" } else { "visible" }})
        }
        _ => json!({"kind": "activity", "last_input_ms": ts - 1000}),
    };
    let o = e.as_object_mut().unwrap();
    o.insert("schema".into(), json!(1));
    o.insert("id".into(), json!(id));
    o.insert("ts_ms".into(), json!(ts));
    o.insert("origin".into(), json!(origin));
    o.insert("path".into(), json!("/dashboard"));
    o.insert("tab".into(), json!(i % 4));
    o.insert("source".into(), json!("extension"));
    e
}

/// One native-messaging frame (native-endian length + JSON).
pub fn frame(v: &Value) -> Vec<u8> {
    frame_bytes(&serde_json::to_vec(v).unwrap())
}

pub fn frame_bytes(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_ne_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

pub fn hello() -> Value {
    json!({"type": "hello", "versions": [1], "client": "test"})
}

pub fn batch(seq: u64, events: impl IntoIterator<Item = Value>) -> Value {
    json!({"type": "batch", "seq": seq, "events": events.into_iter().collect::<Vec<_>>()})
}

/// Reads one frame; `None` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> Option<Value> {
    let mut len = [0u8; 4];
    if r.read_exact(&mut len).is_err() {
        return None;
    }
    let mut body = vec![0u8; u32::from_ne_bytes(len) as usize];
    r.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).expect("host replies are JSON"))
}

/// Every frame in a buffer.
pub fn read_all(mut bytes: &[u8]) -> Vec<Value> {
    std::iter::from_fn(|| read_frame(&mut bytes)).collect()
}

/// Starts the host binary the way Chromium does, on `db`.
pub fn spawn_host(db: &Path) -> Child {
    spawn_host_bin(Path::new(BIN), db)
}

/// [`spawn_host`] for the host binary `bin` (a `logout-lens` build).
pub fn spawn_host_bin(bin: &Path, db: &Path) -> Child {
    Command::new(bin)
        .arg(logout_lens_manifest::chromium_origin())
        .env("LOGOUT_LENS_DB", db)
        .env("LOGOUT_LENS_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn logout-lens")
}

/// Writes frames to a child's stdin.
pub fn send(child: &mut Child, v: &Value) {
    child.stdin.as_mut().unwrap().write_all(&frame(v)).unwrap();
}

/// A raw JWT and other raw secrets a buggy producer might leak; the export
/// scan test looks for these.
pub const RAW_JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImV4cCI6MTc2NDAwMDkwMH0.S3cr3tS1gnatureValue_abcdefXYZ";
pub const RAW_COOKIE: &str = "rawCookieValue9f8e7d6c5b4a";
pub const RAW_BEARER: &str = "opaqueBearerSecret123456789";
pub const RAW_CODE: &str = "authCodeSecret777";

/// A realistic logout: login, token stored, tab hidden, user idle, machine
/// asleep, refresh rejected, cookie and token removed, login page.
/// With `leaky`, some events also carry raw secrets a buggy extension failed
/// to redact.
pub fn logout_scenario(leaky: bool) -> Vec<Value> {
    let b = base_ts() - 40 * 60_000;
    let o = "https://app.example";
    let min = 60_000;
    let mut evs = vec![
        json!({"id": "s-01", "ts_ms": b, "kind": "http_exchange", "method": "POST",
               "url": format!("{o}/api/auth/login"), "status": 200, "role": "login", "duration_ms": 120}),
        json!({"id": "s-02", "ts_ms": b + 200, "kind": "storage_change", "area": "local", "key": "access_token",
               "op": "set", "is_jwt": true, "actor": "page_script",
               "token": {"fp": "aaaabbbbccccdddd", "len": 180,
                         "claims": {"kind": "access", "exp": (b + 15 * min) / 1000, "iat": b / 1000}}}),
        json!({"id": "s-03", "ts_ms": b + 300, "kind": "cookie_change", "name": "sessionid", "domain": "app.example",
               "removed": false, "cause": "explicit", "http_only": true, "expires_ms": b + 30 * min,
               "value": {"fp": "1111222233334444", "len": 32}, "writer": "server"}),
        json!({"id": "s-04", "ts_ms": b + 2 * min, "tab": 1, "kind": "page_lifecycle", "state": "hidden"}),
        json!({"id": "s-05", "ts_ms": b + 3 * min, "kind": "idle_state", "state": "idle"}),
        json!({"id": "s-06", "ts_ms": b + 25 * min, "kind": "time_sample", "wall_elapsed_ms": 20 * min,
               "mono_elapsed_ms": 60_000}),
        json!({"id": "s-07", "ts_ms": b + 25 * min + 500, "kind": "idle_state", "state": "active"}),
        json!({"id": "s-08", "ts_ms": b + 25 * min + 600, "tab": 1, "kind": "page_lifecycle", "state": "visible"}),
        json!({"id": "s-09", "ts_ms": b + 25 * min + 900, "kind": "http_exchange", "method": "POST",
               "url": format!("{o}/api/auth/refresh"), "status": 401, "role": "refresh",
               "www_authenticate": "Bearer error=\"invalid_token\"", "auth_error_code": "refresh_expired",
               "refresh_token_fp": "5555666677778888"}),
        json!({"id": "s-10", "ts_ms": b + 25 * min + 950, "kind": "cookie_change", "name": "sessionid",
               "domain": "app.example", "removed": true, "cause": "expired_overwrite", "writer": "server"}),
        json!({"id": "s-11", "ts_ms": b + 25 * min + 1000, "kind": "storage_change", "area": "local",
               "key": "access_token", "op": "remove", "is_jwt": true, "actor": "page_script"}),
        json!({"id": "s-12", "ts_ms": b + 25 * min + 1200, "kind": "navigation",
               "url": format!("{o}/login?next=%2Fdashboard"), "to_login": true}),
        json!({"id": "s-13", "ts_ms": b + 25 * min + 1300, "kind": "logout_observed", "trigger": "login_page",
               "url": format!("{o}/login"), "idle_ms": 22 * min}),
    ];
    if leaky {
        evs.push(json!({"id": "s-14", "ts_ms": b + 25 * min + 800, "kind": "http_exchange", "method": "GET",
            "url": format!("{o}/api/me?access_token={RAW_JWT}&lang=en"), "status": 302, "role": "api",
            "location": format!("https://idp.example/cb?code={RAW_CODE}&state=x")}));
        evs.push(json!({"id": "s-15", "ts_ms": b + 25 * min + 850, "kind": "storage_change", "area": "local",
            "key": "debug", "op": "set", "actor": "page_script",
            "stack": format!("at save (https://app.example/app.js?t={RAW_JWT}:1:2) value {RAW_JWT}")}));
        evs.push(
            json!({"id": "s-16", "ts_ms": b + 25 * min + 870, "kind": "debug_dump",
            "authorization": format!("Bearer {RAW_BEARER}"),
            "cookie": format!("sessionid={RAW_COOKIE}; theme=dark"),
            "headers": {"Set-Cookie": format!("sessionid={RAW_COOKIE}; Path=/; HttpOnly")},
            "note": format!("saw token {RAW_JWT} and Bearer {RAW_BEARER}")}),
        );
    }
    for (i, e) in evs.iter_mut().enumerate() {
        let m = e.as_object_mut().unwrap();
        m.insert("schema".into(), json!(1));
        m.entry("origin").or_insert(json!(o));
        m.entry("path").or_insert(json!("/dashboard"));
        m.entry("tab").or_insert(json!(1));
        m.insert(
            "source".into(),
            json!(if i % 2 == 0 { "extension" } else { "page" }),
        );
    }
    evs
}

/// Runs the CLI with an isolated HOME and database.
pub fn cli(home: &Path, db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("LOGOUT_LENS_DB", db)
        .env_remove("NO_COLOR")
        .output()
        .expect("run logout-lens")
}

/// Feeds events through a spawned host (as the extension would) and waits for the ack.
pub fn ingest(db: &Path, events: Vec<Value>) {
    ingest_with(Path::new(BIN), db, events);
}

/// [`ingest`] through the host binary `bin`.
pub fn ingest_with(bin: &Path, db: &Path, events: Vec<Value>) {
    let mut child = spawn_host_bin(bin, db);
    send(&mut child, &hello());
    send(&mut child, &batch(1, events));
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let replies = read_all(&out.stdout);
    assert_eq!(replies[1]["type"], "ack", "{replies:?}");
    assert_eq!(replies[1]["rejected"], json!([]), "{replies:?}");
}

pub fn stdout(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}
