//! Retention: delivered mails and webhook posts, and read in-app notifications, are kept
//! for a while (to answer "was I told?") and then deleted, so the tables — which hold
//! rendered mails with personal data — do not grow forever. Pending deliveries, dead
//! letters and unread notifications are never deleted.

use std::sync::Arc;

use chrono::TimeDelta;

use crate::error::Result;
use crate::ports::{Clock, DeliveryQueue, NotificationStore};

/// How long delivered and read rows are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Delivered deliveries older than this (by delivery time) go.
    pub deliveries: TimeDelta,
    /// Read notifications older than this (by read time) go.
    pub notifications: TimeDelta,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            deliveries: TimeDelta::days(30),
            notifications: TimeDelta::days(90),
        }
    }
}

/// Deletes what the policy no longer keeps.
#[derive(Clone)]
pub struct Retention {
    store: Arc<dyn NotificationStore>,
    queue: Arc<dyn DeliveryQueue>,
    clock: Arc<dyn Clock>,
    policy: RetentionPolicy,
}

impl Retention {
    /// Retention over its ports.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        queue: Arc<dyn DeliveryQueue>,
        clock: Arc<dyn Clock>,
        policy: RetentionPolicy,
    ) -> Self {
        Self {
            store,
            queue,
            clock,
            policy,
        }
    }

    /// Deletes up to `batch` deliveries and `batch` notifications past their time; returns
    /// (deliveries, notifications) deleted.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn sweep(&self, batch: u32) -> Result<(u32, u32)> {
        let now = self.clock.now();
        let deliveries = self
            .queue
            .purge_delivered(now - self.policy.deliveries, batch)?;
        let notifications = self
            .store
            .purge_read(now - self.policy.notifications, batch)?;
        Ok((deliveries, notifications))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{FixedClock, MockDeliveryQueue, MockNotificationStore};
    use crate::usecases::tests::fixture::t0;

    #[test]
    fn each_kind_is_cut_at_its_own_age() {
        let mut queue = MockDeliveryQueue::new();
        queue
            .expect_purge_delivered()
            .withf(|before, n| *before == t0() - TimeDelta::days(30) && *n == 500)
            .times(1)
            .returning(|_, _| Ok(7));
        let mut store = MockNotificationStore::new();
        store
            .expect_purge_read()
            .withf(|before, n| *before == t0() - TimeDelta::days(90) && *n == 500)
            .times(1)
            .returning(|_, _| Ok(2));
        let retention = Retention::new(
            Arc::new(store),
            Arc::new(queue),
            Arc::new(FixedClock::new(t0())),
            RetentionPolicy::default(),
        );
        assert_eq!(retention.sweep(500).unwrap(), (7, 2));
    }
}
