//! Resolving approvers at submission.

use super::*;

const REQUESTER: u128 = 1;
const MANAGER: u128 = 2;
const GRAND_MANAGER: u128 = 3;
const OWNER: u128 = 4;
const REPORT: u128 = 5;
const BUDGET: u128 = 90;

/// The issue's org: the requester's manager, an IT-budget team of three, an owner.
fn directory() -> Directory {
    let mut d = Directory::default();
    d.managers.insert(u(REQUESTER), u(MANAGER));
    d.managers.insert(u(REPORT), u(MANAGER));
    d.managers.insert(u(MANAGER), u(GRAND_MANAGER));
    d.managers.insert(u(10), u(20));
    d.managers.insert(u(11), u(20));
    d.managers.insert(u(12), u(MANAGER));
    d.teams.insert(team(BUDGET), vec![u(10), u(11), u(12)]);
    d
}

fn ctx(d: &Directory) -> ResolutionContext<'_> {
    ResolutionContext {
        requester: u(REQUESTER),
        requested_for: u(REQUESTER),
        item_owner: u(OWNER),
        directory: d,
    }
}

fn laptop_policy() -> ApprovalPolicy {
    ApprovalPolicy {
        stages: vec![
            stage(
                "Manager",
                vec![ApproverRule::RequesterManager],
                DecisionRule::Any,
            ),
            stage(
                "IT budget",
                vec![ApproverRule::Team(team(BUDGET))],
                DecisionRule::AtLeast(2),
            ),
        ],
    }
}

#[test]
fn the_issue_example_resolves() {
    let d = directory();
    let policy = laptop_policy();
    policy.check().unwrap();
    let stages = resolve_stages(&policy, &ctx(&d)).unwrap();
    assert_eq!(
        stages,
        vec![
            ResolvedStage {
                index: 0,
                name: "Manager".into(),
                approvers: vec![u(MANAGER)],
                required: 1
            },
            ResolvedStage {
                index: 1,
                name: "IT budget".into(),
                approvers: vec![u(10), u(11), u(12)],
                required: 2,
            },
        ]
    );
    assert!(
        resolve_stages(&ApprovalPolicy::default(), &ctx(&d))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn leaving_the_requester_out_can_make_a_stage_unreachable() {
    let mut d = directory();
    d.teams.insert(team(BUDGET), vec![u(10), u(REQUESTER)]);
    let errors = resolve_stages(&laptop_policy(), &ctx(&d)).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(code_of(&errors, "approval_policy.stages[1]"), "unreachable");
    assert!(
        errors[0].message.contains("\"IT budget\""),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0].message.contains("own request"),
        "{}",
        errors[0].message
    );

    // The owner requesting their own item: the owner stage has nobody left.
    let owner_only = ApprovalPolicy {
        stages: vec![stage(
            "Owner",
            vec![ApproverRule::ItemOwner],
            DecisionRule::Any,
        )],
    };
    let by_owner = ResolutionContext {
        requester: u(OWNER),
        requested_for: u(OWNER),
        ..ctx(&d)
    };
    let errors = resolve_stages(&owner_only, &by_owner).unwrap_err();
    assert_eq!(code_of(&errors, "approval_policy.stages[0]"), "unreachable");
}

#[test]
fn every_unreachable_stage_is_reported() {
    let d = Directory::default();
    let errors = resolve_stages(&laptop_policy(), &ctx(&d)).unwrap_err();
    assert_eq!(
        code_of(&errors, "approval_policy.stages[0]"),
        "unreachable",
        "no manager"
    );
    assert_eq!(
        code_of(&errors, "approval_policy.stages[1]"),
        "unreachable",
        "empty team"
    );
}

#[test]
fn the_person_it_is_for_is_left_out_too() {
    let d = directory();
    let policy = ApprovalPolicy {
        stages: vec![stage(
            "Peers",
            vec![ApproverRule::Users(vec![u(REPORT), u(10), u(REQUESTER)])],
            DecisionRule::All,
        )],
    };
    let for_report = ResolutionContext {
        requested_for: u(REPORT),
        ..ctx(&d)
    };
    let stages = resolve_stages(&policy, &for_report).unwrap();
    assert_eq!(stages[0].approvers, vec![u(10)]);
    assert_eq!(stages[0].required, 1, "all of the one left");
}

#[test]
fn manager_rule_follows_the_person_it_is_for() {
    let d = directory();
    let policy = ApprovalPolicy {
        stages: vec![stage(
            "Manager",
            vec![ApproverRule::RequesterManager],
            DecisionRule::Any,
        )],
    };
    // An agent (10) places it for REPORT: REPORT's manager approves, not the agent's (20).
    let by_agent = ResolutionContext {
        requester: u(10),
        requested_for: u(REPORT),
        ..ctx(&d)
    };
    assert_eq!(
        resolve_stages(&policy, &by_agent).unwrap()[0].approvers,
        vec![u(MANAGER)]
    );
    // The manager places it for their report: they cannot approve, their manager does.
    let by_manager = ResolutionContext {
        requester: u(MANAGER),
        requested_for: u(REPORT),
        ..ctx(&d)
    };
    assert_eq!(
        resolve_stages(&policy, &by_manager).unwrap()[0].approvers,
        vec![u(GRAND_MANAGER)]
    );
}

#[test]
fn union_is_deduplicated_in_rule_order_without_inactive_users() {
    let mut d = directory();
    d.inactive.insert(u(11));
    let policy = ApprovalPolicy {
        stages: vec![stage(
            "Mixed",
            vec![
                ApproverRule::ItemOwner,
                ApproverRule::Users(vec![u(12), u(OWNER)]),
                ApproverRule::Team(team(BUDGET)),
                ApproverRule::RequesterManager,
            ],
            DecisionRule::Percent(50),
        )],
    };
    let stages = resolve_stages(&policy, &ctx(&d)).unwrap();
    assert_eq!(
        stages[0].approvers,
        vec![u(OWNER), u(12), u(10), u(MANAGER)]
    );
    assert_eq!(stages[0].required, 2);

    d.inactive.insert(u(OWNER));
    let owner_only = ApprovalPolicy {
        stages: vec![stage(
            "Owner",
            vec![ApproverRule::ItemOwner],
            DecisionRule::Any,
        )],
    };
    let errors = resolve_stages(&owner_only, &ctx(&d)).unwrap_err();
    assert!(
        errors[0].message.contains("inactive"),
        "{}",
        errors[0].message
    );
}

#[test]
fn escalation_adds_managers_of_undecided_approvers() {
    let mut d = directory();
    let budget = &resolve_stages(&laptop_policy(), &ctx(&d)).unwrap()[1];
    // 10 decided; 11 → 20, 12 → MANAGER.
    assert_eq!(
        escalation_approvers(budget, &[u(10)], &ctx(&d)),
        vec![u(20), u(MANAGER)]
    );
    // 11 and 12 both report to 20 (added once); an approver's manager who is already an
    // approver is not added again.
    d.managers.insert(u(12), u(20));
    d.managers.insert(u(11), u(12));
    assert_eq!(
        escalation_approvers(budget, &[u(10)], &ctx(&d)),
        vec![u(20)]
    );
    // the requester is never added, nor an inactive manager.
    d.managers.insert(u(11), u(REQUESTER));
    d.inactive.insert(u(20));
    assert!(escalation_approvers(budget, &[u(10)], &ctx(&d)).is_empty());
}

#[test]
fn the_directory_trait_is_object_safe_and_mockable() {
    let mut mock = MockApproverDirectory::new();
    mock.expect_team_members().returning(|_| vec![u(10), u(11)]);
    mock.expect_is_active().returning(|_| true);
    mock.expect_manager_of().returning(|_| None);
    let directory: &dyn ApproverDirectory = &mock;
    let ctx = ResolutionContext {
        requester: u(REQUESTER),
        requested_for: u(REQUESTER),
        item_owner: u(OWNER),
        directory,
    };
    let stages = resolve_stages(&laptop_policy(), &ctx);
    assert_eq!(
        code_of(&stages.unwrap_err(), "approval_policy.stages[0]"),
        "unreachable"
    );
}
