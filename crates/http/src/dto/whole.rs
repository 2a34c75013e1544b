//! Integers in JSON bodies as JSON Schema reads them: `3` and `3.0` are the same integer
//! (JSON Schema's `integer` is any number with a zero fractional part), so both are
//! accepted; `3.5` and values out of range are refused with the field named.

use serde::Deserialize;
use serde::de::{Deserializer, Error};

/// 2^63, exact in f64: the whole floats in `-2^63..2^63` fit an i64, so the cast cannot saturate.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

fn whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    number: serde_json::Number,
) -> Result<T, D::Error> {
    let value = match number.as_i64() {
        Some(i) => i,
        None => match number.as_f64() {
            Some(f) if f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f) => {
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                i
            }
            _ => {
                return Err(D::Error::custom(format!(
                    "{number} is not a whole number in range"
                )));
            }
        },
    };
    T::try_from(value).map_err(|_| D::Error::custom(format!("{number} is out of range")))
}

/// An optional whole number (`null` or absent → `None`).
///
/// # Errors
/// A fraction, a non-number or a value that does not fit `T`.
pub fn opt<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => whole::<D, T>(n).map(Some),
    }
}

/// A required whole number.
///
/// # Errors
/// As [`opt`].
pub fn req<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    whole::<D, T>(serde_json::Number::deserialize(d)?)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(default, deserialize_with = "super::opt")]
        version: Option<i64>,
        #[serde(deserialize_with = "super::req")]
        minutes: u32,
    }

    #[test]
    fn whole_floats_are_integers_fractions_are_not() {
        let b: Body = serde_json::from_str(r#"{"version": 3.0, "minutes": 60}"#).unwrap();
        assert_eq!(
            b,
            Body {
                version: Some(3),
                minutes: 60
            }
        );
        let b: Body = serde_json::from_str(r#"{"version": null, "minutes": 1e2}"#).unwrap();
        assert_eq!(
            b,
            Body {
                version: None,
                minutes: 100
            }
        );
        let b: Body = serde_json::from_str(r#"{"minutes": 0}"#).unwrap();
        assert_eq!(b.version, None);
        for bad in [
            r#"{"minutes": 1.5}"#,
            r#"{"minutes": -1}"#,
            r#"{"minutes": 4294967296}"#,
            r#"{"minutes": "5"}"#,
            r#"{"version": 1e300, "minutes": 1}"#,
        ] {
            assert!(serde_json::from_str::<Body>(bad).is_err(), "{bad}");
        }
    }
}
