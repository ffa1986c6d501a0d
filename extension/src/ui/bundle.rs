//! "Export trace": the same versioned bundle `logout-lens export` writes
//! (`collector/src/export.rs`), so `logout-lens import` / `diagnose` /
//! `report` read it. Made from the in-memory timeline, whose events were
//! redacted before they existed, so it needs no collector.

use logout_lens_model::{DiagnoseOptions, Diagnosis, Event, Target, diagnose, logouts};
use serde::Serialize;

/// The collector's `BUNDLE_FORMAT` and `BUNDLE_VERSION`.
pub const FORMAT: &str = "logout-lens-trace";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize)]
struct Filter<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct Bundle<'a> {
    format: &'static str,
    version: u32,
    generator: String,
    exported_ms: i64,
    filter: Filter<'a>,
    events: Vec<&'a Event>,
    diagnoses: Vec<Diagnosis>,
}

/// The bundle of `events` (of one origin, when given), as JSON.
pub fn export(events: &[Event], origin: Option<&str>, now_ms: i64) -> String {
    let picked: Vec<Event> = events
        .iter()
        .filter(|e| origin.is_none_or(|o| e.origin.is_none() || e.origin.as_deref() == Some(o)))
        .cloned()
        .collect();
    let diagnoses = logouts(&picked)
        .into_iter()
        .filter_map(|id| diagnose(&picked, &Target::Id(id), &DiagnoseOptions::default()).ok())
        .collect();
    let b = Bundle {
        format: FORMAT,
        version: VERSION,
        generator: concat!("logout-lens-extension/", env!("CARGO_PKG_VERSION")).to_owned(),
        exported_ms: now_ms,
        filter: Filter { origin },
        events: picked.iter().collect(),
        diagnoses,
    };
    serde_json::to_string(&b).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::site::tests::{O, refresh};
    use logout_lens_model::wire::parse_timeline;

    #[test]
    fn the_bundle_has_the_collectors_shape_and_its_events_read_back() {
        let events = vec![
            refresh("a", 1, Some(401)),
            refresh("b", 2, Some(200)).with_origin("https://other.test"),
        ];
        let text = export(&events, Some(O), 99);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["format"], FORMAT);
        assert_eq!(v["version"], VERSION);
        assert_eq!(v["exported_ms"], 99);
        assert_eq!(v["filter"]["origin"], O);
        assert_eq!(v["diagnoses"], serde_json::json!([]));
        let back = parse_timeline(v["events"].to_string().as_bytes()).expect("events");
        assert_eq!(back, events[..1]);
        let all: serde_json::Value = serde_json::from_str(&export(&events, None, 1)).expect("json");
        assert_eq!(all["events"].as_array().map(Vec::len), Some(2));
        assert!(all["filter"].as_object().is_some_and(|m| m.is_empty()));
    }
}
