//! What the JS glue hands over: one [`Input`], the browser's event (or a
//! content script's message) by name with its details in the browsers' own
//! shapes (camelCase), read once with serde.
//!
//! Lenient where the browsers differ (unknown fields ignored, most fields
//! optional), strict on types (a value of the wrong type is an error, never
//! a guess). An enumerated value this build does not know (a storage area,
//! an operation, a state, a cookie cause, a page message type) reads as
//! [`Known::Unknown`] and the core counts it (`guard.unknown_value`) rather
//! than dropping it unseen. Everything coming from a page is untrusted:
//! [`crate::limits`] caps every string before it is looked at.

use logout_lens_model::event::{
    CookieCause, IdleState, LifecycleState, SameSite, StorageArea, StorageOp,
};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};

use crate::error::ExtError;
use crate::limits;

/// Reads an enum written as a map whose first key is its tag: the
/// variant's fields follow, read straight from the text (serde's tagged
/// enums would first buffer the whole map in memory to look for the tag).
/// `$details`: the variant's value is under this one key (`{"input":
/// "completed", "details": {…}}`); else it is the rest of the map (`{"t":
/// "storage", "area": …}`). A tag this build does not know reads as
/// `$unknown` when there is one, else it is an error. The glue and the
/// forwarder always write the tag first; a map in another order is read
/// whole first, then the same way.
macro_rules! tag_first {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($tag:literal $(, details $details:literal)?) {
            $( $(#[$doc:meta])* $variant:ident($ty:ty) = $wire:literal, )*
        }
        $(unknown $unknown:ident;)?
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$doc])* $variant($ty), )*
            $(
                /// A tag of a newer sender: counted, not read.
                $unknown,
            )?
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Tagged;
                impl<'de> serde::de::Visitor<'de> for Tagged {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("an object whose first key is `", $tag, "`"))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        use serde::de::Error as _;
                        let first = map.next_key::<std::borrow::Cow<'de, str>>()?;
                        if first.as_deref() != Some($tag) {
                            // Another order (not the glue's nor the
                            // forwarder's): read the whole object first.
                            let mut obj = serde_json::Map::new();
                            if let Some(k) = first {
                                obj.insert(k.into_owned(), map.next_value()?);
                                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                                    obj.insert(k, v);
                                }
                            }
                            return $name::from_object(obj).map_err(A::Error::custom);
                        }
                        let tag: std::borrow::Cow<'de, str> = map.next_value()?;
                        tag_first!(@read map, tag, $name, $($details)?, [$($variant($ty) = $wire,)*], [$($unknown)?])
                    }
                }
                d.deserialize_map(Tagged)
            }
        }

        impl $name {
            /// The same from an object already read whole, keys in any
            /// order: written out again with its tag first and read as
            /// usual (no second reader of every variant in the wasm).
            fn from_object(mut obj: serde_json::Map<String, serde_json::Value>) -> Result<$name, serde_json::Error> {
                use serde::de::Error as _;
                let Some(tag) = obj.remove($tag) else {
                    return Err(serde_json::Error::missing_field($tag));
                };
                let text = tag_first!(@text obj, tag, $tag, $($details)?);
                serde_json::from_str(&text)
            }
        }
    };
    (@text $obj:ident, $tagv:ident, $tag:literal, $details:literal) => {
        format!(
            concat!("{{\"", $tag, "\":{},\"", $details, "\":{}}}"),
            $tagv,
            $obj.remove($details).unwrap_or_default()
        )
    };
    (@text $obj:ident, $tagv:ident, $tag:literal, ) => {{
        let rest = serde_json::Value::Object($obj).to_string();
        let fields = &rest[1..rest.len() - 1];
        let comma = if fields.is_empty() { "" } else { "," };
        format!(concat!("{{\"", $tag, "\":{}{}{}}}"), $tagv, comma, fields)
    }};
    // The value under one key.
    (@read $map:ident, $tag:ident, $name:ident, $details:literal, [$($variant:ident($ty:ty) = $wire:literal,)*], [$($unknown:ident)?]) => {{
        use serde::de::Error as _;
        if $map.next_key::<std::borrow::Cow<'de, str>>()?.as_deref() != Some($details) {
            return Err(A::Error::custom(concat!("`", $details, "` must follow")));
        }
        let v = match $tag.as_ref() {
            $($wire => $name::$variant($map.next_value::<$ty>()?),)*
            other => return Err(A::Error::unknown_variant(other, &[$($wire),*])),
        };
        while $map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        Ok(v)
    }};
    // The rest of the map.
    (@read $map:ident, $tag:ident, $name:ident, , [$($variant:ident($ty:ty) = $wire:literal,)*], [$($unknown:ident)?]) => {{
        let rest = serde::de::value::MapAccessDeserializer::new($map);
        Ok(match $tag.as_ref() {
            $($wire => $name::$variant(<$ty>::deserialize(rest)?),)*
            _ => {
                serde::de::IgnoredAny::deserialize(rest)?;
                tag_first!(@unknown $name, $tag, [$($unknown)?], [$($wire),*])
            }
        })
    }};
    (@unknown $name:ident, $tag:ident, [$unknown:ident], [$($wire:literal),*]) => { $name::$unknown };
    (@unknown $name:ident, $tag:ident, [], [$($wire:literal),*]) => {{
        use serde::de::Error as _;
        return Err(A::Error::unknown_variant(&$tag, &[$($wire),*]));
    }};
}

tag_first! {
    /// One input from the glue: `{"input": name, "details": …}`, the name first.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Input ("input", details "details") {
        /// First thing after a start: which network source is live.
        Capture(Capture) = "capture",
        /// The six webRequest events (only while the user opted in).
        BeforeRequest(WebRequest) = "before_request",
        SendHeaders(WebRequest) = "send_headers",
        HeadersReceived(WebRequest) = "headers_received",
        BeforeRedirect(WebRequest) = "before_redirect",
        Completed(WebRequest) = "completed",
        Error(WebRequest) = "error",
        /// `cookies.onChanged`.
        CookieChanged(CookieChanged) = "cookie_changed",
        /// `idle.onStateChanged`.
        Idle(IdleInput) = "idle",
        /// `tabs.onUpdated`.
        TabUpdated(TabInput) = "tab_updated",
        /// `tabs.onRemoved`.
        TabRemoved(TabRemoved) = "tab_removed",
        /// A content script's message, with what the browser says about its sender.
        Page(PageInput) = "page",
        /// The periodic alarm.
        Tick(Tick) = "tick",
    }
}

impl Input {
    /// Reads one input from its JSON text. The text of an input over
    /// [`limits::PAGE_INPUT_BYTES`] is not read at all.
    pub fn from_json(json: &str) -> Result<Input, ExtError> {
        if json.len() > limits::PAGE_INPUT_BYTES {
            return Err(ExtError::TooLarge(json.len()));
        }
        serde_json::from_str(json).map_err(ExtError::BadInput)
    }

    /// The tab the input is about, when it is one tab's (for the rate limit).
    pub fn tab(&self) -> Option<i64> {
        match self {
            Input::BeforeRequest(d)
            | Input::SendHeaders(d)
            | Input::HeadersReceived(d)
            | Input::BeforeRedirect(d)
            | Input::Completed(d)
            | Input::Error(d) => Some(d.tab_id),
            Input::TabUpdated(t) => Some(t.tab_id),
            Input::TabRemoved(t) => Some(t.tab_id),
            Input::Page(p) => p.tab,
            Input::Capture(_) | Input::CookieChanged(_) | Input::Idle(_) | Input::Tick(_) => None,
        }
    }
}

/// An enumerated value: one this build knows, or the text of one it does
/// not (cut to 64 bytes), which the core counts and never guesses about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known<T> {
    Is(T),
    Unknown(String),
}

impl<T> Known<T> {
    pub fn known(self) -> Option<T> {
        match self {
            Known::Is(t) => Some(t),
            Known::Unknown(_) => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Known<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let read: Result<T, serde::de::value::Error> =
            T::deserialize(s.as_str().into_deserializer());
        Ok(match read {
            Ok(t) => Known::Is(t),
            Err(_) => Known::Unknown(clip(&s, 64).to_owned()),
        })
    }
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

/// `capture`: whether the webRequest listeners are registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    pub web_request: bool,
}

/// `tick`: the worker's monotonic clock (`performance.now()`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Tick {
    pub mono_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

fn no_tab() -> i64 {
    -1
}

/// One `webRequest` callback's details (any of the events).
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    pub resource_type: Option<ResourceType>,
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

impl Default for WebRequest {
    fn default() -> Self {
        WebRequest {
            request_id: String::new(),
            url: String::new(),
            method: None,
            tab_id: no_tab(),
            frame_id: None,
            resource_type: None,
            time_stamp: None,
            initiator: None,
            document_url: None,
            status_code: None,
            redirect_url: None,
            error: None,
            request_headers: None,
            response_headers: None,
            body_text: None,
        }
    }
}

/// What a request loads, as webRequest says (`type`); only the kinds the
/// core treats apart are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    MainFrame,
    SubFrame,
    Xmlhttprequest,
    /// Never about auth: images, fonts, styles, media, scripts, sockets.
    #[serde(
        rename = "image",
        alias = "stylesheet",
        alias = "font",
        alias = "media"
    )]
    #[serde(alias = "script", alias = "imageset", alias = "websocket")]
    Static,
    /// Anything else (`other`, `ping`, `object`, …).
    #[serde(other)]
    Other,
}

impl WebRequest {
    pub fn is(&self, t: ResourceType) -> bool {
        self.resource_type == Some(t)
    }

    pub fn header(&self, response: bool, name: &str) -> Option<&str> {
        let list = if response {
            self.response_headers.as_deref()
        } else {
            self.request_headers.as_deref()
        };
        list.unwrap_or_default()
            .iter()
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

fn root_path() -> String {
    "/".to_owned()
}

/// `cookies.Cookie`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default = "root_path")]
    pub path: String,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub same_site: Option<Known<SameSite>>,
    #[serde(default)]
    pub session: bool,
    /// Seconds since the epoch (fractional).
    #[serde(default)]
    pub expiration_date: Option<f64>,
}

/// `cookies.onChanged` details.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CookieChanged {
    pub removed: bool,
    pub cookie: Cookie,
    pub cause: Known<CookieCause>,
}

/// `idle.onStateChanged`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdleInput {
    pub state: Known<IdleState>,
}

/// `tabs.onUpdated`: the tab, and what changed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
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

/// `tabs.onRemoved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabRemoved {
    pub tab_id: i64,
}

/// A content-script message, with what the browser says about its sender.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PageInput {
    pub msg: PageMsg,
    #[serde(default)]
    pub tab: Option<i64>,
    #[serde(default)]
    pub frame: Option<i64>,
    /// `sender.url`: the URL of the sending frame (not of the tab's top
    /// page), set by the browser, so the origin is trustworthy even though
    /// the message body is not.
    #[serde(default)]
    pub url: Option<String>,
    /// `sender.origin` (Chromium): the frame's origin, which an
    /// `about:blank` or `srcdoc` frame inherits while its `url` says nothing.
    #[serde(default)]
    pub origin: Option<String>,
}

tag_first! {
    /// What the content scripts report, by their `t` (first). Page-controlled:
    /// sizes are capped on use.
    #[derive(Debug, Clone, PartialEq)]
    pub enum PageMsg ("t") {
        /// A `Storage` method call caught by the MAIN-world hook.
        Storage(StorageMsg) = "storage",
        /// A `document.cookie` write caught by the MAIN-world hook.
        Cookie(CookieMsg) = "cookie",
        /// The content script's look at both storages (on load and periodically).
        Scan(ScanMsg) = "scan",
        Activity(ActivityMsg) = "activity",
        Lifecycle(LifecycleMsg) = "lifecycle",
        /// A click on a button or link, with its visible label.
        Click(ClickMsg) = "click",
        /// A `fetch`/`XMLHttpRequest` that finished, from the MAIN-world hook.
        Net(NetRecord) = "net",
        /// The forwarder dropped `n` messages beyond its own rate limit.
        Dropped(DroppedMsg) = "dropped",
    }
    unknown Unknown;
}

/// When the page hook saw something (`at`, `Date.now()` in the page): its
/// messages wait in the page until the forwarder starts, after load.
/// Page-controlled; the core bounds it.
pub type At = Option<i64>;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StorageMsg {
    pub area: Known<StorageArea>,
    pub op: Known<StorageOp>,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub old: Option<String>,
    /// For `clear`: the entries that were there.
    #[serde(default)]
    pub entries: Vec<(String, String)>,
    #[serde(default)]
    pub stack: Option<String>,
    #[serde(default)]
    pub at: At,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CookieMsg {
    pub text: String,
    #[serde(default)]
    pub stack: Option<String>,
    #[serde(default)]
    pub at: At,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ScanMsg {
    #[serde(default)]
    pub local: Vec<(String, String)>,
    #[serde(default)]
    pub session: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ActivityMsg {
    pub last_input_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LifecycleMsg {
    pub state: Known<LifecycleState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClickMsg {
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct DroppedMsg {
    pub n: u64,
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
            PageMsg::Storage(StorageMsg {
                key,
                value,
                old,
                entries,
                stack,
                ..
            }) => {
                over(key, limits::KEY)
                    || opt(value, limits::VALUE)
                    || opt(old, limits::VALUE)
                    || pairs(entries)
                    || opt(stack, limits::STACK)
            }
            PageMsg::Cookie(CookieMsg { text, stack, .. }) => {
                over(text, limits::VALUE) || opt(stack, limits::STACK)
            }
            PageMsg::Scan(ScanMsg { local, session }) => pairs(local) || pairs(session),
            PageMsg::Activity(_) | PageMsg::Dropped(_) | PageMsg::Unknown => false,
            PageMsg::Lifecycle(_) => false,
            PageMsg::Click(ClickMsg { label }) => over(label, limits::LABEL),
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

    /// An enumerated value this build does not know (counted by the core).
    pub fn unknown_value(&self) -> bool {
        match self {
            PageMsg::Storage(m) => {
                matches!(m.area, Known::Unknown(_)) || matches!(m.op, Known::Unknown(_))
            }
            PageMsg::Lifecycle(m) => matches!(m.state, Known::Unknown(_)),
            PageMsg::Unknown => true,
            _ => false,
        }
    }

    /// When the page hook saw it, for the hook's messages.
    pub fn at(&self) -> At {
        match self {
            PageMsg::Storage(m) => m.at,
            PageMsg::Cookie(m) => m.at,
            PageMsg::Net(m) => m.at,
            _ => None,
        }
    }
}

fn get() -> String {
    "GET".to_owned()
}

/// One finished `fetch` or `XMLHttpRequest` as the page saw it (the default
/// network capture, without webRequest). Page-controlled, like every page
/// message: the core caps and redacts it before anything is kept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct NetRecord {
    /// The frame's own counter.
    pub id: u64,
    /// Absolute request URL.
    pub url: String,
    #[serde(default = "get")]
    pub method: String,
    /// The `Authorization` request header, when the page set one.
    #[serde(default)]
    pub auth: Option<String>,
    /// A string or `URLSearchParams` request body, capped by the hook.
    #[serde(default)]
    pub body: Option<String>,
    /// `Date.now()` at the call and when the response (or failure) arrived.
    #[serde(rename = "start")]
    pub start_ms: i64,
    #[serde(rename = "end")]
    pub end_ms: i64,
    /// `None` (or 0) when there was no response.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub redirected: bool,
    /// `response.url` / `responseURL`: where the redirects ended.
    #[serde(default)]
    pub final_url: Option<String>,
    /// The readable response headers the core looks at, `[name, value]`.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub at: At,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> Result<Input, ExtError> {
        Input::from_json(json)
    }

    fn details(name: &str, d: serde_json::Value) -> String {
        serde_json::json!({"input": name, "details": d}).to_string()
    }

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

    /// Missing optional fields default, `null` is `None` only for an
    /// `Option`, wrong types fail.
    #[test]
    fn cookies_default_what_is_missing_and_refuse_wrong_types() {
        let cookie = |c: &str| {
            input(&format!(
                r#"{{"input":"cookie_changed","details":{{"removed":false,"cause":"explicit","cookie":{c}}}}}"#
            ))
            .map(|i| match i {
                Input::CookieChanged(c) => c.cookie,
                other => panic!("{other:?}"),
            })
        };
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
        ];
        for (json, want_ok) in cases {
            assert_eq!(cookie(json).is_ok(), *want_ok, "{json}");
        }
        assert_eq!(
            cookie(r#"{"name":"sid","sameSite":"very_strict"}"#)
                .unwrap()
                .same_site,
            Some(Known::Unknown("very_strict".into()))
        );
    }

    #[test]
    fn inputs_by_name() {
        let cases: &[(&str, serde_json::Value, bool)] = &[
            ("capture", serde_json::json!({"webRequest": true}), true),
            ("tick", serde_json::json!({"mono_ms": 12.5}), true),
            ("tab_removed", serde_json::json!({"tabId": 3}), true),
            (
                "tab_updated",
                serde_json::json!({"tabId": 3, "url": "http://a.test/"}),
                true,
            ),
            ("idle", serde_json::json!({"state": "locked"}), true),
            ("idle", serde_json::json!({"state": 5}), false),
            (
                "completed",
                serde_json::json!({"requestId": "1", "url": "http://a.test/"}),
                true,
            ),
            ("completed", serde_json::json!([]), false),
            ("nope", serde_json::json!({}), false),
            ("page", serde_json::json!({"msg": {"t": "click"}}), false),
        ];
        for (name, d, ok) in cases {
            assert_eq!(input(&details(name, d.clone())).is_ok(), *ok, "{name} {d}");
        }
        assert!(matches!(input("not json"), Err(ExtError::BadInput(_))));
        let huge = details(
            "tick",
            serde_json::json!({"mono_ms": 1, "pad": "x".repeat(limits::PAGE_INPUT_BYTES)}),
        );
        assert!(matches!(input(&huge), Err(ExtError::TooLarge(_))));
    }

    #[test]
    fn unknown_values_are_kept_to_be_counted() {
        match input(&details("idle", serde_json::json!({"state": "asleep"}))).unwrap() {
            Input::Idle(i) => assert_eq!(i.state, Known::Unknown("asleep".into())),
            other => panic!("{other:?}"),
        }
        let msg =
            |m: serde_json::Value| match input(&details("page", serde_json::json!({"msg": m}))) {
                Ok(Input::Page(p)) => Ok(p.msg),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e),
            };
        assert!(
            msg(serde_json::json!({"t": "teleport"}))
                .unwrap()
                .unknown_value()
        );
        assert!(
            msg(serde_json::json!({"t": "lifecycle", "state": "dreaming"}))
                .unwrap()
                .unknown_value()
        );
        assert!(
            msg(serde_json::json!({"t": "storage", "area": "cloud", "op": "set"}))
                .unwrap()
                .unknown_value()
        );
        assert!(
            !msg(serde_json::json!({"t": "storage", "area": "local", "op": "clear"}))
                .unwrap()
                .unknown_value()
        );
        assert!(
            msg(serde_json::json!({"area": "local"})).is_err(),
            "no type"
        );
        assert!(msg(serde_json::json!({"t": "scan", "local": [["k"]]})).is_err());
        assert!(msg(serde_json::json!({"t": "scan", "local": null})).is_err());
        assert_eq!(
            msg(serde_json::json!({"t": "scan", "local": [["k", "v"]]})).unwrap(),
            PageMsg::Scan(ScanMsg {
                local: vec![("k".into(), "v".into())],
                session: vec![],
            })
        );
    }

    /// The tag first (as the glue and the forwarder write it) or anywhere:
    /// the same input.
    #[test]
    fn the_tag_may_come_anywhere() {
        let cases = [
            (
                r#"{"input":"page","details":{"msg":{"t":"storage","area":"local","op":"set","key":"k"},"tab":1}}"#,
                r#"{"details":{"tab":1,"msg":{"key":"k","op":"set","area":"local","t":"storage"}},"input":"page"}"#,
            ),
            (
                r#"{"input":"page","details":{"msg":{"t":"dropped","n":3}}}"#,
                r#"{"details":{"msg":{"n":3,"t":"dropped"}},"input":"page"}"#,
            ),
            (
                r#"{"input":"page","details":{"msg":{"t":"teleport"}}}"#,
                r#"{"details":{"msg":{"to":"mars","t":"teleport"}},"input":"page"}"#,
            ),
        ];
        for (first, anywhere) in cases {
            assert_eq!(
                input(first).unwrap(),
                input(anywhere).unwrap(),
                "{anywhere}"
            );
        }
        for bad in [
            r#"{"details":{},"input":5}"#,
            r#"{"details":{"msg":{"t":7}},"input":"page"}"#,
            r#"{"details":{"msg":{}},"input":"page"}"#,
            r#"{}"#,
        ] {
            assert!(input(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_are_checked() {
        let req = |extra: &str| {
            input(&format!(
                r#"{{"input":"completed","details":{{"requestId":"1","url":"http://a.test/"{extra}}}}}"#
            ))
            .map(|i| match i {
                Input::Completed(d) => d,
                other => panic!("{other:?}"),
            })
        };
        assert_eq!(req("").unwrap().tab_id, -1);
        assert_eq!(req(r#","statusCode":401"#).unwrap().status_code, Some(401));
        assert_eq!(req(r#","timeStamp":12"#).unwrap().time_stamp, Some(12.0));
        assert_eq!(
            req(r#","type":"main_frame""#).unwrap().resource_type,
            Some(ResourceType::MainFrame)
        );
        assert_eq!(
            req(r#","type":"font""#).unwrap().resource_type,
            Some(ResourceType::Static)
        );
        assert_eq!(
            req(r#","type":"csp_report""#).unwrap().resource_type,
            Some(ResourceType::Other)
        );
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

    fn net(extra: &str) -> Result<NetRecord, ExtError> {
        let m: serde_json::Value = serde_json::from_str(&format!(
            r#"{{"t":"net","id":7,"url":"http://a.test/x","start":10,"end":25{extra}}}"#
        ))
        .unwrap();
        match input(&details("page", serde_json::json!({ "msg": m })))?.clone() {
            Input::Page(p) => match p.msg {
                PageMsg::Net(r) => Ok(r),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn net_records() {
        assert_eq!(
            net("").unwrap(),
            NetRecord {
                id: 7,
                url: "http://a.test/x".into(),
                method: "GET".into(),
                start_ms: 10,
                end_ms: 25,
                ..Default::default()
            }
        );
        let r = net(
            r#","method":"POST","auth":"Bearer x","body":"a=b","status":401,"redirected":true,"final_url":"http://a.test/y","headers":[["date","D"]],"error":null"#,
        )
        .unwrap();
        assert_eq!(
            (r.method.as_str(), r.auth.as_deref(), r.status, r.redirected),
            ("POST", Some("Bearer x"), Some(401), true)
        );
        assert_eq!(r.headers, vec![("date".to_owned(), "D".to_owned())]);
        for bad in [
            r#","status":70000"#,
            r#","status":"200""#,
            r#","headers":{"date":"D"}"#,
            r#","redirected":1"#,
            r#","auth":5"#,
            r#","id":-1"#,
            r#","start":1.5"#,
        ] {
            assert!(net(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Any text: an input or an error, never a panic.
        #[test]
        fn any_text_reads_or_fails(s in "\\PC{0,200}") {
            let _ = input(&s);
        }

        /// A record written out reads back the same.
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
            let got = match input(&details("page", serde_json::json!({"msg": v}))).unwrap() {
                Input::Page(p) => match p.msg { PageMsg::Net(r) => r, other => panic!("{other:?}") },
                other => panic!("{other:?}"),
            };
            proptest::prop_assert_eq!(got, NetRecord {
                id, url, method: "PUT".into(), auth, body: None, start_ms: start,
                end_ms: start + dur, status: Some(status), error: None, redirected, final_url: None, headers,
                at: None,
            });
        }
    }
}
