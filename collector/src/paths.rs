//! Where the collector keeps its files by default: one per-user folder
//! holding the database, the installed copy of the binary and the record of
//! what `install` wrote.

use std::path::PathBuf;

/// The per-user folder: `$XDG_DATA_HOME/logout-lens` (Linux; `~/.local/share`
/// when unset), `~/Library/Application Support/logout-lens` (macOS),
/// `%LOCALAPPDATA%\logout-lens` (Windows).
pub fn data_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library/Application Support"))
    } else {
        var("XDG_DATA_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| var("HOME").map(|h| h.join(".local/share")))
    }?;
    Some(base.join("logout-lens"))
}

/// `<data_dir>/events.db`.
pub fn default_db_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("events.db"))
}

/// `LOGOUT_LENS_DB` if set, else [`default_db_path`].
pub fn db_path_from_env() -> Option<PathBuf> {
    std::env::var_os("LOGOUT_LENS_DB")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(default_db_path)
}

/// Where `install` copies the binary so the browsers' host manifests keep
/// working when the download folder is moved or deleted:
/// `<data_dir>/bin/logout-lens` (`logout-lens.exe` on Windows).
pub fn installed_exe_path() -> Option<PathBuf> {
    data_dir().map(|d| {
        d.join("bin")
            .join(format!("logout-lens{}", std::env::consts::EXE_SUFFIX))
    })
}

/// The record of every file and registry key `install` wrote, which
/// `uninstall` removes: `<data_dir>/install.json`.
pub fn receipt_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("install.json"))
}
