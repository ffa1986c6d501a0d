//! The tolerant wire form of events.
//!
//! Producers and consumers are upgraded at different times, so the wire side
//! accepts what it does not know: unknown kinds become [`EventKind::Other`]
//! with their body kept; unknown fields of known kinds are ignored. Everything
//! is then converted with `TryFrom` into the strict [`Event`].

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::event::{AppReport, Event, EventId, EventKind, SCHEMA_VERSION, Source};

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
        let mut kind = kind_from_body(w.kind, w.body)?;
        let mut path = w.path;
        scrub_urls(path.as_mut(), &mut kind);
        Ok(Event {
            schema: SCHEMA_VERSION,
            id: EventId(w.id),
            ts_ms: w.ts_ms,
            origin: w.origin,
            path,
            tab: w.tab,
            frame: w.frame,
            source: w.source.unwrap_or_default(),
            kind,
        })
    }
}

fn kind_from_body(kind: String, body: Map<String, Value>) -> Result<EventKind, ModelError> {
    fn typed<T: serde::de::DeserializeOwned>(
        kind: &str,
        body: Map<String, Value>,
    ) -> Result<T, ModelError> {
        serde_json::from_value(Value::Object(body)).map_err(|e| ModelError::InvalidEvent {
            kind: kind.to_owned(),
            reason: e.to_string(),
        })
    }
    Ok(match kind.as_str() {
        "storage_change" => EventKind::StorageChange(typed(&kind, body)?),
        "cookie_change" => EventKind::CookieChange(typed(&kind, body)?),
        "http_exchange" => EventKind::HttpExchange(typed(&kind, body)?),
        "navigation" => EventKind::Navigation(typed(&kind, body)?),
        "activity" => EventKind::Activity(typed(&kind, body)?),
        "idle_state" => EventKind::IdleState(typed(&kind, body)?),
        "page_lifecycle" => EventKind::PageLifecycle(typed(&kind, body)?),
        "time_sample" => EventKind::TimeSample(typed(&kind, body)?),
        "logout_observed" => EventKind::LogoutObserved(typed(&kind, body)?),
        "logout_action" => EventKind::LogoutAction(typed(&kind, body)?),
        "app_report" => EventKind::AppReport(typed(&kind, body)?),
        _ => EventKind::Other { kind, body },
    })
}

/// Producers redact URLs before sending; redacting again is idempotent and
/// makes sure a careless producer cannot get a query-string secret or a token
/// in a path stored. (Secrets elsewhere need the install's secret for their
/// placeholders: that is [`crate::Redactor::scrub_event`], which the collector
/// applies on ingest.)
fn scrub_urls(path: Option<&mut String>, kind: &mut EventKind) {
    use crate::redact::redact_url;
    let scrub = |s: &mut String| {
        let clean = redact_url(s);
        if clean != *s {
            *s = clean;
        }
    };
    if let Some(p) = path {
        scrub(p);
    }
    match kind {
        EventKind::HttpExchange(x) => {
            scrub(&mut x.url);
            if let Some(l) = x.location.as_mut() {
                scrub(l);
            }
        }
        EventKind::Navigation(n) => scrub(&mut n.url),
        EventKind::LogoutObserved(o) => {
            if let Some(u) = o.url.as_mut() {
                scrub(u);
            }
        }
        EventKind::AppReport(r) => {
            if let Some(l) = r.location.as_mut() {
                scrub(l);
            }
        }
        _ => {}
    }
}

/// The flat wire object of an event, borrowed: the envelope, then the
/// kind's fields (serialized straight from its struct).
#[derive(Serialize)]
struct WireView<'a, B: Serialize> {
    schema: u32,
    id: &'a str,
    ts_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tab: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frame: Option<i64>,
    source: Source,
    kind: &'a str,
    #[serde(flatten)]
    body: &'a B,
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn view<'a, B: Serialize>(e: &'a Event, body: &'a B) -> WireView<'a, B> {
            WireView {
                schema: e.schema,
                id: &e.id.0,
                ts_ms: e.ts_ms,
                origin: e.origin.as_deref(),
                path: e.path.as_deref(),
                tab: e.tab,
                frame: e.frame,
                source: e.source,
                kind: e.kind.name(),
                body,
            }
        }
        match &self.kind {
            EventKind::StorageChange(p) => view(self, p).serialize(s),
            EventKind::CookieChange(p) => view(self, p).serialize(s),
            EventKind::HttpExchange(p) => view(self, p).serialize(s),
            EventKind::Navigation(p) => view(self, p).serialize(s),
            EventKind::Activity(p) => view(self, p).serialize(s),
            EventKind::IdleState(p) => view(self, p).serialize(s),
            EventKind::PageLifecycle(p) => view(self, p).serialize(s),
            EventKind::TimeSample(p) => view(self, p).serialize(s),
            EventKind::LogoutObserved(p) => view(self, p).serialize(s),
            EventKind::LogoutAction(p) => view(self, p).serialize(s),
            EventKind::AppReport(p) => view(self, p).serialize(s),
            EventKind::Other { body, .. } => view(self, body).serialize(s),
        }
    }
}

impl From<Event> for WireEvent {
    fn from(e: Event) -> Self {
        let name = e.kind.name().to_owned();
        let body = body_of(e.kind);
        WireEvent {
            schema: u64::from(e.schema),
            id: e.id.0,
            ts_ms: e.ts_ms,
            origin: e.origin,
            path: e.path,
            tab: e.tab,
            frame: e.frame,
            source: Some(e.source),
            kind: name,
            body,
        }
    }
}

fn body_of(kind: EventKind) -> Map<String, Value> {
    fn obj<T: Serialize>(t: &T) -> Map<String, Value> {
        // Our own payload structs always serialize to objects; an empty body
        // is the harmless fallback rather than a panic.
        match serde_json::to_value(t) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }
    match kind {
        EventKind::StorageChange(p) => obj(&p),
        EventKind::CookieChange(p) => obj(&p),
        EventKind::HttpExchange(p) => obj(&p),
        EventKind::Navigation(p) => obj(&p),
        EventKind::Activity(p) => obj(&p),
        EventKind::IdleState(p) => obj(&p),
        EventKind::PageLifecycle(p) => obj(&p),
        EventKind::TimeSample(p) => obj(&p),
        EventKind::LogoutObserved(p) => obj(&p),
        EventKind::LogoutAction(p) => obj(&p),
        EventKind::AppReport(p) => obj(&p),
        EventKind::Other { body, .. } => body,
    }
}

/// Parse one event from JSON bytes.
pub fn parse_event(bytes: &[u8]) -> Result<Event, ModelError> {
    let wire: WireEvent =
        serde_json::from_slice(bytes).map_err(|e| ModelError::Json(e.to_string()))?;
    Event::try_from(wire)
}

/// Parse a JSON array of events (a timeline).
pub fn parse_timeline(bytes: &[u8]) -> Result<Vec<Event>, ModelError> {
    let wire: Vec<WireEvent> =
        serde_json::from_slice(bytes).map_err(|e| ModelError::Json(e.to_string()))?;
    wire.into_iter().map(Event::try_from).collect()
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
                let direct = serde_json::to_value(&e).expect("serializes");
                let wire = serde_json::to_value(WireEvent::from(e.clone())).expect("wire");
                assert_eq!(direct, wire, "{}", path.display());
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
