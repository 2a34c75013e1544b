//! Account mails (verification, password reset, and whatever account notices the mail
//! adapter renders) as deliveries: the outbox handler only renders the mail and queues it;
//! the courier sends it with its retries, limits and dead letters, off the dispatcher's
//! path. The queue row holds the rendered mail (its link is a single-use token) only until
//! it is delivered or dead; then the store scrubs it.

use std::sync::Arc;

use crate::events::DomainEvent;
use crate::ids::DeliveryId;
use crate::ports::{
    Clock, DeliveryError, DeliveryPayload, EventHandler, IdGenerator, Mail, NewDelivery,
    NotificationStore, Routed,
};

/// Renders the mail an account event asks for (the mail adapter's templates).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AccountMailComposer: Send + Sync {
    /// The mail `event` asks for, or `None` when it is not an account mail.
    ///
    /// # Errors
    /// `Permanent` when the templates cannot render it (a bug).
    fn account_mail(&self, event: &DomainEvent) -> Option<Result<Mail, DeliveryError>>;
}

/// The outbox handler queueing account mails as deliveries (idempotent per event and
/// address: a retried event queues nothing twice).
#[derive(Clone)]
pub struct AccountMails {
    composer: Arc<dyn AccountMailComposer>,
    store: Arc<dyn NotificationStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl AccountMails {
    /// The handler over its ports.
    pub fn new(
        composer: Arc<dyn AccountMailComposer>,
        store: Arc<dyn NotificationStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            composer,
            store,
            clock,
            ids,
        }
    }
}

impl EventHandler for AccountMails {
    fn name(&self) -> &str {
        "account-mail"
    }

    fn handle(&self, event: &DomainEvent) -> Result<(), DeliveryError> {
        let Some(mail) = self.composer.account_mail(event) else {
            return Ok(());
        };
        let mail = mail?;
        let routed = Routed {
            at: self.clock.now(),
            notifications: Vec::new(),
            deliveries: vec![NewDelivery {
                id: DeliveryId(self.ids.new_id()),
                event_id: event.id,
                kind: event.payload.kind().to_owned(),
                target: mail.to.clone(),
                payload: DeliveryPayload::Email { mail },
            }],
        };
        self.store
            .save_routed(event.org_id, &routed)
            .map(|_| ())
            .map_err(|e| DeliveryError::Retry(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventPayload;
    use crate::ids::{EventId, OrgId, UserId};
    use crate::ports::{FixedClock, MockIdGenerator, MockNotificationStore, StoreError};

    fn reset() -> DomainEvent {
        DomainEvent {
            id: EventId(uuid::Uuid::from_u128(7)),
            org_id: OrgId(uuid::Uuid::from_u128(1)),
            occurred_at: "2026-03-02T09:00:00Z".parse().unwrap(),
            actor_id: None,
            payload: EventPayload::PasswordResetRequested {
                user_id: UserId(uuid::Uuid::from_u128(2)),
                email: "ada@example.org".into(),
                name: "Ada".into(),
                token: "T0KEN".into(),
            },
        }
    }

    fn mail() -> Mail {
        Mail {
            to: "ada@example.org".into(),
            to_name: "Ada".into(),
            subject: "Reset".into(),
            text: "https://desk/reset?token=T0KEN".into(),
            html: "<a>reset</a>".into(),
        }
    }

    fn handler(composer: MockAccountMailComposer, store: MockNotificationStore) -> AccountMails {
        let mut ids = MockIdGenerator::new();
        ids.expect_new_id().returning(|| uuid::Uuid::from_u128(99));
        AccountMails::new(
            Arc::new(composer),
            Arc::new(store),
            Arc::new(FixedClock::new("2026-03-02T09:00:01Z".parse().unwrap())),
            Arc::new(ids),
        )
    }

    #[test]
    fn an_account_mail_is_queued_not_sent() {
        let mut composer = MockAccountMailComposer::new();
        composer
            .expect_account_mail()
            .returning(|_| Some(Ok(mail())));
        let mut store = MockNotificationStore::new();
        store
            .expect_save_routed()
            .withf(|org, r| {
                let d = &r.deliveries[0];
                org.0.as_u128() == 1
                    && r.notifications.is_empty()
                    && r.deliveries.len() == 1
                    && d.event_id.0.as_u128() == 7
                    && d.kind == "user.password_reset_requested"
                    && d.target == "ada@example.org"
                    && d.payload == DeliveryPayload::Email { mail: mail() }
            })
            .times(1)
            .returning(|_, _| Ok(1));
        handler(composer, store).handle(&reset()).unwrap();
    }

    #[test]
    fn other_events_queue_nothing_and_store_trouble_is_retried() {
        let mut composer = MockAccountMailComposer::new();
        composer.expect_account_mail().returning(|_| None);
        let store = MockNotificationStore::new();
        handler(composer, store).handle(&reset()).unwrap();

        let mut composer = MockAccountMailComposer::new();
        composer
            .expect_account_mail()
            .returning(|_| Some(Ok(mail())));
        let mut store = MockNotificationStore::new();
        store
            .expect_save_routed()
            .returning(|_, _| Err(StoreError::Unavailable("down".into())));
        assert!(matches!(
            handler(composer, store).handle(&reset()),
            Err(DeliveryError::Retry(_))
        ));

        let mut composer = MockAccountMailComposer::new();
        composer
            .expect_account_mail()
            .returning(|_| Some(Err(DeliveryError::Permanent("template".into()))));
        assert!(matches!(
            handler(composer, MockNotificationStore::new()).handle(&reset()),
            Err(DeliveryError::Permanent(_))
        ));
    }
}
