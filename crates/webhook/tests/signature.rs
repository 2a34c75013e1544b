//! Properties of `sign` / `verify`: every signature verifies under its own secret, body and
//! a clock within tolerance; any change to one body byte, to the secret or to the signed
//! timestamp makes it fail; and no header text makes `verify` panic.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use proptest::prelude::*;
use servicedesk_webhook::{DEFAULT_TOLERANCE, SignatureError, sign, verify};

proptest! {
    #[test]
    fn verify_accepts_what_sign_made(
        secret in proptest::collection::vec(any::<u8>(), 0..100),
        body in proptest::collection::vec(any::<u8>(), 0..2000),
        t in 0i64..4_000_000_000,
        skew in -300i64..=300,
    ) {
        let header = sign(&secret, t, &body);
        prop_assert_eq!(verify(&secret, &header, &body, t + skew, DEFAULT_TOLERANCE), Ok(()));
    }

    #[test]
    fn flipping_any_body_byte_fails(
        secret in proptest::collection::vec(any::<u8>(), 0..100),
        body in proptest::collection::vec(any::<u8>(), 1..2000),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        t in 0i64..4_000_000_000,
    ) {
        let header = sign(&secret, t, &body);
        let mut changed = body.clone();
        let i = index.index(changed.len());
        changed[i] ^= flip;
        prop_assert_eq!(
            verify(&secret, &header, &changed, t, DEFAULT_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn another_secret_or_timestamp_fails(
        secret in proptest::collection::vec(any::<u8>(), 0..100),
        other in proptest::collection::vec(any::<u8>(), 0..100),
        body in proptest::collection::vec(any::<u8>(), 0..500),
        t in 1i64..4_000_000_000,
        shift in 1i64..=300,
    ) {
        prop_assume!(secret != other);
        let header = sign(&secret, t, &body);
        prop_assert_eq!(
            verify(&other, &header, &body, t, DEFAULT_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
        // The same MAC under another timestamp (within tolerance) does not verify.
        let moved = header.replacen(&format!("t={t},"), &format!("t={},", t + shift), 1);
        prop_assert_eq!(
            verify(&secret, &moved, &body, t, DEFAULT_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn outside_the_tolerance_is_stale(
        body in proptest::collection::vec(any::<u8>(), 0..100),
        t in 0i64..4_000_000_000,
        tolerance in 0u64..10_000,
        beyond in 1i64..1_000_000,
        later in any::<bool>(),
    ) {
        let header = sign(b"k", t, &body);
        let off = i64::try_from(tolerance).unwrap() + beyond;
        let now = if later { t + off } else { t - off };
        let stale = matches!(
            verify(b"k", &header, &body, now, Duration::from_secs(tolerance)),
            Err(SignatureError::Stale { .. })
        );
        prop_assert!(stale);
    }

    #[test]
    fn any_header_text_is_answered_without_panicking(header in ".{0,200}", body in ".{0,50}") {
        let _ = verify(b"k", &header, body.as_bytes(), 0, DEFAULT_TOLERANCE);
    }

    #[test]
    fn header_shaped_junk_is_refused(t in "[0-9]{1,12}", v1 in "[0-9a-fA-F]{0,70}") {
        let header = format!("t={t},v1={v1}");
        prop_assert!(verify(b"k", &header, b"x", 0, Duration::from_secs(u64::MAX)).is_err());
    }
}
