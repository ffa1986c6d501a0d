//! stub
pub mod config;
pub mod error;
pub mod keys;
pub mod sanitize;
pub mod store;
pub mod tokens;
