//! The tolerant wire form of events.
//!
//! Producers and consumers are upgraded at different times, so the wire side
//! accepts what it does not know: unknown kinds become [`EventKind::Other`]
//! with their body kept; unknown fields of known kinds are ignored. Everything
//! is then converted with `TryFrom` into the strict [`Event`].

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::event::{AppReport, Event, EventId, EventKind, SCHEMA_VERSION, Source};
use crate::redact::{StringPass, redact_url};

/// An event as it travels: the envelope plus every other field, untyped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    #[serde(default = "default_schema")]
    pub schema: u64,
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "lenient_ms")]
    pub ts_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default)]
    pub kind: String,
    /// Every field of the kind (and any field this build does not know).
    #[serde(flatten)]
    pub body: Map<String, Value>,
}

/// The schema version assumed when an envelope leaves `schema` out.
pub fn default_schema() -> u64 {
    u64::from(SCHEMA_VERSION)
}

/// Deserialize `ts_ms` as the model reads it: an integer, or a finite float
/// floored (JavaScript clocks sometimes hand over fractional milliseconds).
pub fn lenient_ms<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.abs() < 9.0e15 => Ok(f.floor() as i64),
        _ => Err(serde::de::Error::custom("ts_ms out of range")),
    }
}

impl TryFrom<WireEvent> for Event {
    type Error = ModelError;

    fn try_from(w: WireEvent) -> Result<Self, Self::Error> {
        if w.schema != u64::from(SCHEMA_VERSION) {
            return Err(ModelError::UnsupportedSchema {
                found: w.schema,
                supported: SCHEMA_VERSION,
            });
        }
        if w.id.is_empty() {
            return Err(ModelError::MissingField("id"));
        }
        if w.kind.is_empty() {
            return Err(ModelError::MissingField("kind"));
        }
        let mut e = Event {
            schema: SCHEMA_VERSION,
            id: EventId(w.id),
            ts_ms: w.ts_ms,
            origin: w.origin,
            path: w.path,
            tab: w.tab,
            frame: w.frame,
            source: w.source.unwrap_or_default(),
            kind: EventKind::from_body(w.kind, w.body)?,
        };
        e.strings(&mut Urls);
        Ok(e)
    }
}

/// Producers redact URLs before sending; redacting again is idempotent and
/// makes sure a careless producer cannot get a query-string secret or a token
/// in a path stored. (Secrets elsewhere need the install's secret for their
/// placeholders: that is [`crate::Redactor::scrub_event`], which the collector
/// applies on ingest.)
struct Urls;

impl StringPass for Urls {
    fn url(&mut self, s: &mut String) {
        let clean = redact_url(s);
        if clean != *s {
            *s = clean;
        }
    }
}

/// The envelope as [`parse_event`] reads it first: the same fields, types
/// and defaults as [`WireEvent`], borrowed where it can.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default = "default_schema")]
    schema: u64,
    #[serde(default, borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(default, deserialize_with = "lenient_ms")]
    ts_ms: i64,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    tab: Option<i64>,
    #[serde(default)]
    frame: Option<i64>,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default, borrow)]
    kind: std::borrow::Cow<'a, str>,
}

/// A known kind read in two passes over the text, the envelope and then
/// the kind's typed body, without building a JSON tree; `None` when that
/// does not give an event (an unknown kind, an error to name), which
/// [`WireEvent`]'s reading then decides. It only ever accepts what that
/// would accept, and reads the same event (tested).
#[cfg(not(target_arch = "wasm32"))]
fn fast(bytes: &[u8]) -> Option<Event> {
    // Events are objects; serde would also read a struct from an array.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let head: Head<'_> = serde_json::from_slice(bytes).ok()?;
    if head.schema != u64::from(SCHEMA_VERSION) || head.id.is_empty() {
        return None;
    }
    let kind = EventKind::from_text(&head.kind, bytes)?;
    let mut e = Event {
        schema: SCHEMA_VERSION,
        id: EventId(head.id.into_owned()),
        ts_ms: head.ts_ms,
        origin: head.origin,
        path: head.path,
        tab: head.tab,
        frame: head.frame,
        source: head.source.unwrap_or_default(),
        kind,
    };
    e.strings(&mut Urls);
    Some(e)
}

/// Parse one event from JSON bytes (natively, a known kind without building a JSON
/// tree: the envelope borrowed, then the kind's typed body).
pub fn parse_event(bytes: &[u8]) -> Result<Event, ModelError> {
    // The two-pass reader is for the collector's ingest; in the extension's
    // wasm (a popup reading a timeline) it would be a second reader of every
    // kind, for no one waiting on it.
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(e) = fast(bytes) {
        return Ok(e);
    }
    let wire: WireEvent =
        serde_json::from_slice(bytes).map_err(|e| ModelError::Json(e.to_string()))?;
    Event::try_from(wire)
}

/// Parse a JSON array of events (a timeline), each as [`parse_event`] does.
pub fn parse_timeline(bytes: &[u8]) -> Result<Vec<Event>, ModelError> {
    let raw: Vec<&RawValue> =
        serde_json::from_slice(bytes).map_err(|e| ModelError::Json(e.to_string()))?;
    raw.into_iter()
        .map(|r| parse_event(r.get().as_bytes()))
        .collect()
}

/// What the logout-event endpoint accepts: the seed app's payload, or a v1 event.
#[derive(Debug, Clone, PartialEq)]
pub enum LogoutReport {
    /// `{type, message, timestamp, idleMinutes, location, context}` as the seed frontend posts it.
    App(AppReport),
    /// A schema-v1 envelope.
    Event(Event),
}

/// Parse a body posted to `/v1/auth/logout-event/`.
///
/// An object with both `schema` and `kind` is a v1 envelope; any other object
/// is read as the seed app's report (all of whose fields are optional, so the
/// seed's own `{"type":"TEST","message":"test"}` probe is accepted).
pub fn parse_logout_report(bytes: &[u8]) -> Result<LogoutReport, ModelError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ModelError::Json(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(ModelError::Json("expected a JSON object".to_owned()));
    };
    if map.contains_key("schema") && map.contains_key("kind") {
        let wire: WireEvent = serde_json::from_value(Value::Object(map))
            .map_err(|e| ModelError::Json(e.to_string()))?;
        return Event::try_from(wire).map(LogoutReport::Event);
    }
    serde_json::from_value(Value::Object(map))
        .map(LogoutReport::App)
        .map_err(|e| ModelError::InvalidEvent {
            kind: "app_report".to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kind_survives_round_trip() {
        let json =
            br#"{"schema":1,"id":"e1","ts_ms":5,"kind":"gamma_ray","flux":3,"nested":{"a":[1,2]}}"#;
        let event = parse_event(json).expect("parses");
        match &event.kind {
            EventKind::Other { kind, body } => {
                assert_eq!(kind, "gamma_ray");
                assert_eq!(body["flux"], 3);
            }
            other => panic!("expected Other, got {other:?}"),
        }
        let back = serde_json::to_value(&event).expect("serializes");
        assert_eq!(back["nested"]["a"][1], 2);
        assert_eq!(back["kind"], "gamma_ray");
    }

    #[test]
    fn urls_are_redacted_on_the_way_in() {
        let json = br#"{"schema":1,"id":"e1","ts_ms":5,"kind":"navigation","url":"https://a.test/cb?code=s3cr3t#access_token=t0k3n"}"#;
        let event = parse_event(json).expect("parses");
        let text = serde_json::to_string(&event).expect("json");
        assert!(
            !text.contains("s3cr3t") && !text.contains("t0k3n"),
            "{text}"
        );
        assert!(text.contains("code=REDACTED"));
    }

    #[test]
    fn a_token_in_the_path_is_redacted_on_the_way_in() {
        // Issue 18: `path` was copied raw (`/magic/<JWT>` reached every hop).
        let json = br#"{"schema":1,"id":"e1","ts_ms":5,"kind":"activity","last_input_ms":1,
            "path":"/magic/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl;jsessionid=ABC123"}"#;
        let event = parse_event(json).expect("parses");
        assert_eq!(
            event.path.as_deref(),
            Some("/magic/:REDACTED;jsessionid=REDACTED")
        );
    }

    #[test]
    fn events_serialize_as_their_wire_form() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut seen = 0;
        for f in std::fs::read_dir(fixtures).expect("fixtures") {
            let path = f.expect("entry").path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let v: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
            let events = parse_timeline(v["events"].to_string().as_bytes()).expect("timeline");
            for e in events {
                let text = serde_json::to_string(&e).expect("serializes");
                let back = parse_event(text.as_bytes()).expect("reads back");
                assert_eq!(back, e, "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 100, "{seen} events");
    }

    #[test]
    fn unknown_fields_of_known_kinds_are_ignored() {
        let json = br#"{"schema":1,"id":"e1","ts_ms":5.7,"kind":"idle_state","state":"locked","future":true}"#;
        let event = parse_event(json).expect("parses");
        assert_eq!(event.ts_ms, 5);
        assert!(matches!(event.kind, EventKind::IdleState(_)));
    }

    #[test]
    fn rejects_future_schema_and_missing_id() {
        let future = br#"{"schema":2,"id":"e1","ts_ms":5,"kind":"activity","last_input_ms":1}"#;
        assert_eq!(
            parse_event(future).map_err(|e| e.code()),
            Err("unsupported_schema")
        );
        let no_id = br#"{"schema":1,"ts_ms":5,"kind":"activity","last_input_ms":1}"#;
        assert_eq!(
            parse_event(no_id).map_err(|e| e.code()),
            Err("missing_field")
        );
        let bad = br#"{"schema":1,"id":"x","ts_ms":5,"kind":"idle_state","state":"asleep"}"#;
        assert_eq!(parse_event(bad).map_err(|e| e.code()), Err("invalid_event"));
    }

    #[test]
    fn seed_probe_and_envelope_are_both_reports() {
        let probe = br#"{"type":"TEST","message":"test"}"#;
        match parse_logout_report(probe).expect("probe parses") {
            LogoutReport::App(r) => {
                assert_eq!(r.report_type, "TEST");
                assert_eq!(r.coarse(), crate::logout::LogoutType::Unknown);
            }
            other => panic!("{other:?}"),
        }
        let env = br#"{"schema":1,"id":"x","ts_ms":1,"kind":"logout_action"}"#;
        assert!(matches!(
            parse_logout_report(env),
            Ok(LogoutReport::Event(_))
        ));
        assert!(parse_logout_report(b"[1,2]").is_err());
        assert!(parse_logout_report(br#"{"idleMinutes":"many"}"#).is_err());
    }
}

#[cfg(test)]
mod differential;
