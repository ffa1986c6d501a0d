//! Per-IP token buckets for the unauthenticated logout-event endpoint.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Above this many tracked IPs, full (idle) buckets are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    rate: Option<f64>,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, i64)>>,
}

impl RateLimiter {
    pub fn new(rate_per_second: Option<f64>, burst: u32) -> Self {
        RateLimiter {
            rate: rate_per_second,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// `Ok(())` to proceed, `Err(seconds)` to retry later. Consumes one token.
    pub fn check(&self, ip: IpAddr, now_ms: i64) -> Result<(), u64> {
        self.take(ip, now_ms, 1.0)
    }

    /// Like [`Self::check`] without consuming: for limits that only count failures.
    pub fn peek(&self, ip: IpAddr, now_ms: i64) -> Result<(), u64> {
        self.take(ip, now_ms, 0.0)
    }

    fn take(&self, ip: IpAddr, now_ms: i64, cost: f64) -> Result<(), u64> {
        let Some(rate) = self.rate else { return Ok(()) };
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_TRACKED {
            let burst = self.burst;
            buckets.retain(|_, (tokens, last)| {
                *tokens + (now_ms - *last) as f64 / 1000.0 * rate < burst
            });
        }
        let (tokens, last) = buckets.entry(ip).or_insert((self.burst, now_ms));
        let elapsed = (now_ms - *last).max(0) as f64 / 1000.0;
        *tokens = (*tokens + elapsed * rate).min(self.burst);
        *last = now_ms;
        if *tokens >= 1.0 {
            *tokens -= cost;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let l = RateLimiter::new(Some(2.0), 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(ip, 0).is_ok());
        }
        assert_eq!(l.check(ip, 0), Err(1));
        assert!(l.check(other, 0).is_ok());
        assert!(l.check(ip, 500).is_ok());
        assert!(RateLimiter::new(None, 1).check(ip, 0).is_ok());
        let failures = RateLimiter::new(Some(1.0), 1);
        assert!(
            failures.peek(ip, 0).is_ok() && failures.peek(ip, 0).is_ok(),
            "peek is free"
        );
        assert!(failures.check(ip, 0).is_ok());
        assert_eq!(failures.peek(ip, 0), Err(1));
    }
}
