//! The shape every ticket state machine shares.

use std::fmt;

use crate::{Effect, GuardFailure, TransitionError};

/// The result of an accepted move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition<S> {
    /// The state after the move.
    pub to: S,
    /// What the caller must apply because of the move.
    pub effects: Vec<Effect>,
}

/// What [`StateMachine::transition`] answers for machine `M`.
pub type MoveResult<M> = Result<
    Transition<<M as StateMachine>::State>,
    TransitionError<<M as StateMachine>::State, <M as StateMachine>::Action>,
>;

/// A ticket lifecycle: states, actions, the facts guards look at, and the move function.
pub trait StateMachine {
    /// The states of the ticket.
    type State: Copy + Eq + fmt::Debug + fmt::Display + 'static;
    /// The actions a user can ask for.
    type Action: Copy + Eq + fmt::Debug + fmt::Display + 'static;
    /// Facts about the ticket the guards need (assignee present, open tasks, …).
    type Context;

    /// Every state, in lifecycle order.
    fn states() -> &'static [Self::State];
    /// Every action.
    fn actions() -> &'static [Self::Action];
    /// The state a new ticket starts in.
    fn initial() -> Self::State;

    /// Where `action` leads from `from`, ignoring guards; `None` when the machine has no such move.
    fn target(from: Self::State, action: Self::Action, ctx: &Self::Context) -> Option<Self::State>;

    /// Checks the guards of the existing move `from --action--> to` and names its effects.
    ///
    /// # Errors
    /// The first precondition that does not hold.
    fn effects(
        from: Self::State,
        action: Self::Action,
        to: Self::State,
        ctx: &Self::Context,
    ) -> Result<Vec<Effect>, GuardFailure>;

    /// Applies `action` to `from`: checks the move exists, then its guards.
    ///
    /// # Errors
    /// [`TransitionError::Illegal`] (naming the legal actions) when the move does not exist,
    /// [`TransitionError::Guard`] when a precondition fails.
    fn transition(
        from: Self::State,
        action: Self::Action,
        ctx: &Self::Context,
    ) -> MoveResult<Self> {
        let Some(to) = Self::target(from, action, ctx) else {
            return Err(TransitionError::Illegal {
                from,
                action,
                legal: Self::legal_actions(from, ctx),
            });
        };
        let effects =
            Self::effects(from, action, to, ctx).map_err(|reason| TransitionError::Guard {
                from,
                action,
                reason,
            })?;
        Ok(Transition { to, effects })
    }

    /// The actions the machine allows from `state` (before guards), for UIs and error messages.
    fn legal_actions(state: Self::State, ctx: &Self::Context) -> Vec<Self::Action> {
        Self::actions()
            .iter()
            .copied()
            .filter(|a| Self::target(state, *a, ctx).is_some())
            .collect()
    }
}

/// True when a required text is missing or only whitespace.
pub(crate) fn is_blank(text: Option<&str>) -> bool {
    text.is_none_or(|t| t.trim().is_empty())
}
