//! Integration tests for `logout-lens-collector` (one binary; modules below).

mod collector {
    pub mod corpus;
    pub mod support;

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
