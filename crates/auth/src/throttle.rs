//! In-memory attempt limits with lockout (AUTH-7), keyed by strings such as
//! `login:acct:<email>` or `login:ip:<address>`.
//!
//! Policy: `max_failures` failures of one key within a sliding `window` lock the key for
//! `lockout`. While locked, [`Throttle::check`] answers how many seconds remain. A success
//! calls [`Throttle::reset`]. Memory stays bounded: entries with nothing left to remember
//! are pruned as the map is used, and past `max_keys` the least recently failed unlocked
//! entries are evicted first.
//!
//! The state is per process. Several server processes each keep their own counts, so an
//! attacker gets at most `processes × max_failures` tries per window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

/// The answer while a key is locked: seconds until the next attempt may be made (≥ 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; retry after {0} s")]
pub struct RetryAfter(pub u64);

#[derive(Debug, Default)]
struct Entry {
    /// Failures inside the window, oldest first (at most `max_failures`).
    failures: VecDeque<DateTime<Utc>>,
    /// Locked until this instant (exclusive).
    locked_until: Option<DateTime<Utc>>,
}

impl Entry {
    fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    fn forget_before(&mut self, cutoff: DateTime<Utc>) {
        while self.failures.front().is_some_and(|t| *t <= cutoff) {
            self.failures.pop_front();
        }
    }

    fn last_seen(&self) -> Option<DateTime<Utc>> {
        self.failures.back().copied().max(self.locked_until)
    }
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    ops_since_prune: usize,
}

/// Thread-safe in-memory throttle. Also implements the core's
/// [`servicedesk_core::ports::Throttle`] port.
#[derive(Debug)]
pub struct Throttle {
    max_failures: usize,
    window: TimeDelta,
    lockout: TimeDelta,
    max_keys: usize,
    state: Mutex<State>,
}

/// Failures allowed per window by [`Throttle::default`].
const DEFAULT_MAX_FAILURES: u32 = 5;
/// Window and lockout of [`Throttle::default`]: 15 minutes.
const DEFAULT_WINDOW_SECS: i64 = 15 * 60;
/// Keys kept before eviction, by default.
const DEFAULT_MAX_KEYS: usize = 100_000;
/// A full sweep of expired entries runs after this many recorded failures.
const PRUNE_EVERY: usize = 1024;

impl Default for Throttle {
    /// 5 failures per 15 minutes lock the key for 15 minutes; up to 100,000 keys.
    fn default() -> Self {
        let window = TimeDelta::seconds(DEFAULT_WINDOW_SECS);
        Self::new(DEFAULT_MAX_FAILURES, window, window)
    }
}

impl Throttle {
    /// `max_failures` failures within `window` lock a key for `lockout`. A `max_failures` of 0
    /// is treated as 1; negative durations as zero.
    #[must_use]
    pub fn new(max_failures: u32, window: TimeDelta, lockout: TimeDelta) -> Self {
        Self {
            max_failures: usize::try_from(max_failures.max(1)).unwrap_or(usize::MAX),
            window: window.max(TimeDelta::zero()),
            lockout: lockout.max(TimeDelta::zero()),
            max_keys: DEFAULT_MAX_KEYS,
            state: Mutex::new(State::default()),
        }
    }

    /// The same throttle keeping at most `max_keys` keys (at least 1).
    #[must_use]
    pub fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(1);
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves consistent data: keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `Err` with the seconds left while `key` is locked out at `now`.
    ///
    /// # Errors
    /// [`RetryAfter`] while the key is locked.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), RetryAfter> {
        let state = self.state();
        match state.entries.get(key).and_then(|e| e.locked_at(now)) {
            Some(until) => Err(RetryAfter(ceil_secs(until - now))),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt against `key` at `now`; the `max_failures`-th failure within
    /// the window starts the lockout. Failures while locked are ignored (the lockout is not
    /// extended).
    pub fn record_failure(&self, key: &str, now: DateTime<Utc>) {
        let mut state = self.state();
        state.ops_since_prune += 1;
        if state.ops_since_prune >= PRUNE_EVERY {
            self.prune_locked(&mut state, now);
        }
        if !state.entries.contains_key(key) && state.entries.len() >= self.max_keys {
            self.prune_locked(&mut state, now);
            self.evict(&mut state, self.max_keys.saturating_sub(1));
        }
        let entry = state.entries.entry(key.to_owned()).or_default();
        if entry.locked_at(now).is_some() {
            return;
        }
        entry.locked_until = None;
        entry.forget_before(now - self.window);
        entry.failures.push_back(now);
        if entry.failures.len() >= self.max_failures {
            entry.failures.clear();
            entry.locked_until = Some(now + self.lockout);
        }
    }

    /// Forgets everything about `key` (after a successful attempt).
    pub fn reset(&self, key: &str) {
        self.state().entries.remove(key);
    }

    /// Removes every entry that no longer affects any answer at `now`: not locked and
    /// without failures inside the window.
    pub fn prune(&self, now: DateTime<Utc>) {
        let mut state = self.state();
        self.prune_locked(&mut state, now);
    }

    /// Number of keys currently remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    /// True when no key is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn prune_locked(&self, state: &mut State, now: DateTime<Utc>) {
        let cutoff = now - self.window;
        state.entries.retain(|_, e| {
            e.forget_before(cutoff);
            e.locked_at(now).is_some() || !e.failures.is_empty()
        });
        state.ops_since_prune = 0;
    }

    /// Shrinks the map to `keep` entries, dropping unlocked entries before locked ones and,
    /// among those, the least recently active first.
    fn evict(&self, state: &mut State, keep: usize) {
        let excess = state.entries.len().saturating_sub(keep);
        if excess == 0 {
            return;
        }
        let mut order: Vec<(bool, Option<DateTime<Utc>>, String)> = state
            .entries
            .iter()
            .map(|(k, e)| (e.locked_until.is_some(), e.last_seen(), k.clone()))
            .collect();
        order.sort_unstable();
        for (_, _, key) in order.into_iter().take(excess) {
            state.entries.remove(&key);
        }
    }
}

/// Whole seconds, rounded up, at least 1.
fn ceil_secs(d: TimeDelta) -> u64 {
    let millis = d.num_milliseconds().max(0);
    u64::try_from((millis + 999) / 1000)
        .unwrap_or(u64::MAX)
        .max(1)
}

impl servicedesk_core::ports::Throttle for Throttle {
    fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        Self::check(self, key, now).map_err(|RetryAfter(secs)| secs)
    }

    fn failure(&self, key: &str, now: DateTime<Utc>) {
        self.record_failure(key, now);
    }

    fn reset(&self, key: &str) {
        Self::reset(self, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(ceil_secs(TimeDelta::milliseconds(1)), 1);
        assert_eq!(ceil_secs(TimeDelta::milliseconds(1000)), 1);
        assert_eq!(ceil_secs(TimeDelta::milliseconds(1001)), 2);
        assert_eq!(ceil_secs(TimeDelta::zero()), 1);
    }

    #[test]
    fn periodic_sweep_drops_stale_entries() {
        let th = Throttle::new(3, TimeDelta::seconds(10), TimeDelta::seconds(10));
        th.record_failure("old", t(0));
        for i in 0..PRUNE_EVERY {
            th.record_failure(&format!("k{}", i % 3), t(100));
        }
        assert_eq!(th.len(), 3, "the stale key went in the sweep");
    }

    #[test]
    fn zero_max_failures_means_one() {
        let th = Throttle::new(0, TimeDelta::seconds(10), TimeDelta::seconds(10));
        th.record_failure("k", t(0));
        assert!(th.check("k", t(0)).is_err());
    }
}
