//! Cookie-change attribution: `cookies.onChanged` says *what* happened
//! (`cause`) but not *who* did it. A `Set-Cookie` seen in a response just
//! before, or a `document.cookie` write caught in the page, names the writer.

use std::collections::VecDeque;

use logout_lens_model::Redactor;
use logout_lens_model::event::{CookieCause, CookieChange, CookieWriter, SameSite};

use logout_lens_model::http::cookie_domain_matches;

use crate::input::{CookieChanged, Known, clip};
use crate::limits;
use crate::network::SetCookieSeen;

/// How long a seen write can explain a later `onChanged` (the browser stores
/// the cookie right after the headers arrive, so this is generous).
pub const MATCH_WINDOW_MS: i64 = 5_000;
const MAX_REMEMBERED: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Write {
    name: String,
    host: String,
    writer: CookieWriter,
    request_id: Option<String>,
    /// The site whose page or request wrote it.
    origin: Option<String>,
    ts_ms: i64,
}

/// Who made a cookie change, through which request, for which site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    pub writer: CookieWriter,
    pub request_id: Option<String>,
    /// The site whose page (`document.cookie`) or request (`Set-Cookie`)
    /// wrote it, when known.
    pub origin: Option<String>,
}

#[derive(Debug, Default)]
pub struct Attributor {
    recent: VecDeque<Write>,
    /// webRequest is live, so every `Set-Cookie` is seen. Without it (the
    /// default on Chromium) an unexplained change to an `HttpOnly` cookie is
    /// the server's by elimination: no page script can write one.
    sees_set_cookie: bool,
}

impl Attributor {
    pub fn set_sees_set_cookie(&mut self, sees: bool) {
        self.sees_set_cookie = sees;
    }

    pub fn saw_set_cookie(&mut self, s: SetCookieSeen) {
        self.remember(Write {
            name: s.name,
            host: s.host,
            writer: CookieWriter::Server,
            request_id: Some(s.request_id),
            origin: s.origin,
            ts_ms: s.ts_ms,
        });
    }

    /// A `document.cookie = text` write in a page of `origin` on `host`.
    pub fn saw_document_cookie(&mut self, text: &str, host: &str, origin: &str, ts_ms: i64) {
        let Some((name, _)) = text.split(';').next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let name = clip(name.trim(), limits::KEY);
        if name.is_empty() {
            return;
        }
        self.remember(Write {
            name: name.to_owned(),
            host: host.to_owned(),
            writer: CookieWriter::PageScript,
            request_id: None,
            origin: Some(origin.to_owned()),
            ts_ms,
        });
    }

    fn remember(&mut self, w: Write) {
        if self.recent.len() >= MAX_REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back(w);
    }

    /// Who made this change, through which request, for which site.
    pub fn attribute(&self, c: &CookieChanged, cause: CookieCause, now_ms: i64) -> Attribution {
        let by = |writer| Attribution {
            writer,
            request_id: None,
            origin: None,
        };
        if matches!(cause, CookieCause::Expired | CookieCause::Evicted) {
            return by(CookieWriter::Browser);
        }
        let hit = self.recent.iter().rev().find(|w| {
            w.name == c.cookie.name
                && cookie_domain_matches(&c.cookie.domain, &w.host)
                && now_ms - w.ts_ms <= MATCH_WINDOW_MS
                && w.ts_ms - now_ms <= MATCH_WINDOW_MS
        });
        match hit {
            Some(w) => Attribution {
                writer: w.writer,
                request_id: w.request_id.clone(),
                origin: w.origin.clone(),
            },
            None if c.cookie.http_only && !self.sees_set_cookie => by(CookieWriter::Server),
            None => by(CookieWriter::Unknown),
        }
    }

    /// The model's `cookie_change`, value redacted, and the site that wrote
    /// it when known; `None` for a cause this build does not know.
    pub fn change(
        &self,
        c: &CookieChanged,
        redactor: &Redactor,
        now_ms: i64,
    ) -> Option<(CookieChange, Option<String>)> {
        let Known::Is(cause) = c.cause else {
            return None;
        };
        let Attribution {
            writer,
            request_id,
            origin,
        } = self.attribute(c, cause, now_ms);
        let k = &c.cookie;
        let value = (!k.value.is_empty())
            .then(|| redactor.token(clip(&k.value, limits::VALUE), Some(&k.name)));
        let change = CookieChange {
            name: clip(&k.name, limits::KEY).to_owned(),
            domain: clip(&k.domain, limits::KEY).to_owned(),
            cookie_path: clip(&k.path, limits::KEY).to_owned(),
            removed: c.removed,
            cause,
            expires_ms: k.expiration_date.map(|s| (s * 1000.0) as i64),
            session: k.session,
            http_only: k.http_only,
            secure: k.secure,
            same_site: match k.same_site {
                Some(Known::Is(s)) => s,
                _ => SameSite::Unspecified,
            },
            value,
            writer: Some(writer),
            request_id,
        };
        Some((change, origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Cookie;

    const PAGE: &str = "http://127.0.0.1:4000";

    fn changed(name: &str, removed: bool, cause: &str) -> CookieChanged {
        CookieChanged {
            removed,
            cause: serde_json::from_value(serde_json::json!(cause)).unwrap(),
            cookie: Cookie {
                name: name.into(),
                value: "RAW-COOKIE-VALUE".into(),
                domain: "127.0.0.1".into(),
                path: "/".into(),
                secure: false,
                http_only: true,
                same_site: Some(Known::Is(SameSite::Lax)),
                session: false,
                expiration_date: Some(1_764_321_800.5),
            },
        }
    }

    fn seen(name: &str, ts: i64) -> SetCookieSeen {
        SetCookieSeen {
            name: name.into(),
            host: "127.0.0.1".into(),
            request_id: "77".into(),
            origin: Some("http://127.0.0.1:5".into()),
            deletion: true,
            ts_ms: ts,
        }
    }

    #[test]
    fn attribution_table() {
        let mut a = Attributor::default();
        a.set_sees_set_cookie(true);
        a.saw_set_cookie(seen("sessionid", 1_000));
        a.saw_document_cookie("theme=dark; path=/", "127.0.0.1", PAGE, 1_500);
        a.saw_document_cookie(
            "sessionid=; expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "127.0.0.1",
            PAGE,
            9_000,
        );
        let cases = [
            // (name, removed, cause, now, writer, request)
            (
                "sessionid",
                true,
                "expired",
                1_100,
                CookieWriter::Browser,
                None,
            ),
            (
                "sessionid",
                true,
                "evicted",
                1_100,
                CookieWriter::Browser,
                None,
            ),
            (
                "sessionid",
                true,
                "expired_overwrite",
                1_100,
                CookieWriter::Server,
                Some("77"),
            ),
            (
                "sessionid",
                false,
                "explicit",
                1_100,
                CookieWriter::Server,
                Some("77"),
            ),
            (
                "theme",
                false,
                "explicit",
                1_600,
                CookieWriter::PageScript,
                None,
            ),
            // The latest write wins.
            (
                "sessionid",
                true,
                "expired_overwrite",
                9_050,
                CookieWriter::PageScript,
                None,
            ),
            // Too late to be explained.
            (
                "theme",
                false,
                "explicit",
                60_000,
                CookieWriter::Unknown,
                None,
            ),
            (
                "other",
                true,
                "explicit",
                1_100,
                CookieWriter::Unknown,
                None,
            ),
        ];
        for (name, removed, cause, now, writer, rid) in cases {
            let c = changed(name, removed, cause);
            let got = a.attribute(&c, c.cause.clone().known().unwrap(), now);
            assert_eq!(
                (got.writer, got.request_id),
                (writer, rid.map(str::to_owned)),
                "{name} {cause} {now}"
            );
            let origin = match writer {
                CookieWriter::Server => Some("http://127.0.0.1:5"),
                CookieWriter::PageScript => Some(PAGE),
                _ => None,
            };
            assert_eq!(got.origin.as_deref(), origin, "{name} {cause} {now}");
        }
    }

    /// Without webRequest no `Set-Cookie` is seen: an unexplained change is
    /// the server's when no script could have made it (`HttpOnly`).
    #[test]
    fn attribution_by_elimination_without_webrequest() {
        let mut page = Attributor::default();
        page.saw_document_cookie("theme=; max-age=0", "127.0.0.1", PAGE, 1_000);
        let cases = [
            // (sees Set-Cookie, name, HttpOnly, cause, writer)
            (false, "sessionid", true, "explicit", CookieWriter::Server),
            (
                false,
                "sessionid",
                true,
                "expired_overwrite",
                CookieWriter::Server,
            ),
            (false, "sessionid", false, "explicit", CookieWriter::Unknown),
            (false, "sessionid", true, "expired", CookieWriter::Browser),
            (false, "theme", false, "explicit", CookieWriter::PageScript),
            (true, "sessionid", true, "explicit", CookieWriter::Unknown),
        ];
        for (sees, name, http_only, cause, writer) in cases {
            page.set_sees_set_cookie(sees);
            let mut c = changed(name, true, cause);
            c.cookie.http_only = http_only;
            let got = page.attribute(&c, c.cause.clone().known().unwrap(), 1_100);
            assert_eq!(
                (got.writer, got.request_id),
                (writer, None),
                "{sees} {name} {http_only} {cause}"
            );
        }
    }

    #[test]
    fn changes_are_redacted_and_unknown_causes_refused() {
        let a = Attributor::default();
        let r = Redactor::new(&[1u8; 32], Default::default()).unwrap();
        let (ch, _) = a.change(&changed("sid", true, "expired"), &r, 0).unwrap();
        assert_eq!(ch.expires_ms, Some(1_764_321_800_500));
        assert_eq!(ch.same_site, SameSite::Lax);
        let json = serde_json::to_string(&ch).unwrap();
        assert!(!json.contains("RAW-COOKIE-VALUE"), "{json}");
        assert!(
            a.change(&changed("sid", true, "unknownDeletion"), &r, 0)
                .is_none()
        );
    }

    #[test]
    fn memory_is_bounded() {
        let mut a = Attributor::default();
        for i in 0..(MAX_REMEMBERED + 10) {
            a.saw_set_cookie(seen(&format!("c{i}"), 0));
        }
        assert_eq!(a.recent.len(), MAX_REMEMBERED);
    }
}
