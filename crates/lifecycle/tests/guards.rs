//! Guards and effects: a legal move whose precondition fails is refused with the reason,
//! and accepted moves name the effects the use cases must apply.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use servicedesk_lifecycle::change::*;
use servicedesk_lifecycle::incident::*;
use servicedesk_lifecycle::problem::*;
use servicedesk_lifecycle::request::*;
use servicedesk_lifecycle::task::*;
use servicedesk_lifecycle::{Effect, GuardFailure, StateMachine, TransitionError};

fn guard<S: std::fmt::Debug + std::fmt::Display, A: std::fmt::Debug + std::fmt::Display>(
    r: Result<servicedesk_lifecycle::Transition<S>, TransitionError<S, A>>,
) -> GuardFailure {
    match r {
        Err(TransitionError::Guard { reason, .. }) => reason,
        other => panic!("expected a guard failure, got {other:?}"),
    }
}

fn resolving(code: Option<&str>, notes: Option<&str>) -> IncidentContext {
    IncidentContext {
        has_assignee: true,
        resolution_code: code.map(Into::into),
        resolution_notes: notes.map(Into::into),
        ..IncidentContext::default()
    }
}

#[test]
fn incident_start_needs_an_assignee_or_a_taker() {
    let none = IncidentContext::default();
    assert_eq!(
        guard(Incident::transition(
            IncidentState::Open,
            IncidentAction::Start,
            &none
        )),
        GuardFailure::AssigneeRequired
    );
    let taker = IncidentContext {
        actor_can_take: true,
        ..IncidentContext::default()
    };
    let t = Incident::transition(IncidentState::New, IncidentAction::Start, &taker).unwrap();
    assert_eq!(t.to, IncidentState::InProgress);
    assert_eq!(t.effects, vec![Effect::TakeOwnership]);
    let assigned = IncidentContext {
        has_assignee: true,
        actor_can_take: true,
        ..none
    };
    let t = Incident::transition(IncidentState::Open, IncidentAction::Start, &assigned).unwrap();
    assert!(t.effects.is_empty(), "an assigned ticket is not taken over");
}

#[test]
fn incident_resolve_needs_code_and_notes() {
    let cases = [
        (None, Some("notes"), GuardFailure::ResolutionCodeMissing),
        (
            Some("  "),
            Some("notes"),
            GuardFailure::ResolutionCodeMissing,
        ),
        (Some("fixed"), None, GuardFailure::ResolutionNotesMissing),
        (
            Some("fixed"),
            Some("\n\t"),
            GuardFailure::ResolutionNotesMissing,
        ),
    ];
    for (code, notes, want) in cases {
        let r = Incident::transition(
            IncidentState::InProgress,
            IncidentAction::Resolve,
            &resolving(code, notes),
        );
        assert_eq!(guard(r), want, "code={code:?} notes={notes:?}");
    }
    let t = Incident::transition(
        IncidentState::OnHold,
        IncidentAction::Resolve,
        &resolving(Some("fixed"), Some("swapped the PSU")),
    )
    .unwrap();
    assert_eq!(
        t.effects,
        vec![Effect::RecordResolution, Effect::StopResolutionSla]
    );
}

#[test]
fn incident_cannot_close_with_open_tasks() {
    let ctx = IncidentContext {
        open_tasks: 2,
        ..IncidentContext::default()
    };
    assert_eq!(
        guard(Incident::transition(
            IncidentState::Resolved,
            IncidentAction::Close,
            &ctx
        )),
        GuardFailure::OpenTasks { count: 2 }
    );
}

#[test]
fn incident_sla_effects() {
    let ctx = IncidentContext {
        has_assignee: true,
        ..IncidentContext::default()
    };
    let eff = |s, a| Incident::transition(s, a, &ctx).unwrap().effects;
    assert_eq!(
        eff(IncidentState::InProgress, IncidentAction::Hold),
        vec![Effect::PauseSla]
    );
    assert_eq!(
        eff(IncidentState::OnHold, IncidentAction::Resume),
        vec![Effect::ResumeSla]
    );
    assert_eq!(
        eff(IncidentState::Resolved, IncidentAction::Reopen),
        vec![Effect::ClearResolution, Effect::RestartResolutionSla]
    );
    assert_eq!(
        eff(IncidentState::New, IncidentAction::Cancel),
        vec![Effect::StopAllSla]
    );
}

#[test]
fn illegal_move_names_the_legal_actions() {
    let err = Incident::transition(
        IncidentState::New,
        IncidentAction::Close,
        &IncidentContext::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot close from new; legal actions: assign, start, cancel"
    );
    let err = Task::transition(TaskState::Done, TaskAction::Start, &TaskContext).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start from done; legal actions: none (final state)"
    );
}

#[test]
fn request_needing_approval_cannot_skip_it() {
    let ctx = RequestContext {
        approval_required: true,
        ..RequestContext::default()
    };
    assert_eq!(
        guard(ServiceRequest::transition(
            RequestState::Submitted,
            RequestAction::StartFulfilment,
            &ctx
        )),
        GuardFailure::ApprovalRequired
    );
    // Once approved, fulfilment may start.
    let t =
        ServiceRequest::transition(RequestState::Approved, RequestAction::StartFulfilment, &ctx)
            .unwrap();
    assert_eq!(t.to, RequestState::Fulfilling);
}

#[test]
fn request_multi_step_approval() {
    let mut state = RequestState::PendingApproval;
    for remaining in (1..=3).rev() {
        let ctx = RequestContext {
            approvals_remaining: remaining,
            ..RequestContext::default()
        };
        let t = ServiceRequest::transition(state, RequestAction::Approve, &ctx).unwrap();
        assert!(t.effects.contains(&Effect::RecordApproval));
        state = t.to;
        let want = if remaining > 1 {
            RequestState::PendingApproval
        } else {
            RequestState::Approved
        };
        assert_eq!(state, want);
    }
    let ctx = RequestContext::default();
    assert_eq!(
        guard(ServiceRequest::transition(
            RequestState::PendingApproval,
            RequestAction::Reject,
            &ctx
        )),
        GuardFailure::ReasonMissing
    );
}

#[test]
fn problem_guards() {
    let empty = ProblemContext::default();
    assert_eq!(
        guard(Problem::transition(
            ProblemState::Investigating,
            ProblemAction::IdentifyRootCause,
            &empty
        )),
        GuardFailure::RootCauseMissing
    );
    assert_eq!(
        guard(Problem::transition(
            ProblemState::RootCauseKnown,
            ProblemAction::PublishKnownError,
            &empty
        )),
        GuardFailure::WorkaroundMissing
    );
    assert_eq!(
        guard(Problem::transition(
            ProblemState::KnownError,
            ProblemAction::Resolve,
            &empty
        )),
        GuardFailure::ResolutionNotesMissing
    );
    let tasks = ProblemContext {
        open_tasks: 1,
        ..empty
    };
    assert_eq!(
        guard(Problem::transition(
            ProblemState::Resolved,
            ProblemAction::Close,
            &tasks
        )),
        GuardFailure::OpenTasks { count: 1 }
    );
}

#[test]
fn change_cannot_implement_without_approval_and_an_open_window() {
    let ready = ChangeContext {
        has_window: true,
        window_open: true,
        has_backout_plan: true,
        ..ChangeContext::of_kind(ChangeKind::Normal)
    };
    // Not approved: the move does not exist from any pre-approval state.
    for s in [
        ChangeState::Draft,
        ChangeState::Submitted,
        ChangeState::Assessing,
    ] {
        assert!(matches!(
            Change::transition(s, ChangeAction::Implement, &ready),
            Err(TransitionError::Illegal { .. })
        ));
    }
    // A normal change must be scheduled first.
    assert!(Change::transition(ChangeState::Approved, ChangeAction::Implement, &ready).is_err());
    let closed_window = ChangeContext {
        window_open: false,
        ..ready.clone()
    };
    assert_eq!(
        guard(Change::transition(
            ChangeState::Scheduled,
            ChangeAction::Implement,
            &closed_window
        )),
        GuardFailure::WindowNotOpen
    );
    let no_window = ChangeContext {
        has_window: false,
        window_open: false,
        ..ready.clone()
    };
    assert_eq!(
        guard(Change::transition(
            ChangeState::Scheduled,
            ChangeAction::Implement,
            &no_window
        )),
        GuardFailure::WindowMissing
    );
    let t = Change::transition(ChangeState::Scheduled, ChangeAction::Implement, &ready).unwrap();
    assert_eq!(t.to, ChangeState::Implementing);
    // Emergency: approved → implementing, still only inside an open window.
    let emergency = ChangeContext {
        kind: ChangeKind::Emergency,
        ..closed_window
    };
    assert_eq!(
        guard(Change::transition(
            ChangeState::Approved,
            ChangeAction::Implement,
            &emergency
        )),
        GuardFailure::WindowNotOpen
    );
}

#[test]
fn change_schedule_needs_window_and_backout_plan_unless_standard() {
    let normal = ChangeContext {
        has_window: true,
        ..ChangeContext::of_kind(ChangeKind::Normal)
    };
    assert_eq!(
        guard(Change::transition(
            ChangeState::Approved,
            ChangeAction::Schedule,
            &normal
        )),
        GuardFailure::BackoutPlanMissing
    );
    let standard = ChangeContext {
        kind: ChangeKind::Standard,
        ..normal.clone()
    };
    assert!(Change::transition(ChangeState::Approved, ChangeAction::Schedule, &standard).is_ok());
    let no_window = ChangeContext::of_kind(ChangeKind::Standard);
    assert_eq!(
        guard(Change::transition(
            ChangeState::Approved,
            ChangeAction::Schedule,
            &no_window
        )),
        GuardFailure::WindowMissing
    );
}

#[test]
fn standard_change_is_pre_approved_and_cab_collects_every_approval() {
    let std_ctx = ChangeContext::of_kind(ChangeKind::Standard);
    let t = Change::transition(ChangeState::Draft, ChangeAction::Submit, &std_ctx).unwrap();
    assert_eq!(
        (t.to, t.effects),
        (ChangeState::Approved, vec![Effect::PreApproved])
    );
    let cab = ChangeContext {
        approvals_remaining: 3,
        ..ChangeContext::of_kind(ChangeKind::Normal)
    };
    let t = Change::transition(ChangeState::Assessing, ChangeAction::Approve, &cab).unwrap();
    assert_eq!(t.to, ChangeState::Assessing);
}

#[test]
fn names_round_trip() {
    for s in IncidentState::ALL {
        assert_eq!(s.as_str().parse::<IncidentState>().unwrap(), *s);
        assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        assert_eq!(
            serde_json::from_str::<IncidentState>(&format!("\"{s}\"")).unwrap(),
            *s
        );
    }
    for a in ChangeAction::ALL {
        assert_eq!(a.to_string().parse::<ChangeAction>().unwrap(), *a);
    }
    let err = "frozen".parse::<IncidentState>().unwrap_err();
    assert!(err.to_string().contains("new, open, in_progress"), "{err}");
}
