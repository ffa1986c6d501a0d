use logout_lens_server::LogoutEventLimits;
use serde_json::json;

use crate::harness::{TestServer, log_text};

/// Copied from the seed design document ("Request Body").
const SEED_EXAMPLE: &str = r#"{
  "type": "TOKEN_EXPIRED",
  "message": "JWT access token expired",
  "timestamp": 1705330335000,
  "idleMinutes": 23,
  "location": "/dashboard",
  "context": {
    "hasToken": true,
    "hasRefreshToken": true,
    "isAuthenticated": true,
    "userId": 123,
    "userEmail": "user@example.com"
  }
}"#;

fn json_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("content-type", "application/json"),
        ("user-agent", "Mozilla/5.0 test"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_payload_probe_and_envelope_are_recorded() {
    let s = TestServer::start(|b| b).await;
    let r = s
        .send(
            "POST",
            "/v1/auth/logout-event/",
            &json_headers(),
            SEED_EXAMPLE,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["status"], "recorded");
    let probe = s
        .send(
            "POST",
            "/v1/auth/logout-event",
            &json_headers(),
            r#"{"type":"TEST","message":"test"}"#,
        )
        .await;
    assert_eq!(probe.status, 201);
    let envelope = json!({"schema": 1, "id": "e1", "ts_ms": 5, "kind": "logout_action", "path": "/app", "label": "Log out"});
    assert_eq!(
        s.post_json("/v1/auth/logout-event/", &envelope)
            .await
            .status,
        201
    );

    let events = s.state.store().recent_logout_events(10).await.unwrap();
    assert_eq!(events.len(), 3);
    let (env, probe, seed) = (&events[0], &events[1], &events[2]);
    assert_eq!(
        (seed.format.as_str(), seed.report_type.as_str()),
        ("app", "TOKEN_EXPIRED")
    );
    assert_eq!(seed.idle_minutes, Some(23.0));
    assert_eq!(seed.location.as_deref(), Some("/dashboard"));
    assert_eq!(seed.reported_user_id.as_deref(), Some("123"));
    assert_eq!(seed.reported_email.as_deref(), Some("user@example.com"));
    assert_eq!(
        seed.server_user_id, None,
        "self-reported ids are not the server's view"
    );
    assert_eq!(seed.client_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(seed.user_agent.as_deref(), Some("Mozilla/5.0 test"));
    assert_eq!(probe.report_type, "TEST");
    assert_eq!(
        (env.format.as_str(), env.report_type.as_str()),
        ("event", "logout_action")
    );
    assert_eq!(env.location.as_deref(), Some("/app"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_add_the_servers_view() {
    let s = TestServer::start(|b| b).await;
    let login = s.login(true).await;
    let access = login["access"].as_str().unwrap();
    let auth = format!("Bearer {access}");
    let mut headers = json_headers();
    headers.push(("authorization", &auth));
    assert_eq!(
        s.send("POST", "/v1/auth/logout-event/", &headers, SEED_EXAMPLE)
            .await
            .status,
        201
    );
    // Reuse revokes the family; a later report records the server's reason.
    let t0 = login["refresh"].as_str().unwrap();
    let t1 = s.refresh(t0).await.json()["refresh"]
        .as_str()
        .unwrap()
        .to_owned();
    s.refresh(&t1).await;
    s.advance(std::time::Duration::from_secs(60));
    s.refresh(t0).await;
    assert_eq!(
        s.send("POST", "/v1/auth/logout-event/", &headers, SEED_EXAMPLE)
            .await
            .status,
        201
    );
    let events = s.state.store().recent_logout_events(2).await.unwrap();
    assert_eq!(events[1].server_user_id.as_deref(), Some("user-1"));
    assert_eq!(events[1].reported_user_id.as_deref(), Some("123"));
    assert_eq!(
        events[1].token_status.as_deref(),
        Some("access:valid; session:active")
    );
    assert_eq!(
        events[0].token_status.as_deref(),
        Some("access:valid; session:revoked")
    );
    assert_eq!(events[0].server_reason.as_deref(), Some("reused"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_and_malformed_bodies_get_json_errors() {
    let s = TestServer::start(|b| b).await;
    let big = format!(r#"{{"type":"X","message":"{}"}}"#, "a".repeat(17 * 1024));
    let r = s
        .send("POST", "/v1/auth/logout-event/", &json_headers(), big)
        .await;
    assert_eq!((r.status, r.code().as_deref()), (413, Some("too_large")));
    for body in [
        "",
        "{not json",
        "[1,2]",
        r#"{"idleMinutes":"many"}"#,
        r#"{"schema":9,"id":"x","ts_ms":1,"kind":"activity"}"#,
    ] {
        let r = s
            .send("POST", "/v1/auth/logout-event/", &json_headers(), body)
            .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("malformed")),
            "{body:?}"
        );
        assert_eq!(r.json()["error"], "invalid_request");
    }
    assert!(
        s.state
            .store()
            .recent_logout_events(10)
            .await
            .unwrap()
            .is_empty(),
        "nothing partial stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_ip_rate_limit_answers_429() {
    let s = TestServer::start(|b| {
        b.logout_event_limits(LogoutEventLimits {
            rate_per_second: Some(0.01),
            burst: 3,
            ..Default::default()
        })
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            s.send(
                "POST",
                "/v1/auth/logout-event/",
                &json_headers(),
                SEED_EXAMPLE,
            )
            .await,
        );
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status).collect();
    assert_eq!(codes, [201, 201, 201, 429, 429]);
    assert_eq!(statuses[3].code().as_deref(), Some("rate_limited"));
    assert!(
        statuses[3]
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_injection_yields_exactly_one_line() {
    let s = TestServer::start(|b| b).await;
    let nonce = "inj-7f3a9c";
    let forged = format!(
        "bye {nonce}\n2026-01-01T00:00:00Z  INFO logout_lens::logout_event: FORGED {nonce}\r\n\u{1b}[2K\u{2028}x"
    );
    let body = json!({
        "type": format!("TOKEN_EXPIRED\nFORGED {nonce} ip=6.6.6.6 \" server_user_id=\"admin"),
        "message": forged,
        "location": format!("/a\r\n{nonce}"),
        "context": {"userEmail": format!("e@x.io\n{nonce}")}
    });
    let r = s
        .send(
            "POST",
            "/v1/auth/logout-event/",
            &[("user-agent", "ua\tFORGED")],
            body.to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let logs = log_text();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(nonce)).collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("logout event"));
    assert!(
        !lines[0].contains('\u{1b}') && !lines[0].contains('\r') && !lines[0].contains('\u{2028}')
    );
    // Values are quoted: the forged `ip=` and `server_user_id=` stay inside `report_type`.
    assert!(lines[0].contains(" ip=\"127.0.0.1\""), "{}", lines[0]);
    let skeleton = unquoted(lines[0]);
    assert_eq!(skeleton.matches(" ip=").count(), 1, "{skeleton}");
    assert!(!skeleton.contains("server_user_id="), "{skeleton}");
    // The stored record keeps the text as sent.
    let stored = &s.state.store().recent_logout_events(1).await.unwrap()[0];
    assert!(stored.message.as_deref().unwrap().contains('\n'));
}

/// The line with every quoted value (`"…"`, `\` escapes) taken out: what is left is the
/// line's own structure.
fn unquoted(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        while let Some(q) = chars.next() {
            match q {
                '\\' => {
                    chars.next();
                }
                '"' => break,
                _ => {}
            }
        }
    }
    out
}
