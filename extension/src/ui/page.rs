//! The UI's entry points in the pages' own wasm (feature `page`): the popup
//! (`static/popup.js`) and the options page (`static/options.js`). The
//! views, the Diagnose view, Copy full state, Export trace and the options
//! check live here; the worker hands over its (already redacted) timeline
//! and the tab's context (`popup` in `super::wasm`). The worker also
//! instantiates this module itself, only to diagnose a logout
//! ([`page_causes`]): the diagnosis is not in the worker's module, which
//! the browser compiles at every wake.

use std::cell::RefCell;
use std::collections::VecDeque;

use logout_lens_model::{Event, wire};
use wasm_bindgen::prelude::*;

use super::{bundle, options, view};

thread_local! {
    /// The worker's timeline as last handed over.
    static EVENTS: RefCell<VecDeque<Event>> = const { RefCell::new(VecDeque::new()) };
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// Keeps the worker's timeline (the popup context's `events`) for the views below;
/// `false` (and the old one kept) when it is not a timeline.
#[wasm_bindgen]
pub fn page_events(events: &str) -> bool {
    match wire::parse_timeline(events.as_bytes()) {
        Ok(list) => {
            EVENTS.with(|e| *e.borrow_mut() = list.into());
            true
        }
        Err(_) => false,
    }
}

/// The popup for the tab whose context the worker gave (`popup`), as
/// `{"view":…,"collector":…}`; `collector` is the relay's counters and what
/// the collector said about itself, as JSON text, made into the collector
/// section (`super::collector`); `held` the logouts the worker still holds
/// for their cause.
#[wasm_bindgen]
pub fn page_popup(
    origin: Option<String>,
    watched: bool,
    signed_in: bool,
    idle_ms: f64,
    now_ms: f64,
    collector: &str,
    held: Vec<String>,
) -> String {
    let cx = view::Context {
        origin: origin.as_deref(),
        watched,
        signed_in,
        idle_ms: idle_ms as i64,
        now_ms: now_ms as i64,
        held: &held,
    };
    let popup = EVENTS.with(|e| view::popup(&e.borrow(), cx));
    format!(
        r#"{{"view":{},"collector":{}}}"#,
        json(&popup),
        json(&super::collector::collector(collector))
    )
}

/// The Diagnose view of one logout (`null` when it is no longer in memory).
#[wasm_bindgen]
pub fn page_diagnose(id: &str) -> String {
    let events: Vec<Event> = EVENTS.with(|e| e.borrow().iter().cloned().collect());
    json(&view::diagnosis(&events, id))
}

/// The causes of the service worker's held logouts (`crate::held`): a
/// JSON list of verdicts for `ids` in `timeline` (the worker's events, JSON
/// array). The worker instantiates this module only for this, when a
/// logout happened.
#[wasm_bindgen]
pub fn page_causes(ids: Vec<String>, timeline: &str) -> String {
    // An unreadable timeline still answers every id (without a cause), so
    // the worker releases them.
    let events = wire::parse_timeline(timeline.as_bytes()).unwrap_or_default();
    json(&crate::held::answer(&events, &ids))
}

/// "Copy full state": the popup (`page_popup`'s answer), and the site's
/// (redacted) events.
#[wasm_bindgen]
pub fn page_state(popup: &str, origin: Option<String>, now_ms: f64) -> String {
    let mine = EVENTS.with(|e| {
        json(
            &e.borrow()
                .iter()
                .filter(|e| origin.is_none() || e.origin == origin)
                .collect::<Vec<_>>(),
        )
    });
    format!(
        r#"{{"exported_ms":{},"popup":{popup},"events":{mine}}}"#,
        now_ms as i64
    )
}

/// "Export trace": the collector's bundle format, for one site or all.
#[wasm_bindgen]
pub fn page_export(origin: Option<String>, now_ms: f64) -> String {
    let events: Vec<Event> = EVENTS.with(|e| e.borrow().iter().cloned().collect());
    bundle::export(&events, origin.as_deref(), now_ms as i64)
}

/// Checks the options form; returns the normalised settings and any errors.
#[wasm_bindgen]
pub fn ui_check_options(
    login_pages: &str,
    refresh: &str,
    login: &str,
    logout: &str,
    exclude: &str,
    capture: &str,
    token_keys: &str,
) -> String {
    json(&options::check(
        login_pages,
        refresh,
        login,
        logout,
        exclude,
        capture,
        token_keys,
    ))
}

/// The options form's fields for the options as stored (`storage.local`'s
/// answer for [`ui_option_keys`], as JSON text).
#[wasm_bindgen]
pub fn ui_options_form(stored: &str) -> String {
    let stored: crate::policy::Stored = serde_json::from_str(stored).unwrap_or_default();
    json(&options::form(&stored))
}

/// The `storage.local` keys the options are kept under.
#[wasm_bindgen]
pub fn ui_option_keys() -> Vec<String> {
    crate::policy::STORED_KEYS
        .iter()
        .map(|k| (*k).to_owned())
        .collect()
}
