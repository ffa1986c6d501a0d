//! The native-messaging host: framed requests in, framed replies out.
//!
//! Generic over `Read`/`Write` so tests drive it with in-memory buffers.
//! stdout belongs to the protocol; nothing in this module may print to it.
#![deny(clippy::print_stdout)]

use std::io::{ErrorKind, Read, Write};

use logout_lens_model::wire::parse_event;
use logout_lens_model::{DiagnoseOptions, SCHEMA_VERSION, Target, diagnose};
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
}

/// One connection's state.
pub struct Host<'s> {
    store: &'s mut Store,
    version: Option<u32>,
    totals: HostTotals,
}

impl<'s> Host<'s> {
    pub fn new(store: &'s mut Store) -> Self {
        Host {
            store,
            version: None,
            totals: HostTotals::default(),
        }
    }

    pub fn totals(&self) -> HostTotals {
        self.totals
    }

    /// Serves frames until the reader ends or a fatal error.
    pub fn serve<R: Read, W: Write>(&mut self, reader: &mut R, writer: &mut W) -> Result<HostExit> {
        loop {
            let text = match decode_message_opt(reader, MAX_INCOMING_FRAME) {
                Ok(None) => return Ok(HostExit::Disconnected),
                Ok(Some(text)) => text,
                Err(NmError::IncomingTooLarge { len, max }) => {
                    let msg = format!("frame of {len} bytes exceeds the {max}-byte limit");
                    return self.fatal(writer, ErrorCode::FrameTooLarge, msg);
                }
                Err(NmError::IncomingNotUtf8(e)) => {
                    self.totals.frames += 1;
                    let r = Refusal::new(ErrorCode::BadUtf8, e.to_string());
                    if self.reply(writer, &Response::refusal(r, false))? {
                        return Ok(HostExit::Disconnected);
                    }
                    continue;
                }
                Err(NmError::Io(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                    return self.fatal(
                        writer,
                        ErrorCode::TruncatedFrame,
                        "stream ended inside a frame",
                    );
                }
                Err(e) => return Err(CollectorError::Framing(e.to_string())),
            };
            self.totals.frames += 1;
            let response = if text.is_empty() {
                Response::refusal(
                    Refusal::new(ErrorCode::EmptyFrame, "frame of length 0"),
                    false,
                )
            } else {
                self.handle(&text)
            };
            if self.reply(writer, &response)? {
                return Ok(HostExit::Disconnected);
            }
        }
    }

    fn fatal<W: Write>(
        &mut self,
        writer: &mut W,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Result<HostExit> {
        tracing::warn!(code = code.as_str(), "fatal protocol error");
        // The peer may be gone already; the exit reason is what matters.
        let _ = self.reply(
            writer,
            &Response::refusal(Refusal::new(code, message), true),
        );
        Ok(HostExit::Fatal(code))
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

    /// The reply to one well-framed message.
    pub fn handle(&mut self, text: &str) -> Response {
        let request = match parse_request(text) {
            Ok(r) => r,
            Err(refusal) => return Response::refusal(refusal, false),
        };
        match request {
            Request::Hello { versions, client } => self.hello(&versions, client.as_deref()),
            _ if self.version.is_none() => Response::refusal(
                Refusal::new(ErrorCode::HelloRequired, "send `hello` first"),
                false,
            ),
            Request::Batch { seq, events } => self.batch(seq, &events),
            Request::Query { id, query } => self.query(id, query),
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

    fn batch(&mut self, seq: u64, events: &[&serde_json::value::RawValue]) -> Response {
        let mut ready = Vec::with_capacity(events.len());
        let mut rejected = Vec::new();
        for (index, raw) in events.iter().enumerate() {
            match parse_event(raw.get().as_bytes()) {
                // The checked event supplies the indexed columns; the body is
                // kept as sent (reads parse it again, so unknown fields of
                // known kinds never reach an export).
                Ok(e) => ready.push(NewEvent::with_body(&e, raw.get().to_owned())),
                Err(err) => rejected.push(Rejected {
                    index,
                    id: id_of(raw.get()),
                    code: ErrorCode::InvalidEvent,
                    reason: err.code(),
                    message: err.to_string(),
                }),
            }
        }
        match self.store.insert_batch(LOCAL, &ready, now_ms()) {
            Ok(out) => {
                self.totals.stored += out.stored as u64;
                self.totals.duplicates += out.duplicates as u64;
                self.totals.rejected += rejected.len() as u64;
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

    #[test]
    fn batch_before_hello_is_refused() {
        let mut store = Store::in_memory().unwrap();
        let mut host = Host::new(&mut store);
        let r = host.handle(r#"{"type":"batch","seq":1,"events":[]}"#);
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
        let mut host = Host::new(&mut store);
        assert!(matches!(
            host.handle(r#"{"type":"hello","versions":[7,9]}"#),
            Response::Error {
                code: ErrorCode::UnsupportedVersion,
                ..
            }
        ));
        assert!(matches!(
            host.handle(r#"{"type":"hello","versions":[0,1,7]}"#),
            Response::Hello { version: 1, .. }
        ));
    }
}
