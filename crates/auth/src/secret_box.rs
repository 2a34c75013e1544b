//! Authenticated encryption of small secrets at rest (TOTP secrets) with
//! XChaCha20-Poly1305.
//!
//! Sealed form: `v1.` followed by base64url (no padding) of `nonce (24 bytes) ‖ ciphertext ‖
//! tag (16 bytes)`. The nonce is random per seal (192 bits, so random nonces never collide
//! in practice); the version prefix is also bound as associated data.
//!
//! Rotation: [`AeadSecretBox::with_retired`] seals with the current key and opens with it or
//! any retired key (the AEAD tag tells which key a value was sealed with), so a new key can
//! be introduced without losing what the old one sealed; [`AeadSecretBox::needs_reseal`]
//! says whether a stored value should be sealed again under the current key.

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

/// XChaCha20-Poly1305 secret box ([`SecretBox`]) with a current key and optional retired
/// keys that still open what they sealed.
#[derive(Clone)]
pub struct AeadSecretBox {
    cipher: XChaCha20Poly1305,
    retired: Vec<XChaCha20Poly1305>,
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
        Ok(Self {
            cipher: cipher_of(key)?,
            retired: Vec::new(),
        })
    }

    /// A box sealing with `current` and opening with `current` or any of `retired` (key
    /// rotation: keep the old key here until every value was sealed again).
    ///
    /// # Errors
    /// When any key is not exactly [`KEY_LEN`] bytes (naming which).
    pub fn with_retired(current: &[u8], retired: &[Vec<u8>]) -> Result<Self, CryptoError> {
        let mut sb = Self::new(current)?;
        for (i, key) in retired.iter().enumerate() {
            sb.retired.push(cipher_of(key).map_err(|_| {
                CryptoError(format!(
                    "retired secret-box key {} must be {KEY_LEN} bytes, got {}",
                    i + 1,
                    key.len()
                ))
            })?);
        }
        Ok(sb)
    }

    /// Whether `sealed` opens only with a retired key (so it should be sealed again with
    /// the current one). `false` for values the current key opens and for values no key
    /// opens.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        decode(sealed).is_ok_and(|(nonce, ciphertext)| {
            decrypt(&self.cipher, &nonce, &ciphertext).is_err()
                && self
                    .retired
                    .iter()
                    .any(|c| decrypt(c, &nonce, &ciphertext).is_ok())
        })
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
        let (nonce, ciphertext) = decode(sealed)?;
        let plain = std::iter::once(&self.cipher)
            .chain(&self.retired)
            .find_map(|c| decrypt(c, &nonce, &ciphertext).ok())
            .ok_or_else(|| {
                CryptoError("sealed value was altered or sealed with another key".into())
            })?;
        String::from_utf8(plain).map_err(|_| CryptoError("sealed value is not UTF-8".into()))
    }
}

fn cipher_of(key: &[u8]) -> Result<XChaCha20Poly1305, CryptoError> {
    if key.len() != KEY_LEN {
        return Err(CryptoError(format!(
            "the secret-box key must be {KEY_LEN} bytes, got {}",
            key.len()
        )));
    }
    XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| CryptoError(format!("the secret-box key must be {KEY_LEN} bytes")))
}

/// The nonce and ciphertext of a sealed value.
fn decode(sealed: &str) -> Result<(XNonce, Vec<u8>), CryptoError> {
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
    Ok((nonce, ciphertext.to_vec()))
}

fn decrypt(
    cipher: &XChaCha20Poly1305,
    nonce: &XNonce,
    ciphertext: &[u8],
) -> Result<Vec<u8>, chacha20poly1305::aead::Error> {
    cipher.decrypt(
        nonce,
        Payload {
            msg: ciphertext,
            aad: AAD,
        },
    )
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
    fn rotation_old_key_opens_new_key_seals() {
        let old = AeadSecretBox::new(&[1; 32]).unwrap();
        let sealed_old = old.seal("totp secret").unwrap();
        let ring = AeadSecretBox::with_retired(&[2; 32], &[vec![1; 32]]).unwrap();
        assert_eq!(ring.open(&sealed_old).unwrap(), "totp secret");
        assert!(ring.needs_reseal(&sealed_old));
        let sealed_new = ring.seal("totp secret").unwrap();
        assert!(!ring.needs_reseal(&sealed_new));
        // Sealed by the new key: the old key alone cannot open it, the new alone can.
        assert!(old.open(&sealed_new).is_err());
        let new_only = AeadSecretBox::new(&[2; 32]).unwrap();
        assert_eq!(new_only.open(&sealed_new).unwrap(), "totp secret");
        assert!(new_only.open(&sealed_old).is_err());
        // A value no key opens is not "to reseal", and still fails to open.
        let stranger = AeadSecretBox::new(&[3; 32]).unwrap().seal("x").unwrap();
        assert!(!ring.needs_reseal(&stranger));
        assert!(ring.open(&stranger).is_err());
    }

    #[test]
    fn retired_key_length_is_checked() {
        let err = AeadSecretBox::with_retired(&[2; 32], &[vec![1; 16]]).unwrap_err();
        assert!(err.0.contains("retired secret-box key 1"), "{}", err.0);
        assert!(AeadSecretBox::with_retired(&[2; 16], &[]).is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", AeadSecretBox::new(&[7; 32]).unwrap());
        assert_eq!(shown, "AeadSecretBox { .. }");
    }
}
