//! Integration tests for `logout-lens-collector` (one binary; modules below).

mod collector {
    pub mod corpus;
    pub mod support;

    // Headless Chromium through node: `--features browser-tests` (scripts/test.sh).
    #[cfg(feature = "browser-tests")]
    mod browser;
    mod cli;
    mod export;
    mod framing;
    mod host_process;
    mod hostile;
    mod scale;
    mod scan;
    mod sites;
    mod snapshots;
}

/// Without the `browser-tests` feature the headless-Chromium tests are not
/// compiled; this test says so in the list of tests run.
#[cfg(not(feature = "browser-tests"))]
#[test]
fn browser_tests_not_run_without_feature_browser_tests() {
    eprintln!(
        "the headless-Chromium tests (chromium, node, npm ci --prefix e2e) did not run: \
         cargo test -p logout-lens-collector --features browser-tests"
    );
}
