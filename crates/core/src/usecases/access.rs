//! Access checks shared by the use cases.

use servicedesk_rbac::{Action, Decision, ResourceKind, ResourceRef};

use crate::actor::Actor;
use crate::entities::Incident;
use crate::error::{Error, Result};
use crate::usecases::{IncidentRef, Incidents};

/// The access view of an incident.
pub(super) fn resource(incident: &Incident) -> ResourceRef {
    crate::visibility::incident_resource(incident)
}

/// Refuses before any store call when no role grants `incident:<action>` at all.
pub(super) fn precheck(actor: &Actor, action: Action) -> Result<()> {
    precheck_kind(actor, ResourceKind::Incident, action)
}

/// Refuses before any store call when no role grants `<kind>:<action>` at all.
pub(crate) fn precheck_kind(actor: &Actor, kind: ResourceKind, action: Action) -> Result<()> {
    match actor.scope(kind, action) {
        Some(_) => Ok(()),
        None => Err(Error::Forbidden {
            reason: format!(
                "no role grants {}",
                servicedesk_rbac::Permission::new(kind, action)
            ),
        }),
    }
}

/// The access decision for `action` on `incident`. An incident without a team sits in the
/// organization's triage queue that every team picks from, so a group-scoped grant of an
/// actor who belongs to a team reaches it.
pub(super) fn decide(actor: &Actor, action: Action, incident: &Incident) -> Decision {
    crate::visibility::decide(actor, action, &resource(incident))
}

/// Refuses when the actor may not do `action` on this incident.
pub(super) fn authorize(actor: &Actor, action: Action, incident: &Incident) -> Result<()> {
    match decide(actor, action, incident) {
        Decision::Allow(_) => Ok(()),
        Decision::Deny(reason) => Err(Error::Forbidden {
            reason: reason.to_string(),
        }),
    }
}

/// Which soft-deleted incidents a load may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Deleted {
    /// Soft-deleted incidents are not found.
    Hidden,
    /// Only soft-deleted incidents are found (restore).
    Only,
}

impl Incidents {
    /// Loads an incident the actor may read. Another organization's incident, one outside
    /// the actor's read scope, and (unless asked for) a soft-deleted one all answer
    /// `NotFound`, so the answer never reveals that it exists.
    pub(super) fn load(&self, actor: &Actor, r: IncidentRef, deleted: Deleted) -> Result<Incident> {
        let org = actor.org_id();
        let incident = match r {
            IncidentRef::Id(id) => self.store.get(org, id)?,
            IncidentRef::Number(n) => self.store.get_by_number(org, n)?,
        };
        let not_found = Error::NotFound { entity: "incident" };
        if incident.org_id != org {
            // A store that broke its contract must not leak another tenant's row.
            return Err(not_found);
        }
        if incident.is_deleted() != (deleted == Deleted::Only) {
            return Err(not_found);
        }
        match decide(actor, Action::Read, &incident) {
            Decision::Allow(_) => Ok(incident),
            Decision::Deny(_) => Err(not_found),
        }
    }

    /// Refuses a write that names a version other than the one just read.
    pub(super) fn check_version(incident: &Incident, expected: Option<i64>) -> Result<()> {
        match expected {
            Some(v) if v != incident.version => Err(Error::Conflict {
                entity: "incident",
                current: incident.version,
            }),
            _ => Ok(()),
        }
    }
}
