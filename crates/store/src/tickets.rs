//! `TicketStore` on both backends: the kernel's reads and writes for every kind, the one
//! queue listing (the incident queue is this listing with one kind), links and the
//! cross-parent task list.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Timestamp};
use servicedesk_core::entities::Task;
use servicedesk_core::ids::{LinkId, OrgId, TicketId, UserId};
use servicedesk_core::ports::{
    IncidentSort, Page, SortDirection, StoreError, Visibility, WriteSet,
};
use servicedesk_core::tickets::{
    AnyTicket, LinkType, TaskQuery, TicketKind, TicketLink, TicketQuery, TicketRef, TicketStore,
};

use crate::Store;
use crate::cursor::{Cursor, sort_name};
use crate::db::{DbConn, MultiBackend};
use crate::error::{TxError, map, stale_or_missing};
use crate::incidents::CREATE_ATTEMPTS;
use crate::rows::{TaskRow, TicketRow, parse};
use crate::schema::{tasks, ticket_links, tickets};
use crate::time::{db, utc};
use crate::writes::persist;

/// A condition on the ticket columns of the query source `QS` (the tickets table, or tasks
/// joined to their parent ticket).
/// Tasks joined to their parent ticket.
type TaskSource = diesel::helper_types::InnerJoinQuerySource<
    tasks::table,
    tickets::table,
    diesel::dsl::And<
        diesel::dsl::Eq<tickets::org_id, tasks::org_id>,
        diesel::dsl::Eq<tickets::id, tasks::ticket_id>,
    >,
>;

pub(crate) type Cond<QS = tickets::table> =
    Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Nullable<Bool>>>;

/// Defines `$name(kind, visibility) -> Cond<$qs>`: what `visibility` lets through of kind
/// `kind`, for a query whose source `$qs` holds the tickets table (alone, or joined under
/// tasks). One body for both sources: the rule is written once.
macro_rules! scope_condition {
    ($name:ident, $qs:ty) => {
        fn $name(kind: TicketKind, visibility: &Visibility) -> Cond<$qs> {
            let of_kind = tickets::kind.eq(kind.as_str()).nullable();
            match visibility {
                Visibility::Org => Box::new(of_kind),
                Visibility::Own { user_id } => {
                    let u = user_id.to_string();
                    Box::new(
                        of_kind.and(
                            tickets::requester_id
                                .eq(u.clone())
                                .nullable()
                                .or(tickets::assignee_id.eq(u)),
                        ),
                    )
                }
                Visibility::Group { user_id, team_ids } => {
                    let u = user_id.to_string();
                    let mine = tickets::requester_id
                        .eq(u.clone())
                        .nullable()
                        .or(tickets::assignee_id.eq(u));
                    if team_ids.is_empty() {
                        Box::new(of_kind.and(mine))
                    } else {
                        // Team members also see the triage queue: tickets without a team.
                        let teams: Vec<String> = team_ids.iter().map(ToString::to_string).collect();
                        Box::new(
                            of_kind.and(
                                mine.or(tickets::team_id.eq_any(teams))
                                    .or(tickets::team_id.is_null().nullable()),
                            ),
                        )
                    }
                }
            }
        }
    };
}

scope_condition!(ticket_scope, tickets::table);
scope_condition!(task_scope, TaskSource);

/// The scopes of a listing as one condition on source `$qs`: any kind's own rule.
macro_rules! any_scope {
    ($scopes:expr, $one:ident, $qs:ty) => {
        $scopes
            .iter()
            .map(|(k, v)| $one(*k, v))
            .reduce(|a, b| -> Cond<$qs> { Box::new(a.or(b)) })
    };
}

/// What `scopes` let through of the tickets table, as one condition; `None` for no scope
/// (nothing may be seen). The reports read through this too: one rule for every reader.
pub(crate) fn scopes_condition(scopes: &[(TicketKind, Visibility)]) -> Option<Cond> {
    any_scope!(scopes, ticket_scope, tickets::table)
}

/// Applies the keyset condition "strictly after (key, id)" in the listing's order.
macro_rules! after {
    ($q:expr, $asc:expr, $key:expr, $k:expr, $id:expr) => {
        if $asc {
            $q.filter($key.gt($k).or($key.eq($k).and(tickets::id.gt($id))))
        } else {
            $q.filter($key.lt($k).or($key.eq($k).and(tickets::id.lt($id))))
        }
    };
}

/// Orders by `(key, id)` in the listing's direction.
macro_rules! order {
    ($q:expr, $asc:expr, $key:expr) => {
        if $asc {
            $q.order(($key.asc(), tickets::id.asc()))
        } else {
            $q.order(($key.desc(), tickets::id.desc()))
        }
    };
}

diesel::define_sql_function! {
    /// SQL `lower`, the same in both dialects.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Escapes LIKE's wildcards (with `\` as the escape character).
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One page of ticket rows for `query`, and the cursor of the next page.
pub(crate) fn list_rows(
    conn: &mut DbConn,
    org: OrgId,
    query: &TicketQuery,
) -> Result<(Vec<TicketRow>, Option<String>), StoreError> {
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
    let limit = query.limit.clamp(1, TicketQuery::MAX_LIMIT);
    let Some(scopes) = scopes_condition(&query.scopes) else {
        return Ok((Vec::new(), None));
    };

    let mut q = tickets::table
        .filter(tickets::org_id.eq(org.to_string()))
        .filter(scopes)
        .into_boxed();
    // One value is filtered as an equality, never a one-element `= ANY`: the planner then
    // matches it to the `(org_id, kind, status, created_at, id)` index and reads the first
    // page in order, even on a table filled faster than autovacuum analyzes it (measured
    // on a fresh database after 20 s of creates: 0.2 ms instead of 14 ms, whose plan
    // scanned the organization's incidents and sorted them).
    match query.statuses.as_slice() {
        [] => {}
        [one] => q = q.filter(tickets::status.eq(one.clone())),
        many => q = q.filter(tickets::status.eq_any(many.to_vec())),
    }
    match query.status_classes.as_slice() {
        [] => {}
        [one] => q = q.filter(tickets::status_class.eq(one.as_str())),
        many => {
            q = q.filter(
                tickets::status_class.eq_any(many.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
            );
        }
    }
    if !query.priorities.is_empty() {
        q = q.filter(
            tickets::priority.eq_any(
                query
                    .priorities
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            ),
        );
    }
    if !query.sla_states.is_empty() {
        q = q.filter(
            tickets::sla_state.eq_any(
                query
                    .sla_states
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>(),
            ),
        );
    }
    if let Some(team) = query.team_id {
        q = q.filter(tickets::team_id.eq(team.to_string()));
    }
    if query.unassigned_team {
        q = q.filter(tickets::team_id.is_null());
    }
    if let Some(user) = query.assignee_id {
        q = q.filter(tickets::assignee_id.eq(user.to_string()));
    }
    if let Some(user) = query.requester_id {
        q = q.filter(tickets::requester_id.eq(user.to_string()));
    }
    if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        q = q.filter(
            lower(tickets::title)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(tickets::description).like(pattern).escape('\\')),
        );
    }
    if let Some(t) = query.created_from {
        q = q.filter(tickets::created_at.ge(db(t)));
    }
    if let Some(t) = query.created_to {
        q = q.filter(tickets::created_at.lt(db(t)));
    }
    if let Some(t) = query.updated_from {
        q = q.filter(tickets::updated_at.ge(db(t)));
    }
    if let Some(t) = query.updated_to {
        q = q.filter(tickets::updated_at.lt(db(t)));
    }
    q = if query.deleted {
        q.filter(tickets::deleted_at.is_not_null())
    } else {
        q.filter(tickets::deleted_at.is_null())
    };

    // Priority: "desc" means most urgent first (lowest rank), oldest first among equals.
    let asc = match query.sort {
        IncidentSort::Priority => query.direction == SortDirection::Desc,
        _ => query.direction == SortDirection::Asc,
    };
    if let Some(c) = &cursor {
        q =
            match query.sort {
                IncidentSort::Created => after!(q, asc, tickets::created_at, c.t, c.i.clone()),
                IncidentSort::Updated => after!(q, asc, tickets::updated_at, c.t, c.i.clone()),
                IncidentSort::SlaDue => after!(q, asc, tickets::sla_sort_key, c.t, c.i.clone()),
                IncidentSort::Priority => {
                    let r = c.r.unwrap_or_default();
                    if asc {
                        q.filter(tickets::priority_rank.gt(r).or(
                            tickets::priority_rank.eq(r).and(
                                tickets::created_at.gt(c.t).or(
                                    tickets::created_at.eq(c.t).and(tickets::id.gt(c.i.clone())),
                                ),
                            ),
                        ))
                    } else {
                        q.filter(tickets::priority_rank.lt(r).or(
                            tickets::priority_rank.eq(r).and(
                                tickets::created_at.lt(c.t).or(
                                    tickets::created_at.eq(c.t).and(tickets::id.lt(c.i.clone())),
                                ),
                            ),
                        ))
                    }
                }
            };
    }
    q = match query.sort {
        IncidentSort::Created => order!(q, asc, tickets::created_at),
        IncidentSort::Updated => order!(q, asc, tickets::updated_at),
        IncidentSort::SlaDue => order!(q, asc, tickets::sla_sort_key),
        // A filter on one priority pins the rank: ordering by it adds nothing, and
        // leaving it out lets the planner walk the (org, kind, priority, created_at)
        // index instead of scanning the rank index past every non-matching row.
        IncidentSort::Priority if query.priorities.len() == 1 => {
            order!(q, asc, tickets::created_at)
        }
        IncidentSort::Priority if asc => q.order((
            tickets::priority_rank.asc(),
            tickets::created_at.asc(),
            tickets::id.asc(),
        )),
        IncidentSort::Priority => q.order((
            tickets::priority_rank.desc(),
            tickets::created_at.desc(),
            tickets::id.desc(),
        )),
    };
    let mut rows = q
        .limit(i64::from(limit) + 1)
        .load::<TicketRow>(conn)
        .map_err(map("ticket"))?;
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
    Ok((rows, next_cursor))
}

/// Writes `row` over the ticket if it is of kind `row.kind` and its stored version is
/// `expected` (the row carries `expected + 1`), inside the caller's transaction: the one
/// version check of every kind's update. `entity` names what a stale or missing ticket is.
pub(crate) fn write_versioned(
    conn: &mut DbConn,
    row: &TicketRow,
    expected: i64,
    entity: &'static str,
) -> Result<(), TxError> {
    let changed = diesel::update(
        tickets::table
            .filter(tickets::org_id.eq(&row.org_id))
            .filter(tickets::id.eq(&row.id))
            .filter(tickets::kind.eq(&row.kind))
            .filter(tickets::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    if changed == 0 {
        let current = tickets::table
            .filter(tickets::org_id.eq(&row.org_id))
            .filter(tickets::id.eq(&row.id))
            .select(tickets::version)
            .first::<i64>(conn)
            .optional()?;
        return Err(stale_or_missing(entity, current));
    }
    Ok(())
}

/// Runs a create up to [`CREATE_ATTEMPTS`] times: two requests with one idempotency key
/// race, and the loser's retry replays the winner.
pub(crate) fn retry_key_race<T>(
    mut create: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match create() {
            Err(StoreError::Duplicate { field: "key" }) if attempt < CREATE_ATTEMPTS => {}
            other => return other,
        }
    }
}

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Claims due tickets for one SLA monitor: rows another monitor holds (row lock or an
/// unexpired lease) are skipped, never waited for.
const SLA_CLAIM_PG: &str = "UPDATE tickets SET sla_claimed_until = $1 WHERE id IN ( \
     SELECT id FROM tickets WHERE next_sla_due_at <= $2 AND next_sla_due_at IS NOT NULL \
     AND deleted_at IS NULL AND (sla_claimed_until IS NULL OR sla_claimed_until <= $2) \
     ORDER BY next_sla_due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     AND (sla_claimed_until IS NULL OR sla_claimed_until <= $2) RETURNING id";

const SLA_CLAIM_SQLITE: &str = "UPDATE tickets SET sla_claimed_until = ?1 WHERE id IN ( \
     SELECT id FROM tickets WHERE next_sla_due_at <= ?2 AND next_sla_due_at IS NOT NULL \
     AND deleted_at IS NULL AND (sla_claimed_until IS NULL OR sla_claimed_until <= ?2) \
     ORDER BY next_sla_due_at, id LIMIT ?3) RETURNING id";

/// Claims up to `limit` due tickets (any kind) and returns their ids, soonest first.
pub(crate) fn claim_due(
    conn: &mut DbConn,
    now: chrono::DateTime<chrono::Utc>,
    lease_until: chrono::DateTime<chrono::Utc>,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let (lease, now, limit) = (db(lease_until), db(now), i64::from(limit));
    // Served by the partial index on next_sla_due_at (rows with a pending instant only).
    let ids: Vec<ClaimedId> = match conn {
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
    .map_err(map("ticket"))?;
    Ok(ids.into_iter().map(|r| r.id).collect())
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = ticket_links)]
struct LinkRow {
    org_id: String,
    id: String,
    source_id: String,
    target_id: String,
    link_type: String,
    created_by: String,
    created_at: chrono::NaiveDateTime,
}

impl LinkRow {
    fn into_link(self) -> Result<TicketLink, StoreError> {
        Ok(TicketLink {
            id: LinkId(parse("link id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            source_id: TicketId(parse("ticket id", &self.source_id)?),
            target_id: TicketId(parse("ticket id", &self.target_id)?),
            link_type: parse::<LinkType>("link type", &self.link_type)?,
            created_by: UserId(parse("user id", &self.created_by)?),
            created_at: utc(self.created_at),
        })
    }
}

fn exists_in_org(conn: &mut DbConn, org: &str, id: TicketId) -> Result<bool, TxError> {
    let n: i64 = tickets::table
        .filter(tickets::org_id.eq(org))
        .filter(tickets::id.eq(id.to_string()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

impl TicketStore for Store {
    fn ticket(&self, org: OrgId, id: TicketId) -> Result<AnyTicket, StoreError> {
        let (org, id) = (org.to_string(), id.to_string());
        crate::db::native!(&mut *self.db.conn()?, |c| tickets::table
            .filter(tickets::org_id.eq(&org))
            .filter(tickets::id.eq(&id))
            .first::<TicketRow>(c))
        .map_err(map("ticket"))?
        .into_any()
    }

    fn tickets(&self, org: OrgId, ids: &[TicketId]) -> Result<Vec<AnyTicket>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let org = org.to_string();
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        crate::db::native!(&mut *self.db.conn()?, |c| tickets::table
            .filter(tickets::org_id.eq(&org))
            .filter(tickets::id.eq_any(&ids))
            .load::<TicketRow>(c))
        .map_err(map("ticket"))?
        .into_iter()
        .map(TicketRow::into_any)
        .collect()
    }

    fn tickets_of(&self, keys: &[(OrgId, TicketId)]) -> Result<Vec<AnyTicket>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // By id alone (ids are unique across organizations): one query for every
        // organization of the round, and a plan over the one index on `id`, where `org_id
        // = $1 AND id = ANY($2)` was planned anew at each call against every index that
        // starts with `org_id`. A row is kept only when its organization is the one it was
        // asked for.
        let wanted: std::collections::HashSet<(String, String)> = keys
            .iter()
            .map(|(o, id)| (o.to_string(), id.to_string()))
            .collect();
        let ids: Vec<&str> = wanted.iter().map(|(_, id)| id.as_str()).collect();
        crate::db::native!(&mut *self.db.conn()?, |c| tickets::table
            .filter(tickets::id.eq_any(&ids))
            .load::<TicketRow>(c))
        .map_err(map("ticket"))?
        .into_iter()
        .filter(|row| wanted.contains(&(row.org_id.clone(), row.id.clone())))
        .map(TicketRow::into_any)
        .collect()
    }

    fn ticket_by_ref(&self, org: OrgId, r: TicketRef) -> Result<AnyTicket, StoreError> {
        tickets::table
            .filter(tickets::org_id.eq(org.to_string()))
            .filter(tickets::kind.eq(r.kind.as_str()))
            .filter(tickets::number.eq(r.number))
            .first::<TicketRow>(&mut *self.db.conn()?)
            .map_err(map("ticket"))?
            .into_any()
    }

    fn list_tickets(&self, org: OrgId, query: &TicketQuery) -> Result<Page<AnyTicket>, StoreError> {
        let (rows, next_cursor) = list_rows(&mut *self.db.conn()?, org, query)?;
        let items = rows
            .into_iter()
            .map(TicketRow::into_any)
            .collect::<Result<_, _>>()?;
        Ok(Page { items, next_cursor })
    }

    fn update_ticket(
        &self,
        org: OrgId,
        ticket: &AnyTicket,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<AnyTicket, StoreError> {
        if ticket.org_id != org {
            return Err(StoreError::NotFound("ticket"));
        }
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let mut row = TicketRow::from_any(ticket)?;
            row.version = expected_version + 1;
            write_versioned(conn, &row, expected_version, "ticket")?;
            persist(self, conn, write)?;
            Ok(row)
        })
        .map_err(|e| e.into_store("ticket"))?
        .into_any()
    }

    fn due_tickets(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<AnyTicket>, StoreError> {
        let mut conn = self.db.conn()?;
        let ids = claim_due(&mut conn, now, lease_until, limit)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        tickets::table
            .filter(tickets::id.eq_any(ids))
            .order((tickets::next_sla_due_at.asc(), tickets::id.asc()))
            .load::<TicketRow>(&mut *conn)
            .map_err(map("ticket"))?
            .into_iter()
            .map(TicketRow::into_any)
            .collect()
    }

    fn links(&self, org: OrgId, ticket: TicketId) -> Result<Vec<TicketLink>, StoreError> {
        let t = ticket.to_string();
        ticket_links::table
            .filter(ticket_links::org_id.eq(org.to_string()))
            .filter(
                ticket_links::source_id
                    .eq(&t)
                    .or(ticket_links::target_id.eq(&t)),
            )
            .order((ticket_links::created_at.asc(), ticket_links::id.asc()))
            .load::<LinkRow>(&mut *self.db.conn()?)
            .map_err(map("link"))?
            .into_iter()
            .map(LinkRow::into_link)
            .collect()
    }

    fn link_targets(
        &self,
        org: OrgId,
        ticket: TicketId,
        link_type: &str,
    ) -> Result<Vec<TicketId>, StoreError> {
        ticket_links::table
            .filter(ticket_links::org_id.eq(org.to_string()))
            .filter(ticket_links::source_id.eq(ticket.to_string()))
            .filter(ticket_links::link_type.eq(link_type))
            .select(ticket_links::target_id)
            .load::<String>(&mut *self.db.conn()?)
            .map_err(map("link"))?
            .iter()
            .map(|t| parse("ticket id", t).map(TicketId))
            .collect()
    }

    fn add_link(&self, org: OrgId, link: &TicketLink, write: &WriteSet) -> Result<(), StoreError> {
        if link.org_id != org {
            return Err(StoreError::NotFound("ticket"));
        }
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            if !exists_in_org(conn, &org_s, link.source_id)?
                || !exists_in_org(conn, &org_s, link.target_id)?
            {
                return Err(TxError::Store(StoreError::NotFound("ticket")));
            }
            diesel::insert_into(ticket_links::table)
                .values(LinkRow {
                    org_id: org_s.clone(),
                    id: link.id.to_string(),
                    source_id: link.source_id.to_string(),
                    target_id: link.target_id.to_string(),
                    link_type: link.link_type.as_str().to_owned(),
                    created_by: link.created_by.to_string(),
                    created_at: db(link.created_at),
                })
                .execute(conn)?;
            persist(self, conn, write)?;
            Ok(())
        })
        .map_err(|e| e.into_store("link"))
    }

    fn remove_link(&self, org: OrgId, id: LinkId, write: &WriteSet) -> Result<(), StoreError> {
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            let n = diesel::delete(
                ticket_links::table
                    .filter(ticket_links::org_id.eq(&org_s))
                    .filter(ticket_links::id.eq(id.to_string())),
            )
            .execute(conn)?;
            if n == 0 {
                return Err(TxError::Store(StoreError::NotFound("link")));
            }
            persist(self, conn, write)?;
            Ok(())
        })
        .map_err(|e| e.into_store("link"))
    }

    fn list_tasks(&self, org: OrgId, query: &TaskQuery) -> Result<Page<Task>, StoreError> {
        let limit = query.limit.clamp(1, TicketQuery::MAX_LIMIT);
        let org_s = org.to_string();
        // A task is visible with its (live) parent, or to its assignee.
        let me = query.actor_id.to_string();
        let visible: Cond<TaskSource> = match any_scope!(query.scopes, task_scope, TaskSource) {
            Some(cond) => Box::new(
                tickets::deleted_at
                    .is_null()
                    .nullable()
                    .and(cond)
                    .or(tasks::assignee_id.eq(me)),
            ),
            None => Box::new(tasks::assignee_id.eq(me)),
        };
        let mut q = tasks::table
            .inner_join(
                tickets::table.on(tickets::org_id
                    .eq(tasks::org_id)
                    .and(tickets::id.eq(tasks::ticket_id))),
            )
            .filter(tasks::org_id.eq(&org_s))
            .filter(visible)
            .select(tasks::all_columns)
            .into_boxed();
        if let Some(u) = query.assignee_id {
            q = q.filter(tasks::assignee_id.eq(u.to_string()));
        }
        if let Some(t) = query.team_id {
            q = q.filter(tasks::team_id.eq(t.to_string()));
        }
        if !query.statuses.is_empty() {
            q = q.filter(
                tasks::status.eq_any(
                    query
                        .statuses
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if let Some(t) = query.deadline_before {
            q = q.filter(tasks::deadline.lt(db(t)));
        }
        if let Some(text) = query.cursor.as_deref() {
            let c = Cursor::decode_child(text, "my_tasks")?;
            q = q.filter(
                tasks::created_at
                    .gt(c.t)
                    .or(tasks::created_at.eq(c.t).and(tasks::id.gt(c.i))),
            );
        }
        let mut rows = q
            .order((tasks::created_at.asc(), tasks::id.asc()))
            .limit(i64::from(limit) + 1)
            .load::<TaskRow>(&mut *self.db.conn()?)
            .map_err(map("task"))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last()
                .map(|r| Cursor::child("my_tasks", r.created_at, r.id.clone()).encode())
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(TaskRow::into_task)
            .collect::<Result<_, _>>()?;
        Ok(Page { items, next_cursor })
    }
}
