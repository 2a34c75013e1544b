//! Argon2id password hashing through the `PasswordHasher` port.
#![allow(clippy::unwrap_used)]

use servicedesk_auth::Argon2Hasher;
use servicedesk_core::ports::PasswordHasher;

#[test]
fn hash_then_verify_roundtrip() {
    let hasher = Argon2Hasher::fast_for_tests();
    let hash = hasher.hash("correct horse battery staple").unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(hasher.verify("correct horse battery staple", &hash));
}

#[test]
fn wrong_password_is_refused() {
    let hasher = Argon2Hasher::fast_for_tests();
    let hash = hasher.hash("s3cret!").unwrap();
    assert!(!hasher.verify("s3cret", &hash));
    assert!(!hasher.verify("S3cret!", &hash));
    assert!(!hasher.verify("", &hash));
}

#[test]
fn garbage_hashes_are_refused_without_panicking() {
    let hasher = Argon2Hasher::fast_for_tests();
    for garbage in [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$",
        "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$pbkdf2-sha256$29000$N2bMWSuFUIoxZoxRSmkNQQ$",
        "\u{0}\u{ffff}",
    ] {
        assert!(!hasher.verify("password", garbage), "{garbage:?}");
    }
}

#[test]
fn same_password_hashes_differently_each_time() {
    let hasher = Argon2Hasher::fast_for_tests();
    let a = hasher.hash("same").unwrap();
    let b = hasher.hash("same").unwrap();
    assert_ne!(a, b, "a fresh salt per hash");
    assert!(hasher.verify("same", &a) && hasher.verify("same", &b));
}

#[test]
fn hashes_from_other_params_still_verify() {
    let old = Argon2Hasher::new(32, 1, 1).unwrap();
    let new = Argon2Hasher::fast_for_tests();
    let hash = old.hash("pw").unwrap();
    assert!(
        new.verify("pw", &hash),
        "verification reads the params from the hash"
    );
}

#[test]
fn default_params_hash_and_verify() {
    let hasher = Argon2Hasher::default();
    let hash = hasher.hash("pw").unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(hasher.verify("pw", &hash));
}

/// The reference for both directions: the argon2 crate's own PHC hasher and verifier.
fn reference(m: u32, t: u32, p: u32, algorithm: argon2::Algorithm) -> argon2::Argon2<'static> {
    let params = argon2::Params::new(m, t, p, None).unwrap();
    argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
}

#[test]
fn hashes_in_reused_memory_are_the_reference_implementations_hashes() {
    use argon2::password_hash::phc::PasswordHash;
    use argon2::{PasswordHasher as _, PasswordVerifier as _};
    use servicedesk_auth::HashMemory;

    let ours = Argon2Hasher::new(256, 2, 1).unwrap();
    let mut memory = HashMemory::default();
    for password in ["pw", "", "ünïcödé – 密码", &"long".repeat(300)] {
        // Ours, verified by the reference.
        let hash = ours.hash_in(password, &mut memory).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=256,t=2,p=1$"), "{hash}");
        let parsed = PasswordHash::new(&hash).unwrap();
        let r = reference(256, 2, 1, argon2::Algorithm::Argon2id);
        assert!(r.verify_password(password.as_bytes(), &parsed).is_ok());
        assert!(r.verify_password(b"other", &parsed).is_err());
        // The reference's, with other costs and algorithms, verified by ours in the same memory.
        for (m, t, p, alg) in [
            (256, 2, 1, argon2::Algorithm::Argon2id),
            (64, 1, 1, argon2::Algorithm::Argon2id),
            (512, 3, 2, argon2::Algorithm::Argon2id),
            (128, 1, 1, argon2::Algorithm::Argon2i),
            (128, 1, 1, argon2::Algorithm::Argon2d),
        ] {
            let theirs = reference(m, t, p, alg)
                .hash_password(password.as_bytes())
                .unwrap()
                .to_string();
            assert!(ours.verify_in(password, &theirs, &mut memory), "{theirs}");
            assert!(!ours.verify_in("other", &theirs, &mut memory), "{theirs}");
        }
    }
    // Kept at most the configured cost: 256 KiB, whatever the stored hashes asked for.
    assert_eq!(memory.bytes(), 256 * 1024);
}
