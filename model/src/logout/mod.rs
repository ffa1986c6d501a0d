//! Why was I logged out? Per-event classification and the diagnosis engine.

mod cause;
mod classify;
mod diagnose;
mod facts;

pub use cause::{Cause, LogoutType};
pub use classify::{Signal, classify};
pub use diagnose::{DiagnoseOptions, Diagnosis, Finding, Target, diagnose, headline, logouts};
