//! Diagnose a timeline file: a JSON array of schema-v1 events, or a fixture
//! (`{"events": [...]}`) from `model/fixtures/`.
//!
//! `cargo run -p logout-lens-model --example diagnose -- model/fixtures/server_session_lost.json`

use std::process::ExitCode;

use logout_lens_model::{DiagnoseOptions, Target, diagnose, time::human_ms, wire};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: diagnose TIMELINE.json");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    // Accept a fixture wrapper as well as a bare array.
    let events = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut m)) if m.contains_key("events") => {
            let inner = m.remove("events").unwrap_or_default();
            wire::parse_timeline(inner.to_string().as_bytes())
        }
        _ => wire::parse_timeline(&bytes),
    };
    let events = match events {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    match diagnose(&events, &Target::Last, &DiagnoseOptions::default()) {
        Ok(d) => {
            let idle = d.idle_ms.map(human_ms).unwrap_or_else(|| "unknown".into());
            eprintln!(
                "{} {} ({}), idle {idle}",
                d.coarse.icon(),
                d.headline,
                d.coarse.code()
            );
            for (i, f) in d.causes.iter().enumerate() {
                eprintln!(
                    "{:>2}. [{:>3}%] {} — {}",
                    i + 1,
                    f.confidence,
                    f.cause.code(),
                    f.explanation
                );
                eprintln!(
                    "      evidence: {}",
                    f.evidence
                        .iter()
                        .map(|e| e.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            eprintln!("fix: {}", d.causes[0].fix_hint);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::from(1)
        }
    }
}
