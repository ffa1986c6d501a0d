//! Which browsers are installed: the commands each one puts on `PATH` and
//! the folders its installers use, per operating system.
//!
//! A browser's profile folder is no evidence (installing the host creates
//! `~/.config/<browser>/NativeMessagingHosts` for a browser that may never
//! come), so only the program itself counts.

use std::path::{Path, PathBuf};

use crate::browsers::{BaseDirs, Browser, Os};

/// Where a browser's program may be: commands looked up on `PATH`, then
/// path templates (`{HOME}`, `{LOCALAPPDATA}`, `{PROGRAMFILES}`,
/// `{PROGRAMFILES(X86)}`, or absolute). macOS `.app` bundles are folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates {
    /// Program names looked up on `PATH`.
    pub commands: &'static [&'static str],
    /// Path templates checked after `PATH`.
    pub paths: &'static [&'static str],
}

/// The candidates for one browser on one OS.
pub fn candidates(browser: Browser, os: Os) -> Candidates {
    let (commands, paths): (&'static [&'static str], &'static [&'static str]) = match (browser, os)
    {
        (Browser::Chrome, Os::Linux) => (
            &["google-chrome", "google-chrome-stable"],
            &["/opt/google/chrome/chrome"],
        ),
        (Browser::Chromium, Os::Linux) => (
            &["chromium", "chromium-browser"],
            &["/usr/lib/chromium/chromium", "/snap/bin/chromium"],
        ),
        (Browser::Edge, Os::Linux) => (
            &["microsoft-edge", "microsoft-edge-stable"],
            &["/opt/microsoft/msedge/msedge"],
        ),
        (Browser::Brave, Os::Linux) => (
            &["brave-browser", "brave"],
            &["/opt/brave.com/brave/brave", "/snap/bin/brave"],
        ),
        (Browser::Firefox, Os::Linux) => (
            &["firefox", "firefox-esr"],
            &[
                "/usr/lib/firefox/firefox",
                "/usr/lib/firefox-esr/firefox-esr",
                "/snap/bin/firefox",
            ],
        ),
        (Browser::Chrome, Os::Macos) => (
            &[],
            &[
                "/Applications/Google Chrome.app",
                "{HOME}/Applications/Google Chrome.app",
            ],
        ),
        (Browser::Chromium, Os::Macos) => (
            &[],
            &[
                "/Applications/Chromium.app",
                "{HOME}/Applications/Chromium.app",
            ],
        ),
        (Browser::Edge, Os::Macos) => (
            &[],
            &[
                "/Applications/Microsoft Edge.app",
                "{HOME}/Applications/Microsoft Edge.app",
            ],
        ),
        (Browser::Brave, Os::Macos) => (
            &[],
            &[
                "/Applications/Brave Browser.app",
                "{HOME}/Applications/Brave Browser.app",
            ],
        ),
        (Browser::Firefox, Os::Macos) => (
            &[],
            &[
                "/Applications/Firefox.app",
                "{HOME}/Applications/Firefox.app",
            ],
        ),
        (Browser::Chrome, Os::Windows) => (
            &[],
            &[
                "{PROGRAMFILES}\\Google\\Chrome\\Application\\chrome.exe",
                "{PROGRAMFILES(X86)}\\Google\\Chrome\\Application\\chrome.exe",
                "{LOCALAPPDATA}\\Google\\Chrome\\Application\\chrome.exe",
            ],
        ),
        (Browser::Chromium, Os::Windows) => (
            &[],
            &[
                "{LOCALAPPDATA}\\Chromium\\Application\\chrome.exe",
                "{PROGRAMFILES}\\Chromium\\Application\\chrome.exe",
            ],
        ),
        (Browser::Edge, Os::Windows) => (
            &[],
            &[
                "{PROGRAMFILES(X86)}\\Microsoft\\Edge\\Application\\msedge.exe",
                "{PROGRAMFILES}\\Microsoft\\Edge\\Application\\msedge.exe",
            ],
        ),
        (Browser::Brave, Os::Windows) => (
            &[],
            &[
                "{PROGRAMFILES}\\BraveSoftware\\Brave-Browser\\Application\\brave.exe",
                "{PROGRAMFILES(X86)}\\BraveSoftware\\Brave-Browser\\Application\\brave.exe",
                "{LOCALAPPDATA}\\BraveSoftware\\Brave-Browser\\Application\\brave.exe",
            ],
        ),
        (Browser::Firefox, Os::Windows) => (
            &[],
            &[
                "{PROGRAMFILES}\\Mozilla Firefox\\firefox.exe",
                "{PROGRAMFILES(X86)}\\Mozilla Firefox\\firefox.exe",
                "{LOCALAPPDATA}\\Mozilla Firefox\\firefox.exe",
            ],
        ),
    };
    Candidates { commands, paths }
}

/// What a search looks at: the base directories and the `PATH` folders.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The base directories the path templates resolve against.
    pub dirs: BaseDirs,
    /// The folders of `PATH`, in order.
    pub path: Vec<PathBuf>,
}

impl Probe {
    /// The process environment's base directories and `PATH`.
    pub fn from_env() -> Self {
        Probe {
            dirs: BaseDirs::from_env(),
            path: std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect())
                .unwrap_or_default(),
        }
    }

    /// Where `browser` is installed on `os`, or `None` when no candidate exists.
    pub fn find(&self, browser: Browser, os: Os) -> Option<PathBuf> {
        let c = candidates(browser, os);
        let on_path = c.commands.iter().find_map(|name| {
            self.path
                .iter()
                .map(|dir| dir.join(name))
                .find(|p| is_program(p))
        });
        on_path.or_else(|| {
            c.paths
                .iter()
                // A template whose base directory is unknown names no place.
                .filter_map(|t| self.dirs.resolve(t).ok())
                .find(|p| p.exists())
        })
    }
}

#[cfg(unix)]
fn is_program(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_program(p: &Path) -> bool {
    p.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_browser_has_candidates_on_every_os() {
        for &b in Browser::ALL {
            for &os in Os::ALL {
                let c = candidates(b, os);
                assert!(!c.commands.is_empty() || !c.paths.is_empty(), "{b} {os}");
                for t in c.paths {
                    let windows = t.contains('\\');
                    assert_eq!(windows, os == Os::Windows, "{t}");
                }
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn commands_on_path_and_fixed_paths_are_found() {
        use std::os::unix::fs::PermissionsExt;
        let bin = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let probe = Probe {
            dirs: BaseDirs {
                root: Some(root.path().into()),
                ..BaseDirs::with_home(root.path().join("home"))
            },
            path: vec![bin.path().join("missing"), bin.path().into()],
        };
        assert_eq!(probe.find(Browser::Firefox, Os::Linux), None);

        // Not executable: not a program.
        let ff = bin.path().join("firefox-esr");
        std::fs::write(&ff, "#!/bin/sh\n").unwrap();
        assert_eq!(probe.find(Browser::Firefox, Os::Linux), None);
        std::fs::set_permissions(&ff, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(probe.find(Browser::Firefox, Os::Linux), Some(ff));

        // Chrome from its installer's folder, under the root prefix.
        let chrome = root.path().join("opt/google/chrome/chrome");
        std::fs::create_dir_all(chrome.parent().unwrap()).unwrap();
        std::fs::write(&chrome, "").unwrap();
        assert_eq!(probe.find(Browser::Chrome, Os::Linux), Some(chrome));

        // A macOS bundle under HOME is a folder.
        let app = root.path().join("home/Applications/Brave Browser.app");
        std::fs::create_dir_all(&app).unwrap();
        assert_eq!(probe.find(Browser::Brave, Os::Macos), Some(app));
        assert_eq!(probe.find(Browser::Edge, Os::Macos), None);
    }

    #[test]
    fn windows_templates_without_their_base_dir_are_skipped() {
        let probe = Probe::default();
        assert_eq!(probe.find(Browser::Edge, Os::Windows), None);
    }
}
