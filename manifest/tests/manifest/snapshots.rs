//! Every generated JSON file against a committed snapshot in `tests/snapshots/`.
//! Run with `UPDATE_SNAPSHOTS=1` to rewrite them after an intended change.

use std::path::{Path, PathBuf};

use logout_lens_manifest::{
    ExtensionDescription, Family, HOST_NAME, host_manifest, location_table,
};
use serde_json::Value;

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn check(name: &str, value: &Value) {
    let mut actual = serde_json::to_string_pretty(value).unwrap();
    actual.push('\n');
    let path = snapshot_dir().join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
    assert_eq!(
        actual, expected,
        "snapshot {name} differs; rerun with UPDATE_SNAPSHOTS=1 if intended"
    );
}

#[test]
fn extension_manifests() {
    let d = ExtensionDescription::default();
    let cases = [
        ("extension-chromium.json", Family::Chromium),
        ("extension-firefox.json", Family::Firefox),
    ];
    for (name, family) in cases {
        let mut m = d.manifest(family);
        // The version follows the crate version; pin it so a release bump
        // does not churn the snapshot.
        m["version"] = "0.0.0".into();
        check(name, &m);
    }
}

#[test]
fn host_manifests() {
    let exe = Path::new("/usr/local/bin/logout-lens");
    let cases = [
        ("host-chromium.json", Family::Chromium),
        ("host-firefox.json", Family::Firefox),
    ];
    for (name, family) in cases {
        check(name, &host_manifest(family, exe).unwrap());
    }
}

#[test]
fn location_table_snapshot() {
    let rows = location_table(HOST_NAME).unwrap();
    check("locations.json", &serde_json::to_value(rows).unwrap());
}
