//! The demo app: a small SPA on top of `logout-lens-server` whose switches reproduce known
//! logout causes on purpose. It is the known truth the browser extension is tested against.
//!
//! `cargo run -p logout-lens-server --example demo -- --addr 127.0.0.1:0` prints
//! `listening on http://127.0.0.1:PORT` once it accepts connections.

mod cli;
mod pages;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use clap::Parser as _;
use logout_lens_server::{
    AuthFuture, AuthState, AuthUser, Authenticator, Config, CookieConfig, CorsConfig,
    LogoutEventLimits, User, auth::constant_time_eq, open_store, router,
};
use serde_json::json;

use crate::cli::{Cli, TokenStorage};

/// Where the demo serves the OpenAPI document of its auth routes.
const OPENAPI_PATH: &str = "/v1/auth/openapi.json";

/// The one user from `--user`, compared in constant time.
struct DemoUser {
    email: String,
    password: String,
}

impl Authenticator for DemoUser {
    fn verify<'a>(&'a self, email: &'a str, password: &'a str) -> AuthFuture<'a> {
        Box::pin(async move {
            let ok = email.eq_ignore_ascii_case(&self.email)
                & constant_time_eq(password.as_bytes(), self.password.as_bytes());
            Ok(ok.then(|| User {
                id: "1".to_owned(),
                email: self.email.clone(),
            }))
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(&cli);
    let (email, password) = cli
        .user
        .split_once(':')
        .context("--user must be EMAIL:PASSWORD")?;

    let mut builder = Config::builder()
        .access_ttl(cli.access_ttl.0)
        .refresh_ttl_remember_me(cli.refresh_ttl.0)
        .refresh_ttl(cli.refresh_ttl_no_remember.0.min(cli.refresh_ttl.0))
        .refresh_idle_timeout(cli.idle_timeout.map(|d| d.0))
        .reuse_grace(cli.grace.0)
        .leeway(cli.leeway.0)
        .issuer("logout-lens-demo")
        .audience("logout-lens-demo-api")
        .openapi_path(OPENAPI_PATH)
        .logout_event_limits(LogoutEventLimits {
            rate_per_second: (cli.event_rate > 0.0).then_some(cli.event_rate),
            burst: 30,
            ..Default::default()
        });
    if cli.token_storage() == TokenStorage::Cookie {
        // The demo serves plain http://127.0.0.1, where a browser drops `Secure` cookies:
        // the library's documented opt-out (never for production).
        builder = builder.cookies(CookieConfig {
            max_age: cli.cookie_max_age.map(|d| d.0),
            ..CookieConfig::plain_http_development()
        });
    }
    if cli.no_login_limits {
        builder = builder.login_limits(None);
    }
    if !cli.cors_origin.is_empty() {
        builder = builder.cors(CorsConfig {
            allowed_origins: cli.cors_origin.clone(),
            allow_credentials: true,
        });
    }
    let config = builder.build().context("invalid settings")?;
    if let Some(file) = &cli.openapi {
        let json = logout_lens_server::openapi::document(&config).to_pretty_json()?;
        std::fs::write(file, json + "\n").with_context(|| format!("writing {}", file.display()))?;
        return Ok(());
    }
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let database_url = cli
        .db
        .clone()
        .unwrap_or_else(|| tmp.path().join("demo.db").display().to_string());
    let is_postgres = database_url.starts_with("postgres");
    // A PostgreSQL URL may carry a password: name only the kind of store in the error.
    let store = open_store(&database_url).await.with_context(|| {
        if is_postgres {
            "opening the PostgreSQL database".to_owned()
        } else {
            format!("opening {database_url}")
        }
    })?;

    let state = AuthState::new(
        config,
        store.clone(),
        Arc::new(DemoUser {
            email: email.to_owned(),
            password: password.to_owned(),
        }),
    );

    logout_lens_server::spawn_maintenance(
        state.clone(),
        Duration::from_secs(600),
        cli.event_retention.0,
    );
    if let Some(after) = cli.forget_sessions_after {
        spawn_forgetter(state.clone(), after.0);
    }

    let settings = Arc::new(pages::Settings::from_cli(&cli));
    let app = Router::new()
        .merge(router(state.clone()))
        .merge(api_routes(state.clone()))
        .merge(pages::routes(settings));

    let addr: SocketAddr = cli.addr.parse().context("--addr must be HOST:PORT")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    // The kernel queues connections from here on, so the line is true once printed.
    println!("listening on http://{local}");
    std::io::stdout().flush()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut graceful = stop_rx.clone();
    let mut deadline = stop_rx;
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = graceful.wait_for(|stop| *stop).await;
    });
    // A browser may hold keep-alive connections open; do not wait for it forever.
    tokio::select! {
        r = server => r?,
        () = async move {
            let _ = deadline.wait_for(|stop| *stop).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        } => tracing::info!("connections still open 2 s after the signal; closing anyway"),
    }
    drop(tmp);
    Ok(())
}

/// Ctrl-C or SIGTERM (what test harnesses send), so the temporary database is removed.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

fn init_tracing(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_json {
        builder.json().init();
    } else {
        builder.with_ansi(false).init();
    }
}

/// "Server forgets sessions after N seconds", like a session store evicting keys.
fn spawn_forgetter(state: AuthState, after: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let cutoff = state.now_ms() - i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
            match state.store().forget_sessions_created_before(cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    sessions = n,
                    "demo: forgot sessions (--forget-sessions-after)"
                ),
                Err(e) => tracing::warn!(error = %e, "demo: forgetting sessions failed"),
            }
        }
    });
}

fn api_routes(state: AuthState) -> Router {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/reports", get(reports))
        .route("/demo/logout-events.json", get(logout_events))
        .with_state(state)
}

async fn me(user: AuthUser) -> impl IntoResponse {
    axum::Json(json!({
        "user": { "id": user.user_id },
        "session_id": user.session_id,
        "access_expires_at_ms": user.claims.exp * 1000,
    }))
}

/// A resource the demo user may not read: the source of the 403s for `--logout-on-403`.
async fn reports(_user: AuthUser) -> impl IntoResponse {
    (
        StatusCode::FORBIDDEN,
        [(
            "www-authenticate",
            "Bearer error=\"insufficient_scope\", scope=\"reports:read\"",
        )],
        axum::Json(
            json!({ "error": "insufficient_scope", "detail": "reports need the reports:read scope" }),
        ),
    )
}

/// What the server stored for each report, newest first (for tests and the dashboard).
async fn logout_events(
    axum::extract::State(state): axum::extract::State<AuthState>,
) -> Result<impl IntoResponse, logout_lens_server::ServerError> {
    let events = state.store().recent_logout_events(50).await?;
    let list: Vec<_> = events
        .into_iter()
        .map(|e| {
            json!({
                "received_ms": e.received_ms,
                "format": e.format,
                "type": e.report_type,
                "message": e.message,
                "idle_minutes": e.idle_minutes,
                "location": e.location,
                "reported_user_id": e.reported_user_id,
                "server_user_id": e.server_user_id,
                "session_id": e.server_session_id,
                "token_status": e.token_status,
                "server_reason": e.server_reason,
            })
        })
        .collect();
    Ok(axum::Json(json!({ "events": list })))
}
