//! Retention: drop old local events, keep the file under a size cap, remove
//! imported traces. The size cap deletes the oldest local events — only as
//! many as it takes, and none when deleting all of them would not be enough
//! (imported traces are the engineer's deliberate copies; `imports rm` removes
//! them).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{LOCAL, Store, TraceId};
use crate::error::{CollectorError, Result};

/// What a size prune did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PruneOutcome {
    /// Local events deleted.
    pub deleted: usize,
    /// The database's size (pages × page size) before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Bytes in live pages after (what a VACUUM would shrink the file to).
    pub used_after: u64,
    /// About what the database would use with no local event at all.
    pub floor_bytes: u64,
    /// Whether the database now fits. When it cannot (imports alone are
    /// larger than the cap), nothing is deleted.
    pub reached: bool,
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

    /// Deletes the oldest local events until the database uses at most
    /// `max_bytes`, and no more than that takes. With `compact`, the file is
    /// then vacuumed so it actually shrinks on disk; without, freed pages are
    /// reused by later inserts.
    pub fn prune_to_size(&mut self, max_bytes: u64, compact: bool) -> Result<PruneOutcome> {
        let before = self.db_bytes()?;
        let mut used = self.used_bytes()?;
        let floor = self.floor_bytes(used)?;
        let mut out = PruneOutcome {
            bytes_before: before,
            floor_bytes: floor,
            ..PruneOutcome::default()
        };
        if used > max_bytes && floor <= max_bytes {
            while used > max_bytes {
                let local = self.count(LOCAL)?;
                if local == 0 {
                    break;
                }
                // Bytes one local event holds, on average, from what is left
                // to free: delete about as many as the excess needs.
                let per_event = (used.saturating_sub(floor) / local as u64).max(1);
                let want = (used - max_bytes).div_ceil(per_event) as i64;
                let n = self.delete_oldest_local(want.clamp(1, local))?;
                if n == 0 {
                    break;
                }
                out.deleted += n;
                used = self.used_bytes()?;
            }
        }
        out.reached = used <= max_bytes;
        if compact && out.deleted > 0 {
            self.vacuum()?;
        }
        out.bytes_after = self.db_bytes()?;
        out.used_after = self.used_bytes()?;
        Ok(out)
    }

    /// Checkpoints the WAL and rewrites the file without its free pages.
    pub fn vacuum(&mut self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
        Ok(())
    }

    /// Deletes an imported trace and its events; the number of events deleted.
    pub fn delete_trace(&mut self, trace: TraceId) -> Result<usize> {
        if trace == LOCAL {
            return Err(CollectorError::BadArgument(
                "trace 0 is the local browser's events; use `prune` for those".into(),
            ));
        }
        let exists: Option<i64> = self
            .conn
            .query_row("SELECT id FROM traces WHERE id = ?1", [trace], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Err(CollectorError::BadArgument(format!(
                "no imported trace {trace} (see `logout-lens imports`)"
            )));
        }
        let tx = self.conn.transaction()?;
        let n = tx.execute("DELETE FROM events WHERE trace = ?1", [trace])?;
        tx.execute("DELETE FROM traces WHERE id = ?1", [trace])?;
        tx.commit()?;
        Ok(n)
    }

    fn delete_oldest_local(&mut self, n: i64) -> Result<usize> {
        let mut total = 0;
        while (total as i64) < n {
            let chunk = (n - total as i64).min(CHUNK);
            let done = self.conn.execute(
                "DELETE FROM events WHERE seq IN (
                     SELECT seq FROM events WHERE trace = ?1 ORDER BY ts_ms, seq LIMIT ?2)",
                params![LOCAL, chunk],
            )?;
            total += done;
            if (done as i64) < chunk {
                break;
            }
        }
        Ok(total)
    }

    fn count(&self, trace: TraceId) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE trace = ?1",
            [trace],
            |r| r.get(0),
        )?)
    }

    /// About what the database would use with every local event deleted:
    /// one page per table and index, plus the events' pages in proportion to
    /// the bytes that are not local events'.
    fn floor_bytes(&self, used: u64) -> Result<u64> {
        let (trees, page): (i64, i64) = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM sqlite_schema WHERE rootpage > 0) + 1, page_size
             FROM pragma_page_size()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (local, all): (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT SUM(CASE WHEN trace = ?1 THEN length(body) END), SUM(length(body)) FROM events",
            [LOCAL],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let fixed = (trees * page) as u64;
        let kept_share = match (local, all) {
            (_, None | Some(0)) => 0.0,
            (l, Some(a)) => 1.0 - l.unwrap_or(0) as f64 / a as f64,
        };
        Ok(fixed + (used.saturating_sub(fixed) as f64 * kept_share).ceil() as u64)
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

#[cfg(test)]
mod tests {
    use super::super::{NewEvent, Store};
    use super::*;
    use logout_lens_model::Event;
    use logout_lens_model::event::{EventKind, LogoutAction};

    fn rows(prefix: &str, n: usize) -> Vec<NewEvent> {
        (0..n)
            .map(|i| {
                let e = Event::new(
                    format!("{prefix}-{i:06}"),
                    i as i64,
                    EventKind::LogoutAction(LogoutAction {
                        label: Some("x".repeat(300)),
                    }),
                );
                NewEvent::from_event(&e).unwrap()
            })
            .collect()
    }

    #[test]
    fn deletes_only_what_the_cap_needs() {
        let mut s = Store::in_memory().unwrap();
        s.insert_batch(LOCAL, &rows("l", 4000), 0).unwrap();
        let used = s.used_bytes().unwrap();
        let cap = used * 3 / 4;
        let o = s.prune_to_size(cap, false).unwrap();
        assert!(o.reached && o.used_after <= cap, "{o:?}");
        let left = s.count(LOCAL).unwrap();
        // A quarter of the bytes is about a quarter of the rows; allow a few
        // pages of slack, not a deletion spree.
        assert!((2_850..3_100).contains(&left), "kept {left} of 4000: {o:?}");
        assert_eq!(o.deleted as i64 + left, 4000);
    }

    #[test]
    fn imports_over_the_cap_cost_no_local_event() {
        // Issue 18: with imports keeping the database over the cap, every
        // local event was deleted and the prune reported success.
        let mut s = Store::in_memory().unwrap();
        s.insert_batch(LOCAL, &rows("l", 500), 0).unwrap();
        let t = s.create_trace("big import", 1).unwrap();
        s.insert_batch(t, &rows("i", 4000), 0).unwrap();
        let cap = s.used_bytes().unwrap() / 2;
        let o = s.prune_to_size(cap, true).unwrap();
        assert!(!o.reached, "{o:?}");
        assert_eq!(o.deleted, 0);
        assert!(o.floor_bytes > cap);
        assert_eq!(s.count(LOCAL).unwrap(), 500);
        // Removing the import makes room.
        assert_eq!(s.delete_trace(t).unwrap(), 4000);
        assert!(s.prune_to_size(cap, true).unwrap().reached);
        assert_eq!(s.count(LOCAL).unwrap(), 500, "nothing left to delete");
        assert!(s.delete_trace(t).is_err() && s.delete_trace(LOCAL).is_err());
    }

    #[test]
    fn an_unreachable_cap_deletes_nothing() {
        let mut s = Store::in_memory().unwrap();
        s.insert_batch(LOCAL, &rows("l", 100), 0).unwrap();
        let o = s.prune_to_size(1, true).unwrap();
        assert!(!o.reached);
        assert_eq!((o.deleted, s.count(LOCAL).unwrap()), (0, 100));
    }
}
