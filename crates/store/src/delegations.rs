//! `DelegationStore`: who decides whose approvals, over which dates.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use servicedesk_core::approvals::{Delegation, DelegationStore};
use servicedesk_core::ids::{DelegationId, OrgId, UserId};
use servicedesk_core::ports::{StoreError, WriteSet};

use crate::Store;
use crate::directory::user_in_org;
use crate::error::{TxError, corrupt, map};
use crate::rows::parse;
use crate::schema::delegations;
use crate::time::db;
use crate::writes::persist;

const DATE: &str = "%Y-%m-%d";

/// The stored form of a date. Only four-digit years compare correctly as text.
fn date_text(d: NaiveDate) -> Result<String, StoreError> {
    if (1..=9999).contains(&d.year()) {
        Ok(d.format(DATE).to_string())
    } else {
        Err(StoreError::Unavailable(format!(
            "date {d} outside the years 1 to 9999"
        )))
    }
}

fn date(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, DATE).map_err(|_| corrupt("date", text))
}

#[derive(Queryable)]
struct DelegationRow {
    id: String,
    user_id: String,
    delegate_id: String,
    starts_on: String,
    ends_on: String,
}

type Columns = (
    delegations::id,
    delegations::user_id,
    delegations::delegate_id,
    delegations::starts_on,
    delegations::ends_on,
);

const COLUMNS: Columns = (
    delegations::id,
    delegations::user_id,
    delegations::delegate_id,
    delegations::starts_on,
    delegations::ends_on,
);

impl DelegationRow {
    fn into_pair(self) -> Result<(DelegationId, Delegation), StoreError> {
        Ok((
            DelegationId(parse("delegation id", &self.id)?),
            Delegation {
                user_id: UserId(parse("user id", &self.user_id)?),
                delegate_id: UserId(parse("user id", &self.delegate_id)?),
                starts_on: date(&self.starts_on)?,
                ends_on: date(&self.ends_on)?,
            },
        ))
    }
}

impl DelegationStore for Store {
    fn create_delegation(
        &self,
        org: OrgId,
        id: DelegationId,
        d: &Delegation,
        write: &WriteSet,
    ) -> Result<(), StoreError> {
        let (starts_on, ends_on) = (date_text(d.starts_on)?, date_text(d.ends_on)?);
        // The store reads no clock: the creation instant is the audit record's.
        let created_at = write.audit.first().map(|a| db(a.at)).ok_or_else(|| {
            StoreError::Unavailable("a delegation is written with its audit record".into())
        })?;
        let org = org.to_string();
        let (user, delegate) = (d.user_id.to_string(), d.delegate_id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            // The foreign keys name users platform-wide; both people must be of `org`.
            for person in [&user, &delegate] {
                if !user_in_org(conn, &org, person)? {
                    return Err(TxError::Store(StoreError::NotFound("user")));
                }
            }
            diesel::insert_into(delegations::table)
                .values((
                    delegations::org_id.eq(&org),
                    delegations::id.eq(id.to_string()),
                    delegations::user_id.eq(&user),
                    delegations::delegate_id.eq(&delegate),
                    delegations::starts_on.eq(&starts_on),
                    delegations::ends_on.eq(&ends_on),
                    delegations::created_at.eq(created_at),
                ))
                .execute(conn)?;
            persist(self, conn, write)?;
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))
    }

    fn delegations_of(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Vec<(DelegationId, Delegation)>, StoreError> {
        delegations::table
            .filter(delegations::org_id.eq(org.to_string()))
            .filter(delegations::user_id.eq(user.to_string()))
            .order((delegations::starts_on.asc(), delegations::id.asc()))
            .select(COLUMNS)
            .load::<DelegationRow>(&mut *self.db.conn()?)
            .map_err(map("delegation"))?
            .into_iter()
            .map(DelegationRow::into_pair)
            .collect()
    }

    fn delegations_to(
        &self,
        org: OrgId,
        delegate: UserId,
        today: NaiveDate,
    ) -> Result<Vec<Delegation>, StoreError> {
        let today = date_text(today)?;
        delegations::table
            .filter(delegations::org_id.eq(org.to_string()))
            .filter(delegations::delegate_id.eq(delegate.to_string()))
            .filter(delegations::starts_on.le(&today))
            .filter(delegations::ends_on.ge(&today))
            .order((delegations::starts_on.asc(), delegations::id.asc()))
            .select(COLUMNS)
            .load::<DelegationRow>(&mut *self.db.conn()?)
            .map_err(map("delegation"))?
            .into_iter()
            .map(|row| row.into_pair().map(|(_, d)| d))
            .collect()
    }

    fn delete_delegation(
        &self,
        org: OrgId,
        user: UserId,
        id: DelegationId,
        write: &WriteSet,
    ) -> Result<(), StoreError> {
        let (org, user, id) = (org.to_string(), user.to_string(), id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let gone = diesel::delete(
                delegations::table
                    .filter(delegations::org_id.eq(&org))
                    .filter(delegations::id.eq(&id))
                    .filter(delegations::user_id.eq(&user)),
            )
            .execute(conn)?;
            if gone == 0 {
                return Err(TxError::Store(StoreError::NotFound("delegation")));
            }
            persist(self, conn, write)?;
            Ok(())
        })
        .map_err(|e| e.into_store("delegation"))
    }
}
