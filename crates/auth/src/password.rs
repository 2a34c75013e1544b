//! Password hashing with argon2id, stored as PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use servicedesk_core::ports::{CryptoError, PasswordHasher};

/// Largest memory cost (KiB) a stored hash may ask for before [`Argon2Hasher::verify`]
/// refuses it instead of allocating: 1 GiB.
const MAX_VERIFY_M_COST_KIB: u32 = 1024 * 1024;
/// Largest time cost a stored hash may ask for.
const MAX_VERIFY_T_COST: u32 = 64;
/// Largest parallelism a stored hash may ask for.
const MAX_VERIFY_P_COST: u32 = 64;

/// argon2id password hasher ([`PasswordHasher`]).
///
/// New hashes use the configured parameters with a fresh random 128-bit salt; verification
/// uses the parameters written in the stored hash, so hashes made with older parameters
/// still verify after the configuration changes.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("m_cost_kib", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish()
    }
}

impl Argon2Hasher {
    /// A hasher with memory cost `m_cost_kib` (KiB), `t_cost` passes and parallelism `p`.
    ///
    /// # Errors
    /// When argon2 rejects the parameters (e.g. `m_cost_kib < 8 * p`, `t_cost == 0`,
    /// `p == 0`).
    pub fn new(m_cost_kib: u32, t_cost: u32, p: u32) -> Result<Self, CryptoError> {
        let params = Params::new(m_cost_kib, t_cost, p, None)
            .map_err(|e| CryptoError(format!("invalid argon2 parameters: {e}")))?;
        Ok(Self { params })
    }

    /// Tiny parameters (8 KiB, 1 pass, 1 lane) so tests run fast. Never use in production.
    #[must_use]
    pub fn fast_for_tests() -> Self {
        Self::new(Params::MIN_M_COST, 1, 1).unwrap_or_default()
    }

    /// Memory cost in KiB.
    #[must_use]
    pub fn m_cost_kib(&self) -> u32 {
        self.params.m_cost()
    }

    /// Number of passes.
    #[must_use]
    pub fn t_cost(&self) -> u32 {
        self.params.t_cost()
    }

    /// Degree of parallelism.
    #[must_use]
    pub fn p_cost(&self) -> u32 {
        self.params.p_cost()
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

impl Default for Argon2Hasher {
    /// The OWASP minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self {
            params: Params::DEFAULT,
        }
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &str) -> Result<String, CryptoError> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| CryptoError(format!("password hashing failed: {e}")))
    }

    fn verify(&self, password: &str, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        // Refuse hashes whose parameters would make verification a denial of service.
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        if params.m_cost() > MAX_VERIFY_M_COST_KIB
            || params.t_cost() > MAX_VERIFY_T_COST
            || params.p_cost() > MAX_VERIFY_P_COST
        {
            return false;
        }
        self.argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_the_configured_params() {
        let hasher = Argon2Hasher::new(64, 1, 1).unwrap();
        let hash = hasher.hash("pw").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
    }

    #[test]
    fn default_is_owasp_minimum() {
        let h = Argon2Hasher::default();
        assert_eq!((h.m_cost_kib(), h.t_cost(), h.p_cost()), (19 * 1024, 2, 1));
    }

    #[test]
    fn invalid_params_are_refused() {
        assert!(Argon2Hasher::new(64, 0, 1).is_err());
        assert!(Argon2Hasher::new(64, 1, 0).is_err());
        assert!(Argon2Hasher::new(1, 1, 1).is_err());
    }

    #[test]
    fn absurd_stored_params_are_refused_without_hashing() {
        let hasher = Argon2Hasher::fast_for_tests();
        let hash = hasher.hash("pw").unwrap();
        // Rewrite the cost to 4 TiB; verification must say no rather than allocate.
        let hostile = hash.replacen("m=8,", "m=4294967295,", 1);
        assert_ne!(hostile, hash);
        assert!(!hasher.verify("pw", &hostile));
    }
}
