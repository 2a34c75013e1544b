//! The worker that sends queued mails and webhook posts.

use std::sync::Arc;

use crate::dispatch::{RetryPolicy, Round};
use crate::error::Result;
use crate::ids::{OrgId, WebhookId};
use crate::ports::{
    Clock, DeliveryError, DeliveryPayload, DeliveryQueue, Mailer, SecretBox, StoreError,
    WebhookEndpoint, WebhookMessage, WebhookSender, WebhookStore,
};

/// Sends each claimed delivery once and settles it: sent, retried with exponential
/// backoff, or dead after `max_attempts` (or at once for a permanent failure). A mail
/// server or webhook target that is down only delays its own deliveries.
#[derive(Clone)]
pub struct Courier {
    queue: Arc<dyn DeliveryQueue>,
    webhooks: Arc<dyn WebhookStore>,
    mailer: Arc<dyn Mailer>,
    sender: Arc<dyn WebhookSender>,
    secrets: Arc<dyn SecretBox>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
}

/// The ports the courier uses.
pub struct CourierPorts {
    /// The delivery queue.
    pub queue: Arc<dyn DeliveryQueue>,
    /// Webhook endpoints (URL, sealed secret, format).
    pub webhooks: Arc<dyn WebhookStore>,
    /// Sends mail.
    pub mailer: Arc<dyn Mailer>,
    /// Posts webhooks.
    pub sender: Arc<dyn WebhookSender>,
    /// Unseals webhook secrets.
    pub secrets: Arc<dyn SecretBox>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl Courier {
    /// A courier over `ports` with `policy`.
    pub fn new(ports: CourierPorts, policy: RetryPolicy) -> Self {
        Self {
            queue: ports.queue,
            webhooks: ports.webhooks,
            mailer: ports.mailer,
            sender: ports.sender,
            secrets: ports.secrets,
            clock: ports.clock,
            policy,
        }
    }

    /// Claims one batch and settles every delivery in it.
    ///
    /// # Errors
    /// `Internal` when the queue cannot be read or written.
    pub fn run_once(&self) -> Result<Round> {
        let now = self.clock.now();
        let claimed = self
            .queue
            .claim(now, now + self.policy.lease, self.policy.batch)?;
        let mut round = Round::default();
        for delivery in claimed {
            // Each send gets a full lease of its own: a batch of slow targets can outlast
            // the claim's lease, and a delivery whose lease passed to another courier is
            // not ours to send any more.
            let until = self.clock.now() + self.policy.lease;
            if !self.queue.hold(delivery.id, delivery.lease_until, until)? {
                continue;
            }
            let outcome = match &delivery.payload {
                DeliveryPayload::Email { mail } => self.mailer.send(mail),
                DeliveryPayload::Webhook {
                    webhook_id,
                    message,
                } => self.post(delivery.org_id, *webhook_id, message),
            };
            let at = self.clock.now();
            match outcome {
                Ok(()) => {
                    self.queue.delivered(delivery.id, at)?;
                    round.delivered += 1;
                }
                Err(error) => {
                    let attempts = delivery.attempts + 1;
                    let dead = matches!(error, DeliveryError::Permanent(_))
                        || attempts >= self.policy.max_attempts;
                    self.queue.failed(
                        delivery.id,
                        &error.to_string(),
                        at,
                        at + self.policy.delay(delivery.attempts),
                        dead,
                    )?;
                    if dead {
                        round.dead += 1;
                    } else {
                        round.retried += 1;
                    }
                }
            }
        }
        Ok(round)
    }

    fn post(
        &self,
        org: OrgId,
        id: WebhookId,
        message: &WebhookMessage,
    ) -> std::result::Result<(), DeliveryError> {
        let hook = match self.webhooks.webhook(org, id) {
            Ok(h) => h,
            Err(StoreError::NotFound(_)) => {
                return Err(DeliveryError::Permanent("endpoint deleted".into()));
            }
            Err(e) => return Err(DeliveryError::Retry(e.to_string())),
        };
        if !hook.active {
            return Err(DeliveryError::Permanent("endpoint paused".into()));
        }
        let secret = self
            .secrets
            .open(&hook.secret_sealed)
            .map_err(|_| DeliveryError::Permanent("endpoint secret cannot be unsealed".into()))?;
        let endpoint = WebhookEndpoint {
            url: hook.url,
            secret,
            format: hook.format,
        };
        self.sender.send(&endpoint, message, self.clock.now())
    }
}
