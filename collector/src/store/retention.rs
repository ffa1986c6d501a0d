//! Retention: drop old local events, and keep the file under a size cap.
//! Imported traces are the engineer's deliberate copies and are never pruned.

use rusqlite::params;
use serde::Serialize;

use super::{LOCAL, Store};
use crate::error::Result;

/// What a prune removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PruneOutcome {
    pub deleted: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// Rows deleted per statement, so a large prune never holds one huge transaction.
const CHUNK: i64 = 5_000;

impl Store {
    /// Deletes local events older than `cutoff_ms`.
    pub fn prune_older_than(&mut self, cutoff_ms: i64) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.conn.execute(
                "DELETE FROM events WHERE seq IN (
                     SELECT seq FROM events WHERE trace = ?1 AND ts_ms < ?2 LIMIT ?3)",
                params![LOCAL, cutoff_ms, CHUNK],
            )?;
            total += n;
            if (n as i64) < CHUNK {
                return Ok(total);
            }
        }
    }

    /// Deletes the oldest local events until the database holds at most
    /// `max_bytes`. With `compact`, the file is then vacuumed so it actually
    /// shrinks on disk; without, freed pages are reused by later inserts.
    pub fn prune_to_size(&mut self, max_bytes: u64, compact: bool) -> Result<PruneOutcome> {
        let before = self.db_bytes()?;
        let mut deleted = 0;
        let mut used = self.used_bytes()?;
        while used > max_bytes {
            // Delete a share proportional to the excess, at least one chunk.
            let count: i64 = self.conn.query_row(
                "SELECT COUNT(*) FROM events WHERE trace = ?1",
                [LOCAL],
                |r| r.get(0),
            )?;
            if count == 0 {
                break;
            }
            let share = ((used - max_bytes) as f64 / used as f64 * count as f64).ceil() as i64;
            let n = self.conn.execute(
                "DELETE FROM events WHERE seq IN (
                     SELECT seq FROM events WHERE trace = ?1 ORDER BY ts_ms, seq LIMIT ?2)",
                params![LOCAL, share.clamp(1, CHUNK.max(share))],
            )?;
            if n == 0 {
                break;
            }
            deleted += n;
            used = self.used_bytes()?;
        }
        if compact && deleted > 0 {
            self.conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
        }
        Ok(PruneOutcome {
            deleted,
            bytes_before: before,
            bytes_after: self.db_bytes()?,
        })
    }

    /// Bytes in use by live pages (what the file shrinks to after VACUUM).
    pub fn used_bytes(&self) -> Result<u64> {
        let (count, free, size): (i64, i64, i64) = self.conn.query_row(
            "SELECT page_count, freelist_count, page_size
             FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(((count - free).max(0) * size) as u64)
    }

    /// The database's size in pages (file size once the WAL is checkpointed).
    pub fn db_bytes(&self) -> Result<u64> {
        let (count, size): (i64, i64) = self.conn.query_row(
            "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((count * size) as u64)
    }
}
