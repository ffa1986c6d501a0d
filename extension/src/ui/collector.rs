//! The popup's collector section: whether the native collector is
//! connected, which one it is (its version, protocol and event schema from
//! its `hello` reply), the relay's counters, and a notice when the
//! collector and this extension do not match.

use logout_lens_model::SCHEMA_VERSION;
use logout_lens_model::host::SUPPORTED_VERSIONS;
use serde::{Deserialize, Serialize};

use crate::relay::{DEFAULT_CAPACITY, HostSaid};

/// This extension's version (the workspace's, as the manifest says).
pub const EXTENSION_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One line of the section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub label: &'static str,
    pub value: String,
    /// CSS class: `ok`, `bad`, `level-warn` or empty.
    pub class: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectorView {
    pub rows: Vec<Row>,
    /// Shown above the rows when the collector and the extension do not match.
    pub notice: Option<String>,
}

fn list<T: ToString>(versions: &[T]) -> String {
    versions
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The counters the section shows, as the worker sends them
/// (`relay::Status`); what is missing reads as zero.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Counters {
    queued: u64,
    acked: u64,
    dropped: u64,
    refused: u64,
    connected: bool,
    host: Option<HostSaid>,
}

/// The section, from the relay's counters as the worker sends them
/// (`relay::Status` as JSON text, with what the collector said in answer
/// to `hello`; unreadable counters read as zero).
pub fn collector(stats: &str) -> CollectorView {
    let stats: Counters = serde_json::from_str(stats).unwrap_or_default();
    let (name, protocol, schema, unshared): (Option<&str>, _, _, Vec<u32>) = match &stats.host {
        Some(HostSaid::Hello(h)) => {
            let unshared = Some(h.version)
                .filter(|p| !SUPPORTED_VERSIONS.contains(p))
                .into_iter()
                .collect();
            // A collector from before `host` and `schema` were sent.
            let name = Some(h.host.as_str()).filter(|n| !n.is_empty());
            (
                name,
                Some(h.version),
                Some(h.schema).filter(|s| *s != 0),
                unshared,
            )
        }
        // `unsupported_version`: the versions it speaks instead.
        Some(HostSaid::Refused { supported }) => (None, None, None, supported.clone()),
        None => (None, None, None, Vec::new()),
    };
    // `logout-lens/0.1.0` → `0.1.0`.
    let version = name.and_then(|n| n.rsplit_once('/')).map(|(_, v)| v);
    let connected = stats.connected;
    let ours = list(SUPPORTED_VERSIONS);
    let notice = if !unshared.is_empty() {
        Some(format!(
            "This extension ({EXTENSION_VERSION}) speaks collector protocol {ours}; the \
             collector{} speaks only {}, so it stores nothing. Install the same release of \
             both; until then events wait here (up to {DEFAULT_CAPACITY}).",
            version.map_or_else(String::new, |v| format!(" ({v})")),
            list(&unshared)
        ))
    } else if let Some(s) = schema.filter(|s| *s != SCHEMA_VERSION) {
        Some(format!(
            "The collector{} stores event schema {s}, this extension ({EXTENSION_VERSION}) \
             writes schema {SCHEMA_VERSION}: it may refuse some events. Install the same \
             release of both.",
            version.map_or_else(String::new, |v| format!(" ({v})")),
        ))
    } else {
        version.filter(|v| *v != EXTENSION_VERSION).map(|v| {
            format!(
                "The collector is version {v} and this extension {EXTENSION_VERSION}. They work \
                 together (both speak protocol {}), but install the same release of both so \
                 that nothing the extension records is missed.",
                protocol.unwrap_or(0)
            )
        })
    };

    let (state, state_class) = if connected {
        ("connected", "ok")
    } else if !unshared.is_empty() {
        ("refused: no common protocol version", "bad")
    } else {
        ("not connected (events are kept)", "bad")
    };
    let about = match (name, protocol) {
        (Some(n), Some(p)) => format!(
            "{} · protocol {p} · schema {}",
            n.replace('/', " "),
            schema.map_or_else(|| "?".to_owned(), |s| s.to_string())
        ),
        (None, Some(p)) => format!("an older collector · protocol {p}"),
        _ if !unshared.is_empty() => format!("protocol {}", list(&unshared)),
        _ => "not known until it connects".to_owned(),
    };
    let about_class = if notice.is_some() { "level-warn" } else { "" };
    let rows = vec![
        Row {
            label: "Collector",
            value: state.to_owned(),
            class: state_class,
        },
        Row {
            label: "Version",
            value: about,
            class: about_class,
        },
        Row {
            label: "Waiting to be stored",
            value: stats.queued.to_string(),
            class: "",
        },
        Row {
            label: "Stored",
            value: stats.acked.to_string(),
            class: "",
        },
        Row {
            label: "Dropped (queue full)",
            value: stats.dropped.to_string(),
            class: "",
        },
        Row {
            label: "Refused (implausible or over a limit)",
            value: stats.refused.to_string(),
            class: "",
        },
    ];
    CollectorView { rows, notice }
}

#[cfg(test)]
mod tests {
    use logout_lens_model::host::Response;
    use serde::de::IgnoredAny;
    use serde_json::json;

    use super::*;
    use crate::relay::Relay;

    /// The counters after the collector answered `hello` with `host`.
    fn stats(host: Option<&str>, connected: bool) -> String {
        let said = host
            .and_then(|t| serde_json::from_str::<Response<IgnoredAny>>(t).ok())
            .and_then(HostSaid::of);
        json!({"queued": 3, "in_flight": 0, "acked": 40, "duplicates": 0, "rejected": 0,
               "dropped": 0, "refused": 2, "connected": connected, "host": said})
        .to_string()
    }

    fn row<'a>(v: &'a CollectorView, label: &str) -> &'a Row {
        v.rows.iter().find(|r| r.label == label).unwrap()
    }

    #[test]
    fn cases() {
        let hello = |host: &str, version: u32, schema: u32| {
            json!({"type": "hello", "version": version, "host": host, "schema": schema,
                   "max_batch_events": 5000})
            .to_string()
        };
        let same = hello(
            &format!("logout-lens/{EXTENSION_VERSION}"),
            1,
            SCHEMA_VERSION,
        );
        let newer = hello("logout-lens/9.9.9", 1, SCHEMA_VERSION);
        let schema = hello("logout-lens/9.9.9", 1, 7);
        let protocol = hello("logout-lens/9.9.9", 4, 7);
        let refusal =
            r#"{"type":"error","code":"unsupported_version","supported":[2,3],"fatal":false}"#;
        let older = r#"{"type":"hello","version":1}"#;
        // (the host's answer, connected) → (state, version row, part of the notice)
        type Case<'a> = (Option<&'a str>, bool, &'a str, String, Option<&'a str>);
        let cases: Vec<Case<'_>> = vec![
            (
                Some(&same),
                true,
                "connected",
                format!("logout-lens {EXTENSION_VERSION} · protocol 1 · schema {SCHEMA_VERSION}"),
                None,
            ),
            (
                None,
                false,
                "not connected (events are kept)",
                "not known until it connects".into(),
                None,
            ),
            (
                Some(&newer),
                true,
                "connected",
                format!("logout-lens 9.9.9 · protocol 1 · schema {SCHEMA_VERSION}"),
                Some("The collector is version 9.9.9 and this extension"),
            ),
            (
                Some(&schema),
                true,
                "connected",
                "logout-lens 9.9.9 · protocol 1 · schema 7".into(),
                Some("The collector (9.9.9) stores event schema 7"),
            ),
            (
                Some(&protocol),
                false,
                "refused: no common protocol version",
                "logout-lens 9.9.9 · protocol 4 · schema 7".into(),
                Some("the collector (9.9.9) speaks only 4, so it stores nothing"),
            ),
            (
                Some(refusal),
                false,
                "refused: no common protocol version",
                "protocol 2, 3".into(),
                Some("the collector speaks only 2, 3"),
            ),
            (
                // A collector from before `host` was sent.
                Some(older),
                true,
                "connected",
                "an older collector · protocol 1".into(),
                None,
            ),
            (
                Some("not json"),
                false,
                "not connected (events are kept)",
                "not known until it connects".into(),
                None,
            ),
        ];
        for (host, connected, state, about, notice) in cases {
            let v = collector(&stats(host, connected));
            assert_eq!(row(&v, "Collector").value, state, "{host:?}");
            assert_eq!(row(&v, "Version").value, about, "{host:?}");
            match notice {
                None => assert_eq!(v.notice, None, "{host:?}"),
                Some(part) => {
                    let n = v.notice.as_deref().unwrap_or_default();
                    assert!(n.contains(part), "{host:?}: {n}");
                    assert_eq!(row(&v, "Version").class, "level-warn");
                }
            }
            assert_eq!(row(&v, "Waiting to be stored").value, "3");
            assert_eq!(row(&v, "Stored").value, "40");
            assert_eq!(row(&v, "Refused (implausible or over a limit)").value, "2");
        }
    }

    /// What the relay serialises is what this reads.
    #[test]
    fn reads_the_relays_stats() {
        let mut relay = Relay::new(10);
        relay.push(
            "e".into(),
            None,
            serde_json::value::to_raw_value(&json!({})).unwrap(),
        );
        relay.poll(0);
        relay
            .on_message(
                r#"{"type":"hello","version":1,"host":"logout-lens/0.0.1","schema":1}"#,
                0,
            )
            .unwrap();
        let v = collector(&serde_json::to_string(&relay.stats()).unwrap());
        assert_eq!(row(&v, "Collector").value, "connected");
        assert!(v.notice.unwrap().contains("version 0.0.1"));
        // Unreadable counters are zeros, not a failed popup.
        assert_eq!(row(&collector("nonsense"), "Stored").value, "0");
    }
}
