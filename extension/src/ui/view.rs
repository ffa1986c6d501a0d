//! View models: everything the popup, badge, notification, overlay and
//! banner show, as text ready to render. The JS only puts these strings in
//! place (`textContent`), so every rule and every sentence is here.

use std::collections::VecDeque;

use logout_lens_model::event::{CookieCause, EventKind, LogoutObserved, LogoutTrigger, StorageOp};
use logout_lens_model::logout::headline;
use logout_lens_model::time::{badge_ms, human_ms};
use logout_lens_model::{
    Cause, DiagnoseOptions, Diagnosis, Event, EventId, LogoutType, Target, diagnose,
};
use serde::Serialize;

use super::site;

/// Under this, a countdown is a warning.
pub const WARN_MS: i64 = 5 * 60 * 1000;
/// The banner hides itself after this.
pub const BANNER_MS: i64 = 30_000;
/// Logouts listed in the popup.
pub const RECENT: usize = 5;

/// Badge colours (white text on each passes WCAG AA for large text).
pub const BADGE_OK: &str = "#1d4ed8";
pub const BADGE_WARN: &str = "#b45309";
pub const BADGE_EXPIRED: &str = "#b91c1c";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warn,
    Expired,
    /// No known expiry.
    None,
}

/// One live countdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Countdown {
    /// "in 45 min", "expired 2 min ago", "no expiry known".
    pub text: String,
    pub level: Level,
}

pub fn countdown(expires_ms: Option<i64>, now_ms: i64) -> Countdown {
    match expires_ms {
        None => Countdown {
            text: "no expiry known".into(),
            level: Level::None,
        },
        Some(at) if at <= now_ms => Countdown {
            text: format!("expired {} ago", human_ms(now_ms - at)),
            level: Level::Expired,
        },
        Some(at) => Countdown {
            text: format!("in {}", human_ms(at - now_ms)),
            level: if at - now_ms < WARN_MS {
                Level::Warn
            } else {
                Level::Ok
            },
        },
    }
}

/// The action badge for a tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Badge {
    /// "45m", "4m", "!"; empty when the site holds no credential with an expiry.
    pub text: String,
    pub color: &'static str,
}

/// The badge shows the shortest lifetime left among the site's credentials.
pub fn badge(timeline: &VecDeque<Event>, origin: Option<&str>, now_ms: i64) -> Badge {
    let soonest = origin
        .map(|o| site::credentials(timeline, o))
        .and_then(|c| c.iter().filter_map(|c| c.expires_ms).min());
    match soonest {
        None => Badge {
            text: String::new(),
            color: BADGE_OK,
        },
        Some(at) => {
            let left = at - now_ms;
            Badge {
                text: badge_ms(left),
                color: if left <= 0 {
                    BADGE_EXPIRED
                } else if left < WARN_MS {
                    BADGE_WARN
                } else {
                    BADGE_OK
                },
            }
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CredentialView {
    pub kind: &'static str,
    pub place: String,
    pub countdown: Countdown,
}

#[derive(Debug, Serialize)]
pub struct LogoutRow {
    pub id: String,
    pub icon: &'static str,
    /// "TOKEN_EXPIRED".
    pub coarse: &'static str,
    /// "refresh_token_expired".
    pub cause: &'static str,
    /// "Refresh token expired".
    pub title: &'static str,
    /// "idle 23 min".
    pub idle: String,
    /// "4 min ago".
    pub ago: String,
}

/// The popup for one tab.
#[derive(Debug, Serialize)]
pub struct Popup {
    pub origin: Option<String>,
    /// "Signed in", "Not signed in", "Not watched (excluded in the options)", …
    pub status: String,
    pub credentials: Vec<CredentialView>,
    /// "2 min ago — HTTP 200" or "none seen".
    pub last_refresh: String,
    pub refresh_ok: Option<bool>,
    pub idle: String,
    /// "server 1 min 30 s ahead" / "none measured".
    pub skew: String,
    pub logouts: Vec<LogoutRow>,
}

fn ago(ts_ms: i64, now_ms: i64) -> String {
    let d = now_ms - ts_ms;
    if d < 1000 {
        "just now".into()
    } else {
        format!("{} ago", human_ms(d))
    }
}

fn idle_text(idle_ms: Option<i64>) -> String {
    idle_ms.map_or_else(
        || "idle time unknown".into(),
        |ms| format!("idle {}", human_ms(ms)),
    )
}

fn observed(e: &Event) -> Option<&LogoutObserved> {
    match &e.kind {
        EventKind::LogoutObserved(o) => Some(o),
        _ => None,
    }
}

fn logout_row(e: &Event, cx: &Context<'_>) -> Option<LogoutRow> {
    let o = observed(e)?;
    let (icon, coarse, cause, title) = if o.cause.is_none() && cx.held.contains(&e.id.0) {
        // Held for its cause (the worker diagnoses it in a moment): not an
        // unknown cause yet.
        ("⏳", "PENDING", "pending", "Finding the cause…")
    } else {
        let cause = o.cause.unwrap_or(Cause::Unknown);
        let coarse = o.coarse.unwrap_or(cause.coarse());
        (coarse.icon(), coarse.code(), cause.code(), cause.title())
    };
    Some(LogoutRow {
        id: e.id.0.clone(),
        icon,
        coarse,
        cause,
        title,
        idle: idle_text(o.idle_ms),
        ago: ago(e.ts_ms, cx.now_ms),
    })
}

/// What the popup needs beyond the timeline.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub origin: Option<&'a str>,
    pub watched: bool,
    pub signed_in: bool,
    pub idle_ms: i64,
    pub now_ms: i64,
    /// The logouts the worker still holds for their cause.
    pub held: &'a [String],
}

pub fn popup(timeline: &VecDeque<Event>, cx: Context<'_>) -> Popup {
    let now = cx.now_ms;
    let Some(origin) = cx.origin else {
        return Popup {
            origin: None,
            status: "Not a web page: open the popup on a site's tab".into(),
            credentials: Vec::new(),
            last_refresh: "none seen".into(),
            refresh_ok: None,
            idle: human_ms(cx.idle_ms),
            skew: skew_text(site::skew_ms(timeline, None)),
            logouts: Vec::new(),
        };
    };
    let credentials: Vec<CredentialView> = site::credentials(timeline, origin)
        .into_iter()
        .map(|c| CredentialView {
            kind: c.kind,
            place: c.place,
            countdown: countdown(c.expires_ms, now),
        })
        .collect();
    let status = if !cx.watched {
        "Not watched (excluded in the options)".to_owned()
    } else if cx.signed_in || !credentials.is_empty() {
        match credentials.len() {
            0 => "Signed in".to_owned(),
            1 => "Signed in — 1 credential found".to_owned(),
            n => format!("Signed in — {n} credentials found"),
        }
    } else {
        "Not signed in".to_owned()
    };
    let refresh = site::last_refresh(timeline, origin);
    Popup {
        origin: Some(origin.to_owned()),
        status,
        last_refresh: refresh.as_ref().map_or_else(
            || "none seen".into(),
            |(ts, _, result)| format!("{} — {result}", ago(*ts, now)),
        ),
        refresh_ok: refresh.map(|r| r.1),
        credentials,
        idle: human_ms(cx.idle_ms),
        skew: skew_text(site::skew_ms(timeline, Some(origin))),
        logouts: site::logouts(timeline, origin)
            .filter_map(|e| logout_row(e, &cx))
            .take(RECENT)
            .collect(),
    }
}

fn skew_text(skew: Option<i64>) -> String {
    match skew {
        None => "none measured".into(),
        Some(s) if s.abs() < 1000 => "in step (under 1 s)".into(),
        Some(s) if s > 0 => format!("server {} ahead", human_ms(s)),
        Some(s) => format!("server {} behind", human_ms(-s)),
    }
}

/// One cause of the Diagnose view.
#[derive(Debug, Serialize)]
pub struct CauseView {
    pub title: &'static str,
    pub code: &'static str,
    pub icon: &'static str,
    pub confidence: u8,
    pub explanation: String,
    pub fix_hint: String,
    /// One line per evidence event: "16:42:05 POST /v1/auth/refresh/ → 401".
    pub evidence: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DiagnosisView {
    pub headline: String,
    pub causes: Vec<CauseView>,
}

/// `HH:MM:SS UTC` of a timestamp.
pub fn clock(ts_ms: i64) -> String {
    let s = ts_ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02} UTC", s / 3600, (s / 60) % 60, s % 60)
}

/// One line about an event, for the evidence list (redacted already).
pub fn describe(e: &Event) -> String {
    let what = match &e.kind {
        EventKind::HttpExchange(x) => {
            let path = logout_lens_model::http::path_of(&x.url);
            let outcome = match (x.status, &x.error) {
                (Some(s), _) => s.to_string(),
                (None, Some(err)) => err.clone(),
                _ => "no answer".into(),
            };
            let code = x
                .auth_error_code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            format!("{} {path} → {outcome}{code}", x.method)
        }
        EventKind::CookieChange(c) => {
            let cause = match c.cause {
                CookieCause::Evicted => "evicted",
                CookieCause::Expired => "expired",
                CookieCause::Explicit => "explicit",
                CookieCause::ExpiredOverwrite => "expired_overwrite",
                CookieCause::Overwrite => "overwrite",
            };
            let what = if c.removed { "removed" } else { "set" };
            format!("cookie {} {what} ({cause})", c.name)
        }
        EventKind::StorageChange(s) => {
            let op = match s.op {
                StorageOp::Set => "setItem",
                StorageOp::Remove => "removeItem",
                StorageOp::Clear => "clear",
            };
            format!("{}.{op}({})", s.area.js_name(), s.key)
        }
        EventKind::Navigation(n) => format!(
            "navigated to {}{}",
            logout_lens_model::http::path_of(&n.url),
            if n.to_login { " (login page)" } else { "" }
        ),
        EventKind::LogoutObserved(o) => format!(
            "logout observed ({})",
            match o.trigger {
                LogoutTrigger::LoginPage => "landed on a login page",
                LogoutTrigger::CredentialsVanished => "credentials vanished",
                LogoutTrigger::UserAction => "user clicked log out",
            }
        ),
        EventKind::TimeSample(t) => match t.skew_ms {
            Some(s) => format!("server clock {}", skew_text(Some(s))),
            None => format!(
                "machine slept {}",
                human_ms(t.wall_elapsed_ms - t.mono_elapsed_ms)
            ),
        },
        other => other.name().replace('_', " "),
    };
    format!("{} {what}", clock(e.ts_ms))
}

/// The Diagnose view of one logout (`None` when it is no longer in memory).
pub fn diagnosis(events: &[Event], id: &str) -> Option<DiagnosisView> {
    let d = diagnose(
        events,
        &Target::Id(EventId(id.to_owned())),
        &DiagnoseOptions::default(),
    )
    .ok()?;
    let line = |id: &EventId| events.iter().find(|e| &e.id == id).map(describe);
    Some(DiagnosisView {
        headline: d.headline.clone(),
        causes: d
            .causes
            .iter()
            .map(|f| CauseView {
                title: f.cause.title(),
                code: f.cause.code(),
                icon: f.coarse.icon(),
                confidence: f.confidence,
                explanation: f.explanation.clone(),
                fix_hint: f.fix_hint.clone(),
                evidence: f.evidence.iter().filter_map(line).collect(),
            })
            .collect(),
    })
}

/// What the worker does about one new logout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: String,
    pub tab: Option<i64>,
    pub origin: Option<String>,
    /// The tab is already on the login page: show the banner now.
    pub on_login_page: bool,
    /// Show the in-page overlay (not for a logout the user asked for).
    pub overlay: bool,
    pub notification: Option<Notice>,
    /// "You're being logged out — refresh token expired — idle 23 min".
    pub overlay_text: String,
    pub banner: Banner,
    /// The seed's payload, for forwarding to the site's own
    /// `/v1/auth/logout-event/` when the user opted in.
    pub report: SeedReport,
}

/// The seed app's logout report as it is sent (its `idleMinutes` in whole
/// minutes, as the seed's frontend sends it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedReport {
    #[serde(rename = "type")]
    pub report_type: &'static str,
    pub message: String,
    pub timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub title: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Banner {
    pub icon: &'static str,
    /// "Session expired after 23 min idle".
    pub message: String,
    /// Technical details, label and value.
    pub details: Vec<(&'static str, String)>,
    pub hide_after_ms: i64,
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Does this logout get a notification? Not one the user asked for.
pub fn notifies(e: &Event) -> bool {
    observed(e).is_some_and(|o| {
        let coarse = o
            .coarse
            .or(o.cause.map(Cause::coarse))
            .unwrap_or(LogoutType::Unknown);
        coarse != LogoutType::UserAction
    })
}

/// The alert for a logout event; `d` is its diagnosis when there is one.
/// The overlay and the banner are for a logout of the tab's own page: a
/// frame's logout (another site inside the page) gets the notification only.
pub fn alert(e: &Event, d: Option<&Diagnosis>) -> Option<Alert> {
    let o = observed(e)?;
    let cause = d.map(|d| d.cause).or(o.cause).unwrap_or(Cause::Unknown);
    let coarse = d.map(|d| d.coarse).or(o.coarse).unwrap_or(cause.coarse());
    let idle = o.idle_ms.or(d.and_then(|d| d.idle_ms));
    let headline = d.map_or_else(|| headline(cause, idle), |d| d.headline.clone());
    let user = coarse == LogoutType::UserAction;
    // A frame's logout is another site's, inside the page: its sign-in page
    // (if any) is in the frame, so neither the overlay nor the banner goes
    // to the tab.
    let top = matches!(e.frame, None | Some(0));
    let site = e.origin.as_deref().unwrap_or("a site");
    let idle_line = idle_text(idle);
    let location = e.path.clone().unwrap_or_else(|| "—".into());
    Some(Alert {
        id: e.id.0.clone(),
        tab: e.tab.filter(|_| top),
        origin: e.origin.clone(),
        on_login_page: o.trigger == LogoutTrigger::LoginPage,
        overlay: !user && top,
        notification: (!user).then(|| Notice {
            title: format!("Logged out of {site}"),
            message: format!("{} — {idle_line}", cause.title()),
        }),
        overlay_text: format!(
            "You're being logged out — {} — {idle_line}",
            lower_first(cause.title())
        ),
        report: SeedReport {
            report_type: coarse.code(),
            message: headline.clone(),
            timestamp: e.ts_ms,
            idle_minutes: idle.map(|ms| ms / 60_000),
            location: e.path.clone(),
        },
        banner: Banner {
            icon: coarse.icon(),
            message: headline.clone(),
            details: vec![
                ("Type", coarse.code().to_owned()),
                ("Cause", format!("{} ({})", cause.title(), cause.code())),
                ("Message", headline),
                ("Idle time", idle.map_or_else(|| "unknown".into(), human_ms)),
                ("Location", location),
                ("Time", clock(e.ts_ms)),
            ],
            hide_after_ms: BANNER_MS,
        },
    })
}

/// The alerts for logouts the worker just settled; those in `quiet`
/// (their site had a notification less than a minute before) get none.
pub fn alerts(settled: &[Event], quiet: &[String]) -> Vec<Alert> {
    settled
        .iter()
        .filter_map(|e| {
            let mut a = alert(e, None)?;
            if quiet.contains(&a.id) {
                a.notification = None;
            }
            Some(a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::site::tests::{O, refresh, storage, tok};
    use logout_lens_model::jwt::TokenKind;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn countdowns_by_threshold() {
        for (exp, text, level) in [
            (None, "no expiry known", Level::None),
            (Some(NOW + 45 * 60_000), "in 45 min", Level::Ok),
            (Some(NOW + WARN_MS), "in 5 min", Level::Ok),
            (Some(NOW + 4 * 60_000 + 30_000), "in 4 min", Level::Warn),
            (Some(NOW + 20_000), "in 20 s", Level::Warn),
            (Some(NOW), "expired 0 ms ago", Level::Expired),
            (Some(NOW - 2 * 60_000), "expired 2 min ago", Level::Expired),
        ] {
            let c = countdown(exp, NOW);
            assert_eq!((c.text.as_str(), c.level), (text, level), "{exp:?}");
        }
    }

    fn signed_in(access_exp_ms: i64) -> VecDeque<Event> {
        vec![
            storage(
                "1",
                NOW - 1000,
                StorageOp::Set,
                "access_token",
                Some(tok(TokenKind::Access, Some(access_exp_ms / 1000))),
            ),
            storage(
                "2",
                NOW - 1000,
                StorageOp::Set,
                "refresh_token",
                Some(tok(TokenKind::Refresh, Some((NOW + 86_400_000) / 1000))),
            ),
        ]
        .into()
    }

    #[test]
    fn badge_shows_the_shortest_lifetime() {
        for (exp, text, color) in [
            (NOW + 45 * 60_000, "45m", BADGE_OK),
            (NOW + 4 * 60_000, "4m", BADGE_WARN),
            (NOW - 1000, "!", BADGE_EXPIRED),
        ] {
            let b = badge(&signed_in(exp), Some(O), NOW);
            assert_eq!((b.text.as_str(), b.color), (text, color));
        }
        assert_eq!(
            badge(&signed_in(NOW), Some("https://other.test"), NOW).text,
            ""
        );
        assert_eq!(badge(&signed_in(NOW), None, NOW).text, "");
    }

    fn logout(id: &str, ts: i64, cause: Option<Cause>, trigger: LogoutTrigger) -> Event {
        let mut e = Event::new(
            id,
            ts,
            EventKind::LogoutObserved(LogoutObserved {
                trigger,
                url: Some(format!("{O}/signin")),
                idle_ms: Some(23 * 60_000),
                coarse: cause.map(Cause::coarse),
                cause,
            }),
        )
        .with_origin(O)
        .with_tab(7);
        e.path = Some("/signin".into());
        e
    }

    #[test]
    fn popup_lists_credentials_refresh_and_the_last_five_logouts() {
        let mut tl = signed_in(NOW + 4 * 60_000);
        tl.push_back(refresh("r", NOW - 120_000, Some(200)));
        for i in 0..7 {
            tl.push_back(logout(
                &format!("l{i}"),
                NOW - 60_000 + i,
                Some(Cause::RefreshTokenReused),
                LogoutTrigger::LoginPage,
            ));
        }
        let cx = Context {
            origin: Some(O),
            watched: true,
            signed_in: true,
            idle_ms: 90_000,
            now_ms: NOW,
            held: &[],
        };
        let p = popup(&tl, cx);
        assert_eq!(p.status, "Signed in — 2 credentials found");
        assert_eq!(p.credentials[0].kind, "access");
        assert_eq!(p.credentials[0].countdown.level, Level::Warn);
        assert_eq!(p.credentials[1].kind, "refresh");
        assert_eq!(p.last_refresh, "2 min ago — HTTP 200");
        assert_eq!(p.refresh_ok, Some(true));
        assert_eq!(p.idle, "1 min");
        assert_eq!(p.skew, "none measured");
        assert_eq!(p.logouts.len(), RECENT);
        let first = &p.logouts[0];
        assert_eq!(first.id, "l6");
        assert_eq!(
            (first.icon, first.coarse, first.cause),
            ("🚨", "REFRESH_FAILED", "refresh_token_reused")
        );
        assert_eq!(
            (first.idle.as_str(), first.ago.as_str()),
            ("idle 23 min", "59 s ago")
        );

        // A logout still held for its cause is pending, not unknown; one
        // released without a cause (the diagnoser failed) is unknown.
        let mut undiagnosed = tl.clone();
        undiagnosed.push_back(logout("l7", NOW - 10, None, LogoutTrigger::LoginPage));
        undiagnosed.push_back(logout("l8", NOW - 5, None, LogoutTrigger::LoginPage));
        let rows = popup(
            &undiagnosed,
            Context {
                held: &["l1".into(), "l8".into()],
                ..cx
            },
        )
        .logouts;
        #[rustfmt::skip]
        let expected = [
            ("l8", "⏳", "PENDING", "pending", "Finding the cause…"),
            ("l7", "❔", "UNKNOWN", "unknown", "Unknown cause"),
            ("l6", "🚨", "REFRESH_FAILED", "refresh_token_reused", "Refresh token already used by another tab"),
        ];
        for (row, (id, icon, coarse, cause, title)) in rows.iter().zip(expected) {
            assert_eq!(
                (row.id.as_str(), row.icon, row.coarse, row.cause, row.title),
                (id, icon, coarse, cause, title)
            );
        }

        let excluded = popup(
            &tl,
            Context {
                watched: false,
                ..cx
            },
        );
        assert_eq!(excluded.status, "Not watched (excluded in the options)");
        let blank = popup(
            &VecDeque::new(),
            Context {
                signed_in: false,
                ..cx
            },
        );
        assert_eq!(
            (blank.status.as_str(), blank.last_refresh.as_str()),
            ("Not signed in", "none seen")
        );
        assert!(
            popup(&tl, Context { origin: None, ..cx })
                .credentials
                .is_empty()
        );
    }

    #[test]
    fn skew_words() {
        for (s, want) in [
            (None, "none measured"),
            (Some(400), "in step (under 1 s)"),
            (Some(90_000), "server 1 min ahead"),
            (Some(-5_000), "server 5 s behind"),
        ] {
            assert_eq!(skew_text(s), want);
        }
    }

    #[test]
    fn alerts_name_the_reason_and_the_idle_time() {
        let e = logout(
            "l",
            NOW,
            Some(Cause::RefreshTokenReused),
            LogoutTrigger::CredentialsVanished,
        );
        let a = alert(&e, None).expect("alert");
        assert_eq!(
            a.overlay_text,
            "You're being logged out — refresh token already used by another tab — idle 23 min"
        );
        assert!(a.overlay && !a.on_login_page);
        assert_eq!(a.tab, Some(7));
        let n = a.notification.expect("notification");
        assert_eq!(n.title, "Logged out of https://app.test");
        assert_eq!(a.banner.icon, "🚨");
        assert_eq!(a.banner.hide_after_ms, 30_000);
        let labels: Vec<&str> = a.banner.details.iter().map(|d| d.0).collect();
        assert_eq!(
            labels,
            ["Type", "Cause", "Message", "Idle time", "Location", "Time"]
        );
        assert_eq!(a.banner.details[3].1, "23 min");
        assert_eq!(a.banner.details[4].1, "/signin");
        let report = serde_json::to_string(&a.report).expect("json");
        let back = logout_lens_model::wire::parse_logout_report(report.as_bytes())
            .expect("the seed payload");
        assert!(
            matches!(back, logout_lens_model::wire::LogoutReport::App(r) if r.report_type == "REFRESH_FAILED" && r.idle_minutes == Some(23.0)),
            "{report}"
        );

        for (cause, icon) in [
            (Cause::UserLogout, "👋"),
            (Cause::RefreshTokenExpired, "⏰"),
            (Cause::ForbiddenTreatedAsLogout, "⚠️"),
            (Cause::Unknown, "❔"),
        ] {
            let a = alert(
                &logout("x", NOW, Some(cause), LogoutTrigger::LoginPage),
                None,
            )
            .expect("alert");
            assert_eq!(a.banner.icon, icon, "{cause:?}");
            assert!(a.on_login_page);
            assert_eq!(a.overlay, cause != Cause::UserLogout);
        }
        assert!(alert(&refresh("r", NOW, Some(200)), None).is_none());
    }

    #[test]
    fn a_real_diagnosis_feeds_the_banner_and_the_diagnose_view() {
        let mut tl = signed_in(NOW - 10_000);
        tl.push_back(refresh("r", NOW - 5_000, Some(401)));
        tl.push_back(logout("l", NOW, None, LogoutTrigger::LoginPage));
        let events: Vec<Event> = tl.iter().cloned().collect();
        let d = diagnose(&events, &Target::Last, &DiagnoseOptions::default()).expect("diagnosis");
        let a = alert(&events[3], Some(&d)).expect("alert");
        assert_eq!(a.banner.message, d.headline);
        assert!(a.banner.message.contains("23 min"), "{}", a.banner.message);
        let v = diagnosis(&events, "l").expect("view");
        assert_eq!(v.headline, d.headline);
        assert!(!v.causes.is_empty());
        assert_eq!(v.causes[0].code, d.cause.code());
        assert!(
            v.causes
                .iter()
                .flat_map(|c| &c.evidence)
                .any(|l| l.ends_with("localStorage.setItem(access_token)")),
            "{:?}",
            v.causes
        );
        assert_eq!(
            v.causes[0].evidence.last().map(String::as_str),
            Some("08:00:00 UTC logout observed (landed on a login page)")
        );
        assert!(diagnosis(&events, "nope").is_none());
    }

    #[test]
    fn clock_and_descriptions() {
        assert_eq!(clock(0), "00:00:00 UTC");
        assert_eq!(clock(NOW), "08:00:00 UTC");
        assert!(
            describe(&refresh("r", 0, None)).ends_with("POST /v1/auth/refresh/ → net::ERR_FAILED")
        );
        let s = storage("s", 0, StorageOp::Clear, "", None);
        assert_eq!(describe(&s), "00:00:00 UTC localStorage.clear()");
    }
}
