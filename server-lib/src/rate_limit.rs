//! Token buckets: per client network for the logout-event endpoint, and per address, per IPv6
//! /64 and per account for login attempts.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use aws_lc_rs::digest::{Context, SHA256};

use crate::config::{Bucket, LoginLimits};

/// Above this many tracked keys per kind, full (idle) buckets are forgotten; if the table is
/// still full, new keys share one overflow bucket, so memory stays bounded under a flood of
/// fresh addresses or account names.
const MAX_TRACKED: usize = 10_000;
/// A full table is swept at most this often, so a flood costs one sweep per second, not one
/// per request.
const SWEEP_EVERY_MS: i64 = 1000;

/// Where a request comes from, for limits: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's network, inside which a client picks any address it likes). IPv4-mapped IPv6
/// addresses (a dual-stack listener) count as the IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientNet {
    /// An IPv4 address.
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6Net64([u8; 8]),
}

impl ClientNet {
    /// The network `ip` counts as.
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => ClientNet::V4(v4.octets()),
            IpAddr::V6(v6) => {
                let o = v6.octets();
                ClientNet::V6Net64([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct State {
    tokens: f64,
    last_ms: i64,
}

/// The buckets of one kind of key.
#[derive(Debug)]
struct Buckets<K> {
    per_second: f64,
    burst: f64,
    map: HashMap<K, State>,
    overflow: State,
    last_sweep_ms: i64,
}

/// Which bucket a key maps to right now.
enum Slot<'k, K> {
    Key(&'k K),
    Overflow,
}

// Manual: a derive would require `K: Copy`, but only the reference is copied.
impl<K> Clone for Slot<'_, K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Slot<'_, K> {}

impl<K: Eq + Hash + Clone> Buckets<K> {
    fn new(b: Bucket) -> Self {
        let burst = f64::from(b.burst.max(1));
        Buckets {
            per_second: b.per_second,
            burst,
            map: HashMap::new(),
            overflow: State {
                tokens: burst,
                last_ms: i64::MIN,
            },
            last_sweep_ms: i64::MIN,
        }
    }

    fn refilled(&self, s: State, now_ms: i64) -> f64 {
        if s.last_ms == i64::MIN {
            return self.burst;
        }
        let elapsed = now_ms.saturating_sub(s.last_ms).max(0) as f64 / 1000.0;
        (s.tokens + elapsed * self.per_second).min(self.burst)
    }

    /// The bucket `key` uses: its own, or the shared overflow bucket when the table is full.
    fn slot<'k>(&mut self, key: &'k K, now_ms: i64) -> Slot<'k, K> {
        if self.map.contains_key(key) || self.map.len() < MAX_TRACKED {
            return Slot::Key(key);
        }
        if now_ms.saturating_sub(self.last_sweep_ms) >= SWEEP_EVERY_MS {
            self.last_sweep_ms = now_ms;
            let (rate, burst) = (self.per_second, self.burst);
            self.map.retain(|_, s| {
                s.tokens + now_ms.saturating_sub(s.last_ms).max(0) as f64 / 1000.0 * rate < burst
            });
        }
        if self.map.len() < MAX_TRACKED {
            Slot::Key(key)
        } else {
            Slot::Overflow
        }
    }

    fn get(&self, slot: Slot<'_, K>) -> State {
        let unused = State {
            tokens: self.burst,
            last_ms: i64::MIN,
        };
        match slot {
            Slot::Key(k) => self.map.get(k).copied().unwrap_or(unused),
            Slot::Overflow => self.overflow,
        }
    }

    fn set(&mut self, slot: Slot<'_, K>, s: State) {
        match slot {
            Slot::Key(k) => {
                self.map.insert(k.clone(), s);
            }
            Slot::Overflow => self.overflow = s,
        }
    }

    /// `Ok(())` when a token is there, else the seconds until one is.
    fn available(&self, slot: Slot<'_, K>, now_ms: i64) -> Result<(), u64> {
        let tokens = self.refilled(self.get(slot), now_ms);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(((1.0 - tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }

    /// Add `delta` tokens (−1 to spend one, +1 to give it back), capped at the burst.
    fn add(&mut self, slot: Slot<'_, K>, now_ms: i64, delta: f64) {
        let tokens = self.refilled(self.get(slot), now_ms);
        self.set(
            slot,
            State {
                tokens: (tokens + delta).min(self.burst),
                last_ms: now_ms,
            },
        );
    }
}

/// One token bucket per client network ([`ClientNet`]) for the unauthenticated logout-event
/// endpoint.
#[derive(Debug)]
pub struct RateLimiter {
    buckets: Option<Mutex<Buckets<ClientNet>>>,
}

impl RateLimiter {
    /// `None` turns the limit off (benchmarks only).
    pub fn new(bucket: Option<Bucket>) -> Self {
        RateLimiter {
            buckets: bucket.map(|b| Mutex::new(Buckets::new(b))),
        }
    }

    /// `Ok(())` to proceed, `Err(seconds)` to retry later. Consumes one token.
    pub fn check(&self, ip: IpAddr, now_ms: i64) -> Result<(), u64> {
        let Some(buckets) = &self.buckets else {
            return Ok(());
        };
        let Ok(mut b) = buckets.lock() else {
            return Ok(());
        };
        let key = ClientNet::of(ip);
        let slot = b.slot(&key, now_ms);
        b.available(slot, now_ms)?;
        b.add(slot, now_ms, -1.0);
        Ok(())
    }
}

/// The login attempt limits: a request needs a token from its address's bucket, its IPv6
/// /64's bucket and its account's bucket, all taken together **before** the password is
/// checked, so concurrent guesses cannot outrun the limit. A successful login gives its tokens
/// back: only failures spend the budget.
#[derive(Debug)]
pub struct LoginLimiter {
    inner: Option<Mutex<LoginBuckets>>,
}

#[derive(Debug)]
struct LoginBuckets {
    ip: Option<Buckets<IpAddr>>,
    net64: Option<Buckets<[u8; 8]>>,
    account: Option<Buckets<[u8; 32]>>,
}

/// Tokens taken for one login attempt; hand it back with [`LoginLimiter::refund`] when the
/// login succeeded. Dropping it keeps the tokens spent.
#[derive(Debug)]
#[must_use = "a permit is either refunded (success) or dropped (a spent attempt)"]
pub struct LoginPermit {
    ip: IpAddr,
    account: [u8; 32],
}

/// Accounts are keyed by a hash of the trimmed, lower-cased email, so the table never holds
/// an address and `Ada@x` and ` ada@x` share a bucket.
fn account_key(email: &str) -> [u8; 32] {
    let mut h = Context::new(&SHA256);
    for c in email.trim().chars().flat_map(char::to_lowercase) {
        let mut buf = [0u8; 4];
        h.update(c.encode_utf8(&mut buf).as_bytes());
    }
    crate::tokens::sha256_bytes(h.finish().as_ref())
}

fn net64(ip: IpAddr) -> Option<[u8; 8]> {
    match ClientNet::of(ip) {
        ClientNet::V6Net64(n) => Some(n),
        ClientNet::V4(_) => None,
    }
}

impl LoginLimiter {
    /// `None` turns every login limit off.
    pub fn new(limits: Option<LoginLimits>) -> Self {
        LoginLimiter {
            inner: limits.map(|l| {
                Mutex::new(LoginBuckets {
                    ip: l.per_ip.map(Buckets::new),
                    net64: l.per_ipv6_64.map(Buckets::new),
                    account: l.per_account.map(Buckets::new),
                })
            }),
        }
    }

    /// Before the body is read: is this address (or its /64) out of tokens already? Takes
    /// nothing; [`Self::reserve`] is the real check.
    pub fn precheck(&self, ip: IpAddr, now_ms: i64) -> Result<(), u64> {
        let Some(inner) = &self.inner else {
            return Ok(());
        };
        let Ok(mut b) = inner.lock() else {
            return Ok(());
        };
        let ip = ip.to_canonical();
        let mut wait = 0;
        if let Some(ips) = &mut b.ip {
            let slot = ips.slot(&ip, now_ms);
            wait = wait.max(ips.available(slot, now_ms).err().unwrap_or(0));
        }
        if let (Some(nets), Some(n)) = (&mut b.net64, net64(ip)) {
            let slot = nets.slot(&n, now_ms);
            wait = wait.max(nets.available(slot, now_ms).err().unwrap_or(0));
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    /// Take one token from each bucket that applies, or none at all: `Err(seconds)` names the
    /// longest wait among the empty buckets.
    pub fn reserve(&self, ip: IpAddr, email: &str, now_ms: i64) -> Result<LoginPermit, u64> {
        let ip = ip.to_canonical();
        let permit = LoginPermit {
            ip,
            account: account_key(email),
        };
        let Some(inner) = &self.inner else {
            return Ok(permit);
        };
        let Ok(mut guard) = inner.lock() else {
            return Ok(permit);
        };
        let b = &mut *guard;
        let n = net64(ip);
        let ip_slot = b.ip.as_mut().map(|x| x.slot(&permit.ip, now_ms));
        let net_slot = match (&mut b.net64, &n) {
            (Some(x), Some(n)) => Some(x.slot(n, now_ms)),
            _ => None,
        };
        let account_slot = b.account.as_mut().map(|x| x.slot(&permit.account, now_ms));
        let mut wait = 0;
        if let (Some(x), Some(s)) = (&b.ip, ip_slot) {
            wait = wait.max(x.available(s, now_ms).err().unwrap_or(0));
        }
        if let (Some(x), Some(s)) = (&b.net64, net_slot) {
            wait = wait.max(x.available(s, now_ms).err().unwrap_or(0));
        }
        if let (Some(x), Some(s)) = (&b.account, account_slot) {
            wait = wait.max(x.available(s, now_ms).err().unwrap_or(0));
        }
        if wait > 0 {
            return Err(wait);
        }
        if let (Some(x), Some(s)) = (&mut b.ip, ip_slot) {
            x.add(s, now_ms, -1.0);
        }
        if let (Some(x), Some(s)) = (&mut b.net64, net_slot) {
            x.add(s, now_ms, -1.0);
        }
        if let (Some(x), Some(s)) = (&mut b.account, account_slot) {
            x.add(s, now_ms, -1.0);
        }
        Ok(permit)
    }

    /// Give a successful login's tokens back.
    pub fn refund(&self, permit: LoginPermit, now_ms: i64) {
        let Some(inner) = &self.inner else { return };
        let Ok(mut guard) = inner.lock() else { return };
        let b = &mut *guard;
        if let Some(x) = &mut b.ip {
            let s = x.slot(&permit.ip, now_ms);
            x.add(s, now_ms, 1.0);
        }
        if let (Some(x), Some(n)) = (&mut b.net64, net64(permit.ip)) {
            let s = x.slot(&n, now_ms);
            x.add(s, now_ms, 1.0);
        }
        if let Some(x) = &mut b.account {
            let s = x.slot(&permit.account, now_ms);
            x.add(s, now_ms, 1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn bucket(per_second: f64, burst: u32) -> Option<Bucket> {
        Some(Bucket { per_second, burst })
    }

    #[test]
    fn burst_then_refill() {
        let l = RateLimiter::new(bucket(2.0, 3));
        for _ in 0..3 {
            assert!(l.check(ip("10.0.0.1"), 0).is_ok());
        }
        assert_eq!(l.check(ip("10.0.0.1"), 0), Err(1));
        assert!(l.check(ip("10.0.0.2"), 0).is_ok());
        assert!(l.check(ip("10.0.0.1"), 500).is_ok());
        assert!(RateLimiter::new(None).check(ip("10.0.0.1"), 0).is_ok());
    }

    #[test]
    fn client_networks() {
        for (a, b, same) in [
            ("10.0.0.1", "10.0.0.2", false),
            ("10.0.0.1", "::ffff:10.0.0.1", true),
            ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true),
            ("2001:db8:1:2::1", "2001:db8:1:3::1", false),
        ] {
            assert_eq!(
                ClientNet::of(ip(a)) == ClientNet::of(ip(b)),
                same,
                "{a} {b}"
            );
        }
        // An IPv6 client rotating addresses inside its /64 shares one logout-event bucket.
        let l = RateLimiter::new(bucket(0.001, 2));
        assert!(l.check(ip("2001:db8::1"), 0).is_ok());
        assert!(l.check(ip("2001:db8::2"), 0).is_ok());
        assert!(l.check(ip("2001:db8::3"), 0).is_err());
    }

    fn login(ip: Option<Bucket>, net: Option<Bucket>, account: Option<Bucket>) -> LoginLimiter {
        LoginLimiter::new(Some(LoginLimits {
            per_ip: ip,
            per_ipv6_64: net,
            per_account: account,
        }))
    }

    #[test]
    fn login_buckets_table() {
        // (limits: ip, /64, account), attempts as (address, email), expected outcomes
        type Case = (
            [Option<Bucket>; 3],
            &'static [(&'static str, &'static str)],
            &'static [bool],
        );
        let cases: &[Case] = &[
            // per address: the third failure from one address is refused, another address is not
            (
                [bucket(0.001, 2), None, None],
                &[
                    ("1.1.1.1", "a@x"),
                    ("1.1.1.1", "b@x"),
                    ("1.1.1.1", "c@x"),
                    ("2.2.2.2", "a@x"),
                ],
                &[true, true, false, true],
            ),
            // per /64: rotating addresses inside one /64 does not help; another /64 is apart
            (
                [bucket(0.001, 100), bucket(0.001, 2), None],
                &[
                    ("2001:db8::1", "a@x"),
                    ("2001:db8::2", "a@x"),
                    ("2001:db8::3", "a@x"),
                    ("2001:db8:0:1::1", "a@x"),
                ],
                &[true, true, false, true],
            ),
            // per account: many addresses guessing one account; case and spaces do not matter
            (
                [bucket(0.001, 100), bucket(0.001, 100), bucket(0.001, 2)],
                &[
                    ("1.1.1.1", "Ada@X"),
                    ("2.2.2.2", " ada@x"),
                    ("3.3.3.3", "ada@x"),
                    ("3.3.3.3", "bob@x"),
                ],
                &[true, true, false, true],
            ),
        ];
        for ([a, b, c], attempts, want) in cases {
            let l = login(*a, *b, *c);
            let got: Vec<bool> = attempts
                .iter()
                .map(|(i, e)| l.reserve(ip(i), e, 0).is_ok())
                .collect();
            assert_eq!(&got, want, "{attempts:?}");
        }
    }

    #[test]
    fn refused_attempts_take_nothing_and_successes_give_back() {
        let l = login(bucket(0.001, 1), None, bucket(0.001, 5));
        let p = l.reserve(ip("1.1.1.1"), "a@x", 0).unwrap();
        // The address is out; the account's bucket must not pay for the refused attempt.
        assert!(l.reserve(ip("1.1.1.1"), "a@x", 0).is_err());
        assert!(l.precheck(ip("1.1.1.1"), 0).is_err());
        l.refund(p, 0);
        assert!(l.precheck(ip("1.1.1.1"), 0).is_ok());
        for n in 0..5 {
            let p = l.reserve(ip(&format!("2.2.2.{n}")), "a@x", 0).unwrap();
            if n < 4 {
                l.refund(p, 0);
            } else {
                drop(p);
            }
        }
        // Four refunds and one spent: four tokens left on the account.
        for n in 0..4 {
            assert!(l.reserve(ip(&format!("3.3.3.{n}")), "a@x", 0).is_ok());
        }
        assert!(l.reserve(ip("4.4.4.4"), "a@x", 0).is_err());
        assert!(
            LoginLimiter::new(None)
                .reserve(ip("1.1.1.1"), "", 0)
                .is_ok()
        );
    }

    #[test]
    fn retry_after_is_the_longest_wait() {
        let l = login(bucket(1.0, 1), None, bucket(0.1, 1));
        let _spent = l.reserve(ip("1.1.1.1"), "a@x", 0).unwrap();
        assert_eq!(l.reserve(ip("1.1.1.1"), "a@x", 0).err(), Some(10));
    }

    #[test]
    fn a_flood_of_fresh_keys_stays_bounded() {
        let l = RateLimiter::new(bucket(0.001, 1));
        for n in 0..(MAX_TRACKED as u32 + 500) {
            let _ = l.check(IpAddr::V4(n.to_be_bytes().into()), 0);
        }
        let b = l.buckets.as_ref().unwrap().lock().unwrap();
        assert!(b.map.len() <= MAX_TRACKED);
        drop(b);
        // Past the table's size, fresh addresses share the overflow bucket (already spent).
        assert!(l.check(ip("203.0.113.1"), 0).is_err());
        // Once the old buckets have refilled, a sweep makes room again.
        assert!(l.check(ip("203.0.113.1"), 2_000_000).is_ok());
    }
}
