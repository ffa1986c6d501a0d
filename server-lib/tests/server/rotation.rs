use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use crate::harness::TestServer;

fn rows(s: &TestServer, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_refreshes_issue_exactly_one_successor() {
    let s = std::sync::Arc::new(TestServer::start(|b| b).await);
    let login = s.login(true).await;
    let token = login["refresh"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (s, token) = (std::sync::Arc::clone(&s), token.clone());
        tasks.push(tokio::spawn(async move { s.refresh(&token).await }));
    }
    let mut successors = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        successors.insert(r.json()["refresh"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        successors.len(),
        1,
        "every winner must get the same successor"
    );
    assert_eq!(rows(&s, "SELECT COUNT(*) FROM refresh_tokens"), 2);
    assert_eq!(rows(&s, "SELECT generation FROM sessions"), 1);
    // The one successor is current and rotates normally.
    let next = s.refresh(successors.iter().next().unwrap()).await;
    assert_eq!(next.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grandparent_reuse_revokes_the_family() {
    let s = TestServer::start(|b| b).await;
    let t0 = s.login(true).await["refresh"].as_str().unwrap().to_owned();
    let t1 = s.refresh(&t0).await.json()["refresh"]
        .as_str()
        .unwrap()
        .to_owned();
    // The parent inside the grace window gets the same successor back.
    let replay = s.refresh(&t0).await;
    assert_eq!(replay.json()["refresh"].as_str(), Some(t1.as_str()));
    let t2 = s.refresh(&t1).await.json()["refresh"]
        .as_str()
        .unwrap()
        .to_owned();
    let reuse = s.refresh(&t0).await;
    assert_eq!(
        (reuse.status, reuse.code().as_deref()),
        (401, Some("reused"))
    );
    assert_eq!(reuse.json()["error"], "invalid_grant");
    let current = s.refresh(&t2).await;
    assert_eq!(
        (current.status, current.code().as_deref()),
        (401, Some("revoked"))
    );
    assert_eq!(
        rows(
            &s,
            "SELECT COUNT(*) FROM sessions WHERE revoked_reason = 'reused'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_reuse_after_grace_or_with_zero_grace_is_reuse() {
    for (grace, wait) in [
        (Duration::from_secs(10), Duration::from_secs(11)),
        (Duration::ZERO, Duration::ZERO),
    ] {
        let s = TestServer::start(|b| b.reuse_grace(grace)).await;
        let t0 = s.login(true).await["refresh"].as_str().unwrap().to_owned();
        assert_eq!(s.refresh(&t0).await.status, 200);
        s.advance(wait);
        let r = s.refresh(&t0).await;
        assert_eq!(r.code().as_deref(), Some("reused"), "grace {grace:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_has_its_code() {
    let s = TestServer::start(|b| b.refresh_idle_timeout(Some(Duration::from_secs(1800)))).await;
    // expired: a 1-day session, 25 hours later (kept alive against the idle timeout)
    let mut t = s.login(false).await["refresh"].as_str().unwrap().to_owned();
    for _ in 0..60 {
        s.advance(Duration::from_secs(1700));
        let r = s.refresh(&t).await;
        if r.status != 200 {
            assert_eq!(r.code().as_deref(), Some("expired"));
            break;
        }
        t = r.json()["refresh"].as_str().unwrap().to_owned();
    }
    assert_eq!(s.refresh(&t).await.code().as_deref(), Some("expired"));
    // idle_timeout
    let idle = s.login(true).await["refresh"].as_str().unwrap().to_owned();
    s.advance(Duration::from_secs(1801));
    assert_eq!(
        s.refresh(&idle).await.code().as_deref(),
        Some("idle_timeout")
    );
    // revoked
    let r = s.login(true).await["refresh"].as_str().unwrap().to_owned();
    s.post_json("/v1/auth/logout/", &json!({ "refresh": r }))
        .await;
    assert_eq!(s.refresh(&r).await.code().as_deref(), Some("revoked"));
    // not_found, malformed, wrong_type, missing
    let access = s.login(true).await["access"].as_str().unwrap().to_owned();
    for (token, status, code) in [
        ("A".repeat(43), 401, "not_found"),
        ("short".to_owned(), 401, "malformed"),
        (access, 401, "wrong_type"),
    ] {
        let r = s.refresh(&token).await;
        assert_eq!((r.status, r.code().as_deref()), (status, Some(code)));
    }
    let missing = s.post_json("/v1/auth/refresh", &json!({})).await;
    assert_eq!(
        (missing.status, missing.code().as_deref()),
        (400, Some("missing_token"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_never_burns_the_token() {
    let s = TestServer::start(|b| b).await;
    let t0 = s.login(true).await["refresh"].as_str().unwrap().to_owned();
    // Make the successor's INSERT fail after the session row was already updated in the
    // same transaction: the whole rotation must roll back.
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    conn.execute_batch(
        "CREATE TABLE fail_now (x);
         INSERT INTO fail_now VALUES (1);
         CREATE TRIGGER fail_insert BEFORE INSERT ON refresh_tokens
         WHEN EXISTS (SELECT 1 FROM fail_now) BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .unwrap();
    let failed = s.refresh(&t0).await;
    assert_eq!(
        (failed.status, failed.code().as_deref()),
        (500, Some("internal"))
    );
    assert!(
        !failed.text().contains("injected"),
        "storage details stay in the log"
    );
    assert_eq!(rows(&s, "SELECT generation FROM sessions"), 0);
    conn.execute("DELETE FROM fail_now", []).unwrap();
    let retry = s.refresh(&t0).await;
    assert_eq!(
        retry.status,
        200,
        "the token survived the failed write: {}",
        retry.text()
    );
    assert_eq!(rows(&s, "SELECT generation FROM sessions"), 1);
    assert_eq!(
        rows(
            &s,
            "SELECT COUNT(*) FROM sessions WHERE revoked_ms IS NOT NULL"
        ),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_neither_forgets_reuse_nor_breaks_the_grace_window() {
    let s = TestServer::start(|b| b).await;
    let t0 = s.login(true).await["refresh"].as_str().unwrap().to_owned();
    let t1 = s.refresh(&t0).await.json()["refresh"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = s.state.config().keys.clone();
    let s = s
        .restart(
            logout_lens_server::Config::builder()
                .keys(keys.clone())
                .build()
                .unwrap(),
        )
        .await;
    // The sealed successor survives the restart: the parent still gets the same child.
    assert_eq!(
        s.refresh(&t0).await.json()["refresh"].as_str(),
        Some(t1.as_str())
    );
    let t2 = s.refresh(&t1).await.json()["refresh"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = s
        .restart(
            logout_lens_server::Config::builder()
                .keys(keys)
                .build()
                .unwrap(),
        )
        .await;
    assert_eq!(s.refresh(&t0).await.code().as_deref(), Some("reused"));
    assert_eq!(s.refresh(&t2).await.code().as_deref(), Some("revoked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_rotation_lets_exactly_one_concurrent_refresh_win() {
    let s = std::sync::Arc::new(TestServer::start(|b| b.reuse_grace(Duration::ZERO)).await);
    let token = s.login(true).await["refresh"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (s, token) = (std::sync::Arc::clone(&s), token.clone());
        tasks.push(tokio::spawn(async move { s.refresh(&token).await }));
    }
    let mut ok = 0;
    let mut codes = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == 200 {
            ok += 1;
        } else {
            codes.insert(r.code().unwrap());
        }
    }
    assert_eq!(ok, 1, "one winner under strict rotation");
    assert!(codes.contains("reused"), "{codes:?}");
    assert!(
        codes.iter().all(|c| c == "reused" || c == "revoked"),
        "{codes:?}"
    );
    assert_eq!(rows(&s, "SELECT COUNT(*) FROM refresh_tokens"), 2);
}
