//! Our own bindings for the WebExtension APIs `web-extensions-sys` lacks, in
//! its style. The JS glue registers every event listener (they must exist
//! synchronously at the worker's top level), so only calls live here. The
//! `chrome` namespace is the one both browser families have.

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use web_extensions_sys::Port;

#[wasm_bindgen]
extern "C" {
    /// `chrome.runtime.connectNative(application)`; a missing host shows up
    /// as an immediate `onDisconnect` with `runtime.lastError` set.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = connectNative)]
    pub fn connect_native(application: &str) -> Port;

    /// `chrome.runtime.getURL(path)`.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
    pub fn runtime_url(path: &str) -> String;

    /// `chrome.action.setBadgeText({tabId, text})`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeText)]
    pub fn set_badge_text(details: &Object) -> Result<Thenable, JsValue>;

    /// `chrome.action.setBadgeBackgroundColor({tabId, color})`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor)]
    pub fn set_badge_background_color(details: &Object) -> Result<Thenable, JsValue>;

    /// `chrome.action.setBadgeTextColor({color})` (missing in older browsers: an error).
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeTextColor)]
    pub fn set_badge_text_color(details: &Object) -> Result<Thenable, JsValue>;

    /// `chrome.tabs.query(queryInfo)`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = query)]
    pub fn tabs_query(query: &Object) -> Result<Thenable, JsValue>;

    /// `chrome.tabs.get(tabId)`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = get)]
    pub fn tabs_get(tab: f64) -> Result<Thenable, JsValue>;

    /// `chrome.tabs.sendMessage(tabId, message, options)`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = sendMessage)]
    pub fn tabs_send_message(
        tab: f64,
        message: &JsValue,
        options: &Object,
    ) -> Result<Thenable, JsValue>;

    /// `chrome.scripting.executeScript(injection)`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = executeScript)]
    pub fn execute_script(injection: &Object) -> Result<Thenable, JsValue>;

    /// `chrome.notifications.create(id, options)`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "notifications"], js_name = create)]
    pub fn notifications_create(id: &str, options: &Object) -> Result<Thenable, JsValue>;

    /// `fetch(url, init)`.
    #[wasm_bindgen(catch, js_name = fetch)]
    pub fn fetch(url: &str, init: &Object) -> Result<Thenable, JsValue>;

    /// `crypto.getRandomValues(buf)`.
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    pub fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;

    /// `setTimeout(f, ms)` (global in workers and pages alike).
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(f: &Function, ms: i32) -> JsValue;

    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub fn warn(message: &str);

    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub fn warn_value(value: &JsValue);

    /// A promise, chained with closures.
    pub type Thenable;

    /// `promise.then(onFulfilled, onRejected)`.
    #[wasm_bindgen(method)]
    pub fn then(this: &Thenable, ok: &JsValue, err: &JsValue) -> Thenable;

    /// `chrome.storage.local.get(keys)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get)]
    pub fn local_get(keys: &JsValue) -> Thenable;

    /// `chrome.storage.local.set(items)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set)]
    pub fn local_set(items: &Object) -> Thenable;
}

/// Runs a browser call whose outcome nobody waits for: a call that throws
/// or a promise that rejects (a tab gone, a page the extension may not
/// script, a site that refuses the report) is let go quietly.
pub(crate) fn quietly(call: Result<Thenable, JsValue>) {
    if let Ok(p) = call {
        let ignore = Closure::once_into_js(|_: JsValue| {});
        let _ = p.then(&JsValue::UNDEFINED, &ignore);
    }
}

/// Runs a browser call and hands its result to `ok` (`None` when it threw
/// or rejected).
pub(crate) fn then(call: Result<Thenable, JsValue>, ok: impl FnOnce(Option<JsValue>) + 'static) {
    match call {
        Ok(p) => {
            let ok = std::rc::Rc::new(std::cell::RefCell::new(Some(ok)));
            let fail = ok.clone();
            let on_ok = Closure::once_into_js(move |v: JsValue| {
                if let Some(f) = ok.borrow_mut().take() {
                    f(Some(v));
                }
            });
            let on_err = Closure::once_into_js(move |_: JsValue| {
                if let Some(f) = fail.borrow_mut().take() {
                    f(None);
                }
            });
            let _ = p.then(&on_ok, &on_err);
        }
        Err(_) => ok(None),
    }
}

/// A plain object from `(key, value)` pairs.
pub(crate) fn object(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}
