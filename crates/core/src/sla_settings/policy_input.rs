//! SLA policies as clients write them: checked field by field into an [`SlaPolicy`].

use chrono::TimeDelta;
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_sla::{
    Escalation, EscalationAction, EscalationTarget, EscalationTrigger, PolicyConditions,
};
use uuid::Uuid;

use crate::entities::Category;
use crate::error::FieldError;
use crate::ids::{CalendarId, TeamId};
use crate::priority::Priority;

/// Longest target: ten years of wall-clock minutes (10 × 365.25 days).
pub const MAX_TARGET_MINUTES: i64 = 5_259_600;

/// Most escalation rules one policy may have.
pub const MAX_ESCALATIONS: usize = 20;

/// Most values one condition list may hold.
pub const MAX_CONDITION_VALUES: usize = 100;

/// The ticket types a policy can name: the ticket kinds that carry SLA clocks.
pub const TICKET_TYPES: [&str; 4] = ["incident", "service_request", "problem", "change"];

/// Default warning threshold of a new policy, in percent.
pub const DEFAULT_WARN_PERCENT: i64 = 75;

/// One escalation rule as sent: the serde shape of [`Escalation`] with every value as text,
/// so each mistake can be named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EscalationInput {
    /// `warning` or `breach`.
    pub on: String,
    /// `first_response`, `resolution`, or `None` for both clocks.
    pub target: Option<String>,
    /// `notify_assignee`, `notify_team`, `notify_manager`, `raise_priority`, `reassign_team`.
    pub action: String,
    /// The team of `reassign_team` (a team of the organization).
    pub team_id: Option<String>,
}

impl From<&Escalation> for EscalationInput {
    fn from(e: &Escalation) -> Self {
        let (action, team_id) = action_name(&e.action);
        Self {
            on: trigger_name(e.on).to_owned(),
            target: e.target.map(|t| target_name(t).to_owned()),
            action: action.to_owned(),
            team_id,
        }
    }
}

/// The wire name of a trigger.
pub fn trigger_name(t: EscalationTrigger) -> &'static str {
    match t {
        EscalationTrigger::Warning => "warning",
        EscalationTrigger::Breach => "breach",
    }
}

/// The wire name of a clock.
pub fn target_name(t: EscalationTarget) -> &'static str {
    match t {
        EscalationTarget::FirstResponse => "first_response",
        EscalationTarget::Resolution => "resolution",
    }
}

/// The wire name of an action, and its team for `reassign_team`.
pub fn action_name(a: &EscalationAction) -> (&'static str, Option<String>) {
    match a {
        EscalationAction::NotifyAssignee => ("notify_assignee", None),
        EscalationAction::NotifyTeam => ("notify_team", None),
        EscalationAction::NotifyManager => ("notify_manager", None),
        EscalationAction::RaisePriority => ("raise_priority", None),
        EscalationAction::ReassignTeam { team_id } => ("reassign_team", Some(team_id.clone())),
    }
}

/// A new policy, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInput {
    /// Display name, unique in the organization.
    pub name: String,
    /// Lower ranks are tried first.
    pub rank: i32,
    /// Which tickets it applies to (empty lists accept anything).
    pub conditions: PolicyConditions,
    /// The calendar its clocks count in (a calendar of the organization).
    pub calendar_id: CalendarId,
    /// Business minutes until the first response (> 0).
    pub first_response_minutes: i64,
    /// Business minutes until resolution (> 0).
    pub resolution_minutes: i64,
    /// Warning threshold, 1..=100.
    pub warn_percent: i64,
    /// Incident states in which the clocks pause.
    pub pause_statuses: Vec<String>,
    /// Selected for new tickets only while active.
    pub active: bool,
    /// What the monitor does on warning and breach.
    pub escalations: Vec<EscalationInput>,
}

/// Changes to a policy (absent = unchanged; lists replace the whole list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyPatch {
    /// New name.
    pub name: Option<String>,
    /// New rank.
    pub rank: Option<i32>,
    /// New conditions.
    pub conditions: Option<PolicyConditions>,
    /// New calendar.
    pub calendar_id: Option<CalendarId>,
    /// New first-response target.
    pub first_response_minutes: Option<i64>,
    /// New resolution target.
    pub resolution_minutes: Option<i64>,
    /// New warning threshold.
    pub warn_percent: Option<i64>,
    /// New pause statuses.
    pub pause_statuses: Option<Vec<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// New escalation rules.
    pub escalations: Option<Vec<EscalationInput>>,
}

impl PolicyPatch {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A target in business minutes.
pub(super) fn target(field: &str, minutes: i64) -> Result<TimeDelta, FieldError> {
    if minutes <= 0 {
        return Err(FieldError::new(field, "not_positive", "must be at least 1"));
    }
    if minutes > MAX_TARGET_MINUTES {
        return Err(FieldError::new(
            field,
            "too_large",
            format!("at most {MAX_TARGET_MINUTES} minutes (ten years)"),
        ));
    }
    Ok(TimeDelta::minutes(minutes))
}

/// A warning threshold.
pub(super) fn warn_percent(raw: i64) -> Result<u8, FieldError> {
    u8::try_from(raw)
        .ok()
        .filter(|p| (1..=100).contains(p))
        .ok_or_else(|| FieldError::new("warn_percent", "out_of_range", "must be 1 to 100"))
}

/// Pause statuses: incident states in which clocks can run (resolved, closed and cancelled
/// stop them anyway). Duplicates collapse.
pub(super) fn pause_statuses(raw: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match s.trim().parse::<IncidentState>() {
            Ok(state) if state.is_active() => {
                if !out.iter().any(|o| o == state.as_str()) {
                    out.push(state.as_str().to_owned());
                }
            }
            Ok(state) => errors.push(FieldError::new(
                &format!("pause_statuses[{i}]"),
                "not_pausable",
                format!("the clocks already stop in {state}"),
            )),
            Err(_) => errors.push(FieldError::new(
                &format!("pause_statuses[{i}]"),
                "unknown",
                "must be an incident state: new, open, in_progress or on_hold",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Conditions with every value checked and normalized; duplicates collapse.
pub(super) fn conditions(raw: &PolicyConditions) -> Result<PolicyConditions, Vec<FieldError>> {
    let mut errors = Vec::new();
    let ticket_types = list(
        "conditions.ticket_types",
        &raw.ticket_types,
        &mut errors,
        |s| {
            TICKET_TYPES
                .contains(&s)
                .then(|| s.to_owned())
                .ok_or(("unknown", format!("one of {}", TICKET_TYPES.join(", "))))
        },
    );
    let priorities = list("conditions.priorities", &raw.priorities, &mut errors, |s| {
        s.parse::<Priority>()
            .map(|p| p.as_str().to_owned())
            .map_err(|m| ("unknown", m))
    });
    let categories =
        list(
            "conditions.categories",
            &raw.categories,
            &mut errors,
            |s| match Category::parse("category", s) {
                Ok(c) if !c.as_str().is_empty() => Ok(c.as_str().to_owned()),
                Ok(_) => Err(("required", "must not be empty".to_owned())),
                Err(e) => Err((e.code, e.message)),
            },
        );
    let requester_orgs = list(
        "conditions.requester_orgs",
        &raw.requester_orgs,
        &mut errors,
        |s| {
            Uuid::parse_str(s)
                .map(|u| u.to_string())
                .map_err(|_| ("invalid", "must be an organization id (UUID)".to_owned()))
        },
    );
    if errors.is_empty() {
        Ok(PolicyConditions {
            ticket_types,
            priorities,
            categories,
            requester_orgs,
        })
    } else {
        Err(errors)
    }
}

fn list(
    field: &str,
    raw: &[String],
    errors: &mut Vec<FieldError>,
    check: impl Fn(&str) -> Result<String, (&'static str, String)>,
) -> Vec<String> {
    if raw.len() > MAX_CONDITION_VALUES {
        errors.push(FieldError::new(
            field,
            "too_many",
            format!("at most {MAX_CONDITION_VALUES} values"),
        ));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, value) in raw.iter().enumerate() {
        match check(value.trim()) {
            Ok(v) => {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Err((code, message)) => {
                errors.push(FieldError::new(&format!("{field}[{i}]"), code, message));
            }
        }
    }
    out
}

/// Escalation rules checked without the store, and the teams their reassign rules name
/// (with the index of the rule), still to be looked up in the organization.
pub(super) struct CheckedEscalations {
    /// The rules.
    pub(super) rules: Vec<Escalation>,
    /// `(rule index, team)` of every `reassign_team` rule.
    pub(super) teams: Vec<(usize, TeamId)>,
}

/// Escalation rules, pure checks only.
pub(super) fn escalations(raw: &[EscalationInput]) -> Result<CheckedEscalations, Vec<FieldError>> {
    if raw.len() > MAX_ESCALATIONS {
        return Err(vec![FieldError::new(
            "escalations",
            "too_many",
            format!("at most {MAX_ESCALATIONS} rules"),
        )]);
    }
    let mut errors = Vec::new();
    let mut rules = Vec::with_capacity(raw.len());
    let mut teams = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        let at = |f: &str| format!("escalations[{i}].{f}");
        let on = match e.on.as_str() {
            "warning" => Some(EscalationTrigger::Warning),
            "breach" => Some(EscalationTrigger::Breach),
            _ => {
                errors.push(FieldError::new(
                    &at("on"),
                    "unknown",
                    "must be warning or breach",
                ));
                None
            }
        };
        let target = match e.target.as_deref() {
            None => Some(None),
            Some("first_response") => Some(Some(EscalationTarget::FirstResponse)),
            Some("resolution") => Some(Some(EscalationTarget::Resolution)),
            Some(_) => {
                errors.push(FieldError::new(
                    &at("target"),
                    "unknown",
                    "must be first_response, resolution or null (both clocks)",
                ));
                None
            }
        };
        let action = match (e.action.as_str(), e.team_id.as_deref()) {
            ("reassign_team", Some(team)) => match team.trim().parse::<Uuid>() {
                Ok(id) => {
                    teams.push((i, TeamId(id)));
                    Some(EscalationAction::ReassignTeam {
                        team_id: id.to_string(),
                    })
                }
                Err(_) => {
                    errors.push(FieldError::new(
                        &at("action.team_id"),
                        "invalid",
                        "must be a team id (UUID)",
                    ));
                    None
                }
            },
            ("reassign_team", None) => {
                errors.push(FieldError::new(
                    &at("action.team_id"),
                    "required",
                    "reassign_team needs the team_id to move the ticket to",
                ));
                None
            }
            (simple, team) => {
                let action = match simple {
                    "notify_assignee" => Some(EscalationAction::NotifyAssignee),
                    "notify_team" => Some(EscalationAction::NotifyTeam),
                    "notify_manager" => Some(EscalationAction::NotifyManager),
                    "raise_priority" => Some(EscalationAction::RaisePriority),
                    _ => None,
                };
                match (action, team) {
                    (Some(a), None) => Some(a),
                    (Some(_), Some(_)) => {
                        errors.push(FieldError::new(
                            &at("action.team_id"),
                            "not_allowed",
                            "only reassign_team takes a team_id",
                        ));
                        None
                    }
                    (None, _) => {
                        errors.push(FieldError::new(
                            &at("action.type"),
                            "unknown",
                            "must be notify_assignee, notify_team, notify_manager, \
                             raise_priority or reassign_team",
                        ));
                        None
                    }
                }
            }
        };
        if let (Some(on), Some(target), Some(action)) = (on, target, action) {
            rules.push(Escalation { on, target, action });
        }
    }
    if errors.is_empty() {
        Ok(CheckedEscalations { rules, teams })
    } else {
        Err(errors)
    }
}
