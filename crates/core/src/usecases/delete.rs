//! Soft delete and restore (TKT-8).

use servicedesk_rbac::Action;

use crate::actor::Actor;
use crate::error::Result;
use crate::events::EventPayload;
use crate::usecases::access::{Deleted, authorize, precheck};
use crate::usecases::record::Record;
use crate::usecases::{IncidentRef, IncidentView, Incidents, Outcome};

impl Incidents {
    /// Soft-deletes an incident: it disappears from reads and listings but keeps its rows;
    /// only a retention policy purges it.
    ///
    /// # Errors
    /// `NotFound` (also for an already deleted incident); `Forbidden`; `Conflict`.
    pub fn delete(
        &self,
        actor: &Actor,
        r: IncidentRef,
        expected_version: Option<i64>,
    ) -> Result<Outcome<IncidentView>> {
        precheck(actor, Action::Delete)?;
        let mut incident = self.load(actor, r, Deleted::Hidden)?;
        authorize(actor, Action::Delete, &incident)?;
        Self::check_version(&incident, expected_version)?;
        let now = self.clock.now();
        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        record.field("deleted_at", None, Some(now.to_rfc3339()));
        record.event(EventPayload::IncidentDeleted {
            incident_id: incident.id,
        });
        incident.deleted_at = Some(now);
        incident.updated_at = now;
        let write = record.finish("incident.delete", "incident", incident.id.to_string());
        let version = incident.version;
        let stored = self
            .store
            .update(actor.org_id(), &incident, version, &write)?;
        self.view(actor, stored).map(|value| Outcome {
            value,
            events: write.events,
        })
    }

    /// Restores a soft-deleted incident.
    ///
    /// # Errors
    /// `NotFound` when no deleted incident matches; `Forbidden`; `Conflict`.
    pub fn restore(
        &self,
        actor: &Actor,
        r: IncidentRef,
        expected_version: Option<i64>,
    ) -> Result<Outcome<IncidentView>> {
        precheck(actor, Action::Restore)?;
        let mut incident = self.load(actor, r, Deleted::Only)?;
        authorize(actor, Action::Restore, &incident)?;
        Self::check_version(&incident, expected_version)?;
        let now = self.clock.now();
        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        record.field(
            "deleted_at",
            incident.deleted_at.map(|d| d.to_rfc3339()),
            None,
        );
        record.event(EventPayload::IncidentRestored {
            incident_id: incident.id,
        });
        incident.deleted_at = None;
        incident.updated_at = now;
        let write = record.finish("incident.restore", "incident", incident.id.to_string());
        let version = incident.version;
        let stored = self
            .store
            .update(actor.org_id(), &incident, version, &write)?;
        self.view(actor, stored).map(|value| Outcome {
            value,
            events: write.events,
        })
    }
}
