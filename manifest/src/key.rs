//! The fixed key material that pins the extension's identity.
//!
//! Chromium derives an unpacked extension's id from the `key` field of its
//! manifest, so shipping a fixed public key gives every developer build the
//! same id, which the native-host manifest can then allow-list. The private
//! half was discarded after generation: the id only needs the public key, and
//! store builds are signed by the store.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::ManifestError;

/// Base64 of the DER `SubjectPublicKeyInfo` of an RSA-2048 key generated once
/// with `openssl genrsa 2048` (see the crate README). Goes into `manifest.json`'s `key`.
pub const PUBLIC_KEY_B64: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlfyHT9g2RGOxB9TOzgex32G8Juuye8JsGchHBkVwD1/rI60IwGrYjMuZAblvBhzmOVDmha3AGBGJaN/nHJBPOV7UJmdMBEvlnpp4TLBd+rslbDVbolm28dc3eRgSrx8p0/stR27TdIj2eoYA23+RJUy5jt6u7pmqom0bP//yXqHc3LD4skL0rc8rX9G8lkawL5/ZRyKEbRe1oQqCF9JfmdbfyNARc1xv+zsmiwUcpiRjUWLhUrPr9ER/UxaJMFoe9VGKvNBatOGLyMtrxQEABUK5ZCqDxXMCFi+mT8n+SqQo5H3v7mKdahpkFfsJveClvxiXFwRnFLlEAAtfE0qmwQIDAQAB";

/// The Chromium extension id that [`PUBLIC_KEY_B64`] yields; a test keeps the
/// two in step.
pub const EXTENSION_ID: &str = "pgblapmpbbjjadbhpohickicabgcppge";

/// The Firefox add-on id (`browser_specific_settings.gecko.id`).
pub const FIREFOX_ADDON_ID: &str = "logout-lens@logout-lens.dev";

/// The Chrome Web Store listing's id, fixed when this crate is built from
/// `LOGOUT_LENS_STORE_ID` (`cargo xtask package --store-id`); `None` when
/// unset. The store build has no `key`, so the store gives it its own id;
/// host manifests and the host's caller check allow it beside
/// [`EXTENSION_ID`]. A malformed value fails the build.
pub const STORE_EXTENSION_ID: Option<&str> = store_id(option_env!("LOGOUT_LENS_STORE_ID"));

const fn store_id(value: Option<&'static str>) -> Option<&'static str> {
    match value {
        Some(id) if !id.is_empty() => {
            assert!(
                is_extension_id(id),
                "LOGOUT_LENS_STORE_ID must be a Chromium extension id: 32 letters a-p"
            );
            Some(id)
        }
        _ => None,
    }
}

/// Whether `id` has the shape of a Chromium extension id (32 letters `a`-`p`).
pub const fn is_extension_id(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 32 {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if b[i] < b'a' || b[i] > b'p' {
            return false;
        }
        i += 1;
    }
    true
}

/// Every Chromium extension id the collector serves: the dev build's fixed
/// id, then the store's when this build knows it.
pub fn chromium_extension_ids() -> Vec<&'static str> {
    std::iter::once(EXTENSION_ID)
        .chain(STORE_EXTENSION_ID)
        .collect()
}

/// The origins of [`chromium_extension_ids`], as `allowed_origins` lists them.
pub fn chromium_origins() -> Vec<String> {
    chromium_extension_ids()
        .into_iter()
        .map(|id| format!("chrome-extension://{id}/"))
        .collect()
}

/// The Chromium extension id of the fixed key.
pub fn extension_id() -> String {
    // The constant is checked by a unit test, so this cannot fail.
    extension_id_from_key(PUBLIC_KEY_B64).unwrap_or_else(|_| EXTENSION_ID.to_owned())
}

/// Chromium's id for a base64 DER public key: SHA-256 of the DER bytes, first
/// 32 hex digits, each mapped `0-f` → `a-p`.
pub fn extension_id_from_key(key_b64: &str) -> Result<String, ManifestError> {
    let der = STANDARD
        .decode(key_b64.trim())
        .map_err(|e| ManifestError::BadKey(e.to_string()))?;
    // A DER SEQUENCE starts with 0x30; anything else is certainly not a key.
    if der.first() != Some(&0x30) {
        return Err(ManifestError::BadKey("not a DER SEQUENCE".into()));
    }
    Ok(extension_id_from_der(&der))
}

/// Chromium's id for raw DER bytes.
pub fn extension_id_from_der(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .take(16)
        .flat_map(|b| [b >> 4, b & 0x0f])
        .map(|nibble| char::from(b'a' + nibble))
        .collect()
}

/// The origin the Chromium family reports for the extension, as written in
/// `allowed_origins` and passed to the host as its first argument.
pub fn chromium_origin() -> String {
    format!("chrome-extension://{}/", extension_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_id_matches_key() {
        assert_eq!(extension_id_from_key(PUBLIC_KEY_B64).unwrap(), EXTENSION_ID);
        assert_eq!(extension_id(), EXTENSION_ID);
    }

    #[test]
    fn id_alphabet_is_a_to_p() {
        let id = extension_id_from_der(b"\x30anything");
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| (b'a'..=b'p').contains(&b)));
    }

    #[test]
    fn bad_keys_are_refused() {
        for bad in ["", "!!!", "aGVsbG8="] {
            assert!(extension_id_from_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn extension_id_shapes() {
        let cases = [
            (EXTENSION_ID, true),
            ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true),
            ("pppppppppppppppppppppppppppppppp", true),
            ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("qaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("", false),
        ];
        for (id, want) in cases {
            assert_eq!(is_extension_id(id), want, "{id:?}");
        }
    }

    #[test]
    fn the_build_time_store_id_is_taken_when_set_and_well_formed() {
        assert_eq!(store_id(None), None);
        assert_eq!(store_id(Some("")), None);
        let id = "abcdefghijklmnopabcdefghijklmnop";
        assert_eq!(store_id(Some(id)), Some(id));
    }

    #[test]
    #[should_panic(expected = "LOGOUT_LENS_STORE_ID must be a Chromium extension id")]
    fn a_malformed_build_time_store_id_is_refused() {
        let _ = store_id(Some("not-an-id"));
    }

    #[test]
    fn the_dev_id_comes_first_and_the_store_id_follows_when_built_in() {
        let ids = chromium_extension_ids();
        assert_eq!(ids[0], EXTENSION_ID);
        assert_eq!(ids.get(1).copied(), STORE_EXTENSION_ID);
        assert_eq!(chromium_origins()[0], chromium_origin());
    }

    #[test]
    fn origin_shape() {
        assert_eq!(
            chromium_origin(),
            format!("chrome-extension://{EXTENSION_ID}/")
        );
    }
}
