//! Numbered schema migrations, tracked in `PRAGMA user_version`.
//!
//! Append only: migration N turns schema N-1 into schema N. Never edit one
//! that has shipped.

use rusqlite::Connection;

use crate::error::{CollectorError, Result};

/// Each entry is one migration; its index + 1 is the schema version it produces.
const MIGRATIONS: &[&str] = &[
    // 1: events keyed by (trace, id) so replays are idempotent; trace 0 is the
    // local browser, every import gets its own trace.
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY,
         value BLOB NOT NULL
     );
     CREATE TABLE traces (
         id          INTEGER PRIMARY KEY,
         name        TEXT NOT NULL,
         imported_ms INTEGER NOT NULL
     );
     INSERT INTO traces (id, name, imported_ms) VALUES (0, 'local', 0);
     CREATE TABLE events (
         seq         INTEGER PRIMARY KEY,
         trace       INTEGER NOT NULL,
         id          TEXT NOT NULL,
         ts_ms       INTEGER NOT NULL,
         origin      TEXT,
         kind        TEXT NOT NULL,
         is_logout   INTEGER NOT NULL,
         received_ms INTEGER NOT NULL,
         body        TEXT NOT NULL,
         UNIQUE (trace, id)
     );
     CREATE INDEX events_trace_ts ON events (trace, ts_ms);
     CREATE INDEX events_trace_origin_ts ON events (trace, origin, ts_ms);
     CREATE INDEX events_logouts ON events (trace, ts_ms) WHERE is_logout = 1;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`], one transaction per migration.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(CollectorError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
