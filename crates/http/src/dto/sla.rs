//! Bodies of `/calendars` and `/sla-policies` (SLA-1, SLA-2, SLA-5).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::ids::CalendarId;
use servicedesk_core::ports::{StoredCalendar, StoredPolicy};
use servicedesk_core::sla::{Escalation, PolicyConditions};
use servicedesk_core::sla_settings::{
    CalendarInput, CalendarPatch, DEFAULT_WARN_PERCENT, EscalationInput, PolicyInput, PolicyPatch,
    hours_output,
};
use utoipa::ToSchema;
use uuid::Uuid;

/// Working intervals per weekday as sent: keys `mon` … `sun`, each a list of
/// `["HH:MM", "HH:MM"]` pairs (an interval may end at `24:00`); a missing weekday is closed.
pub type HoursRequest = BTreeMap<String, Vec<Vec<String>>>;

/// `POST /calendars`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCalendarRequest {
    /// Unique in the organization (1–100 characters).
    #[schema(schema_with = super::fields::name)]
    pub name: String,
    /// IANA zone, e.g. `America/New_York`.
    #[schema(schema_with = super::fields::time_zone)]
    pub time_zone: String,
    /// E.g. `{"mon": [["09:00","12:00"], ["13:00","18:00"]], "sun": []}`.
    #[schema(value_type = Object, example = json!({"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sun": []}))]
    pub hours: HoursRequest,
    /// Local dates `YYYY-MM-DD` on which nothing counts.
    #[serde(default)]
    pub holidays: Vec<String>,
}

impl From<CreateCalendarRequest> for CalendarInput {
    fn from(b: CreateCalendarRequest) -> Self {
        Self {
            name: b.name,
            time_zone: b.time_zone,
            hours: b.hours,
            holidays: b.holidays,
        }
    }
}

/// `PATCH /calendars/{id}`: absent fields stay; `hours` and `holidays` replace the lists.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateCalendarRequest {
    /// New name.
    #[schema(schema_with = super::fields::name_opt)]
    pub name: Option<String>,
    /// New zone.
    #[schema(schema_with = super::fields::time_zone_opt)]
    pub time_zone: Option<String>,
    /// New weekly hours (a missing weekday is closed).
    #[schema(value_type = Option<Object>)]
    pub hours: Option<HoursRequest>,
    /// New holidays.
    pub holidays: Option<Vec<String>>,
    /// The version read (alternative to `If-Match`).
    #[serde(default, deserialize_with = "super::whole::opt")]
    pub version: Option<i64>,
}

impl From<UpdateCalendarRequest> for CalendarPatch {
    fn from(b: UpdateCalendarRequest) -> Self {
        Self {
            name: b.name,
            time_zone: b.time_zone,
            hours: b.hours,
            holidays: b.holidays,
        }
    }
}

/// Working intervals of each weekday, as stored: sorted, touching intervals merged.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekHoursDto {
    /// Monday.
    pub mon: Vec<Vec<String>>,
    /// Tuesday.
    pub tue: Vec<Vec<String>>,
    /// Wednesday.
    pub wed: Vec<Vec<String>>,
    /// Thursday.
    pub thu: Vec<Vec<String>>,
    /// Friday.
    pub fri: Vec<Vec<String>>,
    /// Saturday.
    pub sat: Vec<Vec<String>>,
    /// Sunday.
    pub sun: Vec<Vec<String>>,
}

/// A business calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDto {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// IANA zone.
    pub time_zone: String,
    /// Weekly hours.
    pub hours: WeekHoursDto,
    /// Holidays, ascending.
    pub holidays: Vec<String>,
    /// For `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredCalendar> for CalendarDto {
    fn from(c: StoredCalendar) -> Self {
        let mut days = hours_output(c.calendar.hours())
            .into_iter()
            .map(|(_, intervals)| {
                intervals
                    .into_iter()
                    .map(|(a, b)| vec![a, b])
                    .collect::<Vec<_>>()
            });
        let mut next = || days.next().unwrap_or_default();
        let hours = WeekHoursDto {
            mon: next(),
            tue: next(),
            wed: next(),
            thu: next(),
            fri: next(),
            sat: next(),
            sun: next(),
        };
        Self {
            id: c.id.0,
            name: c.name,
            time_zone: c.calendar.zone().name().to_owned(),
            hours,
            holidays: c.calendar.holidays().map(ToString::to_string).collect(),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// `GET /calendars/{id}/due` parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DueParams {
    /// RFC 3339 instant to count from (URL-encode a `+` offset as `%2B`).
    #[param(required = true, value_type = String, schema_with = super::fields::calendar_instant)]
    pub start: Option<String>,
    /// Business minutes to add, 0 to 5,259,600 (ten years).
    #[param(required = true, value_type = i64, minimum = 0, maximum = 5_259_600)]
    pub minutes: Option<String>,
}

/// `GET /calendars/{id}/business-minutes` parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BusinessMinutesParams {
    /// RFC 3339 start (inclusive).
    #[param(required = true, value_type = String, schema_with = super::fields::calendar_instant)]
    pub from: Option<String>,
    /// RFC 3339 end (exclusive), not before `from`, at most twenty years later.
    #[param(required = true, value_type = String, schema_with = super::fields::calendar_instant)]
    pub to: Option<String>,
}

/// When the business time is used up.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueDto {
    /// RFC 3339 UTC.
    pub due: DateTime<Utc>,
}

/// Business time in a range.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessMinutesDto {
    /// Whole minutes, rounded down.
    pub minutes: i64,
}

/// Which tickets a policy applies to; an empty list accepts anything.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ConditionsDto {
    /// `incident`, `service_request`, `problem`, `change`.
    pub ticket_types: Vec<String>,
    /// `critical`, `high`, `medium`, `low`.
    pub priorities: Vec<String>,
    /// Categories (exact).
    pub categories: Vec<String>,
    /// Organization ids.
    pub requester_orgs: Vec<String>,
}

impl From<ConditionsDto> for PolicyConditions {
    fn from(c: ConditionsDto) -> Self {
        Self {
            ticket_types: c.ticket_types,
            priorities: c.priorities,
            categories: c.categories,
            requester_orgs: c.requester_orgs,
        }
    }
}

impl From<PolicyConditions> for ConditionsDto {
    fn from(c: PolicyConditions) -> Self {
        Self {
            ticket_types: c.ticket_types,
            priorities: c.priorities,
            categories: c.categories,
            requester_orgs: c.requester_orgs,
        }
    }
}

/// What an escalation does.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EscalationActionDto {
    /// `notify_assignee`, `notify_team`, `notify_manager`, `raise_priority`,
    /// `reassign_team`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The team of `reassign_team` (a team of your organization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// An escalation rule: when `on` happens to clock `target` (both when null), do `action`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EscalationDto {
    /// `warning` or `breach`.
    pub on: String,
    /// `first_response`, `resolution`, or null for both.
    #[serde(default)]
    pub target: Option<String>,
    /// The action.
    pub action: EscalationActionDto,
}

impl From<EscalationDto> for EscalationInput {
    fn from(e: EscalationDto) -> Self {
        Self {
            on: e.on,
            target: e.target,
            action: e.action.kind,
            team_id: e.action.team_id,
        }
    }
}

impl From<&Escalation> for EscalationDto {
    fn from(e: &Escalation) -> Self {
        let input = EscalationInput::from(e);
        Self {
            on: input.on,
            target: input.target,
            action: EscalationActionDto {
                kind: input.action,
                team_id: input.team_id,
            },
        }
    }
}

fn default_warn_percent() -> i64 {
    DEFAULT_WARN_PERCENT
}

fn default_pause_statuses() -> Vec<String> {
    vec!["on_hold".to_owned()]
}

fn default_active() -> bool {
    true
}

/// `POST /sla-policies`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePolicyRequest {
    /// Unique in the organization.
    #[schema(schema_with = super::fields::name)]
    pub name: String,
    /// Lower ranks are tried first (default 0).
    #[serde(default)]
    pub rank: i32,
    /// Default: matches every ticket.
    #[serde(default)]
    pub conditions: ConditionsDto,
    /// A calendar of your organization.
    pub calendar_id: Uuid,
    /// Business minutes until the first response (> 0).
    #[serde(deserialize_with = "super::whole::req")]
    #[schema(minimum = 1, maximum = 5_259_600)]
    pub first_response_minutes: i64,
    /// Business minutes until resolution (> 0).
    #[serde(deserialize_with = "super::whole::req")]
    #[schema(minimum = 1, maximum = 5_259_600)]
    pub resolution_minutes: i64,
    /// Warning threshold, 1–100 (default 75).
    #[serde(default = "default_warn_percent")]
    #[schema(minimum = 1, maximum = 100)]
    pub warn_percent: i64,
    /// Incident states in which the clocks pause (default `["on_hold"]`).
    #[serde(default = "default_pause_statuses")]
    pub pause_statuses: Vec<String>,
    /// Selected for new tickets only while active (default true).
    #[serde(default = "default_active")]
    pub active: bool,
    /// What the SLA monitor does on warning and breach.
    #[serde(default)]
    pub escalations: Vec<EscalationDto>,
}

impl From<CreatePolicyRequest> for PolicyInput {
    fn from(b: CreatePolicyRequest) -> Self {
        Self {
            name: b.name,
            rank: b.rank,
            conditions: b.conditions.into(),
            calendar_id: CalendarId(b.calendar_id),
            first_response_minutes: b.first_response_minutes,
            resolution_minutes: b.resolution_minutes,
            warn_percent: b.warn_percent,
            pause_statuses: b.pause_statuses,
            active: b.active,
            escalations: b.escalations.into_iter().map(Into::into).collect(),
        }
    }
}

/// `PATCH /sla-policies/{id}`: absent fields stay; lists replace the whole list.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdatePolicyRequest {
    /// New name.
    #[schema(schema_with = super::fields::name_opt)]
    pub name: Option<String>,
    /// New rank.
    pub rank: Option<i32>,
    /// New conditions.
    pub conditions: Option<ConditionsDto>,
    /// New calendar.
    pub calendar_id: Option<Uuid>,
    /// New first-response target.
    #[serde(default, deserialize_with = "super::whole::opt")]
    #[schema(minimum = 1, maximum = 5_259_600)]
    pub first_response_minutes: Option<i64>,
    /// New resolution target.
    #[serde(default, deserialize_with = "super::whole::opt")]
    #[schema(minimum = 1, maximum = 5_259_600)]
    pub resolution_minutes: Option<i64>,
    /// New warning threshold.
    #[serde(default, deserialize_with = "super::whole::opt")]
    #[schema(minimum = 1, maximum = 100)]
    pub warn_percent: Option<i64>,
    /// New pause statuses.
    pub pause_statuses: Option<Vec<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// New escalation rules.
    pub escalations: Option<Vec<EscalationDto>>,
    /// The version read (alternative to `If-Match`).
    #[serde(default, deserialize_with = "super::whole::opt")]
    pub version: Option<i64>,
}

impl From<UpdatePolicyRequest> for PolicyPatch {
    fn from(b: UpdatePolicyRequest) -> Self {
        Self {
            name: b.name,
            rank: b.rank,
            conditions: b.conditions.map(Into::into),
            calendar_id: b.calendar_id.map(CalendarId),
            first_response_minutes: b.first_response_minutes,
            resolution_minutes: b.resolution_minutes,
            warn_percent: b.warn_percent,
            pause_statuses: b.pause_statuses,
            active: b.active,
            escalations: b
                .escalations
                .map(|list| list.into_iter().map(Into::into).collect()),
        }
    }
}

/// An SLA policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Lower ranks are tried first.
    pub rank: i32,
    /// Which tickets it applies to.
    pub conditions: ConditionsDto,
    /// The calendar its clocks count in.
    pub calendar_id: Uuid,
    /// Business minutes until the first response.
    pub first_response_minutes: i64,
    /// Business minutes until resolution.
    pub resolution_minutes: i64,
    /// Warning threshold in percent.
    pub warn_percent: u8,
    /// Incident states in which the clocks pause.
    pub pause_statuses: Vec<String>,
    /// Selected for new tickets only while active.
    pub active: bool,
    /// Escalation rules.
    pub escalations: Vec<EscalationDto>,
    /// For `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredPolicy> for PolicyDto {
    fn from(p: StoredPolicy) -> Self {
        let policy = p.record.policy;
        Self {
            id: p.record.id.0,
            name: policy.name,
            rank: policy.rank,
            conditions: policy.conditions.into(),
            calendar_id: p.record.calendar_id.0,
            first_response_minutes: policy.first_response.num_minutes(),
            resolution_minutes: policy.resolution.num_minutes(),
            warn_percent: policy.warn_percent,
            pause_statuses: policy.pause_statuses,
            active: p.active,
            escalations: policy.escalations.iter().map(EscalationDto::from).collect(),
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}
