//! Instants written the way chrono's own `Serialize` writes them (RFC 3339 in UTC with
//! `Z`, fractions of 0, 3, 6 or 9 digits), but as one string: chrono's impl streams its
//! digits through `collect_str`, which runs serde_json's escaping once per character,
//! and a page of 50 incidents carries some 200 instants.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// `#[serde(serialize_with = "instant::utc")]`.
///
/// # Errors
/// What the serializer answers.
pub fn utc<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// [`utc`] for an optional instant (`null` when absent).
///
/// # Errors
/// What the serializer answers.
pub fn utc_opt<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => utc(at, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use proptest::prelude::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Ours {
        #[serde(serialize_with = "super::utc")]
        at: DateTime<chrono::Utc>,
        #[serde(serialize_with = "super::utc_opt")]
        maybe: Option<DateTime<chrono::Utc>>,
    }

    #[derive(Serialize)]
    struct Chrono {
        at: DateTime<chrono::Utc>,
        maybe: Option<DateTime<chrono::Utc>>,
    }

    /// Nanoseconds of every precision chrono tells apart (whole seconds, millis, micros,
    /// nanos) and leap seconds.
    fn nanos() -> impl Strategy<Value = u32> {
        prop_oneof![
            Just(0u32),
            (1u32..1_000).prop_map(|m| m * 1_000_000),
            (1u32..1_000_000).prop_map(|u| u * 1_000),
            0u32..1_000_000_000,
            1_000_000_000u32..2_000_000_000,
        ]
    }

    proptest! {
        #[test]
        fn written_exactly_as_chrono_writes_them(
            secs in -62_135_596_800i64..=253_402_300_799,
            nanos in nanos(),
            absent in any::<bool>(),
        ) {
            let Some(at) = DateTime::from_timestamp(secs, nanos) else {
                return Ok(());
            };
            let maybe = (!absent).then_some(at);
            prop_assert_eq!(
                serde_json::to_string(&Ours { at, maybe }).unwrap(),
                serde_json::to_string(&Chrono { at, maybe }).unwrap()
            );
        }
    }
}
