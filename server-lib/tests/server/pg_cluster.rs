//! A real PostgreSQL server from the system's `postgresql` package, in a temporary folder,
//! listening on 127.0.0.1 on a random free port.
//!
//! initdb and postgres refuse to run as root, so as root they run as the `postgres` user via
//! `setpriv`. The postmaster is started by a small shell guard that holds our stdin: when this
//! process closes it — `stop()`, drop, a panic, even a kill — the guard shuts the server down
//! (SIGINT, a fast shutdown) and deletes the folder, so no server outlives the tests.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `keep` on stdin: stop but keep the data (for a restart). EOF: stop and delete everything.
const GUARD: &str = r#"
"$1/postgres" -D "$2/data" -k "$2" -h 127.0.0.1 -p "$3" $4 >>"$2/server.log" 2>&1 &
pid=$!
read -r cmd
kill -INT "$pid" 2>/dev/null
wait "$pid"
[ "$cmd" = keep ] || rm -rf "$2"
"#;

pub struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    settings: String,
    as_postgres: bool,
    guard: Option<(Child, ChildStdin)>,
    databases: AtomicUsize,
}

/// The newest `/usr/lib/postgresql/*/bin` holding `postgres` and `initdb`.
pub fn find_bin_dir() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("postgres").exists() && bin.join("initdb").exists()).then_some((major, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no /usr/lib/postgresql/*/bin with postgres and initdb".to_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgCluster {
    /// initdb into a fresh temporary folder and start the server. Panics with a clear message
    /// when PostgreSQL is not installed: these tests never skip silently.
    pub fn start(settings: &[(&str, &str)]) -> PgCluster {
        let bin = find_bin_dir().unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for these tests but was not found ({e}). \
                 Install it: apt-get install -y postgresql"
            )
        });
        let dir = tempfile::Builder::new()
            .prefix("logout-lens-pg-")
            .tempdir()
            .expect("tempdir")
            .keep();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "chown postgres {} failed (is there a postgres user?)",
                dir.display()
            );
        }
        let settings = settings
            .iter()
            .map(|(k, v)| format!("-c {k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut cluster = PgCluster {
            bin,
            dir,
            port: free_port(),
            settings,
            as_postgres,
            guard: None,
            databases: AtomicUsize::new(0),
        };
        let out = cluster
            .command(&cluster.bin.join("initdb"))
            .arg("-D")
            .arg(cluster.dir.join("data"))
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--no-instructions",
                "-E",
                "UTF8",
                "--locale=C",
                // 1 MiB WAL segments: a smaller folder to start, copy and scan.
                "--wal-segsize=1",
            ])
            .output()
            .expect("run initdb");
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&cluster.dir);
            panic!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        cluster.resume();
        cluster
    }

    fn command(&self, program: &Path) -> Command {
        if self.as_postgres {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=postgres",
                "--regid=postgres",
                "--clear-groups",
                "--",
            ])
            .arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// The cluster's data folder (PGDATA).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for database `db` as the trusted `postgres` superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// (Re)start the server on the same folder and port and wait until it accepts connections.
    pub fn resume(&mut self) {
        assert!(self.guard.is_none(), "already running");
        let mut child = self
            .command(Path::new("/bin/sh"))
            .arg("-c")
            .arg(GUARD)
            .arg("sh")
            .arg(&self.bin)
            .arg(&self.dir)
            .arg(self.port.to_string())
            .arg(&self.settings)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        let stdin = child.stdin.take().expect("guard stdin");
        self.guard = Some((child, stdin));
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            let accepting = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
                && self
                    .command(&self.bin.join("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                    .status()
                    .is_ok_and(|s| s.success());
            if accepting {
                return;
            }
            let exited = self
                .guard
                .as_mut()
                .and_then(|(c, _)| c.try_wait().ok().flatten())
                .is_some();
            if exited || Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                panic!("PostgreSQL did not start on port {}:\n{log}", self.port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop the server (fast shutdown: sessions are cut, committed data stays) and keep its data.
    pub fn stop(&mut self) {
        if let Some((mut child, mut stdin)) = self.guard.take() {
            let _ = stdin.write_all(b"keep\n");
            drop(stdin);
            let _ = child.wait();
        }
    }

    /// A new, empty database; its URL.
    pub async fn fresh_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{}_{n}", std::process::id());
        let (client, conn) = tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
            .await
            .expect("connect to postgres");
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        drop(client);
        let _ = task.await;
        self.url(&name)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Some((mut child, stdin)) = self.guard.take() {
            // EOF: the guard stops the server and deletes the folder.
            drop(stdin);
            let _ = child.wait();
        } else {
            let _ = Command::new("rm").arg("-rf").arg(&self.dir).status();
        }
    }
}

/// One server shared by the tests of this binary (each test takes a fresh database). It is
/// never dropped; the guard stops it when the test process exits and closes its stdin.
pub fn shared() -> &'static PgCluster {
    static SHARED: std::sync::OnceLock<PgCluster> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| PgCluster::start(&[("fsync", "off"), ("max_connections", "200")]))
}
