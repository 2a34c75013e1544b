//! The worked examples of docs/risk.md, asserted exactly, and a check that the
//! doc's tables are what the code produces.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers build known-valid fixtures"
)]

mod common;

use common::{assessment_table, at, weights_table};
use servicedesk_risk::{
    ApprovalRoute, Assessment, ChangeType, ClassThresholds, Criticality, Factor, FailureHistory,
    Level, RiskClass, RiskInput, Weights, assess,
};

const DOC: &str = include_str!("../../../docs/risk.md");

/// Example 1: monthly OS patch, from the standard catalogue.
fn standard_patch() -> RiskInput {
    RiskInput {
        change_type: ChangeType::Standard,
        impact: Level::Medium,
        urgency: Level::Low,
        affected_cis: vec![Criticality::Medium, Criticality::Medium],
        dependent_services: vec![Criticality::Low],
        in_blackout: false,
        outside_maintenance: false,
        has_backout_plan: true,
        has_test_evidence: true,
        as_of: at("2026-03-02T09:00:00Z"),
        planned_start: at("2026-03-07T22:00:00Z"),
        recent_changes: FailureHistory::new(0, 12).unwrap(),
    }
}

/// Example 2: load-balancer rule change without test evidence.
fn normal_lb_rule() -> RiskInput {
    RiskInput {
        change_type: ChangeType::Normal,
        impact: Level::Medium,
        urgency: Level::Medium,
        affected_cis: vec![Criticality::Low, Criticality::High, Criticality::Low],
        dependent_services: vec![Criticality::Medium, Criticality::Medium],
        in_blackout: false,
        outside_maintenance: false,
        has_backout_plan: true,
        has_test_evidence: false,
        as_of: at("2026-05-04T08:00:00Z"),
        planned_start: at("2026-05-05T14:00:00Z"),
        recent_changes: FailureHistory::new(0, 3).unwrap(),
    }
}

/// Example 3: core database upgrade in the year-end freeze, no backout plan.
fn normal_db_in_freeze() -> RiskInput {
    RiskInput {
        change_type: ChangeType::Normal,
        impact: Level::High,
        urgency: Level::Medium,
        affected_cis: vec![Criticality::Critical, Criticality::Medium],
        dependent_services: vec![Criticality::Critical, Criticality::High, Criticality::High],
        in_blackout: true,
        outside_maintenance: false,
        has_backout_plan: false,
        has_test_evidence: true,
        as_of: at("2026-12-14T10:00:00Z"),
        planned_start: at("2026-12-16T09:00:00Z"),
        recent_changes: FailureHistory::new(1, 4).unwrap(),
    }
}

/// Example 4: emergency firewall fix at night.
fn emergency_firewall() -> RiskInput {
    RiskInput {
        change_type: ChangeType::Emergency,
        impact: Level::High,
        urgency: Level::High,
        affected_cis: vec![Criticality::High],
        dependent_services: vec![Criticality::Critical],
        in_blackout: false,
        outside_maintenance: true,
        has_backout_plan: true,
        has_test_evidence: false,
        as_of: at("2026-07-09T03:10:00Z"),
        planned_start: at("2026-07-09T03:40:00Z"),
        recent_changes: FailureHistory::new(2, 6).unwrap(),
    }
}

/// Example 5: a standard change that lands in a blackout.
fn standard_in_blackout() -> RiskInput {
    RiskInput {
        change_type: ChangeType::Standard,
        impact: Level::Low,
        urgency: Level::Low,
        affected_cis: vec![Criticality::Low],
        dependent_services: vec![],
        in_blackout: true,
        outside_maintenance: false,
        has_backout_plan: true,
        has_test_evidence: true,
        as_of: at("2026-12-01T09:00:00Z"),
        planned_start: at("2026-12-12T22:00:00Z"),
        recent_changes: FailureHistory::NONE,
    }
}

/// Example 6: everything wrong at once; the raw sum passes 100.
fn everything_wrong() -> RiskInput {
    RiskInput {
        change_type: ChangeType::Normal,
        impact: Level::High,
        urgency: Level::High,
        affected_cis: vec![Criticality::Critical; 4],
        dependent_services: vec![Criticality::Critical; 3],
        in_blackout: true,
        outside_maintenance: true,
        has_backout_plan: false,
        has_test_evidence: false,
        as_of: at("2026-06-01T09:00:00Z"),
        planned_start: at("2026-06-01T14:00:00Z"),
        recent_changes: FailureHistory::new(4, 5).unwrap(),
    }
}

fn points(a: &Assessment) -> Vec<(Factor, u32)> {
    a.factors.iter().map(|f| (f.factor, f.points)).collect()
}

fn check(
    input: &RiskInput,
    score: u8,
    raw: u32,
    class: RiskClass,
    route: ApprovalRoute,
    factors: &[(Factor, u32)],
) -> Assessment {
    let a = assess(input);
    assert_eq!(points(&a), factors);
    assert_eq!(a.raw_score, raw);
    assert_eq!(a.score, score);
    assert_eq!(a.class, class);
    assert_eq!(a.route, route);
    let table = assessment_table(&a);
    assert!(
        DOC.contains(&table),
        "docs/risk.md lacks this table:\n{table}"
    );
    a
}

#[test]
fn example_1_standard_patch() {
    let a = check(
        &standard_patch(),
        13,
        13,
        RiskClass::Low,
        ApprovalRoute::PreApproved,
        &[
            (Factor::Impact, 5),
            (Factor::AffectedCis, 4),
            (Factor::DependentServices, 1),
            (Factor::LeadTime, 3),
        ],
    );
    assert_eq!(a.factors[1].explanation, "2 affected CIs (2 medium): +4");
    assert_eq!(
        a.factors[3].explanation,
        "lead time 133 h (under 168 h): +3"
    );
}

#[test]
fn example_2_normal_medium() {
    check(
        &normal_lb_rule(),
        37,
        37,
        RiskClass::Medium,
        ApprovalRoute::ChangeManager,
        &[
            (Factor::ChangeType, 5),
            (Factor::Impact, 5),
            (Factor::Urgency, 3),
            (Factor::AffectedCis, 6),
            (Factor::DependentServices, 4),
            (Factor::MissingTestEvidence, 8),
            (Factor::LeadTime, 6),
        ],
    );
}

#[test]
fn example_3_normal_critical_ci_in_blackout() {
    let a = check(
        &normal_db_in_freeze(),
        83,
        83,
        RiskClass::VeryHigh,
        ApprovalRoute::Cab,
        &[
            (Factor::ChangeType, 5),
            (Factor::Impact, 10),
            (Factor::Urgency, 3),
            (Factor::AffectedCis, 10),
            (Factor::DependentServices, 14),
            (Factor::Blackout, 20),
            (Factor::MissingBackoutPlan, 12),
            (Factor::LeadTime, 6),
            (Factor::FailureRate, 3),
        ],
    );
    assert_eq!(
        a.factors[3].explanation,
        "2 affected CIs (1 critical, 1 medium): +10"
    );
    assert_eq!(
        a.factors[8].explanation,
        "1 of 4 recent changes on these CIs failed (small sample counted as 5): +3"
    );
}

#[test]
fn example_4_emergency() {
    let a = check(
        &emergency_firewall(),
        72,
        72,
        RiskClass::High,
        ApprovalRoute::EmergencyCab,
        &[
            (Factor::ChangeType, 15),
            (Factor::Impact, 10),
            (Factor::Urgency, 6),
            (Factor::AffectedCis, 4),
            (Factor::DependentServices, 6),
            (Factor::OutsideMaintenance, 8),
            (Factor::MissingTestEvidence, 8),
            (Factor::LeadTime, 10),
            (Factor::FailureRate, 5),
        ],
    );
    assert_eq!(a.route_reason, "emergency change: emergency CAB");
}

#[test]
fn example_5_standard_in_blackout_goes_to_cab() {
    let a = check(
        &standard_in_blackout(),
        21,
        21,
        RiskClass::Low,
        ApprovalRoute::Cab,
        &[(Factor::AffectedCis, 1), (Factor::Blackout, 20)],
    );
    assert_eq!(
        a.route_reason,
        "standard change inside a blackout: no longer pre-approved, CAB"
    );
}

#[test]
fn example_6_raw_sum_above_100_is_capped() {
    let a = check(
        &everything_wrong(),
        100,
        126,
        RiskClass::VeryHigh,
        ApprovalRoute::Cab,
        &[
            (Factor::ChangeType, 5),
            (Factor::Impact, 10),
            (Factor::Urgency, 6),
            (Factor::AffectedCis, 20),
            (Factor::DependentServices, 15),
            (Factor::Blackout, 20),
            (Factor::OutsideMaintenance, 8),
            (Factor::MissingBackoutPlan, 12),
            (Factor::MissingTestEvidence, 8),
            (Factor::LeadTime, 10),
            (Factor::FailureRate, 12),
        ],
    );
    assert_eq!(
        a.factors[3].explanation,
        "4 affected CIs (4 critical), 32 points capped at 20: +20"
    );
}

#[test]
fn doc_weight_table_matches_default_weights() {
    let table = weights_table(&Weights::default());
    assert!(
        DOC.contains(&table),
        "docs/risk.md lacks this weight table:\n{table}"
    );
}

#[test]
fn doc_thresholds_match_default_weights() {
    assert_eq!(
        Weights::default().thresholds,
        ClassThresholds {
            medium: 25,
            high: 50,
            very_high: 75,
        }
    );
    for row in [
        "| `low` | 0–24 |",
        "| `medium` | 25–49 |",
        "| `high` | 50–74 |",
        "| `very_high` | 75–100 |",
    ] {
        assert!(DOC.contains(row), "docs/risk.md lacks {row}");
    }
}

/// Prints every table the doc must contain: `cargo test -p servicedesk-risk
/// --test examples print_doc_tables -- --ignored --nocapture`.
#[test]
#[ignore = "helper for editing docs/risk.md"]
fn print_doc_tables() {
    println!("{}", weights_table(&Weights::default()));
    for input in [
        standard_patch(),
        normal_lb_rule(),
        normal_db_in_freeze(),
        emergency_firewall(),
        standard_in_blackout(),
        everything_wrong(),
    ] {
        println!("{}", assessment_table(&assess(&input)));
    }
}
