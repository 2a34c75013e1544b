//! `SlaAdminStore`: business calendars and SLA policies with their names, versions and
//! audit records.
//!
//! Every write of an organization's SLA settings first bumps that organization's
//! `sla_settings` counter row. Its row lock (PostgreSQL) or the write lock it takes
//! (SQLite) serializes the writers, so "is this name taken?" and the insert that follows
//! cannot interleave with another writer's, without a unique index on names.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use servicedesk_core::ids::{CalendarId, OrgId, SlaPolicyId};
use servicedesk_core::ports::{SlaAdminStore, StoreError, StoredCalendar, StoredPolicy, WriteSet};
use servicedesk_sla::Calendar;

use crate::Store;
use crate::db::DbConn;
use crate::error::{TxError, map, stale_or_missing};
use crate::rows::parse;
use crate::schema::{calendars, sla_policies};
use crate::sla_catalog::{CalendarRow, PolicyRow, json};
use crate::time::{db, utc};
use crate::writes::persist;

/// The counter whose row serializes SLA-settings writers of one organization.
const LOCK: &str = "sla_settings";

type CalendarColumns = (
    calendars::id,
    calendars::name,
    calendars::time_zone,
    calendars::hours,
    calendars::holidays,
    calendars::version,
    calendars::created_at,
    calendars::updated_at,
);

const CALENDAR_COLUMNS: CalendarColumns = (
    calendars::id,
    calendars::name,
    calendars::time_zone,
    calendars::hours,
    calendars::holidays,
    calendars::version,
    calendars::created_at,
    calendars::updated_at,
);

#[derive(Queryable)]
struct StoredCalendarRow {
    id: String,
    name: String,
    time_zone: String,
    hours: String,
    holidays: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl StoredCalendarRow {
    fn into_stored(self, org: OrgId) -> Result<StoredCalendar, StoreError> {
        let calendar = CalendarRow {
            time_zone: self.time_zone,
            hours: self.hours,
            holidays: self.holidays,
        }
        .into_calendar()?;
        Ok(StoredCalendar {
            id: CalendarId(parse("calendar id", &self.id)?),
            org_id: org,
            name: self.name,
            calendar,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

type PolicyColumns = (
    (
        sla_policies::id,
        sla_policies::name,
        sla_policies::rank,
        sla_policies::conditions,
        sla_policies::first_response_minutes,
        sla_policies::resolution_minutes,
        sla_policies::warn_percent,
        sla_policies::pause_statuses,
        sla_policies::escalations,
        sla_policies::calendar_id,
    ),
    sla_policies::active,
    sla_policies::version,
    sla_policies::created_at,
    sla_policies::updated_at,
);

const POLICY_COLUMNS: PolicyColumns = (
    (
        sla_policies::id,
        sla_policies::name,
        sla_policies::rank,
        sla_policies::conditions,
        sla_policies::first_response_minutes,
        sla_policies::resolution_minutes,
        sla_policies::warn_percent,
        sla_policies::pause_statuses,
        sla_policies::escalations,
        sla_policies::calendar_id,
    ),
    sla_policies::active,
    sla_policies::version,
    sla_policies::created_at,
    sla_policies::updated_at,
);

type StoredPolicyRow = (PolicyRow, bool, i64, NaiveDateTime, NaiveDateTime);

fn into_stored_policy(row: StoredPolicyRow) -> Result<StoredPolicy, StoreError> {
    let (policy, active, version, created_at, updated_at) = row;
    Ok(StoredPolicy {
        record: policy.into_record()?,
        active,
        version,
        created_at: utc(created_at),
        updated_at: utc(updated_at),
    })
}

/// A calendar's stored text columns: zone, hours, holidays.
fn encode(calendar: &Calendar) -> Result<(String, String, String), StoreError> {
    Ok((
        calendar.zone().name().to_owned(),
        json(calendar.hours())?,
        json(&calendar.holidays().collect::<Vec<_>>())?,
    ))
}

/// Takes the organization's SLA-settings lock for the rest of the transaction.
fn lock(conn: &mut DbConn, org: &str) -> Result<(), TxError> {
    crate::counters::next(conn, org, LOCK)?;
    Ok(())
}

fn duplicate_name() -> TxError {
    TxError::Store(StoreError::Duplicate { field: "name" })
}

/// Whether a calendar of `org` other than `except` is called `name`.
fn calendar_name_taken(
    conn: &mut DbConn,
    org: &str,
    name: &str,
    except: &str,
) -> QueryResult<bool> {
    let ids: Vec<String> = calendars::table
        .filter(calendars::org_id.eq(org))
        .filter(calendars::name.eq(name))
        .select(calendars::id)
        .load(conn)?;
    Ok(ids.iter().any(|id| id != except))
}

/// Whether a policy of `org` other than `except` is called `name`.
fn policy_name_taken(conn: &mut DbConn, org: &str, name: &str, except: &str) -> QueryResult<bool> {
    let ids: Vec<String> = sla_policies::table
        .filter(sla_policies::org_id.eq(org))
        .filter(sla_policies::name.eq(name))
        .select(sla_policies::id)
        .load(conn)?;
    Ok(ids.iter().any(|id| id != except))
}

/// `NotFound("calendar")` unless `org` has calendar `id`.
fn require_calendar(conn: &mut DbConn, org: &str, id: &str) -> Result<(), TxError> {
    let found = calendars::table
        .filter(calendars::org_id.eq(org))
        .filter(calendars::id.eq(id))
        .select(calendars::id)
        .first::<String>(conn)
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(TxError::Store(StoreError::NotFound("calendar"))),
    }
}

impl SlaAdminStore for Store {
    fn calendars(&self, org: OrgId) -> Result<Vec<StoredCalendar>, StoreError> {
        calendars::table
            .filter(calendars::org_id.eq(org.to_string()))
            .order((calendars::name.asc(), calendars::id.asc()))
            .select(CALENDAR_COLUMNS)
            .load::<StoredCalendarRow>(&mut *self.db.conn()?)
            .map_err(map("calendar"))?
            .into_iter()
            .map(|row| row.into_stored(org))
            .collect()
    }

    fn stored_calendar(&self, org: OrgId, id: CalendarId) -> Result<StoredCalendar, StoreError> {
        calendars::table
            .filter(calendars::org_id.eq(org.to_string()))
            .filter(calendars::id.eq(id.to_string()))
            .select(CALENDAR_COLUMNS)
            .first::<StoredCalendarRow>(&mut *self.db.conn()?)
            .map_err(map("calendar"))?
            .into_stored(org)
    }

    fn create_calendar(
        &self,
        calendar: &StoredCalendar,
        write: &WriteSet,
    ) -> Result<StoredCalendar, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Sla);
        let (zone, hours, holidays) = encode(&calendar.calendar)?;
        let (org, id) = (calendar.org_id.to_string(), calendar.id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            lock(conn, &org)?;
            if calendar_name_taken(conn, &org, &calendar.name, &id)? {
                return Err(duplicate_name());
            }
            diesel::insert_into(calendars::table)
                .values((
                    calendars::org_id.eq(&org),
                    calendars::id.eq(&id),
                    calendars::name.eq(&calendar.name),
                    calendars::time_zone.eq(&zone),
                    calendars::hours.eq(&hours),
                    calendars::holidays.eq(&holidays),
                    calendars::version.eq(calendar.version),
                    calendars::created_at.eq(db(calendar.created_at)),
                    calendars::updated_at.eq(db(calendar.updated_at)),
                ))
                .execute(conn)?;
            persist(self, conn, write)
        })
        .map_err(|e| e.into_store("organization"))?;
        drop(conn);
        self.stored_calendar(calendar.org_id, calendar.id)
    }

    fn update_calendar(
        &self,
        calendar: &StoredCalendar,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<StoredCalendar, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Sla);
        let (zone, hours, holidays) = encode(&calendar.calendar)?;
        let (org, id) = (calendar.org_id.to_string(), calendar.id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            lock(conn, &org)?;
            let changed = diesel::update(
                calendars::table
                    .filter(calendars::org_id.eq(&org))
                    .filter(calendars::id.eq(&id))
                    .filter(calendars::version.eq(expected_version)),
            )
            .set((
                calendars::name.eq(&calendar.name),
                calendars::time_zone.eq(&zone),
                calendars::hours.eq(&hours),
                calendars::holidays.eq(&holidays),
                calendars::version.eq(expected_version + 1),
                calendars::updated_at.eq(db(calendar.updated_at)),
            ))
            .execute(conn)?;
            if changed == 0 {
                let current = calendars::table
                    .filter(calendars::org_id.eq(&org))
                    .filter(calendars::id.eq(&id))
                    .select(calendars::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("calendar", current));
            }
            if calendar_name_taken(conn, &org, &calendar.name, &id)? {
                return Err(duplicate_name());
            }
            persist(self, conn, write)
        })
        .map_err(|e| e.into_store("calendar"))?;
        drop(conn);
        self.stored_calendar(calendar.org_id, calendar.id)
    }

    fn stored_policies(&self, org: OrgId) -> Result<Vec<StoredPolicy>, StoreError> {
        sla_policies::table
            .filter(sla_policies::org_id.eq(org.to_string()))
            .order((
                sla_policies::rank.asc(),
                sla_policies::name.asc(),
                sla_policies::id.asc(),
            ))
            .select(POLICY_COLUMNS)
            .load::<StoredPolicyRow>(&mut *self.db.conn()?)
            .map_err(map("sla policy"))?
            .into_iter()
            .map(into_stored_policy)
            .collect()
    }

    fn stored_policy(&self, org: OrgId, id: SlaPolicyId) -> Result<StoredPolicy, StoreError> {
        sla_policies::table
            .filter(sla_policies::org_id.eq(org.to_string()))
            .filter(sla_policies::id.eq(id.to_string()))
            .select(POLICY_COLUMNS)
            .first::<StoredPolicyRow>(&mut *self.db.conn()?)
            .map_err(map("sla policy"))
            .and_then(into_stored_policy)
    }

    fn create_policy(
        &self,
        org: OrgId,
        policy: &StoredPolicy,
        write: &WriteSet,
    ) -> Result<StoredPolicy, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Sla);
        let p = &policy.record.policy;
        let conditions = json(&p.conditions)?;
        let pauses = json(&p.pause_statuses)?;
        let escalations = json(&p.escalations)?;
        let (org_s, id, cal) = (
            org.to_string(),
            policy.record.id.to_string(),
            policy.record.calendar_id.to_string(),
        );
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            lock(conn, &org_s)?;
            require_calendar(conn, &org_s, &cal)?;
            if policy_name_taken(conn, &org_s, &p.name, &id)? {
                return Err(duplicate_name());
            }
            diesel::insert_into(sla_policies::table)
                .values((
                    sla_policies::org_id.eq(&org_s),
                    sla_policies::id.eq(&id),
                    sla_policies::name.eq(&p.name),
                    sla_policies::rank.eq(p.rank),
                    sla_policies::conditions.eq(&conditions),
                    sla_policies::first_response_minutes.eq(p.first_response.num_minutes()),
                    sla_policies::resolution_minutes.eq(p.resolution.num_minutes()),
                    sla_policies::warn_percent.eq(i32::from(p.warn_percent)),
                    sla_policies::pause_statuses.eq(&pauses),
                    sla_policies::escalations.eq(&escalations),
                    sla_policies::calendar_id.eq(&cal),
                    sla_policies::active.eq(policy.active),
                    sla_policies::version.eq(policy.version),
                    sla_policies::created_at.eq(db(policy.created_at)),
                    sla_policies::updated_at.eq(db(policy.updated_at)),
                ))
                .execute(conn)?;
            persist(self, conn, write)
        })
        .map_err(|e| e.into_store("organization"))?;
        drop(conn);
        self.stored_policy(org, policy.record.id)
    }

    fn update_policy(
        &self,
        org: OrgId,
        policy: &StoredPolicy,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<StoredPolicy, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Sla);
        let p = &policy.record.policy;
        let conditions = json(&p.conditions)?;
        let pauses = json(&p.pause_statuses)?;
        let escalations = json(&p.escalations)?;
        let (org_s, id, cal) = (
            org.to_string(),
            policy.record.id.to_string(),
            policy.record.calendar_id.to_string(),
        );
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            lock(conn, &org_s)?;
            let changed = diesel::update(
                sla_policies::table
                    .filter(sla_policies::org_id.eq(&org_s))
                    .filter(sla_policies::id.eq(&id))
                    .filter(sla_policies::version.eq(expected_version)),
            )
            .set((
                sla_policies::name.eq(&p.name),
                sla_policies::rank.eq(p.rank),
                sla_policies::conditions.eq(&conditions),
                sla_policies::first_response_minutes.eq(p.first_response.num_minutes()),
                sla_policies::resolution_minutes.eq(p.resolution.num_minutes()),
                sla_policies::warn_percent.eq(i32::from(p.warn_percent)),
                sla_policies::pause_statuses.eq(&pauses),
                sla_policies::escalations.eq(&escalations),
                sla_policies::calendar_id.eq(&cal),
                sla_policies::active.eq(policy.active),
                sla_policies::version.eq(expected_version + 1),
                sla_policies::updated_at.eq(db(policy.updated_at)),
            ))
            .execute(conn);
            let changed = match changed {
                Ok(n) => n,
                // The calendar reference is checked by the database as well.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                    _,
                )) => return Err(TxError::Store(StoreError::NotFound("calendar"))),
                Err(e) => return Err(e.into()),
            };
            if changed == 0 {
                let current = sla_policies::table
                    .filter(sla_policies::org_id.eq(&org_s))
                    .filter(sla_policies::id.eq(&id))
                    .select(sla_policies::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("sla policy", current));
            }
            require_calendar(conn, &org_s, &cal)?;
            if policy_name_taken(conn, &org_s, &p.name, &id)? {
                return Err(duplicate_name());
            }
            persist(self, conn, write)
        })
        .map_err(|e| e.into_store("sla policy"))?;
        drop(conn);
        self.stored_policy(org, policy.record.id)
    }
}
