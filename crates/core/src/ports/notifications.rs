//! Where notifications live (NTF-1..NTF-5): per-user preferences, the in-app inbox, the
//! delivery queue that mails and webhooks go through, and the webhook endpoints.
//!
//! The outbox holds *what happened*; the delivery queue holds *who is told how*. The
//! notification router turns one outbox event into in-app rows and deliveries in one
//! transaction, idempotently (one row per event and recipient), so a retried event never
//! doubles a mail; the courier then sends each delivery with its own retries, so a failing
//! webhook never re-sends a mail that already went out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::AuditRecord;
use crate::ids::{DeliveryId, EventId, IncidentId, NotificationId, OrgId, UserId, WebhookId};
use crate::ports::{Mail, StoreError, WebhookFormat, WebhookMessage};

/// A user's choice for one event type. Types without a stored choice are on for both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    /// The event type, e.g. `incident.assigned`.
    pub event: String,
    /// Send e-mail.
    pub email: bool,
    /// Show in the in-app inbox.
    pub in_app: bool,
}

/// One in-app notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InAppNotification {
    /// Its id.
    pub id: NotificationId,
    /// The organization.
    pub org_id: OrgId,
    /// Whose inbox.
    pub user_id: UserId,
    /// The event it tells about.
    pub event_id: EventId,
    /// The event type.
    pub kind: String,
    /// The ticket, if any.
    pub incident_id: Option<IncidentId>,
    /// One line, e.g. `INC-42 assigned to you`.
    pub title: String,
    /// Details.
    pub body: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the user marked it read.
    pub read_at: Option<DateTime<Utc>>,
}

/// How a delivery travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail to a user.
    Email,
    /// An HTTP POST to a webhook endpoint.
    Webhook,
}

impl Channel {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }

    /// Parses [`as_str`](Self::as_str) output.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "webhook" => Some(Self::Webhook),
            _ => None,
        }
    }
}

/// What a delivery carries, rendered when the event was routed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum DeliveryPayload {
    /// A rendered e-mail.
    Email {
        /// The mail.
        mail: Mail,
    },
    /// A webhook message; the endpoint (URL, secret, format) is read when sending, so a
    /// fixed URL or a rotated secret applies to retries.
    Webhook {
        /// The endpoint.
        webhook_id: WebhookId,
        /// What to send.
        message: WebhookMessage,
    },
}

impl DeliveryPayload {
    /// The channel of this payload.
    pub fn channel(&self) -> Channel {
        match self {
            Self::Email { .. } => Channel::Email,
            Self::Webhook { .. } => Channel::Webhook,
        }
    }
}

/// A delivery to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// Its id (also the webhook's `X-Servicedesk-Delivery`).
    pub id: DeliveryId,
    /// The event it tells about.
    pub event_id: EventId,
    /// The event type.
    pub kind: String,
    /// The recipient: a user id for mail, a webhook id for webhooks. Unique per event and
    /// channel, which makes routing idempotent.
    pub target: String,
    /// What to send.
    pub payload: DeliveryPayload,
}

/// A delivery handed to the courier.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The organization.
    pub org_id: OrgId,
    /// What to send.
    pub payload: DeliveryPayload,
    /// Attempts so far.
    pub attempts: u32,
    /// The lease it was claimed with; [`DeliveryQueue::hold`] names it.
    pub lease_until: DateTime<Utc>,
}

impl Delivery {
    /// What the courier limits concurrency by: `email` (the one SMTP server) or
    /// `webhook:<webhook id>`.
    pub fn target_key(&self) -> String {
        match &self.payload {
            DeliveryPayload::Email { .. } => "email".to_owned(),
            DeliveryPayload::Webhook { webhook_id, .. } => format!("webhook:{webhook_id}"),
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// Sent.
    Delivered,
    /// Given up on (dead letter); an admin may retry it.
    Dead,
}

/// A delivery as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Its id.
    pub id: DeliveryId,
    /// The organization.
    pub org_id: OrgId,
    /// The event.
    pub event_id: EventId,
    /// The event type.
    pub kind: String,
    /// Mail or webhook.
    pub channel: Channel,
    /// The user id or webhook id.
    pub target: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: u32,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// The next attempt (pending only).
    pub available_at: DateTime<Utc>,
    /// When it was sent.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was given up on.
    pub dead_at: Option<DateTime<Utc>>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    /// Only this state.
    pub state: Option<DeliveryState>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only this webhook's deliveries.
    pub webhook_id: Option<WebhookId>,
}

/// Everything routing one event produced, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routed {
    /// When the event was routed; deliveries are queued as available from then.
    pub at: DateTime<Utc>,
    /// In-app notifications.
    pub notifications: Vec<InAppNotification>,
    /// Mails and webhook posts to queue.
    pub deliveries: Vec<NewDelivery>,
}

/// An outgoing webhook endpoint of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// The organization.
    pub org_id: OrgId,
    /// Display name.
    pub name: String,
    /// Where to post.
    pub url: String,
    /// Event types it receives (`*` for all ticket events).
    pub events: Vec<String>,
    /// Body format.
    pub format: WebhookFormat,
    /// The signing secret, sealed with the server's secret box.
    pub secret_sealed: String,
    /// Paused endpoints receive nothing new.
    pub active: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    /// Whether the endpoint wants events of type `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.active && self.events.iter().any(|e| e == "*" || e == kind)
    }
}

/// Preferences and the in-app inbox.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait NotificationStore: Send + Sync {
    /// The stored preferences of `user` (types without one are on).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn preferences(&self, org: OrgId, user: UserId) -> Result<Vec<Preference>, StoreError>;

    /// Replaces the stored choices of `user` for the event types in `preferences`.
    ///
    /// # Errors
    /// `NotFound` when the user is not in `org`.
    fn set_preferences(
        &self,
        org: OrgId,
        user: UserId,
        preferences: &[Preference],
    ) -> Result<(), StoreError>;

    /// Writes what routing one event produced, in one transaction. Rows that exist already
    /// (same event and user / channel and target) are kept, not doubled. Returns how many
    /// rows were new.
    ///
    /// # Errors
    /// `Unavailable` when the store fails; nothing is written then.
    fn save_routed(&self, org: OrgId, routed: &Routed) -> Result<u32, StoreError>;

    /// The inbox of `user`, newest first, after the notification `before` (keyset).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn notifications(
        &self,
        org: OrgId,
        user: UserId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: u32,
    ) -> Result<Vec<InAppNotification>, StoreError>;

    /// How many unread notifications `user` has.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn unread_count(&self, org: OrgId, user: UserId) -> Result<u64, StoreError>;

    /// Deletes up to `limit` notifications (every organization) read before `read_before`,
    /// oldest first; returns how many. Unread ones are kept whatever their age.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn purge_read(&self, read_before: DateTime<Utc>, limit: u32) -> Result<u32, StoreError>;

    /// Marks notification `id` of `user` read at `at` (once; a second call keeps the first
    /// time) and returns it.
    ///
    /// # Errors
    /// `NotFound` when it is not this user's notification in `org`.
    fn mark_read(
        &self,
        org: OrgId,
        user: UserId,
        id: NotificationId,
        at: DateTime<Utc>,
    ) -> Result<InAppNotification, StoreError>;
}

/// The delivery queue the courier works from.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait DeliveryQueue: Send + Sync {
    /// Claims up to `limit` pending deliveries available at `now` across organizations,
    /// hiding them from other couriers until `lease_until` (`FOR UPDATE SKIP LOCKED` on
    /// PostgreSQL). Deliveries whose [`Delivery::target_key`] is listed in `busy` are left
    /// for later (their target already has as many sends in flight as it may), so a slow
    /// target's backlog never fills a claim.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        busy: &[String],
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Extends the lease of a claimed delivery from `held_until` (the lease the caller
    /// holds) to `new_until`, just before sending it. `false` when the caller no longer
    /// holds it (its lease expired and another courier claimed it, or it was settled):
    /// then the caller must not send it, so a slow batch never sends a delivery twice.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn hold(
        &self,
        id: DeliveryId,
        held_until: DateTime<Utc>,
        new_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Gives a claimed delivery back unsent (no attempt counted) if the caller still holds
    /// it under `held_until`: any courier may claim it at once. `false` when it was not
    /// the caller's any more.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn release(&self, id: DeliveryId, held_until: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Marks a delivery sent if the caller still holds it under `held_until`; `false`
    /// (nothing written) when its lease passed to another courier or it was settled.
    /// A delivered account mail (kinds carrying a single-use token) loses its body.
    ///
    /// # Errors
    /// `NotFound` for an unknown id.
    fn delivered(
        &self,
        id: DeliveryId,
        held_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records a failed attempt if the caller still holds the delivery under
    /// `held_until` (`false`, nothing written, otherwise); the delivery comes back at
    /// `retry_at`, or is dead when `dead` (a dead account mail loses its body).
    ///
    /// # Errors
    /// `NotFound` for an unknown id.
    fn failed(
        &self,
        id: DeliveryId,
        held_until: DateTime<Utc>,
        error: &str,
        at: DateTime<Utc>,
        retry_at: DateTime<Utc>,
        dead: bool,
    ) -> Result<bool, StoreError>;

    /// Deletes up to `limit` deliveries (every organization) delivered before
    /// `delivered_before`, oldest first; returns how many. Pending and dead ones are kept
    /// (dead letters wait for an admin).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn purge_delivered(
        &self,
        delivered_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u32, StoreError>;

    /// Deliveries of `org`, newest first, after `before` (keyset).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn deliveries(
        &self,
        org: OrgId,
        filter: DeliveryFilter,
        before: Option<DeliveryId>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError>;

    /// Puts dead delivery `id` back in the queue for an attempt at `now` with a fresh
    /// attempt budget, writing `audit` with it.
    ///
    /// # Errors
    /// `NotFound` when no such delivery exists in `org`; `Conflict` when it is not dead.
    fn retry(
        &self,
        org: OrgId,
        id: DeliveryId,
        now: DateTime<Utc>,
        audit: &AuditRecord,
    ) -> Result<DeliveryRecord, StoreError>;
}

/// Webhook endpoints.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait WebhookStore: Send + Sync {
    /// Every endpoint of `org`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn webhooks(&self, org: OrgId) -> Result<Vec<Webhook>, StoreError>;

    /// Endpoint `id` of `org`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn webhook(&self, org: OrgId, id: WebhookId) -> Result<Webhook, StoreError>;

    /// Inserts `hook` (version 1) with `audit`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn create_webhook(&self, hook: &Webhook, audit: &AuditRecord) -> Result<Webhook, StoreError>;

    /// Stores `hook` if its stored version is still `expected_version`, with `audit`.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when the version moved.
    fn update_webhook(
        &self,
        hook: &Webhook,
        expected_version: i64,
        audit: &AuditRecord,
    ) -> Result<Webhook, StoreError>;

    /// Deletes endpoint `id` (its pending deliveries die with the reason "endpoint
    /// deleted"), with `audit`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn delete_webhook(
        &self,
        org: OrgId,
        id: WebhookId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}
