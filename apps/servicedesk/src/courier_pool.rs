//! The courier's threads (issue 9 point 15): a coordinator claims deliveries while there
//! is room and hands each to one of `workers` sender threads, never more than
//! `per_target` at once to one target (one webhook endpoint, or the SMTP server). A target
//! that is slow or never answers holds at most `per_target` threads, each for at most its
//! sender's timeout; every other target keeps its pace. Claims leave out busy targets, so
//! a slow target's backlog stays in the queue instead of filling the claim.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use servicedesk_core::notify::Courier;
use servicedesk_core::ports::Delivery;

/// How many deliveries are sent at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CourierLimits {
    /// Sender threads (`SERVICEDESK_COURIER_WORKERS`, default 8).
    pub workers: usize,
    /// Sends in flight to one target (`SERVICEDESK_COURIER_PER_TARGET`, default 2).
    pub per_target: usize,
}

impl Default for CourierLimits {
    fn default() -> Self {
        Self {
            workers: 8,
            per_target: 2,
        }
    }
}

/// Sends in flight: in total and per target key.
#[derive(Default)]
struct InFlight {
    total: usize,
    by_target: HashMap<String, usize>,
}

struct Shared {
    in_flight: Mutex<InFlight>,
    /// Signalled when a send ends (room for more).
    done: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, InFlight> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn finish(&self, key: &str) {
        let mut f = self.lock();
        f.total = f.total.saturating_sub(1);
        if let Some(n) = f.by_target.get_mut(key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                f.by_target.remove(key);
            }
        }
        drop(f);
        self.done.notify_all();
    }
}

/// Starts the coordinator and the sender threads; they stop when `stop` is set (a send
/// under way finishes first).
pub fn spawn(
    courier: Courier,
    limits: CourierLimits,
    stop: Arc<AtomicBool>,
) -> Vec<JoinHandle<()>> {
    let workers = limits.workers.max(1);
    let per_target = limits.per_target.max(1);
    let shared = Arc::new(Shared {
        in_flight: Mutex::new(InFlight::default()),
        done: Condvar::new(),
    });
    let (tx, rx) = mpsc::channel::<(Delivery, String)>();
    let rx = Arc::new(Mutex::new(rx));
    let mut threads = Vec::with_capacity(workers + 1);
    for n in 0..workers {
        let (rx, shared, courier) = (rx.clone(), shared.clone(), courier.clone());
        let stop = stop.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("courier-{n}"))
            .spawn(move || {
                // While the database is away, a send in flight waits for it (a second at a
                // time, until shutdown) and is settled when it is back.
                let again = || pause(Duration::from_secs(1), &stop);
                loop {
                    let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((delivery, key)) = job else { break };
                    if let Err(e) = courier.deliver_riding_out(&delivery, &again) {
                        tracing::error!(error = %e, delivery = %delivery.id, "courier send failed");
                    }
                    shared.finish(&key);
                }
            });
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => tracing::error!(error = %e, "cannot start a courier thread"),
        }
    }
    let spawned = std::thread::Builder::new()
        .name("courier".into())
        .spawn(move || coordinate(&courier, workers, per_target, &shared, &tx, &stop));
    match spawned {
        Ok(t) => threads.push(t),
        Err(e) => tracing::error!(error = %e, "cannot start the courier"),
    }
    threads
}

/// Claims while there is room and hands deliveries out; waits up to a second (or until a
/// send ends) when idle or full. Dropping `tx` on return ends the sender threads.
fn coordinate(
    courier: &Courier,
    workers: usize,
    per_target: usize,
    shared: &Shared,
    tx: &mpsc::Sender<(Delivery, String)>,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::SeqCst) {
        let (free, busy) = {
            let f = shared.lock();
            let busy: Vec<String> = f
                .by_target
                .iter()
                .filter(|(_, n)| **n >= per_target)
                .map(|(k, _)| k.clone())
                .collect();
            (workers.saturating_sub(f.total), busy)
        };
        let mut handed = 0;
        if free > 0 {
            let limit = u32::try_from(free).unwrap_or(u32::MAX);
            match courier.claim(limit, &busy) {
                Ok(claimed) => {
                    for delivery in claimed {
                        let key = delivery.target_key();
                        let room = {
                            let mut f = shared.lock();
                            let n = f.by_target.get(&key).copied().unwrap_or(0);
                            if n < per_target && f.total < workers {
                                f.total += 1;
                                *f.by_target.entry(key.clone()).or_insert(0) += 1;
                                true
                            } else {
                                false
                            }
                        };
                        if !room {
                            // One claim brought more for this target than it may take:
                            // back to the queue, unsent and uncounted.
                            // While the database is away the release waits for it, as
                            // a send's settlement does.
                            let again = || pause(Duration::from_secs(1), stop);
                            if let Err(e) = courier.release_riding_out(&delivery, &again) {
                                tracing::error!(error = %e, "courier release failed");
                            }
                            continue;
                        }
                        if tx.send((delivery, key.clone())).is_err() {
                            shared.finish(&key);
                            return;
                        }
                        handed += 1;
                    }
                }
                Err(e) => tracing::error!(error = %e, "courier claim failed"),
            }
        }
        if handed == 0 {
            // Idle or full: wait for a send to end, at most a second (new work is polled).
            let f = shared.lock();
            let _ = shared
                .done
                .wait_timeout(f, Duration::from_secs(1))
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Sleeps `total` in short steps; false (at once) when `stop` is set.
fn pause(total: Duration, stop: &AtomicBool) -> bool {
    let until = std::time::Instant::now() + total;
    while std::time::Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    !stop.load(Ordering::SeqCst)
}
