//! Who hears about an event, before preferences: the rules an IT team expects.
//!
//! | event | recipients |
//! |---|---|
//! | `incident.created` | members of the incident's team |
//! | `incident.assigned` | the new assignee; with a team only, its members |
//! | `incident.escalated` | the assignee, the manager escalated to, the new team's members when unassigned |
//! | `incident.status_changed` | requester and assignee (requester only when the move was an assignment: the assignee hears of that) |
//! | `incident.comment_added` (public) | requester and assignee |
//! | `incident.comment_added` (work note) | assignee only (never the requester) |
//! | `sla.warning` | the assignee, or the team's members when unassigned; plus the rule's audience |
//! | `sla.breached` | as a warning, plus the team's manager; plus the rule's audience |
//! | `request.submitted` | the person it is for and whoever placed it (a receipt, even to the actor) |
//! | `request.status_changed` | the person it is for and whoever placed it |
//! | `approval.requested`, `approval.reminder` | the approver |
//!
//! The actor never hears about their own action (but gets the receipt of a submission);
//! nobody is listed twice.

use crate::entities::Team;
use crate::events::{Audience, DomainEvent, EventPayload};
use crate::ids::UserId;
use crate::tickets::Ticket;

/// The users to tell about `event` on `incident`, given its team (`None` when it has none)
/// and that team's members.
pub fn recipients<S, D>(
    event: &DomainEvent,
    incident: &Ticket<S, D>,
    team: Option<&Team>,
    team_members: &[UserId],
) -> Vec<UserId> {
    let assignee = incident.assignee_id;
    let manager = team.and_then(|t| t.manager_id);
    let mut out: Vec<UserId> = Vec::new();
    let assignee_or_team = |out: &mut Vec<UserId>| match assignee {
        Some(a) => out.push(a),
        None => out.extend_from_slice(team_members),
    };
    match &event.payload {
        EventPayload::IncidentCreated { .. } if incident.team_id.is_some() => {
            out.extend_from_slice(team_members);
        }
        EventPayload::IncidentAssigned { assignee_id, .. } => match assignee_id {
            Some(a) => out.push(*a),
            None => out.extend_from_slice(team_members),
        },
        EventPayload::IncidentEscalated { to_manager_id, .. } => {
            assignee_or_team(&mut out);
            out.extend(*to_manager_id);
        }
        EventPayload::IncidentStatusChanged { action, .. } => {
            out.push(incident.requester_id);
            if action != "assign" {
                out.extend(assignee);
            }
        }
        EventPayload::CommentAdded { internal, .. } => {
            if !internal {
                out.push(incident.requester_id);
            }
            out.extend(assignee);
        }
        EventPayload::SlaWarning { notify, .. } | EventPayload::SlaBreached { notify, .. } => {
            assignee_or_team(&mut out);
            if matches!(event.payload, EventPayload::SlaBreached { .. }) {
                out.extend(manager);
            }
            for audience in notify {
                match audience {
                    Audience::Assignee => out.extend(assignee),
                    Audience::Team => out.extend_from_slice(team_members),
                    Audience::Manager => out.extend(manager),
                }
            }
        }
        // Service requests: the person it is for and whoever placed it hear of its
        // progress; approvers of what they must decide.
        EventPayload::RequestSubmitted { draft: false, .. }
        | EventPayload::RequestStatusChanged { .. } => {
            out.push(incident.requester_id);
            out.push(incident.created_by);
        }
        EventPayload::ApprovalRequested { approver_id, .. }
        | EventPayload::ApprovalReminder { approver_id, .. } => out.push(*approver_id),
        _ => {}
    }
    // A submission is confirmed to the person who made it too (their receipt).
    let receipt = matches!(event.payload, EventPayload::RequestSubmitted { .. });
    let mut seen = Vec::with_capacity(out.len());
    for user in out {
        if (receipt || Some(user) != event.actor_id) && !seen.contains(&user) {
            seen.push(user);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use servicedesk_lifecycle::incident::IncidentState;

    use super::*;
    use crate::entities::SlaTarget;
    use crate::ids::{CommentId, EventId};
    use crate::usecases::tests::fixture::{AGENT, REQ, T1, incident, t0, team};

    const MANAGER: UserId = UserId(uuid::Uuid::from_u128(900));
    const MATE: UserId = UserId(uuid::Uuid::from_u128(901));

    fn event(actor: Option<UserId>, payload: EventPayload) -> DomainEvent {
        DomainEvent {
            id: EventId(uuid::Uuid::from_u128(1)),
            org_id: incident(IncidentState::New).org_id,
            occurred_at: t0(),
            actor_id: actor,
            payload,
        }
    }

    fn who(e: &DomainEvent, assigned: bool) -> Vec<UserId> {
        let mut i = incident(IncidentState::InProgress);
        if !assigned {
            i.assignee_id = None;
        }
        let team = team(T1, Some(MANAGER));
        recipients(e, &i, Some(&team), &[AGENT, MATE])
    }

    fn sla(breach: bool, notify: Vec<Audience>) -> EventPayload {
        let (incident_id, target, due_at) = (
            incident(IncidentState::New).id,
            SlaTarget::Resolution,
            t0() + TimeDelta::hours(8),
        );
        if breach {
            EventPayload::SlaBreached {
                incident_id,
                target,
                due_at,
                notify,
            }
        } else {
            EventPayload::SlaWarning {
                incident_id,
                target,
                due_at,
                notify,
            }
        }
    }

    #[test]
    fn the_table_of_recipients() {
        let id = incident(IncidentState::New).id;
        let comment = |internal| EventPayload::CommentAdded {
            incident_id: id,
            comment_id: CommentId(uuid::Uuid::from_u128(3)),
            internal,
            ticket_kind: None,
        };
        let status = EventPayload::IncidentStatusChanged {
            incident_id: id,
            from: "new".into(),
            to: "in_progress".into(),
            action: "start".into(),
        };
        let cases: Vec<(DomainEvent, bool, Vec<UserId>)> = vec![
            // Assignment to a person tells that person only, not the one who assigned.
            (
                event(
                    Some(MATE),
                    EventPayload::IncidentAssigned {
                        incident_id: id,
                        team_id: Some(T1),
                        assignee_id: Some(AGENT),
                    },
                ),
                true,
                vec![AGENT],
            ),
            // Assignment to a team tells its members but the actor.
            (
                event(
                    Some(AGENT),
                    EventPayload::IncidentAssigned {
                        incident_id: id,
                        team_id: Some(T1),
                        assignee_id: None,
                    },
                ),
                false,
                vec![MATE],
            ),
            (event(Some(AGENT), status.clone()), true, vec![REQ]),
            (event(Some(REQ), status), true, vec![AGENT]),
            // The status move of an assignment: the assignment itself tells the assignee.
            (
                event(
                    Some(MATE),
                    EventPayload::IncidentStatusChanged {
                        incident_id: id,
                        from: "new".into(),
                        to: "open".into(),
                        action: "assign".into(),
                    },
                ),
                true,
                vec![REQ],
            ),
            (event(Some(AGENT), comment(false)), true, vec![REQ]),
            (event(Some(REQ), comment(false)), true, vec![AGENT]),
            // A work note never reaches the requester.
            (event(Some(MATE), comment(true)), true, vec![AGENT]),
            (event(Some(AGENT), comment(true)), true, vec![]),
            (event(None, sla(false, vec![])), true, vec![AGENT]),
            (event(None, sla(false, vec![])), false, vec![AGENT, MATE]),
            (event(None, sla(true, vec![])), true, vec![AGENT, MANAGER]),
            (
                event(None, sla(false, vec![Audience::Team])),
                true,
                vec![AGENT, MATE],
            ),
            (
                event(
                    None,
                    sla(false, vec![Audience::Manager, Audience::Assignee]),
                ),
                true,
                vec![AGENT, MANAGER],
            ),
            (
                event(
                    Some(REQ),
                    EventPayload::IncidentCreated {
                        incident_id: id,
                        priority: crate::priority::Priority::Low,
                        requester_id: REQ,
                    },
                ),
                true,
                vec![AGENT, MATE],
            ),
            (
                event(
                    Some(AGENT),
                    EventPayload::IncidentDeleted { incident_id: id },
                ),
                true,
                vec![],
            ),
        ];
        for (n, (e, assigned, expected)) in cases.into_iter().enumerate() {
            assert_eq!(who(&e, assigned), expected, "case {n}: {}", e.kind());
        }
    }

    #[test]
    fn without_a_team_an_unassigned_breach_reaches_nobody_by_team() {
        let mut i = incident(IncidentState::New);
        i.team_id = None;
        i.assignee_id = None;
        let e = event(None, sla(true, vec![Audience::Team, Audience::Manager]));
        assert!(recipients(&e, &i, None, &[]).is_empty());
    }
}
