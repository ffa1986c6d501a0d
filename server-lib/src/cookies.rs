//! Token cookies for apps that keep tokens out of JavaScript.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::CookieConfig;

/// The refresh cookie is only sent to the auth endpoints.
pub const REFRESH_COOKIE_PATH: &str = "/v1/auth/";

/// The value of cookie `name` in the request, if any.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// How long the browser keeps a cookie.
#[derive(Debug, Clone, Copy)]
enum Lifetime {
    MaxAge(Duration),
    /// No `Max-Age`: gone when the browser session ends.
    BrowserSession,
    Delete,
}

fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    age: Lifetime,
    secure: bool,
) -> Option<HeaderValue> {
    let mut s = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    match age {
        Lifetime::MaxAge(d) => s.push_str(&format!("; Max-Age={}", d.as_secs())),
        Lifetime::BrowserSession => {}
        Lifetime::Delete => s.push_str("; Max-Age=0"),
    }
    if secure {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).ok()
}

/// `Set-Cookie` headers for a fresh token pair. Without "remember me" they are browser-session
/// cookies, unless `CookieConfig::max_age` forces a `Max-Age`.
pub fn issue(
    headers: &mut HeaderMap,
    cfg: &CookieConfig,
    access: &str,
    access_ttl: Duration,
    refresh: &str,
    refresh_ttl: Duration,
    persistent: bool,
) {
    let age = |ttl: Duration| match cfg.max_age {
        Some(m) => Lifetime::MaxAge(m.min(ttl)),
        None if persistent => Lifetime::MaxAge(ttl),
        None => Lifetime::BrowserSession,
    };
    for v in [
        set_cookie(&cfg.access_name, access, "/", age(access_ttl), cfg.secure),
        set_cookie(
            &cfg.refresh_name,
            refresh,
            REFRESH_COOKIE_PATH,
            age(refresh_ttl),
            cfg.secure,
        ),
    ]
    .into_iter()
    .flatten()
    {
        headers.append(header::SET_COOKIE, v);
    }
}

/// `Set-Cookie` headers deleting both cookies.
pub fn clear(headers: &mut HeaderMap, cfg: &CookieConfig) {
    for v in [
        set_cookie(&cfg.access_name, "", "/", Lifetime::Delete, cfg.secure),
        set_cookie(
            &cfg.refresh_name,
            "",
            REFRESH_COOKIE_PATH,
            Lifetime::Delete,
            cfg.secure,
        ),
    ]
    .into_iter()
    .flatten()
    {
        headers.append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_named_cookie_only() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ll_refresh=xyz; b=2"),
        );
        assert_eq!(read_cookie(&h, "ll_refresh").as_deref(), Some("xyz"));
        assert_eq!(read_cookie(&h, "ll"), None);
    }

    proptest::proptest! {
        #[test]
        fn reading_any_cookie_header_never_panics(raw in "[ -~]{0,120}") {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&raw) {
                h.insert(header::COOKIE, v);
            }
            if let Some(v) = read_cookie(&h, "ll_refresh") {
                proptest::prop_assert!(!v.is_empty() && raw.contains(&v));
            }
        }
    }

    #[test]
    fn secure_by_default_with_prefixes() {
        let mut h = HeaderMap::new();
        let ttl = Duration::from_secs(60);
        issue(&mut h, &CookieConfig::default(), "a", ttl, "r", ttl, true);
        clear(&mut h, &CookieConfig::default());
        let all: Vec<_> = h
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(all.len(), 4);
        for c in &all {
            assert!(c.ends_with("; Secure") && !c.contains("Domain"), "{c}");
        }
        assert!(all[0].starts_with("__Host-ll_access=a; Path=/;"));
        assert!(all[1].starts_with("__Secure-ll_refresh=r; Path=/v1/auth/;"));
        let mut plain = HeaderMap::new();
        issue(
            &mut plain,
            &CookieConfig::plain_http_development(),
            "a",
            ttl,
            "r",
            ttl,
            true,
        );
        for v in plain.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            assert!(v.starts_with("ll_") && !v.contains("Secure"), "{v}");
        }
    }

    #[test]
    fn remember_me_decides_between_persistent_and_session_cookies() {
        let cfg = CookieConfig::default();
        for (persistent, want_max_age) in [(true, true), (false, false)] {
            let mut h = HeaderMap::new();
            issue(
                &mut h,
                &cfg,
                "a",
                Duration::from_secs(60),
                "r",
                Duration::from_secs(600),
                persistent,
            );
            for v in h.get_all(header::SET_COOKIE) {
                assert_eq!(v.to_str().unwrap().contains("Max-Age"), want_max_age);
            }
        }
    }

    #[test]
    fn short_cookie_age_caps_both() {
        let cfg = CookieConfig {
            max_age: Some(Duration::from_secs(5)),
            ..CookieConfig::plain_http_development()
        };
        let mut h = HeaderMap::new();
        issue(
            &mut h,
            &cfg,
            "a",
            Duration::from_secs(60),
            "r",
            Duration::from_secs(600),
            false,
        );
        let all: Vec<_> = h
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(all[0].starts_with("ll_access=a; Path=/;") && all[0].contains("Max-Age=5"));
        assert!(all[1].contains("Path=/v1/auth/") && all[1].contains("Max-Age=5"));
    }
}
