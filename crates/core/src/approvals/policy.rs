//! Approval policies: the ordered stages a request passes before fulfilment.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::rule::DecisionRule;
use crate::catalog::text;
use crate::error::FieldError;
use crate::ids::{TeamId, UserId};

/// Most stages one policy may have.
pub const MAX_STAGES: usize = 10;
/// Most approver rules one stage may have.
pub const MAX_RULES: usize = 20;
/// Most users one `users` rule may name.
pub const MAX_USERS_PER_RULE: usize = 50;
/// Longest stage name, in characters.
pub const MAX_STAGE_NAME: usize = 100;
/// Longest stage due time, in business hours (a year of 40-hour weeks is about 2000).
pub const MAX_DUE_HOURS: u32 = 2000;

/// Who approves in a stage; a stage's approvers are the union of its rules, resolved when
/// the request is submitted.
///
/// Serialized externally tagged: `{"users": [...]}`, `{"team": "<id>"}`,
/// `"requester_manager"`, `"item_owner"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApproverRule {
    /// These users.
    Users(Vec<UserId>),
    /// The members of this team at submission.
    Team(TeamId),
    /// The manager of the person the request is for (see [`super::resolve_stages`]).
    RequesterManager,
    /// The item's owner.
    ItemOwner,
}

/// What happens when a stage's due time passes undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutAction {
    /// Each undecided approver's manager is added as an approver (see
    /// [`super::escalation_approvers`]); the number of approvals needed stays.
    EscalateToManager,
    /// The stage, and so the request, is rejected.
    Reject,
}

/// One stage of an approval policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    /// Display name, unique in the policy (`Manager`, `IT budget`).
    pub name: String,
    /// Who approves.
    pub approvers: Vec<ApproverRule>,
    /// How many approvals decide it.
    pub decision: DecisionRule,
    /// Business hours (of the fulfilment SLA's calendar) until the timeout (1..=2000).
    pub due_hours: u32,
    /// When the reminder goes out, in percent of `due_hours` (1..=99; 0 sends none).
    #[serde(default = "default_reminder")]
    pub reminder_percent: u8,
    /// What the timeout does.
    pub on_timeout: TimeoutAction,
}

fn default_reminder() -> u8 {
    50
}

/// The approval stages of a catalog item, run in order. No stages: no approval needed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalPolicy {
    /// The stages, in order.
    #[serde(default)]
    pub stages: Vec<StageDef>,
}

impl ApprovalPolicy {
    /// Whether a request of the item needs no approval at all.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Checks the policy; errors are named `approval_policy.stages[i].<part>`.
    /// Whether named users and teams exist is the use case's question.
    ///
    /// # Errors
    /// More than [`MAX_STAGES`] stages; per stage: a blank, too long or repeated
    /// (case-insensitively) name; no approver rule or more than [`MAX_RULES`]; a `users`
    /// rule that is empty, too long or repeats a user; `at_least` 0; a percentage outside
    /// 1..=100; `due_hours` outside 1..=2000; `reminder_percent` over 99; an `at_least`
    /// larger than the number of users when the stage names only users (it could never
    /// be reached, whoever submits).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.stages.len() > MAX_STAGES {
            errors.push(FieldError::new(
                "approval_policy.stages",
                "too_many",
                format!("at most {MAX_STAGES} stages"),
            ));
        }
        let mut names = BTreeSet::new();
        for (i, stage) in self.stages.iter().enumerate() {
            let at = format!("approval_policy.stages[{i}]");
            match text::line(&format!("{at}.name"), &stage.name, 1, MAX_STAGE_NAME) {
                Err(e) => errors.push(e),
                Ok(name) if !names.insert(name.to_lowercase()) => errors.push(FieldError::new(
                    &format!("{at}.name"),
                    "duplicate",
                    "another stage has this name",
                )),
                Ok(_) => {}
            }
            check_rules(&at, &stage.approvers, &mut errors);
            check_decision(&at, stage, &mut errors);
            if !(1..=MAX_DUE_HOURS).contains(&stage.due_hours) {
                errors.push(FieldError::new(
                    &format!("{at}.due_hours"),
                    "out_of_range",
                    format!("must be 1 to {MAX_DUE_HOURS} business hours"),
                ));
            }
            if stage.reminder_percent > 99 {
                errors.push(FieldError::new(
                    &format!("{at}.reminder_percent"),
                    "out_of_range",
                    "must be 1 to 99 (0 for no reminder)",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn check_rules(at: &str, rules: &[ApproverRule], errors: &mut Vec<FieldError>) {
    if rules.is_empty() || rules.len() > MAX_RULES {
        errors.push(FieldError::new(
            &format!("{at}.approvers"),
            "out_of_range",
            format!("a stage has 1 to {MAX_RULES} approver rules"),
        ));
    }
    for (j, rule) in rules.iter().enumerate() {
        let rule_at = format!("{at}.approvers[{j}]");
        if rules.get(..j).unwrap_or_default().contains(rule) {
            errors.push(FieldError::new(
                &rule_at,
                "duplicate",
                "the same rule twice",
            ));
            continue;
        }
        if let ApproverRule::Users(users) = rule {
            if users.is_empty() || users.len() > MAX_USERS_PER_RULE {
                errors.push(FieldError::new(
                    &format!("{rule_at}.users"),
                    "out_of_range",
                    format!("name 1 to {MAX_USERS_PER_RULE} users"),
                ));
            }
            for (k, user) in users.iter().enumerate() {
                if users.get(..k).unwrap_or_default().contains(user) {
                    errors.push(FieldError::new(
                        &format!("{rule_at}.users[{k}]"),
                        "duplicate",
                        "listed twice",
                    ));
                }
            }
        }
    }
}

fn check_decision(at: &str, stage: &StageDef, errors: &mut Vec<FieldError>) {
    let field = format!("{at}.decision");
    match stage.decision {
        DecisionRule::AtLeast(0) => {
            errors.push(FieldError::new(
                &field,
                "out_of_range",
                "at_least must be 1 or more",
            ));
        }
        DecisionRule::AtLeast(n) => {
            // Only named users have a count known before submission.
            let only_users = stage
                .approvers
                .iter()
                .all(|r| matches!(r, ApproverRule::Users(_)));
            if only_users && !stage.approvers.is_empty() {
                let named: BTreeSet<UserId> = stage
                    .approvers
                    .iter()
                    .flat_map(|r| match r {
                        ApproverRule::Users(u) => u.clone(),
                        _ => Vec::new(),
                    })
                    .collect();
                if u64::from(n) > named.len() as u64 {
                    errors.push(FieldError::new(
                        &field,
                        "unreachable",
                        format!(
                            "stage {:?} needs {n} approvals but names only {} users",
                            stage.name,
                            named.len()
                        ),
                    ));
                }
            }
        }
        DecisionRule::Percent(p) if !(1..=100).contains(&p) => {
            errors.push(FieldError::new(
                &field,
                "out_of_range",
                "percent must be 1 to 100",
            ));
        }
        DecisionRule::Any | DecisionRule::All | DecisionRule::Percent(_) => {}
    }
}
