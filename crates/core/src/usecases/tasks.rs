//! Tasks under an incident (TASK).

use chrono::{DateTime, Utc};
use servicedesk_lifecycle::StateMachine;
use servicedesk_lifecycle::task::{Task as TaskMachine, TaskAction, TaskContext};
use servicedesk_rbac::{Action, Decision, ResourceKind, ResourceRef};

use crate::actor::Actor;
use crate::entities::{Incident, Task, Title};
use crate::error::{Error, Result};
use crate::events::EventPayload;
use crate::ids::{TaskId, UserId};
use crate::ports::{Page, StoreError};
use crate::priority::Priority;
use crate::usecases::access::{Deleted, precheck_kind};
use crate::usecases::record::Record;
use crate::usecases::{IncidentRef, Incidents, Outcome, PageRequest, paged};

/// Input of [`Incidents::add_task`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTaskInput {
    /// What to do (1–200 characters).
    pub title: String,
    /// Who does it (active staff of the organization).
    pub assignee_id: Option<UserId>,
    /// Due by.
    pub deadline: Option<DateTime<Utc>>,
    /// How urgent; default: the parent's priority.
    pub priority: Option<Priority>,
}

/// The access view of a task: the parent's requester and team, the task's assignee.
fn task_resource(parent: &Incident, assignee: Option<UserId>) -> ResourceRef {
    ResourceRef {
        kind: ResourceKind::Task,
        org_id: parent.org_id.0,
        requester_id: Some(parent.requester_id.0),
        assignee_id: assignee.map(|u| u.0),
        team_id: parent.team_id.map(|t| t.0),
    }
}

fn allow(actor: &Actor, action: Action, resource: &ResourceRef) -> Result<()> {
    match actor.decide(action, resource) {
        Decision::Allow(_) => Ok(()),
        Decision::Deny(reason) => Err(Error::Forbidden {
            reason: reason.to_string(),
        }),
    }
}

impl Incidents {
    /// Adds a task under an incident that is still being worked.
    ///
    /// # Errors
    /// `Invalid` for a bad title or assignee; `NotFound`; `Forbidden`; `IllegalTransition`
    /// when the incident is resolved, closed or cancelled.
    pub fn add_task(
        &self,
        actor: &Actor,
        r: IncidentRef,
        input: NewTaskInput,
    ) -> Result<Outcome<Task>> {
        precheck_kind(actor, ResourceKind::Task, Action::Create)?;
        let title =
            Title::parse_line("title", &input.title).map_err(|e| Error::Invalid(vec![e]))?;
        let parent = self.load(actor, r, Deleted::Hidden)?;
        allow(
            actor,
            Action::Create,
            &task_resource(&parent, input.assignee_id),
        )?;
        if !parent.status.is_active() {
            return Err(Error::IllegalTransition {
                message: format!("a {} incident takes no new tasks", parent.status),
                legal_actions: Vec::new(),
            });
        }
        if let Some(id) = input.assignee_id {
            self.agent_in(actor.org_id(), id)?;
        }
        let now = self.clock.now();
        let task = Task {
            id: TaskId(self.ids.new_id()),
            org_id: actor.org_id(),
            ticket_id: parent.id,
            number: 0,
            title: title.into_string(),
            status: TaskMachine::initial(),
            team_id: None,
            assignee_id: input.assignee_id,
            deadline: input.deadline,
            priority: input.priority.unwrap_or(parent.priority),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut record = Record::new(actor, self.ids.as_ref(), parent.id, now);
        record.field("task", None, Some(&task.title));
        record.event(EventPayload::TaskCreated {
            incident_id: parent.id,
            task_id: task.id,
        });
        let write = record.finish("task.create", "task", task.id.to_string());
        let stored = self
            .store
            .create_task(actor.org_id(), &task, &write)
            .map_err(|e| match e {
                // The parent was resolved, closed or cancelled after it was read above.
                StoreError::Conflict {
                    entity: "incident", ..
                } => Error::IllegalTransition {
                    message: "the incident stopped being worked meanwhile; it takes no new tasks"
                        .into(),
                    legal_actions: Vec::new(),
                },
                other => other.into(),
            })?;
        Ok(Outcome {
            value: stored,
            events: write.events,
        })
    }

    /// One page of the tasks under an incident, oldest first. Tasks are internal work: they need
    /// `task:read` (requesters hold none). The incident is loaded first, so one the actor
    /// may not read (another organization's, another requester's) stays `NotFound`, as
    /// everywhere; one they may read answers `Forbidden` without `task:read`.
    ///
    /// # Errors
    /// `Invalid` for a bad limit or cursor; `NotFound` when the incident is not visible to
    /// the actor; `Forbidden` without `task:read` on the incident's tasks.
    pub fn tasks(&self, actor: &Actor, r: IncidentRef, page: &PageRequest) -> Result<Page<Task>> {
        let query = page.query()?;
        let parent = self.load(actor, r, Deleted::Hidden)?;
        if !crate::visibility::allowed(actor, Action::Read, &task_resource(&parent, None)) {
            return Err(Error::Forbidden {
                reason: if actor.scope(ResourceKind::Task, Action::Read).is_some() {
                    "task:read does not reach this incident's tasks".into()
                } else {
                    "no role grants task:read".into()
                },
            });
        }
        paged(self.store.tasks_page(actor.org_id(), parent.id, &query))
    }

    /// Moves a task in its lifecycle.
    ///
    /// # Errors
    /// `NotFound` when the task or its incident is not visible; `Forbidden`; `Conflict`;
    /// `IllegalTransition` naming the legal actions.
    pub fn transition_task(
        &self,
        actor: &Actor,
        id: TaskId,
        expected_version: Option<i64>,
        action: TaskAction,
    ) -> Result<Outcome<Task>> {
        precheck_kind(actor, ResourceKind::Task, Action::Transition)?;
        let mut task = self.store.get_task(actor.org_id(), id)?;
        let parent = self
            .load(actor, IncidentRef::Id(task.ticket_id), Deleted::Hidden)
            .map_err(|_| Error::NotFound { entity: "task" })?;
        allow(
            actor,
            Action::Transition,
            &task_resource(&parent, task.assignee_id),
        )?;
        if expected_version.is_some_and(|v| v != task.version) {
            return Err(Error::Conflict {
                entity: "task",
                current: task.version,
            });
        }
        let moved = TaskMachine::transition(task.status, action, &TaskContext).map_err(|e| {
            let legal_actions = TaskMachine::legal_actions(task.status, &TaskContext)
                .iter()
                .map(ToString::to_string)
                .collect();
            Error::IllegalTransition {
                message: e.to_string(),
                legal_actions,
            }
        })?;
        let now = self.clock.now();
        let mut record = Record::new(actor, self.ids.as_ref(), parent.id, now);
        record.field("task_status", Some(task.status), Some(moved.to));
        record.event(EventPayload::TaskStatusChanged {
            incident_id: parent.id,
            task_id: task.id,
            from: task.status.to_string(),
            to: moved.to.to_string(),
        });
        task.status = moved.to;
        task.updated_at = now;
        let write = record.finish(&format!("task.{action}"), "task", task.id.to_string());
        let version = task.version;
        let stored = self
            .store
            .update_task(actor.org_id(), &task, version, &write)?;
        Ok(Outcome {
            value: stored,
            events: write.events,
        })
    }
}
