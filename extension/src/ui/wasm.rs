//! The UI's entry points in the service worker's wasm (`js/ui-worker.js`):
//! the popup's context, each tab's badge, and the logout alerts (a
//! notification, the report forwarded to the site, the overlay and the
//! sign-in banner, drawn by `content/ui.js` in the tab). What to show and
//! when is decided by [`super::alerting`]; this carries it out.

use js_sys::Reflect;
use logout_lens_model::http;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::alerting::{Now, Show};
use super::view::{self, Alert};
use crate::bindings::{self, object, quietly};
use crate::relay::Status;
use crate::url::origin_of;
use crate::wasm::{State, now_ms, with_state};

/// The script that draws the overlay and the banner, injected on demand only.
const UI_SCRIPT: &str = "content/ui.js";

/// What the popup's views need besides the timeline, for a tab showing
/// `url`. `events` (the timeline, redacted, as JSON text) only when the
/// timeline changed since the popup's copy (`rev`).
#[derive(Serialize)]
struct PopupContext<'a> {
    url: Option<&'a str>,
    origin: Option<String>,
    watched: bool,
    signed_in: bool,
    idle_ms: i64,
    /// Changes whenever the timeline does: a logout gets its cause only as
    /// it leaves the held set, so the held ids are part of it.
    rev: String,
    /// The logouts still held for their cause.
    held: Vec<String>,
    /// The collector's counters, with what the core refused.
    collector: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<String>,
}

/// The popup's context for a tab showing `url` (JSON), with the timeline
/// when it changed since `rev`; `null` before the worker has started.
#[wasm_bindgen]
pub fn popup(url: Option<String>, rev: Option<String>) -> String {
    let now = now_ms();
    with_state(|st| {
        let origin = url.as_deref().and_then(origin_of);
        let timeline = st.core.timeline();
        let held = st.core.held_ids();
        let current = format!(
            "{}:{}:{}",
            timeline.len(),
            timeline.back().map_or("", |e| e.id.0.as_str()),
            held.join(",")
        );
        let events = (rev.as_deref() != Some(current.as_str()))
            .then(|| serde_json::to_string(timeline).unwrap_or_else(|_| "[]".into()));
        let cx = PopupContext {
            url: url.as_deref(),
            watched: st.core.policy().filter.watches(origin.as_deref()),
            signed_in: origin.as_deref().is_some_and(|o| st.core.is_signed_in(o)),
            origin,
            idle_ms: st.core.idle_ms(now),
            rev: current,
            held,
            collector: st.status(),
            events,
        };
        serde_json::to_string(&cx).unwrap_or_else(|_| "null".into())
    })
    .unwrap_or_else(|| "null".into())
}

/// The worker has started: badges in white, then each active tab's.
pub(crate) fn started() {
    quietly(bindings::set_badge_text_color(&object(&[(
        "color",
        "#ffffff".into(),
    )])));
    badges();
}

/// Fresh badges for the active tabs (after each batch of events, and when
/// the options change).
#[wasm_bindgen]
pub fn badges() {
    let query = object(&[("active", true.into())]);
    bindings::then(bindings::tabs_query(&query), |tabs| {
        let Some(tabs) = tabs.and_then(|t| t.dyn_into::<js_sys::Array>().ok()) else {
            return;
        };
        for t in tabs.iter() {
            if let Some((tab, url)) = tab_of(&t) {
                set_badge(tab, url.as_deref());
            }
        }
    });
}

/// Tab `tab` was activated, showing `url`: its badge.
#[wasm_bindgen]
pub fn tab_activated(tab: f64, url: Option<String>) {
    set_badge(tab as i64, url.as_deref());
}

/// Tab `tab` finished loading `url`: a banner waiting for it, if that is
/// its logout's sign-in page.
#[wasm_bindgen]
pub fn tab_loaded(tab: f64, url: Option<String>) {
    let tab = tab as i64;
    let Some(url) = url else {
        return;
    };
    let show = with_state(|st| {
        let hints = st.core.hints().clone();
        let login = |u: &str| http::is_login_page(u, &hints);
        st.ui.tab_loaded(tab, &url, true, login, now_ms())
    })
    .flatten();
    if let Some(show) = show {
        inject(tab, &show);
    }
}

fn set_badge(tab: i64, url: Option<&str>) {
    let badge = with_state(|st| {
        let origin = url.and_then(origin_of);
        let b = view::badge(st.core.timeline(), origin.as_deref(), now_ms());
        st.ui.badge(tab, b)
    })
    .flatten();
    if let Some(b) = badge {
        let id = JsValue::from_f64(tab as f64);
        quietly(bindings::set_badge_text(&object(&[
            ("tabId", id.clone()),
            ("text", b.text.as_str().into()),
        ])));
        quietly(bindings::set_badge_background_color(&object(&[
            ("tabId", id),
            ("color", b.color.into()),
        ])));
    }
}

/// A `tabs.Tab`'s id and URL.
fn tab_of(t: &JsValue) -> Option<(i64, Option<String>)> {
    let id = Reflect::get(t, &"id".into()).ok()?.as_f64()?;
    let url = Reflect::get(t, &"url".into())
        .ok()
        .and_then(|u| u.as_string());
    Some((id as i64, url))
}

/// The alerts of logouts just settled: each one's notification and
/// forwarded report at once, then its overlay or banner as its tab allows.
pub(crate) fn show_alerts(alerts: Vec<Alert>) {
    for a in alerts {
        let now = with_state(|st| {
            let forward = st.options.forward;
            st.ui.alert(&a, forward, now_ms())
        })
        .unwrap_or_default();
        for n in now {
            perform(n);
        }
        let Some(tab) = a.tab else {
            continue;
        };
        bindings::then(bindings::tabs_get(tab as f64), move |t| {
            let Some(t) = t else {
                return;
            };
            let url = Reflect::get(&t, &"url".into())
                .ok()
                .and_then(|u| u.as_string());
            let complete = Reflect::get(&t, &"status".into())
                .ok()
                .and_then(|s| s.as_string())
                .is_some_and(|s| s == "complete");
            let Some(url) = url else {
                return;
            };
            let show = with_state(|st: &mut State| {
                let hints = st.core.hints().clone();
                let login = |u: &str| http::is_login_page(u, &hints);
                st.ui.tab_seen(&a, &url, complete, login, now_ms())
            })
            .flatten();
            if let Some(show) = show {
                inject(tab, &show);
            }
        });
    }
}

fn perform(n: Now) {
    match n {
        Now::Notify { id, title, message } => {
            let icon = bindings::runtime_url("icons/icon-128.png");
            quietly(bindings::notifications_create(
                &id,
                &object(&[
                    ("type", "basic".into()),
                    ("iconUrl", icon.into()),
                    ("title", title.into()),
                    ("message", message.into()),
                ]),
            ));
        }
        Now::Forward { url, report } => {
            let Ok(body) = serde_json::to_string(&report) else {
                return;
            };
            let headers = object(&[("content-type", "application/json".into())]);
            quietly(bindings::fetch(
                &url,
                &object(&[
                    ("method", "POST".into()),
                    ("headers", headers.into()),
                    ("body", body.into()),
                    ("credentials", "omit".into()),
                ]),
            ));
        }
    }
}

/// Draws `show` in the tab's top frame: `content/ui.js` injected, then told.
fn inject(tab: i64, show: &Show) {
    let Ok(msg) = serde_json::to_string(show)
        .map_err(|_| ())
        .and_then(|t| js_sys::JSON::parse(&t).map_err(|_| ()))
    else {
        return;
    };
    let files = js_sys::Array::of1(&UI_SCRIPT.into());
    let target = object(&[
        ("tabId", JsValue::from_f64(tab as f64)),
        ("frameIds", js_sys::Array::of1(&0.into()).into()),
    ]);
    let injection = object(&[("target", target.into()), ("files", files.into())]);
    bindings::then(bindings::execute_script(&injection), move |done| {
        // The tab went away or is not scriptable (a browser page).
        if done.is_none() {
            return;
        }
        let options = object(&[("frameId", 0.into())]);
        quietly(bindings::tabs_send_message(tab as f64, &msg, &options));
    });
}
