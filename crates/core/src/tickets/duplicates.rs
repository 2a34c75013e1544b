//! The duplicate link's rule: a duplicate resolves with its original. When an original
//! reaches its kind's resolution (an incident resolved, a request fulfilled), or a ticket is
//! linked as the duplicate of an original already there, each active duplicate is ended by
//! its own kind's system move ([`DuplicateCloser`]). Runs on the outbox, so it survives a
//! crash between the original's write and the duplicates' (at-least-once; a second run
//! finds the duplicates no longer active and does nothing). Chains follow by themselves:
//! a duplicate resolved this way emits its own status event.

use std::sync::Arc;

use super::kind::TicketKind;
use super::links::LinkType;
use super::port::TicketStore;
use super::status::StatusClass;
use super::ticket::AnyTicket;
use crate::error::{Error, Result};
use crate::events::{DomainEvent, EventPayload};
use crate::ids::{OrgId, TicketId};
use crate::ports::{DeliveryError, EventHandler};

/// One kind's end of a duplicate whose original was resolved.
pub trait DuplicateCloser: Send + Sync {
    /// The kind this closer ends.
    fn kind(&self) -> TicketKind;

    /// Ends the duplicate `id` (of [`DuplicateCloser::kind`]) of the original named
    /// `original` (e.g. `INC-12`); `Ok(false)` when it is no longer active.
    ///
    /// # Errors
    /// `Conflict` when it changed meanwhile (the event is retried), store failures.
    fn close_duplicate(&self, org: OrgId, id: TicketId, original: &str) -> Result<bool>;
}

/// True when a ticket of `kind` in `status` counts as resolved for its duplicates: an
/// incident resolved (or closed, which follows resolved), a request fulfilled. A rejected
/// or cancelled original leaves its duplicates for the desk to decide.
pub fn resolves_duplicates(kind: TicketKind, status: &str) -> bool {
    match kind {
        TicketKind::Incident => matches!(status, "resolved" | "closed"),
        TicketKind::Request => status == "fulfilled",
        // Their lifecycles are not built yet: nothing resolves through them.
        TicketKind::Problem | TicketKind::Change => false,
    }
}

/// The outbox consumer that applies the rule.
#[derive(Clone)]
pub struct DuplicateResolver {
    store: Arc<dyn TicketStore>,
    closers: Vec<Arc<dyn DuplicateCloser>>,
}

impl DuplicateResolver {
    /// A resolver over the kernel's store and each kind's closer.
    pub fn new(store: Arc<dyn TicketStore>, closers: Vec<Arc<dyn DuplicateCloser>>) -> Self {
        Self { store, closers }
    }

    fn close(&self, org: OrgId, duplicate: &AnyTicket, original: &AnyTicket) -> Result<()> {
        if !duplicate.status_class().is_some_and(StatusClass::is_active)
            || duplicate.deleted_at.is_some()
        {
            return Ok(());
        }
        let Some(closer) = self.closers.iter().find(|c| c.kind() == duplicate.kind) else {
            return Ok(());
        };
        match closer.close_duplicate(org, duplicate.id, &original.reference()) {
            Ok(_) | Err(Error::IllegalTransition { .. } | Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Resolves every active duplicate of `original`.
    fn original_resolved(&self, org: OrgId, original: TicketId) -> Result<()> {
        let original = self.store.ticket(org, original)?;
        for link in self.store.links(org, original.id)? {
            if link.link_type == LinkType::DuplicateOf && link.target_id == original.id {
                let duplicate = self.store.ticket(org, link.source_id)?;
                self.close(org, &duplicate, &original)?;
            }
        }
        Ok(())
    }

    fn apply(&self, event: &DomainEvent) -> Result<()> {
        let org = event.org_id;
        match &event.payload {
            EventPayload::IncidentStatusChanged {
                incident_id, to, ..
            } if resolves_duplicates(TicketKind::Incident, to) => {
                self.original_resolved(org, *incident_id)
            }
            EventPayload::RequestStatusChanged { ticket_id, to, .. }
                if resolves_duplicates(TicketKind::Request, to) =>
            {
                self.original_resolved(org, *ticket_id)
            }
            EventPayload::TicketLinked {
                ticket_id,
                target_id,
                link_type,
            } if link_type == LinkType::DuplicateOf.as_str() => {
                let original = self.store.ticket(org, *target_id)?;
                if resolves_duplicates(original.kind, &original.status) {
                    let duplicate = self.store.ticket(org, *ticket_id)?;
                    self.close(org, &duplicate, &original)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl EventHandler for DuplicateResolver {
    fn name(&self) -> &str {
        "duplicates"
    }

    fn handle(&self, event: &DomainEvent) -> std::result::Result<(), DeliveryError> {
        match self.apply(event) {
            // A ticket deleted for good meanwhile: nothing left to resolve.
            Ok(()) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(DeliveryError::Retry(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_successful_end_resolves_duplicates() {
        let table = [
            (TicketKind::Incident, "new", false),
            (TicketKind::Incident, "open", false),
            (TicketKind::Incident, "in_progress", false),
            (TicketKind::Incident, "on_hold", false),
            (TicketKind::Incident, "resolved", true),
            (TicketKind::Incident, "closed", true),
            (TicketKind::Incident, "cancelled", false),
            (TicketKind::Request, "draft", false),
            (TicketKind::Request, "submitted", false),
            (TicketKind::Request, "pending_approval", false),
            (TicketKind::Request, "approved", false),
            (TicketKind::Request, "rejected", false),
            (TicketKind::Request, "fulfilling", false),
            (TicketKind::Request, "fulfilled", true),
            (TicketKind::Request, "closed", false),
            (TicketKind::Request, "cancelled", false),
        ];
        // Every state of both lifecycles is in the table.
        for s in servicedesk_lifecycle::incident::IncidentState::ALL {
            assert!(
                table
                    .iter()
                    .any(|(k, st, _)| *k == TicketKind::Incident && *st == s.as_str())
            );
        }
        for s in servicedesk_lifecycle::request::RequestState::ALL {
            assert!(
                table
                    .iter()
                    .any(|(k, st, _)| *k == TicketKind::Request && *st == s.as_str())
            );
        }
        for (kind, status, expected) in table {
            assert_eq!(
                resolves_duplicates(kind, status),
                expected,
                "{kind:?} {status}"
            );
        }
    }
}
