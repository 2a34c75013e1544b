//! One creator per organization and counter at a time in this process, in front of the
//! counter row. A ticket's number comes from its organization's counter row, whose lock
//! serializes the organization's creators until commit (that keeps the numbers gapless).
//! Left to PostgreSQL, every waiting connection sleeps on the row's lock and the whole queue
//! is woken and re-queued at each commit: with 32 clients creating in one organization,
//! most backend samples were waits on the lock and on the lock manager (docs/performance.md,
//! issue 12). Behind the gate the waiters of this process wait on a mutex instead, the row
//! sees at most one of them, and the next creator starts the moment the previous one's
//! commit returns. The row lock is still what makes numbers correct across processes; the
//! gate only orders this process's share of the queue.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use servicedesk_core::ports::StoreError;

/// Stripes: two (organization, counter) pairs share a mutex only when their hashes meet,
/// which for a handful of busy organizations is rare and costs only their parallelism.
const STRIPES: usize = 1024;

/// The gates of one store.
pub(crate) struct Gates {
    stripes: Box<[Mutex<()>]>,
    /// Longest wait for a gate: past it the create answers `Busy` (503, retry), as a
    /// connection that cannot be had in time does.
    wait: Duration,
}

impl std::fmt::Debug for Gates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gates")
            .field("stripes", &self.stripes.len())
            .field("wait", &self.wait)
            .finish()
    }
}

/// Held from the number's counter to the end of the transaction.
pub(crate) type Pass<'a> = MutexGuard<'a, ()>;

impl Gates {
    /// Gates that give up after `wait`.
    pub(crate) fn new(wait: Duration) -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            wait,
        }
    }

    /// Waits for the gate of counter `kind` of `org`.
    ///
    /// # Errors
    /// `Busy` when the gate stays taken longer than the wait.
    pub(crate) fn enter(&self, org: &str, kind: &str) -> Result<Pass<'_>, StoreError> {
        let stripe = &self.stripes[stripe_of(org, kind)];
        stripe.try_lock_for(self.wait).ok_or_else(|| {
            StoreError::Busy(format!(
                "the {kind} counter of this organization stayed busy for {:?}",
                self.wait
            ))
        })
    }
}

fn stripe_of(org: &str, kind: &str) -> usize {
    stripe((org, kind), STRIPES)
}

/// Which of `stripes` stripes `key` falls in (the gates' and the combining queues').
pub(crate) fn stripe(key: impl Hash, stripes: usize) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    let n = u64::try_from(stripes.max(1)).unwrap_or(u64::MAX);
    // The remainder is below `stripes`, so it fits a usize.
    usize::try_from(h.finish() % n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_gate_refuses_after_the_wait_and_others_stay_open() {
        let gates = Gates::new(Duration::from_millis(30));
        let held = gates.enter("org-a", "incident").unwrap();
        let again = gates.enter("org-a", "incident");
        assert!(matches!(again, Err(StoreError::Busy(_))), "{again:?}");
        // Another organization's creators are not held up (unless their stripes meet,
        // which these two do not).
        assert_ne!(
            stripe_of("org-a", "incident"),
            stripe_of("org-b", "incident")
        );
        assert!(gates.enter("org-b", "incident").is_ok());
        drop(held);
        assert!(gates.enter("org-a", "incident").is_ok());
    }

    #[test]
    fn a_gate_waits_for_its_holder() {
        let gates = std::sync::Arc::new(Gates::new(Duration::from_secs(5)));
        let held = gates.enter("org-a", "request").unwrap();
        let other = gates.clone();
        let waiter = std::thread::spawn(move || other.enter("org-a", "request").is_ok());
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        assert!(waiter.join().unwrap());
    }
}
