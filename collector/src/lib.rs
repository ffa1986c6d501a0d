//! The Logout Lens collector: native-messaging host, SQLite store, exports.
//!
//! - [`protocol`]: the host's wire messages and stable error codes.
//! - [`host`]: the host loop over any `Read`/`Write`.
//! - [`store`]: the SQLite event store (WAL, migrations, idempotent batches, retention).
//! - [`scrub`]: export-time re-redaction of anything that escaped the extension.
//! - [`export`]: trace bundles and HAR 1.2.
//! - [`report`]: the self-contained HTML report.
//! - [`validate`]: checking incoming events (a fast path held to the model's verdicts).
//! - [`units`]: durations, times and sizes as typed on the command line.

pub mod error;
pub mod export;
pub mod host;
pub mod paths;
pub mod protocol;
pub mod report;
pub mod scrub;
pub mod store;
pub mod units;
pub mod validate;

pub use error::{CollectorError, Result};
