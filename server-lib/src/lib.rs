#![deny(missing_docs)]
//! Token issuance with safe refresh-token rotation, a logout-event endpoint and the
//! [`AuthUser`] extractor, for axum apps.
//!
//! Merge [`router`] into your app, give it a store (here the embedded SQLite one) and your
//! [`Authenticator`], and put [`AuthUser`] on the routes that need a signed-in user:
//!
//! ```
//! use std::sync::Arc;
//!
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode, header};
//! use axum::routing::get;
//! use axum::{Json, Router};
//! use logout_lens_server::auth::constant_time_eq;
//! use logout_lens_server::{
//!     AuthFuture, AuthState, AuthUser, Authenticator, Config, SqliteStore, User, router,
//! };
//! use serde_json::{Value, json};
//! use tower::ServiceExt as _; // `oneshot`: one request without a socket, for this example
//!
//! /// Your users: look the account up and check its password hash here.
//! struct MyUsers;
//!
//! impl Authenticator for MyUsers {
//!     fn verify<'a>(&'a self, email: &'a str, password: &'a str) -> AuthFuture<'a> {
//!         Box::pin(async move {
//!             let ok = email == "ada@example.com"
//!                 && constant_time_eq(password.as_bytes(), b"correct horse");
//!             Ok(ok.then(|| User { id: "42".into(), email: email.into() }))
//!         })
//!     }
//! }
//!
//! /// A protected route: only a request with a valid access token (of a live session) gets here.
//! async fn me(user: AuthUser) -> Json<Value> {
//!     Json(json!({ "user": user.user_id, "session": user.session_id }))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = Arc::new(SqliteStore::open(dir.path().join("auth.db"))?);
//! let config = Config::builder().issuer("https://auth.example").audience("api").build()?;
//! let state = AuthState::new(config, store, Arc::new(MyUsers));
//! let app = Router::new()
//!     .route("/api/me", get(me))
//!     .with_state(state.clone())
//!     .merge(router(state));
//! // In the app: serve with the client's address, which the login limits key on:
//! // axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
//!
//! let login = Request::post("/v1/auth/login/")
//!     .header(header::CONTENT_TYPE, "application/json")
//!     .body(Body::from(r#"{"email":"ada@example.com","password":"correct horse"}"#))?;
//! let response = app.clone().oneshot(login).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! let tokens: Value =
//!     serde_json::from_slice(&axum::body::to_bytes(response.into_body(), 64 * 1024).await?)?;
//! let access = tokens["access"].as_str().unwrap();
//!
//! let me = Request::get("/api/me")
//!     .header(header::AUTHORIZATION, format!("Bearer {access}"))
//!     .body(Body::empty())?;
//! assert_eq!(app.clone().oneshot(me).await?.status(), StatusCode::OK);
//!
//! // Without a token: 401 with `WWW-Authenticate: Bearer` (RFC 6750).
//! let anonymous = app.oneshot(Request::get("/api/me").body(Body::empty())?).await?;
//! assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(anonymous.headers()[header::WWW_AUTHENTICATE], "Bearer");
//! # Ok(()) }
//! ```
//!
//! Error responses carry a stable code in the JSON body (`"code"`) and in the
//! `X-Auth-Error-Code` header ([`logout_lens_model::http::AUTH_CODE_HEADER`]); the whole API is
//! described by an OpenAPI 3.1 document ([`openapi::document`], served with
//! [`ConfigBuilder::openapi_path`]).

pub mod api;
pub mod auth;
mod body;
pub mod client_ip;
pub mod config;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod keys;
pub mod maintenance;
pub mod openapi;
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
#[cfg(feature = "postgres")]
pub use store::PgStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{Store, open_store};
