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
