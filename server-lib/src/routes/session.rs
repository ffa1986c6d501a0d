//! Login, refresh, logout and the JWKS document.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::api::{LoginRequest, LogoutResponse, RefreshRequest, TokenResponse, UserView};
use crate::body::{parse_json, read_limited};
use crate::cookies;
use crate::error::{RefreshFailure, ServerError};
use crate::sanitize::log_field;
use crate::state::AuthState;
use crate::store::{NewSession, RotateOutcome, RotateRequest, SessionInfo};
use crate::tokens::{RefreshToken, issue_access, random_bytes};

const AUTH_BODY_LIMIT: usize = 16 * 1024;

fn session_id() -> Result<String, ServerError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<16>()?))
}

/// The token pair response; in cookie mode the tokens travel only as `HttpOnly` cookies.
fn token_response(
    state: &AuthState,
    session: &SessionInfo,
    refresh: &RefreshToken,
    user: UserView,
) -> Result<Response, ServerError> {
    let now_s = state.now_s();
    let (access, claims) =
        issue_access(&state.config, &session.user_id, &session.session_id, now_s)?;
    let refresh_s = refresh.encode();
    let mut body = TokenResponse {
        token_type: "Bearer".to_owned(),
        expires_in: state.config.access_ttl.as_secs(),
        access_expires_at_ms: claims.exp * 1000,
        refresh_expires_at_ms: session.expires_ms,
        session_id: session.session_id.clone(),
        user,
        access: None,
        refresh: None,
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match &state.config.cookies {
        Some(cfg) => {
            let refresh_left = (session.expires_ms - state.now_ms()).max(0) as u64;
            cookies::issue(
                &mut headers,
                cfg,
                &access,
                state.config.access_ttl,
                &refresh_s,
                std::time::Duration::from_millis(refresh_left),
                session.remember_me,
            );
        }
        None => {
            body.access = Some(access);
            body.refresh = Some(refresh_s);
        }
    }
    Ok((headers, Json(body)).into_response())
}

pub(super) async fn login(
    State(state): State<AuthState>,
    request: axum::http::Request<Body>,
) -> Result<Response, ServerError> {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let ip = super::peer_ip(&parts.extensions, &headers, &state);
    let limited = |retry_after_s| ServerError::RateLimited { retry_after_s };
    // Cheap early answer for an address that is out of tokens already; the real check is the
    // reservation below, once the account is known.
    state
        .login_limiter
        .precheck(ip, state.now_ms())
        .map_err(limited)?;
    let bytes = read_limited(&headers, body, AUTH_BODY_LIMIT).await?;
    let req: LoginRequest = parse_json(&bytes)?;
    // Taken before the password check, so concurrent guesses cannot outrun the limit.
    let permit = state
        .login_limiter
        .reserve(ip, &req.email, state.now_ms())
        .map_err(limited)?;
    let Some(user) = state
        .authenticator
        .verify(&req.email, &req.password)
        .await?
    else {
        let masked = logout_lens_model::redact::mask_email(&req.email);
        tracing::info!(email = log_field(&masked), "login refused");
        return Err(ServerError::BadCredentials);
    };
    // Only failures spend the budget, so a busy office behind one address can still log in.
    state.login_limiter.refund(permit, state.now_ms());
    let now_ms = state.now_ms();
    let ttl = state.config.refresh_ttl_for(req.remember_me);
    let refresh = RefreshToken::generate()?;
    let session = SessionInfo {
        session_id: session_id()?,
        user_id: user.id.clone(),
        generation: 0,
        remember_me: req.remember_me,
        expires_ms: now_ms.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)),
    };
    state
        .store
        .create_session(NewSession {
            session_id: session.session_id.clone(),
            user_id: user.id.clone(),
            device_id: req.device_id.map(|d| d.chars().take(128).collect()),
            remember_me: req.remember_me,
            now_ms,
            expires_ms: session.expires_ms,
            token_hash: refresh.lookup_hash(),
        })
        .await?;
    tracing::info!(
        user = log_field(&user.id),
        session = session.session_id.as_str(),
        remember_me = req.remember_me,
        "login"
    );
    token_response(
        &state,
        &session,
        &refresh,
        UserView {
            id: user.id,
            email: Some(user.email),
        },
    )
}

fn user_id_only(session: &SessionInfo) -> UserView {
    UserView {
        id: session.user_id.clone(),
        email: None,
    }
}

/// The refresh token from the body, else from the refresh cookie.
fn presented_refresh(
    state: &AuthState,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Option<String>, ServerError> {
    let from_body = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        parse_json::<RefreshRequest>(bytes)?.refresh
    };
    Ok(from_body.or_else(|| {
        state
            .config
            .cookies
            .as_ref()
            .and_then(|c| cookies::read_cookie(headers, &c.refresh_name))
    }))
}

pub(super) async fn refresh(
    State(state): State<AuthState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ServerError> {
    let bytes = read_limited(&headers, body, AUTH_BODY_LIMIT).await?;
    let Some(raw) = presented_refresh(&state, &headers, &bytes)? else {
        return Err(ServerError::bad_request(
            "missing_token",
            "no refresh token in the request",
        ));
    };
    let presented = RefreshToken::parse(&raw).map_err(ServerError::Refresh)?;
    let successor = RefreshToken::generate()?;
    let outcome = state
        .store
        .rotate(RotateRequest {
            presented_hash: presented.lookup_hash(),
            successor_hash: successor.lookup_hash(),
            successor_sealed: presented.seal_successor(&successor),
            now_ms: state.now_ms(),
            grace_ms: i64::try_from(state.config.reuse_grace.as_millis()).unwrap_or(i64::MAX),
            idle_timeout_ms: state
                .config
                .refresh_idle_timeout
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        })
        .await?;
    match outcome {
        RotateOutcome::Rotated(session) => {
            let user = user_id_only(&session);
            token_response(&state, &session, &successor, user)
        }
        RotateOutcome::Replayed { session, sealed } => {
            let same = presented.unseal_successor(&sealed).ok_or_else(|| {
                ServerError::Store("sealed successor has the wrong length".to_owned())
            })?;
            tracing::info!(session = %session.session_id, "refresh retried inside the grace window");
            let user = user_id_only(&session);
            token_response(&state, &session, &same, user)
        }
        RotateOutcome::Refused(failure) => {
            if failure == RefreshFailure::Reused {
                tracing::warn!(
                    code = failure.code(),
                    "refresh token reuse; session revoked"
                );
            } else {
                tracing::info!(code = failure.code(), "refresh refused");
            }
            let mut response = ServerError::Refresh(failure).into_response();
            if let Some(cfg) = &state.config.cookies {
                cookies::clear(response.headers_mut(), cfg);
            }
            Ok(response)
        }
    }
}

/// RFC 7009: revoking an unknown or malformed token is still a success.
pub(super) async fn logout(
    State(state): State<AuthState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ServerError> {
    let bytes = read_limited(&headers, body, AUTH_BODY_LIMIT).await?;
    let raw = presented_refresh(&state, &headers, &bytes)?;
    let mut revoked = false;
    if let Some(token) = raw.as_deref().and_then(|r| RefreshToken::parse(r).ok()) {
        if let Some(session) = state
            .store
            .revoke_by_token(token.lookup_hash(), "logout", state.now_ms())
            .await?
        {
            tracing::info!(session = %session, "logout");
            revoked = true;
        }
    }
    let mut response = Json(LogoutResponse {
        status: "ok".to_owned(),
        revoked,
    })
    .into_response();
    if let Some(cfg) = &state.config.cookies {
        cookies::clear(response.headers_mut(), cfg);
    }
    Ok(response)
}

pub(super) async fn jwks(State(state): State<AuthState>) -> Response {
    (
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        )],
        Json(state.config.keys.jwks()),
    )
        .into_response()
}
