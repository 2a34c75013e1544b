//! What the app adds to `/metrics` beside the HTTP series (docs/operations.md lists them
//! all): the workers' counters and timings, kept as they run, and the series read when
//! scraped — database pool, queue depths, open live-feed sockets, process memory and CPU.
//! No label carries a path, a user's input or an organization.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGaugeVec, Opts};
use servicedesk_core::dispatch::Round;
use servicedesk_core::monitor::Sweep;
use servicedesk_core::ports::Clock;
use servicedesk_http::feed::FeedHub;
use servicedesk_http::metrics::{Kind, Metrics, MetricsError, OnScrape};
use servicedesk_store::{QueueDepths, Store};

/// How long one reading of the queue depths serves scrapes: several scrapers (or a client
/// hammering the public `/metrics`) cost the database one small query per interval.
pub const QUEUE_TTL: Duration = Duration::from_secs(5);

/// Buckets of `servicedesk_sla_sweep_duration_seconds`: 1 ms to 30 s (a sweep handles up
/// to 200 tickets).
const SWEEP_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

/// The workers' series, updated as they run.
#[derive(Debug, Clone)]
pub struct Telemetry {
    sweep: Histogram,
    warnings: IntCounter,
    breaches: IntCounter,
    /// `servicedesk_outbox_messages_total{outcome}`: delivered, retried, dead, lost.
    outbox: [IntCounter; 4],
    errors: IntCounterVec,
}

impl Telemetry {
    /// Registers the workers' series and the scrape-time collectors on `metrics`.
    ///
    /// # Errors
    /// When a name is registered twice (a bug).
    pub fn install(
        metrics: &Metrics,
        store: Arc<Store>,
        hub: Arc<FeedHub>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, MetricsError> {
        let registry = metrics.registry();
        let sweep = Histogram::with_opts(
            HistogramOpts::new(
                "servicedesk_sla_sweep_duration_seconds",
                "Time one SLA monitor sweep took (up to 200 due tickets; about one a second).",
            )
            .buckets(SWEEP_BUCKETS.to_vec()),
        )?;
        let warnings = IntCounter::new(
            "servicedesk_sla_warnings_total",
            "SLA warnings the monitor of this process recorded.",
        )?;
        let breaches = IntCounter::new(
            "servicedesk_sla_breaches_total",
            "SLA breaches the monitor of this process recorded.",
        )?;
        let outbox = IntCounterVec::new(
            Opts::new(
                "servicedesk_outbox_messages_total",
                "Outbox messages this process's dispatcher settled, by outcome.",
            ),
            &["outcome"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "servicedesk_worker_errors_total",
                "Worker rounds that failed (the store answered an error), by worker.",
            ),
            &["worker"],
        )?;
        let build = IntGaugeVec::new(
            Opts::new(
                "servicedesk_build_info",
                "Always 1; the version of the running server as a label.",
            ),
            &["version"],
        )?;
        build
            .get_metric_with_label_values(&[env!("CARGO_PKG_VERSION")])?
            .set(1);
        registry.register(Box::new(sweep.clone()))?;
        for c in [warnings.clone(), breaches.clone()] {
            registry.register(Box::new(c))?;
        }
        registry.register(Box::new(outbox.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(build))?;
        let telemetry = Self {
            sweep,
            warnings,
            breaches,
            outbox: [
                outbox.get_metric_with_label_values(&["delivered"])?,
                outbox.get_metric_with_label_values(&["retried"])?,
                outbox.get_metric_with_label_values(&["dead"])?,
                outbox.get_metric_with_label_values(&["lost"])?,
            ],
            errors,
        };
        for worker in ["outbox", "sla_monitor"] {
            telemetry.errors.get_metric_with_label_values(&[worker])?;
        }
        metrics.register(pool_collector(store.clone())?)?;
        metrics.register(cache_collector(store.clone())?)?;
        metrics.register(queue_collector(store, clock)?)?;
        metrics.register(OnScrape::new(
            &[(
                "servicedesk_websocket_connections",
                "Live-feed sockets (GET /api/v1/stream) open in this process.",
                Kind::Gauge,
            )],
            move || vec![Some(hub.subscribers() as f64)],
        )?)?;
        metrics.register(process_collector()?)?;
        Ok(telemetry)
    }

    /// Runs one SLA monitor sweep, timing it and counting what it recorded.
    pub fn sla_sweep<E>(&self, sweep: impl FnOnce() -> Result<Sweep, E>) -> Result<Sweep, E> {
        let started = Instant::now();
        let result = sweep();
        self.sweep.observe(started.elapsed().as_secs_f64());
        match &result {
            Ok(s) => {
                self.warnings.inc_by(u64::from(s.warnings));
                self.breaches.inc_by(u64::from(s.breaches));
            }
            Err(_) => self.errors.with_label_values(&["sla_monitor"]).inc(),
        }
        result
    }

    /// Runs one outbox dispatcher round, counting how its messages were settled.
    pub fn outbox_round<E>(&self, round: impl FnOnce() -> Result<Round, E>) -> Result<Round, E> {
        let result = round();
        match &result {
            Ok(r) => {
                for (counter, n) in self
                    .outbox
                    .iter()
                    .zip([r.delivered, r.retried, r.dead, r.lost])
                {
                    counter.inc_by(u64::from(n));
                }
            }
            Err(_) => self.errors.with_label_values(&["outbox"]).inc(),
        }
        result
    }
}

/// The pool: connections in use, idle and at most, and the checkouts that waited.
fn pool_collector(store: Arc<Store>) -> Result<OnScrape, MetricsError> {
    OnScrape::new(
        &[
            (
                "servicedesk_db_pool_connections_in_use",
                "Database connections checked out of the pool now.",
                Kind::Gauge,
            ),
            (
                "servicedesk_db_pool_connections_idle",
                "Database connections open and idle in the pool now.",
                Kind::Gauge,
            ),
            (
                "servicedesk_db_pool_connections_max",
                "The most connections the pool opens (SERVICEDESK_DB_POOL).",
                Kind::Gauge,
            ),
            (
                "servicedesk_db_pool_waits_total",
                "Checkouts that found no idle connection and waited for one.",
                Kind::Counter,
            ),
            (
                "servicedesk_db_pool_wait_seconds_total",
                "Time checkouts spent waiting for a connection, in total.",
                Kind::Counter,
            ),
            (
                "servicedesk_db_pool_timeouts_total",
                "Checkouts that gave up waiting (the request answered 503).",
                Kind::Counter,
            ),
        ],
        move || {
            let s = store.database().pool_stats();
            vec![
                Some(f64::from(s.connections.saturating_sub(s.idle))),
                Some(f64::from(s.idle)),
                Some(f64::from(s.max)),
                Some(s.waits as f64),
                Some(s.wait_time.as_secs_f64()),
                Some(s.timeouts as f64),
            ]
        },
    )
}

/// The per-process caches' hits and misses (docs/operations.md, "Caches and several
/// processes"): a falling hit rate under a read-heavy load means something keeps
/// flushing them.
fn cache_collector(store: Arc<Store>) -> Result<OnScrape, MetricsError> {
    OnScrape::new(
        &[
            (
                "servicedesk_incident_cache_hits_total",
                "Incidents read by id that were answered from this process's cache.",
                Kind::Counter,
            ),
            (
                "servicedesk_incident_cache_misses_total",
                "Incidents read by id that were read from the database.",
                Kind::Counter,
            ),
            (
                "servicedesk_incident_page_cache_hits_total",
                "Pages of the incident queue answered from this process's cache.",
                Kind::Counter,
            ),
            (
                "servicedesk_incident_page_cache_misses_total",
                "Pages of the incident queue that were read from the database.",
                Kind::Counter,
            ),
            (
                "servicedesk_auth_sla_cache_hits_total",
                "Authentication and SLA catalog reads answered from this process's caches.",
                Kind::Counter,
            ),
            (
                "servicedesk_auth_sla_cache_misses_total",
                "Authentication and SLA catalog reads that went to the database.",
                Kind::Counter,
            ),
        ],
        move || {
            let c = store.cache_counts();
            [
                c.incident_hits,
                c.incident_misses,
                c.incident_page_hits,
                c.incident_page_misses,
                c.other_hits,
                c.other_misses,
            ]
            .into_iter()
            .map(|n| Some(n as f64))
            .collect()
        },
    )
}

/// The last reading of the queue depths and when it was taken.
type Reading = Mutex<Option<(Instant, QueueDepths)>>;

/// Outbox and delivery backlogs, dead letters and the SLA monitor's lag, read at most once
/// per [`QUEUE_TTL`] (concurrent scrapes wait for one reading). When no connection is idle
/// the last reading is reported again; before a first reading the series are left out.
fn queue_collector(store: Arc<Store>, clock: Arc<dyn Clock>) -> Result<OnScrape, MetricsError> {
    let last: Reading = Mutex::new(None);
    OnScrape::new(
        &[
            (
                "servicedesk_outbox_pending_messages",
                "Outbox messages not yet dispatched (counted up to 100000).",
                Kind::Gauge,
            ),
            (
                "servicedesk_outbox_oldest_pending_age_seconds",
                "How long the oldest due outbox message has waited (0: none waiting).",
                Kind::Gauge,
            ),
            (
                "servicedesk_outbox_dead_letters",
                "Outbox messages given up on after their attempts (counted up to 100000).",
                Kind::Gauge,
            ),
            (
                "servicedesk_deliveries_pending",
                "Mails and webhook posts not yet sent (counted up to 100000).",
                Kind::Gauge,
            ),
            (
                "servicedesk_deliveries_oldest_pending_age_seconds",
                "How long the oldest due mail or webhook post has waited (0: none waiting).",
                Kind::Gauge,
            ),
            (
                "servicedesk_deliveries_dead_letters",
                "Mails and webhook posts given up on (counted up to 100000).",
                Kind::Gauge,
            ),
            (
                "servicedesk_sla_monitor_lag_seconds",
                "How far past the earliest warning or breach instant not yet recorded (0: none).",
                Kind::Gauge,
            ),
        ],
        move || {
            let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
            let fresh = last.is_some_and(|(at, _)| at.elapsed() < QUEUE_TTL);
            if !fresh {
                match store.queue_depths() {
                    Ok(depths) => *last = Some((Instant::now(), depths)),
                    Err(e) => tracing::debug!(error = %e, "queue depths not read for /metrics"),
                }
            }
            let Some((_, d)) = *last else {
                return vec![None; 7];
            };
            let now = clock.now();
            let age = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map_or(0.0, |at| {
                    ((now - at).num_milliseconds().max(0) as f64) / 1000.0
                })
            };
            vec![
                Some(d.outbox_pending as f64),
                Some(age(d.outbox_oldest)),
                Some(d.outbox_dead as f64),
                Some(d.deliveries_pending as f64),
                Some(age(d.deliveries_oldest)),
                Some(d.deliveries_dead as f64),
                Some(age(d.sla_next_due)),
            ]
        },
    )
}

/// The standard process series (the names every Prometheus client library uses), read from
/// `/proc/self` on Linux; left out elsewhere.
fn process_collector() -> Result<OnScrape, MetricsError> {
    // Boot time plus the process's start in clock ticks: read once, it does not change.
    let start_time = process::start_time();
    OnScrape::new(
        &[
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                Kind::Gauge,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                Kind::Gauge,
            ),
            (
                "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds.",
                Kind::Counter,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                Kind::Gauge,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                Kind::Gauge,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                Kind::Gauge,
            ),
        ],
        move || {
            let stat = process::stat();
            vec![
                process::resident_bytes(),
                stat.map(|s| s.virtual_bytes),
                stat.map(|s| s.cpu_seconds),
                start_time,
                process::open_fds(),
                process::max_fds(),
            ]
        },
    )
}

/// Reading `/proc` by hand: a few small files, no extra crate.
mod process {
    use std::fs;

    /// `USER_HZ`: the unit of the times in `/proc/<pid>/stat`, 100 on every Linux ABI
    /// (the kernel scales its own tick rate to it).
    const TICKS_PER_SECOND: f64 = 100.0;

    /// What `/proc/self/stat` says.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Stat {
        pub(super) cpu_seconds: f64,
        pub(super) virtual_bytes: f64,
        start_ticks: f64,
    }

    /// `/proc/self/stat`: fields after the command name (which may hold spaces and
    /// parentheses, so split after its last `)`). Field 14/15 are utime/stime, 22 is the
    /// start in ticks after boot, 23 the virtual size in bytes.
    pub(super) fn stat() -> Option<Stat> {
        parse_stat(&fs::read_to_string("/proc/self/stat").ok()?)
    }

    fn parse_stat(text: &str) -> Option<Stat> {
        let rest = &text[text.rfind(')')? + 1..];
        // `rest` starts with field 3 (the state).
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
        Some(Stat {
            cpu_seconds: (field(14)? + field(15)?) / TICKS_PER_SECOND,
            start_ticks: field(22)?,
            virtual_bytes: field(23)?,
        })
    }

    /// `VmRSS` of `/proc/self/status`, in bytes (the kernel states it in kB, so no page
    /// size is needed).
    pub(super) fn resident_bytes() -> Option<f64> {
        parse_rss(&fs::read_to_string("/proc/self/status").ok()?)
    }

    fn parse_rss(status: &str) -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024.0)
    }

    /// Boot time (`btime` of `/proc/stat`) plus the process's start after boot.
    pub(super) fn start_time() -> Option<f64> {
        let boot: f64 = fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()?;
        Some(boot + stat()?.start_ticks / TICKS_PER_SECOND)
    }

    /// Entries of `/proc/self/fd`.
    pub(super) fn open_fds() -> Option<f64> {
        Some(fs::read_dir("/proc/self/fd").ok()?.count() as f64)
    }

    /// The soft limit on open files (`Max open files` of `/proc/self/limits`).
    pub(super) fn max_fds() -> Option<f64> {
        parse_max_fds(&fs::read_to_string("/proc/self/limits").ok()?)
    }

    fn parse_max_fds(limits: &str) -> Option<f64> {
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line.trim_start_matches("Max open files")
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn proc_files_parse() {
            let stat = "4242 (serv ice) desk)) S 1 4242 4242 0 -1 4194560 2000 0 0 0 \
                        250 50 0 0 20 0 9 0 123456 987654321 6000 18446744073709551615";
            let s = parse_stat(stat).unwrap();
            assert!((s.cpu_seconds - 3.0).abs() < 1e-9, "{s:?}");
            assert!((s.start_ticks - 123_456.0).abs() < 1e-9, "{s:?}");
            assert!((s.virtual_bytes - 987_654_321.0).abs() < 1e-9, "{s:?}");
            assert_eq!(
                parse_rss("Name:\tservicedesk\nVmRSS:\t  2048 kB\nThreads: 9\n"),
                Some(2_097_152.0)
            );
            assert_eq!(
                parse_max_fds(
                    "Limit                     Soft Limit           Hard Limit           Units\n\
                     Max open files            1024                 524288               files\n"
                ),
                Some(1024.0)
            );
            assert!(parse_stat("garbage").is_none());
        }

        #[test]
        fn this_process_can_be_read() {
            if cfg!(target_os = "linux") {
                assert!(resident_bytes().unwrap() > 0.0);
                assert!(stat().unwrap().cpu_seconds >= 0.0);
                assert!(start_time().unwrap() > 1.6e9);
                assert!(open_fds().unwrap() >= 3.0);
                assert!(max_fds().unwrap() >= 1.0);
            }
        }
    }
}
