//! Authenticated encryption of small secrets at rest (TOTP secrets) with
//! XChaCha20-Poly1305.
//!
//! Sealed form: `v1.` followed by base64url (no padding) of `nonce (24 bytes) ‖ ciphertext ‖
//! tag (16 bytes)`. The nonce is random per seal (192 bits, so random nonces never collide
//! in practice); the version prefix is also bound as associated data.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use servicedesk_core::ports::{CryptoError, SecretBox};

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
/// The prefix of every sealed value (format version 1).
pub const SEALED_PREFIX: &str = "v1.";

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const AAD: &[u8] = b"servicedesk-secretbox-v1";

/// XChaCha20-Poly1305 secret box ([`SecretBox`]).
#[derive(Clone)]
pub struct AeadSecretBox {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for AeadSecretBox {
    /// Never shows the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadSecretBox").finish_non_exhaustive()
    }
}

impl AeadSecretBox {
    /// A box with the [`KEY_LEN`]-byte key `key`.
    ///
    /// # Errors
    /// When `key` is not exactly [`KEY_LEN`] bytes.
    pub fn new(key: &[u8]) -> Result<Self, CryptoError> {
        if key.len() != KEY_LEN {
            return Err(CryptoError(format!(
                "the secret-box key must be {KEY_LEN} bytes, got {}",
                key.len()
            )));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(key)
            .map_err(|_| CryptoError(format!("the secret-box key must be {KEY_LEN} bytes")))?;
        Ok(Self { cipher })
    }

    /// A box whose key is given in base64 (standard or URL-safe alphabet, padded or not), as
    /// configuration files hold it.
    ///
    /// # Errors
    /// When the text is not base64 or does not decode to [`KEY_LEN`] bytes.
    pub fn from_base64(key: &str) -> Result<Self, CryptoError> {
        let key = key.trim();
        let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(key).ok())
            .ok_or_else(|| CryptoError("the secret-box key is not valid base64".into()))?;
        Self::new(&bytes)
    }
}

impl SecretBox for AeadSecretBox {
    fn seal(&self, plain: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: AAD,
                },
            )
            .map_err(|_| CryptoError("encryption failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| CryptoError("sealed value has an unknown format version".into()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError("sealed value is not valid base64url".into()))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError("sealed value is too short".into()));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce =
            XNonce::try_from(nonce).map_err(|_| CryptoError("sealed value is too short".into()))?;
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: AAD,
                },
            )
            .map_err(|_| {
                CryptoError("sealed value was altered or sealed with another key".into())
            })?;
        String::from_utf8(plain).map_err(|_| CryptoError("sealed value is not UTF-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_length_is_checked() {
        assert!(AeadSecretBox::new(&[0; 31]).is_err());
        assert!(AeadSecretBox::new(&[0; 33]).is_err());
        assert!(AeadSecretBox::new(&[0; 32]).is_ok());
    }

    #[test]
    fn base64_keys_in_any_common_alphabet() {
        let key = [0xfbu8; 32];
        for text in [
            STANDARD.encode(key),
            URL_SAFE.encode(key),
            URL_SAFE_NO_PAD.encode(key),
            STANDARD_NO_PAD.encode(key),
        ] {
            let a = AeadSecretBox::from_base64(&text).unwrap();
            let b = AeadSecretBox::new(&key).unwrap();
            assert_eq!(b.open(&a.seal("x").unwrap()).unwrap(), "x");
        }
        assert!(AeadSecretBox::from_base64("%%%").is_err());
        assert!(AeadSecretBox::from_base64(&STANDARD.encode([1u8; 16])).is_err());
    }

    #[test]
    fn unknown_version_and_short_input_fail() {
        let sb = AeadSecretBox::new(&[7; 32]).unwrap();
        let sealed = sb.seal("secret").unwrap();
        assert!(sb.open(&sealed.replacen("v1.", "v2.", 1)).is_err());
        assert!(sb.open("v1.").is_err());
        assert!(sb.open("v1.AAAA").is_err());
        assert!(sb.open("garbage").is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", AeadSecretBox::new(&[7; 32]).unwrap());
        assert_eq!(shown, "AeadSecretBox { .. }");
    }
}
