//! The outbox consumer that feeds the live feed.

use std::sync::Arc;

use crate::events::DomainEvent;
use crate::feed::FeedItem;
use crate::notify::prefetch::{Prefetched, tickets_by_org};
use crate::ports::{DeliveryError, EventHandler, LiveFeed, StoreError};
use crate::tickets::{AnyTicket, TicketStore};

/// Publishes every ticket event, with the ticket as it is now, to the live feed once the
/// change is committed (it comes from the outbox, so a rolled-back change never shows).
#[derive(Clone)]
pub struct FeedPublisher {
    tickets: Arc<dyn TicketStore>,
    feed: Arc<dyn LiveFeed>,
    /// The round's tickets, read at once (`None`: the ticket is gone).
    ahead: Arc<Prefetched<Option<AnyTicket>>>,
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
            Some(Some(t)) => t,
            Some(None) => return Ok(()),
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

    fn prepare(&self, events: &[DomainEvent]) {
        for (org, ids) in tickets_by_org(events) {
            let Ok(found) = self.tickets.tickets(org, &ids) else {
                continue;
            };
            for e in events.iter().filter(|e| e.org_id == org) {
                if let Some(id) = e.incident_id() {
                    self.ahead
                        .put(e.id, found.iter().find(|t| t.id == id).cloned());
                }
            }
        }
    }

    fn finish(&self, events: &[DomainEvent]) {
        self.ahead.forget(events);
    }
}
