//! `IncidentStore` on both backends.

use diesel::dsl::count_star;
use diesel::prelude::*;
use servicedesk_core::entities::{Comment, HistoryEntry, Incident, Task};
use servicedesk_core::ids::{CommentId, IncidentId, OrgId, TaskId};
use servicedesk_core::ports::{
    ChildQuery, Created, IdempotencyKey, IncidentQuery, IncidentStore, NewTask, Page, StoreError,
    WriteSet,
};
use servicedesk_core::tickets::{StatusClass, TicketKind, TicketQuery};
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_lifecycle::task::TaskState;

use crate::Store;
use crate::counters;
use crate::create_batch::{self, PendingCreate};
use crate::cursor::Cursor;
use crate::db::DbConn;
use crate::error::{TxError, map, stale_or_missing};
use crate::rows::{CommentRow, HistoryRow, IncidentDetailsRow, TaskRow, TicketRow};
use crate::schema::{comments, idempotency_keys, incident_details, tasks, ticket_history, tickets};
use crate::tickets::{list_rows, retry_key_race, write_versioned};
use crate::time::db;
use crate::writes::{defer_foreign_keys, persist, persist_audit, persist_children, persist_events};

#[derive(Insertable)]
#[diesel(table_name = idempotency_keys)]
struct KeyRow<'a> {
    org_id: &'a str,
    user_id: String,
    key: &'a str,
    resource_kind: &'a str,
    resource_id: &'a str,
    created_at: chrono::NaiveDateTime,
}

/// Rolls the create back with [`TxError::Replay`] when `key` was seen before for the user.
pub(crate) fn refuse_replay(
    conn: &mut DbConn,
    org: &str,
    key: Option<&IdempotencyKey>,
) -> Result<(), TxError> {
    let Some(key) = key else {
        return Ok(());
    };
    let seen = idempotency_keys::table
        .filter(idempotency_keys::org_id.eq(org))
        .filter(idempotency_keys::user_id.eq(key.user_id.to_string()))
        .filter(idempotency_keys::key.eq(&key.key))
        .select(idempotency_keys::resource_id)
        .first::<String>(conn)
        .optional()?;
    match seen {
        Some(id) => Err(TxError::Replay(id)),
        None => Ok(()),
    }
}

/// Records that `key` created `resource_id` (a racing twin fails on the primary key).
pub(crate) fn remember_key(
    conn: &mut DbConn,
    org: &str,
    key: Option<&IdempotencyKey>,
    kind: &str,
    resource_id: &str,
    at: chrono::NaiveDateTime,
) -> Result<(), TxError> {
    if let Some(key) = key {
        diesel::insert_into(idempotency_keys::table)
            .values(KeyRow {
                org_id: org,
                user_id: key.user_id.to_string(),
                key: &key.key,
                resource_kind: kind,
                resource_id,
                created_at: at,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Attempts at a create that lost an idempotency-key race: the retry finds the winner's row.
pub(crate) const CREATE_ATTEMPTS: usize = 2;

/// Tickets of kind incident joined to their extension row.
macro_rules! incident_rows {
    () => {
        tickets::table
            .inner_join(
                incident_details::table.on(incident_details::org_id
                    .eq(tickets::org_id)
                    .and(incident_details::ticket_id.eq(tickets::id))),
            )
            .filter(tickets::kind.eq(TicketKind::Incident.as_str()))
    };
}

fn find_incident(conn: &mut DbConn, org: OrgId, id: IncidentId) -> Result<Incident, StoreError> {
    let (org, id) = (org.to_string(), id.to_string());
    let (t, d) = crate::db::native!(conn, |c| incident_rows!()
        .filter(tickets::org_id.eq(&org))
        .filter(tickets::id.eq(&id))
        .first::<(TicketRow, IncidentDetailsRow)>(c))
    .map_err(map("incident"))?;
    t.into_incident(d)
}

impl Store {
    /// One create in its own transaction (a create with an idempotency key, any create on
    /// SQLite, and each create of a batch that could not be written together).
    pub(crate) fn create_once(
        &self,
        org: OrgId,
        incident: &Incident,
        write: &WriteSet,
        key: Option<&IdempotencyKey>,
    ) -> Result<Created<Incident>, StoreError> {
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let mut pass = None;
        let result = crate::db::write_tx(&mut conn, |conn| {
            refuse_replay(conn, &org_s, key)?;
            // The organization's counter row serializes its creators until commit (that is
            // what keeps numbers gapless), so only the ticket row, which needs the number,
            // and the audit record come after it; the detail and history rows go first,
            // their keys to the ticket checked at commit. (Taking the number after the
            // ticket row, inserted under a provisional number, measured no faster: the
            // second write of the row touches every index of `tickets` again.)
            persist_events(conn, write)?;
            let mut row = TicketRow::from_ticket(incident)?;
            remember_key(conn, &org_s, key, "incident", &row.id, row.created_at)?;
            defer_foreign_keys(conn)?;
            let details = IncidentDetailsRow::from_incident(incident);
            crate::db::native!(&mut *conn, |c| diesel::insert_into(incident_details::table)
                .values(&details)
                .execute(c))?;
            persist_children(conn, write)?;
            if pass.is_none() {
                pass = self.db.gate(&org_s, "incident")?;
            }
            row.number = counters::next(conn, &org_s, "incident")?;
            row.version = 1;
            crate::db::native!(&mut *conn, |c| diesel::insert_into(tickets::table)
                .values(&row)
                .execute(c))?;
            persist_audit(self, conn, write)?;
            Ok((row, details))
        });
        drop(pass);
        match result {
            Ok((row, details)) => Ok(Created {
                value: row.into_incident(details)?,
                replayed: false,
            }),
            Err(TxError::Replay(id)) => {
                let id = IncidentId(crate::rows::parse("incident id", &id)?);
                Ok(Created {
                    value: find_incident(&mut conn, org, id)?,
                    replayed: true,
                })
            }
            Err(e) => Err(e.into_store("incident")),
        }
    }
}

impl IncidentStore for Store {
    fn create(
        &self,
        org: OrgId,
        incident: &Incident,
        write: &WriteSet,
        key: Option<IdempotencyKey>,
    ) -> Result<Created<Incident>, StoreError> {
        if incident.org_id != org {
            return Err(StoreError::NotFound("organization"));
        }
        if key.is_none()
            && let Some(creates) = &self.creates
        {
            let pending = PendingCreate {
                org,
                incident: incident.clone(),
                write: write.clone(),
            };
            return creates.submit(create_batch::QUEUE, pending, |batch| {
                self.create_incidents(batch)
            });
        }
        retry_key_race(|| self.create_once(org, incident, write, key.as_ref()))
    }

    fn get(&self, org: OrgId, id: IncidentId) -> Result<Incident, StoreError> {
        self.caches
            .incident(org, id, || find_incident(&mut *self.db.conn()?, org, id))
    }

    fn get_by_number(&self, org: OrgId, number: i64) -> Result<Incident, StoreError> {
        let (t, d) = incident_rows!()
            .filter(tickets::org_id.eq(org.to_string()))
            .filter(tickets::number.eq(number))
            .first::<(TicketRow, IncidentDetailsRow)>(&mut *self.db.conn()?)
            .map_err(map("incident"))?;
        t.into_incident(d)
    }

    fn update(
        &self,
        org: OrgId,
        incident: &Incident,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<Incident, StoreError> {
        if incident.org_id != org {
            return Err(StoreError::NotFound("incident"));
        }
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let id = incident.id.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            let mut row = TicketRow::from_ticket(incident)?;
            row.version = expected_version + 1;
            write_versioned(conn, &row, expected_version, "incident")?;
            // A closed incident has no open task. The use case counted them before this
            // transaction; a task that came in since (its insert holds or held the row
            // lock taken above) is seen now, and the close is refused as stale.
            if incident.status == IncidentState::Closed && open_tasks(conn, &org_s, &id)? > 0 {
                return Err(TxError::Store(StoreError::Conflict {
                    entity: "incident",
                    current: expected_version,
                }));
            }
            let details = IncidentDetailsRow::from_incident(incident);
            diesel::update(
                incident_details::table
                    .filter(incident_details::org_id.eq(&org_s))
                    .filter(incident_details::ticket_id.eq(&id)),
            )
            .set(&details)
            .execute(conn)?;
            persist(self, conn, write)?;
            Ok((row, details))
        })
        .map_err(|e| e.into_store("incident"))
        .and_then(|(row, details)| row.into_incident(details))
    }

    fn sla_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.db.conn()?;
        let ids = crate::tickets::claim_due(&mut conn, now, lease_until, limit)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        incident_rows!()
            .filter(tickets::id.eq_any(ids))
            .order((tickets::next_sla_due_at.asc(), tickets::id.asc()))
            .load::<(TicketRow, IncidentDetailsRow)>(&mut *conn)
            .map_err(map("incident"))?
            .into_iter()
            .map(|(t, d)| t.into_incident(d))
            .collect()
    }

    fn resolved_before(
        &self,
        org: OrgId,
        cutoff: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError> {
        let open: Vec<String> = [TaskState::Open, TaskState::InProgress]
            .iter()
            .map(ToString::to_string)
            .collect();
        // Served by the partial index incidents_resolved_at. Incidents with open tasks
        // cannot close; leaving them out keeps them from filling every batch forever.
        incident_rows!()
            .filter(tickets::org_id.eq(org.to_string()))
            .filter(tickets::status.eq("resolved"))
            .filter(tickets::deleted_at.is_null())
            .filter(tickets::resolved_at.le(db(cutoff)))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                tasks::table
                    .filter(tasks::org_id.eq(tickets::org_id))
                    .filter(tasks::ticket_id.eq(tickets::id))
                    .filter(tasks::status.eq_any(open)),
            )))
            .order((tickets::resolved_at.asc(), tickets::id.asc()))
            .limit(i64::from(limit))
            .load::<(TicketRow, IncidentDetailsRow)>(&mut *self.db.conn()?)
            .map_err(map("incident"))?
            .into_iter()
            .map(|(t, d)| t.into_incident(d))
            .collect()
    }

    fn list(&self, org: OrgId, query: &IncidentQuery) -> Result<Page<Incident>, StoreError> {
        let mut conn = self.db.conn()?;
        let load = |conn: &mut DbConn| {
            let (rows, next_cursor) = list_rows(conn, org, &ticket_query(query))?;
            let items = with_details(conn, org, rows)?;
            Ok(Page { items, next_cursor })
        };
        if !self.caches.live() {
            return load(&mut conn);
        }
        let created =
            counters::current(&mut conn, &org.to_string(), TicketKind::Incident.counter())
                .map_err(map("incident"))?;
        self.caches
            .incident_page(org, query, created, || load(&mut conn))
    }

    fn comments(&self, org: OrgId, incident: IncidentId) -> Result<Vec<Comment>, StoreError> {
        comments::table
            .filter(comments::org_id.eq(org.to_string()))
            .filter(comments::ticket_id.eq(incident.to_string()))
            .order((comments::created_at.asc(), comments::id.asc()))
            .load::<CommentRow>(&mut *self.db.conn()?)
            .map_err(map("comment"))?
            .into_iter()
            .map(CommentRow::into_comment)
            .collect()
    }

    fn history(&self, org: OrgId, incident: IncidentId) -> Result<Vec<HistoryEntry>, StoreError> {
        ticket_history::table
            .filter(ticket_history::org_id.eq(org.to_string()))
            .filter(ticket_history::ticket_id.eq(incident.to_string()))
            .order((ticket_history::at.asc(), ticket_history::id.asc()))
            .load::<HistoryRow>(&mut *self.db.conn()?)
            .map_err(map("history"))?
            .into_iter()
            .map(HistoryRow::into_entry)
            .collect()
    }

    fn comments_page(
        &self,
        org: OrgId,
        incident: IncidentId,
        query: &ChildQuery,
    ) -> Result<Page<Comment>, StoreError> {
        comments_page(self, org, incident, query)
    }

    fn comment(
        &self,
        org: OrgId,
        incident: IncidentId,
        id: CommentId,
    ) -> Result<Comment, StoreError> {
        comments::table
            .filter(comments::org_id.eq(org.to_string()))
            .filter(comments::ticket_id.eq(incident.to_string()))
            .filter(comments::id.eq(id.to_string()))
            .first::<CommentRow>(&mut *self.db.conn()?)
            .map_err(map("comment"))?
            .into_comment()
    }

    fn history_page(
        &self,
        org: OrgId,
        incident: IncidentId,
        query: &ChildQuery,
    ) -> Result<Page<HistoryEntry>, StoreError> {
        history_page(self, org, incident, query)
    }

    fn tasks_page(
        &self,
        org: OrgId,
        incident: IncidentId,
        query: &ChildQuery,
    ) -> Result<Page<Task>, StoreError> {
        let limit = query.limit.clamp(1, ChildQuery::MAX_LIMIT);
        let mut q = tasks::table
            .filter(tasks::org_id.eq(org.to_string()))
            .filter(tasks::ticket_id.eq(incident.to_string()))
            .into_boxed();
        if let Some(text) = query.cursor.as_deref() {
            let c = Cursor::decode_child(text, "tasks")?;
            q = q.filter(
                tasks::created_at
                    .gt(c.t)
                    .or(tasks::created_at.eq(c.t).and(tasks::id.gt(c.i))),
            );
        }
        let rows = q
            .order((tasks::created_at.asc(), tasks::id.asc()))
            .limit(i64::from(limit) + 1)
            .load::<TaskRow>(&mut *self.db.conn()?)
            .map_err(map("task"))?;
        page_of(rows, limit, "tasks", |r| (r.created_at, r.id.clone()))?.map(TaskRow::into_task)
    }

    fn open_child_count(&self, org: OrgId, ticket: IncidentId) -> Result<u32, StoreError> {
        let active = [StatusClass::Open.as_str(), StatusClass::Pending.as_str()];
        let n: i64 = crate::schema::ticket_links::table
            .inner_join(
                tickets::table.on(tickets::org_id
                    .eq(crate::schema::ticket_links::org_id)
                    .and(tickets::id.eq(crate::schema::ticket_links::target_id))),
            )
            .filter(crate::schema::ticket_links::org_id.eq(org.to_string()))
            .filter(crate::schema::ticket_links::source_id.eq(ticket.to_string()))
            .filter(crate::schema::ticket_links::link_type.eq("parent_of"))
            .filter(tickets::status_class.eq_any(active))
            .filter(tickets::deleted_at.is_null())
            .select(count_star())
            .first(&mut *self.db.conn()?)
            .map_err(map("link"))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn open_task_count(&self, org: OrgId, incident: IncidentId) -> Result<u32, StoreError> {
        let open: Vec<String> = [TaskState::Open, TaskState::InProgress]
            .iter()
            .map(ToString::to_string)
            .collect();
        let n: i64 = tasks::table
            .filter(tasks::org_id.eq(org.to_string()))
            .filter(tasks::ticket_id.eq(incident.to_string()))
            .filter(tasks::status.eq_any(open))
            .select(count_star())
            .first(&mut *self.db.conn()?)
            .map_err(map("task"))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn create_task(
        &self,
        org: OrgId,
        task: &NewTask,
        write: &WriteSet,
    ) -> Result<Task, StoreError> {
        if task.org_id != org {
            return Err(StoreError::NotFound("incident"));
        }
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            let number = counters::next(conn, &org_s, "task")?;
            // The parent must still be worked when the task lands, not only when the use
            // case read it. The no-op update takes the parent's row lock on PostgreSQL (a
            // resolve or close in flight is waited for, and then its new status is seen);
            // SQLite's immediate transaction already holds the write lock. A close that
            // took the lock first re-counts open tasks inside its own transaction.
            let parent = tickets::table
                .filter(tickets::org_id.eq(&org_s))
                .filter(tickets::id.eq(task.ticket_id.to_string()));
            let active = [StatusClass::Open.as_str(), StatusClass::Pending.as_str()];
            let locked =
                diesel::update(parent.clone().filter(tickets::status_class.eq_any(active)))
                    .set(tickets::version.eq(tickets::version))
                    .execute(conn)?;
            if locked == 0 {
                let current = parent
                    .select(tickets::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("incident", current));
            }
            let mut row = TaskRow::from_task(task);
            row.number = number;
            row.version = 1;
            diesel::insert_into(tasks::table)
                .values(&row)
                .execute(conn)?;
            persist(self, conn, write)?;
            Ok(row)
        })
        .map_err(|e| e.into_store("task"))?
        .into_task()
    }

    fn get_task(&self, org: OrgId, id: TaskId) -> Result<Task, StoreError> {
        tasks::table
            .filter(tasks::org_id.eq(org.to_string()))
            .filter(tasks::id.eq(id.to_string()))
            .first::<TaskRow>(&mut *self.db.conn()?)
            .map_err(map("task"))?
            .into_task()
    }

    fn tasks(&self, org: OrgId, incident: IncidentId) -> Result<Vec<Task>, StoreError> {
        tasks::table
            .filter(tasks::org_id.eq(org.to_string()))
            .filter(tasks::ticket_id.eq(incident.to_string()))
            .order((tasks::created_at.asc(), tasks::id.asc()))
            .load::<TaskRow>(&mut *self.db.conn()?)
            .map_err(map("task"))?
            .into_iter()
            .map(TaskRow::into_task)
            .collect()
    }

    fn update_task(
        &self,
        org: OrgId,
        task: &Task,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<Task, StoreError> {
        if task.org_id != org {
            return Err(StoreError::NotFound("task"));
        }
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let id = task.id.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            let mut row = TaskRow::from_task(task);
            row.version = expected_version + 1;
            let changed = diesel::update(
                tasks::table
                    .filter(tasks::org_id.eq(&org_s))
                    .filter(tasks::id.eq(&id))
                    .filter(tasks::version.eq(expected_version)),
            )
            .set(&row)
            .execute(conn)?;
            if changed == 0 {
                let current = tasks::table
                    .filter(tasks::org_id.eq(&org_s))
                    .filter(tasks::id.eq(&id))
                    .select(tasks::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("task", current));
            }
            persist(self, conn, write)?;
            Ok(row)
        })
        .map_err(|e| e.into_store("task"))?
        .into_task()
    }
}

/// Rows read with `limit + 1`, cut to a page whose cursor (when more follow) names the last
/// row's key.
struct RowPage<R> {
    rows: Vec<R>,
    next_cursor: Option<String>,
}

impl<R> RowPage<R> {
    fn map<T>(self, f: impl Fn(R) -> Result<T, StoreError>) -> Result<Page<T>, StoreError> {
        Ok(Page {
            items: self.rows.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }
}

/// One page of a ticket's comments (any kind), oldest first.
pub(crate) fn comments_page(
    store: &Store,
    org: OrgId,
    incident: IncidentId,
    query: &ChildQuery,
) -> Result<Page<Comment>, StoreError> {
    let limit = query.limit.clamp(1, ChildQuery::MAX_LIMIT);
    let mut q = comments::table
        .filter(comments::org_id.eq(org.to_string()))
        .filter(comments::ticket_id.eq(incident.to_string()))
        .into_boxed();
    if !query.internal {
        q = q.filter(comments::internal.eq(false));
    }
    if let Some(text) = query.cursor.as_deref() {
        let c = Cursor::decode_child(text, "comments")?;
        q = q.filter(
            comments::created_at
                .gt(c.t)
                .or(comments::created_at.eq(c.t).and(comments::id.gt(c.i))),
        );
    }
    let rows = q
        .order((comments::created_at.asc(), comments::id.asc()))
        .limit(i64::from(limit) + 1)
        .load::<CommentRow>(&mut *store.db.conn()?)
        .map_err(map("comment"))?;
    page_of(rows, limit, "comments", |r| (r.created_at, r.id.clone()))?
        .map(CommentRow::into_comment)
}

/// One page of a ticket's history (any kind), oldest first.
pub(crate) fn history_page(
    store: &Store,
    org: OrgId,
    incident: IncidentId,
    query: &ChildQuery,
) -> Result<Page<HistoryEntry>, StoreError> {
    let limit = query.limit.clamp(1, ChildQuery::MAX_LIMIT);
    let mut q = ticket_history::table
        .filter(ticket_history::org_id.eq(org.to_string()))
        .filter(ticket_history::ticket_id.eq(incident.to_string()))
        .into_boxed();
    if !query.hidden_fields.is_empty() {
        q = q.filter(ticket_history::field.ne_all(query.hidden_fields.clone()));
    }
    if let Some(text) = query.cursor.as_deref() {
        let c = Cursor::decode_child(text, "history")?;
        q = q.filter(
            ticket_history::at
                .gt(c.t)
                .or(ticket_history::at.eq(c.t).and(ticket_history::id.gt(c.i))),
        );
    }
    let rows = q
        .order((ticket_history::at.asc(), ticket_history::id.asc()))
        .limit(i64::from(limit) + 1)
        .load::<HistoryRow>(&mut *store.db.conn()?)
        .map_err(map("history"))?;
    page_of(rows, limit, "history", |r| (r.at, r.id.clone()))?.map(HistoryRow::into_entry)
}

fn page_of<R>(
    mut rows: Vec<R>,
    limit: u32,
    name: &str,
    key: impl Fn(&R) -> (chrono::NaiveDateTime, String),
) -> Result<RowPage<R>, StoreError> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|last| {
            let (t, i) = key(last);
            Cursor::child(name, t, i).encode()
        })
    } else {
        None
    };
    Ok(RowPage { rows, next_cursor })
}

/// How many tasks of the incident are neither done nor cancelled.
fn open_tasks(conn: &mut DbConn, org: &str, incident: &str) -> Result<i64, TxError> {
    let open: Vec<String> = [TaskState::Open, TaskState::InProgress]
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(tasks::table
        .filter(tasks::org_id.eq(org))
        .filter(tasks::ticket_id.eq(incident))
        .filter(tasks::status.eq_any(open))
        .select(count_star())
        .first(conn)?)
}

/// The incident queue as the kernel's listing of one kind.
fn ticket_query(q: &IncidentQuery) -> TicketQuery {
    TicketQuery {
        statuses: q.statuses.iter().map(ToString::to_string).collect(),
        priorities: q.priorities.clone(),
        team_id: q.team_id,
        assignee_id: q.assignee_id,
        requester_id: q.requester_id,
        text: q.text.clone(),
        created_from: q.created_from,
        created_to: q.created_to,
        updated_from: q.updated_from,
        updated_to: q.updated_to,
        deleted: q.deleted,
        sort: q.sort,
        direction: q.direction,
        cursor: q.cursor.clone(),
        limit: q.limit,
        ..TicketQuery::new(vec![(TicketKind::Incident, q.visibility.clone())])
    }
}

/// Incidents of `rows` (in their order) with their extension rows, read in one query.
fn with_details(
    conn: &mut DbConn,
    org: OrgId,
    rows: Vec<TicketRow>,
) -> Result<Vec<Incident>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut details: std::collections::HashMap<String, IncidentDetailsRow> =
        crate::db::native!(conn, |c| incident_details::table
            .filter(incident_details::org_id.eq(org.to_string()))
            .filter(incident_details::ticket_id.eq_any(rows.iter().map(|r| r.id.clone())))
            .load::<IncidentDetailsRow>(c))
        .map_err(map("incident"))?
        .into_iter()
        .map(|d| (d.ticket_id.clone(), d))
        .collect();
    rows.into_iter()
        .map(|t| {
            let d = details
                .remove(&t.id)
                .ok_or_else(|| crate::error::corrupt("incident details", &t.id))?;
            t.into_incident(d)
        })
        .collect()
}
