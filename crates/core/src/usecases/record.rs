//! Collects the history rows, audit records and events of one write.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::actor::Actor;
use crate::entities::{Comment, HistoryEntry};
use crate::events::{AuditRecord, DomainEvent, EventPayload, FieldChange};
use crate::ids::{EventId, HistoryId, IncidentId};
use crate::ports::{IdGenerator, WriteSet};

/// The bookkeeping of one change to one incident.
pub(super) struct Record<'a> {
    actor: &'a Actor,
    ids: &'a dyn IdGenerator,
    incident_id: IncidentId,
    /// When the change happens.
    pub at: DateTime<Utc>,
    changes: Vec<FieldChange>,
    write: WriteSet,
}

impl<'a> Record<'a> {
    pub(super) fn new(
        actor: &'a Actor,
        ids: &'a dyn IdGenerator,
        incident_id: IncidentId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            actor,
            ids,
            incident_id,
            at,
            changes: Vec::new(),
            write: WriteSet::default(),
        }
    }

    /// Records a field change in the history when the value really changed.
    pub(super) fn field<T: ToString>(&mut self, field: &str, old: Option<T>, new: Option<T>) {
        let old = old.map(|v| v.to_string());
        let new = new.map(|v| v.to_string());
        if old == new {
            return;
        }
        self.write.history.push(HistoryEntry {
            id: HistoryId(self.ids.new_id()),
            org_id: self.actor.org_id(),
            incident_id: self.incident_id,
            actor_id: Some(self.actor.user_id()),
            at: self.at,
            field: field.to_owned(),
            old_value: old.clone(),
            new_value: new.clone(),
        });
        self.changes.push(FieldChange {
            field: field.to_owned(),
            old,
            new,
        });
    }

    /// The field changes recorded so far.
    pub(super) fn changes(&self) -> &[FieldChange] {
        &self.changes
    }

    /// Adds a domain event.
    pub(super) fn event(&mut self, payload: EventPayload) {
        self.write.events.push(DomainEvent {
            id: EventId(self.ids.new_id()),
            org_id: self.actor.org_id(),
            occurred_at: self.at,
            actor_id: Some(self.actor.user_id()),
            payload,
        });
    }

    /// Adds a comment to insert.
    pub(super) fn comment(&mut self, comment: Comment) {
        self.write.comments.push(comment);
    }

    /// Finishes the write: one audit record naming `action` and the changed fields.
    pub(super) fn finish(mut self, action: &str, target_kind: &str, target_id: String) -> WriteSet {
        let changes: Vec<_> = self
            .changes
            .iter()
            .map(|c| json!({ "field": c.field, "old": c.old, "new": c.new }))
            .collect();
        self.write.audit.push(AuditRecord {
            org_id: self.actor.org_id(),
            actor_id: Some(self.actor.user_id()),
            action: action.to_owned(),
            target_kind: target_kind.to_owned(),
            target_id,
            at: self.at,
            detail: json!({ "changes": changes }),
        });
        self.write
    }
}
