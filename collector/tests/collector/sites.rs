//! One diagnosis, wherever it runs: the collector (`diagnose`, the host's
//! `diagnosis` query, an export's diagnoses) and the extension (the held
//! logout's cause, the popup's Diagnose, Export trace) give the same verdict
//! for every logout of a timeline with several sites.

use std::path::PathBuf;

use logout_lens_collector::host::{Host, Step};
use logout_lens_collector::protocol::{Query, Response};
use logout_lens_collector::store::{Durability, LOCAL, NewEvent, Store};
use logout_lens_extension::{held, ui};
use logout_lens_model::{Event, EventId, logouts, wire};
use serde_json::{Value, json};

use super::support::{cli, stdout};

fn fixture(name: &str) -> Vec<Event> {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../model/fixtures/{name}.json"));
    let v: Value = serde_json::from_slice(&std::fs::read(p).expect("fixture")).expect("json");
    wire::parse_timeline(v["events"].to_string().as_bytes()).expect("timeline")
}

/// Single-site scenarios moved onto other sites (two ports of one host,
/// localhost beside 127.0.0.1) and shifted so their logouts fall within
/// seconds of each other: one browser, four apps.
fn four_apps() -> Vec<Event> {
    let parts = [
        ("user_logout", "http://127.0.0.1:4001", 0),
        (
            "refresh_token_reused_two_tabs",
            "http://127.0.0.1:4002",
            4_000,
        ),
        ("session_cookie_expired", "http://localhost:4001", -3_000),
        (
            "forbidden_treated_as_logout",
            "https://app.example.test",
            8_000,
        ),
    ];
    let anchor = 1_800_000_000_000;
    let mut out = Vec::new();
    for (name, origin, offset) in parts {
        let events = fixture(name);
        let last = events
            .iter()
            .filter(|e| e.is_logout())
            .map(|e| e.ts_ms)
            .max()
            .unwrap();
        for mut e in events {
            if e.origin.is_some() {
                e.origin = Some(origin.to_owned());
            }
            e.id = EventId(format!("{}-{}", name, e.id));
            e.ts_ms += anchor + offset - last;
            out.push(e);
        }
    }
    out
}

fn collector_diagnoses(store: &mut Store, ids: &[EventId]) -> Vec<Value> {
    let mut host = Host::new(store).unwrap();
    ids.iter()
        .map(|id| {
            let step = Step::Query {
                id: json!(1),
                query: Query::Diagnosis {
                    logout_id: Some(id.0.clone()),
                    origin: None,
                },
            };
            match host.execute(step) {
                Some(Response::Result { body, .. }) => body["diagnosis"].clone(),
                other => panic!("{id}: {other:?}"),
            }
        })
        .collect()
}

#[test]
fn collector_and_extension_agree_on_every_logout() {
    let home = tempfile::tempdir().unwrap();
    for (label, events) in [
        (
            "multi_site_click_then_other_site",
            fixture("multi_site_click_then_other_site"),
        ),
        (
            "multi_site_two_ports_one_cookie",
            fixture("multi_site_two_ports_one_cookie"),
        ),
        ("four apps", four_apps()),
    ] {
        let db = home.path().join(format!("{}.db", label.replace(' ', "_")));
        let mut store = Store::open(&db, Durability::Normal).unwrap();
        let rows: Vec<NewEvent> = events
            .iter()
            .map(|e| NewEvent::from_event(e).unwrap())
            .collect();
        store.insert_batch(LOCAL, &rows, 0).unwrap();
        let ids = logouts(&events);
        assert!(ids.len() >= 2, "{label}");

        // The collector: the host's query, the CLI, an export.
        let by_host = collector_diagnoses(&mut store, &ids);
        drop(store);
        let exported: Value =
            serde_json::from_str(&stdout(&cli(home.path(), &db, &["export", "-o", "-"]))).unwrap();
        let by_export = exported["diagnoses"].as_array().unwrap().clone();
        assert_eq!(by_export.len(), ids.len(), "{label}");

        // The extension, on the same timeline as its worker holds it.
        let held_ids: Vec<String> = ids.iter().map(|i| i.0.clone()).collect();
        let answer = held::answer(&events, &held_ids);
        let bundle: Value = serde_json::from_str(&ui::bundle::export(&events, None, 0)).unwrap();

        for (k, id) in ids.iter().enumerate() {
            let by_cli: Value = serde_json::from_str(&stdout(&cli(
                home.path(),
                &db,
                &["--json", "diagnose", &id.0],
            )))
            .unwrap();
            let d = &by_host[k];
            let cause = d["cause"].as_str().unwrap();
            assert_eq!(&by_cli, d, "{label} {id}: CLI vs host query");
            assert_eq!(&by_export[k], d, "{label} {id}: export vs host query");
            assert_eq!(
                &bundle["diagnoses"][k], d,
                "{label} {id}: extension's export"
            );
            let verdict = answer.iter().find(|v| v.id == id.0);
            assert_eq!(
                verdict.and_then(|v| v.cause).map(|c| c.code()),
                Some(cause),
                "{label} {id}: held answer {answer:?}"
            );
            let view = ui::view::diagnosis(&events, &id.0).expect("Diagnose view");
            assert_eq!(view.headline, d["headline"], "{label} {id}");
            let codes: Vec<&str> = view.causes.iter().map(|c| c.code).collect();
            let want: Vec<&str> = d["causes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["cause"].as_str().unwrap())
                .collect();
            assert_eq!(codes, want, "{label} {id}: popup Diagnose");
        }
    }
}
