//! Role-based access control for Servicedesk: permissions, roles, scopes and
//! access decisions with reasons.
//!
//! A [`Permission`] is `resource:action` (`incident:assign`). A [`Role`]
//! grants permissions, each with a [`Scope`] saying how far it reaches inside
//! the actor's organization: `own` (the actor is requester or assignee),
//! `group` (also what the actor's teams hold), `org` (everything in the
//! organization). [`decide`] judges one access and explains itself; a
//! resource of another organization is always refused. The built-in roles and
//! the rules are described in `docs/rbac.md`.
//!
//! The crate is pure: no I/O, no clock.
//!
//! ```
//! use servicedesk_rbac::*;
//! use uuid::Uuid;
//!
//! let org = Uuid::from_u128(1);
//! let team = Uuid::from_u128(2);
//! let agent = Actor::new(Uuid::from_u128(3), org)
//!     .with_role(Role::builtin(BuiltinRole::Agent))
//!     .with_team(team);
//!
//! let queued = ResourceRef::org_level(ResourceKind::Incident, org).with_team(team);
//! assert!(decide(&agent, Action::Assign, &queued).is_allowed());
//!
//! let elsewhere = ResourceRef::org_level(ResourceKind::Incident, org).with_team(Uuid::from_u128(4));
//! let denied = decide(&agent, Action::Assign, &elsewhere);
//! assert!(denied.to_string().contains("incident:assign"));
//!
//! let other_org = ResourceRef::org_level(ResourceKind::Incident, Uuid::from_u128(5));
//! assert_eq!(
//!     decide(&agent, Action::Read, &other_org),
//!     Decision::Deny(DenyReason::OtherOrganization)
//! );
//! assert_eq!(widest_scope(&agent, "incident:read".parse().unwrap()), Some(Scope::Group));
//! ```

mod actor;
mod builtin;
mod ceiling;
mod decision;
mod error;
mod permission;
mod role;
mod scope;

pub use actor::{Actor, ResourceRef};
pub use builtin::BuiltinRole;
pub use ceiling::{covers, uncovered};
pub use decision::{AllowReason, Decision, DenyReason, decide, widest_scope};
pub use error::RbacError;
pub use permission::{Action, Permission, ResourceKind};
pub use role::{Grant, MAX_ROLE_NAME_LEN, Role};
pub use scope::Scope;
