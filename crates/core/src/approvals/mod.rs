//! Multi-stage approvals: policies and their checks, approvers resolved at submission,
//! the tally of decisions, delegation (rules, store port, use cases), stage due times.

mod delegation;
mod delegations;
mod due;
mod policy;
mod port;
mod resolve;
mod rule;
mod stage;

#[cfg(test)]
mod tests;

pub use delegation::{Acting, Delegation, MAX_DELEGATION_MONTHS, Refusal, acting_for, may_decide};
pub use delegations::{Delegations, MAX_OPEN_DELEGATIONS};
pub use due::{StageTiming, reminder_at, stage_due, stage_timing};
pub use policy::{
    ApprovalPolicy, ApproverRule, MAX_DUE_HOURS, MAX_RULES, MAX_STAGE_NAME, MAX_STAGES,
    MAX_USERS_PER_RULE, StageDef, TimeoutAction,
};
pub use port::DelegationStore;
#[cfg(any(test, feature = "mock"))]
pub use port::MockDelegationStore;
#[cfg(any(test, feature = "mock"))]
pub use resolve::MockApproverDirectory;
pub use resolve::{
    ApproverDirectory, ResolutionContext, ResolvedStage, escalation_approvers, resolve_stages,
};
pub use rule::DecisionRule;
pub use stage::{Decision, Progress, StageOutcome, StageTally, Verdict, moot_approvers, progress};
