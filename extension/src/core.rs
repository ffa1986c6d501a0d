//! The extension's brain: inputs from the glue in, redacted schema-v1 events
//! out. Tracks which origins are signed in and notices logouts. A logout
//! leaves without its cause: the model's diagnosis is not in the worker's
//! wasm, so the glue has it diagnosed (see [`crate::held`]) and then
//! [`Core::settle`]s it.
//!
//! Every event is filed under the document that produced it ([`pages`]: a
//! frame's own origin, a new page record after a navigation to another
//! site), a cookie counts for the sites that depend on it ([`jar`]), and
//! page input is bounded and checked on the way in ([`guard`]).
//!
//! [`pages`]: crate::pages
//! [`jar`]: crate::jar
//! [`guard`]: crate::guard

use std::collections::VecDeque;

use litemap::LiteMap;

use logout_lens_model::event::{
    Activity, IdleStateChange, LifecycleState, LogoutAction, LogoutObserved, LogoutTrigger,
    Navigation, PageLifecycle, Source, StorageArea, StorageOp, TimeSample,
};
use logout_lens_model::http::{self, SiteHints};
use logout_lens_model::logout::{Cause, Signal, classify};
use logout_lens_model::{Event, EventKind, RedactionOptions, Redactor};

use crate::cookies::Attributor;
use crate::error::ExtError;
use crate::guard::{Counts, NoticeThrottle, RateLimit, Reason, Shares, clamp_time};
use crate::held::{self, Held};
use crate::hooked;
use crate::ids::IdGen;
use crate::input::{
    ActivityMsg, ClickMsg, CookieChanged, CookieMsg, DroppedMsg, Input, Known, LifecycleMsg,
    PageInput, PageMsg, ResourceType, ScanMsg, StorageMsg, WebRequest, clip,
};
use crate::jar::{self, Jar};
use crate::limits;
use crate::network::{self, Exchange};
use crate::pages::{At, Pages};
use crate::policy::Policy;
use crate::storage;
use crate::url::{host_of, origin_of};

/// An activity event is recorded when input moved on by at least this much.
const ACTIVITY_STEP_MS: i64 = 5_000;
/// A navigation to the same URL in the same tab within this window is one
/// navigation seen twice (webRequest and tabs.onUpdated).
const NAV_DEDUP_MS: i64 = 3_000;
/// A server clock differing from the last sample by more than this is recorded.
const SKEW_STEP_MS: i64 = 30_000;
/// A wall-clock gap over the monotonic clock above this is sleep.
const SLEEP_GAP_MS: i64 = 60_000;
/// An unowned cookie set this long before a site's login or refresh
/// started, or after it ended, may still be that response's.
const CLAIM_BEFORE_MS: i64 = 500;
const CLAIM_AFTER_MS: i64 = 2_000;
/// A navigation this long after an unowned cookie was set may be the
/// landing of the sign-in that set it.
const CLAIM_NAV_MS: i64 = 5_000;
/// Cookie changes waiting for their site at most (a burst of them goes out
/// under none).
const UNCLAIMED_MAX: usize = 100;

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

#[derive(Debug, Clone, Copy, Default)]
struct Session {
    /// Signed in, as far as the evidence goes.
    authed: bool,
    /// Credentials were seen while signed in (so their loss means something).
    had_creds: bool,
}

/// The logouts [`Core::settle`] let go, and which of them may not notify
/// (their site had a notification less than [`limits::NOTICE_EVERY_MS`] before).
#[derive(Debug, Default)]
pub struct Settled {
    pub events: Vec<Event>,
    pub quiet: Vec<String>,
}

pub struct Core {
    redactor: Redactor,
    ids: IdGen,
    /// The options the capture applies.
    policy: Policy,
    net: network::Tracker,
    cookies: Attributor,
    storage: storage::Tracker,
    pages: Pages,
    jar: Jar,
    sessions: LiteMap<String, Session>,
    started_ms: i64,
    last_input_ms: Option<i64>,
    last_activity_event_ms: Option<i64>,
    /// The last server clock difference recorded, per site.
    skews: LiteMap<String, i64>,
    last_clock: Option<(i64, f64)>,
    timeline: VecDeque<Event>,
    /// How many timeline events each site holds.
    shares: Shares,
    /// Changes of cookies nobody has claimed yet ([`Jar::claim`]): they
    /// wait (at most [`CLAIM_NAV_MS`]) to be filed under the site that
    /// does, else go out under none (the host's, by domain).
    unclaimed: Vec<(Event, jar::Key)>,
    /// Logouts waiting for their cause.
    held: Held,
    /// Kept to rebuild the redactor when the redaction opt-ins change.
    secret: Vec<u8>,
    /// The webRequest listeners are registered (the user opted in): the page
    /// hook's `net` records are then ignored, so nothing is counted twice.
    web_request: bool,
    rate: RateLimit,
    notices: NoticeThrottle,
    counts: Counts,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("timeline", &self.timeline.len())
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// `secret`: the per-install redaction secret (32 random bytes, kept in
    /// `chrome.storage.local`); `random`: fresh bytes for this worker's ids.
    pub fn new(
        secret: &[u8],
        random: &[u8],
        policy: Policy,
        options: RedactionOptions,
        now_ms: i64,
    ) -> Result<Self, ExtError> {
        Ok(Core {
            redactor: Redactor::new(secret, options)?,
            ids: IdGen::new(random),
            policy,
            net: network::Tracker::default(),
            cookies: Attributor::default(),
            storage: storage::Tracker::default(),
            pages: Pages::default(),
            jar: Jar::default(),
            sessions: LiteMap::new(),
            started_ms: now_ms,
            last_input_ms: None,
            last_activity_event_ms: None,
            skews: LiteMap::new(),
            last_clock: None,
            timeline: VecDeque::new(),
            shares: Shares::default(),
            unclaimed: Vec::new(),
            held: Held::default(),
            secret: secret.to_vec(),
            web_request: false,
            rate: RateLimit::default(),
            notices: NoticeThrottle::default(),
            counts: Counts::default(),
        })
    }

    /// One input's JSON text from the glue ([`Input`]): read, then
    /// handled. An input over [`limits::PAGE_INPUT_BYTES`] is refused
    /// whole and counted; one that does not read is an error.
    pub fn handle_json(&mut self, json: &str, now_ms: i64) -> Result<Vec<Event>, ExtError> {
        match Input::from_json(json) {
            Ok(input) => Ok(self.handle(input, now_ms)),
            Err(ExtError::TooLarge(_)) => {
                self.counts.note(Reason::TooLarge);
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// One input from the glue. Returns the new events, redacted, oldest first.
    pub fn handle(&mut self, input: Input, now_ms: i64) -> Vec<Event> {
        let mut out = Vec::new();
        self.file_unclaimed(|_, e| e.ts_ms + CLAIM_NAV_MS < now_ms, &mut out);
        match input {
            Input::Capture(c) => {
                self.web_request = c.web_request;
                self.cookies.set_sees_set_cookie(c.web_request);
            }
            Input::BeforeRequest(d) => {
                // A page's own requests count against its tab's rate; the
                // navigations of the tab itself always pass.
                let main_frame = d.is(ResourceType::MainFrame);
                if d.tab_id >= 0 && !main_frame && !self.rate.allow(d.tab_id, now_ms) {
                    self.counts.note(Reason::RateLimited);
                    return out;
                }
                self.net.before_request(&d, &self.redactor, now_ms);
            }
            Input::SendHeaders(d) => self.net.send_headers(&d, &self.redactor),
            Input::HeadersReceived(d) => {
                let origin = self
                    .request_page(&RequestOf::web_request(&d))
                    .as_deref()
                    .and_then(origin_of);
                for mut s in self.net.headers_received(&d, now_ms) {
                    s.origin = origin.clone();
                    self.cookies.saw_set_cookie(s);
                }
            }
            Input::BeforeRedirect(d) => {
                let hints = &self.policy.hints;
                if let Some(ex) = self.net.redirect(&d, &self.redactor, hints, now_ms) {
                    self.exchange(ex, &mut out);
                }
            }
            Input::Completed(d) => {
                let hints = &self.policy.hints;
                if let Some(ex) = self.net.completed(&d, &self.redactor, hints, now_ms) {
                    self.exchange(ex, &mut out);
                }
            }
            Input::Error(d) => {
                let hints = &self.policy.hints;
                if let Some(ex) = self.net.failed(&d, &self.redactor, hints, now_ms) {
                    self.exchange(ex, &mut out);
                }
            }
            Input::CookieChanged(c) => {
                if matches!(c.cause, Known::Unknown(_))
                    || matches!(c.cookie.same_site, Some(Known::Unknown(_)))
                {
                    self.counts.note(Reason::UnknownValue);
                }
                self.cookie_changed(&c, now_ms, &mut out);
            }
            Input::Idle(i) => match i.state {
                Known::Is(state) => {
                    let e = self.event(now_ms, EventKind::IdleState(IdleStateChange { state }));
                    self.push(e, &mut out);
                }
                Known::Unknown(_) => self.counts.note(Reason::UnknownValue),
            },
            Input::TabUpdated(t) => {
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
            Input::TabRemoved(t) => {
                self.pages.remove_tab(t.tab_id);
                self.rate.forget(t.tab_id);
            }
            Input::Page(p) => {
                if !self.rate.allow(p.tab.unwrap_or(-1), now_ms) {
                    self.counts.note(Reason::RateLimited);
                    return out;
                }
                if p.msg.oversized() {
                    self.counts.note(Reason::Clipped);
                }
                if p.msg.unknown_value() {
                    self.counts.note(Reason::UnknownValue);
                    return out;
                }
                if let PageMsg::Dropped(DroppedMsg { n }) = p.msg {
                    self.counts.add(Reason::ForwarderDropped, n);
                    return out;
                }
                self.page(p, now_ms, &mut out);
            }
            Input::Tick(t) => self.tick(t.mono_ms, now_ms, &mut out),
        }
        out
    }

    /// Time since the last input anywhere (or since the worker started, when
    /// no input has been seen).
    pub fn idle_ms(&self, now_ms: i64) -> i64 {
        (now_ms - self.last_input_ms.unwrap_or(self.started_ms)).max(0)
    }

    pub fn is_signed_in(&self, origin: &str) -> bool {
        self.sessions.get(origin).is_some_and(|s| s.authed)
    }

    /// What was refused, clamped or held back so far, by reason.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn event(&mut self, ts_ms: i64, kind: EventKind) -> Event {
        Event::new(self.ids.next_id(), ts_ms, kind)
    }

    /// Files `e` under the document `at`: its tab, frame, origin and path.
    fn filed(&self, mut e: Event, at: At<'_>) -> Event {
        e.tab = at.tab.filter(|t| *t >= 0);
        e.frame = at.frame;
        if let Some(u) = at.url {
            e.origin = origin_of(u);
            if e.origin.is_some() {
                e.path = Some(clip(http::path_of(u), limits::PATH).to_owned());
            }
        }
        e
    }

    /// The tab's top document, as an `At`.
    fn top_of(&self, tab: i64) -> At<'_> {
        At {
            tab: Some(tab),
            frame: None,
            url: self.pages.top(tab).map(|p| p.url.as_str()),
        }
    }

    /// The logouts waiting for their cause, oldest first.
    pub fn held_ids(&self) -> Vec<String> {
        self.held.ids()
    }

    /// The timeline their diagnosis reads (JSON array), all of it: the
    /// diagnosis places events by time, not by arrival, and a page left
    /// before it had loaded hands over what it saw (dated when it happened)
    /// after the navigation that showed the logout.
    pub fn held_timeline(&self) -> String {
        serde_json::to_string(&self.timeline).unwrap_or_else(|_| "[]".into())
    }

    /// Settles held logouts with a diagnoser's answer (`held::answer`), or
    /// all of them without a cause when there is none; each gets its cause
    /// and coarse type, in the timeline too. Returns the settled logouts, to
    /// alert and, those the options send ([`Core::sends`]), to queue; and
    /// which of them may not notify (one notification per site per
    /// [`limits::NOTICE_EVERY_MS`]: a page that forges logouts cannot
    /// flood the desktop).
    pub fn settle(&mut self, answer: Option<&[held::Verdict]>) -> Settled {
        let mut out = Settled::default();
        for (mut e, cause) in self.held.release(answer) {
            if let Some(cause) = cause {
                set_cause(&mut e, cause);
                if let Some(kept) = self.timeline.iter_mut().rev().find(|k| k.id == e.id) {
                    set_cause(kept, cause);
                }
            }
            if crate::ui::view::notifies(&e) && !self.notices.allow(e.origin.as_deref(), e.ts_ms) {
                self.counts.note(Reason::NoticeThrottled);
                out.quiet.push(e.id.0.clone());
            }
            out.events.push(e);
        }
        out
    }

    /// Is this event queued for the collector (the options)?
    pub fn sends(&self, e: &Event) -> bool {
        self.policy.filter.sends(e)
    }

    /// The in-memory timeline (redacted), oldest first: what the popup shows.
    pub fn timeline(&self) -> &VecDeque<Event> {
        &self.timeline
    }

    pub fn hints(&self) -> &SiteHints {
        &self.policy.hints
    }

    /// The options the capture applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// New options from the options page; they apply to the next event.
    pub fn configure(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// The redaction opt-ins changed; events from now on follow them.
    pub fn set_redaction(&mut self, options: RedactionOptions) -> Result<(), ExtError> {
        self.redactor = Redactor::new(&self.secret, options)?;
        Ok(())
    }

    /// Keeps `e` in the timeline (making room within its site's share) and,
    /// unless it waits for its cause or the options keep it, in `out`.
    /// Every event passes the model's scrubber here, before anything keeps,
    /// queues or shows it: a token in a path (`/magic/<JWT>`), a code in a
    /// stack's URL, a secret in a label never goes further.
    fn push(&mut self, mut e: Event, out: &mut Vec<Event>) {
        if !self.policy.filter.watches(e.origin.as_deref()) {
            return;
        }
        self.redactor.scrub_event(&mut e);
        let cutoff = e.ts_ms - limits::TIMELINE_AGE_MS;
        while let Some(old) = self.timeline.front().filter(|f| f.ts_ms < cutoff) {
            self.shares.removed(old.origin.as_deref());
            self.timeline.pop_front();
        }
        if let Some(victim) = self.shares.victim(
            e.origin.as_deref(),
            self.timeline.len(),
            limits::TIMELINE_MAX,
            limits::TIMELINE_SHARE,
        ) {
            self.evict_oldest_of(victim.as_deref());
        }
        self.shares.added(e.origin.as_deref());
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
        if self.policy.filter.sends(&e) {
            out.push(e);
        }
    }

    /// Drops the oldest timeline event of `origin` (a logout only when the
    /// site has nothing else: the popup lists them).
    fn evict_oldest_of(&mut self, origin: Option<&str>) {
        let mine = |e: &Event| e.origin.as_deref() == origin;
        let at = self
            .timeline
            .iter()
            .position(|e| mine(e) && !e.is_logout())
            .or_else(|| self.timeline.iter().position(mine));
        if let Some(i) = at {
            self.timeline.remove(i);
            self.shares.removed(origin);
        }
    }

    fn session(&mut self, origin: &str) -> &mut Session {
        if !self.sessions.contains_key(origin) && self.sessions.len() >= limits::SITES_TRACKED {
            // A page can open frames of endless subdomains: a site not
            // signed in makes room, else the first.
            let spare = self
                .sessions
                .iter()
                .find(|(_, s)| !s.authed)
                .or_else(|| self.sessions.iter().next())
                .map(|(o, _)| o.clone());
            if let Some(o) = spare {
                self.sessions.remove(&o);
            }
        }
        self.sessions.entry(origin.to_owned()).or_default()
    }

    /// Does `origin` hold credentials of its own: web storage of its own
    /// origin, or a cookie its sign-in depends on ([`jar`])?
    fn has_credentials(&self, origin: &str) -> bool {
        self.storage.has_credentials(origin) || self.jar.holds(origin)
    }

    /// Credentials are present: the origin is signed in.
    fn credentials_seen(&mut self, origin: &str) {
        if self.has_credentials(origin) {
            let s = self.session(origin);
            s.authed = true;
            s.had_creds = true;
        }
    }

    /// After a removal: if a signed-in origin has no credentials left, that
    /// is a logout, shown where `at` says when that is a page of the
    /// origin, else on its newest page.
    fn check_vanished(&mut self, origin: &str, at: At<'_>, ts: i64, out: &mut Vec<Event>) {
        let s = self.sessions.get(origin).copied().unwrap_or_default();
        if !(s.authed && s.had_creds && !self.has_credentials(origin)) {
            return;
        }
        let here = at.url.and_then(origin_of).as_deref() == Some(origin);
        let (tab, frame, url) = if here {
            (at.tab, at.frame, at.url.map(str::to_owned))
        } else {
            self.pages
                .newest_of(origin)
                .map_or((None, None, None), |p| {
                    (p.tab, p.frame, p.url.map(str::to_owned))
                })
        };
        let url = url.unwrap_or_else(|| origin.to_owned());
        self.logout(
            LogoutTrigger::CredentialsVanished,
            origin,
            At {
                tab,
                frame,
                url: Some(&url),
            },
            ts,
            out,
        );
    }

    /// A logout of `origin`, on the page `at` (whose URL is the logout's).
    fn logout(
        &mut self,
        trigger: LogoutTrigger,
        origin: &str,
        at: At<'_>,
        ts: i64,
        out: &mut Vec<Event>,
    ) {
        // Its diagnosis reads the cookie changes still waiting to be claimed.
        self.file_unclaimed(|_, _| true, out);
        *self.session(origin) = Session::default();
        let observed = LogoutObserved {
            trigger,
            url: at.url.map(|u| self.redactor.url(u)),
            idle_ms: Some(self.idle_ms(ts)),
            coarse: None,
            cause: None,
        };
        let e = self.event(ts, EventKind::LogoutObserved(observed));
        let e = self.filed(e, at);
        self.push(e, out);
    }

    /// The document that made a request: the request's own URL for a
    /// document load (top or frame), else what the source says (the page
    /// hook's sender, Firefox's `documentUrl`), else the frame's known page
    /// when it is of the initiating origin, else that origin (Chromium's
    /// `initiator`). Never the top page for a frame's request.
    fn request_page(&self, r: &RequestOf<'_>) -> Option<String> {
        let web = |u: &&str| origin_of(u).is_some();
        if r.document_load {
            return Some(r.url.to_owned());
        }
        if let Some(d) = r.document_url.filter(web) {
            return Some(d.to_owned());
        }
        let initiator = r.initiator.and_then(origin_of);
        if let Some(p) = self.pages.frame(r.tab, r.frame) {
            if initiator.as_deref().is_none_or(|i| i == p.origin) {
                return Some(p.url.clone());
            }
        }
        initiator
    }

    fn exchange(&mut self, ex: Exchange, out: &mut Vec<Event>) {
        let tab = (ex.tab >= 0).then_some(ex.tab);
        let page_url = self.request_page(&RequestOf {
            tab: ex.tab,
            frame: ex.frame,
            url: &ex.url,
            document_load: ex.main_frame || ex.sub_frame,
            document_url: ex.document_url.as_deref(),
            initiator: ex.initiator.as_deref(),
        });
        let origin = page_url
            .as_deref()
            .and_then(origin_of)
            .or_else(|| ex.origin.clone());
        if !self.policy.filter.watches(origin.as_deref()) {
            // Not recorded, but the tab's new page is still its page.
            if ex.main_frame && tab.is_some() {
                let status = ex.x.status;
                self.navigated(ex.tab, &ex.landed_url, ex.redirect, status, ex.ts_ms, out);
            }
            return;
        }
        if ex.sub_frame {
            if let (Some(t), Some(o)) = (tab, &origin) {
                self.pages.heard(t, ex.frame, &ex.url, o, ex.ts_ms);
            }
        }
        // A server clock a day or more away is a forged or broken `Date`:
        // not a skew sample, and not kept for the diagnosis either.
        let mut x = ex.x;
        let mut skew = ex.server_date_ms.map(|server| server - ex.ts_ms);
        if skew.is_some_and(|s| s.checked_abs().is_none_or(|a| a > limits::SKEW_MAX_MS)) {
            self.counts.note(Reason::ImplausibleSkew);
            x.date = None;
            skew = None;
        }
        let status = x.status;
        let e = self.event(ex.ts_ms, EventKind::HttpExchange(x));
        let at = At {
            tab,
            frame: ex.frame,
            url: page_url.as_deref(),
        };
        let mut e = self.filed(e, at);
        if e.origin.is_none() {
            e.origin = origin.clone();
        }
        let signal = classify(&e);
        self.push(e, out);
        if let Some(origin) = &origin {
            if signal == Signal::LoginOk {
                self.session(origin).authed = true;
            }
            // A sign-in's or refresh's response may have set a cookie this
            // site depends on.
            if matches!(signal, Signal::LoginOk | Signal::RefreshOk) {
                if let Some(url) = page_url.as_deref() {
                    let (from, to) = (ex.start_ms - CLAIM_BEFORE_MS, ex.ts_ms + CLAIM_AFTER_MS);
                    self.claim(origin, url, from, to, out);
                }
            }
            if let Some(skew) = skew {
                if self
                    .skews
                    .get(origin)
                    .is_none_or(|last| (skew - last).abs() > SKEW_STEP_MS)
                {
                    if self.skews.len() >= limits::SITES_TRACKED {
                        self.skews.clear();
                    }
                    self.skews.insert(origin.clone(), skew);
                    let sample = TimeSample {
                        wall_elapsed_ms: 0,
                        mono_elapsed_ms: 0,
                        skew_ms: Some(skew),
                    };
                    let e = self.event(ex.ts_ms, EventKind::TimeSample(sample));
                    let mut e = self.filed(e, at);
                    e.tab = None;
                    e.frame = None;
                    self.push(e, out);
                }
            }
        }
        if ex.main_frame && tab.is_some() {
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
        if let Some(t) = self.pages.top(tab) {
            if t.url == clip(url, limits::URL) && t.nav_ms.is_some_and(|n| ts - n <= NAV_DEDUP_MS) {
                return;
            }
        }
        // The tab shows a new document whether or not its site is watched:
        // what it does next is never filed under the page it left.
        let Some(origin) = self.pages.navigated(tab, url, ts).map(|p| p.origin.clone()) else {
            return;
        };
        if !self.policy.filter.watches(Some(&origin)) {
            return;
        }
        let to_login = http::is_login_page(url, &self.policy.hints);
        let nav = Navigation {
            url: self.redactor.url(url),
            to_login,
            redirect,
            status: status.filter(|s| !(300..400).contains(s)),
        };
        let at = At {
            tab: Some(tab),
            frame: None,
            url: Some(url),
        };
        let e = self.event(ts, EventKind::Navigation(nav));
        let e = self.filed(e, at);
        self.push(e, out);
        // The landing of a sign-in (a form post, a redirect) shows which
        // site the cookies it set belong to.
        if !to_login {
            self.claim(&origin, url, ts - CLAIM_NAV_MS, ts, out);
        }
        if to_login && self.is_signed_in(&origin) {
            self.logout(LogoutTrigger::LoginPage, &origin, at, ts, out);
        }
    }

    fn cookie_changed(&mut self, c: &CookieChanged, now_ms: i64, out: &mut Vec<Event>) {
        let Some((change, writer_origin)) = self.cookies.change(c, &self.redactor, now_ms) else {
            return;
        };
        let is_auth = http::is_auth_cookie(&change.name)
            || change.value.as_ref().is_some_and(|v| v.claims.is_some());
        let key = jar::key(&c.cookie.domain, &c.cookie.path, &c.cookie.name);
        let overwrite = change.cause == logout_lens_model::event::CookieCause::Overwrite;
        // A change of a cookie whose setting still waits for its site goes
        // out after it.
        self.file_unclaimed(|k, _| *k == key, out);
        // The sites this cookie counts for.
        let owners: Vec<String> = if !is_auth {
            // Not a credential: filed under the one site it goes with, if one.
            self.cookie_writer(&key, writer_origin)
        } else if change.removed {
            if overwrite {
                // Replaced at once by the new value, which keeps its owners.
                self.jar
                    .owners(&key)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default()
            } else {
                self.jar.remove(&key)
            }
        } else {
            let found = self.cookie_writer(&key, writer_origin);
            self.jar.set(key.clone(), found, now_ms).to_vec()
        };
        let e = self.event(now_ms, EventKind::CookieChange(change));
        match owners.as_slice() {
            [one] => {
                let e = self.filed_for(e, one);
                self.push(e, out);
            }
            // A new auth cookie nobody has claimed yet: a sign-in around
            // now will say whose it is.
            [] if is_auth && !c.removed => {
                if self.unclaimed.len() >= UNCLAIMED_MAX {
                    let (old, _) = self.unclaimed.remove(0);
                    self.push(old, out);
                }
                self.unclaimed.push((e, key));
            }
            // Several sites (or none): the host's, which the diagnosis
            // matches by domain.
            _ => self.push(e, out),
        }
        if !is_auth || overwrite {
            return;
        }
        for o in &owners {
            if c.removed {
                let at = self.pages.newest_of(o).unwrap_or_default();
                let at_url = at.url.map(str::to_owned);
                let at = At {
                    url: at_url.as_deref(),
                    ..at
                };
                self.check_vanished(o, at, now_ms, out);
            } else {
                self.credentials_seen(o);
            }
        }
    }

    /// A cookie event filed under the site `origin` (its newest page's
    /// path; no tab: a cookie is not a tab's).
    fn filed_for(&self, e: Event, origin: &str) -> Event {
        let url = self
            .pages
            .newest_of(origin)
            .and_then(|p| p.url)
            .unwrap_or(origin);
        let mut e = self.filed(
            e,
            At {
                url: Some(url),
                ..At::default()
            },
        );
        e.origin = Some(origin.to_owned());
        e
    }

    /// `origin`'s page at `url` signed in or landed between `from_ms` and
    /// `to_ms`: it claims the unowned cookies set then ([`Jar::claim`]),
    /// whose waiting changes are filed under it.
    fn claim(&mut self, origin: &str, url: &str, from_ms: i64, to_ms: i64, out: &mut Vec<Event>) {
        let claimed = self.jar.claim(origin, url, from_ms, to_ms);
        if claimed.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.unclaimed.len() {
            if claimed.contains(&self.unclaimed[i].1) {
                let (e, _) = self.unclaimed.remove(i);
                let e = self.filed_for(e, origin);
                self.push(e, out);
            } else {
                i += 1;
            }
        }
        self.credentials_seen(origin);
    }

    /// Sends on the waiting cookie changes `due` picks, under no site.
    fn file_unclaimed(&mut self, due: impl Fn(&jar::Key, &Event) -> bool, out: &mut Vec<Event>) {
        if self.unclaimed.is_empty() {
            return;
        }
        let (go, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unclaimed)
            .into_iter()
            .partition(|(e, k)| due(k, e));
        self.unclaimed = keep;
        for (e, _) in go {
            self.push(e, out);
        }
    }

    /// Which sites wrote the cookie `key` just set: the site whose page or
    /// request did (the attribution), else the only open page it goes with;
    /// else nobody yet (a sign-in around that time claims it, [`Jar::claim`]).
    fn cookie_writer(&self, key: &jar::Key, writer_origin: Option<String>) -> Vec<String> {
        if let Some(o) = writer_origin {
            return vec![o];
        }
        let mut sites: Vec<&str> = Vec::new();
        for p in self.pages.all().filter(|p| jar::covers(key, &p.url)) {
            if !sites.contains(&p.origin.as_str()) {
                sites.push(&p.origin);
            }
        }
        match sites.as_slice() {
            [one] => vec![(*one).to_owned()],
            _ => Vec::new(),
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
        // A tab's state is its page's: without a page known (a tab not
        // seen yet), it would read as every site's.
        if self.pages.top(tab).is_none() {
            return;
        }
        let e = self.event(ts, EventKind::PageLifecycle(PageLifecycle { state }));
        let at = self.top_of(tab);
        let e = self.filed(e, at).with_source(source);
        self.push(e, out);
    }

    fn page(&mut self, p: PageInput, now_ms: i64, out: &mut Vec<Event>) {
        // A message kept in the page until the forwarder came is dated when it
        // happened; the page's word for it is bounded by arrival and backlog.
        let now_ms = match p.msg.at() {
            Some(at) => clamp_time(at, now_ms - limits::BACKLOG_MS, now_ms, &mut self.counts),
            None => now_ms,
        };
        // The sending frame's own document (the browser's word): its URL,
        // or for an about:blank / srcdoc frame the origin it inherited.
        let url = match (p.url.as_deref(), p.origin.as_deref()) {
            (Some(u), _) if origin_of(u).is_some() => u.to_owned(),
            (_, Some(o)) if origin_of(o).is_some() => format!("{o}/"),
            _ => return,
        };
        let Some(origin) = origin_of(&url) else {
            return;
        };
        let tab = p.tab.filter(|t| *t >= 0);
        if let Some(t) = tab {
            self.pages.heard(t, p.frame, &url, &origin, now_ms);
        }
        // An excluded site is not tracked at all, so watching it again starts clean.
        if !self.policy.filter.watches(Some(&origin)) {
            return;
        }
        let at = At {
            tab,
            frame: p.frame,
            url: Some(&url),
        };
        let page_event = |core: &mut Core, kind: EventKind| {
            let e = core.event(now_ms, kind);
            let mut e = core.filed(e, at).with_source(Source::Page);
            e.frame = p.frame;
            e
        };
        match p.msg {
            PageMsg::Storage(StorageMsg {
                area,
                op,
                key,
                value,
                old,
                entries,
                stack,
                ..
            }) => {
                let (Known::Is(area), Known::Is(op)) = (area, op) else {
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
                    &self.policy,
                );
                if let Some(change) = change {
                    let e = page_event(self, EventKind::StorageChange(change));
                    self.push(e, out);
                }
                if op == StorageOp::Set {
                    self.credentials_seen(&origin);
                } else {
                    self.check_vanished(&origin, at, now_ms, out);
                }
            }
            PageMsg::Cookie(CookieMsg { text, .. }) => {
                if let Some(host) = host_of(&url) {
                    self.cookies.saw_document_cookie(
                        clip(&text, limits::VALUE),
                        &host,
                        &origin,
                        now_ms,
                    );
                }
            }
            PageMsg::Scan(ScanMsg { local, session }) => {
                let (r, policy) = (&self.redactor, &self.policy);
                let mut changes = self
                    .storage
                    .scan(&origin, StorageArea::Local, &local, r, policy);
                changes.extend(self.storage.scan(
                    &origin,
                    StorageArea::Session,
                    &session,
                    r,
                    policy,
                ));
                for change in changes {
                    let e = page_event(self, EventKind::StorageChange(change));
                    self.push(e, out);
                }
                self.credentials_seen(&origin);
                self.check_vanished(&origin, at, now_ms, out);
            }
            PageMsg::Activity(ActivityMsg { last_input_ms }) => {
                // Page-controlled: never in the future, never long before now.
                let t = clamp_time(
                    last_input_ms,
                    now_ms - limits::INPUT_AGE_MS,
                    now_ms,
                    &mut self.counts,
                );
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
            PageMsg::Lifecycle(LifecycleMsg { state }) => {
                let Known::Is(state) = state else {
                    return;
                };
                let e = page_event(self, EventKind::PageLifecycle(PageLifecycle { state }));
                self.push(e, out);
            }
            PageMsg::Net(r) => {
                if let Some(tab) = tab.filter(|_| !self.web_request) {
                    self.page_net(&r, tab, p.frame, &url, now_ms, out);
                }
            }
            // Counted as they arrive (`handle`).
            PageMsg::Dropped(_) | PageMsg::Unknown => {}
            PageMsg::Click(ClickMsg { label }) => {
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
                    self.logout(LogoutTrigger::UserAction, &origin, at, now_ms, out);
                }
            }
        }
    }

    /// A request the page hook saw in the frame showing `document`, fed
    /// through the webRequest path.
    fn page_net(
        &mut self,
        r: &crate::input::NetRecord,
        tab: i64,
        frame: Option<i64>,
        document: &str,
        now_ms: i64,
        out: &mut Vec<Event>,
    ) {
        let Some(s) = hooked::steps(r, tab, frame, document, now_ms, &mut self.counts) else {
            return;
        };
        self.net.before_request(&s.start, &self.redactor, now_ms);
        self.net.send_headers(&s.start, &self.redactor);
        if let Some(hop) = &s.redirect {
            if let Some(ex) = self
                .net
                .redirect(hop, &self.redactor, &self.policy.hints, now_ms)
            {
                self.exchange(ex, out);
            }
        }
        let ex = if s.failed {
            self.net
                .failed(&s.end, &self.redactor, &self.policy.hints, now_ms)
        } else {
            self.net
                .completed(&s.end, &self.redactor, &self.policy.hints, now_ms)
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

/// What [`Core::request_page`] reads about a request.
struct RequestOf<'a> {
    tab: i64,
    frame: Option<i64>,
    url: &'a str,
    /// The request loads a document (top frame or frame).
    document_load: bool,
    document_url: Option<&'a str>,
    initiator: Option<&'a str>,
}

impl<'a> RequestOf<'a> {
    fn web_request(d: &'a WebRequest) -> Self {
        RequestOf {
            tab: d.tab_id,
            frame: d.frame_id,
            url: &d.url,
            document_load: d.is(ResourceType::MainFrame) || d.is(ResourceType::SubFrame),
            document_url: d.document_url.as_deref(),
            initiator: d.initiator.as_deref(),
        }
    }
}
