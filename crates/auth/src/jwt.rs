//! Signed, expiring tokens: HS256 JWTs with a key ring.
//!
//! Header: `{"typ":"JWT","alg":"HS256","kid":"<key id>"}`. Claims: `sub` (user id), `org`
//! (organization id), `jti` (UUID v7), `sid` (login session, optional), `typ` (`"access"` or
//! `"mfa"`), `iat`, `nbf`, `exp` (Unix seconds), `iss`, `aud`.
//!
//! Verification pins the algorithm to HS256 (a token announcing `none`, `HS512`, `RS256`, … is
//! refused before any key is used), looks the `kid` up in the ring, checks signature, issuer
//! and audience, then checks `nbf`/`exp` against the caller's `now` (never the system clock)
//! with zero leeway, and finally the purpose.
//!
//! Rotation: add the new key to the ring and make it active; keep the old key in the ring
//! for at least one access-token lifetime so tokens it signed still verify; then drop it.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use servicedesk_core::ids::{OrgId, UserId};
use servicedesk_core::ports::{
    Claims, CryptoError, IssuedToken, TokenError, TokenIssuer, TokenPurpose,
};
use uuid::Uuid;

use crate::verified::{Signed, Verified};

/// Seconds an access token lives (15 minutes).
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// Seconds an MFA challenge token lives (5 minutes).
pub const MFA_TTL_SECS: i64 = 5 * 60;
/// Shortest accepted HMAC secret, in bytes (256 bits, the HS256 output size).
pub const MIN_SECRET_LEN: usize = 32;

const TYP_ACCESS: &str = "access";
const TYP_MFA: &str = "mfa";

/// The JWT payload as written on the wire.
#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    sub: String,
    org: String,
    jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    typ: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    iss: String,
    aud: String,
}

struct RingKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// HS256 JWT issuer and verifier with a key ring ([`TokenIssuer`]).
pub struct JwtIssuer {
    issuer: String,
    audience: String,
    keys: HashMap<String, RingKey>,
    active_kid: String,
    validation: Validation,
    verified: Verified,
}

impl fmt::Debug for JwtIssuer {
    /// Names the key ids, never the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        f.debug_struct("JwtIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("kids", &kids)
            .field("active_kid", &self.active_kid)
            .finish_non_exhaustive()
    }
}

impl JwtIssuer {
    /// An issuer named `issuer` for the audience `audience`, verifying with every key of
    /// `keys` (`(kid, secret)` pairs) and signing with the one named `active_kid`.
    ///
    /// # Errors
    /// When the issuer or audience is empty, the ring is empty, a kid is empty or repeated,
    /// a secret is shorter than [`MIN_SECRET_LEN`] bytes, or `active_kid` is not in the ring.
    pub fn new(
        issuer: &str,
        audience: &str,
        keys: Vec<(String, Vec<u8>)>,
        active_kid: &str,
    ) -> Result<Self, CryptoError> {
        if issuer.is_empty() || audience.is_empty() {
            return Err(CryptoError(
                "JWT issuer and audience must not be empty".into(),
            ));
        }
        if keys.is_empty() {
            return Err(CryptoError("the JWT key ring is empty".into()));
        }
        let mut ring = HashMap::with_capacity(keys.len());
        for (kid, secret) in keys {
            if kid.is_empty() {
                return Err(CryptoError("a JWT key id is empty".into()));
            }
            if secret.len() < MIN_SECRET_LEN {
                return Err(CryptoError(format!(
                    "JWT key {kid:?} is {} bytes; at least {MIN_SECRET_LEN} are required",
                    secret.len()
                )));
            }
            let key = RingKey {
                encoding: EncodingKey::from_secret(&secret),
                decoding: DecodingKey::from_secret(&secret),
            };
            if ring.insert(kid.clone(), key).is_some() {
                return Err(CryptoError(format!("JWT key id {kid:?} appears twice")));
            }
        }
        if !ring.contains_key(active_kid) {
            return Err(CryptoError(format!(
                "the active JWT key {active_kid:?} is not in the ring"
            )));
        }

        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // Time is checked by `verify` against the caller's `now`; jsonwebtoken would read the
        // system clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.reject_tokens_expiring_in_less_than = 0;

        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys: ring,
            active_kid: active_kid.to_owned(),
            validation,
            verified: Verified::default(),
        })
    }

    /// The key id new tokens are signed with.
    #[must_use]
    pub fn active_kid(&self) -> &str {
        &self.active_kid
    }

    /// Seconds a token of `purpose` lives.
    #[must_use]
    pub const fn ttl_secs(purpose: TokenPurpose) -> i64 {
        match purpose {
            TokenPurpose::Access => ACCESS_TTL_SECS,
            TokenPurpose::MfaChallenge => MFA_TTL_SECS,
        }
    }
}

const fn purpose_typ(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::Access => TYP_ACCESS,
        TokenPurpose::MfaChallenge => TYP_MFA,
    }
}

fn purpose_from_typ(typ: &str) -> Option<TokenPurpose> {
    match typ {
        TYP_ACCESS => Some(TokenPurpose::Access),
        TYP_MFA => Some(TokenPurpose::MfaChallenge),
        _ => None,
    }
}

/// A UUID v7 for `now` with random low bits (from the caller's time, not the system clock).
fn new_jti(now: DateTime<Utc>) -> String {
    servicedesk_core::ports::random_v7(now).to_string()
}

fn seconds(ts: i64) -> Result<DateTime<Utc>, CryptoError> {
    DateTime::from_timestamp(ts, 0)
        .ok_or_else(|| CryptoError(format!("timestamp {ts} out of range")))
}

impl JwtIssuer {
    /// What a token says once its signature, algorithm, key, issuer and audience hold; its
    /// times and purpose are not yet checked.
    fn signed(&self, token: &str) -> Result<Signed, TokenError> {
        // Pin the algorithm and find the key before touching the signature.
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
        let key = self.keys.get(kid).ok_or(TokenError::Invalid)?;
        let wire = jsonwebtoken::decode::<WireClaims>(token, &key.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        // Belt and braces: jsonwebtoken checked these already.
        if wire.iss != self.issuer || wire.aud != self.audience || wire.iat > wire.exp {
            return Err(TokenError::Invalid);
        }
        let purpose = purpose_from_typ(&wire.typ).ok_or(TokenError::Invalid)?;
        let user_id = Uuid::parse_str(&wire.sub)
            .map(UserId)
            .map_err(|_| TokenError::Invalid)?;
        let org_id = Uuid::parse_str(&wire.org)
            .map(OrgId)
            .map_err(|_| TokenError::Invalid)?;
        let issued_at = seconds(wire.iat).map_err(|_| TokenError::Invalid)?;
        let expires_at = seconds(wire.exp).map_err(|_| TokenError::Invalid)?;
        Ok(Signed {
            not_before: wire.nbf,
            expires: wire.exp,
            claims: Claims {
                user_id,
                org_id,
                jti: wire.jti,
                session_id: wire.sid,
                purpose,
                issued_at,
                expires_at,
            },
        })
    }
}

impl TokenIssuer for JwtIssuer {
    fn issue(
        &self,
        user: UserId,
        org: OrgId,
        purpose: TokenPurpose,
        session_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, CryptoError> {
        let key = self.keys.get(&self.active_kid).ok_or_else(|| {
            CryptoError(format!(
                "the active JWT key {:?} is not in the ring",
                self.active_kid
            ))
        })?;
        let iat = now.timestamp();
        let exp = iat
            .checked_add(Self::ttl_secs(purpose))
            .ok_or_else(|| CryptoError(format!("timestamp {iat} out of range")))?;
        let (issued_at, expires_at) = (seconds(iat)?, seconds(exp)?);
        let wire = WireClaims {
            sub: user.to_string(),
            org: org.to_string(),
            jti: new_jti(now),
            sid: session_id.map(str::to_owned),
            typ: purpose_typ(purpose).to_owned(),
            iat,
            nbf: iat,
            exp,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.active_kid.clone());
        let token = jsonwebtoken::encode(&header, &wire, &key.encoding)
            .map_err(|e| CryptoError(format!("signing a token failed: {e}")))?;
        let claims = Claims {
            user_id: user,
            org_id: org,
            jti: wire.jti,
            session_id: wire.sid,
            purpose,
            issued_at,
            expires_at,
        };
        Ok(IssuedToken { token, claims })
    }

    fn verify(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError> {
        // A token already seen valid skips the header, HMAC and claims decoding (a sixth
        // of an authenticated read's CPU); its times and purpose are checked again below.
        if let Some(signed) = self.verified.get(token) {
            return signed.valid_at(purpose, now);
        }
        let signed = self.signed(token)?;
        let claims = signed.valid_at(purpose, now)?;
        self.verified.insert(token, signed);
        Ok(claims)
    }

    fn access_ttl_secs(&self) -> i64 {
        ACCESS_TTL_SECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Vec<u8> {
        vec![b; MIN_SECRET_LEN]
    }

    #[test]
    fn construction_checks_the_ring() {
        assert!(JwtIssuer::new("iss", "aud", vec![("a".into(), key(1))], "a").is_ok());
        assert!(JwtIssuer::new("iss", "aud", vec![], "a").is_err());
        assert!(JwtIssuer::new("iss", "aud", vec![("a".into(), key(1))], "b").is_err());
        assert!(JwtIssuer::new("iss", "aud", vec![("a".into(), vec![1; 31])], "a").is_err());
        assert!(
            JwtIssuer::new(
                "iss",
                "aud",
                vec![("a".into(), key(1)), ("a".into(), key(2))],
                "a"
            )
            .is_err()
        );
        assert!(JwtIssuer::new("iss", "aud", vec![(String::new(), key(1))], "").is_err());
        assert!(JwtIssuer::new("", "aud", vec![("a".into(), key(1))], "a").is_err());
        assert!(JwtIssuer::new("iss", "", vec![("a".into(), key(1))], "a").is_err());
    }

    #[test]
    fn debug_does_not_show_secrets() {
        let issuer = JwtIssuer::new(
            "iss",
            "aud",
            vec![("a".into(), b"0123456789abcdef0123456789abcdef".to_vec())],
            "a",
        )
        .unwrap();
        let shown = format!("{issuer:?}");
        assert!(shown.contains("\"a\""));
        assert!(!shown.contains("0123456789abcdef"));
    }

    #[test]
    fn jti_is_a_v7_uuid_at_now() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let jti = Uuid::parse_str(&new_jti(now)).unwrap();
        assert_eq!(jti.get_version_num(), 7);
        let (secs, _) = jti.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 1_700_000_000);
        assert_ne!(new_jti(now), new_jti(now));
    }

    fn one_key() -> JwtIssuer {
        JwtIssuer::new("iss", "aud", vec![("a".into(), key(7))], "a").unwrap()
    }

    fn access(jwt: &JwtIssuer, user: UserId, org: OrgId, now: DateTime<Utc>) -> IssuedToken {
        jwt.issue(user, org, TokenPurpose::Access, None, now)
            .unwrap()
    }

    #[test]
    fn a_token_seen_valid_is_checked_again_for_time_and_purpose() {
        let jwt = one_key();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let t = jwt
            .issue(
                UserId(Uuid::now_v7()),
                OrgId(Uuid::now_v7()),
                TokenPurpose::Access,
                Some("s"),
                now,
            )
            .unwrap();
        assert_eq!(
            jwt.verify(&t.token, TokenPurpose::Access, now).unwrap(),
            t.claims
        );
        assert_eq!(jwt.verified.len(), 1, "a valid token is kept");
        // The answers below come from the kept entry, and are those of a first look.
        assert_eq!(
            jwt.verify(&t.token, TokenPurpose::Access, now).unwrap(),
            t.claims
        );
        let at_expiry = now + chrono::Duration::seconds(ACCESS_TTL_SECS);
        assert_eq!(
            jwt.verify(&t.token, TokenPurpose::Access, at_expiry),
            Err(TokenError::Expired)
        );
        let before = now - chrono::Duration::seconds(1);
        assert_eq!(
            jwt.verify(&t.token, TokenPurpose::Access, before),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            jwt.verify(&t.token, TokenPurpose::MfaChallenge, now),
            Err(TokenError::WrongPurpose)
        );
        assert_eq!(jwt.verified.len(), 1);
    }

    #[test]
    fn only_tokens_that_verified_are_kept_and_a_changed_one_is_refused() {
        let jwt = one_key();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let t = access(&jwt, UserId(Uuid::now_v7()), OrgId(Uuid::now_v7()), now);
        let later = now + chrono::Duration::seconds(ACCESS_TTL_SECS);
        assert_eq!(
            jwt.verify(&t.token, TokenPurpose::Access, later),
            Err(TokenError::Expired)
        );
        assert_eq!(jwt.verified.len(), 0, "an expired token is not kept");
        jwt.verify(&t.token, TokenPurpose::Access, now).unwrap();
        // The kept token's signature with its last character changed, and one signed by
        // another key with the same claims, are refused: a hit needs the exact bytes.
        let mut forged = t.token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            jwt.verify(&forged, TokenPurpose::Access, now),
            Err(TokenError::Invalid)
        );
        let other = JwtIssuer::new("iss", "aud", vec![("a".into(), key(8))], "a").unwrap();
        let t2 = access(&other, t.claims.user_id, t.claims.org_id, now);
        assert_eq!(
            jwt.verify(&t2.token, TokenPurpose::Access, now),
            Err(TokenError::Invalid)
        );
        assert_eq!(jwt.verified.len(), 1);
    }

    #[test]
    fn the_kept_tokens_are_bounded() {
        let jwt = one_key();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let org = OrgId(Uuid::now_v7());
        let mut first = None;
        for _ in 0..=crate::verified::KEPT + 10 {
            let t = access(&jwt, UserId(Uuid::now_v7()), org, now);
            jwt.verify(&t.token, TokenPurpose::Access, now).unwrap();
            first.get_or_insert(t);
            assert!(jwt.verified.len() <= crate::verified::KEPT);
        }
        // Dropped from the map, the first token still verifies the long way.
        let first = first.unwrap();
        assert_eq!(
            jwt.verify(&first.token, TokenPurpose::Access, now).unwrap(),
            first.claims
        );
    }
}
