//! The extension's UI logic: the badge countdown, the popup's debug panel,
//! the logout alert (notification and in-page overlay), the sign-in banner,
//! the options and the exported trace bundle. Everything here is plain data
//! in, serialisable view models out, tested natively; the HTML/CSS shells and
//! the thin renderers are in `static/` and `js/content/ui.js`.

pub mod alerting;
pub mod bundle;
pub mod collector;
pub mod options;
pub mod site;
pub mod view;

#[cfg(all(target_arch = "wasm32", feature = "page"))]
pub mod page;
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub mod wasm;
