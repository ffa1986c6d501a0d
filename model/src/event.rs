//! Strict domain events, schema v1.
//!
//! On the wire an event is one flat JSON object: the envelope fields plus the
//! fields of its `kind` (see PROTOCOL.md). Parsing goes through the tolerant
//! [`crate::wire::WireEvent`]; these types are what the rest of the code sees.

use serde::{Deserialize, Serialize};

use crate::redact::{Fingerprint, RedactedToken};
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
///
/// Read through [`WireEvent`]; written as the same flat object by borrowing
/// (`impl Serialize` in [`crate::wire`]), without building a map.
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

    /// Is this one of the kinds that mark a logout (observed, clicked, or reported by the app)?
    pub fn is_logout(&self) -> bool {
        matches!(
            self.kind,
            EventKind::LogoutObserved(_) | EventKind::LogoutAction(_) | EventKind::AppReport(_)
        )
    }
}

/// What happened. Unknown kinds survive as [`EventKind::Other`] with their body.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    StorageChange(StorageChange),
    CookieChange(CookieChange),
    HttpExchange(HttpExchange),
    Navigation(Navigation),
    Activity(Activity),
    IdleState(IdleStateChange),
    PageLifecycle(PageLifecycle),
    TimeSample(TimeSample),
    LogoutObserved(LogoutObserved),
    LogoutAction(LogoutAction),
    AppReport(AppReport),
    /// A kind this build does not know, kept verbatim so it can be stored and re-exported.
    Other {
        kind: String,
        body: serde_json::Map<String, serde_json::Value>,
    },
}

impl EventKind {
    /// The `kind` string used on the wire.
    pub fn name(&self) -> &str {
        match self {
            EventKind::StorageChange(_) => "storage_change",
            EventKind::CookieChange(_) => "cookie_change",
            EventKind::HttpExchange(_) => "http_exchange",
            EventKind::Navigation(_) => "navigation",
            EventKind::Activity(_) => "activity",
            EventKind::IdleState(_) => "idle_state",
            EventKind::PageLifecycle(_) => "page_lifecycle",
            EventKind::TimeSample(_) => "time_sample",
            EventKind::LogoutObserved(_) => "logout_observed",
            EventKind::LogoutAction(_) => "logout_action",
            EventKind::AppReport(_) => "app_report",
            EventKind::Other { kind, .. } => kind,
        }
    }
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
