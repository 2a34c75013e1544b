//! PATCH fields that tell "absent" (leave it) from `null` (clear it).

use serde::{Deserialize, Deserializer};

/// With `#[serde(default, deserialize_with = "nullable::present")]` on an
/// `Option<Option<T>>`: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
///
/// # Errors
/// When the value is not a `T`.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Patch {
        #[serde(default, deserialize_with = "super::present")]
        manager_id: Option<Option<u32>>,
    }

    #[test]
    fn absent_null_and_a_value_differ() {
        let read = |s: &str| serde_json::from_str::<Patch>(s).map(|p| p.manager_id);
        assert_eq!(read("{}").unwrap(), None);
        assert_eq!(read(r#"{"manager_id": null}"#).unwrap(), Some(None));
        assert_eq!(read(r#"{"manager_id": 7}"#).unwrap(), Some(Some(7)));
        assert!(read(r#"{"manager_id": "x"}"#).is_err());
    }
}
