//! Tests of the approvals: the decision-rule table, tally properties, resolution,
//! delegation, policy checks and due times.

mod delegation;
mod delegations;
mod due;
mod policy;
mod props;
mod resolve;
mod rule_table;

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::error::FieldError;
use crate::ids::{TeamId, UserId};

fn u(n: u128) -> UserId {
    UserId(uuid::Uuid::from_u128(n))
}

fn team(n: u128) -> TeamId {
    TeamId(uuid::Uuid::from_u128(n))
}

fn code_of(errors: &[FieldError], field: &str) -> &'static str {
    let hits: Vec<&FieldError> = errors.iter().filter(|e| e.field == field).collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one error for {field}, got {errors:?}"
    );
    hits[0].code
}

/// An in-memory directory.
#[derive(Default)]
struct Directory {
    teams: BTreeMap<TeamId, Vec<UserId>>,
    managers: BTreeMap<UserId, UserId>,
    inactive: BTreeSet<UserId>,
}

impl ApproverDirectory for Directory {
    fn team_members(&self, team: TeamId) -> Vec<UserId> {
        self.teams.get(&team).cloned().unwrap_or_default()
    }
    fn manager_of(&self, user: UserId) -> Option<UserId> {
        self.managers.get(&user).copied()
    }
    fn is_active(&self, user: UserId) -> bool {
        !self.inactive.contains(&user)
    }
}

fn stage(name: &str, approvers: Vec<ApproverRule>, decision: DecisionRule) -> StageDef {
    StageDef {
        name: name.to_owned(),
        approvers,
        decision,
        due_hours: 16,
        reminder_percent: 50,
        on_timeout: TimeoutAction::EscalateToManager,
    }
}
