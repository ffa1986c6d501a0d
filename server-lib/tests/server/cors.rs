use logout_lens_server::CorsConfig;

use crate::harness::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_may_read_the_auth_code_header() {
    let s = TestServer::start(|b| {
        b.cors(CorsConfig {
            allowed_origins: vec!["http://app.test".into()],
            allow_credentials: true,
        })
    })
    .await;
    let pre = s
        .send(
            "OPTIONS",
            "/v1/auth/refresh/",
            &[
                ("origin", "http://app.test"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            "",
        )
        .await;
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("http://app.test")
    );
    assert_eq!(pre.header("access-control-allow-credentials"), Some("true"));
    let r = s
        .send(
            "POST",
            "/v1/auth/refresh/",
            &[
                ("origin", "http://app.test"),
                ("content-type", "application/json"),
            ],
            r#"{"refresh":"x"}"#,
        )
        .await;
    assert_eq!(r.status, 401);
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-auth-error-code"), "{exposed}");
    let other = s
        .send(
            "POST",
            "/v1/auth/refresh/",
            &[("origin", "http://evil.test")],
            "{}",
        )
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
}
