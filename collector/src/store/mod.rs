//! The SQLite event store.
//!
//! WAL mode so CLI readers never block the host; one transaction per batch so
//! an ack means every event of the batch is committed; `(trace, id)` unique so
//! a replayed event is counted as a duplicate instead of stored twice.

mod migrations;
mod private;
mod read;
mod retention;

use std::path::{Path, PathBuf};

use logout_lens_model::{Event, EventKind, Redactor};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

pub use migrations::{MIN_READABLE_VERSION, SCHEMA_VERSION};
pub use private::is_private;
pub use read::{
    DIAGNOSIS_AFTER_MS, DIAGNOSIS_BEFORE_MS, Filter, ImportRow, LogoutRow, Stats, StoredEvent,
};
pub use retention::PruneOutcome;

use crate::error::{CollectorError, Result};

/// Identifies a trace: [`LOCAL`] for the local browser, or an import.
pub type TraceId = i64;
/// The local browser's trace.
pub const LOCAL: TraceId = 0;

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL`: a committed batch survives a crash of the host
    /// or the browser; the last commits may be lost on power failure.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is fsynced.
    Full,
}

/// An event ready to insert: checked, with its stored form.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub ts_ms: i64,
    pub origin: Option<String>,
    pub kind: String,
    pub is_logout: bool,
    /// The canonical wire JSON.
    pub body: String,
}

impl NewEvent {
    /// The stored form of a parsed event, re-serialized canonically.
    pub fn from_event(event: &Event) -> Result<NewEvent> {
        let body = match event.kind {
            // A body this build does not know could hold a key the envelope
            // has too; through a map, the flat wire form cannot emit it twice
            // (which would not parse back).
            EventKind::Other { .. } => serde_json::to_string(&serde_json::to_value(event)?)?,
            // Known kinds name no field like an envelope field.
            _ => serde_json::to_string(event)?,
        };
        Ok(NewEvent::with_body(event, body))
    }

    /// The stored form of a parsed event whose wire JSON is `body`.
    pub fn with_body(event: &Event, body: String) -> NewEvent {
        NewEvent {
            id: event.id.0.clone(),
            ts_ms: event.ts_ms,
            origin: event.origin.clone(),
            kind: event.kind.name().to_owned(),
            is_logout: event.is_logout(),
            body,
        }
    }
}

/// What one batch insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InsertOutcome {
    pub stored: usize,
    pub duplicates: usize,
}

impl InsertOutcome {
    /// Counts one insert: stored when it added a row, else a duplicate.
    fn count(&mut self, stored: bool) {
        if stored {
            self.stored += 1;
        } else {
            self.duplicates += 1;
        }
    }
}

/// One event into `events`; an id already in the trace is left as it is.
const INSERT_EVENT: &str =
    "INSERT INTO events (trace, id, ts_ms, origin, kind, is_logout, received_ms, body)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
     ON CONFLICT (trace, id) DO NOTHING";

/// Runs [`INSERT_EVENT`] for `e`; true when the row was added.
fn insert_event(
    stmt: &mut rusqlite::CachedStatement<'_>,
    trace: TraceId,
    e: &NewEvent,
    received_ms: i64,
) -> Result<bool> {
    let n = stmt.execute(params![
        trace,
        e.id,
        e.ts_ms,
        e.origin,
        e.kind,
        e.is_logout,
        received_ms,
        e.body
    ])?;
    Ok(n == 1)
}

/// What an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOutcome {
    pub trace: TraceId,
    pub stored: usize,
    /// Events repeated within the file (same id), stored once.
    pub duplicates: usize,
}

/// An open event database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    read_only: bool,
    /// Set when a read-only open found rows stored before ingest scrubbing
    /// (an older schema it may not migrate): reads scrub them on the way out.
    scrub_reads: Option<Redactor>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it. A
    /// new folder and file are private to the user (see [`is_private`]).
    pub fn open(path: &Path, durability: Durability) -> Result<Store> {
        private::prepare(path)?;
        let conn = Connection::open(path)?;
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
            read_only: false,
            scrub_reads: None,
        };
        store.setup(durability)?;
        migrations::migrate(&mut store.conn)?;
        Ok(store)
    }

    /// Opens an existing database for reading only: nothing is created,
    /// migrated or written, so it works on a read-only file or folder (where
    /// SQLite cannot make its `-shm` file, the database is opened as
    /// immutable: no writer can be using it there either).
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(CollectorError::Io {
                op: "open",
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no database yet"),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let version_of = |c: &Connection| c.query_row("PRAGMA user_version", [], |r| r.get(0));
        let first = Connection::open_with_flags(path, flags)
            .and_then(|c| version_of(&c).map(|v: i64| (c, v)));
        let (conn, version) = match first {
            Ok(ok) => ok,
            Err(e) if cannot_open(&e) => {
                let c = Connection::open_with_flags(immutable_uri(path), flags)?;
                let v = version_of(&c)?;
                (c, v)
            }
            Err(e) => return Err(e.into()),
        };
        if version > SCHEMA_VERSION {
            return Err(CollectorError::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < MIN_READABLE_VERSION {
            return Err(CollectorError::NotADatabase(path.to_path_buf()));
        }
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
            read_only: true,
            scrub_reads: None,
        };
        store
            .conn
            .busy_timeout(std::time::Duration::from_secs(10))?;
        if version < SCHEMA_VERSION {
            store.scrub_reads = Some(store.redactor()?);
        }
        Ok(store)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Store> {
        let mut store = Store {
            conn: Connection::open_in_memory()?,
            path: None,
            read_only: false,
            scrub_reads: None,
        };
        store.setup(Durability::Normal)?;
        migrations::migrate(&mut store.conn)?;
        Ok(store)
    }

    fn setup(&mut self, durability: Durability) -> Result<()> {
        self.conn.busy_timeout(std::time::Duration::from_secs(10))?;
        if self.path.is_some() {
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(mode, "could not enable WAL");
            }
        }
        let sync = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        self.conn.pragma_update(None, "synchronous", sync)?;
        Ok(())
    }

    /// Whether this store was opened with [`Store::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The schema version of the database as it is on disk.
    pub fn schema_version(&self) -> Result<i64> {
        migrations::version(&self.conn)
    }

    /// The database file, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying connection (benchmarks and tests).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Inserts a batch in one transaction: all of it is committed, or none.
    pub fn insert_batch(
        &mut self,
        trace: TraceId,
        events: &[NewEvent],
        received_ms: i64,
    ) -> Result<InsertOutcome> {
        let tx = self.conn.transaction()?;
        let mut out = InsertOutcome::default();
        {
            let mut stmt = tx.prepare_cached(INSERT_EVENT)?;
            for e in events {
                out.count(insert_event(&mut stmt, trace, e, received_ms)?);
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Sets SQLite's page cache for this connection to about `bytes` (a
    /// large import keeps more of its index pages in memory instead of
    /// spilling them to the WAL again and again).
    pub fn set_cache_bytes(&self, bytes: u64) -> Result<()> {
        let kib = i64::try_from(bytes / 1024).unwrap_or(i64::MAX).max(2_000);
        self.conn.pragma_update(None, "cache_size", -kib)?;
        Ok(())
    }

    /// Imports one trace in one transaction: a new trace named `name`
    /// (from a file whose SHA-256 is `digest`), filled by `fill`, which
    /// hands each event to the sink it is given. All of it is stored, or
    /// nothing (an error from `fill` or the sink leaves no trace behind).
    /// A file imported before is not stored again:
    /// [`CollectorError::AlreadyImported`] names its trace.
    pub fn import_trace(
        &mut self,
        name: &str,
        digest: &str,
        imported_ms: i64,
        fill: impl FnOnce(&mut dyn FnMut(NewEvent) -> Result<()>) -> Result<()>,
    ) -> Result<ImportOutcome> {
        let tx = self.conn.transaction()?;
        let earlier: Option<(TraceId, String)> = tx
            .query_row(
                "SELECT id, name FROM traces WHERE digest = ?1",
                [digest],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((trace, name)) = earlier {
            return Err(CollectorError::AlreadyImported { trace, name });
        }
        tx.execute(
            "INSERT INTO traces (name, imported_ms, digest) VALUES (?1, ?2, ?3)",
            params![name, imported_ms, digest],
        )?;
        let trace = tx.last_insert_rowid();
        let mut out = InsertOutcome::default();
        {
            let mut stmt = tx.prepare_cached(INSERT_EVENT)?;
            fill(&mut |e: NewEvent| {
                out.count(insert_event(&mut stmt, trace, &e, imported_ms)?);
                Ok(())
            })?;
        }
        tx.commit()?;
        Ok(ImportOutcome {
            trace,
            stored: out.stored,
            duplicates: out.duplicates,
        })
    }

    /// Registers an imported trace and returns its id.
    pub fn create_trace(&mut self, name: &str, imported_ms: i64) -> Result<TraceId> {
        self.conn.execute(
            "INSERT INTO traces (name, imported_ms) VALUES (?1, ?2)",
            params![name, imported_ms],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The per-install redaction secret, created on first use (a read-only
    /// store that has none gets a random one for this process: its
    /// placeholders are then consistent within one command only).
    pub fn install_secret(&mut self) -> Result<Vec<u8>> {
        if !self.read_only {
            return migrations::install_secret(&self.conn);
        }
        if let Some(s) = migrations::stored_secret(&self.conn)? {
            return Ok(s);
        }
        let mut secret = vec![0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| CollectorError::Random(e.to_string()))?;
        Ok(secret)
    }

    /// The model's scrubber under this install's secret: what ingest, import
    /// and export apply.
    pub fn redactor(&mut self) -> Result<Redactor> {
        Ok(Redactor::new(&self.install_secret()?, Default::default())?)
    }
}

/// SQLite could not open the file (or its `-shm` file) for reading.
fn cannot_open(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    )
}

/// `file:/path?immutable=1`, with the characters a URI gives meaning to escaped.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", u32::from(c))),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use logout_lens_model::event::{EventKind, IdleState, IdleStateChange};

    fn ev(id: &str, ts: i64) -> NewEvent {
        let e = Event::new(
            id,
            ts,
            EventKind::IdleState(IdleStateChange {
                state: IdleState::Idle,
            }),
        )
        .with_origin("https://a.test");
        NewEvent::from_event(&e).unwrap()
    }

    #[test]
    fn replay_is_idempotent() {
        let mut s = Store::in_memory().unwrap();
        let batch = [ev("a", 1), ev("b", 2)];
        assert_eq!(
            s.insert_batch(LOCAL, &batch, 0).unwrap(),
            InsertOutcome {
                stored: 2,
                duplicates: 0
            }
        );
        let again = [ev("b", 2), ev("c", 3)];
        assert_eq!(
            s.insert_batch(LOCAL, &again, 0).unwrap(),
            InsertOutcome {
                stored: 1,
                duplicates: 1
            }
        );
        assert_eq!(s.stats(LOCAL).unwrap().events, 3);
    }

    #[test]
    fn imports_are_kept_apart() {
        let mut s = Store::in_memory().unwrap();
        s.insert_batch(LOCAL, &[ev("a", 1)], 0).unwrap();
        let t = s.create_trace("support.json", 5).unwrap();
        assert_ne!(t, LOCAL);
        assert_eq!(s.insert_batch(t, &[ev("a", 1)], 0).unwrap().stored, 1);
        assert_eq!(s.stats(LOCAL).unwrap().events, 1);
        assert_eq!(s.stats(t).unwrap().events, 1);
    }

    #[test]
    fn migrations_are_recorded_and_newer_schema_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.db");
        drop(Store::open(&p, Durability::Normal).unwrap());
        let c = Connection::open(&p).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(c);
        assert!(matches!(
            Store::open(&p, Durability::Normal),
            Err(CollectorError::SchemaTooNew { .. })
        ));
    }

    #[test]
    fn secret_is_stable() {
        let mut s = Store::in_memory().unwrap();
        let a = s.install_secret().unwrap();
        assert_eq!(a.len(), 32);
        assert_eq!(s.install_secret().unwrap(), a);
    }
}
