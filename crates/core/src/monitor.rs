//! The SLA monitor (SLA-4, SLA-6): finds incidents whose next warning or breach instant has
//! passed (an indexed column, so the cost follows the tickets coming due, not all open
//! tickets), records the warning or breach on the clock and emits `SlaWarning` /
//! `SlaBreached` through the outbox. Each fires exactly once per incident and target, even
//! with several monitors on one database: the write names the version read, and a monitor
//! that lost the race gets `Conflict` and moves on.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use servicedesk_sla::{EscalationAction, EscalationTarget, EscalationTrigger};

use crate::entities::{HistoryEntry, SlaTarget};
use crate::error::Result;
use crate::events::{Audience, AuditRecord, DomainEvent, EventPayload, FieldChange};
use crate::ids::{EventId, HistoryId, TeamId};
use crate::ports::{Clock, Directory, IdGenerator, SlaCatalog, StoreError, WriteSet};
use crate::tickets::{AnyTicket, TicketStore};

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

/// How long a claimed incident stays hidden from other monitors. Far longer than a sweep
/// of one incident takes; a monitor that dies mid-sweep only delays the rows it held.
const CLAIM_LEASE: TimeDelta = TimeDelta::seconds(60);

/// One warning or breach recorded in this sweep.
#[derive(Debug, Clone, Copy)]
struct Fired {
    target: SlaTarget,
    trigger: EscalationTrigger,
    due_at: Option<DateTime<Utc>>,
}

/// The SLA monitor.
#[derive(Clone)]
pub struct SlaMonitor {
    store: Arc<dyn TicketStore>,
    sla: Arc<dyn SlaCatalog>,
    directory: Arc<dyn Directory>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl SlaMonitor {
    /// A monitor over its ports.
    pub fn new(
        store: Arc<dyn TicketStore>,
        sla: Arc<dyn SlaCatalog>,
        directory: Arc<dyn Directory>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            sla,
            directory,
            clock,
            ids,
        }
    }

    /// Claims and handles up to `batch` incidents that have come due.
    ///
    /// # Errors
    /// `Internal` when the store fails (a lost race is not an error).
    pub fn sweep(&self, batch: u32) -> Result<Sweep> {
        let now = self.clock.now();
        let mut sweep = Sweep::default();
        for incident in self.store.due_tickets(now, now + CLAIM_LEASE, batch)? {
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
        mut incident: AnyTicket,
        now: DateTime<Utc>,
    ) -> std::result::Result<(u32, u32), StoreError> {
        let Some(sla) = incident.sla.as_mut() else {
            // A stale due instant without clocks: clear it so the row leaves the queue.
            incident.next_sla_due_at = None;
            let version = incident.version;
            self.store
                .update_ticket(incident.org_id, &incident, version, &WriteSet::default())?;
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
                fired.push(Fired {
                    target,
                    trigger: EscalationTrigger::Warning,
                    due_at: clock.due_at(&calendar),
                });
            }
            if clock.breached_at.is_none()
                && clock.is_running()
                && clock.is_breached(&calendar, now)
            {
                clock.breached_at = Some(now);
                fired.push(Fired {
                    target,
                    trigger: EscalationTrigger::Breach,
                    due_at: clock.due_at(&calendar),
                });
            }
        }
        incident.refresh_next_sla_due(&calendar);
        let write = self.escalate(&mut incident, &fired, now)?;
        let version = incident.version;
        self.store
            .update_ticket(incident.org_id, &incident, version, &write)?;
        let warnings = fired
            .iter()
            .filter(|f| f.trigger == EscalationTrigger::Warning)
            .count();
        Ok((
            u32::try_from(warnings).unwrap_or(0),
            u32::try_from(fired.len() - warnings).unwrap_or(0),
        ))
    }

    /// Records each fired warning or breach and runs the policy's escalation rules for it,
    /// changing `incident` in place. Runs only for what fired in this sweep, so the rules
    /// share the exactly-once guarantee of the version check.
    fn escalate(
        &self,
        incident: &mut AnyTicket,
        fired: &[Fired],
        now: DateTime<Utc>,
    ) -> std::result::Result<WriteSet, StoreError> {
        let mut write = WriteSet::default();
        if fired.is_empty() {
            return Ok(write);
        }
        let rules = match &incident.sla {
            Some(sla) => self
                .sla
                .policies(incident.org_id)?
                .into_iter()
                .find(|r| r.id == sla.policy_id)
                .map(|r| r.policy.escalations)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let mut actions_done = Vec::new();
        for f in fired {
            let target = match f.target {
                SlaTarget::FirstResponse => EscalationTarget::FirstResponse,
                SlaTarget::Resolution => EscalationTarget::Resolution,
            };
            let fires: Vec<_> = rules
                .iter()
                .filter(|r| r.fires_on(f.trigger, target))
                .collect();
            let mut notify: Vec<Audience> = fires
                .iter()
                .filter_map(|r| match r.action {
                    EscalationAction::NotifyAssignee => Some(Audience::Assignee),
                    EscalationAction::NotifyTeam => Some(Audience::Team),
                    EscalationAction::NotifyManager => Some(Audience::Manager),
                    _ => None,
                })
                .collect();
            notify.dedup();
            let breach = f.trigger == EscalationTrigger::Breach;
            self.history(
                &mut write,
                incident,
                now,
                &format!(
                    "sla_{}_{}",
                    f.target.as_str(),
                    if breach { "breached_at" } else { "warned_at" }
                ),
                None,
                Some(now.to_rfc3339()),
            );
            let due_at = f.due_at.unwrap_or(now);
            let payload = if breach {
                EventPayload::SlaBreached {
                    incident_id: incident.id,
                    target: f.target,
                    due_at,
                    notify,
                }
            } else {
                EventPayload::SlaWarning {
                    incident_id: incident.id,
                    target: f.target,
                    due_at,
                    notify,
                }
            };
            self.event(&mut write, incident, now, payload);
            for rule in fires {
                match &rule.action {
                    EscalationAction::RaisePriority => {
                        // Critical stays critical: nothing changed, nothing recorded.
                        let raised = self.raise_priority(incident, &mut write, now);
                        actions_done.extend(raised.then(|| "raise_priority".to_owned()));
                    }
                    EscalationAction::ReassignTeam { team_id } => {
                        let done = self.reassign(incident, team_id, &mut write, now)?;
                        actions_done.push(if done {
                            format!("reassign_team:{team_id}")
                        } else {
                            format!("reassign_team:{team_id} skipped")
                        });
                    }
                    _ => {}
                }
            }
        }
        write.audit.push(AuditRecord {
            org_id: incident.org_id,
            actor_id: None,
            action: format!("{}.sla", incident.kind),
            target_kind: "incident".into(),
            target_id: incident.id.to_string(),
            at: now,
            detail: json!({
                "events": write.events.iter().map(DomainEvent::kind).collect::<Vec<_>>(),
                "escalations": actions_done,
            }),
        });
        Ok(write)
    }

    fn raise_priority(
        &self,
        incident: &mut AnyTicket,
        write: &mut WriteSet,
        now: DateTime<Utc>,
    ) -> bool {
        let old = incident.priority;
        let new = old.raised();
        if new == old {
            return false;
        }
        incident.priority = new;
        self.history(
            write,
            incident,
            now,
            "priority",
            Some(old.as_str().to_owned()),
            Some(new.as_str().to_owned()),
        );
        let payload = EventPayload::IncidentUpdated {
            incident_id: incident.id,
            changes: vec![FieldChange {
                field: "priority".into(),
                old: Some(old.as_str().to_owned()),
                new: Some(new.as_str().to_owned()),
            }],
        };
        self.event(write, incident, now, payload);
        true
    }

    /// Moves the incident to `team_id`, unassigned. A team that no longer exists is
    /// skipped (the audit record says so) rather than failing the sweep forever.
    fn reassign(
        &self,
        incident: &mut AnyTicket,
        team_id: &str,
        write: &mut WriteSet,
        now: DateTime<Utc>,
    ) -> std::result::Result<bool, StoreError> {
        let Ok(uuid) = team_id.parse::<uuid::Uuid>() else {
            return Ok(false);
        };
        let team = TeamId(uuid);
        match self.directory.team(incident.org_id, team) {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
        if incident.team_id == Some(team) && incident.assignee_id.is_none() {
            return Ok(false);
        }
        let (old_team, old_assignee) = (incident.team_id, incident.assignee_id);
        incident.team_id = Some(team);
        incident.assignee_id = None;
        self.history(
            write,
            incident,
            now,
            "team_id",
            old_team.map(|t| t.to_string()),
            Some(team.to_string()),
        );
        if let Some(old) = old_assignee {
            self.history(
                write,
                incident,
                now,
                "assignee_id",
                Some(old.to_string()),
                None,
            );
        }
        let payload = EventPayload::IncidentAssigned {
            incident_id: incident.id,
            team_id: Some(team),
            assignee_id: None,
        };
        self.event(write, incident, now, payload);
        Ok(true)
    }

    fn history(
        &self,
        write: &mut WriteSet,
        incident: &AnyTicket,
        now: DateTime<Utc>,
        field: &str,
        old_value: Option<String>,
        new_value: Option<String>,
    ) {
        write.history.push(HistoryEntry {
            id: HistoryId(self.ids.new_id()),
            org_id: incident.org_id,
            ticket_id: incident.id,
            actor_id: None,
            at: now,
            field: field.to_owned(),
            old_value,
            new_value,
        });
    }

    fn event(
        &self,
        write: &mut WriteSet,
        incident: &AnyTicket,
        now: DateTime<Utc>,
        payload: EventPayload,
    ) {
        write.events.push(DomainEvent {
            id: EventId(self.ids.new_id()),
            org_id: incident.org_id,
            occurred_at: now,
            actor_id: None,
            payload,
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use servicedesk_lifecycle::incident::IncidentState;

    use super::*;
    use crate::tickets::MockTicketStore;
    use servicedesk_sla::{Escalation, EscalationAction, EscalationTarget, EscalationTrigger};

    use crate::entities::Team;
    use crate::ports::{FixedClock, MockDirectory, MockSlaCatalog, UuidV7Generator};
    use crate::priority::Priority;
    use crate::usecases::tests::fixture::{self, t0};

    fn incident_at(status: IncidentState) -> AnyTicket {
        fixture::incident(status).erased()
    }

    fn monitor(store: MockTicketStore, now: DateTime<Utc>) -> SlaMonitor {
        monitor_with(store, now, Vec::new(), MockDirectory::new())
    }

    /// A monitor whose one policy (the fixture's) carries `escalations`.
    fn monitor_with(
        store: MockTicketStore,
        now: DateTime<Utc>,
        escalations: Vec<Escalation>,
        directory: MockDirectory,
    ) -> SlaMonitor {
        let mut sla = MockSlaCatalog::new();
        sla.expect_calendar()
            .returning(|_, _| Ok(servicedesk_sla::Calendar::twenty_four_seven()));
        sla.expect_policies().returning(move |_| {
            let mut record = fixture::policies()[0].clone();
            record.policy.escalations = escalations.clone();
            Ok(vec![record])
        });
        SlaMonitor::new(
            Arc::new(store),
            Arc::new(sla),
            Arc::new(directory),
            Arc::new(FixedClock::new(now)),
            Arc::new(UuidV7Generator),
        )
    }

    #[test]
    fn a_breach_fires_once_with_its_warning_and_leaves_the_queue() {
        // 1 h response / 8 h resolution from t0; at t0 + 2 h the response clock is breached.
        let incident = incident_at(IncidentState::InProgress);
        let mut store = MockTicketStore::new();
        let due = incident.clone();
        store
            .expect_due_tickets()
            .times(1)
            .returning(move |_, _, _| Ok(vec![due.clone()]));
        store
            .expect_update_ticket()
            .withf(|_, i: &AnyTicket, v, w| {
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
            .returning(|_, i, v, _| Ok(AnyTicket { version: v + 1, ..i.clone() }));
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
        let mut store = MockTicketStore::new();
        store
            .expect_due_tickets()
            .returning(move |_, _, _| Ok(vec![incident.clone()]));
        store.expect_update_ticket().returning(|_, _, _, _| {
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
        let mut store = MockTicketStore::new();
        store
            .expect_due_tickets()
            .returning(move |_, _, _| Ok(vec![incident.clone()]));
        store
            .expect_update_ticket()
            .withf(|_, _, _, w| w.events.is_empty() && w.audit.is_empty())
            .times(1)
            .returning(|_, i, v, _| {
                Ok(AnyTicket {
                    version: v + 1,
                    ..i.clone()
                })
            });
        let sweep = monitor(store, t0() + TimeDelta::hours(2))
            .sweep(100)
            .unwrap();
        assert_eq!((sweep.warnings, sweep.breaches), (0, 0));
    }

    fn rule(
        on: EscalationTrigger,
        target: Option<EscalationTarget>,
        action: EscalationAction,
    ) -> Escalation {
        Escalation { on, target, action }
    }

    #[test]
    fn a_breach_runs_its_escalation_rules_once() {
        // At t0 + 2 h the response clock warns and breaches; the resolution clock does not.
        let incident = incident_at(IncidentState::InProgress);
        let team = TeamId(uuid::Uuid::from_u128(77));
        let mut store = MockTicketStore::new();
        let due = incident.clone();
        let before = incident.priority;
        store
            .expect_due_tickets()
            .returning(move |_, _, _| Ok(vec![due.clone()]));
        store
            .expect_update_ticket()
            .withf(move |_, i: &AnyTicket, _, w| {
                let kinds: Vec<_> = w.events.iter().map(DomainEvent::kind).collect();
                let breach_notify = w.events.iter().find_map(|e| match &e.payload {
                    EventPayload::SlaBreached { notify, .. } => Some(notify.clone()),
                    _ => None,
                });
                let warning_notify = w.events.iter().find_map(|e| match &e.payload {
                    EventPayload::SlaWarning { notify, .. } => Some(notify.clone()),
                    _ => None,
                });
                i.priority == before.raised()
                    && i.team_id == Some(team)
                    && i.assignee_id.is_none()
                    && kinds
                        == [
                            "sla.warning",
                            "incident.updated",
                            "sla.breached",
                            "incident.assigned",
                        ]
                    && warning_notify == Some(vec![Audience::Assignee])
                    && breach_notify == Some(vec![Audience::Team, Audience::Manager])
                    && w.history.iter().any(|h| h.field == "priority")
                    && w.history.iter().any(|h| h.field == "team_id")
                    && w.audit.len() == 1
            })
            .times(1)
            .returning(|_, i, v, _| {
                Ok(AnyTicket {
                    version: v + 1,
                    ..i.clone()
                })
            });
        let mut directory = MockDirectory::new();
        directory.expect_team().returning(move |org, id| {
            Ok(Team {
                id,
                org_id: org,
                name: "Escalations".into(),
                manager_id: None,
                created_at: t0(),
            })
        });
        let rules = vec![
            rule(
                EscalationTrigger::Warning,
                None,
                EscalationAction::NotifyAssignee,
            ),
            rule(
                EscalationTrigger::Warning,
                Some(EscalationTarget::FirstResponse),
                EscalationAction::RaisePriority,
            ),
            // Watches the resolution clock only: must not fire.
            rule(
                EscalationTrigger::Breach,
                Some(EscalationTarget::Resolution),
                EscalationAction::NotifyAssignee,
            ),
            rule(
                EscalationTrigger::Breach,
                Some(EscalationTarget::FirstResponse),
                EscalationAction::ReassignTeam {
                    team_id: team.to_string(),
                },
            ),
            rule(
                EscalationTrigger::Breach,
                None,
                EscalationAction::NotifyTeam,
            ),
            rule(
                EscalationTrigger::Breach,
                None,
                EscalationAction::NotifyManager,
            ),
        ];
        let sweep = monitor_with(store, t0() + TimeDelta::hours(2), rules, directory)
            .sweep(10)
            .unwrap();
        assert_eq!((sweep.warnings, sweep.breaches), (1, 1));
    }

    #[test]
    fn a_critical_incident_stays_critical_and_a_vanished_team_is_skipped() {
        let mut incident = incident_at(IncidentState::InProgress);
        incident.priority = Priority::Critical;
        let original_team = incident.team_id;
        let mut store = MockTicketStore::new();
        store
            .expect_due_tickets()
            .returning(move |_, _, _| Ok(vec![incident.clone()]));
        store
            .expect_update_ticket()
            .withf(move |_, i: &AnyTicket, _, w| {
                i.priority == Priority::Critical
                    && i.team_id == original_team
                    && w.events.iter().map(DomainEvent::kind).collect::<Vec<_>>()
                        == ["sla.warning", "sla.breached"]
            })
            .times(1)
            .returning(|_, i, v, _| {
                Ok(AnyTicket {
                    version: v + 1,
                    ..i.clone()
                })
            });
        let mut directory = MockDirectory::new();
        directory
            .expect_team()
            .returning(|_, _| Err(StoreError::NotFound("team")));
        let rules = vec![
            rule(
                EscalationTrigger::Breach,
                None,
                EscalationAction::RaisePriority,
            ),
            rule(
                EscalationTrigger::Breach,
                None,
                EscalationAction::ReassignTeam {
                    team_id: uuid::Uuid::from_u128(5).to_string(),
                },
            ),
        ];
        monitor_with(store, t0() + TimeDelta::hours(2), rules, directory)
            .sweep(10)
            .unwrap();
    }
}
