use std::path::PathBuf;

use thiserror::Error;

/// Every way the collector library can fail.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CollectorError {
    /// SQLite refused an operation. One line: SQLite's own message (the
    /// caller names the file).
    #[error("{}", sqlite_message(.0))]
    Db(rusqlite::Error),
    /// The file exists but holds no Logout Lens database.
    #[error("{0}: not a Logout Lens database (no schema)")]
    NotADatabase(PathBuf),
    /// The database was written by a newer build.
    #[error(
        "database schema version {found} is newer than this build ({supported}); upgrade logout-lens"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    /// Reading or writing a file failed.
    #[error("{op} {path}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Native-messaging framing failed on a broken pipe or similar.
    #[error("native messaging: {0}")]
    Framing(String),
    /// A stored or imported event could not be read.
    #[error("event: {0}")]
    Model(#[from] logout_lens_model::ModelError),
    /// JSON (de)serialization of our own data failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A file to import is not a trace bundle or timeline.
    #[error("not a Logout Lens trace: {0}")]
    BadImport(String),
    /// A value given on the command line could not be parsed.
    #[error("{0}")]
    BadArgument(String),
    /// No event with that id.
    #[error("no event with id `{0}`")]
    NotFound(String),
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
}

impl From<rusqlite::Error> for CollectorError {
    fn from(e: rusqlite::Error) -> Self {
        CollectorError::Db(e)
    }
}

/// rusqlite's message without the code it repeats as its source
/// (`unable to open database file: Error code 14: Unable to open …`).
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqliteFailure(code, None) => error_name(code.code).to_owned(),
        other => other.to_string(),
    }
}

fn error_name(code: rusqlite::ErrorCode) -> &'static str {
    use rusqlite::ErrorCode as C;
    match code {
        C::CannotOpen => "unable to open database file",
        C::PermissionDenied => "permission denied",
        C::ReadOnly => "read-only",
        C::DatabaseBusy | C::DatabaseLocked => "busy",
        C::DatabaseCorrupt => "corrupt",
        C::NotADatabase => "not a database",
        C::DiskFull => "disk full",
        C::SystemIoFailure => "I/O error",
        _ => "SQLite error",
    }
}

impl CollectorError {
    pub(crate) fn io(
        op: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| CollectorError::Io { op, path, source }
    }
}

/// Shorthand for collector results.
pub type Result<T, E = CollectorError> = std::result::Result<T, E>;
