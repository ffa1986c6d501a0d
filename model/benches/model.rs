//! Classification throughput and diagnosis time on a synthetic 100k-event timeline.
//!
//! `cargo bench -p logout-lens-model --bench model` — prints medians of repeated runs.
//! Goals (issue #2): ≥ 1M events/s classification, ≤ 200 ms diagnosis of 100k events.

use std::hint::black_box;
use std::time::{Duration, Instant};

use logout_lens_model::event::{
    Activity, CookieCause, CookieChange, Event, EventKind, HttpExchange, LifecycleState,
    LogoutObserved, LogoutTrigger, PageLifecycle, RequestRole, SameSite, StorageActor, StorageArea,
    StorageChange,
};
use logout_lens_model::redact::{Fingerprint, RedactedToken, TokenClaims};
use logout_lens_model::{DiagnoseOptions, Target, classify, diagnose, jwt::TokenKind};

const N: usize = 100_000;
const T0: i64 = 1_764_320_000_000;

fn http(role: RequestRole, status: Option<u16>, fp: Option<&str>) -> EventKind {
    EventKind::HttpExchange(HttpExchange {
        request_id: None,
        method: "GET".into(),
        url: "https://app.example.test/api/items?page=REDACTED".into(),
        status,
        error: None,
        role,
        www_authenticate: None,
        auth_error_code: None,
        location: None,
        date: None,
        set_cookie_deletions: vec![],
        duration_ms: Some(30),
        refresh_token_fp: fp.map(|f| Fingerprint(f.into())),
        access_token_fp: None,
    })
}

fn token(exp_s: i64) -> RedactedToken {
    RedactedToken {
        fp: Fingerprint("0123456789abcdef".into()),
        len: 187,
        claims: Some(TokenClaims {
            kind: TokenKind::Access,
            exp: Some(exp_s),
            iat: Some(exp_s - 900),
            ..TokenClaims::default()
        }),
    }
}

/// A busy multi-tab session: API calls, heartbeats, refreshes every 15 min,
/// lifecycle changes, cookies — ending in a two-tab refresh race and a logout.
fn timeline() -> Vec<Event> {
    let mut out = Vec::with_capacity(N);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..N - 3 {
        let ts = T0 + (i as i64) * 200;
        let r = next() % 100;
        let kind = match r {
            0..=59 => http(
                RequestRole::Api,
                Some(if r % 29 == 0 { 404 } else { 200 }),
                None,
            ),
            60..=79 => EventKind::Activity(Activity {
                last_input_ms: ts - 500,
            }),
            80..=84 => EventKind::PageLifecycle(PageLifecycle {
                state: if r % 2 == 0 {
                    LifecycleState::Hidden
                } else {
                    LifecycleState::Visible
                },
            }),
            85..=89 => EventKind::CookieChange(CookieChange {
                name: if r % 2 == 0 {
                    "sessionid".into()
                } else {
                    "theme".into()
                },
                domain: "app.example.test".into(),
                cookie_path: "/".into(),
                removed: false,
                cause: CookieCause::Explicit,
                expires_ms: Some(ts + 14 * 86_400_000),
                session: false,
                http_only: true,
                secure: true,
                same_site: SameSite::Lax,
                value: None,
                writer: None,
                request_id: None,
            }),
            90..=94 => http(RequestRole::Refresh, Some(200), Some("aaaaaaaaaaaaaaaa")),
            _ => EventKind::StorageChange(StorageChange {
                area: StorageArea::Local,
                key: "access_token".into(),
                op: logout_lens_model::event::StorageOp::Set,
                is_jwt: true,
                token: Some(token(ts / 1000 + 900)),
                previous: None,
                actor: StorageActor::PageScript,
                stack: None,
            }),
        };
        out.push(
            Event::new(format!("e{i}"), ts, kind)
                .with_origin("https://app.example.test")
                .with_tab((i % 3) as i64),
        );
    }
    let end = T0 + (N as i64) * 200;
    out.push(
        Event::new(
            "race-ok",
            end,
            http(RequestRole::Refresh, Some(200), Some("bbbbbbbbbbbbbbbb")),
        )
        .with_tab(1)
        .with_origin("https://app.example.test"),
    );
    out.push(
        Event::new(
            "race-lost",
            end + 38,
            http(RequestRole::Refresh, Some(401), Some("bbbbbbbbbbbbbbbb")),
        )
        .with_tab(2)
        .with_origin("https://app.example.test"),
    );
    out.push(
        Event::new(
            "logout",
            end + 100,
            EventKind::LogoutObserved(LogoutObserved {
                trigger: LogoutTrigger::LoginPage,
                url: None,
                idle_ms: None,
                coarse: None,
                cause: None,
            }),
        )
        .with_tab(2)
        .with_origin("https://app.example.test"),
    );
    out
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let events = timeline();
    let runs = 15;

    let classify_times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            for e in &events {
                black_box(classify(black_box(e)));
            }
            start.elapsed()
        })
        .collect();
    let c = median(classify_times);
    let rate = events.len() as f64 / c.as_secs_f64();

    let opts = DiagnoseOptions::default();
    let mut top = None;
    let diag_times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let d = diagnose(black_box(&events), &Target::Last, &opts);
            let t = start.elapsed();
            top = d.ok().map(|d| d.cause);
            t
        })
        .collect();
    let d = median(diag_times);

    println!("events: {}", events.len());
    println!(
        "classification: median {:.2} ms per pass = {:.1} M events/s (goal >= 1 M/s)",
        c.as_secs_f64() * 1e3,
        rate / 1e6
    );
    println!(
        "diagnosis: median {:.1} ms for {} events (goal <= 200 ms); top cause {:?}",
        d.as_secs_f64() * 1e3,
        events.len(),
        top
    );
}
