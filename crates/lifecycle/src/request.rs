//! Service request lifecycle (REQ):
//! `draft → submitted → pending_approval → approved/rejected → fulfilling → fulfilled → closed`,
//! with multi-step approvals. Items that need no approval go from submitted straight to
//! fulfilling. A request may be cancelled (withdrawn) until fulfilment ends.

use crate::machine::is_blank;
use crate::names::named_enum;
use crate::{Effect, GuardFailure, StateMachine};

named_enum! {
    /// Where a service request is in its life.
    pub enum RequestState: "request state" {
        /// Being filled in by the requester.
        Draft => "draft",
        /// Handed in.
        Submitted => "submitted",
        /// Waiting for one or more approval steps; SLA clocks pause.
        PendingApproval => "pending_approval",
        /// Every approval step agreed.
        Approved => "approved",
        /// An approver refused.
        Rejected => "rejected",
        /// Being fulfilled.
        Fulfilling => "fulfilling",
        /// Delivered.
        Fulfilled => "fulfilled",
        /// Done. Final.
        Closed => "closed",
        /// Withdrawn. Final.
        Cancelled => "cancelled",
    }
}

named_enum! {
    /// What a user can ask a service request to do.
    pub enum RequestAction: "request action" {
        /// Hand the draft in.
        Submit => "submit",
        /// Send to the approvers.
        RequestApproval => "request_approval",
        /// Record one approval step.
        Approve => "approve",
        /// Refuse.
        Reject => "reject",
        /// Begin fulfilment.
        StartFulfilment => "start_fulfilment",
        /// Mark delivered.
        Fulfil => "fulfil",
        /// Close the request.
        Close => "close",
        /// Withdraw.
        Cancel => "cancel",
    }
}

/// Facts the request guards look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The catalog item demands approval.
    pub approval_required: bool,
    /// Approval steps still to record, counting the one being recorded now.
    pub approvals_remaining: u32,
    /// The rejection reason given with a reject.
    pub reason: Option<String>,
    /// Tasks under this request that are still open.
    pub open_tasks: u32,
}

/// The service request state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServiceRequest;

impl StateMachine for ServiceRequest {
    type State = RequestState;
    type Action = RequestAction;
    type Context = RequestContext;

    fn states() -> &'static [RequestState] {
        RequestState::ALL
    }

    fn actions() -> &'static [RequestAction] {
        RequestAction::ALL
    }

    fn initial() -> RequestState {
        RequestState::Draft
    }

    fn target(
        from: RequestState,
        action: RequestAction,
        ctx: &RequestContext,
    ) -> Option<RequestState> {
        use RequestAction as A;
        use RequestState as S;
        match (from, action) {
            (S::Draft, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::RequestApproval) => Some(S::PendingApproval),
            // Multi-step approval: every step but the last keeps the request pending.
            (S::PendingApproval, A::Approve) if ctx.approvals_remaining > 1 => {
                Some(S::PendingApproval)
            }
            (S::PendingApproval, A::Approve) => Some(S::Approved),
            (S::PendingApproval, A::Reject) => Some(S::Rejected),
            (S::Submitted | S::Approved, A::StartFulfilment) => Some(S::Fulfilling),
            (S::Fulfilling, A::Fulfil) => Some(S::Fulfilled),
            (S::Fulfilled | S::Rejected, A::Close) => Some(S::Closed),
            (
                S::Draft | S::Submitted | S::PendingApproval | S::Approved | S::Fulfilling,
                A::Cancel,
            ) => Some(S::Cancelled),
            _ => None,
        }
    }

    fn effects(
        from: RequestState,
        action: RequestAction,
        to: RequestState,
        ctx: &RequestContext,
    ) -> Result<Vec<Effect>, GuardFailure> {
        use RequestAction as A;
        use RequestState as S;
        match action {
            A::Submit => Ok(vec![]),
            A::RequestApproval => Ok(vec![Effect::PauseSla]),
            A::Approve if to == S::PendingApproval => Ok(vec![Effect::RecordApproval]),
            A::Approve => Ok(vec![Effect::RecordApproval, Effect::ResumeSla]),
            A::Reject if is_blank(ctx.reason.as_deref()) => Err(GuardFailure::ReasonMissing),
            A::Reject => Ok(vec![Effect::StopAllSla]),
            A::StartFulfilment if from == S::Submitted && ctx.approval_required => {
                Err(GuardFailure::ApprovalRequired)
            }
            A::StartFulfilment => Ok(vec![]),
            A::Fulfil => Ok(vec![Effect::StopResolutionSla]),
            A::Close if ctx.open_tasks > 0 => Err(GuardFailure::OpenTasks {
                count: ctx.open_tasks,
            }),
            A::Close | A::Cancel => Ok(vec![Effect::StopAllSla]),
        }
    }
}
