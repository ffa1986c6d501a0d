//! `POST /v1/auth/logout-event/`: store and log why a client says it was logged out.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, header};
use axum::response::{IntoResponse, Response};
use logout_lens_model::redact::mask_email;
use logout_lens_model::wire::{LogoutReport, parse_logout_report};
use logout_lens_model::{EventKind, ModelError};

use crate::api::RecordedResponse;
use crate::body::read_limited;
use crate::cookies::read_cookie;
use crate::error::{AccessFailure, ServerError};
use crate::extract::access_token;
use crate::sanitize::{log_field, log_opt};
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
        Json(RecordedResponse {
            status: "recorded".to_owned(),
            id,
        }),
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

/// Exactly one structured event per report. Every client-supplied value is its own string
/// field, which the subscriber quotes and escapes (see [`crate::sanitize`]), so no value can
/// break the line or forge another field; emails are masked (the full value is only in the
/// database).
fn log_event(id: i64, rec: &LogoutEventRecord) {
    let email = rec.reported_email.as_deref().map(mask_email);
    tracing::info!(
        target: "logout_lens::logout_event",
        id,
        report_type = log_field(&rec.report_type),
        report_message = log_opt(&rec.message),
        idle_minutes = rec.idle_minutes,
        location = log_opt(&rec.location),
        reported_user_id = log_opt(&rec.reported_user_id),
        reported_email = log_opt(&email),
        server_user_id = log_opt(&rec.server_user_id),
        session = log_opt(&rec.server_session_id),
        token_status = log_opt(&rec.token_status),
        server_reason = log_opt(&rec.server_reason),
        ip = log_opt(&rec.client_ip),
        user_agent = log_opt(&rec.user_agent),
        "logout event"
    );
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The hostile values, each aimed at one way out of its field.
    const ATTACKS: &[&str] = &[
        "TOKEN_EXPIRED ip=6.6.6.6 server_user_id=admin",
        "x\" ip=\"6.6.6.6",
        "x\\\" ip=\\\"6.6.6.6",
        "bye\r\n2026-01-01T00:00:00Z  INFO logout_lens::logout_event: logout event id=9",
        "\u{1b}[2K\u{1b}]0;title\u{7}\u{2028}\u{202e}x",
        "key=value\tother=\"q\"",
    ];

    fn record(attack: &str) -> LogoutEventRecord {
        LogoutEventRecord {
            report_type: attack.to_owned(),
            message: Some(attack.to_owned()),
            location: Some(attack.to_owned()),
            reported_user_id: Some(attack.to_owned()),
            user_agent: Some(attack.to_owned()),
            client_ip: Some("203.0.113.7".to_owned()),
            idle_minutes: Some(23.0),
            ..Default::default()
        }
    }

    const KEYS: &[&str] = &[
        "id",
        "report_type",
        "report_message",
        "idle_minutes",
        "location",
        "reported_user_id",
        "ip",
        "user_agent",
    ];

    /// Parse the fields of one `tracing_subscriber::fmt` line: `key=value` separated by spaces,
    /// a value either bare or a Rust string literal (`"…"` with `\` escapes).
    fn fmt_fields(line: &str) -> Vec<(String, String)> {
        let start = line.find("logout event ").expect("message") + "logout event ".len();
        let mut chars = line[start..].chars().peekable();
        let mut out = Vec::new();
        loop {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() {
                return out;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next().expect("escape") {
                            'n' => value.push('\n'),
                            'r' => value.push('\r'),
                            't' => value.push('\t'),
                            '0' => value.push('\0'),
                            'u' => {
                                let hex: String =
                                    chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                                let n = u32::from_str_radix(&hex, 16).expect("hex");
                                value.push(char::from_u32(n).expect("char"));
                            }
                            other => value.push(other),
                        },
                        c => value.push(c),
                    }
                }
            } else {
                value = chars.by_ref().take_while(|c| *c != ' ').collect();
            }
            out.push((key, value));
        }
    }

    fn check_fields(fields: &[(String, String)], attack: &str) {
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, KEYS, "a value forged or hid a field: {attack:?}");
        for (k, v) in fields {
            let want = match k.as_str() {
                "id" => "7",
                "idle_minutes" => "23.0",
                "ip" => "203.0.113.7",
                _ => attack,
            };
            assert_eq!(v.trim_end_matches(".0"), want.trim_end_matches(".0"), "{k}");
        }
    }

    /// What `log_event(id, rec)` writes through the text (or JSON) formatter.
    fn logged(json: bool, id: i64, rec: &LogoutEventRecord) -> String {
        let buf = Buf::default();
        let writer = buf.clone();
        let fmt = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone());
        if json {
            tracing::subscriber::with_default(fmt.json().finish(), || log_event(id, rec));
        } else {
            tracing::subscriber::with_default(fmt.finish(), || log_event(id, rec));
        }
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn text_log_fields_are_quoted_and_cannot_forge_another() {
        for attack in ATTACKS {
            let text = logged(false, 7, &record(attack));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 1, "{text:?}");
            let bad = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}');
            assert!(!lines[0].chars().any(bad), "{:?}", lines[0]);
            check_fields(&fmt_fields(lines[0]), attack);
        }
    }

    #[test]
    fn json_log_fields_are_json_strings() {
        for attack in ATTACKS {
            let text = logged(true, 7, &record(attack));
            assert_eq!(text.lines().count(), 1, "{text:?}");
            let line: serde_json::Value = serde_json::from_str(&text).unwrap();
            let fields = line["fields"].as_object().unwrap();
            let got: Vec<(String, String)> = fields
                .iter()
                .filter(|(k, _)| *k != "message")
                .map(|(k, v)| {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), v)
                })
                .collect();
            let mut want_keys: Vec<&str> = KEYS.to_vec();
            want_keys.sort_unstable();
            let mut got_keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
            got_keys.sort_unstable();
            assert_eq!(got_keys, want_keys);
            for (k, v) in &got {
                if !matches!(k.as_str(), "id" | "idle_minutes" | "ip") {
                    assert_eq!(v, attack, "{k}");
                }
            }
        }
    }

    #[test]
    fn long_values_are_capped_in_the_log_only() {
        let long = "x".repeat(5000);
        let text = logged(false, 1, &record(&long));
        let fields = fmt_fields(text.trim_end());
        let message = &fields
            .iter()
            .find(|(k, _)| k == "report_message")
            .unwrap()
            .1;
        assert_eq!(message.len(), crate::sanitize::MAX_LOG_FIELD);
    }
}
