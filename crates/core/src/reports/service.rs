//! The dashboards' use cases: a person's own open work, and the desk's figures over what
//! the reader may see.

use std::sync::Arc;

use chrono_tz::Tz;
use serde::Serialize;
use servicedesk_rbac::{Action, ResourceKind, Scope};

use super::figures::{
    AGE_BUCKETS, DeskFigures, backlog, compliance, durations, minutes_between, volume, window_start,
};
use super::port::{ReportScope, ReportStore};
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::ports::{Clock, Visibility};
use crate::priority::Priority;
use crate::tickets::{SlaState, TicketKind, visibility_of};

/// The most tickets one report reads per series (opened, resolved) in the window; beyond
/// it the figures cover the most recent ones and say so (`truncated`).
pub const MAX_FACTS: u32 = 100_000;

/// A person's open work: what is assigned to them, by priority and SLA standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkFigures {
    /// Open and pending tickets assigned to them per priority, highest first.
    pub by_priority: Vec<(Priority, u64)>,
    /// All of them.
    pub total: u64,
    /// Of those, past a warning threshold.
    pub warning: u64,
    /// Of those, breached.
    pub breached: u64,
}

/// The report use cases.
#[derive(Clone)]
pub struct Reports {
    store: Arc<dyn ReportStore>,
    clock: Arc<dyn Clock>,
}

/// The narrower of a kind's ticket visibility and the reader's report scope: a report
/// never shows figures over tickets the reader could not list.
fn narrowed(actor: &Actor, visibility: Visibility, report: Scope) -> Visibility {
    match (report, visibility) {
        (Scope::Org, v) => v,
        (Scope::Group, Visibility::Org) => Visibility::Group {
            user_id: actor.user_id(),
            team_ids: actor.team_ids(),
        },
        (Scope::Group, v) => v,
        (Scope::Own, _) => Visibility::Own {
            user_id: actor.user_id(),
        },
    }
}

impl Reports {
    /// The use cases over `store`.
    pub fn new(store: Arc<dyn ReportStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// What `actor` may report on: every kind it may read, narrowed to its report scope.
    fn scope(&self, actor: &Actor) -> Result<ReportScope> {
        let report = actor
            .scope(ResourceKind::Report, Action::Read)
            .ok_or_else(|| Error::Forbidden {
                reason: "dashboards need report:read".into(),
            })?;
        Ok(ReportScope {
            scopes: TicketKind::ALL
                .iter()
                .filter_map(|k| visibility_of(actor, *k).map(|v| (*k, narrowed(actor, v, report))))
                .collect(),
            assignee_id: None,
        })
    }

    /// The open tickets assigned to `actor`, by priority and SLA standing. Anyone may ask
    /// about their own work.
    ///
    /// # Errors
    /// `Unavailable`.
    pub fn my_work(&self, actor: &Actor) -> Result<WorkFigures> {
        let scope = ReportScope {
            scopes: TicketKind::ALL
                .iter()
                .filter_map(|k| visibility_of(actor, *k).map(|v| (*k, v)))
                .collect(),
            assignee_id: Some(actor.user_id()),
        };
        let counts = self.store.open_counts(actor.org_id(), &scope, None, None)?;
        let by_priority = Priority::ALL
            .iter()
            .map(|p| {
                let n = counts
                    .iter()
                    .filter(|c| c.priority == *p)
                    .map(|c| c.count)
                    .sum();
                (*p, n)
            })
            .collect();
        let sum = |s: SlaState| {
            counts
                .iter()
                .filter(|c| c.sla_state == s)
                .map(|c| c.count)
                .sum()
        };
        Ok(WorkFigures {
            by_priority,
            total: counts.iter().map(|c| c.count).sum(),
            warning: sum(SlaState::Warning),
            breached: sum(SlaState::Breached),
        })
    }

    /// The desk's figures over the tickets `actor` may see: the open backlog now, and the
    /// last [`WINDOW_DAYS`](super::WINDOW_DAYS) days in `zone`'s days (docs/console.md).
    ///
    /// # Errors
    /// `Forbidden` without `report:read`; `Unavailable`.
    pub fn desk(&self, actor: &Actor, zone: Tz) -> Result<DeskFigures> {
        let scope = self.scope(actor)?;
        let org = actor.org_id();
        let now = self.clock.now();
        let mut cells = Vec::with_capacity(AGE_BUCKETS.len());
        for bucket in AGE_BUCKETS {
            let (from, to) = bucket.created_range(now);
            cells.push((bucket, self.store.open_counts(org, &scope, from, to)?));
        }
        let from = window_start(now, zone);
        let created = self.store.created_since(org, &scope, from, MAX_FACTS)?;
        let resolved = self.store.resolved_since(org, &scope, from, MAX_FACTS)?;
        let truncated = created.len() >= MAX_FACTS as usize || resolved.len() >= MAX_FACTS as usize;
        let resolution = durations(
            resolved
                .iter()
                .filter_map(|f| f.resolved_at.map(|r| minutes_between(f.created_at, r))),
        );
        let first_response = durations(created.iter().filter_map(|f| {
            f.first_responded_at
                .map(|r| minutes_between(f.created_at, r))
        }));
        let unanswered = created
            .iter()
            .filter(|f| f.first_responded_at.is_none() && f.resolved_at.is_none())
            .count() as u64;
        Ok(DeskFigures {
            backlog: backlog(&cells),
            compliance: compliance(&resolved),
            resolution,
            first_response,
            unanswered,
            volume: volume(now, zone, &created, &resolved),
            opened: created.len() as u64,
            resolved: resolved.len() as u64,
            from,
            to: now,
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};
    use servicedesk_rbac::{BuiltinRole, Role};

    use super::*;
    use crate::ids::{OrgId, TeamId, UserId};
    use crate::ports::FixedClock;
    use crate::reports::{MockReportStore, OpenCount, TicketFact};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn actor(role: BuiltinRole) -> Actor {
        Actor::new(
            UserId(uuid::Uuid::now_v7()),
            OrgId(uuid::Uuid::now_v7()),
            vec![Role::builtin(role)],
            vec![TeamId(uuid::Uuid::now_v7())],
        )
    }

    fn reports(store: MockReportStore) -> Reports {
        Reports::new(Arc::new(store), Arc::new(FixedClock::new(now())))
    }

    #[test]
    fn a_requester_gets_no_desk_figures_and_the_store_is_not_asked() {
        let store = MockReportStore::new();
        let err = reports(store)
            .desk(&actor(BuiltinRole::Requester), Tz::UTC)
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    }

    #[test]
    fn an_agent_reports_over_its_teams_and_a_manager_over_the_organization() {
        for (role, want_org) in [(BuiltinRole::Agent, false), (BuiltinRole::Manager, true)] {
            let mut store = MockReportStore::new();
            store
                .expect_open_counts()
                .withf(move |_, s, _, _| {
                    s.assignee_id.is_none()
                        && !s.scopes.is_empty()
                        && s.scopes
                            .iter()
                            .all(|(_, v)| matches!(v, Visibility::Org) == want_org)
                })
                .times(AGE_BUCKETS.len())
                .returning(|_, _, _, _| Ok(Vec::new()));
            store
                .expect_created_since()
                .returning(|_, _, _, _| Ok(Vec::new()));
            store
                .expect_resolved_since()
                .returning(|_, _, _, _| Ok(Vec::new()));
            let f = reports(store).desk(&actor(role), Tz::UTC).unwrap();
            assert_eq!(f.backlog.total, 0);
            assert_eq!(f.compliance.percent, None);
            assert_eq!(f.resolution, None);
        }
    }

    #[test]
    fn desk_figures_come_from_the_facts() {
        let mut store = MockReportStore::new();
        store.expect_open_counts().returning(|_, _, from, _| {
            // Two high tickets in the oldest bucket, one breached; one low one today.
            Ok(if from.is_none() {
                vec![
                    OpenCount {
                        priority: Priority::High,
                        sla_state: SlaState::Breached,
                        count: 1,
                    },
                    OpenCount {
                        priority: Priority::High,
                        sla_state: SlaState::Ok,
                        count: 1,
                    },
                ]
            } else if from == Some(now() - Duration::hours(24)) {
                vec![OpenCount {
                    priority: Priority::Low,
                    sla_state: SlaState::None,
                    count: 1,
                }]
            } else {
                Vec::new()
            })
        });
        let f =
            |created_h: i64, resolved_h: Option<i64>, answered_h: Option<i64>, sla| TicketFact {
                kind: TicketKind::Incident,
                priority: Priority::Medium,
                sla_state: sla,
                created_at: now() - Duration::hours(created_h),
                resolved_at: resolved_h.map(|h| now() - Duration::hours(h)),
                first_responded_at: answered_h.map(|h| now() - Duration::hours(h)),
            };
        let created = vec![
            f(10, Some(4), Some(9), SlaState::Ok),
            f(30, None, Some(27), SlaState::Ok),
            f(5, None, None, SlaState::Ok),
        ];
        let resolved = vec![
            f(10, Some(4), Some(9), SlaState::Ok),
            f(50, Some(2), None, SlaState::Breached),
        ];
        store
            .expect_created_since()
            .return_once(move |_, _, _, _| Ok(created));
        store
            .expect_resolved_since()
            .return_once(move |_, _, _, _| Ok(resolved));
        let d = reports(store)
            .desk(&actor(BuiltinRole::Manager), Tz::UTC)
            .unwrap();
        assert_eq!(
            (
                d.backlog.total,
                d.backlog.breached,
                d.backlog.by_age[4],
                d.backlog.by_age[0]
            ),
            (3, 1, 2, 1)
        );
        assert_eq!(
            (
                d.compliance.with_sla,
                d.compliance.met,
                d.compliance.percent
            ),
            (2, 1, Some(50.0))
        );
        let r = d.resolution.unwrap();
        assert_eq!(
            (r.count, r.mean_minutes, r.median_minutes),
            (2, 27 * 60, 27 * 60)
        );
        let fr = d.first_response.unwrap();
        assert_eq!((fr.count, fr.mean_minutes), (2, 120));
        assert_eq!(d.unanswered, 1);
        assert_eq!((d.opened, d.resolved), (3, 2));
        assert_eq!(
            d.volume.last().unwrap().opened,
            2,
            "opened today (UTC): 10 h and 5 h ago"
        );
        assert!(!d.truncated);
    }

    #[test]
    fn my_work_is_the_assigned_open_tickets() {
        let a = actor(BuiltinRole::Agent);
        let me = a.user_id();
        let mut store = MockReportStore::new();
        store
            .expect_open_counts()
            .withf(move |_, s, from, to| {
                s.assignee_id == Some(me) && from.is_none() && to.is_none()
            })
            .returning(|_, _, _, _| {
                Ok(vec![
                    OpenCount {
                        priority: Priority::Critical,
                        sla_state: SlaState::Warning,
                        count: 2,
                    },
                    OpenCount {
                        priority: Priority::Low,
                        sla_state: SlaState::Breached,
                        count: 1,
                    },
                ])
            });
        let w = reports(store).my_work(&a).unwrap();
        assert_eq!(w.total, 3);
        assert_eq!((w.warning, w.breached), (2, 1));
        assert_eq!(w.by_priority[0], (Priority::Critical, 2));
        assert_eq!(w.by_priority[3], (Priority::Low, 1));
    }
}
