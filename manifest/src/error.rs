use std::path::PathBuf;

use thiserror::Error;

/// Every way manifest generation or installation can fail.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The key material is not base64 or not a DER public key.
    #[error("invalid extension key: {0}")]
    BadKey(String),
    /// Browsers refuse relative host paths on Linux and macOS.
    #[error("host executable path must be absolute: {0}")]
    RelativeExe(PathBuf),
    /// Manifests are JSON strings; a non-UTF-8 path cannot be written into one.
    #[error("path is not valid UTF-8: {0}")]
    NonUtf8Path(PathBuf),
    /// The browser has no host-manifest location for this OS and scope.
    #[error("{browser} has no {scope} native-messaging location on {os}")]
    Unsupported {
        /// The browser asked for.
        browser: &'static str,
        /// The operating system asked for.
        os: &'static str,
        /// The scope asked for.
        scope: &'static str,
    },
    /// `--user-data-dir` only exists for the Chromium family.
    #[error("--user-data-dir applies to Chromium-family browsers only, not {0}")]
    UserDataDirNotSupported(&'static str),
    /// A location template needs a base directory that was not given.
    #[error("base directory {0} is not set (needed for {1})")]
    MissingBaseDir(&'static str, String),
    /// The `native_messaging` crate's location table could not be read.
    #[error("browser location table: {0}")]
    Table(String),
    /// An unknown browser, OS or scope name.
    #[error("unknown {what} `{value}` (expected one of: {expected})")]
    UnknownName {
        /// What was named: `browser`, `os` or `scope`.
        what: &'static str,
        /// The name given.
        value: String,
        /// The names accepted, space-separated.
        expected: &'static str,
    },
    /// Reading or writing a manifest file failed.
    #[error("{op} {path}")]
    Io {
        /// What was being done (`read`, `write`, `remove`, …).
        op: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a Windows registry entry failed.
    #[error("registry {key}")]
    Registry {
        /// The registry key.
        key: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn io_err(
    op: &'static str,
    path: &std::path::Path,
) -> impl FnOnce(std::io::Error) -> ManifestError {
    let path = path.to_path_buf();
    move |source| ManifestError::Io { op, path, source }
}
