//! Integration tests for `logout-lens-collector` (one binary; modules below).

mod collector {
    pub mod support;

    mod browser;
    mod cli;
    mod export;
    mod framing;
    mod host_process;
    mod sites;
    mod snapshots;
}
