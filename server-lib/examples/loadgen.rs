//! Load benchmark over loopback, bounded in time and count.
//!
//! `cargo run --release -p logout-lens-server --example loadgen -- --seconds 5 --rounds 3`
//!
//! Each round measures, in this order and in the same process:
//! 1. the raw SQLite rotation transaction (UPDATE … RETURNING + INSERT, WAL, one connection):
//!    the physical limit for durable rotation;
//! 2. `POST /v1/auth/refresh/` over HTTP/1.1 keep-alive, every worker walking its own chain;
//! 3. `POST /v1/auth/logout-event/` with the seed payload (rate limit off);
//! 4. with `--postgres`: `POST /v1/auth/refresh/` against one instance backed by a real
//!    PostgreSQL (started from the system's `postgresql` package in a temporary folder), then
//!    against two instances sharing that database, every connection alternating between them.
//!
//! The medians over rounds are printed last.

#[cfg(feature = "postgres")]
#[path = "../tests/server/pg_cluster.rs"]
mod pg_cluster;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use logout_lens_server::store::{SqliteOptions, Synchronous};
use logout_lens_server::{
    AuthFuture, AuthState, Authenticator, Config, LogoutEventLimits, SigningKey, SqliteStore, User,
    router,
};
use serde_json::Value;

#[derive(Parser, Debug)]
struct Args {
    /// Seconds per phase.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Upper bound of requests (or transactions) per phase.
    #[arg(long, default_value_t = 500_000)]
    max_requests: usize,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// SQLite synchronous level: normal or full.
    #[arg(long, default_value = "normal")]
    sync: String,
    /// Only run the HTTP refresh phase (for profiling).
    #[arg(long)]
    refresh_only: bool,
    /// Only run the HTTP logout-event phase (for profiling).
    #[arg(long)]
    events_only: bool,
    /// Where the server's `tracing` events go: `sink` formats every event as the default
    /// `tracing-subscriber` text line (INFO and up, no colours) and writes it to `io::sink()`, so the
    /// benchmark pays for logging like a real app; `none` installs no subscriber.
    #[arg(long, default_value = "sink")]
    log: String,
    /// Access-token algorithm: eddsa (the default of the library) or hs256.
    #[arg(long, default_value = "eddsa")]
    alg: String,
    /// Server runtime worker threads (per instance).
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Also measure refresh against PostgreSQL: one instance, then two sharing the database.
    #[arg(long)]
    postgres: bool,
    /// PostgreSQL `synchronous_commit` for the benchmark server: `off` matches SQLite's WAL +
    /// NORMAL (no flush per commit), `on` matches `--sync full`.
    #[arg(long, default_value = "off")]
    pg_sync: String,
    /// Pooled connections per PostgreSQL-backed instance.
    #[arg(long, default_value_t = 16)]
    pg_pool: usize,
}

struct Anyone;

impl Authenticator for Anyone {
    fn verify<'a>(&'a self, email: &'a str, _password: &'a str) -> AuthFuture<'a> {
        Box::pin(async move {
            Ok(Some(User {
                id: email.to_owned(),
                email: email.to_owned(),
            }))
        })
    }
}

const SEED: &str = r#"{"type":"TOKEN_EXPIRED","message":"JWT access token expired","timestamp":1705330335000,"idleMinutes":23,"location":"/dashboard","context":{"hasToken":true,"hasRefreshToken":true,"isAuthenticated":true,"userId":123,"userEmail":"user@example.com"}}"#;

#[derive(Debug, Clone, Copy)]
struct Phase {
    rate: f64,
    p50_us: f64,
    p99_us: f64,
    errors: usize,
}

fn server_runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("bench-server")
        .enable_all()
        .build()?)
}

/// One server instance on its own runtime (as if it were its own process).
fn serve(
    rt: &tokio::runtime::Runtime,
    config: Config,
    store: Arc<dyn logout_lens_server::Store>,
) -> anyhow::Result<SocketAddr> {
    let app = router(AuthState::new(config, store, Arc::new(Anyone)));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    rt.spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Ok(addr)
}

/// A PostgreSQL server and two instances on it; the one-instance phase uses the first.
#[cfg(feature = "postgres")]
struct PgBench {
    _instances: Vec<tokio::runtime::Runtime>,
    addrs: Vec<SocketAddr>,
    _cluster: pg_cluster::PgCluster,
}

#[cfg(not(feature = "postgres"))]
struct PgBench {
    addrs: Vec<SocketAddr>,
}

#[cfg(not(feature = "postgres"))]
fn start_pg(_: &Args, _: &Config) -> anyhow::Result<PgBench> {
    anyhow::bail!("--postgres needs the PostgreSQL store: add --features postgres")
}

#[cfg(feature = "postgres")]
fn start_pg(args: &Args, config: &Config) -> anyhow::Result<PgBench> {
    use logout_lens_server::store::PgOptions;
    anyhow::ensure!(
        matches!(args.pg_sync.as_str(), "on" | "off"),
        "--pg-sync must be on or off"
    );
    let cluster = pg_cluster::PgCluster::start(&[
        ("max_connections", "200"),
        ("synchronous_commit", args.pg_sync.as_str()),
        ("shared_buffers", "128MB"),
    ]);
    let setup = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url = setup.block_on(cluster.fresh_database());
    let mut instances = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..2 {
        let options = PgOptions {
            max_connections: args.pg_pool,
            ..PgOptions::default()
        };
        // The pool's connection tasks live on the instance's own runtime.
        let rt = server_runtime(args.server_threads)?;
        let store = rt.block_on(logout_lens_server::PgStore::connect_with(&url, options))?;
        let addr = serve(&rt, config.clone(), Arc::new(store))?;
        instances.push(rt);
        addrs.push(addr);
    }
    Ok(PgBench {
        _instances: instances,
        addrs,
        _cluster: cluster,
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sync = match args.sync.as_str() {
        "normal" => Synchronous::Normal,
        "full" => Synchronous::Full,
        other => anyhow::bail!("--sync must be normal or full, not {other}"),
    };
    match args.log.as_str() {
        "sink" => tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(std::io::sink)
            .init(),
        "none" => {}
        other => anyhow::bail!("--log must be sink or none, not {other}"),
    }
    let dir = tempfile::tempdir()?;
    let server_rt = server_runtime(args.server_threads)?;
    let mut builder = Config::builder();
    match args.alg.as_str() {
        "eddsa" => {}
        "hs256" => {
            let mut secret = [0u8; 32];
            aws_lc_rs::rand::fill(&mut secret).map_err(|_| anyhow::anyhow!("no randomness"))?;
            builder = builder.signing_key(SigningKey::hs256("bench", &secret)?);
        }
        other => anyhow::bail!("--alg must be eddsa or hs256, not {other}"),
    }
    let config = builder
        .logout_event_limits(LogoutEventLimits {
            rate_per_second: None,
            ..Default::default()
        })
        .check_session(false)
        .build()?;
    let pg = if args.postgres {
        Some(start_pg(&args, &config)?)
    } else {
        None
    };
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-client")
        .enable_all()
        .build()?;
    let limit = Duration::from_secs_f64(args.seconds);

    let mut raw = Vec::new();
    let mut stores = Vec::new();
    let mut refresh = Vec::new();
    let mut events = Vec::new();
    let (mut pg_one, mut pg_two) = (Vec::new(), Vec::new());
    println!(
        "loopback 127.0.0.1, {} connections, {}s per phase, sync={}, alg={}, server threads={}, log={}",
        args.concurrency, args.seconds, args.sync, args.alg, args.server_threads, args.log
    );
    for round in 1..=args.rounds {
        // A fresh database and server each round, as the raw baseline gets a
        // fresh file each round: no phase runs on an earlier round's rows.
        let store = SqliteStore::open_with(
            dir.path().join(format!("bench{round}.db")),
            SqliteOptions { synchronous: sync },
        )?;
        let addr = serve(&server_rt, config.clone(), Arc::new(store))?;
        let phase = |kind| {
            client_rt.block_on(http_phase(
                &[addr],
                args.concurrency,
                limit,
                args.max_requests,
                kind,
            ))
        };
        if args.events_only {
            let e = phase(Kind::LogoutEvent)?;
            println!(
                "round {round}: logout-event {:.0} req/s p50 {:.2} ms p99 {:.2} ms",
                e.rate,
                e.p50_us / 1000.0,
                e.p99_us / 1000.0
            );
            continue;
        }
        let f = phase(Kind::Refresh)?;
        if args.refresh_only {
            println!("round {round}: refresh {:.0} req/s", f.rate);
            continue;
        }
        let r = raw_rotation(
            &dir.path().join(format!("raw{round}.db")),
            sync,
            limit,
            args.max_requests,
        )?;
        let st = client_rt.block_on(store_phase(
            &dir.path().join(format!("store{round}.db")),
            sync,
            args.concurrency,
            limit,
            args.max_requests,
        ))?;
        let e = phase(Kind::LogoutEvent)?;
        println!(
            "round {round}: raw rotation txn {:>8.0}/s | store.rotate {:>8.0}/s | refresh {:>8.0} req/s p50 {:>6.2} ms p99 {:>6.2} ms ({} errors) | logout-event {:>8.0} req/s p50 {:>6.2} ms p99 {:>6.2} ms ({} errors)",
            r.rate,
            st.rate,
            f.rate,
            f.p50_us / 1000.0,
            f.p99_us / 1000.0,
            f.errors,
            e.rate,
            e.p50_us / 1000.0,
            e.p99_us / 1000.0,
            e.errors
        );
        if let Some(pg) = &pg {
            let one = client_rt.block_on(http_phase(
                &pg.addrs[..1],
                args.concurrency,
                limit,
                args.max_requests,
                Kind::Refresh,
            ))?;
            let two = client_rt.block_on(http_phase(
                &pg.addrs,
                args.concurrency,
                limit,
                args.max_requests,
                Kind::Refresh,
            ))?;
            println!(
                "round {round}: PostgreSQL refresh, 1 instance {:>8.0} req/s p50 {:>6.2} ms p99 {:>6.2} ms ({} errors) | 2 instances {:>8.0} req/s p50 {:>6.2} ms p99 {:>6.2} ms ({} errors)",
                one.rate,
                one.p50_us / 1000.0,
                one.p99_us / 1000.0,
                one.errors,
                two.rate,
                two.p50_us / 1000.0,
                two.p99_us / 1000.0,
                two.errors
            );
            pg_one.push(one);
            pg_two.push(two);
        }
        raw.push(r);
        stores.push(st);
        refresh.push(f);
        events.push(e);
    }
    if args.refresh_only || args.events_only {
        return Ok(());
    }
    let med = |v: &[Phase], f: fn(&Phase) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    let raw_rate = med(&raw, |p| p.rate);
    let refresh_rate = med(&refresh, |p| p.rate);
    println!("\nmedians over {} rounds:", args.rounds);
    let mut ratios: Vec<f64> = raw
        .iter()
        .zip(&refresh)
        .map(|(r, f)| f.rate / r.rate)
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!("  raw SQLite rotation txn : {raw_rate:.0}/s");
    println!(
        "  store.rotate (no HTTP)  : {:.0}/s",
        med(&stores, |p| p.rate)
    );
    println!(
        "  refresh                 : {refresh_rate:.0} req/s (median per-round ratio to raw: {:.0}%), p50 {:.2} ms, p99 {:.2} ms",
        100.0 * ratios[ratios.len() / 2],
        med(&refresh, |p| p.p50_us) / 1000.0,
        med(&refresh, |p| p.p99_us) / 1000.0
    );
    println!(
        "  logout-event            : {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
        med(&events, |p| p.rate),
        med(&events, |p| p.p50_us) / 1000.0,
        med(&events, |p| p.p99_us) / 1000.0
    );
    for (name, v) in [
        ("PostgreSQL, 1 instance ", &pg_one),
        ("PostgreSQL, 2 instances", &pg_two),
    ] {
        if v.is_empty() {
            continue;
        }
        println!(
            "  refresh {name}: {:.0} req/s ({:.0}% of SQLite refresh), p50 {:.2} ms, p99 {:.2} ms, {} errors",
            med(v, |p| p.rate),
            100.0 * med(v, |p| p.rate) / refresh_rate,
            med(v, |p| p.p50_us) / 1000.0,
            med(v, |p| p.p99_us) / 1000.0,
            v.iter().map(|p| p.errors).sum::<usize>()
        );
    }
    drop(server_rt);
    drop(pg);
    Ok(())
}

/// The bare rotation transaction on its own connection: the limit the refresh endpoint works under.
fn raw_rotation(
    path: &std::path::Path,
    sync: Synchronous,
    limit: Duration,
    max: usize,
) -> anyhow::Result<Phase> {
    drop(SqliteStore::open_with(
        path,
        SqliteOptions { synchronous: sync },
    )?);
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(
        None,
        "synchronous",
        if sync == Synchronous::Full {
            "FULL"
        } else {
            "NORMAL"
        },
    )?;
    // The store's writer page cache, so the baseline is not slowed by re-reads the store avoids.
    // Checkpoints stay SQLite's default (automatic, inside the committing connection).
    conn.pragma_update(None, "cache_size", -32 * 1024)?;
    conn.execute(
        "INSERT INTO sessions (id, user_id, remember_me, created_ms, expires_ms, last_used_ms) VALUES ('s', 'u', 1, 0, 9e15, 0)",
        [],
    )?;
    let start = Instant::now();
    let mut n: usize = 0;
    while start.elapsed() < limit && n < max {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let generation: i64 = tx
            .prepare_cached(
                "UPDATE sessions SET generation = generation + 1, last_used_ms = ?1 WHERE id = 's' RETURNING generation",
            )?
            .query_row([n as i64], |r| r.get(0))?;
        let mut hash = [0u8; 32];
        hash[..8].copy_from_slice(&(n as u64).to_le_bytes());
        tx.prepare_cached("INSERT INTO refresh_tokens (hash, session_id, generation, issued_ms) VALUES (?1, 's', ?2, ?3)")?
            .execute(rusqlite::params![&hash[..], generation, n as i64])?;
        tx.commit()?;
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(Phase {
        rate: n as f64 / secs,
        p50_us: 0.0,
        p99_us: 0.0,
        errors: 0,
    })
}

/// `Store::rotate` through the writer thread, without HTTP: where the store's own cost ends.
async fn store_phase(
    path: &std::path::Path,
    sync: Synchronous,
    workers: usize,
    limit: Duration,
    max: usize,
) -> anyhow::Result<Phase> {
    use logout_lens_server::store::{NewSession, RotateOutcome, RotateRequest, Store as _};
    use logout_lens_server::tokens::RefreshToken;
    let store = Arc::new(SqliteStore::open_with(
        path,
        SqliteOptions { synchronous: sync },
    )?);
    let budget = Arc::new(std::sync::atomic::AtomicUsize::new(max));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (store, budget) = (Arc::clone(&store), Arc::clone(&budget));
        tasks.push(tokio::spawn(async move {
            let mut token = RefreshToken::generate()?;
            store
                .create_session(NewSession {
                    session_id: format!("s{w}"),
                    user_id: "u".into(),
                    device_id: None,
                    remember_me: true,
                    now_ms: 0,
                    expires_ms: i64::MAX,
                    token_hash: token.lookup_hash(),
                })
                .await?;
            let mut n = 0usize;
            while start.elapsed() < limit
                && budget
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |b| b.checked_sub(1),
                    )
                    .is_ok()
            {
                let next = RefreshToken::generate()?;
                let out = store
                    .rotate(RotateRequest {
                        presented_hash: token.lookup_hash(),
                        successor_hash: next.lookup_hash(),
                        successor_sealed: token.seal_successor(&next),
                        now_ms: 1,
                        grace_ms: 10_000,
                        idle_timeout_ms: None,
                    })
                    .await?;
                anyhow::ensure!(
                    matches!(out, RotateOutcome::Rotated(_)),
                    "unexpected {out:?}"
                );
                token = next;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(Phase {
        rate: total as f64 / start.elapsed().as_secs_f64(),
        p50_us: 0.0,
        p99_us: 0.0,
        errors: 0,
    })
}

#[derive(serde::Deserialize)]
struct Pair {
    refresh: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Refresh,
    LogoutEvent,
}

async fn connect(
    addr: SocketAddr,
) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn post(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    path: &str,
    body: Bytes,
) -> anyhow::Result<(u16, Bytes)> {
    sender.ready().await?;
    let req = hyper::Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(body))?;
    let res = sender.send_request(req).await?;
    let status = res.status().as_u16();
    Ok((status, res.into_body().collect().await?.to_bytes()))
}

/// Every worker keeps one connection per address and sends its requests to them in turn.
async fn http_phase(
    addrs: &[SocketAddr],
    workers: usize,
    limit: Duration,
    max: usize,
    kind: Kind,
) -> anyhow::Result<Phase> {
    let budget = Arc::new(std::sync::atomic::AtomicUsize::new(max));
    let mut tasks = Vec::new();
    let start = Instant::now();
    for w in 0..workers {
        let budget = Arc::clone(&budget);
        let addrs = addrs.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut senders = Vec::new();
            for a in addrs {
                senders.push(connect(a).await?);
            }
            let mut turn = w;
            let mut token = String::new();
            if kind == Kind::Refresh {
                let login = format!(
                    r#"{{"email":"bench{w}@example.com","password":"x","remember_me":true}}"#
                );
                let (status, body) =
                    post(&mut senders[0], "/v1/auth/login/", Bytes::from(login)).await?;
                anyhow::ensure!(status == 200, "login failed: {status}");
                let v: Value = serde_json::from_slice(&body)?;
                token = v["refresh"]
                    .as_str()
                    .context("no refresh token")?
                    .to_owned();
            }
            let mut lat = Vec::new();
            let mut errors = 0usize;
            while start.elapsed() < limit {
                if budget
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |b| b.checked_sub(1),
                    )
                    .is_err()
                {
                    break;
                }
                turn += 1;
                let n = senders.len();
                let sender = &mut senders[turn % n];
                let t = Instant::now();
                let (status, body) = match kind {
                    Kind::Refresh => {
                        let b = format!(r#"{{"refresh":"{token}"}}"#);
                        post(sender, "/v1/auth/refresh/", Bytes::from(b)).await?
                    }
                    Kind::LogoutEvent => {
                        post(
                            sender,
                            "/v1/auth/logout-event/",
                            Bytes::from_static(SEED.as_bytes()),
                        )
                        .await?
                    }
                };
                lat.push(t.elapsed().as_micros() as u32);
                match (kind, status) {
                    (Kind::Refresh, 200) => {
                        // Only the field we need: the generator's CPU is taken from the server's.
                        token = serde_json::from_slice::<Pair>(&body)?.refresh;
                    }
                    (Kind::LogoutEvent, 201) => {}
                    _ => errors += 1,
                }
            }
            anyhow::Ok((lat, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await??;
        all.extend(lat);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
    };
    Ok(Phase {
        rate: all.len() as f64 / secs,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        errors,
    })
}
