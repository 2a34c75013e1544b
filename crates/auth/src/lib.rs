//! Security adapters of the service desk: the implementations of the core's security ports
//! (`servicedesk_core::ports::{PasswordHasher, TokenIssuer, Totp, SecretBox, OpaqueTokens}`).
//! Attempt limits live in the database (the store's `AttemptStore`), shared by every process.
//!
//! - [`Argon2Hasher`]: argon2id password hashes in PHC string form.
//! - [`HashPool`]: the one bound on hashing: one thread per core, a short queue, 503 past it.
//! - [`JwtIssuer`]: HS256 JWTs with a key ring (`kid` rotation), pinned algorithm, issuer
//!   and audience, checked against the caller's clock.
//! - [`TotpService`]: RFC 6238 one-time codes (SHA-1, 6 digits, 30 s, ±1 step).
//! - [`AeadSecretBox`]: XChaCha20-Poly1305 encryption of small secrets at rest.
//! - [`RandomTokens`]: random opaque tokens, recovery codes and their SHA-256 digests.
//!
//! No function here reads the wall clock: every time comes in as a `now` argument.

mod hash_pool;
mod jwt;
mod password;
mod secret_box;
mod tokens;
mod totp;
mod verified;

pub use hash_pool::{DEFAULT_MAX_WAIT, HashPool};
pub use jwt::{ACCESS_TTL_SECS, JwtIssuer, MFA_TTL_SECS, MIN_SECRET_LEN};
pub use password::{Argon2Hasher, HashMemory};
pub use secret_box::{AeadSecretBox, KEY_LEN, SEALED_PREFIX};
pub use tokens::{RECOVERY_ALPHABET, RandomTokens};
pub use totp::{DEFAULT_ISSUER, TotpService};
