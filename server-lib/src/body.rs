//! Reading request bodies with a size cap and JSON errors instead of axum's plain-text rejections.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use crate::error::ServerError;

/// Read at most `limit` bytes; more is a 413 whether or not `Content-Length` announced it.
pub(crate) async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ServerError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(ServerError::TooLarge { limit });
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ServerError::TooLarge { limit })
}

/// Parse a JSON body, mapping every failure to a 400 with code `malformed`.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ServerError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ServerError::bad_request(
            "malformed",
            "request body is empty",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ServerError::bad_request("malformed", format!("invalid JSON body: {e}")))
}
