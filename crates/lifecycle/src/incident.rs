//! Incident lifecycle (INC):
//! `new →(assign)→ open →(start)→ in_progress ⇄(hold/resume) on_hold →(resolve)→ resolved
//! →(close)→ closed`; `resolved →(reopen)→ in_progress`; cancel from any state before resolved.

use crate::machine::is_blank;
use crate::names::named_enum;
use crate::{Effect, GuardFailure, StateMachine};

named_enum! {
    /// Where an incident is in its life.
    pub enum IncidentState: "incident state" {
        /// Logged, nobody assigned yet.
        New => "new",
        /// Assigned to a team or agent, work not started.
        Open => "open",
        /// An agent works on it.
        InProgress => "in_progress",
        /// Waiting on the requester or a third party; SLA clocks pause.
        OnHold => "on_hold",
        /// Fixed; waiting for the requester to confirm (close) or reopen.
        Resolved => "resolved",
        /// Confirmed or auto-closed. Final.
        Closed => "closed",
        /// Withdrawn before resolution. Final.
        Cancelled => "cancelled",
    }
}

named_enum! {
    /// What a user can ask an incident to do.
    pub enum IncidentAction: "incident action" {
        /// Assign (or reassign) to a team and/or agent.
        Assign => "assign",
        /// Begin work.
        Start => "start",
        /// Put on hold.
        Hold => "hold",
        /// Resume work after a hold.
        Resume => "resume",
        /// Record the fix.
        Resolve => "resolve",
        /// The fix did not hold.
        Reopen => "reopen",
        /// Confirm the resolution.
        Close => "close",
        /// Withdraw the incident.
        Cancel => "cancel",
    }
}

impl IncidentState {
    /// True for closed and cancelled: nothing more happens to the ticket.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Cancelled)
    }

    /// True while work is still owed (the resolution clock may run).
    pub const fn is_active(self) -> bool {
        matches!(
            self,
            Self::New | Self::Open | Self::InProgress | Self::OnHold
        )
    }
}

/// Facts the incident guards look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentContext {
    /// The incident has an assigned agent.
    pub has_assignee: bool,
    /// The actor is an agent who may take the ticket when starting it unassigned.
    pub actor_can_take: bool,
    /// The resolution code given with a resolve, if any.
    pub resolution_code: Option<String>,
    /// The resolution notes given with a resolve, if any.
    pub resolution_notes: Option<String>,
    /// Tasks under this incident that are neither done nor cancelled.
    pub open_tasks: u32,
}

/// The incident state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Incident;

impl StateMachine for Incident {
    type State = IncidentState;
    type Action = IncidentAction;
    type Context = IncidentContext;

    fn states() -> &'static [IncidentState] {
        IncidentState::ALL
    }

    fn actions() -> &'static [IncidentAction] {
        IncidentAction::ALL
    }

    fn initial() -> IncidentState {
        IncidentState::New
    }

    fn target(
        from: IncidentState,
        action: IncidentAction,
        _: &IncidentContext,
    ) -> Option<IncidentState> {
        use IncidentAction as A;
        use IncidentState as S;
        match (from, action) {
            (S::New, A::Assign) => Some(S::Open),
            // Reassignment keeps the state.
            (S::Open | S::InProgress | S::OnHold, A::Assign) => Some(from),
            (S::New | S::Open, A::Start) => Some(S::InProgress),
            (S::InProgress, A::Hold) => Some(S::OnHold),
            (S::OnHold, A::Resume) => Some(S::InProgress),
            (S::InProgress | S::OnHold, A::Resolve) => Some(S::Resolved),
            (S::Resolved, A::Reopen) => Some(S::InProgress),
            (S::Resolved, A::Close) => Some(S::Closed),
            (S::New | S::Open | S::InProgress | S::OnHold, A::Cancel) => Some(S::Cancelled),
            _ => None,
        }
    }

    fn effects(
        _from: IncidentState,
        action: IncidentAction,
        _to: IncidentState,
        ctx: &IncidentContext,
    ) -> Result<Vec<Effect>, GuardFailure> {
        use IncidentAction as A;
        match action {
            A::Assign => Ok(vec![]),
            A::Start if ctx.has_assignee => Ok(vec![]),
            A::Start if ctx.actor_can_take => Ok(vec![Effect::TakeOwnership]),
            A::Start => Err(GuardFailure::AssigneeRequired),
            A::Hold => Ok(vec![Effect::PauseSla]),
            A::Resume => Ok(vec![Effect::ResumeSla]),
            A::Resolve => {
                if is_blank(ctx.resolution_code.as_deref()) {
                    return Err(GuardFailure::ResolutionCodeMissing);
                }
                if is_blank(ctx.resolution_notes.as_deref()) {
                    return Err(GuardFailure::ResolutionNotesMissing);
                }
                Ok(vec![Effect::RecordResolution, Effect::StopResolutionSla])
            }
            A::Reopen => Ok(vec![Effect::ClearResolution, Effect::RestartResolutionSla]),
            A::Close if ctx.open_tasks > 0 => Err(GuardFailure::OpenTasks {
                count: ctx.open_tasks,
            }),
            A::Close => Ok(vec![Effect::StopAllSla]),
            A::Cancel => Ok(vec![Effect::StopAllSla]),
        }
    }
}
