//! The request and response bodies of the router's endpoints. The handlers read and write
//! these types, and the OpenAPI document ([`crate::openapi`]) describes them from their
//! `ToSchema` derives, so the document cannot drift from what is sent.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/auth/login/`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse", "remember_me": true}))]
pub struct LoginRequest {
    /// The account's email, as the host's authenticator knows it.
    pub email: String,
    /// The password, checked by the host's authenticator and never stored here.
    pub password: String,
    /// A long refresh lifetime (20 days by default) instead of a browser-session one. Also
    /// accepted as `rememberMe`.
    #[serde(default, alias = "rememberMe")]
    pub remember_me: bool,
    /// The client's own device label, kept with the session (first 128 characters). Also
    /// accepted as `deviceId`.
    #[serde(default, alias = "deviceId")]
    pub device_id: Option<String>,
}

/// `POST /v1/auth/refresh/` and `POST /v1/auth/logout/`. The body may be left out when the
/// refresh token travels in the refresh cookie.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token (43 base64url characters). Also accepted as `refresh_token` or `token`.
    #[serde(default, alias = "refresh_token", alias = "token")]
    #[schema(value_type = String)]
    pub refresh: Option<String>,
}

/// Who the tokens are for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    /// The user's id in the host app.
    pub id: String,
    /// Sent by login only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub email: Option<String>,
}

/// A fresh token pair. With `Config::cookies` the tokens travel only as `HttpOnly` cookies
/// and `access`/`refresh` are left out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// When the access token expires (ms since the epoch).
    pub access_expires_at_ms: u64,
    /// When the session ends unless refreshed earlier (ms since the epoch).
    pub refresh_expires_at_ms: i64,
    /// The session the tokens belong to (what logout ends).
    pub session_id: String,
    /// Who the tokens are for.
    pub user: UserView,
    /// The access token (a JWT, `typ: at+jwt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub access: Option<String>,
    /// The refresh token: opaque, single use (rotated on every refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub refresh: Option<String>,
}

/// `POST /v1/auth/logout/` always succeeds (RFC 7009).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogoutResponse {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
    /// Whether a live session was revoked (false for an unknown or malformed token).
    pub revoked: bool,
}

/// `POST /v1/auth/logout-event/` stored the report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordedResponse {
    /// Always `recorded`.
    #[schema(example = "recorded")]
    pub status: String,
    /// The stored report's id.
    pub id: i64,
}
