//! Every weight, cap and threshold of the model, in one place.
//!
//! The defaults are documented, with the reasoning, in `docs/risk.md`; a test
//! (`tests/examples.rs`) checks the doc's weight table against
//! [`Weights::default`].

use serde::{Deserialize, Serialize};

use crate::model::{ChangeType, Criticality, Level};

/// Points per change type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeTypeWeights {
    /// Points for a standard change.
    pub standard: u32,
    /// Points for a normal change.
    pub normal: u32,
    /// Points for an emergency change.
    pub emergency: u32,
}

impl ChangeTypeWeights {
    /// Points for `change_type`.
    pub fn points(&self, change_type: ChangeType) -> u32 {
        match change_type {
            ChangeType::Standard => self.standard,
            ChangeType::Normal => self.normal,
            ChangeType::Emergency => self.emergency,
        }
    }
}

/// Points per low / medium / high rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelWeights {
    /// Points for low.
    pub low: u32,
    /// Points for medium.
    pub medium: u32,
    /// Points for high.
    pub high: u32,
}

impl LevelWeights {
    /// Points for `level`.
    pub fn points(&self, level: Level) -> u32 {
        match level {
            Level::Low => self.low,
            Level::Medium => self.medium,
            Level::High => self.high,
        }
    }
}

/// Points per item (CI or service) of each criticality, and a cap on their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalityWeights {
    /// Points per low-criticality item.
    pub low: u32,
    /// Points per medium-criticality item.
    pub medium: u32,
    /// Points per high-criticality item.
    pub high: u32,
    /// Points per critical item.
    pub critical: u32,
    /// Most points the whole list can contribute.
    pub cap: u32,
}

impl CriticalityWeights {
    /// Points for one item of `criticality`.
    pub fn points(&self, criticality: Criticality) -> u32 {
        match criticality {
            Criticality::Low => self.low,
            Criticality::Medium => self.medium,
            Criticality::High => self.high,
            Criticality::Critical => self.critical,
        }
    }
}

/// Points for a planned start closer than `under_hours` to the assessment time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadTimeBand {
    /// The band applies when the lead time is strictly less than this many hours.
    pub under_hours: u32,
    /// Points the band gives.
    pub points: u32,
}

/// Outcomes of recent changes on the same CIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureWeights {
    /// Points when every recent change failed (the factor's cap).
    pub max_points: u32,
    /// Fewer recent changes than this are counted as this many, so one failure
    /// out of one change does not weigh like a long record of failures.
    pub min_sample: u32,
}

/// Lowest score of each class above [`crate::RiskClass::Low`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassThresholds {
    /// Scores from here are at least medium.
    pub medium: u8,
    /// Scores from here are at least high.
    pub high: u8,
    /// Scores from here are very high.
    pub very_high: u8,
}

/// The whole model: weights, caps, lead-time bands and class thresholds.
///
/// The score is monotone (a worse input never scores lower) for any weights
/// in which a worse rating or criticality never has fewer points than a
/// better one, as in the default. Lead-time bands need no ordering: the
/// largest matching band wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// Points per change type.
    pub change_type: ChangeTypeWeights,
    /// Points per impact rating.
    pub impact: LevelWeights,
    /// Points per urgency rating.
    pub urgency: LevelWeights,
    /// Points per affected CI, capped.
    pub affected_cis: CriticalityWeights,
    /// Points per dependent service, capped.
    pub dependent_services: CriticalityWeights,
    /// Points when the planned window is inside a blackout.
    pub blackout: u32,
    /// Points when part of the planned window is outside maintenance hours.
    pub outside_maintenance: u32,
    /// Points when no backout plan is attached.
    pub missing_backout_plan: u32,
    /// Points when no test evidence is attached.
    pub missing_test_evidence: u32,
    /// Short lead times; an emergency change gets the largest band's points.
    pub lead_time: Vec<LeadTimeBand>,
    /// Recent failures on the same CIs.
    pub failure_rate: FailureWeights,
    /// Class boundaries on the capped score.
    pub thresholds: ClassThresholds,
}

impl Default for Weights {
    /// The model documented in `docs/risk.md`.
    fn default() -> Self {
        Self {
            change_type: ChangeTypeWeights {
                standard: 0,
                normal: 5,
                emergency: 15,
            },
            impact: LevelWeights {
                low: 0,
                medium: 5,
                high: 10,
            },
            urgency: LevelWeights {
                low: 0,
                medium: 3,
                high: 6,
            },
            affected_cis: CriticalityWeights {
                low: 1,
                medium: 2,
                high: 4,
                critical: 8,
                cap: 20,
            },
            dependent_services: CriticalityWeights {
                low: 1,
                medium: 2,
                high: 4,
                critical: 6,
                cap: 15,
            },
            blackout: 20,
            outside_maintenance: 8,
            missing_backout_plan: 12,
            missing_test_evidence: 8,
            lead_time: vec![
                LeadTimeBand {
                    under_hours: 24,
                    points: 10,
                },
                LeadTimeBand {
                    under_hours: 72,
                    points: 6,
                },
                LeadTimeBand {
                    under_hours: 168,
                    points: 3,
                },
            ],
            failure_rate: FailureWeights {
                max_points: 15,
                min_sample: 5,
            },
            thresholds: ClassThresholds {
                medium: 25,
                high: 50,
                very_high: 75,
            },
        }
    }
}
