//! The caps the extension's JS enforces before anything reaches the Rust
//! core are the core's own (`logout_lens_extension::limits`): each script
//! that needs them says `const LIMITS = /*LIMITS*/ {};`, and the build writes
//! the object in, so no number is kept twice by hand.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// What the scripts hold in place of the limits.
const MARK: &str = "/*LIMITS*/ {}";

/// The scripts that carry the mark (relative to a family's `dist` folder).
const SCRIPTS: [&str; 3] = [
    "background.js",
    "content/isolated.js",
    "content/main-world.js",
];

/// The limits as a JS object literal (JSON).
fn object() -> String {
    serde_json::Value::Object(logout_lens_extension::limits::for_js()).to_string()
}

/// Writes the limits into each script of `dist` (a family's folder, the
/// scripts already copied). A script without exactly one mark is an error:
/// the build never ships a script with its caps missing.
pub(crate) fn write(dist: &Path) -> Result<()> {
    let with = format!("/*LIMITS*/ {}", object());
    for script in SCRIPTS {
        let path = dist.join(script);
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let n = text.matches(MARK).count();
        if n != 1 {
            bail!("{script}: expected one `const LIMITS = {MARK};`, found {n}");
        }
        fs::write(&path, text.replace(MARK, &with))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `LIMITS.NAME` a script reads is one the core writes.
    #[test]
    fn the_scripts_read_only_limits_the_core_has() {
        let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extension/js");
        let known = logout_lens_extension::limits::for_js();
        for script in SCRIPTS {
            let text = fs::read_to_string(js.join(script)).unwrap();
            assert_eq!(text.matches(MARK).count(), 1, "{script}");
            let mut read = 0;
            for (i, _) in text.match_indices("LIMITS.") {
                let name: String = text[i + "LIMITS.".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                assert!(known.contains_key(&name), "{script}: LIMITS.{name}");
                read += 1;
            }
            assert!(read > 0, "{script}");
        }
    }

    #[test]
    fn writes_the_object_in_place_of_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("content")).unwrap();
        for script in SCRIPTS {
            fs::write(dir.path().join(script), format!("const LIMITS = {MARK};\n")).unwrap();
        }
        write(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join("background.js")).unwrap();
        let json = text
            .strip_prefix("const LIMITS = /*LIMITS*/ ")
            .and_then(|t| t.strip_suffix(";\n"))
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["VALUE"], logout_lens_extension::limits::VALUE);
        // A script whose mark went missing fails the build.
        fs::write(
            dir.path().join("content/isolated.js"),
            "const LIMITS = {};\n",
        )
        .unwrap();
        assert!(write(dir.path()).is_err());
    }
}
