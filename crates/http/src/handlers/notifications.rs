//! Notifications (NTF-1..NTF-5): the in-app inbox, per-user preferences, webhook endpoints,
//! the delivery list with the admin's retry of dead letters, and organization settings
//! (auto-close).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::entities::OrgSettings;
use servicedesk_core::ids::{DeliveryId, NotificationId, OrgId, WebhookId};
use servicedesk_core::notify::{NewWebhook, WebhookChange};
use servicedesk_core::ports::{
    Channel, DeliveryFilter, DeliveryRecord, DeliveryState, InAppNotification, Preference, Webhook,
    WebhookFormat,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::extract::{ApiJson, AuthUser, etag, if_match};
use crate::handlers::{block, json_list, page_limit};
use crate::problem::{ApiResult, Problem};

/// One in-app notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    /// Id.
    pub id: Uuid,
    /// Event type, e.g. `incident.assigned`.
    pub kind: String,
    /// The ticket.
    pub incident_id: Option<Uuid>,
    /// One line.
    pub title: String,
    /// Details.
    pub body: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<InAppNotification> for NotificationDto {
    fn from(n: InAppNotification) -> Self {
        Self {
            id: n.id.0,
            kind: n.kind,
            incident_id: n.incident_id.map(|i| i.0),
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// A page of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxDto {
    /// Newest first.
    pub items: Vec<NotificationDto>,
    /// Unread notifications in all.
    pub unread: u64,
}

/// Inbox filters and page.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// Older than this notification (the last id of the previous page).
    pub before: Option<Uuid>,
    /// At most this many (default 50, max 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A channel choice for one event type.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceDto {
    /// Event type, e.g. `sla.breached`.
    #[schema(schema_with = crate::dto::fields::preference_event)]
    pub event: String,
    /// Send e-mail.
    pub email: bool,
    /// Show in the inbox.
    pub in_app: bool,
}

impl From<Preference> for PreferenceDto {
    fn from(p: Preference) -> Self {
        Self {
            event: p.event,
            email: p.email,
            in_app: p.in_app,
        }
    }
}

/// New choices (event types not listed keep theirs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesRequest {
    /// The choices.
    pub preferences: Vec<PreferenceDto>,
}

/// A webhook endpoint (its secret is never shown again after creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// URL.
    pub url: String,
    /// Event types (`*`: all).
    pub events: Vec<String>,
    /// `json`, `slack` or `teams`.
    #[schema(value_type = String)]
    pub format: WebhookFormat,
    /// Paused endpoints receive nothing new.
    pub active: bool,
    /// Version for If-Match.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookDto {
    fn from(h: Webhook) -> Self {
        Self {
            id: h.id.0,
            name: h.name,
            url: h.url,
            events: h.events,
            format: h.format,
            active: h.active,
            version: h.version,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

/// A created endpoint with its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhookDto {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: WebhookDto,
    /// The HMAC-SHA256 signing secret.
    pub secret: String,
}

/// A webhook endpoint to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Name.
    #[schema(schema_with = crate::dto::fields::name)]
    pub name: String,
    /// `http://` or `https://` URL.
    #[schema(schema_with = crate::dto::fields::webhook_url)]
    pub url: String,
    /// Event types, or `["*"]`.
    #[schema(schema_with = crate::dto::fields::webhook_events)]
    pub events: Vec<String>,
    /// `json` (default), `slack` or `teams`.
    #[schema(schema_with = crate::dto::fields::webhook_format_opt)]
    pub format: Option<WebhookFormat>,
    /// Signing secret (16–256 characters); generated when absent.
    #[schema(schema_with = crate::dto::fields::webhook_secret_opt)]
    pub secret: Option<String>,
}

/// Changes to an endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    /// Name.
    #[schema(schema_with = crate::dto::fields::name_opt)]
    pub name: Option<String>,
    /// URL.
    #[schema(schema_with = crate::dto::fields::webhook_url_opt)]
    pub url: Option<String>,
    /// Event types.
    #[schema(schema_with = crate::dto::fields::webhook_events_opt)]
    pub events: Option<Vec<String>>,
    /// Format.
    #[schema(schema_with = crate::dto::fields::webhook_format_opt)]
    pub format: Option<WebhookFormat>,
    /// Pause (`false`) or resume.
    pub active: Option<bool>,
    /// A new signing secret.
    #[schema(schema_with = crate::dto::fields::webhook_secret_opt)]
    pub secret: Option<String>,
    /// The version changed (or send If-Match).
    #[serde(default, deserialize_with = "crate::dto::whole::opt")]
    pub version: Option<i64>,
}

/// One delivery of an event by mail or webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    /// Id (the webhook's `X-Servicedesk-Delivery`).
    pub id: Uuid,
    /// The event.
    pub event_id: Uuid,
    /// Event type.
    pub kind: String,
    /// `email` or `webhook`.
    #[schema(value_type = String)]
    pub channel: Channel,
    /// User id (mail) or webhook id.
    pub target: String,
    /// `pending`, `delivered` or `dead`.
    #[schema(value_type = String)]
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: u32,
    /// The last failure.
    pub last_error: Option<String>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Next attempt (pending).
    pub available_at: DateTime<Utc>,
    /// Sent.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Given up on.
    pub dead_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryDto {
    fn from(d: DeliveryRecord) -> Self {
        Self {
            id: d.id.0,
            event_id: d.event_id.0,
            kind: d.kind,
            channel: d.channel,
            target: d.target,
            state: d.state,
            attempts: d.attempts,
            last_error: d.last_error,
            created_at: d.created_at,
            available_at: d.available_at,
            delivered_at: d.delivered_at,
            dead_at: d.dead_at,
        }
    }
}

/// Delivery filters and page.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead`.
    #[param(value_type = Option<String>, pattern = "^(pending|delivered|dead)$")]
    pub state: Option<DeliveryState>,
    /// `email` or `webhook`.
    #[param(value_type = Option<String>, pattern = "^(email|webhook)$")]
    pub channel: Option<Channel>,
    /// One endpoint's deliveries.
    pub webhook_id: Option<Uuid>,
    /// Older than this delivery.
    pub before: Option<Uuid>,
    /// At most this many (default 50, max 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Organization settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsDto {
    /// Resolved incidents close after this many days (1–3650); `null`: never.
    #[serde(default, deserialize_with = "crate::dto::whole::opt")]
    #[schema(minimum = 1, maximum = 3650)]
    pub auto_close_days: Option<u32>,
    /// Self-registration into this organization is off (default `false`).
    #[serde(default)]
    pub registration_closed: bool,
}

/// The caller's inbox, newest first.
#[utoipa::path(context_path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(InboxQuery), responses(
    (status = 200, body = InboxDto), (status = 401, body = Problem)))]
#[get("")]
pub async fn inbox(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<InboxQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let (items, unread) = block(move || {
        let items = state.notifications.inbox(
            &user.actor,
            q.unread.unwrap_or(false),
            q.before.map(NotificationId),
            limit,
        )?;
        Ok((items, state.notifications.unread_count(&user.actor)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(InboxDto {
        items: items.into_iter().map(NotificationDto::from).collect(),
        unread,
    }))
}

/// Mark one of the caller's notifications read.
#[utoipa::path(context_path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), responses(
    (status = 200, body = NotificationDto), (status = 404, body = Problem)))]
#[post("/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = NotificationId(id.into_inner());
    let n = block(move || state.notifications.mark_read(&user.actor, id)).await?;
    Ok(HttpResponse::Ok().json(NotificationDto::from(n)))
}

/// The caller's channel choices for every event type.
#[utoipa::path(context_path = "/api/v1/users", tag = "notifications", security(("bearer" = [])), responses(
    (status = 200, body = [PreferenceDto])))]
#[get("/me/notification-preferences")]
pub async fn preferences(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let prefs = block(move || state.notifications.preferences(&user.actor)).await?;
    Ok(json_list::<_, PreferenceDto>(prefs))
}

/// Set the caller's channel choices.
#[utoipa::path(context_path = "/api/v1/users", tag = "notifications", security(("bearer" = [])), request_body = PreferencesRequest, responses(
    (status = 200, body = [PreferenceDto]), (status = 422, body = Problem)))]
#[put("/me/notification-preferences")]
pub async fn set_preferences(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<PreferencesRequest>,
) -> ApiResult<HttpResponse> {
    let choices: Vec<Preference> = body
        .into_inner()
        .preferences
        .into_iter()
        .map(|p| Preference {
            event: p.event,
            email: p.email,
            in_app: p.in_app,
        })
        .collect();
    let prefs = block(move || state.notifications.set_preferences(&user.actor, &choices)).await?;
    Ok(json_list::<_, PreferenceDto>(prefs))
}

/// The organization's webhook endpoints.
#[utoipa::path(context_path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, body = [WebhookDto]), (status = 403, body = Problem)))]
#[get("")]
pub async fn list_webhooks(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let hooks = block(move || state.notifications.webhooks(&user.actor)).await?;
    Ok(json_list::<_, WebhookDto>(hooks))
}

/// Create a webhook endpoint; the answer carries its signing secret this once.
#[utoipa::path(context_path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = CreateWebhookRequest, responses(
    (status = 201, body = CreatedWebhookDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = NewWebhook {
        name: b.name,
        url: b.url,
        events: b.events,
        format: b.format.unwrap_or(WebhookFormat::Json),
        secret: b.secret,
    };
    let (hook, secret) =
        block(move || state.notifications.create_webhook(&user.actor, input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::ETAG, etag(hook.version)))
        .json(CreatedWebhookDto {
            webhook: WebhookDto::from(hook),
            secret,
        }))
}

/// One webhook endpoint.
#[utoipa::path(context_path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, body = WebhookDto), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = WebhookId(id.into_inner());
    let hook = block(move || state.notifications.webhook(&user.actor, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(hook.version)))
        .json(WebhookDto::from(hook)))
}

/// Change, pause or resume an endpoint, or rotate its secret.
#[utoipa::path(context_path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = UpdateWebhookRequest, responses(
    (status = 200, body = WebhookDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[patch("/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let id = WebhookId(id.into_inner());
    let b = body.into_inner();
    let version = if_match(&req)?.or(b.version);
    let change = WebhookChange {
        name: b.name,
        url: b.url,
        events: b.events,
        format: b.format,
        active: b.active,
        secret: b.secret,
    };
    let hook = block(move || {
        state
            .notifications
            .update_webhook(&user.actor, id, version, change)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(hook.version)))
        .json(WebhookDto::from(hook)))
}

/// Delete an endpoint; its pending deliveries are dead-lettered.
#[utoipa::path(context_path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 204), (status = 404, body = Problem)))]
#[delete("/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = WebhookId(id.into_inner());
    block(move || state.notifications.delete_webhook(&user.actor, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deliveries (mails and webhook posts) of the organization, newest first; `state=dead`
/// lists the dead letters.
#[utoipa::path(context_path = "/api/v1/deliveries", tag = "webhooks", security(("bearer" = [])), params(DeliveryQuery), responses(
    (status = 200, body = [DeliveryDto]), (status = 403, body = Problem)))]
#[get("")]
pub async fn deliveries(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let filter = DeliveryFilter {
        state: q.state,
        channel: q.channel,
        webhook_id: q.webhook_id.map(WebhookId),
    };
    let limit = page_limit(q.limit)?;
    let list = block(move || {
        state
            .notifications
            .deliveries(&user.actor, filter, q.before.map(DeliveryId), limit)
    })
    .await?;
    Ok(json_list::<_, DeliveryDto>(list))
}

/// Put a dead delivery back in the queue with a fresh attempt budget.
#[utoipa::path(context_path = "/api/v1/deliveries", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, body = DeliveryDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
#[post("/{id}/retry")]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = DeliveryId(id.into_inner());
    let d = block(move || state.notifications.retry_delivery(&user.actor, id)).await?;
    Ok(HttpResponse::Ok().json(DeliveryDto::from(d)))
}

/// An organization's settings.
#[utoipa::path(context_path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])), responses(
    (status = 200, body = OrgSettingsDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/{id}/settings")]
pub async fn org_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let org = OrgId(id.into_inner());
    let s = block(move || state.admin.org_settings(&user.actor, org)).await?;
    Ok(HttpResponse::Ok().json(OrgSettingsDto {
        auto_close_days: s.auto_close_days,
        registration_closed: s.registration_closed,
    }))
}

/// Replace an organization's settings (its admins).
#[utoipa::path(context_path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])), request_body = OrgSettingsDto, responses(
    (status = 200, body = OrgSettingsDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[patch("/{id}/settings")]
pub async fn update_org_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<OrgSettingsDto>,
) -> ApiResult<HttpResponse> {
    let org = OrgId(id.into_inner());
    let body = body.into_inner();
    let settings = OrgSettings {
        auto_close_days: body.auto_close_days,
        registration_closed: body.registration_closed,
    };
    let s = block(move || state.admin.update_org_settings(&user.actor, org, settings)).await?;
    Ok(HttpResponse::Ok().json(OrgSettingsDto {
        auto_close_days: s.auto_close_days,
        registration_closed: s.registration_closed,
    }))
}

/// Request and answer bodies that carry a webhook secret never print it.
macro_rules! debug_without_secret {
    ($($t:ty),+) => {
        $(impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { secret: *** , .. }"))
            }
        })+
    };
}

debug_without_secret!(
    CreatedWebhookDto,
    CreateWebhookRequest,
    UpdateWebhookRequest
);
