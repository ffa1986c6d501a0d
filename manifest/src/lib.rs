#![deny(missing_docs)]
//! Manifests for Logout Lens, generated from data.
//!
//! - [`extension`]: the extension's `manifest.json` for the Chromium family and
//!   Firefox, from one [`ExtensionDescription`].
//! - [`key`]: the fixed public key that pins the Chromium extension id, and the
//!   Firefox add-on id.
//! - [`host`]: the native-messaging host manifest and caller checks.
//! - [`browsers`]: browsers, operating systems, scopes, and where each browser
//!   looks for host manifests (from the `native_messaging` crate's table).
//! - [`detect`]: which browsers are installed (their programs, not their profiles).
//! - [`install`](mod@install): writing, removing and inspecting host manifests under any
//!   base directory or Chromium `--user-data-dir`.

pub mod browsers;
pub mod detect;
mod error;
pub mod extension;
pub mod host;
pub mod install;
pub mod key;

pub use browsers::{
    BaseDirs, Browser, Family, LocationRow, Os, RegistryKey, Scope, location_table,
};
pub use detect::Probe;
pub use error::ManifestError;
pub use extension::{Command, ContentScript, ExtensionDescription, RunAt, World};
pub use host::{Caller, HOST_NAME, host_manifest};
pub use install::{Inspection, Target, inspect, install, target, uninstall, uninstall_keeping};
pub use key::{
    EXTENSION_ID, FIREFOX_ADDON_ID, PUBLIC_KEY_B64, STORE_EXTENSION_ID, chromium_extension_ids,
    chromium_origin, chromium_origins, extension_id, is_extension_id,
};
