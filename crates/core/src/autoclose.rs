//! Auto-close (TKT lifecycle, per organization): resolved incidents that nobody reopened
//! within the organization's `auto_close_days` close by themselves, with history, an
//! audit record and an `incident.status_changed` event like any close.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use servicedesk_lifecycle::StateMachine;
use servicedesk_lifecycle::incident::{
    Incident as IncidentMachine, IncidentAction, IncidentContext,
};

use crate::entities::{HistoryEntry, Incident};
use crate::error::Result;
use crate::events::{AuditRecord, DomainEvent, EventPayload};
use crate::ids::{EventId, HistoryId};
use crate::ports::{AdminStore, Clock, IdGenerator, IncidentStore, StoreError, WriteSet};

/// Closes resolved incidents whose organization's delay has passed.
#[derive(Clone)]
pub struct AutoCloser {
    store: Arc<dyn IncidentStore>,
    admin: Arc<dyn AdminStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl AutoCloser {
    /// An auto-closer over its ports.
    pub fn new(
        store: Arc<dyn IncidentStore>,
        admin: Arc<dyn AdminStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            admin,
            clock,
            ids,
        }
    }

    /// Closes up to `batch` incidents per organization; returns how many closed. An
    /// incident changed meanwhile (reopened, commented) is left for the next sweep, and one
    /// with open tasks stays resolved (closing needs them done).
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn sweep(&self, batch: u32) -> Result<u32> {
        let now = self.clock.now();
        let mut closed = 0;
        for org in self.admin.organizations()? {
            let Some(days) = self.admin.org_settings(org.id)?.auto_close_days else {
                continue;
            };
            let cutoff = now - TimeDelta::days(i64::from(days));
            for incident in self.store.resolved_before(org.id, cutoff, batch)? {
                match self.close(incident, days, now) {
                    Ok(true) => closed += 1,
                    Ok(false) | Err(StoreError::Conflict { .. } | StoreError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(closed)
    }

    fn close(
        &self,
        mut incident: Incident,
        days: u32,
        now: DateTime<Utc>,
    ) -> std::result::Result<bool, StoreError> {
        let open_tasks = self.store.open_task_count(incident.org_id, incident.id)?;
        let ctx = IncidentContext {
            has_assignee: incident.assignee_id.is_some(),
            actor_can_take: false,
            resolution_code: incident.resolution_code.clone(),
            resolution_notes: incident.resolution_notes.clone(),
            open_tasks,
        };
        let Ok(moved) = IncidentMachine::transition(incident.status, IncidentAction::Close, &ctx)
        else {
            return Ok(false);
        };
        let from = incident.status;
        incident.status = moved.to;
        incident.closed_at = Some(now);
        incident.updated_at = now;
        let mut write = WriteSet::default();
        write.history.push(HistoryEntry {
            id: HistoryId(self.ids.new_id()),
            org_id: incident.org_id,
            incident_id: incident.id,
            actor_id: None,
            at: now,
            field: "status".into(),
            old_value: Some(from.to_string()),
            new_value: Some(moved.to.to_string()),
        });
        write.events.push(DomainEvent {
            id: EventId(self.ids.new_id()),
            org_id: incident.org_id,
            occurred_at: now,
            actor_id: None,
            payload: EventPayload::IncidentStatusChanged {
                incident_id: incident.id,
                from: from.to_string(),
                to: moved.to.to_string(),
                action: "auto_close".into(),
            },
        });
        write.audit.push(AuditRecord {
            org_id: incident.org_id,
            actor_id: None,
            action: "incident.auto_close".into(),
            target_kind: "incident".into(),
            target_id: incident.id.to_string(),
            at: now,
            detail: json!({ "after_days": days }),
        });
        let version = incident.version;
        self.store
            .update(incident.org_id, &incident, version, &write)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use servicedesk_lifecycle::incident::IncidentState;

    use super::*;
    use crate::entities::{OrgSettings, Organization};
    use crate::ports::{FixedClock, MockAdminStore, MockIncidentStore, UuidV7Generator};
    use crate::usecases::tests::fixture::{ORG, incident, t0};

    fn closer(store: MockIncidentStore, days: Option<u32>, now: DateTime<Utc>) -> AutoCloser {
        let mut admin = MockAdminStore::new();
        admin.expect_organizations().returning(|| {
            Ok(vec![Organization {
                id: ORG,
                name: "Acme".into(),
                created_at: t0(),
            }])
        });
        admin.expect_org_settings().returning(move |_| {
            Ok(OrgSettings {
                auto_close_days: days,
                ..OrgSettings::default()
            })
        });
        AutoCloser::new(
            Arc::new(store),
            Arc::new(admin),
            Arc::new(FixedClock::new(now)),
            Arc::new(UuidV7Generator),
        )
    }

    fn resolved() -> Incident {
        let mut i = incident(IncidentState::Resolved);
        i.resolved_at = Some(t0());
        i.resolution_code = Some("fixed".into());
        i.resolution_notes = Some("rebooted".into());
        i
    }

    #[test]
    fn resolved_incidents_close_after_the_delay() {
        let now = t0() + TimeDelta::days(7);
        let mut store = MockIncidentStore::new();
        store
            .expect_resolved_before()
            .withf(move |org, cutoff, _| *org == ORG && *cutoff == now - TimeDelta::days(5))
            .returning(|_, _, _| Ok(vec![resolved()]));
        store.expect_open_task_count().returning(|_, _| Ok(0));
        store
            .expect_update()
            .withf(move |_, i: &Incident, _, w| {
                i.status == IncidentState::Closed
                    && i.closed_at == Some(now)
                    && matches!(
                        &w.events[0].payload,
                        EventPayload::IncidentStatusChanged { action, to, .. }
                            if action == "auto_close" && to == "closed"
                    )
                    && w.audit[0].action == "incident.auto_close"
            })
            .times(1)
            .returning(|_, i, v, _| {
                Ok(Incident {
                    version: v + 1,
                    ..i.clone()
                })
            });
        assert_eq!(closer(store, Some(5), now).sweep(50).unwrap(), 1);
    }

    #[test]
    fn organizations_without_the_setting_are_not_touched() {
        // A bare mock panics on any store call.
        let store = MockIncidentStore::new();
        assert_eq!(closer(store, None, t0()).sweep(50).unwrap(), 0);
    }

    #[test]
    fn open_tasks_keep_an_incident_resolved() {
        let mut store = MockIncidentStore::new();
        store
            .expect_resolved_before()
            .returning(|_, _, _| Ok(vec![resolved()]));
        store.expect_open_task_count().returning(|_, _| Ok(2));
        assert_eq!(
            closer(store, Some(1), t0() + TimeDelta::days(2))
                .sweep(50)
                .unwrap(),
            0
        );
    }
}
