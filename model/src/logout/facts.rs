//! The timeline around one logout, prepared once for every rule to read.

use std::collections::HashMap;

use crate::event::{Event, EventKind, HttpExchange, LifecycleState};
use crate::http::{parse_http_date, parse_www_authenticate};
use crate::jwt::TokenKind;
use crate::redact::TokenClaims;
use crate::time::PLAUSIBLE_SKEW_MS;

use super::classify::{Signal, classify};

/// Logout-kind events closer than this belong to one logout (click, redirect, app report).
pub(crate) const EPISODE_GAP_MS: i64 = 10_000;
/// Events this long after the logout still belong to it (the landing, the app's report).
pub(crate) const AFTER_MS: i64 = 5_000;

/// A span during which page timers could not run on time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Suspension {
    pub start: i64,
    pub end: i64,
    pub what: Suspend,
    /// Position (in the window) of the event that shows it.
    pub evidence: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suspend {
    Hidden,
    Frozen,
    Discarded,
    Asleep,
}

impl Suspend {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Suspend::Hidden => "the tab was hidden (timers throttled)",
            Suspend::Frozen => "the tab was frozen",
            Suspend::Discarded => "the tab was discarded",
            Suspend::Asleep => "the machine was asleep",
        }
    }
}

/// A token seen in storage or a cookie, with when it appeared.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeenToken<'a> {
    pub pos: usize,
    pub ts: i64,
    pub claims: &'a TokenClaims,
}

/// The window of events around one logout, sorted, with per-event signals.
pub(crate) struct Facts<'a> {
    pub events: Vec<&'a Event>,
    pub signals: Vec<Signal>,
    /// Position of the representative logout event in `events`.
    pub logout: usize,
    pub logout_ts: i64,
    /// Positions of the episode's logout-kind events.
    pub episode: Vec<usize>,
    pub last_input: Option<i64>,
    pub suspensions: Vec<Suspension>,
    /// Largest |server − local| clock difference seen, and where.
    pub skew: Option<(i64, usize)>,
    pub access_tokens: Vec<SeenToken<'a>>,
    pub refresh_tokens: Vec<SeenToken<'a>>,
    /// Successful refreshes by the fingerprint of the token they carried.
    pub refresh_ok_by_fp: HashMap<&'a str, Vec<usize>>,
    /// Exchanges by request id.
    pub by_request_id: HashMap<&'a str, usize>,
    /// Responses whose `Set-Cookie` deleted a cookie, by cookie name.
    pub deleted_by: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Facts<'a> {
    pub(crate) fn build(window: Vec<&'a Event>, logout: usize, episode: Vec<usize>) -> Self {
        let signals: Vec<Signal> = window.iter().map(|e| classify(e)).collect();
        let logout_ts = window[logout].ts_ms;
        let mut last_input = None;
        let mut suspensions = Vec::new();
        // Open lifecycle spans per tab: (tab, start, what, evidence).
        let mut open: Vec<(Option<i64>, i64, Suspend, usize)> = Vec::new();
        let mut skew: Option<(i64, usize)> = None;
        let mut access_tokens = Vec::new();
        let mut refresh_tokens = Vec::new();
        let mut refresh_ok_by_fp: HashMap<&'a str, Vec<usize>> = HashMap::new();
        let mut by_request_id = HashMap::new();
        let mut deleted_by: HashMap<&'a str, Vec<usize>> = HashMap::new();
        let mut note_skew = |s: i64, pos: usize| {
            let plausible = s.checked_abs().is_some_and(|a| a <= PLAUSIBLE_SKEW_MS);
            if plausible && skew.is_none_or(|(best, _)| s.abs() > best.abs()) {
                skew = Some((s, pos));
            }
        };
        for (pos, e) in window.iter().enumerate() {
            let ts = e.ts_ms;
            match &e.kind {
                EventKind::Activity(a) if a.last_input_ms <= logout_ts => {
                    last_input = last_input.max(Some(a.last_input_ms));
                }
                EventKind::IdleState(_) | EventKind::LogoutAction(_)
                    if ts <= logout_ts
                        && (signals[pos] == Signal::Input
                            || signals[pos] == Signal::LogoutAction) =>
                {
                    last_input = last_input.max(Some(ts));
                }
                EventKind::PageLifecycle(p) => match p.state {
                    LifecycleState::Hidden | LifecycleState::Frozen | LifecycleState::Discarded => {
                        let what = match p.state {
                            LifecycleState::Hidden => Suspend::Hidden,
                            LifecycleState::Frozen => Suspend::Frozen,
                            _ => Suspend::Discarded,
                        };
                        open.push((e.tab, ts, what, pos));
                    }
                    LifecycleState::Visible | LifecycleState::Resumed => {
                        open.retain(|&(tab, start, what, ev)| {
                            if tab == e.tab {
                                suspensions.push(Suspension {
                                    start,
                                    end: ts,
                                    what,
                                    evidence: ev,
                                });
                                false
                            } else {
                                true
                            }
                        });
                    }
                },
                EventKind::TimeSample(t) => {
                    let gap = t.gap_ms();
                    if signals[pos] == Signal::SleepGap {
                        suspensions.push(Suspension {
                            start: ts - gap,
                            end: ts,
                            what: Suspend::Asleep,
                            evidence: pos,
                        });
                    }
                    if let Some(s) = t.skew_ms {
                        note_skew(s, pos);
                    }
                }
                EventKind::HttpExchange(x) => {
                    if signals[pos] == Signal::RefreshOk {
                        if let Some(fp) = &x.refresh_token_fp {
                            refresh_ok_by_fp.entry(fp.as_str()).or_default().push(pos);
                        }
                    }
                    if let Some(rid) = &x.request_id {
                        by_request_id.entry(rid.as_str()).or_insert(pos);
                    }
                    for name in &x.set_cookie_deletions {
                        deleted_by.entry(name.as_str()).or_default().push(pos);
                    }
                    if let Some(server) = x.date.as_deref().and_then(parse_http_date) {
                        // Date has one-second resolution and the response took a while:
                        // only whole differences beyond that matter, which the threshold absorbs.
                        note_skew(server - ts, pos);
                    }
                }
                EventKind::StorageChange(s) => {
                    if let Some(c) = s.token.as_ref().and_then(|t| t.claims.as_ref()) {
                        push_token(&mut access_tokens, &mut refresh_tokens, pos, ts, c);
                    }
                }
                EventKind::CookieChange(c) if !c.removed => {
                    if let Some(cl) = c.value.as_ref().and_then(|t| t.claims.as_ref()) {
                        push_token(&mut access_tokens, &mut refresh_tokens, pos, ts, cl);
                    }
                }
                _ => {}
            }
        }
        for (_, start, what, ev) in open {
            suspensions.push(Suspension {
                start,
                end: logout_ts,
                what,
                evidence: ev,
            });
        }
        Facts {
            events: window,
            signals,
            logout,
            logout_ts,
            episode,
            last_input,
            suspensions,
            skew,
            access_tokens,
            refresh_tokens,
            refresh_ok_by_fp,
            by_request_id,
            deleted_by,
        }
    }

    pub(crate) fn http(&self, pos: usize) -> Option<&'a HttpExchange> {
        match &self.events[pos].kind {
            EventKind::HttpExchange(x) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn ts(&self, pos: usize) -> i64 {
        self.events[pos].ts_ms
    }

    /// Positions before (or at) the logout, carrying `signal`.
    pub(crate) fn before_logout(&self, signal: Signal) -> impl Iterator<Item = usize> + '_ {
        (0..self.events.len())
            .filter(move |&p| self.signals[p] == signal && self.events[p].ts_ms <= self.logout_ts)
    }

    /// The last position carrying `signal` at or before the logout.
    pub(crate) fn last_before_logout(&self, signal: Signal) -> Option<usize> {
        self.before_logout(signal).last()
    }

    /// Any of `signals` strictly between two times.
    pub(crate) fn any_between(&self, signals: &[Signal], after: i64, before: i64) -> Option<usize> {
        (0..self.events.len()).find(|&p| {
            let t = self.events[p].ts_ms;
            t > after && t < before && signals.contains(&self.signals[p])
        })
    }

    /// The last of `signals` strictly between two times.
    pub(crate) fn last_between(
        &self,
        signals: &[Signal],
        after: i64,
        before: i64,
    ) -> Option<usize> {
        (0..self.events.len()).rfind(|&p| {
            let t = self.events[p].ts_ms;
            t > after && t < before && signals.contains(&self.signals[p])
        })
    }

    /// The latest access token stored before `ts`.
    pub(crate) fn access_at(&self, ts: i64) -> Option<SeenToken<'a>> {
        self.access_tokens
            .iter()
            .rev()
            .find(|t| t.ts <= ts)
            .copied()
    }

    pub(crate) fn id(&self, pos: usize) -> crate::event::EventId {
        self.events[pos].id.clone()
    }
}

fn push_token<'a>(
    access: &mut Vec<SeenToken<'a>>,
    refresh: &mut Vec<SeenToken<'a>>,
    pos: usize,
    ts: i64,
    claims: &'a TokenClaims,
) {
    if claims.exp.is_none() {
        return;
    }
    let seen = SeenToken { pos, ts, claims };
    match claims.kind {
        TokenKind::Refresh => refresh.push(seen),
        TokenKind::Access | TokenKind::Unknown => access.push(seen),
        TokenKind::Id => {}
    }
}

/// The server's stable reason for an auth failure, lower-cased: the
/// `X-Auth-Error-Code` header, a `code`/`error_code` challenge parameter, or a
/// known word in its description.
pub(crate) fn server_code(x: &HttpExchange) -> Option<String> {
    if let Some(c) = &x.auth_error_code {
        return Some(c.trim().to_ascii_lowercase());
    }
    let ch = parse_www_authenticate(x.www_authenticate.as_deref()?);
    if let Some(c) = ch.param("code").or_else(|| ch.param("error_code")) {
        return Some(c.to_ascii_lowercase());
    }
    let desc = ch
        .param("error_description")
        .unwrap_or("")
        .to_ascii_lowercase();
    const WORDS: [(&str, &str); 7] = [
        ("already used", "reused"),
        ("reuse", "reused"),
        ("not yet valid", "not_yet_valid"),
        ("idle", "idle_timeout"),
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("blacklisted", "revoked"),
    ];
    WORDS
        .iter()
        .find(|(w, _)| desc.contains(w))
        .map(|(_, c)| (*c).to_owned())
}
