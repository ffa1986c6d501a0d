//! The host's wire messages (see the native-messaging section of the top-level `PROTOCOL.md`).
//!
//! Requests are parsed in one pass into a flat, lenient [`RawRequest`] (unknown
//! fields ignored, events kept as borrowed raw JSON so a batch is not copied),
//! then checked into a typed [`Request`].

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// The protocol version this build speaks best.
pub const PROTOCOL_VERSION: u32 = 1;
/// Every protocol version this build accepts in `hello`.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];
/// Largest frame the host accepts (the browser allows up to 64 MiB; batches are far smaller).
pub const MAX_INCOMING_FRAME: usize = 8 * 1024 * 1024;
/// Largest number of events in one batch.
pub const MAX_BATCH_EVENTS: usize = 5_000;
/// Largest `limit` a query may ask for.
pub const MAX_QUERY_LIMIT: u32 = 200;

/// Stable error codes. The list is append-only: never renumber, rename or
/// reuse a code; add new ones at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 1: a frame of length 0.
    EmptyFrame,
    /// 2: a frame longer than [`MAX_INCOMING_FRAME`]; fatal (the stream cannot be resynchronised).
    FrameTooLarge,
    /// 3: the stream ended inside a frame; fatal.
    TruncatedFrame,
    /// 4: the frame is not UTF-8.
    BadUtf8,
    /// 5: the frame is not JSON, or not a JSON object.
    BadJson,
    /// 6: `type` is missing or unknown.
    UnknownType,
    /// 7: a known `type` with missing or ill-typed fields.
    BadMessage,
    /// 8: `hello` listed no version this host speaks.
    UnsupportedVersion,
    /// 9: `batch` or `query` before a successful `hello`.
    HelloRequired,
    /// 10: more than [`MAX_BATCH_EVENTS`] events in a batch.
    BatchTooLarge,
    /// 11: one event of a batch is invalid (reported inside `ack.rejected`).
    InvalidEvent,
    /// 12: the store failed; nothing of the batch was written; retry later.
    StoreFailed,
    /// 13: `query` names an unknown query.
    UnknownQuery,
    /// 14: the logout to diagnose does not exist.
    UnknownLogout,
    /// 15: there is no logout to diagnose.
    NoLogout,
    /// 16: the reply would exceed the browser's 1 MiB limit.
    ResponseTooLarge,
    /// 17: the process was started by a caller not on the allow-list; fatal.
    CallerNotAllowed,
}

impl ErrorCode {
    /// Every code, in number order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::EmptyFrame,
        ErrorCode::FrameTooLarge,
        ErrorCode::TruncatedFrame,
        ErrorCode::BadUtf8,
        ErrorCode::BadJson,
        ErrorCode::UnknownType,
        ErrorCode::BadMessage,
        ErrorCode::UnsupportedVersion,
        ErrorCode::HelloRequired,
        ErrorCode::BatchTooLarge,
        ErrorCode::InvalidEvent,
        ErrorCode::StoreFailed,
        ErrorCode::UnknownQuery,
        ErrorCode::UnknownLogout,
        ErrorCode::NoLogout,
        ErrorCode::ResponseTooLarge,
        ErrorCode::CallerNotAllowed,
    ];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::EmptyFrame => "empty_frame",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::TruncatedFrame => "truncated_frame",
            ErrorCode::BadUtf8 => "bad_utf8",
            ErrorCode::BadJson => "bad_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::BadMessage => "bad_message",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::HelloRequired => "hello_required",
            ErrorCode::BatchTooLarge => "batch_too_large",
            ErrorCode::InvalidEvent => "invalid_event",
            ErrorCode::StoreFailed => "store_failed",
            ErrorCode::UnknownQuery => "unknown_query",
            ErrorCode::UnknownLogout => "unknown_logout",
            ErrorCode::NoLogout => "no_logout",
            ErrorCode::ResponseTooLarge => "response_too_large",
            ErrorCode::CallerNotAllowed => "caller_not_allowed",
        }
    }

    /// The stable number (1-based position in the append-only list).
    pub fn number(self) -> u32 {
        ErrorCode::ALL
            .iter()
            .position(|c| *c == self)
            .map_or(0, |i| i as u32 + 1)
    }
}

/// Every request field, all optional; see [`Request`] for which belong together.
#[derive(Debug, Deserialize)]
pub struct RawRequest<'a> {
    #[serde(rename = "type", default, borrow)]
    pub ty: Option<Cow<'a, str>>,
    #[serde(default)]
    pub versions: Option<Vec<u32>>,
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub seq: Option<u64>,
    #[serde(default, borrow)]
    pub events: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub logout_id: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A checked request.
#[derive(Debug)]
pub enum Request<'a> {
    Hello {
        versions: Vec<u32>,
        client: Option<String>,
    },
    Batch {
        seq: u64,
        events: Vec<&'a RawValue>,
    },
    Query {
        id: Value,
        query: Query,
    },
}

/// What the popup may ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// The newest logouts, optionally for one origin.
    RecentLogouts { origin: Option<String>, limit: u32 },
    /// The diagnosis of one logout, or of the newest (for an origin).
    Diagnosis {
        logout_id: Option<String>,
        origin: Option<String>,
    },
    /// Event count and newest event time.
    Status,
}

/// Why a frame was not a valid request, with the code to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    pub seq: Option<u64>,
    pub id: Option<Value>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            seq: None,
            id: None,
        }
    }
}

/// Parses one frame's text into a request.
pub fn parse_request(text: &str) -> Result<Request<'_>, Refusal> {
    let raw: RawRequest<'_> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            Refusal::new(ErrorCode::BadMessage, e.to_string())
        } else {
            Refusal::new(ErrorCode::BadJson, e.to_string())
        }
    })?;
    let missing = |field: &str, ty: &str| {
        Refusal::new(ErrorCode::BadMessage, format!("`{ty}` needs `{field}`"))
    };
    match raw.ty.as_deref() {
        Some("hello") => Ok(Request::Hello {
            versions: raw.versions.ok_or_else(|| missing("versions", "hello"))?,
            client: raw.client,
        }),
        Some("batch") => {
            let seq = raw.seq.ok_or_else(|| missing("seq", "batch"))?;
            let events = raw.events.ok_or_else(|| Refusal {
                seq: Some(seq),
                ..missing("events", "batch")
            })?;
            if events.len() > MAX_BATCH_EVENTS {
                return Err(Refusal {
                    seq: Some(seq),
                    ..Refusal::new(
                        ErrorCode::BatchTooLarge,
                        format!(
                            "{} events; at most {MAX_BATCH_EVENTS} per batch",
                            events.len()
                        ),
                    )
                });
            }
            Ok(Request::Batch { seq, events })
        }
        Some("query") => {
            let id = raw.id.ok_or_else(|| missing("id", "query"))?;
            let query = match raw.query.as_deref() {
                Some("recent_logouts") => Query::RecentLogouts {
                    origin: raw.origin,
                    limit: raw.limit.unwrap_or(20).clamp(1, MAX_QUERY_LIMIT),
                },
                Some("diagnosis") => Query::Diagnosis {
                    logout_id: raw.logout_id,
                    origin: raw.origin,
                },
                Some("status") => Query::Status,
                Some(other) => {
                    return Err(Refusal {
                        id: Some(id),
                        ..Refusal::new(ErrorCode::UnknownQuery, format!("unknown query `{other}`"))
                    });
                }
                None => {
                    return Err(Refusal {
                        id: Some(id),
                        ..missing("query", "query")
                    });
                }
            };
            Ok(Request::Query { id, query })
        }
        Some(other) => Err(Refusal::new(
            ErrorCode::UnknownType,
            format!("unknown message type `{other}`"),
        )),
        None => Err(Refusal::new(
            ErrorCode::UnknownType,
            "message has no `type`",
        )),
    }
}

/// One event the host did not store, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Position in the batch.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub code: ErrorCode,
    /// The model's finer reason (`bad_json`, `unsupported_schema`, `invalid_event`, `missing_field`).
    pub reason: &'static str,
    pub message: String,
}

/// Host → extension messages.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Hello {
        version: u32,
        host: String,
        schema: u32,
        max_batch_events: usize,
        max_frame_bytes: usize,
    },
    Ack {
        seq: u64,
        stored: usize,
        duplicates: usize,
        rejected: Vec<Rejected>,
    },
    Result {
        id: Value,
        query: &'static str,
        #[serde(flatten)]
        body: serde_json::Map<String, Value>,
    },
    Error {
        code: ErrorCode,
        message: String,
        fatal: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        supported: Option<Vec<u32>>,
    },
}

impl Response {
    /// An error reply for a refusal.
    pub fn refusal(r: Refusal, fatal: bool) -> Response {
        let supported =
            (r.code == ErrorCode::UnsupportedVersion).then(|| SUPPORTED_VERSIONS.to_vec());
        Response::Error {
            code: r.code,
            message: r.message,
            fatal,
            seq: r.seq,
            id: r.id,
            supported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_numbered_in_order_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (i, c) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(c.number() as usize, i + 1);
            assert!(seen.insert(c.as_str()));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn request_table() {
        let cases: &[(&str, Result<&str, ErrorCode>)] = &[
            (r#"{"type":"hello","versions":[1]}"#, Ok("hello")),
            (r#"{"type":"hello"}"#, Err(ErrorCode::BadMessage)),
            (
                r#"{"type":"hello","versions":"1"}"#,
                Err(ErrorCode::BadMessage),
            ),
            (
                r#"{"type":"batch","seq":1,"events":[{"a":1}]}"#,
                Ok("batch"),
            ),
            (
                r#"{"type":"batch","events":[]}"#,
                Err(ErrorCode::BadMessage),
            ),
            (
                r#"{"type":"batch","seq":-1,"events":[]}"#,
                Err(ErrorCode::BadMessage),
            ),
            (r#"{"type":"query","id":1,"query":"status"}"#, Ok("query")),
            (
                r#"{"type":"query","id":1,"query":"rm -rf"}"#,
                Err(ErrorCode::UnknownQuery),
            ),
            (
                r#"{"type":"query","query":"status"}"#,
                Err(ErrorCode::BadMessage),
            ),
            (r#"{"type":"nope"}"#, Err(ErrorCode::UnknownType)),
            (r#"{"hello":1}"#, Err(ErrorCode::UnknownType)),
            (r#"[1,2]"#, Err(ErrorCode::BadMessage)),
            (r#"{"type":"hello""#, Err(ErrorCode::BadJson)),
            ("not json", Err(ErrorCode::BadJson)),
        ];
        for (text, want) in cases {
            let got = parse_request(text).map(|r| match r {
                Request::Hello { .. } => "hello",
                Request::Batch { .. } => "batch",
                Request::Query { .. } => "query",
            });
            assert_eq!(got.map_err(|r| r.code), *want, "{text}");
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_request_never_panics(s in "\\PC{0,200}") {
            let _ = parse_request(&s);
        }

        #[test]
        fn batches_keep_seq_and_count(seq in any::<u64>(), n in 0usize..20) {
            let events: Vec<String> = (0..n).map(|i| format!("{{\"id\":\"e{i}\"}}")).collect();
            let text = format!("{{\"type\":\"batch\",\"seq\":{seq},\"events\":[{}]}}", events.join(","));
            match parse_request(&text) {
                Ok(Request::Batch { seq: s, events }) => {
                    prop_assert_eq!(s, seq);
                    prop_assert_eq!(events.len(), n);
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
