//! Problem lifecycle (PRB):
//! `new → investigating → root_cause_known → known_error → resolved → closed`.
//! A problem whose root cause is fixed outright may resolve without publishing a known error.

use crate::machine::is_blank;
use crate::names::named_enum;
use crate::{Effect, GuardFailure, StateMachine};

named_enum! {
    /// Where a problem is in its life.
    pub enum ProblemState: "problem state" {
        /// Logged.
        New => "new",
        /// Root-cause analysis under way.
        Investigating => "investigating",
        /// The root cause is recorded.
        RootCauseKnown => "root_cause_known",
        /// A workaround is published to the known-error database.
        KnownError => "known_error",
        /// The permanent fix is in place.
        Resolved => "resolved",
        /// Done. Final.
        Closed => "closed",
    }
}

named_enum! {
    /// What a user can ask a problem to do.
    pub enum ProblemAction: "problem action" {
        /// Start the analysis.
        Investigate => "investigate",
        /// Record the root cause.
        IdentifyRootCause => "identify_root_cause",
        /// Publish the known error and its workaround.
        PublishKnownError => "publish_known_error",
        /// Record the permanent fix.
        Resolve => "resolve",
        /// Close the problem.
        Close => "close",
    }
}

/// Facts the problem guards look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProblemContext {
    /// The root cause text, if recorded.
    pub root_cause: Option<String>,
    /// The workaround text, if written.
    pub workaround: Option<String>,
    /// The resolution notes given with a resolve.
    pub resolution_notes: Option<String>,
    /// Tasks under this problem that are still open.
    pub open_tasks: u32,
}

/// The problem state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Problem;

impl StateMachine for Problem {
    type State = ProblemState;
    type Action = ProblemAction;
    type Context = ProblemContext;

    fn states() -> &'static [ProblemState] {
        ProblemState::ALL
    }

    fn actions() -> &'static [ProblemAction] {
        ProblemAction::ALL
    }

    fn initial() -> ProblemState {
        ProblemState::New
    }

    fn target(
        from: ProblemState,
        action: ProblemAction,
        _: &ProblemContext,
    ) -> Option<ProblemState> {
        use ProblemAction as A;
        use ProblemState as S;
        match (from, action) {
            (S::New, A::Investigate) => Some(S::Investigating),
            (S::Investigating, A::IdentifyRootCause) => Some(S::RootCauseKnown),
            (S::RootCauseKnown, A::PublishKnownError) => Some(S::KnownError),
            (S::RootCauseKnown | S::KnownError, A::Resolve) => Some(S::Resolved),
            (S::Resolved, A::Close) => Some(S::Closed),
            _ => None,
        }
    }

    fn effects(
        _: ProblemState,
        action: ProblemAction,
        _: ProblemState,
        ctx: &ProblemContext,
    ) -> Result<Vec<Effect>, GuardFailure> {
        use ProblemAction as A;
        match action {
            A::Investigate => Ok(vec![]),
            A::IdentifyRootCause if is_blank(ctx.root_cause.as_deref()) => {
                Err(GuardFailure::RootCauseMissing)
            }
            A::IdentifyRootCause => Ok(vec![]),
            A::PublishKnownError if is_blank(ctx.workaround.as_deref()) => {
                Err(GuardFailure::WorkaroundMissing)
            }
            A::PublishKnownError => Ok(vec![Effect::PublishWorkaround]),
            A::Resolve if is_blank(ctx.resolution_notes.as_deref()) => {
                Err(GuardFailure::ResolutionNotesMissing)
            }
            A::Resolve => Ok(vec![Effect::RecordResolution, Effect::StopResolutionSla]),
            A::Close if ctx.open_tasks > 0 => Err(GuardFailure::OpenTasks {
                count: ctx.open_tasks,
            }),
            A::Close => Ok(vec![Effect::StopAllSla]),
        }
    }
}
