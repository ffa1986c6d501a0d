//! Storage of sessions, refresh tokens and logout events, behind a trait.
//!
//! The trait speaks in hashes and sealed bytes only: no implementation ever sees a refresh
//! token in plain text. Every method is one atomic unit, so a PostgreSQL store can implement
//! `rotate` as one transaction with `UPDATE … WHERE generation = $n` as the compare-and-swap.

#[cfg(feature = "postgres")]
mod postgres;
// The rotation rules and the migration helper serve the built-in stores.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
mod rotation;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[cfg(feature = "postgres")]
pub use postgres::{PgOptions, PgStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};

use crate::error::{RefreshFailure, ServerError};

/// Open the store named by `database_url`: a `postgres://` or `postgresql://` URL selects the
/// shared `PgStore` (feature `postgres`; several instances may use one database); anything
/// else is a path to an embedded `SqliteStore` file (feature `sqlite`, on by default;
/// `sqlite://` prefix optional). Migrations run in both cases. A URL whose store this build
/// left out is a configuration error that names the feature.
pub async fn open_store(database_url: &str) -> Result<Arc<dyn Store>, ServerError> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Arc::new(PgStore::connect(database_url).await?));
        #[cfg(not(feature = "postgres"))]
        return Err(ServerError::Config(
            "a postgres:// database needs logout-lens-server's `postgres` feature".into(),
        ));
    }
    let path = database_url
        .strip_prefix("sqlite://")
        .unwrap_or(database_url);
    if path.is_empty() {
        return Err(ServerError::Config("database_url is empty".into()));
    }
    #[cfg(feature = "sqlite")]
    {
        let path = path.to_owned();
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(path))
            .await
            .map_err(|e| ServerError::Store(format!("opening the database failed: {e}")))??;
        Ok(Arc::new(store))
    }
    #[cfg(not(feature = "sqlite"))]
    Err(ServerError::Config(
        "an SQLite database needs logout-lens-server's `sqlite` feature (on by default)".into(),
    ))
}

/// The migrations still to apply to a database at `version`, or an error when
/// the database was written by a newer build (never guess at its schema).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn pending_migrations<'m>(
    version: usize,
    migrations: &'m [&'m str],
) -> Result<impl Iterator<Item = (usize, &'m &'m str)>, ServerError> {
    if version > migrations.len() {
        return Err(ServerError::Store(format!(
            "database schema version {version} is newer than this build ({})",
            migrations.len()
        )));
    }
    Ok(migrations.iter().enumerate().skip(version))
}

/// Boxed so `dyn Store` works without an extra macro crate.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ServerError>> + Send + 'a>>;

/// A new refresh family, created at login.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The new session's id.
    pub session_id: String,
    /// Whose session it is.
    pub user_id: String,
    /// The client's own device label, if it sent one.
    pub device_id: Option<String>,
    /// A login with "remember me" (the longer refresh lifetime).
    pub remember_me: bool,
    /// The login's time (ms since the epoch).
    pub now_ms: i64,
    /// When the session ends unless refreshed (ms since the epoch).
    pub expires_ms: i64,
    /// SHA-256 of the first refresh token (the token itself is never stored).
    pub token_hash: [u8; 32],
}

/// One refresh attempt.
#[derive(Debug, Clone)]
pub struct RotateRequest {
    /// SHA-256 of the refresh token presented.
    pub presented_hash: [u8; 32],
    /// SHA-256 of the successor the caller will hand out if this rotates.
    pub successor_hash: [u8; 32],
    /// The successor sealed with the presented token's wrap key.
    pub successor_sealed: [u8; 32],
    /// The attempt's time (ms since the epoch).
    pub now_ms: i64,
    /// Reuse of the previous generation within this many ms returns the existing successor.
    pub grace_ms: i64,
    /// A session unused for this many ms is refused as `idle_timeout` (`None`: no limit).
    pub idle_timeout_ms: Option<i64>,
}

/// The session a refresh token belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    /// The session's id.
    pub session_id: String,
    /// Whose session it is.
    pub user_id: String,
    /// How many times its refresh token was rotated.
    pub generation: i64,
    /// When the session ends unless refreshed (ms since the epoch).
    pub expires_ms: i64,
    /// Persistent cookies for "remember me", browser-session cookies otherwise.
    pub remember_me: bool,
}

/// How a refresh attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RotateOutcome {
    /// The presented token was current; the caller's successor is now the current token.
    Rotated(SessionInfo),
    /// The presented token was rotated moments ago: answer with the successor already issued.
    Replayed {
        /// The session.
        session: SessionInfo,
        /// The successor, sealed with the presented token's wrap key.
        sealed: Vec<u8>,
    },
    /// Refused; for `Reused` the family has been revoked in the same transaction.
    Refused(RefreshFailure),
}

/// What the server knows about a session or token, for the logout-event record and [`crate::AuthUser`].
#[derive(Debug, Clone, PartialEq)]
pub struct SessionView {
    /// The session's id.
    pub session_id: String,
    /// Whose session it is.
    pub user_id: String,
    /// `active`, `revoked`, `expired`, `idle_timeout`, or for a token view `rotated`.
    pub status: String,
    /// Why it was revoked (`logout`, `reused`, …), when it was.
    pub revoked_reason: Option<String>,
    /// The code of the last refused refresh in this session, if any.
    pub last_failure: Option<String>,
}

/// One logout report as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogoutEventRecord {
    /// When the report arrived (ms since the epoch).
    pub received_ms: i64,
    /// The client's address (through trusted proxies only).
    pub client_ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// `app` (the seed payload) or `event` (a v1 envelope).
    pub format: String,
    /// The report's type (`TOKEN_EXPIRED`, `USER_ACTION`, …; unknown types kept as sent).
    pub report_type: String,
    /// The client's message.
    pub message: Option<String>,
    /// Minutes the user had been idle, as the client reports it.
    pub idle_minutes: Option<f64>,
    /// The page the user was on (redacted).
    pub location: Option<String>,
    /// The user id the client claims (not trusted).
    pub reported_user_id: Option<String>,
    /// The email the client claims (not trusted).
    pub reported_email: Option<String>,
    /// The user the server found from the request's own token.
    pub server_user_id: Option<String>,
    /// The session the server found from the request's own token.
    pub server_session_id: Option<String>,
    /// That token's status on the server (`active`, `expired`, `revoked`, …).
    pub token_status: Option<String>,
    /// Why the server ended the session, when it did.
    pub server_reason: Option<String>,
    /// The parsed report re-serialized (never the raw body).
    pub payload: String,
}

/// Storage used by the router. Implementations must make each call atomic.
pub trait Store: Send + Sync + 'static {
    /// Stores a new session with its first refresh token.
    fn create_session(&self, session: NewSession) -> StoreFuture<'_, ()>;
    /// Compare-and-swap rotation; see [`RotateOutcome`]. A storage error must leave the
    /// presented token usable (no partial write).
    fn rotate(&self, request: RotateRequest) -> StoreFuture<'_, RotateOutcome>;
    /// Revoke the family of a token. `None` if the token is unknown (RFC 7009: still a success).
    fn revoke_by_token(
        &self,
        hash: [u8; 32],
        reason: &'static str,
        now_ms: i64,
    ) -> StoreFuture<'_, Option<String>>;
    /// A session by id, or `None` if the server has no record of it.
    fn session(&self, session_id: String, now_ms: i64) -> StoreFuture<'_, Option<SessionView>>;
    /// The session of a refresh token, with the token's own status.
    fn token_view(&self, hash: [u8; 32], now_ms: i64) -> StoreFuture<'_, Option<SessionView>>;
    /// Stores a logout report; returns its id.
    fn record_logout_event(&self, event: LogoutEventRecord) -> StoreFuture<'_, i64>;
    /// Newest first.
    fn recent_logout_events(&self, limit: usize) -> StoreFuture<'_, Vec<LogoutEventRecord>>;
    /// Drop sessions created before `cutoff_ms` as if the session store had evicted them.
    fn forget_sessions_created_before(&self, cutoff_ms: i64) -> StoreFuture<'_, u64>;
    /// Maintenance: delete sessions (and their tokens) whose absolute lifetime ended before
    /// `cutoff_ms`. Keep a margin past expiry so late reuse still reports `expired`.
    fn prune_sessions_expired_before(&self, cutoff_ms: i64) -> StoreFuture<'_, u64>;
    /// Retention: delete logout events (with their IPs and emails) received before `cutoff_ms`.
    fn prune_logout_events(&self, cutoff_ms: i64) -> StoreFuture<'_, u64>;
}
