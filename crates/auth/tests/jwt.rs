//! HS256 JWTs with a key ring through the `TokenIssuer` port.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use servicedesk_auth::{ACCESS_TTL_SECS, JwtIssuer, MFA_TTL_SECS};
use servicedesk_core::ids::{OrgId, UserId};
use servicedesk_core::ports::{TokenError, TokenIssuer, TokenPurpose};
use uuid::Uuid;

const ISS: &str = "https://desk.example";
const AUD: &str = "servicedesk-api";

fn key_a() -> Vec<u8> {
    b"key-A-0123456789-0123456789-abcdef".to_vec()
}
fn key_b() -> Vec<u8> {
    b"key-B-0123456789-0123456789-abcdef".to_vec()
}

fn issuer() -> JwtIssuer {
    JwtIssuer::new(ISS, AUD, vec![("A".into(), key_a())], "A").unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap()
}

fn ids() -> (UserId, OrgId) {
    (UserId(Uuid::from_u128(0x11)), OrgId(Uuid::from_u128(0x22)))
}

fn access(issuer: &JwtIssuer) -> String {
    let (u, o) = ids();
    issuer
        .issue(u, o, TokenPurpose::Access, Some("sess-1"), now())
        .unwrap()
        .token
}

fn parts(token: &str) -> (String, String, String) {
    let mut it = token.split('.');
    let (h, p, s) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    assert!(it.next().is_none());
    (h.to_owned(), p.to_owned(), s.to_owned())
}

fn json_part(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn b64_json(v: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

/// The payload of a freshly issued access token, to re-sign in other ways.
fn payload() -> serde_json::Value {
    json_part(&parts(&access(&issuer())).1)
}

fn sign(alg: Algorithm, kid: &str, secret: &[u8], claims: &serde_json::Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[test]
fn roundtrip_carries_all_claims() {
    let issuer = issuer();
    let (u, o) = ids();
    let issued = issuer
        .issue(u, o, TokenPurpose::Access, Some("sess-1"), now())
        .unwrap();
    assert_eq!(issued.claims.user_id, u);
    assert_eq!(issued.claims.org_id, o);
    assert_eq!(issued.claims.session_id.as_deref(), Some("sess-1"));
    assert_eq!(issued.claims.purpose, TokenPurpose::Access);
    assert_eq!(issued.claims.issued_at, now());
    assert_eq!(
        issued.claims.expires_at,
        now() + TimeDelta::seconds(ACCESS_TTL_SECS)
    );
    assert_eq!(
        Uuid::parse_str(&issued.claims.jti)
            .unwrap()
            .get_version_num(),
        7
    );

    let verified = issuer
        .verify(&issued.token, TokenPurpose::Access, now())
        .unwrap();
    assert_eq!(verified, issued.claims);
    // Still valid one second before expiry.
    let late = now() + TimeDelta::seconds(ACCESS_TTL_SECS - 1);
    assert_eq!(
        issuer
            .verify(&issued.token, TokenPurpose::Access, late)
            .unwrap(),
        issued.claims
    );
}

#[test]
fn wire_format_names_kid_alg_and_claims() {
    let issuer = issuer();
    let (h, p, _) = parts(&access(&issuer));
    let header = json_part(&h);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["kid"], "A");
    let claims = json_part(&p);
    let (u, o) = ids();
    assert_eq!(claims["sub"], u.to_string());
    assert_eq!(claims["org"], o.to_string());
    assert_eq!(claims["iss"], ISS);
    assert_eq!(claims["aud"], AUD);
    assert_eq!(claims["typ"], "access");
    assert_eq!(claims["sid"], "sess-1");
    assert_eq!(claims["iat"], now().timestamp());
    assert_eq!(claims["nbf"], now().timestamp());
    assert_eq!(claims["exp"], now().timestamp() + 900);
    assert!(claims["jti"].is_string());
    assert_eq!(issuer.access_ttl_secs(), 900);
}

#[test]
fn jtis_are_unique() {
    let issuer = issuer();
    let (u, o) = ids();
    let a = issuer
        .issue(u, o, TokenPurpose::Access, None, now())
        .unwrap();
    let b = issuer
        .issue(u, o, TokenPurpose::Access, None, now())
        .unwrap();
    assert_ne!(a.claims.jti, b.claims.jti);
    assert_ne!(a.token, b.token);
}

#[test]
fn mfa_challenge_lives_five_minutes_without_session() {
    let issuer = issuer();
    let (u, o) = ids();
    let issued = issuer
        .issue(u, o, TokenPurpose::MfaChallenge, None, now())
        .unwrap();
    assert_eq!(
        issued.claims.expires_at - issued.claims.issued_at,
        TimeDelta::seconds(MFA_TTL_SECS)
    );
    assert_eq!(json_part(&parts(&issued.token).1)["typ"], "mfa");
    let verified = issuer
        .verify(&issued.token, TokenPurpose::MfaChallenge, now())
        .unwrap();
    assert_eq!(verified.session_id, None);
    assert_eq!(verified.purpose, TokenPurpose::MfaChallenge);
    let at_expiry = now() + TimeDelta::seconds(MFA_TTL_SECS);
    assert_eq!(
        issuer.verify(&issued.token, TokenPurpose::MfaChallenge, at_expiry),
        Err(TokenError::Expired)
    );
}

#[test]
fn tampered_payload_is_invalid() {
    let issuer = issuer();
    let (h, p, s) = parts(&access(&issuer));
    let mut claims = json_part(&p);
    claims["sub"] = serde_json::Value::String(Uuid::from_u128(0x99).to_string());
    let forged = format!("{h}.{}.{s}", b64_json(&claims));
    assert_eq!(
        issuer.verify(&forged, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn tampered_signature_is_invalid() {
    let issuer = issuer();
    let (h, p, s) = parts(&access(&issuer));
    let first = if s.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{h}.{p}.{first}{}", &s[1..]);
    assert_eq!(
        issuer.verify(&forged, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
    let truncated = format!("{h}.{p}.{}", &s[..s.len() - 4]);
    assert_eq!(
        issuer.verify(&truncated, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
    let unsigned = format!("{h}.{p}.");
    assert_eq!(
        issuer.verify(&unsigned, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn alg_none_is_invalid() {
    let issuer = issuer();
    let header = serde_json::json!({"alg": "none", "typ": "JWT", "kid": "A"});
    let token = format!("{}.{}.", b64_json(&header), b64_json(&payload()));
    assert_eq!(
        issuer.verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
    // Also with the HS256 signature left in place.
    let (_, p, s) = parts(&access(&issuer));
    let token = format!("{}.{p}.{s}", b64_json(&header));
    assert_eq!(
        issuer.verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn other_algorithms_are_invalid_even_with_the_right_key() {
    let issuer = issuer();
    let claims = payload();
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign(alg, "A", &key_a(), &claims);
        assert_eq!(
            issuer.verify(&token, TokenPurpose::Access, now()),
            Err(TokenError::Invalid),
            "{alg:?}"
        );
    }
    // A header announcing RS256 over an HMAC signature (key confusion).
    let (_, p, s) = parts(&access(&issuer));
    let rs_header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "A"});
    let token = format!("{}.{p}.{s}", b64_json(&rs_header));
    assert_eq!(
        issuer.verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
    // Control: HS256 with the same key and claims is accepted.
    let token = sign(Algorithm::HS256, "A", &key_a(), &claims);
    assert!(issuer.verify(&token, TokenPurpose::Access, now()).is_ok());
}

#[test]
fn another_key_under_the_same_kid_is_invalid() {
    let token = sign(Algorithm::HS256, "A", &key_b(), &payload());
    assert_eq!(
        issuer().verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn wrong_audience_is_invalid() {
    let other = JwtIssuer::new(ISS, "another-api", vec![("A".into(), key_a())], "A").unwrap();
    let token = access(&other);
    assert_eq!(
        issuer().verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
    let mut claims = payload();
    claims["aud"] = serde_json::json!(["another-api"]);
    let token = sign(Algorithm::HS256, "A", &key_a(), &claims);
    assert_eq!(
        issuer().verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn wrong_issuer_is_invalid() {
    let other = JwtIssuer::new(
        "https://evil.example",
        AUD,
        vec![("A".into(), key_a())],
        "A",
    )
    .unwrap();
    let token = access(&other);
    assert_eq!(
        issuer().verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn missing_claims_are_invalid() {
    for claim in [
        "exp", "nbf", "iss", "aud", "sub", "org", "typ", "jti", "iat",
    ] {
        let mut claims = payload();
        claims.as_object_mut().unwrap().remove(claim);
        let token = sign(Algorithm::HS256, "A", &key_a(), &claims);
        assert_eq!(
            issuer().verify(&token, TokenPurpose::Access, now()),
            Err(TokenError::Invalid),
            "{claim}"
        );
    }
}

#[test]
fn expiry_is_judged_by_now_not_the_system_clock() {
    let issuer = issuer();
    let issued = issuer
        .issue(ids().0, ids().1, TokenPurpose::Access, None, now())
        .unwrap();
    let at_exp = issued.claims.expires_at;
    assert_eq!(
        issuer.verify(&issued.token, TokenPurpose::Access, at_exp),
        Err(TokenError::Expired)
    );
    assert_eq!(
        issuer.verify(
            &issued.token,
            TokenPurpose::Access,
            at_exp + TimeDelta::days(365)
        ),
        Err(TokenError::Expired)
    );
    // A token issued in 2001 verifies "in 2001" although the system clock is far later.
    let then = DateTime::from_timestamp(1_000_000_000, 0).unwrap();
    let old = issuer
        .issue(ids().0, ids().1, TokenPurpose::Access, None, then)
        .unwrap();
    assert!(
        issuer
            .verify(
                &old.token,
                TokenPurpose::Access,
                then + TimeDelta::seconds(60)
            )
            .is_ok()
    );
}

#[test]
fn not_yet_valid_is_invalid() {
    let issuer = issuer();
    let token = access(&issuer);
    assert_eq!(
        issuer.verify(&token, TokenPurpose::Access, now() - TimeDelta::seconds(1)),
        Err(TokenError::Invalid)
    );
}

#[test]
fn mfa_token_used_as_access_is_wrong_purpose() {
    let issuer = issuer();
    let (u, o) = ids();
    let mfa = issuer
        .issue(u, o, TokenPurpose::MfaChallenge, None, now())
        .unwrap()
        .token;
    assert_eq!(
        issuer.verify(&mfa, TokenPurpose::Access, now()),
        Err(TokenError::WrongPurpose)
    );
    let acc = access(&issuer);
    assert_eq!(
        issuer.verify(&acc, TokenPurpose::MfaChallenge, now()),
        Err(TokenError::WrongPurpose)
    );
}

#[test]
fn unknown_or_missing_kid_is_invalid() {
    let claims = payload();
    let token = sign(Algorithm::HS256, "Z", &key_a(), &claims);
    assert_eq!(
        issuer().verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
    let no_kid = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&key_a()),
    )
    .unwrap();
    assert_eq!(
        issuer().verify(&no_kid, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
}

#[test]
fn key_rotation() {
    let old = issuer();
    let token = access(&old);

    let rotated = JwtIssuer::new(
        ISS,
        AUD,
        vec![("B".into(), key_b()), ("A".into(), key_a())],
        "B",
    )
    .unwrap();
    assert!(
        rotated.verify(&token, TokenPurpose::Access, now()).is_ok(),
        "the old kid still verifies"
    );
    let new_token = access(&rotated);
    assert_eq!(json_part(&parts(&new_token).0)["kid"], "B");
    assert!(
        rotated
            .verify(&new_token, TokenPurpose::Access, now())
            .is_ok()
    );

    let retired = JwtIssuer::new(ISS, AUD, vec![("B".into(), key_b())], "B").unwrap();
    assert_eq!(
        retired.verify(&token, TokenPurpose::Access, now()),
        Err(TokenError::Invalid)
    );
    assert!(
        retired
            .verify(&new_token, TokenPurpose::Access, now())
            .is_ok()
    );
}

#[test]
fn malformed_tokens_are_invalid() {
    let issuer = issuer();
    for junk in [
        "",
        ".",
        "..",
        "a.b.c",
        "not-a-token",
        "e30.e30.",
        "Bearer x.y.z",
    ] {
        assert_eq!(
            issuer.verify(junk, TokenPurpose::Access, now()),
            Err(TokenError::Invalid),
            "{junk:?}"
        );
    }
}
