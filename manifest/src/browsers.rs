//! Which browsers, operating systems and scopes exist, and where each one
//! looks for native-messaging host manifests.
//!
//! The directory templates come from the `native_messaging` crate's data table
//! (`browsers.toml`, all operating systems at once); this module adds only what
//! that table lacks (Brave's second Windows registry key, which installers
//! disagree on, so both are written).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use native_messaging::install::paths as nm;
use serde::Serialize;

use crate::ManifestError;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The lowercase name used on the command line and in tables.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ManifestError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.to_ascii_lowercase().as_str() {
                    $($s => Ok($name::$variant),)+
                    _ => Err(ManifestError::UnknownName {
                        what: $what,
                        value: s.to_owned(),
                        expected: concat!($($s, " "),+),
                    }),
                }
            }
        }
    };
}

named_enum!(
    /// A supported browser.
    Browser, "browser", {
        /// Google Chrome.
        Chrome => "chrome",
        /// Chromium (Debian's `chromium`, the tests' browser).
        Chromium => "chromium",
        /// Microsoft Edge.
        Edge => "edge",
        /// Brave.
        Brave => "brave",
        /// Firefox (and Firefox ESR).
        Firefox => "firefox",
    }
);

named_enum!(
    /// An operating system with a known manifest layout.
    Os, "os", {
        /// Linux (and other freedesktop systems).
        Linux => "linux",
        /// macOS.
        Macos => "macos",
        /// Windows (host manifests are found through the registry).
        Windows => "windows",
    }
);

named_enum!(
    /// Per-user or machine-wide installation.
    Scope, "scope", {
        /// For the current user only, under their home folder.
        User => "user",
        /// For every user of the machine (needs administrator rights).
        System => "system",
    }
);

/// The two manifest dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Chrome, Chromium, Edge, Brave: `allowed_origins`, `key`, service worker.
    Chromium,
    /// Firefox: `allowed_extensions`, gecko id, background scripts.
    Firefox,
}

impl Browser {
    /// The manifest dialect this browser speaks.
    pub fn family(self) -> Family {
        match self {
            Browser::Firefox => Family::Firefox,
            _ => Family::Chromium,
        }
    }

    /// The key of this browser in the `native_messaging` crate's table.
    fn table_key(self) -> &'static str {
        self.as_str()
    }
}

impl Os {
    /// The OS this binary was built for, if it is one we know.
    pub fn current() -> Option<Os> {
        if cfg!(target_os = "linux") {
            Some(Os::Linux)
        } else if cfg!(target_os = "macos") {
            Some(Os::Macos)
        } else if cfg!(target_os = "windows") {
            Some(Os::Windows)
        } else {
            None
        }
    }
}

/// A Windows registry key whose default value must hold the manifest path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryKey {
    /// `HKCU` or `HKLM`.
    pub hive: &'static str,
    /// The key path below the hive, with the host name filled in.
    pub path: String,
}

/// One row of the location table, with templates still unresolved
/// (`{HOME}`, `{LOCALAPPDATA}`, `{APPDATA}`, `{PROGRAMDATA}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocationRow {
    /// The browser this row is for.
    pub browser: Browser,
    /// The operating system this row is for.
    pub os: Os,
    /// Per-user or machine-wide.
    pub scope: Scope,
    /// The directory template the browser reads host manifests from.
    pub dir: String,
    /// Further directories the browser also reads (checked by `doctor`, cleaned by uninstall).
    pub alternate_dirs: Vec<String>,
    /// Windows only: registry keys pointing at the manifest file.
    pub registry: Vec<RegistryKey>,
}

/// The location row for one browser, OS and scope, or `None` when the browser
/// has no such location.
pub fn location(
    browser: Browser,
    os: Os,
    scope: Scope,
    host_name: &str,
) -> Result<Option<LocationRow>, ManifestError> {
    let cfg = table_entry(browser)?;
    let scopes = match os {
        Os::Linux => cfg.paths.linux.as_ref(),
        Os::Macos => cfg.paths.macos.as_ref(),
        Os::Windows => cfg.paths.windows.as_ref(),
    };
    let entry = scopes.and_then(|s| match scope {
        Scope::User => s.user.as_ref(),
        Scope::System => s.system.as_ref(),
    });
    let Some(entry) = entry else { return Ok(None) };
    let registry = if os == Os::Windows && cfg.windows_registry {
        registry_keys(browser, cfg, scope, host_name)
    } else {
        Vec::new()
    };
    Ok(Some(LocationRow {
        browser,
        os,
        scope,
        dir: entry.dir.clone(),
        alternate_dirs: entry.alternate_dirs.clone(),
        registry,
    }))
}

/// The whole table: every browser × OS × scope that has a location.
pub fn location_table(host_name: &str) -> Result<Vec<LocationRow>, ManifestError> {
    let mut rows = Vec::new();
    for &browser in Browser::ALL {
        for &os in Os::ALL {
            for &scope in Scope::ALL {
                rows.extend(location(browser, os, scope, host_name)?);
            }
        }
    }
    Ok(rows)
}

fn table_entry(browser: Browser) -> Result<&'static nm::BrowserCfg, ManifestError> {
    nm::browser_cfg(browser.table_key()).map_err(|e| ManifestError::Table(e.to_string()))
}

fn registry_keys(
    browser: Browser,
    cfg: &nm::BrowserCfg,
    scope: Scope,
    host_name: &str,
) -> Vec<RegistryKey> {
    let reg = cfg.windows.as_ref().and_then(|w| w.registry.as_ref());
    let (hive, template) = match scope {
        Scope::User => ("HKCU", reg.and_then(|r| r.hkcu_key_template.as_ref())),
        Scope::System => ("HKLM", reg.and_then(|r| r.hklm_key_template.as_ref())),
    };
    let mut keys: Vec<RegistryKey> = template
        .map(|t| RegistryKey {
            hive,
            path: t.replace("{name}", host_name),
        })
        .into_iter()
        .collect();
    if browser == Browser::Brave {
        // Some Brave builds read Chrome's key instead of their own.
        keys.push(RegistryKey {
            hive,
            path: format!("Software\\Google\\Chrome\\NativeMessagingHosts\\{host_name}"),
        });
    }
    keys
}

/// The base directories the location templates refer to. Taking them as data
/// (instead of reading the environment) lets tests and packagers install into
/// any tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseDirs {
    /// `{HOME}`.
    pub home: Option<PathBuf>,
    /// `{LOCALAPPDATA}` (Windows).
    pub local_app_data: Option<PathBuf>,
    /// `{APPDATA}` (Windows).
    pub app_data: Option<PathBuf>,
    /// `{PROGRAMDATA}` (Windows).
    pub program_data: Option<PathBuf>,
    /// `{PROGRAMFILES}` (Windows; where browsers are installed, see [`crate::detect`]).
    pub program_files: Option<PathBuf>,
    /// `{PROGRAMFILES(X86)}` (Windows).
    pub program_files_x86: Option<PathBuf>,
    /// Prefix for absolute system paths (`/etc/...`), like a packager's `DESTDIR`.
    pub root: Option<PathBuf>,
}

impl BaseDirs {
    /// Base directories from the process environment.
    pub fn from_env() -> Self {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        BaseDirs {
            home: var("HOME").or_else(|| var("USERPROFILE")),
            local_app_data: var("LOCALAPPDATA"),
            app_data: var("APPDATA"),
            program_data: var("PROGRAMDATA"),
            program_files: var("ProgramFiles"),
            program_files_x86: var("ProgramFiles(x86)"),
            root: None,
        }
    }

    /// Only a home directory (enough for every Linux and macOS user location).
    pub fn with_home(home: impl Into<PathBuf>) -> Self {
        BaseDirs {
            home: Some(home.into()),
            ..Default::default()
        }
    }

    /// Fills a template such as `{HOME}/.config/chromium/NativeMessagingHosts`.
    pub fn resolve(&self, template: &str) -> Result<PathBuf, ManifestError> {
        let vars: [(&'static str, &Option<PathBuf>); 6] = [
            ("{HOME}", &self.home),
            ("{LOCALAPPDATA}", &self.local_app_data),
            ("{APPDATA}", &self.app_data),
            ("{PROGRAMDATA}", &self.program_data),
            ("{PROGRAMFILES}", &self.program_files),
            ("{PROGRAMFILES(X86)}", &self.program_files_x86),
        ];
        let mut out = template.to_owned();
        for (token, value) in vars {
            if out.contains(token) {
                let value = value
                    .as_ref()
                    .ok_or_else(|| ManifestError::MissingBaseDir(token, template.to_owned()))?;
                let value = value
                    .to_str()
                    .ok_or_else(|| ManifestError::NonUtf8Path(value.clone()))?;
                out = out.replace(token, value);
            }
        }
        let path = PathBuf::from(out);
        Ok(match (&self.root, path.is_absolute()) {
            (Some(root), true) if !template.starts_with('{') => {
                root.join(path.strip_prefix("/").unwrap_or(&path))
            }
            _ => path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Browser::ALL {
            assert_eq!(b.as_str().parse::<Browser>().unwrap(), *b);
        }
        assert!("netscape".parse::<Browser>().is_err());
        assert_eq!("USER".parse::<Scope>().unwrap(), Scope::User);
    }

    #[test]
    fn every_browser_has_a_linux_user_location() {
        for b in Browser::ALL {
            let row = location(*b, Os::Linux, Scope::User, "x.y")
                .unwrap()
                .unwrap();
            assert!(row.dir.starts_with("{HOME}/"), "{row:?}");
            assert!(row.registry.is_empty());
        }
    }

    #[test]
    fn windows_rows_carry_registry_keys() {
        let row = location(Browser::Brave, Os::Windows, Scope::User, "h")
            .unwrap()
            .unwrap();
        assert_eq!(row.registry.len(), 2);
        assert!(
            row.registry
                .iter()
                .all(|k| k.hive == "HKCU" && k.path.ends_with("\\h"))
        );
    }

    #[test]
    fn resolve_fills_and_roots() {
        let dirs = BaseDirs {
            root: Some("/tmp/r".into()),
            ..BaseDirs::with_home("/h")
        };
        assert_eq!(
            dirs.resolve("{HOME}/.mozilla").unwrap(),
            PathBuf::from("/h/.mozilla")
        );
        assert_eq!(
            dirs.resolve("/etc/chromium").unwrap(),
            PathBuf::from("/tmp/r/etc/chromium")
        );
        assert!(matches!(
            BaseDirs::default().resolve("{HOME}/x"),
            Err(ManifestError::MissingBaseDir("{HOME}", _))
        ));
    }
}
