//! Login throttling under concurrency and from many addresses.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use logout_lens_server::{Bucket, Config, LoginLimits};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::{EMAIL, OneUser, TestServer};

/// The status line of a raw HTTP/1.1 exchange.
async fn status_of(mut stream: TcpStream) -> u16 {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut out))
        .await
        .expect("answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&out);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"))
}

/// 60 wrong-password logins from one address, all sent up to half their body, then finished
/// together: every request passed any check made before its body arrived, so only a limit
/// taken before the password check (default burst 10) keeps the guesses at 10.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_half_sent_guesses_are_limited_before_the_password_check() {
    let users = Arc::new(OneUser {
        delay: Duration::from_millis(50),
        ..Default::default()
    });
    let s = TestServer::start_with_users(Config::builder().build().unwrap(), users.clone()).await;
    let body = json!({"email": EMAIL, "password": "guess"}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut streams = Vec::new();
    for _ in 0..60 {
        let mut st = TcpStream::connect(s.addr).await.expect("connect");
        let head = format!(
            "POST /v1/auth/login/ HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{first}",
            s.addr,
            body.len()
        );
        st.write_all(head.as_bytes()).await.expect("write");
        streams.push(st);
    }
    // Every handler is now waiting for the rest of its body.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rest = rest.to_owned();
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut st| {
            let rest = rest.clone();
            tokio::spawn(async move {
                st.write_all(rest.as_bytes()).await.expect("write");
                status_of(st).await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let count = |code| statuses.iter().filter(|s| **s == code).count();
    let checked = users.calls.load(Ordering::SeqCst);
    assert_eq!(
        (checked, count(401), count(429)),
        (10, 10, 50),
        "password checks, 401s and 429s of 60 concurrent guesses: {statuses:?}"
    );
}

/// One wrong-password login from `client` (named through `X-Forwarded-For`; the test's
/// loopback peer is the trusted proxy).
async fn guess(s: &TestServer, client: &str, email: &str) -> u16 {
    let body = json!({"email": email, "password": "guess"}).to_string();
    s.send(
        "POST",
        "/v1/auth/login/",
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", client),
        ],
        body,
    )
    .await
    .status
}

fn behind_proxy(limits: LoginLimits) -> Config {
    Config::builder()
        .trusted_proxies(vec!["127.0.0.1".parse().unwrap()])
        .login_limits(Some(limits))
        .build()
        .unwrap()
}

fn bucket(burst: u32) -> Option<Bucket> {
    Some(Bucket {
        per_second: 0.001,
        burst,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_guessed_from_many_addresses_is_throttled() {
    let s = TestServer::start_with(behind_proxy(LoginLimits {
        per_account: bucket(3),
        ..Default::default()
    }))
    .await;
    let mut got = Vec::new();
    for n in 1..=4 {
        got.push(guess(&s, &format!("198.51.100.{n}"), EMAIL).await);
    }
    // Another account from the last address is not affected; neither case nor spaces escape.
    got.push(guess(&s, "198.51.100.4", "bob@example.com").await);
    got.push(guess(&s, "198.51.100.5", &format!(" {}", EMAIL.to_uppercase())).await);
    assert_eq!(got, [401, 401, 401, 429, 401, 429]);
    // The right password is refused too while the account is throttled (the lockout price).
    let right = s
        .send(
            "POST",
            "/v1/auth/login/",
            &[
                ("content-type", "application/json"),
                ("x-forwarded-for", "198.51.100.9"),
            ],
            json!({"email": EMAIL, "password": crate::harness::PASSWORD}).to_string(),
        )
        .await;
    assert_eq!(
        (right.status, right.code().as_deref()),
        (429, Some("rate_limited"))
    );
    assert!(right.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_addresses_inside_one_ipv6_64_does_not_help() {
    let s = TestServer::start_with(behind_proxy(LoginLimits {
        per_ip: bucket(100),
        per_ipv6_64: bucket(3),
        per_account: None,
    }))
    .await;
    let mut got = Vec::new();
    for n in 1..=4 {
        got.push(
            guess(
                &s,
                &format!("2001:db8:7:1::{n:x}"),
                &format!("u{n}@example.com"),
            )
            .await,
        );
    }
    // A neighbouring /64 has its own bucket.
    got.push(guess(&s, "2001:db8:7:2::1", "u9@example.com").await);
    assert_eq!(got, [401, 401, 401, 429, 401]);
}
