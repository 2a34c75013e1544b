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

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use servicedesk_core::Actor;
use servicedesk_core::feed::FeedItem;
use servicedesk_core::ids::UserId;
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
    /// Open sockets per user in this process.
    open: Arc<Mutex<HashMap<UserId, usize>>>,
    /// The last re-check of each token, shared by every socket using it.
    checks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Check>>>>>,
}

/// One shared re-check of a token: when it ran and what it found (`None`: no longer
/// valid).
#[derive(Debug, Clone)]
struct Check {
    at: Instant,
    actor: Option<Actor>,
}

/// What a token re-check found.
#[derive(Debug, Clone)]
pub enum Recheck {
    /// Still valid: the actor as it is now (roles and teams re-read).
    Valid(Actor),
    /// Revoked, expired, or the user is gone or deactivated.
    Invalid,
    /// The check could not run (the store is down): keep what you have.
    Unknown,
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
            open: Arc::default(),
            checks: Mutex::default(),
        }
    }

    /// Open sockets one user may hold in one server process; the next upgrade answers 429.
    pub const MAX_SOCKETS_PER_USER: usize = 10;

    /// How long one token re-check serves every socket holding that token.
    pub const RECHECK_TTL: Duration = Duration::from_secs(15);

    /// A subscription counted against `user`'s sockets; `None` when they already hold
    /// [`FeedHub::MAX_SOCKETS_PER_USER`] in this process. The slot is given back when the
    /// subscription is dropped (the socket closed).
    pub fn subscribe_for(&self, user: UserId) -> Option<Subscription> {
        {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let n = open.entry(user).or_insert(0);
            if *n >= Self::MAX_SOCKETS_PER_USER {
                return None;
            }
            *n += 1;
        }
        let mut s = self.subscribe();
        s.slot = Some(Slot {
            open: self.open.clone(),
            user,
        });
        Some(s)
    }

    /// How many sockets `user` holds in this process.
    pub fn sockets_of(&self, user: UserId) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .copied()
            .unwrap_or(0)
    }

    /// Re-checks `token` for a socket, sharing the answer: every socket holding the same
    /// token within [`FeedHub::RECHECK_TTL`] uses one check (`verify`: the store queries
    /// of a sign-in check), and concurrent ticks wait for the one in flight instead of
    /// running their own. Keyed by the token, not the user, so a revoked session is never
    /// hidden behind another session's answer.
    pub async fn recheck<F, Fut>(&self, token: &str, verify: F) -> Recheck
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Recheck>,
    {
        let entry = {
            let mut checks = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
            // Forget the checks nobody used for a while (their sockets are gone).
            checks.retain(|_, e| {
                Arc::strong_count(e) > 1
                    || e.try_lock().map_or(true, |c| {
                        c.as_ref()
                            .is_some_and(|c| c.at.elapsed() < Self::RECHECK_TTL * 4)
                    })
            });
            checks.entry(token.to_owned()).or_default().clone()
        };
        let mut last = entry.lock().await;
        if let Some(c) = last.as_ref()
            && c.at.elapsed() < Self::RECHECK_TTL
        {
            return c.actor.clone().map_or(Recheck::Invalid, Recheck::Valid);
        }
        let found = verify().await;
        match &found {
            Recheck::Valid(actor) => {
                *last = Some(Check {
                    at: Instant::now(),
                    actor: Some(actor.clone()),
                });
            }
            Recheck::Invalid => {
                *last = Some(Check {
                    at: Instant::now(),
                    actor: None,
                });
            }
            // Not cached: the next tick tries again.
            Recheck::Unknown => {}
        }
        found
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
            slot: None,
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
    slot: Option<Slot>,
}

/// A user's socket slot, given back on drop.
#[derive(Debug)]
struct Slot {
    open: Arc<Mutex<HashMap<UserId, usize>>>,
    user: UserId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
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
                kind: servicedesk_core::tickets::TicketKind::Incident,
                reference: format!("INC-{n}"),
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

    #[test]
    fn a_user_holds_at_most_ten_sockets_and_gets_a_slot_back_when_one_closes() {
        let hub = FeedHub::default();
        let (ada, bob) = (UserId(Uuid::now_v7()), UserId(Uuid::now_v7()));
        let mut held: Vec<_> = (0..FeedHub::MAX_SOCKETS_PER_USER)
            .map(|_| hub.subscribe_for(ada).expect("within the limit"))
            .collect();
        assert_eq!(hub.sockets_of(ada), 10);
        assert!(hub.subscribe_for(ada).is_none(), "the 11th is refused");
        assert!(
            hub.subscribe_for(bob).is_some(),
            "another user is not limited"
        );
        held.pop();
        assert_eq!(hub.sockets_of(ada), 9);
        held.push(hub.subscribe_for(ada).expect("a slot came back"));
        drop(held);
        assert_eq!(hub.sockets_of(ada), 0);
    }

    #[test]
    fn sockets_holding_one_token_share_one_recheck_per_interval() {
        use std::sync::atomic::AtomicUsize;
        let hub = Arc::new(FeedHub::default());
        let actor = Actor::new(
            UserId(Uuid::now_v7()),
            OrgId(Uuid::now_v7()),
            vec![],
            vec![],
        );
        let runs = Arc::new(AtomicUsize::new(0));
        let system = actix_web::rt::System::new();
        let check = |token: &'static str, answer: Recheck| {
            let (hub, runs) = (hub.clone(), runs.clone());
            async move {
                hub.recheck(token, || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    // A slow store: the other sockets' ticks arrive meanwhile.
                    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
                    answer
                })
                .await
            }
        };
        // Ten sockets of one token tick at once: one check.
        let found = system.block_on(async {
            let ticks: Vec<_> = (0..10)
                .map(|_| actix_web::rt::spawn(check("t1", Recheck::Valid(actor.clone()))))
                .collect();
            let mut found = Vec::new();
            for t in ticks {
                found.push(t.await.unwrap());
            }
            found
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1, "one check for ten sockets");
        assert!(found.iter().all(|f| matches!(f, Recheck::Valid(_))));
        // Later ticks within the interval reuse it; another token (session) is checked.
        system.block_on(check("t1", Recheck::Invalid));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let other = system.block_on(check("t2", Recheck::Invalid));
        assert!(matches!(other, Recheck::Invalid));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        // A revoked token's answer is shared too; a store failure is not cached.
        assert!(matches!(
            system.block_on(check("t2", Recheck::Valid(actor.clone()))),
            Recheck::Invalid
        ));
        system.block_on(check("t3", Recheck::Unknown));
        system.block_on(check("t3", Recheck::Unknown));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            4,
            "unknown answers are retried"
        );
    }
}
