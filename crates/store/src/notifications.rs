//! Notifications: preferences, the in-app inbox, the delivery queue and webhook endpoints.
//! Claiming deliveries is the one dialect difference, as for the outbox: PostgreSQL skips
//! rows another process holds (`FOR UPDATE SKIP LOCKED`); SQLite's single writer makes the
//! claiming UPDATE exclusive already.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{DeliveryId, NotificationId, OrgId, UserId, WebhookId};
use servicedesk_core::ports::{
    Channel, Delivery, DeliveryFilter, DeliveryQueue, DeliveryRecord, DeliveryState,
    InAppNotification, NotificationStore, Preference, Routed, StoreError, Webhook, WebhookFormat,
    WebhookStore,
};

use crate::Store;
use crate::db::DbConn;
use crate::error::TxError;
use crate::error::{corrupt, map, stale_or_missing};
use crate::rows::parse;
use crate::schema::{deliveries, notification_preferences, notifications, users, webhooks};
use crate::sla_catalog::json;
use crate::time::{db, utc};

#[derive(Queryable, Insertable)]
#[diesel(table_name = notifications)]
struct NotificationRow {
    id: String,
    org_id: String,
    user_id: String,
    event_id: String,
    kind: String,
    ticket_id: Option<String>,
    title: String,
    body: String,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

impl NotificationRow {
    fn from_notification(n: &InAppNotification) -> Self {
        Self {
            id: n.id.to_string(),
            org_id: n.org_id.to_string(),
            user_id: n.user_id.to_string(),
            event_id: n.event_id.to_string(),
            kind: n.kind.clone(),
            ticket_id: n.incident_id.map(|i| i.to_string()),
            title: n.title.clone(),
            body: n.body.clone(),
            created_at: db(n.created_at),
            read_at: n.read_at.map(db),
        }
    }

    fn into_notification(self) -> Result<InAppNotification, StoreError> {
        Ok(InAppNotification {
            id: NotificationId(parse("notification id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            user_id: UserId(parse("user id", &self.user_id)?),
            event_id: servicedesk_core::ids::EventId(parse("event id", &self.event_id)?),
            kind: self.kind,
            incident_id: self
                .ticket_id
                .as_deref()
                .map(|i| parse("incident id", i).map(servicedesk_core::ids::IncidentId))
                .transpose()?,
            title: self.title,
            body: self.body,
            created_at: utc(self.created_at),
            read_at: self.read_at.map(utc),
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    org_id: String,
    id: String,
    name: String,
    url: String,
    events: String,
    format: String,
    secret_sealed: String,
    active: bool,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl WebhookRow {
    fn from_webhook(h: &Webhook) -> Result<Self, StoreError> {
        Ok(Self {
            org_id: h.org_id.to_string(),
            id: h.id.to_string(),
            name: h.name.clone(),
            url: h.url.clone(),
            events: json(&h.events)?,
            format: h.format.as_str().to_owned(),
            secret_sealed: h.secret_sealed.clone(),
            active: h.active,
            version: h.version,
            created_at: db(h.created_at),
            updated_at: db(h.updated_at),
        })
    }

    fn into_webhook(self) -> Result<Webhook, StoreError> {
        Ok(Webhook {
            id: WebhookId(parse("webhook id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            name: self.name,
            url: self.url,
            events: serde_json::from_str(&self.events)
                .map_err(|_| corrupt("webhook events", &self.events))?,
            format: WebhookFormat::parse(&self.format)
                .ok_or_else(|| corrupt("webhook format", &self.format))?,
            secret_sealed: self.secret_sealed,
            active: self.active,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(Queryable)]
struct DeliveryRow {
    id: String,
    org_id: String,
    event_id: String,
    kind: String,
    channel: String,
    target: String,
    created_at: NaiveDateTime,
    available_at: NaiveDateTime,
    attempts: i32,
    last_error: Option<String>,
    delivered_at: Option<NaiveDateTime>,
    dead_at: Option<NaiveDateTime>,
}

impl DeliveryRow {
    fn into_record(self) -> Result<DeliveryRecord, StoreError> {
        let state = match (self.delivered_at, self.dead_at) {
            (Some(_), _) => DeliveryState::Delivered,
            (None, Some(_)) => DeliveryState::Dead,
            (None, None) => DeliveryState::Pending,
        };
        Ok(DeliveryRecord {
            id: DeliveryId(parse("delivery id", &self.id)?),
            org_id: OrgId(parse("org id", &self.org_id)?),
            event_id: servicedesk_core::ids::EventId(parse("event id", &self.event_id)?),
            kind: self.kind,
            channel: Channel::parse(&self.channel)
                .ok_or_else(|| corrupt("delivery channel", &self.channel))?,
            target: self.target,
            state,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_error: self.last_error,
            created_at: utc(self.created_at),
            available_at: utc(self.available_at),
            delivered_at: self.delivered_at.map(utc),
            dead_at: self.dead_at.map(utc),
        })
    }
}

type DeliveryColumns = (
    deliveries::id,
    deliveries::org_id,
    deliveries::event_id,
    deliveries::kind,
    deliveries::channel,
    deliveries::target,
    deliveries::created_at,
    deliveries::available_at,
    deliveries::attempts,
    deliveries::last_error,
    deliveries::delivered_at,
    deliveries::dead_at,
);

const DELIVERY_COLUMNS: DeliveryColumns = (
    deliveries::id,
    deliveries::org_id,
    deliveries::event_id,
    deliveries::kind,
    deliveries::channel,
    deliveries::target,
    deliveries::created_at,
    deliveries::available_at,
    deliveries::attempts,
    deliveries::last_error,
    deliveries::delivered_at,
    deliveries::dead_at,
);

#[derive(QueryableByName)]
#[diesel(table_name = deliveries)]
struct ClaimedRow {
    id: String,
    org_id: String,
    payload: String,
    attempts: i32,
}

/// A delivery's concurrency key, as [`Delivery::target_key`] spells it.
///
/// [`Delivery::target_key`]: servicedesk_core::ports::Delivery::target_key
const TARGET_KEY: &str = "(CASE WHEN channel = 'email' THEN 'email' ELSE 'webhook:' || target END)";

/// `$4` / `?4` is the comma-joined list of busy target keys (keys hold no comma).
fn claim_sql(postgres: bool) -> String {
    let busy = format!(
        "(',' || {p4} || ',') NOT LIKE ('%,' || {TARGET_KEY} || ',%')",
        p4 = if postgres { "$4" } else { "?4" }
    );
    if postgres {
        format!(
            "UPDATE deliveries SET lease_until = $1 WHERE id IN ( \
             SELECT id FROM deliveries WHERE delivered_at IS NULL AND dead_at IS NULL \
             AND available_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) AND {busy} \
             ORDER BY available_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             AND (lease_until IS NULL OR lease_until <= $2) \
             RETURNING id, org_id, payload, attempts"
        )
    } else {
        format!(
            "UPDATE deliveries SET lease_until = ?1 WHERE id IN ( \
             SELECT id FROM deliveries WHERE delivered_at IS NULL AND dead_at IS NULL \
             AND available_at <= ?2 AND (lease_until IS NULL OR lease_until <= ?2) AND {busy} \
             ORDER BY available_at, id LIMIT ?3) \
             RETURNING id, org_id, payload, attempts"
        )
    }
}

impl NotificationStore for Store {
    fn preferences(&self, org: OrgId, user: UserId) -> Result<Vec<Preference>, StoreError> {
        let rows: Vec<(String, bool, bool)> = notification_preferences::table
            .filter(notification_preferences::org_id.eq(org.to_string()))
            .filter(notification_preferences::user_id.eq(user.to_string()))
            .order(notification_preferences::event_kind.asc())
            .select((
                notification_preferences::event_kind,
                notification_preferences::email,
                notification_preferences::in_app,
            ))
            .load(&mut *self.db.conn()?)
            .map_err(map("preference"))?;
        Ok(rows
            .into_iter()
            .map(|(event, email, in_app)| Preference {
                event,
                email,
                in_app,
            })
            .collect())
    }

    fn set_preferences(
        &self,
        org: OrgId,
        user: UserId,
        preferences: &[Preference],
    ) -> Result<(), StoreError> {
        let (org_s, user_s) = (org.to_string(), user.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let exists: i64 = users::table
                .filter(users::org_id.eq(&org_s))
                .filter(users::id.eq(&user_s))
                .count()
                .get_result(conn)?;
            if exists == 0 {
                return Err(StoreError::NotFound("user").into());
            }
            // An upsert, not a delete and an insert: two saves of one user's choice at once
            // on PostgreSQL both deleted nothing the other had not committed yet, and the
            // later insert failed on the key.
            for p in preferences {
                upsert_preference(conn, &org_s, &user_s, p)?;
            }
            Ok(())
        })
        .map_err(|e| e.into_store("user"))
    }

    fn save_routed(&self, org: OrgId, routed: &Routed) -> Result<u32, StoreError> {
        let org_s = org.to_string();
        let now = routed.at;
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let mut new = 0u32;
            for n in &routed.notifications {
                // Checked, not ON CONFLICT: the one writer of an event is the dispatcher
                // holding its outbox lease; a race after a lease expiry fails on the unique
                // key, rolls back, and the retry finds the rows.
                let seen: i64 = notifications::table
                    .filter(notifications::event_id.eq(n.event_id.to_string()))
                    .filter(notifications::user_id.eq(n.user_id.to_string()))
                    .count()
                    .get_result(conn)?;
                if seen == 0 {
                    let mut row = NotificationRow::from_notification(n);
                    row.org_id.clone_from(&org_s);
                    diesel::insert_into(notifications::table)
                        .values(&row)
                        .execute(conn)?;
                    new += 1;
                }
            }
            for d in &routed.deliveries {
                let channel = d.payload.channel().as_str();
                let seen: i64 = deliveries::table
                    .filter(deliveries::event_id.eq(d.event_id.to_string()))
                    .filter(deliveries::channel.eq(channel))
                    .filter(deliveries::target.eq(&d.target))
                    .count()
                    .get_result(conn)?;
                if seen == 0 {
                    let created = now;
                    diesel::insert_into(deliveries::table)
                        .values((
                            deliveries::id.eq(d.id.to_string()),
                            deliveries::org_id.eq(&org_s),
                            deliveries::event_id.eq(d.event_id.to_string()),
                            deliveries::kind.eq(&d.kind),
                            deliveries::channel.eq(channel),
                            deliveries::target.eq(&d.target),
                            deliveries::payload.eq(json(&d.payload)?),
                            deliveries::created_at.eq(db(created)),
                            deliveries::available_at.eq(db(created)),
                            deliveries::attempts.eq(0),
                        ))
                        .execute(conn)?;
                    new += 1;
                }
            }
            Ok(new)
        })
        .map_err(|e| e.into_store("notification"))
    }

    fn notifications(
        &self,
        org: OrgId,
        user: UserId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: u32,
    ) -> Result<Vec<InAppNotification>, StoreError> {
        let mut q = notifications::table
            .filter(notifications::org_id.eq(org.to_string()))
            .filter(notifications::user_id.eq(user.to_string()))
            .into_boxed();
        if unread_only {
            q = q.filter(notifications::read_at.is_null());
        }
        if let Some(b) = before {
            // Ids are UUIDv7: their text order is their creation order.
            q = q.filter(notifications::id.lt(b.to_string()));
        }
        q.order(notifications::id.desc())
            .limit(i64::from(limit))
            .load::<NotificationRow>(&mut *self.db.conn()?)
            .map_err(map("notification"))?
            .into_iter()
            .map(NotificationRow::into_notification)
            .collect()
    }

    fn unread_count(&self, org: OrgId, user: UserId) -> Result<u64, StoreError> {
        let n: i64 = notifications::table
            .filter(notifications::org_id.eq(org.to_string()))
            .filter(notifications::user_id.eq(user.to_string()))
            .filter(notifications::read_at.is_null())
            .count()
            .get_result(&mut *self.db.conn()?)
            .map_err(map("notification"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn purge_read(&self, read_before: DateTime<Utc>, limit: u32) -> Result<u32, StoreError> {
        let mut conn = self.db.conn()?;
        let ids: Vec<String> = notifications::table
            .filter(notifications::read_at.lt(db(read_before)))
            .order(notifications::read_at.asc())
            .limit(i64::from(limit))
            .select(notifications::id)
            .load(&mut *conn)
            .map_err(map("notification"))?;
        let n = diesel::delete(notifications::table.filter(notifications::id.eq_any(&ids)))
            .execute(&mut *conn)
            .map_err(map("notification"))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn mark_read(
        &self,
        org: OrgId,
        user: UserId,
        id: NotificationId,
        at: DateTime<Utc>,
    ) -> Result<InAppNotification, StoreError> {
        let (org_s, user_s, id_s) = (org.to_string(), user.to_string(), id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let mine = notifications::table
                .filter(notifications::id.eq(&id_s))
                .filter(notifications::org_id.eq(&org_s))
                .filter(notifications::user_id.eq(&user_s));
            diesel::update(mine.filter(notifications::read_at.is_null()))
                .set(notifications::read_at.eq(db(at)))
                .execute(conn)?;
            let row = mine
                .first::<NotificationRow>(conn)
                .optional()?
                .ok_or(StoreError::NotFound("notification"))?;
            Ok(row.into_notification()?)
        })
        .map_err(|e| e.into_store("notification"))
    }
}

impl DeliveryQueue for Store {
    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        busy: &[String],
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut conn = self.db.conn()?;
        let (lease, now, limit) = (db(lease_until), db(now), i64::from(limit));
        let busy = busy.join(",");
        // What the claim wrote, as read back: the value `hold` compares with.
        let lease_until = utc(lease);
        let rows: Vec<ClaimedRow> = match &mut *conn {
            DbConn::Postgresql(c) => diesel::sql_query(claim_sql(true))
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .bind::<Text, _>(&busy)
                .load(c),
            DbConn::Sqlite(c) => diesel::sql_query(claim_sql(false))
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .bind::<Text, _>(&busy)
                .load(c),
        }
        .map_err(map("delivery"))?;
        let mut claimed = rows
            .into_iter()
            .map(|r| {
                Ok(Delivery {
                    id: DeliveryId(parse("delivery id", &r.id)?),
                    org_id: OrgId(parse("org id", &r.org_id)?),
                    payload: serde_json::from_str(&r.payload)
                        .map_err(|_| corrupt("delivery payload", &r.payload))?,
                    attempts: u32::try_from(r.attempts).unwrap_or(0),
                    lease_until,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    fn hold(
        &self,
        id: DeliveryId,
        held_until: DateTime<Utc>,
        new_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(id.to_string()))
                .filter(deliveries::lease_until.eq(db(held_until)))
                .filter(deliveries::delivered_at.is_null())
                .filter(deliveries::dead_at.is_null()),
        )
        .set(deliveries::lease_until.eq(db(new_until)))
        .execute(&mut *self.db.conn()?)
        .map_err(map("delivery"))?;
        Ok(changed == 1)
    }

    fn release(&self, id: DeliveryId, held_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(id.to_string()))
                .filter(deliveries::lease_until.eq(db(held_until)))
                .filter(deliveries::delivered_at.is_null())
                .filter(deliveries::dead_at.is_null()),
        )
        .set(deliveries::lease_until.eq(None::<NaiveDateTime>))
        .execute(&mut *self.db.conn()?)
        .map_err(map("delivery"))?;
        Ok(changed == 1)
    }

    fn delivered(
        &self,
        id: DeliveryId,
        held_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let id = id.to_string();
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let changed = diesel::update(
                deliveries::table
                    .filter(deliveries::id.eq(&id))
                    .filter(deliveries::lease_until.eq(db(held_until)))
                    .filter(deliveries::delivered_at.is_null())
                    .filter(deliveries::dead_at.is_null()),
            )
            .set((
                deliveries::delivered_at.eq(db(at)),
                deliveries::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
            if changed == 0 {
                return delivery_lost_or_missing(conn, &id);
            }
            redact_delivery(conn, &id)?;
            Ok(true)
        })
        .map_err(|e| e.into_store("delivery"))
    }

    fn failed(
        &self,
        id: DeliveryId,
        held_until: DateTime<Utc>,
        error: &str,
        at: DateTime<Utc>,
        retry_at: DateTime<Utc>,
        dead: bool,
    ) -> Result<bool, StoreError> {
        let error: String = error.chars().take(1000).collect();
        let id = id.to_string();
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let changed = diesel::update(
                deliveries::table
                    .filter(deliveries::id.eq(&id))
                    .filter(deliveries::lease_until.eq(db(held_until)))
                    .filter(deliveries::delivered_at.is_null())
                    .filter(deliveries::dead_at.is_null()),
            )
            .set((
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::last_error.eq(&error),
                deliveries::available_at.eq(db(retry_at)),
                deliveries::lease_until.eq(None::<NaiveDateTime>),
                deliveries::dead_at.eq(dead.then(|| db(at))),
            ))
            .execute(conn)?;
            if changed == 0 {
                return delivery_lost_or_missing(conn, &id);
            }
            if dead {
                redact_delivery(conn, &id)?;
            }
            Ok(true)
        })
        .map_err(|e| e.into_store("delivery"))
    }

    fn purge_delivered(
        &self,
        delivered_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u32, StoreError> {
        let mut conn = self.db.conn()?;
        let ids: Vec<String> = deliveries::table
            .filter(deliveries::delivered_at.lt(db(delivered_before)))
            .order(deliveries::delivered_at.asc())
            .limit(i64::from(limit))
            .select(deliveries::id)
            .load(&mut *conn)
            .map_err(map("delivery"))?;
        let n = diesel::delete(deliveries::table.filter(deliveries::id.eq_any(&ids)))
            .execute(&mut *conn)
            .map_err(map("delivery"))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn deliveries(
        &self,
        org: OrgId,
        filter: DeliveryFilter,
        before: Option<DeliveryId>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut q = deliveries::table
            .filter(deliveries::org_id.eq(org.to_string()))
            .into_boxed();
        match filter.state {
            Some(DeliveryState::Pending) => {
                q = q
                    .filter(deliveries::delivered_at.is_null())
                    .filter(deliveries::dead_at.is_null());
            }
            Some(DeliveryState::Delivered) => q = q.filter(deliveries::delivered_at.is_not_null()),
            Some(DeliveryState::Dead) => {
                q = q
                    .filter(deliveries::dead_at.is_not_null())
                    .filter(deliveries::delivered_at.is_null());
            }
            None => {}
        }
        if let Some(c) = filter.channel {
            q = q.filter(deliveries::channel.eq(c.as_str()));
        }
        if let Some(w) = filter.webhook_id {
            q = q
                .filter(deliveries::channel.eq(Channel::Webhook.as_str()))
                .filter(deliveries::target.eq(w.to_string()));
        }
        if let Some(b) = before {
            q = q.filter(deliveries::id.lt(b.to_string()));
        }
        q.order(deliveries::id.desc())
            .limit(i64::from(limit))
            .select(DELIVERY_COLUMNS)
            .load::<DeliveryRow>(&mut *self.db.conn()?)
            .map_err(map("delivery"))?
            .into_iter()
            .map(DeliveryRow::into_record)
            .collect()
    }

    fn retry(
        &self,
        org: OrgId,
        id: DeliveryId,
        now: DateTime<Utc>,
        audit: &AuditRecord,
    ) -> Result<DeliveryRecord, StoreError> {
        let (org_s, id_s) = (org.to_string(), id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let this = deliveries::table
                .filter(deliveries::id.eq(&id_s))
                .filter(deliveries::org_id.eq(&org_s));
            let row = this
                .select(DELIVERY_COLUMNS)
                .first::<DeliveryRow>(conn)
                .optional()?
                .ok_or(StoreError::NotFound("delivery"))?
                .into_record()?;
            // A dead account mail lost its single-use link: the user asks for a new one.
            if row.state != DeliveryState::Dead
                || crate::outbox::SECRET_KINDS.contains(&row.kind.as_str())
            {
                return Err(StoreError::Conflict {
                    entity: "delivery",
                    current: i64::from(row.attempts),
                }
                .into());
            }
            diesel::update(this)
                .set((
                    deliveries::dead_at.eq(None::<NaiveDateTime>),
                    deliveries::attempts.eq(0),
                    deliveries::available_at.eq(db(now)),
                    deliveries::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            crate::audit::append(conn, audit)?;
            Ok(this
                .select(DELIVERY_COLUMNS)
                .first::<DeliveryRow>(conn)?
                .into_record()?)
        })
        .map_err(|e| e.into_store("delivery"))
    }
}

/// Writes one event's channel choice, replacing the stored one.
fn upsert_preference(
    conn: &mut DbConn,
    org: &str,
    user: &str,
    p: &Preference,
) -> QueryResult<usize> {
    use diesel::sql_types::Bool;
    const SET: &str = "ON CONFLICT (org_id, user_id, event_kind) \
                       DO UPDATE SET email = excluded.email, in_app = excluded.in_app";
    match conn {
        DbConn::Postgresql(c) => diesel::sql_query(format!(
            "INSERT INTO notification_preferences (org_id, user_id, event_kind, email, in_app) \
             VALUES ($1, $2, $3, $4, $5) {SET}"
        ))
        .bind::<Text, _>(org)
        .bind::<Text, _>(user)
        .bind::<Text, _>(&p.event)
        .bind::<Bool, _>(p.email)
        .bind::<Bool, _>(p.in_app)
        .execute(c),
        DbConn::Sqlite(c) => diesel::sql_query(format!(
            "INSERT INTO notification_preferences (org_id, user_id, event_kind, email, in_app) \
             VALUES (?, ?, ?, ?, ?) {SET}"
        ))
        .bind::<Text, _>(org)
        .bind::<Text, _>(user)
        .bind::<Text, _>(&p.event)
        .bind::<Bool, _>(p.email)
        .bind::<Bool, _>(p.in_app)
        .execute(c),
    }
}

/// Nothing was settled: the lease passed to another courier (or the delivery was settled
/// already), which is `false`; or there is no such delivery.
fn delivery_lost_or_missing(conn: &mut DbConn, id: &str) -> Result<bool, TxError> {
    let exists: i64 = deliveries::table
        .filter(deliveries::id.eq(id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        Err(StoreError::NotFound("delivery").into())
    } else {
        Ok(false)
    }
}

/// Replaces the rendered mail of a token-bearing account mail (its link is the token).
fn redact_delivery(conn: &mut DbConn, id: &str) -> Result<(), TxError> {
    diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::kind.eq_any(crate::outbox::SECRET_KINDS)),
    )
    .set(deliveries::payload.eq(crate::outbox::REDACTED))
    .execute(conn)?;
    Ok(())
}

impl WebhookStore for Store {
    fn webhooks(&self, org: OrgId) -> Result<Vec<Webhook>, StoreError> {
        webhooks::table
            .filter(webhooks::org_id.eq(org.to_string()))
            .order(webhooks::id.asc())
            .load::<WebhookRow>(&mut *self.db.conn()?)
            .map_err(map("webhook"))?
            .into_iter()
            .map(WebhookRow::into_webhook)
            .collect()
    }

    fn webhook(&self, org: OrgId, id: WebhookId) -> Result<Webhook, StoreError> {
        webhooks::table
            .filter(webhooks::org_id.eq(org.to_string()))
            .filter(webhooks::id.eq(id.to_string()))
            .first::<WebhookRow>(&mut *self.db.conn()?)
            .map_err(map("webhook"))?
            .into_webhook()
    }

    fn create_webhook(&self, hook: &Webhook, audit: &AuditRecord) -> Result<Webhook, StoreError> {
        let row = WebhookRow::from_webhook(hook)?;
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            diesel::insert_into(webhooks::table)
                .values(&row)
                .execute(conn)?;
            crate::audit::append(conn, audit)?;
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))?;
        self.webhook(hook.org_id, hook.id)
    }

    fn update_webhook(
        &self,
        hook: &Webhook,
        expected_version: i64,
        audit: &AuditRecord,
    ) -> Result<Webhook, StoreError> {
        let row = WebhookRow::from_webhook(hook)?;
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let this = webhooks::table
                .filter(webhooks::org_id.eq(&row.org_id))
                .filter(webhooks::id.eq(&row.id));
            let changed = diesel::update(this.filter(webhooks::version.eq(expected_version)))
                .set((
                    webhooks::name.eq(&row.name),
                    webhooks::url.eq(&row.url),
                    webhooks::events.eq(&row.events),
                    webhooks::format.eq(&row.format),
                    webhooks::secret_sealed.eq(&row.secret_sealed),
                    webhooks::active.eq(row.active),
                    webhooks::updated_at.eq(row.updated_at),
                    webhooks::version.eq(webhooks::version + 1),
                ))
                .execute(conn)?;
            if changed == 0 {
                let current = this
                    .select(webhooks::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("webhook", current));
            }
            crate::audit::append(conn, audit)?;
            Ok(())
        })
        .map_err(|e| e.into_store("webhook"))?;
        self.webhook(hook.org_id, hook.id)
    }

    fn delete_webhook(
        &self,
        org: OrgId,
        id: WebhookId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let (org_s, id_s) = (org.to_string(), id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let gone = diesel::delete(
                webhooks::table
                    .filter(webhooks::org_id.eq(&org_s))
                    .filter(webhooks::id.eq(&id_s)),
            )
            .execute(conn)?;
            if gone == 0 {
                return Err(StoreError::NotFound("webhook").into());
            }
            diesel::update(
                deliveries::table
                    .filter(deliveries::org_id.eq(&org_s))
                    .filter(deliveries::channel.eq(Channel::Webhook.as_str()))
                    .filter(deliveries::target.eq(&id_s))
                    .filter(deliveries::delivered_at.is_null())
                    .filter(deliveries::dead_at.is_null()),
            )
            .set((
                deliveries::dead_at.eq(Some(db(audit.at))),
                deliveries::last_error.eq("endpoint deleted"),
            ))
            .execute(conn)?;
            crate::audit::append(conn, audit)?;
            Ok(())
        })
        .map_err(|e| e.into_store("webhook"))
    }
}
