//! Credentials inside structured storage values.
//!
//! Most single-page apps keep their tokens as one JSON object per storage key
//! (oidc-client-ts, Auth0, MSAL, Firebase, Supabase, Okta), or as raw JWTs
//! under keys that name them (Amplify/Cognito). [`find`] reads one storage
//! entry (key + value) and reports every credential in it: its kind, where it
//! sits (JSON Pointer), its raw value — for the caller to redact at once — and
//! its expiry when the value or the token says.
//!
//! Pure and bounded: the value's size, the depth walked and the number of
//! nodes visited and credentials reported all have limits ([`Limits`]); a
//! value past them is refused or cut short, never a panic.

mod layout;
mod walk;

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use crate::jwt::TokenKind;
pub use layout::Layout;

/// How much work one storage value may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Values longer than this (bytes) are refused unread.
    pub max_bytes: usize,
    /// Objects and arrays nested deeper than this are not entered.
    pub max_depth: usize,
    /// At most this many JSON nodes are visited.
    pub max_nodes: usize,
    /// At most this many credentials are reported.
    pub max_credentials: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // The largest real value seen (a Firebase user with its provider data,
        // an MSAL account) is a few KB; SDK objects nest 2–4 levels deep.
        Limits {
            max_bytes: 128 * 1024,
            max_depth: 16,
            max_nodes: 4096,
            max_credentials: 16,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CredsError {
    #[error("storage value is {len} bytes, over the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    /// The value looks like a JSON object or array but does not parse.
    #[error("storage value is not valid JSON: {0}")]
    Json(String),
}

/// How an epoch time was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Seconds,
    Millis,
}

/// Where a credential's expiry came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum ExpirySource {
    /// An absolute time stored beside the token (`expires_at`, `expiresAt`,
    /// `expirationTime`, `expiresOn`, `exp`, …), number or digit string.
    Field { path: String, unit: TimeUnit },
    /// A lifetime (`expires_in`, `refresh_expires_in`) counted from the time
    /// the value was stored, which the caller passed.
    Lifetime { path: String },
    /// The token's own `exp` claim (JWTs).
    Jwt,
}

/// One credential found in a storage value.
///
/// `value` is the raw secret: redact it before it goes anywhere. `Debug`
/// prints its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub kind: TokenKind,
    /// JSON Pointer (RFC 6901) to the token inside the value; "" when the
    /// whole value is the token.
    pub path: String,
    pub value: String,
    /// Whether the value is a compact JWS whose claims decode.
    pub jwt: bool,
    /// Expiry, ms since the epoch.
    pub expires_at_ms: Option<i64>,
    pub expiry: Option<ExpirySource>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("kind", &self.kind)
            .field("path", &self.path)
            .field("value_len", &self.value.len())
            .field("jwt", &self.jwt)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// What one storage entry holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The SDK layout recognised from the key and the value's shape.
    pub layout: Option<Layout>,
    pub credentials: Vec<Credential>,
    /// The entry holds a credential of this kind that its SDK encrypted
    /// (MSAL v5's localStorage cache): only the key tells what it is.
    pub sealed: Option<TokenKind>,
    /// A limit cut the walk short: there may be more than reported.
    pub truncated: bool,
}

/// Finds the credentials in one storage entry with the default [`Limits`].
///
/// `stored_at_ms` is when the value was written (or first seen), needed only
/// for relative lifetimes (`expires_in`).
pub fn find(key: &str, value: &str, stored_at_ms: Option<i64>) -> Result<Found, CredsError> {
    find_with(key, value, stored_at_ms, &Limits::default())
}

/// [`find`] with explicit limits.
pub fn find_with(
    key: &str,
    value: &str,
    stored_at_ms: Option<i64>,
    limits: &Limits,
) -> Result<Found, CredsError> {
    if value.len() > limits.max_bytes {
        return Err(CredsError::TooLarge {
            len: value.len(),
            max: limits.max_bytes,
        });
    }
    let layout = Layout::from_key(key);
    let text = layout::unwrap_value(layout, value);
    let trimmed = text.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let json: serde_json::Value =
            serde_json::from_str(trimmed).map_err(|e| CredsError::Json(e.to_string()))?;
        let mut found = walk::walk(&json, key, layout, stored_at_ms, limits);
        found.layout = found.layout.or(layout);
        return Ok(found);
    }
    // A JSON string (a token stored with JSON.stringify) is read unescaped; a
    // number, boolean or null (Amplify's `clockDrift`) holds no token.
    match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::String(s)) => return Ok(walk::bare(key, &s, layout, limits)),
        Ok(_) => {
            return Ok(Found {
                layout,
                ..Found::default()
            });
        }
        Err(_) => {}
    }
    Ok(walk::bare(key, trimmed, layout, limits))
}

/// Reads an epoch time written as a number or a digit string, telling
/// seconds from milliseconds by size: 1e11 is the year 5138 in seconds and
/// 1973 in ms, so no real expiry is ambiguous.
pub fn epoch_ms(v: &serde_json::Value) -> Option<(i64, TimeUnit)> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) if !s.is_empty() && s.len() <= 20 => {
            s.trim().parse::<f64>().ok()?
        }
        _ => return None,
    };
    if !n.is_finite() || n <= 0.0 || n >= 1.0e15 {
        return None;
    }
    if n >= 1.0e11 {
        Some((n.floor() as i64, TimeUnit::Millis))
    } else {
        Some(((n * 1000.0).floor() as i64, TimeUnit::Seconds))
    }
}

/// Reads a lifetime in seconds (`expires_in`: number or digit string).
pub(crate) fn lifetime_ms(v: &serde_json::Value) -> Option<i64> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) if !s.is_empty() && s.len() <= 20 => {
            s.trim().parse::<f64>().ok()?
        }
        _ => return None,
    };
    // Up to about 30 years; anything else is not a lifetime.
    (n.is_finite() && (0.0..1.0e9).contains(&n)).then(|| (n * 1000.0).floor() as i64)
}

#[cfg(test)]
mod tests;
