//! Typed identifiers: an `IncidentId` cannot be passed where an `OrgId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organization (tenant).
    OrgId
);
id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A team (assignment group).
    TeamId
);
id_type!(
    /// A ticket of any kind (incident, request, problem, change): one id space, since they
    /// share one table.
    TicketId
);

/// An incident's id: a [`TicketId`] of kind incident (the same type, under the name the
/// incident code reads best with).
pub use self::TicketId as IncidentId;
id_type!(
    /// A comment or work note.
    CommentId
);
id_type!(
    /// A task under a ticket.
    TaskId
);
id_type!(
    /// A history entry.
    HistoryId
);
id_type!(
    /// A domain event (also the outbox message id).
    EventId
);
id_type!(
    /// An SLA policy.
    SlaPolicyId
);
id_type!(
    /// A business calendar.
    CalendarId
);
id_type!(
    /// An in-app notification.
    NotificationId
);
id_type!(
    /// One delivery of an event to one mail recipient or webhook.
    DeliveryId
);
id_type!(
    /// An outgoing webhook endpoint.
    WebhookId
);
id_type!(
    /// A typed link between two tickets.
    LinkId
);
id_type!(
    /// One approver's approval of one stage of a service request.
    ApprovalId
);
id_type!(
    /// A delegation of approvals from one user to another over a date range.
    DelegationId
);
id_type!(
    /// A catalog item (something that can be requested).
    CatalogItemId
);
id_type!(
    /// A catalog category.
    CatalogCategoryId
);
