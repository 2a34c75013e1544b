//! RFC 6238 TOTP through the `Totp` port.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeDelta, Utc};
use servicedesk_auth::TotpService;
use servicedesk_core::ports::Totp;

/// Base32 of the RFC 6238 SHA-1 test secret, ASCII "12345678901234567890".
const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

#[test]
fn rfc6238_sha1_vectors_verify_and_return_their_step() {
    let totp = TotpService::default();
    // (time, last six digits of the RFC's eight-digit value)
    for (time, code) in [
        (59_i64, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ] {
        let step = u64::try_from(time / 30).unwrap();
        assert_eq!(
            totp.verify(RFC_SECRET, code, at(time)),
            Some(step),
            "t={time}"
        );
        assert_eq!(
            totp.code_at(RFC_SECRET, u64::try_from(time).unwrap())
                .unwrap(),
            code
        );
    }
}

#[test]
fn a_code_verifies_within_one_step_either_way_only() {
    let totp = TotpService::default();
    let secret = totp.new_secret();
    let t0 = 1_700_000_015_i64; // mid-step
    let step = u64::try_from(t0 / 30).unwrap();
    let code = totp.code_at(&secret, u64::try_from(t0).unwrap()).unwrap();

    assert_eq!(totp.verify(&secret, &code, at(t0)), Some(step));
    assert_eq!(totp.verify(&secret, &code, at(t0 + 30)), Some(step));
    assert_eq!(totp.verify(&secret, &code, at(t0 - 30)), Some(step));
    assert_eq!(totp.verify(&secret, &code, at(t0 + 90)), None);
    assert_eq!(totp.verify(&secret, &code, at(t0 - 90)), None);
}

#[test]
fn the_step_lets_callers_refuse_replays() {
    let totp = TotpService::default();
    let secret = totp.new_secret();
    let t0 = 1_700_000_000_i64;
    let code = totp.code_at(&secret, u64::try_from(t0).unwrap()).unwrap();
    let first = totp.verify(&secret, &code, at(t0)).unwrap();
    // The same code 20 s later matches the same step: a caller storing `first` refuses it.
    let again = totp.verify(&secret, &code, at(t0 + 20)).unwrap();
    assert_eq!(first, again);
    let next = totp
        .code_at(&secret, u64::try_from(t0 + 30).unwrap())
        .unwrap();
    assert!(totp.verify(&secret, &next, at(t0 + 30)).unwrap() > first);
}

#[test]
fn wrong_or_malformed_codes_are_refused() {
    let totp = TotpService::default();
    let now = at(59);
    for code in [
        "287083", "28708", "2870820", "", "abcdef", "+28708", "287 08x",
    ] {
        assert_eq!(totp.verify(RFC_SECRET, code, now), None, "{code:?}");
    }
    assert_eq!(
        totp.verify(RFC_SECRET, " 287 082 ", now),
        Some(1),
        "spaces are ignored"
    );
    assert_eq!(totp.verify("not base32!", "287082", now), None);
    assert_eq!(totp.verify(RFC_SECRET, "287082", at(-59)), None);
}

#[test]
fn otpauth_uri_names_issuer_account_and_secret() {
    let totp = TotpService::new("Acme IT").unwrap();
    let secret = totp.new_secret();
    let uri = totp.otpauth_uri(&secret, "alice@example.com").unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains("Acme%20IT"), "{uri}");
    assert!(uri.contains("issuer=Acme%20IT"), "{uri}");
    assert!(uri.contains("alice%40example.com"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");

    let default_uri = TotpService::default()
        .otpauth_uri(RFC_SECRET, "bob")
        .unwrap();
    assert!(default_uri.contains("issuer=Servicedesk"), "{default_uri}");
    assert!(default_uri.contains("Servicedesk:bob"), "{default_uri}");
}

#[test]
fn otpauth_uri_rejects_bad_input() {
    let totp = TotpService::default();
    assert!(totp.otpauth_uri("not base32!", "alice").is_err());
    assert!(totp.otpauth_uri(RFC_SECRET, "a:b").is_err());
    assert!(totp.otpauth_uri(RFC_SECRET, "").is_err());
}

#[test]
fn new_secrets_are_fresh() {
    let totp = TotpService::default();
    let secrets: std::collections::HashSet<String> = (0..100).map(|_| totp.new_secret()).collect();
    assert_eq!(secrets.len(), 100);
    let t = at(1_700_000_000) + TimeDelta::seconds(1);
    for s in &secrets {
        let code = totp
            .code_at(s, u64::try_from(t.timestamp()).unwrap())
            .unwrap();
        assert!(totp.verify(s, &code, t).is_some());
    }
}
