//! The crate's error type and the HTTP error responses built from it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use logout_lens_model::http::AUTH_CODE_HEADER;
use serde_json::json;

/// Why a refresh token was refused. The codes are a stable contract: only ever append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshFailure {
    /// The family's absolute lifetime is over.
    Expired,
    /// The family was not used for longer than the idle timeout.
    IdleTimeout,
    /// An already-rotated token was presented outside the grace window; the family is now revoked.
    Reused,
    /// The family was revoked (logout, earlier reuse, administrator).
    Revoked,
    /// No such token (never issued, or the server forgot it).
    NotFound,
    /// Not shaped like one of our refresh tokens.
    Malformed,
    /// An access token was presented where a refresh token belongs.
    WrongType,
}

impl RefreshFailure {
    /// The stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            RefreshFailure::Expired => "expired",
            RefreshFailure::IdleTimeout => "idle_timeout",
            RefreshFailure::Reused => "reused",
            RefreshFailure::Revoked => "revoked",
            RefreshFailure::NotFound => "not_found",
            RefreshFailure::Malformed => "malformed",
            RefreshFailure::WrongType => "wrong_type",
        }
    }

    /// Parse a stable code back (used when reading stored reasons).
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "expired" => RefreshFailure::Expired,
            "idle_timeout" => RefreshFailure::IdleTimeout,
            "reused" => RefreshFailure::Reused,
            "revoked" => RefreshFailure::Revoked,
            "not_found" => RefreshFailure::NotFound,
            "malformed" => RefreshFailure::Malformed,
            "wrong_type" => RefreshFailure::WrongType,
            _ => return None,
        })
    }

    fn description(self) -> &'static str {
        match self {
            RefreshFailure::Expired => "the refresh token has expired",
            RefreshFailure::IdleTimeout => "the session was idle for too long",
            RefreshFailure::Reused => {
                "the refresh token was already used; the session has been revoked"
            }
            RefreshFailure::Revoked => "the session has been revoked",
            RefreshFailure::NotFound => "unknown refresh token",
            RefreshFailure::Malformed => "the refresh token is malformed",
            RefreshFailure::WrongType => "an access token cannot be used as a refresh token",
        }
    }
}

/// Why an access token was refused by [`crate::AuthUser`]. Stable codes: only ever append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessFailure {
    Expired,
    NotYetValid,
    BadSignature,
    WrongType,
    SessionRevoked,
    Malformed,
}

impl AccessFailure {
    /// The stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            AccessFailure::Expired => "expired",
            AccessFailure::NotYetValid => "not_yet_valid",
            AccessFailure::BadSignature => "bad_signature",
            AccessFailure::WrongType => "wrong_type",
            AccessFailure::SessionRevoked => "session_revoked",
            AccessFailure::Malformed => "malformed",
        }
    }

    fn description(self) -> &'static str {
        match self {
            AccessFailure::Expired => "the access token has expired",
            AccessFailure::NotYetValid => "the access token is not valid yet",
            AccessFailure::BadSignature => "the access token signature is invalid",
            AccessFailure::WrongType => "this token is not an access token",
            AccessFailure::SessionRevoked => "the session behind this token has ended",
            AccessFailure::Malformed => "the access token is malformed",
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("storage failed: {0}")]
    Store(String),
    #[error("storage is shutting down")]
    StoreClosed,
    /// The database cannot be reached (connection refused or lost, server shutting down).
    /// Answered with 503 `store_unavailable`; nothing was written, so a retry is safe.
    #[error("storage unavailable: {0}")]
    StoreUnavailable(String),
    #[error("token signing failed: {0}")]
    Signing(String),
    #[error("authenticator failed: {0}")]
    Authenticator(String),
    #[error("invalid email or password")]
    BadCredentials,
    #[error("refresh refused: {}", .0.code())]
    Refresh(RefreshFailure),
    #[error("access token refused: {}", .0.code())]
    Access(AccessFailure),
    #[error("authentication required")]
    MissingCredentials,
    #[error("bad request: {message}")]
    BadRequest { code: &'static str, message: String },
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("too many requests")]
    RateLimited { retry_after_s: u64 },
}

impl From<rusqlite::Error> for ServerError {
    fn from(e: rusqlite::Error) -> Self {
        ServerError::Store(e.to_string())
    }
}

impl ServerError {
    /// A 400 with a stable code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ServerError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Config(_)
            | ServerError::Store(_)
            | ServerError::Signing(_)
            | ServerError::Authenticator(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ServerError::StoreClosed | ServerError::StoreUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ServerError::BadCredentials
            | ServerError::Refresh(_)
            | ServerError::Access(_)
            | ServerError::MissingCredentials => StatusCode::UNAUTHORIZED,
            ServerError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ServerError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

/// `"` and `\` would end or escape an RFC 7235 quoted-string early.
fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

fn bearer_challenge(error: Option<(&str, &str, &str)>) -> HeaderValue {
    let value = match error {
        None => "Bearer".to_owned(),
        Some((err, desc, code)) => format!(
            "Bearer error=\"{}\", error_description=\"{}\", code=\"{}\"",
            quoted(err),
            quoted(desc),
            quoted(code)
        ),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (error, code, description): (&str, Option<&str>, String) = match &self {
            ServerError::Refresh(f) => {
                ("invalid_grant", Some(f.code()), f.description().to_owned())
            }
            ServerError::Access(f) => ("invalid_token", Some(f.code()), f.description().to_owned()),
            ServerError::BadCredentials => (
                "invalid_credentials",
                Some("bad_credentials"),
                self.to_string(),
            ),
            ServerError::MissingCredentials => ("unauthorized", None, self.to_string()),
            ServerError::BadRequest { code, message } => {
                ("invalid_request", Some(*code), message.clone())
            }
            ServerError::TooLarge { .. } => {
                ("payload_too_large", Some("too_large"), self.to_string())
            }
            ServerError::RateLimited { .. } => {
                ("rate_limited", Some("rate_limited"), self.to_string())
            }
            ServerError::StoreClosed => ("unavailable", Some("unavailable"), self.to_string()),
            ServerError::StoreUnavailable(_) => {
                tracing::warn!(
                    error = crate::sanitize::log_field(&self.to_string()),
                    "store unavailable"
                );
                (
                    "unavailable",
                    Some("store_unavailable"),
                    "the session store is unavailable; retry shortly".to_owned(),
                )
            }
            ServerError::Config(_)
            | ServerError::Store(_)
            | ServerError::Signing(_)
            | ServerError::Authenticator(_) => {
                // The detail may name files or SQL; it goes to the log, not to the client.
                tracing::error!(
                    error = crate::sanitize::log_field(&self.to_string()),
                    "internal error"
                );
                (
                    "server_error",
                    Some("internal"),
                    "internal server error".to_owned(),
                )
            }
        };
        let mut body = json!({ "error": error, "detail": description });
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(code) = code {
            if let Ok(v) = HeaderValue::from_str(code) {
                headers.insert(AUTH_CODE_HEADER, v);
            }
        }
        match &self {
            ServerError::Access(f) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    bearer_challenge(Some(("invalid_token", f.description(), f.code()))),
                );
            }
            ServerError::MissingCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, bearer_challenge(None));
            }
            ServerError::RateLimited { retry_after_s } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
            }
            ServerError::StoreUnavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(1u64));
            }
            _ => {}
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logout_lens_model::http::parse_www_authenticate;

    #[test]
    fn access_failure_has_rfc6750_challenge_and_code_header() {
        let r = ServerError::Access(AccessFailure::Expired).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[AUTH_CODE_HEADER], "expired");
        let ch = parse_www_authenticate(r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap());
        assert_eq!(ch.param("error"), Some("invalid_token"));
        assert_eq!(ch.param("code"), Some("expired"));
        assert!(ch.param("error_description").is_some());
    }

    #[test]
    fn store_unavailable_is_a_503_with_its_own_code_and_no_detail() {
        let r = ServerError::StoreUnavailable("db at 10.0.0.5:5432 refused".into()).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[AUTH_CODE_HEADER], "store_unavailable");
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn missing_credentials_has_no_error_code() {
        let r = ServerError::MissingCredentials.into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert!(r.headers().get(AUTH_CODE_HEADER).is_none());
    }

    #[test]
    fn refresh_codes_round_trip() {
        for f in [
            RefreshFailure::Expired,
            RefreshFailure::IdleTimeout,
            RefreshFailure::Reused,
            RefreshFailure::Revoked,
            RefreshFailure::NotFound,
            RefreshFailure::Malformed,
            RefreshFailure::WrongType,
        ] {
            assert_eq!(RefreshFailure::from_code(f.code()), Some(f));
        }
    }
}
