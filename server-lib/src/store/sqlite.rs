//! The embedded SQLite store: WAL, one writer thread that batches transactions, a checkpoint
//! thread, a small pool of reader connections used through `spawn_blocking`. Nothing blocks an
//! async worker thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::oneshot;

use super::rotation::{Step, TokenRow, decide, session_status, token_status};
use super::{
    LogoutEventRecord, NewSession, RotateOutcome, RotateRequest, SessionView, Store, StoreFuture,
};
use crate::error::{RefreshFailure, ServerError};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_init.sql"),
    include_str!("../../migrations/002_last_failure.sql"),
];
/// Jobs that share one commit. Each runs in its own savepoint, so one failure never touches
/// another; the batch amortises the commit cost when many requests arrive together.
const MAX_BATCH: usize = 128;
const MAX_IDLE_READERS: usize = 8;
const WRITER_CACHE_KIB: i64 = 32 * 1024;
/// How often the checkpoint thread copies committed WAL frames into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);
/// WAL length (frames) past which the writer finishes a checkpoint itself so the log restarts:
/// under steady load the checkpoint thread never catches the writer's last frames.
const WAL_RESTART_FRAMES: i64 = 4096;

/// SQLite `synchronous` level for the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// WAL + NORMAL: survives a process crash; a power cut may lose the last commits.
    #[default]
    Normal,
    /// fsync on every commit.
    Full,
}

/// How a [`SqliteStore`] is opened.
#[derive(Debug, Clone, Default)]
pub struct SqliteOptions {
    /// The writer's `synchronous` level (default: `Normal`).
    pub synchronous: Synchronous,
}

trait WriteJob: Send {
    /// Run inside a savepoint; `false` means roll the savepoint back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Report the result once the batch's commit outcome is known.
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct TypedJob<T, F> {
    f: Option<F>,
    result: Option<Result<T, ServerError>>,
    reply: oneshot::Sender<Result<T, ServerError>>,
}

impl<T, F> WriteJob for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, ServerError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else { return false };
        let r = f(conn);
        let ok = r.is_ok();
        self.result = Some(r);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let out = match (commit, self.result) {
            (Ok(()), Some(r)) => r,
            (Err(e), _) => Err(ServerError::Store(e)),
            (Ok(()), None) => Err(ServerError::Store("job did not run".to_owned())),
        };
        // The requester may have gone away (client disconnected); nothing to do then.
        let _ = self.reply.send(out);
    }
}

type Reply<T> = oneshot::Receiver<Result<T, ServerError>>;

/// A unit of work for the writer and where its answer will arrive.
fn job<T, F>(f: F) -> (Box<dyn WriteJob>, Reply<T>)
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, ServerError> + Send + 'static,
{
    let (reply, rx) = oneshot::channel();
    let job = Box::new(TypedJob {
        f: Some(f),
        result: None,
        reply,
    });
    (job, rx)
}

/// SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Option<mpsc::Sender<Box<dyn WriteJob>>>>,
    readers: Mutex<Vec<Connection>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut w) = self.writer.lock() {
            w.take();
        }
    }
}

fn configure(conn: &Connection, sync: Synchronous) -> Result<(), ServerError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(
        None,
        "synchronous",
        match sync {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), ServerError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    for (i, sql) in super::pending_migrations(version, MIGRATIONS)? {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// The writer's side of the checkpoint thread.
struct Checkpoints {
    /// Set by the checkpoint thread when the WAL is long; the writer then completes a
    /// checkpoint between batches, after which its next transaction restarts the log.
    restart_wanted: Arc<AtomicBool>,
    /// Coalescing "there are new frames" signal; dropping it stops the checkpoint thread.
    wake: mpsc::SyncSender<()>,
}

/// SQLite's automatic checkpoint runs inside the committing writer and waits for two fsyncs
/// (WAL, then database), stalling every queued request for milliseconds. Here the writer only
/// appends to the WAL; this thread copies frames back (`PASSIVE`: it never blocks the writer
/// or readers). Durability is unchanged: commits under `synchronous=NORMAL` never fsync either way.
fn checkpoint_loop(conn: Connection, wake: mpsc::Receiver<()>, restart_wanted: Arc<AtomicBool>) {
    while wake.recv().is_ok() {
        let log = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
        // On an error, let the writer try: the WAL must not grow without bound.
        if log.map_or(true, |frames| frames > WAL_RESTART_FRAMES) {
            restart_wanted.store(true, Ordering::Relaxed);
        }
        thread::sleep(CHECKPOINT_EVERY);
    }
}

fn writer_loop(
    mut conn: Connection,
    rx: mpsc::Receiver<Box<dyn WriteJob>>,
    checkpoints: Checkpoints,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = run_batch(&mut conn, &mut batch);
        for job in batch {
            job.finish(commit.clone());
        }
        let _ = checkpoints.wake.try_send(());
        if checkpoints.restart_wanted.swap(false, Ordering::Relaxed) {
            // Only the frames written since the checkpoint thread's last pass are left to copy.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    }
}

fn run_batch(conn: &mut Connection, batch: &mut [Box<dyn WriteJob>]) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    // Cached statements: `Savepoint` would re-parse its SQL for every job.
    let exec = |sql: &str| -> Result<(), String> {
        tx.prepare_cached(sql)
            .and_then(|mut st| st.execute([]))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    for job in batch.iter_mut() {
        exec("SAVEPOINT job")?;
        if !job.run(&tx) {
            exec("ROLLBACK TO job")?;
        }
        exec("RELEASE job")?;
    }
    // A failed commit drops `tx`, which rolls everything back: no token is burned.
    tx.commit().map_err(|e| e.to_string())
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and start its writer thread.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ServerError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// [`SqliteStore::open`] with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, ServerError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        configure(&conn, options.synchronous)?;
        migrate(&mut conn)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // The writer walks random token hashes; a larger page cache spares it most re-reads
        // of index pages, and every write statement (about 16) stays prepared.
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        conn.set_prepared_statement_cache_capacity(64);
        let checkpointer = Connection::open(&path)?;
        checkpointer.busy_timeout(Duration::from_secs(5))?;
        let (wake, woken) = mpsc::sync_channel(1);
        let restart_wanted = Arc::new(AtomicBool::new(false));
        let checkpoints = Checkpoints {
            restart_wanted: Arc::clone(&restart_wanted),
            wake,
        };
        thread::Builder::new()
            .name("logout-lens-sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_loop(checkpointer, woken, restart_wanted))
            .map_err(|e| ServerError::Store(format!("cannot start the checkpoint thread: {e}")))?;
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("logout-lens-sqlite-writer".to_owned())
            .spawn(move || writer_loop(conn, rx, checkpoints))
            .map_err(|e| ServerError::Store(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(Some(tx)),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn write<T, F>(&self, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ServerError> + Send + 'static,
    {
        let (job, rx) = job(f);
        let sent = match self.inner.writer.lock() {
            Ok(guard) => guard.as_ref().is_some_and(|w| w.send(job).is_ok()),
            Err(_) => false,
        };
        Box::pin(async move {
            if !sent {
                return Err(ServerError::StoreClosed);
            }
            rx.await.map_err(|_| ServerError::StoreClosed)?
        })
    }

    fn read<T, F>(&self, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ServerError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let pooled = inner.readers.lock().ok().and_then(|mut r| r.pop());
                let conn = match pooled {
                    Some(c) => c,
                    None => {
                        let c = Connection::open_with_flags(
                            &inner.path,
                            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                        )?;
                        c.busy_timeout(std::time::Duration::from_secs(5))?;
                        c.pragma_update(None, "query_only", "ON")?;
                        c
                    }
                };
                let out = f(&conn);
                if let Ok(mut r) = inner.readers.lock() {
                    if r.len() < MAX_IDLE_READERS {
                        r.push(conn);
                    }
                }
                out
            })
            .await
            .map_err(|e| ServerError::Store(format!("reader task failed: {e}")))?
        })
    }
}

fn token_row(conn: &Connection, hash: &[u8; 32]) -> Result<Option<TokenRow>, ServerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.session_id, t.generation, t.rotated_ms, t.successor_sealed, s.user_id,
                s.generation, s.expires_ms, s.last_used_ms, s.revoked_ms, s.revoked_reason,
                s.remember_me, s.last_failure
           FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
          WHERE t.hash = ?1",
    )?;
    Ok(stmt
        .query_row(params![&hash[..]], |r| {
            Ok(TokenRow {
                session_id: r.get(0)?,
                token_generation: r.get(1)?,
                rotated_ms: r.get(2)?,
                sealed: r.get(3)?,
                user_id: r.get(4)?,
                generation: r.get(5)?,
                expires_ms: r.get(6)?,
                last_used_ms: r.get(7)?,
                revoked_ms: r.get(8)?,
                revoked_reason: r.get(9)?,
                remember_me: r.get(10)?,
                last_failure: r.get(11)?,
            })
        })
        .optional()?)
}

fn rotate_in(conn: &Connection, req: &RotateRequest) -> Result<RotateOutcome, ServerError> {
    let Some(row) = token_row(conn, &req.presented_hash)? else {
        return Ok(RotateOutcome::Refused(RefreshFailure::NotFound));
    };
    let refuse = |failure: RefreshFailure| -> Result<RotateOutcome, ServerError> {
        conn.prepare_cached(
            "UPDATE sessions SET last_failure = ?1, last_failure_ms = ?2 WHERE id = ?3",
        )?
        .execute(params![failure.code(), req.now_ms, row.session_id])?;
        Ok(RotateOutcome::Refused(failure))
    };
    match decide(&row, req) {
        Step::Refuse(failure) => refuse(failure),
        Step::Replay { session, sealed } => Ok(RotateOutcome::Replayed { session, sealed }),
        Step::RevokeReused => {
            conn.prepare_cached(
                "UPDATE sessions SET revoked_ms = ?1, revoked_reason = 'reused'
                  WHERE id = ?2 AND revoked_ms IS NULL",
            )?
            .execute(params![req.now_ms, row.session_id])?;
            refuse(RefreshFailure::Reused)
        }
        Step::Advance(info) => {
            // The compare-and-swap: only a writer that still sees `generation` advances it.
            let swapped = conn
                .prepare_cached(
                    "UPDATE sessions SET generation = generation + 1, last_used_ms = ?1
                      WHERE id = ?2 AND generation = ?3 AND revoked_ms IS NULL",
                )?
                .execute(params![req.now_ms, row.session_id, row.generation])?;
            if swapped != 1 {
                return Ok(RotateOutcome::Refused(RefreshFailure::Reused));
            }
            conn.prepare_cached(
                "UPDATE refresh_tokens SET rotated_ms = ?1, successor_sealed = ?2 WHERE hash = ?3",
            )?
            .execute(params![
                req.now_ms,
                &req.successor_sealed[..],
                &req.presented_hash[..]
            ])?;
            conn.prepare_cached(
                "INSERT INTO refresh_tokens (hash, session_id, generation, issued_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                &req.successor_hash[..],
                row.session_id,
                info.generation,
                req.now_ms
            ])?;
            Ok(RotateOutcome::Rotated(info))
        }
    }
}

fn opt_text(s: &Option<String>) -> Option<&str> {
    s.as_deref()
}

impl Store for SqliteStore {
    fn create_session(&self, s: NewSession) -> StoreFuture<'_, ()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO sessions (id, user_id, device_id, remember_me, created_ms, expires_ms,
                                       last_used_ms, generation)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, 0)",
            )?
            .execute(params![
                s.session_id,
                s.user_id,
                s.device_id,
                s.remember_me,
                s.now_ms,
                s.expires_ms
            ])?;
            conn.prepare_cached(
                "INSERT INTO refresh_tokens (hash, session_id, generation, issued_ms)
                 VALUES (?1, ?2, 0, ?3)",
            )?
            .execute(params![&s.token_hash[..], s.session_id, s.now_ms])?;
            Ok(())
        })
    }

    fn rotate(&self, request: RotateRequest) -> StoreFuture<'_, RotateOutcome> {
        self.write(move |conn| rotate_in(conn, &request))
    }

    fn revoke_by_token(
        &self,
        hash: [u8; 32],
        reason: &'static str,
        now_ms: i64,
    ) -> StoreFuture<'_, Option<String>> {
        self.write(move |conn| {
            let Some(row) = token_row(conn, &hash)? else {
                return Ok(None);
            };
            conn.prepare_cached(
                "UPDATE sessions SET revoked_ms = ?1, revoked_reason = ?2
                  WHERE id = ?3 AND revoked_ms IS NULL",
            )?
            .execute(params![now_ms, reason, row.session_id])?;
            Ok(Some(row.session_id))
        })
    }

    fn session(&self, session_id: String, now_ms: i64) -> StoreFuture<'_, Option<SessionView>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, expires_ms, revoked_ms, revoked_reason, last_failure
                   FROM sessions WHERE id = ?1",
            )?;
            Ok(stmt
                .query_row(params![session_id], |r| {
                    let revoked_ms: Option<i64> = r.get(2)?;
                    Ok(SessionView {
                        session_id: session_id.clone(),
                        user_id: r.get(0)?,
                        status: session_status(revoked_ms, r.get(1)?, now_ms).to_owned(),
                        revoked_reason: r.get(3)?,
                        last_failure: r.get(4)?,
                    })
                })
                .optional()?)
        })
    }

    fn token_view(&self, hash: [u8; 32], now_ms: i64) -> StoreFuture<'_, Option<SessionView>> {
        self.read(move |conn| {
            Ok(token_row(conn, &hash)?.map(|row| {
                let status = token_status(&row, now_ms);
                SessionView {
                    session_id: row.session_id,
                    user_id: row.user_id,
                    status: status.to_owned(),
                    revoked_reason: row.revoked_reason,
                    last_failure: row.last_failure,
                }
            }))
        })
    }

    fn record_logout_event(&self, e: LogoutEventRecord) -> StoreFuture<'_, i64> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO logout_events (received_ms, client_ip, user_agent, format, report_type,
                    message, idle_minutes, location, reported_user_id, reported_email,
                    server_user_id, server_session_id, token_status, server_reason, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                e.received_ms,
                opt_text(&e.client_ip),
                opt_text(&e.user_agent),
                e.format,
                e.report_type,
                opt_text(&e.message),
                e.idle_minutes,
                opt_text(&e.location),
                opt_text(&e.reported_user_id),
                opt_text(&e.reported_email),
                opt_text(&e.server_user_id),
                opt_text(&e.server_session_id),
                opt_text(&e.token_status),
                opt_text(&e.server_reason),
                e.payload,
            ])?;
            Ok(conn.last_insert_rowid())
        })
    }

    fn recent_logout_events(&self, limit: usize) -> StoreFuture<'_, Vec<LogoutEventRecord>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT received_ms, client_ip, user_agent, format, report_type, message,
                        idle_minutes, location, reported_user_id, reported_email, server_user_id,
                        server_session_id, token_status, server_reason, payload
                   FROM logout_events ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit as i64], |r| {
                Ok(LogoutEventRecord {
                    received_ms: r.get(0)?,
                    client_ip: r.get(1)?,
                    user_agent: r.get(2)?,
                    format: r.get(3)?,
                    report_type: r.get(4)?,
                    message: r.get(5)?,
                    idle_minutes: r.get(6)?,
                    location: r.get(7)?,
                    reported_user_id: r.get(8)?,
                    reported_email: r.get(9)?,
                    server_user_id: r.get(10)?,
                    server_session_id: r.get(11)?,
                    token_status: r.get(12)?,
                    server_reason: r.get(13)?,
                    payload: r.get(14)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn forget_sessions_created_before(&self, cutoff_ms: i64) -> StoreFuture<'_, u64> {
        self.write(move |conn| {
            let n = conn
                .prepare_cached("DELETE FROM sessions WHERE created_ms < ?1")?
                .execute(params![cutoff_ms])?;
            Ok(n as u64)
        })
    }

    fn prune_sessions_expired_before(&self, cutoff_ms: i64) -> StoreFuture<'_, u64> {
        self.write(move |conn| {
            let n = conn
                .prepare_cached("DELETE FROM sessions WHERE expires_ms < ?1")?
                .execute(params![cutoff_ms])?;
            Ok(n as u64)
        })
    }

    fn prune_logout_events(&self, cutoff_ms: i64) -> StoreFuture<'_, u64> {
        self.write(move |conn| {
            let n = conn
                .prepare_cached("DELETE FROM logout_events WHERE received_ms < ?1")?
                .execute(params![cutoff_ms])?;
            Ok(n as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn_at(path: &Path) -> Connection {
        let mut conn = Connection::open(path).unwrap();
        configure(&conn, Synchronous::Normal).unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO sessions (id, user_id, remember_me, created_ms, expires_ms, last_used_ms)
             VALUES ('s1', 'u', 1, 0, 1000000, 0);
             INSERT INTO refresh_tokens (hash, session_id, generation, issued_ms)
             VALUES (x'0101010101010101010101010101010101010101010101010101010101010101', 's1', 0, 0);",
        )
        .unwrap();
        conn
    }

    fn rotate_job(presented: u8, successor: u8) -> (Box<dyn WriteJob>, Reply<RotateOutcome>) {
        let req = RotateRequest {
            presented_hash: [presented; 32],
            successor_hash: [successor; 32],
            successor_sealed: [0; 32],
            now_ms: 10,
            grace_ms: 10_000,
            idle_timeout_ms: None,
        };
        job(move |conn| rotate_in(conn, &req))
    }

    fn generation(conn: &Connection) -> i64 {
        conn.query_row("SELECT generation FROM sessions WHERE id = 's1'", [], |r| {
            r.get(0)
        })
        .unwrap()
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn run(conn: &mut Connection, jobs: Vec<Box<dyn WriteJob>>) -> Result<(), String> {
        let mut batch = jobs;
        let commit = run_batch(conn, &mut batch);
        for j in batch {
            j.finish(commit.clone());
        }
        commit
    }

    #[test]
    fn a_failing_job_rolls_back_alone_and_its_batch_commits() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = conn_at(&dir.path().join("b.db"));
        let (before, before_rx) = job(|conn| {
            conn.execute("INSERT INTO logout_events (received_ms, format, report_type, payload) VALUES (1, 'app', 'a', '{}')", [])?;
            Ok(())
        });
        // Writes a row, then fails: its own row must vanish with it.
        let (bad, bad_rx) = job(|conn| {
            conn.execute("INSERT INTO logout_events (received_ms, format, report_type, payload) VALUES (2, 'app', 'bad', '{}')", [])?;
            conn.execute("INSERT INTO sessions (id, user_id, remember_me, created_ms, expires_ms, last_used_ms) VALUES ('s1', 'dup', 1, 0, 1, 0)", [])?;
            Ok(())
        });
        let (rotate, rotate_rx) = rotate_job(1, 2);
        run(&mut conn, vec![before, bad, rotate]).unwrap();
        assert!(before_rx.blocking_recv().unwrap().is_ok());
        let err = bad_rx.blocking_recv().unwrap().unwrap_err();
        assert_eq!(err.status(), 500, "{err}");
        assert!(matches!(
            rotate_rx.blocking_recv().unwrap().unwrap(),
            RotateOutcome::Rotated(_)
        ));
        assert_eq!(generation(&conn), 1);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM logout_events WHERE report_type = 'bad'"
            ),
            0
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM logout_events"), 1);
        assert_eq!(count(&conn, "SELECT count(*) FROM refresh_tokens"), 2);
    }

    #[test]
    fn a_failed_commit_answers_every_job_with_an_error_and_burns_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = conn_at(&dir.path().join("c.db"));
        let (rotate, rotate_rx) = rotate_job(1, 2);
        // A deferred foreign-key violation passes its savepoint and fails only at COMMIT.
        let (dangling, dangling_rx) = job(|conn| {
            conn.execute_batch(
                "PRAGMA defer_foreign_keys = ON;
                 INSERT INTO refresh_tokens (hash, session_id, generation, issued_ms)
                 VALUES (x'09', 'no-such-session', 0, 0);",
            )?;
            Ok(())
        });
        let commit = run(&mut conn, vec![rotate, dangling]);
        assert!(commit.is_err(), "the commit must fail");
        let err = rotate_rx.blocking_recv().unwrap().unwrap_err();
        assert_eq!(err.status(), 500, "{err}");
        assert!(dangling_rx.blocking_recv().unwrap().is_err());
        assert!(conn.is_autocommit(), "the batch was rolled back");
        assert_eq!(generation(&conn), 0, "the presented token still works");
        assert_eq!(count(&conn, "SELECT count(*) FROM refresh_tokens"), 1);
        // And the writer carries on: the same rotation now succeeds.
        let (again, again_rx) = rotate_job(1, 2);
        run(&mut conn, vec![again]).unwrap();
        assert!(matches!(
            again_rx.blocking_recv().unwrap().unwrap(),
            RotateOutcome::Rotated(_)
        ));
        assert_eq!(generation(&conn), 1);
    }

    #[tokio::test]
    async fn checkpoints_run_beside_the_writer_and_the_log_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let store = SqliteStore::open(&path).unwrap();
        let wal = dir.path().join("w.db-wal");
        let event = LogoutEventRecord {
            format: "app".into(),
            report_type: "TOKEN_EXPIRED".into(),
            payload: "x".repeat(2000),
            ..Default::default()
        };
        // One commit per event: far more frames than the restart threshold.
        for _ in 0..4 * WAL_RESTART_FRAMES {
            store.record_logout_event(event.clone()).await.unwrap();
        }
        tokio::time::sleep(CHECKPOINT_EVERY * 4).await;
        let page = 4096 + 24;
        let wal_len = std::fs::metadata(&wal).unwrap().len();
        assert!(
            wal_len < (3 * WAL_RESTART_FRAMES as u64) * page,
            "the log restarts instead of growing: {wal_len} bytes"
        );
        let db_len = std::fs::metadata(&path).unwrap().len();
        assert!(
            db_len > 2 * WAL_RESTART_FRAMES as u64 * 2000,
            "committed pages reached the database file without an automatic checkpoint: {db_len}"
        );
    }

    #[tokio::test]
    async fn an_older_schema_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute("INSERT INTO sessions (id, user_id, remember_me, created_ms, expires_ms, last_used_ms) VALUES ('old', 'u', 1, 0, 10, 0)", []).unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        let view = s.session("old".into(), 5).await.unwrap().unwrap();
        assert_eq!(view.last_failure, None);
        let conn = Connection::open(&path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        drop(conn);
        drop(s);
        let newer = Connection::open(&path).unwrap();
        newer.pragma_update(None, "user_version", 99).unwrap();
        assert!(
            SqliteStore::open(&path).is_err(),
            "a newer schema is refused, not clobbered"
        );
    }
}
