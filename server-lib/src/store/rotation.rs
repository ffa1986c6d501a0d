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
