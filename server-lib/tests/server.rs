//! End-to-end tests over real HTTP on 127.0.0.1 against real SQLite files.

#[path = "server/harness.rs"]
mod harness;

#[path = "server/cors.rs"]
mod cors;
#[path = "server/jwks.rs"]
mod jwks;
#[path = "server/logout_event.rs"]
mod logout_event;
#[path = "server/rotation.rs"]
mod rotation;
#[path = "server/secrets.rs"]
mod secrets;
#[path = "server/session.rs"]
mod session;
#[path = "server/snapshots.rs"]
mod snapshots;
