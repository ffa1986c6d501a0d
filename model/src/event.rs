//! Strict domain events, schema v1.
//!
//! On the wire an event is one flat JSON object: the envelope fields plus the
//! fields of its `kind` (see PROTOCOL.md). Parsing goes through the tolerant
//! [`crate::wire::WireEvent`]; these types are what the rest of the code sees.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::redact::{Fingerprint, RedactedToken, StringPass, Strings};
use crate::wire::WireEvent;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// An event id, unique within an install (the extension makes them; the model
/// never invents one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub String);

impl EventId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for EventId {
    fn from(s: &str) -> Self {
        EventId(s.to_owned())
    }
}

/// Who produced the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The extension's service worker (webRequest, cookies, idle, tabs).
    #[default]
    Extension,
    /// The content script or MAIN-world hook inside a page.
    Page,
    /// The native collector (e.g. host-measured sleep).
    Collector,
    /// A backend linking the server library.
    Server,
    /// The site's own frontend (the seed's LogoutTracker).
    App,
    /// A producer this build does not know.
    #[serde(other)]
    Unknown,
}

/// One event: the envelope plus its kind.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "WireEvent")]
pub struct Event {
    pub schema: u32,
    pub id: EventId,
    /// Wall-clock time in milliseconds since the Unix epoch, as the producer saw it.
    pub ts_ms: i64,
    /// `scheme://host[:port]` of the page or request.
    pub origin: Option<String>,
    /// Path of the page (never a query string).
    pub path: Option<String>,
    pub tab: Option<i64>,
    pub frame: Option<i64>,
    pub source: Source,
    pub kind: EventKind,
}

impl Event {
    /// A new schema-v1 event with no page context.
    pub fn new(id: impl Into<String>, ts_ms: i64, kind: EventKind) -> Self {
        Event {
            schema: SCHEMA_VERSION,
            id: EventId(id.into()),
            ts_ms,
            origin: None,
            path: None,
            tab: None,
            frame: None,
            source: Source::default(),
            kind,
        }
    }

    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    pub fn with_tab(mut self, tab: i64) -> Self {
        self.tab = Some(tab);
        self
    }

    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// One pass over every string of the event: the envelope's `id`,
    /// `origin` and `path`, then the payload's.
    pub(crate) fn strings<P: StringPass>(&mut self, pass: &mut P) {
        pass.text(&mut self.id.0);
        if let Some(o) = self.origin.as_mut() {
            pass.url(o);
        }
        if let Some(p) = self.path.as_mut() {
            pass.url(p);
        }
        self.kind.strings(pass);
    }

    /// Is this one of the kinds that mark a logout (observed, clicked, or reported by the app)?
    pub fn is_logout(&self) -> bool {
        matches!(
            self.kind,
            EventKind::LogoutObserved(_) | EventKind::LogoutAction(_) | EventKind::AppReport(_)
        )
    }
}

/// Written flat: the envelope, then the payload's fields in their declared
/// order (an unknown kind's body as it came).
impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            schema: u32,
            id: &'a str,
            ts_ms: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            origin: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            path: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            tab: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            frame: Option<i64>,
            source: Source,
            kind: &'a str,
            #[serde(flatten)]
            payload: Payload<'a>,
        }
        Flat {
            schema: self.schema,
            id: &self.id.0,
            ts_ms: self.ts_ms,
            origin: self.origin.as_deref(),
            path: self.path.as_deref(),
            tab: self.tab,
            frame: self.frame,
            source: self.source,
            kind: self.kind.name(),
            payload: self.kind.payload(),
        }
        .serialize(serializer)
    }
}

/// The one list of the kinds this build knows: each variant of
/// [`EventKind`], its payload type and its wire name. Everything that goes
/// by kind derives from it: [`EventKind::name`] and [`EventKind::KNOWN`],
/// reading a kind's body ([`crate::wire`]), writing an event, and the pass
/// over every string of a payload that the scrubber and the wire's URL
/// redaction make (each payload implements [`crate::redact::Strings`]; a new
/// kind does not compile until its payload says what its strings are, and
/// `redact::event`'s tests fill every field of every payload with a secret
/// and check that none survives the scrubber).
macro_rules! event_kinds {
    ($( $(#[$doc:meta])* $variant:ident($payload:ident) = $name:literal, )*) => {
        /// What happened. Unknown kinds survive as [`EventKind::Other`] with their body.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventKind {
            $( $(#[$doc])* $variant($payload), )*
            /// A kind this build does not know, kept verbatim so it can be stored and re-exported.
            Other {
                kind: String,
                body: Map<String, Value>,
            },
        }

        impl EventKind {
            /// The wire names of the kinds this build knows.
            pub const KNOWN: &'static [&'static str] = &[$($name),*];

            /// The `kind` string used on the wire.
            pub fn name(&self) -> &str {
                match self {
                    $(EventKind::$variant(_) => $name,)*
                    EventKind::Other { kind, .. } => kind,
                }
            }

            /// A kind's body read from its fields (an unknown kind is kept as it is).
            pub(crate) fn from_body(kind: String, body: Map<String, Value>) -> Result<Self, ModelError> {
                fn typed<T: DeserializeOwned>(kind: &str, body: Map<String, Value>) -> Result<T, ModelError> {
                    serde_json::from_value(Value::Object(body)).map_err(|e| ModelError::InvalidEvent {
                        kind: kind.to_owned(),
                        reason: e.to_string(),
                    })
                }
                Ok(match kind.as_str() {
                    $($name => EventKind::$variant(typed(&kind, body)?),)*
                    _ => EventKind::Other { kind, body },
                })
            }

            /// A known kind's body read straight from the whole event's text
            /// (the envelope's fields are unknown to the payload and skipped);
            /// `None` for a kind this build does not know, or a body that
            /// does not read (the caller then asks [`EventKind::from_body`],
            /// which names the reason).
            #[cfg(not(target_arch = "wasm32"))]
            pub(crate) fn from_text(kind: &str, text: &[u8]) -> Option<Self> {
                match kind {
                    $($name => serde_json::from_slice(text).ok().map(EventKind::$variant),)*
                    _ => None,
                }
            }

            /// The payload, for writing it after the envelope.
            pub(crate) fn payload(&self) -> Payload<'_> {
                match self {
                    $(EventKind::$variant(p) => Payload::$variant(p),)*
                    EventKind::Other { body, .. } => Payload::Other(body),
                }
            }

            /// One pass over every string of the payload (an unknown kind's
            /// name and whole body included).
            pub(crate) fn strings<P: StringPass>(&mut self, pass: &mut P) {
                match self {
                    $(EventKind::$variant(p) => p.strings(pass),)*
                    EventKind::Other { kind, body } => {
                        pass.text(kind);
                        pass.json(body);
                    }
                }
            }

            /// Every known kind's payload read from one deserializer each
            /// (the tests fill every field with a secret this way).
            #[cfg(test)]
            pub(crate) fn each_from<D>(mut make: impl FnMut() -> D) -> Vec<EventKind>
            where
                D: for<'de> serde::Deserializer<'de>,
            {
                vec![$(EventKind::$variant(
                    $payload::deserialize(make()).unwrap_or_else(|e| panic!("{}: {e}", $name)),
                ),)*]
            }
        }

        /// A payload by reference, written as its own fields.
        #[derive(Serialize)]
        #[serde(untagged)]
        pub(crate) enum Payload<'a> {
            $($variant(&'a $payload),)*
            Other(&'a Map<String, Value>),
        }
    };
}

event_kinds! {
    StorageChange(StorageChange) = "storage_change",
    CookieChange(CookieChange) = "cookie_change",
    HttpExchange(HttpExchange) = "http_exchange",
    Navigation(Navigation) = "navigation",
    Activity(Activity) = "activity",
    IdleState(IdleStateChange) = "idle_state",
    PageLifecycle(PageLifecycle) = "page_lifecycle",
    TimeSample(TimeSample) = "time_sample",
    LogoutObserved(LogoutObserved) = "logout_observed",
    LogoutAction(LogoutAction) = "logout_action",
    AppReport(AppReport) = "app_report",
}

/// `localStorage` or `sessionStorage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageArea {
    Local,
    Session,
}

impl StorageArea {
    /// `localStorage` / `sessionStorage`, as page code names it.
    pub fn js_name(self) -> &'static str {
        match self {
            StorageArea::Local => "localStorage",
            StorageArea::Session => "sessionStorage",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageOp {
    Set,
    Remove,
    Clear,
}

/// Who changed web storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageActor {
    /// The page's own script in this tab (caught by the MAIN-world hook).
    PageScript,
    /// Another tab of the same origin (seen through the `storage` event).
    OtherTab,
    /// The extension's periodic scan noticed the difference; the writer is unknown.
    ExtensionScan,
}

/// A write or removal in local/sessionStorage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageChange {
    pub area: StorageArea,
    /// The key; empty for `clear`.
    #[serde(default)]
    pub key: String,
    pub op: StorageOp,
    /// Whether the new (or removed) value looked like a JWT.
    #[serde(default)]
    pub is_jwt: bool,
    /// The new value, redacted (for `set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<RedactedToken>,
    /// The value that was replaced or removed, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<RedactedToken>,
    pub actor: StorageActor,
    /// A short stack of the page script that made the change, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

/// `cookies.onChanged` causes, as the browsers name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CookieCause {
    Evicted,
    Expired,
    Explicit,
    ExpiredOverwrite,
    Overwrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SameSite {
    NoRestriction,
    Lax,
    Strict,
    #[default]
    Unspecified,
}

/// Who wrote a cookie change, as far as correlation could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CookieWriter {
    /// A `Set-Cookie` response header (see `request_id`).
    Server,
    /// `document.cookie` in a page.
    PageScript,
    /// The browser itself (expiry, eviction).
    Browser,
    Unknown,
}

/// A cookie was set or removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CookieChange {
    pub name: String,
    #[serde(default)]
    pub domain: String,
    /// The cookie's `Path` attribute (named apart from the envelope's page `path`).
    #[serde(default = "default_path")]
    pub cookie_path: String,
    pub removed: bool,
    pub cause: CookieCause,
    /// Expiry in ms since the epoch; `None` for a session cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<i64>,
    #[serde(default)]
    pub session: bool,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub same_site: SameSite,
    /// The value, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<RedactedToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<CookieWriter>,
    /// The request whose `Set-Cookie` made this change, when correlated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

fn default_path() -> String {
    "/".to_owned()
}

/// What a request is for, as guessed from its URL and method (see [`crate::http::guess_role`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RequestRole {
    Api,
    Refresh,
    Login,
    Logout,
    #[default]
    Other,
}

/// One HTTP request and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpExchange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub method: String,
    /// The URL with query values redacted.
    pub url: String,
    /// HTTP status; `None` when the request failed at the network level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Network error (e.g. `net::ERR_CONNECTION_REFUSED`, `CORS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub role: RequestRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
    /// The server's stable reason code (the `X-Auth-Error-Code` header or JSON `code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_error_code: Option<String>,
    /// `Location`, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The response `Date` header, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Names of cookies this response deleted through `Set-Cookie`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_cookie_deletions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u32>,
    /// Fingerprint of a refresh token found in the request (body, cookie or header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_fp: Option<Fingerprint>,
    /// Fingerprint of the bearer token the request carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_fp: Option<Fingerprint>,
}

impl HttpExchange {
    pub fn is_success(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }
}

/// A top-level navigation or redirect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Navigation {
    /// Target URL, redacted.
    pub url: String,
    /// Whether the target looks like a login page.
    #[serde(default)]
    pub to_login: bool,
    /// Whether a server redirect led here.
    #[serde(default)]
    pub redirect: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// A heartbeat from the content script: when the user last gave input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub last_input_ms: i64,
}

/// `chrome.idle` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdleState {
    Active,
    Idle,
    Locked,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleStateChange {
    pub state: IdleState,
}

/// Page lifecycle states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleState {
    Visible,
    Hidden,
    Frozen,
    Resumed,
    Discarded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageLifecycle {
    pub state: LifecycleState,
}

/// Wall clock against a monotonic clock since the previous sample, and the
/// server's clock when a `Date` header was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSample {
    /// Wall-clock ms since the previous sample.
    pub wall_elapsed_ms: i64,
    /// Monotonic ms since the previous sample (stops while the machine sleeps).
    pub mono_elapsed_ms: i64,
    /// Server `Date` minus local wall clock, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_ms: Option<i64>,
}

impl TimeSample {
    /// Time the machine spent asleep (or the wall clock jumped) since the previous sample.
    pub fn gap_ms(&self) -> i64 {
        self.wall_elapsed_ms - self.mono_elapsed_ms
    }
}

/// How a logout was noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogoutTrigger {
    /// An authenticated page landed on a login URL.
    LoginPage,
    /// Tokens or auth cookies vanished.
    CredentialsVanished,
    /// The user clicked a logout control.
    UserAction,
}

/// A logout the extension saw happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutObserved {
    pub trigger: LogoutTrigger,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Time since the last user input, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_ms: Option<i64>,
    /// The classification, filled in once diagnosed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coarse: Option<crate::logout::LogoutType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<crate::logout::Cause>,
}

/// The user clicked something that logs out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutAction {
    /// Visible label of the control ("Log out").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The seed app's own logout report, field for field as its frontend posts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppReport {
    /// `TOKEN_EXPIRED`, `REFRESH_FAILED`, `USER_ACTION`, `AUTH_ERROR`, `UNKNOWN` — or anything else
    /// the app sends; see [`AppReport::coarse`].
    #[serde(rename = "type", default = "unknown_type")]
    pub report_type: String,
    #[serde(default)]
    pub message: String,
    /// ms since the epoch, by the app's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<AppContext>,
}

fn unknown_type() -> String {
    "UNKNOWN".to_owned()
}

impl AppReport {
    /// The coarse type the app reported; anything unrecognised is `Unknown`.
    pub fn coarse(&self) -> crate::logout::LogoutType {
        crate::logout::LogoutType::from_code(&self.report_type)
    }
}

/// The seed app's `context` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppContext {
    #[serde(default)]
    pub has_token: bool,
    #[serde(default)]
    pub has_refresh_token: bool,
    #[serde(default)]
    pub is_authenticated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
}

/// Apps send user ids as numbers or strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UserId {
    Number(i64),
    Text(String),
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserId::Number(n) => write!(f, "{n}"),
            UserId::Text(s) => f.write_str(s),
        }
    }
}
