//! Identifier generation as a port, so tests get predictable ids.

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
