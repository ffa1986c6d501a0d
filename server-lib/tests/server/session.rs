use std::time::Duration;

use logout_lens_model::http::parse_www_authenticate;
use serde_json::json;

use crate::harness::{EMAIL, PASSWORD, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_refresh_chain_then_logout() {
    let s = TestServer::start(|b| b).await;
    let login = s.login(true).await;
    assert_eq!(login["user"]["email"], EMAIL);
    assert_eq!(login["token_type"], "Bearer");
    let remember = login["refresh_expires_at_ms"].as_i64().unwrap() - s.state.now_ms();
    assert!(
        (19 * 86_400_000..=20 * 86_400_000).contains(&remember),
        "{remember}"
    );
    let mut refresh = login["refresh"].as_str().unwrap().to_owned();
    let mut seen = vec![refresh.clone()];
    for _ in 0..5 {
        let r = s.refresh(&refresh).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        refresh = body["refresh"].as_str().unwrap().to_owned();
        assert!(
            !seen.contains(&refresh),
            "rotation must produce a new token"
        );
        seen.push(refresh.clone());
        assert_eq!(s.get_me(body["access"].as_str().unwrap()).await.status, 200);
    }
    let access = s.refresh(&refresh).await.json();
    let (refresh, access) = (
        access["refresh"].as_str().unwrap().to_owned(),
        access["access"].as_str().unwrap().to_owned(),
    );
    let out = s
        .post_json("/v1/auth/logout", &json!({ "refresh": refresh }))
        .await;
    assert_eq!(
        (out.status, out.json()["revoked"].as_bool()),
        (200, Some(true))
    );
    let again = s.refresh(&refresh).await;
    assert_eq!(
        (again.status, again.code().as_deref()),
        (401, Some("revoked"))
    );
    // The access token of the revoked session is cut off at once.
    let me = s.get_me(&access).await;
    assert_eq!(
        (me.status, me.code().as_deref()),
        (401, Some("session_revoked"))
    );
    // RFC 7009: unknown tokens log out fine.
    for body in [
        json!({"refresh": "x".repeat(43)}),
        json!({"refresh": "junk"}),
        json!({}),
    ] {
        assert_eq!(s.post_json("/v1/auth/logout/", &body).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_are_clear() {
    let s = TestServer::start(|b| b).await;
    let bad = s
        .post_json(
            "/v1/auth/login/",
            &json!({"email": EMAIL, "password": "nope"}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_deref()),
        (401, Some("bad_credentials"))
    );
    for body in ["", "{", "[]", r#"{"email":1}"#] {
        let r = s
            .send(
                "POST",
                "/v1/auth/login/",
                &[("content-type", "application/json")],
                body,
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("malformed")),
            "{body:?}"
        );
    }
    let short = s
        .post_json(
            "/v1/auth/login",
            &json!({"email": EMAIL, "password": PASSWORD, "remember_me": false}),
        )
        .await
        .json();
    let left = short["refresh_expires_at_ms"].as_i64().unwrap() - s.state.now_ms();
    assert!(left <= 86_400_000 && left > 86_000_000, "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_route_rejections_follow_rfc6750() {
    let s = TestServer::start(|b| b.access_ttl(Duration::from_secs(60))).await;
    let login = s.login(false).await;
    let access = login["access"].as_str().unwrap();
    let refresh = login["refresh"].as_str().unwrap();

    let none = s.send("GET", "/api/me", &[], "").await;
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    assert_eq!(none.header("x-auth-error-code"), None);

    let ok = s.get_me(access).await;
    assert_eq!(ok.json()["user"], "user-1");

    for (token, code) in [("garbage", "malformed"), (refresh, "wrong_type")] {
        let r = s.get_me(token).await;
        assert_eq!((r.status, r.code().as_deref()), (401, Some(code)));
        let ch = parse_www_authenticate(r.header("www-authenticate").unwrap());
        assert_eq!(ch.scheme.to_ascii_lowercase(), "bearer");
        assert_eq!(ch.param("error"), Some("invalid_token"));
        assert_eq!(ch.param("code"), Some(code));
        assert!(!ch.param("error_description").unwrap_or("").is_empty());
    }
    // Inside the 30 s leeway the token still works; past it, `expired`.
    s.advance(Duration::from_secs(80));
    assert_eq!(s.get_me(access).await.status, 200);
    s.advance(Duration::from_secs(20));
    let expired = s.get_me(access).await;
    assert_eq!(
        (expired.status, expired.code().as_deref()),
        (401, Some("expired"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_mode_keeps_tokens_out_of_the_body() {
    let s = TestServer::start(|b| b.cookies(logout_lens_server::CookieConfig::default())).await;
    let login = s
        .post_json(
            "/v1/auth/login/",
            &json!({"email": EMAIL, "password": PASSWORD, "remember_me": true}),
        )
        .await;
    assert_eq!(login.status, 200);
    assert!(login.json().get("refresh").is_none() && login.json().get("access").is_none());
    let cookies: Vec<String> = login
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2);
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("Max-Age=") && c.contains("; Secure"))
    );
    // Secure by default, with the strongest prefix each cookie's path allows.
    assert!(cookies[0].starts_with("__Host-ll_access=") && cookies[0].contains("Path=/;"));
    assert!(
        cookies[1].starts_with("__Secure-ll_refresh=") && cookies[1].contains("Path=/v1/auth/;")
    );
    let pair = |c: &str| c.split(';').next().unwrap().to_owned();
    let jar = format!("{}; {}", pair(&cookies[0]), pair(&cookies[1]));
    assert_eq!(
        s.send("GET", "/api/me", &[("cookie", &jar)], "")
            .await
            .status,
        200
    );
    let refreshed = s
        .send("POST", "/v1/auth/refresh/", &[("cookie", &jar)], "")
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let reuse = s
        .send("POST", "/v1/auth/refresh/", &[("cookie", &jar)], "")
        .await;
    assert_eq!(
        reuse.status, 200,
        "the parent inside the grace window still works"
    );
    let out = s
        .send("POST", "/v1/auth/logout/", &[("cookie", &jar)], "")
        .await;
    let cleared: Vec<&str> = out
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(cleared.iter().all(|c| c.contains("Max-Age=0")) && cleared.len() == 2);
    let session = s
        .post_json(
            "/v1/auth/login/",
            &json!({"email": EMAIL, "password": PASSWORD, "remember_me": false}),
        )
        .await;
    assert!(
        session
            .headers
            .get_all("set-cookie")
            .iter()
            .all(|v| !v.to_str().unwrap().contains("Max-Age"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_are_throttled_per_ip() {
    let limits = logout_lens_server::LoginLimits {
        per_ip: Some(logout_lens_server::Bucket {
            per_second: 0.01,
            burst: 3,
        }),
        ..Default::default()
    };
    let s = TestServer::start(|b| b.login_limits(Some(limits))).await;
    // Successes are free.
    for _ in 0..5 {
        s.login(false).await;
    }
    let bad = json!({"email": EMAIL, "password": "guess"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(s.post_json("/v1/auth/login/", &bad).await.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    let good = s
        .post_json(
            "/v1/auth/login/",
            &json!({"email": EMAIL, "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (good.status, good.code().as_deref()),
        (429, Some("rate_limited"))
    );
    assert!(good.header("retry-after").is_some());
    s.advance(std::time::Duration::from_secs(100));
    assert_eq!(
        s.post_json(
            "/v1/auth/login/",
            &json!({"email": EMAIL, "password": PASSWORD})
        )
        .await
        .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served_only_where_asked() {
    let off = TestServer::start(|b| b).await;
    assert_eq!(
        off.send("GET", "/v1/auth/openapi.json", &[], "")
            .await
            .status,
        404
    );
    let on = TestServer::start(|b| b.openapi_path("/docs/auth.json")).await;
    let r = on.send("GET", "/docs/auth.json", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let want =
        serde_json::to_value(logout_lens_server::openapi::document(on.state.config())).unwrap();
    assert_eq!(r.json(), want);
    assert_eq!(r.json()["openapi"], "3.1.0");
    // Every documented operation is routed (no 404/405), with and without the trailing slash.
    for (path, item) in want["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            for p in [path.clone(), path.trim_end_matches('/').to_owned()] {
                if p.is_empty() || (p != *path && !path.starts_with("/v1/auth/")) {
                    continue;
                }
                let got = on
                    .send(
                        &method.to_uppercase(),
                        &p,
                        &[("content-type", "application/json")],
                        "{}",
                    )
                    .await
                    .status;
                assert!(got != 404 && got != 405, "{method} {p}: {got}");
            }
        }
    }
    // A path one of the routes uses is refused.
    assert!(
        logout_lens_server::Config::builder()
            .openapi_path("/v1/auth/login")
            .build()
            .is_err()
    );
}
