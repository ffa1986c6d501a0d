//! The Logout Lens collector: native-messaging host, SQLite store, exports.
//!
//! - [`protocol`]: the host's wire messages and stable error codes.
//! - [`host`]: the host loop over any `Read`/`Write`.
//! - [`store`]: the SQLite event store (WAL, migrations, idempotent batches, retention,
//!   private files, read-only opens).
//! - [`export`]: trace bundles and HAR 1.2.
//! - [`report`]: the self-contained HTML report.
//! - [`validate`]: checking and scrubbing incoming events (a fast path held to the model's verdicts).
//! - [`term`]: escaping event data for terminals.
//!
//! Redaction is the model's [`logout_lens_model::Redactor`], applied on ingest,
//! on import and again on export.
//! - [`units`]: durations, times and sizes as typed on the command line.

pub mod error;
pub mod export;
pub mod host;
pub mod paths;
pub mod protocol;
pub mod report;
pub mod store;
pub mod term;
pub mod units;
pub mod validate;

pub use error::{CollectorError, Result};
