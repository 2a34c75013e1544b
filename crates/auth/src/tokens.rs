//! Random opaque tokens (refresh, password reset, e-mail verification, API tokens), recovery
//! codes, and the SHA-256 digest they are stored as.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use servicedesk_core::ports::OpaqueTokens;
use sha2::{Digest as _, Sha256};

/// The characters of recovery codes: lowercase letters and digits without the easily
/// confused `0 o 1 l i` (31 symbols, ≈ 4.95 bits each).
pub const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

const TOKEN_BYTES: usize = 32;
const GROUPS: usize = 3;
const GROUP_LEN: usize = 4;

/// Operating-system-seeded CSPRNG tokens ([`OpaqueTokens`]).
///
/// - [`OpaqueTokens::generate`]: 32 random bytes (256 bits), base64url without padding: 43
///   characters of `[A-Za-z0-9_-]`.
/// - [`OpaqueTokens::recovery_code`]: three groups of four characters of
///   [`RECOVERY_ALPHABET`] joined by `-`, e.g. `k7m2-9xqp-4hfz` (≈ 59 bits). They are
///   lowercase; callers should lowercase what users type before taking the digest.
/// - [`OpaqueTokens::digest`]: lowercase hex SHA-256 (64 characters).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomTokens;

impl RandomTokens {
    /// A token service.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl OpaqueTokens for RandomTokens {
    fn generate(&self) -> String {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::fill(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn recovery_code(&self) -> String {
        let mut rng = rand::rng();
        let mut code = String::with_capacity(GROUPS * (GROUP_LEN + 1));
        for group in 0..GROUPS {
            if group > 0 {
                code.push('-');
            }
            for _ in 0..GROUP_LEN {
                let i = rng.random_range(0..RECOVERY_ALPHABET.len());
                code.push(char::from(RECOVERY_ALPHABET[i]));
            }
        }
        code
    }

    fn digest(&self, token: &str) -> String {
        let hash = Sha256::digest(token.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in hash {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        hex
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_the_sha256_test_vector() {
        assert_eq!(
            RandomTokens.digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            RandomTokens.digest(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn alphabet_has_no_ambiguous_characters() {
        for c in b"01oli" {
            assert!(!RECOVERY_ALPHABET.contains(c), "{}", char::from(*c));
        }
        let mut sorted = RECOVERY_ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), RECOVERY_ALPHABET.len());
    }
}
