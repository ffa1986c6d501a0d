//! The demo's switches.

use std::str::FromStr;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// A duration written `500ms`, `10s`, `5m`, `2h` or `20d` (a bare number is seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span(pub(crate) Duration);

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: f64 = num
            .parse()
            .map_err(|_| format!("`{s}` is not a duration like 10s"))?;
        let secs = match unit {
            "ms" => n / 1000.0,
            "" | "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            "d" => n * 86_400.0,
            _ => return Err(format!("unknown unit `{unit}` (use ms, s, m, h, d)")),
        };
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!("`{s}` is not a valid duration"));
        }
        Ok(Span(Duration::from_secs_f64(secs)))
    }
}

impl Span {
    pub(crate) fn human(self) -> String {
        let ms = self.0.as_millis();
        match ms {
            0 => "0s".to_owned(),
            m if m % 86_400_000 == 0 => format!("{}d", m / 86_400_000),
            m if m % 3_600_000 == 0 => format!("{}h", m / 3_600_000),
            m if m % 60_000 == 0 => format!("{}m", m / 60_000),
            m if m % 1000 == 0 => format!("{}s", m / 1000),
            m => format!("{m}ms"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TokenStorage {
    /// `access_token` / `refresh_token` in localStorage, sent as `Authorization: Bearer`.
    Localstorage,
    /// `HttpOnly` cookies set by the server.
    Cookie,
}

#[derive(Debug, Parser)]
#[command(about = "Logout Lens demo app: reproduces logout causes on purpose")]
pub(crate) struct Cli {
    /// Address to listen on (port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) addr: String,
    /// The one account, EMAIL:PASSWORD.
    #[arg(long, default_value = "demo@example.com:demo-password")]
    pub(crate) user: String,
    /// Where sessions live: an SQLite file, or a `postgres://user@host:port/db` URL shared by
    /// several instances (default: a temporary SQLite file removed at exit).
    #[arg(long, alias = "database-url")]
    pub(crate) db: Option<String>,
    /// Access-token lifetime.
    #[arg(long, default_value = "1h")]
    pub(crate) access_ttl: Span,
    /// Refresh lifetime with "Remember me".
    #[arg(long, default_value = "20d")]
    pub(crate) refresh_ttl: Span,
    /// Refresh lifetime without "Remember me" (capped at --refresh-ttl).
    #[arg(long, default_value = "1d")]
    pub(crate) refresh_ttl_no_remember: Span,
    /// Refresh idle timeout.
    #[arg(long)]
    pub(crate) idle_timeout: Option<Span>,
    /// Reuse grace window for the previous refresh token (0s = strict single use).
    #[arg(long, default_value = "10s")]
    pub(crate) grace: Span,
    /// Clock-skew leeway for access tokens.
    #[arg(long, default_value = "30s")]
    pub(crate) leeway: Span,
    /// How often the dashboard calls the protected API.
    #[arg(long, default_value = "3s")]
    pub(crate) poll: Span,
    /// Where the app keeps tokens.
    #[arg(long, value_enum, default_value = "localstorage")]
    pub(crate) tokens: TokenStorage,
    /// Cause: refresh without cross-tab coordination (each tab keeps its own copy of the tokens
    /// and refreshes on its own; with --grace 0s the second tab trips reuse detection).
    #[arg(long, alias = "race")]
    pub(crate) uncoordinated_refresh: bool,
    /// Cause: the app logs out on any 403 (the reports panel always gets one).
    #[arg(long)]
    pub(crate) logout_on_403: bool,
    /// The dashboard calls the forbidden reports API every N polls (0 = never).
    #[arg(long, default_value_t = 5)]
    pub(crate) reports_every: u32,
    /// Cause: the server forgets sessions this long after login (like an evicting session store).
    #[arg(long)]
    pub(crate) forget_sessions_after: Option<Span>,
    /// Cause: a short session cookie; token cookies get this Max-Age (implies --tokens cookie).
    #[arg(long)]
    pub(crate) cookie_max_age: Option<Span>,
    /// Condition: an image holds the dashboard's `load` event this long, so the app runs (and
    /// can log out) while its page is still loading, as behind a slow asset.
    #[arg(long)]
    pub(crate) slow_load: Option<Span>,
    /// Allow cross-origin pages (repeatable).
    #[arg(long)]
    pub(crate) cors_origin: Vec<String>,
    /// Logout-event rate limit per IP and second (0 = off).
    #[arg(long, default_value_t = 5.0)]
    pub(crate) event_rate: f64,
    /// Turn the failed-login limits off (API fuzzing only; never in production).
    #[arg(long)]
    pub(crate) no_login_limits: bool,
    /// Keep logout events (IPs, self-reported emails) this long.
    #[arg(long, default_value = "7d")]
    pub(crate) event_retention: Span,
    /// Log as JSON lines.
    #[arg(long)]
    pub(crate) log_json: bool,
    /// Write the OpenAPI 3.1 document of the auth routes (as the other flags configure them;
    /// also served at /v1/auth/openapi.json) to FILE, then exit.
    #[arg(long, value_name = "FILE")]
    pub(crate) openapi: Option<std::path::PathBuf>,
}

impl Cli {
    pub(crate) fn token_storage(&self) -> TokenStorage {
        if self.cookie_max_age.is_some() {
            TokenStorage::Cookie
        } else {
            self.tokens
        }
    }
}
