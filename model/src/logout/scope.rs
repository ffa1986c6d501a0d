//! Which events one logout's diagnosis may read: its site, its episode, its
//! window. Every diagnosis (the extension's and the collector's) narrows
//! through [`narrow`], so the two can never read different evidence from the
//! same timeline.
//!
//! A logout's **site** is its origin (`scheme://host[:port]`: 127.0.0.1 and
//! localhost are different sites, and so are two ports of one host). An event
//! belongs to that site when it carries the same origin. Events without an
//! origin are the machine's (idle state, sleep) and belong to every site, with
//! one exception: a cookie change without an origin (a cookie shared by
//! several sites, or not yet tied to one) belongs to the sites on a host its
//! domain covers (RFC 6265 domain match; cookies ignore ports).

use crate::error::ModelError;
use crate::event::{Event, EventId, EventKind};
use crate::http::{cookie_domain_matches, host_of_origin};

use super::classify::{Signal, classify};
use super::facts::{AFTER_MS, EPISODE_GAP_MS};

/// Which logout to diagnose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The most recent logout in the timeline.
    Last,
    /// The logout with this event id (any event of its episode).
    Id(EventId),
}

/// The site of one logout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site<'a> {
    /// `None` for a logout without an origin: then every event is its site's.
    origin: Option<&'a str>,
    /// The origin's host, without port, for cookie domain matches.
    host: Option<&'a str>,
}

impl<'a> Site<'a> {
    /// The site of `origin` (`None`: every site).
    pub fn new(origin: Option<&'a str>) -> Self {
        Site {
            origin,
            host: origin.and_then(host_of_origin),
        }
    }

    /// The site an event was seen on.
    pub fn of(e: &'a Event) -> Self {
        Site::new(e.origin.as_deref())
    }

    pub fn origin(&self) -> Option<&'a str> {
        self.origin
    }

    /// Does `e` belong to this site?
    pub fn holds(&self, e: &Event) -> bool {
        let Some(origin) = self.origin else {
            return true;
        };
        match (e.origin.as_deref(), &e.kind) {
            (Some(o), _) => o == origin,
            (None, EventKind::CookieChange(c)) => self
                .host
                .is_some_and(|h| cookie_domain_matches(&c.domain, h)),
            (None, _) => true,
        }
    }
}

/// One logout: the logout-kind events of one site that describe it, and its
/// representative (the `logout_observed`, else the first).
#[derive(Debug, Clone)]
pub(crate) struct Episode {
    /// Positions in the site's sorted events.
    pub members: Vec<usize>,
    pub rep: usize,
}

/// Indices of `events` sorted by time, ties kept in input order (deterministic).
pub(crate) fn sorted_order(events: &[Event]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| (events[i].ts_ms, i));
    order
}

/// Group a site's logout-kind events into episodes, in time order. `site`
/// holds the site's events, sorted.
pub(crate) fn episodes(site: &[&Event]) -> Vec<Episode> {
    let mut out: Vec<Episode> = Vec::new();
    let mut last_ts = i64::MIN;
    for (pos, e) in site.iter().enumerate() {
        if !e.is_logout() {
            continue;
        }
        match out.last_mut() {
            Some(ep) if e.ts_ms.saturating_sub(last_ts) <= EPISODE_GAP_MS => ep.members.push(pos),
            _ => out.push(Episode {
                members: vec![pos],
                rep: pos,
            }),
        }
        last_ts = e.ts_ms;
    }
    for ep in &mut out {
        ep.rep = ep
            .members
            .iter()
            .copied()
            .find(|&p| matches!(site[p].kind, EventKind::LogoutObserved(_)))
            .unwrap_or(ep.members[0]);
    }
    out
}

/// Indices of the events of `site`, in time order.
fn site_order(events: &[Event], order: &[usize], site: Site<'_>) -> Vec<usize> {
    order
        .iter()
        .copied()
        .filter(|&i| site.holds(&events[i]))
        .collect()
}

/// One logout's diagnosis input: the events of its site from the session it
/// ended (the last login before it, after the site's previous logout) to a
/// few seconds after it, in time order.
#[derive(Debug, Clone)]
pub struct Narrowed<'a> {
    pub site: Site<'a>,
    /// The representative logout event.
    pub logout: &'a Event,
    /// The window, sorted by time.
    pub events: Vec<&'a Event>,
    /// Position of the representative in `events`.
    pub(crate) rep: usize,
    /// Positions of the episode's logout-kind events in `events`.
    pub(crate) episode: Vec<usize>,
}

/// The logout `target` names, narrowed to its site and window. Events may
/// come in any order and from any number of sites.
pub fn narrow<'a>(events: &'a [Event], target: &Target) -> Result<Narrowed<'a>, ModelError> {
    let order = sorted_order(events);
    // The logout event named, whose origin is the site.
    let named = match target {
        Target::Last => order
            .iter()
            .rev()
            .map(|&i| &events[i])
            .find(|e| e.is_logout())
            .ok_or(ModelError::NoLogout)?,
        Target::Id(id) => events
            .iter()
            .find(|e| &e.id == id && e.is_logout())
            .ok_or_else(|| ModelError::UnknownLogout(id.0.clone()))?,
    };
    let site = Site::of(named);
    let all: Vec<&Event> = site_order(events, &order, site)
        .into_iter()
        .map(|i| &events[i])
        .collect();
    let eps = episodes(&all);
    let k = eps
        .iter()
        .position(|ep| ep.members.iter().any(|&p| std::ptr::eq(all[p], named)))
        .ok_or_else(|| ModelError::UnknownLogout(named.id.0.clone()))?;
    let ep = &eps[k];
    let rep = all[ep.rep];
    let first_ts = all[ep.members[0]].ts_ms;
    let prev_end = k
        .checked_sub(1)
        .and_then(|j| eps[j].members.last())
        .map(|&p| all[p].ts_ms);
    let next_start = eps.get(k + 1).map(|n| all[n.members[0]].ts_ms);

    // The session being diagnosed starts after the previous logout, at the last login before this one.
    let end = rep
        .ts_ms
        .saturating_add(AFTER_MS)
        .min(next_start.map_or(i64::MAX, |n| n - 1));
    let after_prev = |e: &Event| prev_end.is_none_or(|p| e.ts_ms > p);
    let login_start = all
        .iter()
        .filter(|e| e.ts_ms <= first_ts && after_prev(e))
        .filter(|e| classify(e) == Signal::LoginOk)
        .map(|e| e.ts_ms)
        .next_back();
    let start = login_start.or(prev_end.map(|p| p + 1)).unwrap_or(i64::MIN);

    let mut window = Vec::new();
    let mut rep_pos = 0;
    let mut episode = Vec::new();
    for (pos, &e) in all.iter().enumerate() {
        if e.ts_ms < start || e.ts_ms > end {
            continue;
        }
        if pos == ep.rep {
            rep_pos = window.len();
        }
        if ep.members.binary_search(&pos).is_ok() {
            episode.push(window.len());
        }
        window.push(e);
    }
    Ok(Narrowed {
        site,
        logout: rep,
        events: window,
        rep: rep_pos,
        episode,
    })
}

/// The representative event of every logout in the timeline (each site's
/// episodes apart), oldest first.
pub fn logouts(events: &[Event]) -> Vec<EventId> {
    let order = sorted_order(events);
    let mut sites: Vec<Option<&str>> = Vec::new();
    for e in events.iter().filter(|e| e.is_logout()) {
        let o = e.origin.as_deref();
        if !sites.contains(&o) {
            sites.push(o);
        }
    }
    let mut reps: Vec<usize> = Vec::new();
    for origin in sites {
        let idx = site_order(events, &order, Site::new(origin));
        let all: Vec<&Event> = idx.iter().map(|&i| &events[i]).collect();
        for ep in episodes(&all) {
            let rep = idx[ep.rep];
            // A logout without an origin is in every site's timeline; its
            // own site (all of them) names it once.
            if events[rep].origin.as_deref() == origin && !reps.contains(&rep) {
                reps.push(rep);
            }
        }
    }
    reps.sort_by_key(|&i| (events[i].ts_ms, i));
    reps.into_iter().map(|i| events[i].id.clone()).collect()
}
