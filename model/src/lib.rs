//! The pure shared brain of Logout Lens.
//!
//! Everything here is deterministic: no I/O, no clock reads (callers pass
//! `now_ms`), no randomness (ids and secrets are passed in). The same code runs
//! inside the browser extension (wasm32) and natively in the collector and the
//! server library.
//!
//! - [`event`]: the strict domain event types (schema v1).
//! - [`wire`]: the tolerant wire form and the seed app's report payload.
//! - [`jwt`]: JWT header/claims decoding (no signature check).
//! - [`creds`]: credentials and their expiries inside structured storage values (SDK layouts).
//! - [`redact`]: fingerprints, and the one scrubber for events, text, JSON, URLs and headers.
//! - [`host`]: the native-messaging protocol between the extension and the collector.
//! - [`http`]: small HTTP helpers (dates, `Set-Cookie`, `WWW-Authenticate`, request roles).
//! - [`logout`]: per-event classification and the diagnosis engine, which
//!   reads one logout's site only ([`narrow`]).

pub mod creds;
pub mod error;
pub mod event;
pub mod host;
pub mod http;
pub mod jwt;
pub mod logout;
pub mod redact;
pub mod time;
pub mod wire;

pub use error::ModelError;
pub use event::{Event, EventId, EventKind, SCHEMA_VERSION};
pub use logout::{
    Cause, DiagnoseOptions, Diagnosis, Finding, LogoutType, Narrowed, Signal, Site, Target,
    classify, diagnose, logouts, narrow,
};
pub use redact::{Fingerprint, RedactedToken, RedactionOptions, Redactor};
