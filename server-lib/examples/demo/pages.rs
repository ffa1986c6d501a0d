//! The SPA's pages. Every page shows which switches are on, both as text and as
//! `data-switch-*` attributes, and embeds the settings as JSON for the script.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use crate::cli::{Cli, TokenStorage};

const SIGNIN_HTML: &str = include_str!("static/signin.html");
const DASHBOARD_HTML: &str = include_str!("static/dashboard.html");
const APP_JS: &str = include_str!("static/app.js");
const STYLE_CSS: &str = include_str!("static/style.css");

/// What the pages and the script need to know.
#[derive(Debug, Serialize)]
pub(crate) struct Settings {
    tokens: &'static str,
    uncoordinated_refresh: bool,
    logout_on_403: bool,
    forget_sessions_after: Option<String>,
    cookie_max_age: Option<String>,
    access_ttl: String,
    refresh_ttl: String,
    refresh_ttl_no_remember: String,
    idle_timeout: Option<String>,
    grace: String,
    leeway: String,
    poll_ms: u64,
    reports_every: u32,
    slow_load: Option<String>,
    /// How long `/demo/slow.gif` waits (`--slow-load`).
    #[serde(skip)]
    slow_load_wait: Option<Duration>,
}

impl Settings {
    pub(crate) fn from_cli(cli: &Cli) -> Self {
        Settings {
            tokens: match cli.token_storage() {
                TokenStorage::Localstorage => "localstorage",
                TokenStorage::Cookie => "cookie",
            },
            uncoordinated_refresh: cli.uncoordinated_refresh,
            logout_on_403: cli.logout_on_403,
            forget_sessions_after: cli.forget_sessions_after.map(|s| s.human()),
            cookie_max_age: cli.cookie_max_age.map(|s| s.human()),
            access_ttl: cli.access_ttl.human(),
            refresh_ttl: cli.refresh_ttl.human(),
            refresh_ttl_no_remember: cli.refresh_ttl_no_remember.human(),
            idle_timeout: cli.idle_timeout.map(|s| s.human()),
            grace: cli.grace.human(),
            leeway: cli.leeway.human(),
            poll_ms: u64::try_from(cli.poll.0.as_millis())
                .unwrap_or(3000)
                .max(100),
            reports_every: cli.reports_every,
            slow_load: cli.slow_load.map(|s| s.human()),
            slow_load_wait: cli.slow_load.map(|s| s.0),
        }
    }

    /// `(name, value, on)` for the banner; the causes first.
    fn switches(&self) -> Vec<(&'static str, String, bool)> {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "off".to_owned());
        vec![
            ("tokens", self.tokens.to_owned(), true),
            (
                "uncoordinated-refresh",
                on_off(self.uncoordinated_refresh),
                self.uncoordinated_refresh,
            ),
            (
                "logout-on-403",
                on_off(self.logout_on_403),
                self.logout_on_403,
            ),
            (
                "forget-sessions-after",
                opt(&self.forget_sessions_after),
                self.forget_sessions_after.is_some(),
            ),
            (
                "cookie-max-age",
                opt(&self.cookie_max_age),
                self.cookie_max_age.is_some(),
            ),
            ("access-ttl", self.access_ttl.clone(), false),
            ("refresh-ttl", self.refresh_ttl.clone(), false),
            (
                "refresh-ttl-no-remember",
                self.refresh_ttl_no_remember.clone(),
                false,
            ),
            (
                "idle-timeout",
                opt(&self.idle_timeout),
                self.idle_timeout.is_some(),
            ),
            ("grace", self.grace.clone(), self.grace == "0s"),
            ("leeway", self.leeway.clone(), false),
            ("slow-load", opt(&self.slow_load), self.slow_load.is_some()),
        ]
    }
}

/// The smallest GIF: one transparent pixel.
const PIXEL_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// `--slow-load`'s image: answered after the configured wait (at once when
/// the switch is off). A page left meanwhile drops the connection, and with
/// it this wait.
async fn slow_gif(State(s): State<Arc<Settings>>) -> Response {
    if let Some(wait) = s.slow_load_wait {
        tokio::time::sleep(wait).await;
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        PIXEL_GIF,
    )
        .into_response()
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_owned()
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn render(template: &str, settings: &Settings) -> Response {
    let items: String = settings
        .switches()
        .iter()
        .map(|(name, value, on)| {
            format!(
                "<li class=\"switch{}\" data-switch=\"{name}\" data-value=\"{v}\"><code>--{name}</code> {v}</li>",
                if *on { " on" } else { "" },
                v = escape_html(value)
            )
        })
        .collect();
    let attrs: String = settings
        .switches()
        .iter()
        .map(|(name, value, _)| format!(" data-switch-{name}=\"{}\"", escape_html(value)))
        .collect();
    // `<` escaped so the JSON can never close the script element.
    let json = serde_json::to_string(settings)
        .unwrap_or_else(|_| "{}".to_owned())
        .replace('<', "\\u003c");
    let slow = if settings.slow_load_wait.is_some() {
        r#"<img src="/demo/slow.gif" alt="" width="1" height="1">"#
    } else {
        ""
    };
    let html = template
        .replace("{{SLOW_LOAD}}", slow)
        .replace("{{SWITCHES}}", &items)
        .replace("{{SWITCH_ATTRS}}", &attrs)
        .replace("{{CONFIG_JSON}}", &json);
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Html(html),
    )
        .into_response()
}

pub(crate) fn routes(settings: Arc<Settings>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route(
            "/signin",
            get(|State(s): State<Arc<Settings>>| async move { render(SIGNIN_HTML, &s) }),
        )
        .route(
            "/dashboard",
            get(|State(s): State<Arc<Settings>>| async move { render(DASHBOARD_HTML, &s) }),
        )
        .route(
            "/demo/config.json",
            get(|State(s): State<Arc<Settings>>| async move {
                axum::Json(serde_json::to_value(&*s).unwrap_or_default())
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    APP_JS,
                )
            }),
        )
        .route(
            "/static/style.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    STYLE_CSS,
                )
            }),
        )
        .route("/demo/slow.gif", get(slow_gif))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(settings)
}
