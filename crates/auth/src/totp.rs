//! Time-based one-time passwords (RFC 6238): HMAC-SHA-1, 6 digits, 30-second steps, one step
//! of clock skew either way.
//!
//! # Replay protection
//! [`Totp::verify`] returns the time step (`unix_seconds / 30`) the code matched. A code is
//! valid for up to three steps (skew), so the caller must remember the last step it
//! accepted for the account and refuse any step that is not strictly greater; the account
//! store's `accept_totp_step` does exactly that. Pair it with the attempt limits so the
//! 10⁶ code space cannot be brute-forced.

use chrono::{DateTime, Utc};
use servicedesk_core::ports::{CryptoError, Totp};
use totp_rs::{Algorithm, Builder, Secret};

/// The issuer shown in authenticator apps unless configured otherwise.
pub const DEFAULT_ISSUER: &str = "Servicedesk";

const DIGITS: u8 = 6;
const STEP_SECS: u64 = 30;
const SKEW_STEPS: u16 = 1;

/// RFC 6238 TOTP service ([`Totp`]).
#[derive(Debug, Clone)]
pub struct TotpService {
    issuer: String,
}

impl Default for TotpService {
    /// Issuer [`DEFAULT_ISSUER`].
    fn default() -> Self {
        Self {
            issuer: DEFAULT_ISSUER.to_owned(),
        }
    }
}

impl TotpService {
    /// A service whose otpauth URIs name `issuer` (shown in the authenticator app).
    ///
    /// # Errors
    /// When `issuer` is empty or contains `:` (the label separator of otpauth URIs).
    pub fn new(issuer: &str) -> Result<Self, CryptoError> {
        if issuer.trim().is_empty() || issuer.contains(':') {
            return Err(CryptoError(format!(
                "invalid TOTP issuer {issuer:?}: must be non-empty, without ':'"
            )));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
        })
    }

    /// The configured issuer.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The code for `secret` at `unix_secs` (what an authenticator app would show). Useful
    /// for tests and diagnostics.
    ///
    /// # Errors
    /// When the secret is not valid base32 or is shorter than 128 bits.
    pub fn code_at(&self, secret: &str, unix_secs: u64) -> Result<String, CryptoError> {
        Ok(build(secret, None)?.generate(unix_secs).to_string())
    }
}

/// Base32 secrets as people copy them: any case, spaces, optional `=` padding.
fn parse_secret(secret: &str) -> Result<Secret, CryptoError> {
    let cleaned: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if cleaned.is_empty() {
        return Err(CryptoError("empty TOTP secret".into()));
    }
    Secret::try_from_base32(&cleaned)
        .map_err(|_| CryptoError("TOTP secret is not valid base32".into()))
}

fn build(secret: &str, label: Option<(&str, &str)>) -> Result<totp_rs::Totp, CryptoError> {
    let mut builder = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECS)
        .with_secret(parse_secret(secret)?);
    if let Some((issuer, account)) = label {
        builder = builder.with_issuer(Some(issuer)).with_account_name(account);
    }
    builder
        .build()
        .map_err(|e| CryptoError(format!("invalid TOTP parameters: {e}")))
}

impl Totp for TotpService {
    fn new_secret(&self) -> String {
        // 20 random bytes (160 bits, RFC 4226's recommendation) → 32 base32 characters.
        Secret::generate().to_base32()
    }

    fn otpauth_uri(&self, secret: &str, account: &str) -> Result<String, CryptoError> {
        build(secret, Some((&self.issuer, account)))?
            .to_url()
            .map_err(|e| CryptoError(format!("cannot build the otpauth URI: {e}")))
    }

    fn verify(&self, secret: &str, code: &str, now: DateTime<Utc>) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let unix = u64::try_from(now.timestamp()).ok()?;
        build(secret, None).ok()?.check(&code, unix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_160_bit_base32() {
        let s = TotpService::default().new_secret();
        assert_eq!(s.len(), 32);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
            "{s}"
        );
        assert_eq!(parse_secret(&s).unwrap().as_ref().len(), 20);
        assert_ne!(s, TotpService::default().new_secret());
    }

    #[test]
    fn lenient_secret_parsing() {
        let a = parse_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let b = parse_secret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(a.as_ref(), b.as_ref());
        assert!(parse_secret("not base32 !").is_err());
        assert!(parse_secret("").is_err());
    }

    #[test]
    fn issuer_validation() {
        assert!(TotpService::new("Acme IT").is_ok());
        assert!(TotpService::new("a:b").is_err());
        assert!(TotpService::new(" ").is_err());
        assert_eq!(TotpService::default().issuer(), DEFAULT_ISSUER);
    }
}
