//! The outbox dispatcher (NTF-4): claims messages the store wrote with their change, hands
//! each to the event handlers, and settles it: delivered, retried with exponential backoff,
//! or dead-lettered after too many attempts. At-least-once: a crash between delivery and
//! settling delivers again after the lease expires, so handlers de-duplicate on event id.
//! A round the store fails in the middle of (the database went away) keeps the rest of its
//! batch, still under this dispatcher's lease, and starts the next round with it: work
//! resumes as soon as the database is back, not when the lease runs out.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::TimeDelta;

use crate::error::Result;
use crate::ports::{Clock, DeliveryError, EventHandler, Outbox, OutboxMessage};

/// Retry and batching settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First retry delay; doubles with each attempt.
    pub base_delay: TimeDelta,
    /// Longest delay between attempts.
    pub max_delay: TimeDelta,
    /// Attempts before a message goes to the dead-letter list.
    pub max_attempts: u32,
    /// How long a claimed message stays hidden from other dispatchers.
    pub lease: TimeDelta,
    /// Messages claimed per round.
    pub batch: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: TimeDelta::seconds(5),
            max_delay: TimeDelta::hours(1),
            max_attempts: 10,
            lease: TimeDelta::minutes(2),
            batch: 50,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`, after `attempts` failures.
    pub fn delay(&self, attempts: u32) -> TimeDelta {
        let factor = 1i32.checked_shl(attempts.min(20)).unwrap_or(i32::MAX);
        (self.base_delay * factor).min(self.max_delay)
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Messages delivered (or of no interest to any handler).
    pub delivered: u32,
    /// Messages put back for a later attempt.
    pub retried: u32,
    /// Messages moved to the dead-letter list.
    pub dead: u32,
    /// Messages not settled because their lease had passed to another worker, which
    /// settles them (handlers are idempotent per event, so nothing is doubled).
    pub lost: u32,
}

/// Delivers outbox messages to handlers.
#[derive(Clone)]
pub struct Dispatcher {
    outbox: Arc<dyn Outbox>,
    handlers: Vec<Arc<dyn EventHandler>>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    /// Claimed messages a failed round left unsettled, first in the next round.
    interrupted: Arc<Mutex<Vec<OutboxMessage>>>,
}

impl Dispatcher {
    /// A dispatcher over `outbox` feeding `handlers`.
    pub fn new(
        outbox: Arc<dyn Outbox>,
        handlers: Vec<Arc<dyn EventHandler>>,
        clock: Arc<dyn Clock>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            outbox,
            handlers,
            clock,
            policy,
            interrupted: Arc::default(),
        }
    }

    /// Claims one batch and settles every message in it.
    ///
    /// # Errors
    /// `Internal` when the outbox cannot be read or written.
    /// Messages a failed round left unsettled are handled first, in a round of their own
    /// (handlers are idempotent per event, so one that already ran for them is harmless).
    pub fn run_once(&self) -> Result<Round> {
        let now = self.clock.now();
        let mut batch = self.take_interrupted(now);
        if batch.is_empty() {
            batch = self
                .outbox
                .claim(now, now + self.policy.lease, self.policy.batch)?;
        }
        // The events stay here while the messages go to be settled.
        let events: Vec<_> = batch.iter().map(|m| m.event.clone()).collect();
        for h in &self.handlers {
            h.prepare(&events);
        }
        let result = self.settle_round(batch);
        for h in &self.handlers {
            h.finish(&events);
        }
        result
    }

    /// Hands each message of `batch` to the handlers and settles it.
    fn settle_round(&self, batch: Vec<OutboxMessage>) -> Result<Round> {
        let mut round = Round::default();
        // Handled messages are marked delivered together at the end of the round: one
        // write for the batch instead of a transaction per message.
        let mut handled = Vec::with_capacity(batch.len());
        let mut rest = batch.into_iter();
        while let Some(message) = rest.next() {
            let Some(failure) = self.handle(&message) else {
                handled.push(message);
                continue;
            };
            if let Err(e) = self.record_failure(&message, failure, &mut round) {
                handled.push(message);
                handled.extend(rest);
                self.keep(handled);
                return Err(e);
            }
        }
        if let Err(e) = self.complete(&handled, &mut round) {
            self.keep(handled);
            return Err(e);
        }
        Ok(round)
    }

    /// Keeps claimed messages a failed round left unsettled for the next round.
    fn keep(&self, messages: Vec<OutboxMessage>) {
        self.interrupted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(messages);
    }

    /// Marks the handled messages delivered, one write per lease they were claimed under
    /// (a batch has one; interrupted messages keep theirs), counting them in `round`.
    fn complete(&self, handled: &[OutboxMessage], round: &mut Round) -> Result<()> {
        let at = self.clock.now();
        let mut leases: Vec<_> = handled.iter().map(|m| m.lease_until).collect();
        leases.sort_unstable();
        leases.dedup();
        for lease in leases {
            let ids: Vec<_> = handled
                .iter()
                .filter(|m| m.lease_until == lease)
                .map(|m| m.event.id)
                .collect();
            let marked = self.outbox.complete_all(&ids, lease, at)?;
            let total = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            round.delivered += marked.min(total);
            round.lost += total.saturating_sub(marked);
        }
        Ok(())
    }

    /// The interrupted messages still under this dispatcher's lease at `now` (once a lease
    /// has run out another dispatcher may hold the message: it is not ours to settle).
    fn take_interrupted(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<OutboxMessage> {
        let mut kept = self
            .interrupted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *kept)
            .into_iter()
            .filter(|m| m.lease_until > now)
            .collect()
    }

    /// Hands one claimed message to the handlers: the first failure, naming its handler.
    fn handle(&self, message: &OutboxMessage) -> Option<(String, DeliveryError)> {
        self.handlers.iter().find_map(|h| {
            h.handle(&message.event)
                .err()
                .map(|e| (h.name().to_owned(), e))
        })
    }

    /// Settles a message a handler failed: retried with backoff, or dead-lettered;
    /// counted in `round`.
    fn record_failure(
        &self,
        message: &OutboxMessage,
        (handler, error): (String, DeliveryError),
        round: &mut Round,
    ) -> Result<()> {
        let at = self.clock.now();
        let attempts = message.attempts + 1;
        let dead =
            matches!(error, DeliveryError::Permanent(_)) || attempts >= self.policy.max_attempts;
        let text = format!("{handler}: {error}");
        let settled = self.outbox.fail(
            message.event.id,
            message.lease_until,
            &text,
            at,
            at + self.policy.delay(message.attempts),
            dead,
        )?;
        if !settled {
            round.lost += 1;
        } else if dead {
            round.dead += 1;
        } else {
            round.retried += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{DomainEvent, EventPayload};
    use crate::ids::{EventId, IncidentId, OrgId};
    use crate::ports::{FixedClock, MockEventHandler, MockOutbox, OutboxMessage};

    fn message(n: u128, attempts: u32) -> OutboxMessage {
        let at = "2026-03-02T09:00:00Z".parse().unwrap();
        OutboxMessage {
            event: DomainEvent {
                id: EventId(uuid::Uuid::from_u128(n)),
                org_id: OrgId(uuid::Uuid::from_u128(1)),
                occurred_at: at,
                actor_id: None,
                payload: EventPayload::IncidentDeleted {
                    incident_id: IncidentId(uuid::Uuid::from_u128(9)),
                },
            },
            attempts,
            available_at: at,
            lease_until: at + TimeDelta::minutes(2),
        }
    }

    fn dispatcher(
        outbox: MockOutbox,
        outcome: fn(u128) -> std::result::Result<(), DeliveryError>,
    ) -> Dispatcher {
        let mut handler = MockEventHandler::new();
        handler.expect_name().return_const("test".to_owned());
        handler.expect_prepare().return_const(());
        handler.expect_finish().return_const(());
        handler
            .expect_handle()
            .returning(move |e| outcome(e.id.0.as_u128()));
        Dispatcher::new(
            Arc::new(outbox),
            vec![Arc::new(handler)],
            Arc::new(FixedClock::new("2026-03-02T09:00:00Z".parse().unwrap())),
            RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
        )
    }

    #[test]
    fn delivered_retried_and_dead_messages_are_settled() {
        let mut outbox = MockOutbox::new();
        outbox.expect_claim().times(1).returning(|_, _, _| {
            Ok(vec![
                message(1, 0),
                message(2, 0),
                message(3, 2),
                message(4, 0),
            ])
        });
        outbox
            .expect_complete_all()
            .withf(|ids, lease, _| {
                ids.iter().map(|i| i.0.as_u128()).eq([1]) && *lease == message(1, 0).lease_until
            })
            .times(1)
            .returning(|_, _, _| Ok(1));
        // Transient failure, first attempt: retried 5 s later.
        outbox
            .expect_fail()
            .withf(|id, _, _, at, retry, dead| {
                id.0.as_u128() == 2 && !dead && *retry - *at == TimeDelta::seconds(5)
            })
            .times(1)
            .returning(|_, _, _, _, _, _| Ok(true));
        // Third failure with max_attempts 3: dead letter.
        outbox
            .expect_fail()
            .withf(|id, _, _, _, _, dead| id.0.as_u128() == 3 && *dead)
            .times(1)
            .returning(|_, _, _, _, _, _| Ok(true));
        // Permanent failure: dead at once.
        outbox
            .expect_fail()
            .withf(|id, _, err, _, _, dead| {
                id.0.as_u128() == 4 && *dead && err.contains("bad address")
            })
            .times(1)
            .returning(|_, _, _, _, _, _| Ok(true));
        let round = dispatcher(outbox, |n| match n {
            1 => Ok(()),
            4 => Err(DeliveryError::Permanent("bad address".into())),
            _ => Err(DeliveryError::Retry("smtp down".into())),
        })
        .run_once()
        .unwrap();
        assert_eq!(
            round,
            Round {
                delivered: 1,
                retried: 1,
                dead: 2,
                lost: 0,
            }
        );
    }

    #[test]
    fn a_message_whose_lease_passed_to_another_worker_is_not_counted_as_settled() {
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim()
            .times(1)
            .returning(|_, _, _| Ok(vec![message(1, 0), message(2, 0)]));
        // The store refuses both settlements: another dispatcher re-claimed them.
        outbox
            .expect_complete_all()
            .times(1)
            .returning(|_, _, _| Ok(0));
        outbox
            .expect_fail()
            .times(1)
            .returning(|_, _, _, _, _, _| Ok(false));
        let round = dispatcher(outbox, |n| match n {
            1 => Ok(()),
            _ => Err(DeliveryError::Retry("smtp down".into())),
        })
        .run_once()
        .unwrap();
        assert_eq!(
            round,
            Round {
                lost: 2,
                ..Round::default()
            }
        );
    }

    #[test]
    fn a_round_the_store_fails_in_resumes_with_its_batch_before_claiming_more() {
        let mut outbox = MockOutbox::new();
        // One claim only: the second round takes the interrupted messages instead.
        outbox
            .expect_claim()
            .times(1)
            .returning(|_, _, _| Ok(vec![message(1, 0), message(2, 0), message(3, 0)]));
        let calls = std::sync::atomic::AtomicU32::new(0);
        // The database goes away while the round marks its batch delivered; it is back for
        // the next round, which marks the same three.
        outbox
            .expect_complete_all()
            .times(2)
            .returning(move |ids, _, _| {
                assert!(ids.iter().map(|i| i.0.as_u128()).eq([1, 2, 3]));
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    Err(crate::ports::StoreError::Busy(
                        "server closed the connection".into(),
                    ))
                } else {
                    Ok(3)
                }
            });
        let dispatcher = dispatcher(outbox, |_| Ok(()));
        assert!(dispatcher.run_once().is_err());
        assert_eq!(
            dispatcher.run_once().unwrap(),
            Round {
                delivered: 3,
                ..Round::default()
            }
        );
    }

    #[test]
    fn a_failure_the_store_cannot_record_keeps_the_whole_batch_for_the_next_round() {
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim()
            .times(1)
            .returning(|_, _, _| Ok(vec![message(1, 0), message(2, 0), message(3, 0)]));
        let fails = std::sync::atomic::AtomicU32::new(0);
        outbox
            .expect_fail()
            .times(2)
            .returning(move |id, _, _, _, _, _| {
                assert_eq!(id.0.as_u128(), 2);
                if fails.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    Err(crate::ports::StoreError::Busy("down".into()))
                } else {
                    Ok(true)
                }
            });
        // Nothing is marked in the failed round; the next marks 1 and 3 together.
        outbox
            .expect_complete_all()
            .times(1)
            .withf(|ids, _, _| ids.iter().map(|i| i.0.as_u128()).eq([1, 3]))
            .returning(|_, _, _| Ok(2));
        let dispatcher = dispatcher(outbox, |n| {
            if n == 2 {
                Err(DeliveryError::Retry("smtp down".into()))
            } else {
                Ok(())
            }
        });
        assert!(dispatcher.run_once().is_err());
        assert_eq!(
            dispatcher.run_once().unwrap(),
            Round {
                delivered: 2,
                retried: 1,
                ..Round::default()
            }
        );
    }

    #[test]
    fn an_interrupted_message_whose_lease_ran_out_is_left_to_the_next_claim() {
        let mut outbox = MockOutbox::new();
        let claims = std::sync::atomic::AtomicU32::new(0);
        outbox.expect_claim().times(2).returning(move |_, _, _| {
            // First claim: a lease already over at the dispatcher's (fixed) clock.
            if claims.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                let mut m = message(1, 0);
                m.lease_until = "2026-03-02T08:59:00Z".parse().unwrap();
                Ok(vec![m])
            } else {
                Ok(Vec::new())
            }
        });
        outbox
            .expect_complete_all()
            .times(1)
            .returning(|_, _, _| Err(crate::ports::StoreError::Busy("down".into())));
        let dispatcher = dispatcher(outbox, |_| Ok(()));
        assert!(dispatcher.run_once().is_err());
        assert_eq!(dispatcher.run_once().unwrap(), Round::default());
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0), TimeDelta::seconds(5));
        assert_eq!(p.delay(3), TimeDelta::seconds(40));
        assert_eq!(p.delay(30), TimeDelta::hours(1));
    }
}
