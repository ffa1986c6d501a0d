//! The model crate's one integration-test binary.

mod model {
    mod fixtures;
    mod props;
    mod protocol;
    mod redact;
    mod sdk_fixtures;
    mod sites;
}
