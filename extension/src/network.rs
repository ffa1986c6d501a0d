//! webRequest → one `http_exchange` per hop, plus what the cookie attribution
//! and the time layer need (Set-Cookie seen, server `Date`).

use litemap::LiteMap;

use logout_lens_model::event::{HttpExchange, RequestRole};
use logout_lens_model::http::{self, AUTH_CODE_HEADER, SiteHints};
use logout_lens_model::{Fingerprint, Redactor, jwt};

use crate::input::{ResourceType, WebRequest, clip};
use crate::limits;
use crate::url::{host_of, origin_of};

/// Requests in flight beyond this are forgotten oldest-first (a page that
/// never completes its requests must not grow memory without bound).
const MAX_PENDING: usize = 2_000;

#[derive(Debug, Clone)]
struct Pending {
    method: String,
    start_ms: i64,
    refresh_fp: Option<Fingerprint>,
    access_fp: Option<Fingerprint>,
    redirected: bool,
    seq: u64,
}

/// A `Set-Cookie` header seen in a response (for attribution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookieSeen {
    pub name: String,
    pub host: String,
    pub request_id: String,
    /// The site whose page made the request (filled in by the core).
    pub origin: Option<String>,
    pub deletion: bool,
    pub ts_ms: i64,
}

/// One finished hop.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub x: HttpExchange,
    pub ts_ms: i64,
    pub tab: i64,
    pub frame: Option<i64>,
    /// Origin of the request URL.
    pub origin: Option<String>,
    /// This hop's raw URL (in memory only, never stored).
    pub url: String,
    /// The URL of the document that made the request, when the source
    /// says (Firefox's `documentUrl`; the page hook's sender).
    pub document_url: Option<String>,
    /// The origin that made the request (Chromium's `initiator`).
    pub initiator: Option<String>,
    /// When the request (this hop) started.
    pub start_ms: i64,
    pub main_frame: bool,
    /// A frame's document: the request loads it.
    pub sub_frame: bool,
    /// Raw URL this hop led to (redirect target or the final URL); kept in
    /// memory for login-page checks, never stored.
    pub landed_url: String,
    pub redirect: bool,
    /// The server's `Date`, in ms, when present.
    pub server_date_ms: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Tracker {
    pending: LiteMap<String, Pending>,
    seq: u64,
}

impl Tracker {
    /// `onBeforeRequest`: remember the start and any refresh token in the body.
    pub fn before_request(&mut self, d: &WebRequest, redactor: &Redactor, now_ms: i64) {
        // Images, fonts, styles and scripts say nothing about auth.
        if d.is(ResourceType::Static) || d.tab_id < 0 {
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            if let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.seq)
                .map(|(k, _)| k.clone())
            {
                self.pending.remove(&oldest);
            }
        }
        self.seq += 1;
        let refresh_fp = d
            .body_text
            .as_deref()
            .and_then(|b| refresh_token_in_body(clip(b, limits::BODY)))
            .map(|t| redactor.token(&t, Some("refresh")).fp);
        let start_ms = d.time_stamp.map_or(now_ms, |t| t as i64);
        let entry = self.pending.entry(d.request_id.clone()).or_insert(Pending {
            method: String::new(),
            start_ms,
            refresh_fp: None,
            access_fp: None,
            redirected: false,
            seq: self.seq,
        });
        entry.method = d.method.clone().unwrap_or_else(|| "GET".into());
        entry.start_ms = start_ms;
        if refresh_fp.is_some() {
            entry.refresh_fp = refresh_fp;
        }
    }

    /// `onSendHeaders` (with `extraHeaders` where supported): the bearer token
    /// and any refresh-token cookie the request carries.
    pub fn send_headers(&mut self, d: &WebRequest, redactor: &Redactor) {
        let Some(p) = self.pending.get_mut(&d.request_id) else {
            return;
        };
        if let Some(auth) = d.header(false, "authorization") {
            if let Some((scheme, cred)) = auth.split_once(' ') {
                if scheme.eq_ignore_ascii_case("bearer") && !cred.trim().is_empty() {
                    let cred = clip(cred.trim(), limits::VALUE);
                    p.access_fp = Some(redactor.token(cred, Some("access")).fp);
                }
            }
        }
        for cookie in d.headers(false, "cookie") {
            for pair in cookie.split(';') {
                if let Some((name, value)) = pair.trim().split_once('=') {
                    if name.to_ascii_lowercase().contains("refresh") && !value.is_empty() {
                        p.refresh_fp =
                            Some(redactor.token(clip(value, limits::VALUE), Some(name)).fp);
                    }
                }
            }
        }
    }

    /// `onHeadersReceived`: the `Set-Cookie` headers of this response, which
    /// reach `cookies.onChanged` only afterwards.
    pub fn headers_received(&mut self, d: &WebRequest, now_ms: i64) -> Vec<SetCookieSeen> {
        let host = host_of(&d.url).unwrap_or_default();
        let ts_ms = d.time_stamp.map_or(now_ms, |t| t as i64);
        d.headers(true, "set-cookie")
            // Firefox joins several Set-Cookie headers with newlines.
            .flat_map(|v| v.split('\n'))
            .filter_map(|v| {
                let name = v.split(';').next()?.split_once('=')?.0.trim();
                if name.is_empty() {
                    return None;
                }
                Some(SetCookieSeen {
                    name: clip(name, limits::KEY).to_owned(),
                    host: host.clone(),
                    request_id: d.request_id.clone(),
                    origin: None,
                    deletion: http::set_cookie_deletion(v, ts_ms).is_some(),
                    ts_ms,
                })
            })
            .collect()
    }

    /// `onBeforeRedirect`: one hop ends, the request continues under the same id.
    pub fn redirect(
        &mut self,
        d: &WebRequest,
        redactor: &Redactor,
        hints: &SiteHints,
        now_ms: i64,
    ) -> Option<Exchange> {
        let mut ex = self.finish(d, redactor, hints, now_ms, false)?;
        let target = d.redirect_url.clone().unwrap_or_default();
        ex.x.location = Some(redactor.url(&target));
        ex.landed_url = target;
        ex.redirect = true;
        if let Some(p) = self.pending.get_mut(&d.request_id) {
            p.redirected = true;
            p.start_ms = ex.ts_ms;
        }
        Some(ex)
    }

    /// `onCompleted`.
    pub fn completed(
        &mut self,
        d: &WebRequest,
        redactor: &Redactor,
        hints: &SiteHints,
        now_ms: i64,
    ) -> Option<Exchange> {
        self.finish(d, redactor, hints, now_ms, true)
    }

    /// `onErrorOccurred`.
    pub fn failed(
        &mut self,
        d: &WebRequest,
        redactor: &Redactor,
        hints: &SiteHints,
        now_ms: i64,
    ) -> Option<Exchange> {
        let mut ex = self.finish(d, redactor, hints, now_ms, true)?;
        ex.x.status = None;
        ex.x.error = Some(clip(d.error.as_deref().unwrap_or("net::ERR_FAILED"), 120).to_owned());
        Some(ex)
    }

    fn finish(
        &mut self,
        d: &WebRequest,
        redactor: &Redactor,
        hints: &SiteHints,
        now_ms: i64,
        last_hop: bool,
    ) -> Option<Exchange> {
        let p = if last_hop {
            self.pending.remove(&d.request_id)?
        } else {
            self.pending.get(&d.request_id)?.clone()
        };
        let ts_ms = d.time_stamp.map_or(now_ms, |t| t as i64);
        let method = d.method.clone().unwrap_or(p.method);
        let main_frame = d.is(ResourceType::MainFrame);
        let role = if main_frame {
            RequestRole::Other
        } else {
            http::guess_role(&method, &d.url, hints)
        };
        let date = d.header(true, "date").map(|s| clip(s, 64).to_owned());
        let now_for_cookies = ts_ms;
        let x = HttpExchange {
            request_id: Some(d.request_id.clone()),
            method: clip(&method, limits::METHOD).to_owned(),
            url: redactor.url(&d.url),
            status: d.status_code,
            error: None,
            role,
            www_authenticate: d
                .header(true, "www-authenticate")
                .map(|v| redactor.header("www-authenticate", clip(v, 512))),
            auth_error_code: d
                .header(true, AUTH_CODE_HEADER)
                .map(|v| clip(&redactor.auth_code(v.trim()), 64).to_ascii_lowercase()),
            location: d.header(true, "location").map(|l| redactor.url(l)),
            date: date.clone(),
            set_cookie_deletions: d
                .headers(true, "set-cookie")
                .flat_map(|v| v.split('\n'))
                .filter_map(|v| http::set_cookie_deletion(v, now_for_cookies))
                .map(|n| clip(&n, limits::KEY).to_owned())
                .collect(),
            duration_ms: u32::try_from((ts_ms - p.start_ms).max(0)).ok(),
            refresh_token_fp: p.refresh_fp.clone(),
            access_token_fp: p.access_fp.clone(),
        };
        Some(Exchange {
            x,
            ts_ms,
            tab: d.tab_id,
            frame: d.frame_id,
            origin: origin_of(&d.url),
            url: clip(&d.url, limits::URL).to_owned(),
            document_url: d
                .document_url
                .as_deref()
                .map(|u| clip(u, limits::URL).to_owned()),
            initiator: d
                .initiator
                .as_deref()
                .map(|u| clip(u, limits::URL).to_owned()),
            start_ms: p.start_ms,
            main_frame,
            sub_frame: d.is(ResourceType::SubFrame),
            landed_url: d.url.clone(),
            redirect: p.redirected,
            server_date_ms: date.as_deref().and_then(http::parse_http_date),
        })
    }
}

/// A refresh token carried in a JSON or form body (`refresh`, `refresh_token`,
/// `refreshToken`, …), or a JWT of kind refresh anywhere at the top level.
pub fn refresh_token_in_body(body: &str) -> Option<String> {
    let body = body.trim();
    if body.starts_with('{') {
        let v: serde_json::Value = serde_json::from_slice(body.as_bytes()).ok()?;
        let obj = v.as_object()?;
        return obj.iter().find_map(|(k, v)| {
            let s = v.as_str()?;
            (k.to_ascii_lowercase().contains("refresh") && !s.is_empty()).then(|| s.to_owned())
        });
    }
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        let k = k.to_ascii_lowercase();
        let refreshy = k.contains("refresh") || (k == "token" && jwt::looks_like_jwt(v));
        (refreshy && !v.is_empty()).then(|| v.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Header;

    fn redactor() -> Redactor {
        Redactor::new(&[7u8; 32], Default::default()).unwrap()
    }

    fn req(id: &str, url: &str, method: &str, ts: f64) -> WebRequest {
        WebRequest {
            request_id: id.into(),
            url: url.into(),
            method: Some(method.into()),
            tab_id: 3,
            frame_id: Some(0),
            resource_type: Some(ResourceType::Xmlhttprequest),
            time_stamp: Some(ts),
            ..WebRequest::default()
        }
    }

    fn h(name: &str, value: &str) -> Header {
        Header {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    #[test]
    fn refresh_tokens_in_bodies() {
        let cases = [
            (r#"{"refresh":"abc"}"#, Some("abc")),
            (r#"{"refresh_token":"abc","x":1}"#, Some("abc")),
            (r#"{"refreshToken":""}"#, None),
            ("grant_type=refresh_token&refresh_token=xyz", Some("xyz")),
            ("a=b", None),
            ("{not json", None),
            ("", None),
        ];
        for (body, want) in cases {
            assert_eq!(refresh_token_in_body(body).as_deref(), want, "{body}");
        }
    }

    #[test]
    fn a_refresh_call_becomes_one_exchange_with_fingerprints_and_server_code() {
        let r = redactor();
        let hints = SiteHints::default();
        let mut t = Tracker::default();
        let mut d = req(
            "9",
            "http://127.0.0.1:5/v1/auth/refresh/?x=secret",
            "POST",
            1000.0,
        );
        d.body_text = Some(r#"{"refresh":"RAW-REFRESH-TOKEN-123"}"#.into());
        t.before_request(&d, &r, 0);
        d.request_headers = Some(vec![h("Authorization", "Bearer RAW.ACCESS.TOKEN")]);
        t.send_headers(&d, &r);
        d.time_stamp = Some(1041.0);
        d.status_code = Some(401);
        d.response_headers = Some(vec![
            h("WWW-Authenticate", "Bearer error=\"invalid_token\""),
            h("X-Auth-Error-Code", "Reused"),
            h("Date", "Fri, 28 Nov 2025 09:08:20 GMT"),
            h("Set-Cookie", "refresh=; Max-Age=0; Path=/"),
        ]);
        let seen = t.headers_received(&d, 0);
        assert_eq!(seen.len(), 1);
        assert!(seen[0].deletion);
        let ex = t.completed(&d, &r, &hints, 0).unwrap();
        assert_eq!(ex.x.role, RequestRole::Refresh);
        assert_eq!(ex.x.status, Some(401));
        assert_eq!(ex.x.duration_ms, Some(41));
        assert_eq!(ex.x.auth_error_code.as_deref(), Some("reused"));
        assert_eq!(ex.x.set_cookie_deletions, vec!["refresh".to_owned()]);
        assert_eq!(
            ex.x.refresh_token_fp,
            Some(r.token("RAW-REFRESH-TOKEN-123", Some("refresh")).fp)
        );
        assert!(ex.x.access_token_fp.is_some());
        assert!(ex.x.url.ends_with("?x=REDACTED"), "{}", ex.x.url);
        assert!(ex.server_date_ms.is_some());
        let json = serde_json::to_string(&ex.x).unwrap();
        for raw in ["RAW-REFRESH", "RAW.ACCESS", "secret"] {
            assert!(!json.contains(raw), "{json}");
        }
        // Completed requests are forgotten.
        assert!(t.completed(&d, &r, &hints, 0).is_none());
    }

    #[test]
    fn a_token_in_the_auth_code_header_is_a_placeholder() {
        let r = redactor();
        let hints = SiteHints::default();
        let mut t = Tracker::default();
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";
        let mut d = req("3", "http://127.0.0.1:5/api/me", "GET", 0.0);
        t.before_request(&d, &r, 0);
        d.status_code = Some(401);
        d.response_headers = Some(vec![h("X-Auth-Error-Code", jwt)]);
        let ex = t.completed(&d, &r, &hints, 0).unwrap();
        // Redacted before it is cut or lower-cased: the same placeholder as
        // every other hop gives the raw value.
        assert_eq!(ex.x.auth_error_code, Some(r.placeholder(jwt)));
    }

    #[test]
    fn redirects_are_hops_of_one_request() {
        let r = redactor();
        let hints = SiteHints::default();
        let mut t = Tracker::default();
        let mut d = req("1", "http://h.test/dashboard", "GET", 0.0);
        d.resource_type = Some(ResourceType::MainFrame);
        t.before_request(&d, &r, 0);
        d.status_code = Some(302);
        d.redirect_url = Some("http://h.test/login?next=/dashboard".into());
        let hop = t.redirect(&d, &r, &hints, 0).unwrap();
        assert!(hop.redirect && hop.main_frame);
        assert_eq!(hop.landed_url, "http://h.test/login?next=/dashboard");
        assert_eq!(
            hop.x.location.as_deref(),
            Some("http://h.test/login?next=REDACTED")
        );
        let mut d2 = req("1", "http://h.test/login?next=/dashboard", "GET", 5.0);
        d2.resource_type = Some(ResourceType::MainFrame);
        d2.status_code = Some(200);
        let last = t.completed(&d2, &r, &hints, 0).unwrap();
        assert!(last.redirect, "the final hop knows it was redirected");
    }

    #[test]
    fn uninteresting_and_tabless_requests_are_ignored() {
        let r = redactor();
        let mut t = Tracker::default();
        let mut img = req("1", "http://h.test/a.png", "GET", 0.0);
        img.resource_type = Some(ResourceType::Static);
        t.before_request(&img, &r, 0);
        let mut bg = req("2", "http://h.test/api", "GET", 0.0);
        bg.tab_id = -1;
        t.before_request(&bg, &r, 0);
        assert!(t.pending.is_empty());
    }

    #[test]
    fn failures_carry_the_error() {
        let r = redactor();
        let mut t = Tracker::default();
        let mut d = req("4", "http://h.test/v1/auth/refresh/", "POST", 0.0);
        t.before_request(&d, &r, 0);
        d.error = Some("net::ERR_CONNECTION_REFUSED".into());
        let ex = t.failed(&d, &r, &SiteHints::default(), 0).unwrap();
        assert_eq!(ex.x.status, None);
        assert_eq!(ex.x.error.as_deref(), Some("net::ERR_CONNECTION_REFUSED"));
    }

    #[test]
    fn pending_is_bounded() {
        let r = redactor();
        let mut t = Tracker::default();
        for i in 0..(MAX_PENDING + 50) {
            t.before_request(
                &req(&i.to_string(), "http://h.test/api/x", "GET", 0.0),
                &r,
                0,
            );
        }
        assert_eq!(t.pending.len(), MAX_PENDING);
        assert!(!t.pending.contains_key("0"));
    }
}
