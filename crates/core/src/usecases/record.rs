//! Collects the history rows, audit records and events of one write.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::actor::Actor;
use crate::entities::{Comment, HistoryEntry};
use crate::events::{AuditRecord, DomainEvent, EventPayload, FieldChange};
use crate::ids::{EventId, HistoryId, IncidentId, OrgId, UserId};
use crate::ports::{IdGenerator, WriteSet};

/// The bookkeeping of one change to one incident, by a user or (auto-close) the system.
pub(crate) struct Record<'a> {
    org_id: OrgId,
    actor_id: Option<UserId>,
    ids: &'a dyn IdGenerator,
    incident_id: IncidentId,
    /// When the change happens.
    pub at: DateTime<Utc>,
    changes: Vec<FieldChange>,
    write: WriteSet,
}

impl<'a> Record<'a> {
    pub(crate) fn new(
        actor: &Actor,
        ids: &'a dyn IdGenerator,
        incident_id: IncidentId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            ids,
            incident_id,
            at,
            changes: Vec::new(),
            write: WriteSet::default(),
        }
    }

    /// The bookkeeping of a change nobody asked for (a worker acting for the organization):
    /// history, events and audit carry no actor.
    pub(crate) fn system(
        org_id: OrgId,
        ids: &'a dyn IdGenerator,
        incident_id: IncidentId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            org_id,
            actor_id: None,
            ids,
            incident_id,
            at,
            changes: Vec::new(),
            write: WriteSet::default(),
        }
    }

    /// Who makes the change (`None`: the system).
    pub(crate) fn actor_id(&self) -> Option<UserId> {
        self.actor_id
    }

    /// Records a field change in the history when the value really changed.
    pub(crate) fn field<T: ToString>(&mut self, field: &str, old: Option<T>, new: Option<T>) {
        let old = old.map(|v| v.to_string());
        let new = new.map(|v| v.to_string());
        if old == new {
            return;
        }
        self.write.history.push(HistoryEntry {
            id: HistoryId(self.ids.new_id()),
            org_id: self.org_id,
            ticket_id: self.incident_id,
            actor_id: self.actor_id,
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
    pub(crate) fn changes(&self) -> &[FieldChange] {
        &self.changes
    }

    /// Adds a domain event.
    pub(crate) fn event(&mut self, payload: EventPayload) {
        self.write.events.push(DomainEvent {
            id: EventId(self.ids.new_id()),
            org_id: self.org_id,
            occurred_at: self.at,
            actor_id: self.actor_id,
            payload,
        });
    }

    /// Adds a comment to insert.
    pub(crate) fn comment(&mut self, comment: Comment) {
        self.write.comments.push(comment);
    }

    /// Finishes the write: one audit record naming `action` and the changed fields.
    pub(crate) fn finish(self, action: &str, target_kind: &str, target_id: String) -> WriteSet {
        self.finish_with(action, target_kind, target_id, serde_json::Map::new())
    }

    /// [`Record::finish`] with more keys in the audit detail beside `changes`.
    pub(crate) fn finish_with(
        mut self,
        action: &str,
        target_kind: &str,
        target_id: String,
        mut detail: serde_json::Map<String, serde_json::Value>,
    ) -> WriteSet {
        let changes: Vec<_> = self
            .changes
            .iter()
            .map(|c| json!({ "field": c.field, "old": c.old, "new": c.new }))
            .collect();
        detail.insert("changes".into(), json!(changes));
        self.write.audit.push(AuditRecord {
            org_id: self.org_id,
            actor_id: self.actor_id,
            action: action.to_owned(),
            target_kind: target_kind.to_owned(),
            target_id,
            at: self.at,
            detail: serde_json::Value::Object(detail),
        });
        self.write
    }
}
