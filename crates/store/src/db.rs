//! Connections: one enum over both backends, a pool, and the embedded migrations.

use std::path::Path;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, PooledConnection, R2D2Connection};
use diesel::result::Error as DieselError;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use servicedesk_core::ports::StoreError;

use crate::error::TxError;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// A connection to either backend. Queries written once against the portable schema run on
/// both; code that must differ matches on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL (production).
    Postgresql(PgConnection),
    /// Embedded SQLite (default).
    Sqlite(SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://…` or `postgresql://…`.
    Postgres,
    /// `sqlite://path`, `sqlite:path`, `file:path` or a plain path.
    Sqlite,
}

impl Backend {
    /// The backend a database URL names, and the string to hand its driver.
    pub fn of(url: &str) -> (Self, String) {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return (Self::Postgres, url.to_owned());
        }
        let path = ["sqlite://", "sqlite:", "file:"]
            .iter()
            .find_map(|p| url.strip_prefix(p))
            .unwrap_or(url);
        (Self::Sqlite, path.to_owned())
    }
}

/// Opens connections for the pool with the settings each backend needs.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    target: String,
}

/// Why a connection could not be opened (with the driver's own message, not a generic one).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The driver refused.
    #[error("{0}")]
    Connection(#[from] ConnectionError),
    /// A session setting failed.
    #[error("{0}")]
    Setup(#[from] diesel::result::Error),
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.target)?;
                // Timestamps are stored as UTC in TIMESTAMP columns; pin the session zone so
                // nothing on the server side shifts them.
                conn.batch_execute("SET TIME ZONE 'UTC'")?;
                Ok(DbConn::Postgresql(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)?;
                // WAL lets readers run beside the writer; busy_timeout makes writers queue
                // instead of failing; foreign keys are off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;",
                )?;
                // The planner needs table statistics to choose between the queue indexes
                // (without them a new index can look selective and a page sorts a whole
                // organization). SQLite's advice for long-lived connections, run on open:
                // it analyzes only tables whose statistics are missing or stale (grown
                // 25-fold), so it is a no-op almost always; full statistics, because
                // sampled ones were measured to mislead the queue's plans.
                conn.batch_execute("PRAGMA optimize = 0x10002;")?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(ConnectError::Setup)
    }

    /// Called when a connection goes back to the pool. The pool does not test connections
    /// on checkout (see [`Database::connect`]); a connection is replaced instead when
    /// diesel marks it broken: left inside a transaction, or (PostgreSQL) a query found
    /// the server gone (libpq's transaction status turns unknown, which diesel records as
    /// a broken transaction manager).
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// How many times a write transaction is tried while SQLite answers "database is locked".
const BUSY_ATTEMPTS: u32 = 5;

/// Runs `f` in one write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken (queuing behind `busy_timeout`) before the first read, so a transaction that
/// reads and then writes cannot fail on a stale snapshot (`SQLITE_BUSY_SNAPSHOT`, which
/// SQLite answers at once, without waiting). A busy answer that still gets through is
/// retried up to [`BUSY_ATTEMPTS`] times with a short growing pause. On PostgreSQL it is
/// a plain transaction (row locks and the version checks order writers there).
///
/// `f` may run more than once, so it must not consume what it captured.
pub(crate) fn write_tx<T, F>(conn: &mut DbConn, mut f: F) -> Result<T, TxError>
where
    F: FnMut(&mut DbConn) -> Result<T, TxError>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match conn {
            DbConn::Postgresql(_) => conn.transaction::<_, TxError, _>(&mut f),
            DbConn::Sqlite(_) => immediate(conn, &mut f),
        };
        match result {
            Err(TxError::Diesel(e)) if is_busy(&e) && attempt < BUSY_ATTEMPTS => {
                std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
            }
            other => return other,
        }
    }
}

/// `BEGIN IMMEDIATE … COMMIT` on a SQLite connection behind the enum. The transaction
/// state lives in the inner connection, so beginning on the inner one and committing or
/// rolling back through the enum's manager (which delegates to it) is one transaction.
fn immediate<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, TxError>,
) -> Result<T, TxError> {
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(user_error) => {
            match <DbConn as Connection>::TransactionManager::rollback_transaction(conn) {
                Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(user_error),
                Err(rollback_error) => Err(rollback_error.into()),
            }
        }
    }
}

/// SQLite's "database is locked" (`SQLITE_BUSY`, including a busy snapshot) or "database
/// table is locked" (`SQLITE_LOCKED`).
pub(crate) fn is_busy(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked") || m.contains("database table is locked")
        }
        _ => false,
    }
}

/// A pooled connection.
pub type Conn = PooledConnection<Manager>;

/// A connection pool to one database, with its backend.
#[derive(Clone, Debug)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    waits: std::sync::Arc<Waits>,
}

/// Checkouts that found no idle connection, counted by [`Database::conn`] (for `/metrics`).
#[derive(Debug, Default)]
struct Waits {
    count: std::sync::atomic::AtomicU64,
    nanos: std::sync::atomic::AtomicU64,
    timeouts: std::sync::atomic::AtomicU64,
}

/// The pool as `/metrics` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open (idle or in use).
    pub connections: u32,
    /// Connections open and idle.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
    /// Checkouts since start that found no idle connection and had to wait.
    pub waits: u64,
    /// Time those checkouts spent waiting, in total.
    pub wait_time: Duration,
    /// Checkouts that gave up waiting (answered `Busy`, a 503).
    pub timeouts: u64,
}

impl Database {
    /// Connects to `url` (see [`Backend::of`]) with a pool of up to `max_connections`.
    /// A SQLite file is created, with its folder, when missing.
    ///
    /// # Errors
    /// `Unavailable` with the driver's message when the database cannot be reached.
    pub fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let (backend, target) = Backend::of(url);
        if backend == Backend::Sqlite
            && let Some(dir) = Path::new(&target)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let manager = Manager { backend, target };
        // Open one connection first so a bad URL fails with the driver's own message.
        manager
            .connect()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        // No `SELECT 1` round trip before every checkout (r2d2's default): it doubles the
        // statements of the many one-query reads. A connection that died is replaced when
        // a query on it fails instead (`has_broken`): that one call answers `Unavailable`
        // (503, retry), and the next checkout gets a fresh connection.
        let pool = r2d2::Pool::builder()
            .max_size(max_connections.max(1))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self {
            pool,
            backend,
            waits: std::sync::Arc::default(),
        })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool.
    ///
    /// # Errors
    /// `Unavailable` when none can be had in time.
    pub fn conn(&self) -> Result<Conn, StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        // An idle connection: no wait (one lock, nothing timed). Otherwise count and time
        // the wait for `/metrics`.
        if let Some(conn) = self.pool.try_get() {
            return Ok(conn);
        }
        let started = std::time::Instant::now();
        let got = self.pool.get();
        let waited = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waits.count.fetch_add(1, Relaxed);
        self.waits.nanos.fetch_add(waited, Relaxed);
        if got.is_err() {
            self.waits.timeouts.fetch_add(1, Relaxed);
        }
        // No connection within the pool's timeout: every connection is busy or the server
        // is unreachable for now; either way a retry may succeed (503, not 500).
        got.map_err(|e| StoreError::Busy(e.to_string()))
    }

    /// An idle connection if there is one now, without waiting (for `/metrics`, which must
    /// answer while the pool is exhausted).
    pub fn try_conn(&self) -> Option<Conn> {
        self.pool.try_get()
    }

    /// Connections open, idle and at most, and the waits for one since start.
    pub fn pool_stats(&self) -> PoolStats {
        use std::sync::atomic::Ordering::Relaxed;
        let state = self.pool.state();
        PoolStats {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
            waits: self.waits.count.load(Relaxed),
            wait_time: Duration::from_nanos(self.waits.nanos.load(Relaxed)),
            timeouts: self.waits.timeouts.load(Relaxed),
        }
    }

    /// Applies the pending migrations that sort before `version` (e.g. `2026-12-02-000040`),
    /// one at a time, and stops there: an upgrade test fills the schema as it was and then
    /// lets [`Database::migrate`] run the rest. Returns the names applied.
    ///
    /// # Errors
    /// `Unavailable` when a migration fails.
    pub fn migrate_before(&self, version: &str) -> Result<Vec<String>, StoreError> {
        fn run<C: MigrationHarness<B>, B: diesel::backend::Backend>(
            c: &mut C,
            source: EmbeddedMigrations,
            stop: &str,
        ) -> Result<Vec<String>, StoreError> {
            let fail = |e: Box<dyn std::error::Error + Send + Sync>| {
                StoreError::Unavailable(format!("migration failed: {e}"))
            };
            let mut applied = Vec::new();
            for m in c.pending_migrations(source).map_err(fail)? {
                let name = m.name().to_string();
                if version_digits(&name) >= version_digits(stop) {
                    break;
                }
                c.run_migration(&*m).map_err(fail)?;
                applied.push(name);
            }
            Ok(applied)
        }
        let stop = version.to_owned();
        let mut conn = self.conn()?;
        match &mut *conn {
            DbConn::Postgresql(c) => run(c, PG_MIGRATIONS, &stop),
            DbConn::Sqlite(c) => run(c, SQLITE_MIGRATIONS, &stop),
        }
    }

    /// Applies the migrations not yet applied; returns their versions.
    ///
    /// # Errors
    /// `Unavailable` when a migration fails.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConn::Postgresql(c) => c.run_pending_migrations(PG_MIGRATIONS),
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        }
        .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }
}

/// A migration's version as its 14 digits (`2026-12-02-000040_x` and `20261202000040`
/// compare alike).
fn version_digits(name: &str) -> String {
    name.chars().filter(char::is_ascii_digit).take(14).collect()
}
