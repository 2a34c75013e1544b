//! Helpers shared by the integration tests.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use servicedesk_risk::{
    ApprovalRoute, Assessment, ChangeType, Factor, FailureHistory, Level, RiskClass, RiskInput,
    Weights,
};

/// Parses an RFC 3339 UTC time.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A normal, low/low change touching nothing, well planned, two weeks out.
pub fn quiet_input() -> RiskInput {
    RiskInput {
        change_type: ChangeType::Normal,
        impact: Level::Low,
        urgency: Level::Low,
        affected_cis: vec![],
        dependent_services: vec![],
        in_blackout: false,
        outside_maintenance: false,
        has_backout_plan: true,
        has_test_evidence: true,
        as_of: at("2026-01-05T09:00:00Z"),
        planned_start: at("2026-01-19T09:00:00Z"),
        recent_changes: FailureHistory::NONE,
    }
}

pub fn factor_key(factor: Factor) -> &'static str {
    match factor {
        Factor::ChangeType => "change_type",
        Factor::Impact => "impact",
        Factor::Urgency => "urgency",
        Factor::AffectedCis => "affected_cis",
        Factor::DependentServices => "dependent_services",
        Factor::Blackout => "blackout",
        Factor::OutsideMaintenance => "outside_maintenance",
        Factor::MissingBackoutPlan => "missing_backout_plan",
        Factor::MissingTestEvidence => "missing_test_evidence",
        Factor::LeadTime => "lead_time",
        Factor::FailureRate => "failure_rate",
    }
}

pub fn class_key(class: RiskClass) -> &'static str {
    match class {
        RiskClass::Low => "low",
        RiskClass::Medium => "medium",
        RiskClass::High => "high",
        RiskClass::VeryHigh => "very_high",
    }
}

pub fn route_key(route: ApprovalRoute) -> &'static str {
    match route {
        ApprovalRoute::PreApproved => "pre_approved",
        ApprovalRoute::Peer => "peer",
        ApprovalRoute::ChangeManager => "change_manager",
        ApprovalRoute::Cab => "cab",
        ApprovalRoute::EmergencyCab => "emergency_cab",
    }
}

/// The markdown table docs/risk.md shows for an assessment.
pub fn assessment_table(a: &Assessment) -> String {
    let mut out = String::from("| factor | points | explanation |\n|---|---:|---|\n");
    for f in &a.factors {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            factor_key(f.factor),
            f.points,
            f.explanation
        ));
    }
    out.push_str(&format!("| **raw total** | **{}** | |\n", a.raw_score));
    out.push_str(&format!(
        "\nScore **{}**, class `{}`, route `{}` ({}).\n",
        a.score,
        class_key(a.class),
        route_key(a.route),
        a.route_reason
    ));
    out
}

/// The markdown weight table docs/risk.md shows for a set of weights.
pub fn weights_table(w: &Weights) -> String {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut row = |f: &str, c: &str, p: String| rows.push((f.to_owned(), c.to_owned(), p));
    row(
        "`change_type`",
        "standard",
        w.change_type.standard.to_string(),
    );
    row("`change_type`", "normal", w.change_type.normal.to_string());
    row(
        "`change_type`",
        "emergency",
        w.change_type.emergency.to_string(),
    );
    for (key, lw) in [("`impact`", &w.impact), ("`urgency`", &w.urgency)] {
        row(key, "low", lw.low.to_string());
        row(key, "medium", lw.medium.to_string());
        row(key, "high", lw.high.to_string());
    }
    for (key, what, cw) in [
        ("`affected_cis`", "CI", &w.affected_cis),
        ("`dependent_services`", "service", &w.dependent_services),
    ] {
        row(key, &format!("per low {what}"), cw.low.to_string());
        row(key, &format!("per medium {what}"), cw.medium.to_string());
        row(key, &format!("per high {what}"), cw.high.to_string());
        row(
            key,
            &format!("per critical {what}"),
            cw.critical.to_string(),
        );
        row(key, "cap on the sum", cw.cap.to_string());
    }
    row(
        "`blackout`",
        "window inside a blackout",
        w.blackout.to_string(),
    );
    row(
        "`outside_maintenance`",
        "window partly outside maintenance hours",
        w.outside_maintenance.to_string(),
    );
    row(
        "`missing_backout_plan`",
        "no backout plan",
        w.missing_backout_plan.to_string(),
    );
    row(
        "`missing_test_evidence`",
        "no test evidence",
        w.missing_test_evidence.to_string(),
    );
    for band in &w.lead_time {
        row(
            "`lead_time`",
            &format!("lead time under {} h", band.under_hours),
            band.points.to_string(),
        );
    }
    row(
        "`failure_rate`",
        &format!(
            "failed × {} / max(total, {}), rounded down",
            w.failure_rate.max_points, w.failure_rate.min_sample
        ),
        format!("0–{}", w.failure_rate.max_points),
    );
    let mut out = String::from("| factor | condition | points |\n|---|---|---:|\n");
    for (f, c, p) in rows {
        out.push_str(&format!("| {f} | {c} | {p} |\n"));
    }
    out
}
