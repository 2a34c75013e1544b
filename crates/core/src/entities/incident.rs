use servicedesk_lifecycle::incident::IncidentState;

use crate::tickets::Ticket;
pub use crate::tickets::{SlaTarget, TicketSla};

/// An incident (INC): something is broken and somebody needs it fixed. The kernel's
/// ticket with the incident lifecycle and the incident extension.
pub type Incident = Ticket<IncidentState, IncidentDetails>;

/// The SLA of an incident (the kernel's [`TicketSla`]).
pub type IncidentSla = TicketSla;

/// What only incidents have (the `incident_details` extension table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentDetails {
    /// How many times it was escalated.
    pub escalation_level: i32,
    /// Set on resolve, cleared on reopen.
    pub resolution_code: Option<String>,
    /// Set on resolve, cleared on reopen.
    pub resolution_notes: Option<String>,
}
