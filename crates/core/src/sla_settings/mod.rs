//! SLA settings (SLA-1, SLA-2, SLA-5 configuration): business calendars and SLA policies
//! of an organization, managed through the API, and the calendar math as read-only
//! questions (`due`, `business_minutes`).
//!
//! The same order as every use case: the permission first (`calendar:*`,
//! `sla_policy:*` at organization scope; managers and admins manage, agents read), then
//! the input checked field by field, then the store. Writes name the version they read and
//! carry an audit record committed in the same transaction.
//!
//! What a change affects: new incidents select among the active policies as they are now;
//! clocks already running keep their targets until the incident's policy is re-selected
//! (a priority change), and always count in the current hours of their calendar.

mod business_time;
mod calendar_input;
mod policy_input;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde_json::{Value, json};
use servicedesk_rbac::{Action, ResourceKind, Scope};
use servicedesk_sla::{Calendar, SlaPolicy};

pub use business_time::{DueQuery, MAX_DUE_MINUTES, MAX_RANGE_DAYS, RangeQuery, YEARS};
// The one rule for an IANA time zone name: calendars and users' profiles.
pub(crate) use calendar_input::zone;
pub use calendar_input::{
    CalendarInput, CalendarPatch, HoursInput, MAX_HOLIDAYS, MAX_INTERVALS_PER_DAY, WEEKDAYS,
    hours_output,
};
pub use policy_input::{
    DEFAULT_WARN_PERCENT, EscalationInput, MAX_CONDITION_VALUES, MAX_ESCALATIONS,
    MAX_TARGET_MINUTES, PolicyInput, PolicyPatch, TICKET_TYPES, action_name, target_name,
    trigger_name,
};

use crate::actor::Actor;
use crate::error::{Error, FieldError, Result};
use crate::events::AuditRecord;
use crate::ids::{CalendarId, OrgId, SlaPolicyId};
use crate::ports::{
    Clock, Directory, IdGenerator, SlaAdminStore, SlaPolicyRecord, StoreError, StoredCalendar,
    StoredPolicy, WriteSet,
};

/// The SLA settings use cases.
#[derive(Clone)]
pub struct SlaSettings {
    store: Arc<dyn SlaAdminStore>,
    directory: Arc<dyn Directory>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// Refuses unless one of the actor's roles grants `kind:action` for the whole organization
/// (calendars and policies belong to the organization, not to a person or a team).
fn require(actor: &Actor, kind: ResourceKind, action: Action) -> Result<()> {
    match actor.scope(kind, action) {
        Some(Scope::Org) => Ok(()),
        _ => Err(Error::Forbidden {
            reason: format!(
                "needs {}:{} for the organization",
                kind.name(),
                action.name()
            ),
        }),
    }
}

/// The value, or `None` after noting its error.
fn keep<T>(r: std::result::Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// An optional value checked when present: `None` when absent or after noting its error.
fn keep_some<T>(
    r: Option<std::result::Result<T, FieldError>>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    keep(r.transpose(), errors).flatten()
}

fn invalid_unless_empty(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

fn name_taken(what: &str) -> Error {
    Error::invalid("name", "taken", format!("a {what} of this name exists"))
}

fn unknown_calendar() -> Error {
    Error::invalid(
        "calendar_id",
        "unknown",
        "no calendar of this id in your organization",
    )
}

fn calendar_detail(c: &StoredCalendar) -> Value {
    let hours: serde_json::Map<String, Value> = hours_output(c.calendar.hours())
        .into_iter()
        .map(|(day, intervals)| (day.to_owned(), json!(intervals)))
        .collect();
    json!({
        "name": c.name,
        "time_zone": c.calendar.zone().name(),
        "hours": hours,
        "holidays": c.calendar.holidays().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

fn policy_detail(p: &StoredPolicy) -> Value {
    let policy = &p.record.policy;
    json!({
        "name": policy.name,
        "rank": policy.rank,
        "conditions": policy.conditions,
        "calendar_id": p.record.calendar_id,
        "first_response_minutes": policy.first_response.num_minutes(),
        "resolution_minutes": policy.resolution.num_minutes(),
        "warn_percent": policy.warn_percent,
        "pause_statuses": policy.pause_statuses,
        "active": p.active,
        "escalations": policy.escalations,
    })
}

/// The top-level keys whose values differ between two detail documents, sorted.
fn changed_keys(before: &Value, after: &Value) -> Vec<String> {
    let mut keys: Vec<String> = match (before.as_object(), after.as_object()) {
        (Some(b), Some(a)) => a
            .iter()
            .filter(|(k, v)| b.get(k.as_str()) != Some(v))
            .map(|(k, _)| k.clone())
            .collect(),
        _ => Vec::new(),
    };
    keys.sort();
    keys
}

impl SlaSettings {
    /// Wires the use cases: the settings store, the directory (teams named by escalation
    /// rules), the clock and the id generator.
    pub fn new(
        store: Arc<dyn SlaAdminStore>,
        directory: Arc<dyn Directory>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            directory,
            clock,
            ids,
        }
    }

    fn audit(
        &self,
        actor: &Actor,
        action: &str,
        kind: &str,
        target: String,
        detail: Value,
    ) -> WriteSet {
        WriteSet {
            audit: vec![AuditRecord {
                org_id: actor.org_id(),
                actor_id: Some(actor.user_id()),
                action: action.to_owned(),
                target_kind: kind.to_owned(),
                target_id: target,
                at: self.clock.now(),
                detail,
            }],
            ..WriteSet::default()
        }
    }

    // ---- calendars ----

    /// The calendars of the actor's organization, by name.
    ///
    /// # Errors
    /// `Forbidden` without `calendar:read`.
    pub fn calendars(&self, actor: &Actor) -> Result<Vec<StoredCalendar>> {
        require(actor, ResourceKind::Calendar, Action::Read)?;
        Ok(self.store.calendars(actor.org_id())?)
    }

    /// One calendar of the actor's organization.
    ///
    /// # Errors
    /// `Forbidden` without `calendar:read`; `NotFound` (also for other organizations').
    pub fn calendar(&self, actor: &Actor, id: CalendarId) -> Result<StoredCalendar> {
        require(actor, ResourceKind::Calendar, Action::Read)?;
        Ok(self.store.stored_calendar(actor.org_id(), id)?)
    }

    /// Creates a calendar.
    ///
    /// # Errors
    /// `Forbidden` without `calendar:create`; `Invalid` with every field error (unknown
    /// zone, malformed time, end not after start, overlapping intervals, unknown weekday,
    /// no working time at all, bad holiday date, name taken).
    pub fn create_calendar(&self, actor: &Actor, input: CalendarInput) -> Result<StoredCalendar> {
        require(actor, ResourceKind::Calendar, Action::Create)?;
        let mut errors = Vec::new();
        let name = keep(calendar_input::name("name", &input.name), &mut errors);
        let calendar = calendar_input::calendar(
            calendar_input::zone(&input.time_zone),
            calendar_input::hours(&input.hours),
            calendar_input::holidays(&input.holidays),
            &mut errors,
        );
        let (Some(name), Some(calendar)) = (name, calendar) else {
            return Err(Error::Invalid(errors));
        };
        let now = self.clock.now();
        let stored = StoredCalendar {
            id: CalendarId(self.ids.new_id()),
            org_id: actor.org_id(),
            name,
            calendar,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let write = self.audit(
            actor,
            "calendar.create",
            "calendar",
            stored.id.to_string(),
            calendar_detail(&stored),
        );
        match self.store.create_calendar(&stored, &write) {
            Err(StoreError::Duplicate { .. }) => Err(name_taken("calendar")),
            other => Ok(other?),
        }
    }

    /// Changes a calendar; `version` is the one the client read.
    ///
    /// # Errors
    /// `Forbidden` without `calendar:update`; `Invalid` as for create, or for an empty
    /// change; `NotFound`; `Conflict` when `version` is not the stored one.
    pub fn update_calendar(
        &self,
        actor: &Actor,
        id: CalendarId,
        version: i64,
        patch: CalendarPatch,
    ) -> Result<StoredCalendar> {
        require(actor, ResourceKind::Calendar, Action::Update)?;
        if patch.is_empty() {
            return Err(Error::invalid(
                "body",
                "empty",
                "name at least one field to change",
            ));
        }
        let mut errors = Vec::new();
        let name = keep_some(
            patch
                .name
                .as_deref()
                .map(|n| calendar_input::name("name", n)),
            &mut errors,
        );
        let zone = keep_some(
            patch.time_zone.as_deref().map(calendar_input::zone),
            &mut errors,
        );
        let hours = patch
            .hours
            .as_ref()
            .map(calendar_input::hours)
            .transpose()
            .map_err(|e| errors.extend(e))
            .ok()
            .flatten();
        let holidays = patch
            .holidays
            .as_deref()
            .map(calendar_input::holidays)
            .transpose()
            .map_err(|e| errors.extend(e))
            .ok()
            .flatten();
        invalid_unless_empty(errors)?;

        let current = self.store.stored_calendar(actor.org_id(), id)?;
        if current.version != version {
            return Err(Error::Conflict {
                entity: "calendar",
                current: current.version,
            });
        }
        let old = &current.calendar;
        let calendar = Calendar::new(
            zone.unwrap_or_else(|| old.zone()),
            hours.unwrap_or_else(|| old.hours().clone()),
            holidays.unwrap_or_else(|| old.holidays().copied().collect()),
        )
        .map_err(|e| Error::invalid("hours", "invalid", e.to_string()))?;
        let updated = StoredCalendar {
            name: name.unwrap_or_else(|| current.name.clone()),
            calendar,
            version: current.version + 1,
            updated_at: self.clock.now(),
            ..current.clone()
        };
        let (before, after) = (calendar_detail(&current), calendar_detail(&updated));
        let changed = changed_keys(&before, &after);
        if changed.is_empty() {
            return Ok(current);
        }
        let write = self.audit(
            actor,
            "calendar.update",
            "calendar",
            id.to_string(),
            json!({ "changed": changed, "before": before, "after": after }),
        );
        match self.store.update_calendar(&updated, version, &write) {
            Err(StoreError::Duplicate { .. }) => Err(name_taken("calendar")),
            other => Ok(other?),
        }
    }

    // ---- policies ----

    /// The policies of the actor's organization, inactive ones too, by rank then name.
    ///
    /// # Errors
    /// `Forbidden` without `sla_policy:read`.
    pub fn policies(&self, actor: &Actor) -> Result<Vec<StoredPolicy>> {
        require(actor, ResourceKind::SlaPolicy, Action::Read)?;
        Ok(self.store.stored_policies(actor.org_id())?)
    }

    /// One policy of the actor's organization.
    ///
    /// # Errors
    /// `Forbidden` without `sla_policy:read`; `NotFound` (also for other organizations').
    pub fn policy(&self, actor: &Actor, id: SlaPolicyId) -> Result<StoredPolicy> {
        require(actor, ResourceKind::SlaPolicy, Action::Read)?;
        Ok(self.store.stored_policy(actor.org_id(), id)?)
    }

    /// Creates a policy.
    ///
    /// # Errors
    /// `Forbidden` without `sla_policy:create`; `Invalid` with every field error (targets,
    /// threshold, pause statuses, conditions, escalation rules, a reassign team or the
    /// calendar not in the organization, name taken).
    pub fn create_policy(&self, actor: &Actor, input: PolicyInput) -> Result<StoredPolicy> {
        require(actor, ResourceKind::SlaPolicy, Action::Create)?;
        let mut errors = Vec::new();
        let e = &mut errors;
        let name = keep(calendar_input::name("name", &input.name), e);
        let first_response = keep(
            policy_input::target("first_response_minutes", input.first_response_minutes),
            e,
        );
        let resolution = keep(
            policy_input::target("resolution_minutes", input.resolution_minutes),
            e,
        );
        let warn_percent = keep(policy_input::warn_percent(input.warn_percent), e);
        let conditions = policy_input::conditions(&input.conditions)
            .map_err(|e| errors.extend(e))
            .ok();
        let pauses = policy_input::pause_statuses(&input.pause_statuses)
            .map_err(|e| errors.extend(e))
            .ok();
        let escalations = policy_input::escalations(&input.escalations)
            .map_err(|e| errors.extend(e))
            .ok();
        let (
            Some(name),
            Some(first_response),
            Some(resolution),
            Some(warn_percent),
            Some(conditions),
            Some(pause_statuses),
            Some(checked),
        ) = (
            name,
            first_response,
            resolution,
            warn_percent,
            conditions,
            pauses,
            escalations,
        )
        else {
            return Err(Error::Invalid(errors));
        };
        self.check_teams(actor.org_id(), &checked.teams)?;

        let id = SlaPolicyId(self.ids.new_id());
        let now = self.clock.now();
        let stored = StoredPolicy {
            record: SlaPolicyRecord {
                id,
                calendar_id: input.calendar_id,
                policy: SlaPolicy {
                    id: id.to_string(),
                    name,
                    rank: input.rank,
                    conditions,
                    first_response,
                    resolution,
                    warn_percent,
                    pause_statuses,
                    escalations: checked.rules,
                },
            },
            active: input.active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let write = self.audit(
            actor,
            "sla_policy.create",
            "sla_policy",
            id.to_string(),
            policy_detail(&stored),
        );
        match self.store.create_policy(actor.org_id(), &stored, &write) {
            Err(StoreError::Duplicate { .. }) => Err(name_taken("policy")),
            Err(StoreError::NotFound("calendar")) => Err(unknown_calendar()),
            other => Ok(other?),
        }
    }

    /// Changes a policy; `version` is the one the client read.
    ///
    /// # Errors
    /// `Forbidden` without `sla_policy:update`; `Invalid` as for create, or for an empty
    /// change; `NotFound`; `Conflict` when `version` is not the stored one.
    pub fn update_policy(
        &self,
        actor: &Actor,
        id: SlaPolicyId,
        version: i64,
        patch: PolicyPatch,
    ) -> Result<StoredPolicy> {
        require(actor, ResourceKind::SlaPolicy, Action::Update)?;
        if patch.is_empty() {
            return Err(Error::invalid(
                "body",
                "empty",
                "name at least one field to change",
            ));
        }
        let mut errors = Vec::new();
        let e = &mut errors;
        let name = keep_some(
            patch
                .name
                .as_deref()
                .map(|n| calendar_input::name("name", n)),
            e,
        );
        let first_response = keep_some(
            patch
                .first_response_minutes
                .map(|m| policy_input::target("first_response_minutes", m)),
            e,
        );
        let resolution = keep_some(
            patch
                .resolution_minutes
                .map(|m| policy_input::target("resolution_minutes", m)),
            e,
        );
        let warn_percent = keep_some(patch.warn_percent.map(policy_input::warn_percent), e);
        let conditions = patch
            .conditions
            .as_ref()
            .map(policy_input::conditions)
            .transpose()
            .map_err(|e| errors.extend(e))
            .ok()
            .flatten();
        let pauses = patch
            .pause_statuses
            .as_deref()
            .map(policy_input::pause_statuses)
            .transpose()
            .map_err(|e| errors.extend(e))
            .ok()
            .flatten();
        let escalations = patch
            .escalations
            .as_deref()
            .map(policy_input::escalations)
            .transpose()
            .map_err(|e| errors.extend(e))
            .ok()
            .flatten();
        invalid_unless_empty(errors)?;
        if let Some(checked) = &escalations {
            self.check_teams(actor.org_id(), &checked.teams)?;
        }

        let current = self.store.stored_policy(actor.org_id(), id)?;
        if current.version != version {
            return Err(Error::Conflict {
                entity: "sla policy",
                current: current.version,
            });
        }
        let mut updated = current.clone();
        let p = &mut updated.record.policy;
        if let Some(v) = name {
            p.name = v;
        }
        if let Some(v) = patch.rank {
            p.rank = v;
        }
        if let Some(v) = conditions {
            p.conditions = v;
        }
        if let Some(v) = first_response {
            p.first_response = v;
        }
        if let Some(v) = resolution {
            p.resolution = v;
        }
        if let Some(v) = warn_percent {
            p.warn_percent = v;
        }
        if let Some(v) = pauses {
            p.pause_statuses = v;
        }
        if let Some(checked) = escalations {
            p.escalations = checked.rules;
        }
        if let Some(v) = patch.calendar_id {
            updated.record.calendar_id = v;
        }
        if let Some(v) = patch.active {
            updated.active = v;
        }
        let (before, after) = (policy_detail(&current), policy_detail(&updated));
        let changed = changed_keys(&before, &after);
        if changed.is_empty() {
            return Ok(current);
        }
        updated.version = current.version + 1;
        updated.updated_at = self.clock.now();
        let write = self.audit(
            actor,
            "sla_policy.update",
            "sla_policy",
            id.to_string(),
            json!({ "changed": changed, "before": before, "after": after }),
        );
        match self
            .store
            .update_policy(actor.org_id(), &updated, version, &write)
        {
            Err(StoreError::Duplicate { .. }) => Err(name_taken("policy")),
            Err(StoreError::NotFound("calendar")) => Err(unknown_calendar()),
            other => Ok(other?),
        }
    }

    /// Every team a reassign rule names must be a team of `org`.
    fn check_teams(&self, org: OrgId, teams: &[(usize, crate::ids::TeamId)]) -> Result<()> {
        let mut errors = Vec::new();
        for (i, team) in teams {
            match self.directory.team(org, *team) {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => errors.push(FieldError::new(
                    &format!("escalations[{i}].action.team_id"),
                    "unknown",
                    "no team of this id in your organization",
                )),
                Err(e) => return Err(e.into()),
            }
        }
        invalid_unless_empty(errors)
    }
}
