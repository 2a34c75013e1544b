//! The outbox consumer that decides who hears about a ticket event and how.

use std::sync::Arc;

use serde_json::json;

use crate::entities::Team;
use crate::events::{DomainEvent, EventPayload};
use crate::feed::FeedTicket;
use crate::ids::{DeliveryId, IncidentId, NotificationId, UserId};
use crate::notify::notice::notice_for;
use crate::notify::prefetch::{Prefetched, ticket_keys, tickets_by_org};
use crate::notify::recipients::recipients;
use crate::ports::{
    Clock, DeliveryError, DeliveryPayload, Directory, EventHandler, IdGenerator, InAppNotification,
    IncidentStore, MailComposer, NewDelivery, NotificationStore, Routed, StoreError, Webhook,
    WebhookMessage, WebhookStore,
};
use crate::tickets::{AnyTicket, TicketStore};

/// Turns each ticket event into in-app notifications, queued mails (by each recipient's
/// preferences) and queued webhook posts, written in one idempotent transaction.
///
/// Rendering happens here, once per event: a retry of the delivery sends the same mail.
#[derive(Clone)]
pub struct NotificationRouter {
    tickets: Arc<dyn TicketStore>,
    incidents: Arc<dyn IncidentStore>,
    directory: Arc<dyn Directory>,
    store: Arc<dyn NotificationStore>,
    webhooks: Arc<dyn WebhookStore>,
    composer: Arc<dyn MailComposer>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// The round's tickets and webhook endpoints, read at once per organization.
    ahead: Arc<Prefetched<Ahead>>,
}

/// What the router read ahead for one event.
#[derive(Debug)]
struct Ahead {
    /// The ticket (`None`: it is gone).
    ticket: Option<AnyTicket>,
    /// The organization's webhook endpoints.
    hooks: Arc<Vec<Webhook>>,
}

/// The ports the router reads and writes.
pub struct RouterPorts {
    /// Tickets of every kind (the kernel's columns).
    pub tickets: Arc<dyn TicketStore>,
    /// Comments of tickets.
    pub incidents: Arc<dyn IncidentStore>,
    /// Users and teams.
    pub directory: Arc<dyn Directory>,
    /// Preferences and the inbox.
    pub store: Arc<dyn NotificationStore>,
    /// Webhook endpoints.
    pub webhooks: Arc<dyn WebhookStore>,
    /// Mail rendering.
    pub composer: Arc<dyn MailComposer>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
}

impl NotificationRouter {
    /// A router over `ports`.
    pub fn new(ports: RouterPorts) -> Self {
        Self {
            tickets: ports.tickets,
            incidents: ports.incidents,
            directory: ports.directory,
            store: ports.store,
            webhooks: ports.webhooks,
            composer: ports.composer,
            clock: ports.clock,
            ids: ports.ids,
            ahead: Arc::default(),
        }
    }

    /// What `event` produces; empty for events nobody is told about.
    ///
    /// # Errors
    /// `Retry` when the store fails; `Permanent` when a mail cannot be rendered.
    pub fn route(&self, event: &DomainEvent) -> Result<Routed, DeliveryError> {
        Ok(self.route_inner(event)?)
    }

    fn route_inner(&self, event: &DomainEvent) -> Result<Routed, RouteError> {
        let Some(incident_id) = event.incident_id() else {
            return Ok(Routed::default());
        };
        let ahead = self.ahead.take(event.id);
        let (incident, hooks) = match ahead {
            Some(Ahead {
                ticket: Some(t),
                hooks,
            }) => (t, Some(hooks)),
            Some(Ahead { ticket: None, .. }) => return Ok(Routed::default()),
            None => match self.tickets.ticket(event.org_id, incident_id) {
                Ok(i) => (i, None),
                Err(StoreError::NotFound(_)) => return Ok(Routed::default()),
                Err(e) => return Err(e.into()),
            },
        };
        let mut routed = Routed {
            at: self.clock.now(),
            ..Routed::default()
        };
        // A deleted ticket: no person is told about a ticket they can no longer open, but
        // integrations still hear of it (`incident.deleted` is an event they subscribe to).
        if incident.deleted_at.is_none() {
            let (team, members) = self.team_of(&incident)?;
            let comment = self.comment_text(event, incident_id)?;
            for user in recipients(event, &incident, team.as_ref(), &members) {
                self.route_to_user(event, &incident, user, comment.as_deref(), &mut routed)?;
            }
        }
        self.route_to_webhooks(event, &incident, hooks, &mut routed)?;
        Ok(routed)
    }

    fn team_of(&self, incident: &AnyTicket) -> Result<(Option<Team>, Vec<UserId>), StoreError> {
        let Some(team_id) = incident.team_id else {
            return Ok((None, Vec::new()));
        };
        let team = match self.directory.team(incident.org_id, team_id) {
            Ok(t) => Some(t),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let members = self.directory.team_members(incident.org_id, team_id)?;
        Ok((team, members))
    }

    fn comment_text(
        &self,
        event: &DomainEvent,
        incident: IncidentId,
    ) -> Result<Option<String>, StoreError> {
        let EventPayload::CommentAdded { comment_id, .. } = &event.payload else {
            return Ok(None);
        };
        match self.incidents.comment(event.org_id, incident, *comment_id) {
            Ok(c) => Ok(Some(c.body)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn route_to_user(
        &self,
        event: &DomainEvent,
        incident: &AnyTicket,
        user_id: UserId,
        comment: Option<&str>,
        routed: &mut Routed,
    ) -> Result<(), RouteError> {
        let user = match self.directory.user(event.org_id, user_id) {
            Ok(u) if u.active => u,
            Ok(_) | Err(StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        // The recipient rules pick people by their place on the ticket (requester,
        // assignee, team, manager); whether they may see this is decided by what they
        // hold now (roles change after assignment): read access to the ticket, the
        // internal-note permission for a work note, staff for internal work. A requester
        // never gets a work note.
        let reader =
            crate::visibility::actor_of(&user, || self.directory.custom_roles(event.org_id))?;
        let internal = matches!(
            event.payload,
            EventPayload::CommentAdded { internal: true, .. }
        );
        // Being named on a request lets one hear of it without read access to it: the
        // approver asked to decide it, and whoever placed it for someone else.
        let named = match &event.payload {
            EventPayload::ApprovalRequested { approver_id, .. }
            | EventPayload::ApprovalReminder { approver_id, .. } => *approver_id == user_id,
            EventPayload::RequestSubmitted { .. } | EventPayload::RequestStatusChanged { .. } => {
                incident.created_by == user_id
            }
            _ => false,
        };
        if !named
            && !crate::visibility::may_see_event(
                &reader,
                &crate::tickets::ticket_resource(incident),
                event.kind(),
                internal,
            )
        {
            return Ok(());
        }
        let kind = event.kind();
        let (email, in_app) = self
            .store
            .preferences(event.org_id, user_id)?
            .into_iter()
            .find(|p| p.event == kind)
            .map_or((true, true), |p| (p.email, p.in_app));
        let is_assignee = incident.assignee_id == Some(user_id);
        let Some(notice) = notice_for(event, incident, is_assignee, comment) else {
            return Ok(());
        };
        if in_app {
            let mut body = notice.details.join("\n");
            if let Some(text) = &notice.comment {
                body = format!("{text}\n\n{body}");
            }
            routed.notifications.push(InAppNotification {
                id: NotificationId(self.ids.new_id()),
                org_id: event.org_id,
                user_id,
                event_id: event.id,
                kind: kind.to_owned(),
                incident_id: Some(incident.id),
                title: format!("{}: {}", notice.headline, incident.title),
                body,
                created_at: self.clock.now(),
                read_at: None,
            });
        }
        if email {
            match self.composer.compose(&user.email, &user.name, &notice) {
                Ok(mail) => routed.deliveries.push(NewDelivery {
                    id: DeliveryId(self.ids.new_id()),
                    event_id: event.id,
                    kind: kind.to_owned(),
                    target: user_id.to_string(),
                    payload: DeliveryPayload::Email { mail },
                }),
                // A template that cannot render is a bug: the event goes to the outbox's
                // dead letter, where an operator sees it, instead of vanishing.
                Err(e) => return Err(RouteError::Render(e)),
            }
        }
        Ok(())
    }

    fn route_to_webhooks(
        &self,
        event: &DomainEvent,
        incident: &AnyTicket,
        ahead: Option<Arc<Vec<Webhook>>>,
        routed: &mut Routed,
    ) -> Result<(), StoreError> {
        let kind = event.kind();
        let all = match ahead {
            Some(hooks) => hooks,
            None => Arc::new(self.webhooks.webhooks(event.org_id)?),
        };
        let hooks: Vec<_> = all.iter().filter(|h| h.wants(kind)).collect();
        if hooks.is_empty() {
            return Ok(());
        }
        let summary = match notice_for(event, incident, false, None) {
            Some(n) => format!("{} ({})", n.headline, incident.title),
            None => format!("{} ({}): {kind}", incident.reference(), incident.title),
        };
        let data = json!({
            "event": event.payload,
            "ticket": FeedTicket::from(incident),
            "actor_id": event.actor_id,
        });
        for hook in hooks {
            let id = DeliveryId(self.ids.new_id());
            routed.deliveries.push(NewDelivery {
                id,
                event_id: event.id,
                kind: kind.to_owned(),
                target: hook.id.to_string(),
                payload: DeliveryPayload::Webhook {
                    webhook_id: hook.id,
                    message: WebhookMessage {
                        delivery_id: id.to_string(),
                        event: kind.to_owned(),
                        event_id: event.id.to_string(),
                        org_id: event.org_id.to_string(),
                        occurred_at: event.occurred_at,
                        summary: summary.clone(),
                        link: Some(self.composer.ticket_link(incident.id)),
                        data: data.clone(),
                    },
                },
            });
        }
        Ok(())
    }
}

/// Why routing failed.
#[derive(Debug)]
enum RouteError {
    Store(StoreError),
    Render(DeliveryError),
}

impl From<StoreError> for RouteError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<RouteError> for DeliveryError {
    fn from(e: RouteError) -> Self {
        match e {
            RouteError::Store(e) => DeliveryError::Retry(e.to_string()),
            RouteError::Render(e) => e,
        }
    }
}

impl EventHandler for NotificationRouter {
    fn name(&self) -> &str {
        "notifications"
    }

    fn handle(&self, event: &DomainEvent) -> Result<(), DeliveryError> {
        let routed = self.route(event)?;
        if routed.notifications.is_empty() && routed.deliveries.is_empty() {
            return Ok(());
        }
        self.store
            .save_routed(event.org_id, &routed)
            .map(|_| ())
            .map_err(|e| DeliveryError::Retry(e.to_string()))
    }

    fn prepare(&self, events: &[DomainEvent]) {
        let Ok(found) = self.tickets.tickets_of(&ticket_keys(events)) else {
            return;
        };
        for (org, _) in tickets_by_org(events) {
            let Ok(hooks) = self.webhooks.webhooks(org) else {
                continue;
            };
            let hooks = Arc::new(hooks);
            for e in events.iter().filter(|e| e.org_id == org) {
                if let Some(id) = e.incident_id() {
                    let ticket = found
                        .iter()
                        .find(|t| t.id == id && t.org_id == org)
                        .cloned();
                    self.ahead.put(
                        e.id,
                        Ahead {
                            ticket,
                            hooks: hooks.clone(),
                        },
                    );
                }
            }
        }
    }

    fn finish(&self, events: &[DomainEvent]) {
        self.ahead.forget(events);
    }
}
