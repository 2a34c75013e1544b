//! The four built-in roles (RBAC-1) and what each grants.
//!
//! `docs/rbac.md` holds the same grants as a table, and the crate's tests
//! check every role against a literal copy of that table, so a change here
//! must be made in all three places on purpose.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::RbacError;
use crate::permission::{Action, Permission, ResourceKind};
use crate::role::Grant;
use crate::scope::Scope;

/// The built-in roles every organization has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinRole {
    /// Everything in the organization.
    Admin,
    /// Runs the desk: all ticket work, approvals, reports, SLA configuration.
    Manager,
    /// Technician / support staff: works the queues of their teams.
    Agent,
    /// End user / employee / customer: raises and follows their own tickets.
    Requester,
}

impl BuiltinRole {
    /// The four roles, most powerful first.
    pub const fn all() -> [BuiltinRole; 4] {
        [Self::Admin, Self::Manager, Self::Agent, Self::Requester]
    }

    /// The role's name: `admin`, `manager`, `agent`, `requester`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Agent => "agent",
            Self::Requester => "requester",
        }
    }

    /// The role's grants, sorted by permission.
    pub fn grants(self) -> Vec<Grant> {
        // Every authenticated request resolves its roles: the lists are built and sorted
        // once per process, then copied (a grant is a few bytes and `Copy`).
        static GRANTS: [OnceLock<Vec<Grant>>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        GRANTS[self as usize]
            .get_or_init(|| self.build_grants())
            .clone()
    }

    fn build_grants(self) -> Vec<Grant> {
        let mut grants = match self {
            Self::Admin => admin(),
            Self::Manager => manager(),
            Self::Agent => agent(),
            Self::Requester => requester(),
        };
        grants.sort();
        grants
    }
}

impl fmt::Display for BuiltinRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BuiltinRole {
    type Err = RbacError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::all()
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| RbacError::UnknownBuiltinRole { text: s.to_owned() })
    }
}

use Action as A;
use ResourceKind as K;
use Scope::{Group, Org, Own};

fn grants(list: &[(ResourceKind, Action, Scope)]) -> Vec<Grant> {
    list.iter()
        .map(|&(k, a, s)| Grant::new(Permission::new(k, a), s))
        .collect()
}

fn admin() -> Vec<Grant> {
    Permission::all()
        .into_iter()
        .map(|p| Grant::new(p, Org))
        .collect()
}

fn manager() -> Vec<Grant> {
    // All ticket work, approvals included, across the organization.
    let mut g: Vec<Grant> = ResourceKind::TICKETS
        .into_iter()
        .flat_map(|k| {
            k.actions()
                .iter()
                .map(move |&a| Grant::new(Permission::new(k, a), Org))
        })
        .collect();
    // Configuration the desk itself owns. Deleting it (and everything about
    // tenants, roles, webhooks and the audit log) stays with admins: it
    // changes how the whole organization works, not how the desk runs.
    g.extend(grants(&[
        (K::Comment, A::Read, Org),
        (K::Comment, A::Update, Org),
        (K::Comment, A::Delete, Org),
        (K::CatalogItem, A::Create, Org),
        (K::CatalogItem, A::Read, Org),
        (K::CatalogItem, A::Update, Org),
        (K::Ci, A::Create, Org),
        (K::Ci, A::Read, Org),
        (K::Ci, A::Update, Org),
        (K::Asset, A::Create, Org),
        (K::Asset, A::Read, Org),
        (K::Asset, A::Update, Org),
        (K::KbArticle, A::Create, Org),
        (K::KbArticle, A::Read, Org),
        (K::KbArticle, A::Update, Org),
        (K::KbArticle, A::Delete, Org),
        (K::KbArticle, A::Transition, Org),
        (K::SlaPolicy, A::Create, Org),
        (K::SlaPolicy, A::Read, Org),
        (K::SlaPolicy, A::Update, Org),
        (K::Calendar, A::Create, Org),
        (K::Calendar, A::Read, Org),
        (K::Calendar, A::Update, Org),
        (K::User, A::Read, Org),
        (K::User, A::Update, Own),
        (K::Team, A::Create, Org),
        (K::Team, A::Read, Org),
        (K::Team, A::Update, Org),
        (K::Team, A::Manage, Org),
        (K::Role, A::Read, Org),
        (K::Organization, A::Read, Org),
        (K::Notification, A::Read, Own),
        (K::Notification, A::Update, Own),
        (K::Rule, A::Read, Org),
        (K::Rule, A::Manage, Org),
        (K::Report, A::Read, Org),
        (K::Report, A::Export, Org),
        (K::Survey, A::Read, Org),
    ]));
    g
}

fn agent() -> Vec<Grant> {
    let mut g = Vec::new();
    for k in ResourceKind::TICKETS {
        // Agents log tickets on behalf of anyone (phone, walk-in), so creating
        // is not limited to their teams; working a ticket is.
        g.push(Grant::new(Permission::new(k, A::Create), Org));
        for a in [
            A::Read,
            A::Update,
            A::Assign,
            A::Escalate,
            A::Transition,
            A::Comment,
            A::CommentInternal,
        ] {
            g.push(Grant::new(Permission::new(k, a), Group));
        }
    }
    g.extend(grants(&[
        (K::Comment, A::Read, Group),
        (K::Comment, A::Update, Own),
        (K::CatalogItem, A::Read, Org),
        (K::Ci, A::Read, Org),
        (K::Asset, A::Read, Org),
        // The knowledge base is shared work: any agent may improve any
        // article; publishing and retiring (transition) stay with managers.
        (K::KbArticle, A::Create, Org),
        (K::KbArticle, A::Read, Org),
        (K::KbArticle, A::Update, Org),
        (K::SlaPolicy, A::Read, Org),
        (K::Calendar, A::Read, Org),
        (K::User, A::Read, Org),
        (K::User, A::Update, Own),
        (K::Team, A::Read, Org),
        (K::Notification, A::Read, Own),
        (K::Notification, A::Update, Own),
        (K::Report, A::Read, Group),
        (K::Survey, A::Read, Group),
    ]));
    g
}

fn requester() -> Vec<Grant> {
    grants(&[
        (K::Incident, A::Create, Own),
        (K::Incident, A::Read, Own),
        // Confirm (close) or reopen their own resolved incident; the core
        // decides which lifecycle actions a requester may take.
        (K::Incident, A::Transition, Own),
        (K::Incident, A::Comment, Own),
        (K::ServiceRequest, A::Create, Own),
        (K::ServiceRequest, A::Read, Own),
        // Submit or cancel their own draft request.
        (K::ServiceRequest, A::Transition, Own),
        (K::ServiceRequest, A::Comment, Own),
        (K::CatalogItem, A::Read, Org),
        (K::KbArticle, A::Read, Org),
        (K::User, A::Read, Own),
        (K::User, A::Update, Own),
        (K::Notification, A::Read, Own),
        (K::Notification, A::Update, Own),
        (K::Survey, A::Create, Own),
        (K::Survey, A::Read, Own),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in BuiltinRole::all() {
            assert_eq!(r.name().parse::<BuiltinRole>(), Ok(r));
            assert_eq!(r.to_string(), r.name());
        }
        assert!("Admin".parse::<BuiltinRole>().is_err());
    }

    #[test]
    fn grants_are_known_sorted_and_unique() {
        for r in BuiltinRole::all() {
            let g = r.grants();
            assert!(g.iter().all(|g| g.permission.is_known()), "{r}");
            assert!(
                g.windows(2).all(|w| w[0].permission < w[1].permission),
                "{r}: grants must be sorted with one grant per permission"
            );
        }
    }
}
