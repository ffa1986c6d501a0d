//! Every scenario in `model/fixtures/` is diagnosed to its expected top cause.

use std::path::PathBuf;

use logout_lens_model::{DiagnoseOptions, Event, EventId, Target, diagnose, logouts, wire};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    name: String,
    expect: Vec<Expect>,
    events: serde_json::Value,
}

#[derive(Deserialize)]
struct Expect {
    logout: Option<String>,
    cause: Option<String>,
    coarse: Option<String>,
    idle_min: Option<i64>,
    explanation_contains: Option<String>,
    error: Option<String>,
}

fn fixtures() -> Vec<(PathBuf, Fixture)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<(PathBuf, Fixture)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read fixture");
            let f: Fixture = serde_json::from_slice(&bytes).expect("fixture shape");
            (p, f)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn events_of(f: &Fixture) -> Vec<Event> {
    let bytes = serde_json::to_vec(&f.events).expect("re-encode");
    wire::parse_timeline(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.name))
}

#[test]
fn there_are_enough_fixtures_covering_every_cause() {
    let all = fixtures();
    assert!(all.len() >= 14, "only {} fixtures", all.len());
    let covered: std::collections::BTreeSet<String> = all
        .iter()
        .flat_map(|(_, f)| f.expect.iter().filter_map(|e| e.cause.clone()))
        .collect();
    for cause in logout_lens_model::Cause::ALL {
        assert!(
            covered.contains(cause.code()),
            "no fixture for {}",
            cause.code()
        );
    }
}

#[test]
fn every_fixture_gets_its_expected_top_cause() {
    let opts = DiagnoseOptions::default();
    let mut failures = Vec::new();
    for (_, f) in fixtures() {
        let events = events_of(&f);
        for want in &f.expect {
            let target = match &want.logout {
                Some(id) => Target::Id(EventId(id.clone())),
                None => Target::Last,
            };
            match (diagnose(&events, &target, &opts), &want.error) {
                (Err(e), Some(code)) if e.code() == code => {}
                (Err(e), _) => failures.push(format!("{}: error {e}", f.name)),
                (Ok(d), Some(code)) => failures.push(format!(
                    "{}: wanted error {code}, got {:?}",
                    f.name, d.cause
                )),
                (Ok(d), None) => {
                    let got = d.cause.code();
                    if Some(got) != want.cause.as_deref() {
                        failures.push(format!(
                            "{}: wanted {:?}, got {got} — ranking: {:#?}",
                            f.name, want.cause, d.causes
                        ));
                        continue;
                    }
                    if let Some(c) = &want.coarse {
                        if d.coarse.code() != c {
                            failures.push(format!("{}: coarse {:?} != {c}", f.name, d.coarse));
                        }
                    }
                    if let Some(min) = want.idle_min {
                        let got_min = d.idle_ms.map(|ms| ms / 60_000);
                        if got_min != Some(min) {
                            failures.push(format!("{}: idle {got_min:?} min != {min}", f.name));
                        }
                    }
                    if let Some(s) = &want.explanation_contains {
                        if !d.causes[0].explanation.contains(s.as_str()) {
                            failures.push(format!(
                                "{}: explanation {:?} lacks {s:?}",
                                f.name, d.causes[0].explanation
                            ));
                        }
                    }
                    let ids: Vec<&EventId> = events.iter().map(|e| &e.id).collect();
                    for finding in &d.causes {
                        assert!(finding.confidence <= 100);
                        for ev in &finding.evidence {
                            assert!(ids.contains(&ev), "{}: cites unknown {ev}", f.name);
                        }
                    }
                    assert!(
                        !d.causes[0].evidence.is_empty(),
                        "{}: top cause cites nothing",
                        f.name
                    );
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diagnosis_ignores_input_order() {
    let opts = DiagnoseOptions::default();
    for (_, f) in fixtures() {
        let events = events_of(&f);
        let mut reversed = events.clone();
        reversed.reverse();
        let a = diagnose(&events, &Target::Last, &opts);
        let b = diagnose(&reversed, &Target::Last, &opts);
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a.cause, b.cause, "{}", f.name),
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{}: {a:?} vs {b:?}", f.name),
        }
    }
}

#[test]
fn logouts_lists_each_episode_once() {
    let f = fixtures()
        .into_iter()
        .find(|(_, f)| f.name == "logout_then_login_again")
        .expect("fixture")
        .1;
    let events = events_of(&f);
    assert_eq!(logouts(&events).len(), 2);
    let unknown = diagnose(
        &events,
        &Target::Id(EventId("nope".into())),
        &DiagnoseOptions::default(),
    );
    assert_eq!(
        unknown.map(|d| d.cause).map_err(|e| e.code()),
        Err("unknown_logout")
    );
}

#[test]
fn diagnosis_texts_pass_the_scrubber_unchanged() {
    // A diagnosis quotes times and names ("the same refresh token 38 ms
    // apart"); the collector scrubs what it exports, and nothing of ours may
    // read as a secret there.
    let r = logout_lens_model::Redactor::new(&[4u8; 32], Default::default()).expect("secret");
    let mut checked = 0;
    for (_, f) in fixtures() {
        let events = events_of(&f);
        for id in logouts(&events) {
            let Ok(d) = diagnose(&events, &Target::Id(id), &DiagnoseOptions::default()) else {
                continue;
            };
            let mut v = serde_json::to_value(&d).expect("json");
            r.scrub_json(None, &mut v);
            assert_eq!(v, serde_json::to_value(&d).expect("json"), "{}", f.name);
            for text in std::iter::once(&d.headline)
                .chain(d.causes.iter().flat_map(|c| [&c.explanation, &c.fix_hint]))
            {
                assert_eq!(&r.scrub_text(text), text, "{}", f.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked} texts");
}
