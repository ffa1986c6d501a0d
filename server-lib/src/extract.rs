//! `AuthUser`: the extractor protected routes use.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::config::Config;
use crate::cookies::read_cookie;
use crate::error::{AccessFailure, ServerError};
use crate::state::AuthState;
use crate::tokens::{AccessClaims, verify_access};

/// A caller whose access token verified (and, unless disabled, whose session is still live).
///
/// The token comes from `Authorization: Bearer …`, else (with [`Config::cookies`]) from the
/// access cookie. A rejection is a 401 with an RFC 6750 `WWW-Authenticate` challenge and a
/// stable code ([`AccessFailure`]). It works with any app state from which an [`AuthState`]
/// can be taken ([`FromRef`]):
///
/// ```
/// use std::sync::Arc;
///
/// use axum::body::Body;
/// use axum::extract::{FromRef, State};
/// use axum::http::{Request, StatusCode, header};
/// use axum::routing::get;
/// use axum::Router;
/// use logout_lens_server::{AuthFuture, AuthState, AuthUser, Authenticator, Config, SqliteStore};
/// use tower::ServiceExt as _;
///
/// # struct NoUsers;
/// # impl Authenticator for NoUsers {
/// #     fn verify<'a>(&'a self, _: &'a str, _: &'a str) -> AuthFuture<'a> {
/// #         Box::pin(async { Ok(None) })
/// #     }
/// # }
/// #[derive(Clone)]
/// struct AppState {
///     auth: AuthState,
///     greeting: Arc<str>,
/// }
///
/// impl FromRef<AppState> for AuthState {
///     fn from_ref(app: &AppState) -> AuthState {
///         app.auth.clone()
///     }
/// }
///
/// async fn hello(user: AuthUser, State(app): State<AppState>) -> String {
///     format!("{}, user {}", app.greeting, user.user_id)
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let store = Arc::new(SqliteStore::open(dir.path().join("auth.db"))?);
/// let auth = AuthState::new(Config::builder().build()?, store, Arc::new(NoUsers));
/// let app: Router = Router::new()
///     .route("/hello", get(hello))
///     .with_state(AppState { auth, greeting: "Hello".into() });
///
/// let forged = Request::get("/hello")
///     .header(header::AUTHORIZATION, "Bearer not.a.token")
///     .body(Body::empty())?;
/// let rejected = app.oneshot(forged).await?;
/// assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(rejected.headers()["x-auth-error-code"], "malformed");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user's id (the token's `sub`).
    pub user_id: String,
    /// The session the token belongs to.
    pub session_id: String,
    /// Every claim of the verified access token.
    pub claims: AccessClaims,
}

/// The access token of a request: `Authorization: Bearer …`, else the access cookie.
/// `None` when the request carries no credentials at all.
pub fn access_token(headers: &HeaderMap, config: &Config) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(rest.trim().to_owned());
        }
    }
    config
        .cookies
        .as_ref()
        .and_then(|c| read_cookie(headers, &c.access_name))
}

impl<S> FromRequestParts<S> for AuthUser
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AuthState::from_ref(state);
        let token =
            access_token(&parts.headers, &state.config).ok_or(ServerError::MissingCredentials)?;
        let claims =
            verify_access(&state.config, &token, state.now_s()).map_err(ServerError::Access)?;
        if state.config.check_session {
            let live = state
                .store
                .session(claims.sid.clone(), state.now_ms())
                .await?
                .is_some_and(|s| s.status != "revoked");
            if !live {
                return Err(ServerError::Access(AccessFailure::SessionRevoked));
            }
        }
        Ok(AuthUser {
            user_id: claims.sub.clone(),
            session_id: claims.sid.clone(),
            claims,
        })
    }
}
