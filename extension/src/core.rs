//! The extension's brain: inputs from the glue in, redacted schema-v1 events
//! out. Tracks which origins are signed in and notices logouts. A logout
//! leaves without its cause: the model's diagnosis is not in the worker's
//! wasm, so the glue has it diagnosed (see [`crate::held`]) and then
//! [`Core::settle`]s it.

use std::collections::VecDeque;

use litemap::LiteMap;

use logout_lens_model::event::{
    Activity, IdleState, IdleStateChange, LifecycleState, LogoutAction, LogoutObserved,
    LogoutTrigger, Navigation, PageLifecycle, Source, StorageArea, StorageOp, TimeSample,
};
use logout_lens_model::http::{self, SiteHints};
use logout_lens_model::logout::{Cause, Signal, classify};
use logout_lens_model::{Event, EventKind, RedactionOptions, Redactor};

use crate::cookies::{self, Attributor};
use crate::error::ExtError;
use crate::held::{self, Held};
use crate::hooked;
use crate::ids::IdGen;
use crate::input::{
    CookieChanged, Fields, FromJson, IdleInput, PageInput, PageMsg, TabInput, WebRequest, clip,
    limits,
};
use crate::network::{self, Exchange};
use crate::storage::{self, parse_area};
use crate::url::{domain_matches, host_of, origin_of};

/// Events kept in memory for the diagnosis of the next logout.
const TIMELINE_MAX: usize = 3_000;
/// And no older than this.
const TIMELINE_AGE_MS: i64 = 2 * 60 * 60 * 1000;
/// An activity event is recorded when input moved on by at least this much.
const ACTIVITY_STEP_MS: i64 = 5_000;
/// A navigation to the same URL in the same tab within this window is one
/// navigation seen twice (webRequest and tabs.onUpdated).
const NAV_DEDUP_MS: i64 = 3_000;
/// A server clock differing from the last sample by more than this is recorded.
const SKEW_STEP_MS: i64 = 30_000;
/// A wall-clock gap over the monotonic clock above this is sleep.
const SLEEP_GAP_MS: i64 = 60_000;
/// How long the page hook's messages may have waited in the page for the
/// forwarder (which starts once the page has loaded); an older `at` is not believed.
const BACKLOG_MS: i64 = 5 * 60 * 1000;

fn set_cause(e: &mut Event, cause: Cause) {
    if let EventKind::LogoutObserved(o) = &mut e.kind {
        o.cause = Some(cause);
        o.coarse = Some(cause.coarse());
    }
}

/// Does a click label name a logout control?
pub fn is_logout_label(label: &str) -> bool {
    let l: String = label
        .chars()
        .take(limits::LABEL)
        // ASCII letters and digits only: the words are ASCII, no other
        // character lowercases to one of their letters, and it spares the
        // wasm the Unicode alphabetic and case tables.
        .filter(|c| c.is_ascii_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
    [
        "log out", "logout", "sign out", "signout", "log off", "logoff", "sign off",
    ]
    .iter()
    .any(|w| l == *w || l.starts_with(&format!("{w} ")) || l.ends_with(&format!(" {w}")))
}

#[derive(Debug, Clone, Default)]
struct Tab {
    url: String,
    origin: Option<String>,
    nav_ts: i64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Session {
    /// Signed in, as far as the evidence goes.
    authed: bool,
    /// Credentials were seen while signed in (so their loss means something).
    had_creds: bool,
}

/// What the glue passes with `tick`.
#[derive(Debug)]
struct Tick {
    mono_ms: f64,
}

impl FromJson for Tick {
    fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        Ok(Tick {
            mono_ms: Fields::of(v)?.f64("mono_ms")?,
        })
    }
}

/// What the glue passes with `capture`, first thing: which network source is live.
#[derive(Debug)]
struct Capture {
    web_request: bool,
}

impl FromJson for Capture {
    fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        Ok(Capture {
            web_request: Fields::of(v)?.bool("webRequest")?,
        })
    }
}

pub struct Core {
    redactor: Redactor,
    ids: IdGen,
    hints: SiteHints,
    net: network::Tracker,
    cookies: Attributor,
    storage: storage::Tracker,
    tabs: LiteMap<i64, Tab>,
    sessions: LiteMap<String, Session>,
    /// Auth cookies present, by cookie domain (a few names each: a `Vec`
    /// used as a set costs the wasm less than a `BTreeSet`).
    auth_cookies: LiteMap<String, Vec<String>>,
    started_ms: i64,
    last_input_ms: Option<i64>,
    last_activity_event_ms: Option<i64>,
    last_skew_ms: Option<i64>,
    last_clock: Option<(i64, f64)>,
    timeline: VecDeque<Event>,
    /// Logouts waiting for their cause.
    held: Held,
    /// Which sites are watched and what is sent on (the options page).
    filter: crate::ui::options::Filter,
    /// Kept to rebuild the redactor when the redaction opt-ins change.
    secret: Vec<u8>,
    /// The webRequest listeners are registered (the user opted in): the page
    /// hook's `net` records are then ignored, so nothing is counted twice.
    web_request: bool,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("tabs", &self.tabs.len())
            .field("timeline", &self.timeline.len())
            .finish_non_exhaustive()
    }
}

fn parse<T: FromJson>(input: &str, json: &str) -> Result<T, ExtError> {
    crate::input::from_str(json).map_err(|e| ExtError::bad_input(input, e))
}

impl Core {
    /// `secret`: the per-install redaction secret (32 random bytes, kept in
    /// `chrome.storage.local`); `random`: fresh bytes for this worker's ids.
    pub fn new(
        secret: &[u8],
        random: &[u8],
        hints: SiteHints,
        options: RedactionOptions,
        now_ms: i64,
    ) -> Result<Self, ExtError> {
        Ok(Core {
            redactor: Redactor::new(secret, options)?,
            ids: IdGen::new(random),
            hints,
            net: network::Tracker::default(),
            cookies: Attributor::default(),
            storage: storage::Tracker::default(),
            tabs: LiteMap::new(),
            sessions: LiteMap::new(),
            auth_cookies: LiteMap::new(),
            started_ms: now_ms,
            last_input_ms: None,
            last_activity_event_ms: None,
            last_skew_ms: None,
            last_clock: None,
            timeline: VecDeque::new(),
            held: Held::default(),
            filter: Default::default(),
            secret: secret.to_vec(),
            web_request: false,
        })
    }

    /// One input from the glue (`input` names it, `json` is its details).
    /// Returns the new events, redacted, oldest first.
    pub fn handle(&mut self, input: &str, json: &str, now_ms: i64) -> Result<Vec<Event>, ExtError> {
        let mut out = Vec::new();
        match input {
            "before_request" => {
                let d: WebRequest = parse(input, json)?;
                self.net.before_request(&d, &self.redactor, now_ms);
            }
            "send_headers" => {
                let d: WebRequest = parse(input, json)?;
                self.net.send_headers(&d, &self.redactor);
            }
            "headers_received" => {
                let d: WebRequest = parse(input, json)?;
                for s in self.net.headers_received(&d, now_ms) {
                    self.cookies.saw_set_cookie(s);
                }
            }
            "before_redirect" | "completed" | "error" => {
                let d: WebRequest = parse(input, json)?;
                let ex = match input {
                    "before_redirect" => self.net.redirect(&d, &self.redactor, &self.hints, now_ms),
                    "completed" => self.net.completed(&d, &self.redactor, &self.hints, now_ms),
                    _ => self.net.failed(&d, &self.redactor, &self.hints, now_ms),
                };
                if let Some(ex) = ex {
                    self.exchange(ex, &mut out);
                }
            }
            "cookie_changed" => {
                let c: CookieChanged = parse(input, json)?;
                self.cookie_changed(&c, now_ms, &mut out);
            }
            "idle" => {
                let i: IdleInput = parse(input, json)?;
                let state = match i.state.as_str() {
                    "active" => IdleState::Active,
                    "idle" => IdleState::Idle,
                    "locked" => IdleState::Locked,
                    other => return Err(ExtError::bad_input(input, format!("state `{other}`"))),
                };
                let e = self.event(now_ms, EventKind::IdleState(IdleStateChange { state }));
                self.push(e, &mut out);
            }
            "tab_updated" => {
                let t: TabInput = parse(input, json)?;
                if let Some(url) = &t.url {
                    self.navigated(t.tab_id, url, false, None, now_ms, &mut out);
                }
                let state = match (t.discarded, t.frozen) {
                    (Some(true), _) => Some(LifecycleState::Discarded),
                    (_, Some(true)) => Some(LifecycleState::Frozen),
                    _ => None,
                };
                if let Some(state) = state {
                    self.lifecycle(t.tab_id, state, Source::Extension, now_ms, &mut out);
                }
            }
            "tab_removed" => {
                let t: TabInput = parse(input, json)?;
                self.tabs.remove(&t.tab_id);
            }
            "page" => {
                let p: PageInput = parse(input, json)?;
                self.page(p, now_ms, &mut out);
            }
            "tick" => {
                let t: Tick = parse(input, json)?;
                self.tick(t.mono_ms, now_ms, &mut out);
            }
            "capture" => {
                let c: Capture = parse(input, json)?;
                self.web_request = c.web_request;
                self.cookies.set_sees_set_cookie(c.web_request);
            }
            other => return Err(ExtError::UnknownInput(clip(other, 64).to_owned())),
        }
        Ok(out)
    }

    /// Time since the last input anywhere (or since the worker started, when
    /// no input has been seen).
    pub fn idle_ms(&self, now_ms: i64) -> i64 {
        (now_ms - self.last_input_ms.unwrap_or(self.started_ms)).max(0)
    }

    pub fn is_signed_in(&self, origin: &str) -> bool {
        self.sessions.get(origin).is_some_and(|s| s.authed)
    }

    fn event(&mut self, ts_ms: i64, kind: EventKind) -> Event {
        Event::new(self.ids.next_id(), ts_ms, kind)
    }

    fn on_page(&self, mut e: Event, tab: Option<i64>, url: Option<&str>) -> Event {
        let url = url.or_else(|| tab.and_then(|t| self.tabs.get(&t)).map(|t| t.url.as_str()));
        e.tab = tab.filter(|t| *t >= 0);
        if let Some(u) = url {
            e.origin = origin_of(u);
            if e.origin.is_some() {
                e.path = Some(clip(http::path_of(u), 512).to_owned());
            }
        }
        e
    }

    /// The logouts waiting for their cause, one id per line (`""` when none).
    pub fn held_ids(&self) -> String {
        self.held.ids()
    }

    /// The timeline their diagnosis reads (JSON array), all of it: the
    /// diagnosis places events by time, not by arrival, and a page left
    /// before it had loaded hands over what it saw (dated when it happened)
    /// after the navigation that showed the logout.
    pub fn held_timeline(&self) -> String {
        crate::encode::events(&self.timeline)
    }

    /// Settles held logouts with a diagnoser's answer (`held::answer`), or
    /// all of them without a cause when there is none; each gets its cause
    /// and coarse type, in the timeline too. Returns the settled logouts, to
    /// alert and, those the options send ([`Core::sends`]), to queue.
    pub fn settle(&mut self, answer: Option<&str>) -> Vec<Event> {
        let mut out = Vec::new();
        for (mut e, cause) in self.held.release(answer) {
            if let Some(cause) = cause {
                set_cause(&mut e, cause);
                if let Some(kept) = self.timeline.iter_mut().rev().find(|k| k.id == e.id) {
                    set_cause(kept, cause);
                }
            }
            out.push(e);
        }
        out
    }

    /// Is this event queued for the collector (the options)?
    pub fn sends(&self, e: &Event) -> bool {
        self.filter.sends(e)
    }

    /// The in-memory timeline (redacted), oldest first: what the popup shows.
    pub fn timeline(&self) -> &VecDeque<Event> {
        &self.timeline
    }

    pub fn hints(&self) -> &SiteHints {
        &self.hints
    }

    /// New options from the options page; they apply to the next event.
    pub fn configure(&mut self, hints: SiteHints, filter: crate::ui::options::Filter) {
        self.hints = hints;
        self.filter = filter;
    }

    /// The redaction opt-ins changed; events from now on follow them.
    pub fn set_redaction(&mut self, options: RedactionOptions) -> Result<(), ExtError> {
        self.redactor = Redactor::new(&self.secret, options)?;
        Ok(())
    }

    fn push(&mut self, e: Event, out: &mut Vec<Event>) {
        if !self.filter.watches(e.origin.as_deref()) {
            return;
        }
        let cutoff = e.ts_ms - TIMELINE_AGE_MS;
        while self.timeline.len() >= TIMELINE_MAX
            || self.timeline.front().is_some_and(|f| f.ts_ms < cutoff)
        {
            self.timeline.pop_front();
        }
        self.timeline.push_back(e.clone());
        // A logout waits for its cause whether or not it is sent: the alert
        // and the popup show it too.
        let e = if held::needs_cause(&e) {
            match self.held.hold(e) {
                Some(old) => old,
                None => return,
            }
        } else {
            e
        };
        if self.filter.sends(&e) {
            out.push(e);
        }
    }

    fn session(&mut self, origin: &str) -> &mut Session {
        self.sessions.entry(origin.to_owned()).or_default()
    }

    fn has_credentials(&self, origin: &str) -> bool {
        if self.storage.has_credentials(origin) {
            return true;
        }
        let Some(host) = host_of(origin) else {
            return false;
        };
        self.auth_cookies
            .iter()
            .any(|(d, names)| !names.is_empty() && domain_matches(d, &host))
    }

    /// Credentials are present: the origin is signed in.
    fn credentials_seen(&mut self, origin: &str) {
        if self.has_credentials(origin) {
            let s = self.session(origin);
            s.authed = true;
            s.had_creds = true;
        }
    }

    /// After a removal: if a signed-in origin has no credentials left, that is a logout.
    fn check_vanished(&mut self, origin: &str, tab: Option<i64>, ts: i64, out: &mut Vec<Event>) {
        let s = self.sessions.get(origin).copied().unwrap_or_default();
        if s.authed && s.had_creds && !self.has_credentials(origin) {
            let url = tab
                .and_then(|t| self.tabs.get(&t))
                .filter(|t| t.origin.as_deref() == Some(origin))
                .map(|t| t.url.clone())
                .unwrap_or_else(|| origin.to_owned());
            self.logout(
                LogoutTrigger::CredentialsVanished,
                origin,
                tab,
                &url,
                ts,
                out,
            );
        }
    }

    fn logout(
        &mut self,
        trigger: LogoutTrigger,
        origin: &str,
        tab: Option<i64>,
        url: &str,
        ts: i64,
        out: &mut Vec<Event>,
    ) {
        *self.session(origin) = Session::default();
        let observed = LogoutObserved {
            trigger,
            url: Some(self.redactor.url(url)),
            idle_ms: Some(self.idle_ms(ts)),
            coarse: None,
            cause: None,
        };
        let e = self.event(ts, EventKind::LogoutObserved(observed));
        let e = self.on_page(e, tab, Some(url));
        self.push(e, out);
    }

    fn exchange(&mut self, ex: Exchange, out: &mut Vec<Event>) {
        if !self.filter.watches(ex.origin.as_deref()) {
            return;
        }
        let tab = (ex.tab >= 0).then_some(ex.tab);
        let page_url = tab.and_then(|t| self.tabs.get(&t)).map(|t| t.url.clone());
        let e = self.event(ex.ts_ms, EventKind::HttpExchange(ex.x.clone()));
        let mut e = self.on_page(e, tab, page_url.as_deref());
        if e.origin.is_none() {
            e.origin = ex.origin.clone();
        }
        e.frame = ex.frame;
        let origin = e.origin.clone();
        let signal = classify(&e);
        self.push(e, out);
        if let Some(origin) = &origin {
            if signal == Signal::LoginOk {
                self.session(origin).authed = true;
            }
        }
        if let Some(server) = ex.server_date_ms {
            let skew = server - ex.ts_ms;
            if self
                .last_skew_ms
                .is_none_or(|last| (skew - last).abs() > SKEW_STEP_MS)
            {
                self.last_skew_ms = Some(skew);
                let sample = TimeSample {
                    wall_elapsed_ms: 0,
                    mono_elapsed_ms: 0,
                    skew_ms: Some(skew),
                };
                let e = self.event(ex.ts_ms, EventKind::TimeSample(sample));
                let mut e = self.on_page(e, tab, page_url.as_deref());
                e.tab = None;
                self.push(e, out);
            }
        }
        if ex.main_frame && tab.is_some() {
            let status = ex.x.status;
            self.navigated(ex.tab, &ex.landed_url, ex.redirect, status, ex.ts_ms, out);
        }
    }

    fn navigated(
        &mut self,
        tab: i64,
        url: &str,
        redirect: bool,
        status: Option<u16>,
        ts: i64,
        out: &mut Vec<Event>,
    ) {
        let Some(origin) = origin_of(url) else {
            return;
        };
        if !self.filter.watches(Some(&origin)) {
            return;
        }
        if let Some(t) = self.tabs.get(&tab) {
            if t.url == url && ts - t.nav_ts <= NAV_DEDUP_MS {
                return;
            }
        }
        self.tabs.insert(
            tab,
            Tab {
                url: clip(url, 4096).to_owned(),
                origin: Some(origin.clone()),
                nav_ts: ts,
            },
        );
        let to_login = http::is_login_page(url, &self.hints);
        let nav = Navigation {
            url: self.redactor.url(url),
            to_login,
            redirect,
            status: status.filter(|s| !(300..400).contains(s)),
        };
        let e = self.event(ts, EventKind::Navigation(nav));
        let e = self.on_page(e, Some(tab), Some(url));
        self.push(e, out);
        if to_login && self.is_signed_in(&origin) {
            self.logout(LogoutTrigger::LoginPage, &origin, Some(tab), url, ts, out);
        }
    }

    fn cookie_changed(&mut self, c: &CookieChanged, now_ms: i64, out: &mut Vec<Event>) {
        let Some(change) = self.cookies.change(c, &self.redactor, now_ms) else {
            return;
        };
        let domain = change.domain.trim_start_matches('.').to_ascii_lowercase();
        // The page this cookie belongs to: the newest tab on a matching host.
        let (tab, url) = self
            .tabs
            .iter()
            .filter(|(_, t)| {
                t.origin
                    .as_deref()
                    .and_then(host_of)
                    .is_some_and(|h| domain_matches(&domain, &h))
            })
            .max_by_key(|(_, t)| t.nav_ts)
            .map_or((None, None), |(id, t)| (Some(*id), Some(t.url.clone())));
        let is_auth = http::is_auth_cookie(&change.name)
            || change.value.as_ref().is_some_and(|v| v.claims.is_some());
        let removal =
            change.removed && change.cause != logout_lens_model::event::CookieCause::Overwrite;
        let adds = !change.removed;
        let name = change.name.clone();
        let e = self.event(now_ms, EventKind::CookieChange(change));
        let mut e = self.on_page(e, tab, url.as_deref());
        e.tab = None;
        let origin = e.origin.clone();
        self.push(e, out);
        if !is_auth {
            return;
        }
        let names = self.auth_cookies.entry(domain).or_default();
        if adds {
            if !names.contains(&name) {
                names.push(name);
            }
            if let Some(o) = &origin {
                self.credentials_seen(o);
            }
        } else if removal {
            names.retain(|n| *n != name);
            // Every signed-in origin on this domain may have lost its session.
            let origins: Vec<String> = self.sessions.keys().cloned().collect();
            for o in origins {
                if host_of(&o).is_some_and(|h| domain_matches(&c.cookie.domain, &h)) {
                    self.check_vanished(&o, tab, now_ms, out);
                }
            }
        }
    }

    fn lifecycle(
        &mut self,
        tab: i64,
        state: LifecycleState,
        source: Source,
        ts: i64,
        out: &mut Vec<Event>,
    ) {
        let e = self.event(ts, EventKind::PageLifecycle(PageLifecycle { state }));
        let e = self.on_page(e, Some(tab), None).with_source(source);
        self.push(e, out);
    }

    fn page(&mut self, p: PageInput, now_ms: i64, out: &mut Vec<Event>) {
        // A message kept in the page until the forwarder came is dated when it
        // happened; the page's word for it is bounded by arrival and backlog.
        let now_ms = p
            .at_ms
            .map_or(now_ms, |at| at.clamp(now_ms - BACKLOG_MS, now_ms));
        let Some(url) = p.url.as_deref() else {
            return;
        };
        let Some(origin) = origin_of(url) else {
            return;
        };
        // An excluded site is not tracked at all, so watching it again starts clean.
        if !self.filter.watches(Some(&origin)) {
            return;
        }
        let tab = p.tab.filter(|t| *t >= 0);
        if let (Some(t), Some(0) | None) = (tab, p.frame) {
            self.tabs.entry(t).or_insert_with(|| Tab {
                url: clip(url, 4096).to_owned(),
                origin: Some(origin.clone()),
                nav_ts: now_ms,
            });
        }
        let page_event = |core: &mut Core, kind: EventKind| {
            let e = core.event(now_ms, kind);
            let mut e = core.on_page(e, tab, Some(url)).with_source(Source::Page);
            e.frame = p.frame;
            e
        };
        match p.msg {
            PageMsg::Storage {
                area,
                op,
                key,
                value,
                old,
                entries,
                stack,
            } => {
                let (Some(area), Some(op)) = (parse_area(&area), parse_op(&op)) else {
                    return;
                };
                let change = self.storage.hooked(
                    &origin,
                    storage::Op {
                        area,
                        op,
                        key: &key,
                        value: value.as_deref(),
                        old: old.as_deref(),
                        entries: &entries,
                        stack: stack.as_deref(),
                    },
                    &self.redactor,
                );
                if let Some(change) = change {
                    let e = page_event(self, EventKind::StorageChange(change));
                    self.push(e, out);
                }
                if op == StorageOp::Set {
                    self.credentials_seen(&origin);
                } else {
                    self.check_vanished(&origin, tab, now_ms, out);
                }
            }
            PageMsg::Cookie { text, .. } => {
                if let Some(host) = host_of(url) {
                    self.cookies
                        .saw_document_cookie(clip(&text, limits::VALUE), &host, now_ms);
                }
            }
            PageMsg::Scan { local, session } => {
                let mut changes =
                    self.storage
                        .scan(&origin, StorageArea::Local, &local, &self.redactor);
                changes.extend(self.storage.scan(
                    &origin,
                    StorageArea::Session,
                    &session,
                    &self.redactor,
                ));
                for change in changes {
                    let e = page_event(self, EventKind::StorageChange(change));
                    self.push(e, out);
                }
                self.credentials_seen(&origin);
                self.check_vanished(&origin, tab, now_ms, out);
            }
            PageMsg::Activity { last_input_ms } => {
                // Page-controlled: never in the future, never before the epoch.
                let t = last_input_ms.clamp(0, now_ms);
                if self.last_input_ms.is_none_or(|l| t > l) {
                    self.last_input_ms = Some(t);
                }
                if self
                    .last_activity_event_ms
                    .is_none_or(|l| t - l >= ACTIVITY_STEP_MS)
                {
                    self.last_activity_event_ms = Some(t);
                    let e = page_event(self, EventKind::Activity(Activity { last_input_ms: t }));
                    self.push(e, out);
                }
            }
            PageMsg::Lifecycle { state } => {
                let state = match state.as_str() {
                    "visible" => LifecycleState::Visible,
                    "hidden" => LifecycleState::Hidden,
                    "frozen" => LifecycleState::Frozen,
                    "resumed" => LifecycleState::Resumed,
                    "discarded" => LifecycleState::Discarded,
                    _ => return,
                };
                let e = page_event(self, EventKind::PageLifecycle(PageLifecycle { state }));
                self.push(e, out);
            }
            PageMsg::Net(r) => {
                if let Some(tab) = tab.filter(|_| !self.web_request) {
                    self.page_net(&r, tab, p.frame, now_ms, out);
                }
            }
            PageMsg::Click { label } => {
                let label = clip(label.trim(), limits::LABEL).to_owned();
                if !is_logout_label(&label) {
                    return;
                }
                let e = page_event(
                    self,
                    EventKind::LogoutAction(LogoutAction { label: Some(label) }),
                );
                self.push(e, out);
                if self.is_signed_in(&origin) {
                    self.logout(LogoutTrigger::UserAction, &origin, tab, url, now_ms, out);
                }
            }
        }
    }

    /// A request the page hook saw, fed through the webRequest path.
    fn page_net(
        &mut self,
        r: &crate::input::NetRecord,
        tab: i64,
        frame: Option<i64>,
        now_ms: i64,
        out: &mut Vec<Event>,
    ) {
        let Some(s) = hooked::steps(r, tab, frame, now_ms) else {
            return;
        };
        self.net.before_request(&s.start, &self.redactor, now_ms);
        self.net.send_headers(&s.start, &self.redactor);
        if let Some(hop) = &s.redirect {
            if let Some(ex) = self.net.redirect(hop, &self.redactor, &self.hints, now_ms) {
                self.exchange(ex, out);
            }
        }
        let ex = if s.failed {
            self.net.failed(&s.end, &self.redactor, &self.hints, now_ms)
        } else {
            self.net
                .completed(&s.end, &self.redactor, &self.hints, now_ms)
        };
        if let Some(ex) = ex {
            self.exchange(ex, out);
        }
    }

    fn tick(&mut self, mono_ms: f64, now_ms: i64, out: &mut Vec<Event>) {
        if let Some((wall, mono)) = self.last_clock {
            let wall_elapsed_ms = now_ms - wall;
            let mono_elapsed_ms = (mono_ms - mono) as i64;
            if mono_elapsed_ms >= 0 && wall_elapsed_ms - mono_elapsed_ms >= SLEEP_GAP_MS {
                let sample = TimeSample {
                    wall_elapsed_ms,
                    mono_elapsed_ms,
                    skew_ms: None,
                };
                let e = self.event(now_ms, EventKind::TimeSample(sample));
                self.push(e, out);
            }
        }
        self.last_clock = Some((now_ms, mono_ms));
    }
}

fn parse_op(s: &str) -> Option<StorageOp> {
    match s {
        "set" => Some(StorageOp::Set),
        "remove" => Some(StorageOp::Remove),
        "clear" => Some(StorageOp::Clear),
        _ => None,
    }
}

/// The cookie causes, re-exported for the glue's documentation and tests.
pub use cookies::parse_cause;
