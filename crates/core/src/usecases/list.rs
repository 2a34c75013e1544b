//! The queue listing (TKT-10).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_rbac::{Action, ResourceKind, Scope};

use crate::actor::Actor;
use crate::error::{Error, FieldError, Result};
use crate::ids::{TeamId, UserId};
use crate::ports::{IncidentQuery, IncidentSort, Page, SortDirection, Visibility};
use crate::priority::Priority;
use crate::usecases::access::precheck;
use crate::usecases::view::{actions_key, legal_actions_for};
use crate::usecases::{IncidentView, Incidents};

/// Longest search text accepted.
const MAX_TEXT: usize = 200;

/// Input of [`Incidents::list`]: filters, sort and page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListIncidents {
    /// Any of these statuses.
    pub statuses: Vec<IncidentState>,
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Assignment group.
    pub team_id: Option<TeamId>,
    /// Assigned agent.
    pub assignee_id: Option<UserId>,
    /// Requester.
    pub requester_id: Option<UserId>,
    /// Words to find in title or description.
    pub text: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Updated at or after.
    pub updated_from: Option<DateTime<Utc>>,
    /// Updated before.
    pub updated_to: Option<DateTime<Utc>>,
    /// List soft-deleted incidents instead (needs `incident:restore`).
    pub deleted: bool,
    /// Sort key.
    pub sort: IncidentSort,
    /// Sort direction.
    pub direction: SortDirection,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<u32>,
}

impl Incidents {
    /// One page of the incidents the actor may see, filtered and sorted, with keyset
    /// pagination that stays stable while rows are inserted.
    ///
    /// Requesters see what they raised; agents also their teams' queues; managers and
    /// admins the whole organization (RBAC-4).
    ///
    /// # Errors
    /// `Forbidden` without `incident:read`; `Invalid` for a bad limit, an inverted range, an
    /// oversize search text or an undecodable cursor.
    pub fn list(&self, actor: &Actor, input: ListIncidents) -> Result<Page<IncidentView>> {
        precheck(actor, Action::Read)?;
        validate(&input)?;
        if input.deleted {
            precheck(actor, Action::Restore)?;
        }
        let visibility = match actor.scope(ResourceKind::Incident, Action::Read) {
            Some(Scope::Org) => Visibility::Org,
            Some(Scope::Group) => Visibility::Group {
                user_id: actor.user_id(),
                team_ids: actor.team_ids(),
            },
            _ => Visibility::Own {
                user_id: actor.user_id(),
            },
        };
        let query = IncidentQuery {
            visibility,
            statuses: input.statuses,
            priorities: input.priorities,
            team_id: input.team_id,
            assignee_id: input.assignee_id,
            requester_id: input.requester_id,
            text: input
                .text
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            created_from: input.created_from,
            created_to: input.created_to,
            updated_from: input.updated_from,
            updated_to: input.updated_to,
            deleted: input.deleted,
            sort: input.sort,
            direction: input.direction,
            cursor: input.cursor,
            limit: input.limit.unwrap_or(IncidentQuery::DEFAULT_LIMIT),
        };
        let page = match self.store.list(actor.org_id(), &query) {
            Err(crate::ports::StoreError::NotFound("cursor")) => {
                return Err(Error::invalid(
                    "cursor",
                    "invalid",
                    "the cursor is not valid",
                ));
            }
            other => other?,
        };
        let mut calendars = HashMap::new();
        let mut actions = HashMap::new();
        let mut items = Vec::with_capacity(page.items.len());
        for incident in page.items {
            let calendar = match &incident.sla {
                Some(sla) => Some(&*match calendars.entry(sla.calendar_id) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => {
                        e.insert(self.sla.calendar(incident.org_id, sla.calendar_id)?)
                    }
                }),
                None => None,
            };
            let legal = actions
                .entry(actions_key(&incident))
                .or_insert_with(|| legal_actions_for(actor, &incident))
                .clone();
            items.push(self.view_having(incident, calendar, legal));
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }
}

fn validate(input: &ListIncidents) -> Result<()> {
    let mut errors = Vec::new();
    if input
        .limit
        .is_some_and(|l| l == 0 || l > IncidentQuery::MAX_LIMIT)
    {
        errors.push(FieldError::new(
            "limit",
            "out_of_range",
            format!("must be between 1 and {}", IncidentQuery::MAX_LIMIT),
        ));
    }
    if input
        .text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TEXT)
    {
        errors.push(FieldError::new(
            "q",
            "too_long",
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    for (field, from, to) in [
        ("created", input.created_from, input.created_to),
        ("updated", input.updated_from, input.updated_to),
    ] {
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.push(FieldError::new(
                field,
                "inverted_range",
                "the end is before the start",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}
