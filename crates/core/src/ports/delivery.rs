//! Delivering what happened to the outside world: e-mail and other consumers of the outbox.

use serde::{Deserialize, Serialize};

use crate::events::DomainEvent;
use crate::ids::IncidentId;

/// One e-mail, rendered: a plain-text and an HTML body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Recipient display name.
    pub to_name: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The other side is down or busy: retry with backoff.
    #[error("temporary failure: {0}")]
    Retry(String),
    /// It will never work (bad address, rejected content): dead-letter at once.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Sends e-mail (SMTP in the adapter).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Mailer: Send + Sync {
    /// Hands `mail` to the mail server.
    ///
    /// # Errors
    /// `Retry` when the server is unreachable or answers 4xx; `Permanent` for 5xx.
    fn send(&self, mail: &Mail) -> Result<(), DeliveryError>;
}

/// A consumer of outbox events (mail notifications, webhooks, …).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait EventHandler: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &str;

    /// Acts on `event`, or ignores it when it is not of interest. Must tolerate seeing the
    /// same event again after a crash (at-least-once delivery; de-duplicate on `event.id`
    /// where a duplicate would hurt).
    ///
    /// # Errors
    /// [`DeliveryError`]: the dispatcher retries or dead-letters accordingly.
    fn handle(&self, event: &DomainEvent) -> Result<(), DeliveryError>;

    /// A round's events, before they are handed over one by one: a handler that reads the
    /// same kind of row for each event may read them all at once here. Failing to is not
    /// an error (`handle` reads what it needs then).
    fn prepare(&self, _events: &[DomainEvent]) {}

    /// The same events after the round: drop whatever `prepare` kept that was not used.
    fn finish(&self, _events: &[DomainEvent]) {}
}

/// What a ticket notification says, before it is rendered for a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketNotice {
    /// The event type, e.g. `sla.breached`.
    pub kind: String,
    /// The ticket.
    pub incident_id: IncidentId,
    /// The ticket's reference, e.g. `INC-42`.
    pub reference: String,
    /// The ticket's title.
    pub title: String,
    /// One line saying what happened, e.g. `INC-42 was assigned to you`.
    pub headline: String,
    /// Further facts, one per line (priority, due time, who acted, …).
    pub details: Vec<String>,
    /// The comment's text, for comment events.
    pub comment: Option<String>,
}

/// Renders ticket notices into mails (HTML and text templates in the adapter).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait MailComposer: Send + Sync {
    /// The mail telling `to_name <to_email>` about `notice`.
    ///
    /// # Errors
    /// `Permanent` when the templates cannot render it (a bug).
    fn compose(
        &self,
        to_email: &str,
        to_name: &str,
        notice: &TicketNotice,
    ) -> Result<Mail, DeliveryError>;

    /// The web UI address of a ticket, for links in webhooks.
    fn ticket_link(&self, incident: IncidentId) -> String;
}
