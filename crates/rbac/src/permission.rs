//! Permissions: a resource kind paired with an action, and the catalogue of
//! the pairs that mean something.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::RbacError;

/// The kinds of resource the product has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// Incidents (`INC-…`).
    Incident,
    /// Comments and work notes on tickets.
    Comment,
    /// Tasks under any ticket (`TSK-…`).
    Task,
    /// Service requests (`REQ-…`).
    ServiceRequest,
    /// Service catalogue items that requests are raised against.
    CatalogItem,
    /// Problems and known errors (`PRB-…`).
    Problem,
    /// Changes / RFCs (`CHG-…`).
    Change,
    /// Configuration items of the CMDB.
    Ci,
    /// Inventory assets.
    Asset,
    /// Knowledge-base articles.
    KbArticle,
    /// SLA policies.
    SlaPolicy,
    /// Business calendars.
    Calendar,
    /// User accounts.
    User,
    /// Teams (assignment groups).
    Team,
    /// Roles, built-in and custom.
    Role,
    /// Organizations (tenants).
    Organization,
    /// In-app notifications.
    Notification,
    /// Outgoing webhook subscriptions.
    Webhook,
    /// Automation rules.
    Rule,
    /// Reports and dashboards.
    Report,
    /// Satisfaction surveys.
    Survey,
    /// The audit log.
    AuditEvent,
}

/// Actions; not every action applies to every resource
/// (see [`ResourceKind::actions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Create a new resource.
    Create,
    /// Read (view or list) a resource.
    Read,
    /// Change a resource's fields.
    Update,
    /// Soft-delete a resource.
    Delete,
    /// Assign a ticket to a group and/or agent.
    Assign,
    /// Escalate a ticket (functionally or hierarchically).
    Escalate,
    /// Move a ticket (or article) along its lifecycle.
    Transition,
    /// Add a public comment.
    Comment,
    /// Add, and see, internal work notes (`comment_internal`).
    CommentInternal,
    /// Approve or reject (requests, changes).
    Approve,
    /// Administer: memberships, role assignment, configuration.
    Manage,
    /// Export as CSV or as a data package.
    Export,
    /// Restore a soft-deleted resource.
    Restore,
}

use Action as A;

/// Actions of every ticket type.
const TICKET_ACTIONS: &[Action] = &[
    A::Create,
    A::Read,
    A::Update,
    A::Delete,
    A::Assign,
    A::Escalate,
    A::Transition,
    A::Comment,
    A::CommentInternal,
    A::Export,
    A::Restore,
];

/// Ticket types that go through an approval step (service requests, changes).
const APPROVABLE_TICKET_ACTIONS: &[Action] = &[
    A::Create,
    A::Read,
    A::Update,
    A::Delete,
    A::Assign,
    A::Escalate,
    A::Transition,
    A::Comment,
    A::CommentInternal,
    A::Approve,
    A::Export,
    A::Restore,
];

const CRUD: &[Action] = &[A::Create, A::Read, A::Update, A::Delete];
const CRUD_EXPORT: &[Action] = &[A::Create, A::Read, A::Update, A::Delete, A::Export];
const READ_MANAGE: &[Action] = &[A::Read, A::Manage];
const READ_EXPORT: &[Action] = &[A::Read, A::Export];

impl ResourceKind {
    /// Every kind, in declaration order.
    pub const ALL: [ResourceKind; 22] = [
        Self::Incident,
        Self::Comment,
        Self::Task,
        Self::ServiceRequest,
        Self::CatalogItem,
        Self::Problem,
        Self::Change,
        Self::Ci,
        Self::Asset,
        Self::KbArticle,
        Self::SlaPolicy,
        Self::Calendar,
        Self::User,
        Self::Team,
        Self::Role,
        Self::Organization,
        Self::Notification,
        Self::Webhook,
        Self::Rule,
        Self::Report,
        Self::Survey,
        Self::AuditEvent,
    ];

    /// The five ticket types, which share one set of actions.
    pub const TICKETS: [ResourceKind; 5] = [
        Self::Incident,
        Self::Task,
        Self::ServiceRequest,
        Self::Problem,
        Self::Change,
    ];

    /// The snake_case name used in permission strings and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Comment => "comment",
            Self::Task => "task",
            Self::ServiceRequest => "service_request",
            Self::CatalogItem => "catalog_item",
            Self::Problem => "problem",
            Self::Change => "change",
            Self::Ci => "ci",
            Self::Asset => "asset",
            Self::KbArticle => "kb_article",
            Self::SlaPolicy => "sla_policy",
            Self::Calendar => "calendar",
            Self::User => "user",
            Self::Team => "team",
            Self::Role => "role",
            Self::Organization => "organization",
            Self::Notification => "notification",
            Self::Webhook => "webhook",
            Self::Rule => "rule",
            Self::Report => "report",
            Self::Survey => "survey",
            Self::AuditEvent => "audit_event",
        }
    }

    /// The actions that apply to this kind, in [`Action`] order.
    ///
    /// Only these pairs form the permission catalogue; anything else (say
    /// `audit_event:delete`) is refused when parsed and never granted, so a
    /// custom role cannot smuggle in a permission no code path checks.
    pub const fn actions(self) -> &'static [Action] {
        match self {
            Self::Incident | Self::Task | Self::Problem => TICKET_ACTIONS,
            Self::ServiceRequest | Self::Change => APPROVABLE_TICKET_ACTIONS,
            Self::Comment => &[A::Read, A::Update, A::Delete],
            Self::CatalogItem | Self::SlaPolicy | Self::Calendar => CRUD,
            Self::Ci | Self::Asset => CRUD_EXPORT,
            Self::KbArticle => &[A::Create, A::Read, A::Update, A::Delete, A::Transition],
            Self::User => &[
                A::Create,
                A::Read,
                A::Update,
                A::Delete,
                A::Manage,
                A::Export,
            ],
            Self::Team => &[A::Create, A::Read, A::Update, A::Delete, A::Manage],
            Self::Role | Self::Webhook | Self::Rule => READ_MANAGE,
            Self::Organization => &[A::Create, A::Read, A::Update, A::Manage],
            Self::Notification => &[A::Read, A::Update, A::Delete],
            Self::Report | Self::AuditEvent => READ_EXPORT,
            Self::Survey => &[A::Create, A::Read],
        }
    }

    /// Whether this kind is one of the five ticket types.
    pub const fn is_ticket(self) -> bool {
        matches!(
            self,
            Self::Incident | Self::Task | Self::ServiceRequest | Self::Problem | Self::Change
        )
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ResourceKind {
    type Err = RbacError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| RbacError::UnknownResourceKind { text: s.to_owned() })
    }
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 13] = [
        Self::Create,
        Self::Read,
        Self::Update,
        Self::Delete,
        Self::Assign,
        Self::Escalate,
        Self::Transition,
        Self::Comment,
        Self::CommentInternal,
        Self::Approve,
        Self::Manage,
        Self::Export,
        Self::Restore,
    ];

    /// The snake_case name used in permission strings and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Assign => "assign",
            Self::Escalate => "escalate",
            Self::Transition => "transition",
            Self::Comment => "comment",
            Self::CommentInternal => "comment_internal",
            Self::Approve => "approve",
            Self::Manage => "manage",
            Self::Export => "export",
            Self::Restore => "restore",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Action {
    type Err = RbacError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| RbacError::UnknownAction { text: s.to_owned() })
    }
}

/// `resource:action`, e.g. `incident:assign`, `change:approve`.
///
/// Written and parsed with snake_case names (`service_request:create`,
/// `kb_article:read`, `sla_policy:update`); serialized as that string, so it
/// can also be a JSON map key. Parsing accepts only pairs from the catalogue
/// ([`Permission::all`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Permission {
    /// What kind of resource the permission is about.
    pub resource: ResourceKind,
    /// What may be done to it.
    pub action: Action,
}

impl Permission {
    /// Pairs a resource kind with an action.
    ///
    /// Does not check the catalogue, so it can be used in constants; see
    /// [`Permission::is_known`].
    pub const fn new(resource: ResourceKind, action: Action) -> Self {
        Self { resource, action }
    }

    /// The catalogue of meaningful permissions, sorted.
    pub fn all() -> Vec<Permission> {
        let mut all: Vec<Permission> = ResourceKind::ALL
            .into_iter()
            .flat_map(|kind| {
                kind.actions()
                    .iter()
                    .map(move |&a| Permission::new(kind, a))
            })
            .collect();
        all.sort();
        all
    }

    /// Whether the pair is in the catalogue (the action applies to the kind).
    pub fn is_known(self) -> bool {
        self.resource.actions().contains(&self.action)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource, self.action)
    }
}

impl FromStr for Permission {
    type Err = RbacError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || RbacError::UnknownPermission { text: s.to_owned() };
        let (resource, action) = s.split_once(':').ok_or_else(unknown)?;
        let resource = resource.parse::<ResourceKind>().map_err(|_| unknown())?;
        let action = action.parse::<Action>().map_err(|_| unknown())?;
        let permission = Permission::new(resource, action);
        if permission.is_known() {
            Ok(permission)
        } else {
            Err(unknown())
        }
    }
}

impl TryFrom<String> for Permission {
    type Error = RbacError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Permission> for String {
    fn from(p: Permission) -> Self {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ResourceKind::ALL {
            assert_eq!(kind.name().parse::<ResourceKind>(), Ok(kind));
        }
        for action in Action::ALL {
            assert_eq!(action.name().parse::<Action>(), Ok(action));
        }
    }

    #[test]
    fn every_kind_has_an_action_and_actions_are_sorted() {
        for kind in ResourceKind::ALL {
            let actions = kind.actions();
            assert!(!actions.is_empty(), "{kind}");
            assert!(actions.windows(2).all(|w| w[0] < w[1]), "{kind}");
        }
    }

    #[test]
    fn tickets_are_the_ticket_kinds() {
        for kind in ResourceKind::ALL {
            assert_eq!(
                kind.is_ticket(),
                ResourceKind::TICKETS.contains(&kind),
                "{kind}"
            );
        }
    }

    #[test]
    fn serde_uses_snake_case_names() {
        // Checked through Display because serde_json is not a dependency here.
        assert_eq!(ResourceKind::ServiceRequest.to_string(), "service_request");
        assert_eq!(Action::CommentInternal.to_string(), "comment_internal");
        assert_eq!(
            String::from(Permission::new(ResourceKind::SlaPolicy, Action::Update)),
            "sla_policy:update"
        );
    }

    #[test]
    fn parse_refuses_pairs_outside_the_catalogue() {
        for bad in [
            "audit_event:delete",
            "incident",
            "incident:",
            ":read",
            "Incident:read",
            "incident:read:x",
            "",
        ] {
            assert_eq!(
                bad.parse::<Permission>(),
                Err(RbacError::UnknownPermission {
                    text: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }
}
