//! One function per factor: how many points, and a sentence saying why.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::model::{ChangeType, Criticality, FailureHistory, RiskInput};
use crate::weights::{CriticalityWeights, LeadTimeBand, Weights};

/// What a contribution to the score is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Standard, normal or emergency.
    ChangeType,
    /// Impact rating.
    Impact,
    /// Urgency rating.
    Urgency,
    /// Number and criticality of the CIs the change touches.
    AffectedCis,
    /// Number and criticality of the services depending on those CIs.
    DependentServices,
    /// The planned window is inside a blackout.
    Blackout,
    /// Part of the planned window is outside maintenance hours.
    OutsideMaintenance,
    /// No backout plan.
    MissingBackoutPlan,
    /// No test evidence.
    MissingTestEvidence,
    /// Little time between assessment and planned start.
    LeadTime,
    /// Recent changes on the same CIs failed.
    FailureRate,
}

/// Points one factor added to the raw score, with a human explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorContribution {
    /// The factor.
    pub factor: Factor,
    /// Points added (always more than zero: silent factors are left out).
    pub points: u32,
    /// Why, e.g. `"3 affected CIs (1 critical, 2 low): +10"`.
    pub explanation: String,
}

/// Every contributing factor of `input`, in [`Factor`] order.
pub(crate) fn contributions(weights: &Weights, input: &RiskInput) -> Vec<FactorContribution> {
    let candidates = [
        change_type(weights, input),
        impact(weights, input),
        urgency(weights, input),
        items(
            Factor::AffectedCis,
            &weights.affected_cis,
            &input.affected_cis,
            ("affected CI", "affected CIs"),
        ),
        items(
            Factor::DependentServices,
            &weights.dependent_services,
            &input.dependent_services,
            ("dependent service", "dependent services"),
        ),
        flag(
            Factor::Blackout,
            input.in_blackout,
            weights.blackout,
            "planned window falls inside a blackout",
        ),
        flag(
            Factor::OutsideMaintenance,
            input.outside_maintenance,
            weights.outside_maintenance,
            "planned window extends outside maintenance hours",
        ),
        flag(
            Factor::MissingBackoutPlan,
            !input.has_backout_plan,
            weights.missing_backout_plan,
            "no backout plan",
        ),
        flag(
            Factor::MissingTestEvidence,
            !input.has_test_evidence,
            weights.missing_test_evidence,
            "no test evidence",
        ),
        lead_time(weights, input),
        failure_rate(weights, input.recent_changes),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter(|c| c.points > 0)
        .collect()
}

fn contribution(factor: Factor, points: u32, reason: String) -> Option<FactorContribution> {
    Some(FactorContribution {
        factor,
        points,
        explanation: format!("{reason}: +{points}"),
    })
}

fn change_type(weights: &Weights, input: &RiskInput) -> Option<FactorContribution> {
    let points = weights.change_type.points(input.change_type);
    contribution(
        Factor::ChangeType,
        points,
        format!("{} change", input.change_type.name()),
    )
}

fn impact(weights: &Weights, input: &RiskInput) -> Option<FactorContribution> {
    let points = weights.impact.points(input.impact);
    contribution(
        Factor::Impact,
        points,
        format!("{} impact", input.impact.name()),
    )
}

fn urgency(weights: &Weights, input: &RiskInput) -> Option<FactorContribution> {
    let points = weights.urgency.points(input.urgency);
    contribution(
        Factor::Urgency,
        points,
        format!("{} urgency", input.urgency.name()),
    )
}

fn flag(factor: Factor, set: bool, points: u32, reason: &str) -> Option<FactorContribution> {
    if !set {
        return None;
    }
    contribution(factor, points, reason.to_owned())
}

/// Sums per-item points, then caps: each extra item or a more critical item
/// can only add, and the cap keeps a huge CMDB walk from drowning every other
/// factor.
fn items(
    factor: Factor,
    weights: &CriticalityWeights,
    list: &[Criticality],
    (one, many): (&str, &str),
) -> Option<FactorContribution> {
    if list.is_empty() {
        return None;
    }
    let sum = list
        .iter()
        .fold(0u32, |acc, c| acc.saturating_add(weights.points(*c)));
    let points = sum.min(weights.cap);
    let breakdown = Criticality::DESCENDING
        .iter()
        .filter_map(|level| {
            let n = list.iter().filter(|c| *c == level).count();
            (n > 0).then(|| format!("{n} {}", level.name()))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if list.len() == 1 { one } else { many };
    let mut reason = format!("{} {noun} ({breakdown})", list.len());
    if sum > points {
        reason.push_str(&format!(", {sum} points capped at {}", weights.cap));
    }
    contribution(factor, points, reason)
}

/// Largest band the lead time falls into. Taking the maximum rather than the
/// first match keeps the factor monotone whatever order the bands are in.
fn matching_band(bands: &[LeadTimeBand], lead: TimeDelta) -> Option<&LeadTimeBand> {
    bands
        .iter()
        .filter(|band| {
            // Out-of-range hours cannot happen for a u32, but a band that no
            // lead time could reach is simply never matched.
            TimeDelta::try_hours(i64::from(band.under_hours)).is_some_and(|limit| lead < limit)
        })
        .max_by_key(|band| band.points)
}

fn lead_time(weights: &Weights, input: &RiskInput) -> Option<FactorContribution> {
    if input.change_type == ChangeType::Emergency {
        // An emergency change is short-notice by nature, whatever dates were
        // typed in: count it as the shortest lead time.
        let band = weights.lead_time.iter().max_by_key(|band| band.points)?;
        return contribution(
            Factor::LeadTime,
            band.points,
            "emergency change, counted as the shortest lead time".to_owned(),
        );
    }
    let lead = input.planned_start.signed_duration_since(input.as_of);
    let band = matching_band(&weights.lead_time, lead)?;
    let reason = if lead < TimeDelta::zero() {
        format!(
            "planned start {} h before the assessment time (under {} h)",
            lead.num_hours().unsigned_abs(),
            band.under_hours
        )
    } else {
        format!(
            "lead time {} h (under {} h)",
            lead.num_hours(),
            band.under_hours
        )
    };
    contribution(Factor::LeadTime, band.points, reason)
}

/// `failed × max_points / max(total, min_sample)`, rounded down.
///
/// Integer-only, so it is deterministic. It rises with each extra failure,
/// and also when a failed change is added to the history (`(f+1)/(t+1) ≥ f/t`
/// because `f ≤ t`), so it is monotone under both readings of "more failures".
fn failure_rate(weights: &Weights, history: FailureHistory) -> Option<FactorContribution> {
    if history.failed() == 0 {
        return None;
    }
    let fw = weights.failure_rate;
    let denominator = history.total().max(fw.min_sample).max(1);
    let points = u64::from(history.failed()) * u64::from(fw.max_points) / u64::from(denominator);
    let points = u32::try_from(points).unwrap_or(fw.max_points);
    let mut reason = format!(
        "{} of {} recent changes on these CIs failed",
        history.failed(),
        history.total()
    );
    if history.total() < fw.min_sample {
        reason.push_str(&format!(" (small sample counted as {})", fw.min_sample));
    }
    contribution(Factor::FailureRate, points, reason)
}
