//! Queries over the store.

use logout_lens_model::wire::parse_event;
use logout_lens_model::{Event, Site, Target, narrow};
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Serialize;

use super::{Store, TraceId};
use crate::error::{CollectorError, Result};

/// How far before a logout the diagnosis looks.
pub const DIAGNOSIS_BEFORE_MS: i64 = 24 * 3_600_000;
/// How far after a logout the diagnosis looks.
pub const DIAGNOSIS_AFTER_MS: i64 = 10 * 60_000;

/// The newest logouts (`?1` trace, `?2` origin or NULL, `?3` limit).
const RECENT_LOGOUTS: &str = "SELECT id, ts_ms, origin, kind FROM events
     WHERE trace = ?1 AND is_logout = 1 AND (?2 IS NULL OR origin = ?2)
     ORDER BY ts_ms DESC, seq DESC LIMIT ?3";

/// The newest store sequence number.
const MAX_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) FROM events";

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
        let mut out = Vec::new();
        self.for_each_event(filter, |e| {
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` with each event matching `filter`, oldest first, reading
    /// one row at a time: memory stays flat however many match. Returns how
    /// many were passed on.
    pub fn for_each_event(
        &self,
        filter: &Filter,
        mut f: impl FnMut(StoredEvent) -> Result<()>,
    ) -> Result<usize> {
        let (sql, args) = select(filter, "seq, received_ms, body");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        let site = Site::new(filter.origin.as_deref().filter(|_| filter.site));
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let body = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            let event = self.decode(body)?;
            if site.holds(&event) {
                n += 1;
                f(StoredEvent {
                    seq: row.get(0)?,
                    received_ms: row.get(1)?,
                    event,
                })?;
            }
        }
        Ok(n)
    }

    /// How many rows match `filter` without its limit (a site's events
    /// counted as rows with its origin or none).
    pub fn count_events(&self, filter: &Filter) -> Result<u64> {
        self.count_events_upto(filter, u64::MAX)
    }

    /// [`Store::count_events`], counting no further than `cap` (cheap on a
    /// huge store: the count stops there).
    pub fn count_events_upto(&self, filter: &Filter, cap: u64) -> Result<u64> {
        let (rows, args) = select(
            &Filter {
                limit: None,
                ..filter.clone()
            },
            "1",
        );
        let cap = i64::try_from(cap).unwrap_or(i64::MAX);
        let sql = format!("SELECT COUNT(*) FROM ({rows} LIMIT {cap})");
        Ok(self
            .conn
            .query_row(&sql, params_from_iter(args), |r| r.get::<_, i64>(0))?
            .max(0) as u64)
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
        let mut stmt = self.conn.prepare_cached(RECENT_LOGOUTS)?;
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
    /// `Site`, which the diagnosis narrows to again), from its session's
    /// start to a few minutes after. Returns the logout too.
    ///
    /// The diagnosis reads nothing before the site's previous logout
    /// episode (`narrow`), so the window starts at that episode's last
    /// logout, and at most a day before: the rows read are one session's,
    /// however long the timeline.
    pub fn diagnosis_window(
        &self,
        trace: TraceId,
        logout_id: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Option<(LogoutRow, Vec<Event>)>> {
        let named = match logout_id {
            Some(id) => self.event(trace, id)?.event,
            None => match self.recent_logouts(trace, origin, 1)?.into_iter().next() {
                Some(l) => self.event(trace, &l.id)?.event,
                None => return Ok(None),
            },
        };
        let logout = LogoutRow {
            id: named.id.0.clone(),
            ts_ms: named.ts_ms,
            origin: named.origin.clone(),
            kind: named.kind.name().to_owned(),
        };
        let day_before = logout.ts_ms.saturating_sub(DIAGNOSIS_BEFORE_MS);
        let since = self
            .previous_episode_end(trace, &named, day_before)?
            .map_or(day_before, |p| p.max(day_before));
        let events = self
            .events(&Filter {
                trace,
                origin: logout.origin.clone(),
                site: true,
                since_ms: Some(since),
                until_ms: Some(logout.ts_ms.saturating_add(DIAGNOSIS_AFTER_MS)),
                ..Filter::default()
            })?
            .into_iter()
            .map(|s| s.event)
            .collect();
        Ok(Some((logout, events)))
    }

    /// The time of the last logout of `logout`'s site before the episode
    /// `logout` belongs to (episodes as the model groups them), if after
    /// `since`.
    fn previous_episode_end(
        &self,
        trace: TraceId,
        logout: &Event,
        since: i64,
    ) -> Result<Option<i64>> {
        let site_logouts: Vec<Event> = self
            .events(&Filter {
                trace,
                origin: logout.origin.clone(),
                site: true,
                since_ms: Some(since),
                until_ms: Some(logout.ts_ms),
                logouts_only: true,
                ..Filter::default()
            })?
            .into_iter()
            .map(|s| s.event)
            .collect();
        // Narrowed over logouts alone, the window starts at the episode's
        // first logout: whatever is before it ended the previous episode.
        let Ok(n) = narrow(&site_logouts, &Target::Id(logout.id.clone())) else {
            return Ok(None);
        };
        let first = n.events.first().map_or(logout.ts_ms, |e| e.ts_ms);
        Ok(site_logouts
            .iter()
            .filter(|e| e.ts_ms < first)
            .map(|e| e.ts_ms)
            .max())
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
        Ok(self.conn.query_row(MAX_SEQ, [], |r| r.get(0))?)
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

/// The SQL and arguments of a listing selecting `what`.
fn select(filter: &Filter, what: &str) -> (String, Vec<SqlValue>) {
    // After a sequence number (`tail`) the rowid range is the way in: the
    // `+` keeps SQLite from reading every row of the trace by its index.
    let mut cond = String::from(if filter.after_seq.is_some() {
        "+trace = ?"
    } else {
        "trace = ?"
    });
    let mut args: Vec<SqlValue> = vec![filter.trace.into()];
    if let Some(o) = &filter.origin {
        // For a site, the rows without an origin too; `Site::holds` keeps
        // those that belong to it.
        cond.push_str(if filter.site {
            " AND (origin = ? OR origin IS NULL)"
        } else {
            " AND origin = ?"
        });
        args.push(o.clone().into());
    }
    if let Some(s) = filter.since_ms {
        cond.push_str(" AND ts_ms >= ?");
        args.push(s.into());
    }
    if let Some(u) = filter.until_ms {
        cond.push_str(" AND ts_ms <= ?");
        args.push(u.into());
    }
    if filter.logouts_only {
        cond.push_str(" AND is_logout = 1");
    }
    if let Some(a) = filter.after_seq {
        cond.push_str(" AND seq > ?");
        args.push(a.into());
    }
    if what == "1" {
        // Counting: no order needed.
        return (format!("SELECT 1 FROM events WHERE {cond}"), args);
    }
    let order = if filter.after_seq.is_some() {
        "seq"
    } else {
        "ts_ms"
    };
    if let (Some(_), true, None, None, false) = (
        &filter.origin,
        filter.site,
        filter.limit,
        filter.after_seq,
        filter.logouts_only,
    ) {
        // A site's window: its origin's rows and the rows without an
        // origin, each read in time order from the (trace, origin, ts_ms)
        // index and merged, instead of every site's rows in that time.
        let site_cond = cond.replacen("(origin = ? OR origin IS NULL)", "origin = ?", 1);
        let machine_cond = cond.replacen("(origin = ? OR origin IS NULL)", "origin IS NULL", 1);
        let mut both = args.clone();
        let mut machine_args = args.clone();
        machine_args.remove(1);
        both.extend(machine_args);
        return (
            format!(
                "SELECT {what}, ts_ms AS t_, seq AS s_ FROM events WHERE {site_cond} \
                 UNION ALL SELECT {what}, ts_ms, seq FROM events WHERE {machine_cond} \
                 ORDER BY t_, s_"
            ),
            both,
        );
    }
    let sql = match filter.limit {
        // The newest N, then oldest first.
        Some(n) => format!(
            "SELECT {what} FROM (SELECT * FROM events WHERE {cond} \
             ORDER BY {order} DESC, seq DESC LIMIT {n}) ORDER BY {order}, seq"
        ),
        None => format!("SELECT {what} FROM events WHERE {cond} ORDER BY {order}, seq"),
    };
    (sql, args)
}

/// `EXPLAIN QUERY PLAN` of `sql`: one line per step.
#[cfg(test)]
fn explain(conn: &rusqlite::Connection, sql: &str, args: Vec<SqlValue>) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{LOCAL, NewEvent};
    use logout_lens_model::event::{EventKind, LogoutObserved, LogoutTrigger};

    /// Every query `list`, `tail` and `diagnose` run on a large store, with
    /// the plan SQLite chose (a store is never ANALYZEd, so these are the
    /// plans users get).
    fn plans(store: &Store) -> Vec<(&'static str, Vec<String>)> {
        let list = Filter {
            limit: Some(200),
            ..Filter::default()
        };
        let site_window = Filter {
            origin: Some("https://a.test".into()),
            site: true,
            since_ms: Some(1),
            until_ms: Some(2),
            ..Filter::default()
        };
        let mut out = Vec::new();
        let mut add = |name, filter: &Filter| {
            let (sql, args) = select(filter, "seq, received_ms, body");
            out.push((name, explain(&store.conn, &sql, args).unwrap()));
        };
        add("list", &list);
        add(
            "list --origin",
            &Filter {
                origin: Some("https://a.test".into()),
                ..list.clone()
            },
        );
        add(
            "list --logouts",
            &Filter {
                logouts_only: true,
                ..list.clone()
            },
        );
        add(
            "list --since",
            &Filter {
                since_ms: Some(1),
                ..list.clone()
            },
        );
        add(
            "tail",
            &Filter {
                after_seq: Some(1),
                ..Filter::default()
            },
        );
        add("diagnosis window", &site_window);
        add(
            "previous logouts",
            &Filter {
                logouts_only: true,
                ..site_window.clone()
            },
        );
        let (rows, args) = select(&list, "1");
        let count = format!("SELECT COUNT(*) FROM ({rows} LIMIT 100000)");
        out.push(("list count", explain(&store.conn, &count, args).unwrap()));
        let logouts = vec![SqlValue::from(LOCAL), SqlValue::Null, SqlValue::from(1_i64)];
        out.push((
            "diagnose --last",
            explain(&store.conn, RECENT_LOGOUTS, logouts).unwrap(),
        ));
        out.push(("max seq", explain(&store.conn, MAX_SEQ, vec![]).unwrap()));
        out
    }

    #[test]
    fn listing_queries_use_indexes() {
        let mut store = Store::in_memory().unwrap();
        let rows: Vec<NewEvent> = (0..500)
            .map(|i| {
                let e = Event::new(
                    format!("e{i}"),
                    i,
                    EventKind::LogoutObserved(LogoutObserved {
                        trigger: LogoutTrigger::LoginPage,
                        url: None,
                        idle_ms: None,
                        coarse: None,
                        cause: None,
                    }),
                )
                .with_origin(if i % 2 == 0 {
                    "https://a.test"
                } else {
                    "https://b.test"
                });
                NewEvent::from_event(&e).unwrap()
            })
            .collect();
        store.insert_batch(LOCAL, &rows, 0).unwrap();
        for (name, plan) in plans(&store) {
            let text = plan.join(" | ");
            eprintln!("{name}: {text}");
            for step in &plan {
                // Reading `events` row by row from the start is what makes a
                // listing slow on a million events: every read of the table
                // goes through an index (or the rowid, for tail).
                if step.contains("events") {
                    let indexed = step.starts_with("SEARCH events USING")
                        && (step.contains("INDEX") || step.contains("PRIMARY KEY"));
                    // MAX(seq) reads the last rowid only.
                    let min_max = step == "SEARCH events";
                    assert!(indexed || min_max, "{name}: {text}");
                }
            }
            let want = match name {
                "list" | "list --since" | "list count" => "events_trace_ts",
                "list --origin" | "diagnosis window" => "events_trace_origin_ts",
                "list --logouts" | "previous logouts" | "diagnose --last" => "events_logouts",
                "tail" => "PRIMARY KEY",
                _ => "events",
            };
            assert!(text.contains(want), "{name} should use {want}: {text}");
            // Only the newest N are sorted again (oldest first); the rows
            // read come in index order.
            let sorts = plan.iter().filter(|s| s.contains("TEMP B-TREE")).count();
            let allowed = usize::from(text.contains("subquery"));
            assert!(
                sorts <= allowed,
                "{name} sorts in a temporary b-tree: {text}"
            );
        }
    }
}
