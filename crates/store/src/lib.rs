//! The store adapter: every port of `servicedesk-core` implemented on embedded SQLite and
//! on PostgreSQL from one codebase (diesel's `MultiConnection`), with backend-specific SQL
//! only where the dialects really differ (see `docs/architecture.md`).
//!
//! Guarantees, checked by the conformance suite on both backends:
//! - one transaction per write: the aggregate row, its history, the audit record and the
//!   outbox messages commit together or not at all;
//! - optimistic concurrency through `version`;
//! - per-organization numbers without gaps or duplicates under concurrent creation;
//! - tenancy: a row of another organization is never read or written (`NotFound`);
//! - an append-only audit log hash-chained per organization;
//! - keyset pagination that stays stable while rows are inserted;
//! - idempotency keys: a repeated create returns the first result and writes nothing.
//!
//! ```no_run
//! let store = servicedesk_store::Store::open("sqlite://servicedesk-data/servicedesk.db", 8)?;
//! # Ok::<(), servicedesk_core::ports::StoreError>(())
//! ```

mod accounts;
mod admin;
mod attempts;
mod audit;
mod cache;
mod catalog;
mod combine;
mod counters;
mod create_batch;
mod cursor;
mod db;
mod delegations;
mod directory;
mod error;
mod feed;
mod gate;
mod incidents;
mod listen;
mod maintenance;
mod notifications;
mod outbox;
mod queues;
mod reports;
mod requests;
mod rows;
mod schema;
mod secrets;
mod sessions;
mod sla_admin;
mod sla_catalog;
mod tickets;
mod time;
mod writes;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use cache::{CACHE_CHANNEL, CacheCounts};
pub use db::{Backend, Conn, ConnectError, Database, DbConn, Manager, PoolOptions, PoolStats};
pub use feed::{FEED_CHANNEL, MAX_NOTIFY_PAYLOAD, PgFeed, notify_payload, spawn_feed_listener};
pub use queues::{QUEUE_COUNT_CAP, QueueDepths};
pub use secrets::Resealed;
use servicedesk_core::entities::Incident;
use servicedesk_core::ports::{Created, StoreError};

/// The store: a pool to one database and the port implementations over it.
#[derive(Clone, Debug)]
pub struct Store {
    db: Database,
    fault_after_audit: Arc<AtomicBool>,
    caches: Arc<cache::Caches>,
    /// PostgreSQL: this process's incident creates without an idempotency key, queued in
    /// one queue whatever their organization and written in batches (`create_batch`).
    creates: Option<Arc<combine::Combiner<create_batch::PendingCreate, Created<Incident>>>>,
}

impl Store {
    /// Connects to `url` (`postgres://…`, or a SQLite path / `sqlite://path`) with a pool of
    /// up to `max_connections`, and applies pending migrations.
    ///
    /// # Errors
    /// `Unavailable` with the driver's message when the database cannot be reached or a
    /// migration fails.
    pub fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::open_with(url, PoolOptions::sized(max_connections))
    }

    /// [`Store::open`] with the pool's size and checkout timeout in `pool`.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_with(url: &str, pool: PoolOptions) -> Result<Self, StoreError> {
        let store = Self::connect_with(url, pool)?;
        store.db.migrate()?;
        Ok(store)
    }

    /// Connects without migrating (for `servicedesk migrate` and tools).
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be reached.
    pub fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with(url, PoolOptions::sized(max_connections))
    }

    /// [`Store::connect`] with the pool `options`.
    ///
    /// # Errors
    /// As [`Store::connect`].
    pub fn connect_with(url: &str, pool: PoolOptions) -> Result<Self, StoreError> {
        let db = Database::connect_with(url, pool)?;
        let creates = (db.backend() == Backend::Postgres).then(|| {
            Arc::new(combine::Combiner::new(
                create_batch::MAX_BATCH,
                create_batch::LEADERS,
                pool.checkout_timeout,
            ))
        });
        Ok(Self {
            db,
            fault_after_audit: Arc::default(),
            caches: Arc::default(),
            creates,
        })
    }

    /// Incident creates written in batches so far (PostgreSQL): the batches, and the
    /// creates they held. `None` on SQLite, which writes each create alone.
    pub fn create_batches(&self) -> Option<(u64, u64)> {
        self.creates.as_ref().map(|c| c.runs())
    }

    /// Reads answered from this process's caches and reads that went to the database,
    /// since start (on SQLite nothing is cached: every read counts as a miss).
    pub fn cache_counts(&self) -> CacheCounts {
        self.caches.counts()
    }

    /// The underlying pool.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Starts caching the reads nearly every request repeats (the authentication reads, the
    /// SLA catalog and incidents read by id), kept correct across server processes by a listener on `url`'s
    /// [`CACHE_CHANNEL`] that flushes what a committed change makes stale (see
    /// `docs/performance.md`). PostgreSQL only: on SQLite this does nothing and returns
    /// `None`, and nothing is cached. The caches answer only while the listener is
    /// connected; the thread ends soon after `stop` is set.
    ///
    /// # Errors
    /// When the thread cannot be spawned.
    pub fn listen_for_changes(
        &self,
        url: &str,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<Option<std::thread::JoinHandle<()>>> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let caches = self.caches.clone();
        let listener = listen::Listener {
            name: "cache-listener",
            channel: CACHE_CHANNEL,
            // Short: a connection that died silently stops the caches within seconds.
            probe_every: std::time::Duration::from_secs(2),
            // Short: another server's change to a ticket reaches this one's cached reads
            // within about this much after its commit.
            poll_every: std::time::Duration::from_millis(10),
        };
        listener
            .spawn(url, stop, move |heard| match heard {
                listen::Heard::Listening => caches.go_live(),
                listen::Heard::Lost => caches.go_dark(),
                listen::Heard::Notification { payload, .. } => caches.table_changed(payload),
            })
            .map(Some)
    }

    /// Test hook: when on, every write fails right after its audit record is inserted, so a
    /// test can prove the whole transaction rolls back.
    #[doc(hidden)]
    pub fn inject_fault_after_audit(&self, on: bool) {
        self.fault_after_audit.store(on, Ordering::SeqCst);
    }

    fn fault_after_audit(&self) -> bool {
        self.fault_after_audit.load(Ordering::SeqCst)
    }
}
