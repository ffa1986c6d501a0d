//! The shared PostgreSQL store: several server instances point at one database and see the
//! same sessions. A pooled `tokio-postgres` client; each call is one transaction.
//!
//! Rotation locks the presented token and its family with `SELECT … FOR UPDATE`, so concurrent
//! refreshes of one token — from any instance — queue on the row lock. In READ COMMITTED the
//! waiter then re-reads the winner's committed rows, and [`decide`] sees exactly what the
//! SQLite writer thread would have seen: the winner rotates, the rest get the sealed successor
//! inside the grace window. The `UPDATE … WHERE generation = $n` compare-and-swap stays as a
//! second guard.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use tokio_postgres::{NoTls, Row};

use super::rotation::{Step, TokenRow, decide, session_status, token_status};
use super::{
    LogoutEventRecord, NewSession, RotateOutcome, RotateRequest, SessionView, Store, StoreFuture,
};
use crate::error::{RefreshFailure, ServerError};

const MIGRATIONS: &[&str] = &[include_str!("../../migrations/postgres/001_init.sql")];
/// Serialises schema changes when several instances start at once.
const MIGRATION_LOCK: i64 = 0x6c6f_676f_7574;

/// Pool and timeout settings for [`PgStore`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections per instance (PostgreSQL's default `max_connections` is 100 for all of them).
    pub max_connections: usize,
    /// Connecting to the database gives up after this long.
    pub connect_timeout: Duration,
    /// A whole store call (waiting for a pooled connection included) gives up after this long
    /// and answers 503 `store_unavailable`.
    pub op_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 16,
            connect_timeout: Duration::from_secs(2),
            op_timeout: Duration::from_secs(5),
        }
    }
}

/// PostgreSQL-backed [`Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    op_timeout: Duration,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it.
        f.debug_struct("PgStore")
            .field("status", &self.pool.status())
            .finish()
    }
}

/// Connection refused or lost, the server shutting down or out of connections: the database is
/// away, not our query wrong. These become 503 `store_unavailable`; everything else is a 500.
fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    if let Some(code) = e.code() {
        let c = code.code();
        return c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "53300");
    }
    e.is_closed()
        || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        || e.to_string() == "timeout waiting for server"
}

fn pg_error(e: tokio_postgres::Error) -> ServerError {
    let detail = match e.as_db_error() {
        Some(db) => format!("{e}: {db}"),
        None => match std::error::Error::source(&e) {
            Some(src) => format!("{e}: {src}"),
            None => e.to_string(),
        },
    };
    if is_unavailable(&e) {
        ServerError::StoreUnavailable(detail)
    } else {
        ServerError::Store(detail)
    }
}

impl From<tokio_postgres::Error> for ServerError {
    fn from(e: tokio_postgres::Error) -> Self {
        pg_error(e)
    }
}

fn pool_error(e: PoolError) -> ServerError {
    match e {
        PoolError::Backend(e) => pg_error(e),
        PoolError::Timeout(t) => ServerError::StoreUnavailable(format!("pool timeout ({t:?})")),
        PoolError::Closed => ServerError::StoreClosed,
        other => ServerError::Store(other.to_string()),
    }
}

async fn migrate(client: &mut Object) -> Result<(), ServerError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS logout_lens_schema (version INTEGER NOT NULL)")
        .await?;
    let version: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM logout_lens_schema",
            &[],
        )
        .await?
        .get(0);
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    for (i, sql) in super::pending_migrations(version, MIGRATIONS)? {
        tx.batch_execute(sql).await?;
        let v = i as i32 + 1;
        tx.execute(
            "INSERT INTO logout_lens_schema (version) VALUES ($1)",
            &[&v],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

const TOKEN_ROW: &str =
    "SELECT t.session_id, t.generation, t.rotated_ms, t.successor_sealed, s.user_id,
        s.generation, s.expires_ms, s.last_used_ms, s.revoked_ms, s.revoked_reason,
        s.remember_me, s.last_failure
   FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
  WHERE t.hash = $1";

fn token_row(r: &Row) -> Result<TokenRow, ServerError> {
    Ok(TokenRow {
        session_id: r.try_get(0)?,
        token_generation: r.try_get(1)?,
        rotated_ms: r.try_get(2)?,
        sealed: r.try_get(3)?,
        user_id: r.try_get(4)?,
        generation: r.try_get(5)?,
        expires_ms: r.try_get(6)?,
        last_used_ms: r.try_get(7)?,
        revoked_ms: r.try_get(8)?,
        revoked_reason: r.try_get(9)?,
        remember_me: r.try_get(10)?,
        last_failure: r.try_get(11)?,
    })
}

async fn rotate_in(client: &mut Object, req: &RotateRequest) -> Result<RotateOutcome, ServerError> {
    let tx = client.transaction().await?;
    // Locks both rows; a waiter gets the latest committed version of each once it is granted.
    let lock = tx
        .prepare_cached(&format!("{TOKEN_ROW} FOR UPDATE"))
        .await?;
    let presented: &[u8] = &req.presented_hash;
    let Some(r) = tx.query_opt(&lock, &[&presented]).await? else {
        tx.commit().await?;
        return Ok(RotateOutcome::Refused(RefreshFailure::NotFound));
    };
    let row = token_row(&r)?;
    match decide(&row, req) {
        Step::Refuse(failure) => {
            let st = tx
                .prepare_cached(
                    "UPDATE sessions SET last_failure = $1, last_failure_ms = $2 WHERE id = $3",
                )
                .await?;
            tx.execute(&st, &[&failure.code(), &req.now_ms, &row.session_id])
                .await?;
            tx.commit().await?;
            Ok(RotateOutcome::Refused(failure))
        }
        Step::Replay { session, sealed } => Ok(RotateOutcome::Replayed { session, sealed }),
        Step::RevokeReused => {
            // Revoke the family and remember the failure in one statement.
            let st = tx
                .prepare_cached(
                    "UPDATE sessions SET revoked_ms = COALESCE(revoked_ms, $1),
                            revoked_reason = COALESCE(revoked_reason, 'reused'),
                            last_failure = 'reused', last_failure_ms = $1
                      WHERE id = $2",
                )
                .await?;
            tx.execute(&st, &[&req.now_ms, &row.session_id]).await?;
            tx.commit().await?;
            Ok(RotateOutcome::Refused(RefreshFailure::Reused))
        }
        Step::Advance(info) => {
            // One statement: the generation compare-and-swap, the sealed successor on the
            // presented token and the successor row, all or nothing.
            let st = tx
                .prepare_cached(
                    "WITH s AS (
                        UPDATE sessions SET generation = generation + 1, last_used_ms = $1
                         WHERE id = $2 AND generation = $3 AND revoked_ms IS NULL
                        RETURNING id
                     ), t AS (
                        UPDATE refresh_tokens SET rotated_ms = $1, successor_sealed = $4
                         WHERE hash = $5 AND EXISTS (SELECT 1 FROM s)
                     )
                     INSERT INTO refresh_tokens (hash, session_id, generation, issued_ms)
                     SELECT $6, id, $3 + 1, $1 FROM s",
                )
                .await?;
            let sealed: &[u8] = &req.successor_sealed;
            let successor: &[u8] = &req.successor_hash;
            let swapped = tx
                .execute(
                    &st,
                    &[
                        &req.now_ms,
                        &row.session_id,
                        &row.generation,
                        &sealed,
                        &presented,
                        &successor,
                    ],
                )
                .await?;
            if swapped != 1 {
                tx.rollback().await?;
                return Ok(RotateOutcome::Refused(RefreshFailure::Reused));
            }
            tx.commit().await?;
            Ok(RotateOutcome::Rotated(info))
        }
    }
}

fn event(r: &Row) -> Result<LogoutEventRecord, ServerError> {
    Ok(LogoutEventRecord {
        received_ms: r.try_get(0)?,
        client_ip: r.try_get(1)?,
        user_agent: r.try_get(2)?,
        format: r.try_get(3)?,
        report_type: r.try_get(4)?,
        message: r.try_get(5)?,
        idle_minutes: r.try_get(6)?,
        location: r.try_get(7)?,
        reported_user_id: r.try_get(8)?,
        reported_email: r.try_get(9)?,
        server_user_id: r.try_get(10)?,
        server_session_id: r.try_get(11)?,
        token_status: r.try_get(12)?,
        server_reason: r.try_get(13)?,
        payload: r.try_get(14)?,
    })
}

impl PgStore {
    /// Connect to `url` (`postgres://user:pass@host:port/db`), apply migrations, keep a pool.
    pub async fn connect(url: &str) -> Result<Self, ServerError> {
        Self::connect_with(url, PgOptions::default()).await
    }

    /// [`PgStore::connect`] with its pool and timeouts set by `options`.
    pub async fn connect_with(url: &str, options: PgOptions) -> Result<Self, ServerError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|_| {
            ServerError::Config("database_url is not a valid PostgreSQL URL".into())
        })?;
        config.connect_timeout(options.connect_timeout);
        config.application_name("logout-lens");
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection the server closed is dropped on checkout; a retry gets a new one.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(options.op_timeout))
            .create_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| ServerError::Config(format!("cannot build the connection pool: {e}")))?;
        let store = PgStore {
            pool,
            op_timeout: options.op_timeout,
        };
        let mut client = store.pool.get().await.map_err(pool_error)?;
        migrate(&mut client).await?;
        Ok(store)
    }

    /// Run one store call on a pooled connection, bounded by `op_timeout`.
    ///
    /// A call cut short by the timeout drops its transaction, which `tokio-postgres` rolls back
    /// on the same connection before anything else runs on it: no partial write.
    fn call<'a, T, F, Fut>(&'a self, f: F) -> StoreFuture<'a, T>
    where
        T: Send + 'a,
        F: FnOnce(Object) -> Fut + Send + 'a,
        Fut: std::future::Future<Output = Result<T, ServerError>> + Send + 'a,
    {
        Box::pin(async move {
            let work = async {
                let client = self.pool.get().await.map_err(pool_error)?;
                f(client).await
            };
            match tokio::time::timeout(self.op_timeout, work).await {
                Ok(r) => r,
                Err(_) => Err(ServerError::StoreUnavailable(format!(
                    "no answer from the database within {:?}",
                    self.op_timeout
                ))),
            }
        })
    }
}

impl Store for PgStore {
    fn create_session(&self, s: NewSession) -> StoreFuture<'_, ()> {
        self.call(move |mut client| async move {
            let tx = client.transaction().await?;
            let st = tx
                .prepare_cached(
                    "INSERT INTO sessions (id, user_id, device_id, remember_me, created_ms,
                                           expires_ms, last_used_ms, generation)
                     VALUES ($1, $2, $3, $4, $5, $6, $5, 0)",
                )
                .await?;
            tx.execute(
                &st,
                &[
                    &s.session_id,
                    &s.user_id,
                    &s.device_id,
                    &s.remember_me,
                    &s.now_ms,
                    &s.expires_ms,
                ],
            )
            .await?;
            let st = tx
                .prepare_cached(
                    "INSERT INTO refresh_tokens (hash, session_id, generation, issued_ms)
                     VALUES ($1, $2, 0, $3)",
                )
                .await?;
            let hash: &[u8] = &s.token_hash;
            tx.execute(&st, &[&hash, &s.session_id, &s.now_ms]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<'_, RotateOutcome> {
        self.call(move |mut client| async move { rotate_in(&mut client, &request).await })
    }

    fn revoke_by_token(
        &self,
        hash: [u8; 32],
        reason: &'static str,
        now_ms: i64,
    ) -> StoreFuture<'_, Option<String>> {
        self.call(move |client| async move {
            // One statement: find the family and revoke it if still live.
            let st = client
                .prepare_cached(
                    "WITH t AS (SELECT session_id FROM refresh_tokens WHERE hash = $1),
                          u AS (UPDATE sessions SET revoked_ms = $2, revoked_reason = $3
                                 WHERE id = (SELECT session_id FROM t) AND revoked_ms IS NULL)
                     SELECT session_id FROM t",
                )
                .await?;
            let hash: &[u8] = &hash;
            let row = client.query_opt(&st, &[&hash, &now_ms, &reason]).await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
    }

    fn session(&self, session_id: String, now_ms: i64) -> StoreFuture<'_, Option<SessionView>> {
        self.call(move |client| async move {
            let st = client
                .prepare_cached(
                    "SELECT user_id, expires_ms, revoked_ms, revoked_reason, last_failure
                       FROM sessions WHERE id = $1",
                )
                .await?;
            let Some(r) = client.query_opt(&st, &[&session_id]).await? else {
                return Ok(None);
            };
            let revoked_ms: Option<i64> = r.try_get(2)?;
            Ok(Some(SessionView {
                user_id: r.try_get(0)?,
                status: session_status(revoked_ms, r.try_get(1)?, now_ms).to_owned(),
                revoked_reason: r.try_get(3)?,
                last_failure: r.try_get(4)?,
                session_id,
            }))
        })
    }

    fn token_view(&self, hash: [u8; 32], now_ms: i64) -> StoreFuture<'_, Option<SessionView>> {
        self.call(move |client| async move {
            let st = client.prepare_cached(TOKEN_ROW).await?;
            let hash: &[u8] = &hash;
            let Some(r) = client.query_opt(&st, &[&hash]).await? else {
                return Ok(None);
            };
            let row = token_row(&r)?;
            Ok(Some(SessionView {
                status: token_status(&row, now_ms).to_owned(),
                session_id: row.session_id,
                user_id: row.user_id,
                revoked_reason: row.revoked_reason,
                last_failure: row.last_failure,
            }))
        })
    }

    fn record_logout_event(&self, e: LogoutEventRecord) -> StoreFuture<'_, i64> {
        self.call(move |client| async move {
            let st = client
                .prepare_cached(
                    "INSERT INTO logout_events (received_ms, client_ip, user_agent, format,
                        report_type, message, idle_minutes, location, reported_user_id,
                        reported_email, server_user_id, server_session_id, token_status,
                        server_reason, payload)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                     RETURNING id",
                )
                .await?;
            let r = client
                .query_one(
                    &st,
                    &[
                        &e.received_ms,
                        &e.client_ip,
                        &e.user_agent,
                        &e.format,
                        &e.report_type,
                        &e.message,
                        &e.idle_minutes,
                        &e.location,
                        &e.reported_user_id,
                        &e.reported_email,
                        &e.server_user_id,
                        &e.server_session_id,
                        &e.token_status,
                        &e.server_reason,
                        &e.payload,
                    ],
                )
                .await?;
            Ok(r.try_get(0)?)
        })
    }

    fn recent_logout_events(&self, limit: usize) -> StoreFuture<'_, Vec<LogoutEventRecord>> {
        self.call(move |client| async move {
            let st = client
                .prepare_cached(
                    "SELECT received_ms, client_ip, user_agent, format, report_type, message,
                            idle_minutes, location, reported_user_id, reported_email,
                            server_user_id, server_session_id, token_status, server_reason,
                            payload
                       FROM logout_events ORDER BY id DESC LIMIT $1",
                )
                .await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            client
                .query(&st, &[&limit])
                .await?
                .iter()
                .map(event)
                .collect()
        })
    }

    fn forget_sessions_created_before(&self, cutoff_ms: i64) -> StoreFuture<'_, u64> {
        self.call(move |client| async move {
            Ok(client
                .execute("DELETE FROM sessions WHERE created_ms < $1", &[&cutoff_ms])
                .await?)
        })
    }

    fn prune_sessions_expired_before(&self, cutoff_ms: i64) -> StoreFuture<'_, u64> {
        self.call(move |client| async move {
            Ok(client
                .execute("DELETE FROM sessions WHERE expires_ms < $1", &[&cutoff_ms])
                .await?)
        })
    }

    fn prune_logout_events(&self, cutoff_ms: i64) -> StoreFuture<'_, u64> {
        self.call(move |client| async move {
            Ok(client
                .execute(
                    "DELETE FROM logout_events WHERE received_ms < $1",
                    &[&cutoff_ms],
                )
                .await?)
        })
    }
}
