//! The crate's error type and the HTTP error responses built from it.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use logout_lens_model::http::AUTH_CODE_HEADER;

/// A failure enum whose variants each have a stable machine code and a human description,
/// with `ALL` listing every variant (the OpenAPI document and the tests iterate it).
macro_rules! failure_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $description:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable machine code.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// Parse a stable code back (used when reading stored reasons).
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The sentence sent as `detail`.
            pub fn description(self) -> &'static str {
                match self {
                    $($name::$variant => $description,)*
                }
            }
        }
    };
}

failure_codes! {
    /// Why a refresh token was refused. The codes are a stable contract: only ever append.
    pub enum RefreshFailure {
        /// The family's absolute lifetime is over.
        Expired => "expired", "the refresh token has expired",
        /// The family was not used for longer than the idle timeout.
        IdleTimeout => "idle_timeout", "the session was idle for too long",
        /// An already-rotated token was presented outside the grace window; the family is now
        /// revoked.
        Reused => "reused", "the refresh token was already used; the session has been revoked",
        /// The family was revoked (logout, earlier reuse, administrator).
        Revoked => "revoked", "the session has been revoked",
        /// No such token (never issued, or the server forgot it).
        NotFound => "not_found", "unknown refresh token",
        /// Not shaped like one of our refresh tokens.
        Malformed => "malformed", "the refresh token is malformed",
        /// An access token was presented where a refresh token belongs.
        WrongType => "wrong_type", "an access token cannot be used as a refresh token",
    }
}

failure_codes! {
    /// Why an access token was refused by [`crate::AuthUser`]. Stable codes: only ever append.
    pub enum AccessFailure {
        /// Past `exp` plus the leeway.
        Expired => "expired", "the access token has expired",
        /// Before `nbf` minus the leeway (a client clock ahead of the server's).
        NotYetValid => "not_yet_valid", "the access token is not valid yet",
        /// Unknown `kid`, another algorithm than the key's, or a signature that does not verify.
        BadSignature => "bad_signature", "the access token signature is invalid",
        /// Not an access token (`typ` is not `at+jwt`, or a refresh token).
        WrongType => "wrong_type", "this token is not an access token",
        /// The session behind the token was revoked or forgotten (with `Config::check_session`).
        SessionRevoked => "session_revoked", "the session behind this token has ended",
        /// Not a JWT, or claims that do not match (issuer, audience, missing fields).
        Malformed => "malformed", "the access token is malformed",
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A configuration value out of range, or keys that cannot be used.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The store failed (answered with 500; the transaction was rolled back).
    #[error("storage failed: {0}")]
    Store(String),
    /// The store is shutting down and takes no more work.
    #[error("storage is shutting down")]
    StoreClosed,
    /// The database cannot be reached (connection refused or lost, server shutting down).
    /// Answered with 503 `store_unavailable`; nothing was written, so a retry is safe.
    #[error("storage unavailable: {0}")]
    StoreUnavailable(String),
    /// Signing a token failed.
    #[error("token signing failed: {0}")]
    Signing(String),
    /// The host's authenticator itself failed (not wrong credentials).
    #[error("authenticator failed: {0}")]
    Authenticator(String),
    /// Wrong email or password (401 `invalid_credentials`).
    #[error("invalid email or password")]
    BadCredentials,
    /// A refresh token was refused, and why (401 `invalid_grant`).
    #[error("refresh refused: {}", .0.code())]
    Refresh(RefreshFailure),
    /// An access token was refused, and why (401).
    #[error("access token refused: {}", .0.code())]
    Access(AccessFailure),
    /// No access token or refresh token where one is needed (401).
    #[error("authentication required")]
    MissingCredentials,
    /// A malformed request (400).
    #[error("bad request: {message}")]
    BadRequest {
        /// The error code sent to the client.
        code: &'static str,
        /// What is wrong with the request.
        message: String,
    },
    /// A body over the endpoint's limit (413).
    #[error("request body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Over a rate limit (429 with `Retry-After`).
    #[error("too many requests")]
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_s: u64,
    },
}

#[cfg(feature = "sqlite")]
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

impl ServerError {
    /// The body's `error` and `code` (`None`: no code, and no `X-Auth-Error-Code` header).
    pub fn error_and_code(&self) -> (&'static str, Option<&'static str>) {
        match self {
            ServerError::Refresh(f) => ("invalid_grant", Some(f.code())),
            ServerError::Access(f) => ("invalid_token", Some(f.code())),
            ServerError::BadCredentials => ("invalid_credentials", Some("bad_credentials")),
            ServerError::MissingCredentials => ("unauthorized", None),
            ServerError::BadRequest { code, .. } => ("invalid_request", Some(*code)),
            ServerError::TooLarge { .. } => ("payload_too_large", Some("too_large")),
            ServerError::RateLimited { .. } => ("rate_limited", Some("rate_limited")),
            ServerError::StoreClosed => ("unavailable", Some("unavailable")),
            ServerError::StoreUnavailable(_) => ("unavailable", Some("store_unavailable")),
            ServerError::Config(_)
            | ServerError::Store(_)
            | ServerError::Signing(_)
            | ServerError::Authenticator(_) => ("server_error", Some("internal")),
        }
    }

    /// The body's `detail`: never a storage or configuration detail (those go to the log).
    fn detail(&self) -> String {
        match self {
            ServerError::Refresh(f) => f.description().to_owned(),
            ServerError::Access(f) => f.description().to_owned(),
            ServerError::BadRequest { message, .. } => message.clone(),
            ServerError::StoreUnavailable(_) => {
                "the session store is unavailable; retry shortly".to_owned()
            }
            ServerError::Config(_)
            | ServerError::Store(_)
            | ServerError::Signing(_)
            | ServerError::Authenticator(_) => "internal server error".to_owned(),
            _ => self.to_string(),
        }
    }

    /// Every header of this error's response besides `Content-Type`, in the order sent.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = Vec::new();
        if let (_, Some(code)) = self.error_and_code() {
            out.push((
                HeaderName::from_static(AUTH_CODE_HEADER),
                HeaderValue::from_static(code),
            ));
        }
        match self {
            ServerError::Access(f) => out.push((
                header::WWW_AUTHENTICATE,
                bearer_challenge(Some(("invalid_token", f.description(), f.code()))),
            )),
            ServerError::MissingCredentials => {
                out.push((header::WWW_AUTHENTICATE, bearer_challenge(None)));
            }
            ServerError::RateLimited { retry_after_s } => {
                out.push((header::RETRY_AFTER, HeaderValue::from(*retry_after_s)));
            }
            ServerError::StoreUnavailable(_) => {
                out.push((header::RETRY_AFTER, HeaderValue::from(1u64)));
            }
            _ => {}
        }
        out.push((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        out
    }
}

/// The JSON body of every error response.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error class (`invalid_grant`, `invalid_token`, `rate_limited`, …).
    pub error: String,
    /// The stable code, also in `X-Auth-Error-Code`; absent only for a request without
    /// credentials on a protected route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub code: Option<String>,
    /// A sentence for people; never parse it.
    pub detail: String,
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        match &self {
            ServerError::StoreUnavailable(_) => {
                let error = self.to_string();
                tracing::warn!(
                    error = crate::sanitize::log_field(&error),
                    "store unavailable"
                );
            }
            ServerError::Config(_)
            | ServerError::Store(_)
            | ServerError::Signing(_)
            | ServerError::Authenticator(_) => {
                // The detail may name files or SQL; it goes to the log, not to the client.
                let error = self.to_string();
                tracing::error!(error = crate::sanitize::log_field(&error), "internal error");
            }
            _ => {}
        }
        let (error, code) = self.error_and_code();
        let body = ErrorBody {
            error: error.to_owned(),
            code: code.map(str::to_owned),
            detail: self.detail(),
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        for (name, value) in self.headers() {
            response.headers_mut().insert(name, value);
        }
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
    fn codes_round_trip_and_are_unique() {
        assert_eq!(RefreshFailure::ALL.len(), 7);
        assert_eq!(AccessFailure::ALL.len(), 6);
        for f in RefreshFailure::ALL {
            assert_eq!(RefreshFailure::from_code(f.code()), Some(*f));
        }
        for f in AccessFailure::ALL {
            assert_eq!(AccessFailure::from_code(f.code()), Some(*f));
        }
        let mut codes: Vec<_> = RefreshFailure::ALL.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RefreshFailure::ALL.len());
    }
}
