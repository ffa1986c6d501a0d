use thiserror::Error;

/// Every way the model can refuse its input. Nothing in this crate panics on
/// bad input; it returns one of these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    /// The bytes were not JSON, or not the JSON shape expected.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The envelope names a schema version this build does not understand.
    #[error("unsupported schema version {found} (this build speaks {supported})")]
    UnsupportedSchema { found: u64, supported: u32 },
    /// A known event kind whose body does not match its definition.
    #[error("invalid `{kind}` event: {reason}")]
    InvalidEvent { kind: String, reason: String },
    /// A required envelope field is missing or empty.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A JWT could not be decoded.
    #[error("jwt: {0}")]
    Jwt(#[from] crate::jwt::JwtError),
    /// The timeline holds no logout to diagnose.
    #[error("no logout in this timeline")]
    NoLogout,
    /// The requested logout id is not a logout event of this timeline.
    #[error("no logout event with id `{0}` in this timeline")]
    UnknownLogout(String),
    /// A redaction secret must be at least 16 bytes.
    #[error("redaction secret too short: {0} bytes, need at least 16")]
    WeakSecret(usize),
}

impl ModelError {
    /// A stable machine code, for protocols and logs.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::Json(_) => "bad_json",
            ModelError::UnsupportedSchema { .. } => "unsupported_schema",
            ModelError::InvalidEvent { .. } => "invalid_event",
            ModelError::MissingField(_) => "missing_field",
            ModelError::Jwt(_) => "bad_jwt",
            ModelError::NoLogout => "no_logout",
            ModelError::UnknownLogout(_) => "unknown_logout",
            ModelError::WeakSecret(_) => "weak_secret",
        }
    }
}
