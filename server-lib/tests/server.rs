//! End-to-end tests over real HTTP on 127.0.0.1 against real SQLite files and, with the
//! `postgres` feature (`scripts/test.sh` turns it on), a real PostgreSQL server (Debian
//! package `postgresql`, started per test binary).

#[path = "server/harness.rs"]
mod harness;

#[path = "server/cors.rs"]
mod cors;
#[path = "server/jwks.rs"]
mod jwks;
#[path = "server/login_limits.rs"]
mod login_limits;
#[path = "server/logout_event.rs"]
mod logout_event;
#[cfg(feature = "postgres")]
#[path = "server/pg_cluster.rs"]
mod pg_cluster;
#[cfg(feature = "postgres")]
#[path = "server/pg_shared.rs"]
mod pg_shared;
#[path = "server/rotation.rs"]
mod rotation;
#[path = "server/secrets.rs"]
mod secrets;
#[path = "server/session.rs"]
mod session;
#[path = "server/snapshots.rs"]
mod snapshots;
#[path = "server/store_contract.rs"]
mod store_contract;

/// Without the `postgres` feature the PostgreSQL half of the suite is not compiled; this test
/// says so in the list of tests run.
#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_tests_not_run_without_feature_postgres() {
    eprintln!(
        "the PostgreSQL store tests did not run: cargo test -p logout-lens-server --features postgres"
    );
}
