//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong below the JS glue. None of it is fatal to the
/// extension: the worker logs the error and carries on with the next event.
#[derive(Debug, Error)]
pub enum ExtError {
    /// The glue (or a page, through the content script) passed something that
    /// is not the shape the named input expects.
    #[error("bad `{input}` input: {message}")]
    BadInput { input: String, message: String },
    /// An input name this build does not handle.
    #[error("unknown input `{0}`")]
    UnknownInput(String),
    /// A message from the collector that is not valid protocol.
    #[error("bad collector message: {0}")]
    BadHostMessage(String),
    /// The stored relay state could not be read back.
    #[error("bad stored state: {0}")]
    BadState(String),
    #[error(transparent)]
    Model(#[from] logout_lens_model::ModelError),
}

impl ExtError {
    pub(crate) fn bad_input(input: &str, e: impl std::fmt::Display) -> Self {
        ExtError::BadInput {
            input: input.to_owned(),
            message: e.to_string(),
        }
    }
}
