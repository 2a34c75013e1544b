//! Comments and internal work notes (TKT-5), and the history read (TKT-7).

use servicedesk_rbac::Action;

use crate::actor::Actor;
use crate::entities::{Body, Comment, HistoryEntry, Incident};
use crate::error::{Error, Result};
use crate::events::EventPayload;
use crate::ids::CommentId;
use crate::ports::Page;
use crate::usecases::access::{Deleted, authorize, precheck};
use crate::usecases::record::Record;
use crate::usecases::sla::first_response;
use crate::usecases::{IncidentRef, Incidents, Outcome, PageRequest, paged};

/// How often a comment is retried when a concurrent write bumped the version: a comment
/// names no version, so losing a race is not the client's conflict.
pub(crate) const COMMENT_ATTEMPTS: usize = 3;

impl Incidents {
    /// Adds a public comment or, for staff, an internal work note. The first public comment
    /// by staff other than the requester stops the first-response clock.
    ///
    /// # Errors
    /// `Invalid` for an empty or oversize body (before any store call); `Forbidden` for an
    /// internal note by a requester; `NotFound`; `IllegalTransition` on a closed or
    /// cancelled incident.
    pub fn comment(
        &self,
        actor: &Actor,
        r: IncidentRef,
        body: &str,
        internal: bool,
    ) -> Result<Outcome<Comment>> {
        let permission = if internal {
            Action::CommentInternal
        } else {
            Action::Comment
        };
        precheck(actor, permission)?;
        let body = Body::parse("body", body).map_err(|e| Error::Invalid(vec![e]))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let incident = self.load(actor, r, Deleted::Hidden)?;
            match self.try_comment(actor, incident, &body, internal, permission) {
                Err(Error::Conflict { .. }) if attempt < COMMENT_ATTEMPTS => continue,
                other => return other,
            }
        }
    }

    fn try_comment(
        &self,
        actor: &Actor,
        mut incident: Incident,
        body: &Body,
        internal: bool,
        permission: Action,
    ) -> Result<Outcome<Comment>> {
        authorize(actor, permission, &incident)?;
        if incident.status.is_final() {
            return Err(Error::IllegalTransition {
                message: format!("a {} incident takes no more comments", incident.status),
                legal_actions: Vec::new(),
            });
        }
        let now = self.clock.now();
        let comment = Comment {
            id: CommentId(self.ids.new_id()),
            org_id: actor.org_id(),
            ticket_id: incident.id,
            author_id: actor.user_id(),
            body: body.as_str().to_owned(),
            internal,
            created_at: now,
        };
        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        let answers = !internal && actor.is_staff() && actor.user_id() != incident.requester_id;
        if answers && incident.first_responded_at.is_none() {
            record.field("first_responded_at", None, Some(now.to_rfc3339()));
            incident.first_responded_at = Some(now);
            if let Some(calendar) = self.calendar_of(&incident)? {
                if let Some(sla) = incident.sla.as_mut() {
                    first_response(sla, &calendar, now);
                }
                incident.refresh_next_sla_due(&calendar);
            }
        }
        record.event(EventPayload::CommentAdded {
            incident_id: incident.id,
            comment_id: comment.id,
            internal,
            ticket_kind: None,
        });
        record.comment(comment.clone());
        incident.updated_at = now;
        let write = record.finish(
            if internal {
                "incident.note"
            } else {
                "incident.comment"
            },
            "incident",
            incident.id.to_string(),
        );
        let version = incident.version;
        self.store
            .update(actor.org_id(), &incident, version, &write)?;
        Ok(Outcome {
            value: comment,
            events: write.events,
        })
    }

    /// One page of the comments of an incident, oldest first. Internal notes are left out
    /// (by the store, so pages stay full) for actors who may not write them (requesters
    /// never see them).
    ///
    /// # Errors
    /// `Invalid` for a bad limit or cursor; `NotFound` when the incident is not visible to
    /// the actor.
    pub fn comments(
        &self,
        actor: &Actor,
        r: IncidentRef,
        page: &PageRequest,
    ) -> Result<Page<Comment>> {
        let mut query = page.query()?;
        let incident = self.load(actor, r, Deleted::Hidden)?;
        query.internal = authorize(actor, Action::CommentInternal, &incident).is_ok();
        paged(
            self.store
                .comments_page(actor.org_id(), incident.id, &query),
        )
    }

    /// One page of the field-change history of an incident, oldest first. Rows about
    /// internal work (team, assignee, escalation, SLA bookkeeping, tasks:
    /// [`crate::visibility::STAFF_ONLY_FIELDS`]) are shown to staff only.
    ///
    /// # Errors
    /// `Invalid` for a bad limit or cursor; `NotFound` when the incident is not visible to
    /// the actor.
    pub fn history(
        &self,
        actor: &Actor,
        r: IncidentRef,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        let query = page.query()?;
        let incident = self.load(actor, r, Deleted::Hidden)?;
        crate::visibility::visible_history(actor, query, |q| {
            self.store.history_page(actor.org_id(), incident.id, q)
        })
    }
}
