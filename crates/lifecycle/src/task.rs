//! Task lifecycle (TASK): `open → in_progress → done / cancelled`.

use crate::names::named_enum;
use crate::{Effect, GuardFailure, StateMachine};

named_enum! {
    /// Where a task is in its life.
    pub enum TaskState: "task state" {
        /// Created, not started.
        Open => "open",
        /// Being worked on.
        InProgress => "in_progress",
        /// Finished. Final.
        Done => "done",
        /// Dropped. Final.
        Cancelled => "cancelled",
    }
}

named_enum! {
    /// What a user can ask a task to do.
    pub enum TaskAction: "task action" {
        /// Begin work.
        Start => "start",
        /// Mark finished.
        Complete => "complete",
        /// Drop the task.
        Cancel => "cancel",
    }
}

impl TaskState {
    /// Open tasks block their parent from closing.
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// Tasks have no guards beyond their moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskContext;

/// The task state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Task;

impl StateMachine for Task {
    type State = TaskState;
    type Action = TaskAction;
    type Context = TaskContext;

    fn states() -> &'static [TaskState] {
        TaskState::ALL
    }

    fn actions() -> &'static [TaskAction] {
        TaskAction::ALL
    }

    fn initial() -> TaskState {
        TaskState::Open
    }

    fn target(from: TaskState, action: TaskAction, _: &TaskContext) -> Option<TaskState> {
        use TaskAction as A;
        use TaskState as S;
        match (from, action) {
            (S::Open, A::Start) => Some(S::InProgress),
            (S::InProgress, A::Complete) => Some(S::Done),
            (S::Open | S::InProgress, A::Cancel) => Some(S::Cancelled),
            _ => None,
        }
    }

    fn effects(
        _: TaskState,
        _: TaskAction,
        _: TaskState,
        _: &TaskContext,
    ) -> Result<Vec<Effect>, GuardFailure> {
        Ok(vec![])
    }
}
