//! Serde for `chrono::TimeDelta` (chrono has none): a signed integer number
//! of milliseconds. Sub-millisecond parts are dropped; timestamps from the
//! store carry microseconds at best, and SLA targets are minutes.

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(
    value: &TimeDelta,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(value.num_milliseconds())
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<TimeDelta, D::Error> {
    let millis = i64::deserialize(deserializer)?;
    TimeDelta::try_milliseconds(millis)
        .ok_or_else(|| serde::de::Error::custom("duration out of range"))
}
