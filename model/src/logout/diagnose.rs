//! The diagnosis engine: from the timeline around a logout to ranked causes.
//!
//! Sorting is the only super-linear step (O(n log n)); every rule is one pass
//! over the window around the logout. Ties are broken by cause order, so the
//! same timeline always gives the same answer.

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::event::{CookieWriter, Event, EventId, EventKind, StorageChange};
use crate::http::path_of;
use crate::time::human_ms;

use super::cause::{Cause, LogoutType};
use super::classify::Signal;
use super::facts::{AFTER_MS, Facts, Suspend, server_code};
use super::scope::{Target, narrow};

/// Tunables; the defaults suit almost every site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnoseOptions {
    /// Two refreshes with the same token closer than this are a race.
    pub race_window_ms: i64,
    /// Clock differences beyond this matter (typical JWT leeway is 30–60 s).
    pub skew_threshold_ms: i64,
    /// How long before the logout an auth failure or removal still explains it.
    pub proximity_ms: i64,
}

impl Default for DiagnoseOptions {
    fn default() -> Self {
        DiagnoseOptions {
            race_window_ms: 10_000,
            skew_threshold_ms: 60_000,
            proximity_ms: 30_000,
        }
    }
}

/// One candidate cause with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub cause: Cause,
    pub coarse: LogoutType,
    /// 0–100.
    pub confidence: u8,
    /// Ids of the events this finding rests on, in time order.
    pub evidence: Vec<EventId>,
    /// One line a person understands.
    pub explanation: String,
    pub fix_hint: String,
}

/// The answer to "why was I logged out?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub logout_id: EventId,
    pub logout_ts_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The top cause and its coarse type.
    pub cause: Cause,
    pub coarse: LogoutType,
    /// Time since the last user input when the logout happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_ms: Option<i64>,
    /// What the app itself reported, when it posted the seed's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_type: Option<String>,
    /// "Session expired after 23 min idle", as the seed's banner put it.
    pub headline: String,
    /// Ranked, most likely first.
    pub causes: Vec<Finding>,
}

/// Diagnose one logout of a timeline (events in any order, any number of
/// sites): [`narrow`]ed to the logout's site and session, then every rule
/// reads that window only.
pub fn diagnose(
    events: &[Event],
    target: &Target,
    opts: &DiagnoseOptions,
) -> Result<Diagnosis, ModelError> {
    let n = narrow(events, target)?;
    let rep = n.logout;
    let facts = Facts::build(n.events, n.rep, n.episode);
    Ok(conclude(&facts, opts, rep))
}

fn conclude(f: &Facts<'_>, opts: &DiagnoseOptions, rep: &Event) -> Diagnosis {
    let rules: [fn(&Facts<'_>, &DiagnoseOptions) -> Option<Finding>; 12] = [
        user_logout,
        refresh_reused,
        refresh_expired,
        refresh_transient,
        expiry_without_refresh,
        timer_missed,
        clock_skew,
        forbidden,
        cookie_expired,
        cookie_deleted_by_server,
        server_session_lost,
        cleared_by_page,
    ];
    let mut causes: Vec<Finding> = rules.iter().filter_map(|r| r(f, opts)).collect();
    causes.push(finding(
        Cause::Unknown,
        10,
        vec![f.id(f.logout)],
        "No recorded evidence matches a known cause.".to_owned(),
    ));
    // A dozen findings at most: an insertion sort (stable, like `sort_by`)
    // spares the wasm build a whole sort implementation.
    for i in 1..causes.len() {
        let mut j = i;
        while j > 0 && ranks_before(&causes[j], &causes[j - 1]) {
            causes.swap(j, j - 1);
            j -= 1;
        }
    }

    let idle_ms = f
        .last_input
        .map(|t| (f.logout_ts - t).max(0))
        .or_else(|| reported_idle(f));
    let reported_type = f.episode.iter().find_map(|&p| match &f.events[p].kind {
        EventKind::AppReport(r) => Some(r.report_type.clone()),
        _ => None,
    });
    let top = causes[0].cause;
    Diagnosis {
        logout_id: rep.id.clone(),
        logout_ts_ms: rep.ts_ms,
        origin: rep.origin.clone(),
        cause: top,
        coarse: top.coarse(),
        idle_ms,
        reported_type,
        headline: headline(top, idle_ms),
        causes,
    }
}

fn reported_idle(f: &Facts<'_>) -> Option<i64> {
    f.episode.iter().find_map(|&p| match &f.events[p].kind {
        EventKind::LogoutObserved(o) => o.idle_ms,
        EventKind::AppReport(r) => r.idle_minutes.map(|m| (m * 60_000.0) as i64),
        _ => None,
    })
}

/// The seed banner's sentence ("Session expired after 23 min idle").
pub fn headline(cause: Cause, idle_ms: Option<i64>) -> String {
    let idle = idle_ms.filter(|&ms| ms >= 60_000).map(human_ms);
    match (cause.coarse(), idle) {
        (LogoutType::UserAction, _) => "You logged out".to_owned(),
        (LogoutType::TokenExpired, Some(i)) => format!("Session expired after {i} idle"),
        (LogoutType::TokenExpired, None) => "Session expired".to_owned(),
        (_, Some(i)) => format!(
            "Logged out after {i} idle: {}",
            cause.title().to_ascii_lowercase()
        ),
        (_, None) => format!("Logged out: {}", cause.title().to_ascii_lowercase()),
    }
}

fn finding(cause: Cause, confidence: u8, evidence: Vec<EventId>, explanation: String) -> Finding {
    Finding {
        cause,
        coarse: cause.coarse(),
        confidence,
        evidence,
        explanation,
        fix_hint: cause.fix_hint().to_owned(),
    }
}

/// Higher confidence first, then by cause.
fn ranks_before(a: &Finding, b: &Finding) -> bool {
    b.confidence.cmp(&a.confidence).then(a.cause.cmp(&b.cause)) == std::cmp::Ordering::Less
}

/// Ids of positions, in time order, without duplicates.
fn ids(f: &Facts<'_>, positions: Vec<usize>) -> Vec<EventId> {
    // Evidence lists are short: a sorted insert spares the wasm build a sort.
    let mut sorted: Vec<usize> = Vec::with_capacity(positions.len());
    for p in positions {
        if let Err(i) = sorted.binary_search(&p) {
            sorted.insert(i, p);
        }
    }
    sorted.into_iter().map(|p| f.id(p)).collect()
}

fn describe_request(f: &Facts<'_>, pos: usize) -> String {
    match f.http(pos) {
        Some(x) => format!("{} {}", x.method, path_of(&x.url)),
        None => "a request".to_owned(),
    }
}

fn status_text(f: &Facts<'_>, pos: usize) -> String {
    match f.http(pos) {
        Some(x) => match (x.status, &x.error) {
            (Some(s), _) => s.to_string(),
            (None, Some(e)) => format!("a network error ({e})"),
            (None, None) => "no response".to_owned(),
        },
        None => "an error".to_owned(),
    }
}

const AUTH_FAILURES: [Signal; 5] = [
    Signal::ApiUnauthorized,
    Signal::ApiForbidden,
    Signal::RefreshRejected,
    Signal::RefreshTransient,
    Signal::LoginFailed,
];

fn user_logout(f: &Facts<'_>, o: &DiagnoseOptions) -> Option<Finding> {
    let from = f.logout_ts - o.proximity_ms;
    let clicks: Vec<usize> = (0..f.events.len())
        .filter(|&p| f.ts(p) >= from && f.ts(p) <= f.logout_ts + AFTER_MS)
        .filter(|&p| match &f.events[p].kind {
            EventKind::LogoutAction(_) => true,
            EventKind::AppReport(r) => r.coarse() == LogoutType::UserAction,
            _ => false,
        })
        .collect();
    if let Some(&first) = clicks.first() {
        let label = match &f.events[first].kind {
            EventKind::LogoutAction(a) => a.label.clone(),
            _ => None,
        };
        let mut ev = clicks.clone();
        ev.extend(
            f.before_logout(Signal::LogoutCall)
                .filter(|&p| f.ts(p) >= from),
        );
        let what = label.map_or_else(|| "a logout control".to_owned(), |l| format!("“{l}”"));
        let dt = (f.logout_ts - f.ts(first)).max(0);
        return Some(finding(
            Cause::UserLogout,
            95,
            ids(f, ev),
            format!(
                "The user clicked {what} {} before the logout.",
                human_ms(dt)
            ),
        ));
    }
    // A logout call with no click: the user logged out unless a failure provoked it.
    let call = f
        .last_before_logout(Signal::LogoutCall)
        .filter(|&p| f.ts(p) >= from)?;
    let provoked = f
        .any_between(&AUTH_FAILURES, f.ts(call) - o.proximity_ms, f.ts(call))
        .is_some();
    (!provoked).then(|| {
        finding(
            Cause::UserLogout,
            70,
            ids(f, vec![call]),
            format!(
                "The page called {} with no auth failure before it.",
                describe_request(f, call)
            ),
        )
    })
}

fn refresh_reused(f: &Facts<'_>, o: &DiagnoseOptions) -> Option<Finding> {
    let mut best: Option<Finding> = None;
    for fail in f.before_logout(Signal::RefreshRejected) {
        let x = f.http(fail)?;
        let said_reused = server_code(x).is_some_and(|c| c == "reused");
        let twin = x.refresh_token_fp.as_ref().and_then(|fp| {
            f.refresh_ok_by_fp
                .get(fp.as_str())?
                .iter()
                .copied()
                .find(|&p| (f.ts(p) - f.ts(fail)).abs() <= o.race_window_ms)
        });
        let status = status_text(f, fail);
        let found = match twin {
            Some(ok) => {
                let dt = (f.ts(fail) - f.ts(ok)).abs();
                let (a, b) = (f.events[ok].tab, f.events[fail].tab);
                let who = if a != b {
                    "Two tabs"
                } else {
                    "The same tab twice"
                };
                let order = if f.ts(ok) <= f.ts(fail) {
                    format!("the server accepted the first and rejected the second with {status}")
                } else {
                    format!("the server rejected the first with {status} and accepted the second")
                };
                finding(
                    Cause::RefreshTokenReused,
                    if said_reused { 94 } else { 91 },
                    ids(f, vec![ok, fail]),
                    format!(
                        "{who} sent the same refresh token {} apart; {order}.",
                        human_ms(dt)
                    ),
                )
            }
            None if said_reused => finding(
                Cause::RefreshTokenReused,
                88,
                ids(f, vec![fail]),
                format!(
                    "The server rejected the refresh ({}) with {status} `reused`: the token had already been rotated by another tab or an earlier retry.",
                    describe_request(f, fail)
                ),
            ),
            None => continue,
        };
        best = Some(found);
    }
    best
}

fn refresh_expired(f: &Facts<'_>, _o: &DiagnoseOptions) -> Option<Finding> {
    let fails: Vec<usize> = f.before_logout(Signal::RefreshRejected).collect();
    for &fail in fails.iter().rev() {
        let x = f.http(fail)?;
        let code = server_code(x);
        let expired_rt = f
            .refresh_tokens
            .iter()
            .rev()
            .find(|t| t.ts <= f.ts(fail))
            .filter(|t| t.claims.exp_ms().is_some_and(|e| e <= f.ts(fail)));
        let status = status_text(f, fail);
        match (code.as_deref(), expired_rt) {
            (Some("expired" | "refresh_expired" | "session_expired"), _) => {
                return Some(finding(
                    Cause::RefreshTokenExpired,
                    89,
                    ids(f, vec![fail]),
                    format!(
                        "The refresh was rejected with {status} `expired`: the refresh token's lifetime had run out."
                    ),
                ));
            }
            (Some("idle_timeout"), _) => {
                return Some(finding(
                    Cause::RefreshTokenExpired,
                    89,
                    ids(f, vec![fail]),
                    format!(
                        "The refresh was rejected with {status} `idle_timeout`: the session sat unused longer than the server's idle window."
                    ),
                ));
            }
            (_, Some(t)) => {
                let late = f.ts(fail) - t.claims.exp_ms().unwrap_or(f.ts(fail));
                return Some(finding(
                    Cause::RefreshTokenExpired,
                    84,
                    ids(f, vec![t.pos, fail]),
                    format!(
                        "The refresh token had expired {} before the refresh was tried; the server rejected it with {status}.",
                        human_ms(late)
                    ),
                ));
            }
            _ => {}
        }
    }
    // No refresh attempt, but the stored refresh token ran out before the logout.
    let t = f.refresh_tokens.last()?;
    let exp = t.claims.exp_ms()?;
    (exp <= f.logout_ts && fails.is_empty()).then(|| {
        finding(
            Cause::RefreshTokenExpired,
            76,
            ids(f, vec![t.pos, f.logout]),
            format!(
                "The refresh token expired {} before the logout.",
                human_ms(f.logout_ts - exp)
            ),
        )
    })
}

fn refresh_transient(f: &Facts<'_>, _o: &DiagnoseOptions) -> Option<Finding> {
    let last = (0..f.events.len()).rfind(|&p| {
        f.ts(p) <= f.logout_ts
            && matches!(
                f.signals[p],
                Signal::RefreshOk | Signal::RefreshRejected | Signal::RefreshTransient
            )
    })?;
    if f.signals[last] != Signal::RefreshTransient {
        return None;
    }
    let tries = f
        .before_logout(Signal::RefreshTransient)
        .filter(|&p| f.ts(p) >= f.ts(last) - 60_000)
        .count();
    let retried = if tries > 1 {
        format!(" after {tries} tries")
    } else {
        String::new()
    };
    Some(finding(
        Cause::RefreshTransientFailure,
        85,
        ids(f, vec![last, f.logout]),
        format!(
            "The last refresh ({}) failed with {}{retried} and the app logged out {} later instead of retrying.",
            describe_request(f, last),
            status_text(f, last),
            human_ms(f.logout_ts - f.ts(last))
        ),
    ))
}

/// The access token in force at the logout expired, and nothing tried to refresh it.
struct Lapse {
    token_pos: usize,
    exp: i64,
    stored: i64,
}

fn lapse(f: &Facts<'_>) -> Option<Lapse> {
    let t = f.access_at(f.logout_ts)?;
    let exp = t.claims.exp_ms()?;
    if exp > f.logout_ts {
        return None;
    }
    let tried = (0..f.events.len()).any(|p| {
        f.ts(p) > t.ts
            && f.ts(p) <= f.logout_ts
            && matches!(
                f.signals[p],
                Signal::RefreshOk | Signal::RefreshRejected | Signal::RefreshTransient
            )
    });
    (!tried).then_some(Lapse {
        token_pos: t.pos,
        exp,
        stored: t.ts,
    })
}

fn first_401_after(f: &Facts<'_>, ts: i64) -> Option<usize> {
    f.before_logout(Signal::ApiUnauthorized)
        .find(|&p| f.ts(p) >= ts)
}

/// Suspensions overlapping the time the refresh should have run (the last two minutes before expiry).
fn suspended_before(f: &Facts<'_>, l: &Lapse) -> Option<super::facts::Suspension> {
    let due = (l.exp - 120_000).max(l.stored);
    f.suspensions
        .iter()
        .filter(|s| s.start < l.exp && s.end > due && s.end - s.start >= 60_000)
        .max_by_key(|s| s.end - s.start)
        .copied()
}

fn expiry_without_refresh(f: &Facts<'_>, _o: &DiagnoseOptions) -> Option<Finding> {
    let l = lapse(f)?;
    let suspended = suspended_before(f, &l).is_some();
    let mut ev = vec![l.token_pos, f.logout];
    let then = match first_401_after(f, l.exp) {
        Some(p) => {
            ev.push(p);
            format!("; the next API call ({}) got 401", describe_request(f, p))
        }
        None => String::new(),
    };
    Some(finding(
        Cause::AccessExpiredNotRefreshed,
        if suspended { 60 } else { 80 },
        ids(f, ev),
        format!(
            "The access token expired {} before the logout and no refresh was attempted after it was issued{then}.",
            human_ms(f.logout_ts - l.exp)
        ),
    ))
}

fn timer_missed(f: &Facts<'_>, _o: &DiagnoseOptions) -> Option<Finding> {
    let l = lapse(f)?;
    let s = suspended_before(f, &l)?;
    let how_long = human_ms(s.end - s.start);
    let what = match s.what {
        Suspend::Asleep => format!("the machine was asleep for {how_long}"),
        other => format!("{} for {how_long}", other.describe()),
    };
    Some(finding(
        Cause::RefreshTimerMissed,
        86,
        ids(f, vec![s.evidence, l.token_pos, f.logout]),
        format!(
            "The access token expired while {what}, so the refresh timer never ran before it expired."
        ),
    ))
}

fn clock_skew(f: &Facts<'_>, o: &DiagnoseOptions) -> Option<Finding> {
    let (skew, at) = f.skew?;
    if skew.abs() <= o.skew_threshold_ms {
        return None;
    }
    let direction = if skew < 0 { "ahead of" } else { "behind" };
    // Tokens that arrived already expired, or from the future, by the local clock.
    let odd = f.access_tokens.iter().chain(&f.refresh_tokens).find(|t| {
        let c = t.claims;
        c.exp_ms().is_some_and(|e| e <= t.ts)
            || c.iat
                .is_some_and(|i| i.saturating_mul(1000) > t.ts + o.skew_threshold_ms)
            || c.nbf
                .is_some_and(|n| n.saturating_mul(1000) > t.ts + o.skew_threshold_ms)
    });
    let said = f
        .before_logout(Signal::ApiUnauthorized)
        .chain(f.before_logout(Signal::RefreshRejected))
        .find(|&p| {
            f.http(p)
                .and_then(server_code)
                .is_some_and(|c| c == "not_yet_valid")
        });
    let base = format!(
        "The local clock is {} {direction} the server's",
        human_ms(skew.abs())
    );
    let (conf, ev, text) = match (odd, said) {
        (Some(t), _) => (
            90,
            vec![at, t.pos, f.logout],
            format!(
                "{base}; a token arrived already expired (or not yet valid) by the local clock."
            ),
        ),
        (None, Some(p)) => (
            88,
            vec![at, p, f.logout],
            format!("{base}; the server rejected a token as not yet valid."),
        ),
        (None, None) => (
            45,
            vec![at],
            format!(
                "{base}, beyond the {} leeway.",
                human_ms(o.skew_threshold_ms)
            ),
        ),
    };
    Some(finding(Cause::ClockSkew, conf, ids(f, ev), text))
}

fn forbidden(f: &Facts<'_>, o: &DiagnoseOptions) -> Option<Finding> {
    let p = f
        .last_before_logout(Signal::ApiForbidden)
        .filter(|&p| f.logout_ts - f.ts(p) <= o.proximity_ms)?;
    let later = [
        Signal::ApiUnauthorized,
        Signal::RefreshRejected,
        Signal::RefreshTransient,
    ];
    if f.any_between(&later, f.ts(p), f.logout_ts + 1).is_some() {
        return None;
    }
    let valid = f
        .access_at(f.ts(p))
        .and_then(|t| t.claims.exp_ms())
        .filter(|&e| e > f.ts(p))
        .map(|e| {
            format!(
                ", while the access token was still valid for {}",
                human_ms(e - f.ts(p))
            )
        })
        .unwrap_or_default();
    Some(finding(
        Cause::ForbiddenTreatedAsLogout,
        84,
        ids(f, vec![p, f.logout]),
        format!(
            "{} returned 403 and the app logged out {} later{valid}. 403 means “not allowed”, not “not signed in”.",
            describe_request(f, p),
            human_ms(f.logout_ts - f.ts(p))
        ),
    ))
}

fn cookie_name<'a>(f: &Facts<'a>, p: usize) -> Option<&'a str> {
    match &f.events[p].kind {
        EventKind::CookieChange(c) => Some(&c.name),
        _ => None,
    }
}

fn cookie_expired(f: &Facts<'_>, _o: &DiagnoseOptions) -> Option<Finding> {
    let Some(p) = f.last_before_logout(Signal::AuthCookieExpired) else {
        return cookie_lapsed(f);
    };
    let name = cookie_name(f, p)?;
    let renewed = (p + 1..f.events.len()).any(|q| {
        f.signals[q] == Signal::AuthCookieSet
            && cookie_name(f, q) == Some(name)
            && f.ts(q) <= f.logout_ts
    });
    if renewed {
        return None;
    }
    let set_at = (0..p)
        .rev()
        .find(|&q| f.signals[q] == Signal::AuthCookieSet && cookie_name(f, q) == Some(name));
    let lived = set_at
        .map(|q| format!(", {} after it was set", human_ms(f.ts(p) - f.ts(q))))
        .unwrap_or_default();
    let mut ev = vec![p, f.logout];
    ev.extend(set_at);
    let recent = f.logout_ts - f.ts(p) <= 10 * 60_000;
    Some(finding(
        Cause::SessionCookieExpired,
        if recent { 86 } else { 70 },
        ids(f, ev),
        format!(
            "The `{name}` cookie reached its expiry{lived}; the logout followed {} later.",
            human_ms(f.logout_ts - f.ts(p))
        ),
    ))
}

/// An auth cookie whose own expiry passed before the logout, neither renewed
/// nor removed since it was set: expired, though the browser did not say so.
/// Firefox reports an expiry only when it purges the cookie, which can be
/// long after the logout; Chromium reports it at once (`cookie_expired`).
fn cookie_lapsed(f: &Facts<'_>) -> Option<Finding> {
    let (p, name, at) =
        (0..f.logout).rev().find_map(|p| {
            let EventKind::CookieChange(c) = &f.events[p].kind else {
                return None;
            };
            let at = c.expires_ms?;
            (f.signals[p] == Signal::AuthCookieSet && at > f.ts(p) && at <= f.logout_ts)
                .then_some((p, c.name.as_str(), at))
        })?;
    let touched_since = (p + 1..f.events.len()).any(|q| {
        f.ts(q) <= f.logout_ts
            && matches!(&f.events[q].kind, EventKind::CookieChange(c) if c.name == name)
    });
    if touched_since {
        return None;
    }
    let recent = f.logout_ts - at <= 10 * 60_000;
    Some(finding(
        Cause::SessionCookieExpired,
        if recent { 84 } else { 68 },
        ids(f, vec![p, f.logout]),
        format!(
            "The `{name}` cookie was set to expire {} after it was set; that was {} before the \
             logout, and it was not renewed (the browser had not reported it gone yet).",
            human_ms(at - f.ts(p)),
            human_ms(f.logout_ts - at)
        ),
    ))
}

/// Positions of responses whose `Set-Cookie` deleted `name`, near `ts`.
fn deleting_response(f: &Facts<'_>, name: &str, ts: i64) -> Option<usize> {
    f.deleted_by
        .get(name)?
        .iter()
        .copied()
        .find(|&q| (f.ts(q) - ts).abs() <= 3_000)
}

fn cookie_deleted_by_server(f: &Facts<'_>, o: &DiagnoseOptions) -> Option<Finding> {
    let from = f.logout_ts - o.proximity_ms;
    let mut best = None;
    for p in f
        .before_logout(Signal::AuthCookieDeleted)
        .filter(|&p| f.ts(p) >= from)
    {
        let EventKind::CookieChange(c) = &f.events[p].kind else {
            continue;
        };
        if c.writer == Some(CookieWriter::PageScript) {
            continue;
        }
        let resp = c
            .request_id
            .as_ref()
            .and_then(|rid| f.by_request_id.get(rid.as_str()).copied())
            .or_else(|| deleting_response(f, &c.name, f.ts(p)));
        if resp.is_none() && c.writer != Some(CookieWriter::Server) {
            continue;
        }
        let via_logout = resp.is_some_and(|q| f.signals[q] == Signal::LogoutCall);
        let what = match resp {
            Some(q) => format!(
                "in the {} response to {}",
                status_text(f, q),
                describe_request(f, q)
            ),
            None => "in a server response".to_owned(),
        };
        let mut ev = vec![p, f.logout];
        ev.extend(resp);
        best = Some(finding(
            Cause::CookieDeletedByServer,
            if via_logout { 25 } else { 83 },
            ids(f, ev),
            format!("The `{}` cookie was deleted by Set-Cookie {what}.", c.name),
        ));
    }
    best
}

fn server_session_lost(f: &Facts<'_>, _o: &DiagnoseOptions) -> Option<Finding> {
    const LOST: [&str; 5] = [
        "revoked",
        "not_found",
        "session_revoked",
        "session_not_found",
        "session_lost",
    ];
    // The server said so.
    let said = f
        .before_logout(Signal::RefreshRejected)
        .chain(f.before_logout(Signal::ApiUnauthorized))
        .filter(|&p| {
            f.http(p)
                .and_then(server_code)
                .is_some_and(|c| LOST.contains(&c.as_str()))
        })
        .max();
    if let Some(p) = said {
        let code = f.http(p).and_then(server_code).unwrap_or_default();
        return Some(finding(
            Cause::ServerSessionLost,
            86,
            ids(f, vec![p, f.logout]),
            format!(
                "{} got {} `{code}`: the server no longer had the session.",
                describe_request(f, p),
                status_text(f, p)
            ),
        ));
    }
    // A 401 while every credential we know of was present and unexpired.
    let p = f.last_before_logout(Signal::ApiUnauthorized)?;
    let t401 = f.ts(p);
    let refreshed_after = f
        .any_between(&[Signal::RefreshOk], t401, f.logout_ts + 1)
        .is_some();
    let refresh_failed = f
        .any_between(
            &[Signal::RefreshRejected, Signal::RefreshTransient],
            i64::MIN,
            f.logout_ts + 1,
        )
        .is_some();
    if refreshed_after || refresh_failed {
        return None;
    }
    if f.access_at(t401)
        .is_some_and(|t| t.claims.exp_ms().is_some_and(|e| e <= t401))
    {
        return None;
    }
    let cookie = (0..p)
        .rev()
        .find(|&q| f.signals[q] == Signal::AuthCookieSet);
    let lost_cookie = (0..p).any(|q| {
        matches!(
            f.signals[q],
            Signal::AuthCookieExpired | Signal::AuthCookieDeleted | Signal::AuthCookieEvicted
        )
    });
    if lost_cookie {
        return None;
    }
    let (conf, held) = match (cookie, f.access_at(t401)) {
        (Some(q), _) => (
            72,
            format!(
                "the `{}` cookie was still present and unexpired",
                cookie_name(f, q).unwrap_or("session")
            ),
        ),
        (None, Some(_)) => (66, "the access token was still valid".to_owned()),
        (None, None) => (35, "no credential change was seen".to_owned()),
    };
    let mut ev = vec![p, f.logout];
    ev.extend(cookie);
    Some(finding(
        Cause::ServerSessionLost,
        conf,
        ids(f, ev),
        format!(
            "{} got 401 while {held}: the server no longer knew the session (evicted, restarted or revoked).",
            describe_request(f, p)
        ),
    ))
}

fn storage_key<'a>(f: &Facts<'a>, p: usize) -> Option<&'a StorageChange> {
    match &f.events[p].kind {
        EventKind::StorageChange(s) => Some(s),
        _ => None,
    }
}

fn cleared_by_page(f: &Facts<'_>, o: &DiagnoseOptions) -> Option<Finding> {
    let from = f.logout_ts - 2 * o.proximity_ms;
    let by_page_cookie = |p: usize| {
        f.signals[p] == Signal::AuthCookieDeleted
            && matches!(&f.events[p].kind, EventKind::CookieChange(c) if c.writer == Some(CookieWriter::PageScript))
    };
    let p = (0..f.events.len())
        .filter(|&p| f.ts(p) >= from && f.ts(p) <= f.logout_ts + AFTER_MS)
        .find(|&p| f.signals[p] == Signal::TokenRemovedByPage || by_page_cookie(p))?;
    let t = f.ts(p);
    let reacting = f.last_between(&AUTH_FAILURES, t - o.proximity_ms, t + 1);
    let clicked = f.any_between(&[Signal::LogoutAction], t - o.proximity_ms, t + 1);
    let what = match (storage_key(f, p), cookie_name(f, p)) {
        (Some(s), _) if s.key.is_empty() => format!("cleared {}", s.area.js_name()),
        (Some(s), _) => format!("removed `{}` from {}", s.key, s.area.js_name()),
        (None, Some(n)) => format!("deleted the `{n}` cookie"),
        (None, None) => "removed the credentials".to_owned(),
    };
    let stack = storage_key(f, p)
        .and_then(|s| s.stack.as_deref())
        .and_then(|s| s.lines().next())
        .map(|l| format!(" (at {})", l.trim().trim_start_matches("at ")))
        .unwrap_or_default();
    let (conf, tail, ev) = match (reacting, clicked) {
        (_, Some(c)) => (20, " right after the logout click".to_owned(), vec![c, p]),
        (Some(r), None) => (
            35,
            format!(
                ", reacting to {} from {}",
                status_text(f, r),
                describe_request(f, r)
            ),
            vec![r, p],
        ),
        (None, None) => (
            82,
            ", with no auth failure before it".to_owned(),
            vec![p, f.logout],
        ),
    };
    Some(finding(
        Cause::StorageClearedByPage,
        conf,
        ids(f, ev),
        format!("The page's own script {what}{stack}{tail}."),
    ))
}
