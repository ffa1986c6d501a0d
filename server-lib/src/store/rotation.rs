//! The rotation decision, shared by every store so SQLite and PostgreSQL cannot drift apart:
//! a store reads the presented token's row (with the family locked), asks [`decide`], and
//! applies the answer in the same transaction.

use super::{RotateRequest, SessionInfo};
use crate::error::RefreshFailure;

/// A refresh token joined with its family, as read inside the rotation transaction.
pub(crate) struct TokenRow {
    pub(crate) session_id: String,
    pub(crate) token_generation: i64,
    pub(crate) rotated_ms: Option<i64>,
    pub(crate) sealed: Option<Vec<u8>>,
    pub(crate) user_id: String,
    pub(crate) generation: i64,
    pub(crate) expires_ms: i64,
    pub(crate) last_used_ms: i64,
    pub(crate) revoked_ms: Option<i64>,
    pub(crate) revoked_reason: Option<String>,
    pub(crate) remember_me: bool,
    pub(crate) last_failure: Option<String>,
}

/// What the store must write for one refresh attempt.
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// Remember the failure on the session; nothing else changes.
    Refuse(RefreshFailure),
    /// Reuse outside the grace window: revoke the family (reason `reused`) and remember it.
    RevokeReused,
    /// Compare-and-swap `generation` from `row.generation`, seal the successor on the
    /// presented token and insert the successor at the next generation.
    Advance(SessionInfo),
    /// Inside the grace window: hand back the successor already issued; write nothing.
    Replay {
        session: SessionInfo,
        sealed: Vec<u8>,
    },
}

pub(crate) fn decide(row: &TokenRow, req: &RotateRequest) -> Step {
    if row.revoked_ms.is_some() {
        return Step::Refuse(RefreshFailure::Revoked);
    }
    if req.now_ms >= row.expires_ms {
        return Step::Refuse(RefreshFailure::Expired);
    }
    if req
        .idle_timeout_ms
        .is_some_and(|idle| req.now_ms - row.last_used_ms > idle)
    {
        return Step::Refuse(RefreshFailure::IdleTimeout);
    }
    let info = |generation| SessionInfo {
        session_id: row.session_id.clone(),
        user_id: row.user_id.clone(),
        generation,
        expires_ms: row.expires_ms,
        remember_me: row.remember_me,
    };
    if row.token_generation == row.generation {
        return Step::Advance(info(row.generation + 1));
    }
    let in_grace = row.token_generation == row.generation - 1
        && req.grace_ms > 0
        && row
            .rotated_ms
            .is_some_and(|t| req.now_ms - t <= req.grace_ms);
    match (in_grace, &row.sealed) {
        (true, Some(sealed)) => Step::Replay {
            session: info(row.generation),
            sealed: sealed.clone(),
        },
        _ => Step::RevokeReused,
    }
}

pub(crate) fn session_status(
    revoked_ms: Option<i64>,
    expires_ms: i64,
    now_ms: i64,
) -> &'static str {
    if revoked_ms.is_some() {
        "revoked"
    } else if now_ms >= expires_ms {
        "expired"
    } else {
        "active"
    }
}

/// A token's own status: `rotated` once a newer generation exists in a live family.
pub(crate) fn token_status(row: &TokenRow, now_ms: i64) -> &'static str {
    let status = session_status(row.revoked_ms, row.expires_ms, now_ms);
    if status == "active" && row.token_generation < row.generation {
        "rotated"
    } else {
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(token_generation: i64, generation: i64, rotated_ms: Option<i64>) -> TokenRow {
        TokenRow {
            session_id: "s".into(),
            token_generation,
            rotated_ms,
            sealed: rotated_ms.map(|_| vec![7; 32]),
            user_id: "u".into(),
            generation,
            expires_ms: 100_000,
            last_used_ms: 1_000,
            revoked_ms: None,
            revoked_reason: None,
            remember_me: false,
            last_failure: None,
        }
    }

    fn req(now_ms: i64, grace_ms: i64) -> RotateRequest {
        RotateRequest {
            presented_hash: [1; 32],
            successor_hash: [2; 32],
            successor_sealed: [3; 32],
            now_ms,
            grace_ms,
            idle_timeout_ms: Some(50_000),
        }
    }

    fn name(step: Step) -> &'static str {
        match step {
            Step::Refuse(f) => f.code(),
            Step::RevokeReused => "revoke_reused",
            Step::Advance(_) => "advance",
            Step::Replay { .. } => "replay",
        }
    }

    #[test]
    fn decisions() {
        let mut revoked = row(0, 0, None);
        revoked.revoked_ms = Some(1);
        // (row, now, grace, expected)
        let cases = [
            (row(0, 0, None), 2_000, 10_000, "advance"),
            (row(0, 1, Some(2_000)), 12_000, 10_000, "replay"),
            (row(0, 1, Some(2_000)), 12_001, 10_000, "revoke_reused"),
            (row(0, 1, Some(2_000)), 2_000, 0, "revoke_reused"),
            (row(0, 2, Some(2_000)), 2_000, 10_000, "revoke_reused"),
            (row(0, 0, None), 100_000, 10_000, "expired"),
            (row(0, 0, None), 51_001, 10_000, "idle_timeout"),
            (revoked, 2_000, 10_000, "revoked"),
        ];
        for (i, (r, now, grace, want)) in cases.into_iter().enumerate() {
            assert_eq!(name(decide(&r, &req(now, grace))), want, "case {i}");
        }
    }

    #[test]
    fn token_status_marks_older_generations_rotated() {
        assert_eq!(token_status(&row(0, 1, Some(1)), 2_000), "rotated");
        assert_eq!(token_status(&row(1, 1, None), 2_000), "active");
        assert_eq!(token_status(&row(0, 1, Some(1)), 100_000), "expired");
    }
}
