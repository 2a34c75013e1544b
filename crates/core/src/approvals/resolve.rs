//! Resolving a policy's approver rules into people, once, when a request is submitted.

use serde::{Deserialize, Serialize};

use super::policy::{ApprovalPolicy, ApproverRule, StageDef};
use crate::error::FieldError;
use crate::ids::{TeamId, UserId};

/// What resolution needs to know about people. The store adapter implements it for one
/// organization (ids of other organizations are unknown to it: no members, no manager,
/// not active).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ApproverDirectory {
    /// The members of `team` now (empty for an unknown team).
    fn team_members(&self, team: TeamId) -> Vec<UserId>;
    /// The user's manager (`users.manager_id`), if any.
    fn manager_of(&self, user: UserId) -> Option<UserId>;
    /// Whether the user may sign in and act (not deactivated, not deleted).
    fn is_active(&self, user: UserId) -> bool;
}

/// Who submits, for whom, and what the item says, at submission.
#[derive(Clone, Copy)]
pub struct ResolutionContext<'a> {
    /// Who placed the request.
    pub requester: UserId,
    /// Whom the request is for (the requester unless placed for someone else).
    pub requested_for: UserId,
    /// The item's owner.
    pub item_owner: UserId,
    /// Teams, managers and active flags.
    pub directory: &'a dyn ApproverDirectory,
}

impl ResolutionContext<'_> {
    /// Nobody approves their own request: neither who placed it nor whom it is for.
    fn is_party(&self, user: UserId) -> bool {
        user == self.requester || user == self.requested_for
    }

    /// Whether `user` may be an approver of this request.
    fn eligible(&self, user: UserId) -> bool {
        !self.is_party(user) && self.directory.is_active(user)
    }

    /// The manager a `requester_manager` rule names: the manager of the person the
    /// request is for. When that manager placed the request themselves (ordering for a
    /// report), their own manager instead, since they cannot approve it.
    fn requester_manager(&self) -> Option<UserId> {
        let manager = self.directory.manager_of(self.requested_for)?;
        if manager == self.requester && self.requester != self.requested_for {
            return self.directory.manager_of(self.requester);
        }
        Some(manager)
    }
}

/// A stage with its approvers fixed at submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedStage {
    /// Position in the policy (0-based); stages run in this order.
    pub index: usize,
    /// The stage's name.
    pub name: String,
    /// The approvers, de-duplicated, in rule order; never the requester or the person the
    /// request is for, never an inactive user.
    pub approvers: Vec<UserId>,
    /// How many approvals decide the stage (≥ 1 and ≤ the number of approvers).
    pub required: u32,
}

/// Resolves every stage of `policy` for one request.
///
/// Each rule is expanded (named users, the team's current members, the manager of the
/// person the request is for, the item's owner); the union is de-duplicated in rule
/// order, inactive users are dropped, and the requester and the person the request is for
/// are left out. The stage's decision rule then gives `required`.
///
/// # Errors
/// One `unreachable` error per stage that can no longer reach its rule (no approvers left,
/// `at_least` more than remain), under `approval_policy.stages[i]`, the message naming
/// the stage. The API answers 422 with them.
pub fn resolve_stages(
    policy: &ApprovalPolicy,
    ctx: &ResolutionContext<'_>,
) -> Result<Vec<ResolvedStage>, Vec<FieldError>> {
    let mut resolved = Vec::with_capacity(policy.stages.len());
    let mut errors = Vec::new();
    for (index, stage) in policy.stages.iter().enumerate() {
        match resolve_stage(index, stage, ctx) {
            Ok(s) => resolved.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(resolved)
    } else {
        Err(errors)
    }
}

fn resolve_stage(
    index: usize,
    stage: &StageDef,
    ctx: &ResolutionContext<'_>,
) -> Result<ResolvedStage, FieldError> {
    let mut candidates: Vec<UserId> = Vec::new();
    for rule in &stage.approvers {
        match rule {
            ApproverRule::Users(users) => candidates.extend(users),
            ApproverRule::Team(team) => candidates.extend(ctx.directory.team_members(*team)),
            ApproverRule::RequesterManager => candidates.extend(ctx.requester_manager()),
            ApproverRule::ItemOwner => candidates.push(ctx.item_owner),
        }
    }
    let mut approvers: Vec<UserId> = Vec::new();
    let (mut parties, mut inactive) = (0_usize, 0_usize);
    for user in candidates {
        if approvers.contains(&user) {
            continue;
        }
        if ctx.is_party(user) {
            parties += 1;
        } else if !ctx.directory.is_active(user) {
            inactive += 1;
        } else {
            approvers.push(user);
        }
    }
    let m = u32::try_from(approvers.len()).unwrap_or(u32::MAX);
    match stage.decision.required(m) {
        Some(required) => Ok(ResolvedStage {
            index,
            name: stage.name.clone(),
            approvers,
            required,
        }),
        None => {
            let mut why = Vec::new();
            if parties > 0 {
                why.push("nobody approves their own request".to_owned());
            }
            if inactive > 0 {
                why.push(format!("{inactive} inactive approver(s) left out"));
            }
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", why.join("; "))
            };
            Err(FieldError::new(
                &format!("approval_policy.stages[{index}]"),
                "unreachable",
                format!(
                    "stage {:?} cannot reach its decision rule with {m} eligible approver(s){why}",
                    stage.name
                ),
            ))
        }
    }
}

/// The approvers a timed-out stage with `on_timeout: escalate_to_manager` adds: the
/// managers of its approvers who have not decided (`decided`), de-duplicated, without
/// those already approvers of the stage and without anyone [`resolve_stages`] would leave
/// out. Empty when nobody new can be added; the use case then decides (keep waiting or
/// reject) — the rule alone cannot.
pub fn escalation_approvers(
    stage: &ResolvedStage,
    decided: &[UserId],
    ctx: &ResolutionContext<'_>,
) -> Vec<UserId> {
    let mut added: Vec<UserId> = Vec::new();
    for approver in stage.approvers.iter().filter(|a| !decided.contains(a)) {
        if let Some(manager) = ctx.directory.manager_of(*approver)
            && !stage.approvers.contains(&manager)
            && !added.contains(&manager)
            && ctx.eligible(manager)
        {
            added.push(manager);
        }
    }
    added
}
