//! The default network capture: a `fetch`/`XMLHttpRequest` record from the
//! MAIN-world hook becomes the same webRequest-shaped inputs the opt-in
//! webRequest listeners give (`before_request`, `send_headers`, an optional
//! redirect hop, then `completed` or `error`), so one tracker serves both.

use crate::guard::{Counts, Reason, clamp_time};
use crate::input::{Header, NetRecord, ResourceType, WebRequest, clip};
use crate::limits;

/// The webRequest-shaped steps of one hooked request, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Steps {
    /// For `before_request` and `send_headers`.
    pub start: WebRequest,
    /// A `before_redirect` to the final URL, when the response was redirected.
    pub redirect: Option<WebRequest>,
    /// For `completed`, or `failed` when [`Steps::failed`].
    pub end: WebRequest,
    pub failed: bool,
}

/// The only error strings kept (the page could put anything in the field).
fn error_text(e: Option<&str>) -> &'static str {
    match e {
        Some("net::ERR_ABORTED") => "net::ERR_ABORTED",
        Some("net::ERR_TIMED_OUT") => "net::ERR_TIMED_OUT",
        _ => "net::ERR_FAILED",
    }
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// `None` for records that say nothing (no URL over http(s)). `document`
/// is the URL of the frame that made the request (the browser's word for
/// the sender), under which the exchange is filed. The page's clock is ours,
/// but its messages are not trusted: a record's end is clamped to at most
/// [`limits::NET_AGE_MS`] before it arrived and not after, its start to
/// not after its end; each clamp is counted.
pub fn steps(
    r: &NetRecord,
    tab: i64,
    frame: Option<i64>,
    document: &str,
    now_ms: i64,
    counts: &mut Counts,
) -> Option<Steps> {
    let url = clip(&r.url, limits::URL);
    if !is_http(url) {
        return None;
    }
    let end_ms = clamp_time(r.end_ms, now_ms - limits::NET_AGE_MS, now_ms, counts);
    if r.start_ms > end_ms {
        counts.note(Reason::NegativeDuration);
    }
    let start_ms = if r.start_ms > end_ms {
        end_ms
    } else {
        clamp_time(r.start_ms, end_ms - limits::NET_AGE_MS, end_ms, counts)
    };
    // Namespaced by tab and frame: webRequest ids are plain numbers.
    let request_id = format!("page:{tab}:{}:{}", frame.unwrap_or(0), r.id);
    let base = WebRequest {
        request_id,
        url: url.to_owned(),
        method: Some(clip(&r.method, limits::METHOD).to_ascii_uppercase()),
        tab_id: tab,
        frame_id: frame,
        document_url: Some(clip(document, limits::URL).to_owned()),
        resource_type: Some(ResourceType::Xmlhttprequest),
        time_stamp: Some(start_ms as f64),
        ..WebRequest::default()
    };
    let mut start = base.clone();
    start.body_text = r.body.as_deref().map(|b| clip(b, limits::BODY).to_owned());
    start.request_headers = r.auth.as_deref().map(|a| {
        vec![Header {
            name: "authorization".into(),
            value: Some(clip(a, limits::VALUE + 16).to_owned()),
        }]
    });
    let status = r.status.unwrap_or(0);
    let failed = status == 0;
    let final_url = r
        .final_url
        .as_deref()
        .map(|u| clip(u, limits::URL))
        .filter(|u| is_http(u));
    let redirect = match final_url {
        Some(to) if r.redirected && !failed && to != url => {
            let mut hop = base.clone();
            hop.time_stamp = Some(end_ms as f64);
            // The hop's own status is not visible to the page; a redirect it was.
            hop.status_code = Some(302);
            hop.redirect_url = Some(to.to_owned());
            Some(hop)
        }
        _ => None,
    };
    let mut end = base;
    if let Some(hop) = &redirect {
        end.url = hop.redirect_url.clone().unwrap_or_default();
    }
    end.time_stamp = Some(end_ms as f64);
    if failed {
        end.error = Some(error_text(r.error.as_deref()).to_owned());
    } else {
        end.status_code = Some(status);
        end.response_headers = Some(
            r.headers
                .iter()
                .take(limits::HEADERS)
                .map(|(n, v)| Header {
                    name: clip(n, limits::HEADER_NAME).to_owned(),
                    value: Some(clip(v, limits::HEADER_VALUE).to_owned()),
                })
                .collect(),
        );
    }
    Some(Steps {
        start,
        redirect,
        end,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> NetRecord {
        NetRecord {
            id: 4,
            url: "http://h.test/v1/auth/refresh/".into(),
            method: "post".into(),
            auth: Some("Bearer AAA".into()),
            body: Some(r#"{"refresh":"R"}"#.into()),
            start_ms: 1_000,
            end_ms: 1_040,
            status: Some(401),
            error: None,
            redirected: false,
            final_url: Some("http://h.test/v1/auth/refresh/".into()),
            headers: vec![("www-authenticate".into(), "Bearer".into())],
            at: None,
        }
    }

    const PAGE: &str = "http://h.test/dashboard";

    #[test]
    fn a_record_becomes_webrequest_steps() {
        let s = steps(&record(), 3, Some(0), PAGE, 2_000, &mut Counts::default()).unwrap();
        assert_eq!(s.start.document_url.as_deref(), Some(PAGE));
        assert_eq!(s.end.document_url.as_deref(), Some(PAGE));
        assert_eq!(s.start.request_id, "page:3:0:4");
        assert_eq!(s.start.method.as_deref(), Some("POST"));
        assert_eq!(s.start.header(false, "Authorization"), Some("Bearer AAA"));
        assert_eq!(s.start.body_text.as_deref(), Some(r#"{"refresh":"R"}"#));
        assert_eq!(s.start.time_stamp, Some(1_000.0));
        assert_eq!(s.end.time_stamp, Some(1_040.0));
        assert_eq!(s.end.status_code, Some(401));
        assert_eq!(s.end.header(true, "WWW-Authenticate"), Some("Bearer"));
        assert!(!s.failed && s.redirect.is_none());
    }

    #[test]
    fn table() {
        type Case = (
            &'static str,
            fn(&mut NetRecord),
            fn(&Option<Steps>) -> bool,
            Counts,
        );
        let none = Counts::default();
        let clamped = |n, neg| Counts {
            time_clamped: n,
            negative_duration: neg,
            ..Counts::default()
        };
        let cases: &[Case] = &[
            (
                "not http",
                |r| r.url = "data:text/plain,x".into(),
                |s| s.is_none(),
                none,
            ),
            (
                "failure keeps a fixed error text",
                |r| {
                    r.status = Some(0);
                    r.error = Some("eyJhbGciOi.secret".into());
                },
                |s| {
                    let s = s.as_ref().unwrap();
                    s.failed
                        && s.end.status_code.is_none()
                        && s.end.error.as_deref() == Some("net::ERR_FAILED")
                },
                none,
            ),
            (
                "abort",
                |r| {
                    r.status = None;
                    r.error = Some("net::ERR_ABORTED".into());
                },
                |s| s.as_ref().unwrap().end.error.as_deref() == Some("net::ERR_ABORTED"),
                none,
            ),
            (
                "redirect hop to the final URL",
                |r| {
                    r.redirected = true;
                    r.status = Some(200);
                    r.final_url = Some("http://h.test/signin?next=/".into());
                },
                |s| {
                    let s = s.as_ref().unwrap();
                    let hop = s.redirect.as_ref().unwrap();
                    hop.url == "http://h.test/v1/auth/refresh/"
                        && hop.redirect_url.as_deref() == Some("http://h.test/signin?next=/")
                        && s.end.url == "http://h.test/signin?next=/"
                        && s.end.request_id == hop.request_id
                },
                none,
            ),
            (
                "redirected to the same URL is no hop",
                |r| r.redirected = true,
                |s| s.as_ref().unwrap().redirect.is_none(),
                none,
            ),
            (
                "times from the future or the distant past are clamped",
                |r| {
                    r.start_ms = -5;
                    r.end_ms = 9_999_999_999;
                },
                |s| {
                    let s = s.as_ref().unwrap();
                    s.start.time_stamp == Some(1_400_000.0) && s.end.time_stamp == Some(2_000_000.0)
                },
                clamped(2, 0),
            ),
            (
                "an end before the start",
                |r| {
                    r.start_ms = 1_900_000;
                    r.end_ms = 1_800_000;
                },
                |s| {
                    let s = s.as_ref().unwrap();
                    s.start.time_stamp == Some(1_800_000.0) && s.end.time_stamp == Some(1_800_000.0)
                },
                clamped(0, 1),
            ),
            (
                "no frame is frame 0",
                |r| r.id = 9,
                |s| s.as_ref().unwrap().start.request_id == "page:3:0:9",
                none,
            ),
        ];
        for (name, edit, check, want) in cases {
            let mut r = record();
            (r.start_ms, r.end_ms) = (1_999_000, 1_999_040);
            edit(&mut r);
            let mut counts = Counts::default();
            let got = steps(&r, 3, None, PAGE, 2_000_000, &mut counts);
            assert!(check(&got), "{name}: {got:?}");
            assert_eq!(&counts, want, "{name}");
        }
    }
}
