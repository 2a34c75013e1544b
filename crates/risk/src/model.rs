//! What the caller tells us about a change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::RiskError;

/// The ITIL change type chosen when the change was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    /// A pre-authorised, repeatable change from the standard catalogue.
    Standard,
    /// Any change that needs an assessment and an approval.
    Normal,
    /// A change that must be made now to restore or protect service.
    Emergency,
}

impl ChangeType {
    /// Lower-case name used in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Normal => "normal",
            Self::Emergency => "emergency",
        }
    }
}

/// A three-step rating, used for both impact and urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Level {
    /// Lower-case name used in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// How much the business relies on a configuration item or a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Criticality {
    /// Every criticality, most critical first (the order explanations use).
    pub const DESCENDING: [Self; 4] = [Self::Critical, Self::High, Self::Medium, Self::Low];

    /// Lower-case name used in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// Outcomes of recent changes on the same CIs, counted by the caller over a
/// recent period of its choosing.
///
/// Always valid: `failed <= total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "FailureHistoryRepr")]
pub struct FailureHistory {
    failed: u32,
    total: u32,
}

impl FailureHistory {
    /// No recent changes at all.
    pub const NONE: Self = Self {
        failed: 0,
        total: 0,
    };

    /// Builds a history of `total` recent changes of which `failed` failed.
    ///
    /// # Errors
    /// [`RiskError::FailuresExceedTotal`] when `failed > total`.
    pub fn new(failed: u32, total: u32) -> Result<Self, RiskError> {
        if failed > total {
            return Err(RiskError::FailuresExceedTotal { failed, total });
        }
        Ok(Self { failed, total })
    }

    /// Number of recent changes that failed.
    pub fn failed(self) -> u32 {
        self.failed
    }

    /// Number of recent changes, failed or not.
    pub fn total(self) -> u32 {
        self.total
    }
}

/// The unvalidated wire shape, so deserialising cannot bypass [`FailureHistory::new`].
#[derive(Deserialize)]
struct FailureHistoryRepr {
    failed: u32,
    total: u32,
}

impl TryFrom<FailureHistoryRepr> for FailureHistory {
    type Error = RiskError;

    fn try_from(repr: FailureHistoryRepr) -> Result<Self, Self::Error> {
        Self::new(repr.failed, repr.total)
    }
}

/// Everything the score is computed from.
///
/// The caller gathers the facts (CMDB walk, schedule checks, change history);
/// this crate only weighs them, so the same input always gives the same
/// [`crate::Assessment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskInput {
    /// Standard, normal or emergency.
    pub change_type: ChangeType,
    /// Impact of the change on the business if it goes wrong.
    pub impact: Level,
    /// How pressing the change is.
    pub urgency: Level,
    /// Criticality of each CI the change touches directly (one entry per CI).
    pub affected_cis: Vec<Criticality>,
    /// Criticality of each service that depends on the affected CIs, as found
    /// by the CMDB walk (one entry per service, already deduplicated).
    pub dependent_services: Vec<Criticality>,
    /// The planned window overlaps a blackout that applies to these CIs
    /// (see [`crate::blackout_hits`]).
    pub in_blackout: bool,
    /// Part of the planned window lies outside every maintenance window
    /// (see [`crate::outside_maintenance`]).
    pub outside_maintenance: bool,
    /// A backout plan is attached.
    pub has_backout_plan: bool,
    /// Test evidence is attached.
    pub has_test_evidence: bool,
    /// The moment lead time is measured from: the submission time, or "now"
    /// from the caller's clock when the change is assessed before submission.
    pub as_of: DateTime<Utc>,
    /// Start of the planned implementation window.
    pub planned_start: DateTime<Utc>,
    /// Recent changes on the same CIs and how many of them failed.
    pub recent_changes: FailureHistory,
}
