//! One browser, many sites: a logout's diagnosis reads its own site only.

use std::path::PathBuf;

use logout_lens_model::{
    DiagnoseOptions, Event, EventId, Site, Target, diagnose, logouts, narrow, wire,
};

const OTHER: &str = "https://other.example.test";

/// Every fixture's name and events.
fn fixtures() -> Vec<(String, Vec<Event>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&p).expect("read")).expect("json");
            let bytes = serde_json::to_vec(&v["events"]).expect("events");
            let name = v["name"].as_str().unwrap_or_default().to_owned();
            (name, wire::parse_timeline(&bytes).expect("timeline"))
        })
        .collect()
}

fn origins(events: &[Event]) -> Vec<&str> {
    let mut out: Vec<&str> = events.iter().filter_map(|e| e.origin.as_deref()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn every_diagnosis_cites_only_its_own_site() {
    let opts = DiagnoseOptions::default();
    for (name, events) in fixtures() {
        for id in logouts(&events) {
            let d = diagnose(&events, &Target::Id(id.clone()), &opts).expect("diagnosis");
            let site = Site::new(d.origin.as_deref());
            for f in &d.causes {
                for ev in &f.evidence {
                    let e = events.iter().find(|e| &e.id == ev).expect("cited event");
                    assert!(site.holds(e), "{name}: {id} cites {ev} of {:?}", e.origin);
                }
            }
            // The window holds the site's events only, the logout among them.
            let n = narrow(&events, &Target::Id(id.clone())).expect("narrowed");
            assert!(n.events.iter().all(|e| site.holds(e)), "{name}");
            assert!(n.events.iter().any(|e| e.id == id), "{name}");
        }
    }
}

#[test]
fn site_membership() {
    let cookie = |origin: Option<&str>, domain: &str| {
        let mut e: Event = wire::parse_event(
            format!(
                r#"{{"schema":1,"id":"c","ts_ms":1,"kind":"cookie_change","name":"sid","domain":"{domain}","cookie_path":"/","removed":true,"cause":"expired"}}"#
            )
            .as_bytes(),
        )
        .expect("cookie");
        e.origin = origin.map(str::to_owned);
        e
    };
    let idle: Event =
        wire::parse_event(br#"{"schema":1,"id":"i","ts_ms":1,"kind":"idle_state","state":"idle"}"#)
            .expect("idle");
    let page = |o: &str| idle.clone().with_origin(o);
    let a = "http://127.0.0.1:4001";
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<&str>, Event, bool)> = vec![
        ("same origin", Some(a), page(a), true),
        ("another port", Some(a), page("http://127.0.0.1:4002"), false),
        ("localhost is another site", Some(a), page("http://localhost:4001"), false),
        ("machine events belong everywhere", Some(a), idle.clone(), true),
        ("a cookie filed under this origin", Some(a), cookie(Some(a), "127.0.0.1"), true),
        ("a cookie filed under the other port", Some(a), cookie(Some("http://127.0.0.1:4002"), "127.0.0.1"), false),
        ("a shared cookie of this host", Some(a), cookie(None, "127.0.0.1"), true),
        ("a shared cookie of another host", Some(a), cookie(None, "localhost"), false),
        ("a domain cookie", Some("https://app.example.test"), cookie(None, ".example.test"), true),
        ("a logout without origin reads everything", None, page(a), true),
    ];
    for (case, site, e, want) in cases {
        assert_eq!(Site::new(site).holds(&e), want, "{case}");
    }
}

/// `other`'s events moved to another site, its ids prefixed, shifted by
/// `shift_ms` (its machine events, without an origin, stay without one).
fn moved(other: &[Event], shift_ms: i64) -> Vec<Event> {
    other
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if e.origin.is_some() {
                e.origin = Some(OTHER.to_owned());
            }
            e.id = EventId(format!("other-{}", e.id));
            e.ts_ms += shift_ms;
            e
        })
        .collect()
}

/// `site`'s events plus the machine events (no origin) of `other`: what
/// the site sees when both run on one machine.
fn with_machine(site: &[Event], other: &[Event]) -> Vec<Event> {
    let mut out = site.to_vec();
    out.extend(other.iter().filter(|e| e.origin.is_none()).cloned());
    out
}

/// Any single-site scenario, with any other scenario happening on another
/// site at the same time (its logouts from 20 s before to 20 s after), is
/// diagnosed exactly as when it was alone on that machine (the other's
/// sleep and idle state are the machine's, so they count); and so is the
/// other one.
#[test]
fn another_site_changes_no_verdict() {
    let opts = DiagnoseOptions::default();
    let single: Vec<(String, Vec<Event>)> = fixtures()
        .into_iter()
        .filter(|(_, ev)| origins(ev).len() == 1)
        .filter(|(_, ev)| !logouts(ev).is_empty())
        .collect();
    assert!(single.len() >= 15, "{}", single.len());
    let last_logout = |ev: &[Event]| {
        let id = logouts(ev).pop().expect("a logout");
        ev.iter().find(|e| e.id == id).expect("event").ts_ms
    };
    let mut merges = 0;
    for (a_name, a) in &single {
        for (b_name, b) in single.iter().filter(|(n, _)| n != a_name) {
            for offset in [-20_000, -9_000, -3_000, 0, 2_000, 9_500, 20_000] {
                let shift = last_logout(a) + offset - last_logout(b);
                let b_moved = moved(b, shift);
                let mut both = a.clone();
                both.extend(b_moved.iter().cloned());
                merges += 1;
                for (site, other, label) in [(a, &b_moved, a_name), (&b_moved, a, b_name)] {
                    let alone = with_machine(site, other);
                    for id in logouts(site) {
                        let t = Target::Id(id.clone());
                        assert_eq!(
                            diagnose(&both, &t, &opts).ok(),
                            diagnose(&alone, &t, &opts).ok(),
                            "{label} ({id}) beside {} at {offset} ms",
                            if label == a_name { b_name } else { a_name }
                        );
                    }
                }
                assert_eq!(
                    logouts(&both).len(),
                    logouts(a).len() + logouts(&b_moved).len(),
                    "{a_name} + {b_name} at {offset} ms"
                );
            }
        }
    }
    assert!(merges > 1_000, "{merges}");
}
