//! What the API offers about notifications: the inbox, preferences, webhook endpoints, and
//! the delivery list with the admin's retry of dead letters.

use std::sync::Arc;

use serde_json::json;
use servicedesk_rbac::{Action, ResourceKind};

use crate::actor::Actor;
use crate::error::{Error, FieldError, Result};
use crate::events::AuditRecord;
use crate::ids::{DeliveryId, NotificationId, WebhookId};
use crate::notify::address::WebhookAllowList;
use crate::ports::url_origin;
use crate::ports::{
    Clock, DeliveryFilter, DeliveryQueue, DeliveryRecord, IdGenerator, InAppNotification,
    NotificationStore, OpaqueTokens, Preference, SecretBox, Webhook, WebhookFormat, WebhookStore,
};
use crate::usecases::access::precheck_kind;

/// The event types a user can choose channels for.
pub const PREFERENCE_EVENTS: &[&str] = &[
    "incident.created",
    "incident.assigned",
    "incident.escalated",
    "incident.status_changed",
    "incident.comment_added",
    "sla.warning",
    "sla.breached",
    "request.submitted",
    "request.status_changed",
    "request.comment_added",
    "approval.requested",
    "approval.reminder",
];

/// The event types a webhook can subscribe to (besides `*`).
pub const WEBHOOK_EVENTS: &[&str] = &[
    "incident.created",
    "incident.updated",
    "incident.assigned",
    "incident.escalated",
    "incident.status_changed",
    "incident.comment_added",
    "incident.deleted",
    "incident.restored",
    "sla.warning",
    "sla.breached",
    "task.created",
    "task.status_changed",
    "request.submitted",
    "request.status_changed",
    "request.comment_added",
    "approval.requested",
    "approval.decided",
    "approval.reminder",
    "ticket.linked",
];

const MAX_PAGE: u32 = 200;

/// A webhook endpoint to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Display name.
    pub name: String,
    /// `http://` or `https://` URL.
    pub url: String,
    /// Event types, or `["*"]`.
    pub events: Vec<String>,
    /// Body format.
    pub format: WebhookFormat,
    /// The signing secret; generated when `None`.
    pub secret: Option<String>,
}

/// Changes to a webhook endpoint; `None` keeps the field.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebhookChange {
    /// Display name.
    pub name: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Event types.
    pub events: Option<Vec<String>>,
    /// Body format.
    pub format: Option<WebhookFormat>,
    /// Paused or active.
    pub active: Option<bool>,
    /// A new secret (rotation).
    pub secret: Option<String>,
}

impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("name", &self.name)
            .field("url_origin", &url_origin(&self.url))
            .field("events", &self.events)
            .field("format", &self.format)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

impl std::fmt::Debug for WebhookChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChange")
            .field("name", &self.name)
            .field("url_origin", &self.url.as_deref().map(url_origin))
            .field("events", &self.events)
            .field("format", &self.format)
            .field("active", &self.active)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// The notification use cases.
#[derive(Clone)]
pub struct Notifications {
    store: Arc<dyn NotificationStore>,
    queue: Arc<dyn DeliveryQueue>,
    webhooks: Arc<dyn WebhookStore>,
    secrets: Arc<dyn SecretBox>,
    tokens: Arc<dyn OpaqueTokens>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    allow: Arc<WebhookAllowList>,
}

/// The ports of [`Notifications`].
pub struct ManagePorts {
    /// Preferences and inbox.
    pub store: Arc<dyn NotificationStore>,
    /// The delivery queue.
    pub queue: Arc<dyn DeliveryQueue>,
    /// Webhook endpoints.
    pub webhooks: Arc<dyn WebhookStore>,
    /// Seals webhook secrets.
    pub secrets: Arc<dyn SecretBox>,
    /// Generates secrets.
    pub tokens: Arc<dyn OpaqueTokens>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
}

impl Notifications {
    /// The use cases over `ports`.
    pub fn new(ports: ManagePorts) -> Self {
        Self {
            store: ports.store,
            queue: ports.queue,
            webhooks: ports.webhooks,
            secrets: ports.secrets,
            tokens: ports.tokens,
            clock: ports.clock,
            ids: ports.ids,
            allow: Arc::new(WebhookAllowList::default()),
        }
    }

    /// The same use cases with the operator's webhook allow-list
    /// (`SERVICEDESK_WEBHOOK_ALLOW`): without it, a webhook URL whose host is literally a
    /// non-public address (or `localhost`) is refused.
    #[must_use]
    pub fn with_webhook_allow(mut self, allow: WebhookAllowList) -> Self {
        self.allow = Arc::new(allow);
        self
    }

    /// The actor's inbox, newest first.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn inbox(
        &self,
        actor: &Actor,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: u32,
    ) -> Result<Vec<InAppNotification>> {
        Ok(self.store.notifications(
            actor.org_id(),
            actor.user_id(),
            unread_only,
            before,
            limit.clamp(1, MAX_PAGE),
        )?)
    }

    /// How many unread notifications the actor has.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn unread_count(&self, actor: &Actor) -> Result<u64> {
        Ok(self.store.unread_count(actor.org_id(), actor.user_id())?)
    }

    /// Marks one of the actor's notifications read.
    ///
    /// # Errors
    /// `NotFound` for someone else's notification or an unknown id (the same answer).
    pub fn mark_read(&self, actor: &Actor, id: NotificationId) -> Result<InAppNotification> {
        Ok(self
            .store
            .mark_read(actor.org_id(), actor.user_id(), id, self.clock.now())?)
    }

    /// The actor's channel choices for every event type.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn preferences(&self, actor: &Actor) -> Result<Vec<Preference>> {
        let stored = self.store.preferences(actor.org_id(), actor.user_id())?;
        Ok(PREFERENCE_EVENTS
            .iter()
            .map(|kind| {
                stored
                    .iter()
                    .find(|p| p.event == *kind)
                    .cloned()
                    .unwrap_or_else(|| Preference {
                        event: (*kind).to_owned(),
                        email: true,
                        in_app: true,
                    })
            })
            .collect())
    }

    /// Sets the actor's choices for the listed event types and returns all of them.
    ///
    /// # Errors
    /// `Invalid` for an unknown or repeated event type (nothing is stored then).
    pub fn set_preferences(
        &self,
        actor: &Actor,
        choices: &[Preference],
    ) -> Result<Vec<Preference>> {
        let mut errors = Vec::new();
        for (i, p) in choices.iter().enumerate() {
            if !PREFERENCE_EVENTS.contains(&p.event.as_str()) {
                errors.push(FieldError::new(
                    &format!("preferences[{i}].event"),
                    "unknown_event",
                    format!("must be one of {}", PREFERENCE_EVENTS.join(", ")),
                ));
            } else if choices[..i].iter().any(|q| q.event == p.event) {
                errors.push(FieldError::new(
                    &format!("preferences[{i}].event"),
                    "duplicate",
                    "listed twice",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.store
            .set_preferences(actor.org_id(), actor.user_id(), choices)?;
        self.preferences(actor)
    }

    /// The organization's webhook endpoints.
    ///
    /// # Errors
    /// `Forbidden` without `webhook:read`.
    pub fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>> {
        precheck_kind(actor, ResourceKind::Webhook, Action::Read)?;
        Ok(self.webhooks.webhooks(actor.org_id())?)
    }

    /// One endpoint.
    ///
    /// # Errors
    /// `Forbidden` without `webhook:read`; `NotFound`.
    pub fn webhook(&self, actor: &Actor, id: WebhookId) -> Result<Webhook> {
        precheck_kind(actor, ResourceKind::Webhook, Action::Read)?;
        Ok(self.webhooks.webhook(actor.org_id(), id)?)
    }

    /// Creates an endpoint; returns it with its secret in clear (shown once).
    ///
    /// # Errors
    /// `Forbidden` without `webhook:manage`; `Invalid` for a bad URL, event list, name or
    /// secret.
    pub fn create_webhook(&self, actor: &Actor, input: NewWebhook) -> Result<(Webhook, String)> {
        precheck_kind(actor, ResourceKind::Webhook, Action::Manage)?;
        let mut errors = Vec::new();
        check_name(&input.name, &mut errors);
        check_url(&input.url, &self.allow, &mut errors);
        check_events(&input.events, &mut errors);
        if let Some(s) = &input.secret {
            check_secret(s, &mut errors);
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let secret = input.secret.unwrap_or_else(|| self.tokens.generate());
        let now = self.clock.now();
        let hook = Webhook {
            id: WebhookId(self.ids.new_id()),
            org_id: actor.org_id(),
            name: input.name.trim().to_owned(),
            url: input.url,
            events: input.events,
            format: input.format,
            secret_sealed: self.seal(&secret)?,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = self.audit(actor, "webhook.create", &hook);
        let created = self.webhooks.create_webhook(&hook, &audit)?;
        Ok((created, secret))
    }

    /// Changes an endpoint if it is still at `version`.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; `Conflict` on a stale version; `Invalid`.
    pub fn update_webhook(
        &self,
        actor: &Actor,
        id: WebhookId,
        version: Option<i64>,
        change: WebhookChange,
    ) -> Result<Webhook> {
        precheck_kind(actor, ResourceKind::Webhook, Action::Manage)?;
        let mut errors = Vec::new();
        if let Some(n) = &change.name {
            check_name(n, &mut errors);
        }
        if let Some(u) = &change.url {
            check_url(u, &self.allow, &mut errors);
        }
        if let Some(e) = &change.events {
            check_events(e, &mut errors);
        }
        if let Some(s) = &change.secret {
            check_secret(s, &mut errors);
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let mut hook = self.webhooks.webhook(actor.org_id(), id)?;
        let expected = version.unwrap_or(hook.version);
        if expected != hook.version {
            return Err(Error::Conflict {
                entity: "webhook",
                current: hook.version,
            });
        }
        if let Some(n) = change.name {
            hook.name = n.trim().to_owned();
        }
        if let Some(u) = change.url {
            hook.url = u;
        }
        if let Some(e) = change.events {
            hook.events = e;
        }
        if let Some(f) = change.format {
            hook.format = f;
        }
        if let Some(a) = change.active {
            hook.active = a;
        }
        if let Some(s) = &change.secret {
            hook.secret_sealed = self.seal(s)?;
        }
        hook.updated_at = self.clock.now();
        let audit = self.audit(actor, "webhook.update", &hook);
        Ok(self.webhooks.update_webhook(&hook, expected, &audit)?)
    }

    /// Deletes an endpoint; its pending deliveries die.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`.
    pub fn delete_webhook(&self, actor: &Actor, id: WebhookId) -> Result<()> {
        precheck_kind(actor, ResourceKind::Webhook, Action::Manage)?;
        let hook = self.webhooks.webhook(actor.org_id(), id)?;
        let audit = self.audit(actor, "webhook.delete", &hook);
        Ok(self.webhooks.delete_webhook(actor.org_id(), id, &audit)?)
    }

    /// Deliveries of the organization (mails and webhook posts), newest first.
    ///
    /// # Errors
    /// `Forbidden` without `webhook:manage` (the admins who run the integrations).
    pub fn deliveries(
        &self,
        actor: &Actor,
        filter: DeliveryFilter,
        before: Option<DeliveryId>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        precheck_kind(actor, ResourceKind::Webhook, Action::Manage)?;
        Ok(self
            .queue
            .deliveries(actor.org_id(), filter, before, limit.clamp(1, MAX_PAGE))?)
    }

    /// Puts a dead delivery back in the queue with a fresh attempt budget.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; `Conflict` when the delivery is not dead.
    pub fn retry_delivery(&self, actor: &Actor, id: DeliveryId) -> Result<DeliveryRecord> {
        precheck_kind(actor, ResourceKind::Webhook, Action::Manage)?;
        let now = self.clock.now();
        let audit = AuditRecord {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            action: "delivery.retry".into(),
            target_kind: "delivery".into(),
            target_id: id.to_string(),
            at: now,
            detail: json!({}),
        };
        Ok(self.queue.retry(actor.org_id(), id, now, &audit)?)
    }

    fn seal(&self, secret: &str) -> Result<String> {
        self.secrets
            .seal(secret)
            .map_err(|e| Error::Internal(format!("cannot seal the webhook secret: {e}")))
    }

    fn audit(&self, actor: &Actor, action: &str, hook: &Webhook) -> AuditRecord {
        AuditRecord {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            action: action.into(),
            target_kind: "webhook".into(),
            target_id: hook.id.to_string(),
            at: self.clock.now(),
            // Never the secret, nor the URL's path or credentials: for Slack and Teams the
            // path is the credential, and the audit log can never be cleaned.
            detail: json!({
                "name": hook.name,
                "url_origin": url_origin(&hook.url),
                "events": hook.events,
                "format": hook.format.as_str(),
                "active": hook.active,
            }),
        }
    }
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 {
        errors.push(FieldError::new("name", "length", "1 to 100 characters"));
    } else if name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "invalid",
            "must not contain control characters",
        ));
    }
}

/// An absolute http(s) URL with a host, no spaces or control characters, whose host is not
/// literally a non-public address or `localhost` (unless the allow-list lets it through).
/// Names are checked again at every send, after the lookup (see
/// [`WebhookAllowList::permits`]).
fn check_url(url: &str, allow: &WebhookAllowList, errors: &mut Vec<FieldError>) {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && host.is_some_and(|h| {
            let h = h.rsplit('@').next().unwrap_or_default();
            !h.is_empty() && !h.starts_with(':')
        });
    if !ok {
        errors.push(FieldError::new(
            "url",
            "invalid_url",
            "must be an absolute http:// or https:// URL with a host",
        ));
        return;
    }
    let authority = host.unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let name = match authority.find(']') {
        Some(end) if authority.starts_with('[') => &authority[..=end],
        _ => authority.split(':').next().unwrap_or_default(),
    };
    if allow.refuses_literal(name) {
        errors.push(FieldError::new(
            "url",
            "non_public_address",
            "the host is a loopback, private, link-local or otherwise non-public address; \
             the operator can allow it with SERVICEDESK_WEBHOOK_ALLOW",
        ));
    }
}

fn check_events(events: &[String], errors: &mut Vec<FieldError>) {
    if events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "required",
            "list at least one event type or \"*\"",
        ));
    }
    for (i, e) in events.iter().enumerate() {
        if e != "*" && !WEBHOOK_EVENTS.contains(&e.as_str()) {
            errors.push(FieldError::new(
                &format!("events[{i}]"),
                "unknown_event",
                format!("must be \"*\" or one of {}", WEBHOOK_EVENTS.join(", ")),
            ));
        }
    }
}

fn check_secret(secret: &str, errors: &mut Vec<FieldError>) {
    let n = secret.chars().count();
    if !(16..=256).contains(&n) {
        errors.push(FieldError::new("secret", "length", "16 to 256 characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(check: impl Fn(&mut Vec<FieldError>)) -> usize {
        let mut e = Vec::new();
        check(&mut e);
        e.len()
    }

    #[test]
    fn urls_are_absolute_http() {
        let strict = WebhookAllowList::default();
        for good in [
            "https://hooks.example.com/x",
            "https://8.8.8.8:9000/hook?a=1",
            "https://user@host/p",
            "https://[2606:4700::1111]:8443/p",
        ] {
            assert_eq!(errors_of(|e| check_url(good, &strict, e)), 0, "{good}");
        }
        for bad in [
            "ftp://example.com/",
            "example.com/hook",
            "https://",
            "https:///path",
            "http://:80/",
            "https://exa mple.com/",
            "javascript:alert(1)",
        ] {
            assert_eq!(errors_of(|e| check_url(bad, &strict, e)), 1, "{bad}");
        }
    }

    #[test]
    fn literal_non_public_hosts_are_refused_unless_allowed() {
        let strict = WebhookAllowList::default();
        let local = WebhookAllowList::parse("127.0.0.1").unwrap();
        for bad in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:127.0.0.1]:9000/x",
            "http://127.0.0.1:9000/hook",
            "http://user@10.0.0.5/x",
            "http://0.0.0.0/",
            "https://[fd00::1]/",
            "http://localhost:8080/",
        ] {
            let mut e = Vec::new();
            check_url(bad, &strict, &mut e);
            assert_eq!(e.len(), 1, "{bad}");
            assert_eq!(e[0].code, "non_public_address", "{bad}");
        }
        assert_eq!(
            errors_of(|e| check_url("http://127.0.0.1:9/h", &local, e)),
            0
        );
        assert_eq!(
            errors_of(|e| check_url("http://[::ffff:127.0.0.1]:9/h", &local, e)),
            0
        );
        assert_eq!(errors_of(|e| check_url("http://10.0.0.5/h", &local, e)), 1);
    }

    #[test]
    fn the_audited_origin_drops_path_and_credentials() {
        assert_eq!(
            url_origin("https://user:pw@hooks.slack.com:443/services/T0/B0/secret?x=1"),
            "https://hooks.slack.com:443"
        );
        assert_eq!(url_origin("http://127.0.0.1:9/h"), "http://127.0.0.1:9");
    }

    #[test]
    fn events_must_be_known() {
        assert_eq!(errors_of(|e| check_events(&["*".into()], e)), 0);
        assert_eq!(errors_of(|e| check_events(&["sla.breached".into()], e)), 0);
        assert_eq!(errors_of(|e| check_events(&[], e)), 1);
        assert_eq!(
            errors_of(|e| check_events(&["sla.breached".into(), "nope".into()], e)),
            1
        );
    }
}
