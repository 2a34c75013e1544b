//! Tallying a stage's decisions, and the request's progress through its stages.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// An approver's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approved.
    Approve,
    /// Rejected (the use case requires a comment).
    Reject,
}

/// One recorded decision of a stage, in the order decisions were recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The approver whose approval this decides.
    pub approver: UserId,
    /// Who decided: the approver, or their delegate ("B on behalf of A").
    pub decided_by: UserId,
    /// The answer.
    pub verdict: Verdict,
}

impl Decision {
    /// `approver` approves in person.
    pub fn approve(approver: UserId) -> Self {
        Self {
            approver,
            decided_by: approver,
            verdict: Verdict::Approve,
        }
    }

    /// `approver` rejects in person.
    pub fn reject(approver: UserId) -> Self {
        Self {
            approver,
            decided_by: approver,
            verdict: Verdict::Reject,
        }
    }

    /// The same decision taken by `delegate` on behalf of the approver.
    #[must_use]
    pub fn by(mut self, delegate: UserId) -> Self {
        self.decided_by = delegate;
        self
    }
}

/// Where a stage stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageOutcome {
    /// Not decided yet.
    Pending,
    /// Enough approvals.
    Approved,
    /// Rejected (which rejects the request).
    Rejected,
}

/// The count behind a stage's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTally {
    /// Approvals that counted.
    pub approvals: u32,
    /// Whether a counted rejection decided the stage.
    pub rejected: bool,
    /// The approvers whose decision counted, in order.
    pub counted: Vec<UserId>,
    /// The outcome.
    pub outcome: StageOutcome,
}

impl StageTally {
    /// Tallies `decisions` (in recorded order) for a stage of `approvers` needing
    /// `required` approvals.
    ///
    /// The rules: a decision for someone who is not an approver of the stage is ignored;
    /// each approver counts once (their first decision; decisions are immutable), and each
    /// person counts once too, so a delegate who is also an approver, or who acts for two
    /// approvers, does not multiply their vote; the first counted rejection rejects the
    /// stage; the stage is approved when counted approvals reach `required`. Once decided
    /// the outcome is final: later decisions change nothing. `required == 0` (which
    /// [`super::resolve_stages`] never produces) leaves the stage pending rather than
    /// approving it unseen.
    pub fn tally(required: u32, approvers: &[UserId], decisions: &[Decision]) -> Self {
        let mut tally = Self {
            approvals: 0,
            rejected: false,
            counted: Vec::new(),
            outcome: StageOutcome::Pending,
        };
        let mut deciders: Vec<UserId> = Vec::new();
        for d in decisions {
            if tally.outcome != StageOutcome::Pending {
                break;
            }
            if !approvers.contains(&d.approver)
                || tally.counted.contains(&d.approver)
                || deciders.contains(&d.decided_by)
            {
                continue;
            }
            tally.counted.push(d.approver);
            deciders.push(d.decided_by);
            match d.verdict {
                Verdict::Reject => {
                    tally.rejected = true;
                    tally.outcome = StageOutcome::Rejected;
                }
                Verdict::Approve => {
                    tally.approvals += 1;
                    if required > 0 && tally.approvals >= required {
                        tally.outcome = StageOutcome::Approved;
                    }
                }
            }
        }
        tally
    }

    /// The outcome of [`StageTally::tally`].
    pub fn evaluate(required: u32, approvers: &[UserId], decisions: &[Decision]) -> StageOutcome {
        Self::tally(required, approvers, decisions).outcome
    }
}

/// The approvers whose open approvals become moot once the stage is decided (approved or
/// rejected): everyone whose decision did not count. Empty while the stage is pending.
/// The use case cancels their approvals.
pub fn moot_approvers(required: u32, approvers: &[UserId], decisions: &[Decision]) -> Vec<UserId> {
    let tally = StageTally::tally(required, approvers, decisions);
    if tally.outcome == StageOutcome::Pending {
        return Vec::new();
    }
    let mut moot = Vec::new();
    for a in approvers {
        if !tally.counted.contains(a) && !moot.contains(a) {
            moot.push(*a);
        }
    }
    moot
}

/// Where a request stands across its stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Progress {
    /// Waiting on this stage (every earlier one is approved).
    Waiting {
        /// The stage's index.
        stage: usize,
    },
    /// Every stage approved (also when there are none).
    Approved,
    /// This stage rejected the request.
    Rejected {
        /// The stage's index.
        stage: usize,
    },
}

/// The progress of a request given each stage's outcome, in order. Stages run one after
/// another, so outcomes after the first not-approved stage are not looked at.
pub fn progress(outcomes: &[StageOutcome]) -> Progress {
    for (stage, outcome) in outcomes.iter().enumerate() {
        match outcome {
            StageOutcome::Approved => {}
            StageOutcome::Pending => return Progress::Waiting { stage },
            StageOutcome::Rejected => return Progress::Rejected { stage },
        }
    }
    Progress::Approved
}
