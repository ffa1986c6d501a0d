use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::harness::{TestServer, log_text};

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_refresh_token_reaches_the_database_or_logs_in_plain_text() {
    let s = TestServer::start(|b| b).await;
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
    let mut files = Vec::new();
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        files.push(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(
        files.iter().map(Vec::len).sum::<usize>() > 4096,
        "database files were written"
    );
    let logs = log_text();
    for token in &tokens {
        let raw = URL_SAFE_NO_PAD.decode(token).ok().filter(|b| b.len() == 32);
        for f in &files {
            assert!(
                !contains(f, token.as_bytes()),
                "token text found in a database file"
            );
            if let Some(raw) = &raw {
                assert!(
                    !contains(f, raw),
                    "raw token bytes found in a database file"
                );
            }
        }
        assert!(!logs.contains(token.as_str()), "token found in the logs");
    }
}
