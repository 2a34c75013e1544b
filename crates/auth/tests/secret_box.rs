//! XChaCha20-Poly1305 secret box through the `SecretBox` port.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use servicedesk_auth::{AeadSecretBox, SEALED_PREFIX};
use servicedesk_core::ports::SecretBox;

fn sb() -> AeadSecretBox {
    AeadSecretBox::new(&[42; 32]).unwrap()
}

#[test]
fn seal_then_open_roundtrip() {
    let sb = sb();
    for plain in ["JBSWY3DPEHPK3PXP", "", "ünïcødé ✓", &"x".repeat(10_000)] {
        let sealed = sb.seal(plain).unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX), "{sealed}");
        assert!(!sealed.contains(plain) || plain.is_empty());
        assert_eq!(sb.open(&sealed).unwrap(), plain);
    }
}

#[test]
fn two_seals_of_the_same_text_differ() {
    let sb = sb();
    let a = sb.seal("same").unwrap();
    let b = sb.seal("same").unwrap();
    assert_ne!(a, b, "fresh nonce each time");
    assert_eq!(sb.open(&a).unwrap(), sb.open(&b).unwrap());
}

#[test]
fn any_tampering_is_detected() {
    let sb = sb();
    let sealed = sb.seal("JBSWY3DPEHPK3PXP").unwrap();
    let bytes = URL_SAFE_NO_PAD
        .decode(&sealed[SEALED_PREFIX.len()..])
        .unwrap();
    for i in 0..bytes.len() {
        let mut forged = bytes.clone();
        forged[i] ^= 0x01;
        let forged = format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(forged));
        assert!(sb.open(&forged).is_err(), "flipped byte {i}");
    }
    let truncated = format!(
        "{SEALED_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() - 1])
    );
    assert!(sb.open(&truncated).is_err());
}

#[test]
fn another_key_cannot_open() {
    let sealed = sb().seal("secret").unwrap();
    let other = AeadSecretBox::new(&[43; 32]).unwrap();
    assert!(other.open(&sealed).is_err());
}

#[test]
fn from_base64_config_key() {
    let key = [9u8; 32];
    let a = AeadSecretBox::from_base64(&STANDARD.encode(key)).unwrap();
    let b = AeadSecretBox::new(&key).unwrap();
    assert_eq!(b.open(&a.seal("hello").unwrap()).unwrap(), "hello");
    assert!(AeadSecretBox::from_base64("c2hvcnQ=").is_err());
}
