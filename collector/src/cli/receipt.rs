//! The record of what `install` wrote (`<data_dir>/install.json`): every
//! host manifest with its registry keys, and the copy of the binary. With
//! it `uninstall` removes exactly that, including manifests in a
//! `--user-data-dir` it would not otherwise know about.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use logout_lens_manifest::{Browser, HOST_NAME, RegistryKey, Scope, Target};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Receipt {
    /// The copy `install` made of itself, if it made one.
    #[serde(default)]
    pub(crate) exe: Option<PathBuf>,
    #[serde(default)]
    pub(crate) manifests: Vec<Written>,
}

/// One host manifest `install` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Written {
    pub(crate) browser: String,
    pub(crate) scope: String,
    pub(crate) file: PathBuf,
    #[serde(default)]
    pub(crate) registry: Vec<Key>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Key {
    pub(crate) hive: String,
    pub(crate) path: String,
}

impl Written {
    pub(crate) fn of(t: &Target) -> Self {
        Written {
            browser: t.browser.as_str().to_owned(),
            scope: t.scope.as_str().to_owned(),
            file: t.file.clone(),
            registry: t
                .registry
                .iter()
                .map(|k| Key {
                    hive: k.hive.to_owned(),
                    path: k.path.clone(),
                })
                .collect(),
        }
    }

    /// The target to uninstall, or `None` for an entry that is not one of
    /// ours (a receipt is a file anyone can edit: only host manifests by our
    /// name and our registry keys are ever removed through it).
    pub(crate) fn target(&self) -> Option<Target> {
        let browser: Browser = self.browser.parse().ok()?;
        let scope: Scope = self.scope.parse().ok()?;
        let ours = self.file.file_name()? == format!("{HOST_NAME}.json").as_str();
        let registry = self
            .registry
            .iter()
            .map(|k| {
                let hive = match k.hive.as_str() {
                    "HKCU" => "HKCU",
                    "HKLM" => "HKLM",
                    _ => return None,
                };
                k.path
                    .ends_with(&format!("\\{HOST_NAME}"))
                    .then(|| RegistryKey {
                        hive,
                        path: k.path.clone(),
                    })
            })
            .collect::<Option<Vec<_>>>()?;
        ours.then(|| Target {
            browser,
            scope,
            file: self.file.clone(),
            alternates: Vec::new(),
            registry,
        })
    }
}

impl Receipt {
    /// The receipt at `path`; an absent one is empty, an unreadable one an error.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Receipt> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not an install record", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Receipt::default()),
            Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
        }
    }

    /// Writes the receipt atomically, or removes it when it records nothing.
    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        if self.exe.is_none() && self.manifests.is_empty() {
            return match fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).with_context(|| format!("remove {}", path.display()))
                }
                _ => Ok(()),
            };
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut text = serde_json::to_vec_pretty(self)?;
        text.push(b'\n');
        fs::write(&tmp, text).with_context(|| format!("write {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("rename {}", path.display()))
    }

    /// Records one browser's manifest (several browsers can share a file).
    pub(crate) fn remember(&mut self, w: Written) {
        self.manifests
            .retain(|m| !(m.file == w.file && m.browser == w.browser));
        self.manifests.push(w);
    }

    pub(crate) fn forget(&mut self, browser: &str, file: &Path) {
        self.manifests
            .retain(|m| !(m.file == file && m.browser == browser));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(file: &str, key: Option<(&str, &str)>) -> Written {
        Written {
            browser: "chrome".into(),
            scope: "user".into(),
            file: file.into(),
            registry: key
                .map(|(hive, path)| Key {
                    hive: hive.into(),
                    path: path.into(),
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn only_our_files_and_keys_become_targets() {
        let ours = format!("/h/.config/google-chrome/NativeMessagingHosts/{HOST_NAME}.json");
        let key = format!("Software\\Google\\Chrome\\NativeMessagingHosts\\{HOST_NAME}");
        let cases = [
            (written(&ours, None), true),
            (written(&ours, Some(("HKCU", &key))), true),
            (written("/home/u/.bashrc", None), false),
            (
                written(&ours, Some(("HKCU", "Software\\Microsoft\\Windows"))),
                false,
            ),
            (written(&ours, Some(("HKCR", &key))), false),
        ];
        for (w, want) in cases {
            assert_eq!(w.target().is_some(), want, "{w:?}");
        }
        let mut bad = written(&ours, None);
        bad.browser = "netscape".into();
        assert!(bad.target().is_none());
    }

    #[test]
    fn save_load_forget_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d/install.json");
        assert!(Receipt::load(&path).unwrap().manifests.is_empty());
        let mut r = Receipt::default();
        r.remember(written("/a.json", None));
        r.remember(written("/a.json", None));
        r.remember(written("/b.json", None));
        // Another browser sharing a file (Windows, a --user-data-dir) is its own entry.
        let mut brave = written("/a.json", None);
        brave.browser = "brave".into();
        r.remember(brave);
        assert_eq!(r.manifests.len(), 3);
        r.save(&path).unwrap();
        let mut back = Receipt::load(&path).unwrap();
        assert_eq!(back.manifests, r.manifests);
        back.forget("chrome", Path::new("/a.json"));
        assert_eq!(back.manifests.len(), 2);
        back.forget("brave", Path::new("/a.json"));
        back.forget("chrome", Path::new("/b.json"));
        back.save(&path).unwrap();
        assert!(!path.exists(), "an empty record is removed");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "not json").unwrap();
        assert!(Receipt::load(&path).is_err());
    }
}
