//! Where the database lives by default.

use std::path::PathBuf;

/// `$XDG_DATA_HOME/logout-lens/events.db` (Linux; `~/.local/share` when unset),
/// `~/Library/Application Support/logout-lens/events.db` (macOS),
/// `%LOCALAPPDATA%\logout-lens\events.db` (Windows).
pub fn default_db_path() -> Option<PathBuf> {
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
    Some(base.join("logout-lens").join("events.db"))
}

/// `LOGOUT_LENS_DB` if set, else [`default_db_path`].
pub fn db_path_from_env() -> Option<PathBuf> {
    std::env::var_os("LOGOUT_LENS_DB")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(default_db_path)
}
