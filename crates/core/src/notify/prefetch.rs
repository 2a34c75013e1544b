//! What an outbox handler read for a whole round at once, kept per event until the event is
//! handled. The dispatcher tells each handler a round's events before handing them over one
//! by one (`EventHandler::prepare`), so a handler that would read the same kind of row for
//! every event reads them at once instead: the round's tickets in one query
//! ([`crate::tickets::TicketStore::tickets_of`]), an organization's webhooks in one per
//! organization; what it read is at most a round old, as a read at handling time would be
//! a moment later. Keyed by event id, so dispatchers sharing a handler on several
//! threads never see each other's rounds.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::events::DomainEvent;
use crate::ids::EventId;

/// Values read ahead for events, taken once each.
#[derive(Debug)]
pub(crate) struct Prefetched<T> {
    by_event: Mutex<HashMap<EventId, T>>,
}

impl<T> Default for Prefetched<T> {
    fn default() -> Self {
        Self {
            by_event: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Prefetched<T> {
    /// Keeps `value` for `event` until it is taken or forgotten.
    pub(crate) fn put(&self, event: EventId, value: T) {
        self.lock().insert(event, value);
    }

    /// What was read ahead for `event`, if anything (then it is gone).
    pub(crate) fn take(&self, event: EventId) -> Option<T> {
        self.lock().remove(&event)
    }

    /// Drops what is left of `events` (a round whose event failed before this handler).
    pub(crate) fn forget(&self, events: &[DomainEvent]) {
        let mut kept = self.lock();
        for e in events {
            kept.remove(&e.id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, T>> {
        self.by_event.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `events` grouped by organization, each group's ticket ids without repeats (events of
/// no ticket left out).
pub(crate) fn tickets_by_org(
    events: &[DomainEvent],
) -> Vec<(crate::ids::OrgId, Vec<crate::ids::TicketId>)> {
    let mut groups: Vec<(crate::ids::OrgId, Vec<crate::ids::TicketId>)> = Vec::new();
    for e in events {
        let Some(id) = e.incident_id() else { continue };
        match groups.iter_mut().find(|(org, _)| *org == e.org_id) {
            Some((_, ids)) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => groups.push((e.org_id, vec![id])),
        }
    }
    groups
}

/// The (organization, ticket) pairs of `events`, without repeats (events of no ticket left
/// out): what a handler reads for a round in one query.
pub(crate) fn ticket_keys(
    events: &[DomainEvent],
) -> Vec<(crate::ids::OrgId, crate::ids::TicketId)> {
    let mut keys = Vec::new();
    for e in events {
        if let Some(id) = e.incident_id()
            && !keys.contains(&(e.org_id, id))
        {
            keys.push((e.org_id, id));
        }
    }
    keys
}
