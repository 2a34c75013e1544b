//! `IncidentStore` on both backends.

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use servicedesk_core::entities::{Comment, HistoryEntry, Incident, Task};
use servicedesk_core::ids::{CommentId, IncidentId, OrgId, TaskId};
use servicedesk_core::ports::{
    ChildQuery, Created, IdempotencyKey, IncidentQuery, IncidentSort, IncidentStore, NewTask, Page,
    SortDirection, StoreError, Visibility, WriteSet,
};
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_lifecycle::task::TaskState;

use crate::Store;
use crate::counters;
use crate::cursor::{Cursor, sort_name};
use crate::db::DbConn;
use crate::error::{TxError, map, stale_or_missing};
use crate::rows::{CommentRow, HistoryRow, IncidentRow, TaskRow};
use crate::schema::{comments, idempotency_keys, incidents, tasks, ticket_history};
use crate::time::db;
use crate::writes::persist;

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Claims due incidents for one SLA monitor: rows another monitor holds (row lock or an
/// unexpired lease) are skipped, never waited for.
const SLA_CLAIM_PG: &str = "UPDATE incidents SET sla_claimed_until = $1 WHERE id IN ( \
     SELECT id FROM incidents WHERE next_sla_due_at <= $2 AND next_sla_due_at IS NOT NULL \
     AND deleted_at IS NULL AND (sla_claimed_until IS NULL OR sla_claimed_until <= $2) \
     ORDER BY next_sla_due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     AND (sla_claimed_until IS NULL OR sla_claimed_until <= $2) RETURNING id";

const SLA_CLAIM_SQLITE: &str = "UPDATE incidents SET sla_claimed_until = ?1 WHERE id IN ( \
     SELECT id FROM incidents WHERE next_sla_due_at <= ?2 AND next_sla_due_at IS NOT NULL \
     AND deleted_at IS NULL AND (sla_claimed_until IS NULL OR sla_claimed_until <= ?2) \
     ORDER BY next_sla_due_at, id LIMIT ?3) RETURNING id";

diesel::define_sql_function! {
    /// SQL `lower`, the same in both dialects.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

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

/// Attempts at a create that lost an idempotency-key race: the retry finds the winner's row.
const CREATE_ATTEMPTS: usize = 2;

fn find_incident(conn: &mut DbConn, org: OrgId, id: IncidentId) -> Result<Incident, StoreError> {
    incidents::table
        .filter(incidents::org_id.eq(org.to_string()))
        .filter(incidents::id.eq(id.to_string()))
        .first::<IncidentRow>(conn)
        .map_err(map("incident"))?
        .into_incident()
}

impl Store {
    fn create_once(
        &self,
        org: OrgId,
        incident: &Incident,
        write: &WriteSet,
        key: Option<&IdempotencyKey>,
    ) -> Result<Created<Incident>, StoreError> {
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let result = crate::db::write_tx(&mut conn, |conn| {
            // The counter update comes first: on SQLite a transaction that starts with a write
            // queues on the write lock instead of failing on a stale read snapshot.
            let number = counters::next(conn, &org_s, "incident")?;
            if let Some(key) = key {
                let seen = idempotency_keys::table
                    .filter(idempotency_keys::org_id.eq(&org_s))
                    .filter(idempotency_keys::user_id.eq(key.user_id.to_string()))
                    .filter(idempotency_keys::key.eq(&key.key))
                    .select(idempotency_keys::resource_id)
                    .first::<String>(conn)
                    .optional()?;
                if let Some(id) = seen {
                    return Err(TxError::Replay(id));
                }
            }
            let mut row = IncidentRow::from_incident(incident)?;
            row.number = number;
            row.version = 1;
            diesel::insert_into(incidents::table)
                .values(&row)
                .execute(conn)?;
            if let Some(key) = key {
                diesel::insert_into(idempotency_keys::table)
                    .values(KeyRow {
                        org_id: &org_s,
                        user_id: key.user_id.to_string(),
                        key: &key.key,
                        resource_kind: "incident",
                        resource_id: &row.id,
                        created_at: row.created_at,
                    })
                    .execute(conn)?;
            }
            persist(self, conn, write)?;
            Ok(row)
        });
        match result {
            Ok(row) => Ok(Created {
                value: row.into_incident()?,
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

/// Applies the keyset condition "strictly after (key, id)" in the listing's order.
macro_rules! after {
    ($q:expr, $asc:expr, $key:expr, $k:expr, $id:expr) => {
        if $asc {
            $q.filter($key.gt($k).or($key.eq($k).and(incidents::id.gt($id))))
        } else {
            $q.filter($key.lt($k).or($key.eq($k).and(incidents::id.lt($id))))
        }
    };
}

/// Orders by `(key, id)` in the listing's direction.
macro_rules! order {
    ($q:expr, $asc:expr, $key:expr) => {
        if $asc {
            $q.order(($key.asc(), incidents::id.asc()))
        } else {
            $q.order(($key.desc(), incidents::id.desc()))
        }
    };
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
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_once(org, incident, write, key.as_ref()) {
                // Two requests with one key raced; the loser's retry replays the winner.
                Err(StoreError::Duplicate { field: "key" }) if attempt < CREATE_ATTEMPTS => {
                    continue;
                }
                other => return other,
            }
        }
    }

    fn get(&self, org: OrgId, id: IncidentId) -> Result<Incident, StoreError> {
        find_incident(&mut *self.db.conn()?, org, id)
    }

    fn get_by_number(&self, org: OrgId, number: i64) -> Result<Incident, StoreError> {
        incidents::table
            .filter(incidents::org_id.eq(org.to_string()))
            .filter(incidents::number.eq(number))
            .first::<IncidentRow>(&mut *self.db.conn()?)
            .map_err(map("incident"))?
            .into_incident()
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
            let mut row = IncidentRow::from_incident(incident)?;
            row.version = expected_version + 1;
            let changed = diesel::update(
                incidents::table
                    .filter(incidents::org_id.eq(&org_s))
                    .filter(incidents::id.eq(&id))
                    .filter(incidents::version.eq(expected_version)),
            )
            .set(&row)
            .execute(conn)?;
            if changed == 0 {
                let current = incidents::table
                    .filter(incidents::org_id.eq(&org_s))
                    .filter(incidents::id.eq(&id))
                    .select(incidents::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("incident", current));
            }
            // A closed incident has no open task. The use case counted them before this
            // transaction; a task that came in since (its insert holds or held the row
            // lock taken above) is seen now, and the close is refused as stale.
            if incident.status == IncidentState::Closed && open_tasks(conn, &org_s, &id)? > 0 {
                return Err(TxError::Store(StoreError::Conflict {
                    entity: "incident",
                    current: expected_version,
                }));
            }
            persist(self, conn, write)?;
            Ok(row)
        })
        .map_err(|e| e.into_store("incident"))?
        .into_incident()
    }

    fn sla_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.db.conn()?;
        let (lease, now, limit) = (db(lease_until), db(now), i64::from(limit));
        // Served by the partial index on next_sla_due_at (rows with a pending instant only).
        let ids: Vec<ClaimedId> = match &mut *conn {
            DbConn::Postgresql(c) => diesel::sql_query(SLA_CLAIM_PG)
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load(c),
            DbConn::Sqlite(c) => diesel::sql_query(SLA_CLAIM_SQLITE)
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load(c),
        }
        .map_err(map("incident"))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        incidents::table
            .filter(incidents::id.eq_any(ids.into_iter().map(|r| r.id)))
            .order((incidents::next_sla_due_at.asc(), incidents::id.asc()))
            .load::<IncidentRow>(&mut *conn)
            .map_err(map("incident"))?
            .into_iter()
            .map(IncidentRow::into_incident)
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
        incidents::table
            .filter(incidents::org_id.eq(org.to_string()))
            .filter(incidents::status.eq("resolved"))
            .filter(incidents::deleted_at.is_null())
            .filter(incidents::resolved_at.le(db(cutoff)))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                tasks::table
                    .filter(tasks::org_id.eq(incidents::org_id))
                    .filter(tasks::incident_id.eq(incidents::id))
                    .filter(tasks::status.eq_any(open)),
            )))
            .order((incidents::resolved_at.asc(), incidents::id.asc()))
            .limit(i64::from(limit))
            .load::<IncidentRow>(&mut *self.db.conn()?)
            .map_err(map("incident"))?
            .into_iter()
            .map(IncidentRow::into_incident)
            .collect()
    }

    fn list(&self, org: OrgId, query: &IncidentQuery) -> Result<Page<Incident>, StoreError> {
        let direction = if query.direction == SortDirection::Asc {
            "a"
        } else {
            "d"
        };
        let cursor = query
            .cursor
            .as_deref()
            .map(|c| Cursor::decode(c, query.sort, direction))
            .transpose()?;
        let limit = query.limit.clamp(1, IncidentQuery::MAX_LIMIT);

        let mut q = incidents::table
            .filter(incidents::org_id.eq(org.to_string()))
            .into_boxed();
        match &query.visibility {
            Visibility::Org => {}
            Visibility::Own { user_id } => {
                let u = user_id.to_string();
                q = q.filter(
                    incidents::requester_id
                        .eq(u.clone())
                        .or(incidents::assignee_id.eq(u)),
                );
            }
            Visibility::Group { user_id, team_ids } => {
                let u = user_id.to_string();
                let mine = incidents::requester_id
                    .eq(u.clone())
                    .or(incidents::assignee_id.eq(u));
                q = if team_ids.is_empty() {
                    q.filter(mine)
                } else {
                    // Team members also see the triage queue: incidents without a team.
                    let teams: Vec<String> = team_ids.iter().map(ToString::to_string).collect();
                    q.filter(
                        mine.or(incidents::team_id.eq_any(teams))
                            .or(incidents::team_id.is_null()),
                    )
                };
            }
        }
        if !query.statuses.is_empty() {
            q = q.filter(
                incidents::status.eq_any(
                    query
                        .statuses
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if !query.priorities.is_empty() {
            q = q.filter(
                incidents::priority.eq_any(
                    query
                        .priorities
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if let Some(team) = query.team_id {
            q = q.filter(incidents::team_id.eq(team.to_string()));
        }
        if let Some(user) = query.assignee_id {
            q = q.filter(incidents::assignee_id.eq(user.to_string()));
        }
        if let Some(user) = query.requester_id {
            q = q.filter(incidents::requester_id.eq(user.to_string()));
        }
        if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            q = q.filter(
                lower(incidents::title)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(incidents::description).like(pattern).escape('\\')),
            );
        }
        if let Some(t) = query.created_from {
            q = q.filter(incidents::created_at.ge(db(t)));
        }
        if let Some(t) = query.created_to {
            q = q.filter(incidents::created_at.lt(db(t)));
        }
        if let Some(t) = query.updated_from {
            q = q.filter(incidents::updated_at.ge(db(t)));
        }
        if let Some(t) = query.updated_to {
            q = q.filter(incidents::updated_at.lt(db(t)));
        }
        q = if query.deleted {
            q.filter(incidents::deleted_at.is_not_null())
        } else {
            q.filter(incidents::deleted_at.is_null())
        };

        // Priority: "desc" means most urgent first (lowest rank), oldest first among equals.
        let asc = match query.sort {
            IncidentSort::Priority => query.direction == SortDirection::Desc,
            _ => query.direction == SortDirection::Asc,
        };
        if let Some(c) = &cursor {
            q = match query.sort {
                IncidentSort::Created => after!(q, asc, incidents::created_at, c.t, c.i.clone()),
                IncidentSort::Updated => after!(q, asc, incidents::updated_at, c.t, c.i.clone()),
                IncidentSort::SlaDue => after!(q, asc, incidents::sla_sort_key, c.t, c.i.clone()),
                IncidentSort::Priority => {
                    let r = c.r.unwrap_or_default();
                    if asc {
                        q.filter(
                            incidents::priority_rank
                                .gt(r)
                                .or(incidents::priority_rank.eq(r).and(
                                    incidents::created_at.gt(c.t).or(incidents::created_at
                                        .eq(c.t)
                                        .and(incidents::id.gt(c.i.clone()))),
                                )),
                        )
                    } else {
                        q.filter(
                            incidents::priority_rank
                                .lt(r)
                                .or(incidents::priority_rank.eq(r).and(
                                    incidents::created_at.lt(c.t).or(incidents::created_at
                                        .eq(c.t)
                                        .and(incidents::id.lt(c.i.clone()))),
                                )),
                        )
                    }
                }
            };
        }
        q = match query.sort {
            IncidentSort::Created => order!(q, asc, incidents::created_at),
            IncidentSort::Updated => order!(q, asc, incidents::updated_at),
            IncidentSort::SlaDue => order!(q, asc, incidents::sla_sort_key),
            // A filter on one priority pins the rank: ordering by it adds nothing, and
            // leaving it out lets the planner walk the (org, priority, created_at) index
            // instead of scanning the rank index past every non-matching row.
            IncidentSort::Priority if query.priorities.len() == 1 => {
                order!(q, asc, incidents::created_at)
            }
            IncidentSort::Priority if asc => q.order((
                incidents::priority_rank.asc(),
                incidents::created_at.asc(),
                incidents::id.asc(),
            )),
            IncidentSort::Priority => q.order((
                incidents::priority_rank.desc(),
                incidents::created_at.desc(),
                incidents::id.desc(),
            )),
        };
        let mut rows = q
            .limit(i64::from(limit) + 1)
            .load::<IncidentRow>(&mut *self.db.conn()?)
            .map_err(map("incident"))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| {
                Cursor {
                    s: sort_name(query.sort).to_owned(),
                    d: direction.to_owned(),
                    r: (query.sort == IncidentSort::Priority).then_some(last.priority_rank),
                    t: match query.sort {
                        IncidentSort::Created | IncidentSort::Priority => last.created_at,
                        IncidentSort::Updated => last.updated_at,
                        IncidentSort::SlaDue => last.sla_sort_key,
                    },
                    i: last.id.clone(),
                }
                .encode()
            })
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(IncidentRow::into_incident)
            .collect::<Result<_, _>>()?;
        Ok(Page { items, next_cursor })
    }

    fn comments(&self, org: OrgId, incident: IncidentId) -> Result<Vec<Comment>, StoreError> {
        comments::table
            .filter(comments::org_id.eq(org.to_string()))
            .filter(comments::incident_id.eq(incident.to_string()))
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
            .filter(ticket_history::incident_id.eq(incident.to_string()))
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
        let limit = query.limit.clamp(1, ChildQuery::MAX_LIMIT);
        let mut q = comments::table
            .filter(comments::org_id.eq(org.to_string()))
            .filter(comments::incident_id.eq(incident.to_string()))
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
            .load::<CommentRow>(&mut *self.db.conn()?)
            .map_err(map("comment"))?;
        page_of(rows, limit, "comments", |r| (r.created_at, r.id.clone()))?
            .map(CommentRow::into_comment)
    }

    fn comment(
        &self,
        org: OrgId,
        incident: IncidentId,
        id: CommentId,
    ) -> Result<Comment, StoreError> {
        comments::table
            .filter(comments::org_id.eq(org.to_string()))
            .filter(comments::incident_id.eq(incident.to_string()))
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
        let limit = query.limit.clamp(1, ChildQuery::MAX_LIMIT);
        let mut q = ticket_history::table
            .filter(ticket_history::org_id.eq(org.to_string()))
            .filter(ticket_history::incident_id.eq(incident.to_string()))
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
            .load::<HistoryRow>(&mut *self.db.conn()?)
            .map_err(map("history"))?;
        page_of(rows, limit, "history", |r| (r.at, r.id.clone()))?.map(HistoryRow::into_entry)
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
            .filter(tasks::incident_id.eq(incident.to_string()))
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

    fn open_task_count(&self, org: OrgId, incident: IncidentId) -> Result<u32, StoreError> {
        let open: Vec<String> = [TaskState::Open, TaskState::InProgress]
            .iter()
            .map(ToString::to_string)
            .collect();
        let n: i64 = tasks::table
            .filter(tasks::org_id.eq(org.to_string()))
            .filter(tasks::incident_id.eq(incident.to_string()))
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
            let parent = incidents::table
                .filter(incidents::org_id.eq(&org_s))
                .filter(incidents::id.eq(task.incident_id.to_string()));
            let active: Vec<String> = [
                IncidentState::New,
                IncidentState::Open,
                IncidentState::InProgress,
                IncidentState::OnHold,
            ]
            .iter()
            .map(ToString::to_string)
            .collect();
            let locked = diesel::update(parent.clone().filter(incidents::status.eq_any(active)))
                .set(incidents::version.eq(incidents::version))
                .execute(conn)?;
            if locked == 0 {
                let current = parent
                    .select(incidents::version)
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
            .filter(tasks::incident_id.eq(incident.to_string()))
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
        .filter(tasks::incident_id.eq(incident))
        .filter(tasks::status.eq_any(open))
        .select(count_star())
        .first(conn)?)
}

/// Escapes LIKE wildcards so user text matches literally.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
