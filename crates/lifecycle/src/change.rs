//! Change lifecycle (CHG), with the standard, normal and emergency paths:
//!
//! - normal: `draft → submitted → assessing → approved/rejected → scheduled → implementing
//!   → reviewing → closed`; `implementing → failed → backed_out → closed`;
//! - standard: pre-approved by its template, so submit leads straight to `approved`;
//! - emergency: submit goes straight to `assessing` (emergency CAB) and an approved emergency
//!   change may start implementing without being scheduled first.
//!
//! No change starts implementing without approval and an open window. A change may be
//! cancelled (withdrawn) until implementation starts.

use crate::machine::is_blank;
use crate::names::named_enum;
use crate::{Effect, GuardFailure, StateMachine};

named_enum! {
    /// The kind of change, which picks the path through the lifecycle.
    pub enum ChangeKind: "change kind" {
        /// Low-risk, pre-approved by its template.
        Standard => "standard",
        /// Assessed and approved case by case.
        Normal => "normal",
        /// Must happen now; approved by the emergency CAB.
        Emergency => "emergency",
    }
}

named_enum! {
    /// Where a change is in its life.
    pub enum ChangeState: "change state" {
        /// Being written.
        Draft => "draft",
        /// Handed in for assessment.
        Submitted => "submitted",
        /// Risk assessment and approvals under way.
        Assessing => "assessing",
        /// Every approval is in.
        Approved => "approved",
        /// Refused.
        Rejected => "rejected",
        /// A window is booked.
        Scheduled => "scheduled",
        /// Being carried out.
        Implementing => "implementing",
        /// Carried out; post-implementation review.
        Reviewing => "reviewing",
        /// The implementation failed.
        Failed => "failed",
        /// The backout plan was carried out.
        BackedOut => "backed_out",
        /// Done. Final.
        Closed => "closed",
        /// Withdrawn before implementation. Final.
        Cancelled => "cancelled",
    }
}

named_enum! {
    /// What a user can ask a change to do.
    pub enum ChangeAction: "change action" {
        /// Hand the draft in.
        Submit => "submit",
        /// Begin the assessment.
        Assess => "assess",
        /// Record one approval.
        Approve => "approve",
        /// Refuse.
        Reject => "reject",
        /// Book the window.
        Schedule => "schedule",
        /// Start implementing.
        Implement => "implement",
        /// Implementation finished; go to review.
        Complete => "complete",
        /// Implementation failed.
        Fail => "fail",
        /// The backout was carried out.
        BackOut => "back_out",
        /// Close the change.
        Close => "close",
        /// Withdraw the change.
        Cancel => "cancel",
    }
}

/// Facts the change guards look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeContext {
    /// Standard, normal or emergency.
    pub kind: ChangeKind,
    /// Approvals still to record, counting the one being recorded now (CAB members, …).
    pub approvals_remaining: u32,
    /// The change has a planned window.
    pub has_window: bool,
    /// The planned window contains the present instant.
    pub window_open: bool,
    /// The change has a backout plan.
    pub has_backout_plan: bool,
    /// The rejection reason given with a reject.
    pub reason: Option<String>,
    /// Tasks under this change that are still open.
    pub open_tasks: u32,
}

impl ChangeContext {
    /// A context for `kind` with no facts set.
    pub fn of_kind(kind: ChangeKind) -> Self {
        Self {
            kind,
            approvals_remaining: 0,
            has_window: false,
            window_open: false,
            has_backout_plan: false,
            reason: None,
            open_tasks: 0,
        }
    }
}

/// The change state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Change;

impl StateMachine for Change {
    type State = ChangeState;
    type Action = ChangeAction;
    type Context = ChangeContext;

    fn states() -> &'static [ChangeState] {
        ChangeState::ALL
    }

    fn actions() -> &'static [ChangeAction] {
        ChangeAction::ALL
    }

    fn initial() -> ChangeState {
        ChangeState::Draft
    }

    fn target(from: ChangeState, action: ChangeAction, ctx: &ChangeContext) -> Option<ChangeState> {
        use ChangeAction as A;
        use ChangeKind as K;
        use ChangeState as S;
        match (from, action) {
            (S::Draft, A::Submit) => Some(match ctx.kind {
                K::Standard => S::Approved,
                K::Normal => S::Submitted,
                K::Emergency => S::Assessing,
            }),
            (S::Submitted, A::Assess) => Some(S::Assessing),
            (S::Assessing, A::Approve) if ctx.approvals_remaining > 1 => Some(S::Assessing),
            (S::Assessing, A::Approve) => Some(S::Approved),
            (S::Assessing, A::Reject) => Some(S::Rejected),
            (S::Approved, A::Schedule) => Some(S::Scheduled),
            (S::Scheduled, A::Implement) => Some(S::Implementing),
            (S::Approved, A::Implement) if ctx.kind == K::Emergency => Some(S::Implementing),
            (S::Implementing, A::Complete) => Some(S::Reviewing),
            (S::Implementing, A::Fail) => Some(S::Failed),
            (S::Failed, A::BackOut) => Some(S::BackedOut),
            (S::Reviewing | S::BackedOut | S::Rejected, A::Close) => Some(S::Closed),
            (S::Draft | S::Submitted | S::Assessing | S::Approved | S::Scheduled, A::Cancel) => {
                Some(S::Cancelled)
            }
            _ => None,
        }
    }

    fn effects(
        _: ChangeState,
        action: ChangeAction,
        _: ChangeState,
        ctx: &ChangeContext,
    ) -> Result<Vec<Effect>, GuardFailure> {
        use ChangeAction as A;
        match action {
            A::Submit if ctx.kind == ChangeKind::Standard => Ok(vec![Effect::PreApproved]),
            A::Submit | A::Assess | A::Complete | A::Fail | A::BackOut | A::Cancel => Ok(vec![]),
            A::Approve => Ok(vec![Effect::RecordApproval]),
            A::Reject if is_blank(ctx.reason.as_deref()) => Err(GuardFailure::ReasonMissing),
            A::Reject => Ok(vec![]),
            A::Schedule if !ctx.has_window => Err(GuardFailure::WindowMissing),
            A::Schedule if ctx.kind != ChangeKind::Standard && !ctx.has_backout_plan => {
                Err(GuardFailure::BackoutPlanMissing)
            }
            A::Schedule => Ok(vec![]),
            A::Implement if !ctx.has_window => Err(GuardFailure::WindowMissing),
            A::Implement if !ctx.window_open => Err(GuardFailure::WindowNotOpen),
            A::Implement => Ok(vec![]),
            A::Close if ctx.open_tasks > 0 => Err(GuardFailure::OpenTasks {
                count: ctx.open_tasks,
            }),
            A::Close => Ok(vec![]),
        }
    }
}
