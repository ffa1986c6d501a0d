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

/// Size caps for page-controlled input.
pub mod limits {
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

/// Cuts a string to at most `max` bytes on a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Option<String>,
}

/// One `webRequest` callback's details (any of the events).
#[derive(Debug, Clone, PartialEq)]
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
    /// `sender.url`: set by the browser, so the origin is trustworthy even
    /// though the message body is not.
    pub url: Option<String>,
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
}

/// Reads one input shape from parsed JSON.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Result<Self, String>;
}

/// Parses `json` and reads a `T` from it.
pub fn from_str<T: FromJson>(json: &str) -> Result<T, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    T::from_json(&v)
}

/// The fields of one JSON object.
pub struct Fields<'a>(&'a Map<String, Value>);

fn wrong(key: &str, want: &str) -> String {
    let mut m = String::from("invalid type for `");
    m.push_str(key);
    m.push_str("`, expected ");
    m.push_str(want);
    m
}

impl<'a> Fields<'a> {
    pub fn of(v: &'a Value) -> Result<Self, String> {
        v.as_object()
            .map(Fields)
            .ok_or_else(|| "expected an object".to_owned())
    }

    /// Missing is `Ok(None)`; `null` is `Ok(None)` only when `nullable`.
    fn get<T>(
        &self,
        key: &str,
        want: &str,
        nullable: bool,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, String> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) if nullable => Ok(None),
            Some(v) => read(v).map(Some).ok_or_else(|| wrong(key, want)),
        }
    }

    fn required<T>(&self, key: &str, v: Option<T>) -> Result<T, String> {
        v.ok_or_else(|| {
            let mut m = String::from("missing field `");
            m.push_str(key);
            m.push('`');
            m
        })
    }

    pub fn str(&self, key: &str) -> Result<String, String> {
        let v = self.get(key, "a string", false, |v| v.as_str().map(str::to_owned))?;
        self.required(key, v)
    }

    pub fn str_or(&self, key: &str, default: &str) -> Result<String, String> {
        let v = self.get(key, "a string", false, |v| v.as_str().map(str::to_owned))?;
        Ok(v.unwrap_or_else(|| default.to_owned()))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<String>, String> {
        self.get(key, "a string", true, |v| v.as_str().map(str::to_owned))
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, String> {
        Ok(self
            .get(key, "a boolean", false, Value::as_bool)?
            .unwrap_or(default))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        self.get(key, "a boolean", true, Value::as_bool)
    }

    pub fn i64(&self, key: &str) -> Result<i64, String> {
        let v = self.get(key, "an integer", false, Value::as_i64)?;
        self.required(key, v)
    }

    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, String> {
        self.get(key, "an integer", true, Value::as_i64)
    }

    pub fn u64(&self, key: &str) -> Result<u64, String> {
        let v = self.get(key, "an unsigned integer", false, Value::as_u64)?;
        self.required(key, v)
    }

    pub fn f64(&self, key: &str) -> Result<f64, String> {
        let v = self.get(key, "a number", false, Value::as_f64)?;
        self.required(key, v)
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, String> {
        self.get(key, "a number", true, Value::as_f64)
    }

    pub fn opt_u16(&self, key: &str) -> Result<Option<u16>, String> {
        self.get(key, "a u16", true, |v| {
            v.as_u64().and_then(|n| u16::try_from(n).ok())
        })
    }

    /// A list of `T`; missing is empty (`null` too, when `nullable`).
    pub fn list<T>(
        &self,
        key: &str,
        nullable: bool,
        read: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, String> {
        match self.get(key, "an array", nullable, Value::as_array)? {
            None => Ok(None),
            Some(items) => items.iter().map(read).collect::<Result<_, _>>().map(Some),
        }
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
        let v = self.get(key, "an object", false, |v| v.is_object().then_some(v))?;
        self.required(key, v)
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
        let removed = f.get("removed", "a boolean", false, Value::as_bool)?;
        Ok(CookieChanged {
            removed: f.required("removed", removed)?,
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
        Ok(PageInput {
            msg: PageMsg::from_json(f.object("msg")?)?,
            tab: f.opt_i64("tab")?,
            frame: f.opt_i64("frame")?,
            url: f.opt_str("url")?,
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
            other => {
                let mut m = String::from("unknown message `");
                m.push_str(clip(other, 32));
                m.push('`');
                return Err(m);
            }
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
