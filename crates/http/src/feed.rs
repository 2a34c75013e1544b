//! The live feed inside one server process: [`FeedHub`] fans items out to the WebSocket
//! connections of this process (`GET /api/v1/stream`). Each connection filters for its
//! user ([`FeedItem::visible_to`]).
//!
//! The hub is a bounded `tokio::sync::broadcast` channel: publishing never waits, and a
//! subscriber that falls more than the buffer behind skips the items it missed (they are
//! logged) instead of slowing anyone else down. Delivery is best effort and at-least-once
//! across processes; clients de-duplicate on `event_id`.
//!
//! On one process (embedded SQLite) the hub itself is the [`LiveFeed`] publisher; on
//! PostgreSQL the publisher is the store's `NOTIFY` bridge, and each process's listener
//! hands what it hears to [`FeedHub::publish_local`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use servicedesk_core::feed::FeedItem;
use servicedesk_core::ports::{DeliveryError, LiveFeed};
use tokio::sync::broadcast;

/// One item as every connection sends it: the item (to filter on) and its JSON text,
/// serialized once per process, not once per socket.
#[derive(Debug)]
pub struct Published {
    item: FeedItem,
    json: String,
}

impl Published {
    /// The item.
    pub fn item(&self) -> &FeedItem {
        &self.item
    }

    /// Its JSON serialization: the text frame clients receive.
    pub fn json(&self) -> &str {
        &self.json
    }
}

#[derive(Debug, Clone)]
enum Frame {
    Item(Arc<Published>),
    Close,
}

/// In-process fan-out of live-feed items to the connected sockets.
#[derive(Debug)]
pub struct FeedHub {
    tx: broadcast::Sender<Frame>,
    closed: AtomicBool,
}

impl Default for FeedHub {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl FeedHub {
    /// Items a subscriber may fall behind before it skips (per process, shared by all
    /// subscribers: the channel keeps the last `capacity` items once).
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// A hub keeping the last `capacity` items (at least 1) for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self {
            tx,
            closed: AtomicBool::new(false),
        }
    }

    /// Sends `item` to the subscribers of this process only. Never blocks and never fails:
    /// with no subscriber the item is simply dropped.
    pub fn publish_local(&self, item: &FeedItem) {
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
        let json = match serde_json::to_string(item) {
            Ok(json) => json,
            Err(e) => {
                tracing::error!(error = %e, event_id = %item.event_id.0, "cannot serialize a feed item");
                return;
            }
        };
        // `Err` only means nobody is listening right now.
        let _ = self.tx.send(Frame::Item(Arc::new(Published {
            item: item.clone(),
            json,
        })));
    }

    /// A new subscription: it sees the items published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
            closed: self.closed.load(Ordering::SeqCst),
        }
    }

    /// How many subscriptions are open.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Shuts the feed down: every subscription ends (the sockets close with "going away")
    /// and later items are dropped. Call it before stopping the HTTP server, so open
    /// sockets do not hold up a graceful shutdown.
    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            let _ = self.tx.send(Frame::Close);
        }
    }
}

impl LiveFeed for FeedHub {
    /// The in-process publisher (one server process, e.g. on SQLite).
    fn publish(&self, item: &FeedItem) -> Result<(), DeliveryError> {
        self.publish_local(item);
        Ok(())
    }
}

/// What a subscription yields next.
#[derive(Debug)]
pub enum Next {
    /// An item.
    Item(Arc<Published>),
    /// Nothing new yet (only from [`Subscription::try_next`]).
    Empty,
    /// The hub was closed: end the connection.
    Closed,
}

/// One subscriber's view of the hub.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Frame>,
    closed: bool,
}

impl Subscription {
    /// Waits for the next item. A subscriber that fell behind skips what it missed (logged)
    /// and goes on with the oldest item still buffered.
    pub async fn next(&mut self) -> Next {
        if self.closed {
            return Next::Closed;
        }
        loop {
            match self.rx.recv().await {
                Ok(frame) => return self.frame(frame),
                Err(broadcast::error::RecvError::Lagged(missed)) => lagged(missed),
                Err(broadcast::error::RecvError::Closed) => {
                    self.closed = true;
                    return Next::Closed;
                }
            }
        }
    }

    /// The next item if one is waiting, without waiting.
    pub fn try_next(&mut self) -> Next {
        if self.closed {
            return Next::Closed;
        }
        loop {
            match self.rx.try_recv() {
                Ok(frame) => return self.frame(frame),
                Err(broadcast::error::TryRecvError::Lagged(missed)) => lagged(missed),
                Err(broadcast::error::TryRecvError::Empty) => return Next::Empty,
                Err(broadcast::error::TryRecvError::Closed) => {
                    self.closed = true;
                    return Next::Closed;
                }
            }
        }
    }

    fn frame(&mut self, frame: Frame) -> Next {
        match frame {
            Frame::Item(p) => Next::Item(p),
            Frame::Close => {
                self.closed = true;
                Next::Closed
            }
        }
    }
}

fn lagged(missed: u64) {
    tracing::warn!(
        missed,
        "a live-feed subscriber fell behind and skipped items"
    );
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use servicedesk_core::feed::FeedTicket;
    use servicedesk_core::ids::{EventId, IncidentId, OrgId, UserId};
    use std::time::{Duration, Instant};
    use uuid::Uuid;

    use super::*;

    fn item(n: i64) -> FeedItem {
        FeedItem {
            event_id: EventId(Uuid::now_v7()),
            org_id: OrgId(Uuid::nil()),
            kind: "incident.updated".into(),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
            actor_id: None,
            ticket: FeedTicket {
                id: IncidentId(Uuid::now_v7()),
                number: n,
                title: format!("ticket {n}"),
                status: "new".into(),
                priority: "p3".into(),
                requester_id: UserId(Uuid::now_v7()),
                team_id: None,
                assignee_id: None,
            },
            internal: false,
        }
    }

    fn number(next: Next) -> i64 {
        match next {
            Next::Item(p) => p.item().ticket.number,
            other => panic!("expected an item, got {other:?}"),
        }
    }

    #[test]
    fn every_subscriber_gets_each_item_as_json() {
        let hub = FeedHub::new(8);
        let mut a = hub.subscribe();
        let mut b = hub.subscribe();
        assert_eq!(hub.subscribers(), 2);
        let sent = item(1);
        hub.publish(&sent).unwrap();
        for sub in [&mut a, &mut b] {
            let Next::Item(p) = sub.try_next() else {
                panic!("no item")
            };
            assert_eq!(p.item(), &sent);
            let back: FeedItem = serde_json::from_str(p.json()).unwrap();
            assert_eq!(back, sent);
            assert!(matches!(sub.try_next(), Next::Empty));
        }
    }

    #[test]
    fn publishing_without_subscribers_is_fine() {
        let hub = FeedHub::new(2);
        hub.publish(&item(1)).unwrap();
        let mut late = hub.subscribe();
        assert!(
            matches!(late.try_next(), Next::Empty),
            "only items from now on"
        );
    }

    #[test]
    fn a_lagging_subscriber_skips_and_never_blocks_publishers() {
        let hub = FeedHub::new(4);
        let mut slow = hub.subscribe();
        let mut fast = hub.subscribe();
        let started = Instant::now();
        for n in 0..10_000 {
            hub.publish(&item(n)).unwrap();
            if n % 100 == 0 {
                // The fast one keeps up; the slow one reads nothing at all.
                while let Next::Item(_) = fast.try_next() {}
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "publishing 10,000 items with a stalled subscriber took {:?}",
            started.elapsed()
        );
        // The slow one skipped everything but the last `capacity` items, in order.
        let got: Vec<i64> = std::iter::from_fn(|| match slow.try_next() {
            Next::Item(p) => Some(p.item().ticket.number),
            _ => None,
        })
        .collect();
        assert_eq!(got, vec![9_996, 9_997, 9_998, 9_999]);
        // It goes on receiving new items normally.
        hub.publish(&item(10_000)).unwrap();
        assert_eq!(number(slow.try_next()), 10_000);
    }

    #[test]
    fn a_lagging_subscriber_catches_up_when_waiting_too() {
        let hub = FeedHub::new(2);
        let mut slow = hub.subscribe();
        for n in 0..5 {
            hub.publish(&item(n)).unwrap();
        }
        let system = actix_web::rt::System::new();
        let first = system.block_on(async { number(slow.next().await) });
        assert_eq!(first, 3);
    }

    #[test]
    fn close_ends_every_subscription_and_drops_later_items() {
        let hub = FeedHub::new(4);
        let mut a = hub.subscribe();
        hub.publish(&item(1)).unwrap();
        hub.close();
        assert_eq!(
            number(a.try_next()),
            1,
            "items before the close still arrive"
        );
        assert!(matches!(a.try_next(), Next::Closed));
        assert!(matches!(a.try_next(), Next::Closed));
        hub.publish(&item(2)).unwrap();
        let mut b = hub.subscribe();
        assert!(matches!(b.try_next(), Next::Closed));
        let system = actix_web::rt::System::new();
        assert!(system.block_on(async { matches!(b.next().await, Next::Closed) }));
    }
}
