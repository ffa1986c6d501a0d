//! The host application's side of login: credentials stay with the host.

use std::future::Future;
use std::pin::Pin;

use crate::error::ServerError;

/// A user as the host app knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// The user's id (the tokens' `sub`).
    pub id: String,
    /// The user's email.
    pub email: String,
}

/// What [`Authenticator::verify`] returns: the user, `None` for wrong credentials.
pub type AuthFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<User>, ServerError>> + Send + 'a>>;

/// Checks credentials. The library never sees how passwords are stored.
pub trait Authenticator: Send + Sync + 'static {
    /// `Ok(None)` for wrong credentials; `Err` only when the check itself failed.
    fn verify<'a>(&'a self, email: &'a str, password: &'a str) -> AuthFuture<'a>;
}

/// Byte comparison whose time does not depend on where the inputs differ (only on their
/// lengths), for hosts that compare secrets themselves.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_table() {
        for (a, b, want) in [
            (&b"abc"[..], &b"abc"[..], true),
            (b"abc", b"abd", false),
            (b"ab", b"abc", false),
            (b"", b"", true),
        ] {
            assert_eq!(super::constant_time_eq(a, b), want);
        }
    }
}
