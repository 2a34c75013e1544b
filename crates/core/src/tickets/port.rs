//! The kernel's port: tickets of any kind, their links and the cross-parent task list.

use chrono::{DateTime, Utc};

use super::kind::TicketRef;
use super::links::TicketLink;
use super::query::{TaskQuery, TicketQuery};
use super::ticket::AnyTicket;
use crate::entities::Task;
use crate::ids::{LinkId, OrgId, TicketId};
use crate::ports::{Page, StoreError, WriteSet};

/// Tickets of every kind, as the kernel sees them (no kind's extension).
///
/// Contract for every method: rows of another organization are never read or written —
/// an id from org A used under org B answers `NotFound`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TicketStore: Send + Sync {
    /// The ticket `id`, soft-deleted or not.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn ticket(&self, org: OrgId, id: TicketId) -> Result<AnyTicket, StoreError>;

    /// The tickets of `ids` that exist in `org`, soft-deleted or not, in no particular
    /// order; an id that does not exist is left out. The outbox workers read a round's
    /// tickets with it; the default asks [`TicketStore::ticket`] for each.
    ///
    /// # Errors
    /// `Unavailable`.
    fn tickets(&self, org: OrgId, ids: &[TicketId]) -> Result<Vec<AnyTicket>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.ticket(org, *id) {
                Ok(t) => found.push(t),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    /// The tickets of `keys` (organization and ticket) that exist, soft-deleted or not, in
    /// no particular order: a round of outbox events spanning organizations in one read.
    /// A ticket is answered only for the organization it is asked with. The default asks
    /// [`TicketStore::tickets`] for each organization.
    ///
    /// # Errors
    /// `Unavailable`.
    fn tickets_of(&self, keys: &[(OrgId, TicketId)]) -> Result<Vec<AnyTicket>, StoreError> {
        let mut orgs: Vec<OrgId> = keys.iter().map(|(o, _)| *o).collect();
        orgs.sort_unstable_by_key(|o| o.0);
        orgs.dedup();
        let mut found = Vec::with_capacity(keys.len());
        for org in orgs {
            let ids: Vec<TicketId> = keys
                .iter()
                .filter(|(o, _)| *o == org)
                .map(|(_, id)| *id)
                .collect();
            found.extend(self.tickets(org, &ids)?);
        }
        Ok(found)
    }

    /// The ticket with reference `r` (`REQ-7`), soft-deleted or not.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn ticket_by_ref(&self, org: OrgId, r: TicketRef) -> Result<AnyTicket, StoreError>;

    /// One page of tickets matching `query`.
    ///
    /// # Errors
    /// `NotFound("cursor")` for a cursor this listing did not make; `Unavailable`.
    fn list_tickets(&self, org: OrgId, query: &TicketQuery) -> Result<Page<AnyTicket>, StoreError>;

    /// Stores the kernel columns of `ticket` if the stored version is `expected_version`,
    /// bumping it, with `write` (the kind's extension is left as it is).
    ///
    /// # Errors
    /// `NotFound`; `Conflict` (nothing written) when the stored version differs.
    fn update_ticket(
        &self,
        org: OrgId,
        ticket: &AnyTicket,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<AnyTicket, StoreError>;

    /// Claims up to `limit` live tickets of any kind and organization whose
    /// `next_sla_due_at` is at or before `now` (see `IncidentStore::sla_due` for the lease).
    ///
    /// # Errors
    /// `Unavailable`.
    fn due_tickets(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AnyTicket>, StoreError>;

    /// Every link with `ticket` at either end, oldest first.
    ///
    /// # Errors
    /// `Unavailable`.
    fn links(&self, org: OrgId, ticket: TicketId) -> Result<Vec<TicketLink>, StoreError>;

    /// The targets of `ticket`'s links of the stored type named `link_type` (for the cycle
    /// check).
    ///
    /// # Errors
    /// `Unavailable`.
    fn link_targets(
        &self,
        org: OrgId,
        ticket: TicketId,
        link_type: &str,
    ) -> Result<Vec<TicketId>, StoreError>;

    /// Inserts `link` (canonical direction) with `write`.
    ///
    /// # Errors
    /// `Duplicate { field: "link" }` when the same link exists; `NotFound` when an end is
    /// missing in `org`.
    fn add_link(&self, org: OrgId, link: &TicketLink, write: &WriteSet) -> Result<(), StoreError>;

    /// Deletes the link `id` with `write`.
    ///
    /// # Errors
    /// `NotFound` when there is no such link in `org`.
    fn remove_link(&self, org: OrgId, id: LinkId, write: &WriteSet) -> Result<(), StoreError>;

    /// One page of tasks across parents.
    ///
    /// # Errors
    /// `NotFound("cursor")`; `Unavailable`.
    fn list_tasks(&self, org: OrgId, query: &TaskQuery) -> Result<Page<Task>, StoreError>;
}
