//! What the JS glue hands over, in the browsers' own shapes (camelCase).
//!
//! Everything is lenient (unknown fields ignored, most fields optional) and
//! everything coming from a page is untrusted: [`limits`] caps every string
//! before it is looked at.

use serde::Deserialize;

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

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// One `webRequest` callback's details (any of the events).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WebRequest {
    pub request_id: String,
    pub url: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default = "no_tab")]
    pub tab_id: i64,
    #[serde(default)]
    pub frame_id: Option<i64>,
    #[serde(default, rename = "type")]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub time_stamp: Option<f64>,
    #[serde(default)]
    pub initiator: Option<String>,
    #[serde(default)]
    pub document_url: Option<String>,
    #[serde(default)]
    pub status_code: Option<u16>,
    #[serde(default)]
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub request_headers: Option<Vec<Header>>,
    #[serde(default)]
    pub response_headers: Option<Vec<Header>>,
    /// The request body as text; the glue decodes `requestBody.raw` (UTF-8,
    /// capped) or flattens `requestBody.formData` into `a=b&c=d`.
    #[serde(default)]
    pub body_text: Option<String>,
}

fn no_tab() -> i64 {
    -1
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default = "root")]
    pub path: String,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub same_site: Option<String>,
    #[serde(default)]
    pub session: bool,
    /// Seconds since the epoch (fractional).
    #[serde(default)]
    pub expiration_date: Option<f64>,
}

fn root() -> String {
    "/".to_owned()
}

/// `cookies.onChanged` details.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CookieChanged {
    pub removed: bool,
    pub cookie: Cookie,
    pub cause: String,
}

/// `idle.onStateChanged`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IdleInput {
    pub state: String,
}

/// `tabs.onUpdated` (`tabId`, `changeInfo`, and the tab's url) or `tabs.onRemoved`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TabInput {
    pub tab_id: i64,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub discarded: Option<bool>,
    #[serde(default)]
    pub frozen: Option<bool>,
}

/// A content-script message, with what the browser says about its sender.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PageInput {
    pub msg: PageMsg,
    #[serde(default)]
    pub tab: Option<i64>,
    #[serde(default)]
    pub frame: Option<i64>,
    /// `sender.url`: set by the browser, so the origin is trustworthy even
    /// though the message body is not.
    #[serde(default)]
    pub url: Option<String>,
}

/// What the content scripts report. Page-controlled: sizes are capped on use.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum PageMsg {
    /// A `Storage` method call caught by the MAIN-world hook.
    Storage {
        area: String,
        op: String,
        #[serde(default)]
        key: String,
        #[serde(default)]
        value: Option<String>,
        #[serde(default)]
        old: Option<String>,
        /// For `clear`: the entries that were there.
        #[serde(default)]
        entries: Vec<(String, String)>,
        #[serde(default)]
        stack: Option<String>,
    },
    /// A `document.cookie` write caught by the MAIN-world hook.
    Cookie {
        text: String,
        #[serde(default)]
        stack: Option<String>,
    },
    /// The content script's look at both storages (on load and periodically).
    Scan {
        #[serde(default)]
        local: Vec<(String, String)>,
        #[serde(default)]
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
