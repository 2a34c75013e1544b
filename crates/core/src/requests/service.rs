//! The service request use cases (REQ): submit against a catalog item's form, multi-stage
//! approvals, fulfilment tasks, cancel, fulfil, close, and the approval sweeper.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use servicedesk_lifecycle::request::{
    RequestAction, RequestContext, RequestState, ServiceRequest as RequestMachine,
};
use servicedesk_lifecycle::task::{Task as TaskMachine, TaskAction, TaskContext, TaskState};
use servicedesk_lifecycle::{Effect, StateMachine};
use servicedesk_rbac::{Action, ResourceKind};
use servicedesk_sla::{Calendar, SlaClock, TicketFacts, select_policy};

use super::entities::{
    Approval, ApprovalDecision, ApprovalState, RequestDetails, ServiceRequest, StagePlan,
};
use super::port::{RequestChanges, RequestStore};
use crate::actor::Actor;
use crate::approvals::{
    ApproverDirectory, Decision, DelegationStore, Refusal, ResolutionContext, StageOutcome,
    StageTally, TimeoutAction, may_decide, resolve_stages, stage_timing,
};
use crate::catalog::{
    Answers, CatalogItem, CatalogItemId, CatalogStore, TaskMode, ValidationMode, may_request,
};
use crate::entities::{Body, Comment, HistoryEntry, Task, Title};
use crate::error::{Error, Result};
use crate::events::EventPayload;
use crate::ids::{ApprovalId, CommentId, OrgId, TaskId, TeamId, TicketId, UserId};
use crate::ports::{
    Clock, Created, Directory, IdGenerator, IdempotencyKey, Page, SlaCatalog, StoreError,
};
use crate::priority::{Impact, Priority, Urgency};
use crate::tickets::{KindState, TicketKind, TicketSla, ticket_resource};
use crate::usecases::comment::COMMENT_ATTEMPTS;
use crate::usecases::record::Record;
use crate::usecases::{PageRequest, paged};
use crate::visibility::{allowed, is_staff};

/// The ticket type SLA policies match requests on.
const TICKET_TYPE: &str = "request";
/// Longest rejection or approval comment.
const MAX_COMMENT: usize = 4000;

/// Input of [`ServiceRequests::submit`].
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitRequest {
    /// The catalog item.
    pub item_id: CatalogItemId,
    /// Answers to the item's form.
    pub answers: Answers,
    /// Who it is for (default: the actor). Staff, or the person's manager, may place a
    /// request for someone else.
    pub requested_for: Option<UserId>,
    /// Keep it as a draft (answers may be incomplete; no approvals start).
    pub draft: bool,
    /// Summary (default: the item's name).
    pub title: Option<String>,
    /// Business impact (default medium).
    pub impact: Option<Impact>,
    /// Time pressure (default medium).
    pub urgency: Option<Urgency>,
}

/// A request with its approvals, as its readers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestView {
    /// The request.
    pub request: ServiceRequest,
    /// Its approvals, by stage.
    pub approvals: Vec<Approval>,
    /// Lifecycle actions the machine allows now.
    pub legal_actions: Vec<String>,
}

/// Approval reads without failing (the approval engine's directory), loaded up front so
/// resolution itself cannot fail halfway.
struct LoadedDirectory {
    members: std::collections::HashMap<TeamId, Vec<UserId>>,
    users: std::collections::HashMap<UserId, (bool, Option<UserId>)>,
}

impl ApproverDirectory for LoadedDirectory {
    fn team_members(&self, team: TeamId) -> Vec<UserId> {
        self.members.get(&team).cloned().unwrap_or_default()
    }

    fn manager_of(&self, user: UserId) -> Option<UserId> {
        self.users.get(&user).and_then(|(_, m)| *m)
    }

    fn is_active(&self, user: UserId) -> bool {
        self.users.get(&user).is_some_and(|(active, _)| *active)
    }
}

/// The service request use cases.
#[derive(Clone)]
pub struct ServiceRequests {
    store: Arc<dyn RequestStore>,
    catalog: Arc<dyn CatalogStore>,
    delegations: Arc<dyn DelegationStore>,
    directory: Arc<dyn Directory>,
    sla: Arc<dyn SlaCatalog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// The ports of [`ServiceRequests`].
pub struct RequestPorts {
    /// Requests, approvals, fulfilment tasks.
    pub store: Arc<dyn RequestStore>,
    /// Catalog items.
    pub catalog: Arc<dyn CatalogStore>,
    /// Approval delegations.
    pub delegations: Arc<dyn DelegationStore>,
    /// Users and teams.
    pub directory: Arc<dyn Directory>,
    /// SLA policies and calendars.
    pub sla: Arc<dyn SlaCatalog>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
}

fn blank(text: Option<&str>) -> bool {
    text.is_none_or(|t| t.trim().is_empty())
}

fn illegal(from: RequestState, ctx: &RequestContext, e: impl ToString) -> Error {
    Error::IllegalTransition {
        message: e.to_string(),
        legal_actions: RequestMachine::legal_actions(from, ctx)
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

impl ServiceRequests {
    /// The use cases over their ports.
    pub fn new(ports: RequestPorts) -> Self {
        Self {
            store: ports.store,
            catalog: ports.catalog,
            delegations: ports.delegations,
            directory: ports.directory,
            sla: ports.sla,
            clock: ports.clock,
            ids: ports.ids,
        }
    }

    fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }

    /// Users whose approvals `actor` may decide today: themself and whoever delegated to them.
    fn acting_for(&self, actor: &Actor) -> Result<Vec<crate::approvals::Delegation>> {
        Ok(self
            .delegations
            .delegations_to(actor.org_id(), actor.user_id(), self.today())?)
    }

    /// True when `actor` may read the request: the one visibility rule on its kernel
    /// fields, the person who placed it, or someone asked to approve it.
    fn may_read(
        &self,
        actor: &Actor,
        request: &ServiceRequest,
        approvals: &[Approval],
    ) -> Result<bool> {
        if allowed(actor, Action::Read, &ticket_resource(request))
            || request.created_by == actor.user_id()
        {
            return Ok(true);
        }
        let delegations = self.acting_for(actor)?;
        Ok(approvals.iter().any(|a| {
            a.approver_id == actor.user_id()
                || delegations.iter().any(|d| d.user_id == a.approver_id)
        }))
    }

    /// The request `id` with its approvals, if the actor may read it.
    ///
    /// # Errors
    /// `NotFound` (also for another organization's or an unreadable request).
    pub fn get(&self, actor: &Actor, id: TicketId) -> Result<RequestView> {
        let request = self.store.request(actor.org_id(), id).map_err(not_found)?;
        self.view(actor, request)
    }

    /// The request numbered `number`.
    ///
    /// # Errors
    /// As [`ServiceRequests::get`].
    pub fn get_by_number(&self, actor: &Actor, number: i64) -> Result<RequestView> {
        let request = self
            .store
            .request_by_number(actor.org_id(), number)
            .map_err(not_found)?;
        self.view(actor, request)
    }

    fn view(&self, actor: &Actor, request: ServiceRequest) -> Result<RequestView> {
        let approvals = self.store.approvals(actor.org_id(), request.id)?;
        if !self.may_read(actor, &request, &approvals)? || request.deleted_at.is_some() {
            return Err(Error::NotFound {
                entity: "service request",
            });
        }
        let ctx = context(&request, 0);
        let legal_actions = RequestMachine::legal_actions(request.status, &ctx)
            .iter()
            .map(ToString::to_string)
            .collect();
        Ok(RequestView {
            request,
            approvals,
            legal_actions,
        })
    }

    /// Submits (or saves as a draft) a request for a catalog item: answers checked against
    /// the item's current form (422 naming each bad field; answers to hidden fields
    /// discarded), approvers resolved for every stage (422 naming a stage that cannot
    /// reach its rule once the requester is left out), the first stage's approvals opened
    /// with their due and reminder times, or — without approval — fulfilment started
    /// with the item's tasks.
    ///
    /// # Errors
    /// `NotFound` for an item the actor may not request; `Forbidden` without
    /// `service_request:create` or when placing for someone the actor does not manage;
    /// `Invalid`.
    pub fn submit(
        &self,
        actor: &Actor,
        input: SubmitRequest,
        key: Option<&str>,
    ) -> Result<Created<RequestView>> {
        let key = crate::usecases::open::idempotency_key(key)
            .map_err(|e| Error::Invalid(vec![e]))?
            .map(|key| IdempotencyKey {
                user_id: actor.user_id(),
                key,
            });
        if actor
            .scope(ResourceKind::ServiceRequest, Action::Create)
            .is_none()
        {
            return Err(Error::Forbidden {
                reason: "no role grants service_request:create".into(),
            });
        }
        let org = actor.org_id();
        let item = self.requestable(actor, input.item_id)?;
        let requested_for = match input.requested_for {
            None => actor.user_id(),
            Some(u) if u == actor.user_id() => u,
            Some(u) => {
                let person = match self.directory.user(org, u) {
                    Ok(p) if p.active => p,
                    Ok(_) | Err(StoreError::NotFound(_)) => {
                        return Err(Error::invalid(
                            "requested_for",
                            "unknown",
                            "no active user of the organization has this id",
                        ));
                    }
                    Err(e) => return Err(e.into()),
                };
                if !is_staff(actor) && person.manager_id != Some(actor.user_id()) {
                    return Err(Error::Forbidden {
                        reason: "only staff or the person's manager may request for someone else"
                            .into(),
                    });
                }
                u
            }
        };
        let mut errors = Vec::new();
        let title = match Title::parse("title", input.title.as_deref().unwrap_or(&item.name)) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let mode = if input.draft {
            ValidationMode::Draft
        } else {
            ValidationMode::Submit
        };
        let users = |id: UserId| self.directory.user(org, id).is_ok_and(|u| u.active);
        let answers = match item.form.validate(&input.answers, mode, &users) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let stages = if input.draft {
            Vec::new()
        } else {
            match self.plan_stages(org, &item, actor.user_id(), requested_for) {
                Ok(s) => s,
                Err(Error::Invalid(e)) => {
                    errors.extend(e);
                    Vec::new()
                }
                Err(e) => return Err(e),
            }
        };
        let (Some(title), Some(answers)) = (title, answers) else {
            return Err(Error::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }

        let now = self.clock.now();
        let impact = input.impact.unwrap_or(Impact::Medium);
        let urgency = input.urgency.unwrap_or(Urgency::Medium);
        let id = TicketId(self.ids.new_id());
        let mut request = ServiceRequest {
            id,
            org_id: org,
            kind: TicketKind::Request,
            number: 0,
            title: title.into_string(),
            description: item.description.clone(),
            impact,
            urgency,
            priority: Priority::from_matrix(impact, urgency),
            category: String::new(),
            status: RequestMachine::initial(),
            requester_id: requested_for,
            created_by: actor.user_id(),
            team_id: item.fulfilment_team_id,
            assignee_id: None,
            resolved_at: None,
            closed_at: None,
            first_responded_at: None,
            sla: None,
            next_sla_due_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            details: RequestDetails {
                catalog_item_id: item.id,
                item_version: item.version,
                answers,
                stages,
                approval_state: ApprovalState::NotStarted,
                current_stage: 0,
                task_template: item.task_template.clone(),
            },
        };
        let calendar = self.start_sla(&mut request, &item, now)?;
        let mut record = Record::new(actor, self.ids.as_ref(), id, now);
        record.event(EventPayload::RequestSubmitted {
            ticket_id: id,
            requester_id: requested_for,
            created_by: actor.user_id(),
            draft: input.draft,
        });
        let mut changes = RequestChanges::default();
        if !input.draft {
            self.move_to(
                &mut request,
                RequestAction::Submit,
                &mut record,
                &calendar,
                now,
            )?;
            self.open_or_fulfil(&mut request, &mut changes, &mut record, &calendar, now)?;
        }
        let write = record.finish_with(
            "service_request.create",
            "service_request",
            id.to_string(),
            json!({ "item": item.id, "item_version": item.version, "requested_for": requested_for })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let created = self
            .store
            .create_request(org, &request, &changes, &write, key)?;
        let view = RequestView {
            approvals: self.store.approvals(org, created.value.id)?,
            legal_actions: RequestMachine::legal_actions(
                created.value.status,
                &context(&created.value, 0),
            )
            .iter()
            .map(ToString::to_string)
            .collect(),
            request: created.value,
        };
        Ok(Created {
            value: view,
            replayed: created.replayed,
        })
    }

    /// The item if `actor` may request it: active and its audience admits them (staff may
    /// request any active item for someone).
    fn requestable(&self, actor: &Actor, id: CatalogItemId) -> Result<CatalogItem> {
        let item = self.catalog.item(actor.org_id(), id).map_err(|e| match e {
            StoreError::NotFound(_) => Error::NotFound {
                entity: "catalog item",
            },
            other => other.into(),
        })?;
        // The catalog's own rule (active, audience); staff may request any active item
        // for someone.
        if !(may_request(actor, &item) || (item.active && is_staff(actor))) {
            return Err(Error::NotFound {
                entity: "catalog item",
            });
        }
        Ok(item)
    }

    fn plan_stages(
        &self,
        org: OrgId,
        item: &CatalogItem,
        requester: UserId,
        requested_for: UserId,
    ) -> Result<Vec<StagePlan>> {
        if item.approval_policy.stages.is_empty() {
            return Ok(Vec::new());
        }
        let mut dir = LoadedDirectory {
            members: std::collections::HashMap::new(),
            users: std::collections::HashMap::new(),
        };
        let mut users: Vec<UserId> = vec![requester, requested_for, item.owner_id];
        for stage in &item.approval_policy.stages {
            for rule in &stage.approvers {
                match rule {
                    crate::approvals::ApproverRule::Users(list) => {
                        users.extend(list.iter().copied())
                    }
                    crate::approvals::ApproverRule::Team(team) => {
                        let members = match self.directory.team_members(org, *team) {
                            Ok(m) => m,
                            Err(StoreError::NotFound(_)) => Vec::new(),
                            Err(e) => return Err(e.into()),
                        };
                        users.extend(members.iter().copied());
                        dir.members.insert(*team, members);
                    }
                    crate::approvals::ApproverRule::RequesterManager
                    | crate::approvals::ApproverRule::ItemOwner => {}
                }
            }
        }
        // Managers two levels up: the requested-for person's, and (when that manager
        // placed the request) theirs.
        let mut i = 0;
        while i < users.len() && i < 500 {
            let u = users[i];
            i += 1;
            if dir.users.contains_key(&u) {
                continue;
            }
            match self.directory.user(org, u) {
                Ok(user) => {
                    if let Some(m) = user.manager_id
                        && (u == requested_for
                            || u == requester
                            || Some(u) == dir.manager_of(requested_for))
                    {
                        users.push(m);
                    }
                    dir.users.insert(u, (user.active, user.manager_id));
                }
                Err(StoreError::NotFound(_)) => {
                    dir.users.insert(u, (false, None));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let ctx = ResolutionContext {
            requester,
            requested_for,
            item_owner: item.owner_id,
            directory: &dir,
        };
        let resolved = resolve_stages(&item.approval_policy, &ctx).map_err(Error::Invalid)?;
        Ok(resolved
            .into_iter()
            .zip(&item.approval_policy.stages)
            .map(|(stage, def)| StagePlan {
                stage,
                due_hours: def.due_hours,
                reminder_percent: def.reminder_percent,
                on_timeout: def.on_timeout,
            })
            .collect())
    }

    /// Starts the clocks: the item's fulfilment SLA wins over policy matching.
    fn start_sla(
        &self,
        request: &mut ServiceRequest,
        item: &CatalogItem,
        now: DateTime<Utc>,
    ) -> Result<Calendar> {
        let records = self.sla.policies(request.org_id)?;
        let chosen = match item.fulfilment_sla_policy_id {
            Some(id) => records.iter().find(|r| r.id == id),
            None => {
                let policies: Vec<_> = records.iter().map(|r| r.policy.clone()).collect();
                let org = request.org_id.to_string();
                let facts = TicketFacts {
                    ticket_type: TICKET_TYPE,
                    priority: request.priority.as_str(),
                    category: None,
                    requester_org: Some(org.as_str()),
                };
                select_policy(&policies, &facts)
                    .and_then(|p| records.iter().find(|r| r.policy.id == p.id))
            }
        };
        let Some(record) = chosen else {
            return Ok(Calendar::twenty_four_seven());
        };
        let calendar = self.sla.calendar(request.org_id, record.calendar_id)?;
        let p = &record.policy;
        request.sla = Some(TicketSla {
            policy_id: record.id,
            calendar_id: record.calendar_id,
            pause_statuses: vec![RequestState::PendingApproval.as_str().to_owned()],
            response: SlaClock::start(p.first_response, p.warn_percent, now),
            resolution: SlaClock::start(p.resolution, p.warn_percent, now),
        });
        request.refresh_next_sla_due(&calendar);
        Ok(calendar)
    }

    fn calendar_of(&self, request: &ServiceRequest) -> Result<Calendar> {
        match &request.sla {
            Some(sla) => Ok(self.sla.calendar(request.org_id, sla.calendar_id)?),
            None => Ok(Calendar::twenty_four_seven()),
        }
    }

    /// Applies one lifecycle move with its clock effects and history.
    fn move_to(
        &self,
        request: &mut ServiceRequest,
        action: RequestAction,
        record: &mut Record<'_>,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.move_with(request, action, &context(request, 0), record, calendar, now)
    }

    fn move_with(
        &self,
        request: &mut ServiceRequest,
        action: RequestAction,
        ctx: &RequestContext,
        record: &mut Record<'_>,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let from = request.status;
        let moved =
            RequestMachine::transition(from, action, ctx).map_err(|e| illegal(from, ctx, e))?;
        if let Some(sla) = request.sla.as_mut() {
            for effect in &moved.effects {
                match effect {
                    Effect::PauseSla => {
                        sla.response.pause(calendar, now);
                        sla.resolution.pause(calendar, now);
                    }
                    Effect::ResumeSla => {
                        sla.response.resume(now);
                        sla.resolution.resume(now);
                    }
                    Effect::StopResolutionSla | Effect::StopAllSla => {
                        sla.response.stop(calendar, now);
                        sla.resolution.stop(calendar, now);
                    }
                    _ => {}
                }
            }
        }
        request.status = moved.to;
        match moved.to.class() {
            crate::tickets::StatusClass::Resolved => request.resolved_at = Some(now),
            crate::tickets::StatusClass::Closed => request.closed_at = Some(now),
            _ => {}
        }
        request.refresh_next_sla_due(calendar);
        request.updated_at = now;
        record.field("status", Some(from.as_str()), Some(moved.to.as_str()));
        if from != moved.to {
            record.event(EventPayload::RequestStatusChanged {
                ticket_id: request.id,
                from: from.to_string(),
                to: moved.to.to_string(),
                action: action.to_string(),
            });
        }
        Ok(())
    }

    /// After submission: open the first stage's approvals, or start fulfilment.
    fn open_or_fulfil(
        &self,
        request: &mut ServiceRequest,
        changes: &mut RequestChanges,
        record: &mut Record<'_>,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if request.details.stages.is_empty() {
            request.details.approval_state = ApprovalState::NotRequired;
            self.move_to(
                request,
                RequestAction::StartFulfilment,
                record,
                calendar,
                now,
            )?;
            self.start_tasks(request, changes, record, &[], now);
            return Ok(());
        }
        self.move_to(
            request,
            RequestAction::RequestApproval,
            record,
            calendar,
            now,
        )?;
        request.details.approval_state = ApprovalState::Pending;
        request.details.current_stage = 0;
        self.open_stage(request, 0, changes, record, calendar, now);
        Ok(())
    }

    /// Opens stage `index`: one approval per approver, with the stage's due and reminder
    /// times in business hours of the request's calendar.
    fn open_stage(
        &self,
        request: &ServiceRequest,
        index: usize,
        changes: &mut RequestChanges,
        record: &mut Record<'_>,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) {
        let Some(plan) = request.details.stages.get(index) else {
            return;
        };
        let def = crate::approvals::StageDef {
            name: plan.stage.name.clone(),
            approvers: Vec::new(),
            decision: crate::approvals::DecisionRule::Any,
            due_hours: plan.due_hours,
            reminder_percent: plan.reminder_percent,
            on_timeout: plan.on_timeout,
        };
        let timing = stage_timing(&def, now, calendar);
        for approver in &plan.stage.approvers {
            changes.new_approvals.push(self.approval(
                request,
                index,
                &plan.stage.name,
                *approver,
                timing.due_at,
                timing.remind_at,
                now,
            ));
            record.event(EventPayload::ApprovalRequested {
                ticket_id: request.id,
                approver_id: *approver,
                stage: plan.stage.name.clone(),
                due_at: timing.due_at,
            });
        }
        record.field("approval_stage", None, Some(plan.stage.name.as_str()));
    }

    #[allow(clippy::too_many_arguments)]
    fn approval(
        &self,
        request: &ServiceRequest,
        index: usize,
        name: &str,
        approver: UserId,
        due_at: DateTime<Utc>,
        remind_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Approval {
        Approval {
            id: ApprovalId(self.ids.new_id()),
            org_id: request.org_id,
            ticket_id: request.id,
            stage_index: u32::try_from(index).unwrap_or(u32::MAX),
            stage_name: name.to_owned(),
            approver_id: approver,
            state: ApprovalDecision::Pending,
            decided_by: None,
            comment: None,
            decided_at: None,
            due_at,
            remind_at,
            reminded_at: None,
            timed_out_at: None,
            created_at: now,
            version: 1,
        }
    }

    /// Creates the fulfilment tasks that may start now: all of a parallel template, the
    /// next not-done one of an ordered template (`done` marks the template's tasks that
    /// already exist and are finished, in order).
    fn start_tasks(
        &self,
        request: &ServiceRequest,
        changes: &mut RequestChanges,
        record: &mut Record<'_>,
        done: &[bool],
        now: DateTime<Utc>,
    ) {
        let Some(template) = &request.details.task_template else {
            return;
        };
        let next: Vec<usize> = if done.is_empty() {
            template.initially_open()
        } else {
            template.next_after(done)
        };
        for i in next {
            let Some(entry) = template.tasks.get(i) else {
                continue;
            };
            let task = Task {
                id: TaskId(self.ids.new_id()),
                org_id: request.org_id,
                ticket_id: request.id,
                number: 0,
                title: entry.title.clone(),
                status: TaskMachine::initial(),
                team_id: entry.team_id.or(request.team_id),
                assignee_id: entry.assignee_id,
                deadline: None,
                priority: request.priority,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            record.field("task", None, Some(task.title.as_str()));
            record.event(EventPayload::TaskCreated {
                incident_id: request.id,
                task_id: task.id,
            });
            changes.new_tasks.push(task);
        }
    }

    /// The approvals waiting for `actor`: their own and those of people who delegated to
    /// them today (never approvals of the actor's own requests).
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn pending_approvals(&self, actor: &Actor) -> Result<Vec<(Approval, ServiceRequest)>> {
        let org = actor.org_id();
        let mut approvers = vec![actor.user_id()];
        approvers.extend(self.acting_for(actor)?.into_iter().map(|d| d.user_id));
        let mut out = Vec::new();
        for a in self.store.pending_approvals(org, &approvers)? {
            let request = self.store.request(org, a.ticket_id)?;
            if request.created_by == actor.user_id() || request.requester_id == actor.user_id() {
                continue;
            }
            out.push((a, request));
        }
        Ok(out)
    }

    /// Records a decision on approval `id` by its approver or their delegate ("B on behalf
    /// of A"). A rejection needs a comment and rejects the request; a stage that reaches
    /// its rule opens the next, or approves the request and starts fulfilment. Decisions
    /// are immutable: a second decision (even a concurrent one) is refused with 409.
    ///
    /// # Errors
    /// `NotFound` for someone who is neither the approver nor their delegate (and for
    /// another organization's approval); `Forbidden` for the requester; `Invalid`
    /// without a rejection comment; `Conflict` when it was decided already.
    pub fn decide(
        &self,
        actor: &Actor,
        id: ApprovalId,
        approve: bool,
        comment: Option<String>,
    ) -> Result<RequestView> {
        let org = actor.org_id();
        let mut approval = self.store.approval(org, id).map_err(|e| match e {
            StoreError::NotFound(_) => Error::NotFound { entity: "approval" },
            other => other.into(),
        })?;
        let mut request = self.store.request(org, approval.ticket_id)?;
        let delegations = self.acting_for(actor)?;
        let acting = may_decide(
            approval.approver_id,
            actor.user_id(),
            request.created_by,
            request.requester_id,
            &delegations,
            self.today(),
        )
        .map_err(|r| match r {
            Refusal::NotApprover => Error::NotFound { entity: "approval" },
            Refusal::OwnRequest => Error::Forbidden {
                reason: "nobody approves their own request".into(),
            },
        })?;
        let comment = comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if !approve && blank(comment.as_deref()) {
            return Err(Error::invalid(
                "comment",
                "required",
                "a rejection needs a comment",
            ));
        }
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT)
        {
            return Err(Error::invalid(
                "comment",
                "too_long",
                format!("must be at most {MAX_COMMENT} characters"),
            ));
        }
        if approval.state != ApprovalDecision::Pending
            || request.status != RequestState::PendingApproval
            || approval.stage_index != request.details.current_stage
        {
            return Err(Error::Conflict {
                entity: "approval",
                current: approval.version,
            });
        }
        let now = self.clock.now();
        let calendar = self.calendar_of(&request)?;
        let mut record = Record::new(actor, self.ids.as_ref(), request.id, now);
        approval.state = if approve {
            ApprovalDecision::Approved
        } else {
            ApprovalDecision::Rejected
        };
        approval.decided_by = Some(acting.approver);
        approval.comment = comment.clone();
        approval.decided_at = Some(now);
        let who = match acting.on_behalf_of {
            Some(a) => format!("{} on behalf of {a}", acting.approver),
            None => acting.approver.to_string(),
        };
        record.field(
            "approval",
            None,
            Some(format!(
                "{}: {} by {who}",
                approval.stage_name,
                approval.state.as_str()
            )),
        );
        record.event(EventPayload::ApprovalDecided {
            ticket_id: request.id,
            approver_id: approval.approver_id,
            decided_by: acting.approver,
            stage: approval.stage_name.clone(),
            approved: approve,
        });

        let all = self.store.approvals(org, request.id)?;
        let stage: Vec<&Approval> = all
            .iter()
            .filter(|a| a.stage_index == approval.stage_index)
            .collect();
        let plan = request
            .details
            .stages
            .get(approval.stage_index as usize)
            .cloned()
            .ok_or_else(|| Error::Internal("approval of an unknown stage".into()))?;
        let approvers: Vec<UserId> = stage.iter().map(|a| a.approver_id).collect();
        let decisions: Vec<Decision> = stage
            .iter()
            .map(|a| if a.id == approval.id { &approval } else { *a })
            .filter_map(|a| {
                let by = a.decided_by?;
                Some(match a.state {
                    ApprovalDecision::Approved => Decision::approve(a.approver_id).by(by),
                    ApprovalDecision::Rejected => Decision::reject(a.approver_id).by(by),
                    _ => return None,
                })
            })
            .collect();
        let mut changes = RequestChanges {
            approvals: vec![approval.clone()],
            ..RequestChanges::default()
        };
        match StageTally::evaluate(plan.stage.required, &approvers, &decisions) {
            StageOutcome::Pending => {}
            StageOutcome::Rejected => {
                cancel_pending(&all, Some(approval.id), None, now, &mut changes);
                request.details.approval_state = ApprovalState::Rejected;
                let ctx = RequestContext {
                    reason: comment,
                    ..context(&request, 1)
                };
                self.move_with(
                    &mut request,
                    RequestAction::Reject,
                    &ctx,
                    &mut record,
                    &calendar,
                    now,
                )?;
            }
            StageOutcome::Approved => {
                cancel_pending(
                    &all,
                    Some(approval.id),
                    Some(approval.stage_index),
                    now,
                    &mut changes,
                );
                let next = approval.stage_index as usize + 1;
                if next < request.details.stages.len() {
                    request.details.current_stage = u32::try_from(next).unwrap_or(u32::MAX);
                    self.open_stage(&request, next, &mut changes, &mut record, &calendar, now);
                    request.updated_at = now;
                } else {
                    request.details.approval_state = ApprovalState::Approved;
                    let ctx = context(&request, 1);
                    self.move_with(
                        &mut request,
                        RequestAction::Approve,
                        &ctx,
                        &mut record,
                        &calendar,
                        now,
                    )?;
                    self.move_to(
                        &mut request,
                        RequestAction::StartFulfilment,
                        &mut record,
                        &calendar,
                        now,
                    )?;
                    self.start_tasks(&request, &mut changes, &mut record, &[], now);
                }
            }
        }
        let action = if approve {
            "approval.approve"
        } else {
            "approval.reject"
        };
        let write = record.finish_with(
            action,
            "approval",
            approval.id.to_string(),
            json!({ "request": request.reference(), "on_behalf_of": acting.on_behalf_of })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let version = request.version;
        let saved = self
            .store
            .save_request(org, &request, version, &changes, &write)
            .map_err(|e| match e {
                StoreError::Conflict { current, .. } => Error::Conflict {
                    entity: "approval",
                    current,
                },
                other => other.into(),
            })?;
        self.view(actor, saved).or_else(|_| {
            // The decider may not read the request any more (not staff, stage moved on):
            // they still get what they decided.
            Ok(RequestView {
                legal_actions: Vec::new(),
                approvals: vec![approval],
                request: self.store.request(org, request.id)?,
            })
        })
    }

    /// Cancels the request before fulfilment ends (its requester, who placed it, or
    /// staff): open approvals and tasks are cancelled with it.
    ///
    /// # Errors
    /// `NotFound`; `Forbidden`; `IllegalTransition`; `Conflict` on a stale version.
    pub fn cancel(
        &self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
    ) -> Result<RequestView> {
        self.lifecycle(actor, id, expected_version, RequestAction::Cancel)
    }

    /// Marks the request fulfilled (staff working it); refused while its tasks are open.
    ///
    /// # Errors
    /// As [`ServiceRequests::cancel`].
    pub fn fulfil(
        &self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
    ) -> Result<RequestView> {
        self.lifecycle(actor, id, expected_version, RequestAction::Fulfil)
    }

    /// Closes a fulfilled or rejected request.
    ///
    /// # Errors
    /// As [`ServiceRequests::cancel`].
    pub fn close(
        &self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
    ) -> Result<RequestView> {
        self.lifecycle(actor, id, expected_version, RequestAction::Close)
    }

    /// Submits a draft: answers re-checked in full against the version it was saved with,
    /// approvers resolved, approvals or fulfilment started.
    ///
    /// # Errors
    /// As [`ServiceRequests::submit`].
    pub fn submit_draft(
        &self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
    ) -> Result<RequestView> {
        self.lifecycle(actor, id, expected_version, RequestAction::Submit)
    }

    fn lifecycle(
        &self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
        action: RequestAction,
    ) -> Result<RequestView> {
        let org = actor.org_id();
        let view = self.get(actor, id)?;
        let mut request = view.request;
        let version = request.version;
        let own = request.created_by == actor.user_id() || request.requester_id == actor.user_id();
        let staff_may =
            allowed(actor, Action::Transition, &ticket_resource(&request)) && is_staff(actor);
        let may = match action {
            RequestAction::Cancel | RequestAction::Close | RequestAction::Submit => {
                own || staff_may
            }
            _ => staff_may,
        };
        if !may {
            return Err(Error::Forbidden {
                reason: format!("you may not {action} this request"),
            });
        }
        if expected_version.is_some_and(|v| v != request.version) {
            return Err(Error::Conflict {
                entity: "service request",
                current: request.version,
            });
        }
        let now = self.clock.now();
        let calendar = self.calendar_of(&request)?;
        let mut record = Record::new(actor, self.ids.as_ref(), request.id, now);
        let mut changes = RequestChanges::default();
        let tasks = self.store_tasks(org, request.id)?;
        let open = tasks.iter().filter(|t| t.status.is_open()).count();
        match action {
            RequestAction::Submit => {
                let item = self.requestable(actor, request.details.catalog_item_id)?;
                let users = |id: UserId| self.directory.user(org, id).is_ok_and(|u| u.active);
                let answers = item
                    .form
                    .validate(&answers_of(&request), ValidationMode::Submit, &users)
                    .map_err(Error::Invalid)?;
                request.details.answers = answers;
                request.details.item_version = item.version;
                request.details.task_template = item.task_template.clone();
                request.details.stages =
                    self.plan_stages(org, &item, request.created_by, request.requester_id)?;
                self.move_to(
                    &mut request,
                    RequestAction::Submit,
                    &mut record,
                    &calendar,
                    now,
                )?;
                self.open_or_fulfil(&mut request, &mut changes, &mut record, &calendar, now)?;
            }
            RequestAction::Cancel => {
                self.move_to(&mut request, action, &mut record, &calendar, now)?;
                withdraw(&mut request, &view.approvals, tasks, now, &mut changes);
            }
            RequestAction::Fulfil => {
                if open > 0 {
                    return Err(Error::IllegalTransition {
                        message: format!("{open} task(s) are still open"),
                        legal_actions: Vec::new(),
                    });
                }
                self.move_to(&mut request, action, &mut record, &calendar, now)?;
            }
            _ => {
                let ctx = RequestContext {
                    open_tasks: u32::try_from(open).unwrap_or(u32::MAX),
                    ..context(&request, 0)
                };
                self.move_with(&mut request, action, &ctx, &mut record, &calendar, now)?;
            }
        }
        let write = record.finish(
            &format!("service_request.{action}"),
            "service_request",
            request.id.to_string(),
        );
        let saved = self
            .store
            .save_request(org, &request, version, &changes, &write)?;
        self.view(actor, saved)
    }

    /// Adds a public comment or, for staff, an internal work note to a request the actor
    /// may read (`service_request:comment` / `comment_internal`). The first public comment
    /// by staff other than the person it is for stops the first-response clock. Retried
    /// when a concurrent write bumped the version (a comment names none).
    ///
    /// # Errors
    /// `Invalid` for an empty or oversize body; `NotFound`; `Forbidden`;
    /// `IllegalTransition` on a closed or cancelled request.
    pub fn comment(
        &self,
        actor: &Actor,
        id: TicketId,
        body: &str,
        internal: bool,
    ) -> Result<Comment> {
        let permission = if internal {
            Action::CommentInternal
        } else {
            Action::Comment
        };
        let body = Body::parse("body", body).map_err(|e| Error::Invalid(vec![e]))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_comment(actor, id, &body, internal, permission) {
                Err(Error::Conflict { .. }) if attempt < COMMENT_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    fn try_comment(
        &self,
        actor: &Actor,
        id: TicketId,
        body: &Body,
        internal: bool,
        permission: Action,
    ) -> Result<Comment> {
        let mut request = self.get(actor, id)?.request;
        if !allowed(actor, permission, &ticket_resource(&request)) {
            return Err(Error::Forbidden {
                reason: if internal {
                    "work notes are for staff".into()
                } else {
                    "you may not comment on this request".into()
                },
            });
        }
        if request.status.class() == crate::tickets::StatusClass::Closed {
            return Err(Error::IllegalTransition {
                message: format!("a {} request takes no more comments", request.status),
                legal_actions: Vec::new(),
            });
        }
        let now = self.clock.now();
        let comment = Comment {
            id: CommentId(self.ids.new_id()),
            org_id: request.org_id,
            ticket_id: request.id,
            author_id: actor.user_id(),
            body: body.as_str().to_owned(),
            internal,
            created_at: now,
        };
        let mut record = Record::new(actor, self.ids.as_ref(), request.id, now);
        let answers = !internal && is_staff(actor) && actor.user_id() != request.requester_id;
        if answers && request.first_responded_at.is_none() {
            record.field("first_responded_at", None, Some(now.to_rfc3339()));
            request.first_responded_at = Some(now);
            let calendar = self.calendar_of(&request)?;
            if let Some(sla) = request.sla.as_mut() {
                sla.response.stop(&calendar, now);
            }
            request.refresh_next_sla_due(&calendar);
        }
        record.event(EventPayload::CommentAdded {
            incident_id: request.id,
            comment_id: comment.id,
            internal,
            ticket_kind: Some(TicketKind::Request),
        });
        record.comment(comment.clone());
        request.updated_at = now;
        let write = record.finish(
            if internal {
                "service_request.note"
            } else {
                "service_request.comment"
            },
            "service_request",
            request.id.to_string(),
        );
        let version = request.version;
        self.store.save_request(
            request.org_id,
            &request,
            version,
            &RequestChanges::default(),
            &write,
        )?;
        Ok(comment)
    }

    /// One page of a request's comments, oldest first; internal notes only for those who
    /// may write them.
    ///
    /// # Errors
    /// `Invalid` for a bad limit or cursor; `NotFound` when the actor may not read it.
    pub fn comments(
        &self,
        actor: &Actor,
        id: TicketId,
        page: &PageRequest,
    ) -> Result<Page<Comment>> {
        let mut query = page.query()?;
        let request = self.get(actor, id)?.request;
        query.internal = allowed(actor, Action::CommentInternal, &ticket_resource(&request));
        paged(
            self.store
                .request_comments(actor.org_id(), request.id, &query),
        )
    }

    /// One page of a request's history, oldest first; rows about internal work for staff
    /// only ([`crate::visibility::STAFF_ONLY_FIELDS`]).
    ///
    /// # Errors
    /// As [`ServiceRequests::comments`].
    pub fn history(
        &self,
        actor: &Actor,
        id: TicketId,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        let query = page.query()?;
        let request = self.get(actor, id)?.request;
        crate::visibility::visible_history(actor, query, |q| {
            self.store.request_history(actor.org_id(), request.id, q)
        })
    }

    /// Withdraws a submitted request because its original (`original`, e.g. `REQ-7`) was
    /// fulfilled or resolved: a request cannot be fulfilled without its own work, so the
    /// system cancels it — open approvals and tasks with it — and the history and audit
    /// record (`service_request.withdraw_as_duplicate`) name the original. `Ok(None)` for
    /// a draft or a request already past fulfilment.
    ///
    /// # Errors
    /// `Conflict` or `NotFound` when the request changed or went away meanwhile; store
    /// failures.
    pub fn withdraw_as_duplicate(
        &self,
        org: OrgId,
        id: TicketId,
        original: &str,
    ) -> Result<Option<ServiceRequest>> {
        let mut request = self.store.request(org, id).map_err(not_found)?;
        if request.status == RequestState::Draft || request.deleted_at.is_some() {
            return Ok(None);
        }
        let now = self.clock.now();
        let calendar = self.calendar_of(&request)?;
        let mut record = Record::system(org, self.ids.as_ref(), request.id, now);
        match self.move_to(
            &mut request,
            RequestAction::Cancel,
            &mut record,
            &calendar,
            now,
        ) {
            Ok(()) => {}
            Err(Error::IllegalTransition { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
        record.field("withdrawn_with", None, Some(original.to_owned()));
        let mut changes = RequestChanges::default();
        let approvals = self.store.approvals(org, id)?;
        withdraw(
            &mut request,
            &approvals,
            self.store_tasks(org, id)?,
            now,
            &mut changes,
        );
        let write = record.finish_with(
            "service_request.withdraw_as_duplicate",
            "service_request",
            request.id.to_string(),
            json!({ "original": original })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let version = request.version;
        Ok(Some(
            self.store
                .save_request(org, &request, version, &changes, &write)?,
        ))
    }

    fn store_tasks(&self, org: OrgId, id: TicketId) -> Result<Vec<Task>> {
        Ok(self.store.tasks_of(org, id)?)
    }

    /// Moves a fulfilment task; when the last one is done the request is fulfilled, and
    /// an ordered template's next task is created when the one before it is done.
    ///
    /// # Errors
    /// `NotFound` when the task is not under a request the actor may work; `Forbidden`;
    /// `Conflict`; `IllegalTransition`.
    pub fn transition_task(
        &self,
        actor: &Actor,
        id: TaskId,
        expected_version: Option<i64>,
        action: TaskAction,
    ) -> Result<Task> {
        let org = actor.org_id();
        let task = self.store.task(org, id).map_err(not_found_task)?;
        let mut request = self
            .store
            .request(org, task.ticket_id)
            .map_err(not_found_task)?;
        let resource = crate::tickets::ticket_resource(&request);
        let task_ref = servicedesk_rbac::ResourceRef {
            kind: ResourceKind::Task,
            assignee_id: task.assignee_id.map(|u| u.0),
            ..resource
        };
        if !allowed(actor, Action::Transition, &task_ref) {
            return Err(if allowed(actor, Action::Read, &resource) {
                Error::Forbidden {
                    reason: "no role lets you work this task".into(),
                }
            } else {
                Error::NotFound { entity: "task" }
            });
        }
        if expected_version.is_some_and(|v| v != task.version) {
            return Err(Error::Conflict {
                entity: "task",
                current: task.version,
            });
        }
        let moved = TaskMachine::transition(task.status, action, &TaskContext).map_err(|e| {
            Error::IllegalTransition {
                message: e.to_string(),
                legal_actions: TaskMachine::legal_actions(task.status, &TaskContext)
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            }
        })?;
        let now = self.clock.now();
        let calendar = self.calendar_of(&request)?;
        let mut record = Record::new(actor, self.ids.as_ref(), request.id, now);
        record.field("task_status", Some(task.status), Some(moved.to));
        record.event(EventPayload::TaskStatusChanged {
            incident_id: request.id,
            task_id: task.id,
            from: task.status.to_string(),
            to: moved.to.to_string(),
        });
        let mut moved_task = task.clone();
        moved_task.status = moved.to;
        moved_task.updated_at = now;
        let mut changes = RequestChanges {
            updated_tasks: vec![moved_task.clone()],
            ..RequestChanges::default()
        };
        let mut tasks = self.store_tasks(org, request.id)?;
        for t in &mut tasks {
            if t.id == moved_task.id {
                *t = moved_task.clone();
            }
        }
        if request.status == RequestState::Fulfilling {
            if let Some(template) = request.details.task_template.clone()
                && template.mode == TaskMode::Ordered
            {
                // The template's tasks exist in order; each finished one lets the next start.
                let done: Vec<bool> = template
                    .tasks
                    .iter()
                    .enumerate()
                    .map(|(i, _)| tasks.get(i).is_some_and(|t| !t.status.is_open()))
                    .collect();
                if tasks.len() < template.tasks.len() && done.iter().take(tasks.len()).all(|d| *d) {
                    self.start_tasks(&request, &mut changes, &mut record, &done, now);
                }
            }
            let all_created = request
                .details
                .task_template
                .as_ref()
                .is_none_or(|t| tasks.len() + changes.new_tasks.len() >= t.tasks.len());
            if all_created
                && changes.new_tasks.is_empty()
                && tasks.iter().all(|t| !t.status.is_open())
            {
                self.move_to(
                    &mut request,
                    RequestAction::Fulfil,
                    &mut record,
                    &calendar,
                    now,
                )?;
            }
        }
        let write = record.finish(&format!("task.{action}"), "task", task.id.to_string());
        let version = request.version;
        self.store
            .save_request(org, &request, version, &changes, &write)?;
        self.store.task(org, id).map_err(Into::into)
    }

    /// Reminds approvers whose reminder time has come and runs the timeout action of
    /// stages past due (each undecided approver's manager is added, or the request is
    /// rejected). Returns how many approvals it handled.
    ///
    /// # Errors
    /// `Internal` when the store fails (a lost race is skipped, not an error).
    pub fn sweep_approvals(&self, batch: u32) -> Result<u32> {
        let now = self.clock.now();
        let mut handled = 0;
        for approval in self.store.approvals_due(now, batch)? {
            match self.sweep_one(approval, now) {
                Ok(()) | Err(Error::Conflict { .. }) | Err(Error::NotFound { .. }) => handled += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(handled)
    }

    fn sweep_one(&self, approval: Approval, now: DateTime<Utc>) -> Result<()> {
        let org = approval.org_id;
        let mut request = self.store.request(org, approval.ticket_id)?;
        if request.status != RequestState::PendingApproval
            || approval.state != ApprovalDecision::Pending
        {
            return Ok(());
        }
        let calendar = self.calendar_of(&request)?;
        let mut record = Record::system(org, self.ids.as_ref(), request.id, now);
        let mut changes = RequestChanges::default();
        let mut a = approval.clone();
        if a.due_at <= now && a.timed_out_at.is_none() {
            a.timed_out_at = Some(now);
            let plan = request.details.stages.get(a.stage_index as usize).cloned();
            match plan.map(|p| p.on_timeout) {
                Some(TimeoutAction::Reject) => {
                    let all = self.store.approvals(org, request.id)?;
                    cancel_pending(&all, Some(a.id), None, now, &mut changes);
                    a.state = ApprovalDecision::Cancelled;
                    request.details.approval_state = ApprovalState::Rejected;
                    let ctx = RequestContext {
                        reason: Some(format!("stage {} timed out", a.stage_name)),
                        ..context(&request, 1)
                    };
                    self.move_with(
                        &mut request,
                        RequestAction::Reject,
                        &ctx,
                        &mut record,
                        &calendar,
                        now,
                    )?;
                }
                _ => {
                    // Escalate: the undecided approver's manager joins the stage (never a
                    // party to the request, never twice).
                    let manager = self
                        .directory
                        .user(org, a.approver_id)
                        .ok()
                        .and_then(|u| u.manager_id);
                    let existing = self.store.approvals(org, request.id)?;
                    if let Some(m) = manager
                        && m != request.created_by
                        && m != request.requester_id
                        && !existing
                            .iter()
                            .any(|e| e.stage_index == a.stage_index && e.approver_id == m)
                    {
                        let def = crate::approvals::StageDef {
                            name: a.stage_name.clone(),
                            approvers: Vec::new(),
                            decision: crate::approvals::DecisionRule::Any,
                            due_hours: request
                                .details
                                .stages
                                .get(a.stage_index as usize)
                                .map_or(8, |p| p.due_hours),
                            reminder_percent: 0,
                            on_timeout: TimeoutAction::Reject,
                        };
                        let timing = stage_timing(&def, now, &calendar);
                        let mut added = self.approval(
                            &request,
                            a.stage_index as usize,
                            &a.stage_name,
                            m,
                            timing.due_at,
                            None,
                            now,
                        );
                        added.timed_out_at = None;
                        // The manager decides in the approver's place: the stage's
                        // approver list grows by the manager.
                        if let Some(p) = request.details.stages.get_mut(a.stage_index as usize) {
                            p.stage.approvers.push(m);
                        }
                        record.field(
                            "approval",
                            None,
                            Some(format!("{}: escalated to {m}", a.stage_name)),
                        );
                        record.event(EventPayload::ApprovalRequested {
                            ticket_id: request.id,
                            approver_id: m,
                            stage: a.stage_name.clone(),
                            due_at: timing.due_at,
                        });
                        changes.new_approvals.push(added);
                        request.updated_at = now;
                    }
                }
            }
        } else if a.remind_at.is_some_and(|r| r <= now) && a.reminded_at.is_none() {
            a.reminded_at = Some(now);
            record.event(EventPayload::ApprovalReminder {
                ticket_id: request.id,
                approver_id: a.approver_id,
                stage: a.stage_name.clone(),
                due_at: a.due_at,
            });
        } else {
            return Ok(());
        }
        changes.approvals.push(a);
        let write = record.finish("approval.sweep", "approval", approval.id.to_string());
        let version = request.version;
        self.store
            .save_request(org, &request, version, &changes, &write)?;
        Ok(())
    }
}

/// The answers a draft holds, to check again in full.
fn answers_of(request: &ServiceRequest) -> Answers {
    serde_json::to_value(&request.details.answers)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Adds to `changes` every approval of `all` still pending — but `except`, and only those of
/// `only_stage` when given — as cancelled at `now`: the approvals a decision made moot.
fn cancel_pending(
    all: &[Approval],
    except: Option<ApprovalId>,
    only_stage: Option<u32>,
    now: DateTime<Utc>,
    changes: &mut RequestChanges,
) {
    for a in all {
        if Some(a.id) != except
            && a.state == ApprovalDecision::Pending
            && only_stage.is_none_or(|s| a.stage_index == s)
        {
            let mut moot = a.clone();
            moot.state = ApprovalDecision::Cancelled;
            moot.decided_at = Some(now);
            changes.approvals.push(moot);
        }
    }
}

/// What cancelling `request` does besides its move: open approvals and open tasks are
/// cancelled with it.
fn withdraw(
    request: &mut ServiceRequest,
    approvals: &[Approval],
    tasks: Vec<Task>,
    now: DateTime<Utc>,
    changes: &mut RequestChanges,
) {
    cancel_pending(approvals, None, None, now, changes);
    if request.details.approval_state == ApprovalState::Pending {
        request.details.approval_state = ApprovalState::Cancelled;
    }
    for mut t in tasks.into_iter().filter(|t| t.status.is_open()) {
        t.status = TaskState::Cancelled;
        t.updated_at = now;
        changes.updated_tasks.push(t);
    }
}

fn context(request: &ServiceRequest, remaining: u32) -> RequestContext {
    RequestContext {
        approval_required: !request.details.stages.is_empty(),
        approvals_remaining: remaining,
        reason: None,
        open_tasks: 0,
    }
}

fn not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound {
            entity: "service request",
        },
        other => other.into(),
    }
}

fn not_found_task(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound { entity: "task" },
        other => other.into(),
    }
}

impl crate::autoclose::KindCloser for ServiceRequests {
    fn close_resolved_before(&self, org: OrgId, cutoff: DateTime<Utc>, batch: u32) -> Result<u32> {
        let mut closed = 0;
        for mut request in self.store.resolved_before(org, cutoff, batch)? {
            let now = self.clock.now();
            let calendar = self.calendar_of(&request)?;
            let mut record = Record::system(org, self.ids.as_ref(), request.id, now);
            let open = self
                .store_tasks(org, request.id)?
                .iter()
                .filter(|t| t.status.is_open())
                .count();
            if open > 0 {
                continue;
            }
            if self
                .move_to(
                    &mut request,
                    RequestAction::Close,
                    &mut record,
                    &calendar,
                    now,
                )
                .is_err()
            {
                continue;
            }
            let write = record.finish(
                "service_request.auto_close",
                "service_request",
                request.id.to_string(),
            );
            let version = request.version;
            match self.store.save_request(
                org,
                &request,
                version,
                &RequestChanges::default(),
                &write,
            ) {
                Ok(_) => closed += 1,
                Err(StoreError::Conflict { .. } | StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(closed)
    }
}

impl crate::tickets::DuplicateCloser for ServiceRequests {
    fn kind(&self) -> TicketKind {
        TicketKind::Request
    }

    fn close_duplicate(&self, org: OrgId, id: TicketId, original: &str) -> Result<bool> {
        Ok(self.withdraw_as_duplicate(org, id, original)?.is_some())
    }
}
