//! The `X-Servicedesk-Signature` scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
//!
//! The MAC covers `"<t>.<body>"` (the decimal timestamp, a dot, the exact body bytes), so a
//! receiver that also checks `t` against its own clock refuses a captured delivery replayed
//! later, and a changed timestamp breaks the MAC.

use std::time::Duration;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::SignatureError;

type HmacSha256 = Hmac<Sha256>;

/// How far the signed timestamp may be from the receiver's clock by default: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The longest header [`verify`] looks at; anything longer is malformed.
const MAX_HEADER_LEN: usize = 1024;

/// Length of a SHA-256 MAC in bytes.
const MAC_LEN: usize = 32;

/// The `X-Servicedesk-Signature` value for `body` signed with `secret` at `timestamp` (unix
/// seconds): `t=<timestamp>,v1=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
///
/// ```
/// let header = servicedesk_webhook::sign(b"s3cret", 1_700_000_000, br#"{"a":1}"#);
/// assert!(header.starts_with("t=1700000000,v1="));
/// assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
/// ```
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", to_hex(&tag))
}

/// Checks an `X-Servicedesk-Signature` header against the received `body` and the
/// receiver's copy of `secret`.
///
/// `now` is the receiver's time in unix seconds; the header's timestamp may differ from it
/// by at most `tolerance` (whole seconds; [`DEFAULT_TOLERANCE`] is a sensible value) in
/// either direction. The MAC is compared in constant time. Unknown `key=value` parts are
/// ignored and several `v1=` values are allowed (any one matching is enough), so a sender
/// can sign with an old and a new secret while a secret is rotated.
///
/// ```
/// use servicedesk_webhook::{DEFAULT_TOLERANCE, SignatureError, sign, verify};
///
/// let header = sign(b"s3cret", 1_700_000_000, b"{}");
/// assert_eq!(verify(b"s3cret", &header, b"{}", 1_700_000_030, DEFAULT_TOLERANCE), Ok(()));
/// assert_eq!(
///     verify(b"other", &header, b"{}", 1_700_000_030, DEFAULT_TOLERANCE),
///     Err(SignatureError::Mismatch)
/// );
/// ```
///
/// # Errors
/// [`SignatureError::Malformed`] when the header does not parse,
/// [`SignatureError::Stale`] when the timestamp is out of tolerance (checked before the
/// MAC), [`SignatureError::Mismatch`] when no `v1=` value matches.
pub fn verify(
    secret: &[u8],
    header_value: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let header = parse_header(header_value)?;
    let age = now.abs_diff(header.timestamp);
    if age > tolerance.as_secs() {
        return Err(SignatureError::Stale {
            timestamp: header.timestamp,
            now,
            age,
        });
    }
    let expected = mac(secret, header.timestamp, body);
    if header
        .signatures
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// HMAC-SHA256 over `"<timestamp>.<body>"`, not yet finalized.
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new(&key_block(secret));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The HMAC key block K0 of RFC 2104 §2: a key longer than the hash's block size is hashed
/// first, and the result is padded with zeros to the block size. HMAC over K0 equals HMAC
/// over the original key (the `hmac` crate does the same inside its fallible
/// `new_from_slice`); building it here keeps signing free of any error path.
fn key_block(secret: &[u8]) -> hmac::digest::Key<HmacSha256> {
    let mut block = hmac::digest::Key::<HmacSha256>::default();
    if secret.len() > block.len() {
        let digest = Sha256::digest(secret);
        block
            .iter_mut()
            .zip(digest.iter())
            .for_each(|(b, d)| *b = *d);
    } else {
        block.iter_mut().zip(secret).for_each(|(b, s)| *b = *s);
    }
    block
}

/// A parsed signature header.
struct Header {
    timestamp: i64,
    signatures: Vec<[u8; MAC_LEN]>,
}

fn parse_header(value: &str) -> Result<Header, SignatureError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed("header too long"));
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in value.split(',') {
        let (key, val) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("expected key=value parts"))?;
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one t="));
                }
                timestamp = Some(parse_timestamp(val)?);
            }
            "v1" => signatures.push(from_hex(val).ok_or(SignatureError::Malformed(
                "v1= is not 64 hexadecimal digits",
            ))?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t="))?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed("no v1="));
    }
    Ok(Header {
        timestamp,
        signatures,
    })
}

/// Unix seconds in canonical decimal, as [`sign`] writes them: ASCII digits only (no sign,
/// no spaces, no leading zero), within `i64`. The MAC covers this text, so accepting other
/// spellings of the same number would make receivers disagree on what was signed.
fn parse_timestamp(s: &str) -> Result<i64, SignatureError> {
    let canonical = s == "0" || (!s.starts_with('0') && !s.is_empty());
    if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed("t= is not unix seconds"));
    }
    s.parse()
        .map_err(|_| SignatureError::Malformed("t= is not unix seconds"))
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Exactly `2 * MAC_LEN` hex digits (either case) → bytes.
fn from_hex(s: &str) -> Option<[u8; MAC_LEN]> {
    let digits = s.as_bytes();
    if digits.len() != 2 * MAC_LEN {
        return None;
    }
    let mut out = [0u8; MAC_LEN];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *byte = (nibble(*hi)? << 4) | nibble(*lo)?;
    }
    Some(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HMAC-SHA256 of `data` under `key` through our key block.
    fn hmac_ours(key: &[u8], data: &[u8]) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new(&key_block(key));
        mac.update(data);
        to_hex(&mac.finalize().into_bytes())
    }

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 test cases 1, 2, 6 and 7 (6 and 7 use a 131-byte key, longer than a block).
    #[test]
    fn key_block_gives_the_rfc_4231_hmac_sha256_values() {
        let cases: [(Vec<u8>, &[u8], &str); 4] = [
            (
                vec![0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(hmac_ours(&key, data), expected);
        }
    }

    #[test]
    fn key_block_agrees_with_the_crates_own_key_handling() {
        for len in [0, 1, 31, 32, 63, 64, 65, 128, 1000] {
            let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut theirs = <HmacSha256 as KeyInit>::new_from_slice(&key).unwrap();
            theirs.update(b"data");
            assert_eq!(
                hmac_ours(&key, b"data"),
                to_hex(&theirs.finalize().into_bytes()),
                "key length {len}"
            );
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        let bytes: Vec<u8> = (0..32).map(|i| i * 8).collect();
        let hex = to_hex(&bytes);
        assert_eq!(hex, hex.to_lowercase());
        assert_eq!(from_hex(&hex).unwrap().to_vec(), bytes);
        assert_eq!(from_hex(&hex.to_uppercase()).unwrap().to_vec(), bytes);
        assert_eq!(hex_bytes(&hex), bytes);
        assert!(from_hex(&hex[..62]).is_none());
        assert!(from_hex(&format!("{}zz", &hex[..62])).is_none());
        assert!(from_hex(&format!("{hex}00")).is_none());
        assert!(from_hex(&"é".repeat(32)).is_none());
    }

    #[test]
    fn sign_signs_timestamp_dot_body() {
        let header = sign(b"key", 42, b"body");
        assert_eq!(header, format!("t=42,v1={}", hmac_ours(b"key", b"42.body")));
    }

    #[test]
    fn malformed_headers_are_named() {
        let good = sign(b"k", 100, b"x");
        let v1 = good.split_once(",v1=").unwrap().1;
        for (header, why) in [
            ("", "expected key=value parts"),
            ("garbage", "expected key=value parts"),
            (&format!("v1={v1}") as &str, "no t="),
            ("t=100", "no v1="),
            (&format!("t=-5,v1={v1}"), "t= is not unix seconds"),
            (&format!("t=+5,v1={v1}"), "t= is not unix seconds"),
            (&format!("t=,v1={v1}"), "t= is not unix seconds"),
            (&format!("t=1e3,v1={v1}"), "t= is not unix seconds"),
            (&format!("t=0100,v1={v1}"), "t= is not unix seconds"),
            (
                &format!("t=99999999999999999999,v1={v1}"),
                "t= is not unix seconds",
            ),
            (&format!("t=100,t=100,v1={v1}"), "more than one t="),
            ("t=100,v1=abc", "v1= is not 64 hexadecimal digits"),
            (&format!("t=100,v1={v1},"), "expected key=value parts"),
            (&"x".repeat(2000), "header too long"),
        ] {
            assert_eq!(
                verify(b"k", header, b"x", 100, DEFAULT_TOLERANCE),
                Err(SignatureError::Malformed(why)),
                "{header}"
            );
        }
    }

    #[test]
    fn extra_parts_spaces_and_a_second_v1_are_accepted() {
        let good = sign(b"k", 100, b"x");
        let v1 = good.split_once(",v1=").unwrap().1;
        let zeros = "0".repeat(64);
        for header in [
            format!("t=100, v1={v1}"),
            format!("v1={v1},t=100"),
            format!("t=100,v0=whatever,v1={zeros},v1={v1}"),
            format!("t=100,v1={}", v1.to_uppercase()),
        ] {
            assert_eq!(
                verify(b"k", &header, b"x", 100, DEFAULT_TOLERANCE),
                Ok(()),
                "{header}"
            );
        }
        assert_eq!(
            verify(
                b"k",
                &format!("t=100,v1={zeros}"),
                b"x",
                100,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn tolerance_applies_both_ways_to_the_second() {
        let header = sign(b"k", 1000, b"x");
        let tol = Duration::from_secs(60);
        assert_eq!(verify(b"k", &header, b"x", 1060, tol), Ok(()));
        assert_eq!(verify(b"k", &header, b"x", 940, tol), Ok(()));
        assert_eq!(
            verify(b"k", &header, b"x", 1061, tol),
            Err(SignatureError::Stale {
                timestamp: 1000,
                now: 1061,
                age: 61
            })
        );
        assert!(matches!(
            verify(b"k", &header, b"x", 939, tol),
            Err(SignatureError::Stale { age: 61, .. })
        ));
        // A stale header is refused even when the MAC matches, and the error says so
        // without any MAC in it.
        let text = verify(b"k", &header, b"x", 5000, tol)
            .unwrap_err()
            .to_string();
        assert!(
            !text.contains(header.split_once("v1=").unwrap().1),
            "{text}"
        );
    }
}
