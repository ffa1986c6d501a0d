//! Numbered schema migrations (`collector/migrations/NNN_name.sql`), tracked
//! in `PRAGMA user_version`.
//!
//! Append only: migration N turns schema N-1 into schema N. Never edit one
//! that has shipped. A migration is its SQL file plus, when data must be
//! rewritten by code, a Rust step run in the same transaction.

use logout_lens_model::Redactor;
use logout_lens_model::wire::parse_event;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::NewEvent;
use crate::error::{CollectorError, Result};

struct Migration {
    sql: &'static str,
    then: Option<fn(&Transaction<'_>) -> Result<()>>,
}

/// Each entry is one migration; its index + 1 is the schema version it produces.
const MIGRATIONS: &[Migration] = &[
    Migration {
        sql: include_str!("../../migrations/001_events.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/002_rescrub.sql"),
        then: Some(rescrub),
    },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The oldest schema a read-only open can read as it is: every migration so
/// far keeps the tables' shape (a store opened read-only at an older version
/// scrubs what it reads instead of being rewritten).
pub const MIN_READABLE_VERSION: i64 = 1;

/// The schema version of an open database.
pub(crate) fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the database up to [`SCHEMA_VERSION`], one transaction per migration.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let current = version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(CollectorError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        if let Some(step) = m.then {
            step(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// The per-install redaction secret, created on first use.
pub(crate) fn install_secret(conn: &Connection) -> Result<Vec<u8>> {
    if let Some(secret) = stored_secret(conn)? {
        return Ok(secret);
    }
    let mut secret = vec![0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| CollectorError::Random(e.to_string()))?;
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('redaction_secret', ?1)",
        params![secret],
    )?;
    // Another process may have won the race; read back what is stored.
    stored_secret(conn)?.ok_or_else(|| CollectorError::Random("secret not stored".into()))
}

/// The secret, if one was made already (read-only opens cannot make one).
pub(crate) fn stored_secret(conn: &Connection) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'redaction_secret'",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

/// Rows are rewritten in chunks of this many, so memory stays flat.
const RESCRUB_CHUNK: i64 = 2_000;

/// Schema 2: every stored event goes through the model's scrubber (what
/// ingest and import do from this version on) and is stored in its canonical
/// form, which also drops fields the model does not know of known kinds.
/// A row that no longer parses is unreadable by every command; it is deleted
/// rather than kept with whatever it holds.
fn rescrub(tx: &Transaction<'_>) -> Result<()> {
    let redactor = Redactor::new(&install_secret(tx)?, Default::default())?;
    let (mut after, mut rewritten, mut dropped) = (0_i64, 0_usize, 0_usize);
    loop {
        let rows: Vec<(i64, String)> = tx
            .prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?
            .query_map(params![after, RESCRUB_CHUNK], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(&(last, _)) = rows.last() else { break };
        after = last;
        for (seq, body) in rows {
            let Ok(mut event) = parse_event(body.as_bytes()) else {
                tx.execute("DELETE FROM events WHERE seq = ?1", [seq])?;
                dropped += 1;
                continue;
            };
            redactor.scrub_event(&mut event);
            let clean = NewEvent::from_event(&event)?;
            if clean.body == body {
                continue;
            }
            let n = tx.execute(
                "UPDATE OR IGNORE events SET id = ?2, origin = ?3, kind = ?4, body = ?5 WHERE seq = ?1",
                params![seq, clean.id, clean.origin, clean.kind, clean.body],
            )?;
            if n == 0 {
                // Scrubbing made its id equal to another stored event's.
                tx.execute("DELETE FROM events WHERE seq = ?1", [seq])?;
                dropped += 1;
            } else {
                rewritten += 1;
            }
        }
    }
    tracing::info!(rewritten, dropped, "stored events re-scrubbed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Durability, Filter, LOCAL, Store};

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlU2VjcmV0";

    /// A database as version 1 left it: events stored as the producer sent
    /// them, secrets and all.
    fn version_1(path: &std::path::Path) {
        let c = Connection::open(path).unwrap();
        c.execute_batch(MIGRATIONS[0].sql).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        let rows = [
            format!(
                r#"{{"schema":1,"id":"a","ts_ms":1,"kind":"navigation","path":"/magic/{JWT}","url":"https://a.test/cb?code=rawCode1","leak":"Bearer rawBearer1"}}"#
            ),
            r#"{"schema":1,"id":"b","ts_ms":2,"kind":"debug","cookie":"sid=rawCookie1","note":"alice@example.com"}"#.to_owned(),
            format!(r#"{{"schema":1,"id":"id-{JWT}","ts_ms":3,"kind":"logout_action","label":"x"}}"#),
            r#"{"schema":1,"id":"c","ts_ms":4,"kind":"idle_state","state":"sleepy"}"#.to_owned(),
        ];
        for (i, body) in rows.iter().enumerate() {
            c.execute(
                "INSERT INTO events (trace, id, ts_ms, origin, kind, is_logout, received_ms, body)
                 VALUES (0, ?1, ?2, NULL, 'k', 0, 0, ?3)",
                params![format!("row{i}"), i as i64, body],
            )
            .unwrap();
        }
    }

    fn raw_bodies(path: &std::path::Path) -> String {
        let c = Connection::open(path).unwrap();
        let mut stmt = c.prepare("SELECT id || body FROM events").unwrap();
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.join("\n")
    }

    const SECRETS: [&str; 5] = [
        "c2lnbmF0dXJlU2VjcmV0",
        "rawCode1",
        "rawBearer1",
        "rawCookie1",
        "alice@",
    ];

    #[test]
    fn rows_stored_by_version_1_are_rescrubbed_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("events.db");
        version_1(&db);
        assert!(raw_bodies(&db).contains("rawBearer1"), "precondition");
        let store = Store::open(&db, Durability::Normal).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        drop(store);
        let text = raw_bodies(&db);
        for s in SECRETS {
            assert!(!text.contains(s), "{s} left in {text}");
        }
        assert!(
            text.contains("/magic/:REDACTED") && text.contains("code=REDACTED"),
            "{text}"
        );
        let store = Store::open(&db, Durability::Normal).unwrap();
        let events = store.events(&Filter::default()).unwrap();
        assert_eq!(events.len(), 3, "the row no longer valid is gone");
        assert!(events[2].event.id.as_str().starts_with("id-[fp:"));
        // Only once: the next open changes nothing.
        drop(store);
        let before = raw_bodies(&db);
        drop(Store::open(&db, Durability::Normal).unwrap());
        assert_eq!(raw_bodies(&db), before);
    }

    #[test]
    fn a_read_only_open_of_version_1_scrubs_what_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("events.db");
        version_1(&db);
        let mut store = Store::open_read_only(&db).unwrap();
        // The invalid row makes a listing fail, as it always did; the others read clean.
        assert!(store.events(&Filter::default()).is_err());
        let one = store.event(LOCAL, "row0").unwrap();
        let text = serde_json::to_string(&one.event).unwrap();
        for s in SECRETS {
            assert!(!text.contains(s), "{s} in {text}");
        }
        assert!(store.redactor().is_ok());
        assert!(
            raw_bodies(&db).contains("rawBearer1"),
            "read-only: nothing rewritten"
        );
    }
}
