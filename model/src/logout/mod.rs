//! Why was I logged out? Per-event classification and the diagnosis engine.

mod cause;
mod classify;
mod diagnose;
mod facts;
mod scope;

pub use cause::{Cause, LogoutType};
pub use classify::{Signal, classify};
pub use diagnose::{DiagnoseOptions, Diagnosis, Finding, diagnose, headline};
pub use scope::{Narrowed, Site, Target, logouts, narrow};
