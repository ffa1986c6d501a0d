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
            "kind": "cookie_change", "name": "sessionid", "domain": "app.example", "path": "/",
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
    Command::new(BIN)
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
