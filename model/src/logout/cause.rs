use serde::{Deserialize, Serialize};

/// The seed's five coarse logout types, kept for compatibility with its
/// frontend, backend log and banner icons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogoutType {
    UserAction,
    TokenExpired,
    RefreshFailed,
    AuthError,
    Unknown,
}

impl LogoutType {
    /// The wire code (`TOKEN_EXPIRED`, …).
    pub fn code(self) -> &'static str {
        match self {
            LogoutType::UserAction => "USER_ACTION",
            LogoutType::TokenExpired => "TOKEN_EXPIRED",
            LogoutType::RefreshFailed => "REFRESH_FAILED",
            LogoutType::AuthError => "AUTH_ERROR",
            LogoutType::Unknown => "UNKNOWN",
        }
    }

    /// Read a code as the seed's apps send it; anything else is `Unknown`.
    pub fn from_code(code: &str) -> Self {
        match code.trim().to_ascii_uppercase().as_str() {
            "USER_ACTION" => LogoutType::UserAction,
            "TOKEN_EXPIRED" => LogoutType::TokenExpired,
            "REFRESH_FAILED" => LogoutType::RefreshFailed,
            "AUTH_ERROR" => LogoutType::AuthError,
            _ => LogoutType::Unknown,
        }
    }

    /// The seed banner's icon for this type.
    pub fn icon(self) -> &'static str {
        match self {
            LogoutType::UserAction => "👋",
            LogoutType::TokenExpired => "⏰",
            LogoutType::RefreshFailed => "🚨",
            LogoutType::AuthError => "⚠️",
            LogoutType::Unknown => "❔",
        }
    }
}

/// The fine cause beneath a coarse type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The user clicked logout.
    UserLogout,
    /// Two refreshes carried the same token; rotation rejected the loser.
    RefreshTokenReused,
    /// The refresh token itself (or its idle window) expired.
    RefreshTokenExpired,
    /// The refresh failed on the network, a 5xx or CORS, and the app gave up.
    RefreshTransientFailure,
    /// The refresh timer did not run in time: hidden/throttled/frozen/discarded tab or a sleeping machine.
    RefreshTimerMissed,
    /// The local clock is off by more than the leeway.
    ClockSkew,
    /// The access token expired and no refresh was attempted.
    AccessExpiredNotRefreshed,
    /// The app logged out on a 403.
    ForbiddenTreatedAsLogout,
    /// The session cookie reached its expiry.
    SessionCookieExpired,
    /// The server deleted the auth cookie with `Set-Cookie`.
    CookieDeletedByServer,
    /// The server forgot the session while the cookie/token was still valid.
    ServerSessionLost,
    /// The page's own script cleared the stored credentials.
    StorageClearedByPage,
    /// No evidence matched.
    Unknown,
}

impl Cause {
    pub const ALL: [Cause; 13] = [
        Cause::UserLogout,
        Cause::RefreshTokenReused,
        Cause::RefreshTokenExpired,
        Cause::RefreshTransientFailure,
        Cause::RefreshTimerMissed,
        Cause::ClockSkew,
        Cause::AccessExpiredNotRefreshed,
        Cause::ForbiddenTreatedAsLogout,
        Cause::SessionCookieExpired,
        Cause::CookieDeletedByServer,
        Cause::ServerSessionLost,
        Cause::StorageClearedByPage,
        Cause::Unknown,
    ];

    /// The coarse type the seed would have shown.
    pub fn coarse(self) -> LogoutType {
        match self {
            Cause::UserLogout => LogoutType::UserAction,
            Cause::AccessExpiredNotRefreshed
            | Cause::RefreshTokenExpired
            | Cause::SessionCookieExpired
            | Cause::RefreshTimerMissed
            | Cause::ClockSkew => LogoutType::TokenExpired,
            Cause::RefreshTokenReused | Cause::RefreshTransientFailure => LogoutType::RefreshFailed,
            Cause::ForbiddenTreatedAsLogout
            | Cause::CookieDeletedByServer
            | Cause::ServerSessionLost
            | Cause::StorageClearedByPage => LogoutType::AuthError,
            Cause::Unknown => LogoutType::Unknown,
        }
    }

    /// The wire code (`refresh_token_reused`, …).
    pub fn code(self) -> &'static str {
        match self {
            Cause::UserLogout => "user_logout",
            Cause::RefreshTokenReused => "refresh_token_reused",
            Cause::RefreshTokenExpired => "refresh_token_expired",
            Cause::RefreshTransientFailure => "refresh_transient_failure",
            Cause::RefreshTimerMissed => "refresh_timer_missed",
            Cause::ClockSkew => "clock_skew",
            Cause::AccessExpiredNotRefreshed => "access_expired_not_refreshed",
            Cause::ForbiddenTreatedAsLogout => "forbidden_treated_as_logout",
            Cause::SessionCookieExpired => "session_cookie_expired",
            Cause::CookieDeletedByServer => "cookie_deleted_by_server",
            Cause::ServerSessionLost => "server_session_lost",
            Cause::StorageClearedByPage => "storage_cleared_by_page",
            Cause::Unknown => "unknown",
        }
    }

    /// A short title for lists and alerts.
    pub fn title(self) -> &'static str {
        match self {
            Cause::UserLogout => "You logged out",
            Cause::RefreshTokenReused => "Refresh token already used by another tab",
            Cause::RefreshTokenExpired => "Refresh token expired",
            Cause::RefreshTransientFailure => "Refresh failed on a network or server error",
            Cause::RefreshTimerMissed => "Refresh timer missed while the tab slept",
            Cause::ClockSkew => "Clock skew beyond the token leeway",
            Cause::AccessExpiredNotRefreshed => "Access token expired and was never refreshed",
            Cause::ForbiddenTreatedAsLogout => "A 403 was treated as a logout",
            Cause::SessionCookieExpired => "Session cookie expired",
            Cause::CookieDeletedByServer => "The server deleted the session cookie",
            Cause::ServerSessionLost => "The server lost the session",
            Cause::StorageClearedByPage => "The page's own script cleared the credentials",
            Cause::Unknown => "Unknown cause",
        }
    }

    /// What to change so it stops happening.
    pub fn fix_hint(self) -> &'static str {
        match self {
            Cause::UserLogout => "Nothing to fix: the logout was intended.",
            Cause::RefreshTokenReused => {
                "Coordinate refreshes across tabs (a lock or BroadcastChannel) and give rotation a grace window that returns the same successor to the previous token."
            }
            Cause::RefreshTokenExpired => {
                "Lengthen the refresh token lifetime or idle window (check remember-me), or bump the idle clock on every refresh."
            }
            Cause::RefreshTransientFailure => {
                "Retry refreshes on network errors and 5xx with backoff; only a 401/400 from the refresh endpoint should end the session."
            }
            Cause::RefreshTimerMissed => {
                "Refresh on visibilitychange/focus and before each request when the token is near expiry, not only from a timer; background tabs are throttled and sleeping machines run no timers."
            }
            Cause::ClockSkew => {
                "Compute expiry from the server's clock (expires_in or the Date header) instead of the local clock, and allow a small leeway."
            }
            Cause::AccessExpiredNotRefreshed => {
                "Refresh the access token before it expires, or on the first 401, instead of logging out."
            }
            Cause::ForbiddenTreatedAsLogout => {
                "Treat 403 as 'not allowed' and show an error; only 401 means the session is gone."
            }
            Cause::SessionCookieExpired => {
                "Extend the cookie's Max-Age/Expires (or slide it on activity, e.g. SESSION_SAVE_EVERY_REQUEST) to match the intended session length."
            }
            Cause::CookieDeletedByServer => {
                "Find which endpoint sends the deleting Set-Cookie and why; a failed request should not clear a valid session."
            }
            Cause::ServerSessionLost => {
                "Check the session store: eviction under maxmemory (Redis evicted_keys), restarts, or sessions not saved on each request."
            }
            Cause::StorageClearedByPage => {
                "Find the code path in the cited stack that clears the tokens and what triggered it."
            }
            Cause::Unknown => {
                "Keep the collector running and reproduce once more; the next capture will hold more evidence."
            }
        }
    }
}
