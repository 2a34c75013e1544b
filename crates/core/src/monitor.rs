//! The SLA monitor (SLA-4, SLA-6): finds incidents whose next warning or breach instant has
//! passed (an indexed column, so the cost follows the tickets coming due, not all open
//! tickets), records the warning or breach on the clock and emits `SlaWarning` /
//! `SlaBreached` through the outbox. Each fires exactly once per incident and target, even
//! with several monitors on one database: the write names the version read, and a monitor
//! that lost the race gets `Conflict` and moves on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::entities::{HistoryEntry, Incident, SlaTarget};
use crate::error::Result;
use crate::events::{AuditRecord, DomainEvent, EventPayload};
use crate::ids::{EventId, HistoryId};
use crate::ports::{Clock, IdGenerator, IncidentStore, SlaCatalog, StoreError, WriteSet};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Incidents looked at.
    pub checked: u32,
    /// Warnings recorded.
    pub warnings: u32,
    /// Breaches recorded.
    pub breaches: u32,
    /// Incidents another writer changed first (they come back if still due).
    pub conflicts: u32,
}

/// The SLA monitor.
#[derive(Clone)]
pub struct SlaMonitor {
    store: Arc<dyn IncidentStore>,
    sla: Arc<dyn SlaCatalog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl SlaMonitor {
    /// A monitor over its ports.
    pub fn new(
        store: Arc<dyn IncidentStore>,
        sla: Arc<dyn SlaCatalog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            sla,
            clock,
            ids,
        }
    }

    /// Handles up to `batch` incidents that have come due.
    ///
    /// # Errors
    /// `Internal` when the store fails (a lost race is not an error).
    pub fn sweep(&self, batch: u32) -> Result<Sweep> {
        let now = self.clock.now();
        let mut sweep = Sweep::default();
        for incident in self.store.sla_due(now, batch)? {
            sweep.checked += 1;
            match self.check(incident, now) {
                Ok((w, b)) => {
                    sweep.warnings += w;
                    sweep.breaches += b;
                }
                Err(StoreError::Conflict { .. } | StoreError::NotFound(_)) => sweep.conflicts += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(sweep)
    }

    fn check(
        &self,
        mut incident: Incident,
        now: DateTime<Utc>,
    ) -> std::result::Result<(u32, u32), StoreError> {
        let Some(sla) = incident.sla.as_mut() else {
            // A stale due instant without clocks: clear it so the row leaves the queue.
            incident.next_sla_due_at = None;
            let version = incident.version;
            self.store
                .update(incident.org_id, &incident, version, &WriteSet::default())?;
            return Ok((0, 0));
        };
        let calendar = self.sla.calendar(incident.org_id, sla.calendar_id)?;
        let mut fired = Vec::new();
        for (target, clock) in sla.clocks_mut() {
            if clock.warned_at.is_none()
                && clock.is_running()
                && clock.is_warning_reached(&calendar, now)
            {
                clock.warned_at = Some(now);
                fired.push((target, false, clock.due_at(&calendar)));
            }
            if clock.breached_at.is_none()
                && clock.is_running()
                && clock.is_breached(&calendar, now)
            {
                clock.breached_at = Some(now);
                fired.push((target, true, clock.due_at(&calendar)));
            }
        }
        incident.refresh_next_sla_due(&calendar);
        let write = self.write_for(&incident, &fired, now);
        let version = incident.version;
        self.store
            .update(incident.org_id, &incident, version, &write)?;
        let warnings = fired.iter().filter(|(_, breach, _)| !breach).count();
        Ok((
            u32::try_from(warnings).unwrap_or(0),
            u32::try_from(fired.len() - warnings).unwrap_or(0),
        ))
    }

    fn write_for(
        &self,
        incident: &Incident,
        fired: &[(SlaTarget, bool, Option<DateTime<Utc>>)],
        now: DateTime<Utc>,
    ) -> WriteSet {
        let mut write = WriteSet::default();
        for (target, breach, due) in fired {
            let field = format!(
                "sla_{}_{}",
                target.as_str(),
                if *breach { "breached_at" } else { "warned_at" }
            );
            write.history.push(HistoryEntry {
                id: HistoryId(self.ids.new_id()),
                org_id: incident.org_id,
                incident_id: incident.id,
                actor_id: None,
                at: now,
                field,
                old_value: None,
                new_value: Some(now.to_rfc3339()),
            });
            let due_at = due.unwrap_or(now);
            let payload = if *breach {
                EventPayload::SlaBreached {
                    incident_id: incident.id,
                    target: *target,
                    due_at,
                }
            } else {
                EventPayload::SlaWarning {
                    incident_id: incident.id,
                    target: *target,
                    due_at,
                }
            };
            write.events.push(DomainEvent {
                id: EventId(self.ids.new_id()),
                org_id: incident.org_id,
                occurred_at: now,
                actor_id: None,
                payload,
            });
        }
        if !fired.is_empty() {
            write.audit.push(AuditRecord {
                org_id: incident.org_id,
                actor_id: None,
                action: "incident.sla".into(),
                target_kind: "incident".into(),
                target_id: incident.id.to_string(),
                at: now,
                detail: json!({ "events": write.events.iter().map(DomainEvent::kind).collect::<Vec<_>>() }),
            });
        }
        write
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use servicedesk_lifecycle::incident::IncidentState;

    use super::*;
    use crate::entities::Incident;
    use crate::ports::{FixedClock, MockIncidentStore, MockSlaCatalog, UuidV7Generator};
    use crate::usecases::tests::fixture::{incident as incident_at, t0};

    fn monitor(store: MockIncidentStore, now: DateTime<Utc>) -> SlaMonitor {
        let mut sla = MockSlaCatalog::new();
        sla.expect_calendar()
            .returning(|_, _| Ok(servicedesk_sla::Calendar::twenty_four_seven()));
        SlaMonitor::new(
            Arc::new(store),
            Arc::new(sla),
            Arc::new(FixedClock::new(now)),
            Arc::new(UuidV7Generator),
        )
    }

    #[test]
    fn a_breach_fires_once_with_its_warning_and_leaves_the_queue() {
        // 1 h response / 8 h resolution from t0; at t0 + 2 h the response clock is breached.
        let incident = incident_at(IncidentState::InProgress);
        let mut store = MockIncidentStore::new();
        let due = incident.clone();
        store
            .expect_sla_due()
            .times(1)
            .returning(move |_, _| Ok(vec![due.clone()]));
        store
            .expect_update()
            .withf(|_, i: &Incident, v, w| {
                let sla = i.sla.as_ref().unwrap();
                *v == i.version
                    && sla.response.warned_at.is_some()
                    && sla.response.breached_at.is_some()
                    && sla.resolution.warned_at.is_none()
                    && w.events.iter().map(DomainEvent::kind).collect::<Vec<_>>() == ["sla.warning", "sla.breached"]
                    // Next: the resolution warning at 75 % of 8 h.
                    && i.next_sla_due_at == Some(t0() + TimeDelta::hours(6))
            })
            .times(1)
            .returning(|_, i, v, _| Ok(Incident { version: v + 1, ..i.clone() }));
        let sweep = monitor(store, t0() + TimeDelta::hours(2))
            .sweep(100)
            .unwrap();
        assert_eq!(
            sweep,
            Sweep {
                checked: 1,
                warnings: 1,
                breaches: 1,
                conflicts: 0
            }
        );
    }

    #[test]
    fn a_lost_race_is_counted_not_failed() {
        let incident = incident_at(IncidentState::InProgress);
        let mut store = MockIncidentStore::new();
        store
            .expect_sla_due()
            .returning(move |_, _| Ok(vec![incident.clone()]));
        store.expect_update().returning(|_, _, _, _| {
            Err(StoreError::Conflict {
                entity: "incident",
                current: 9,
            })
        });
        let sweep = monitor(store, t0() + TimeDelta::minutes(50))
            .sweep(100)
            .unwrap();
        assert_eq!(
            sweep,
            Sweep {
                checked: 1,
                warnings: 0,
                breaches: 0,
                conflicts: 1
            }
        );
    }

    #[test]
    fn recorded_events_do_not_fire_again() {
        let mut incident = incident_at(IncidentState::InProgress);
        let sla = incident.sla.as_mut().unwrap();
        sla.response.warned_at = Some(t0());
        sla.response.breached_at = Some(t0());
        let mut store = MockIncidentStore::new();
        store
            .expect_sla_due()
            .returning(move |_, _| Ok(vec![incident.clone()]));
        store
            .expect_update()
            .withf(|_, _, _, w| w.events.is_empty() && w.audit.is_empty())
            .times(1)
            .returning(|_, i, v, _| {
                Ok(Incident {
                    version: v + 1,
                    ..i.clone()
                })
            });
        let sweep = monitor(store, t0() + TimeDelta::hours(2))
            .sweep(100)
            .unwrap();
        assert_eq!((sweep.warnings, sweep.breaches), (0, 0));
    }
}
