//! The kernel's use cases: one queue across kinds, tasks across parents, and links.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use servicedesk_lifecycle::task::TaskState;
use servicedesk_rbac::{Action, ResourceKind, ResourceRef, Scope};

use super::kind::{TicketKind, TicketRef};
use super::links::{LinkType, TicketLink, closes_cycle};
use super::port::TicketStore;
use super::query::{TaskQuery, TicketQuery, TicketSort};
use super::status::StatusClass;
use super::ticket::{AnyTicket, SlaState, Ticket};
use crate::actor::Actor;
use crate::entities::Task;
use crate::error::{Error, FieldError, Result};
use crate::events::EventPayload;
use crate::ids::{LinkId, TeamId, TicketId, UserId};
use crate::ports::{Clock, IdGenerator, Page, SortDirection, StoreError, Visibility};
use crate::priority::Priority;
use crate::usecases::record::Record;
use crate::visibility::allowed;

/// Longest search text accepted.
const MAX_TEXT: usize = 200;
/// How many tickets the cycle check walks before refusing a link as unverifiable.
const CYCLE_WALK_LIMIT: usize = 10_000;

/// The access resource kind of a ticket kind.
pub const fn resource_kind(kind: TicketKind) -> ResourceKind {
    match kind {
        TicketKind::Incident => ResourceKind::Incident,
        TicketKind::Request => ResourceKind::ServiceRequest,
        TicketKind::Problem => ResourceKind::Problem,
        TicketKind::Change => ResourceKind::Change,
    }
}

/// The access view of a ticket of any kind (the one visibility rule's input).
pub fn ticket_resource<S, D>(t: &Ticket<S, D>) -> ResourceRef {
    ResourceRef {
        kind: resource_kind(t.kind),
        org_id: t.org_id.0,
        requester_id: Some(t.requester_id.0),
        assignee_id: t.assignee_id.map(|u| u.0),
        team_id: t.team_id.map(|t| t.0),
    }
}

/// What `actor` may list of `kind`, from its widest read scope; `None` without read.
pub fn visibility_of(actor: &Actor, kind: TicketKind) -> Option<Visibility> {
    match actor.scope(resource_kind(kind), Action::Read)? {
        Scope::Org => Some(Visibility::Org),
        Scope::Group => Some(Visibility::Group {
            user_id: actor.user_id(),
            team_ids: actor.team_ids(),
        }),
        Scope::Own => Some(Visibility::Own {
            user_id: actor.user_id(),
        }),
    }
}

/// Input of [`Tickets::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTickets {
    /// One kind only (empty: every kind the actor may read).
    pub kinds: Vec<TicketKind>,
    /// Any of these classes.
    pub status_classes: Vec<StatusClass>,
    /// Any of these state names: only together with exactly one kind.
    pub statuses: Vec<String>,
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Any of these SLA states.
    pub sla_states: Vec<SlaState>,
    /// Assignment group.
    pub team_id: Option<TeamId>,
    /// Only tickets without a team (triage).
    pub unassigned_team: bool,
    /// Assigned agent.
    pub assignee_id: Option<UserId>,
    /// Requester.
    pub requester_id: Option<UserId>,
    /// Words to find in title or description.
    pub text: Option<String>,
    /// Sort key.
    pub sort: TicketSort,
    /// Sort direction.
    pub direction: SortDirection,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<u32>,
}

/// Input of [`Tickets::list_tasks`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTasks {
    /// Assigned to (`me` is resolved by the caller).
    pub assignee_id: Option<UserId>,
    /// The task's team.
    pub team_id: Option<TeamId>,
    /// Any of these states.
    pub statuses: Vec<TaskState>,
    /// Deadline before.
    pub deadline_before: Option<DateTime<Utc>>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<u32>,
}

/// How a client names a ticket: by id or by reference (`REQ-7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketName {
    /// The opaque id.
    Id(TicketId),
    /// The reference.
    Ref(TicketRef),
}

impl TicketName {
    /// Parses a UUID or a reference; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(id) = text.parse::<TicketId>() {
            return Some(Self::Id(id));
        }
        TicketRef::parse(text).map(Self::Ref)
    }
}

/// A link seen from one of its tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// The link.
    pub id: LinkId,
    /// The relation from the viewing ticket's side (`duplicate_of`, `duplicated_by`, …).
    pub relation: &'static str,
    /// The other ticket.
    pub other: AnyTicket,
    /// Who linked them.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Input of [`Tickets::link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLink {
    /// How the ticket relates to the other.
    pub link_type: LinkType,
    /// The other ticket.
    pub target: TicketName,
}

/// The kernel's use cases.
#[derive(Clone)]
pub struct Tickets {
    store: Arc<dyn TicketStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl Tickets {
    /// The use cases over their ports.
    pub fn new(
        store: Arc<dyn TicketStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { store, clock, ids }
    }

    /// The ticket named `name` if `actor` may read it; otherwise (another organization, not
    /// visible, deleted for someone who may not restore) `NotFound`.
    ///
    /// # Errors
    /// `NotFound`; `Internal` when the store fails.
    pub fn get(&self, actor: &Actor, name: TicketName) -> Result<AnyTicket> {
        let ticket = match name {
            TicketName::Id(id) => self.store.ticket(actor.org_id(), id),
            TicketName::Ref(r) => self.store.ticket_by_ref(actor.org_id(), r),
        }
        .map_err(|e| match e {
            StoreError::NotFound(_) => Error::NotFound { entity: "ticket" },
            other => other.into(),
        })?;
        let resource = ticket_resource(&ticket);
        let visible = allowed(actor, Action::Read, &resource)
            && (ticket.deleted_at.is_none() || allowed(actor, Action::Restore, &resource));
        if !visible {
            return Err(Error::NotFound { entity: "ticket" });
        }
        Ok(ticket)
    }

    /// One page of the tickets of every kind the actor may read, filtered and sorted: "my
    /// work" (`assignee_id`), a team's queue (`team_id`), triage (`unassigned_team`).
    ///
    /// # Errors
    /// `Invalid` for `status` without exactly one kind, a status the kind does not have, a
    /// bad limit, an oversize search or an undecodable cursor.
    pub fn list(&self, actor: &Actor, input: ListTickets) -> Result<Page<AnyTicket>> {
        let mut errors = Vec::new();
        if !input.statuses.is_empty() {
            match input.kinds.as_slice() {
                [kind] => {
                    for s in &input.statuses {
                        if super::status::class_of(*kind, s).is_none() {
                            errors.push(FieldError::new(
                                "status",
                                "invalid",
                                format!("{kind} has no status {s:?}"),
                            ));
                        }
                    }
                }
                _ => errors.push(FieldError::new(
                    "status",
                    "requires_kind",
                    "status names belong to one kind's lifecycle: give exactly one kind (or use status_class)",
                )),
            }
        }
        if input
            .limit
            .is_some_and(|l| l == 0 || l > TicketQuery::MAX_LIMIT)
        {
            errors.push(FieldError::new("limit", "out_of_range", "must be 1–200"));
        }
        let text = input
            .text
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
            errors.push(FieldError::new(
                "q",
                "too_long",
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let kinds: &[TicketKind] = if input.kinds.is_empty() {
            TicketKind::ALL
        } else {
            &input.kinds
        };
        let scopes = kinds
            .iter()
            .filter_map(|k| visibility_of(actor, *k).map(|v| (*k, v)))
            .collect();
        let query = TicketQuery {
            statuses: input.statuses,
            status_classes: input.status_classes,
            priorities: input.priorities,
            sla_states: input.sla_states,
            team_id: input.team_id,
            unassigned_team: input.unassigned_team,
            assignee_id: input.assignee_id,
            requester_id: input.requester_id,
            text,
            sort: input.sort,
            direction: input.direction,
            cursor: input.cursor,
            limit: input.limit.unwrap_or(TicketQuery::DEFAULT_LIMIT),
            ..TicketQuery::new(scopes)
        };
        self.store
            .list_tickets(actor.org_id(), &query)
            .map_err(bad_cursor)
    }

    /// One page of tasks across parents: those under tickets the actor may read (with
    /// `task:read`), and those assigned to the actor.
    ///
    /// # Errors
    /// `Forbidden` without `task:read`; `Invalid` for a bad limit or cursor.
    pub fn list_tasks(&self, actor: &Actor, input: ListTasks) -> Result<Page<Task>> {
        if actor.scope(ResourceKind::Task, Action::Read).is_none() {
            return Err(Error::Forbidden {
                reason: "listing tasks needs task:read".into(),
            });
        }
        if input
            .limit
            .is_some_and(|l| l == 0 || l > TicketQuery::MAX_LIMIT)
        {
            return Err(Error::invalid("limit", "out_of_range", "must be 1–200"));
        }
        let scopes = TicketKind::ALL
            .iter()
            .filter_map(|k| visibility_of(actor, *k).map(|v| (*k, v)))
            .collect();
        let query = TaskQuery {
            scopes,
            actor_id: actor.user_id(),
            assignee_id: input.assignee_id,
            team_id: input.team_id,
            statuses: input.statuses,
            deadline_before: input.deadline_before,
            cursor: input.cursor,
            limit: input.limit.unwrap_or(TicketQuery::DEFAULT_LIMIT),
        };
        self.store
            .list_tasks(actor.org_id(), &query)
            .map_err(bad_cursor)
    }

    /// The links of the ticket, each seen from it, with the other end (links to tickets
    /// the actor may not read are left out).
    ///
    /// # Errors
    /// `NotFound` when the ticket is not visible.
    pub fn links(&self, actor: &Actor, name: TicketName) -> Result<Vec<LinkView>> {
        let ticket = self.get(actor, name)?;
        let mut out = Vec::new();
        for link in self.store.links(actor.org_id(), ticket.id)? {
            let (other_id, relation) = link.seen_from(ticket.id);
            let Ok(other) = self.get(actor, TicketName::Id(other_id)) else {
                continue;
            };
            out.push(LinkView {
                id: link.id,
                relation,
                other,
                created_by: link.created_by,
                created_at: link.created_at,
            });
        }
        Ok(out)
    }

    /// Links the ticket to another of any kind. Needs update permission on the ticket and
    /// read access to the other. Refused: a link to itself, a second original for a
    /// duplicate, a link that exists (either direction for `relates_to`), a loop of
    /// parents, originals or causes. Audited, in both tickets' history.
    ///
    /// # Errors
    /// `NotFound` when either ticket is not visible; `Forbidden`; `Invalid` (422) naming
    /// the rule; `Duplicate` (409) when the link exists.
    pub fn link(&self, actor: &Actor, name: TicketName, input: NewLink) -> Result<LinkView> {
        let ticket = self.get(actor, name)?;
        if !allowed(actor, Action::Update, &ticket_resource(&ticket)) {
            return Err(Error::Forbidden {
                reason: format!(
                    "linking {} needs update permission on it",
                    ticket.reference()
                ),
            });
        }
        let other = self.get(actor, input.target)?;
        if other.id == ticket.id {
            return Err(Error::invalid(
                "target",
                "self",
                "a ticket cannot be linked to itself",
            ));
        }
        let (stored, swap) = input.link_type.canonical();
        let (source, target) = if swap {
            (&other, &ticket)
        } else {
            (&ticket, &other)
        };
        let org = actor.org_id();
        let existing = self.store.links(org, source.id)?;
        let same = |l: &TicketLink| {
            l.link_type == stored
                && ((l.source_id == source.id && l.target_id == target.id)
                    || (stored == LinkType::RelatesTo
                        && l.source_id == target.id
                        && l.target_id == source.id))
        };
        if existing.iter().any(same) {
            return Err(Error::Duplicate {
                entity: "link",
                field: "target",
            });
        }
        if stored == LinkType::DuplicateOf
            && existing
                .iter()
                .any(|l| l.link_type == LinkType::DuplicateOf && l.source_id == source.id)
        {
            return Err(Error::invalid(
                "target",
                "one_original",
                format!(
                    "{} is already a duplicate of another ticket",
                    source.reference()
                ),
            ));
        }
        if stored.is_acyclic() {
            let mut failure = None;
            let loops = closes_cycle(source.id, target.id, CYCLE_WALK_LIMIT, |t| {
                match self.store.link_targets(org, t, stored.as_str()) {
                    Ok(next) => next,
                    Err(e) => {
                        failure = Some(e);
                        Vec::new()
                    }
                }
            });
            if let Some(e) = failure {
                return Err(e.into());
            }
            if loops {
                return Err(Error::invalid(
                    "target",
                    "cycle",
                    format!(
                        "{} {} {} would close a loop",
                        ticket.reference(),
                        input.link_type.as_str(),
                        other.reference()
                    ),
                ));
            }
        }
        let now = self.clock.now();
        let link = TicketLink {
            id: LinkId(self.ids.new_id()),
            org_id: org,
            source_id: source.id,
            target_id: target.id,
            link_type: stored,
            created_by: actor.user_id(),
            created_at: now,
        };
        let write = self.link_record(actor, &link, source, target, now, true);
        self.store
            .add_link(org, &link, &write)
            .map_err(|e| match e {
                StoreError::Duplicate { .. } => Error::Duplicate {
                    entity: "link",
                    field: "target",
                },
                other => other.into(),
            })?;
        let (_, relation) = link.seen_from(ticket.id);
        Ok(LinkView {
            id: link.id,
            relation,
            other,
            created_by: link.created_by,
            created_at: link.created_at,
        })
    }

    /// Removes a link of the ticket (update permission on it). Audited, in both histories.
    ///
    /// # Errors
    /// `NotFound` when the ticket is not visible or has no such link.
    pub fn unlink(&self, actor: &Actor, name: TicketName, id: LinkId) -> Result<()> {
        let ticket = self.get(actor, name)?;
        if !allowed(actor, Action::Update, &ticket_resource(&ticket)) {
            return Err(Error::Forbidden {
                reason: format!(
                    "unlinking {} needs update permission on it",
                    ticket.reference()
                ),
            });
        }
        let org = actor.org_id();
        let link = self
            .store
            .links(org, ticket.id)?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or(Error::NotFound { entity: "link" })?;
        let source = self.store.ticket(org, link.source_id)?;
        let target = self.store.ticket(org, link.target_id)?;
        let write = self.link_record(actor, &link, &source, &target, self.clock.now(), false);
        self.store.remove_link(org, id, &write)?;
        Ok(())
    }

    /// History rows on both ends and one audit record for adding or removing `link`.
    fn link_record(
        &self,
        actor: &Actor,
        link: &TicketLink,
        source: &AnyTicket,
        target: &AnyTicket,
        at: DateTime<Utc>,
        added: bool,
    ) -> crate::ports::WriteSet {
        let side = |t: &AnyTicket, relation: &str, other: &AnyTicket| {
            let text = format!("{relation} {}", other.reference());
            let mut r = Record::new(actor, self.ids.as_ref(), t.id, at);
            if added {
                r.field("link", None, Some(text));
            } else {
                r.field("link", Some(text), None);
            }
            r
        };
        let on_target = side(target, link.link_type.inverse_name(), source);
        let mut on_source = side(source, link.link_type.as_str(), target);
        if added {
            // The duplicate rule (docs/tickets.md) acts on it: a duplicate of an original
            // already resolved resolves at once.
            on_source.event(EventPayload::TicketLinked {
                ticket_id: source.id,
                target_id: target.id,
                link_type: link.link_type.as_str().to_owned(),
            });
        }
        let mut write = on_source.finish_with(
            if added {
                "ticket.link"
            } else {
                "ticket.unlink"
            },
            "ticket_link",
            link.id.to_string(),
            json!({
                "source": source.reference(),
                "target": target.reference(),
                "link_type": link.link_type.as_str(),
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        let mut other = on_target.finish("ticket.link.target", "ticket", target.id.to_string());
        write.history.append(&mut other.history);
        write
    }
}

fn bad_cursor(e: StoreError) -> Error {
    match e {
        StoreError::NotFound("cursor") => {
            Error::invalid("cursor", "invalid", "the cursor is not valid")
        }
        other => other.into(),
    }
}
