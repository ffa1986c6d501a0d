//! Periodic clean-up: expired sessions and old logout events (PII retention).

use std::time::Duration;

use crate::state::AuthState;

/// How long after expiry a session is kept, so a late refresh still answers `expired`
/// rather than `not_found`.
pub const EXPIRED_SESSION_MARGIN: Duration = Duration::from_secs(7 * 24 * 3600);

/// Every `every`, delete sessions expired for longer than [`EXPIRED_SESSION_MARGIN`] and logout
/// events older than `event_retention` (they hold IPs and self-reported emails).
pub fn spawn_maintenance(
    state: AuthState,
    every: Duration,
    event_retention: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let now = state.now_ms();
            let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
            let sessions = state
                .store
                .prune_sessions_expired_before(now.saturating_sub(ms(EXPIRED_SESSION_MARGIN)))
                .await;
            let events = state
                .store
                .prune_logout_events(now.saturating_sub(ms(event_retention)))
                .await;
            match (sessions, events) {
                (Ok(0), Ok(0)) => {}
                (Ok(s), Ok(e)) => tracing::info!(sessions = s, logout_events = e, "pruned"),
                (Err(e), _) | (_, Err(e)) => tracing::warn!(error = %e, "maintenance failed"),
            }
        }
    })
}
