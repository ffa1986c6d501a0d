//! Small pure HTTP helpers the extension and the diagnosis share.

use crate::event::RequestRole;

/// The response header in which a server states its stable auth-failure code
/// (`expired`, `reused`, …). The server library sets it; any backend may.
pub const AUTH_CODE_HEADER: &str = "x-auth-error-code";

/// Parse an HTTP date (IMF-fixdate, RFC 850, asctime, and the dashed cookie
/// form `Thu, 01-Jan-1970 00:00:00 GMT`) into ms since the epoch.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let cleaned: String = s
        .chars()
        .map(|c| if c == '-' || c == ',' { ' ' } else { c })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    // Drop the weekday, whatever its spelling.
    let words: Vec<&str> = match words.first() {
        Some(w) if w.chars().all(|c| c.is_ascii_alphabetic()) && month(w).is_none() => {
            words[1..].to_vec()
        }
        _ => words,
    };
    let (day, mon, year, time) = match words.as_slice() {
        // 06 Nov 1994 08:49:37 GMT
        [d, m, y, t, ..] if month(m).is_some() => (*d, *m, *y, *t),
        // Nov  6 08:49:37 1994 (asctime)
        [m, d, t, y] if month(m).is_some() => (*d, *m, *y, *t),
        _ => return None,
    };
    let day: u32 = day.parse().ok()?;
    let mut year: i64 = year.parse().ok()?;
    if year < 100 {
        // RFC 850 two-digit years.
        year += if year < 70 { 2000 } else { 1900 };
    }
    let mon = month(mon)?;
    let mut hms = time.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let se: i64 = hms.next()?.parse().ok()?;
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(year, mon, day);
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000)
}

fn month(m: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|x| *x == m)
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// If this `Set-Cookie` value deletes its cookie (`Max-Age<=0` or an `Expires`
/// before `now_ms`), the cookie's name.
pub fn set_cookie_deletion(value: &str, now_ms: i64) -> Option<String> {
    let mut parts = value.split(';');
    let name = parts.next()?.split_once('=')?.0.trim();
    if name.is_empty() {
        return None;
    }
    let mut deletes = false;
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim();
        if k == "max-age" {
            // Max-Age wins over Expires (RFC 6265 §5.3).
            return match v.parse::<i64>() {
                Ok(n) if n <= 0 => Some(name.to_owned()),
                _ => None,
            };
        }
        if k == "expires" && parse_http_date(v).is_some_and(|t| t <= now_ms) {
            deletes = true;
        }
    }
    deletes.then(|| name.to_owned())
}

/// A parsed `WWW-Authenticate` challenge (the first one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parse `Bearer realm="x", error="invalid_token", error_description="…"`.
pub fn parse_www_authenticate(value: &str) -> Challenge {
    let value = value.trim();
    let (scheme, mut rest) = match value.split_once(char::is_whitespace) {
        Some((s, r)) => (s.to_owned(), r.trim_start()),
        None => (value.to_owned(), ""),
    };
    let mut params = Vec::new();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let val;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => out.push(c),
                }
            }
            val = out;
            rest = quoted.get(end..).unwrap_or("");
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            val = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        if !key.is_empty() {
            params.push((key, val));
        }
    }
    Challenge { scheme, params }
}

/// Per-site patterns the user configured. A pattern matches when the URL path
/// contains it, or, with `*`, when the path matches the glob.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SiteHints {
    #[serde(default)]
    pub login_pages: Vec<String>,
    #[serde(default)]
    pub refresh: Vec<String>,
    #[serde(default)]
    pub login: Vec<String>,
    #[serde(default)]
    pub logout: Vec<String>,
}

const REFRESH_WORDS: &[&str] = &["refresh", "/token/renew", "/silent-renew", "/session/renew"];
const LOGOUT_WORDS: &[&str] = &[
    "logout", "log-out", "signout", "sign-out", "sign_out", "/revoke",
];
const LOGIN_WORDS: &[&str] = &[
    "login",
    "log-in",
    "signin",
    "sign-in",
    "sign_in",
    "/authenticate",
    "/oauth/token",
    "/token/obtain",
    "/api/token",
];
const LOGIN_PAGE_WORDS: &[&str] = &[
    "/login",
    "/signin",
    "/sign-in",
    "/sign_in",
    "/log-in",
    "/auth",
    "/session/new",
    "/sso",
    "/oauth/authorize",
    "/authorize",
];

/// Guess what a request is for from its method and URL (path only is enough).
pub fn guess_role(method: &str, url: &str, hints: &SiteHints) -> RequestRole {
    let path = path_of(url).to_ascii_lowercase();
    if matches_any(&path, &hints.refresh) {
        return RequestRole::Refresh;
    }
    if matches_any(&path, &hints.logout) {
        return RequestRole::Logout;
    }
    if matches_any(&path, &hints.login) {
        return RequestRole::Login;
    }
    if REFRESH_WORDS.iter().any(|w| path.contains(w)) {
        return RequestRole::Refresh;
    }
    if LOGOUT_WORDS.iter().any(|w| path.contains(w)) {
        return RequestRole::Logout;
    }
    let is_post = method.eq_ignore_ascii_case("POST");
    if is_post && LOGIN_WORDS.iter().any(|w| path.contains(w)) {
        return RequestRole::Login;
    }
    if path.contains("/api/")
        || path.contains("/graphql")
        || path.starts_with("/v1/")
        || path.starts_with("/v2/")
        || !method.eq_ignore_ascii_case("GET")
    {
        return RequestRole::Api;
    }
    RequestRole::Other
}

/// Does this URL look like a login page?
pub fn is_login_page(url: &str, hints: &SiteHints) -> bool {
    let path = path_of(url).to_ascii_lowercase();
    if !hints.login_pages.is_empty() {
        return matches_any(&path, &hints.login_pages);
    }
    LOGIN_PAGE_WORDS.iter().any(|w| {
        path == *w
            || path.starts_with(&format!("{w}/"))
            || path.starts_with(&format!("{w}?"))
            || path.ends_with(w)
    })
}

/// Does this cookie name look like it carries a session or token?
pub fn is_auth_cookie(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.contains("csrf") || n.contains("xsrf") {
        return false;
    }
    [
        "sess", "sid", "auth", "token", "jwt", "refresh", "access", "remember", "login", "identity",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The host of an origin or URL (`scheme://host[:port]…`), without the port
/// (cookies ignore ports) and without userinfo; IPv6 keeps its brackets.
pub fn host_of_origin(origin: &str) -> Option<&str> {
    let rest = origin.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        &host_port[..host_port.find(']').map_or(host_port.len(), |i| i + 1)]
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    (!host.is_empty()).then_some(host)
}

/// Does a cookie's `domain` cover `host` (RFC 6265 §5.1.3)? The browsers
/// report a domain cookie with a leading dot (`.example.test`: that host and
/// its subdomains) and a host-only cookie without one (that host only).
/// Ports play no part: two apps on two ports of one host share a cookie.
pub fn cookie_domain_matches(domain: &str, host: &str) -> bool {
    match domain.strip_prefix('.') {
        Some(d) if !d.is_empty() => {
            let split = host.len().saturating_sub(d.len());
            host.eq_ignore_ascii_case(d)
                || (split > 1
                    && host.is_char_boundary(split)
                    && host[..split].ends_with('.')
                    && host[split..].eq_ignore_ascii_case(d))
        }
        Some(_) => false,
        None => !domain.is_empty() && host.eq_ignore_ascii_case(domain),
    }
}

/// The path of a URL (no scheme, host, query or fragment).
pub fn path_of(url: &str) -> &str {
    let no_frag = url.split('#').next().unwrap_or(url);
    let no_query = no_frag.split('?').next().unwrap_or(no_frag);
    match no_query.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => no_query,
    }
}

fn matches_any(path: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        let p = p.to_ascii_lowercase();
        if p.contains('*') {
            glob(&p, path)
        } else {
            !p.is_empty() && path.contains(&p)
        }
    })
}

/// `*` matches any run of characters; iterative, so no pathological recursion.
fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_domains_and_hosts() {
        #[rustfmt::skip]
        let domains = [
            (".example.test", "example.test", true),
            (".example.test", "app.example.test", true),
            (".Example.test", "APP.example.test", true),
            (".example.test", "badexample.test", false),
            ("example.test", "example.test", true),
            ("example.test", "app.example.test", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "localhost", false),
            (".", "x", false),
            ("", "x", false),
        ];
        for (d, h, want) in domains {
            assert_eq!(cookie_domain_matches(d, h), want, "{d} {h}");
        }
        #[rustfmt::skip]
        let hosts = [
            ("http://127.0.0.1:8080/x", Some("127.0.0.1")),
            ("https://user:pw@App.test", Some("App.test")),
            ("http://[::1]:9/x", Some("[::1]")),
            ("http://localhost", Some("localhost")),
            ("https:///x", None),
            ("nope", None),
        ];
        for (o, want) in hosts {
            assert_eq!(host_of_origin(o), want, "{o}");
        }
    }

    #[test]
    fn http_dates() {
        let want = Some(784_111_777_000);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), want);
        assert_eq!(parse_http_date("Thu, 01-Jan-1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT"), None);
    }

    #[test]
    fn set_cookie_deletions() {
        let now = 1_000_000_000_000;
        assert_eq!(
            set_cookie_deletion("sid=; Max-Age=0; Path=/", now).as_deref(),
            Some("sid")
        );
        assert_eq!(
            set_cookie_deletion("sid=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", now).as_deref(),
            Some("sid")
        );
        assert_eq!(set_cookie_deletion("sid=x; Max-Age=3600", now), None);
        assert_eq!(
            set_cookie_deletion(
                "sid=x; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                now
            ),
            None
        );
        assert_eq!(set_cookie_deletion("garbage", now), None);
    }

    #[test]
    fn www_authenticate() {
        let c = parse_www_authenticate(
            r#"Bearer realm="api", error="invalid_token", error_description="The token \"expired\"""#,
        );
        assert_eq!(c.scheme, "Bearer");
        assert_eq!(c.param("error"), Some("invalid_token"));
        assert_eq!(c.param("error_description"), Some("The token \"expired\""));
        assert_eq!(parse_www_authenticate("Basic").params.len(), 0);
        assert_eq!(
            parse_www_authenticate("Bearer code=reused").param("code"),
            Some("reused")
        );
    }

    #[test]
    fn role_table() {
        let none = SiteHints::default();
        let cases = [
            (
                "POST",
                "https://a.test/v1/auth/refresh/",
                RequestRole::Refresh,
            ),
            (
                "POST",
                "https://a.test/api/token/refresh/",
                RequestRole::Refresh,
            ),
            ("POST", "https://a.test/v1/auth/login/", RequestRole::Login),
            ("POST", "https://a.test/api/token/", RequestRole::Login),
            (
                "POST",
                "https://a.test/v1/auth/logout/",
                RequestRole::Logout,
            ),
            ("GET", "https://a.test/api/me?x=1", RequestRole::Api),
            ("GET", "https://a.test/static/app.js", RequestRole::Other),
        ];
        for (m, u, want) in cases {
            assert_eq!(guess_role(m, u, &none), want, "{m} {u}");
        }
        let hints = SiteHints {
            refresh: vec!["/renew*".into()],
            ..SiteHints::default()
        };
        assert_eq!(
            guess_role("POST", "/renew/now", &hints),
            RequestRole::Refresh
        );
    }

    #[test]
    fn login_pages_and_cookies() {
        let none = SiteHints::default();
        assert!(is_login_page("https://a.test/signin?next=/x", &none));
        assert!(is_login_page("https://a.test/accounts/login", &none));
        assert!(!is_login_page("https://a.test/dashboard", &none));
        assert!(is_auth_cookie("sessionid") && is_auth_cookie("refresh_token"));
        assert!(!is_auth_cookie("csrftoken") && !is_auth_cookie("theme"));
        assert!(glob("/a*/b*", "/abc/bcd") && !glob("/a*/c", "/abc/bcd"));
    }
}
