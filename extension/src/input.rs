//! What the JS glue hands over, in the browsers' own shapes (camelCase).
//!
//! Everything is lenient (unknown fields ignored, most fields optional) and
//! everything coming from a page is untrusted: [`limits`] caps every string
//! before it is looked at.
//!
//! The shapes are read by hand from a `serde_json::Value` ([`FromJson`])
//! rather than derived: each derived `Deserialize` is its own copy of the
//! parser in the wasm, and these few readers cost a fraction of that. The
//! rules match what the derive did: a missing optional field takes its
//! default, `null` is `None` for an `Option` (and an error otherwise), a value
//! of the wrong type is an error.

use serde_json::{Map, Value};

/// Every cap and bound of the core, in one place: sizes of page-controlled
/// input, rates, queue sizes and shares, and how far a claimed time may be
/// from its arrival.
pub mod limits {
    /// Largest page message read (its JSON text); a larger one is refused.
    pub const PAGE_INPUT_BYTES: usize = 2 * 1024 * 1024;
    /// Messages (and request starts) a tab may send at once…
    pub const TAB_BURST: i64 = 1_000;
    /// …and per second after that (token bucket).
    pub const TAB_RATE_PER_S: i64 = 100;
    /// Tabs (and sites, for notices) whose rate state is kept.
    pub const TABS_TRACKED: usize = 1_000;
    /// Sites whose sign-in state, storage credentials and clock are kept
    /// (one not signed in makes room first).
    pub const SITES_TRACKED: usize = 1_000;
    /// Frames whose URL is remembered, all tabs together.
    pub const FRAMES_TRACKED: usize = 2_000;
    /// Cookies remembered with the sites that depend on them.
    pub const COOKIES_TRACKED: usize = 1_000;
    /// Events kept in memory for the diagnosis and the popup…
    pub const TIMELINE_MAX: usize = 3_000;
    /// …of which one site (or the machine's events) holds at most this many.
    pub const TIMELINE_SHARE: usize = 1_000;
    /// …none older than this.
    pub const TIMELINE_AGE_MS: i64 = 2 * 60 * 60 * 1000;
    /// Unacked events the relay keeps by default…
    pub const RING_MAX: usize = 5_000;
    /// …of which one site holds at most this many.
    pub const RING_SHARE: usize = 2_000;
    /// How long the page hook's messages may have waited in the page for the
    /// forwarder (which starts once the page has loaded); an older `at` is
    /// clamped.
    pub const BACKLOG_MS: i64 = 5 * 60 * 1000;
    /// A hooked request may end at most this long before it arrives.
    pub const NET_AGE_MS: i64 = 10 * 60 * 1000;
    /// A reported last input further back than this is clamped.
    pub const INPUT_AGE_MS: i64 = 24 * 60 * 60 * 1000;
    /// A server clock further from ours than this is not believed (the
    /// model ignores such samples too).
    pub const SKEW_MAX_MS: i64 = logout_lens_model::time::PLAUSIBLE_SKEW_MS;
    /// One logout notification per site at most this often.
    pub const NOTICE_EVERY_MS: i64 = 60_000;
    /// Longest URL kept in memory (page, frame, request).
    pub const URL: usize = 4_096;
    /// Longest page path put on an event.
    pub const PATH: usize = 512;
    /// Longest request method kept.
    pub const METHOD: usize = 16;
    /// Response headers of a hooked request looked at, and their sizes.
    pub const HEADERS: usize = 16;
    pub const HEADER_NAME: usize = 64;
    pub const HEADER_VALUE: usize = 1_024;
    /// Longest value inspected as a possible token (the model's own cap).
    pub const VALUE: usize = logout_lens_model::jwt::MAX_TOKEN_LEN;
    /// Longest storage key or cookie name kept.
    pub const KEY: usize = 256;
    /// Longest stack kept.
    pub const STACK: usize = 1_000;
    /// Longest click label considered.
    pub const LABEL: usize = 64;
    /// Most storage entries looked at in one scan or `clear`.
    pub const ENTRIES: usize = 500;
    /// Longest request body inspected for a refresh token.
    pub const BODY: usize = 16 * 1024;
}

/// Cuts a string to at most `max` bytes on a character boundary, and never
/// inside a run of token characters: a token cut in half no longer looks
/// like one to the scrubber (a JWT's header and half its claims would
/// pass), so the whole run the cut would split goes.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let token = |b: u8| b.is_ascii_alphanumeric() || b"-_.~+/=%".contains(&b);
    let bytes = s.as_bytes();
    if token(bytes[end]) {
        while end > 0 && token(bytes[end - 1]) {
            end -= 1;
        }
    }
    &s[..end]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Option<String>,
}

/// One `webRequest` callback's details (any of the events).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebRequest {
    pub request_id: String,
    pub url: String,
    pub method: Option<String>,
    pub tab_id: i64,
    pub frame_id: Option<i64>,
    pub resource_type: Option<String>,
    pub time_stamp: Option<f64>,
    pub initiator: Option<String>,
    pub document_url: Option<String>,
    pub status_code: Option<u16>,
    pub redirect_url: Option<String>,
    pub error: Option<String>,
    pub request_headers: Option<Vec<Header>>,
    pub response_headers: Option<Vec<Header>>,
    /// The request body as text; the glue decodes `requestBody.raw` (UTF-8,
    /// capped) or flattens `requestBody.formData` into `a=b&c=d`.
    pub body_text: Option<String>,
}

impl WebRequest {
    pub fn header(&self, response: bool, name: &str) -> Option<&str> {
        let list = if response {
            self.response_headers.as_ref()
        } else {
            self.request_headers.as_ref()
        }?;
        list.iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| h.value.as_deref())
    }

    pub fn headers<'a>(&'a self, response: bool, name: &'a str) -> impl Iterator<Item = &'a str> {
        let list = if response {
            self.response_headers.as_deref()
        } else {
            self.request_headers.as_deref()
        };
        list.unwrap_or_default()
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .filter_map(|h| h.value.as_deref())
    }
}

/// `cookies.Cookie`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub domain: String,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: Option<String>,
    pub session: bool,
    /// Seconds since the epoch (fractional).
    pub expiration_date: Option<f64>,
}

/// `cookies.onChanged` details.
#[derive(Debug, Clone, PartialEq)]
pub struct CookieChanged {
    pub removed: bool,
    pub cookie: Cookie,
    pub cause: String,
}

/// `idle.onStateChanged`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleInput {
    pub state: String,
}

/// `tabs.onUpdated` (`tabId`, `changeInfo`, and the tab's url) or `tabs.onRemoved`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TabInput {
    pub tab_id: i64,
    pub url: Option<String>,
    pub discarded: Option<bool>,
    pub frozen: Option<bool>,
}

/// A content-script message, with what the browser says about its sender.
#[derive(Debug, Clone, PartialEq)]
pub struct PageInput {
    pub msg: PageMsg,
    pub tab: Option<i64>,
    pub frame: Option<i64>,
    /// `sender.url`: the URL of the sending frame (not of the tab's top
    /// page), set by the browser, so the origin is trustworthy even though
    /// the message body is not.
    pub url: Option<String>,
    /// `sender.origin` (Chromium): the frame's origin, which an
    /// `about:blank` or `srcdoc` frame inherits while its `url` says nothing.
    pub origin: Option<String>,
    /// When the page hook saw it (`at`, `Date.now()` in the page): its
    /// messages wait in the page until the forwarder starts, after load.
    /// Page-controlled; the core bounds it.
    pub at_ms: Option<i64>,
}

/// What the content scripts report. Page-controlled: sizes are capped on use.
#[derive(Debug, Clone, PartialEq)]
pub enum PageMsg {
    /// A `Storage` method call caught by the MAIN-world hook.
    Storage {
        area: String,
        op: String,
        key: String,
        value: Option<String>,
        old: Option<String>,
        /// For `clear`: the entries that were there.
        entries: Vec<(String, String)>,
        stack: Option<String>,
    },
    /// A `document.cookie` write caught by the MAIN-world hook.
    Cookie {
        text: String,
        stack: Option<String>,
    },
    /// The content script's look at both storages (on load and periodically).
    Scan {
        local: Vec<(String, String)>,
        session: Vec<(String, String)>,
    },
    Activity {
        last_input_ms: i64,
    },
    Lifecycle {
        state: String,
    },
    /// A click on a button or link, with its visible label.
    Click {
        label: String,
    },
    /// A `fetch`/`XMLHttpRequest` that finished, from the MAIN-world hook.
    Net(NetRecord),
    /// The forwarder dropped `n` messages beyond its own rate limit.
    Dropped {
        n: u64,
    },
}

impl PageMsg {
    /// Does any field exceed its cap (it is cut on use)?
    pub fn oversized(&self) -> bool {
        let over = |s: &str, max: usize| s.len() > max;
        let opt = |s: &Option<String>, max: usize| s.as_deref().is_some_and(|s| over(s, max));
        let pairs = |p: &[(String, String)]| {
            p.len() > limits::ENTRIES
                || p.iter()
                    .any(|(k, v)| over(k, limits::KEY) || over(v, limits::VALUE))
        };
        match self {
            PageMsg::Storage {
                key,
                value,
                old,
                entries,
                stack,
                ..
            } => {
                over(key, limits::KEY)
                    || opt(value, limits::VALUE)
                    || opt(old, limits::VALUE)
                    || pairs(entries)
                    || opt(stack, limits::STACK)
            }
            PageMsg::Cookie { text, stack } => {
                over(text, limits::VALUE) || opt(stack, limits::STACK)
            }
            PageMsg::Scan { local, session } => pairs(local) || pairs(session),
            PageMsg::Activity { .. } | PageMsg::Dropped { .. } => false,
            PageMsg::Lifecycle { state } => over(state, limits::KEY),
            PageMsg::Click { label } => over(label, limits::LABEL),
            PageMsg::Net(r) => {
                over(&r.url, limits::URL)
                    || over(&r.method, limits::METHOD)
                    || opt(&r.auth, limits::VALUE + 16)
                    || opt(&r.body, limits::BODY)
                    || opt(&r.final_url, limits::URL)
                    || r.headers.len() > limits::HEADERS
                    || r.headers
                        .iter()
                        .any(|(n, v)| over(n, limits::HEADER_NAME) || over(v, limits::HEADER_VALUE))
            }
        }
    }
}

/// One finished `fetch` or `XMLHttpRequest` as the page saw it (the default
/// network capture, without webRequest). Page-controlled, like every page
/// message: the core caps and redacts it before anything is kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetRecord {
    /// The frame's own counter.
    pub id: u64,
    /// Absolute request URL.
    pub url: String,
    pub method: String,
    /// The `Authorization` request header, when the page set one.
    pub auth: Option<String>,
    /// A string or `URLSearchParams` request body, capped by the hook.
    pub body: Option<String>,
    /// `Date.now()` at the call and when the response (or failure) arrived.
    pub start_ms: i64,
    pub end_ms: i64,
    /// 0 when there was no response.
    pub status: u16,
    pub error: Option<String>,
    pub redirected: bool,
    /// `response.url` / `responseURL`: where the redirects ended.
    pub final_url: Option<String>,
    /// The readable response headers the core looks at, `[name, value]`.
    pub headers: Vec<(String, String)>,
}

/// Reads one input shape from parsed JSON.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Result<Self, String>;
}

/// Parses `json` and reads a `T` from it.
pub fn from_str<T: FromJson>(json: &str) -> Result<T, String> {
    T::from_json(&parse(json)?)
}

/// Not generic, so the wasm holds one copy of the parser call. From bytes,
/// like the model's JWT and body readers, so the wasm holds one reader. The
/// error names where, not what: serde_json's own messages would bring their
/// texts and their formatting into the worker's wasm.
pub(crate) fn parse(json: &str) -> Result<Value, String> {
    serde_json::from_slice(json.as_bytes())
        .map_err(|e| format!("not valid JSON (line {}, column {})", e.line(), e.column()))
}

/// The fields of one JSON object.
pub struct Fields<'a>(&'a Map<String, Value>);

/// The JSON type a field must have.
#[derive(Clone, Copy)]
enum Want {
    Str,
    Bool,
    Int,
    Unsigned,
    U16,
    Num,
    Array,
    Object,
}

impl Want {
    fn fits(self, v: &Value) -> bool {
        match self {
            Want::Str => v.is_string(),
            Want::Bool => v.is_boolean(),
            Want::Int => v.is_i64(),
            Want::Unsigned => v.is_u64(),
            Want::U16 => v.as_u64().is_some_and(|n| n <= u64::from(u16::MAX)),
            Want::Num => v.is_number(),
            Want::Array => v.is_array(),
            Want::Object => v.is_object(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Want::Str => "a string",
            Want::Bool => "a boolean",
            Want::Int => "an integer",
            Want::Unsigned => "an unsigned integer",
            Want::U16 => "a u16",
            Want::Num => "a number",
            Want::Array => "an array",
            Want::Object => "an object",
        }
    }
}

fn wrong(key: &str, want: &str) -> String {
    let mut m = String::from("invalid type for `");
    m.push_str(key);
    m.push_str("`, expected ");
    m.push_str(want);
    m
}

fn missing(key: &str) -> String {
    let mut m = String::from("missing field `");
    m.push_str(key);
    m.push('`');
    m
}

impl<'a> Fields<'a> {
    pub fn of(v: &'a Value) -> Result<Self, String> {
        v.as_object()
            .map(Fields)
            .ok_or_else(|| "expected an object".to_owned())
    }

    /// Missing is `Ok(None)`; `null` is `Ok(None)` only when `nullable`;
    /// anything else must be of the `want`ed type.
    fn get(&self, key: &str, want: Want, nullable: bool) -> Result<Option<&'a Value>, String> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) if nullable => Ok(None),
            Some(v) if want.fits(v) => Ok(Some(v)),
            Some(_) => Err(wrong(key, want.name())),
        }
    }

    fn required(&self, key: &str, want: Want) -> Result<&'a Value, String> {
        self.get(key, want, false)?.ok_or_else(|| missing(key))
    }

    fn string(v: &Value) -> String {
        v.as_str().unwrap_or_default().to_owned()
    }

    pub fn str(&self, key: &str) -> Result<String, String> {
        self.required(key, Want::Str).map(Self::string)
    }

    pub fn str_or(&self, key: &str, default: &str) -> Result<String, String> {
        Ok(self
            .get(key, Want::Str, false)?
            .map_or_else(|| default.to_owned(), Self::string))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.get(key, Want::Str, true)?.map(Self::string))
    }

    pub fn bool(&self, key: &str) -> Result<bool, String> {
        Ok(self
            .required(key, Want::Bool)?
            .as_bool()
            .unwrap_or_default())
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, String> {
        Ok(self
            .get(key, Want::Bool, false)?
            .and_then(Value::as_bool)
            .unwrap_or(default))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        Ok(self.get(key, Want::Bool, true)?.and_then(Value::as_bool))
    }

    pub fn i64(&self, key: &str) -> Result<i64, String> {
        Ok(self.required(key, Want::Int)?.as_i64().unwrap_or_default())
    }

    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, String> {
        Ok(self.get(key, Want::Int, true)?.and_then(Value::as_i64))
    }

    pub fn u64(&self, key: &str) -> Result<u64, String> {
        Ok(self
            .required(key, Want::Unsigned)?
            .as_u64()
            .unwrap_or_default())
    }

    pub fn f64(&self, key: &str) -> Result<f64, String> {
        Ok(self.required(key, Want::Num)?.as_f64().unwrap_or_default())
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, String> {
        Ok(self.get(key, Want::Num, true)?.and_then(Value::as_f64))
    }

    pub fn opt_u16(&self, key: &str) -> Result<Option<u16>, String> {
        Ok(self
            .get(key, Want::U16, true)?
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok()))
    }

    /// A list of `T`; missing is `None` (`null` too, when `nullable`).
    pub fn list<T>(
        &self,
        key: &str,
        nullable: bool,
        read: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, String> {
        match self
            .get(key, Want::Array, nullable)?
            .and_then(Value::as_array)
        {
            None => Ok(None),
            Some(items) => items.iter().map(read).collect::<Result<_, _>>().map(Some),
        }
    }

    /// A required list of `T`.
    pub fn required_list<T>(
        &self,
        key: &str,
        read: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        self.list(key, false, read)?.ok_or_else(|| missing(key))
    }

    /// `[[key, value], …]`, as the content scripts send storage entries.
    pub fn pairs(&self, key: &str) -> Result<Vec<(String, String)>, String> {
        let pair = |v: &Value| match v.as_array().map(Vec::as_slice) {
            Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), v.clone())),
            _ => Err(wrong(key, "[string, string] pairs")),
        };
        Ok(self.list(key, false, pair)?.unwrap_or_default())
    }

    pub fn object(&self, key: &str) -> Result<&'a Value, String> {
        self.required(key, Want::Object)
    }
}

impl FromJson for Header {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        Ok(Header {
            name: f.str("name")?,
            value: f.opt_str("value")?,
        })
    }
}

impl FromJson for WebRequest {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        Ok(WebRequest {
            request_id: f.str("requestId")?,
            url: f.str("url")?,
            method: f.opt_str("method")?,
            tab_id: f.opt_i64("tabId")?.unwrap_or(-1),
            frame_id: f.opt_i64("frameId")?,
            resource_type: f.opt_str("type")?,
            time_stamp: f.opt_f64("timeStamp")?,
            initiator: f.opt_str("initiator")?,
            document_url: f.opt_str("documentUrl")?,
            status_code: f.opt_u16("statusCode")?,
            redirect_url: f.opt_str("redirectUrl")?,
            error: f.opt_str("error")?,
            request_headers: f.list("requestHeaders", true, Header::from_json)?,
            response_headers: f.list("responseHeaders", true, Header::from_json)?,
            body_text: f.opt_str("bodyText")?,
        })
    }
}

impl FromJson for Cookie {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        Ok(Cookie {
            name: f.str("name")?,
            value: f.str_or("value", "")?,
            domain: f.str_or("domain", "")?,
            path: f.str_or("path", "/")?,
            secure: f.bool_or("secure", false)?,
            http_only: f.bool_or("httpOnly", false)?,
            same_site: f.opt_str("sameSite")?,
            session: f.bool_or("session", false)?,
            expiration_date: f.opt_f64("expirationDate")?,
        })
    }
}

impl FromJson for CookieChanged {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        Ok(CookieChanged {
            removed: f.bool("removed")?,
            cookie: Cookie::from_json(f.object("cookie")?)?,
            cause: f.str("cause")?,
        })
    }
}

impl FromJson for IdleInput {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(IdleInput {
            state: Fields::of(v)?.str("state")?,
        })
    }
}

impl FromJson for TabInput {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        Ok(TabInput {
            tab_id: f.i64("tabId")?,
            url: f.opt_str("url")?,
            discarded: f.opt_bool("discarded")?,
            frozen: f.opt_bool("frozen")?,
        })
    }
}

impl FromJson for PageInput {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        let msg = f.object("msg")?;
        Ok(PageInput {
            at_ms: Fields::of(msg)?.opt_i64("at")?,
            msg: PageMsg::from_json(msg)?,
            tab: f.opt_i64("tab")?,
            frame: f.opt_i64("frame")?,
            url: f.opt_str("url")?,
            origin: f.opt_str("origin")?,
        })
    }
}

impl FromJson for PageMsg {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        Ok(match f.str("t")?.as_str() {
            "storage" => PageMsg::Storage {
                area: f.str("area")?,
                op: f.str("op")?,
                key: f.str_or("key", "")?,
                value: f.opt_str("value")?,
                old: f.opt_str("old")?,
                entries: f.pairs("entries")?,
                stack: f.opt_str("stack")?,
            },
            "cookie" => PageMsg::Cookie {
                text: f.str("text")?,
                stack: f.opt_str("stack")?,
            },
            "scan" => PageMsg::Scan {
                local: f.pairs("local")?,
                session: f.pairs("session")?,
            },
            "activity" => PageMsg::Activity {
                last_input_ms: f.i64("last_input_ms")?,
            },
            "lifecycle" => PageMsg::Lifecycle {
                state: f.str("state")?,
            },
            "click" => PageMsg::Click {
                label: f.str("label")?,
            },
            "net" => PageMsg::Net(NetRecord::from_json(v)?),
            "dropped" => PageMsg::Dropped { n: f.u64("n")? },
            other => {
                let mut m = String::from("unknown message `");
                m.push_str(clip(other, 32));
                m.push('`');
                return Err(m);
            }
        })
    }
}

impl FromJson for NetRecord {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        Ok(NetRecord {
            id: f.u64("id")?,
            url: f.str("url")?,
            method: f.str_or("method", "GET")?,
            auth: f.opt_str("auth")?,
            body: f.opt_str("body")?,
            start_ms: f.i64("start")?,
            end_ms: f.i64("end")?,
            status: f.opt_u16("status")?.unwrap_or(0),
            error: f.opt_str("error")?,
            redirected: f.bool_or("redirected", false)?,
            final_url: f.opt_str("final_url")?,
            headers: f.pairs("headers")?,
        })
    }
}

/// The user's per-site patterns (`site_hints` in `chrome.storage.local`).
impl FromJson for logout_lens_model::http::SiteHints {
    fn from_json(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v)?;
        let list = |key| {
            let s = |v: &Value| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong(key, "strings"))
            };
            f.list(key, false, s).map(Option::unwrap_or_default)
        };
        Ok(logout_lens_model::http::SiteHints {
            login_pages: list("login_pages")?,
            refresh: list("refresh")?,
            login: list("login")?,
            logout: list("logout")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_never_split_a_token() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        let label = format!("Log out {jwt}");
        #[rustfmt::skip]
        let cases: [(&str, usize, &str); 6] = [
            ("short", 64, "short"),
            (&label, 20, "Log out "),
            (&label, 8, "Log out "),
            ("abc def", 5, "abc "),
            ("abc def", 4, "abc "),
            ("é€x", 4, "é"),
        ];
        for (s, max, want) in cases {
            assert_eq!(clip(s, max), want, "{s} {max}");
        }
        assert_eq!(clip(&"x".repeat(100), 10), "", "one long run goes whole");
    }

    /// The rules the derived `Deserialize` had: missing optional fields
    /// default, `null` is `None` only for an `Option`, wrong types fail.
    #[test]
    fn readers_keep_the_derive_rules() {
        let cookie = |json: &str| from_str::<Cookie>(json);
        let ok = cookie(r#"{"name":"sid"}"#).unwrap();
        assert_eq!(
            (ok.path.as_str(), ok.value.as_str(), ok.secure),
            ("/", "", false)
        );
        assert_eq!(ok.expiration_date, None);
        let cases: &[(&str, bool)] = &[
            (
                r#"{"name":"sid","sameSite":null,"expirationDate":null}"#,
                true,
            ),
            (
                r#"{"name":"sid","expirationDate":17.5,"unknown":[1]}"#,
                true,
            ),
            (r#"{"name":"sid","value":null}"#, false),
            (r#"{"name":"sid","secure":"yes"}"#, false),
            (r#"{"name":5}"#, false),
            (r#"{"value":"v"}"#, false),
            (r#"[]"#, false),
            (r#"{"name":"sid""#, false),
        ];
        for (json, want_ok) in cases {
            assert_eq!(cookie(json).is_ok(), *want_ok, "{json}");
        }
    }

    #[test]
    fn numbers_are_checked_like_serde() {
        let req = |extra: &str| {
            from_str::<WebRequest>(&format!(
                r#"{{"requestId":"1","url":"http://a.test/"{extra}}}"#
            ))
        };
        assert_eq!(req("").unwrap().tab_id, -1);
        assert_eq!(req(r#","statusCode":401"#).unwrap().status_code, Some(401));
        assert_eq!(req(r#","timeStamp":12"#).unwrap().time_stamp, Some(12.0));
        for bad in [
            r#","statusCode":70000"#,
            r#","statusCode":-1"#,
            r#","tabId":1.5"#,
            r#","requestHeaders":[{"value":"x"}]"#,
            r#","responseHeaders":{}"#,
        ] {
            assert!(req(bad).is_err(), "{bad}");
        }
        let h = req(r#","responseHeaders":[{"name":"Date","value":null}],"requestHeaders":null"#)
            .unwrap();
        assert_eq!(h.response_headers.unwrap()[0].value, None);
        assert_eq!(h.request_headers, None);
    }

    #[test]
    fn page_messages_by_tag() {
        let msg = |json: &str| from_str::<PageMsg>(json);
        assert_eq!(
            msg(r#"{"t":"scan","local":[["k","v"]]}"#).unwrap(),
            PageMsg::Scan {
                local: vec![("k".into(), "v".into())],
                session: vec![],
            }
        );
        assert_eq!(
            msg(r#"{"t":"activity","last_input_ms":5}"#).unwrap(),
            PageMsg::Activity { last_input_ms: 5 }
        );
        for bad in [
            r#"{"t":"nope"}"#,
            r#"{"area":"local"}"#,
            r#"{"t":"scan","local":[["k"]]}"#,
            r#"{"t":"scan","local":null}"#,
            r#"{"t":"click"}"#,
        ] {
            assert!(msg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn net_records() {
        let net = |extra: &str| {
            from_str::<PageMsg>(&format!(
                r#"{{"t":"net","id":7,"url":"http://a.test/x","start":10,"end":25{extra}}}"#
            ))
        };
        let PageMsg::Net(r) = net("").unwrap() else {
            panic!("not a net record");
        };
        assert_eq!(
            r,
            NetRecord {
                id: 7,
                url: "http://a.test/x".into(),
                method: "GET".into(),
                start_ms: 10,
                end_ms: 25,
                ..Default::default()
            }
        );
        let PageMsg::Net(r) = net(
            r#","method":"POST","auth":"Bearer x","body":"a=b","status":401,"redirected":true,"final_url":"http://a.test/y","headers":[["date","D"]],"error":null"#,
        )
        .unwrap() else {
            panic!("not a net record");
        };
        assert_eq!(
            (r.method.as_str(), r.auth.as_deref(), r.status, r.redirected),
            ("POST", Some("Bearer x"), 401, true)
        );
        assert_eq!(r.headers, vec![("date".to_owned(), "D".to_owned())]);
        for bad in [
            r#","status":70000"#,
            r#","status":"200""#,
            r#","headers":{"date":"D"}"#,
            r#","redirected":1"#,
            r#","auth":5"#,
            r#","id":-1"#,
        ] {
            assert!(net(bad).is_err(), "{bad}");
        }
        for missing in [
            r#"{"t":"net","url":"u","start":1,"end":2}"#,
            r#"{"t":"net","id":1,"start":1,"end":2}"#,
            r#"{"t":"net","id":1,"url":"u","end":2}"#,
            r#"{"t":"net","id":1,"url":"u","start":1.5,"end":2}"#,
        ] {
            assert!(from_str::<PageMsg>(missing).is_err(), "{missing}");
        }
    }

    proptest::proptest! {
        /// Any JSON text: a record or an error, never a panic; and a record
        /// written out reads back the same.
        #[test]
        fn net_record_parser_total(s in "\\PC{0,200}") {
            let _ = from_str::<NetRecord>(&s);
        }

        #[test]
        fn net_record_round_trips(
            id in 0u64..(1u64 << 53),
            url in "\\PC{0,40}",
            auth in proptest::option::of("\\PC{0,40}"),
            status in 0u16..=u16::MAX,
            start in 0i64..(1i64 << 50),
            dur in 0i64..100_000,
            redirected in proptest::bool::ANY,
            headers in proptest::collection::vec(("[a-z-]{1,12}", "\\PC{0,20}"), 0..4),
        ) {
            let mut v = serde_json::json!({
                "t": "net", "id": id, "url": url, "method": "PUT", "start": start,
                "end": start + dur, "status": status, "redirected": redirected,
                "headers": headers,
            });
            if let Some(a) = &auth {
                v["auth"] = a.clone().into();
            }
            let got = from_str::<NetRecord>(&v.to_string()).unwrap();
            proptest::prop_assert_eq!(got, NetRecord {
                id, url, method: "PUT".into(), auth, body: None, start_ms: start,
                end_ms: start + dur, status, error: None, redirected, final_url: None, headers,
            });
        }
    }

    #[test]
    fn site_hints_default_missing_lists() {
        use logout_lens_model::http::SiteHints;
        let h: SiteHints = from_str(r#"{"refresh":["/renew"]}"#).unwrap();
        assert_eq!(h.refresh, vec!["/renew".to_owned()]);
        assert!(h.login.is_empty());
        assert!(from_str::<SiteHints>(r#"{"login":[1]}"#).is_err());
    }
}
