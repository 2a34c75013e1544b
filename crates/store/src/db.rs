//! Connections: one enum over both backends, a pool, and the embedded migrations.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

/// How the pool hands out connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// Longest a caller waits for a connection: every connection busy, or the server
    /// unreachable. Past it the call answers [`StoreError::Busy`] (503 with `Retry-After`).
    /// It also bounds how long opening one PostgreSQL connection may take (libpq's
    /// `connect_timeout`, whole seconds, at least 2) and how long the pool waits between
    /// two attempts to reconnect (half of it), so it sets how soon service resumes after
    /// the server comes back.
    pub checkout_timeout: Duration,
}

impl PoolOptions {
    /// The default wait for a connection.
    pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Up to `max_connections`, with the default timeout.
    pub fn sized(max_connections: u32) -> Self {
        Self {
            max_connections,
            checkout_timeout: Self::DEFAULT_CHECKOUT_TIMEOUT,
        }
    }
}

/// The slices a wait for a connection is cut into; a wait ends after the first slice that
/// finds the server unreachable (the last attempt to open a connection failed and the pool
/// holds none that could come back). Long enough for a reconnect already under way to
/// land, short enough that requests during an outage fail at once instead of each waiting
/// the full checkout timeout.
const WAIT_SLICE: Duration = Duration::from_millis(250);

/// What the pool knows about the server's health, shared by the manager (which opens and
/// drops connections) and [`Database::conn`] (which hands them out).
#[derive(Debug, Default)]
struct Health {
    /// The last attempt to open a connection failed, and none has succeeded since.
    unreachable: AtomicBool,
    /// How many connections were found broken so far. A pooled connection last checked
    /// before the latest break is tested once on its next checkout: when the server
    /// restarted, every connection idle beside the broken one is dead too, and each would
    /// otherwise fail one more request.
    breaks: AtomicU64,
}

/// The breaks count when a pooled connection was last known good (r2d2 keeps it with the
/// connection).
#[derive(Debug, Clone, Copy)]
struct CheckedAt(u64);

/// Opens connections for the pool with the settings each backend needs.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    target: String,
    health: Arc<Health>,
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
        let opened = self.open();
        self.health
            .unreachable
            .store(opened.is_err(), Ordering::Relaxed);
        opened
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
    /// a broken transaction manager). A break also has the connections idle beside it
    /// tested once on their next checkout ([`Database::conn`]).
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        let broken = conn.is_broken();
        if broken {
            self.health.breaks.fetch_add(1, Ordering::Relaxed);
        }
        broken
    }
}

impl Manager {
    /// Opens one connection with the session settings.
    fn open(&self) -> Result<DbConn, ConnectError> {
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
}

/// Runs `$body` on the connection's own backend, `$c` naming the `PgConnection` or the
/// `SqliteConnection` (the body is compiled once for each). The multi-backend wrapper
/// renders a query's whole SQL text again on every execution, even for a prepared
/// statement it has cached (its bind pass rebuilds the text), which the native
/// connections skip for queries of a fixed shape: that was a seventh of the server's CPU
/// on a get. The statements every request runs go through this.
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgresql($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use native;

/// `url` with libpq's `connect_timeout` (whole seconds) added, unless it names one: without
/// it, opening a connection to a host that does not answer waits for the kernel's TCP
/// timeout (minutes).
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    let query = url.split_once('?').map(|(_, q)| q);
    if query.is_some_and(|q| q.split('&').any(|p| p.starts_with("connect_timeout="))) {
        return url.to_owned();
    }
    // libpq treats values under 2 as 2; round up so a wait is never cut shorter.
    let secs = timeout.as_millis().div_ceil(1000).max(2);
    let sep = match query {
        None => "?",
        Some("") => "",
        Some(_) => "&",
    };
    format!("{url}{sep}connect_timeout={secs}")
}

/// `url` with `sslmode=disable` added when every host it names is a loopback address and
/// neither the URL nor `PGSSLMODE` chooses a mode. libpq's default, `prefer`, negotiates
/// TLS without checking the certificate, so on loopback it protects nothing while every
/// statement is encrypted twice (a quarter of a get's throughput, measured); a deployment
/// that wants TLS names `sslmode` and gets exactly that.
fn without_tls_on_loopback(url: &str, pgsslmode: Option<&str>) -> String {
    let (rest, query) = match url.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (url, None),
    };
    let chooses = |p: &str| {
        ["sslmode=", "host=", "hostaddr=", "requiressl="]
            .iter()
            .any(|k| p.starts_with(k))
    };
    if pgsslmode.is_some_and(|m| !m.is_empty()) || query.is_some_and(|q| q.split('&').any(chooses))
    {
        return url.to_owned();
    }
    let Some(authority) = rest
        .split_once("://")
        .map(|(_, a)| a.split('/').next().unwrap_or(""))
    else {
        return url.to_owned();
    };
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let loopback = |host: &str| {
        let name = if let Some(v6) = host.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            host.split(':').next().unwrap_or("")
        };
        name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    // An empty host is the Unix socket, where libpq never uses TLS anyway.
    if hosts.is_empty() || !hosts.split(',').all(loopback) {
        return url.to_owned();
    }
    let sep = match query {
        None => "?",
        Some("") => "",
        Some(_) => "&",
    };
    format!("{url}{sep}sslmode=disable")
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
///
/// Every call counts in [`write_transactions_ended`] when it returns, however it ends.
pub(crate) fn write_tx<T, F>(conn: &mut DbConn, mut f: F) -> Result<T, TxError>
where
    F: FnMut(&mut DbConn) -> Result<T, TxError>,
{
    let _ended = WriteEnded;
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

/// Write transactions of this process that have ended, committed or not.
static WRITES_ENDED: AtomicU64 = AtomicU64::new(0);

/// How many of this process's write transactions have ended so far. The ticket cache
/// treats any move of it as a possible change of any ticket: every write of a ticket runs
/// in [`write_tx`] (the batched creates, which run their own transaction, count too), so
/// no write of this process needs to say what it touched for the process's next read to
/// see it. Process-wide rather than per pool, which only ever flushes more than needed.
pub(crate) fn write_transactions_ended() -> u64 {
    WRITES_ENDED.load(Ordering::SeqCst)
}

/// Counts a write transaction as ended when dropped, on every path out of [`write_tx`]
/// (a panic included).
pub(crate) struct WriteEnded;

impl Drop for WriteEnded {
    fn drop(&mut self) {
        WRITES_ENDED.fetch_add(1, Ordering::SeqCst);
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

/// `SELECT 1` on `conn`; false when it fails (a connection the server dropped is then
/// marked broken, and the pool drops it when it comes back).
fn select_one(conn: &mut Conn) -> bool {
    diesel::sql_query("SELECT 1").execute(&mut **conn).is_ok()
}

/// A pooled connection.
pub type Conn = PooledConnection<Manager>;

/// A connection pool to one database, with its backend.
#[derive(Clone, Debug)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    waits: std::sync::Arc<Waits>,
    health: Arc<Health>,
    checkout_timeout: Duration,
    /// PostgreSQL only: creators queue here instead of on their counter row (`gate`).
    gates: Option<Arc<crate::gate::Gates>>,
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
    /// Connects to `url` (see [`Backend::of`]) with a pool of up to `max_connections` and
    /// the default checkout timeout ([`PoolOptions::sized`]).
    ///
    /// # Errors
    /// `Unavailable` with the driver's message when the database cannot be reached.
    pub fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with(url, PoolOptions::sized(max_connections))
    }

    /// Connects to `url` (see [`Backend::of`]) with the pool `options`. A SQLite file is
    /// created, with its folder, when missing.
    ///
    /// # Errors
    /// `Unavailable` with the driver's message when the database cannot be reached.
    pub fn connect_with(url: &str, options: PoolOptions) -> Result<Self, StoreError> {
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
        let checkout_timeout = options.checkout_timeout.max(Duration::from_millis(1));
        let target = match backend {
            Backend::Postgres => with_connect_timeout(
                &without_tls_on_loopback(&target, std::env::var("PGSSLMODE").ok().as_deref()),
                checkout_timeout,
            ),
            Backend::Sqlite => target,
        };
        let health = Arc::new(Health::default());
        let manager = Manager {
            backend,
            target,
            health: health.clone(),
        };
        // Open one connection first so a bad URL fails with the driver's own message.
        manager
            .connect()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        // No `SELECT 1` round trip before every checkout (r2d2's default): it doubles the
        // statements of the many one-query reads. A connection that died is replaced when
        // a query on it fails instead (`has_broken`): that one call answers `Busy` (503,
        // retry), and the next checkout gets a tested or a fresh connection (`conn`).
        // While the server is down r2d2 keeps trying to reconnect, pausing at most half
        // the timeout between attempts.
        let pool = r2d2::Pool::builder()
            .max_size(options.max_connections.max(1))
            .test_on_check_out(false)
            .connection_timeout(checkout_timeout)
            .build(manager)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self {
            pool,
            backend,
            waits: std::sync::Arc::default(),
            health,
            checkout_timeout,
            gates: (backend == Backend::Postgres)
                .then(|| Arc::new(crate::gate::Gates::new(checkout_timeout))),
        })
    }

    /// Waits for this process's turn at counter `kind` of `org` before the counter row is
    /// taken; the pass is held until the transaction ends. SQLite has one writer at a time
    /// already and gets no gate.
    ///
    /// # Errors
    /// `Busy` when the turn does not come within the checkout timeout.
    pub(crate) fn gate(
        &self,
        org: &str,
        kind: &str,
    ) -> Result<Option<crate::gate::Pass<'_>>, StoreError> {
        self.gates
            .as_deref()
            .map(|g| g.enter(org, kind))
            .transpose()
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool, waiting at most the checkout timeout for one, or only
    /// about a quarter of a second while the server is known to be unreachable (the last
    /// attempt to connect failed and the pool holds no connection at all). After a
    /// connection was found broken, each pooled connection is tested (`SELECT 1`) once on
    /// its next checkout, and a dead one is dropped for the next: a server restart costs
    /// one failed request, not one per pooled connection.
    ///
    /// # Errors
    /// `Busy` when none can be had in time: every connection is busy or the server is
    /// unreachable for now; either way a retry may succeed (503, not 500).
    pub fn conn(&self) -> Result<Conn, StoreError> {
        if servicedesk_core::ports::inline::refuse_blocking() {
            return Err(StoreError::Busy(
                "no connection inside a non-blocking attempt".to_owned(),
            ));
        }
        let start = Instant::now();
        let mut conn = self.get(start)?;
        // Each failed test drops one connection, so a pool's worth of tests is enough.
        for _ in 0..=self.pool.max_size() {
            let breaks = self.health.breaks.load(Ordering::Relaxed);
            let checked = Conn::extensions(&conn).get::<CheckedAt>().map(|c| c.0);
            if checked.unwrap_or(0) >= breaks {
                return Ok(conn);
            }
            if select_one(&mut conn) {
                Conn::extensions_mut(&mut conn).insert(CheckedAt(breaks));
                return Ok(conn);
            }
            // Broken now: going back, the pool drops it.
            drop(conn);
            conn = self.get(start)?;
        }
        Err(StoreError::Busy("no pooled connection answered".to_owned()))
    }

    /// A connection as r2d2 hands it out: an idle one at once (one lock, nothing timed),
    /// else by [`Self::wait_for`], counted and timed for `/metrics`.
    fn get(&self, start: Instant) -> Result<Conn, StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(conn) = self.pool.try_get() {
            return Ok(conn);
        }
        let waited_from = Instant::now();
        let got = self.wait_for(start);
        let waited = u64::try_from(waited_from.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waits.count.fetch_add(1, Relaxed);
        self.waits.nanos.fetch_add(waited, Relaxed);
        if got.is_err() {
            self.waits.timeouts.fetch_add(1, Relaxed);
        }
        got
    }

    /// A connection as r2d2 hands it out, by the deadline `start` + the checkout timeout.
    /// The wait is cut into short slices, and ends after the first one that finds the
    /// server unreachable with no connection in the pool: nothing will come free then
    /// until the server is back, and the callers should hear so at once.
    fn wait_for(&self, start: Instant) -> Result<Conn, StoreError> {
        loop {
            let left = self.checkout_timeout.saturating_sub(start.elapsed());
            let slice = left.min(WAIT_SLICE);
            match self.pool.get_timeout(slice) {
                Ok(conn) => return Ok(conn),
                Err(e) => {
                    let unreachable = self.health.unreachable.load(Ordering::Relaxed)
                        && self.pool.state().connections == 0;
                    if slice >= left || unreachable {
                        return Err(StoreError::Busy(e.to_string()));
                    }
                }
            }
        }
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

    /// True when the database answers `SELECT 1` on a pooled connection (readiness
    /// probes), waiting for the connection as [`Database::conn`] does. A dead pooled
    /// connection found on the way is dropped.
    pub fn ping(&self) -> bool {
        match self.conn() {
            Ok(mut conn) => select_one(&mut conn),
            Err(_) => false,
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{with_connect_timeout, without_tls_on_loopback};

    #[test]
    fn a_loopback_url_without_a_tls_choice_connects_without_tls() {
        let plain = |u: &str| without_tls_on_loopback(u, None);
        for url in [
            "postgres://u@127.0.0.1:5432/db",
            "postgres://u:p@localhost/db",
            "postgresql://[::1]:5433/db",
            "postgres://127.0.0.2,localhost:5433/db",
        ] {
            assert_eq!(plain(url), format!("{url}?sslmode=disable"), "{url}");
        }
        assert_eq!(
            plain("postgres://u@127.0.0.1/db?application_name=x"),
            "postgres://u@127.0.0.1/db?application_name=x&sslmode=disable"
        );
        assert_eq!(
            plain("postgres://u@localhost/db?"),
            "postgres://u@localhost/db?sslmode=disable"
        );
        // Another host, any host of several not on loopback, a mode already chosen by the
        // URL or the environment, a host given as a parameter, the socket: unchanged.
        for url in [
            "postgres://u@db.example.test/db",
            "postgres://u@10.0.0.5:5432/db",
            "postgres://u@127.0.0.1,db.example.test/db",
            "postgres://u@localhost.example.test/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@127.0.0.1/db?host=/run/postgresql",
            "postgres://u@/db",
            "postgres:///db",
        ] {
            assert_eq!(plain(url), url, "{url}");
        }
        assert_eq!(
            without_tls_on_loopback("postgres://u@127.0.0.1/db", Some("require")),
            "postgres://u@127.0.0.1/db"
        );
    }

    #[test]
    fn a_postgres_url_gets_a_connect_timeout_unless_it_names_one() {
        let five = Duration::from_secs(5);
        assert_eq!(
            with_connect_timeout("postgres://u@h/db", five),
            "postgres://u@h/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?sslmode=disable", five),
            "postgres://u@h/db?sslmode=disable&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?", five),
            "postgres://u@h/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?connect_timeout=30", five),
            "postgres://u@h/db?connect_timeout=30"
        );
        // Whole seconds, rounded up, and never under libpq's floor of 2.
        assert_eq!(
            with_connect_timeout("postgres://u@h/db", Duration::from_millis(2500)),
            "postgres://u@h/db?connect_timeout=3"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db", Duration::from_millis(300)),
            "postgres://u@h/db?connect_timeout=2"
        );
    }
}
