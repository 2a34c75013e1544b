//! Why a transition was refused.

use std::fmt;

/// A precondition of a legal move that does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuardFailure {
    /// Resolving needs a resolution code.
    ResolutionCodeMissing,
    /// Resolving needs resolution notes.
    ResolutionNotesMissing,
    /// Starting work needs an assignee, and the actor cannot take the ticket.
    AssigneeRequired,
    /// A parent ticket cannot close while some of its tasks are open.
    OpenTasks {
        /// How many tasks are still open.
        count: u32,
    },
    /// The change has no planned window.
    WindowMissing,
    /// The change's planned window is not open now.
    WindowNotOpen,
    /// The change has no backout plan (required before scheduling a normal or emergency change).
    BackoutPlanMissing,
    /// A root cause must be recorded first.
    RootCauseMissing,
    /// A known error needs a published workaround.
    WorkaroundMissing,
    /// This catalog item needs approval; the request cannot skip it.
    ApprovalRequired,
    /// Rejecting needs a reason.
    ReasonMissing,
}

impl fmt::Display for GuardFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResolutionCodeMissing => f.write_str("a resolution code is required"),
            Self::ResolutionNotesMissing => f.write_str("resolution notes are required"),
            Self::AssigneeRequired => {
                f.write_str("the ticket needs an assignee before work starts")
            }
            Self::OpenTasks { count } => write!(f, "{count} task(s) are still open"),
            Self::WindowMissing => f.write_str("the change has no planned window"),
            Self::WindowNotOpen => f.write_str("the planned window is not open"),
            Self::BackoutPlanMissing => f.write_str("a backout plan is required"),
            Self::RootCauseMissing => f.write_str("a root cause must be recorded"),
            Self::WorkaroundMissing => f.write_str("a workaround must be written"),
            Self::ReasonMissing => f.write_str("a reason is required"),
            Self::ApprovalRequired => f.write_str("this request needs approval"),
        }
    }
}

/// A refused transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError<S, A>
where
    S: fmt::Display + fmt::Debug,
    A: fmt::Display + fmt::Debug,
{
    /// The machine has no such move from this state.
    #[error("cannot {action} from {from}; legal actions: {}", list(legal))]
    Illegal {
        /// The state the move was attempted from.
        from: S,
        /// The refused action.
        action: A,
        /// What may be done from `from` (structurally, before guards).
        legal: Vec<A>,
    },
    /// The move exists but its precondition does not hold.
    #[error("cannot {action} from {from}: {reason}")]
    Guard {
        /// The state the move was attempted from.
        from: S,
        /// The refused action.
        action: A,
        /// The precondition that failed.
        reason: GuardFailure,
    },
}

fn list<A: fmt::Display>(actions: &[A]) -> String {
    if actions.is_empty() {
        return "none (final state)".to_owned();
    }
    actions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
