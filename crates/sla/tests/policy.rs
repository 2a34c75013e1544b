//! Policy matching and selection.

mod common;

use common::*;
use servicedesk_sla::{PolicyConditions, SlaPolicy, TicketFacts, select_policy};

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn policy(id: &str, rank: i32, conditions: PolicyConditions) -> SlaPolicy {
    SlaPolicy {
        id: id.to_owned(),
        name: format!("policy {id}"),
        rank,
        conditions,
        first_response: hours(1),
        resolution: hours(8),
        warn_percent: 75,
        pause_statuses: strings(&["on_hold", "pending"]),
        escalations: Vec::new(),
    }
}

fn when(types: &[&str], priorities: &[&str]) -> PolicyConditions {
    PolicyConditions {
        ticket_types: strings(types),
        priorities: strings(priorities),
        ..Default::default()
    }
}

const P1_INCIDENT: TicketFacts<'static> = TicketFacts {
    ticket_type: "incident",
    priority: "p1",
    category: Some("network"),
    requester_org: Some("acme"),
};

#[test]
fn empty_conditions_match_everything() {
    let any = policy("any", 0, PolicyConditions::default());
    assert!(any.matches(&P1_INCIDENT));
    assert!(any.matches(&TicketFacts {
        ticket_type: "request",
        priority: "p4",
        category: None,
        requester_org: None
    }));
}

#[test]
fn every_non_empty_condition_must_hold() {
    let p = policy("p", 0, when(&["incident"], &["p1", "p2"]));
    assert!(p.matches(&P1_INCIDENT));
    assert!(p.matches(&TicketFacts {
        priority: "p2",
        ..P1_INCIDENT
    }));
    assert!(!p.matches(&TicketFacts {
        priority: "p3",
        ..P1_INCIDENT
    }));
    assert!(!p.matches(&TicketFacts {
        ticket_type: "request",
        ..P1_INCIDENT
    }));

    let by_org = policy(
        "org",
        0,
        PolicyConditions {
            requester_orgs: strings(&["acme"]),
            categories: strings(&["network"]),
            ..Default::default()
        },
    );
    assert!(by_org.matches(&P1_INCIDENT));
    // A ticket without the fact does not satisfy a condition on it.
    assert!(!by_org.matches(&TicketFacts {
        requester_org: None,
        ..P1_INCIDENT
    }));
    assert!(!by_org.matches(&TicketFacts {
        category: None,
        ..P1_INCIDENT
    }));
}

#[test]
fn lowest_rank_wins() {
    let policies = [
        policy("specific", 20, when(&["incident"], &["p1"])),
        policy("general", 10, PolicyConditions::default()),
    ];
    assert_eq!(
        select_policy(&policies, &P1_INCIDENT).map(|p| p.id.as_str()),
        Some("general")
    );
}

#[test]
fn equal_rank_goes_to_the_more_specific_policy_then_the_smaller_id() {
    let mut policies = vec![
        policy("b-general", 10, when(&["incident"], &[])),
        policy("z-specific", 10, when(&["incident"], &["p1"])),
        policy("a-specific", 10, when(&["incident"], &["p1"])),
    ];
    assert_eq!(
        select_policy(&policies, &P1_INCIDENT).map(|p| p.id.as_str()),
        Some("a-specific")
    );
    policies.reverse();
    assert_eq!(
        select_policy(&policies, &P1_INCIDENT).map(|p| p.id.as_str()),
        Some("a-specific")
    );
    // For a p3 only the general one matches.
    let p3 = TicketFacts {
        priority: "p3",
        ..P1_INCIDENT
    };
    assert_eq!(
        select_policy(&policies, &p3).map(|p| p.id.as_str()),
        Some("b-general")
    );
}

#[test]
fn no_match_gives_none() {
    let policies = [policy("incidents", 0, when(&["incident"], &[]))];
    let request = TicketFacts {
        ticket_type: "request",
        ..P1_INCIDENT
    };
    assert_eq!(select_policy(&policies, &request), None);
    assert_eq!(select_policy(&[], &P1_INCIDENT), None);
}

#[test]
fn pause_statuses() {
    let p = policy("p", 0, PolicyConditions::default());
    assert!(p.pauses_in("on_hold"));
    assert!(p.pauses_in("pending"));
    assert!(!p.pauses_in("in_progress"));
}

#[test]
fn policy_starts_its_clocks() {
    let p = policy("p", 0, PolicyConditions::default());
    let at = utc("2026-05-04T08:00:00Z");
    assert_eq!(p.first_response_clock(at).target, hours(1));
    assert_eq!(p.resolution_clock(at).target, hours(8));
    assert_eq!(p.resolution_clock(at).warn_percent, 75);
}

#[test]
fn conditions_deserialize_with_missing_lists_as_any() {
    let conditions: PolicyConditions = serde_json::from_str(r#"{"priorities": ["p1"]}"#).unwrap();
    assert_eq!(conditions, when(&[], &["p1"]));
    assert_eq!(conditions.specificity(), 1);
    let p = policy("p", 3, conditions);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["first_response"], 3_600_000);
    assert_eq!(serde_json::from_value::<SlaPolicy>(json).unwrap(), p);
}
