//! Auto-close (TKT lifecycle, per organization): tickets of every kind that sat in the
//! resolved class (a resolved incident, a fulfilled or rejected request) for the
//! organization's `auto_close_days` close by themselves, with history, an audit record and
//! a status event like any close. The sweep over organizations is one; each kind closes
//! with its own lifecycle's move ([`KindCloser`]).

use std::sync::Arc;

use chrono::TimeDelta;

use crate::error::{Error, Result};
use crate::ports::{AdminStore, Clock, IncidentStore};
use crate::usecases::Incidents;

/// One kind's close of its resolved tickets (the kind's lifecycle move, run by the system).
pub trait KindCloser: Send + Sync {
    /// Closes up to `batch` tickets of `org` resolved at or before `cutoff`; returns how
    /// many closed. Tickets changed meanwhile are left for the next sweep.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    fn close_resolved_before(
        &self,
        org: crate::ids::OrgId,
        cutoff: chrono::DateTime<chrono::Utc>,
        batch: u32,
    ) -> Result<u32>;
}

/// Closes resolved tickets whose organization's delay has passed.
#[derive(Clone)]
pub struct AutoCloser {
    incidents: Incidents,
    store: Arc<dyn IncidentStore>,
    admin: Arc<dyn AdminStore>,
    clock: Arc<dyn Clock>,
    kinds: Vec<Arc<dyn KindCloser>>,
}

impl AutoCloser {
    /// An auto-closer over its ports. The close itself is the incident use cases' lifecycle
    /// move ([`Incidents::close_resolved`]), so clocks, the next due instant, history and
    /// events are the same as for a user's close.
    pub fn new(
        incidents: Incidents,
        store: Arc<dyn IncidentStore>,
        admin: Arc<dyn AdminStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            incidents,
            store,
            admin,
            clock,
            kinds: Vec::new(),
        }
    }

    /// Also closes the resolved tickets of another kind (service requests, …).
    #[must_use]
    pub fn with_kind(mut self, closer: Arc<dyn KindCloser>) -> Self {
        self.kinds.push(closer);
        self
    }

    /// Closes up to `batch` incidents per organization; returns how many closed. An
    /// incident changed meanwhile (reopened, commented, a task added) is left for the next
    /// sweep, and one with open tasks stays resolved (closing needs them done).
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
                match self.incidents.close_resolved(incident, days) {
                    Ok(Some(_)) => closed += 1,
                    Ok(None) | Err(Error::Conflict { .. } | Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            for kind in &self.kinds {
                closed += kind.close_resolved_before(org.id, cutoff, batch)?;
            }
        }
        Ok(closed)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use servicedesk_lifecycle::incident::{IncidentAction, IncidentState};

    use super::*;
    use crate::entities::{Incident, OrgSettings, Organization};
    use crate::events::EventPayload;
    use crate::ports::{MockAdminStore, MockIncidentStore, StoreError, WriteSet};
    use crate::usecases::TransitionRequest;
    use crate::usecases::tests::fixture::{Fx, ORG, incident, last, requester, t0};

    fn admin(days: Option<u32>) -> MockAdminStore {
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
        admin
    }

    /// Resolved at t0 with both clocks still running and a pending due instant, so a
    /// close that skips the lifecycle's clock effects shows.
    fn resolved() -> Incident {
        let mut i = incident(IncidentState::Resolved);
        i.resolved_at = Some(t0());
        i.details.resolution_code = Some("fixed".into());
        i.details.resolution_notes = Some("rebooted".into());
        i.next_sla_due_at = Some(t0() + TimeDelta::hours(1));
        i
    }

    fn closer(
        fx: Fx,
        listed: MockIncidentStore,
        days: Option<u32>,
        now: DateTime<Utc>,
    ) -> AutoCloser {
        fx.clock.set(now);
        let clock = fx.clock.clone();
        AutoCloser::new(fx.build(), Arc::new(listed), Arc::new(admin(days)), clock)
    }

    fn listing(incidents: Vec<Incident>) -> MockIncidentStore {
        let mut listed = MockIncidentStore::new();
        listed
            .expect_resolved_before()
            .returning(move |_, _, _| Ok(incidents.clone()));
        listed
    }

    #[test]
    fn auto_close_is_the_same_lifecycle_move_as_a_users_close() {
        let now = t0() + TimeDelta::days(7);
        // A user's close at `now`.
        let (mut by_user, user_written) = Fx::new().holding(resolved()).accepting_updates();
        by_user
            .store
            .expect_open_child_count()
            .returning(|_, _| Ok(0));
        by_user
            .store
            .expect_open_task_count()
            .returning(|_, _| Ok(0));
        by_user.clock.set(now);
        by_user
            .build()
            .transition(
                &requester(),
                resolved().id.into(),
                None,
                TransitionRequest::new(IncidentAction::Close),
            )
            .unwrap();
        let (user_row, _, user_write) = last(&user_written);

        // The sweep at `now`, five days after the resolution.
        let (mut by_system, system_written) = Fx::new().accepting_updates();
        by_system
            .store
            .expect_open_child_count()
            .returning(|_, _| Ok(0));
        by_system
            .store
            .expect_open_task_count()
            .returning(|_, _| Ok(0));
        let mut listed = MockIncidentStore::new();
        listed
            .expect_resolved_before()
            .withf(move |org, cutoff, _| *org == ORG && *cutoff == now - TimeDelta::days(5))
            .returning(|_, _, _| Ok(vec![resolved()]));
        assert_eq!(
            closer(by_system, listed, Some(5), now).sweep(50).unwrap(),
            1
        );
        let (system_row, version, system_write) = last(&system_written);

        assert_eq!(version, resolved().version, "guarded by the version read");
        assert_eq!(system_row.status, IncidentState::Closed);
        assert_eq!(system_row.closed_at, Some(now));
        assert_eq!(system_row.updated_at, now);
        assert_eq!(
            system_row.sla, user_row.sla,
            "clocks stop as on a user's close"
        );
        assert!(
            system_row
                .sla
                .as_ref()
                .is_some_and(|s| !s.resolution.is_running()),
            "the resolution clock stopped"
        );
        assert_eq!(system_row.next_sla_due_at, user_row.next_sla_due_at);
        assert_eq!(system_row.next_sla_due_at, None, "nothing is due any more");
        assert_eq!(system_row, user_row, "the stored incident is the same");

        let strip = |w: &WriteSet| {
            (
                w.history
                    .iter()
                    .map(|h| (h.field.clone(), h.old_value.clone(), h.new_value.clone()))
                    .collect::<Vec<_>>(),
                w.events.iter().map(|e| e.kind()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(strip(&system_write), strip(&user_write));
        assert!(system_write.history.iter().all(|h| h.actor_id.is_none()));
        assert!(system_write.events.iter().all(|e| e.actor_id.is_none()));
        assert!(matches!(
            &system_write.events[0].payload,
            EventPayload::IncidentStatusChanged { action, from, to, .. }
                if action == "auto_close" && from == "resolved" && to == "closed"
        ));
        assert_eq!(system_write.audit.len(), 1);
        assert_eq!(system_write.audit[0].action, "incident.auto_close");
        assert_eq!(system_write.audit[0].actor_id, None);
        assert_eq!(system_write.audit[0].detail["after_days"], 5);
    }

    #[test]
    fn organizations_without_the_setting_are_not_touched() {
        // Bare mocks panic on any store call.
        let fx = Fx::bare();
        assert_eq!(
            closer(fx, MockIncidentStore::new(), None, t0())
                .sweep(50)
                .unwrap(),
            0
        );
    }

    #[test]
    fn open_tasks_keep_an_incident_resolved() {
        let mut fx = Fx::new();
        fx.store.expect_open_child_count().returning(|_, _| Ok(0));
        fx.store.expect_open_task_count().returning(|_, _| Ok(2));
        let listed = listing(vec![resolved()]);
        assert_eq!(
            closer(fx, listed, Some(1), t0() + TimeDelta::days(2))
                .sweep(50)
                .unwrap(),
            0
        );
    }

    #[test]
    fn an_incident_changed_meanwhile_is_left_for_the_next_sweep() {
        let mut fx = Fx::new();
        fx.store.expect_open_child_count().returning(|_, _| Ok(0));
        fx.store.expect_open_task_count().returning(|_, _| Ok(0));
        fx.store.expect_update().returning(|_, _, _, _| {
            Err(StoreError::Conflict {
                entity: "incident",
                current: 4,
            })
        });
        let listed = listing(vec![resolved()]);
        assert_eq!(
            closer(fx, listed, Some(1), t0() + TimeDelta::days(2))
                .sweep(50)
                .unwrap(),
            0
        );
    }
}
