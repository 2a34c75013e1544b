//! SLA policies and the choice of the one that applies to a ticket.

use std::cmp::Reverse;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::SlaClock;

/// Which tickets a policy applies to. Each list is a set of accepted values;
/// an empty list accepts any value, so all-empty conditions match every ticket.
/// Values are compared exactly (they are codes such as `incident` or `p1`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyConditions {
    /// Accepted ticket types (e.g. `incident`, `request`).
    pub ticket_types: Vec<String>,
    /// Accepted priorities (e.g. `p1`).
    pub priorities: Vec<String>,
    /// Accepted categories; a ticket without a category matches only when empty.
    pub categories: Vec<String>,
    /// Accepted requester organisations; a ticket without one matches only when empty.
    pub requester_orgs: Vec<String>,
}

impl PolicyConditions {
    /// Whether the facts satisfy every non-empty condition.
    pub fn matches(&self, facts: &TicketFacts<'_>) -> bool {
        accepts(&self.ticket_types, Some(facts.ticket_type))
            && accepts(&self.priorities, Some(facts.priority))
            && accepts(&self.categories, facts.category)
            && accepts(&self.requester_orgs, facts.requester_org)
    }

    /// How many conditions are non-empty; more is more specific.
    pub fn specificity(&self) -> usize {
        [
            &self.ticket_types,
            &self.priorities,
            &self.categories,
            &self.requester_orgs,
        ]
        .into_iter()
        .filter(|values| !values.is_empty())
        .count()
    }
}

fn accepts(accepted: &[String], value: Option<&str>) -> bool {
    accepted.is_empty() || value.is_some_and(|value| accepted.iter().any(|a| a == value))
}

/// An SLA policy: which tickets it covers and the business time they get.
///
/// Serialized with durations as integer milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Stable identifier; the last tie-break in [`select_policy`].
    pub id: String,
    /// Display name.
    pub name: String,
    /// Lower ranks are tried first.
    pub rank: i32,
    /// Which tickets the policy applies to.
    pub conditions: PolicyConditions,
    /// Business time allowed until the first response.
    #[serde(with = "crate::duration_serde")]
    pub first_response: TimeDelta,
    /// Business time allowed until resolution (fulfilment for requests).
    #[serde(with = "crate::duration_serde")]
    pub resolution: TimeDelta,
    /// Warning threshold in percent of each target, 1..=100.
    pub warn_percent: u8,
    /// Ticket statuses in which the clocks pause (e.g. `on_hold`, `pending`).
    pub pause_statuses: Vec<String>,
    /// What the SLA monitor does when a clock of a ticket under this policy reaches its
    /// warning threshold or breaches.
    #[serde(default)]
    pub escalations: Vec<Escalation>,
}

/// The moment an escalation fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTrigger {
    /// The clock passed its warning threshold.
    Warning,
    /// The clock passed its due instant.
    Breach,
}

/// Which clock an escalation watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    /// The first-response clock.
    FirstResponse,
    /// The resolution clock.
    Resolution,
}

/// What an escalation does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EscalationAction {
    /// Notify the ticket's assignee.
    NotifyAssignee,
    /// Notify every member of the ticket's team.
    NotifyTeam,
    /// Notify the manager of the ticket's team.
    NotifyManager,
    /// Raise the ticket's priority by one level (P1 stays P1).
    RaisePriority,
    /// Move the ticket to another team, unassigned.
    ReassignTeam {
        /// The team (an id of the ticket's organization).
        team_id: String,
    },
}

/// One escalation rule of a policy: when `on` happens to the clock `target` (either clock
/// when `None`), do `action`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Escalation {
    /// Warning or breach.
    pub on: EscalationTrigger,
    /// The clock watched; `None` watches both.
    #[serde(default)]
    pub target: Option<EscalationTarget>,
    /// What to do.
    pub action: EscalationAction,
}

impl Escalation {
    /// Whether this rule fires for `trigger` on clock `target`.
    pub fn fires_on(&self, trigger: EscalationTrigger, target: EscalationTarget) -> bool {
        self.on == trigger && self.target.is_none_or(|t| t == target)
    }
}

impl SlaPolicy {
    /// Whether the policy applies to a ticket with these facts.
    pub fn matches(&self, facts: &TicketFacts<'_>) -> bool {
        self.conditions.matches(facts)
    }

    /// Whether the clocks pause while a ticket is in `status`.
    pub fn pauses_in(&self, status: &str) -> bool {
        self.pause_statuses.iter().any(|s| s == status)
    }

    /// A first-response clock running from `at`.
    pub fn first_response_clock(&self, at: DateTime<Utc>) -> SlaClock {
        SlaClock::start(self.first_response, self.warn_percent, at)
    }

    /// A resolution clock running from `at`.
    pub fn resolution_clock(&self, at: DateTime<Utc>) -> SlaClock {
        SlaClock::start(self.resolution, self.warn_percent, at)
    }
}

/// What policy selection looks at on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFacts<'a> {
    /// Ticket type, e.g. `incident`.
    pub ticket_type: &'a str,
    /// Priority, e.g. `p1`.
    pub priority: &'a str,
    /// Category, if the ticket has one.
    pub category: Option<&'a str>,
    /// Requester organisation, if known.
    pub requester_org: Option<&'a str>,
}

/// The policy that applies to a ticket: among the matching policies, the one
/// with the lowest rank; equal ranks go to the more specific policy (more
/// non-empty conditions), then to the smaller id, so the choice never depends on
/// the order of `policies`. `None` when nothing matches.
pub fn select_policy<'a>(
    policies: &'a [SlaPolicy],
    facts: &TicketFacts<'_>,
) -> Option<&'a SlaPolicy> {
    policies
        .iter()
        .filter(|policy| policy.matches(facts))
        .min_by_key(|policy| {
            (
                policy.rank,
                Reverse(policy.conditions.specificity()),
                policy.id.as_str(),
            )
        })
}
