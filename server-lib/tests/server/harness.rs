//! A real server on a random loopback port, a tiny HTTP/1.1 client, and captured logs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use logout_lens_server::{
    AuthFuture, AuthState, AuthUser, Authenticator, Config, ConfigBuilder, SqliteStore, Store,
    User, router,
};
use serde_json::{Value, json};

pub(crate) const EMAIL: &str = "ada@example.com";
pub(crate) const PASSWORD: &str = "correct horse";

/// The one account; `calls` counts password checks, each of which takes `delay` (a real
/// password hash takes tens of milliseconds).
#[derive(Default)]
pub(crate) struct OneUser {
    pub(crate) calls: std::sync::atomic::AtomicUsize,
    pub(crate) delay: Duration,
}

impl Authenticator for OneUser {
    fn verify<'a>(&'a self, email: &'a str, password: &'a str) -> AuthFuture<'a> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            let ok = email == EMAIL
                && logout_lens_server::auth::constant_time_eq(
                    password.as_bytes(),
                    PASSWORD.as_bytes(),
                );
            Ok(ok.then(|| User {
                id: "user-1".into(),
                email: email.into(),
            }))
        })
    }
}

/// Everything written through `tracing` by this test binary.
pub(crate) fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buf);
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .try_init();
        buf
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

async fn me(user: AuthUser) -> axum::Json<Value> {
    axum::Json(json!({ "user": user.user_id, "session": user.session_id }))
}

pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) state: AuthState,
    offset_ms: Arc<AtomicI64>,
    task: AbortOnDrop,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl TestServer {
    pub(crate) async fn start(
        configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
    ) -> TestServer {
        let config: Config = configure(Config::builder()).build().expect("config");
        Self::start_with(config).await
    }

    pub(crate) async fn start_with(config: Config) -> TestServer {
        Self::start_in(tempfile::tempdir().expect("tempdir"), config).await
    }

    /// Stop serving and start a fresh server (new store, new state) on the same database file.
    pub(crate) async fn restart(self, config: Config) -> TestServer {
        let TestServer { dir, task, .. } = self;
        drop(task);
        Self::start_in(dir, config).await
    }

    pub(crate) async fn start_in(dir: tempfile::TempDir, config: Config) -> TestServer {
        let store = SqliteStore::open(dir.path().join("auth.db")).expect("store");
        Self::serve(dir, Arc::new(store), config, Arc::default()).await
    }

    /// A server over any store (e.g. several servers sharing one PostgreSQL database).
    #[cfg(feature = "postgres")]
    pub(crate) async fn start_on(store: Arc<dyn Store>, config: Config) -> TestServer {
        Self::serve(
            tempfile::tempdir().expect("tempdir"),
            store,
            config,
            Arc::default(),
        )
        .await
    }

    /// A server whose password checks the test can count and slow down.
    pub(crate) async fn start_with_users(config: Config, users: Arc<OneUser>) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("auth.db")).expect("store");
        Self::serve(dir, Arc::new(store), config, users).await
    }

    async fn serve(
        dir: tempfile::TempDir,
        store: Arc<dyn Store>,
        config: Config,
        users: Arc<OneUser>,
    ) -> TestServer {
        logs();
        let offset_ms = Arc::new(AtomicI64::new(0));
        let off = Arc::clone(&offset_ms);
        let state = AuthState::new(config, store, users).with_clock(Arc::new(move || {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64;
            now + off.load(Ordering::SeqCst)
        }));
        let api = Router::new()
            .route("/api/me", get(me))
            .with_state(state.clone());
        let app = router(state.clone()).merge(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        TestServer {
            addr,
            dir,
            state,
            offset_ms,
            task: AbortOnDrop(task),
        }
    }

    /// Move the server's clock forward.
    pub(crate) fn advance(&self, d: Duration) {
        self.offset_ms
            .fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }

    pub(crate) fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("auth.db")
    }

    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Resp {
        send(self.addr, method, path, headers, body.into()).await
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.send(
            "POST",
            path,
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    pub(crate) async fn login(&self, remember_me: bool) -> Value {
        let r = self
            .post_json("/v1/auth/login/", &json!({"email": EMAIL, "password": PASSWORD, "remember_me": remember_me, "device_id": "test"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    pub(crate) async fn refresh(&self, token: &str) -> Resp {
        self.post_json("/v1/auth/refresh/", &json!({ "refresh": token }))
            .await
    }

    pub(crate) async fn get_me(&self, access: &str) -> Resp {
        self.send(
            "GET",
            "/api/me",
            &[("authorization", &format!("Bearer {access}"))],
            "",
        )
        .await
    }
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Bytes,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The stable code must agree between body and header.
    pub(crate) fn code(&self) -> Option<String> {
        let body = self.json()["code"].as_str().map(str::to_owned);
        assert_eq!(
            body.as_deref(),
            self.header("x-auth-error-code"),
            "body and header codes differ"
        );
        body
    }
}

pub(crate) async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Resp {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(body)).expect("request");
    let res = tokio::time::timeout(Duration::from_secs(20), sender.send_request(req))
        .await
        .expect("response in time")
        .expect("response");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}
