//! Identifier generation as a port, so tests get predictable ids.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Makes new opaque ids.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh id, unique across the platform.
    fn new_id(&self) -> Uuid;
}

/// Time-ordered UUID v7 ids: they index well as primary keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Generator;

impl IdGenerator for UuidV7Generator {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A UUID v7 stamped with `now` (the caller's clock), its other bits from the thread's
/// random generator: for ids that only need to be unique, such as token and request ids.
/// Unlike `Uuid::now_v7` it makes no system call and is not ordered within a millisecond.
pub fn random_v7(now: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let mut random = [0u8; 10];
    rand::fill(&mut random);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}
