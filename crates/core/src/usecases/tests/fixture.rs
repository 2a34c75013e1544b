use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_rbac::{BuiltinRole, Grant, Role};
use servicedesk_sla::{Calendar, PolicyConditions, SlaPolicy};
use uuid::Uuid;

use crate::actor::Actor;
use crate::entities::{Incident, Team, User};
use crate::ids::{CalendarId, IncidentId, OrgId, SlaPolicyId, TeamId, UserId};
use crate::ports::{
    Created, FixedClock, IdGenerator, MockDirectory, MockIncidentStore, MockSlaCatalog,
    SlaPolicyRecord, StoreError, WriteSet,
};
use crate::priority::{Impact, Priority, Urgency};
use crate::usecases::Incidents;
use crate::usecases::sla::start_clocks;

pub const ORG: OrgId = OrgId(Uuid::from_u128(0xA));
pub const ADMIN: UserId = UserId(Uuid::from_u128(0x1));
pub const MANAGER: UserId = UserId(Uuid::from_u128(0x2));
pub const AGENT: UserId = UserId(Uuid::from_u128(0x3));
pub const AGENT2: UserId = UserId(Uuid::from_u128(0x4));
pub const REQ: UserId = UserId(Uuid::from_u128(0x5));
pub const REQ2: UserId = UserId(Uuid::from_u128(0x6));
pub const T1: TeamId = TeamId(Uuid::from_u128(0x10));
pub const T2: TeamId = TeamId(Uuid::from_u128(0x11));
pub const CAL: CalendarId = CalendarId(Uuid::from_u128(0x20));
pub const DEFAULT_POLICY: SlaPolicyId = SlaPolicyId(Uuid::from_u128(0x30));
pub const CRITICAL_POLICY: SlaPolicyId = SlaPolicyId(Uuid::from_u128(0x31));
pub const INCIDENT: IncidentId = IncidentId(Uuid::from_u128(0x40));

/// Monday 2026-03-02 09:00 UTC.
pub fn t0() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

pub fn admin() -> Actor {
    Actor::new(ADMIN, ORG, vec![Role::builtin(BuiltinRole::Admin)], vec![])
}
pub fn manager() -> Actor {
    Actor::new(
        MANAGER,
        ORG,
        vec![Role::builtin(BuiltinRole::Manager)],
        vec![],
    )
}
pub fn agent() -> Actor {
    Actor::new(
        AGENT,
        ORG,
        vec![Role::builtin(BuiltinRole::Agent)],
        vec![T1],
    )
}
pub fn agent2() -> Actor {
    Actor::new(
        AGENT2,
        ORG,
        vec![Role::builtin(BuiltinRole::Agent)],
        vec![T2],
    )
}
pub fn requester() -> Actor {
    Actor::new(
        REQ,
        ORG,
        vec![Role::builtin(BuiltinRole::Requester)],
        vec![],
    )
}
pub fn requester2() -> Actor {
    Actor::new(
        REQ2,
        ORG,
        vec![Role::builtin(BuiltinRole::Requester)],
        vec![],
    )
}
/// A custom role that may only read incidents.
pub fn reader() -> Actor {
    let role = Role::custom(
        "reader",
        vec![Grant::parse("incident:read", servicedesk_rbac::Scope::Org).unwrap()],
    )
    .unwrap();
    Actor::new(UserId(Uuid::from_u128(0x7)), ORG, vec![role], vec![])
}

pub fn user(id: UserId, roles: &[&str], teams: &[TeamId]) -> User {
    User {
        id,
        org_id: ORG,
        email: format!("{}@example.test", id.0.as_u128()),
        name: "Someone".into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        team_ids: teams.to_vec(),
        active: true,
        manager_id: None,
        time_zone: None,
        created_at: t0(),
    }
}

pub fn team(id: TeamId, manager: Option<UserId>) -> Team {
    Team {
        id,
        org_id: ORG,
        name: format!("team {}", id.0.as_u128()),
        manager_id: manager,
        created_at: t0(),
    }
}

pub fn policy(
    id: SlaPolicyId,
    rank: i32,
    priorities: &[&str],
    response_min: i64,
    resolution_min: i64,
) -> SlaPolicyRecord {
    SlaPolicyRecord {
        id,
        calendar_id: CAL,
        policy: SlaPolicy {
            id: id.to_string(),
            name: format!("policy {rank}"),
            rank,
            conditions: PolicyConditions {
                ticket_types: vec!["incident".into()],
                priorities: priorities.iter().map(|p| (*p).to_owned()).collect(),
                categories: vec![],
                requester_orgs: vec![],
            },
            first_response: TimeDelta::minutes(response_min),
            resolution: TimeDelta::minutes(resolution_min),
            warn_percent: 75,
            pause_statuses: vec!["on_hold".into()],
            escalations: Vec::new(),
        },
    }
}

/// The default policy (1 h / 8 h) and the critical one (15 min / 4 h), 24×7.
pub fn policies() -> Vec<SlaPolicyRecord> {
    vec![
        policy(DEFAULT_POLICY, 10, &[], 60, 480),
        policy(CRITICAL_POLICY, 0, &["critical"], 15, 240),
    ]
}

/// An incident of `ORG` raised by `REQ` at `t0`, in `status`, with team T1, assigned to
/// AGENT unless new, with the default SLA running since t0.
pub fn incident(status: IncidentState) -> Incident {
    let sla = start_clocks(&policies()[0], t0());
    Incident {
        id: INCIDENT,
        org_id: ORG,
        number: 7,
        title: "Printer on fire".into(),
        description: "Third floor".into(),
        impact: Impact::Medium,
        urgency: Urgency::Medium,
        priority: Priority::Medium,
        category: String::new(),
        status,
        requester_id: REQ,
        created_by: REQ,
        team_id: Some(T1),
        assignee_id: (status != IncidentState::New).then_some(AGENT),
        kind: crate::tickets::TicketKind::Incident,
        details: crate::entities::IncidentDetails {
            escalation_level: 0,
            resolution_code: None,
            resolution_notes: None,
        },
        resolved_at: None,
        closed_at: None,
        first_responded_at: None,
        sla: Some(sla),
        next_sla_due_at: None,
        version: 3,
        created_at: t0(),
        updated_at: t0(),
        deleted_at: None,
    }
}

/// Deterministic ids: 0x1000, 0x1001, …
#[derive(Default)]
pub struct SeqIds(AtomicU64);

impl IdGenerator for SeqIds {
    fn new_id(&self) -> Uuid {
        Uuid::from_u128(0x1000 + u128::from(self.0.fetch_add(1, Ordering::Relaxed)))
    }
}

/// What the store was asked to write.
pub type Written = Arc<Mutex<Vec<(Incident, i64, WriteSet)>>>;

/// The mocks, to be given expectations, then built into the use cases.
pub struct Fx {
    pub store: MockIncidentStore,
    pub dir: MockDirectory,
    pub sla: MockSlaCatalog,
    pub clock: Arc<FixedClock>,
}

impl Fx {
    /// Mocks with no expectations: any port call fails the test.
    pub fn bare() -> Self {
        Self {
            store: MockIncidentStore::new(),
            dir: MockDirectory::new(),
            sla: MockSlaCatalog::new(),
            clock: Arc::new(FixedClock::new(t0())),
        }
    }

    /// Mocks with the SLA catalog (policies on the 24×7 calendar `CAL`) and the directory
    /// answering.
    pub fn new() -> Self {
        Self::with_calendar(Calendar::twenty_four_seven())
    }

    /// Like [`Fx::new`], with `calendar` as `CAL`, the calendar of every policy.
    pub fn with_calendar(calendar: Calendar) -> Self {
        let mut fx = Self::bare();
        fx.sla.expect_policies().returning(|_| Ok(policies()));
        fx.sla.expect_calendar().returning(move |org, id| {
            if org == ORG && id == CAL {
                Ok(calendar.clone())
            } else {
                Err(StoreError::NotFound("calendar"))
            }
        });
        fx.dir.expect_user().returning(|org, id| {
            let found = match id {
                ADMIN => user(ADMIN, &["admin"], &[]),
                MANAGER => user(MANAGER, &["manager"], &[]),
                AGENT => user(AGENT, &["agent"], &[T1]),
                AGENT2 => user(AGENT2, &["agent"], &[T2]),
                REQ => user(REQ, &["requester"], &[]),
                REQ2 => user(REQ2, &["requester"], &[]),
                _ => return Err(StoreError::NotFound("user")),
            };
            if org == ORG {
                Ok(found)
            } else {
                Err(StoreError::NotFound("user"))
            }
        });
        fx.dir.expect_team().returning(|org, id| match (org, id) {
            (ORG, T1) => Ok(team(T1, None)),
            (ORG, T2) => Ok(team(T2, Some(MANAGER))),
            _ => Err(StoreError::NotFound("team")),
        });
        fx
    }

    /// The store holds `incident` (and nothing else).
    pub fn holding(mut self, incident: Incident) -> Self {
        let by_id = incident.clone();
        self.store.expect_get().returning(move |org, id| {
            if org == by_id.org_id && id == by_id.id {
                Ok(by_id.clone())
            } else {
                Err(StoreError::NotFound("incident"))
            }
        });
        let by_number = incident;
        self.store.expect_get_by_number().returning(move |org, n| {
            if org == by_number.org_id && n == by_number.number {
                Ok(by_number.clone())
            } else {
                Err(StoreError::NotFound("incident"))
            }
        });
        self
    }

    /// Updates succeed when the version matches; the written rows are captured.
    pub fn accepting_updates(mut self) -> (Self, Written) {
        let written: Written = Arc::default();
        let log = written.clone();
        self.store
            .expect_update()
            .returning(move |org, incident, expected, write| {
                assert_eq!(
                    org, incident.org_id,
                    "a write must stay in its organization"
                );
                log.lock()
                    .unwrap()
                    .push((incident.clone(), expected, write.clone()));
                Ok(Incident {
                    version: expected + 1,
                    ..incident.clone()
                })
            });
        (self, written)
    }

    /// Creates succeed with number 1 and version 1.
    pub fn accepting_creates(mut self) -> (Self, Written) {
        let written: Written = Arc::default();
        let log = written.clone();
        self.store
            .expect_create()
            .returning(move |_, incident, write, _| {
                log.lock()
                    .unwrap()
                    .push((incident.clone(), 0, write.clone()));
                Ok(Created {
                    value: Incident {
                        number: 1,
                        version: 1,
                        ..incident.clone()
                    },
                    replayed: false,
                })
            });
        (self, written)
    }

    pub fn build(self) -> Incidents {
        Incidents::new(
            Arc::new(self.store),
            Arc::new(self.dir),
            Arc::new(self.sla),
            self.clock,
            Arc::new(SeqIds::default()),
        )
    }
}

/// The last write captured.
pub fn last(written: &Written) -> (Incident, i64, WriteSet) {
    written.lock().unwrap().last().cloned().expect("a write")
}

/// The history fields of a write.
pub fn fields(write: &WriteSet) -> Vec<&str> {
    write.history.iter().map(|h| h.field.as_str()).collect()
}

/// The event kinds of a write.
pub fn kinds(write: &WriteSet) -> Vec<&'static str> {
    write.events.iter().map(|e| e.kind()).collect()
}
