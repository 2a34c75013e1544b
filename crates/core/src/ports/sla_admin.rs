//! Where the SLA settings use cases keep business calendars and SLA policies: the
//! administrative view (names, versions, inactive policies), as opposed to [`SlaCatalog`],
//! which serves the runtime.
//!
//! [`SlaCatalog`]: crate::ports::SlaCatalog

use chrono::{DateTime, Utc};
use servicedesk_sla::Calendar;

use crate::ids::{CalendarId, OrgId, SlaPolicyId};
use crate::ports::{SlaPolicyRecord, StoreError, WriteSet};

/// A business calendar as stored: the calendar and what ties it to its organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCalendar {
    /// The calendar's id.
    pub id: CalendarId,
    /// Its organization.
    pub org_id: OrgId,
    /// Display name, unique in the organization.
    pub name: String,
    /// Zone, weekly hours (normalized) and holidays.
    pub calendar: Calendar,
    /// Optimistic-concurrency version, 1 when created.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// An SLA policy as stored, inactive ones included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    /// The policy with its id and calendar.
    pub record: SlaPolicyRecord,
    /// Only active policies are selected for tickets.
    pub active: bool,
    /// Optimistic-concurrency version, 1 when created.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl StoredPolicy {
    /// The policy's id.
    pub fn id(&self) -> SlaPolicyId {
        self.record.id
    }
}

/// Calendars and policies of an organization, for their administration.
///
/// Every write runs in one transaction together with its [`WriteSet`] (audit records and
/// events). Writes of one organization's SLA settings are serialized, so the name checks
/// cannot race.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SlaAdminStore: Send + Sync {
    /// Every calendar of `org`, by name.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn calendars(&self, org: OrgId) -> Result<Vec<StoredCalendar>, StoreError>;

    /// Calendar `id` of `org`.
    ///
    /// # Errors
    /// `NotFound("calendar")` when `org` has no such calendar.
    fn stored_calendar(&self, org: OrgId, id: CalendarId) -> Result<StoredCalendar, StoreError>;

    /// Stores a new calendar (its `version` is stored as given, normally 1).
    ///
    /// # Errors
    /// `Duplicate{field: "name"}` when `org` has a calendar of that name.
    fn create_calendar(
        &self,
        calendar: &StoredCalendar,
        write: &WriteSet,
    ) -> Result<StoredCalendar, StoreError>;

    /// Replaces calendar `calendar.id` if its stored version is still `expected_version`;
    /// the stored version becomes `expected_version + 1`.
    ///
    /// # Errors
    /// `Conflict` (with the current version) when it moved on; `NotFound("calendar")`;
    /// `Duplicate{field: "name"}` when another calendar of `org` has the new name.
    fn update_calendar(
        &self,
        calendar: &StoredCalendar,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<StoredCalendar, StoreError>;

    /// Every policy of `org`, inactive ones too, by rank then name.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn stored_policies(&self, org: OrgId) -> Result<Vec<StoredPolicy>, StoreError>;

    /// Policy `id` of `org`.
    ///
    /// # Errors
    /// `NotFound("sla policy")` when `org` has no such policy.
    fn stored_policy(&self, org: OrgId, id: SlaPolicyId) -> Result<StoredPolicy, StoreError>;

    /// Stores a new policy of `org`.
    ///
    /// # Errors
    /// `NotFound("calendar")` when its calendar is not a calendar of `org`;
    /// `Duplicate{field: "name"}` when `org` has a policy of that name.
    fn create_policy(
        &self,
        org: OrgId,
        policy: &StoredPolicy,
        write: &WriteSet,
    ) -> Result<StoredPolicy, StoreError>;

    /// Replaces policy `policy.id()` of `org` if its stored version is still
    /// `expected_version`; the stored version becomes `expected_version + 1`.
    ///
    /// # Errors
    /// `Conflict`; `NotFound("sla policy")`; `NotFound("calendar")` for a calendar outside
    /// `org`; `Duplicate{field: "name"}`.
    fn update_policy(
        &self,
        org: OrgId,
        policy: &StoredPolicy,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<StoredPolicy, StoreError>;
}
