use crate::event::{
    CookieCause, Event, EventKind, IdleState, LifecycleState, RequestRole, StorageActor, StorageOp,
};
use crate::http::is_auth_cookie;

/// Minimum wall-vs-monotonic gap read as the machine sleeping.
pub(crate) const SLEEP_GAP_MS: i64 = 60_000;

/// What one event means for authentication, on its own. Cheap and
/// allocation-free: the diagnosis engine runs it over every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Nothing to do with authentication.
    Noise,
    LoginOk,
    LoginFailed,
    RefreshOk,
    /// 400/401/403 from the refresh endpoint.
    RefreshRejected,
    /// Network error, CORS or 5xx from the refresh endpoint.
    RefreshTransient,
    LogoutCall,
    ApiOk,
    ApiUnauthorized,
    ApiForbidden,
    ApiFailed,
    /// A JWT was written to storage.
    TokenStored,
    /// A JWT (or the whole storage) was removed by the page's own script.
    TokenRemovedByPage,
    /// A JWT was removed by something else (other tab, unknown writer).
    TokenRemoved,
    AuthCookieSet,
    /// An auth cookie ran out (`expired`).
    AuthCookieExpired,
    /// An auth cookie was deleted (`expired_overwrite`/`explicit` removal).
    AuthCookieDeleted,
    AuthCookieEvicted,
    LoginLanding,
    Navigation,
    Input,
    BecameIdle,
    Locked,
    Hidden,
    Visible,
    Frozen,
    Resumed,
    Discarded,
    /// The machine slept (or the clock jumped) between two samples.
    SleepGap,
    /// A clock sample with server skew.
    ClockSample,
    LogoutObserved,
    LogoutAction,
    AppReport,
    Unknown,
}

/// Classify one event.
pub fn classify(event: &Event) -> Signal {
    match &event.kind {
        EventKind::HttpExchange(x) => {
            let status = x.status.unwrap_or(0);
            let failed_transport = x.status.is_none() || x.error.is_some() && status == 0;
            match x.role {
                RequestRole::Refresh => match status {
                    200..=299 => Signal::RefreshOk,
                    400 | 401 | 403 => Signal::RefreshRejected,
                    _ if failed_transport || status >= 500 || status == 0 => {
                        Signal::RefreshTransient
                    }
                    _ => Signal::RefreshRejected,
                },
                RequestRole::Login => match status {
                    200..=299 => Signal::LoginOk,
                    _ => Signal::LoginFailed,
                },
                RequestRole::Logout => Signal::LogoutCall,
                RequestRole::Api | RequestRole::Other => match status {
                    401 => Signal::ApiUnauthorized,
                    403 => Signal::ApiForbidden,
                    200..=399 if x.role == RequestRole::Api => Signal::ApiOk,
                    _ if x.role == RequestRole::Api && (failed_transport || status >= 500) => {
                        Signal::ApiFailed
                    }
                    _ => Signal::Noise,
                },
            }
        }
        EventKind::StorageChange(s) => {
            let credential = s.is_jwt
                || s.token.as_ref().is_some_and(|t| t.claims.is_some())
                || s.previous.as_ref().is_some_and(|t| t.claims.is_some());
            match s.op {
                StorageOp::Set if credential && s.token.is_some() => Signal::TokenStored,
                StorageOp::Set => Signal::Noise,
                StorageOp::Remove | StorageOp::Clear if credential || s.op == StorageOp::Clear => {
                    if s.actor == StorageActor::PageScript {
                        Signal::TokenRemovedByPage
                    } else {
                        Signal::TokenRemoved
                    }
                }
                StorageOp::Remove | StorageOp::Clear => Signal::Noise,
            }
        }
        EventKind::CookieChange(c) => {
            let auth =
                is_auth_cookie(&c.name) || c.value.as_ref().is_some_and(|v| v.claims.is_some());
            if !auth {
                return Signal::Noise;
            }
            match (c.removed, c.cause) {
                (false, _) => Signal::AuthCookieSet,
                (true, CookieCause::Expired) => Signal::AuthCookieExpired,
                (true, CookieCause::ExpiredOverwrite | CookieCause::Explicit) => {
                    Signal::AuthCookieDeleted
                }
                (true, CookieCause::Evicted) => Signal::AuthCookieEvicted,
                // The first half of an update; the insertion follows.
                (true, CookieCause::Overwrite) => Signal::Noise,
            }
        }
        EventKind::Navigation(n) => {
            if n.to_login {
                Signal::LoginLanding
            } else {
                Signal::Navigation
            }
        }
        EventKind::Activity(_) => Signal::Input,
        EventKind::IdleState(s) => match s.state {
            IdleState::Active => Signal::Input,
            IdleState::Idle => Signal::BecameIdle,
            IdleState::Locked => Signal::Locked,
        },
        EventKind::PageLifecycle(p) => match p.state {
            LifecycleState::Visible => Signal::Visible,
            LifecycleState::Hidden => Signal::Hidden,
            LifecycleState::Frozen => Signal::Frozen,
            LifecycleState::Resumed => Signal::Resumed,
            LifecycleState::Discarded => Signal::Discarded,
        },
        EventKind::TimeSample(t) => {
            if t.gap_ms() >= SLEEP_GAP_MS {
                Signal::SleepGap
            } else {
                Signal::ClockSample
            }
        }
        EventKind::LogoutObserved(_) => Signal::LogoutObserved,
        EventKind::LogoutAction(_) => Signal::LogoutAction,
        EventKind::AppReport(_) => Signal::AppReport,
        EventKind::Other { .. } => Signal::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{HttpExchange, StorageArea, StorageChange};

    fn http(role: RequestRole, status: Option<u16>, error: Option<&str>) -> Event {
        Event::new(
            "h",
            0,
            EventKind::HttpExchange(HttpExchange {
                request_id: None,
                method: "POST".into(),
                url: "/x".into(),
                status,
                error: error.map(str::to_owned),
                role,
                www_authenticate: None,
                auth_error_code: None,
                location: None,
                date: None,
                set_cookie_deletions: vec![],
                duration_ms: None,
                refresh_token_fp: None,
                access_token_fp: None,
            }),
        )
    }

    #[test]
    fn http_table() {
        use RequestRole::*;
        let cases = [
            (Refresh, Some(200), None, Signal::RefreshOk),
            (Refresh, Some(401), None, Signal::RefreshRejected),
            (Refresh, Some(503), None, Signal::RefreshTransient),
            (
                Refresh,
                None,
                Some("net::ERR_CONNECTION_REFUSED"),
                Signal::RefreshTransient,
            ),
            (Login, Some(200), None, Signal::LoginOk),
            (Login, Some(401), None, Signal::LoginFailed),
            (Logout, Some(204), None, Signal::LogoutCall),
            (Api, Some(401), None, Signal::ApiUnauthorized),
            (Api, Some(403), None, Signal::ApiForbidden),
            (Api, Some(404), None, Signal::Noise),
            (Api, Some(200), None, Signal::ApiOk),
            (Api, Some(502), None, Signal::ApiFailed),
            (Other, Some(200), None, Signal::Noise),
        ];
        for (role, status, err, want) in cases {
            assert_eq!(
                classify(&http(role, status, err)),
                want,
                "{role:?} {status:?}"
            );
        }
    }

    #[test]
    fn storage_table() {
        let mk = |op, actor, is_jwt| {
            Event::new(
                "s",
                0,
                EventKind::StorageChange(StorageChange {
                    area: StorageArea::Local,
                    key: "k".into(),
                    op,
                    is_jwt,
                    token: None,
                    previous: None,
                    actor,
                    stack: None,
                }),
            )
        };
        use StorageActor::*;
        assert_eq!(
            classify(&mk(StorageOp::Remove, PageScript, true)),
            Signal::TokenRemovedByPage
        );
        assert_eq!(
            classify(&mk(StorageOp::Clear, PageScript, false)),
            Signal::TokenRemovedByPage
        );
        assert_eq!(
            classify(&mk(StorageOp::Remove, OtherTab, true)),
            Signal::TokenRemoved
        );
        assert_eq!(
            classify(&mk(StorageOp::Remove, PageScript, false)),
            Signal::Noise
        );
        assert_eq!(
            classify(&mk(StorageOp::Set, PageScript, false)),
            Signal::Noise
        );
    }
}
