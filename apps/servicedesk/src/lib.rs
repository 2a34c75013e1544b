//! The composition root: reads config, builds the adapters, hands them to the use cases,
//! mounts the HTTP API, starts the workers. The binary (`main.rs`) is a thin CLI over this;
//! the black-box tests start the same server on a free port.

pub mod config;
pub mod courier_pool;
mod demo;
pub use demo::DEMO_PASSWORD;
mod mailer;
mod seed;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::{Context, Result};
use chrono::TimeDelta;
use servicedesk_auth::{
    AeadSecretBox, Argon2Hasher, HashPool, JwtIssuer, RandomTokens, TotpService,
};
use servicedesk_core::autoclose::AutoCloser;
use servicedesk_core::catalog::Catalog;
use servicedesk_core::dispatch::Dispatcher;
use servicedesk_core::identity::{Administration, AuthPorts, AuthSettings, Authenticator};
use servicedesk_core::monitor::SlaMonitor;
use servicedesk_core::notify::{
    AccountMails, Courier, CourierPorts, FeedPublisher, ManagePorts, NotificationRouter,
    Notifications, Retention, RouterPorts,
};
use servicedesk_core::ports::{AttemptStore, LiveFeed};
use servicedesk_core::ports::{Clock, EventHandler, Mailer, SystemClock, UuidV7Generator};
use servicedesk_core::sla_settings::SlaSettings;
use servicedesk_core::usecases::Incidents;
use servicedesk_http::AppState;
use servicedesk_http::feed::FeedHub;
use servicedesk_http::middleware::{Metrics, RateLimit, request_context};
use servicedesk_mail::{MailFrom, MailNotifier, MailSettings, PublicBaseUrl, SmtpMailer};
use servicedesk_store::{Backend, PgFeed, PoolOptions, Store, spawn_feed_listener};
use servicedesk_webhook::{HttpWebhookSender, WebhookSettings};

pub use config::Config;

/// Everything built from the config.
pub struct Built {
    /// The store.
    pub store: Arc<Store>,
    /// Shared state of the handlers.
    pub state: web::Data<AppState>,
    /// The web console's state (the same use-case instances).
    pub console: web::Data<servicedesk_web::Console>,
    /// The outbox dispatcher.
    pub dispatcher: Dispatcher,
    /// The SLA monitor.
    pub monitor: SlaMonitor,
    /// Sends queued mails and webhook posts.
    pub courier: Courier,
    /// How many sends the courier runs at once, in total and per target.
    pub courier_limits: courier_pool::CourierLimits,
    /// Closes resolved incidents after each organization's delay.
    pub auto_close: AutoCloser,
    /// Time between two auto-close sweeps.
    pub auto_close_interval: Duration,
    /// Deletes old delivered deliveries and read notifications (with auto-close's cadence).
    pub retention: Retention,
    /// Credentials printed once on first start (generated password), if any.
    pub first_admin: Option<(String, Option<String>)>,
    /// Where live-feed items go (call it after the event is committed): `NOTIFY` to every
    /// server process on PostgreSQL, this process's hub (`state.feed`) on SQLite.
    pub feed: Arc<dyn LiveFeed>,
    /// The workers' `/metrics` series (the rest is read when scraped).
    pub telemetry: telemetry::Telemetry,
}

/// Seals every stored TOTP and webhook secret that only a retired sealing key opens again
/// with the current key (`servicedesk keys reseal`). Values the current key opens are left
/// alone; a value no key opens is an error (a key is missing from the ring).
///
/// # Errors
/// A bad key, an unreachable database, or a secret no configured key opens.
pub fn reseal_secrets(config: &Config) -> Result<servicedesk_store::Resealed> {
    use servicedesk_core::ports::{CryptoError, SecretBox};
    let ring = AeadSecretBox::with_retired(&config.secret_key, &config.secret_keys_retired)
        .map_err(|e| anyhow::anyhow!("secret key: {e}"))?;
    let store = Store::open(&config.database_url, 1).map_err(|e| {
        anyhow::anyhow!(
            "cannot open {}: {e}",
            config::redact_url(&config.database_url)
        )
    })?;
    let reseal = |sealed: &str| -> std::result::Result<Option<String>, CryptoError> {
        if ring.needs_reseal(sealed) {
            return ring.seal(&ring.open(sealed)?).map(Some);
        }
        // The current key opens it (nothing to do) or no key does (say so).
        ring.open(sealed).map(|_| None)
    };
    store
        .reseal_secrets(&reseal)
        .map_err(|e| anyhow::anyhow!("reseal: {e}"))
}

/// Opens the database (migrating it), wires every adapter and use case, and creates the
/// first organization and admin on an empty database.
///
/// # Errors
/// When the database cannot be opened or a key is invalid.
pub fn build(config: &Config) -> Result<Built> {
    build_with_clock(config, Arc::new(SystemClock))
}

/// [`build`] with another clock (tests move time forward to reach SLA deadlines).
///
/// # Errors
/// As [`build`].
pub fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Built> {
    let store = Arc::new(
        Store::open_with(
            &config.database_url,
            PoolOptions {
                max_connections: config.pool_size,
                checkout_timeout: config.db_timeout,
            },
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open {}: {e}",
                config::redact_url(&config.database_url)
            )
        })?,
    );
    let ids = Arc::new(UuidV7Generator);
    // Every argon2 hash of the process (login, registration, reset, password change, user
    // creation) runs on one thread per core; a few callers wait up to 2 s, then 503.
    let hasher = Arc::new(
        HashPool::for_this_machine(Argon2Hasher::default())
            .map_err(|e| anyhow::anyhow!("password hashing: {e}"))?,
    );
    let admin = Administration::new(
        store.clone(),
        store.clone(),
        hasher.clone(),
        clock.clone(),
        ids.clone(),
    );

    let first_admin = seed::first_start(&store, &admin, config)?;
    let registration_org = if config.registration {
        store
            .organizations()?
            .into_iter()
            .find(|o| o.name == config.default_org)
            .map(|o| o.id)
    } else {
        None
    };

    let auth_settings = AuthSettings {
        registration_org,
        session_lifetime: config.session_lifetime,
        // A refresh token never outlives its session.
        refresh_ttl: config
            .session_lifetime
            .min(AuthSettings::default().refresh_ttl),
        ..AuthSettings::default()
    };
    let mut jwt_ring = vec![(config.jwt_kid.clone(), config.jwt_secret.clone())];
    jwt_ring.extend(config.jwt_retired.iter().cloned());
    let tokens = JwtIssuer::new("servicedesk", "servicedesk-api", jwt_ring, &config.jwt_kid)
        .map_err(|e| anyhow::anyhow!("JWT key: {e}"))?;
    let secrets = Arc::new(
        AeadSecretBox::with_retired(&config.secret_key, &config.secret_keys_retired)
            .map_err(|e| anyhow::anyhow!("secret key: {e}"))?,
    );
    let auth = Authenticator::new(
        AuthPorts {
            accounts: store.clone(),
            sessions: store.clone(),
            admin: store.clone(),
            hasher,
            tokens: Arc::new(tokens),
            totp: Arc::new(
                TotpService::new("Servicedesk").map_err(|e| anyhow::anyhow!("TOTP: {e}"))?,
            ),
            secrets: secrets.clone(),
            opaque: Arc::new(RandomTokens),
            // Attempt counters in the database, shared by every server process.
            attempts: store.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
        },
        auth_settings.clone(),
    );
    let incidents = Incidents::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        ids.clone(),
    );
    let sla = SlaSettings::new(store.clone(), store.clone(), clock.clone(), ids.clone());
    let catalog = Catalog::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        ids.clone(),
    );
    let monitor = SlaMonitor::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        ids.clone(),
    );

    // The live feed: this process's sockets subscribe to the hub; on PostgreSQL items go
    // out by NOTIFY and come back to every process's hub through its listener.
    let hub = Arc::new(FeedHub::default());
    let feed: Arc<dyn LiveFeed> = match store.backend() {
        Backend::Postgres => Arc::new(PgFeed::new(store.database().clone())),
        Backend::Sqlite => hub.clone(),
    };
    let feed_clock = clock.clone();

    let mailer: Arc<dyn Mailer> = match &config.smtp_url {
        Some(url) => {
            let from = MailFrom::parse(&config.mail_from)
                .map_err(|e| anyhow::anyhow!("SERVICEDESK_MAIL_FROM: {e}"))?;
            Arc::new(
                SmtpMailer::new(url, from)
                    .map_err(|e| anyhow::anyhow!("SERVICEDESK_SMTP_URL: {e}"))?,
            )
        }
        None => {
            tracing::warn!(
                "SERVICEDESK_SMTP_URL is not set: mails are written to the log instead of sent"
            );
            Arc::new(mailer::LogMailer)
        }
    };
    let base = PublicBaseUrl::parse(&config.public_url)
        .map_err(|e| anyhow::anyhow!("SERVICEDESK_PUBLIC_URL: {e}"))?;
    let settings = MailSettings::new(base, "Servicedesk").with_ttls_of(&auth_settings);
    let notifier = Arc::new(
        MailNotifier::new(mailer.clone(), settings)
            .map_err(|e| anyhow::anyhow!("mail templates: {e}"))?,
    );
    let router = NotificationRouter::new(RouterPorts {
        tickets: store.clone(),
        incidents: store.clone(),
        directory: store.clone(),
        store: store.clone(),
        webhooks: store.clone(),
        composer: notifier.clone(),
        clock: clock.clone(),
        ids: ids.clone(),
    });
    // Account mails (queued as deliveries: the courier sends them, never the dispatcher),
    // then the live feed (latency matters there), then routing; all three are idempotent
    // per event, so a retry caused by one never doubles the others' mails, and feed
    // clients de-duplicate on the event id.
    let account_mails =
        AccountMails::new(notifier.clone(), store.clone(), clock.clone(), ids.clone());
    let requests = servicedesk_core::requests::ServiceRequests::new(
        servicedesk_core::requests::RequestPorts {
            store: store.clone(),
            catalog: store.clone(),
            delegations: store.clone(),
            directory: store.clone(),
            sla: store.clone(),
            clock: feed_clock.clone(),
            ids: ids.clone(),
        },
    );
    // Last: the duplicate rule (docs/tickets.md) writes tickets, whose own events come
    // back through the outbox.
    let duplicates = servicedesk_core::tickets::DuplicateResolver::new(
        store.clone(),
        vec![Arc::new(incidents.clone()), Arc::new(requests.clone())],
    );
    let handlers: Vec<Arc<dyn EventHandler>> = vec![
        Arc::new(account_mails),
        Arc::new(FeedPublisher::new(store.clone(), feed.clone())),
        Arc::new(router),
        Arc::new(duplicates),
    ];
    let dispatcher = Dispatcher::new(
        store.clone(),
        handlers,
        clock.clone(),
        config.retry_policy(),
    );
    let courier = Courier::new(
        CourierPorts {
            queue: store.clone(),
            webhooks: store.clone(),
            mailer,
            sender: Arc::new(
                HttpWebhookSender::new(WebhookSettings {
                    proxy: config.webhook_proxy.clone(),
                    allow: config.webhook_allow.clone(),
                    ..WebhookSettings::default()
                })
                .map_err(|e| anyhow::anyhow!("SERVICEDESK_WEBHOOK_PROXY: {e}"))?,
            ),
            secrets: secrets.clone(),
            clock: clock.clone(),
        },
        config.retry_policy(),
    );
    let notifications = Notifications::new(ManagePorts {
        store: store.clone(),
        queue: store.clone(),
        webhooks: store.clone(),
        secrets,
        tokens: Arc::new(RandomTokens),
        clock: clock.clone(),
        ids: ids.clone(),
    })
    .with_webhook_allow(config.webhook_allow.clone());
    let retention = Retention::new(
        store.clone(),
        store.clone(),
        clock.clone(),
        config.retention,
    );

    let probe = store.clone();
    let auto_close = AutoCloser::new(incidents.clone(), store.clone(), store.clone(), clock)
        .with_kind(Arc::new(requests.clone()));
    // `/metrics`: the request series (servicedesk-http), the workers' and the scrape-time
    // ones (telemetry.rs).
    let metrics = Arc::new(Metrics::new()?);
    let telemetry =
        telemetry::Telemetry::install(&metrics, store.clone(), hub.clone(), feed_clock.clone())?;
    let state = web::Data::new(AppState {
        incidents,
        requests,
        tickets: servicedesk_core::tickets::Tickets::new(
            store.clone(),
            feed_clock.clone(),
            ids.clone(),
        ),
        auth,
        admin,
        delegations: servicedesk_core::approvals::Delegations::new(
            store.clone(),
            store.clone(),
            feed_clock.clone(),
            ids.clone(),
        ),
        notifications,
        sla,
        catalog,
        audit: servicedesk_core::identity::AuditTrail::new(store.clone(), store.clone()),
        // Ready when the database answers a query (a pooled connection alone may be dead).
        readiness: Arc::new(move || probe.database().ping()),
        metrics,
        rate_limit: RateLimit::per_minute(config.rate_limit_per_minute).map(Arc::new),
        body_limit: config.body_limit,
        feed: hub,
        clock: feed_clock,
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        console_origin: origin_of(&config.public_url),
        console_cookie: servicedesk_web::access_cookie(&config.public_url),
    });
    let console = web::Data::new(servicedesk_web::Console {
        incidents: state.incidents.clone(),
        tickets: state.tickets.clone(),
        requests: state.requests.clone(),
        catalog: state.catalog.clone(),
        auth: state.auth.clone(),
        admin: state.admin.clone(),
        notifications: state.notifications.clone(),
        reports: servicedesk_core::reports::Reports::new(store.clone(), state.clock.clone()),
        sla: state.sla.clone(),
        clock: state.clock.clone(),
        settings: servicedesk_web::ConsoleSettings {
            public_url: config.public_url.clone(),
            csrf_key: console_key(&config.jwt_secret),
            client_ip: servicedesk_http::extract::client_ip,
            rate_limit: state.rate_limit.clone().map(|limit| {
                let check: servicedesk_web::RateCheck = Arc::new(move |key| limit.check(key));
                check
            }),
        },
    });
    Ok(Built {
        store,
        state,
        console,
        dispatcher,
        monitor,
        courier,
        courier_limits: config.courier_limits,
        auto_close,
        auto_close_interval: config.auto_close_interval,
        retention,
        first_admin,
        feed,
        telemetry,
    })
}

/// Seeds demo data (`--demo`).
///
/// # Errors
/// When the database write fails.
pub fn seed_demo(built: &Built, config: &Config) -> Result<()> {
    demo::seed(built, config)
}

/// The background workers; stop them with [`Workers::stop`].
pub struct Workers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts the outbox dispatcher, the SLA monitor, the courier and auto-close.
    pub fn start(built: &Built) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (dispatcher, monitor) = (built.dispatcher.clone(), built.monitor.clone());
        // Sends run on their own threads, a few per target at most: one slow target
        // never holds up the others.
        let courier =
            courier_pool::spawn(built.courier.clone(), built.courier_limits, stop.clone());
        let closer = built.auto_close.clone();
        let retention = built.retention.clone();
        let (attempts, hk_clock) = (built.store.clone(), built.state.clock.clone());
        let verification_ttl = built.state.auth.settings().verification_ttl;
        let last_close = std::sync::Mutex::new(None::<std::time::Instant>);
        let interval = built.auto_close_interval;
        // Auto-close works in days: a sweep a minute (by default) is plenty.
        let last_analyze = std::sync::Mutex::new(None::<std::time::Instant>);
        let auto_close = spawn_loop("housekeeping", stop.clone(), move || {
            // Planner statistics of the hot tables, fresher than autovacuum keeps them.
            if let Ok(mut at) = last_analyze.lock()
                && !at.is_some_and(|t| t.elapsed() < ANALYZE_EVERY)
            {
                *at = Some(std::time::Instant::now());
                match attempts.analyze_stale_tables() {
                    Ok(tables) if !tables.is_empty() => {
                        tracing::info!(?tables, "refreshed planner statistics");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "refreshing planner statistics failed"),
                }
            }
            let mut last = last_close
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < interval) {
                return false;
            }
            *last = Some(std::time::Instant::now());
            match retention.sweep(1_000) {
                Ok((d, n)) if d + n > 0 => {
                    tracing::info!(
                        deliveries = d,
                        notifications = n,
                        "retention removed old rows"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention sweep failed"),
            }
            // Spent attempt counters (windows are at most an hour) and failed sign-ins
            // older than 30 days.
            let now = hk_clock.now();
            if let Err(e) =
                attempts.prune_attempts(now - TimeDelta::hours(2), now - TimeDelta::days(30))
            {
                tracing::error!(error = %e, "pruning attempt counters failed");
            }
            // Sealed refresh-token successors past their 30 s grace.
            if let Err(e) = servicedesk_core::ports::SessionStore::forget_successors(
                &*attempts,
                now - TimeDelta::seconds(30),
            ) {
                tracing::error!(error = %e, "forgetting refresh successors failed");
            }
            // Self-registered accounts whose verification link expired unused.
            match servicedesk_core::ports::AccountStore::purge_unverified(
                &*attempts,
                now - verification_ttl,
                500,
            ) {
                Ok(n) if n > 0 => tracing::info!(accounts = n, "purged unverified accounts"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "purging unverified accounts failed"),
            }
            match closer.sweep(200) {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(closed = n, "auto-closed resolved incidents");
                    }
                    false
                }
                Err(e) => {
                    tracing::error!(error = %e, "auto-close sweep failed");
                    false
                }
            }
        });
        let (outbox_telemetry, sla_telemetry) = (built.telemetry.clone(), built.telemetry.clone());
        let outbox = spawn_loop("outbox", stop.clone(), move || {
            match outbox_telemetry.outbox_round(|| dispatcher.run_once()) {
                Ok(round) => round.delivered + round.retried + round.dead + round.lost > 0,
                Err(e) => {
                    tracing::error!(error = %e, "outbox dispatcher round failed");
                    false
                }
            }
        });
        let requests = built.state.requests.clone();
        let approvals = spawn_loop("approval-sweeper", stop.clone(), move || {
            match requests.sweep_approvals(100) {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = %e, "approval sweep failed");
                    false
                }
            }
        });
        let sla = spawn_loop("sla-monitor", stop.clone(), move || {
            match sla_telemetry.sla_sweep(|| monitor.sweep(200)) {
                Ok(sweep) => sweep.checked > 0,
                Err(e) => {
                    tracing::error!(error = %e, "SLA monitor sweep failed");
                    false
                }
            }
        });
        Self {
            stop,
            threads: outbox
                .into_iter()
                .chain(sla)
                .chain(approvals)
                .chain(courier)
                .chain(auto_close)
                .collect(),
        }
    }

    /// Also runs the listeners when `built` is on PostgreSQL (`database_url`): the live
    /// feed's, which hands what every server process publishes to this process's hub, and
    /// the cache's, which lets the store cache the authentication and SLA-catalog reads
    /// and flushes them when any process changes what they read. They stop with the other
    /// workers. On SQLite there is one process, nothing to listen to and nothing cached.
    ///
    /// # Errors
    /// When a thread cannot be started.
    pub fn listen_feed(&mut self, built: &Built, database_url: &str) -> Result<()> {
        if built.store.backend() != Backend::Postgres {
            return Ok(());
        }
        let caches = built
            .store
            .listen_for_changes(database_url, self.stop.clone())
            .context("cannot start the cache listener")?;
        self.threads.extend(caches);
        let hub = built.state.feed.clone();
        let thread = spawn_feed_listener(database_url, self.stop.clone(), move |item| {
            hub.publish_local(&item);
        })
        .context("cannot start the live-feed listener")?;
        self.threads.push(thread);
        Ok(())
    }

    /// Asks the workers to finish their round and waits for them.
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// `scheme://host[:port]` of a URL (its origin, as browsers send it), or empty.
fn origin_of(public_url: &str) -> String {
    // As a browser serialises it in the Origin header: scheme and host lower-cased, the
    // host in punycode, the scheme's default port left out.
    match url::Url::parse(public_url).map(|u| u.origin()) {
        Ok(origin @ url::Origin::Tuple(..)) => origin.ascii_serialization(),
        _ => String::new(),
    }
}

/// The key the console derives CSRF tokens with: bound to the JWT signing secret (so every
/// server process of one deployment agrees) but never the secret itself.
fn console_key(jwt_secret: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"servicedesk console csrf v1\0");
    h.update(jwt_secret);
    h.finalize().into()
}

/// The HTTP server over `state` (the API under `/api`) and `console` (the web console at
/// `/`), bound to `bind`. The app owns the fallback: a path nobody serves is the API's
/// problem+json 404 under `/api` and the console's 404 page elsewhere.
///
/// # Errors
/// When the address cannot be bound.
pub fn http_server(
    state: web::Data<AppState>,
    console: web::Data<servicedesk_web::Console>,
    config: &Config,
    bind: &str,
) -> Result<(actix_web::dev::Server, Vec<SocketAddr>)> {
    let origins = config.cors_origins.clone();
    let server = HttpServer::new(move || {
        let state = state.clone();
        let console = console.clone();
        App::new()
            .wrap(from_fn(request_context))
            .wrap(servicedesk_http::cors(&origins))
            .configure(move |cfg| servicedesk_http::configure(cfg, state))
            .configure(move |cfg| servicedesk_web::configure(cfg, console))
            .default_service(web::to(servicedesk_http::unmatched))
    })
    .shutdown_timeout(30)
    // Handlers wait for the database on the blocking pool; more threads than connections
    // only queue there, each with its stack and allocator cache (512 by default).
    .worker_max_blocking_threads(blocking_threads(config.pool_size))
    .bind(bind)
    .with_context(|| format!("cannot listen on {bind}"))?;
    let addrs = server.addrs();
    Ok((server.run(), addrs))
}

/// Blocking threads per HTTP worker for a pool of `pool_size` connections: the workers
/// (one per core) share the pool, and a few more threads keep requests that do not touch
/// the database (argon2 waits on its own pool) from queueing behind those that do.
fn blocking_threads(pool_size: u32) -> usize {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let pool = usize::try_from(pool_size).unwrap_or(usize::MAX);
    (pool.div_ceil(workers) + 4).max(8)
}

/// How often housekeeping looks for tables whose planner statistics went stale.
const ANALYZE_EVERY: Duration = Duration::from_secs(10);

/// How long a background loop waits after a round that found nothing to do.
const IDLE_REST: Duration = Duration::from_secs(1);
/// The longest rest after a busy round (a round rests as long as it took).
const BUSY_REST_MAX: Duration = Duration::from_secs(1);

/// Runs `round` until `stop` is set; after a round that found nothing to do it waits a
/// second, after a busy one as long as the round took (at most a second), in short steps
/// so shutdown is prompt.
fn spawn_loop(
    name: &str,
    stop: Arc<AtomicBool>,
    round: impl Fn() -> bool + Send + 'static,
) -> Option<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let started = std::time::Instant::now();
                let rest = if round() {
                    // Busy: rest as long as the round took, so that with a backlog (the
                    // outbox after a burst of creates) a loop and the database work it
                    // causes take at most half of one core, and requests keep the rest.
                    started.elapsed().min(BUSY_REST_MAX)
                } else {
                    IDLE_REST
                };
                let until = std::time::Instant::now() + rest;
                while !stop.load(Ordering::SeqCst) {
                    let left = until.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    std::thread::sleep(left.min(Duration::from_millis(100)));
                }
            }
        })
        .ok()
}

/// A server started in the background (tests, embedding).
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    workers: Option<Workers>,
    /// The store, for assertions.
    pub store: Arc<Store>,
    /// The live-feed publisher ([`Built::feed`]), for embedders and tests.
    pub feed: Arc<dyn LiveFeed>,
    hub: Arc<FeedHub>,
}

impl Running {
    /// Stops the server gracefully (in-flight requests finish) and the workers.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Close the live-feed sockets first: open sockets would hold up a graceful stop.
        self.hub.close();
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(true));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(w) = self.workers.take() {
            w.stop();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Builds everything and serves on `config.bind` (use port 0 for a free port) on a
/// background thread.
///
/// # Errors
/// When building or binding fails.
pub fn start(config: Config) -> Result<Running> {
    start_with_clock(config, Arc::new(SystemClock))
}

/// [`start`] with another clock.
///
/// # Errors
/// When building or binding fails.
pub fn start_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Running> {
    let built = build_with_clock(&config, clock)?;
    let mut workers = Workers::start(&built);
    workers.listen_feed(&built, &config.database_url)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let state = built.state.clone();
    let console = built.console.clone();
    let bind = config.bind.clone();
    let thread = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            match http_server(state, console, &config, &bind) {
                Ok((server, addrs)) => {
                    let _ = tx.send(Ok((server.handle(), addrs)));
                    let _ = server.await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    });
    let (handle, addrs) = rx.recv().context("server thread died")??;
    let addr = *addrs.first().context("no address bound")?;
    Ok(Running {
        addr,
        handle,
        thread: Some(thread),
        workers: Some(workers),
        store: built.store,
        feed: built.feed,
        hub: built.state.feed.clone(),
    })
}

#[cfg(test)]
mod origin_tests {
    use super::origin_of;

    #[test]
    fn the_origin_is_what_a_browser_sends() {
        assert_eq!(
            origin_of("https://Desk.Example.org/"),
            "https://desk.example.org"
        );
        assert_eq!(
            origin_of("https://desk.example.org:443/console"),
            "https://desk.example.org"
        );
        assert_eq!(origin_of("http://localhost:8080"), "http://localhost:8080");
        assert_eq!(origin_of("http://localhost:80/"), "http://localhost");
        assert_eq!(
            origin_of("https://bücher.example/"),
            "https://xn--bcher-kva.example"
        );
        assert_eq!(origin_of("not a url"), "");
    }
}
