//! SLA policies and business calendars: the `SlaCatalog` port and their writes.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use servicedesk_core::ids::{CalendarId, OrgId, SlaPolicyId};
use servicedesk_core::ports::{SlaCatalog, SlaPolicyRecord, StoreError};
use servicedesk_sla::{Calendar, Escalation, PolicyConditions, SlaPolicy, WeeklyHours};

use crate::Store;
use crate::error::{corrupt, map};
use crate::rows::parse;
use crate::schema::{calendars, sla_policies};
use crate::time::db;

pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Unavailable(format!("cannot encode: {e}")))
}

#[derive(Queryable)]
pub(crate) struct CalendarRow {
    pub(crate) time_zone: String,
    pub(crate) hours: String,
    pub(crate) holidays: String,
}

impl CalendarRow {
    pub(crate) fn into_calendar(self) -> Result<Calendar, StoreError> {
        let zone: chrono_tz::Tz = parse("time zone", &self.time_zone)?;
        let hours: WeeklyHours = serde_json::from_str(&self.hours)
            .map_err(|_| corrupt("calendar hours", &self.hours))?;
        let holidays: Vec<NaiveDate> = serde_json::from_str(&self.holidays)
            .map_err(|_| corrupt("calendar holidays", &self.holidays))?;
        Calendar::new(zone, hours, holidays).map_err(|e| corrupt("calendar", &e.to_string()))
    }
}

#[derive(Queryable)]
pub(crate) struct PolicyRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) rank: i32,
    pub(crate) conditions: String,
    pub(crate) first_response_minutes: i64,
    pub(crate) resolution_minutes: i64,
    pub(crate) warn_percent: i32,
    pub(crate) pause_statuses: String,
    pub(crate) escalations: String,
    pub(crate) calendar_id: String,
}

impl PolicyRow {
    pub(crate) fn into_record(self) -> Result<SlaPolicyRecord, StoreError> {
        let conditions: PolicyConditions = serde_json::from_str(&self.conditions)
            .map_err(|_| corrupt("policy conditions", &self.conditions))?;
        let pause_statuses: Vec<String> = serde_json::from_str(&self.pause_statuses)
            .map_err(|_| corrupt("pause statuses", &self.pause_statuses))?;
        let escalations: Vec<Escalation> = serde_json::from_str(&self.escalations)
            .map_err(|_| corrupt("escalations", &self.escalations))?;
        Ok(SlaPolicyRecord {
            id: SlaPolicyId(parse("policy id", &self.id)?),
            calendar_id: CalendarId(parse("calendar id", &self.calendar_id)?),
            policy: SlaPolicy {
                id: self.id,
                name: self.name,
                rank: self.rank,
                conditions,
                first_response: TimeDelta::minutes(self.first_response_minutes),
                resolution: TimeDelta::minutes(self.resolution_minutes),
                warn_percent: u8::try_from(self.warn_percent)
                    .map_err(|_| corrupt("warn percent", &self.warn_percent.to_string()))?,
                pause_statuses,
                escalations,
            },
        })
    }
}

impl Store {
    /// Creates or replaces calendar `id` of `org`.
    ///
    /// # Errors
    /// `NotFound` when the organization does not exist.
    pub fn save_calendar(
        &self,
        org: OrgId,
        id: CalendarId,
        name: &str,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Sla);
        let hours = json(calendar.hours())?;
        let holidays = json(&calendar.holidays().collect::<Vec<_>>())?;
        let zone = calendar.zone().name().to_owned();
        let (org_s, id_s) = (org.to_string(), id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let changed = diesel::update(
                calendars::table
                    .filter(calendars::org_id.eq(&org_s))
                    .filter(calendars::id.eq(&id_s)),
            )
            .set((
                calendars::name.eq(name),
                calendars::time_zone.eq(&zone),
                calendars::hours.eq(&hours),
                calendars::holidays.eq(&holidays),
                calendars::version.eq(calendars::version + 1),
                calendars::updated_at.eq(db(now)),
            ))
            .execute(conn)?;
            if changed == 0 {
                diesel::insert_into(calendars::table)
                    .values((
                        calendars::org_id.eq(&org_s),
                        calendars::id.eq(&id_s),
                        calendars::name.eq(name),
                        calendars::time_zone.eq(&zone),
                        calendars::hours.eq(&hours),
                        calendars::holidays.eq(&holidays),
                        calendars::version.eq(1),
                        calendars::created_at.eq(db(now)),
                        calendars::updated_at.eq(db(now)),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))
    }

    /// Creates or replaces the policy of `record` in `org`; its calendar must exist there.
    ///
    /// # Errors
    /// `NotFound` when the organization or the calendar does not exist in `org`.
    pub fn save_policy(
        &self,
        org: OrgId,
        record: &SlaPolicyRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Sla);
        let p = &record.policy;
        let conditions = json(&p.conditions)?;
        let pauses = json(&p.pause_statuses)?;
        let escalations = json(&p.escalations)?;
        let (org_s, id_s, cal_s) = (
            org.to_string(),
            record.id.to_string(),
            record.calendar_id.to_string(),
        );
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let values = (
                sla_policies::name.eq(&p.name),
                sla_policies::rank.eq(p.rank),
                sla_policies::conditions.eq(&conditions),
                sla_policies::first_response_minutes.eq(p.first_response.num_minutes()),
                sla_policies::resolution_minutes.eq(p.resolution.num_minutes()),
                sla_policies::warn_percent.eq(i32::from(p.warn_percent)),
                sla_policies::pause_statuses.eq(&pauses),
                sla_policies::escalations.eq(&escalations),
                sla_policies::calendar_id.eq(&cal_s),
                sla_policies::active.eq(true),
                sla_policies::updated_at.eq(db(now)),
            );
            let changed = diesel::update(
                sla_policies::table
                    .filter(sla_policies::org_id.eq(&org_s))
                    .filter(sla_policies::id.eq(&id_s)),
            )
            .set((values, sla_policies::version.eq(sla_policies::version + 1)))
            .execute(conn)?;
            if changed == 0 {
                diesel::insert_into(sla_policies::table)
                    .values((
                        sla_policies::org_id.eq(&org_s),
                        sla_policies::id.eq(&id_s),
                        values,
                        sla_policies::version.eq(1),
                        sla_policies::created_at.eq(db(now)),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .map_err(|e| e.into_store("calendar"))
    }
}

impl SlaCatalog for Store {
    fn policies(&self, org: OrgId) -> Result<Vec<SlaPolicyRecord>, StoreError> {
        self.caches.policies(org, || self.load_policies(org))
    }

    fn calendar(&self, org: OrgId, id: CalendarId) -> Result<Calendar, StoreError> {
        self.caches
            .calendar(org, id, || self.load_calendar(org, id))
    }
}

impl Store {
    fn load_policies(&self, org: OrgId) -> Result<Vec<SlaPolicyRecord>, StoreError> {
        sla_policies::table
            .filter(sla_policies::org_id.eq(org.to_string()))
            .filter(sla_policies::active.eq(true))
            .order((sla_policies::rank.asc(), sla_policies::id.asc()))
            .select((
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
            ))
            .load::<PolicyRow>(&mut *self.db.conn()?)
            .map_err(map("sla policy"))?
            .into_iter()
            .map(PolicyRow::into_record)
            .collect()
    }

    fn load_calendar(&self, org: OrgId, id: CalendarId) -> Result<Calendar, StoreError> {
        calendars::table
            .filter(calendars::org_id.eq(org.to_string()))
            .filter(calendars::id.eq(id.to_string()))
            .select((calendars::time_zone, calendars::hours, calendars::holidays))
            .first::<CalendarRow>(&mut *self.db.conn()?)
            .map_err(map("calendar"))?
            .into_calendar()
    }
}
