//! Publishing to the live feed (the WebSocket stream). The adapter fans an item out to
//! every server process (PostgreSQL `NOTIFY`, or in-process for embedded SQLite).

use crate::feed::FeedItem;
use crate::ports::DeliveryError;

/// Where live-feed items go.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait LiveFeed: Send + Sync {
    /// Sends `item` to the subscribers of every server process. Best effort and
    /// at-least-once: subscribers that are not connected miss it.
    ///
    /// # Errors
    /// `Retry` when the bus is unreachable.
    fn publish(&self, item: &FeedItem) -> Result<(), DeliveryError>;
}
