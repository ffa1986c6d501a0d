//! Token issuance with safe refresh-token rotation, a logout-event endpoint and the
//! [`AuthUser`] extractor, for axum apps.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use logout_lens_server::*;
//! # struct MyUsers;
//! # impl Authenticator for MyUsers {
//! #     fn verify<'a>(&'a self, _: &'a str, _: &'a str) -> AuthFuture<'a> { Box::pin(async { Ok(None) }) }
//! # }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::builder().issuer("https://auth.example").audience("api").build()?;
//! let store = Arc::new(SqliteStore::open("auth.db")?);
//! let state = AuthState::new(config, store, Arc::new(MyUsers));
//! let app = axum::Router::new().merge(router(state.clone()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//!
//! Error responses carry a stable code in the JSON body (`"code"`) and in the
//! `X-Auth-Error-Code` header ([`logout_lens_model::http::AUTH_CODE_HEADER`]).

pub mod auth;
mod body;
pub mod client_ip;
pub mod config;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod keys;
pub mod maintenance;
pub mod rate_limit;
mod routes;
pub mod sanitize;
pub mod state;
pub mod store;
pub mod tokens;

pub use auth::{AuthFuture, Authenticator, User};
pub use config::{
    Bucket, Config, ConfigBuilder, CookieConfig, CorsConfig, LoginLimits, LogoutEventLimits,
};
pub use error::{AccessFailure, RefreshFailure, ServerError};
pub use extract::AuthUser;
pub use keys::{KeySet, SigningKey};
pub use maintenance::spawn_maintenance;
pub use routes::{cors_layer, router};
pub use state::{AuthState, Clock};
pub use store::{PgStore, SqliteStore, Store, open_store};
