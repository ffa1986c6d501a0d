//! `POST /v1/auth/logout-event/`: store and log why a client says it was logged out.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, header};
use axum::response::{IntoResponse, Response};
use logout_lens_model::redact::mask_email;
use logout_lens_model::wire::{LogoutReport, parse_logout_report};
use logout_lens_model::{EventKind, ModelError};
use serde_json::json;

use crate::body::read_limited;
use crate::cookies::read_cookie;
use crate::error::{AccessFailure, ServerError};
use crate::extract::access_token;
use crate::sanitize::LogSafe;
use crate::state::AuthState;
use crate::store::LogoutEventRecord;
use crate::tokens::{RefreshToken, verify_access, verify_signature};

const MAX_STORED_FIELD: usize = 2048;

fn cap(s: &str) -> String {
    s.chars().take(MAX_STORED_FIELD).collect()
}

pub(super) async fn record(
    State(state): State<AuthState>,
    request: Request<Body>,
) -> Result<Response, ServerError> {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let limits = &state.config.logout_event;
    let ip = super::client_ip_of(&parts.extensions, &headers, &state);
    let now_ms = state.now_ms();
    state
        .limiter
        .check(super::peer_ip(&parts.extensions, &headers, &state), now_ms)
        .map_err(|retry_after_s| ServerError::RateLimited { retry_after_s })?;
    let bytes = read_limited(&headers, body, limits.max_body_bytes).await?;
    let report = parse_logout_report(&bytes).map_err(|e: ModelError| {
        ServerError::bad_request("malformed", format!("not a logout report: {e}"))
    })?;
    let mut rec = to_record(&report)?;
    rec.received_ms = now_ms;
    rec.client_ip = ip.map(|i| i.to_string());
    rec.user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(cap);
    server_view(&state, &headers, &mut rec).await?;
    let id = state.store.record_logout_event(rec.clone()).await?;
    log_event(id, &rec);
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "status": "recorded", "id": id })),
    )
        .into_response())
}

fn to_record(report: &LogoutReport) -> Result<LogoutEventRecord, ServerError> {
    let payload = match report {
        LogoutReport::App(r) => serde_json::to_string(r),
        LogoutReport::Event(e) => serde_json::to_string(e),
    }
    .map_err(|e| ServerError::bad_request("malformed", e.to_string()))?;
    let app = match report {
        LogoutReport::App(r) => Some(r),
        LogoutReport::Event(e) => match &e.kind {
            EventKind::AppReport(r) => Some(r),
            _ => None,
        },
    };
    let mut rec = LogoutEventRecord {
        format: match report {
            LogoutReport::App(_) => "app",
            LogoutReport::Event(_) => "event",
        }
        .to_owned(),
        payload,
        ..Default::default()
    };
    if let Some(r) = app {
        rec.report_type = cap(&r.report_type);
        rec.message = Some(cap(&r.message));
        rec.idle_minutes = r.idle_minutes.filter(|m| m.is_finite());
        rec.location = r.location.as_deref().map(cap);
        if let Some(ctx) = &r.context {
            rec.reported_user_id = ctx.user_id.as_ref().map(|u| cap(&u.to_string()));
            rec.reported_email = ctx.user_email.as_deref().map(cap);
        }
    } else if let LogoutReport::Event(e) = report {
        rec.report_type = cap(e.kind.name());
        rec.location = e.path.as_deref().map(cap);
    }
    Ok(rec)
}

/// What the request's own credentials prove, next to what the report claims.
async fn server_view(
    state: &AuthState,
    headers: &HeaderMap,
    rec: &mut LogoutEventRecord,
) -> Result<(), ServerError> {
    let config = &state.config;
    if let Some(token) = access_token(headers, config) {
        let (claims, status) = match verify_access(config, &token, state.now_s()) {
            Ok(c) => (Some(c), "access:valid".to_owned()),
            // An expired token still names its user, and the signature proves we issued it.
            Err(AccessFailure::Expired) => (
                verify_signature(config, &token).ok(),
                "access:expired".to_owned(),
            ),
            Err(f) => (None, format!("access:{}", f.code())),
        };
        rec.token_status = Some(status);
        if let Some(c) = claims {
            rec.server_user_id = Some(c.sub.clone());
            rec.server_session_id = Some(c.sid.clone());
            match state.store.session(c.sid, state.now_ms()).await? {
                Some(view) => {
                    rec.token_status = Some(format!(
                        "{}; session:{}",
                        rec.token_status.take().unwrap_or_default(),
                        view.status
                    ));
                    rec.server_reason = view.revoked_reason.or(view.last_failure);
                }
                None => {
                    rec.token_status = Some(format!(
                        "{}; session:unknown",
                        rec.token_status.take().unwrap_or_default()
                    ));
                }
            }
        }
        return Ok(());
    }
    let refresh = config
        .cookies
        .as_ref()
        .and_then(|c| read_cookie(headers, &c.refresh_name));
    if let Some(raw) = refresh {
        match RefreshToken::parse(&raw) {
            Ok(t) => match state
                .store
                .token_view(t.lookup_hash(), state.now_ms())
                .await?
            {
                Some(view) => {
                    rec.server_user_id = Some(view.user_id);
                    rec.server_session_id = Some(view.session_id);
                    rec.token_status = Some(format!("refresh:{}", view.status));
                    rec.server_reason = view.revoked_reason.or(view.last_failure);
                }
                None => rec.token_status = Some("refresh:not_found".to_owned()),
            },
            Err(f) => rec.token_status = Some(format!("refresh:{}", f.code())),
        }
    }
    Ok(())
}

/// Exactly one structured event per report; every client-supplied string is escaped so it
/// cannot break the line, and emails are masked (the full value is only in the database).
fn log_event(id: i64, rec: &LogoutEventRecord) {
    let opt = LogSafe::opt;
    let email = rec.reported_email.as_deref().map(mask_email);
    tracing::info!(
        target: "logout_lens::logout_event",
        id,
        report_type = %LogSafe(&rec.report_type),
        report_message = %opt(&rec.message),
        idle_minutes = %rec.idle_minutes.map(|m| m.to_string()).unwrap_or_default(),
        location = %opt(&rec.location),
        reported_user_id = %opt(&rec.reported_user_id),
        reported_email = %opt(&email),
        server_user_id = %opt(&rec.server_user_id),
        session = %opt(&rec.server_session_id),
        token_status = %opt(&rec.token_status),
        server_reason = %opt(&rec.server_reason),
        ip = %opt(&rec.client_ip),
        user_agent = %opt(&rec.user_agent),
        "logout event"
    );
}
