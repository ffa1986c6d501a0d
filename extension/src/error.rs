//! The crate's one error type.

use logout_lens_model::host::ErrorCode;
use thiserror::Error;

/// Everything that can go wrong below the JS glue. None of it is fatal to the
/// extension: the worker logs the error and carries on with the next event.
#[derive(Debug, Error)]
pub enum ExtError {
    /// The glue (or a page, through the content script) passed something
    /// that is not an input of a known shape. Its text may hold what a page
    /// sent: the worker logs only that an input was bad.
    #[error("bad input: {0}")]
    BadInput(#[source] serde_json::Error),
    /// An input's text over `limits::PAGE_INPUT_BYTES` (not read).
    #[error("an input of {0} bytes, over the limit")]
    TooLarge(usize),
    /// A message from the collector that is not valid protocol.
    #[error("bad collector message: {0}")]
    BadHostMessage(#[source] serde_json::Error),
    /// The collector answered `hello` with a version this build does not speak.
    #[error("the collector speaks protocol version {0}")]
    HostVersion(u32),
    /// The collector refused something that was not a batch.
    #[error("the collector refused a request: {code:?}: {message}")]
    HostRefused { code: ErrorCode, message: String },
    /// The stored relay state could not be read back.
    #[error("bad stored state: {0}")]
    BadState(#[source] serde_json::Error),
    #[error(transparent)]
    Model(#[from] logout_lens_model::ModelError),
}
