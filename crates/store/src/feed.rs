//! The live feed between server processes on one PostgreSQL: [`PgFeed`] publishes an item
//! with `NOTIFY` (`pg_notify`) on the [`FEED_CHANNEL`], and every process runs
//! [`spawn_feed_listener`], a thread with a dedicated connection that `LISTEN`s on the
//! channel and hands each item to the process's own fan-out (the HTTP crate's hub).
//!
//! PostgreSQL delivers a notification to every listening session, the sender's process
//! included, so a process never publishes to its own sockets directly. Notifications sent
//! while a listener is reconnecting are missed by that process: the feed is best effort
//! (clients reload what they show when they reconnect).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::sql_types::Text;
use servicedesk_core::feed::FeedItem;
use servicedesk_core::ports::{DeliveryError, LiveFeed};

use crate::db::{Database, DbConn};
use crate::listen::{Heard, Listener};

/// The `LISTEN`/`NOTIFY` channel of the live feed.
pub const FEED_CHANNEL: &str = "servicedesk_feed";

/// The largest `NOTIFY` payload in bytes: PostgreSQL requires it to be shorter than 8000.
pub const MAX_NOTIFY_PAYLOAD: usize = 7999;

/// The `NOTIFY` payload of `item`: its JSON (the same text WebSocket clients receive). An
/// item too large for PostgreSQL loses its title (clients show the number instead); `None`
/// only if even that does not fit, which the item's bounded fields rule out.
pub fn notify_payload(item: &FeedItem) -> Option<String> {
    let json = serde_json::to_string(item).ok()?;
    if json.len() <= MAX_NOTIFY_PAYLOAD {
        return Some(json);
    }
    let mut smaller = item.clone();
    smaller.ticket.title = String::new();
    serde_json::to_string(&smaller)
        .ok()
        .filter(|json| json.len() <= MAX_NOTIFY_PAYLOAD)
}

/// Publishes live-feed items to every server process on the database with `pg_notify`.
#[derive(Debug, Clone)]
pub struct PgFeed {
    db: Database,
}

impl PgFeed {
    /// A publisher sending through `db`'s pool (a PostgreSQL database).
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl LiveFeed for PgFeed {
    /// Sends `item` as a notification on [`FEED_CHANNEL`]. An item too large for a
    /// notification loses its title ([`notify_payload`]); it never fails for its size.
    ///
    /// # Errors
    /// `Retry` when no connection can be had or the database refuses; `Permanent` when the
    /// database is not PostgreSQL.
    fn publish(&self, item: &FeedItem) -> Result<(), DeliveryError> {
        self.publish_all(std::slice::from_ref(item))
    }

    /// Sends `items` as notifications in one statement, in order (PostgreSQL delivers a
    /// transaction's notifications in the order they were sent).
    ///
    /// # Errors
    /// As [`PgFeed::publish`].
    fn publish_all(&self, items: &[FeedItem]) -> Result<(), DeliveryError> {
        let payloads: Vec<String> = items
            .iter()
            .filter_map(|item| {
                let payload = notify_payload(item);
                if payload.is_none() {
                    tracing::error!(event_id = %item.event_id, "live-feed item too large to notify; dropped");
                }
                payload
            })
            .collect();
        if payloads.is_empty() {
            return Ok(());
        }
        let mut conn = self
            .db
            .conn()
            .map_err(|e| DeliveryError::Retry(e.to_string()))?;
        match &mut *conn {
            DbConn::Postgresql(c) => {
                diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
                    .bind::<Text, _>(FEED_CHANNEL)
                    .bind::<diesel::sql_types::Array<Text>, _>(&payloads)
                    .execute(c)
                    .map(|_| ())
                    .map_err(|e| DeliveryError::Retry(format!("pg_notify failed: {e}")))
            }
            DbConn::Sqlite(_) => Err(DeliveryError::Permanent(
                "the NOTIFY bridge needs PostgreSQL; on SQLite publish to the hub".into(),
            )),
        }
    }
}

/// Starts the listener: a dedicated connection to `url` (PostgreSQL) that `LISTEN`s on
/// [`FEED_CHANNEL`], polls for notifications every 100 ms on a thread of its own and hands
/// each decoded item to `deliver`. Malformed payloads are logged and skipped. When the
/// connection drops it reconnects with backoff (200 ms doubling to 10 s); an idle
/// connection is probed every 10 s so a silent drop is noticed. The thread ends soon after
/// `stop` is set.
///
/// The first connection is made before this returns, so items published after it are
/// heard; if the database cannot be reached yet, that is logged and the thread keeps
/// trying.
///
/// # Errors
/// When the thread cannot be spawned.
pub fn spawn_feed_listener(
    url: &str,
    stop: Arc<AtomicBool>,
    deliver: impl Fn(FeedItem) + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    let listener = Listener {
        name: "feed-listener",
        channel: FEED_CHANNEL,
        probe_every: Duration::from_secs(10),
        poll_every: Duration::from_millis(100),
    };
    listener.spawn(url, stop, move |heard| {
        if let Heard::Notification { payload, from_pid } = heard {
            match serde_json::from_str::<FeedItem>(payload) {
                Ok(item) => deliver(item),
                Err(e) => tracing::warn!(
                    error = %e,
                    from_pid,
                    "malformed live-feed notification skipped"
                ),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use servicedesk_core::feed::FeedTicket;
    use servicedesk_core::ids::{EventId, IncidentId, OrgId, UserId};
    use uuid::Uuid;

    use super::*;

    fn item(title: &str) -> FeedItem {
        FeedItem {
            event_id: EventId(Uuid::now_v7()),
            org_id: OrgId(Uuid::now_v7()),
            kind: "incident.created".into(),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
            actor_id: Some(UserId(Uuid::now_v7())),
            ticket: FeedTicket {
                id: IncidentId(Uuid::now_v7()),
                kind: servicedesk_core::tickets::TicketKind::Incident,
                reference: "INC-7".into(),
                number: 7,
                title: title.to_owned(),
                status: "new".into(),
                priority: "p3".into(),
                requester_id: UserId(Uuid::now_v7()),
                team_id: None,
                assignee_id: None,
            },
            internal: false,
        }
    }

    #[test]
    fn a_small_item_is_sent_whole() {
        let it = item("Printer on fire — ünïcödé");
        let payload = notify_payload(&it).unwrap();
        assert_eq!(payload, serde_json::to_string(&it).unwrap());
        let back: FeedItem = serde_json::from_str(&payload).unwrap();
        assert_eq!(back, it);
    }

    #[test]
    fn an_item_too_large_loses_its_title_and_still_goes() {
        // Plain text, multi-byte characters, and control characters that JSON escapes to
        // six bytes each: all past 8000 bytes once serialized.
        for title in ["x".repeat(9_000), "é".repeat(4_100), "\u{1}".repeat(1_400)] {
            let it = item(&title);
            assert!(serde_json::to_string(&it).unwrap().len() > MAX_NOTIFY_PAYLOAD);
            let payload = notify_payload(&it).unwrap();
            assert!(payload.len() <= MAX_NOTIFY_PAYLOAD, "{}", payload.len());
            let back: FeedItem = serde_json::from_str(&payload).unwrap();
            assert_eq!(back.ticket.title, "");
            let mut expected = it.clone();
            expected.ticket.title = String::new();
            assert_eq!(back, expected, "everything but the title is kept");
        }
    }

    #[test]
    fn an_item_exactly_at_the_limit_keeps_its_title() {
        let empty = serde_json::to_string(&item("")).unwrap().len();
        let it = item(&"a".repeat(MAX_NOTIFY_PAYLOAD - empty));
        let payload = notify_payload(&it).unwrap();
        assert_eq!(payload.len(), MAX_NOTIFY_PAYLOAD);
        assert_eq!(
            serde_json::from_str::<FeedItem>(&payload)
                .unwrap()
                .ticket
                .title,
            it.ticket.title
        );
        let over = item(&"a".repeat(MAX_NOTIFY_PAYLOAD - empty + 1));
        let payload = notify_payload(&over).unwrap();
        assert_eq!(
            serde_json::from_str::<FeedItem>(&payload)
                .unwrap()
                .ticket
                .title,
            ""
        );
    }
}
