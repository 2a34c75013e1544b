//! Password hashing with argon2id, stored as PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use servicedesk_core::ports::{CryptoError, PasswordHasher};

/// Largest memory cost (KiB) a stored hash may ask for before [`Argon2Hasher::verify`]
/// refuses it instead of allocating: 1 GiB.
const MAX_VERIFY_M_COST_KIB: u32 = 1024 * 1024;
/// Largest time cost a stored hash may ask for.
const MAX_VERIFY_T_COST: u32 = 64;
/// Largest parallelism a stored hash may ask for.
const MAX_VERIFY_P_COST: u32 = 64;

/// Length of a new hash's random salt: 128 bits, as argon2's own `hash_password` makes.
const SALT_LEN: usize = 16;

/// argon2's working memory (`m_cost` KiB of blocks), kept from one hash to the next.
///
/// argon2 allocates and frees its whole array on every hash, and the allocator keeps a
/// freed array of that size cached in the thread that freed it: with one hashing thread
/// per core, each held its own 19 MiB after its first sign-in (docs/performance.md, issue
/// 12). Handing the same memory from hash to hash bounds what the process holds to one
/// array per hash that runs at once. The blocks are cleared after each use, so no state
/// derived from a password outlives its hash.
#[derive(Default)]
pub struct HashMemory(Vec<Block>);

impl std::fmt::Debug for HashMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashMemory")
            .field("blocks", &self.0.len())
            .finish()
    }
}

impl HashMemory {
    /// Bytes of working memory held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.0.len() * std::mem::size_of::<Block>()
    }

    /// Runs `f` over `count` blocks: this memory's own when `count` is at most `keep`
    /// (grown to it if needed), else a temporary array freed afterwards, so one stored hash
    /// with a large cost never leaves its size behind. Cleared after `f`.
    fn with_blocks<T>(
        &mut self,
        count: usize,
        keep: usize,
        f: impl FnOnce(&mut [Block]) -> T,
    ) -> T {
        if count > keep {
            let mut temporary = vec![Block::default(); count];
            let out = f(&mut temporary);
            temporary.fill(Block::default());
            return out;
        }
        if self.0.len() < count {
            self.0.resize(count, Block::default());
        }
        let blocks = &mut self.0[..count];
        let out = f(blocks);
        blocks.fill(Block::default());
        out
    }
}

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

    /// Working blocks of one hash with this hasher's parameters.
    fn block_count(&self) -> usize {
        self.params.block_count()
    }

    /// A new PHC hash of `password` computed in `memory` (see [`HashMemory`]).
    ///
    /// # Errors
    /// When argon2 refuses the input (a password longer than 4 GiB).
    pub fn hash_in(&self, password: &str, memory: &mut HashMemory) -> Result<String, CryptoError> {
        let fail = |e: &dyn std::fmt::Display| CryptoError(format!("password hashing failed: {e}"));
        let mut salt = [0u8; SALT_LEN];
        rand::fill(&mut salt);
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let count = self.block_count();
        memory
            .with_blocks(count, count, |blocks| {
                self.argon2().hash_password_into_with_memory(
                    password.as_bytes(),
                    &salt,
                    &mut out,
                    blocks,
                )
            })
            .map_err(|e| fail(&e))?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|e| fail(&e))?,
            salt: Some(Salt::new(&salt).map_err(|e| fail(&e))?),
            hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
        };
        Ok(hash.to_string())
    }

    /// Whether `password` matches the PHC `hash`, computed in `memory` with the parameters
    /// written in the hash (a hash whose costs exceed the limits above is refused unhashed).
    pub fn verify_in(&self, password: &str, hash: &str, memory: &mut HashMemory) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
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
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
            return false;
        };
        let Ok(version) = parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from)
        else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        let count = params.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        let computed = memory.with_blocks(count, self.block_count(), |blocks| {
            argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, blocks)
        });
        // `Output`'s equality is constant-time.
        computed.is_ok() && Output::new(&out).is_ok_and(|o| &o == expected)
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

/// Each call with its own working memory, freed afterwards; [`crate::HashPool`] reuses it.
impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &str) -> Result<String, CryptoError> {
        self.hash_in(password, &mut HashMemory::default())
    }

    fn verify(&self, password: &str, hash: &str) -> bool {
        self.verify_in(password, hash, &mut HashMemory::default())
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
    fn working_memory_is_cleared_after_each_hash_and_verification() {
        let hasher = Argon2Hasher::new(64, 1, 1).unwrap();
        let mut memory = HashMemory::default();
        let cleared = |m: &HashMemory| m.0.iter().all(|b| b.as_ref().iter().all(|&w| w == 0));
        let hash = hasher.hash_in("pw", &mut memory).unwrap();
        assert_eq!(memory.bytes(), 64 * 1024);
        assert!(cleared(&memory));
        assert!(hasher.verify_in("pw", &hash, &mut memory));
        assert!(cleared(&memory));
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
