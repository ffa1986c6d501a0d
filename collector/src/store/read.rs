//! Queries over the store.

use logout_lens_model::wire::parse_event;
use logout_lens_model::{Event, Site};
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Serialize;

use super::{Store, TraceId};
use crate::error::{CollectorError, Result};

/// How far before a logout the diagnosis looks.
pub const DIAGNOSIS_BEFORE_MS: i64 = 24 * 3_600_000;
/// How far after a logout the diagnosis looks.
pub const DIAGNOSIS_AFTER_MS: i64 = 10 * 60_000;

/// Which events a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub trace: TraceId,
    pub origin: Option<String>,
    /// `origin` names a site: its events as the diagnosis counts them
    /// (`logout_lens_model::Site`: that origin's, and those without an
    /// origin that belong to every site, such as idle state, sleep or a
    /// cookie shared by several sites of its host), not only the rows
    /// carrying that origin.
    pub site: bool,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub logouts_only: bool,
    /// Newest N (the result is still oldest first).
    pub limit: Option<u32>,
    /// Only rows inserted after this store sequence number (for `tail`).
    pub after_seq: Option<i64>,
}

/// An event with its store bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// Insertion order in this database.
    pub seq: i64,
    pub received_ms: i64,
    pub event: Event,
}

/// One logout as listings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogoutRow {
    pub id: String,
    pub ts_ms: i64,
    pub origin: Option<String>,
    pub kind: String,
}

/// Counts for `doctor` and the popup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub events: i64,
    pub logouts: i64,
    pub first_ts_ms: Option<i64>,
    pub last_ts_ms: Option<i64>,
    pub last_received_ms: Option<i64>,
}

/// An imported trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRow {
    pub trace: TraceId,
    pub name: String,
    pub imported_ms: i64,
    pub events: i64,
}

impl Store {
    /// A stored body as an event (scrubbed when the rows predate ingest
    /// scrubbing and could not be migrated).
    fn decode(&self, body: &str) -> Result<Event> {
        let mut event = parse_event(body.as_bytes())?;
        if let Some(r) = &self.scrub_reads {
            r.scrub_event(&mut event);
        }
        Ok(event)
    }

    /// Events matching `filter`, oldest first.
    pub fn events(&self, filter: &Filter) -> Result<Vec<StoredEvent>> {
        let mut sql =
            String::from("SELECT seq, received_ms, body, ts_ms FROM events WHERE trace = ?");
        let mut args: Vec<SqlValue> = vec![filter.trace.into()];
        if let Some(o) = &filter.origin {
            // For a site, the rows without an origin too; `Site::holds` below
            // keeps those that belong to it.
            sql.push_str(if filter.site {
                " AND (origin = ? OR origin IS NULL)"
            } else {
                " AND origin = ?"
            });
            args.push(o.clone().into());
        }
        if let Some(s) = filter.since_ms {
            sql.push_str(" AND ts_ms >= ?");
            args.push(s.into());
        }
        if let Some(u) = filter.until_ms {
            sql.push_str(" AND ts_ms <= ?");
            args.push(u.into());
        }
        if filter.logouts_only {
            sql.push_str(" AND is_logout = 1");
        }
        if let Some(a) = filter.after_seq {
            sql.push_str(" AND seq > ?");
            args.push(a.into());
        }
        let order = if filter.after_seq.is_some() {
            "seq"
        } else {
            "ts_ms"
        };
        match filter.limit {
            Some(n) => {
                sql = format!(
                    "SELECT seq, received_ms, body, ts_ms FROM ({sql} ORDER BY {order} DESC, seq DESC LIMIT {n}) \
                     ORDER BY {order}, seq"
                )
            }
            None => sql.push_str(&format!(" ORDER BY {order}, seq")),
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let site = Site::new(filter.origin.as_deref().filter(|_| filter.site));
        let mut out = Vec::new();
        for row in rows {
            let (seq, received_ms, body) = row?;
            let event = self.decode(&body)?;
            if site.holds(&event) {
                out.push(StoredEvent {
                    seq,
                    received_ms,
                    event,
                });
            }
        }
        Ok(out)
    }

    /// One event by id.
    pub fn event(&self, trace: TraceId, id: &str) -> Result<StoredEvent> {
        let row: Option<(i64, i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, received_ms, body FROM events WHERE trace = ?1 AND id = ?2",
                params![trace, id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (seq, received_ms, body) =
            row.ok_or_else(|| CollectorError::NotFound(id.to_owned()))?;
        Ok(StoredEvent {
            seq,
            received_ms,
            event: self.decode(&body)?,
        })
    }

    /// The newest logouts, newest first.
    pub fn recent_logouts(
        &self,
        trace: TraceId,
        origin: Option<&str>,
        limit: u32,
    ) -> Result<Vec<LogoutRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, ts_ms, origin, kind FROM events
             WHERE trace = ?1 AND is_logout = 1 AND (?2 IS NULL OR origin = ?2)
             ORDER BY ts_ms DESC, seq DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![trace, origin, limit], |r| {
            Ok(LogoutRow {
                id: r.get(0)?,
                ts_ms: r.get(1)?,
                origin: r.get(2)?,
                kind: r.get(3)?,
            })
        })?;
        let mut rows: Vec<LogoutRow> = rows.collect::<Result<_, _>>()?;
        if let Some(r) = &self.scrub_reads {
            // The same names the scrubbed events carry.
            for row in &mut rows {
                row.id = r.scrub_text(&row.id);
                row.origin = row.origin.as_deref().map(|o| r.url(o));
                row.kind = r.scrub_text(&row.kind);
            }
        }
        Ok(rows)
    }

    /// The events a diagnosis of `logout` needs: its site's (the model's
    /// `Site`, which the diagnosis narrows to again), from a day before to a
    /// few minutes after. Returns the logout too.
    pub fn diagnosis_window(
        &self,
        trace: TraceId,
        logout_id: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Option<(LogoutRow, Vec<Event>)>> {
        let logout = match logout_id {
            Some(id) => {
                let e = self.event(trace, id)?.event;
                LogoutRow {
                    id: e.id.0.clone(),
                    ts_ms: e.ts_ms,
                    origin: e.origin.clone(),
                    kind: e.kind.name().to_owned(),
                }
            }
            None => match self.recent_logouts(trace, origin, 1)?.into_iter().next() {
                Some(l) => l,
                None => return Ok(None),
            },
        };
        let events = self
            .events(&Filter {
                trace,
                origin: logout.origin.clone(),
                site: true,
                since_ms: Some(logout.ts_ms.saturating_sub(DIAGNOSIS_BEFORE_MS)),
                until_ms: Some(logout.ts_ms.saturating_add(DIAGNOSIS_AFTER_MS)),
                ..Filter::default()
            })?
            .into_iter()
            .map(|s| s.event)
            .collect();
        Ok(Some((logout, events)))
    }

    /// Counts and newest times for one trace.
    pub fn stats(&self, trace: TraceId) -> Result<Stats> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(is_logout), 0), MIN(ts_ms), MAX(ts_ms), MAX(received_ms)
             FROM events WHERE trace = ?1",
            params![trace],
            |r| {
                Ok(Stats {
                    events: r.get(0)?,
                    logouts: r.get(1)?,
                    first_ts_ms: r.get(2)?,
                    last_ts_ms: r.get(3)?,
                    last_received_ms: r.get(4)?,
                })
            },
        )?)
    }

    /// The highest store sequence number so far (0 when empty).
    pub fn max_seq(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
    }

    /// Every imported trace.
    pub fn imports(&self) -> Result<Vec<ImportRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.id, t.name, t.imported_ms, COUNT(e.seq) FROM traces t
             LEFT JOIN events e ON e.trace = t.id WHERE t.id <> 0
             GROUP BY t.id ORDER BY t.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ImportRow {
                trace: r.get(0)?,
                name: r.get(1)?,
                imported_ms: r.get(2)?,
                events: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
