//! Exports: the versioned trace bundle and HAR 1.2 of the network part.
//! Everything written goes through the model's scrubber first (the store
//! holds scrubbed events already; scrubbing is idempotent, so this only
//! matters for what an older version stored).

use logout_lens_model::event::{EventKind, HttpExchange};
use logout_lens_model::{DiagnoseOptions, Diagnosis, Event, Redactor, Target, diagnose, logouts};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{CollectorError, Result};
use crate::units::rfc3339_ms;

/// The `format` tag of a trace bundle.
pub const BUNDLE_FORMAT: &str = "logout-lens-trace";
/// The bundle layout version.
pub const BUNDLE_VERSION: u32 = 1;

/// What an export was asked for, recorded in the bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
}

/// A redacted trace bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub version: u32,
    pub generator: String,
    pub exported_ms: i64,
    #[serde(default)]
    pub filter: ExportFilter,
    /// Events in the schema-v1 wire form, oldest first.
    pub events: Vec<Value>,
    /// The diagnosis of every logout in `events`.
    #[serde(default)]
    pub diagnoses: Vec<Value>,
}

fn generator() -> String {
    concat!("logout-lens/", env!("CARGO_PKG_VERSION")).to_owned()
}

/// The diagnosis of every logout in a timeline (logouts that cannot be
/// diagnosed are skipped).
pub fn diagnose_all(events: &[Event]) -> Vec<Diagnosis> {
    logouts(events)
        .into_iter()
        .filter_map(|id| diagnose(events, &Target::Id(id), &DiagnoseOptions::default()).ok())
        .collect()
}

/// Builds the bundle, calling `progress` after each event.
pub fn bundle(
    events: &[Event],
    filter: ExportFilter,
    redactor: &Redactor,
    now_ms: i64,
    mut progress: impl FnMut(usize),
) -> Bundle {
    let mut clean = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let mut e = e.clone();
        redactor.scrub_event(&mut e);
        clean.push(e);
        progress(i + 1);
    }
    let diagnoses = diagnose_all(&clean)
        .into_iter()
        .map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
            redactor.scrub_json(None, &mut v);
            v
        })
        .collect();
    let out = clean
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    Bundle {
        format: BUNDLE_FORMAT.into(),
        version: BUNDLE_VERSION,
        generator: generator(),
        exported_ms: now_ms,
        filter,
        events: out,
        diagnoses,
    }
}

/// Reads a file to import: a bundle, or a bare JSON array of events.
pub fn read_import(bytes: &[u8]) -> Result<Vec<Event>> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CollectorError::BadImport(format!("not JSON: {e}")))?;
    let events = match v {
        Value::Array(items) => items,
        Value::Object(mut m) => {
            match m.get("format").and_then(Value::as_str) {
                Some(BUNDLE_FORMAT) => {}
                other => {
                    return Err(CollectorError::BadImport(format!(
                        "format is {other:?}, expected \"{BUNDLE_FORMAT}\""
                    )));
                }
            }
            let version = m.get("version").and_then(Value::as_u64).unwrap_or(0);
            if version != u64::from(BUNDLE_VERSION) {
                return Err(CollectorError::BadImport(format!(
                    "bundle version {version}; this build reads {BUNDLE_VERSION}"
                )));
            }
            match m.remove("events") {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(CollectorError::BadImport(
                        "bundle has no `events` array".into(),
                    ));
                }
            }
        }
        _ => {
            return Err(CollectorError::BadImport(
                "expected a bundle object or an array".into(),
            ));
        }
    };
    events
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value::<Event>(v)
                .map_err(|e| CollectorError::BadImport(format!("event {i}: {e}")))
        })
        .collect()
}

/// HAR 1.2 of the HTTP exchanges; Logout Lens data in `_`-prefixed fields.
pub fn har(events: &[Event], redactor: &Redactor) -> Value {
    let entries: Vec<Value> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::HttpExchange(x) => Some(har_entry(e, x)),
            _ => None,
        })
        .collect();
    let logouts: Vec<Value> = events
        .iter()
        .filter(|e| e.is_logout())
        .map(|e| json!({"id": e.id, "ts": rfc3339_ms(e.ts_ms), "kind": e.kind.name(), "origin": e.origin}))
        .collect();
    let mut v = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "logout-lens", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
            "_logoutLens": {"format": BUNDLE_FORMAT, "logouts": logouts},
        }
    });
    redactor.scrub_json(None, &mut v);
    v
}

fn har_entry(e: &Event, x: &HttpExchange) -> Value {
    let mut response_headers = Vec::new();
    let mut push = |name: &str, value: &Option<String>| {
        if let Some(v) = value {
            response_headers.push(json!({"name": name, "value": v}));
        }
    };
    push("Location", &x.location);
    push("WWW-Authenticate", &x.www_authenticate);
    push("Date", &x.date);
    push("X-Auth-Error-Code", &x.auth_error_code);
    let url = logout_lens_model::redact::redact_url(&x.url);
    let query: Vec<Value> = url
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            json!({"name": n, "value": v})
        })
        .collect();
    let duration = x.duration_ms.map_or(0, i64::from);
    json!({
        "startedDateTime": rfc3339_ms(e.ts_ms),
        "time": duration,
        "request": {
            "method": x.method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "queryString": query,
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": x.status.unwrap_or(0),
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": response_headers,
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": x.location.clone().unwrap_or_default(),
            "headersSize": -1,
            "bodySize": -1,
            "_error": x.error,
        },
        "cache": {},
        "timings": {"send": 0, "wait": duration, "receive": 0},
        "_logoutLens": {
            "id": e.id,
            "origin": e.origin,
            "tab": e.tab,
            "role": x.role,
            "requestId": x.request_id,
            "setCookieDeletions": x.set_cookie_deletions,
            "refreshTokenFp": x.refresh_token_fp,
            "accessTokenFp": x.access_token_fp,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn import_table() {
        let ev = r#"{"schema":1,"id":"a","ts_ms":1,"kind":"activity","last_input_ms":0}"#;
        let bundle = format!(r#"{{"format":"logout-lens-trace","version":1,"events":[{ev}]}}"#);
        let cases: &[(&str, Result<usize, &str>)] = &[
            (&bundle, Ok(1)),
            (&format!("[{ev},{ev}]"), Ok(2)),
            ("[]", Ok(0)),
            (r#"{"format":"har","version":1,"events":[]}"#, Err("format")),
            (
                r#"{"format":"logout-lens-trace","version":2,"events":[]}"#,
                Err("version"),
            ),
            (
                r#"{"format":"logout-lens-trace","version":1}"#,
                Err("no `events`"),
            ),
            (r#"[{"schema":1,"kind":"activity"}]"#, Err("event 0")),
            ("42", Err("expected")),
            ("{", Err("not JSON")),
        ];
        for (text, want) in cases {
            match (read_import(text.as_bytes()), want) {
                (Ok(events), Ok(n)) => assert_eq!(events.len(), *n, "{text}"),
                (Err(e), Err(needle)) => assert!(e.to_string().contains(needle), "{text}: {e}"),
                (got, _) => panic!("{text}: {got:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn import_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = read_import(&bytes);
        }
    }
}
