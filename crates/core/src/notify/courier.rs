//! The worker that sends queued mails and webhook posts.

use std::sync::Arc;

use crate::dispatch::{RetryPolicy, Round};
use crate::error::Result;
use crate::ids::{OrgId, WebhookId};
use crate::ports::{
    Clock, Delivery, DeliveryError, DeliveryPayload, DeliveryQueue, Mailer, SecretBox, StoreError,
    WebhookEndpoint, WebhookMessage, WebhookSender, WebhookStore,
};

/// How one delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Sent.
    Delivered,
    /// Failed; comes back after the backoff.
    Retried,
    /// Failed for good (dead letter).
    Dead,
    /// Not ours any more (its lease passed to another courier): not sent, or its outcome
    /// not written.
    Lost,
}

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

    /// Claims one batch and settles every delivery in it, one after the other (the
    /// `serve` binary runs [`Courier::claim`] and [`Courier::deliver`] on a pool of
    /// threads instead, with a per-target limit).
    ///
    /// # Errors
    /// `Internal` when the queue cannot be read or written.
    pub fn run_once(&self) -> Result<Round> {
        let claimed = self.claim(self.policy.batch, &[])?;
        let mut round = Round::default();
        for delivery in &claimed {
            match self.deliver(delivery)? {
                Settled::Delivered => round.delivered += 1,
                Settled::Retried => round.retried += 1,
                Settled::Dead => round.dead += 1,
                Settled::Lost => round.lost += 1,
            }
        }
        Ok(round)
    }

    /// Claims up to `limit` deliveries due now, leaving out those whose
    /// [`target_key`](crate::ports::Delivery::target_key) is in `busy`.
    ///
    /// # Errors
    /// `Internal` when the queue cannot be read.
    pub fn claim(&self, limit: u32, busy: &[String]) -> Result<Vec<Delivery>> {
        let now = self.clock.now();
        Ok(self
            .queue
            .claim(now, now + self.policy.lease, limit, busy)?)
    }

    /// Gives a claimed delivery back unsent (the caller has no room for it now).
    ///
    /// # Errors
    /// `Internal` when the queue cannot be written.
    pub fn release(&self, delivery: &Delivery) -> Result<()> {
        self.release_riding_out(delivery, &|| false)
    }

    /// [`Courier::release`] riding out a database outage as
    /// [`Courier::deliver_riding_out`] does: a release that failed because the database
    /// went away would leave the delivery under its lease (two minutes) before anyone
    /// sends it.
    ///
    /// # Errors
    /// As [`Courier::release`], when `again` gave up.
    pub fn release_riding_out(&self, delivery: &Delivery, again: &dyn Fn() -> bool) -> Result<()> {
        riding_out(again, || {
            self.queue.release(delivery.id, delivery.lease_until)
        })?;
        Ok(())
    }

    /// Sends one claimed delivery and settles it. The delivery's lease is re-taken first
    /// for a full lease period, its time budget: the senders' own timeouts (webhook 10 s,
    /// each SMTP step) end an attempt well within it, and a settlement after it (the
    /// lease passed to another courier) writes nothing.
    ///
    /// # Errors
    /// `Internal` when the queue cannot be read or written.
    pub fn deliver(&self, delivery: &Delivery) -> Result<Settled> {
        self.deliver_riding_out(delivery, &|| false)
    }

    /// [`Courier::deliver`] riding out a database outage: when a store call answers
    /// `Busy` (the database is busy or unreachable for now), `again` is called — it
    /// waits, say a second — and the call is made again for as long as `again` returns
    /// true. A delivery in flight when the database went away is then settled as soon as
    /// the database is back (sent once), instead of lying under its lease until another
    /// claim sends it again. A settlement that comes after the lease ran out writes
    /// nothing ([`Settled::Lost`]), as always.
    ///
    /// # Errors
    /// As [`Courier::deliver`], when `again` gave up.
    pub fn deliver_riding_out(
        &self,
        delivery: &Delivery,
        again: &dyn Fn() -> bool,
    ) -> Result<Settled> {
        // Each send gets a full lease of its own: a batch of slow targets can outlast the
        // claim's lease, and a delivery whose lease passed to another courier is not ours
        // to send any more.
        let until = self.clock.now() + self.policy.lease;
        if !riding_out(again, || {
            self.queue.hold(delivery.id, delivery.lease_until, until)
        })? {
            return Ok(Settled::Lost);
        }
        let outcome = match &delivery.payload {
            DeliveryPayload::Email { mail } => self.mailer.send(mail),
            DeliveryPayload::Webhook {
                webhook_id,
                message,
            } => self.post(delivery.org_id, *webhook_id, message, again),
        };
        let at = self.clock.now();
        Ok(match outcome {
            Ok(()) => {
                if riding_out(again, || self.queue.delivered(delivery.id, until, at))? {
                    Settled::Delivered
                } else {
                    Settled::Lost
                }
            }
            Err(error) => {
                let attempts = delivery.attempts + 1;
                let dead = matches!(error, DeliveryError::Permanent(_))
                    || attempts >= self.policy.max_attempts;
                let settled = riding_out(again, || {
                    self.queue.failed(
                        delivery.id,
                        until,
                        &error.to_string(),
                        at,
                        at + self.policy.delay(delivery.attempts),
                        dead,
                    )
                })?;
                match (settled, dead) {
                    (false, _) => Settled::Lost,
                    (true, true) => Settled::Dead,
                    (true, false) => Settled::Retried,
                }
            }
        })
    }

    fn post(
        &self,
        org: OrgId,
        id: WebhookId,
        message: &WebhookMessage,
        again: &dyn Fn() -> bool,
    ) -> std::result::Result<(), DeliveryError> {
        let hook = match riding_out(again, || self.webhooks.webhook(org, id)) {
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

/// `call`, made again after `again()` for as long as it answers `Busy` and `again()`
/// returns true.
fn riding_out<T>(
    again: &dyn Fn() -> bool,
    mut call: impl FnMut() -> std::result::Result<T, StoreError>,
) -> std::result::Result<T, StoreError> {
    loop {
        match call() {
            Err(StoreError::Busy(_)) if again() => {}
            other => return other,
        }
    }
}
