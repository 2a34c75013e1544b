//! Row structs of the portable schema and their conversions to and from the core entities.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use servicedesk_core::entities::{
    Comment, HistoryEntry, Incident, IncidentDetails, Task, Team, User,
};
use servicedesk_core::ids::{
    CalendarId, CommentId, HistoryId, OrgId, SlaPolicyId, TaskId, TeamId, TicketId, UserId,
};
use servicedesk_core::ports::StoreError;
use servicedesk_core::tickets::{
    AnyTicket, KindState, SlaState, StatusClass, Ticket, TicketKind, TicketSla, class_of,
};
use servicedesk_sla::SlaClock;

use crate::error::corrupt;
use crate::schema::{comments, incident_details, tasks, teams, ticket_history, tickets, users};
use crate::time::{db, db_opt, far_future, utc};

/// Parses a stored text column into its domain type.
pub(crate) fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| corrupt(what, text))
}

fn parse_opt<T: std::str::FromStr>(
    what: &str,
    text: Option<&str>,
) -> Result<Option<T>, StoreError> {
    text.map(|t| parse(what, t)).transpose()
}

/// The SLA clocks as stored in the `sla` JSON column.
#[derive(Serialize, Deserialize)]
struct SlaJson {
    policy_id: SlaPolicyId,
    calendar_id: CalendarId,
    pause_statuses: Vec<String>,
    response: SlaClock,
    resolution: SlaClock,
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = tickets, primary_key(org_id, id), treat_none_as_null = true)]
pub(crate) struct TicketRow {
    pub org_id: String,
    pub id: String,
    #[diesel(skip_update)]
    pub kind: String,
    #[diesel(skip_update)]
    pub number: i64,
    pub title: String,
    pub description: String,
    pub impact: String,
    pub urgency: String,
    pub priority: String,
    pub priority_rank: i32,
    pub category: String,
    pub status: String,
    pub status_class: String,
    pub requester_id: String,
    #[diesel(skip_update)]
    pub created_by: String,
    pub team_id: Option<String>,
    pub assignee_id: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub first_responded_at: Option<NaiveDateTime>,
    pub sla_policy_id: Option<String>,
    pub sla: Option<String>,
    pub sla_state: String,
    pub next_sla_due_at: Option<NaiveDateTime>,
    pub sla_sort_key: NaiveDateTime,
    pub version: i64,
    #[diesel(skip_update)]
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The `incident_details` row of an incident.
#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = incident_details, primary_key(org_id, ticket_id), treat_none_as_null = true)]
pub(crate) struct IncidentDetailsRow {
    pub org_id: String,
    pub ticket_id: String,
    pub escalation_level: i32,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
}

impl IncidentDetailsRow {
    pub(crate) fn from_incident(i: &Incident) -> Self {
        Self {
            org_id: i.org_id.to_string(),
            ticket_id: i.id.to_string(),
            escalation_level: i.details.escalation_level,
            resolution_code: i.details.resolution_code.clone(),
            resolution_notes: i.details.resolution_notes.clone(),
        }
    }

    fn into_details(self) -> IncidentDetails {
        IncidentDetails {
            escalation_level: self.escalation_level,
            resolution_code: self.resolution_code,
            resolution_notes: self.resolution_notes,
        }
    }
}

impl TicketRow {
    /// The row of a typed ticket.
    pub(crate) fn from_ticket<S: KindState, D>(t: &Ticket<S, D>) -> Result<Self, StoreError> {
        Self::from_parts(t, t.status.name(), t.status.class())
    }

    /// The row of a kind-erased ticket; its status must be a state of its kind.
    pub(crate) fn from_any(t: &AnyTicket) -> Result<Self, StoreError> {
        let class =
            class_of(t.kind, &t.status).ok_or_else(|| corrupt("ticket status", &t.status))?;
        Self::from_parts(t, &t.status, class)
    }

    fn from_parts<S, D>(
        i: &Ticket<S, D>,
        status: &str,
        class: StatusClass,
    ) -> Result<Self, StoreError> {
        let sla = i
            .sla
            .as_ref()
            .map(|s| {
                serde_json::to_string(&SlaJson {
                    policy_id: s.policy_id,
                    calendar_id: s.calendar_id,
                    pause_statuses: s.pause_statuses.clone(),
                    response: s.response.clone(),
                    resolution: s.resolution.clone(),
                })
            })
            .transpose()
            .map_err(|e| StoreError::Unavailable(format!("cannot encode SLA clocks: {e}")))?;
        let next = db_opt(i.next_sla_due_at);
        Ok(Self {
            org_id: i.org_id.to_string(),
            id: i.id.to_string(),
            kind: i.kind.as_str().to_owned(),
            number: i.number,
            title: i.title.clone(),
            description: i.description.clone(),
            impact: i.impact.to_string(),
            urgency: i.urgency.to_string(),
            priority: i.priority.to_string(),
            priority_rank: i32::from(i.priority.rank()),
            category: i.category.clone(),
            status: status.to_owned(),
            status_class: class.as_str().to_owned(),
            requester_id: i.requester_id.to_string(),
            created_by: i.created_by.to_string(),
            team_id: i.team_id.map(|t| t.to_string()),
            assignee_id: i.assignee_id.map(|u| u.to_string()),
            resolved_at: db_opt(i.resolved_at),
            closed_at: db_opt(i.closed_at),
            first_responded_at: db_opt(i.first_responded_at),
            sla_policy_id: i.sla.as_ref().map(|s| s.policy_id.to_string()),
            sla,
            sla_state: SlaState::of(i.sla.as_ref()).as_str().to_owned(),
            next_sla_due_at: next,
            sla_sort_key: next.unwrap_or_else(far_future),
            version: i.version,
            created_at: db(i.created_at),
            updated_at: db(i.updated_at),
            deleted_at: db_opt(i.deleted_at),
        })
    }

    /// The kind-erased ticket.
    pub(crate) fn into_any(self) -> Result<AnyTicket, StoreError> {
        let sla = match self.sla.as_deref() {
            None => None,
            Some(text) => {
                let j: SlaJson =
                    serde_json::from_str(text).map_err(|_| corrupt("SLA clocks", text))?;
                Some(TicketSla {
                    policy_id: j.policy_id,
                    calendar_id: j.calendar_id,
                    pause_statuses: j.pause_statuses,
                    response: j.response,
                    resolution: j.resolution,
                })
            }
        };
        Ok(Ticket {
            id: TicketId(parse("ticket id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            kind: parse::<TicketKind>("ticket kind", &self.kind)?,
            number: self.number,
            title: self.title,
            description: self.description,
            impact: parse("impact", &self.impact)?,
            urgency: parse("urgency", &self.urgency)?,
            priority: parse("priority", &self.priority)?,
            category: self.category,
            status: self.status,
            requester_id: UserId(parse("user id", &self.requester_id)?),
            created_by: UserId(parse("user id", &self.created_by)?),
            team_id: parse_opt("team id", self.team_id.as_deref())?.map(TeamId),
            assignee_id: parse_opt("user id", self.assignee_id.as_deref())?.map(UserId),
            resolved_at: self.resolved_at.map(utc),
            closed_at: self.closed_at.map(utc),
            first_responded_at: self.first_responded_at.map(utc),
            sla,
            next_sla_due_at: self.next_sla_due_at.map(utc),
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            deleted_at: self.deleted_at.map(utc),
            details: (),
        })
    }

    /// The incident of this row and its extension row.
    pub(crate) fn into_incident(self, details: IncidentDetailsRow) -> Result<Incident, StoreError> {
        let any = self.into_any()?;
        let status = any.status.clone();
        any.typed(details.into_details())
            .map_err(|_| corrupt("incident status", &status))
    }
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = comments)]
pub(crate) struct CommentRow {
    pub org_id: String,
    pub id: String,
    pub ticket_id: String,
    pub author_id: String,
    pub body: String,
    pub internal: bool,
    pub created_at: NaiveDateTime,
}

impl CommentRow {
    pub(crate) fn from_comment(c: &Comment) -> Self {
        Self {
            org_id: c.org_id.to_string(),
            id: c.id.to_string(),
            ticket_id: c.ticket_id.to_string(),
            author_id: c.author_id.to_string(),
            body: c.body.clone(),
            internal: c.internal,
            created_at: db(c.created_at),
        }
    }

    pub(crate) fn into_comment(self) -> Result<Comment, StoreError> {
        Ok(Comment {
            id: CommentId(parse("comment id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            ticket_id: TicketId(parse("ticket id", &self.ticket_id)?),
            author_id: UserId(parse("user id", &self.author_id)?),
            body: self.body,
            internal: self.internal,
            created_at: utc(self.created_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = ticket_history)]
pub(crate) struct HistoryRow {
    pub org_id: String,
    pub id: String,
    pub ticket_id: String,
    pub actor_id: Option<String>,
    pub at: NaiveDateTime,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

impl HistoryRow {
    pub(crate) fn from_entry(h: &HistoryEntry) -> Self {
        Self {
            org_id: h.org_id.to_string(),
            id: h.id.to_string(),
            ticket_id: h.ticket_id.to_string(),
            actor_id: h.actor_id.map(|a| a.to_string()),
            at: db(h.at),
            field: h.field.clone(),
            old_value: h.old_value.clone(),
            new_value: h.new_value.clone(),
        }
    }

    pub(crate) fn into_entry(self) -> Result<HistoryEntry, StoreError> {
        Ok(HistoryEntry {
            id: HistoryId(parse("history id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            ticket_id: TicketId(parse("ticket id", &self.ticket_id)?),
            actor_id: parse_opt("user id", self.actor_id.as_deref())?.map(UserId),
            at: utc(self.at),
            field: self.field,
            old_value: self.old_value,
            new_value: self.new_value,
        })
    }
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = tasks, primary_key(org_id, id), treat_none_as_null = true)]
pub(crate) struct TaskRow {
    pub org_id: String,
    pub id: String,
    #[diesel(skip_update)]
    pub ticket_id: String,
    #[diesel(skip_update)]
    pub number: i64,
    pub title: String,
    pub status: String,
    pub team_id: Option<String>,
    pub assignee_id: Option<String>,
    pub deadline: Option<NaiveDateTime>,
    pub priority: String,
    pub version: i64,
    #[diesel(skip_update)]
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TaskRow {
    pub(crate) fn from_task(t: &Task) -> Self {
        Self {
            org_id: t.org_id.to_string(),
            id: t.id.to_string(),
            ticket_id: t.ticket_id.to_string(),
            number: t.number,
            title: t.title.clone(),
            status: t.status.to_string(),
            team_id: t.team_id.map(|u| u.to_string()),
            assignee_id: t.assignee_id.map(|u| u.to_string()),
            deadline: db_opt(t.deadline),
            priority: t.priority.to_string(),
            version: t.version,
            created_at: db(t.created_at),
            updated_at: db(t.updated_at),
        }
    }

    pub(crate) fn into_task(self) -> Result<Task, StoreError> {
        Ok(Task {
            id: TaskId(parse("task id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            ticket_id: TicketId(parse("ticket id", &self.ticket_id)?),
            number: self.number,
            title: self.title,
            status: parse("task status", &self.status)?,
            team_id: parse_opt("team id", self.team_id.as_deref())?.map(TeamId),
            assignee_id: parse_opt("user id", self.assignee_id.as_deref())?.map(UserId),
            deadline: self.deadline.map(utc),
            priority: parse("priority", &self.priority)?,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// The columns of `users` the directory reads (auth columns stay with the auth adapter).
#[derive(Debug, Clone, Queryable)]
pub(crate) struct UserRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub roles: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub manager_id: Option<String>,
    pub time_zone: Option<String>,
}

impl UserRow {
    pub(crate) fn into_user(self, team_ids: Vec<TeamId>) -> Result<User, StoreError> {
        Ok(User {
            id: UserId(parse("user id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            email: self.email,
            name: self.name,
            roles: serde_json::from_str(&self.roles).map_err(|_| corrupt("roles", &self.roles))?,
            team_ids,
            active: self.active,
            manager_id: self
                .manager_id
                .as_deref()
                .map(|m| parse("manager id", m).map(UserId))
                .transpose()?,
            time_zone: self.time_zone,
            created_at: utc(self.created_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = teams)]
pub(crate) struct TeamRow {
    pub org_id: String,
    pub id: String,
    pub name: String,
    pub manager_id: Option<String>,
    pub created_at: NaiveDateTime,
}

impl TeamRow {
    pub(crate) fn from_team(t: &Team) -> Self {
        Self {
            org_id: t.org_id.to_string(),
            id: t.id.to_string(),
            name: t.name.clone(),
            manager_id: t.manager_id.map(|m| m.to_string()),
            created_at: db(t.created_at),
        }
    }

    pub(crate) fn into_team(self) -> Result<Team, StoreError> {
        Ok(Team {
            id: TeamId(parse("team id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            name: self.name,
            manager_id: parse_opt("user id", self.manager_id.as_deref())?.map(UserId),
            created_at: utc(self.created_at),
        })
    }
}

/// Columns selected for [`UserRow`].
pub(crate) type UserColumns = (
    users::id,
    users::org_id,
    users::email,
    users::name,
    users::roles,
    users::active,
    users::created_at,
    users::manager_id,
    users::time_zone,
);

/// The columns selected for [`UserRow`].
pub(crate) const USER_COLUMNS: UserColumns = (
    users::id,
    users::org_id,
    users::email,
    users::name,
    users::roles,
    users::active,
    users::created_at,
    users::manager_id,
    users::time_zone,
);
