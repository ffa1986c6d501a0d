//! What the worker shows where, and when: the logout alerts (a
//! notification, the report forwarded to the site, the in-page overlay, the
//! sign-in banner that waits for its tab to reach the sign-in page) and
//! each tab's badge, shown only when it changes. Plain state and
//! decisions, tested natively; `ui::wasm` carries them out through the
//! browser.

use litemap::LiteMap;
use serde::Serialize;

use super::view::{Alert, Badge, Banner, SeedReport};
use crate::url::origin_of;

/// A banner waits this long for its tab to reach the sign-in page.
pub const BANNER_WAIT_MS: i64 = 120_000;

/// Something to show in a tab: the message `content/ui.js` draws, sent to
/// its top frame. It draws only on a page of `origin`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t")]
pub enum Show {
    #[serde(rename = "ui:banner")]
    Banner { origin: String, banner: Banner },
    #[serde(rename = "ui:overlay")]
    Overlay {
        origin: String,
        text: String,
        icon: String,
    },
}

/// What to do at once for a new logout, whatever its tab shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Now {
    /// `notifications.create(id, {title, message})`.
    Notify {
        id: String,
        title: String,
        message: String,
    },
    /// `POST` the seed's report to the site's own endpoint.
    Forward { url: String, report: SeedReport },
}

#[derive(Debug, Clone)]
struct Waiting {
    origin: String,
    banner: Banner,
    until_ms: i64,
}

/// The UI state of the worker: banners waiting for their tab, and the
/// badge each tab shows.
#[derive(Debug, Default)]
pub struct Alerting {
    banners: LiteMap<i64, Waiting>,
    badges: LiteMap<i64, Badge>,
}

impl Alerting {
    /// A new logout's alert: what to do at once (its notification, and
    /// its report when the user forwards them); its banner then waits for
    /// the tab, which the caller looks at ([`Alerting::tab_seen`]).
    pub fn alert(&mut self, a: &Alert, forward: bool, now_ms: i64) -> Vec<Now> {
        let mut out = Vec::new();
        if let Some(n) = &a.notification {
            out.push(Now::Notify {
                id: format!("logout-lens-{}", a.id),
                title: n.title.clone(),
                message: n.message.clone(),
            });
        }
        if let (true, Some(origin)) = (forward, &a.origin) {
            out.push(Now::Forward {
                url: format!("{origin}/v1/auth/logout-event/"),
                report: a.report.clone(),
            });
        }
        if let (Some(tab), Some(origin)) = (a.tab, &a.origin) {
            self.banners.insert(
                tab,
                Waiting {
                    origin: origin.clone(),
                    banner: a.banner.clone(),
                    until_ms: now_ms + BANNER_WAIT_MS,
                },
            );
        }
        out
    }

    /// The alert's tab shows `url` (loaded when `complete`): the banner,
    /// when that is the logout's own sign-in page, else the overlay, when
    /// it is a page of the logout's site (never another site the tab went
    /// on to, nor the page around a frame of another site).
    pub fn tab_seen(
        &mut self,
        a: &Alert,
        url: &str,
        complete: bool,
        is_login: impl Fn(&str) -> bool,
        now_ms: i64,
    ) -> Option<Show> {
        let (Some(tab), Some(origin)) = (a.tab, a.origin.as_deref()) else {
            return None;
        };
        if origin_of(url).as_deref() != Some(origin) {
            return None;
        }
        if is_login(url) {
            self.tab_loaded(tab, url, complete, is_login, now_ms)
        } else if a.overlay && complete {
            Some(Show::Overlay {
                origin: origin.to_owned(),
                text: a.overlay_text.clone(),
                icon: a.banner.icon.to_owned(),
            })
        } else {
            None
        }
    }

    /// Tab `tab` shows `url` (loaded when `complete`): its waiting banner,
    /// when that is the logout's own sign-in page and it has loaded. A
    /// banner that waited too long goes.
    pub fn tab_loaded(
        &mut self,
        tab: i64,
        url: &str,
        complete: bool,
        is_login: impl Fn(&str) -> bool,
        now_ms: i64,
    ) -> Option<Show> {
        let w = self.banners.get(&tab)?;
        if now_ms > w.until_ms {
            self.banners.remove(&tab);
            return None;
        }
        if !complete || origin_of(url).as_deref() != Some(w.origin.as_str()) || !is_login(url) {
            return None;
        }
        let w = self.banners.remove(&tab)?;
        Some(Show::Banner {
            origin: w.origin,
            banner: w.banner,
        })
    }

    /// Whether a banner waits for `tab`.
    pub fn waits(&self, tab: i64) -> bool {
        self.banners.contains_key(&tab)
    }

    /// The badge to set on `tab`, when it is not what the tab shows.
    pub fn badge(&mut self, tab: i64, badge: Badge) -> Option<Badge> {
        if self.badges.get(&tab) == Some(&badge) {
            return None;
        }
        self.badges.insert(tab, badge.clone());
        Some(badge)
    }

    /// `tab` went to another page (the browser clears its badge).
    pub fn navigated(&mut self, tab: i64) {
        self.badges.remove(&tab);
    }

    /// `tab` was closed.
    pub fn closed(&mut self, tab: i64) {
        self.badges.remove(&tab);
        self.banners.remove(&tab);
    }
}

#[cfg(test)]
mod tests {
    use logout_lens_model::event::{LogoutObserved, LogoutTrigger};
    use logout_lens_model::{Cause, Event, EventKind};

    use super::super::view;
    use super::*;

    const SITE: &str = "http://127.0.0.1:4000";

    fn alert(cause: Cause, tab: Option<i64>) -> Alert {
        let mut e = Event::new(
            "ev-1",
            1_000,
            EventKind::LogoutObserved(LogoutObserved {
                trigger: LogoutTrigger::CredentialsVanished,
                url: None,
                idle_ms: Some(60_000),
                coarse: Some(cause.coarse()),
                cause: Some(cause),
            }),
        )
        .with_origin(SITE);
        e.tab = tab;
        e.path = Some("/dashboard".into());
        view::alert(&e, None).unwrap()
    }

    fn login(url: &str) -> bool {
        url.contains("/signin")
    }

    #[test]
    fn a_logout_notifies_forwards_and_waits_for_its_tab() {
        let mut ui = Alerting::default();
        let a = alert(Cause::RefreshTokenExpired, Some(7));
        let now = ui.alert(&a, true, 0);
        assert!(matches!(&now[0], Now::Notify { id, .. } if id == "logout-lens-ev-1"));
        assert!(
            matches!(&now[1], Now::Forward { url, .. } if url == "http://127.0.0.1:4000/v1/auth/logout-event/")
        );
        assert_eq!(ui.alert(&a, false, 0).len(), 1, "forwarding is opt-in");
        // (tab shows, loaded, what is shown, a banner still waiting)
        let cases = [
            (
                "http://127.0.0.1:4000/dashboard",
                true,
                Some("ui:overlay"),
                true,
            ),
            ("http://127.0.0.1:4000/dashboard", false, None, true),
            ("http://localhost:4000/dashboard", true, None, true),
            ("https://other.test/signin", true, None, true),
            ("http://127.0.0.1:4000/signin", false, None, true),
            (
                "http://127.0.0.1:4000/signin",
                true,
                Some("ui:banner"),
                false,
            ),
        ];
        for (url, complete, shown, waits) in cases {
            let mut ui = Alerting::default();
            ui.alert(&a, false, 0);
            let got = ui.tab_seen(&a, url, complete, login, 10);
            let t = got.map(|s| {
                serde_json::to_value(s).unwrap()["t"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            });
            assert_eq!(t.as_deref(), shown, "{url} {complete}");
            assert_eq!(ui.waits(7), waits, "{url} {complete}");
        }
    }

    #[test]
    fn the_banner_waits_for_the_sign_in_page_of_its_site_and_not_forever() {
        let mut ui = Alerting::default();
        let a = alert(Cause::RefreshTokenExpired, Some(7));
        ui.alert(&a, false, 0);
        assert_eq!(
            ui.tab_loaded(7, "http://127.0.0.1:4000/signin", false, login, 1),
            None
        );
        assert_eq!(
            ui.tab_loaded(7, "https://other.test/signin", true, login, 2),
            None
        );
        assert_eq!(
            ui.tab_loaded(8, "http://127.0.0.1:4000/signin", true, login, 3),
            None
        );
        match ui.tab_loaded(7, "http://127.0.0.1:4000/signin", true, login, 4) {
            Some(Show::Banner { origin, .. }) => assert_eq!(origin, SITE),
            other => panic!("{other:?}"),
        }
        assert!(!ui.waits(7), "shown once");
        ui.alert(&a, false, 0);
        let late = ui.tab_loaded(
            7,
            "http://127.0.0.1:4000/signin",
            true,
            login,
            BANNER_WAIT_MS + 1,
        );
        assert_eq!(late, None);
        assert!(!ui.waits(7), "forgotten after waiting too long");
        ui.alert(&a, false, 0);
        ui.closed(7);
        assert!(!ui.waits(7));
    }

    #[test]
    fn no_overlay_or_banner_for_a_click_or_a_frame() {
        let mut ui = Alerting::default();
        let click = alert(Cause::UserLogout, Some(7));
        assert!(ui.alert(&click, false, 0).is_empty(), "no notification");
        assert_eq!(
            ui.tab_seen(&click, "http://127.0.0.1:4000/dashboard", true, login, 1),
            None
        );
        let frame = alert(Cause::RefreshTokenExpired, None);
        assert_eq!(ui.alert(&frame, false, 0).len(), 1, "a notification only");
        assert_eq!(
            ui.tab_seen(&frame, "http://127.0.0.1:4000/signin", true, login, 1),
            None
        );
    }

    #[test]
    fn a_badge_is_set_only_when_it_changes() {
        let mut ui = Alerting::default();
        let b = |t: &str| Badge {
            text: t.into(),
            color: view::BADGE_OK,
        };
        assert!(ui.badge(1, b("45m")).is_some());
        assert!(ui.badge(1, b("45m")).is_none());
        assert!(ui.badge(2, b("45m")).is_some(), "per tab");
        assert!(ui.badge(1, b("44m")).is_some());
        ui.navigated(1);
        assert!(ui.badge(1, b("44m")).is_some(), "the browser cleared it");
    }
}
