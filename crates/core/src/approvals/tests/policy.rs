//! `ApprovalPolicy::check` and the JSON shape.

use serde_json::json;

use super::*;

fn policy(stages: Vec<StageDef>) -> ApprovalPolicy {
    ApprovalPolicy { stages }
}

fn any_of_manager(name: &str) -> StageDef {
    stage(
        name,
        vec![ApproverRule::RequesterManager],
        DecisionRule::Any,
    )
}

#[test]
fn good_policies() {
    policy(vec![]).check().unwrap();
    policy(
        (0..MAX_STAGES)
            .map(|i| any_of_manager(&format!("s{i}")))
            .collect(),
    )
    .check()
    .unwrap();
    let mut edge = stage(
        "Edge",
        vec![ApproverRule::Users(vec![u(1), u(2)])],
        DecisionRule::AtLeast(2),
    );
    edge.due_hours = MAX_DUE_HOURS;
    edge.reminder_percent = 0;
    policy(vec![edge]).check().unwrap();
}

#[test]
fn every_bad_part_is_named() {
    let mut stages = vec![
        any_of_manager("Manager"),
        any_of_manager(" manager "),
        stage("", vec![], DecisionRule::AtLeast(0)),
        stage("P", vec![ApproverRule::ItemOwner], DecisionRule::Percent(0)),
        stage(
            "Q",
            vec![ApproverRule::ItemOwner],
            DecisionRule::Percent(101),
        ),
        stage(
            "U",
            vec![
                ApproverRule::Users(vec![]),
                ApproverRule::Users(vec![u(1), u(1)]),
            ],
            DecisionRule::Any,
        ),
        stage(
            "N",
            vec![
                ApproverRule::Users(vec![u(1)]),
                ApproverRule::Users(vec![u(1), u(2)]),
            ],
            DecisionRule::AtLeast(3),
        ),
        stage(
            "D",
            vec![ApproverRule::ItemOwner, ApproverRule::ItemOwner],
            DecisionRule::Any,
        ),
    ];
    stages[0].due_hours = 0;
    stages[3].due_hours = MAX_DUE_HOURS + 1;
    stages[4].reminder_percent = 100;
    let errors = policy(stages).check().unwrap_err();
    let at = |i: usize, part: &str| format!("approval_policy.stages[{i}].{part}");
    assert_eq!(code_of(&errors, &at(0, "due_hours")), "out_of_range");
    assert_eq!(
        code_of(&errors, &at(1, "name")),
        "duplicate",
        "case-insensitive, trimmed"
    );
    assert_eq!(code_of(&errors, &at(2, "name")), "required");
    assert_eq!(code_of(&errors, &at(2, "approvers")), "out_of_range");
    assert_eq!(code_of(&errors, &at(2, "decision")), "out_of_range");
    assert_eq!(code_of(&errors, &at(3, "decision")), "out_of_range");
    assert_eq!(code_of(&errors, &at(3, "due_hours")), "out_of_range");
    assert_eq!(code_of(&errors, &at(4, "decision")), "out_of_range");
    assert_eq!(code_of(&errors, &at(4, "reminder_percent")), "out_of_range");
    assert_eq!(
        code_of(&errors, &at(5, "approvers[0].users")),
        "out_of_range"
    );
    assert_eq!(
        code_of(&errors, &at(5, "approvers[1].users[1]")),
        "duplicate"
    );
    assert_eq!(
        code_of(&errors, &at(6, "decision")),
        "unreachable",
        "3 of 2 named users"
    );
    assert_eq!(code_of(&errors, &at(7, "approvers[1]")), "duplicate");
    assert_eq!(errors.len(), 13, "{errors:?}");

    let too_many = policy(
        (0..=MAX_STAGES)
            .map(|i| any_of_manager(&format!("s{i}")))
            .collect(),
    );
    assert_eq!(
        code_of(&too_many.check().unwrap_err(), "approval_policy.stages"),
        "too_many"
    );
}

#[test]
fn json_shape() {
    let raw = json!({"stages": [
        {"name": "Manager", "approvers": ["requester_manager"], "decision": "any",
         "due_hours": 8, "on_timeout": "escalate_to_manager"},
        {"name": "IT budget", "approvers": [{"team": uuid::Uuid::from_u128(90)}, "item_owner",
         {"users": [uuid::Uuid::from_u128(7)]}],
         "decision": {"at_least": 2}, "due_hours": 16, "reminder_percent": 75, "on_timeout": "reject"},
        {"name": "Board", "approvers": ["item_owner"], "decision": {"percent": 60},
         "due_hours": 40, "on_timeout": "reject"}
    ]});
    let p: ApprovalPolicy = serde_json::from_value(raw.clone()).unwrap();
    p.check().unwrap();
    assert_eq!(p.stages[0].reminder_percent, 50, "default reminder");
    assert_eq!(p.stages[1].decision, DecisionRule::AtLeast(2));
    assert_eq!(p.stages[1].approvers[0], ApproverRule::Team(team(90)));
    assert_eq!(p.stages[2].decision, DecisionRule::Percent(60));
    let back: ApprovalPolicy = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(back, p);
}
