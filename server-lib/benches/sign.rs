//! Access-token issuance: the library's EdDSA path (a parsed AWS-LC key pair, the header
//! encoded once per key) beside `jsonwebtoken::encode` with the same key, which parses and
//! checks the PKCS#8 key on every signature. Medians over rounds, in µs per token.
//!
//! `cargo bench -p logout-lens-server --bench sign`

use std::time::Instant;

use logout_lens_server::tokens::{ACCESS_TOKEN_TYP, issue_access};
use logout_lens_server::{Config, SigningKey};

/// PKCS#8 v1 of a fixed Ed25519 seed.
fn der() -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[7u8; 32]);
    der
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let der = der();
    let config = Config::builder()
        .signing_key(SigningKey::ed25519_from_pkcs8("bench", &der).expect("key"))
        .build()
        .expect("config");
    let (_, claims) = issue_access(&config, "user-123", "session-1", 1_800_000_000).expect("sign");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some("bench".to_owned());
    header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
    // (`tokens::tests` checks both give byte-identical tokens for the same claims.)
    let key = jsonwebtoken::EncodingKey::from_ed_der(&der);
    let n = 5_000;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=7 {
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(issue_access(
                &config,
                "user-123",
                "session-1",
                1_800_000_000,
            ))
            .expect("sign");
        }
        let a = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(jsonwebtoken::encode(&header, &claims, &key)).expect("encode");
        }
        let b = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!("round {round}: issue_access {a:6.1} us | jsonwebtoken::encode {b:6.1} us");
        ours.push(a);
        theirs.push(b);
    }
    let (a, b) = (median(ours), median(theirs));
    println!(
        "median: issue_access {a:.1} us per token (new jti, claims and signature), \
         jsonwebtoken::encode {b:.1} us (signature of fixed claims): {:.0}% of its time",
        100.0 * a / b
    );
}
