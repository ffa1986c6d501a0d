//! Exports: the versioned trace bundle and HAR 1.2 of the network part.
//! Everything written goes through the model's scrubber first (the store
//! holds scrubbed events already; scrubbing is idempotent, so this only
//! matters for what an older version stored).

use std::io::{Read, Write};

use logout_lens_model::event::{EventKind, HttpExchange};
use logout_lens_model::logout::logouts as model_logouts;
use logout_lens_model::wire::parse_event;
use logout_lens_model::{DiagnoseOptions, Diagnosis, Event, Redactor, Target, diagnose};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::{RawValue, Value};

use crate::error::{CollectorError, Result};
use crate::store::{Filter, Store, TraceId};
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

fn generator() -> String {
    concat!("logout-lens/", env!("CARGO_PKG_VERSION")).to_owned()
}

/// The diagnosis of each logout episode among `logouts` (logout events of
/// trace `trace`, any order), each over its own window in the store, as
/// `diagnose ID` computes it. Logouts that cannot be diagnosed are skipped.
pub fn diagnose_logouts(store: &Store, trace: TraceId, logouts: &[Event]) -> Vec<Diagnosis> {
    // Episodes only group logout events, so the logouts alone name the same
    // representatives as the whole timeline.
    model_logouts(logouts)
        .into_iter()
        .filter_map(|id| {
            let (_, window) = store.diagnosis_window(trace, Some(&id.0), None).ok()??;
            diagnose(&window, &Target::Id(id), &DiagnoseOptions::default()).ok()
        })
        .collect()
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// Events read (and, for a bundle, written).
    pub events: usize,
    /// HAR entries written (0 for a bundle).
    pub entries: usize,
    /// Diagnoses written (a bundle) or logouts listed (a HAR).
    pub logouts: usize,
}

/// Which events an export reads: `filter` of trace `trace`, a site's events
/// when an origin is given.
fn export_filter(trace: TraceId, filter: &ExportFilter) -> Filter {
    Filter {
        trace,
        origin: filter.origin.clone(),
        site: true,
        since_ms: filter.since_ms,
        ..Filter::default()
    }
}

fn write_err(e: std::io::Error) -> CollectorError {
    CollectorError::Io {
        op: "write",
        path: "the export".into(),
        source: e,
    }
}

/// Streams a trace bundle of `filter`'s events to `out`: one scrubbed event
/// per line, then the diagnosis of every logout among them (each over its
/// own window, as `diagnose` reads it). Memory stays flat: only the logout
/// events are kept. `progress` is called with the number of events written.
pub fn write_bundle(
    store: &Store,
    trace: TraceId,
    filter: &ExportFilter,
    redactor: &Redactor,
    now_ms: i64,
    out: &mut (impl Write + ?Sized),
    mut progress: impl FnMut(usize),
) -> Result<Written> {
    write!(
        out,
        "{{\"format\":\"{BUNDLE_FORMAT}\",\"version\":{BUNDLE_VERSION},\"generator\":{},\"exported_ms\":{now_ms},\"filter\":{},\"events\":[",
        serde_json::to_string(&generator())?,
        serde_json::to_string(filter)?,
    )
    .map_err(write_err)?;
    let mut logouts = Vec::new();
    let mut n = 0;
    store.for_each_event(&export_filter(trace, filter), |s| {
        let mut e = s.event;
        redactor.scrub_event(&mut e);
        out.write_all(if n == 0 { b"\n" } else { b",\n" })
            .map_err(write_err)?;
        serde_json::to_writer(&mut *out, &e)?;
        if e.is_logout() {
            logouts.push(e);
        }
        n += 1;
        progress(n);
        Ok(())
    })?;
    out.write_all(b"\n],\"diagnoses\":[").map_err(write_err)?;
    let diagnoses = diagnose_logouts(store, trace, &logouts);
    for (i, d) in diagnoses.iter().enumerate() {
        let mut v = serde_json::to_value(d)?;
        redactor.scrub_json(None, &mut v);
        out.write_all(if i == 0 { b"\n" } else { b",\n" })
            .map_err(write_err)?;
        serde_json::to_writer(&mut *out, &v)?;
    }
    out.write_all(b"\n]}\n").map_err(write_err)?;
    out.flush().map_err(write_err)?;
    Ok(Written {
        events: n,
        entries: 0,
        logouts: diagnoses.len(),
    })
}

/// Reads a file to import in one pass: a bundle (`format`, `version` and
/// `events` in any order) or a bare JSON array of events. Each event is
/// checked as the host checks what the extension sends and handed to `f`
/// as soon as it is read, so a file of any size needs no more memory than
/// one event. When the file turns out not to be a bundle this build reads,
/// the error comes after the events it held were handed on: callers keep
/// them in a transaction they drop on error.
pub fn read_events<R: Read>(reader: R, mut f: impl FnMut(Event) -> Result<()>) -> Result<usize> {
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let seen = de::Deserializer::deserialize_any(
        &mut de,
        Document {
            f: &mut f,
            failed: &mut failed,
        },
    );
    let seen = match (seen, failed) {
        (_, Some(e)) => return Err(e),
        (Ok(seen), None) => seen,
        (Err(e), None) => return Err(CollectorError::BadImport(not_json(&e))),
    };
    de.end()
        .map_err(|e| CollectorError::BadImport(not_json(&e)))?;
    match seen {
        Seen::Array(n) => Ok(n),
        Seen::Bundle {
            format,
            version,
            events,
        } => {
            if format.as_deref() != Some(BUNDLE_FORMAT) {
                return Err(CollectorError::BadImport(format!(
                    "format is {format:?}, expected \"{BUNDLE_FORMAT}\""
                )));
            }
            let version = version.unwrap_or(0);
            if version != u64::from(BUNDLE_VERSION) {
                return Err(CollectorError::BadImport(format!(
                    "bundle version {version}; this build reads {BUNDLE_VERSION}"
                )));
            }
            events.ok_or_else(|| CollectorError::BadImport("bundle has no `events` array".into()))
        }
    }
}

/// Reads a whole file to import into memory (small files, tests).
pub fn read_import(bytes: &[u8]) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    read_events(bytes, |e| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

fn not_json(e: &serde_json::Error) -> String {
    if e.is_data() {
        e.to_string()
    } else {
        format!("not JSON: {e}")
    }
}

/// What the top level of an import held.
enum Seen {
    Array(usize),
    Bundle {
        format: Option<String>,
        version: Option<u64>,
        events: Option<usize>,
    },
}

/// The import document: a bundle object or an array of events.
struct Document<'a, F> {
    f: &'a mut F,
    failed: &'a mut Option<CollectorError>,
}

impl<'de, F: FnMut(Event) -> Result<()>> Visitor<'de> for Document<'_, F> {
    type Value = Seen;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a bundle object or an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Seen, A::Error> {
        let events = EventSeq {
            f: self.f,
            failed: self.failed,
        };
        events.visit_seq(seq).map(Seen::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Seen, A::Error> {
        let (mut format, mut version, mut events) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => format = map.next_value::<Option<String>>()?,
                "version" => version = map.next_value::<Option<u64>>()?,
                "events" => {
                    events = Some(map.next_value_seed(EventSeq {
                        f: &mut *self.f,
                        failed: &mut *self.failed,
                    })?)
                }
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(Seen::Bundle {
            format,
            version,
            events,
        })
    }
}

/// The `events` array, handed on one event at a time.
struct EventSeq<'a, F> {
    f: &'a mut F,
    failed: &'a mut Option<CollectorError>,
}

impl<'de, F: FnMut(Event) -> Result<()>> DeserializeSeed<'de> for EventSeq<'_, F> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Event) -> Result<()>> Visitor<'de> for EventSeq<'_, F> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<usize, A::Error> {
        let mut i = 0;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let event = match parse_event(raw.get().as_bytes()) {
                Ok(e) => e,
                Err(e) => {
                    *self.failed = Some(CollectorError::BadImport(format!("event {i}: {e}")));
                    return Err(de::Error::custom("bad event"));
                }
            };
            if let Err(e) = (self.f)(event) {
                *self.failed = Some(e);
                return Err(de::Error::custom("stopped"));
            }
            i += 1;
        }
        Ok(i)
    }
}

/// Streams HAR 1.2 of the HTTP exchanges among `filter`'s events to `out`;
/// Logout Lens data in `_`-prefixed fields. Memory stays flat: only the
/// logouts are kept (listed after the entries).
pub fn write_har(
    store: &Store,
    trace: TraceId,
    filter: &ExportFilter,
    redactor: &Redactor,
    out: &mut (impl Write + ?Sized),
    mut progress: impl FnMut(usize),
) -> Result<Written> {
    write!(
        out,
        "{{\"log\":{{\"version\":\"1.2\",\"creator\":{{\"name\":\"logout-lens\",\"version\":\"{}\"}},\"pages\":[],\"entries\":[",
        env!("CARGO_PKG_VERSION")
    )
    .map_err(write_err)?;
    let (mut n, mut entries) = (0, 0);
    let mut logouts = Vec::new();
    store.for_each_event(&export_filter(trace, filter), |s| {
        let e = s.event;
        n += 1;
        if let EventKind::HttpExchange(x) = &e.kind {
            let mut v = har_entry(&e, x);
            redactor.scrub_json(None, &mut v);
            out.write_all(if entries == 0 { b"\n" } else { b",\n" })
                .map_err(write_err)?;
            serde_json::to_writer(&mut *out, &v)?;
            entries += 1;
        } else if e.is_logout() {
            let mut v = json!({"id": e.id, "ts": rfc3339_ms(e.ts_ms), "kind": e.kind.name(), "origin": e.origin});
            redactor.scrub_json(None, &mut v);
            logouts.push(v);
        }
        progress(n);
        Ok(())
    })?;
    let listed = logouts.len();
    let tail = json!({"format": BUNDLE_FORMAT, "logouts": logouts});
    write!(out, "\n],\"_logoutLens\":{tail}}}}}\n").map_err(write_err)?;
    out.flush().map_err(write_err)?;
    Ok(Written {
        events: n,
        entries,
        logouts: listed,
    })
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
