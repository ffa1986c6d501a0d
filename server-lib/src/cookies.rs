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

fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<Duration>,
    secure: bool,
) -> Option<HeaderValue> {
    let mut s = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    match max_age {
        Some(d) => s.push_str(&format!("; Max-Age={}", d.as_secs())),
        None => s.push_str("; Max-Age=0"),
    }
    if secure {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).ok()
}

/// `Set-Cookie` headers for a fresh token pair.
pub fn issue(
    headers: &mut HeaderMap,
    cfg: &CookieConfig,
    access: &str,
    access_ttl: Duration,
    refresh: &str,
    refresh_ttl: Duration,
) {
    let access_age = cfg.max_age.map_or(access_ttl, |m| m.min(access_ttl));
    let refresh_age = cfg.max_age.map_or(refresh_ttl, |m| m.min(refresh_ttl));
    for v in [
        set_cookie(&cfg.access_name, access, "/", Some(access_age), cfg.secure),
        set_cookie(
            &cfg.refresh_name,
            refresh,
            REFRESH_COOKIE_PATH,
            Some(refresh_age),
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
        set_cookie(&cfg.access_name, "", "/", None, cfg.secure),
        set_cookie(&cfg.refresh_name, "", REFRESH_COOKIE_PATH, None, cfg.secure),
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

    #[test]
    fn short_cookie_age_caps_both() {
        let cfg = CookieConfig {
            max_age: Some(Duration::from_secs(5)),
            ..Default::default()
        };
        let mut h = HeaderMap::new();
        issue(
            &mut h,
            &cfg,
            "a",
            Duration::from_secs(60),
            "r",
            Duration::from_secs(600),
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
