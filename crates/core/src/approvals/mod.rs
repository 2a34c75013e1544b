//! Multi-stage approvals as pure domain: policies (ordered stages, approver rules, decision
//! rules), resolving approvers at submission, tallying decisions, delegation and due times.
//! No I/O: the directory of teams and managers is a trait the store adapter implements.

mod delegation;
mod due;
mod policy;
mod resolve;
mod rule;
mod stage;

#[cfg(test)]
mod tests;

pub use delegation::{Acting, Delegation, MAX_DELEGATION_MONTHS, Refusal, acting_for, may_decide};
pub use due::{StageTiming, reminder_at, stage_due, stage_timing};
pub use policy::{
    ApprovalPolicy, ApproverRule, MAX_DUE_HOURS, MAX_RULES, MAX_STAGE_NAME, MAX_STAGES,
    MAX_USERS_PER_RULE, StageDef, TimeoutAction,
};
#[cfg(any(test, feature = "mock"))]
pub use resolve::MockApproverDirectory;
pub use resolve::{
    ApproverDirectory, ResolutionContext, ResolvedStage, escalation_approvers, resolve_stages,
};
pub use rule::DecisionRule;
pub use stage::{Decision, Progress, StageOutcome, StageTally, Verdict, moot_approvers, progress};
