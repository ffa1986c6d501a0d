//! The native-messaging host manifest (`<HOST_NAME>.json`).

use std::path::Path;

use serde_json::{Value, json};

use crate::key::{FIREFOX_ADDON_ID, chromium_origins};
use crate::{Family, ManifestError};

/// The host name the extension passes to `connectNative`. Lowercase, digits,
/// `_` and `.` only, as Chromium requires.
pub const HOST_NAME: &str = "dev.logout_lens.collector";

/// The manifest's `description`.
pub const HOST_DESCRIPTION: &str = "Logout Lens collector: stores the extension's events locally";

/// The host manifest for one family, pointing at `exe`.
///
/// Linux and macOS browsers refuse a relative `path`, so one is an error here
/// rather than a silent "host not found" later.
pub fn host_manifest(family: Family, exe: &Path) -> Result<Value, ManifestError> {
    if !exe.is_absolute() && !cfg!(windows) {
        return Err(ManifestError::RelativeExe(exe.to_path_buf()));
    }
    let path = exe
        .to_str()
        .ok_or_else(|| ManifestError::NonUtf8Path(exe.to_path_buf()))?;
    let mut m = json!({
        "name": HOST_NAME,
        "description": HOST_DESCRIPTION,
        "path": path,
        "type": "stdio",
    });
    match family {
        Family::Chromium => m["allowed_origins"] = json!(chromium_origins()),
        Family::Firefox => m["allowed_extensions"] = json!([FIREFOX_ADDON_ID]),
    }
    Ok(m)
}

/// Who started the host, judged from its command line: Chromium passes the
/// caller origin as the first argument; Firefox passes the manifest path and
/// then the add-on id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// `chrome-extension://<id>/`.
    Chromium(String),
    /// A Firefox add-on id.
    Firefox(String),
}

impl Caller {
    /// Finds the caller in the host's arguments (without `argv[0]`), or `None`
    /// when the host was started from a shell.
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Option<Caller> {
        let first = args.first()?.as_ref();
        if first.starts_with("chrome-extension://") {
            return Some(Caller::Chromium(first.to_owned()));
        }
        // Firefox: <manifest path> <addon id>; the manifest path ends in .json.
        if first.ends_with(".json") {
            let id = args.get(1)?.as_ref();
            if !id.is_empty() && !id.starts_with('-') {
                return Some(Caller::Firefox(id.to_owned()));
            }
        }
        None
    }

    /// Whether this caller is the Logout Lens extension.
    pub fn is_allowed(&self) -> bool {
        match self {
            Caller::Chromium(origin) => chromium_origins()
                .iter()
                .any(|o| origin.trim_end_matches('/') == o.trim_end_matches('/')),
            Caller::Firefox(id) => id == FIREFOX_ADDON_ID,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::chromium_origin;

    #[test]
    fn relative_exe_is_refused() {
        assert!(matches!(
            host_manifest(Family::Chromium, Path::new("bin/logout-lens")),
            Err(ManifestError::RelativeExe(_))
        ));
    }

    #[test]
    fn callers_from_args() {
        let origin = chromium_origin();
        let cases: &[(&[&str], Option<bool>)] = &[
            (&[origin.as_str()], Some(true)),
            (&[origin.as_str(), "--parent-window=0"], Some(true)),
            (
                &["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"],
                Some(false),
            ),
            (
                &[
                    "/home/u/.mozilla/native-messaging-hosts/x.json",
                    FIREFOX_ADDON_ID,
                ],
                Some(true),
            ),
            (
                &[
                    "/home/u/.mozilla/native-messaging-hosts/x.json",
                    "evil@example.com",
                ],
                Some(false),
            ),
            (&["list"], None),
            (&[], None),
        ];
        for (args, want) in cases {
            assert_eq!(
                Caller::from_args(args).map(|c| c.is_allowed()),
                *want,
                "{args:?}"
            );
        }
    }
}
