//! Opaque refresh tokens and signed access tokens.

use aws_lc_rs::digest::{Context, SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{AccessFailure, RefreshFailure, ServerError};

/// RFC 9068 §2.1: access tokens say what they are in the header, so nothing else passes for one.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

const REFRESH_BYTES: usize = 32;
const REFRESH_CHARS: usize = 43;
const WRAP_DOMAIN: &[u8] = b"logout-lens/successor-wrap/v1\0";

/// 256 random bits, shown to the client as 43 base64url characters, stored only as SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken([u8; REFRESH_BYTES]);

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken(…)")
    }
}

impl RefreshToken {
    /// 256 fresh random bits from the operating system.
    pub fn generate() -> Result<Self, ServerError> {
        Ok(RefreshToken(random_bytes()?))
    }

    /// Parse what a client sent. A JWT here is an access token in the wrong place.
    pub fn parse(s: &str) -> Result<Self, RefreshFailure> {
        let s = s.trim();
        if s.len() != REFRESH_CHARS {
            return Err(if logout_lens_model::jwt::looks_like_jwt(s) {
                RefreshFailure::WrongType
            } else {
                RefreshFailure::Malformed
            });
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| RefreshFailure::Malformed)?;
        let raw: [u8; REFRESH_BYTES] = bytes.try_into().map_err(|_| RefreshFailure::Malformed)?;
        Ok(RefreshToken(raw))
    }

    /// The string handed to the client.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// What the store keeps and looks up (RFC 6819 §5.1.4.1.3).
    pub fn lookup_hash(&self) -> [u8; 32] {
        sha256_bytes(digest(&SHA256, &self.0).as_ref())
    }

    /// Key that seals this token's successor, so a grace-window retry can be answered with the
    /// same successor although the store never holds a token in plain text. Only a holder of
    /// this token can unseal; a domain tag keeps it unrelated to [`Self::lookup_hash`].
    pub fn wrap_key(&self) -> [u8; 32] {
        let mut h = Context::new(&SHA256);
        h.update(WRAP_DOMAIN);
        h.update(&self.0);
        sha256_bytes(h.finish().as_ref())
    }

    /// Seal `successor` for storage next to this (parent) token.
    pub fn seal_successor(&self, successor: &RefreshToken) -> [u8; 32] {
        xor(&successor.0, &self.wrap_key())
    }

    /// Recover the successor sealed by [`Self::seal_successor`].
    pub fn unseal_successor(&self, sealed: &[u8]) -> Option<RefreshToken> {
        let sealed: [u8; 32] = sealed.try_into().ok()?;
        Some(RefreshToken(xor(&sealed, &self.wrap_key())))
    }
}

/// `N` bytes from the operating system's generator (through AWS-LC).
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], ServerError> {
    let mut raw = [0u8; N];
    aws_lc_rs::rand::fill(&mut raw)
        .map_err(|_| ServerError::Signing("the system random generator failed".to_owned()))?;
    Ok(raw)
}

/// A SHA-256 output as an array (it is always 32 bytes).
pub(crate) fn sha256_bytes(d: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&d[..32]);
    out
}

fn xor(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

/// Claims of our access tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// Issuer ([`Config::issuer`]).
    pub iss: String,
    /// Audience ([`Config::audience`]).
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Not valid before (seconds since the epoch).
    pub nbf: u64,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// This token's unique id.
    pub jti: String,
    /// Session (refresh family) id, so a logout can cut off access tokens of the same grant.
    pub sid: String,
}

/// Sign an access token for `sub` in session `sid`, valid from `now_s` for the configured TTL.
pub fn issue_access(
    config: &Config,
    sub: &str,
    sid: &str,
    now_s: u64,
) -> Result<(String, AccessClaims), ServerError> {
    let key = config.keys.active();
    let jti: [u8; 16] = random_bytes()?;
    let claims = AccessClaims {
        iss: config.issuer.clone(),
        aud: config.audience.clone(),
        sub: sub.to_owned(),
        exp: now_s + config.access_ttl.as_secs(),
        nbf: now_s,
        iat: now_s,
        jti: URL_SAFE_NO_PAD.encode(jti),
        sid: sid.to_owned(),
    };
    let token = match key.ed25519_pair() {
        Some(pair) => sign_ed25519(pair, key.encoded_header(), &claims)?,
        None => jsonwebtoken::encode(
            &access_header(key.algorithm(), key.kid()),
            &claims,
            key.encoding(),
        )
        .map_err(|e| ServerError::Signing(e.to_string()))?,
    };
    Ok((token, claims))
}

/// The header of every access token: algorithm, `kid`, `typ: at+jwt`.
pub(crate) fn access_header(alg: jsonwebtoken::Algorithm, kid: &str) -> Header {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
    header
}

/// The same compact JWS `jsonwebtoken::encode` produces, signed with an already parsed key;
/// the header part is the key's, encoded once.
fn sign_ed25519(
    pair: &aws_lc_rs::signature::Ed25519KeyPair,
    encoded_header: &str,
    claims: &AccessClaims,
) -> Result<String, ServerError> {
    let claims = serde_json::to_vec(claims).map_err(|e| ServerError::Signing(e.to_string()))?;
    // header . claims . signature (64 bytes → 86 characters)
    let mut message =
        String::with_capacity(encoded_header.len() + 2 + claims.len().div_ceil(3) * 4 + 87);
    message.push_str(encoded_header);
    message.push('.');
    URL_SAFE_NO_PAD.encode_string(&claims, &mut message);
    let signature = pair.sign(message.as_bytes());
    message.push('.');
    URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut message);
    Ok(message)
}

/// Verify an access token at `now_s`: known `kid`, that key's algorithm only, `typ`, signature,
/// `iss`, `aud`, then `exp` and `nbf` with the configured leeway.
pub fn verify_access(
    config: &Config,
    token: &str,
    now_s: u64,
) -> Result<AccessClaims, AccessFailure> {
    let claims = verify_signature(config, token)?;
    check_times(config, &claims, now_s)?;
    Ok(claims)
}

/// The times are checked here rather than by `jsonwebtoken` so that one injectable clock
/// governs issuing and checking.
fn check_times(config: &Config, claims: &AccessClaims, now_s: u64) -> Result<(), AccessFailure> {
    let leeway = config.leeway.as_secs();
    if now_s >= claims.exp.saturating_add(leeway) {
        return Err(AccessFailure::Expired);
    }
    if now_s.saturating_add(leeway) < claims.nbf {
        return Err(AccessFailure::NotYetValid);
    }
    Ok(())
}

/// Everything but the times: who the token says it is, provided we signed it. Used to identify
/// the user behind an expired token in a logout report.
pub fn verify_signature(config: &Config, token: &str) -> Result<AccessClaims, AccessFailure> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| {
        if RefreshToken::parse(token).is_ok() {
            AccessFailure::WrongType
        } else {
            AccessFailure::Malformed
        }
    })?;
    let typ_ok = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Err(AccessFailure::WrongType);
    }
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| config.keys.find(kid))
        .ok_or(AccessFailure::BadSignature)?;
    if header.alg != key.algorithm() {
        return Err(AccessFailure::BadSignature);
    }
    let mut v = Validation::new(key.algorithm());
    v.validate_exp = false;
    v.validate_nbf = false;
    v.set_issuer(&[&config.issuer]);
    v.set_audience(&[&config.audience]);
    v.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<AccessClaims>(token, key.decoding(), &v)
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature
            | ErrorKind::InvalidAlgorithm
            | ErrorKind::InvalidAlgorithmName
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::InvalidEddsaKey
            | ErrorKind::Provider(_) => AccessFailure::BadSignature,
            _ => AccessFailure::Malformed,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeySet, SigningKey};
    use proptest::prelude::*;

    fn config() -> Config {
        Config::builder().build().unwrap()
    }

    #[test]
    fn refresh_token_round_trips_and_seals() {
        let parent = RefreshToken::generate().unwrap();
        let child = RefreshToken::generate().unwrap();
        let s = parent.encode();
        assert_eq!(s.len(), 43);
        assert_eq!(RefreshToken::parse(&s).unwrap(), parent);
        let sealed = parent.seal_successor(&child);
        assert_ne!(sealed, child.0);
        assert_eq!(parent.unseal_successor(&sealed).unwrap(), child);
        assert_ne!(child.unseal_successor(&sealed).unwrap(), child);
    }

    #[test]
    fn access_and_refresh_tokens_cannot_be_swapped() {
        let c = config();
        let (access, _) = issue_access(&c, "u1", "fam", now()).unwrap();
        assert_eq!(RefreshToken::parse(&access), Err(RefreshFailure::WrongType));
        let refresh = RefreshToken::generate().unwrap().encode();
        assert_eq!(
            verify_access(&c, &refresh, now()),
            Err(AccessFailure::WrongType)
        );
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn cached_ed25519_signing_matches_jsonwebtoken_byte_for_byte() {
        let c = config();
        let (token, claims) = issue_access(&c, "u1", "fam", now()).unwrap();
        let key = c.keys.active();
        let mut header = Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(key.kid().to_owned());
        header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        // Ed25519 signatures are deterministic, so the two encoders must agree exactly.
        assert_eq!(
            token,
            jsonwebtoken::encode(&header, &claims, key.encoding()).unwrap()
        );
    }

    #[test]
    fn verification_table() {
        let c = config();
        let other = Config::builder().build().unwrap();
        let t = now();
        let (good, claims) = issue_access(&c, "u1", "fam", t).unwrap();
        assert_eq!(verify_access(&c, &good, t).unwrap(), claims);
        let (expired, _) = issue_access(&c, "u1", "fam", t - 7200).unwrap();
        let (future, _) = issue_access(&c, "u1", "fam", t + 600).unwrap();
        let (foreign, _) = issue_access(&other, "u1", "fam", t).unwrap();
        let wrong_aud = Config {
            audience: "x".into(),
            ..c.clone()
        };
        let (aud, _) = issue_access(&wrong_aud, "u1", "fam", t).unwrap();
        // A character inside the signature: the last one also carries padding bits, and
        // changing those is a base64 error rather than a bad signature.
        let at = good.rfind('.').unwrap() + 10;
        let mut tampered = good.clone();
        let flipped = if &good[at..=at] == "A" { "B" } else { "A" };
        tampered.replace_range(at..=at, flipped);
        for (token, want) in [
            (expired.as_str(), AccessFailure::Expired),
            (future.as_str(), AccessFailure::NotYetValid),
            (foreign.as_str(), AccessFailure::BadSignature),
            (tampered.as_str(), AccessFailure::BadSignature),
            (aud.as_str(), AccessFailure::Malformed),
            ("not a token", AccessFailure::Malformed),
        ] {
            assert_eq!(verify_access(&c, token, t), Err(want), "{token}");
        }
    }

    #[test]
    fn plain_jwt_typ_and_alg_swap_are_refused() {
        let secret = [9u8; 32];
        let hs = Config::builder()
            .keys(KeySet::new(SigningKey::hs256("k1", &secret).unwrap()))
            .build()
            .unwrap();
        let (tok, claims) = issue_access(&hs, "u", "f", now()).unwrap();
        assert!(verify_access(&hs, &tok, now()).is_ok());
        let mut h = Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some("k1".into());
        let plain = jsonwebtoken::encode(
            &h,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&secret),
        )
        .unwrap();
        assert_eq!(
            verify_access(&hs, &plain, now()),
            Err(AccessFailure::WrongType)
        );
        let mut h384 = Header::new(jsonwebtoken::Algorithm::HS384);
        h384.kid = Some("k1".into());
        h384.typ = Some(ACCESS_TOKEN_TYP.into());
        let swapped = jsonwebtoken::encode(
            &h384,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&secret),
        )
        .unwrap();
        assert_eq!(
            verify_access(&hs, &swapped, now()),
            Err(AccessFailure::BadSignature)
        );
    }

    proptest! {
        #[test]
        fn refresh_parse_never_panics(s in ".{0,80}") {
            let _ = RefreshToken::parse(&s);
        }

        #[test]
        fn access_verify_never_panics(s in "[A-Za-z0-9._-]{0,200}") {
            let c = Config::builder().keys(KeySet::new(SigningKey::hs256("k", &[1; 32]).unwrap())).build().unwrap();
            prop_assert!(verify_access(&c, &s, 0).is_err());
        }
    }
}
