//! The one bound on password hashing (issue 9 point 5): every argon2 hash and verification
//! of the process runs on a fixed set of worker threads, one per core, so at most `workers`
//! hashes hold their memory (argon2's `m_cost`) at once and no other thread ever allocates
//! it. Up to `queue` callers wait, each at most `max_wait` for its hash to start; past that,
//! or with the queue full, the caller hears [`HashFailure::Busy`] (503 with `Retry-After`).
//! The workers share their working memory ([`HashMemory`]) while hashes keep coming: a
//! hash takes a free array or makes one, so a burst holds one array per hash running at
//! once, never one per thread. About a second after the last hash of a burst the arrays
//! are freed, so a burst of sign-ins gives its memory back instead of the process keeping it
//! for good (freeing after every hash instead makes each hash of a sequence allocate anew
//! while the allocator has yet to return the one before: measured worse).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use servicedesk_core::ports::{CryptoError, HashFailure, PasswordHasher};

use crate::Argon2Hasher;
use crate::password::HashMemory;

/// How long the working memory is kept after the last hash of a burst.
pub const KEEP_MEMORY_FOR: Duration = Duration::from_secs(1);

/// How long a caller waits for its hash to start by default.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(2);

enum Work {
    Hash(String),
    Verify(String, String),
}

enum Done {
    Hashed(Result<String, CryptoError>),
    Verified(bool),
    /// Not started before its deadline.
    Late,
}

struct Job {
    work: Work,
    start_by: Instant,
    reply: mpsc::Sender<Done>,
}

/// A bounded argon2id hasher ([`PasswordHasher`]): `workers` threads, `queue` waiting
/// callers, `max_wait` each.
pub struct HashPool {
    jobs: SyncSender<Job>,
    workers: usize,
    m_cost_kib: u32,
    max_wait: Duration,
    /// Working memory no hash is using now (only while other hashes wait or run).
    spare: Arc<Mutex<Vec<HashMemory>>>,
    /// Hashes queued or running.
    pending: Arc<AtomicUsize>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("workers", &self.workers)
            .field("m_cost_kib", &self.m_cost_kib)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

impl HashPool {
    /// `workers` threads (at least 1) hashing with `hasher`, up to `queue` callers waiting
    /// at most `max_wait` each.
    ///
    /// # Errors
    /// When a worker thread cannot be started.
    pub fn new(
        hasher: Argon2Hasher,
        workers: usize,
        queue: usize,
        max_wait: Duration,
    ) -> Result<Self, CryptoError> {
        Self::keeping_memory(hasher, workers, queue, max_wait, KEEP_MEMORY_FOR)
    }

    /// [`HashPool::new`] freeing the working memory `keep` after the last hash of a burst.
    ///
    /// # Errors
    /// When a worker thread cannot be started.
    pub fn keeping_memory(
        hasher: Argon2Hasher,
        workers: usize,
        queue: usize,
        max_wait: Duration,
        keep: Duration,
    ) -> Result<Self, CryptoError> {
        let workers = workers.max(1);
        let m_cost_kib = hasher.m_cost_kib();
        let (jobs, rx) = mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let spare = Arc::new(Mutex::new(Vec::new()));
        let pending = Arc::new(AtomicUsize::new(0));
        for i in 0..workers {
            let (rx, hasher) = (rx.clone(), hasher.clone());
            let (spare, pending) = (spare.clone(), pending.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&rx, &hasher, &spare, &pending, keep))
                .map_err(|e| CryptoError(format!("cannot start a hashing thread: {e}")))?;
        }
        Ok(Self {
            jobs,
            workers,
            m_cost_kib,
            max_wait,
            spare,
            pending,
        })
    }

    /// One worker per core, four waiting callers per worker, two seconds' wait.
    ///
    /// # Errors
    /// When a worker thread cannot be started.
    pub fn for_this_machine(hasher: Argon2Hasher) -> Result<Self, CryptoError> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self::new(hasher, cores, 4 * cores, DEFAULT_MAX_WAIT)
    }

    /// Hashes running at most at once.
    #[must_use]
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Memory one hash holds, KiB.
    #[must_use]
    pub fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Bytes of working memory kept for hashes still to come (none once all are done).
    #[must_use]
    pub fn kept_bytes(&self) -> usize {
        lock(&self.spare).iter().map(HashMemory::bytes).sum()
    }

    fn busy(&self) -> HashFailure {
        HashFailure::Busy {
            retry_after_secs: self.max_wait.as_secs().max(1),
        }
    }

    fn run(&self, work: Work) -> Result<Done, HashFailure> {
        let (reply, answer) = mpsc::channel();
        let job = Job {
            work,
            start_by: Instant::now() + self.max_wait,
            reply,
        };
        self.pending.fetch_add(1, Ordering::SeqCst);
        let sent = self.jobs.try_send(job);
        if sent.is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
        match sent {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(self.busy()),
            Err(TrySendError::Disconnected(_)) => {
                return Err(CryptoError("the hashing threads are gone".into()).into());
            }
        }
        match answer.recv() {
            Ok(Done::Late) => Err(self.busy()),
            Ok(done) => Ok(done),
            Err(_) => Err(CryptoError("a hashing thread failed".into()).into()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn work(
    rx: &Mutex<Receiver<Job>>,
    hasher: &Argon2Hasher,
    spare: &Mutex<Vec<HashMemory>>,
    pending: &AtomicUsize,
    keep: Duration,
) {
    loop {
        let job = {
            let rx = lock(rx);
            match rx.recv_timeout(keep) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    if pending.load(Ordering::SeqCst) == 0 {
                        lock(spare).clear();
                    }
                    continue;
                }
                // The pool was dropped.
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        // Counted down however the job ends (a hash that panicked included), so an idle
        // pool is always seen as idle.
        let _done = Pending(pending);
        let done = if Instant::now() > job.start_by {
            Done::Late
        } else {
            let mut memory = lock(spare).pop().unwrap_or_default();
            let done = match &job.work {
                Work::Hash(pw) => Done::Hashed(hasher.hash_in(pw, &mut memory)),
                Work::Verify(pw, hash) => Done::Verified(hasher.verify_in(pw, hash, &mut memory)),
            };
            lock(spare).push(memory);
            done
        };

        // The caller may have gone; nothing to do then.
        let _ = job.reply.send(done);
    }
}

/// One job's share of the pending count, given back when dropped.
struct Pending<'a>(&'a AtomicUsize);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordHasher for HashPool {
    fn hash(&self, password: &str) -> Result<String, CryptoError> {
        self.try_hash(password).map_err(|e| match e {
            HashFailure::Crypto(e) => e,
            busy @ HashFailure::Busy { .. } => CryptoError(busy.to_string()),
        })
    }

    fn verify(&self, password: &str, hash: &str) -> bool {
        self.try_verify(password, hash).unwrap_or(false)
    }

    fn try_hash(&self, password: &str) -> Result<String, HashFailure> {
        match self.run(Work::Hash(password.to_owned()))? {
            Done::Hashed(r) => Ok(r?),
            _ => Err(CryptoError("unexpected hashing answer".into()).into()),
        }
    }

    fn try_verify(&self, password: &str, hash: &str) -> Result<bool, HashFailure> {
        match self.run(Work::Verify(password.to_owned(), hash.to_owned()))? {
            Done::Verified(ok) => Ok(ok),
            _ => Err(CryptoError("unexpected hashing answer".into()).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifies_through_the_workers() {
        let pool = HashPool::new(Argon2Hasher::fast_for_tests(), 2, 4, DEFAULT_MAX_WAIT).unwrap();
        let hash = pool.try_hash("pw").unwrap();
        assert!(pool.try_verify("pw", &hash).unwrap());
        assert!(!pool.try_verify("nope", &hash).unwrap());
        assert!(pool.verify("pw", &hash));
    }

    #[test]
    fn a_burst_shares_its_working_memory_and_gives_it_back_after_it_ends() {
        let hasher = Argon2Hasher::new(1024, 1, 1).unwrap();
        let keep = Duration::from_millis(300);
        let pool = Arc::new(
            HashPool::keeping_memory(hasher, 2, 16, Duration::from_secs(30), keep).unwrap(),
        );
        assert_eq!(pool.kept_bytes(), 0);
        // One after another: one array, handed from hash to hash.
        for _ in 0..3 {
            let hash = pool.try_hash("pw").unwrap();
            assert!(pool.try_verify("pw", &hash).unwrap());
            assert_eq!(pool.kept_bytes(), 1024 * 1024);
        }
        // Eight at once on two workers: at most one array per worker.
        let most = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                let (pool, most) = (pool.clone(), most.clone());
                s.spawn(move || {
                    let hash = pool.try_hash("pw").unwrap();
                    most.fetch_max(pool.kept_bytes(), Ordering::SeqCst);
                    assert!(pool.try_verify("pw", &hash).unwrap());
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 2 * 1024 * 1024);
        // Once the burst is over, all of it is freed.
        let deadline = Instant::now() + 20 * keep;
        while pool.kept_bytes() > 0 && Instant::now() < deadline {
            std::thread::sleep(keep / 4);
        }
        assert_eq!(pool.kept_bytes(), 0);
    }

    #[test]
    fn a_stored_hash_costlier_than_the_configured_one_leaves_nothing_behind() {
        let costly = Argon2Hasher::new(4096, 1, 1).unwrap().hash("pw").unwrap();
        let pool = HashPool::new(
            Argon2Hasher::new(1024, 1, 1).unwrap(),
            1,
            4,
            DEFAULT_MAX_WAIT,
        )
        .unwrap();
        assert!(pool.try_verify("pw", &costly).unwrap());
        assert!(!pool.try_verify("nope", &costly).unwrap());
        assert!(pool.kept_bytes() <= 1024 * 1024, "{}", pool.kept_bytes());
    }

    #[test]
    fn a_full_bound_answers_busy_instead_of_queueing_forever() {
        // One slow worker, one waiting place, a short wait.
        let slow = Argon2Hasher::new(64 * 1024, 8, 1).unwrap();
        let pool = Arc::new(HashPool::new(slow, 1, 1, Duration::from_millis(50)).unwrap());
        let results: Vec<Result<String, HashFailure>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    let pool = pool.clone();
                    s.spawn(move || pool.try_hash("pw"))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let busy = results
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Err(HashFailure::Busy {
                        retry_after_secs: 1
                    })
                )
            })
            .count();
        let done = results.iter().filter(|r| r.is_ok()).count();
        assert!(done >= 1, "{results:?}");
        assert!(
            busy >= 4,
            "at most one running and one waiting: {results:?}"
        );
        assert_eq!(busy + done, 6);
    }
}
