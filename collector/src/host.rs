//! The native-messaging host: framed requests in, framed replies out.
//!
//! Generic over `Read`/`Write` so tests drive it with in-memory buffers.
//! stdout belongs to the protocol; nothing in this module may print to it.
#![deny(clippy::print_stdout)]

use std::io::{ErrorKind, Read, Write};

use logout_lens_model::{DiagnoseOptions, Redactor, SCHEMA_VERSION, Target, diagnose};
use native_messaging::host::{NmError, decode_message_opt, send_json};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{CollectorError, Result};
use crate::protocol::{
    ErrorCode, MAX_BATCH_EVENTS, MAX_INCOMING_FRAME, Query, Refusal, Rejected, Request, Response,
    SUPPORTED_VERSIONS, parse_request,
};
use crate::store::{LOCAL, NewEvent, Store, now_ms};

/// Why the host loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostExit {
    /// The browser closed stdin (normal shutdown) or stdout.
    Disconnected,
    /// A fatal protocol error; an error frame was sent if possible.
    Fatal(ErrorCode),
}

/// Running totals, logged at exit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostTotals {
    pub frames: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub errors: u64,
    /// Local events deleted by the running size cap.
    pub pruned: u64,
}

/// One unit of work, produced by the reading side in arrival order and
/// carried out by the store side. Parsing and validation happen while the
/// previous batch commits, so the two overlap.
#[derive(Debug)]
pub enum Step {
    /// A reply that needs no store (hello, refusals).
    Reply(Response),
    /// A validated batch to commit, then ack.
    Store {
        seq: u64,
        events: Vec<NewEvent>,
        rejected: Vec<Rejected>,
    },
    /// A popup query.
    Query { id: Value, query: Query },
    /// The stream ended (after the reply, if any, already queued).
    Exit(HostExit),
    /// Reading failed for a reason other than the peer going away.
    Fail(String),
}

/// The reading side of one connection: framing, parsing, validation,
/// scrubbing and the hello state. Holds no database.
#[derive(Debug)]
pub struct Session {
    version: Option<u32>,
    redactor: Redactor,
}

impl Session {
    /// A connection whose events are scrubbed by `redactor` before they are stored.
    pub fn new(redactor: Redactor) -> Self {
        Session {
            version: None,
            redactor,
        }
    }

    /// The step for one well-framed message.
    pub fn step(&mut self, text: &str) -> Step {
        if text.is_empty() {
            return refuse(Refusal::new(ErrorCode::EmptyFrame, "frame of length 0"));
        }
        let request = match parse_request(text) {
            Ok(r) => r,
            Err(refusal) => return refuse(refusal),
        };
        match request {
            Request::Hello { versions, client } => {
                Step::Reply(self.hello(&versions, client.as_deref()))
            }
            _ if self.version.is_none() => {
                refuse(Refusal::new(ErrorCode::HelloRequired, "send `hello` first"))
            }
            Request::Batch { seq, events } => validate(seq, &events, &self.redactor),
            Request::Query { id, query } => Step::Query { id, query },
        }
    }

    /// Reads frames until the end, sending a step for each; never panics on input.
    pub fn read_all<R: Read>(&mut self, reader: &mut R, mut emit: impl FnMut(Step) -> bool) {
        loop {
            let step = match decode_message_opt(reader, MAX_INCOMING_FRAME) {
                Ok(None) => Step::Exit(HostExit::Disconnected),
                Ok(Some(text)) => self.step(&text),
                Err(NmError::IncomingTooLarge { len, max }) => {
                    let msg = format!("frame of {len} bytes exceeds the {max}-byte limit");
                    fatal(emit, ErrorCode::FrameTooLarge, msg);
                    return;
                }
                Err(NmError::IncomingNotUtf8(e)) => {
                    refuse(Refusal::new(ErrorCode::BadUtf8, e.to_string()))
                }
                Err(NmError::Io(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                    fatal(
                        emit,
                        ErrorCode::TruncatedFrame,
                        "stream ended inside a frame".into(),
                    );
                    return;
                }
                Err(e) => Step::Fail(e.to_string()),
            };
            let last = matches!(step, Step::Exit(_) | Step::Fail(_));
            if !emit(step) || last {
                return;
            }
        }
    }

    fn hello(&mut self, versions: &[u32], client: Option<&str>) -> Response {
        let Some(version) = versions
            .iter()
            .copied()
            .filter(|v| SUPPORTED_VERSIONS.contains(v))
            .max()
        else {
            let msg = format!(
                "no common version: client speaks {versions:?}, host {SUPPORTED_VERSIONS:?}"
            );
            return Response::refusal(Refusal::new(ErrorCode::UnsupportedVersion, msg), false);
        };
        tracing::info!(version, client, "hello");
        self.version = Some(version);
        Response::Hello {
            version,
            host: concat!("logout-lens/", env!("CARGO_PKG_VERSION")).to_owned(),
            schema: SCHEMA_VERSION,
            max_batch_events: MAX_BATCH_EVENTS,
            max_frame_bytes: MAX_INCOMING_FRAME,
        }
    }
}

fn refuse(r: Refusal) -> Step {
    Step::Reply(Response::refusal(r, false))
}

fn fatal(mut emit: impl FnMut(Step) -> bool, code: ErrorCode, message: String) {
    tracing::warn!(code = code.as_str(), "fatal protocol error");
    if emit(Step::Reply(Response::refusal(
        Refusal::new(code, message),
        true,
    ))) {
        emit(Step::Exit(HostExit::Fatal(code)));
    }
}

/// Checks and scrubs every event of a batch; the valid ones are ready to store.
fn validate(seq: u64, events: &[&serde_json::value::RawValue], redactor: &Redactor) -> Step {
    let mut ready = Vec::with_capacity(events.len());
    let mut rejected = Vec::new();
    for (index, raw) in events.iter().enumerate() {
        match crate::validate::check(raw.get(), redactor) {
            Ok(e) => ready.push(e),
            Err(err) => rejected.push(Rejected {
                index,
                id: id_of(raw.get()),
                code: ErrorCode::InvalidEvent,
                reason: err.code(),
                message: err.to_string(),
            }),
        }
    }
    Step::Store {
        seq,
        events: ready,
        rejected,
    }
}

/// The store side of one connection.
pub struct Host<'s> {
    store: &'s mut Store,
    redactor: Redactor,
    totals: HostTotals,
    size_cap: Option<u64>,
    cap_warned: bool,
}

/// Steps queued between the reading and the store side.
const PIPELINE_DEPTH: usize = 4;

impl<'s> Host<'s> {
    /// A host over `store`, scrubbing with the store's install secret.
    pub fn new(store: &'s mut Store) -> Result<Self> {
        let redactor = store.redactor()?;
        Ok(Host {
            store,
            redactor,
            totals: HostTotals::default(),
            size_cap: None,
            cap_warned: false,
        })
    }

    /// Keeps the database at most `bytes` while running: after each stored
    /// batch that leaves it larger, the oldest local events are pruned.
    pub fn with_size_cap(mut self, bytes: u64) -> Self {
        self.size_cap = Some(bytes);
        self
    }

    pub fn totals(&self) -> HostTotals {
        self.totals
    }

    /// Serves a connection: a reader thread frames and validates while this
    /// thread commits and replies, in order. Returns when the reader ends, a
    /// fatal error was sent, or the browser stopped reading.
    pub fn serve<R, W>(&mut self, mut reader: R, writer: &mut W) -> Result<HostExit>
    where
        R: Read + Send + 'static,
        W: Write,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Step>(PIPELINE_DEPTH);
        let mut session = Session::new(self.redactor.clone());
        // Joined only when it ends on its own: if the browser stops reading,
        // the process exits while this thread may still be blocked on stdin.
        let reader_thread = std::thread::Builder::new()
            .name("host-reader".into())
            .spawn(move || session.read_all(&mut reader, |step| tx.send(step).is_ok()))
            .map_err(CollectorError::io(
                "spawn",
                std::path::Path::new("host-reader"),
            ))?;
        for step in rx {
            let response = match step {
                Step::Exit(exit) => return Ok(exit),
                Step::Fail(e) => return Err(CollectorError::Framing(e)),
                other => self.execute(other),
            };
            self.totals.frames += 1;
            if let Some(r) = response {
                if self.reply(writer, &r)? {
                    return Ok(HostExit::Disconnected);
                }
            }
        }
        // The reader always ends with Exit or Fail, so it must have panicked.
        let why = match reader_thread.join() {
            Err(panic) => panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned()),
            Ok(()) => "ended without a final step".to_owned(),
        };
        Err(CollectorError::Framing(format!(
            "reader thread failed: {why}"
        )))
    }

    /// Carries out one step; the reply to send, if any.
    pub fn execute(&mut self, step: Step) -> Option<Response> {
        match step {
            Step::Reply(r) => Some(r),
            Step::Store {
                seq,
                events,
                rejected,
            } => Some(self.store_batch(seq, &events, rejected)),
            Step::Query { id, query } => Some(self.query(id, query)),
            Step::Exit(_) | Step::Fail(_) => None,
        }
    }

    /// Sends one reply; `Ok(true)` when the browser has gone away.
    fn reply<W: Write>(&mut self, writer: &mut W, response: &Response) -> Result<bool> {
        if matches!(response, Response::Error { .. }) {
            self.totals.errors += 1;
        }
        let outcome = match send_json(writer, response) {
            Err(NmError::OutgoingTooLarge { len, max }) => {
                // Encoding checks the size before writing, so nothing was sent yet.
                let (id, seq) = match response {
                    Response::Result { id, .. } => (Some(id.clone()), None),
                    Response::Ack { seq, .. } => (None, Some(*seq)),
                    _ => (None, None),
                };
                let r = Refusal {
                    id,
                    seq,
                    ..Refusal::new(
                        ErrorCode::ResponseTooLarge,
                        format!("reply of {len} bytes exceeds {max}"),
                    )
                };
                send_json(writer, &Response::refusal(r, false))
            }
            other => other,
        };
        match outcome {
            Ok(()) => Ok(false),
            Err(NmError::Io(e)) if e.kind() == ErrorKind::BrokenPipe => Ok(true),
            Err(e) => Err(CollectorError::Framing(e.to_string())),
        }
    }

    fn store_batch(&mut self, seq: u64, events: &[NewEvent], rejected: Vec<Rejected>) -> Response {
        match self.store.insert_batch(LOCAL, events, now_ms()) {
            Ok(out) => {
                self.totals.stored += out.stored as u64;
                self.totals.duplicates += out.duplicates as u64;
                self.totals.rejected += rejected.len() as u64;
                if out.stored > 0 {
                    self.enforce_size_cap();
                }
                Response::Ack {
                    seq,
                    stored: out.stored,
                    duplicates: out.duplicates,
                    rejected,
                }
            }
            Err(e) => {
                tracing::error!(seq, error = %e, "batch not stored");
                let r = Refusal {
                    seq: Some(seq),
                    ..Refusal::new(ErrorCode::StoreFailed, format!("batch not stored: {e}"))
                };
                Response::refusal(r, false)
            }
        }
    }

    /// The running size cap (see [`Host::with_size_cap`]). A failure to prune
    /// never fails the batch that was just stored.
    fn enforce_size_cap(&mut self) {
        let Some(cap) = self.size_cap else { return };
        match self.store.used_bytes() {
            Ok(used) if used <= cap => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "size check failed");
                return;
            }
        }
        match self.store.prune_to_size(cap, false) {
            Ok(o) if o.reached => {
                self.totals.pruned += o.deleted as u64;
                tracing::info!(
                    deleted = o.deleted,
                    used = o.used_after,
                    cap,
                    "size cap applied"
                );
            }
            Ok(o) => {
                if !self.cap_warned {
                    tracing::warn!(
                        cap,
                        floor = o.floor_bytes,
                        "imported traces keep the database over its size cap; local events kept"
                    );
                    self.cap_warned = true;
                }
            }
            Err(e) => tracing::warn!(error = %e, "size cap not applied"),
        }
    }

    fn query(&mut self, id: Value, query: Query) -> Response {
        let result = match &query {
            Query::Status => self.store.stats(LOCAL).map(|s| {
                let mut m = Map::new();
                m.insert("status".into(), json!(s));
                m
            }),
            Query::RecentLogouts { origin, limit } => self
                .store
                .recent_logouts(LOCAL, origin.as_deref(), *limit)
                .map(|rows| {
                    let mut m = Map::new();
                    m.insert("logouts".into(), json!(rows));
                    m
                }),
            Query::Diagnosis { logout_id, origin } => {
                return self.diagnosis(id, logout_id.as_deref(), origin.as_deref());
            }
        };
        let name = query_name(&query);
        match result {
            Ok(body) => Response::Result {
                id,
                query: name,
                body,
            },
            Err(e) => store_failed(id, &e),
        }
    }

    fn diagnosis(&mut self, id: Value, logout_id: Option<&str>, origin: Option<&str>) -> Response {
        let refuse = |id: Value, code, msg: String| {
            Response::refusal(
                Refusal {
                    id: Some(id),
                    ..Refusal::new(code, msg)
                },
                false,
            )
        };
        let window = match self.store.diagnosis_window(LOCAL, logout_id, origin) {
            Ok(Some(w)) => w,
            Ok(None) => return refuse(id, ErrorCode::NoLogout, "no logout recorded".into()),
            Err(CollectorError::NotFound(l)) => {
                return refuse(id, ErrorCode::UnknownLogout, format!("no event `{l}`"));
            }
            Err(e) => return store_failed(id, &e),
        };
        let (logout, events) = window;
        let target = Target::Id(logout_lens_model::EventId(logout.id.clone()));
        match diagnose(&events, &target, &DiagnoseOptions::default()) {
            Ok(d) => {
                let mut body = Map::new();
                body.insert("diagnosis".into(), json!(d));
                Response::Result {
                    id,
                    query: "diagnosis",
                    body,
                }
            }
            Err(e) => refuse(id, ErrorCode::UnknownLogout, e.to_string()),
        }
    }
}

fn query_name(q: &Query) -> &'static str {
    match q {
        Query::RecentLogouts { .. } => "recent_logouts",
        Query::Diagnosis { .. } => "diagnosis",
        Query::Status => "status",
    }
}

fn store_failed(id: Value, e: &CollectorError) -> Response {
    Response::refusal(
        Refusal {
            id: Some(id),
            ..Refusal::new(ErrorCode::StoreFailed, e.to_string())
        },
        false,
    )
}

/// The `id` of an event that failed to parse, when it has a readable one.
fn id_of(raw: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    serde_json::from_str::<IdOnly>(raw)
        .ok()
        .map(|i| i.id)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session::new(Redactor::new(&[5u8; 32], Default::default()).unwrap())
    }

    fn reply(session: &mut Session, host: &mut Host<'_>, text: &str) -> Response {
        host.execute(session.step(text)).unwrap()
    }

    #[test]
    fn batch_before_hello_is_refused() {
        let mut store = Store::in_memory().unwrap();
        let mut host = Host::new(&mut store).unwrap();
        let r = reply(
            &mut session(),
            &mut host,
            r#"{"type":"batch","seq":1,"events":[]}"#,
        );
        assert!(matches!(
            r,
            Response::Error {
                code: ErrorCode::HelloRequired,
                fatal: false,
                ..
            }
        ));
    }

    #[test]
    fn hello_picks_highest_common_version() {
        let mut store = Store::in_memory().unwrap();
        let mut host = Host::new(&mut store).unwrap();
        let mut s = session();
        assert!(matches!(
            reply(&mut s, &mut host, r#"{"type":"hello","versions":[7,9]}"#),
            Response::Error {
                code: ErrorCode::UnsupportedVersion,
                ..
            }
        ));
        assert!(matches!(
            reply(&mut s, &mut host, r#"{"type":"hello","versions":[0,1,7]}"#),
            Response::Hello { version: 1, .. }
        ));
    }

    #[test]
    fn oversized_replies_become_errors() {
        let mut store = Store::in_memory().unwrap();
        let mut host = Host::new(&mut store).unwrap();
        let mut body = Map::new();
        body.insert("blob".into(), json!("x".repeat(2 << 20)));
        let big = Response::Result {
            id: json!("q"),
            query: "status",
            body,
        };
        let mut out = Vec::new();
        assert!(!host.reply(&mut out, &big).unwrap());
        let len = u32::from_ne_bytes(out[..4].try_into().unwrap()) as usize;
        let v: Value = serde_json::from_slice(&out[4..4 + len]).unwrap();
        assert_eq!(v["code"], "response_too_large");
        assert_eq!(v["id"], "q");
        assert_eq!(out.len(), 4 + len, "nothing of the big reply was written");
    }
}
