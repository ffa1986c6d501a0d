//! Integration tests for `logout-lens-manifest`.

mod manifest {
    mod install;
    mod props;
    mod snapshots;
}
