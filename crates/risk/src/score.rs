//! Adds the factors up into a score, a class and a route.

use serde::{Deserialize, Serialize};

use crate::factors::{FactorContribution, contributions};
use crate::model::RiskInput;
use crate::route::{ApprovalRoute, decide};
use crate::weights::{ClassThresholds, Weights};

/// The highest score; raw sums above it are capped.
pub const MAX_SCORE: u8 = 100;

/// Risk band of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskClass {
    /// Below the medium threshold.
    Low,
    /// From the medium threshold, below the high one.
    Medium,
    /// From the high threshold, below the very-high one.
    High,
    /// From the very-high threshold.
    VeryHigh,
}

impl RiskClass {
    /// The class of `score` under `thresholds`.
    pub fn of(score: u8, thresholds: &ClassThresholds) -> Self {
        if score >= thresholds.very_high {
            Self::VeryHigh
        } else if score >= thresholds.high {
            Self::High
        } else if score >= thresholds.medium {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// Lower-case name used in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::VeryHigh => "very high",
        }
    }
}

/// The explained outcome of scoring one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// `min(100, raw_score)`.
    pub score: u8,
    /// Sum of every contribution's points, before the cap.
    pub raw_score: u32,
    /// Band of `score`.
    pub class: RiskClass,
    /// Every factor that added points, in a fixed order.
    pub factors: Vec<FactorContribution>,
    /// Who has to approve.
    pub route: ApprovalRoute,
    /// Why that route, e.g. `"normal change, medium risk: change manager"`.
    pub route_reason: String,
}

/// Scores `input` with the default [`Weights`].
pub fn assess(input: &RiskInput) -> Assessment {
    assess_with(&Weights::default(), input)
}

/// Scores `input` with `weights`.
///
/// Pure and integer-only: the same weights and input always give the same
/// assessment.
pub fn assess_with(weights: &Weights, input: &RiskInput) -> Assessment {
    let factors = contributions(weights, input);
    // Saturating so absurd custom weights cap instead of wrapping; with any
    // realistic weights the sum is exact.
    let raw_score = factors
        .iter()
        .fold(0u32, |acc, f| acc.saturating_add(f.points));
    let score = u8::try_from(raw_score.min(u32::from(MAX_SCORE))).unwrap_or(MAX_SCORE);
    let class = RiskClass::of(score, &weights.thresholds);
    let (route, route_reason) = decide(input.change_type, class, input.in_blackout);
    Assessment {
        score,
        raw_score,
        class,
        factors,
        route,
        route_reason,
    }
}
