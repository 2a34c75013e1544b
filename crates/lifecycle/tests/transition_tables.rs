//! Every (state, action) pair of every machine against a literal expected table.
//! A pair missing from a table's row must be rejected as illegal, and the error must
//! list exactly the row's actions.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fmt::Display;
use std::str::FromStr;

use servicedesk_lifecycle::change::*;
use servicedesk_lifecycle::incident::*;
use servicedesk_lifecycle::problem::*;
use servicedesk_lifecycle::request::*;
use servicedesk_lifecycle::task::*;
use servicedesk_lifecycle::{StateMachine, TransitionError};

/// state → [(action, next state)]; anything not listed is illegal.
type Table = &'static [(&'static str, &'static [(&'static str, &'static str)])];

fn check<M>(table: Table, ctx: &M::Context)
where
    M: StateMachine,
    M::State: FromStr + Display,
    M::Action: FromStr + Display,
    <M::State as FromStr>::Err: std::fmt::Debug,
    <M::Action as FromStr>::Err: std::fmt::Debug,
{
    assert_eq!(
        table.len(),
        M::states().len(),
        "the table must have one row per state"
    );
    let mut pairs = 0;
    for (state_name, row) in table {
        let state: M::State = state_name.parse().unwrap();
        for action in M::actions() {
            pairs += 1;
            let expected = row
                .iter()
                .find(|(a, _)| *a == action.to_string())
                .map(|(_, to)| *to);
            let got = M::transition(state, *action, ctx);
            match (expected, got) {
                (Some(to), Ok(t)) => assert_eq!(t.to.to_string(), to, "{state} --{action}-->"),
                (None, Err(TransitionError::Illegal { from, legal, .. })) => {
                    assert_eq!(from, state);
                    let legal: Vec<String> = legal.iter().map(ToString::to_string).collect();
                    let mut want: Vec<String> = row.iter().map(|(a, _)| a.to_string()).collect();
                    let mut have = legal.clone();
                    want.sort();
                    have.sort();
                    assert_eq!(have, want, "legal actions from {state}");
                }
                (want, got) => panic!("{state} --{action}-->: expected {want:?}, got {got:?}"),
            }
        }
        let legal: Vec<String> = M::legal_actions(state, ctx)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(legal.len(), row.len(), "legal_actions({state}) = {legal:?}");
    }
    assert_eq!(pairs, M::states().len() * M::actions().len());
}

#[test]
fn incident_table() {
    const T: Table = &[
        (
            "new",
            &[
                ("assign", "open"),
                ("start", "in_progress"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "open",
            &[
                ("assign", "open"),
                ("start", "in_progress"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "in_progress",
            &[
                ("assign", "in_progress"),
                ("hold", "on_hold"),
                ("resolve", "resolved"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "on_hold",
            &[
                ("assign", "on_hold"),
                ("resume", "in_progress"),
                ("resolve", "resolved"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "resolved",
            &[("reopen", "in_progress"), ("close", "closed")],
        ),
        ("closed", &[]),
        ("cancelled", &[]),
    ];
    let ctx = IncidentContext {
        has_assignee: true,
        actor_can_take: true,
        resolution_code: Some("fixed".into()),
        resolution_notes: Some("replaced the disk".into()),
        open_tasks: 0,
    };
    check::<Incident>(T, &ctx);
}

#[test]
fn task_table() {
    const T: Table = &[
        ("open", &[("start", "in_progress"), ("cancel", "cancelled")]),
        (
            "in_progress",
            &[("complete", "done"), ("cancel", "cancelled")],
        ),
        ("done", &[]),
        ("cancelled", &[]),
    ];
    check::<Task>(T, &TaskContext);
}

#[test]
fn request_table() {
    const T: Table = &[
        ("draft", &[("submit", "submitted"), ("cancel", "cancelled")]),
        (
            "submitted",
            &[
                ("request_approval", "pending_approval"),
                ("start_fulfilment", "fulfilling"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "pending_approval",
            &[
                ("approve", "approved"),
                ("reject", "rejected"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "approved",
            &[("start_fulfilment", "fulfilling"), ("cancel", "cancelled")],
        ),
        ("rejected", &[("close", "closed")]),
        (
            "fulfilling",
            &[("fulfil", "fulfilled"), ("cancel", "cancelled")],
        ),
        ("fulfilled", &[("close", "closed")]),
        ("closed", &[]),
        ("cancelled", &[]),
    ];
    let ctx = RequestContext {
        approval_required: false,
        approvals_remaining: 1,
        reason: Some("not budgeted".into()),
        open_tasks: 0,
    };
    check::<ServiceRequest>(T, &ctx);
}

#[test]
fn request_table_with_steps_outstanding() {
    // With two approval steps left, an approve keeps the request pending.
    const T: Table = &[
        ("draft", &[("submit", "submitted"), ("cancel", "cancelled")]),
        (
            "submitted",
            &[
                ("request_approval", "pending_approval"),
                ("start_fulfilment", "fulfilling"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "pending_approval",
            &[
                ("approve", "pending_approval"),
                ("reject", "rejected"),
                ("cancel", "cancelled"),
            ],
        ),
        (
            "approved",
            &[("start_fulfilment", "fulfilling"), ("cancel", "cancelled")],
        ),
        ("rejected", &[("close", "closed")]),
        (
            "fulfilling",
            &[("fulfil", "fulfilled"), ("cancel", "cancelled")],
        ),
        ("fulfilled", &[("close", "closed")]),
        ("closed", &[]),
        ("cancelled", &[]),
    ];
    let ctx = RequestContext {
        approval_required: false,
        approvals_remaining: 2,
        reason: Some("no".into()),
        open_tasks: 0,
    };
    check::<ServiceRequest>(T, &ctx);
}

#[test]
fn problem_table() {
    const T: Table = &[
        ("new", &[("investigate", "investigating")]),
        (
            "investigating",
            &[("identify_root_cause", "root_cause_known")],
        ),
        (
            "root_cause_known",
            &[
                ("publish_known_error", "known_error"),
                ("resolve", "resolved"),
            ],
        ),
        ("known_error", &[("resolve", "resolved")]),
        ("resolved", &[("close", "closed")]),
        ("closed", &[]),
    ];
    let ctx = ProblemContext {
        root_cause: Some("expired certificate".into()),
        workaround: Some("restart the proxy".into()),
        resolution_notes: Some("automated renewal".into()),
        open_tasks: 0,
    };
    check::<Problem>(T, &ctx);
}

fn change_ctx(kind: ChangeKind) -> ChangeContext {
    ChangeContext {
        kind,
        approvals_remaining: 1,
        has_window: true,
        window_open: true,
        has_backout_plan: true,
        reason: Some("too risky".into()),
        open_tasks: 0,
    }
}

const CHANGE_COMMON_TAIL: [(&str, &[(&str, &str)]); 8] = [
    (
        "assessing",
        &[
            ("approve", "approved"),
            ("reject", "rejected"),
            ("cancel", "cancelled"),
        ],
    ),
    ("rejected", &[("close", "closed")]),
    (
        "scheduled",
        &[("implement", "implementing"), ("cancel", "cancelled")],
    ),
    (
        "implementing",
        &[("complete", "reviewing"), ("fail", "failed")],
    ),
    ("reviewing", &[("close", "closed")]),
    ("failed", &[("back_out", "backed_out")]),
    ("backed_out", &[("close", "closed")]),
    ("closed", &[]),
];

fn change_table(
    draft: &'static [(&'static str, &'static str)],
    approved: &'static [(&'static str, &'static str)],
) -> Vec<(&'static str, &'static [(&'static str, &'static str)])> {
    let mut t = vec![
        ("draft", draft),
        (
            "submitted",
            &[("assess", "assessing"), ("cancel", "cancelled")][..],
        ),
        ("approved", approved),
        ("cancelled", &[][..]),
    ];
    t.extend(CHANGE_COMMON_TAIL);
    t
}

#[test]
fn change_table_normal() {
    let t = change_table(
        &[("submit", "submitted"), ("cancel", "cancelled")],
        &[("schedule", "scheduled"), ("cancel", "cancelled")],
    );
    check::<Change>(
        Box::leak(t.into_boxed_slice()),
        &change_ctx(ChangeKind::Normal),
    );
}

#[test]
fn change_table_standard() {
    // Standard changes are pre-approved: submit lands in approved.
    let t = change_table(
        &[("submit", "approved"), ("cancel", "cancelled")],
        &[("schedule", "scheduled"), ("cancel", "cancelled")],
    );
    check::<Change>(
        Box::leak(t.into_boxed_slice()),
        &change_ctx(ChangeKind::Standard),
    );
}

#[test]
fn change_table_emergency() {
    // Emergency changes go straight to the emergency CAB and may implement once approved.
    let t = change_table(
        &[("submit", "assessing"), ("cancel", "cancelled")],
        &[
            ("schedule", "scheduled"),
            ("implement", "implementing"),
            ("cancel", "cancelled"),
        ],
    );
    check::<Change>(
        Box::leak(t.into_boxed_slice()),
        &change_ctx(ChangeKind::Emergency),
    );
}
