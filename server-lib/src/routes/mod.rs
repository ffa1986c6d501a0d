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

/// The routes' paths, shared by [`router`] and the OpenAPI document.
pub(crate) mod paths {
    pub(crate) const LOGIN: &str = "/v1/auth/login/";
    pub(crate) const REFRESH: &str = "/v1/auth/refresh/";
    pub(crate) const LOGOUT: &str = "/v1/auth/logout/";
    pub(crate) const LOGOUT_EVENT: &str = "/v1/auth/logout-event/";
    pub(crate) const JWKS: &str = "/.well-known/jwks.json";
}

/// `POST /v1/auth/{login,refresh,logout,logout-event}/` (with and without the trailing slash)
/// and `GET /.well-known/jwks.json`; with [`crate::ConfigBuilder::openapi_path`], also the
/// OpenAPI document ([`crate::openapi::document`]). Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so the limits see the client's
/// address (without it every client shares one rate-limit bucket).
pub fn router(state: AuthState) -> Router {
    let mut r = Router::new();
    for (path, method) in [
        (paths::LOGIN, post(session::login)),
        (paths::REFRESH, post(session::refresh)),
        (paths::LOGOUT, post(session::logout)),
        (paths::LOGOUT_EVENT, post(logout_event::record)),
    ] {
        r = r
            .route(path, method.clone())
            .route(path.trim_end_matches('/'), method);
    }
    r = r.route(paths::JWKS, get(session::jwks));
    if let Some(path) = &state.config.openapi_path {
        // Built once; a document is a few dozen KB and never changes while the router lives.
        let json = crate::openapi::document(&state.config)
            .to_pretty_json()
            .unwrap_or_default();
        let body = axum::body::Bytes::from(json);
        r = r.route(
            path,
            get(move || {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        );
    }
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
