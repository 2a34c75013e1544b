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

    /// Sends `items` in order, as [`LiveFeed::publish`] sends each; an adapter with a round
    /// trip per send does them in one. On `Err` some may have been sent (at-least-once:
    /// the caller sends the rest, or all, again).
    ///
    /// # Errors
    /// `Retry` when the bus is unreachable.
    fn publish_all(&self, items: &[FeedItem]) -> Result<(), DeliveryError> {
        items.iter().try_for_each(|i| self.publish(i))
    }
}
