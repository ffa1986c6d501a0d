//! Our own bindings for the WebExtension APIs `web-extensions-sys` lacks, in
//! its style. The JS glue registers every event listener (they must exist
//! synchronously at the worker's top level), so only calls live here.

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use web_extensions_sys::Port;

#[wasm_bindgen]
extern "C" {
    /// `chrome.runtime.connectNative(application)`; a missing host shows up
    /// as an immediate `onDisconnect` with `runtime.lastError` set.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = connectNative)]
    pub fn connect_native(application: &str) -> Port;

    /// `chrome.action.setBadgeText({text})`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeText)]
    pub fn set_badge_text(details: &Object) -> Result<JsValue, JsValue>;

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

    /// A promise, chained with closures (no futures runtime in the wasm).
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
