//! What the timeline says about one site right now: its credentials and
//! their expiry, the last refresh, the server's clock, its logouts. Rebuilt
//! from the (redacted) events each time the popup asks: no second state to
//! keep in step.

use std::collections::VecDeque;

use logout_lens_model::event::{EventKind, RequestRole, StorageOp};
use logout_lens_model::jwt::TokenKind;
use logout_lens_model::{Event, RedactedToken, Site, http};

/// One credential the site holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// "access", "refresh", "id" or "token" (a cookie: "cookie").
    pub kind: &'static str,
    /// Where it lives: "localStorage · access_token", "cookie · sessionid (HttpOnly)".
    pub place: String,
    /// When it stops working, ms since the epoch; `None` when unknown.
    pub expires_ms: Option<i64>,
}

fn token_kind(t: Option<&RedactedToken>, key: &str) -> &'static str {
    match t.and_then(|t| t.claims.as_ref()).map(|c| c.kind) {
        Some(TokenKind::Access) => "access",
        Some(TokenKind::Refresh) => "refresh",
        Some(TokenKind::Id) => "id",
        _ if key.to_ascii_lowercase().contains("refresh") => "refresh",
        _ if key.to_ascii_lowercase().contains("access") => "access",
        _ => "token",
    }
}

fn exp_ms(t: Option<&RedactedToken>) -> Option<i64> {
    t?.claims.as_ref()?.exp?.checked_mul(1000)
}

type Held = Vec<((u8, String), Credential)>;

/// Replaces (or with `None` removes) the credential kept under `key`.
fn put(held: &mut Held, key: (u8, String), c: Option<Credential>) {
    held.retain(|(k, _)| *k != key);
    if let Some(c) = c {
        held.push((key, c));
    }
}

/// The credentials `origin` holds after replaying its storage and auth-cookie
/// changes (its own, as the diagnosis counts them: the model's `Site`),
/// soonest expiry first.
pub fn credentials(timeline: &VecDeque<Event>, origin: &str) -> Vec<Credential> {
    if http::host_of_origin(origin).is_none() {
        return Vec::new();
    }
    let site = Site::new(Some(origin));
    // Keyed by where they live, so a rewrite replaces and a removal deletes.
    // A site holds a handful, so a plain list.
    let mut held: Held = Vec::new();
    for e in timeline.iter().filter(|e| site.holds(e)) {
        match &e.kind {
            EventKind::StorageChange(s) => {
                let area = s.area as u8;
                match (s.op, &s.token) {
                    (StorageOp::Clear, _) => held.retain(|((a, _), _)| *a != area),
                    (StorageOp::Set, Some(t)) => {
                        let c = Credential {
                            kind: token_kind(Some(t), &s.key),
                            place: format!("{} · {}", s.area.js_name(), s.key),
                            expires_ms: exp_ms(Some(t)),
                        };
                        put(&mut held, (area, s.key.clone()), Some(c));
                    }
                    _ => put(&mut held, (area, s.key.clone()), None),
                }
            }
            EventKind::CookieChange(c) => {
                let key = (9, format!("{}|{}|{}", c.domain, c.cookie_path, c.name));
                let auth = http::is_auth_cookie(&c.name)
                    || c.value.as_ref().is_some_and(|v| v.claims.is_some());
                if c.removed || !auth {
                    put(&mut held, key, None);
                    continue;
                }
                let jwt_exp = exp_ms(c.value.as_ref());
                let expires_ms = match (jwt_exp, c.expires_ms) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let kind = match token_kind(c.value.as_ref(), &c.name) {
                    "token" => "cookie",
                    k => k,
                };
                let flag = if c.http_only { " (HttpOnly)" } else { "" };
                let c = Credential {
                    kind,
                    place: format!("cookie · {}{flag}", c.name),
                    expires_ms,
                };
                put(&mut held, key, Some(c));
            }
            _ => {}
        }
    }
    // Soonest expiry first, unknown last; an insertion sort of a few items
    // costs less code than the library sort.
    let rank = |c: &Credential| c.expires_ms.unwrap_or(i64::MAX);
    let mut out: Vec<Credential> = Vec::with_capacity(held.len());
    for (_, c) in held {
        let at = out
            .iter()
            .position(|o| rank(o) > rank(&c))
            .unwrap_or(out.len());
        out.insert(at, c);
    }
    out
}

/// The last refresh call of `origin`: when, and its status or network error.
pub fn last_refresh(timeline: &VecDeque<Event>, origin: &str) -> Option<(i64, bool, String)> {
    timeline.iter().rev().find_map(|e| match &e.kind {
        EventKind::HttpExchange(x)
            if x.role == RequestRole::Refresh && e.origin.as_deref() == Some(origin) =>
        {
            let result = match (x.status, &x.error) {
                (Some(s), _) => format!("HTTP {s}"),
                (None, Some(err)) => err.clone(),
                (None, None) => "no answer".to_owned(),
            };
            Some((e.ts_ms, x.is_success(), result))
        }
        _ => None,
    })
}

/// The newest server-vs-local clock difference of `origin`'s server
/// (server minus local, ms); of any site's when no origin is given.
pub fn skew_ms(timeline: &VecDeque<Event>, origin: Option<&str>) -> Option<i64> {
    let site = Site::new(origin);
    timeline.iter().rev().find_map(|e| match &e.kind {
        EventKind::TimeSample(t) if site.holds(e) => t.skew_ms,
        _ => None,
    })
}

/// The site's observed logouts, newest first.
pub fn logouts<'a>(
    timeline: &'a VecDeque<Event>,
    origin: &'a str,
) -> impl Iterator<Item = &'a Event> + 'a {
    timeline
        .iter()
        .rev()
        .filter(move |e| e.origin.as_deref() == Some(origin) && e.is_logout())
        .filter(|e| matches!(e.kind, EventKind::LogoutObserved(_)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use logout_lens_model::event::{
        CookieCause, CookieChange, HttpExchange, SameSite, StorageActor, StorageArea,
        StorageChange, TimeSample,
    };
    use logout_lens_model::redact::TokenClaims;
    use logout_lens_model::{Fingerprint, RedactedToken};

    pub(crate) const O: &str = "https://app.test";

    pub(crate) fn tok(kind: TokenKind, exp_s: Option<i64>) -> RedactedToken {
        RedactedToken {
            fp: Fingerprint("fp".into()),
            len: 100,
            claims: Some(TokenClaims {
                kind,
                exp: exp_s,
                ..TokenClaims::default()
            }),
        }
    }

    pub(crate) fn storage(
        id: &str,
        ts: i64,
        op: StorageOp,
        key: &str,
        t: Option<RedactedToken>,
    ) -> Event {
        Event::new(
            id,
            ts,
            EventKind::StorageChange(StorageChange {
                area: StorageArea::Local,
                key: key.into(),
                op,
                is_jwt: true,
                token: t,
                previous: None,
                actor: StorageActor::PageScript,
                stack: None,
            }),
        )
        .with_origin(O)
    }

    pub(crate) fn cookie(id: &str, name: &str, removed: bool, expires_ms: Option<i64>) -> Event {
        Event::new(
            id,
            1,
            EventKind::CookieChange(CookieChange {
                name: name.into(),
                domain: "app.test".into(),
                cookie_path: "/".into(),
                removed,
                cause: CookieCause::Explicit,
                expires_ms,
                session: expires_ms.is_none(),
                http_only: true,
                secure: true,
                same_site: SameSite::Lax,
                value: None,
                writer: None,
                request_id: None,
            }),
        )
    }

    pub(crate) fn refresh(id: &str, ts: i64, status: Option<u16>) -> Event {
        let mut x: HttpExchange = serde_json::from_str(
            r#"{"method":"POST","url":"https://app.test/v1/auth/refresh/","role":"refresh"}"#,
        )
        .expect("exchange");
        x.status = status;
        x.error = status.is_none().then(|| "net::ERR_FAILED".to_owned());
        Event::new(id, ts, EventKind::HttpExchange(x)).with_origin(O)
    }

    #[test]
    fn storage_and_cookies_replay_to_what_is_held_now() {
        let tl: VecDeque<Event> = vec![
            storage(
                "1",
                1,
                StorageOp::Set,
                "access_token",
                Some(tok(TokenKind::Access, Some(100))),
            ),
            storage(
                "2",
                2,
                StorageOp::Set,
                "refresh_token",
                Some(tok(TokenKind::Unknown, None)),
            ),
            storage(
                "3",
                3,
                StorageOp::Set,
                "access_token",
                Some(tok(TokenKind::Access, Some(200))),
            ),
            cookie("4", "sessionid", false, Some(150_000)),
            cookie("5", "theme", false, Some(1)),
            Event::new(
                "6",
                4,
                EventKind::Activity(logout_lens_model::event::Activity { last_input_ms: 1 }),
            )
            .with_origin("https://other.test"),
        ]
        .into();
        let got = credentials(&tl, O);
        assert_eq!(
            got,
            vec![
                Credential {
                    kind: "cookie",
                    place: "cookie · sessionid (HttpOnly)".into(),
                    expires_ms: Some(150_000)
                },
                Credential {
                    kind: "access",
                    place: "localStorage · access_token".into(),
                    expires_ms: Some(200_000)
                },
                Credential {
                    kind: "refresh",
                    place: "localStorage · refresh_token".into(),
                    expires_ms: None
                },
            ]
        );
        let mut tl2 = tl.clone();
        tl2.push_back(storage("7", 5, StorageOp::Remove, "refresh_token", None));
        tl2.push_back(cookie("8", "sessionid", true, None));
        assert_eq!(credentials(&tl2, O).len(), 1);
        tl2.push_back(storage("9", 6, StorageOp::Clear, "", None));
        assert!(credentials(&tl2, O).is_empty());
        assert!(credentials(&tl, "https://other.test").is_empty());
        assert!(credentials(&tl, "not a url").is_empty());
    }

    #[test]
    fn last_refresh_and_skew() {
        let mut tl: VecDeque<Event> =
            vec![refresh("1", 10, Some(200)), refresh("2", 20, Some(401))].into();
        assert_eq!(last_refresh(&tl, O), Some((20, false, "HTTP 401".into())));
        tl.push_back(refresh("3", 30, None));
        assert_eq!(
            last_refresh(&tl, O),
            Some((30, false, "net::ERR_FAILED".into()))
        );
        assert_eq!(last_refresh(&tl, "https://x.test"), None);
        assert_eq!(skew_ms(&tl, Some(O)), None);
        let s = |v| {
            EventKind::TimeSample(TimeSample {
                wall_elapsed_ms: 0,
                mono_elapsed_ms: 0,
                skew_ms: v,
            })
        };
        tl.push_back(Event::new("4", 40, s(Some(-90_000))).with_origin(O));
        tl.push_back(Event::new("5", 50, s(None)));
        tl.push_back(Event::new("6", 60, s(Some(5_000))).with_origin("https://other.test"));
        assert_eq!(skew_ms(&tl, Some(O)), Some(-90_000), "its own server's");
        assert_eq!(skew_ms(&tl, Some("https://other.test")), Some(5_000));
        assert_eq!(skew_ms(&tl, None), Some(5_000));
    }
}
