//! The outbox consumer that feeds the live feed.

use std::sync::Arc;

use crate::events::DomainEvent;
use crate::feed::FeedItem;
use crate::notify::prefetch::{Prefetched, ticket_keys};
use crate::ports::{DeliveryError, EventHandler, LiveFeed, StoreError};
use crate::tickets::{AnyTicket, TicketStore};

/// Publishes every ticket event, with the ticket as it is now, to the live feed once the
/// change is committed (it comes from the outbox, so a rolled-back change never shows).
#[derive(Clone)]
pub struct FeedPublisher {
    tickets: Arc<dyn TicketStore>,
    feed: Arc<dyn LiveFeed>,
    /// What the round's read and publish did for each event.
    ahead: Arc<Prefetched<Ahead>>,
}

/// An event's part of its round, done ahead.
#[derive(Debug, Clone)]
enum Ahead {
    /// Its item went out with the round's.
    Published,
    /// Its ticket is gone: nothing to publish.
    Gone,
    /// Its ticket was read, but the round's publish failed: publish it alone.
    Read(Box<AnyTicket>),
}

impl FeedPublisher {
    /// A publisher reading tickets (of any kind) from `tickets` and writing to `feed`.
    pub fn new(tickets: Arc<dyn TicketStore>, feed: Arc<dyn LiveFeed>) -> Self {
        Self {
            tickets,
            feed,
            ahead: Arc::default(),
        }
    }
}

impl EventHandler for FeedPublisher {
    fn name(&self) -> &str {
        "live-feed"
    }

    fn handle(&self, event: &DomainEvent) -> Result<(), DeliveryError> {
        let Some(id) = event.incident_id() else {
            return Ok(());
        };
        let incident = match self.ahead.take(event.id) {
            Some(Ahead::Published | Ahead::Gone) => return Ok(()),
            Some(Ahead::Read(t)) => *t,
            None => match self.tickets.ticket(event.org_id, id) {
                Ok(i) => i,
                Err(StoreError::NotFound(_)) => return Ok(()),
                Err(e) => return Err(DeliveryError::Retry(e.to_string())),
            },
        };
        match FeedItem::of(event, &incident) {
            Some(item) => self.feed.publish(&item),
            None => Ok(()),
        }
    }

    /// Reads the round's tickets in one query and publishes the round's items in one send;
    /// [`FeedPublisher::handle`] then has nothing left to do for them. When the send fails,
    /// each event publishes its own item when handled (and is retried as before).
    fn prepare(&self, events: &[DomainEvent]) {
        let Ok(found) = self.tickets.tickets_of(&ticket_keys(events)) else {
            return;
        };
        let mut items = Vec::new();
        let mut read = Vec::new();
        for e in events {
            let Some(id) = e.incident_id() else { continue };
            match found.iter().find(|t| t.id == id && t.org_id == e.org_id) {
                None => self.ahead.put(e.id, Ahead::Gone),
                Some(t) => {
                    items.extend(FeedItem::of(e, t));
                    read.push((e.id, t));
                }
            }
        }
        let published = items.is_empty() || self.feed.publish_all(&items).is_ok();
        for (event, t) in read {
            let ahead = if published {
                Ahead::Published
            } else {
                Ahead::Read(Box::new(t.clone()))
            };
            self.ahead.put(event, ahead);
        }
    }

    fn finish(&self, events: &[DomainEvent]) {
        self.ahead.forget(events);
    }
}
