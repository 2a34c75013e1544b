//! Where the use cases find SLA policies and business calendars.

use servicedesk_sla::{Calendar, SlaPolicy};

use crate::ids::{CalendarId, OrgId, SlaPolicyId};
use crate::ports::StoreError;

/// A policy as stored: the pure policy plus the ids that tie it to the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicyRecord {
    /// The policy's id (`policy.id` is its string form).
    pub id: SlaPolicyId,
    /// The calendar its clocks count in.
    pub calendar_id: CalendarId,
    /// Conditions, targets, warning threshold, pause statuses.
    pub policy: SlaPolicy,
}

/// SLA configuration of an organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SlaCatalog: Send + Sync {
    /// Every active policy of `org`, in any order (selection orders them).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn policies(&self, org: OrgId) -> Result<Vec<SlaPolicyRecord>, StoreError>;

    /// The calendar `id` of `org`.
    ///
    /// # Errors
    /// `NotFound` when no such calendar exists in `org`.
    fn calendar(&self, org: OrgId, id: CalendarId) -> Result<Calendar, StoreError>;
}
