//! What the core refuses, clamps or holds back, and the counts that show it.
//!
//! Pages are untrusted: the MAIN-world hook's messages can be forged by any
//! script of the page, and a page can send as many as it likes. So page
//! input is bounded per tab (a token bucket), implausible values are
//! refused or clamped, and every such decision is counted by its reason.
//! The counts reach `logoutLensStatus()` and the popup with the relay's.
//! The queues (the in-memory timeline and the relay ring) give each site a
//! share ([`Shares`]), so a flooding site evicts its own events, never
//! another's.

use litemap::LiteMap;
use serde::Serialize;

use crate::limits;

/// Why part of the input was refused, clamped or held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A page message (or a request's start) beyond its tab's rate.
    RateLimited,
    /// Messages the page's forwarder dropped beyond its own per-document
    /// rate (it reports how many).
    ForwarderDropped,
    /// An input (a page message, in practice) larger than
    /// [`limits::PAGE_INPUT_BYTES`]: refused whole.
    TooLarge,
    /// A page message with a field longer than its cap: the field was cut.
    Clipped,
    /// A server clock further than [`limits::SKEW_MAX_MS`] from ours: the
    /// sample and the response's `Date` are dropped.
    ImplausibleSkew,
    /// A request that ended before it started: its duration is 0.
    NegativeDuration,
    /// A page-claimed time outside what its arrival allows: clamped.
    TimeClamped,
    /// A logout notification held back: the site had one less than
    /// [`limits::NOTICE_EVERY_MS`] before.
    NoticeThrottled,
    /// An enumerated value this build does not know (a storage area or
    /// operation, an idle or page state, a cookie cause or `SameSite`, a
    /// page message type): the input is not acted on (a `SameSite` reads
    /// as unspecified).
    UnknownValue,
}

/// Counts by reason (the status' `guard`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub rate_limited: u64,
    pub forwarder_dropped: u64,
    pub too_large: u64,
    pub clipped: u64,
    pub implausible_skew: u64,
    pub negative_duration: u64,
    pub time_clamped: u64,
    pub notice_throttled: u64,
    pub unknown_value: u64,
}

impl Counts {
    pub fn note(&mut self, r: Reason) {
        self.add(r, 1);
    }

    pub fn add(&mut self, r: Reason, by: u64) {
        let n = match r {
            Reason::RateLimited => &mut self.rate_limited,
            Reason::ForwarderDropped => &mut self.forwarder_dropped,
            Reason::TooLarge => &mut self.too_large,
            Reason::Clipped => &mut self.clipped,
            Reason::ImplausibleSkew => &mut self.implausible_skew,
            Reason::NegativeDuration => &mut self.negative_duration,
            Reason::TimeClamped => &mut self.time_clamped,
            Reason::NoticeThrottled => &mut self.notice_throttled,
            Reason::UnknownValue => &mut self.unknown_value,
        };
        *n = n.saturating_add(by);
    }

    /// Everything refused, clamped or held back.
    pub fn total(&self) -> u64 {
        [
            self.rate_limited,
            self.forwarder_dropped,
            self.too_large,
            self.clipped,
            self.implausible_skew,
            self.negative_duration,
            self.time_clamped,
            self.notice_throttled,
            self.unknown_value,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }
}

/// Clamps a page-claimed time into `[lo, hi]`, counting when it had to.
pub fn clamp_time(t: i64, lo: i64, hi: i64, counts: &mut Counts) -> i64 {
    let c = t.clamp(lo, hi.max(lo));
    if c != t {
        counts.note(Reason::TimeClamped);
    }
    c
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Thousandths of a message, so refilling needs no floats.
    milli: i64,
    at_ms: i64,
}

/// A token bucket per tab: [`limits::TAB_BURST`] messages at once, then
/// [`limits::TAB_RATE_PER_S`] a second.
#[derive(Debug, Default)]
pub struct RateLimit {
    buckets: LiteMap<i64, Bucket>,
}

impl RateLimit {
    /// May tab `tab` send one more message at `now_ms`? Takes a token if so.
    pub fn allow(&mut self, tab: i64, now_ms: i64) -> bool {
        const FULL: i64 = limits::TAB_BURST * 1000;
        if !self.buckets.contains_key(&tab) && self.buckets.len() >= limits::TABS_TRACKED {
            // The tab heard from least recently makes room.
            if let Some(old) = self
                .buckets
                .iter()
                .min_by_key(|(_, b)| b.at_ms)
                .map(|(t, _)| *t)
            {
                self.buckets.remove(&old);
            }
        }
        let b = self.buckets.entry(tab).or_insert(Bucket {
            milli: FULL,
            at_ms: now_ms,
        });
        // A clock set back refills nothing.
        let elapsed = (now_ms - b.at_ms).max(0);
        b.milli = b
            .milli
            .saturating_add(elapsed.saturating_mul(limits::TAB_RATE_PER_S))
            .min(FULL);
        b.at_ms = b.at_ms.max(now_ms);
        if b.milli >= 1000 {
            b.milli -= 1000;
            true
        } else {
            false
        }
    }

    /// The tab is gone.
    pub fn forget(&mut self, tab: i64) {
        self.buckets.remove(&tab);
    }
}

/// How many items each origin holds in a bounded queue, and whose oldest
/// item goes when one more must fit. Items without an origin (the
/// machine's) count as one more site.
#[derive(Debug, Default)]
pub struct Shares {
    counts: LiteMap<String, usize>,
}

impl Shares {
    fn key(origin: Option<&str>) -> &str {
        origin.unwrap_or("")
    }

    pub fn count(&self, origin: Option<&str>) -> usize {
        self.counts.get(Self::key(origin)).copied().unwrap_or(0)
    }

    pub fn added(&mut self, origin: Option<&str>) {
        *self.counts.entry(Self::key(origin).to_owned()).or_default() += 1;
    }

    pub fn removed(&mut self, origin: Option<&str>) {
        let k = Self::key(origin);
        if let Some(n) = self.counts.get_mut(k) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.counts.remove(k);
            }
        }
    }

    pub fn clear(&mut self) {
        self.counts.clear();
    }

    /// Room for one more item of `origin` in a queue of `len` items: `None`
    /// when there is room; else the origin whose oldest item goes. An
    /// origin at its `share` makes room itself; in a full queue, the origin
    /// holding the most does (`origin` itself on a tie), so an origin only
    /// ever evicts one holding more than it does.
    pub fn victim(
        &self,
        origin: Option<&str>,
        len: usize,
        capacity: usize,
        share: usize,
    ) -> Option<Option<String>> {
        let mine = self.count(origin);
        if mine > 0 && mine >= share {
            return Some(origin.map(str::to_owned));
        }
        if len < capacity {
            return None;
        }
        let (top, n) = self
            .counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, n)| (k.as_str(), *n))?;
        let victim = if mine > 0 && mine >= n {
            Self::key(origin)
        } else {
            top
        };
        Some((!victim.is_empty()).then(|| victim.to_owned()))
    }
}

/// At most one logout notification per site per [`limits::NOTICE_EVERY_MS`].
#[derive(Debug, Default)]
pub struct NoticeThrottle {
    last: LiteMap<String, i64>,
}

impl NoticeThrottle {
    /// May a notification for a logout of `origin` at `ts_ms` be shown? Notes it if so.
    pub fn allow(&mut self, origin: Option<&str>, ts_ms: i64) -> bool {
        let key = origin.unwrap_or("").to_owned();
        if let Some(&last) = self.last.get(&key) {
            if ts_ms >= last && ts_ms - last < limits::NOTICE_EVERY_MS {
                return false;
            }
        }
        if self.last.len() >= limits::TABS_TRACKED && !self.last.contains_key(&key) {
            if let Some(old) = self
                .last
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(k, _)| k.clone())
            {
                self.last.remove(&old);
            }
        }
        self.last.insert(key, ts_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_gets_its_burst_then_its_rate() {
        let mut r = RateLimit::default();
        let burst = (0..limits::TAB_BURST * 2).filter(|_| r.allow(1, 0)).count();
        assert_eq!(burst as i64, limits::TAB_BURST);
        assert!(r.allow(2, 0), "another tab has its own bucket");
        // One second later: the rate's worth, no more.
        let next = (0..limits::TAB_BURST).filter(|_| r.allow(1, 1_000)).count();
        assert_eq!(next as i64, limits::TAB_RATE_PER_S);
        // A clock set back refills nothing.
        assert!(!r.allow(1, -50_000));
        r.forget(1);
        assert!(r.allow(1, 1_000), "a forgotten tab starts full");
    }

    #[test]
    fn buckets_are_bounded() {
        let mut r = RateLimit::default();
        for tab in 0..(limits::TABS_TRACKED as i64 + 10) {
            r.allow(tab, tab);
        }
        assert_eq!(r.buckets.len(), limits::TABS_TRACKED);
        assert!(!r.buckets.contains_key(&0), "the oldest made room");
    }

    #[test]
    fn shares_pick_who_makes_room() {
        let mut s = Shares::default();
        for (o, n) in [(Some("a"), 5), (Some("b"), 3), (None, 1)] {
            for _ in 0..n {
                s.added(o);
            }
        }
        /// (case, pusher, len, capacity, share, victim)
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            usize,
            usize,
            usize,
            Option<Option<&'a str>>,
        );
        #[rustfmt::skip]
        let cases: [Case<'_>; 7] = [
            ("room", Some("b"), 9, 10, 6, None),
            ("at its share, itself", Some("a"), 9, 10, 5, Some(Some("a"))),
            ("full: the biggest", Some("b"), 9, 9, 6, Some(Some("a"))),
            ("full: a new site evicts the biggest", Some("c"), 9, 9, 6, Some(Some("a"))),
            ("full: the biggest evicts itself", Some("a"), 9, 9, 6, Some(Some("a"))),
            ("machine events at their share", None, 9, 10, 1, Some(None)),
            ("full, machine pushes: the biggest", None, 9, 9, 6, Some(Some("a"))),
        ];
        for (case, o, len, cap, share, want) in cases {
            let got = s.victim(o, len, cap, share);
            assert_eq!(got.as_ref().map(|v| v.as_deref()), want, "{case}");
        }
        s.removed(Some("a"));
        assert_eq!(s.count(Some("a")), 4);
        for _ in 0..10 {
            s.removed(Some("b"));
        }
        assert_eq!(s.count(Some("b")), 0);
    }

    #[test]
    fn one_notice_per_site_per_minute() {
        let mut t = NoticeThrottle::default();
        let step = limits::NOTICE_EVERY_MS;
        #[rustfmt::skip]
        let cases = [
            (Some("https://a.test"), 0, true),
            (Some("https://a.test"), 1_000, false),
            (Some("https://b.test"), 1_000, true),
            (Some("https://a.test"), step - 1, false),
            (Some("https://a.test"), step, true),
            (None, step, true),
        ];
        for (o, ts, want) in cases {
            assert_eq!(t.allow(o, ts), want, "{o:?} at {ts}");
        }
    }

    #[test]
    fn counts_and_clamps() {
        let mut c = Counts::default();
        assert_eq!(clamp_time(5, 0, 10, &mut c), 5);
        assert_eq!(clamp_time(-5, 0, 10, &mut c), 0);
        assert_eq!(clamp_time(50, 0, 10, &mut c), 10);
        c.note(Reason::RateLimited);
        assert_eq!((c.time_clamped, c.rate_limited, c.total()), (2, 1, 3));
        let json = serde_json::to_value(c).unwrap();
        assert_eq!(json["time_clamped"], 2);
    }
}
