//! The UI's entry points in the service worker's wasm (`js/ui-worker.js`):
//! the badge, the options applied, and the data the popup's own wasm
//! (`super::page`) makes its views from. The alerts come from that wasm too
//! (`page_alerts`), made from the logouts the worker settled. Simple
//! arguments in, JSON text out.

use std::cell::RefCell;

use logout_lens_model::RedactionOptions;
use logout_lens_model::http::{self, SiteHints};
use wasm_bindgen::prelude::*;

use super::options::{Capture, Filter};
use super::{options, view};
use crate::url::origin_of;
use crate::wasm::with_state;

#[derive(Default)]
struct Ui {
    filter: Filter,
}

thread_local! {
    static UI: RefCell<Ui> = RefCell::new(Ui::default());
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// One entry point for the worker's questions (one export costs less wasm
/// than seven): `what` names the answer, `arg` is the tab's URL. Answers
/// are JSON text. The popup's views are made by the page's own wasm
/// (`ui::page`) from `popup` (the tab's context) and `events`.
#[wasm_bindgen]
pub fn ui(what: &str, arg: Option<String>) -> String {
    match what {
        "popup" => ui_popup(arg),
        "events" => ui_events(),
        "badge" => ui_badge(arg),
        "is_login" => ui_is_login(arg.as_deref().unwrap_or("")).to_string(),
        _ => "null".into(),
    }
}

/// What the popup's views need besides the timeline, for a tab showing
/// `url`: its origin, whether it is watched and signed in, the idle time,
/// the collector's counters (with what the core refused), the logouts still held for their cause, and
/// `rev`, which changes whenever the timeline does (so the popup fetches
/// `events` only then): a logout gets its cause only as it leaves the held
/// set, so the held ids are part of it.
fn ui_popup(url: Option<String>) -> String {
    let origin = url.as_deref().and_then(origin_of);
    let watched = UI.with(|u| u.borrow().filter.watches(origin.as_deref()));
    let now = now_ms();
    with_state(|st| {
        let timeline = st.core.timeline();
        let held = st.core.held_ids();
        let rev = format!(
            "{}:{}:{held}",
            timeline.len(),
            timeline.back().map_or("", |e| e.id.0.as_str()),
        );
        format!(
            r#"{{"origin":{},"watched":{watched},"signed_in":{},"idle_ms":{},"rev":{},"held":{},"collector":{}}}"#,
            json(&origin),
            origin.as_deref().is_some_and(|o| st.core.is_signed_in(o)),
            st.core.idle_ms(now),
            json(&rev),
            json(&held),
            json(&st.status())
        )
    })
    .unwrap_or_else(|| "null".into())
}

/// The in-memory timeline (already redacted: events are made redacted).
fn ui_events() -> String {
    with_state(|st| crate::encode::events(st.core.timeline())).unwrap_or_else(|| "[]".into())
}

/// The badge for a tab showing `url`.
fn ui_badge(url: Option<String>) -> String {
    let origin = url.as_deref().and_then(origin_of);
    with_state(|st| {
        json(&view::badge(
            st.core.timeline(),
            origin.as_deref(),
            now_ms(),
        ))
    })
    .unwrap_or_else(|| "null".into())
}

/// Is `url` a login page (built-in rules plus the configured patterns)?
fn ui_is_login(url: &str) -> bool {
    with_state(|st| http::is_login_page(url, st.core.hints())).unwrap_or(false)
}

/// Applies saved options (as `ui_check_options` normalised them): site
/// hints JSON, excluded hosts one per line, the capture level, collector on,
/// the redaction opt-ins and the token storage keys (one per line).
#[wasm_bindgen]
pub fn ui_configure(
    hints: &str,
    exclude: &str,
    capture: &str,
    collector: bool,
    keep_sub: bool,
    keep_email: bool,
    token_keys: &str,
) {
    options::set_token_keys(
        token_keys
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    );
    let hints: SiteHints = crate::input::from_str(hints).unwrap_or_default();
    let filter = Filter {
        exclude: exclude
            .lines()
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect(),
        capture: Capture::parse(capture).unwrap_or_default(),
        collector_off: !collector,
    };
    UI.with(|u| u.borrow_mut().filter = filter.clone());
    with_state(|st| {
        st.core.configure(hints, filter);
        let _ = st.core.set_redaction(RedactionOptions {
            keep_sub,
            keep_email,
        });
    });
}
