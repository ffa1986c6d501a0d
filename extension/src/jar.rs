//! The auth cookies the core has seen, each with the sites whose sign-in
//! depends on it.
//!
//! A cookie belongs to a host and a path, not to an origin (RFC 6265): it is
//! the cookie `(domain, path, name)`, and two apps on two ports of one host
//! see the same one. So a cookie's change counts only for the sites that
//! depended on it, its **owners**: the site whose page or request wrote it
//! (a `document.cookie` write, a `Set-Cookie` of a request it made), else the
//! only site with an open page on a host the cookie's domain covers, else the
//! site that signs in around the moment it was set (a login or refresh whose
//! response could have set it, or the landing navigation). Its path plays no
//! part in whose it is: two sites of one host differ by port (or scheme),
//! which a path cannot tell apart, and a site's requests reach every path of
//! it (a refresh cookie scoped to `/v1/auth/` is still its page's sign-in).
//! A cookie overwritten keeps its owners and gains the new writer's. A
//! cookie nobody claimed signs nobody in, and its loss logs nobody out.

use litemap::LiteMap;
use logout_lens_model::http::cookie_domain_matches;

use crate::limits;
use crate::url::host_of;

/// `(domain, path, name)`, the browser's identity of a cookie; the domain
/// lower-cased, its leading dot kept (a domain cookie, not a host-only one).
pub type Key = (String, String, String);

pub fn key(domain: &str, path: &str, name: &str) -> Key {
    (
        domain.to_ascii_lowercase(),
        path.to_owned(),
        name.to_owned(),
    )
}

/// Does the cookie `k`'s domain cover the host of the page at `url` (the
/// cookie goes with that site's requests, to its own path at least)?
pub fn covers(k: &Key, url: &str) -> bool {
    host_of(url).is_some_and(|h| cookie_domain_matches(&k.0, &h))
}

#[derive(Debug, Clone, Default)]
struct Jarred {
    owners: Vec<String>,
    set_ms: i64,
}

#[derive(Debug, Default)]
pub struct Jar {
    cookies: LiteMap<Key, Jarred>,
}

impl Jar {
    /// The owners of `k`, if it is in the jar.
    pub fn owners(&self, k: &Key) -> Option<&[String]> {
        self.cookies.get(k).map(|j| j.owners.as_slice())
    }

    /// `k` was set at `now_ms`; `owners` are the sites found to have written
    /// it (added to those it had). Returns its owners now.
    pub fn set(&mut self, k: Key, owners: Vec<String>, now_ms: i64) -> &[String] {
        if !self.cookies.contains_key(&k) && self.cookies.len() >= limits::COOKIES_TRACKED {
            if let Some(old) = self
                .cookies
                .iter()
                .min_by_key(|(_, j)| j.set_ms)
                .map(|(k, _)| k.clone())
            {
                self.cookies.remove(&old);
            }
        }
        let j = self.cookies.entry(k.clone()).or_default();
        j.set_ms = now_ms;
        for o in owners {
            if !j.owners.contains(&o) {
                j.owners.push(o);
            }
        }
        self.cookies.get(&k).map_or(&[], |j| j.owners.as_slice())
    }

    /// `k` is gone; returns the sites that depended on it.
    pub fn remove(&mut self, k: &Key) -> Vec<String> {
        self.cookies.remove(k).map(|j| j.owners).unwrap_or_default()
    }

    /// Does `origin` hold a cookie of the jar?
    pub fn holds(&self, origin: &str) -> bool {
        self.cookies
            .values()
            .any(|j| j.owners.iter().any(|o| o == origin))
    }

    /// `origin`'s page at `url` signed in (or was shown) between `from_ms`
    /// and `to_ms`: it claims the unowned cookies set then that go with its
    /// requests. Returns those it claimed.
    pub fn claim(&mut self, origin: &str, url: &str, from_ms: i64, to_ms: i64) -> Vec<Key> {
        let mut claimed = Vec::new();
        for (k, j) in self.cookies.iter_mut() {
            if j.owners.is_empty() && j.set_ms >= from_ms && j.set_ms <= to_ms && covers(k, url) {
                j.owners.push(origin.to_owned());
                claimed.push(k.clone());
            }
        }
        claimed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_sites_a_cookie_goes_with() {
        #[rustfmt::skip]
        let cases = [
            (("127.0.0.1", "/"), "http://127.0.0.1:4001/dashboard", true),
            (("127.0.0.1", "/"), "http://127.0.0.1:4002/", true),
            (("127.0.0.1", "/"), "http://localhost:4001/", false),
            (("127.0.0.1", "/v1/auth/"), "http://127.0.0.1:4001/dashboard", true),
            ((".example.test", "/"), "https://a.example.test/", true),
            (("example.test", "/"), "https://a.example.test/", false),
        ];
        for ((d, p), url, want) in cases {
            assert_eq!(covers(&key(d, p, "sid"), url), want, "{d}{p} {url}");
        }
    }

    #[test]
    fn owners_are_kept_added_and_claimed() {
        let mut j = Jar::default();
        let k = key("127.0.0.1", "/", "ll_access");
        assert!(j.set(k.clone(), vec![], 1_000).is_empty(), "nobody yet");
        assert!(!j.holds("http://127.0.0.1:4001"));
        // A request of another site outside the window claims nothing.
        assert!(
            j.claim(
                "http://127.0.0.1:4002",
                "http://127.0.0.1:4002/",
                5_000,
                6_000
            )
            .is_empty()
        );
        // A page it does not go with claims nothing.
        assert!(
            j.claim("http://localhost:4001", "http://localhost:4001/", 0, 2_000)
                .is_empty()
        );
        assert_eq!(
            j.claim(
                "http://127.0.0.1:4001",
                "http://127.0.0.1:4001/signin",
                500,
                1_500
            ),
            vec![k.clone()]
        );
        assert!(j.holds("http://127.0.0.1:4001"));
        assert!(
            j.claim(
                "http://127.0.0.1:4002",
                "http://127.0.0.1:4002/",
                500,
                1_500
            )
            .is_empty(),
            "owned already"
        );
        // Overwritten by the other app: both depend on it now.
        let owners = j.set(k.clone(), vec!["http://127.0.0.1:4002".into()], 9_000);
        assert_eq!(owners.len(), 2);
        assert_eq!(j.remove(&k).len(), 2);
        assert!(!j.holds("http://127.0.0.1:4001"));
    }

    #[test]
    fn the_jar_is_bounded() {
        let mut j = Jar::default();
        for i in 0..(limits::COOKIES_TRACKED + 3) {
            j.set(key("h.test", "/", &format!("c{i}")), vec![], i as i64);
        }
        assert_eq!(j.cookies.len(), limits::COOKIES_TRACKED);
        assert!(j.owners(&key("h.test", "/", "c0")).is_none());
    }
}
