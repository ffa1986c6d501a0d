//! Several server instances sharing one PostgreSQL database, and a database that goes away.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use logout_lens_server::store::PgOptions;
use logout_lens_server::{Config, PgStore, open_store};

use crate::harness::TestServer;
use crate::pg_cluster::{self, PgCluster};

/// Instances behind one load balancer share the database and the signing keys.
async fn pg_server(url: &str, config: &Config) -> TestServer {
    let store = open_store(url).await.expect("open the PostgreSQL store");
    TestServer::start_on(store, config.clone()).await
}

async fn count(url: &str, sql: &str) -> i64 {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_200_concurrent_refreshes_issue_one_token() {
    let url = pg_cluster::shared().fresh_database().await;
    let config = Config::builder().build().unwrap();
    let a = Arc::new(pg_server(&url, &config).await);
    let b = Arc::new(pg_server(&url, &config).await);
    assert_ne!(a.addr, b.addr);
    let token = a.login(true).await["refresh"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = Arc::clone(if i % 2 == 0 { &a } else { &b });
        let token = token.clone();
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
        "both instances hand out the one successor"
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM refresh_tokens").await, 2);
    assert_eq!(count(&url, "SELECT MAX(generation) FROM sessions").await, 1);
    let next = successors.into_iter().next().unwrap();
    // Whichever instance the client reaches next, the successor is the current token.
    let r = b.refresh(&next).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // And a logout on one instance cuts the session off on the other.
    let access = r.json()["access"].as_str().unwrap().to_owned();
    let me = a.get_me(&access).await;
    assert_eq!(me.status, 200, "{}", me.text());
    let out = a
        .post_json(
            "/v1/auth/logout/",
            &serde_json::json!({ "refresh": r.json()["refresh"] }),
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.text());
    let me = b.get_me(&access).await;
    assert_eq!(
        (me.status, me.code().as_deref()),
        (401, Some("session_revoked"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_database_answers_503_and_recovers_without_losing_a_rotation() {
    // Its own server: this test stops and restarts the postgres process.
    let mut cluster = tokio::task::spawn_blocking(|| PgCluster::start(&[]))
        .await
        .unwrap();
    let url = cluster.fresh_database().await;
    let options = PgOptions {
        op_timeout: Duration::from_secs(3),
        ..PgOptions::default()
    };
    let store = PgStore::connect_with(&url, options).await.unwrap();
    let s = TestServer::start_on(Arc::new(store), Config::builder().build().unwrap()).await;
    let t0 = s.login(true).await["refresh"].as_str().unwrap().to_owned();
    let r1 = s.refresh(&t0).await;
    assert_eq!(r1.status, 200);
    let t1 = r1.json()["refresh"].as_str().unwrap().to_owned();
    let access = r1.json()["access"].as_str().unwrap().to_owned();

    let mut cluster = tokio::task::spawn_blocking(move || {
        cluster.stop();
        cluster
    })
    .await
    .unwrap();
    for (what, resp) in [
        ("refresh", s.refresh(&t1).await),
        ("login", s.post_json("/v1/auth/login/", &serde_json::json!({"email": crate::harness::EMAIL, "password": crate::harness::PASSWORD})).await),
        ("session check", s.get_me(&access).await),
    ] {
        assert_eq!(resp.status, 503, "{what}: {}", resp.text());
        assert_eq!(resp.code().as_deref(), Some("store_unavailable"), "{what}");
        assert_eq!(resp.header("retry-after"), Some("1"), "{what}");
        assert!(!resp.text().contains("127.0.0.1"), "no connection detail leaks: {}", resp.text());
    }

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.resume();
        cluster
    })
    .await
    .unwrap();
    // The pool drops its dead connections and reconnects on demand.
    let r2 = s.refresh(&t1).await;
    assert_eq!(
        r2.status,
        200,
        "the rotation committed before the outage holds: {}",
        r2.text()
    );
    let t2 = r2.json()["refresh"].as_str().unwrap().to_owned();
    let reuse = s.refresh(&t0).await;
    assert_eq!(
        reuse.code().as_deref(),
        Some("reused"),
        "t0 was rotated before the outage"
    );
    let after = s.refresh(&t2).await;
    assert_eq!(after.code().as_deref(), Some("revoked"));
    assert_eq!(count(&url, "SELECT COUNT(*) FROM refresh_tokens").await, 3);
    drop(s);
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();
}
