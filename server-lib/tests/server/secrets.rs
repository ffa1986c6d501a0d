use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::harness::{TestServer, log_text};

/// Logins, refresh chains and grace retries; every token handed out.
async fn exercise(s: &TestServer) -> Vec<String> {
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let login = s.login(true).await;
        let mut t = login["refresh"].as_str().unwrap().to_owned();
        tokens.push(login["access"].as_str().unwrap().to_owned());
        tokens.push(t.clone());
        for _ in 0..4 {
            let r = s.refresh(&t).await.json();
            // a grace retry too, so sealed successors are exercised
            s.refresh(&t).await;
            t = r["refresh"].as_str().unwrap().to_owned();
            tokens.push(t.clone());
            tokens.push(r["access"].as_str().unwrap().to_owned());
        }
    }
    tokens
}

fn files_under(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push(bytes);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_refresh_token_reaches_the_database_or_logs_in_plain_text() {
    let s = TestServer::start(|b| b).await;
    let tokens = exercise(&s).await;
    let mut files = Vec::new();
    files_under(s.dir.path(), &mut files);
    assert_absent(&files, &tokens);
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_refresh_token_reaches_postgresql_files_in_plain_text() {
    use crate::pg_cluster::PgCluster;
    use logout_lens_server::{Config, open_store};
    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(&[]))
        .await
        .unwrap();
    let url = cluster.fresh_database().await;
    let store = open_store(&url).await.unwrap();
    let s = TestServer::start_on(store, Config::builder().build().unwrap()).await;
    let tokens = exercise(&s).await;
    drop(s);
    // A clean shutdown checkpoints: the rows are in the heap files as well as in the WAL.
    let (cluster, files) = tokio::task::spawn_blocking(move || {
        let mut cluster = cluster;
        cluster.stop();
        let mut files = Vec::new();
        files_under(&cluster.data_dir(), &mut files);
        (cluster, files)
    })
    .await
    .unwrap();
    assert_absent(&files, &tokens);
    // The scanner itself finds a planted token.
    let mut planted = vec![0u8; 8192];
    planted[4000..4000 + tokens[1].len()].copy_from_slice(tokens[1].as_bytes());
    let found = std::panic::catch_unwind(|| assert_absent(&[planted], &tokens));
    assert!(found.is_err(), "a planted token must be found");
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();
}

/// Every token's text and raw bytes, searched in one pass per file: a 32-byte prefix of a
/// random token is as telling as the whole, and a two-byte bitmap keeps the pass cheap on a
/// PostgreSQL data folder of tens of megabytes.
fn assert_absent(files: &[Vec<u8>], tokens: &[String]) {
    assert!(
        files.iter().map(Vec::len).sum::<usize>() > 4096,
        "database files were written"
    );
    let mut needles: HashMap<Vec<u8>, &'static str> = HashMap::new();
    for token in tokens {
        needles.insert(token.as_bytes()[..32].to_vec(), "token text");
        if let Some(raw) = URL_SAFE_NO_PAD.decode(token).ok().filter(|b| b.len() == 32) {
            needles.insert(raw, "raw token bytes");
        }
    }
    let mut first_two = vec![false; 1 << 16];
    for n in needles.keys() {
        first_two[usize::from(n[0]) << 8 | usize::from(n[1])] = true;
    }
    for f in files {
        for w in f.windows(32) {
            if first_two[usize::from(w[0]) << 8 | usize::from(w[1])] {
                if let Some(what) = needles.get(w) {
                    panic!("{what} found in a database file");
                }
            }
        }
    }
    let logs = log_text();
    for token in tokens {
        assert!(!logs.contains(token.as_str()), "token found in the logs");
    }
}
