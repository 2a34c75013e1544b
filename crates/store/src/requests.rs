//! `RequestStore` on both backends: service requests (tickets of kind `request` joined to
//! `request_details`), their approvals and fulfilment tasks, written in one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use servicedesk_core::catalog::{CatalogItemId, CleanAnswers, TaskTemplate};
use servicedesk_core::entities::Task;
use servicedesk_core::ids::{ApprovalId, OrgId, TaskId, TicketId, UserId};
use servicedesk_core::ports::{Created, IdempotencyKey, StoreError, WriteSet};
use servicedesk_core::requests::{
    Approval, ApprovalState, RequestChanges, RequestDetails, RequestStore, ServiceRequest,
    StagePlan,
};
use servicedesk_core::tickets::TicketKind;

use crate::Store;
use crate::counters;
use crate::db::DbConn;
use crate::error::{TxError, corrupt, map};
use crate::incidents::{refuse_replay, remember_key};
use crate::rows::{TaskRow, TicketRow, parse};
use crate::schema::{approvals, request_details, tasks, tickets};
use crate::tickets::{retry_key_race, write_versioned};
use crate::time::{db, db_opt, utc};
use crate::writes::{defer_foreign_keys, persist, persist_audit, persist_children, persist_events};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = request_details, treat_none_as_null = true)]
struct DetailsRow {
    org_id: String,
    ticket_id: String,
    catalog_item_id: String,
    item_version: i64,
    answers: String,
    stages: String,
    approval_state: String,
    current_stage: i32,
    task_template: Option<String>,
}

fn json<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode {what}: {e}")))
}

fn unjson<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what, text))
}

impl DetailsRow {
    fn of(r: &ServiceRequest) -> Result<Self, StoreError> {
        let d = &r.details;
        Ok(Self {
            org_id: r.org_id.to_string(),
            ticket_id: r.id.to_string(),
            catalog_item_id: d.catalog_item_id.to_string(),
            item_version: d.item_version,
            answers: json("answers", &d.answers)?,
            stages: json("approval stages", &d.stages)?,
            approval_state: d.approval_state.as_str().to_owned(),
            current_stage: i32::try_from(d.current_stage).unwrap_or(i32::MAX),
            task_template: d
                .task_template
                .as_ref()
                .map(|t| json("task template", t))
                .transpose()?,
        })
    }

    fn into_details(self) -> Result<RequestDetails, StoreError> {
        Ok(RequestDetails {
            catalog_item_id: CatalogItemId(parse("catalog item id", &self.catalog_item_id)?),
            item_version: self.item_version,
            answers: unjson::<CleanAnswers>("answers", &self.answers)?,
            stages: unjson::<Vec<StagePlan>>("approval stages", &self.stages)?,
            approval_state: parse::<ApprovalState>("approval state", &self.approval_state)?,
            current_stage: u32::try_from(self.current_stage).unwrap_or_default(),
            task_template: self
                .task_template
                .as_deref()
                .map(|t| unjson::<TaskTemplate>("task template", t))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = approvals, treat_none_as_null = true)]
struct ApprovalRow {
    org_id: String,
    id: String,
    ticket_id: String,
    stage_index: i32,
    stage_name: String,
    approver_id: String,
    state: String,
    decided_by: Option<String>,
    comment: Option<String>,
    decided_at: Option<NaiveDateTime>,
    due_at: NaiveDateTime,
    remind_at: Option<NaiveDateTime>,
    reminded_at: Option<NaiveDateTime>,
    timed_out_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    version: i64,
}

impl ApprovalRow {
    fn of(a: &Approval) -> Self {
        Self {
            org_id: a.org_id.to_string(),
            id: a.id.to_string(),
            ticket_id: a.ticket_id.to_string(),
            stage_index: i32::try_from(a.stage_index).unwrap_or(i32::MAX),
            stage_name: a.stage_name.clone(),
            approver_id: a.approver_id.to_string(),
            state: a.state.as_str().to_owned(),
            decided_by: a.decided_by.map(|u| u.to_string()),
            comment: a.comment.clone(),
            decided_at: db_opt(a.decided_at),
            due_at: db(a.due_at),
            remind_at: db_opt(a.remind_at),
            reminded_at: db_opt(a.reminded_at),
            timed_out_at: db_opt(a.timed_out_at),
            created_at: db(a.created_at),
            version: a.version,
        }
    }

    fn into_approval(self) -> Result<Approval, StoreError> {
        Ok(Approval {
            id: ApprovalId(parse("approval id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            ticket_id: TicketId(parse("ticket id", &self.ticket_id)?),
            stage_index: u32::try_from(self.stage_index).unwrap_or_default(),
            stage_name: self.stage_name,
            approver_id: UserId(parse("user id", &self.approver_id)?),
            state: parse("approval state", &self.state)?,
            decided_by: self
                .decided_by
                .as_deref()
                .map(|u| parse("user id", u).map(UserId))
                .transpose()?,
            comment: self.comment,
            decided_at: self.decided_at.map(utc),
            due_at: utc(self.due_at),
            remind_at: self.remind_at.map(utc),
            reminded_at: self.reminded_at.map(utc),
            timed_out_at: self.timed_out_at.map(utc),
            created_at: utc(self.created_at),
            version: self.version,
        })
    }
}

/// Tickets of kind request joined to their extension row.
macro_rules! request_rows {
    () => {
        tickets::table
            .inner_join(
                request_details::table.on(request_details::org_id
                    .eq(tickets::org_id)
                    .and(request_details::ticket_id.eq(tickets::id))),
            )
            .filter(tickets::kind.eq(TicketKind::Request.as_str()))
    };
}

fn compose(t: TicketRow, d: DetailsRow) -> Result<ServiceRequest, StoreError> {
    let status = t.status.clone();
    t.into_any()?
        .typed(d.into_details()?)
        .map_err(|_| corrupt("request status", &status))
}

fn find(conn: &mut DbConn, org: OrgId, id: TicketId) -> Result<ServiceRequest, StoreError> {
    let (t, d) = request_rows!()
        .filter(tickets::org_id.eq(org.to_string()))
        .filter(tickets::id.eq(id.to_string()))
        .first::<(TicketRow, DetailsRow)>(conn)
        .map_err(map("service request"))?;
    compose(t, d)
}

/// Writes the approvals and tasks of `changes` (inside the caller's transaction).
fn apply(conn: &mut DbConn, org: &str, changes: &RequestChanges) -> Result<(), TxError> {
    for a in &changes.new_approvals {
        diesel::insert_into(approvals::table)
            .values(ApprovalRow::of(a))
            .execute(conn)?;
    }
    for a in &changes.approvals {
        let mut row = ApprovalRow::of(a);
        row.version = a.version + 1;
        let n = diesel::update(
            approvals::table
                .filter(approvals::org_id.eq(org))
                .filter(approvals::id.eq(a.id.to_string()))
                .filter(approvals::version.eq(a.version)),
        )
        .set(&row)
        .execute(conn)?;
        if n == 0 {
            // A concurrent decision (or sweep) got there first.
            return Err(TxError::Store(StoreError::Conflict {
                entity: "approval",
                current: a.version + 1,
            }));
        }
    }
    for t in &changes.new_tasks {
        let mut row = TaskRow::from_task(t);
        row.number = counters::next(conn, org, "task")?;
        row.version = 1;
        diesel::insert_into(tasks::table)
            .values(&row)
            .execute(conn)?;
    }
    for t in &changes.updated_tasks {
        let mut row = TaskRow::from_task(t);
        row.version = t.version + 1;
        let n = diesel::update(
            tasks::table
                .filter(tasks::org_id.eq(org))
                .filter(tasks::id.eq(t.id.to_string()))
                .filter(tasks::version.eq(t.version)),
        )
        .set(&row)
        .execute(conn)?;
        if n == 0 {
            return Err(TxError::Store(StoreError::Conflict {
                entity: "task",
                current: t.version + 1,
            }));
        }
    }
    Ok(())
}

impl Store {
    fn create_request_once(
        &self,
        org: OrgId,
        request: &ServiceRequest,
        changes: &RequestChanges,
        write: &WriteSet,
        key: Option<&IdempotencyKey>,
    ) -> Result<Created<ServiceRequest>, StoreError> {
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let mut pass = None;
        let result = crate::db::write_tx(&mut conn, |conn| {
            refuse_replay(conn, &org_s, key)?;
            // As little as possible after the number (see the incident's create); the
            // approvals and tasks stay after the ticket row (tasks take their own numbers).
            persist_events(conn, write)?;
            let mut row = TicketRow::from_ticket(request)?;
            remember_key(
                conn,
                &org_s,
                key,
                "service_request",
                &row.id,
                row.created_at,
            )?;
            defer_foreign_keys(conn)?;
            diesel::insert_into(request_details::table)
                .values(DetailsRow::of(request)?)
                .execute(conn)?;
            persist_children(conn, write)?;
            if pass.is_none() {
                pass = self.db.gate(&org_s, TicketKind::Request.counter())?;
            }
            row.number = counters::next(conn, &org_s, TicketKind::Request.counter())?;
            row.version = 1;
            diesel::insert_into(tickets::table)
                .values(&row)
                .execute(conn)?;
            apply(conn, &org_s, changes)?;
            persist_audit(self, conn, write)?;
            Ok(())
        });
        drop(pass);
        match result {
            Ok(()) => Ok(Created {
                value: find(&mut conn, org, request.id)?,
                replayed: false,
            }),
            Err(TxError::Replay(id)) => Ok(Created {
                value: find(&mut conn, org, TicketId(parse("ticket id", &id)?))?,
                replayed: true,
            }),
            Err(e) => Err(e.into_store("service request")),
        }
    }
}

impl RequestStore for Store {
    fn request_comments(
        &self,
        org: OrgId,
        request: TicketId,
        query: &servicedesk_core::ports::ChildQuery,
    ) -> Result<servicedesk_core::ports::Page<servicedesk_core::entities::Comment>, StoreError>
    {
        crate::incidents::comments_page(self, org, request, query)
    }

    fn request_history(
        &self,
        org: OrgId,
        request: TicketId,
        query: &servicedesk_core::ports::ChildQuery,
    ) -> Result<servicedesk_core::ports::Page<servicedesk_core::entities::HistoryEntry>, StoreError>
    {
        crate::incidents::history_page(self, org, request, query)
    }

    fn create_request(
        &self,
        org: OrgId,
        request: &ServiceRequest,
        changes: &RequestChanges,
        write: &WriteSet,
        key: Option<IdempotencyKey>,
    ) -> Result<Created<ServiceRequest>, StoreError> {
        if request.org_id != org {
            return Err(StoreError::NotFound("organization"));
        }
        retry_key_race(|| self.create_request_once(org, request, changes, write, key.as_ref()))
    }

    fn request(&self, org: OrgId, id: TicketId) -> Result<ServiceRequest, StoreError> {
        find(&mut *self.db.conn()?, org, id)
    }

    fn request_by_number(&self, org: OrgId, number: i64) -> Result<ServiceRequest, StoreError> {
        let (t, d) = request_rows!()
            .filter(tickets::org_id.eq(org.to_string()))
            .filter(tickets::number.eq(number))
            .first::<(TicketRow, DetailsRow)>(&mut *self.db.conn()?)
            .map_err(map("service request"))?;
        compose(t, d)
    }

    fn save_request(
        &self,
        org: OrgId,
        request: &ServiceRequest,
        expected_version: i64,
        changes: &RequestChanges,
        write: &WriteSet,
    ) -> Result<ServiceRequest, StoreError> {
        if request.org_id != org {
            return Err(StoreError::NotFound("service request"));
        }
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let id = request.id.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            let mut row = TicketRow::from_ticket(request)?;
            row.version = expected_version + 1;
            write_versioned(conn, &row, expected_version, "service request")?;
            diesel::update(
                request_details::table
                    .filter(request_details::org_id.eq(&org_s))
                    .filter(request_details::ticket_id.eq(&id)),
            )
            .set(DetailsRow::of(request)?)
            .execute(conn)?;
            apply(conn, &org_s, changes)?;
            persist(self, conn, write)?;
            Ok(())
        })
        .map_err(|e| e.into_store("service request"))?;
        find(&mut conn, org, request.id)
    }

    fn approvals(&self, org: OrgId, request: TicketId) -> Result<Vec<Approval>, StoreError> {
        approvals::table
            .filter(approvals::org_id.eq(org.to_string()))
            .filter(approvals::ticket_id.eq(request.to_string()))
            .order((
                approvals::stage_index.asc(),
                approvals::created_at.asc(),
                approvals::id.asc(),
            ))
            .load::<ApprovalRow>(&mut *self.db.conn()?)
            .map_err(map("approval"))?
            .into_iter()
            .map(ApprovalRow::into_approval)
            .collect()
    }

    fn approval(&self, org: OrgId, id: ApprovalId) -> Result<Approval, StoreError> {
        approvals::table
            .filter(approvals::org_id.eq(org.to_string()))
            .filter(approvals::id.eq(id.to_string()))
            .first::<ApprovalRow>(&mut *self.db.conn()?)
            .map_err(map("approval"))?
            .into_approval()
    }

    fn pending_approvals(
        &self,
        org: OrgId,
        approvers: &[UserId],
    ) -> Result<Vec<Approval>, StoreError> {
        approvals::table
            .filter(approvals::org_id.eq(org.to_string()))
            .filter(
                approvals::approver_id.eq_any(
                    approvers
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                ),
            )
            .filter(approvals::state.eq("pending"))
            .order((approvals::created_at.asc(), approvals::id.asc()))
            .limit(500)
            .load::<ApprovalRow>(&mut *self.db.conn()?)
            .map_err(map("approval"))?
            .into_iter()
            .map(ApprovalRow::into_approval)
            .collect()
    }

    fn tasks_of(&self, org: OrgId, request: TicketId) -> Result<Vec<Task>, StoreError> {
        tasks::table
            .filter(tasks::org_id.eq(org.to_string()))
            .filter(tasks::ticket_id.eq(request.to_string()))
            .order((tasks::created_at.asc(), tasks::number.asc()))
            .load::<TaskRow>(&mut *self.db.conn()?)
            .map_err(map("task"))?
            .into_iter()
            .map(TaskRow::into_task)
            .collect()
    }

    fn task(&self, org: OrgId, id: TaskId) -> Result<Task, StoreError> {
        tasks::table
            .filter(tasks::org_id.eq(org.to_string()))
            .filter(tasks::id.eq(id.to_string()))
            .first::<TaskRow>(&mut *self.db.conn()?)
            .map_err(map("task"))?
            .into_task()
    }

    fn resolved_before(
        &self,
        org: OrgId,
        cutoff: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<ServiceRequest>, StoreError> {
        // Served by the partial index tickets_resolved_at.
        request_rows!()
            .filter(tickets::org_id.eq(org.to_string()))
            .filter(tickets::status_class.eq("resolved"))
            .filter(tickets::deleted_at.is_null())
            .filter(tickets::resolved_at.le(db(cutoff)))
            .order((tickets::resolved_at.asc(), tickets::id.asc()))
            .limit(i64::from(limit))
            .load::<(TicketRow, DetailsRow)>(&mut *self.db.conn()?)
            .map_err(map("service request"))?
            .into_iter()
            .map(|(t, d)| compose(t, d))
            .collect()
    }

    fn approvals_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Approval>, StoreError> {
        let now = db(now);
        approvals::table
            .filter(approvals::state.eq("pending"))
            .filter(
                approvals::remind_at
                    .le(now)
                    .and(approvals::reminded_at.is_null())
                    .or(approvals::due_at
                        .le(now)
                        .and(approvals::timed_out_at.is_null())),
            )
            .order((approvals::due_at.asc(), approvals::id.asc()))
            .limit(i64::from(limit))
            .load::<ApprovalRow>(&mut *self.db.conn()?)
            .map_err(map("approval"))?
            .into_iter()
            .map(ApprovalRow::into_approval)
            .collect()
    }
}
