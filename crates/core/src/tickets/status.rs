//! Status classes: the four buckets every kind's lifecycle states fall into, so queues,
//! reports and the SLA monitor can filter tickets of any kind by one word.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_lifecycle::request::RequestState;

use super::kind::TicketKind;

/// Where a ticket stands, whatever its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusClass {
    /// The desk has work to do on it.
    Open,
    /// Waiting on someone outside the desk (the requester, an approver, a vendor).
    Pending,
    /// Done and waiting to be confirmed or closed.
    Resolved,
    /// Final.
    Closed,
}

impl StatusClass {
    /// Every class.
    pub const ALL: &'static [StatusClass] =
        &[Self::Open, Self::Pending, Self::Resolved, Self::Closed];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    /// True for the classes in which a ticket still counts as unfinished work (a parent
    /// cannot close while a child is in one of them).
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::Pending)
    }
}

impl fmt::Display for StatusClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StatusClass {
    type Err = super::kind::UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| super::kind::UnknownKind(s.to_owned()))
    }
}

/// A lifecycle state of one ticket kind.
pub trait KindState:
    Copy + Eq + fmt::Debug + fmt::Display + FromStr + Send + Sync + 'static
{
    /// The kind whose lifecycle this is.
    const KIND: TicketKind;

    /// The state's class.
    fn class(self) -> StatusClass;

    /// Every state of the lifecycle.
    fn all() -> &'static [Self];

    /// The stored name.
    fn name(self) -> &'static str;
}

impl KindState for IncidentState {
    const KIND: TicketKind = TicketKind::Incident;

    fn class(self) -> StatusClass {
        match self {
            Self::New | Self::Open | Self::InProgress => StatusClass::Open,
            Self::OnHold => StatusClass::Pending,
            Self::Resolved => StatusClass::Resolved,
            Self::Closed | Self::Cancelled => StatusClass::Closed,
        }
    }

    fn all() -> &'static [Self] {
        Self::ALL
    }

    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl KindState for RequestState {
    const KIND: TicketKind = TicketKind::Request;

    fn class(self) -> StatusClass {
        match self {
            Self::Submitted | Self::Approved | Self::Fulfilling => StatusClass::Open,
            // A draft waits on its requester, a pending request on its approvers.
            Self::Draft | Self::PendingApproval => StatusClass::Pending,
            Self::Fulfilled | Self::Rejected => StatusClass::Resolved,
            Self::Closed | Self::Cancelled => StatusClass::Closed,
        }
    }

    fn all() -> &'static [Self] {
        Self::ALL
    }

    fn name(self) -> &'static str {
        self.as_str()
    }
}

/// The class of `status` in `kind`'s lifecycle; `None` for a name the lifecycle does not
/// have (or a kind without a lifecycle yet).
pub fn class_of(kind: TicketKind, status: &str) -> Option<StatusClass> {
    fn typed<S: KindState>(status: &str) -> Option<StatusClass> {
        status.parse::<S>().ok().map(KindState::class)
    }
    match kind {
        TicketKind::Incident => typed::<IncidentState>(status),
        TicketKind::Request => typed::<RequestState>(status),
        TicketKind::Problem | TicketKind::Change => None,
    }
}

/// The state names of `kind` in `class` (what a `status_class` filter stands for).
pub fn states_in(kind: TicketKind, class: StatusClass) -> Vec<&'static str> {
    fn typed<S: KindState>(class: StatusClass) -> Vec<&'static str> {
        S::all()
            .iter()
            .copied()
            .filter(|s| s.class() == class)
            .map(KindState::name)
            .collect()
    }
    match kind {
        TicketKind::Incident => typed::<IncidentState>(class),
        TicketKind::Request => typed::<RequestState>(class),
        TicketKind::Problem | TicketKind::Change => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state of every kind, with the class queues file it under.
    #[test]
    fn every_state_has_the_class_of_the_table() {
        let table: &[(TicketKind, &str, StatusClass)] = &[
            (TicketKind::Incident, "new", StatusClass::Open),
            (TicketKind::Incident, "open", StatusClass::Open),
            (TicketKind::Incident, "in_progress", StatusClass::Open),
            (TicketKind::Incident, "on_hold", StatusClass::Pending),
            (TicketKind::Incident, "resolved", StatusClass::Resolved),
            (TicketKind::Incident, "closed", StatusClass::Closed),
            (TicketKind::Incident, "cancelled", StatusClass::Closed),
            (TicketKind::Request, "draft", StatusClass::Pending),
            (TicketKind::Request, "submitted", StatusClass::Open),
            (
                TicketKind::Request,
                "pending_approval",
                StatusClass::Pending,
            ),
            (TicketKind::Request, "approved", StatusClass::Open),
            (TicketKind::Request, "rejected", StatusClass::Resolved),
            (TicketKind::Request, "fulfilling", StatusClass::Open),
            (TicketKind::Request, "fulfilled", StatusClass::Resolved),
            (TicketKind::Request, "closed", StatusClass::Closed),
            (TicketKind::Request, "cancelled", StatusClass::Closed),
        ];
        for (kind, state, class) in table {
            assert_eq!(class_of(*kind, state), Some(*class), "{kind} {state}");
        }
        let counted = |k: TicketKind| table.iter().filter(|(t, _, _)| *t == k).count();
        assert_eq!(counted(TicketKind::Incident), IncidentState::ALL.len());
        assert_eq!(counted(TicketKind::Request), RequestState::ALL.len());
        for kind in [TicketKind::Incident, TicketKind::Request] {
            let mut all: Vec<&str> = StatusClass::ALL
                .iter()
                .flat_map(|c| states_in(kind, *c))
                .collect();
            all.sort_unstable();
            let mut expected: Vec<&str> = table
                .iter()
                .filter(|(t, _, _)| *t == kind)
                .map(|(_, s, _)| *s)
                .collect();
            expected.sort_unstable();
            assert_eq!(all, expected, "{kind}: the classes partition the states");
        }
        assert_eq!(class_of(TicketKind::Incident, "fulfilled"), None);
    }
}
