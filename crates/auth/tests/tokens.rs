//! Random opaque tokens, recovery codes and digests through the `OpaqueTokens` port.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use servicedesk_auth::{RECOVERY_ALPHABET, RandomTokens};
use servicedesk_core::ports::OpaqueTokens;

#[test]
fn tokens_are_43_url_safe_characters() {
    let t = RandomTokens.generate();
    assert_eq!(t.len(), 43, "{t}");
    assert!(
        t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{t}"
    );
}

#[test]
fn tokens_are_unique() {
    let tokens: HashSet<String> = (0..1000).map(|_| RandomTokens.generate()).collect();
    assert_eq!(tokens.len(), 1000);
}

#[test]
fn recovery_codes_have_three_groups_of_four() {
    for _ in 0..200 {
        let code = RandomTokens.recovery_code();
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 3, "{code}");
        for g in groups {
            assert_eq!(g.len(), 4, "{code}");
            assert!(g.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)), "{code}");
        }
        assert_eq!(code, code.to_lowercase());
    }
}

#[test]
fn recovery_codes_are_unique_and_use_the_alphabet() {
    let codes: HashSet<String> = (0..1000).map(|_| RandomTokens.recovery_code()).collect();
    assert_eq!(codes.len(), 1000);
    let used: HashSet<u8> = codes
        .iter()
        .flat_map(|c| c.bytes())
        .filter(|b| *b != b'-')
        .collect();
    assert_eq!(
        used.len(),
        RECOVERY_ALPHABET.len(),
        "12,000 draws hit every symbol"
    );
}

#[test]
fn digest_is_deterministic_64_hex() {
    let token = RandomTokens.generate();
    let d = RandomTokens.digest(&token);
    assert_eq!(d.len(), 64);
    assert!(
        d.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{d}"
    );
    assert_eq!(d, RandomTokens.digest(&token));
    assert_ne!(d, RandomTokens.digest(&RandomTokens.generate()));
    assert_ne!(d, token);
}
