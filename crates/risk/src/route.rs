//! Who has to approve a change.

use serde::{Deserialize, Serialize};

use crate::model::ChangeType;
use crate::score::RiskClass;

/// The approval a change needs before it may be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalRoute {
    /// No approval: a standard change from the catalogue.
    PreApproved,
    /// One peer reviews it.
    Peer,
    /// The change manager approves it.
    ChangeManager,
    /// The change advisory board approves it.
    Cab,
    /// The emergency CAB approves it.
    EmergencyCab,
}

/// The route for a change of `change_type` and risk `class`.
///
/// - emergency → [`ApprovalRoute::EmergencyCab`], always (it exists for
///   changes that cannot wait, blackout or not);
/// - otherwise, a window inside a blackout → [`ApprovalRoute::Cab`]: working
///   during a freeze is an exception only the CAB grants, and a standard
///   change loses its pre-approval for it;
/// - standard → [`ApprovalRoute::PreApproved`], whatever the score;
/// - normal → by class: low → peer, medium → change manager, high and very
///   high → CAB.
pub fn approval_route(
    change_type: ChangeType,
    class: RiskClass,
    in_blackout: bool,
) -> ApprovalRoute {
    decide(change_type, class, in_blackout).0
}

/// The route and the sentence explaining it.
pub(crate) fn decide(
    change_type: ChangeType,
    class: RiskClass,
    in_blackout: bool,
) -> (ApprovalRoute, String) {
    match (change_type, in_blackout) {
        (ChangeType::Emergency, _) => (
            ApprovalRoute::EmergencyCab,
            "emergency change: emergency CAB".to_owned(),
        ),
        (ChangeType::Standard, true) => (
            ApprovalRoute::Cab,
            "standard change inside a blackout: no longer pre-approved, CAB".to_owned(),
        ),
        (ChangeType::Normal, true) => (
            ApprovalRoute::Cab,
            "normal change inside a blackout: CAB".to_owned(),
        ),
        (ChangeType::Standard, false) => (
            ApprovalRoute::PreApproved,
            "standard change: pre-approved".to_owned(),
        ),
        (ChangeType::Normal, false) => {
            let route = match class {
                RiskClass::Low => ApprovalRoute::Peer,
                RiskClass::Medium => ApprovalRoute::ChangeManager,
                RiskClass::High | RiskClass::VeryHigh => ApprovalRoute::Cab,
            };
            let who = match route {
                ApprovalRoute::Peer => "peer review",
                ApprovalRoute::ChangeManager => "change manager",
                _ => "CAB",
            };
            (
                route,
                format!("normal change, {} risk: {who}", class.name()),
            )
        }
    }
}
