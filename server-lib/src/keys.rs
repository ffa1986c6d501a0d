//! Signing keys, key rotation and the JWKS document.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use std::sync::Arc;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ServerError;

/// One key with its `kid`. The algorithm is fixed per key, so a token can never pick its own.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Raw Ed25519 public key, published in the JWKS. `None` for symmetric keys.
    public_ed25519: Option<Vec<u8>>,
    /// `jsonwebtoken` re-parses the PKCS#8 key on every signature, which costs a second
    /// scalar multiplication; signing with this parsed pair halves the cost of EdDSA issuance,
    /// and AWS-LC's Ed25519 signs about twice as fast as `ring`'s (the signatures are identical:
    /// Ed25519 is deterministic).
    ed25519_pair: Option<Arc<Ed25519KeyPair>>,
    /// The JWS header of every access token this key signs, base64url-encoded once.
    encoded_header: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl SigningKey {
    /// A fresh random Ed25519 key (the default algorithm).
    pub fn generate_ed25519(kid: impl Into<String>) -> Result<Self, ServerError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| ServerError::Config("could not generate an Ed25519 key".to_owned()))?;
        Self::ed25519_from_pkcs8(kid, pkcs8.as_ref())
    }

    /// An Ed25519 key from its PKCS#8 DER encoding (what `openssl genpkey -algorithm ed25519` writes,
    /// after PEM decoding).
    pub fn ed25519_from_pkcs8(kid: impl Into<String>, der: &[u8]) -> Result<Self, ServerError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|e| ServerError::Config(format!("not an Ed25519 PKCS#8 key: {e}")))?;
        let public = pair.public_key().as_ref().to_vec();
        let kid = non_empty_kid(kid.into())?;
        Ok(SigningKey {
            encoded_header: encoded_header(Algorithm::EdDSA, &kid)?,
            kid,
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(der),
            decoding: DecodingKey::from_ed_der(&public),
            public_ed25519: Some(public),
            ed25519_pair: Some(Arc::new(pair)),
        })
    }

    /// An HS256 key. RFC 8725 §3.5: the secret must have at least 256 bits.
    pub fn hs256(kid: impl Into<String>, secret: &[u8]) -> Result<Self, ServerError> {
        if secret.len() < 32 {
            return Err(ServerError::Config(format!(
                "an HS256 secret needs at least 32 bytes (256 bits), got {}",
                secret.len()
            )));
        }
        let kid = non_empty_kid(kid.into())?;
        Ok(SigningKey {
            encoded_header: encoded_header(Algorithm::HS256, &kid)?,
            kid,
            alg: Algorithm::HS256,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            public_ed25519: None,
            ed25519_pair: None,
        })
    }

    /// The key id (`kid` in the JWT header and the JWKS).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn ed25519_pair(&self) -> Option<&Ed25519KeyPair> {
        self.ed25519_pair.as_deref()
    }

    /// The access-token header this key signs with (see [`crate::tokens::access_header`]).
    pub(crate) fn encoded_header(&self) -> &str {
        &self.encoded_header
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }

    fn jwk(&self) -> Option<Jwk> {
        let x = self.public_ed25519.as_ref()?;
        Some(Jwk {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            use_: "sig".to_owned(),
            alg: "EdDSA".to_owned(),
            kid: self.kid.clone(),
            x: URL_SAFE_NO_PAD.encode(x),
        })
    }
}

/// One public key of the JWKS document (RFC 8037: an Ed25519 key as `kty: OKP`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Jwk {
    /// Always `OKP`.
    #[schema(example = "OKP")]
    pub kty: String,
    /// Always `Ed25519`.
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: String,
    /// Always `EdDSA`.
    #[schema(example = "EdDSA")]
    pub alg: String,
    /// The `kid` access tokens name in their header.
    pub kid: String,
    /// The 32-byte public key, base64url without padding.
    pub x: String,
}

/// `GET /.well-known/jwks.json`: the active and retired public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Jwks {
    /// The public keys: the active one first, then the retired ones.
    pub keys: Vec<Jwk>,
}

fn encoded_header(alg: Algorithm, kid: &str) -> Result<String, ServerError> {
    let header: Header = crate::tokens::access_header(alg, kid);
    let json = serde_json::to_vec(&header).map_err(|e| ServerError::Config(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

fn non_empty_kid(kid: String) -> Result<String, ServerError> {
    if kid.is_empty() || kid.len() > 128 || kid.chars().any(|c| c.is_control()) {
        return Err(ServerError::Config(
            "a key id must be 1-128 printable characters".to_owned(),
        ));
    }
    Ok(kid)
}

/// The active signing key plus older keys that still verify (key rotation).
#[derive(Debug, Clone)]
pub struct KeySet {
    active: SigningKey,
    retired: Vec<SigningKey>,
}

impl KeySet {
    /// A set with `active` as the signing key and no retired keys.
    pub fn new(active: SigningKey) -> Self {
        KeySet {
            active,
            retired: Vec::new(),
        }
    }

    /// Keep verifying tokens signed by `key` (and publishing it) after rotating to a new active key.
    pub fn with_retired(mut self, key: SigningKey) -> Self {
        self.retired.push(key);
        self
    }

    /// The key new tokens are signed with.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// The key a token names in its header, if we know it.
    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        std::iter::once(&self.active)
            .chain(&self.retired)
            .find(|k| k.kid == kid)
    }

    /// `{"keys":[…]}` with every public key; symmetric keys are never published.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: std::iter::once(&self.active)
                .chain(&self.retired)
                .filter_map(SigningKey::jwk)
                .collect(),
        }
    }

    pub(crate) fn check_unique(&self) -> Result<(), ServerError> {
        let mut kids: Vec<&str> = std::iter::once(&self.active)
            .chain(&self.retired)
            .map(|k| k.kid())
            .collect();
        kids.sort_unstable();
        let before = kids.len();
        kids.dedup();
        if kids.len() != before {
            return Err(ServerError::Config("key ids must be unique".to_owned()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_hs256_secret_is_refused() {
        assert!(SigningKey::hs256("k", &[7; 31]).is_err());
        assert!(SigningKey::hs256("k", &[7; 32]).is_ok());
    }

    #[test]
    fn jwks_lists_public_keys_only() {
        let set = KeySet::new(SigningKey::generate_ed25519("new").unwrap())
            .with_retired(SigningKey::generate_ed25519("old").unwrap())
            .with_retired(SigningKey::hs256("sym", &[1; 32]).unwrap());
        let jwks = serde_json::to_value(set.jwks()).unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0]["kid"], "new");
        assert_eq!(keys[0]["crv"], "Ed25519");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(keys[0]["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert!(!jwks.to_string().contains("\"k\""));
        assert!(set.find("old").is_some() && set.find("nope").is_none());
    }

    #[test]
    fn retired_keys_still_verify_after_rotation() {
        let old = SigningKey::generate_ed25519("2025-01").unwrap();
        let before = crate::Config::builder()
            .signing_key(old.clone())
            .build()
            .unwrap();
        let now = 1_800_000_000;
        let (token, _) = crate::tokens::issue_access(&before, "u", "s", now).unwrap();
        let after = crate::Config::builder()
            .keys(KeySet::new(SigningKey::generate_ed25519("2025-02").unwrap()).with_retired(old))
            .build()
            .unwrap();
        assert!(crate::tokens::verify_access(&after, &token, now).is_ok());
        let (fresh, _) = crate::tokens::issue_access(&after, "u", "s", now).unwrap();
        let header = jsonwebtoken::decode_header(&fresh).unwrap();
        assert_eq!(
            header.kid.as_deref(),
            Some("2025-02"),
            "new tokens use the active key"
        );
        let dropped = crate::Config::builder()
            .signing_key(SigningKey::generate_ed25519("2025-02").unwrap())
            .build()
            .unwrap();
        assert_eq!(
            crate::tokens::verify_access(&dropped, &token, now),
            Err(crate::AccessFailure::BadSignature)
        );
    }

    #[test]
    fn duplicate_kids_are_refused() {
        let set = KeySet::new(SigningKey::hs256("a", &[1; 32]).unwrap())
            .with_retired(SigningKey::hs256("a", &[2; 32]).unwrap());
        assert!(set.check_unique().is_err());
    }
}
