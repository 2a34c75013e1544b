//! Combining concurrent writes into few transactions (flat combining). The creators of an
//! organization queue on its number's counter row until each commit, so one organization's
//! create rate is bounded by one transaction's round trips and its commit. Here the
//! creators of this process queue their items instead, one queue per key; the first few
//! callers become leaders (at most `leaders` at once), each takes everything queued (up to
//! a batch), runs it as one transaction and hands each creator its own result; when its
//! own item is done it passes the lead to the first creator still queued, if any. Two
//! leaders let one batch be written while the other commits. The batch runner decides
//! what one failing item does to the others (the incident create runs them one by one
//! then), so combining changes how many transactions there are, never what a caller sees.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use servicedesk_core::ports::StoreError;

/// Stripes of the queue map: organizations in one stripe share only the short critical
/// sections of queueing, never a queue or a leader.
const STRIPES: usize = 64;

/// The queues of one kind of write, one per key (organization) while it has callers.
pub(crate) struct Combiner<T, V> {
    stripes: Box<[Stripe<T, V>]>,
    /// Most items in one batch.
    max_batch: usize,
    /// Most batches of one key running at once.
    leaders: usize,
    /// Longest a queued item waits to be taken into a batch: past it the caller gets
    /// `Busy` (503, retry) and its item is withdrawn, never run.
    wait: Duration,
    /// Batches run, and items in them.
    runs: AtomicU64,
    items: AtomicU64,
}

type Stripe<T, V> = Mutex<HashMap<String, Queue<T, V>>>;

struct Queue<T, V> {
    /// Items not yet taken into a batch, in arrival order.
    waiting: VecDeque<Arc<Slot<T, V>>>,
    /// Callers leading now (or handed the lead and about to).
    leading: usize,
}

struct Slot<T, V> {
    state: Mutex<State<T, V>>,
    ready: Condvar,
}

struct State<T, V> {
    item: Option<T>,
    result: Option<Result<V, StoreError>>,
    /// Set by the leader that hands over the lead to this slot's caller.
    lead: bool,
}

impl<T, V> std::fmt::Debug for Combiner<T, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Combiner")
            .field("stripes", &self.stripes.len())
            .field("max_batch", &self.max_batch)
            .field("leaders", &self.leaders)
            .field("wait", &self.wait)
            .finish()
    }
}

impl<T, V> Combiner<T, V> {
    /// Queues that run at most `max_batch` items together, at most `leaders` batches of a
    /// key at once, and give up on an item not taken within `wait`.
    pub(crate) fn new(max_batch: usize, leaders: usize, wait: Duration) -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(HashMap::new())).collect(),
            max_batch: max_batch.max(1),
            leaders: leaders.max(1),
            wait,
            runs: AtomicU64::new(0),
            items: AtomicU64::new(0),
        }
    }

    /// Batches run so far, and the items they held.
    pub(crate) fn runs(&self) -> (u64, u64) {
        (
            self.runs.load(Ordering::Relaxed),
            self.items.load(Ordering::Relaxed),
        )
    }

    /// Runs `item` in a batch with the other items queued under `key` (every item of a
    /// batch has the same key), through `run`, which answers one result per item in order
    /// (a missing result answers `Unavailable`).
    pub(crate) fn submit(
        &self,
        key: &str,
        item: T,
        run: impl Fn(Vec<T>) -> Vec<Result<V, StoreError>>,
    ) -> Result<V, StoreError> {
        let stripe = &self.stripes[crate::gate::stripe(key, STRIPES)];
        let slot = Arc::new(Slot {
            state: Mutex::new(State {
                item: Some(item),
                result: None,
                lead: false,
            }),
            ready: Condvar::new(),
        });
        // A queue exists exactly while someone leads it: a caller leads when fewer than
        // `leaders` do.
        let leads = {
            let mut queues = stripe.lock();
            let queue = queues.entry(key.to_owned()).or_insert_with(|| Queue {
                waiting: VecDeque::new(),
                leading: 0,
            });
            queue.waiting.push_back(slot.clone());
            let leads = queue.leading < self.leaders;
            if leads {
                queue.leading += 1;
                // Marked, so that no leader hands it the lead a second time.
                slot.state.lock().lead = true;
            }
            leads
        };
        if !leads && let Some(result) = self.follow(stripe, key, &slot) {
            return result;
        }
        self.lead(stripe, key, &slot, &run)
    }

    /// Waits for the result, or for the lead (`None`).
    fn follow(
        &self,
        stripe: &Stripe<T, V>,
        key: &str,
        slot: &Arc<Slot<T, V>>,
    ) -> Option<Result<V, StoreError>> {
        let deadline = Instant::now() + self.wait;
        let mut state = slot.state.lock();
        loop {
            // The lead first: a caller handed it must take it even when another leader's
            // batch has answered its item meanwhile, or the lead would be lost.
            if state.lead {
                return None;
            }
            if let Some(r) = state.result.take() {
                return Some(r);
            }
            if state.item.is_none() {
                // Taken into a running batch: its result comes when the batch ends.
                slot.ready.wait(&mut state);
                continue;
            }
            if slot.ready.wait_until(&mut state, deadline).timed_out()
                && state.item.is_some()
                && !state.lead
            {
                // Still queued: withdraw it (stripe before slot, the leader's order).
                drop(state);
                let mut queues = stripe.lock();
                state = slot.state.lock();
                if state.item.is_some() && !state.lead {
                    if let Some(q) = queues.get_mut(key) {
                        q.waiting.retain(|s| !Arc::ptr_eq(s, slot));
                    }
                    return Some(Err(StoreError::Busy(format!(
                        "the write waited {:?} in its organization's queue",
                        self.wait
                    ))));
                }
            }
        }
    }

    /// Runs batches until `own` has its result, then passes the lead on. When another
    /// leader took `own` into its batch, passes the lead on and waits for that batch.
    fn lead(
        &self,
        stripe: &Stripe<T, V>,
        key: &str,
        own: &Arc<Slot<T, V>>,
        run: &impl Fn(Vec<T>) -> Vec<Result<V, StoreError>>,
    ) -> Result<V, StoreError> {
        let handover = Handover { stripe, key };
        loop {
            let batch: Vec<(Arc<Slot<T, V>>, T)> = {
                let mut queues = stripe.lock();
                match queues.get_mut(key) {
                    Some(q) => {
                        let n = q.waiting.len().min(self.max_batch);
                        q.waiting
                            .drain(..n)
                            .filter_map(|s| {
                                let item = s.state.lock().item.take();
                                item.map(|i| (s, i))
                            })
                            .collect()
                    }
                    None => Vec::new(),
                }
            };
            let (slots, items): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let count = items.len();
            if count > 0 {
                self.runs.fetch_add(1, Ordering::Relaxed);
                self.items
                    .fetch_add(u64::try_from(count).unwrap_or(u64::MAX), Ordering::Relaxed);
            }
            let mut results = catch_unwind(AssertUnwindSafe(|| run(items)))
                .unwrap_or_default()
                .into_iter();
            for s in slots {
                let r = results.next().unwrap_or_else(|| {
                    Err(StoreError::Unavailable(
                        "the batch ended without this write's result".to_owned(),
                    ))
                });
                s.state.lock().result = Some(r);
                s.ready.notify_one();
            }
            if let Some(r) = own.state.lock().result.take() {
                drop(handover);
                return r;
            }
            if count == 0 {
                break;
            }
        }
        // The queue is empty and `own` is not answered: another leader's batch holds it.
        drop(handover);
        let mut state = own.state.lock();
        loop {
            if let Some(r) = state.result.take() {
                return r;
            }
            own.ready.wait(&mut state);
        }
    }
}

/// Passes the lead to the first queued caller not yet handed it, or leaves one leader
/// fewer (removing the queue with the last), when a leader is done, also when its batch
/// panicked.
struct Handover<'a, T, V> {
    stripe: &'a Stripe<T, V>,
    key: &'a str,
}

impl<T, V> Drop for Handover<'_, T, V> {
    fn drop(&mut self) {
        let mut queues = self.stripe.lock();
        let Some(queue) = queues.get_mut(self.key) else {
            return;
        };
        // Stripe before slot, as everywhere.
        let next = queue.waiting.iter().find(|s| {
            let mut state = s.state.lock();
            let free = !state.lead && state.item.is_some();
            if free {
                state.lead = true;
            }
            free
        });
        match next {
            Some(next) => {
                next.ready.notify_one();
            }
            None => {
                queue.leading = queue.leading.saturating_sub(1);
                if queue.leading == 0 && queue.waiting.is_empty() {
                    // Nobody leads: nobody is queued either (a queued caller without the
                    // lead would have been handed it above).
                    queues.remove(self.key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_caller_gets_its_own_result_and_batches_form_under_contention() {
        let combiner = Arc::new(Combiner::<u32, u32>::new(8, 1, Duration::from_secs(10)));
        let runs = Arc::new(AtomicUsize::new(0));
        let biggest = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16u32)
            .map(|t| {
                let (combiner, runs, biggest) = (combiner.clone(), runs.clone(), biggest.clone());
                std::thread::spawn(move || {
                    (0..50u32)
                        .map(|i| {
                            let item = t * 1000 + i;
                            let got = combiner.submit("org", item, |items| {
                                runs.fetch_add(1, Ordering::SeqCst);
                                biggest.fetch_max(items.len(), Ordering::SeqCst);
                                assert!(items.len() <= 8);
                                std::thread::sleep(Duration::from_micros(200));
                                items.into_iter().map(|i| Ok(i * 2)).collect()
                            });
                            assert_eq!(got, Ok(item * 2));
                        })
                        .count()
                })
            })
            .collect();
        let done: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(done, 800);
        let runs = runs.load(Ordering::SeqCst);
        assert!(runs < 800, "no batch had more than one item ({runs} runs)");
        assert_eq!(combiner.runs(), (runs as u64, 800));
        assert!(biggest.load(Ordering::SeqCst) > 1);
    }

    #[test]
    fn two_leaders_run_batches_side_by_side_and_never_more() {
        let combiner = Arc::new(Combiner::<u32, u32>::new(4, 2, Duration::from_secs(10)));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        std::thread::scope(|s| {
            for t in 0..12u32 {
                let (combiner, running, most, started, seen) = (
                    combiner.clone(),
                    running.clone(),
                    most.clone(),
                    started.clone(),
                    seen.clone(),
                );
                s.spawn(move || {
                    for i in 0..30u32 {
                        let item = t * 1000 + i;
                        let got = combiner.submit("org", item, |items| {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            seen.lock().extend(items.iter().copied());
                            // The first batches wait (a while at most) for a second one to
                            // start: the callers queued meanwhile must be able to lead one.
                            let until = Instant::now() + Duration::from_secs(2);
                            let early = started.fetch_add(1, Ordering::SeqCst) < 100;
                            while early
                                && running.load(Ordering::SeqCst) < 2
                                && Instant::now() < until
                            {
                                std::thread::sleep(Duration::from_micros(50));
                            }
                            std::thread::sleep(Duration::from_micros(300));
                            running.fetch_sub(1, Ordering::SeqCst);
                            items.into_iter().map(|i| Ok(i + 1)).collect()
                        });
                        assert_eq!(got, Ok(item + 1));
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2, "batches of one key at once");
        // Every item ran exactly once.
        let mut seen = seen.lock().clone();
        seen.sort_unstable();
        let mut want: Vec<u32> = (0..12u32)
            .flat_map(|t| (0..30u32).map(move |i| t * 1000 + i))
            .collect();
        want.sort_unstable();
        assert_eq!(seen, want);
        assert!(combiner.stripes.iter().all(|s| s.lock().is_empty()));
    }

    #[test]
    fn each_key_has_its_own_leader_and_batches_never_mix_keys() {
        let combiner = Arc::new(Combiner::<(u32, u32), u32>::new(
            8,
            2,
            Duration::from_secs(10),
        ));
        std::thread::scope(|s| {
            for t in 0..8u32 {
                let combiner = combiner.clone();
                s.spawn(move || {
                    for i in 0..40u32 {
                        let key = format!("org-{}", t % 4);
                        let got = combiner.submit(&key, (t % 4, i), |items| {
                            let first = items[0].0;
                            assert!(items.iter().all(|(k, _)| *k == first), "mixed keys");
                            items.into_iter().map(|(_, i)| Ok(i)).collect()
                        });
                        assert_eq!(got, Ok(i));
                    }
                });
            }
        });
        // Every queue is gone once its callers are.
        assert!(combiner.stripes.iter().all(|s| s.lock().is_empty()));
    }

    #[test]
    fn a_missing_or_panicking_batch_answers_unavailable_and_the_queue_goes_on() {
        let combiner = Combiner::<u32, u32>::new(4, 2, Duration::from_secs(1));
        let short = combiner.submit("org", 1, |_| Vec::new());
        assert!(
            matches!(short, Err(StoreError::Unavailable(_))),
            "{short:?}"
        );
        let panicked = combiner.submit("org", 2, |_| panic!("batch failed"));
        assert!(matches!(panicked, Err(StoreError::Unavailable(_))));
        assert_eq!(combiner.submit("org", 3, |i| vec![Ok(i[0])]), Ok(3));
    }

    #[test]
    fn an_item_not_taken_in_time_is_withdrawn_and_never_runs() {
        let combiner = Arc::new(Combiner::<u32, u32>::new(1, 1, Duration::from_millis(100)));
        let ran = Arc::new(Mutex::new(Vec::new()));
        let (c, r) = (combiner.clone(), ran.clone());
        // The leader's batch (one item) takes longer than the follower may wait.
        let leader = std::thread::spawn(move || {
            c.submit("org", 1, |items| {
                r.lock().extend(items.iter().copied());
                std::thread::sleep(Duration::from_millis(400));
                items.into_iter().map(Ok).collect()
            })
        });
        std::thread::sleep(Duration::from_millis(50));
        let follower = combiner.submit("org", 2, |items| {
            ran.lock().extend(items.iter().copied());
            items.into_iter().map(Ok).collect()
        });
        assert!(matches!(follower, Err(StoreError::Busy(_))), "{follower:?}");
        assert_eq!(leader.join().unwrap(), Ok(1));
        assert_eq!(*ran.lock(), vec![1]);
        // The queue is free again.
        assert_eq!(combiner.submit("org", 3, |i| vec![Ok(i[0])]), Ok(3));
    }
}
