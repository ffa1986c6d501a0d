//! The browser side: state in a thread-local, I/O through the bindings. The
//! JS glue calls [`start`] once and [`handle`] for every event.

use std::cell::RefCell;

use js_sys::{JSON, Object, Reflect};
use logout_lens_model::RedactionOptions;
use logout_lens_model::http::SiteHints;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_extensions_sys::Port;

use crate::bindings;
use crate::core::Core;
use crate::relay::{Action, DEFAULT_CAPACITY, HOST_NAME, Relay, Save};

const SECRET_KEY: &str = "secret";
const RELAY_KEY: &str = "relay";
/// Wait before writing the ring, so a burst of events costs one write.
const SAVE_DELAY_MS: i32 = 500;
/// Wait before sending new events to the collector.
const FLUSH_DELAY_MS: i32 = 200;

pub(crate) struct State {
    pub(crate) core: Core,
    pub(crate) relay: Relay,
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

fn now_ms() -> i64 {
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

fn obj(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

/// Loads (or creates) the install secret, restores the unacked ring, and
/// starts relaying. Returns a promise that settles once started.
///
/// Plain promise chaining rather than an `async fn`: the futures runtime
/// costs the wasm more than this whole function.
#[wasm_bindgen]
pub fn start() -> JsValue {
    let keys = js_sys::Array::of2(&SECRET_KEY.into(), &RELAY_KEY.into());
    let next = Closure::once_into_js(|got: JsValue| -> Result<JsValue, JsValue> {
        let field = |k: &str| {
            Reflect::get(&got, &JsValue::from_str(k))
                .ok()
                .and_then(|v| v.as_string())
        };
        let saved = field(RELAY_KEY);
        if let Some(s) = field(SECRET_KEY)
            .as_deref()
            .and_then(unhex)
            .filter(|s| s.len() == 32)
        {
            begin(&s, saved)?;
            return Ok(JsValue::UNDEFINED);
        }
        let s = random(32)?;
        let stored = bindings::local_set(&obj(&[(SECRET_KEY, JsValue::from_str(&hex(&s)))]));
        let then = Closure::once_into_js(move |_: JsValue| begin(&s, saved));
        Ok(stored.then(&then, &JsValue::UNDEFINED).into())
    });
    bindings::local_get(&keys)
        .then(&next, &JsValue::UNDEFINED)
        .into()
}

/// The rest of [`start`], with the secret and the saved relay ring. The
/// options (site hints among them) are applied by `ui_configure` before the
/// first event is handled.
fn begin(secret: &[u8], ring: Option<String>) -> Result<JsValue, JsValue> {
    let core = Core::new(
        secret,
        &random(8)?,
        SiteHints::default(),
        RedactionOptions::default(),
        now_ms(),
    )
    .map_err(|e| JsValue::from_str(&e.to_string()))?;
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
            port: None,
            listeners: Vec::new(),
            save_scheduled: false,
            retry_scheduled: false,
            flush_scheduled: false,
        })
    });
    pump();
    Ok(JsValue::UNDEFINED)
}

/// One browser event: `input` names it (see `Core::handle`), `details` is
/// the browser's object, `at_ms` when it happened (the glue handles events in
/// batches, a little later). Errors are logged without the details, which
/// may hold secrets.
#[wasm_bindgen]
pub fn handle(input: &str, details: JsValue, at_ms: f64) {
    let json = match JSON::stringify(&details) {
        Ok(s) => String::from(s),
        Err(_) => return,
    };
    let now = if at_ms.is_finite() && at_ms > 0.0 {
        at_ms as i64
    } else {
        now_ms()
    };
    let result = with_state(|st| {
        let events = st.core.handle(input, &json, now)?;
        for e in events {
            queue(st, e);
        }
        Ok::<_, crate::ExtError>(())
    });
    if let Some(Err(e)) = result {
        let what = match e {
            crate::ExtError::BadInput { .. } => "bad input".to_owned(),
            other => other.to_string(),
        };
        bindings::warn(&format!("logout-lens: {input}: {what}"));
    }
    schedule_flush();
}

fn queue(st: &mut State, e: logout_lens_model::Event) {
    let text = crate::encode::event(&e);
    st.relay.push(e.id.0, e.origin, text);
}

/// The held logouts' ids, one per line (`""` when none): the glue then
/// asks the pages' module for their causes (`page_causes`).
#[wasm_bindgen]
pub fn held_ids() -> String {
    with_state(|st| st.core.held_ids()).unwrap_or_default()
}

/// The timeline the held logouts are diagnosed from (JSON array).
#[wasm_bindgen]
pub fn held_timeline() -> String {
    with_state(|st| st.core.held_timeline()).unwrap_or_else(|| "[]".into())
}

/// Settles the held logouts with the pages' module's answer, or releases
/// them all without a cause when there is none (it failed), and queues
/// those the options send. Returns the settled logouts and those that may
/// not notify (`{"settled":[events],"quiet":[ids]}`): the pages' module
/// makes their alerts (`page_alerts`).
#[wasm_bindgen]
pub fn settle(answer: Option<String>) -> String {
    let settled = with_state(|st| {
        let settled = st.core.settle(answer.as_deref());
        for e in &settled.events {
            if st.core.sends(e) {
                queue(st, e.clone());
            }
        }
        format!(
            r#"{{"settled":{},"quiet":{}}}"#,
            crate::encode::events(&settled.events),
            serde_json::to_string(&settled.quiet).unwrap_or_else(|_| "[]".into())
        )
    });
    schedule_flush();
    settled.unwrap_or_else(|| r#"{"settled":[],"quiet":[]}"#.into())
}

/// Sends what queued up after a short pause, so a page load's dozens of
/// events cost one native message (and one collector transaction), not dozens.
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
        let _ = bindings::local_set(&obj(&[(RELAY_KEY, JsValue::from_str(&snapshot))]))
            .then(&JsValue::UNDEFINED, &failed);
    }
}
