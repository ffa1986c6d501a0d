//! The Logout Lens browser extension, below the JS glue.
//!
//! Every rule lives here and is tested natively: recognising credentials
//! ([`storage`]), request roles and exchanges ([`network`], fed by webRequest
//! or by the page hook through [`hooked`]), cookie-change
//! attribution ([`cookies`]), idle time and logout detection ([`core`]), the
//! logouts waiting for their cause ([`held`]),
//! redaction (the model's `Redactor`, applied before anything is queued) and
//! the relay to the native collector ([`relay`]). Only `wasm` and
//! `bindings` touch the browser (the service worker's module, feature
//! `worker`), and `ui::page` the popup's and options page's (feature
//! `page`); they compile only for wasm32.

pub mod cookies;
pub mod core;
pub mod error;
pub mod guard;
pub mod held;
pub mod hooked;
pub mod ids;
pub mod input;
pub mod jar;
pub mod limits;
pub mod network;
pub mod pages;
pub mod policy;
pub mod relay;
pub mod storage;
pub mod ui;
pub mod url;

#[cfg(all(target_arch = "wasm32", feature = "worker"))]
mod bindings;
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub mod wasm;

/// Both wasm modules allocate through talc, a small allocator for wasm32.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use crate::core::Core;
pub use error::ExtError;
pub use relay::Relay;
