//! A large, realistic timeline: weeks of one browser with several sites and
//! many tabs, in the mix of kinds and sizes the extension sends (mostly HTTP
//! exchanges and storage/cookie changes, a few long URLs, idle and sleep
//! samples without an origin, a logout every few hundred events of a site).
//! Deterministic: event `i` is the same on every call.
//! Also compiled into the scale benchmark (`#[path]`), so keep it std + deps only.
#![allow(dead_code, unreachable_pub)]

use serde_json::{Value, json};

/// The sites of the timeline (127.0.0.1 and localhost are different sites).
pub const SITES: [&str; 6] = [
    "https://app.example",
    "https://shop.example",
    "http://127.0.0.1:8000",
    "http://localhost:3000",
    "https://mail.example",
    "https://idp.example",
];

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `n` events as wire JSON, oldest first, ending about now: the timeline
/// spans `n / 50_000` days (at least one), so a million events are three
/// weeks of a busy browser.
pub fn timeline(n: usize, end_ms: i64) -> Vec<String> {
    let days = (n / 50_000).max(1) as i64;
    let span = days * 86_400_000;
    // Mean gap so the timeline fills the span; bursts of events ms apart
    // alternate with quiet minutes.
    let mean_gap = (span / n.max(1) as i64).max(1);
    let mut rng = Rng::new(0x5CA1E);
    let mut ts = end_ms - span;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        ts += if rng.below(10) < 7 {
            rng.below(40) as i64
        } else {
            rng.below((mean_gap * 10 / 3).max(1) as u64) as i64
        };
        out.push(event(i as u64, ts.min(end_ms), &mut rng).to_string());
    }
    out
}

/// One event of the mix at `ts`.
pub fn event(i: u64, ts: i64, rng: &mut Rng) -> Value {
    let site = SITES[rng.below(SITES.len() as u64) as usize];
    let host = site.split("://").nth(1).unwrap_or(site);
    let host = host.split(':').next().unwrap_or(host);
    let tab = 100 + rng.below(40) as i64;
    let roll = rng.below(1000);
    let mut origin = Some(site);
    let body = match roll {
        // One logout in ~500 events: observed, sometimes with the app's report.
        0..=1 => json!({
            "kind": "logout_observed", "trigger": "login_page",
            "url": format!("{site}/login?next=REDACTED"), "idle_ms": rng.below(3_600_000)
        }),
        2 => json!({
            "kind": "app_report", "type": "TOKEN_EXPIRED", "message": "Session expired",
            "timestamp": ts, "idleMinutes": 23.5, "location": format!("{site}/dashboard")
        }),
        3..=420 => {
            let status = match rng.below(100) {
                0..=2 => 401,
                3 => 403,
                4 => 500,
                _ => 200,
            };
            let role = match rng.below(20) {
                0 => "refresh",
                1 => "login",
                _ => "api",
            };
            let mut x = json!({
                "kind": "http_exchange", "request_id": format!("{}.{i}", rng.below(100_000)),
                "method": if rng.below(4) == 0 { "POST" } else { "GET" },
                "url": format!("{site}/api/v2/items/{}/details?page=REDACTED&sort=REDACTED", rng.below(10_000)),
                "status": status, "role": role, "duration_ms": 5 + rng.below(900),
                "date": "Mon, 24 Nov 2025 12:00:00 GMT",
                "access_token_fp": format!("{:016x}", rng.next()),
            });
            let o = x.as_object_mut().unwrap();
            if status == 401 {
                o.insert(
                    "www_authenticate".into(),
                    json!("Bearer error=\"invalid_token\", error_description=\"The access token expired\""),
                );
            }
            if role == "refresh" {
                o.insert(
                    "refresh_token_fp".into(),
                    json!(format!("{:016x}", rng.next())),
                );
            }
            // A few long URLs (search pages, tracking redirects).
            if rng.below(50) == 0 {
                let long: String = (0..40).map(|k| format!("&f{k}=REDACTED")).collect();
                o.insert(
                    "url".into(),
                    json!(format!("{site}/search/results/page?q=REDACTED{long}")),
                );
            }
            x
        }
        421..=580 => json!({
            "kind": "storage_change", "area": if rng.below(3) == 0 { "session" } else { "local" },
            "key": if rng.below(2) == 0 { "access_token" } else { "app.settings.v2" },
            "op": "set", "is_jwt": true, "actor": "page_script",
            "token": {"fp": format!("{:016x}", rng.next()), "len": 180 + rng.below(900),
                      "claims": {"kind": "access", "alg": "RS256", "exp": ts / 1000 + 900, "iat": ts / 1000,
                                 "iss": format!("{site}/oauth")}}
        }),
        581..=700 => json!({
            "kind": "cookie_change", "name": if rng.below(2) == 0 { "sessionid" } else { "csrftoken" },
            "domain": host, "cookie_path": "/", "removed": rng.below(20) == 0, "cause": "explicit",
            "expires_ms": ts + 1_800_000, "http_only": true, "secure": true, "same_site": "lax",
            "value": {"fp": format!("{:016x}", rng.next()), "len": 32}, "writer": "server"
        }),
        701..=830 => json!({"kind": "activity", "last_input_ms": ts - rng.below(120_000) as i64}),
        831..=900 => json!({
            "kind": "page_lifecycle",
            "state": (["visible", "hidden", "frozen", "resumed"])[rng.below(4) as usize]
        }),
        901..=950 => json!({
            "kind": "navigation", "url": format!("{site}/dashboard/{}", rng.below(50)),
            "redirect": rng.below(10) == 0, "to_login": false
        }),
        951..=975 => {
            origin = None;
            json!({"kind": "idle_state", "state": (["active", "idle", "locked"])[rng.below(3) as usize]})
        }
        _ => {
            origin = None;
            let wall = 60_000 + rng.below(1_000) as i64;
            json!({"kind": "time_sample", "wall_elapsed_ms": wall, "mono_elapsed_ms": wall - rng.below(50) as i64})
        }
    };
    let mut e = body;
    let o = e.as_object_mut().unwrap();
    o.insert("schema".into(), json!(1));
    o.insert("id".into(), json!(format!("c-{i:08}")));
    o.insert("ts_ms".into(), json!(ts));
    if let Some(site) = origin {
        o.insert("origin".into(), json!(site));
        o.insert("path".into(), json!("/dashboard"));
        o.insert("tab".into(), json!(tab));
    }
    o.insert("source".into(), json!("extension"));
    e
}
