//! The service worker's side: state in a thread-local, I/O through the
//! bindings. The JS glue calls [`start`] once, [`handle`] for every browser
//! event, and [`settle`] when the pages' module has named the held
//! logouts' causes; the UI's entry points are in `ui::wasm`.

use std::cell::RefCell;

use js_sys::{JSON, Reflect};
use logout_lens_model::Event;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_extensions_sys::Port;

use crate::bindings::{self, object};
use crate::core::Core;
use crate::held::Verdict;
use crate::input::Input;
use crate::policy::{STORED_KEYS, Stored};
use crate::relay::{Action, DEFAULT_CAPACITY, HOST_NAME, Relay, Save};
use crate::ui::alerting::Alerting;

const SECRET_KEY: &str = "secret";
const RELAY_KEY: &str = "relay";
/// Wait before writing the ring, so a burst of events costs one write.
const SAVE_DELAY_MS: i32 = 500;
/// Wait before sending new events to the collector, so a page load's
/// dozens of events cost one native message (and one collector
/// transaction), not dozens.
const FLUSH_DELAY_MS: i32 = 200;

pub(crate) struct State {
    pub(crate) core: Core,
    pub(crate) relay: Relay,
    /// The options as stored (the capture applies them as the core's policy).
    pub(crate) options: Stored,
    /// Banners waiting for their tab, the badges shown.
    pub(crate) ui: Alerting,
    port: Option<Port>,
    /// The current port's listeners; dropped with the port.
    listeners: Vec<Closure<dyn FnMut(JsValue)>>,
    save_scheduled: bool,
    retry_scheduled: bool,
    flush_scheduled: bool,
}

impl State {
    pub(crate) fn status(&self) -> crate::relay::Status {
        crate::relay::Status::new(self.relay.stats(), self.core.counts())
    }
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

pub(crate) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn random(n: usize) -> Result<Vec<u8>, JsValue> {
    let mut buf = vec![0u8; n];
    bindings::get_random_values(&mut buf)?;
    Ok(buf)
}

fn js_error(e: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&e.to_string()).into()
}

/// The options out of a `storage.local.get` answer (only their keys: the
/// answer may also hold the relay ring).
fn stored_options(got: &JsValue) -> Stored {
    let o = js_sys::Object::new();
    for k in STORED_KEYS {
        if let Ok(v) = Reflect::get(got, &JsValue::from_str(k)) {
            if !v.is_undefined() {
                let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
            }
        }
    }
    JSON::stringify(&o)
        .ok()
        .and_then(|s| serde_json::from_str(&String::from(s)).ok())
        .unwrap_or_default()
}

/// Loads (or creates) the install secret, restores the unacked ring,
/// applies the saved options, and starts relaying, all from one read of
/// `storage.local`. Returns a promise that settles once started.
#[wasm_bindgen]
pub fn start() -> JsValue {
    let keys = js_sys::Array::new();
    for k in [SECRET_KEY, RELAY_KEY].iter().chain(STORED_KEYS) {
        keys.push(&JsValue::from_str(k));
    }
    let next = Closure::once_into_js(|got: JsValue| -> Result<JsValue, JsValue> {
        let field = |k: &str| {
            Reflect::get(&got, &JsValue::from_str(k))
                .ok()
                .and_then(|v| v.as_string())
        };
        let saved = field(RELAY_KEY);
        let options = stored_options(&got);
        if let Some(s) = field(SECRET_KEY)
            .as_deref()
            .and_then(unhex)
            .filter(|s| s.len() == 32)
        {
            begin(&s, saved, options)?;
            return Ok(JsValue::UNDEFINED);
        }
        let s = random(32)?;
        let stored = bindings::local_set(&object(&[(SECRET_KEY, JsValue::from_str(&hex(&s)))]));
        let then = Closure::once_into_js(move |_: JsValue| begin(&s, saved, options));
        Ok(stored.then(&then, &JsValue::UNDEFINED).into())
    });
    bindings::local_get(&keys)
        .then(&next, &JsValue::UNDEFINED)
        .into()
}

/// The rest of [`start`], with the secret, the saved relay ring and the
/// options.
fn begin(secret: &[u8], ring: Option<String>, options: Stored) -> Result<JsValue, JsValue> {
    let core = Core::new(
        secret,
        &random(8)?,
        options.policy(),
        options.redaction(),
        now_ms(),
    )
    .map_err(js_error)?;
    let mut relay = Relay::new(DEFAULT_CAPACITY);
    if let Some(saved) = ring {
        if let Err(e) = relay.restore(&saved) {
            bindings::warn(&format!("logout-lens: starting with an empty queue: {e}"));
        }
    }
    STATE.with(|s| {
        *s.borrow_mut() = Some(State {
            core,
            relay,
            options,
            ui: Alerting::default(),
            port: None,
            listeners: Vec::new(),
            save_scheduled: false,
            retry_scheduled: false,
            flush_scheduled: false,
        })
    });
    crate::ui::wasm::started();
    pump();
    Ok(JsValue::UNDEFINED)
}

/// One browser event, `{input, details}` ([`Input`]); `at_ms` is when it
/// happened (the glue hands events over in batches, a little later). An
/// input that does not read is logged without its details, which may hold
/// secrets.
#[wasm_bindgen]
pub fn handle(input: JsValue, at_ms: f64) {
    let Ok(json) = JSON::stringify(&input) else {
        return;
    };
    let json = String::from(json);
    let now = if at_ms.is_finite() && at_ms > 0.0 {
        at_ms as i64
    } else {
        now_ms()
    };
    let result = with_state(|st| {
        let input = match Input::from_json(&json) {
            Ok(input) => input,
            Err(crate::ExtError::TooLarge(_)) => return st.core.handle_json(&json, now).map(drop),
            Err(e) => return Err(e),
        };
        // A tab that went to another page or closed: the browser cleared
        // its badge, and a banner for it waits no more.
        match &input {
            Input::TabUpdated(t) if t.url.is_some() => st.ui.navigated(t.tab_id),
            Input::TabRemoved(t) => st.ui.closed(t.tab_id),
            _ => {}
        }
        for e in st.core.handle(input, now) {
            queue(st, &e);
        }
        Ok(())
    });
    if let Some(Err(e)) = result {
        let what = match e {
            crate::ExtError::BadInput(_) => "bad input".to_owned(),
            other => other.to_string(),
        };
        bindings::warn(&format!("logout-lens: {what}"));
    }
    schedule_flush();
}

fn queue(st: &mut State, e: &Event) {
    match serde_json::value::to_raw_value(e) {
        Ok(json) => st.relay.push(e.id.0.clone(), e.origin.clone(), json),
        Err(err) => bindings::warn(&format!("logout-lens: an event not queued: {err}")),
    }
}

/// The held logouts' ids (empty when none): the glue then asks the pages'
/// module for their causes (`page_causes`).
#[wasm_bindgen]
pub fn held_ids() -> Vec<String> {
    with_state(|st| st.core.held_ids()).unwrap_or_default()
}

/// The timeline the held logouts are diagnosed from (JSON array).
#[wasm_bindgen]
pub fn held_timeline() -> String {
    with_state(|st| st.core.held_timeline()).unwrap_or_else(|| "[]".into())
}

/// Settles the held logouts with the pages' module's answer
/// (`page_causes`: JSON [`Verdict`]s), or releases them all without a
/// cause when there is none (it failed); queues those the options send and,
/// when they were diagnosed, shows their alerts.
#[wasm_bindgen]
pub fn settle(answer: Option<String>) {
    let verdicts = answer.and_then(|a| match serde_json::from_str::<Vec<Verdict>>(&a) {
        Ok(v) => Some(v),
        Err(e) => {
            bindings::warn(&format!("logout-lens: the diagnosis' answer: {e}"));
            None
        }
    });
    let alerts = with_state(|st| {
        let settled = st.core.settle(verdicts.as_deref());
        for e in &settled.events {
            if st.core.sends(e) {
                queue(st, e);
            }
        }
        crate::ui::view::alerts(&settled.events, &settled.quiet)
    });
    if let (Some(alerts), Some(_)) = (alerts, verdicts) {
        crate::ui::wasm::show_alerts(alerts);
    }
    schedule_flush();
}

/// The options changed in `storage.local` (`keys`: what changed); applied
/// from the next event.
#[wasm_bindgen]
pub fn options_changed(keys: Vec<String>) {
    if !keys.iter().any(|k| STORED_KEYS.contains(&k.as_str())) {
        return;
    }
    let wanted = js_sys::Array::new();
    for k in STORED_KEYS {
        wanted.push(&JsValue::from_str(k));
    }
    let apply = Closure::once_into_js(|got: JsValue| {
        let options = stored_options(&got);
        with_state(|st| {
            st.core.configure(options.policy());
            if let Err(e) = st.core.set_redaction(options.redaction()) {
                bindings::warn(&format!("logout-lens: {e}"));
            }
            st.options = options;
        });
        crate::ui::wasm::badges();
    });
    let _ = bindings::local_get(&wanted).then(&apply, &JsValue::UNDEFINED);
}

/// Sends what queued up after a short pause, so a burst's events go together.
fn schedule_flush() {
    let due = with_state(|st| {
        let due = !st.flush_scheduled;
        st.flush_scheduled = true;
        due
    });
    if due == Some(true) {
        let f = Closure::once_into_js(|| {
            with_state(|st| st.flush_scheduled = false);
            pump();
        });
        bindings::set_timeout(f.unchecked_ref(), FLUSH_DELAY_MS);
    }
}

/// The relay's counters and what the core refused, for the popup and tests
/// (`relay::Status`).
#[wasm_bindgen]
pub fn status() -> JsValue {
    with_state(|st| serde_json::to_string(&st.status()).unwrap_or_default())
        .and_then(|s| JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

pub(crate) fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    STATE.with(|s| s.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Performs whatever the relay wants now, then schedules the next retry and
/// the persistence of the ring.
fn pump() {
    let now = now_ms();
    let actions = with_state(|st| st.relay.poll(now)).unwrap_or_default();
    perform(actions);
    schedule();
}

fn perform(actions: Vec<Action>) {
    for a in actions {
        match a {
            Action::Connect => connect(),
            Action::Send(text) => {
                let Ok(msg) = JSON::parse(&text) else {
                    continue;
                };
                with_state(|st| {
                    if let Some(p) = &st.port {
                        p.post_message(&msg);
                    }
                });
            }
            Action::Disconnect => {
                with_state(|st| {
                    if let Some(p) = st.port.take() {
                        p.disconnect();
                    }
                    st.listeners.clear();
                });
            }
        }
    }
}

fn connect() {
    let port = bindings::connect_native(HOST_NAME);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|msg: JsValue| {
        let Ok(text) = JSON::stringify(&msg) else {
            return;
        };
        let text = String::from(text);
        let now = now_ms();
        let actions = with_state(|st| st.relay.on_message(&text, now));
        match actions {
            Some(Ok(a)) => perform(a),
            Some(Err(e)) => bindings::warn(&format!("logout-lens: collector: {e}")),
            None => {}
        }
        schedule();
    });
    let on_disconnect = Closure::<dyn FnMut(JsValue)>::new(|_port: JsValue| {
        let now = now_ms();
        with_state(|st| {
            st.port = None;
            st.relay.disconnected(now);
        });
        // The closures of this port stay alive until the next connect replaces them.
        schedule();
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    with_state(|st| {
        st.port = Some(port);
        st.listeners = vec![on_message, on_disconnect];
    });
}

fn schedule() {
    let now = now_ms();
    let (save, retry) = with_state(|st| {
        let save = st.relay.dirty() && !st.save_scheduled;
        st.save_scheduled |= save;
        let retry = st.relay.retry_at().filter(|_| !st.retry_scheduled);
        st.retry_scheduled |= retry.is_some();
        (save, retry)
    })
    .unwrap_or((false, None));
    if save {
        save_later(0);
    }
    if let Some(at) = retry {
        let f = Closure::once_into_js(|| {
            with_state(|st| st.retry_scheduled = false);
            pump();
        });
        bindings::set_timeout(f.unchecked_ref(), (at - now).clamp(0, 60_000) as i32);
    }
}

fn save_later(waits: u32) {
    let f = Closure::once_into_js(move || save_now(waits));
    bindings::set_timeout(f.unchecked_ref(), SAVE_DELAY_MS);
}

fn save_now(waits: u32) {
    let due = with_state(|st| st.relay.save_due(waits)).unwrap_or(Save::Clean);
    if due == Save::Wait {
        save_later(waits + 1);
        return;
    }
    // Clean by now when the collector acked everything in the meantime.
    let snapshot = with_state(|st| {
        st.save_scheduled = false;
        (due == Save::Now).then(|| st.relay.snapshot())
    })
    .flatten();
    if let Some(snapshot) = snapshot {
        let failed = Closure::once_into_js(|e: JsValue| {
            bindings::warn("logout-lens: saving the queue failed");
            bindings::warn_value(&e);
        });
        let _ = bindings::local_set(&object(&[(RELAY_KEY, JsValue::from_str(&snapshot))]))
            .then(&JsValue::UNDEFINED, &failed);
    }
}
