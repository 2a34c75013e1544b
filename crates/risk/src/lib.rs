//! Explainable change risk for Servicedesk (SPEC F-RISK).
//!
//! - **RISK-1** — [`assess`] / [`assess_with`] turn a [`RiskInput`] into an
//!   [`Assessment`]: a score 0–100 from an additive, integer-only points model
//!   ([`Weights`]), its [`RiskClass`], every contributing factor with its
//!   points and a sentence, and the [`ApprovalRoute`].
//! - **RISK-2** — [`find_conflicts`] finds other changes planned on a shared
//!   CI at an overlapping time; [`blackout_hits`] and [`outside_maintenance`]
//!   check a planned [`Window`] against blackouts and weekly
//!   [`MaintenanceWindows`], giving the two schedule flags of [`RiskInput`].
//!
//! Pure and deterministic: no I/O and no clock. The time lead time is measured
//! from is [`RiskInput::as_of`], supplied by the caller. The model, its
//! weights and worked examples are in `docs/risk.md`.

mod conflict;
mod error;
mod factors;
mod maintenance;
mod model;
mod route;
mod score;
mod weights;
mod window;

pub use conflict::{Blackout, BlackoutHit, Conflict, PlannedChange, blackout_hits, find_conflicts};
pub use error::RiskError;
pub use factors::{Factor, FactorContribution};
pub use maintenance::{MaintenanceWindows, WeekTime, WeeklyWindow, outside_maintenance};
pub use model::{ChangeType, Criticality, FailureHistory, Level, RiskInput};
pub use route::{ApprovalRoute, approval_route};
pub use score::{Assessment, MAX_SCORE, RiskClass, assess, assess_with};
pub use weights::{
    ChangeTypeWeights, ClassThresholds, CriticalityWeights, FailureWeights, LeadTimeBand,
    LevelWeights, Weights,
};
pub use window::Window;
