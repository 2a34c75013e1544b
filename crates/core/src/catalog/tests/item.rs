//! Audiences, task templates and the item input.

use super::*;
use crate::approvals::{ApprovalPolicy, ApproverRule, DecisionRule, StageDef, TimeoutAction};
use crate::ids::TeamId;

fn team(n: u128) -> TeamId {
    TeamId(uuid::Uuid::from_u128(n))
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn audience_admits() {
    let (t1, t2, t3) = (team(1), team(2), team(3));
    let cases: [(Audience, &[TeamId], Vec<String>, bool); 9] = [
        (Audience::Everyone, &[], roles(&[]), true),
        (Audience::teams(vec![t1, t2]), &[t2], roles(&[]), true),
        (
            Audience::teams(vec![t1, t2]),
            &[t3],
            roles(&["admin"]),
            false,
        ),
        (Audience::teams(vec![t1]), &[], roles(&[]), false),
        (
            Audience::roles(["agent"]),
            &[],
            roles(&["requester", "agent"]),
            true,
        ),
        (
            Audience::roles(["agent"]),
            &[t1],
            roles(&["requester"]),
            false,
        ),
        (
            Audience::Restricted {
                teams: vec![t1],
                roles: roles(&["manager"]),
            },
            &[t1],
            roles(&[]),
            true,
        ),
        (
            Audience::Restricted {
                teams: vec![t1],
                roles: roles(&["manager"]),
            },
            &[],
            roles(&["manager"]),
            true,
        ),
        (
            Audience::Restricted {
                teams: vec![t1],
                roles: roles(&["manager"]),
            },
            &[t2],
            roles(&["agent"]),
            false,
        ),
    ];
    for (i, (audience, teams, user_roles, expected)) in cases.iter().enumerate() {
        assert_eq!(audience.admits(teams, user_roles), *expected, "case {i}");
    }
}

#[test]
fn audience_check() {
    Audience::Everyone.check().unwrap();
    Audience::roles(["it-budget", "agent"]).check().unwrap();
    let empty = Audience::Restricted {
        teams: vec![],
        roles: vec![],
    }
    .check()
    .unwrap_err();
    assert_eq!(code_of(&empty, "audience"), "required");
    let bad = Audience::Restricted {
        teams: vec![team(1), team(1)],
        roles: roles(&["Agent", "agent", "agent"]),
    }
    .check()
    .unwrap_err();
    assert_eq!(code_of(&bad, "audience.teams[1]"), "duplicate");
    assert_eq!(code_of(&bad, "audience.roles[0]"), "invalid");
    assert_eq!(code_of(&bad, "audience.roles[2]"), "duplicate");
    assert_eq!(bad.len(), 3);
    let json = serde_json::to_value(Audience::teams(vec![team(1)])).unwrap();
    assert_eq!(json["type"], "restricted");
    let parsed: Audience = serde_json::from_value(json!({"type": "everyone"})).unwrap();
    assert_eq!(parsed, Audience::Everyone);
}

fn template(mode: TaskMode, n: usize) -> TaskTemplate {
    TaskTemplate {
        mode,
        tasks: (0..n)
            .map(|i| TaskTemplateEntry::new(&format!("Task {i}")))
            .collect(),
    }
}

#[test]
fn ordered_tasks_open_one_at_a_time() {
    let t = template(TaskMode::Ordered, 3);
    assert_eq!(t.initially_open(), vec![0]);
    assert_eq!(t.next_after(&[true]), vec![1]);
    assert_eq!(t.next_after(&[true, true, false]), vec![2]);
    assert_eq!(
        t.next_after(&[false, true, false]),
        vec![0],
        "first not done"
    );
    assert_eq!(t.next_after(&[true, true, true]), Vec::<usize>::new());
}

#[test]
fn parallel_tasks_open_together() {
    let t = template(TaskMode::Parallel, 3);
    assert_eq!(t.initially_open(), vec![0, 1, 2]);
    assert_eq!(t.next_after(&[true, false, true]), vec![1]);
    assert_eq!(t.next_after(&[false, true]), vec![0, 2]);
    assert_eq!(t.next_after(&[true; 3]), Vec::<usize>::new());
}

#[test]
fn template_check() {
    template(TaskMode::Ordered, 1).check().unwrap();
    template(TaskMode::Parallel, MAX_TASKS).check().unwrap();
    for n in [0, MAX_TASKS + 1] {
        let errors = template(TaskMode::Parallel, n).check().unwrap_err();
        assert_eq!(code_of(&errors, "task_template.tasks"), "out_of_range");
    }
    let mut t = template(TaskMode::Ordered, 3);
    t.tasks[0].title = " ".into();
    t.tasks[2].title = "x".repeat(201);
    let errors = t.check().unwrap_err();
    assert_eq!(code_of(&errors, "task_template.tasks[0].title"), "required");
    assert_eq!(code_of(&errors, "task_template.tasks[2].title"), "too_long");
    assert_eq!(errors.len(), 2);
}

fn input() -> CatalogItemInput {
    serde_json::from_value(json!({
        "category_id": uuid::Uuid::from_u128(1),
        "name": "New laptop",
        "owner_id": uuid::Uuid::from_u128(2),
    }))
    .unwrap()
}

#[test]
fn item_input_defaults() {
    let i = input();
    i.check().unwrap();
    assert!(i.active);
    assert_eq!(i.audience, Audience::Everyone);
    assert!(i.form.fields.is_empty() && i.approval_policy.is_empty() && i.task_template.is_none());
    assert!(
        serde_json::from_value::<CatalogItemInput>(json!({
            "category_id": uuid::Uuid::from_u128(1), "name": "x",
            "owner_id": uuid::Uuid::from_u128(2), "colour": "red"
        }))
        .is_err(),
        "unknown keys refused"
    );
}

#[test]
fn item_input_reports_every_part() {
    let mut i = input();
    i.name = String::new();
    i.description = "a\u{0}".into();
    i.form = FormDefinition::new(vec![FieldDef::new("Bad", "B", text(5))]);
    i.audience = Audience::Restricted {
        teams: vec![],
        roles: vec![],
    };
    i.task_template = Some(template(TaskMode::Ordered, 0));
    i.approval_policy = ApprovalPolicy {
        stages: vec![StageDef {
            name: "Manager".into(),
            approvers: vec![ApproverRule::RequesterManager],
            decision: DecisionRule::Any,
            due_hours: 0,
            reminder_percent: 50,
            on_timeout: TimeoutAction::Reject,
        }],
    };
    let errors = i.check().unwrap_err();
    assert_eq!(
        fields(&errors),
        [
            "name",
            "description",
            "form.fields[0].key",
            "audience",
            "task_template.tasks",
            "approval_policy.stages[0].due_hours",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    );
}
