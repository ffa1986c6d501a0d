//! The router a host app merges.

mod logout_event;
mod session;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::{get, post};
use logout_lens_model::http::AUTH_CODE_HEADER;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::CorsConfig;
use crate::state::AuthState;

/// `POST /v1/auth/{login,refresh,logout,logout-event}/` (with and without the trailing slash)
/// and `GET /.well-known/jwks.json`. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so the logout-event endpoint sees the
/// client's address (without it every client shares one rate-limit bucket).
pub fn router(state: AuthState) -> Router {
    let mut r = Router::new();
    for (path, method) in [
        ("/v1/auth/login", post(session::login)),
        ("/v1/auth/refresh", post(session::refresh)),
        ("/v1/auth/logout", post(session::logout)),
        ("/v1/auth/logout-event", post(logout_event::record)),
    ] {
        r = r
            .route(path, method.clone())
            .route(&format!("{path}/"), method);
    }
    r = r.route("/.well-known/jwks.json", get(session::jwks));
    if let Some(cors) = &state.config.cors {
        r = r.layer(cors_layer(cors));
    }
    r.with_state(state)
}

/// The client address per [`crate::client_ip::client_ip`], from the connection info the server
/// was started with (`None` without `into_make_service_with_connect_info`).
pub(crate) fn client_ip_of(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    state: &AuthState,
) -> Option<std::net::IpAddr> {
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    crate::client_ip::client_ip(peer, headers, &state.config.trusted_proxies)
}

/// The key for per-IP limits; unknown clients share one bucket.
pub(crate) fn peer_ip(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    state: &AuthState,
) -> std::net::IpAddr {
    client_ip_of(extensions, headers, state)
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// CORS for browser pages on other origins; exposes the auth-code header so they can read it.
pub fn cors_layer(cors: &CorsConfig) -> CorsLayer {
    let any = cors.allowed_origins.iter().any(|o| o == "*");
    let origin = if any && !cors.allow_credentials {
        AllowOrigin::any()
    } else {
        let list: Vec<HeaderValue> = cors
            .allowed_origins
            .iter()
            .filter(|o| *o != "*")
            .filter_map(|o| o.parse().ok())
            .collect();
        AllowOrigin::list(list)
    };
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([
            HeaderName::from_static(AUTH_CODE_HEADER),
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
        ])
        .allow_credentials(cors.allow_credentials && !(any && cors.allowed_origins.len() == 1))
}
