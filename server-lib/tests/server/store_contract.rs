//! One behavioural suite for every `Store`: each case runs against an SQLite file and (feature
//! `postgres`) against a fresh database on a real PostgreSQL server (`pg_cluster::shared()`).

use std::collections::HashSet;
use std::sync::Arc;

#[cfg(feature = "postgres")]
use logout_lens_server::PgStore;
use logout_lens_server::store::{
    LogoutEventRecord, NewSession, RotateOutcome, RotateRequest, Store,
};
use logout_lens_server::{RefreshFailure, SqliteStore};

#[cfg(feature = "postgres")]
use crate::pg_cluster;

pub(crate) struct Subject {
    pub(crate) store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

pub(crate) async fn sqlite() -> Subject {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    Subject {
        store: Arc::new(store),
        _dir: Some(dir),
    }
}

#[cfg(feature = "postgres")]
pub(crate) async fn postgres() -> Subject {
    let url = pg_cluster::shared().fresh_database().await;
    Subject {
        store: Arc::new(PgStore::connect(&url).await.expect("connect")),
        _dir: None,
    }
}

/// `contract!(case)` runs `async fn case(Subject)` once per store, as `case::sqlite` and
/// `case::postgres`.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$case(super::sqlite().await).await;
            }
            #[cfg(feature = "postgres")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$case(super::postgres().await).await;
            }
        }
    )*};
}

contract!(
    rotation_table,
    expiry_idle_and_grace_end,
    refusals_are_remembered_for_logout_reports,
    a_failed_call_leaves_concurrent_calls_alone,
    concurrent_rotations_of_one_token_issue_one_successor,
    revocation_and_token_views,
    logout_events_round_trip_newest_first,
    maintenance_prunes_expired_sessions_and_old_events,
    forgetting_sessions_drops_their_tokens,
);

fn h(n: u8) -> [u8; 32] {
    [n; 32]
}

fn rot(presented: u8, successor: u8, now_ms: i64) -> RotateRequest {
    RotateRequest {
        presented_hash: h(presented),
        successor_hash: h(successor),
        successor_sealed: [successor ^ 0xff; 32],
        now_ms,
        grace_ms: 10_000,
        idle_timeout_ms: Some(60_000),
    }
}

async fn login(s: &dyn Store, id: &str, token: u8) {
    s.create_session(NewSession {
        session_id: id.into(),
        user_id: "u1".into(),
        device_id: None,
        remember_me: true,
        now_ms: 1_000,
        expires_ms: 1_000_000,
        token_hash: h(token),
    })
    .await
    .unwrap();
}

fn outcome(o: RotateOutcome) -> String {
    match o {
        RotateOutcome::Rotated(_) => "rotated".to_owned(),
        RotateOutcome::Replayed { .. } => "replayed".to_owned(),
        RotateOutcome::Refused(f) => f.code().to_owned(),
    }
}

async fn rotation_table(t: Subject) {
    let s = &*t.store;
    login(s, "f1", 1).await;
    // (presented, successor, now, expected)
    let cases: &[(u8, u8, i64, &str)] = &[
        (1, 2, 2_000, "rotated"),
        (1, 9, 3_000, "replayed"), // parent inside grace → same successor
        (2, 3, 4_000, "rotated"),
        (1, 9, 5_000, "reused"), // grandparent → family revoked
        (3, 4, 6_000, "revoked"),
        (77, 78, 6_000, "not_found"),
    ];
    for &(p, succ, now, want) in cases {
        let got = s.rotate(rot(p, succ, now)).await.unwrap();
        if let RotateOutcome::Replayed { sealed, session } = &got {
            assert_eq!(
                sealed,
                &vec![2 ^ 0xff; 32],
                "the sealed successor of token 1"
            );
            assert_eq!(session.generation, 1);
        }
        if let RotateOutcome::Rotated(info) = &got {
            assert_eq!(
                (info.session_id.as_str(), info.user_id.as_str()),
                ("f1", "u1")
            );
            assert!(info.remember_me);
        }
        assert_eq!(outcome(got), want, "presented {p} at {now}");
    }
    let view = s.session("f1".into(), 7_000).await.unwrap().unwrap();
    assert_eq!(
        (view.status.as_str(), view.revoked_reason.as_deref()),
        ("revoked", Some("reused"))
    );
    assert_eq!(view.last_failure.as_deref(), Some("revoked"));
}

async fn expiry_idle_and_grace_end(t: Subject) {
    let s = &*t.store;
    login(s, "f1", 1).await;
    let idle = s.rotate(rot(1, 2, 1_000 + 60_001)).await.unwrap();
    assert_eq!(idle, RotateOutcome::Refused(RefreshFailure::IdleTimeout));
    assert!(matches!(
        s.rotate(rot(1, 2, 2_000)).await.unwrap(),
        RotateOutcome::Rotated(_)
    ));
    let late = s.rotate(rot(1, 9, 2_000 + 10_001)).await.unwrap();
    assert_eq!(late, RotateOutcome::Refused(RefreshFailure::Reused));
    login(s, "f2", 5).await;
    let exp = s.rotate(rot(5, 6, 1_000_000)).await.unwrap();
    assert_eq!(exp, RotateOutcome::Refused(RefreshFailure::Expired));
    // Zero grace: even an immediate retry of the parent is reuse.
    login(s, "f3", 20).await;
    let mut no_grace = rot(20, 21, 2_000);
    no_grace.grace_ms = 0;
    assert!(matches!(
        s.rotate(no_grace.clone()).await.unwrap(),
        RotateOutcome::Rotated(_)
    ));
    no_grace.successor_hash = h(22);
    assert_eq!(
        s.rotate(no_grace).await.unwrap(),
        RotateOutcome::Refused(RefreshFailure::Reused)
    );
}

async fn refusals_are_remembered_for_logout_reports(t: Subject) {
    let s = &*t.store;
    login(s, "f1", 1).await;
    let idle = s.rotate(rot(1, 2, 1_000 + 60_001)).await.unwrap();
    assert_eq!(idle, RotateOutcome::Refused(RefreshFailure::IdleTimeout));
    let view = s.session("f1".into(), 70_000).await.unwrap().unwrap();
    assert_eq!(
        (view.status.as_str(), view.last_failure.as_deref()),
        ("active", Some("idle_timeout"))
    );
    assert_eq!(view.user_id, "u1");
    assert!(s.session("nope".into(), 0).await.unwrap().is_none());
}

async fn a_failed_call_leaves_concurrent_calls_alone(t: Subject) {
    let s = &*t.store;
    login(s, "f1", 1).await;
    // Same session id again: a primary-key violation, rolled back on its own.
    let dup = s.create_session(NewSession {
        session_id: "f1".into(),
        user_id: "u".into(),
        device_id: Some("d".into()),
        remember_me: false,
        now_ms: 1,
        expires_ms: 2,
        token_hash: h(40),
    });
    let ok = s.rotate(rot(1, 2, 2_000));
    let (dup, ok) = tokio::join!(dup, ok);
    let err = dup.expect_err("duplicate session id");
    assert_eq!(
        err.status(),
        500,
        "a constraint violation is not an outage: {err}"
    );
    assert!(matches!(ok.unwrap(), RotateOutcome::Rotated(_)));
    assert!(s.token_view(h(40), 3_000).await.unwrap().is_none());
}

async fn concurrent_rotations_of_one_token_issue_one_successor(t: Subject) {
    let s = Arc::clone(&t.store);
    login(&*s, "f1", 1).await;
    let mut tasks = Vec::new();
    for i in 0..100u8 {
        let s = Arc::clone(&s);
        // Every request brings its own successor; exactly one may be kept.
        tasks.push(tokio::spawn(async move {
            s.rotate(rot(1, 100 + i, 2_000)).await.unwrap()
        }));
    }
    let (mut rotated, mut sealed) = (0, HashSet::new());
    for task in tasks {
        match task.await.unwrap() {
            RotateOutcome::Rotated(_) => rotated += 1,
            RotateOutcome::Replayed { sealed: x, .. } => {
                sealed.insert(x);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(rotated, 1, "exactly one winner");
    assert!(sealed.len() <= 1, "every loser gets the same successor");
    let mut kept = Vec::new();
    for i in 0..100u8 {
        if let Some(v) = s.token_view(h(100 + i), 2_001).await.unwrap() {
            kept.push((i, v.status));
        }
    }
    assert_eq!(kept.len(), 1, "one successor row: {kept:?}");
    assert_eq!(kept[0].1, "active");
    if let Some(x) = sealed.iter().next() {
        assert_eq!(x, &vec![(100 + kept[0].0) ^ 0xff; 32]);
    }
    let session = s.session("f1".into(), 2_001).await.unwrap().unwrap();
    assert_eq!(session.status, "active");
}

async fn revocation_and_token_views(t: Subject) {
    let s = &*t.store;
    login(s, "f1", 1).await;
    assert_eq!(
        s.token_view(h(1), 1_500).await.unwrap().unwrap().status,
        "active"
    );
    s.rotate(rot(1, 2, 2_000)).await.unwrap();
    let old = s.token_view(h(1), 2_500).await.unwrap().unwrap();
    assert_eq!(
        (old.session_id.as_str(), old.status.as_str()),
        ("f1", "rotated")
    );
    assert_eq!(
        s.token_view(h(2), 2_500).await.unwrap().unwrap().status,
        "active"
    );
    assert_eq!(
        s.token_view(h(2), 1_000_000).await.unwrap().unwrap().status,
        "expired"
    );
    assert_eq!(
        s.revoke_by_token(h(99), "logout", 3_000).await.unwrap(),
        None
    );
    assert_eq!(
        s.revoke_by_token(h(2), "logout", 3_000)
            .await
            .unwrap()
            .as_deref(),
        Some("f1")
    );
    // A second revocation keeps the first reason.
    s.revoke_by_token(h(1), "reused", 3_500).await.unwrap();
    let v = s.token_view(h(1), 4_000).await.unwrap().unwrap();
    assert_eq!(
        (v.status.as_str(), v.revoked_reason.as_deref()),
        ("revoked", Some("logout"))
    );
    assert_eq!(
        s.rotate(rot(2, 3, 4_000)).await.unwrap(),
        RotateOutcome::Refused(RefreshFailure::Revoked)
    );
}

async fn logout_events_round_trip_newest_first(t: Subject) {
    let s = &*t.store;
    let full = LogoutEventRecord {
        received_ms: 10,
        client_ip: Some("203.0.113.9".into()),
        user_agent: Some("UA ✓".into()),
        format: "app".into(),
        report_type: "TOKEN_EXPIRED".into(),
        message: Some("expired".into()),
        idle_minutes: Some(12.5),
        location: Some("/dashboard".into()),
        reported_user_id: Some("42".into()),
        reported_email: Some("a@example.com".into()),
        server_user_id: Some("u1".into()),
        server_session_id: Some("f1".into()),
        token_status: Some("access:expired".into()),
        server_reason: Some("expired".into()),
        payload: r#"{"type":"TOKEN_EXPIRED"}"#.into(),
    };
    let bare = LogoutEventRecord {
        received_ms: 20,
        format: "event".into(),
        report_type: "logout".into(),
        payload: "{}".into(),
        ..Default::default()
    };
    let a = s.record_logout_event(full.clone()).await.unwrap();
    let b = s.record_logout_event(bare.clone()).await.unwrap();
    assert!(b > a, "ids increase");
    assert_eq!(
        s.recent_logout_events(10).await.unwrap(),
        vec![bare.clone(), full]
    );
    assert_eq!(s.recent_logout_events(1).await.unwrap(), vec![bare]);
}

async fn maintenance_prunes_expired_sessions_and_old_events(t: Subject) {
    let s = &*t.store;
    login(s, "f1", 1).await;
    assert_eq!(s.prune_sessions_expired_before(1_000_000).await.unwrap(), 0);
    assert_eq!(s.prune_sessions_expired_before(1_000_001).await.unwrap(), 1);
    assert!(
        s.token_view(h(1), 0).await.unwrap().is_none(),
        "tokens go with their session"
    );
    let ev = LogoutEventRecord {
        received_ms: 5,
        format: "app".into(),
        report_type: "X".into(),
        payload: "{}".into(),
        ..Default::default()
    };
    s.record_logout_event(ev).await.unwrap();
    assert_eq!(s.prune_logout_events(5).await.unwrap(), 0);
    assert_eq!(s.prune_logout_events(6).await.unwrap(), 1);
}

async fn forgetting_sessions_drops_their_tokens(t: Subject) {
    let s = &*t.store;
    login(s, "f1", 1).await;
    assert_eq!(s.forget_sessions_created_before(2_000).await.unwrap(), 1);
    assert_eq!(
        s.rotate(rot(1, 2, 3_000)).await.unwrap(),
        RotateOutcome::Refused(RefreshFailure::NotFound)
    );
}
