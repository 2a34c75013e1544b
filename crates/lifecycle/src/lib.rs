//! Ticket state machines for Servicedesk: incidents, tasks, service requests,
//! problems and changes.
//!
//! Each machine is data plus a pure `transition(state, action, ctx)` function
//! (see [`StateMachine`]). A move that the machine does not know from a state is
//! rejected with [`TransitionError::Illegal`], which lists the legal actions from
//! that state; a known move whose precondition does not hold is rejected with
//! [`TransitionError::Guard`]. A successful move returns the new state and the
//! [`Effect`]s the caller must apply (SLA clock changes, taking ownership, …).
//!
//! ```
//! use servicedesk_lifecycle::{incident::*, StateMachine};
//! let ctx = IncidentContext { has_assignee: true, ..IncidentContext::default() };
//! let t = Incident::transition(IncidentState::Open, IncidentAction::Start, &ctx).unwrap();
//! assert_eq!(t.to, IncidentState::InProgress);
//! assert!(Incident::transition(IncidentState::New, IncidentAction::Close, &ctx).is_err());
//! ```

mod effect;
mod error;
mod machine;
mod names;

pub mod change;
pub mod incident;
pub mod problem;
pub mod request;
pub mod task;

pub use effect::Effect;
pub use error::{GuardFailure, TransitionError};
pub use machine::{MoveResult, StateMachine, Transition};
pub use names::UnknownName;
