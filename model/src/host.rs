//! The native-messaging protocol between the extension and the collector
//! (`PROTOCOL.md`, "Native-messaging host protocol"), as serde types both
//! sides use: the extension writes [`Request`]s and reads [`Response`]s, the
//! collector reads requests with [`parse_request`] and writes responses.
//!
//! Generic over the event type of a batch (`E`): the collector reads events
//! as borrowed raw JSON (`&serde_json::value::RawValue`, checked one by one
//! with [`crate::wire::parse_event`]), the extension writes the redacted
//! events it queued as raw JSON too, so a batch is never parsed or copied
//! whole.
//!
//! The reading side is tolerant, like the event wire form: unknown fields
//! are ignored, a message type, query answer or error code from a newer
//! peer reads as [`Response::Unknown`], [`Answer::Unknown`] or
//! [`ErrorCode::Unrecognized`] rather than failing.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::logout::Diagnosis;

/// The native host's registered name (`runtime.connectNative`, and the file
/// name of the host manifest the collector installs).
pub const HOST_NAME: &str = "dev.logout_lens.collector";
/// The protocol version this build speaks best.
pub const PROTOCOL_VERSION: u32 = 1;
/// Every protocol version this build speaks (a client offers them all in
/// `hello`; the host picks the highest it shares).
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];
/// Largest frame the host accepts (the browser allows up to 64 MiB).
pub const MAX_INCOMING_FRAME: usize = 8 * 1024 * 1024;
/// Largest number of events in one batch.
pub const MAX_BATCH_EVENTS: usize = 5_000;
/// `limit` of a `recent_logouts` query when it names none…
pub const DEFAULT_QUERY_LIMIT: u32 = 20;
/// …and the largest it may ask for.
pub const MAX_QUERY_LIMIT: u32 = 200;

/// Extension → host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request<E> {
    /// The first message on a connection: the versions the client speaks.
    Hello {
        versions: Vec<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Events to store; `seq` comes back in the `ack` (or the error).
    Batch { seq: u64, events: Vec<E> },
    /// A question for the popup; `id` (any JSON value) comes back.
    Query {
        id: Value,
        #[serde(flatten)]
        query: Query,
    },
}

/// What a `query` may ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case")]
pub enum Query {
    /// The newest logouts, optionally of one origin.
    RecentLogouts {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
        limit: u32,
    },
    /// The diagnosis of one logout, or of the newest (of an origin).
    Diagnosis {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logout_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    /// Event count and the newest event's time.
    Status,
}

impl Query {
    /// The `query` string on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Query::RecentLogouts { .. } => "recent_logouts",
            Query::Diagnosis { .. } => "diagnosis",
            Query::Status => "status",
        }
    }
}

/// Host → extension. `R` is what a reader makes of a query's result: the
/// [`QueryResult`] by default; a reader that has no use for results (the
/// extension's relay) skips them with `serde::de::IgnoredAny`.
///
/// Written with `type` first; read straight from the text when `type`
/// comes first (without buffering the message to look for its tag), and
/// from the whole message read first otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response<R = QueryResult> {
    /// The answer to a shared `hello`.
    Hello(HelloReply),
    /// A batch is stored (durably): the extension may drop its events,
    /// the rejected ones too (they will never be accepted).
    Ack(Ack),
    /// The answer to a `query`.
    Result(R),
    /// A request was refused; `fatal` means the host exits after this frame.
    Error(ErrorReply),
    /// A message type of a newer host; a reader ignores it.
    #[serde(skip_serializing)]
    Unknown,
}

/// The answer to a shared `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloReply {
    pub version: u32,
    /// `logout-lens/<version>`.
    #[serde(default)]
    pub host: String,
    /// The event schema version ([`crate::SCHEMA_VERSION`]).
    #[serde(default)]
    pub schema: u32,
    #[serde(default)]
    pub max_batch_events: usize,
    #[serde(default)]
    pub max_frame_bytes: usize,
}

/// A batch stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub seq: u64,
    #[serde(default)]
    pub stored: usize,
    #[serde(default)]
    pub duplicates: usize,
    #[serde(default)]
    pub rejected: Vec<Rejected>,
}

/// A query's `id` and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    pub id: Value,
    #[serde(flatten)]
    pub answer: Answer,
}

/// A refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub code: ErrorCode,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub fatal: bool,
    /// Present when it answers a batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Present when it answers a query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The host's versions, with `unsupported_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported: Option<Vec<u32>>,
}

impl<'de, R: serde::de::DeserializeOwned> Deserialize<'de> for Response<R> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TypeFirst<R>(std::marker::PhantomData<R>);
        impl<'de, R: serde::de::DeserializeOwned> serde::de::Visitor<'de> for TypeFirst<R> {
            type Value = Response<R>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a host message, `type` first")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::Error as _;
                let first = map.next_key::<Cow<'de, str>>()?;
                if first.as_deref() != Some("type") {
                    // Another writer's order: the message is read whole first.
                    let mut rest = serde_json::Map::new();
                    if let Some(k) = first {
                        rest.insert(k.into_owned(), map.next_value()?);
                        while let Some((k, v)) = map.next_entry::<String, Value>()? {
                            rest.insert(k, v);
                        }
                    }
                    let ty = match rest.remove("type") {
                        Some(t @ Value::String(_)) => t,
                        _ => return Err(A::Error::missing_field("type")),
                    };
                    // Written out again with `type` first and read the one
                    // way (no second reader of every message type).
                    let fields = Value::Object(rest).to_string();
                    let fields = &fields[1..fields.len() - 1];
                    let comma = if fields.is_empty() { "" } else { "," };
                    let text = format!("{{\"type\":{ty}{comma}{fields}}}");
                    return serde_json::from_str(&text).map_err(A::Error::custom);
                }
                let ty: Cow<'de, str> = map.next_value()?;
                let rest = serde::de::value::MapAccessDeserializer::new(map);
                Ok(match ty.as_ref() {
                    "hello" => Response::Hello(HelloReply::deserialize(rest)?),
                    "ack" => Response::Ack(Ack::deserialize(rest)?),
                    "result" => Response::Result(R::deserialize(rest)?),
                    "error" => Response::Error(ErrorReply::deserialize(rest)?),
                    _ => {
                        serde::de::IgnoredAny::deserialize(rest)?;
                        Response::Unknown
                    }
                })
            }
        }
        d.deserialize_map(TypeFirst(std::marker::PhantomData))
    }
}

impl<R> Response<R> {
    /// The error reply for a refusal (`supported` filled in for
    /// `unsupported_version`).
    pub fn refusal(r: Refusal, fatal: bool) -> Response<R> {
        let supported =
            (r.code == ErrorCode::UnsupportedVersion).then(|| SUPPORTED_VERSIONS.to_vec());
        Response::Error(ErrorReply {
            code: r.code,
            message: r.message,
            fatal,
            seq: r.seq,
            id: r.id,
            supported,
        })
    }
}

/// A query's answer, tagged with the query's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case")]
pub enum Answer {
    RecentLogouts {
        logouts: Vec<LogoutRow>,
    },
    Diagnosis {
        diagnosis: Box<Diagnosis>,
    },
    Status {
        status: StoreStatus,
    },
    /// The answer to a query of a newer client; a reader ignores it.
    #[serde(other, skip_serializing)]
    Unknown,
}

/// One logout in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutRow {
    pub id: String,
    pub ts_ms: i64,
    #[serde(default)]
    pub origin: Option<String>,
    pub kind: String,
}

/// What the collector holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStatus {
    pub events: i64,
    pub logouts: i64,
    #[serde(default)]
    pub first_ts_ms: Option<i64>,
    #[serde(default)]
    pub last_ts_ms: Option<i64>,
    /// When the newest event was stored, by the collector's clock.
    #[serde(default)]
    pub last_received_ms: Option<i64>,
}

/// One event of a batch the host did not store, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Position in the batch.
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub code: ErrorCode,
    /// The model's finer code ([`crate::ModelError::code`]: `bad_json`,
    /// `unsupported_schema`, `invalid_event`, `missing_field`).
    #[serde(default)]
    pub reason: Cow<'static, str>,
    #[serde(default)]
    pub message: String,
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

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// Stable error codes. The list is append-only: never renumber,
        /// rename or reuse a code; add new ones at the end.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
            /// A code of a newer host (read only, never written).
            #[serde(other, skip_serializing)]
            Unrecognized,
        }

        impl ErrorCode {
            /// Every code, in number order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The wire string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                    ErrorCode::Unrecognized => "unrecognized",
                }
            }
        }
    };
}

error_codes! {
    /// 1: a frame of length 0.
    EmptyFrame = "empty_frame",
    /// 2: a frame longer than [`MAX_INCOMING_FRAME`]; fatal (the stream cannot be resynchronised).
    FrameTooLarge = "frame_too_large",
    /// 3: the stream ended inside a frame; fatal.
    TruncatedFrame = "truncated_frame",
    /// 4: the frame is not UTF-8.
    BadUtf8 = "bad_utf8",
    /// 5: the frame is not JSON.
    BadJson = "bad_json",
    /// 6: `type` is missing or unknown.
    UnknownType = "unknown_type",
    /// 7: a known `type` with missing or ill-typed fields (or not an object).
    BadMessage = "bad_message",
    /// 8: `hello` listed no version this host speaks.
    UnsupportedVersion = "unsupported_version",
    /// 9: `batch` or `query` before a successful `hello`.
    HelloRequired = "hello_required",
    /// 10: more than [`MAX_BATCH_EVENTS`] events in a batch.
    BatchTooLarge = "batch_too_large",
    /// 11: one event of a batch is invalid (inside `ack.rejected`).
    InvalidEvent = "invalid_event",
    /// 12: the store failed; nothing of the batch was written; retry later.
    StoreFailed = "store_failed",
    /// 13: `query` names an unknown query.
    UnknownQuery = "unknown_query",
    /// 14: the logout to diagnose does not exist.
    UnknownLogout = "unknown_logout",
    /// 15: there is no logout to diagnose.
    NoLogout = "no_logout",
    /// 16: the reply would exceed the browser's 1 MiB limit.
    ResponseTooLarge = "response_too_large",
    /// 17: the host was started by a caller not on its allow-list; fatal.
    CallerNotAllowed = "caller_not_allowed",
}

impl ErrorCode {
    /// The stable number (1-based position in the append-only list; 0 for
    /// [`ErrorCode::Unrecognized`]).
    pub fn number(self) -> u32 {
        ErrorCode::ALL
            .iter()
            .position(|c| *c == self)
            .map_or(0, |i| i as u32 + 1)
    }
}

/// Every request field, all optional, read in one pass (the events of a
/// batch as `E`, e.g. borrowed raw JSON); [`parse_request`] checks which
/// belong together.
#[derive(Deserialize)]
#[serde(bound(deserialize = "E: Deserialize<'de>"))]
struct Fields<'a, E> {
    #[serde(rename = "type", default, borrow)]
    ty: Option<Cow<'a, str>>,
    #[serde(default)]
    versions: Option<Vec<u32>>,
    #[serde(default)]
    client: Option<String>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    events: Option<Vec<E>>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default, borrow)]
    query: Option<Cow<'a, str>>,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    logout_id: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

/// Reads one frame's text into a request, or the refusal to send back:
/// `bad_json` for text that is not JSON, `unknown_type`, `bad_message` for
/// a known type with missing or ill-typed fields, `batch_too_large`,
/// `unknown_query`. A refusal of a batch carries its `seq`, of a query its
/// `id`, when they could be read.
pub fn parse_request<'a, E: Deserialize<'a>>(text: &'a str) -> Result<Request<E>, Refusal> {
    let f: Fields<'a, E> = serde_json::from_str(text).map_err(|e| {
        let code = if e.is_data() {
            ErrorCode::BadMessage
        } else {
            ErrorCode::BadJson
        };
        Refusal::new(code, e.to_string())
    })?;
    let missing = |field: &str, ty: &str| {
        Refusal::new(ErrorCode::BadMessage, format!("`{ty}` needs `{field}`"))
    };
    match f.ty.as_deref() {
        Some("hello") => Ok(Request::Hello {
            versions: f.versions.ok_or_else(|| missing("versions", "hello"))?,
            client: f.client,
        }),
        Some("batch") => {
            let seq = f.seq.ok_or_else(|| missing("seq", "batch"))?;
            let events = f.events.ok_or_else(|| Refusal {
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
            let id = f.id.ok_or_else(|| missing("id", "query"))?;
            let query = match f.query.as_deref() {
                Some("recent_logouts") => Query::RecentLogouts {
                    origin: f.origin,
                    limit: f
                        .limit
                        .unwrap_or(DEFAULT_QUERY_LIMIT)
                        .clamp(1, MAX_QUERY_LIMIT),
                },
                Some("diagnosis") => Query::Diagnosis {
                    logout_id: f.logout_id,
                    origin: f.origin,
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

#[cfg(test)]
mod tests {
    use serde_json::json;
    use serde_json::value::RawValue;

    use super::*;

    #[test]
    fn codes_are_numbered_in_order_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (i, c) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(c.number() as usize, i + 1);
            assert!(seen.insert(c.as_str()));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(
                serde_json::from_value::<ErrorCode>(json!(c.as_str())).unwrap(),
                *c
            );
        }
        let newer: ErrorCode = serde_json::from_value(json!("code_of_2030")).unwrap();
        assert_eq!((newer, newer.number()), (ErrorCode::Unrecognized, 0));
        assert!(serde_json::to_value(newer).is_err(), "never written");
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
            let got = parse_request::<&RawValue>(text).map(|r| match r {
                Request::Hello { .. } => "hello",
                Request::Batch { .. } => "batch",
                Request::Query { .. } => "query",
            });
            assert_eq!(got.map_err(|r| r.code), *want, "{text}");
        }
    }

    #[test]
    fn refusals_carry_seq_and_id() {
        let big: Vec<String> = (0..=MAX_BATCH_EVENTS).map(|_| "{}".to_owned()).collect();
        let text = format!(r#"{{"type":"batch","seq":9,"events":[{}]}}"#, big.join(","));
        let r = parse_request::<&RawValue>(&text).unwrap_err();
        assert_eq!((r.code, r.seq), (ErrorCode::BatchTooLarge, Some(9)));
        let r = parse_request::<&RawValue>(r#"{"type":"query","id":"q","query":"x"}"#).unwrap_err();
        assert_eq!((r.code, r.id), (ErrorCode::UnknownQuery, Some(json!("q"))));
        match parse_request::<&RawValue>(
            r#"{"type":"query","id":1,"query":"recent_logouts","limit":9999}"#,
        ) {
            Ok(Request::Query {
                query: Query::RecentLogouts { limit, .. },
                ..
            }) => assert_eq!(limit, MAX_QUERY_LIMIT),
            other => panic!("{other:?}"),
        }
    }

    /// What one side writes, the other reads back the same.
    #[test]
    fn requests_round_trip() {
        let ev = RawValue::from_string(r#"{"id":"e1","kind":"activity"}"#.into()).unwrap();
        let requests: Vec<Request<&RawValue>> = vec![
            Request::Hello {
                versions: SUPPORTED_VERSIONS.to_vec(),
                client: Some("logout-lens-extension/0.1.0".into()),
            },
            Request::Batch {
                seq: 42,
                events: vec![&ev, &ev],
            },
            Request::Query {
                id: json!("q1"),
                query: Query::RecentLogouts {
                    origin: Some("https://app.example".into()),
                    limit: 20,
                },
            },
            Request::Query {
                id: json!(7),
                query: Query::Diagnosis {
                    logout_id: Some("ev-1".into()),
                    origin: None,
                },
            },
            Request::Query {
                id: json!({"n": [1]}),
                query: Query::Status,
            },
        ];
        for r in &requests {
            let text = serde_json::to_string(r).unwrap();
            let back = parse_request::<&RawValue>(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text, "{text}");
        }
        let batch = serde_json::to_string(&requests[1]).unwrap();
        assert_eq!(
            batch,
            r#"{"type":"batch","seq":42,"events":[{"id":"e1","kind":"activity"},{"id":"e1","kind":"activity"}]}"#
        );
    }

    #[test]
    fn responses_round_trip_and_newer_ones_are_tolerated() {
        let responses: [Response; 5] = [
            Response::Hello(HelloReply {
                version: 1,
                host: "logout-lens/0.1.0".into(),
                schema: 1,
                max_batch_events: MAX_BATCH_EVENTS,
                max_frame_bytes: MAX_INCOMING_FRAME,
            }),
            Response::Ack(Ack {
                seq: 3,
                stored: 2,
                duplicates: 1,
                rejected: vec![Rejected {
                    index: 1,
                    id: Some("e".into()),
                    code: ErrorCode::InvalidEvent,
                    reason: "invalid_event".into(),
                    message: "bad".into(),
                }],
            }),
            Response::Result(QueryResult {
                id: json!("q4"),
                answer: Answer::Status {
                    status: StoreStatus {
                        events: 3,
                        logouts: 1,
                        first_ts_ms: Some(1),
                        last_ts_ms: Some(2),
                        last_received_ms: None,
                    },
                },
            }),
            Response::Result(QueryResult {
                id: json!(1),
                answer: Answer::RecentLogouts {
                    logouts: vec![LogoutRow {
                        id: "ev-1".into(),
                        ts_ms: 5,
                        origin: None,
                        kind: "logout_observed".into(),
                    }],
                },
            }),
            Response::refusal(Refusal::new(ErrorCode::UnsupportedVersion, "no"), false),
        ];
        for r in &responses {
            let text = serde_json::to_string(r).unwrap();
            assert_eq!(
                &serde_json::from_str::<Response>(&text).unwrap(),
                r,
                "{text}"
            );
        }
        let newer: &[(&str, Response)] = &[
            (r#"{"type":"progress","done":3}"#, Response::Unknown),
            (
                r#"{"type":"hello","version":2,"future":true}"#,
                Response::Hello(HelloReply {
                    version: 2,
                    host: String::new(),
                    schema: 0,
                    max_batch_events: 0,
                    max_frame_bytes: 0,
                }),
            ),
        ];
        let future = r#"{"type":"result","id":1,"query":"future","rows":[]}"#;
        assert_eq!(
            serde_json::from_str::<Response>(future).unwrap(),
            Response::Result(QueryResult {
                id: json!(1),
                answer: Answer::Unknown
            })
        );
        // A reader with no use for results skips them.
        let skipped: Response<serde::de::IgnoredAny> = serde_json::from_str(future).unwrap();
        assert!(matches!(skipped, Response::Result(_)));
        assert_eq!(
            serde_json::from_str::<Response>(r#"{"seq":1,"stored":2,"type":"ack"}"#).unwrap(),
            Response::Ack(Ack {
                seq: 1,
                stored: 2,
                duplicates: 0,
                rejected: Vec::new()
            }),
            "`type` anywhere"
        );
        assert!(serde_json::from_str::<Response>(r#"{"seq":1}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Response>(r#"{"done":1,"type":"progress"}"#).unwrap(),
            Response::Unknown
        );
        for (text, want) in newer {
            assert_eq!(&serde_json::from_str::<Response>(text).unwrap(), want);
        }
        match serde_json::from_str::<Response>(
            r#"{"type":"error","code":"code_of_2030","fatal":true}"#,
        ) {
            Ok(Response::Error(ErrorReply { code, fatal, .. })) => {
                assert_eq!((code, fatal), (ErrorCode::Unrecognized, true));
            }
            other => panic!("{other:?}"),
        }
        assert!(serde_json::from_str::<Response>(r#"{"type":"ack"}"#).is_err());
    }
}
