//! Configuration from the environment (PLT-6). Secrets are never logged.

use std::path::PathBuf;

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Everything the server needs to start.
#[derive(Clone)]
pub struct Config {
    /// `postgres://…`, or a SQLite file (default `./servicedesk-data/servicedesk.db`).
    pub database_url: String,
    /// Listen address.
    pub bind: String,
    /// First admin's address (first start only).
    pub admin_email: String,
    /// First admin's password; generated and printed once when absent.
    pub admin_password: Option<String>,
    /// Name of the organization created on first start.
    pub default_org: String,
    /// `smtp://host:port`; mail stays in the outbox when absent.
    pub smtp_url: Option<String>,
    /// Sender of outgoing mail.
    pub mail_from: String,
    /// Public base URL for links in mails.
    pub public_url: String,
    /// The HMAC key that signs access tokens (key id [`Config::jwt_kid`]).
    pub jwt_secret: Vec<u8>,
    /// The key id of `jwt_secret`, written in each token's header.
    pub jwt_kid: String,
    /// Older JWT keys `(kid, secret)` that still verify tokens but sign none (rotation).
    pub jwt_retired: Vec<(String, Vec<u8>)>,
    /// The key that seals TOTP and webhook secrets at rest (32 bytes).
    pub secret_key: Vec<u8>,
    /// Older sealing keys that still open what they sealed (rotation).
    pub secret_keys_retired: Vec<Vec<u8>>,
    /// Requests per minute per user (0 = off).
    pub rate_limit_per_minute: u32,
    /// Allowed CORS origins.
    pub cors_origins: Vec<String>,
    /// Largest JSON body, bytes.
    pub body_limit: usize,
    /// Database pool size.
    pub pool_size: u32,
    /// Longest a request waits for a database connection before it answers 503 with
    /// `Retry-After` (`SERVICEDESK_DB_TIMEOUT_MS`, default 5000); also libpq's
    /// `connect_timeout` and twice the pool's longest pause between reconnect attempts.
    pub db_timeout: std::time::Duration,
    /// Self-registration of requesters on.
    pub registration: bool,
    /// Where the embedded database and generated keys live.
    pub data_dir: PathBuf,
    /// First retry delay of a failed mail, webhook or outbox delivery (doubles each time).
    pub retry_base_delay: chrono::TimeDelta,
    /// Attempts before a delivery goes to the dead-letter list.
    pub max_attempts: u32,
    /// Time between two auto-close sweeps.
    pub auto_close_interval: std::time::Duration,
    /// How long delivered mails / webhook posts and read notifications are kept.
    pub retention: servicedesk_core::notify::RetentionPolicy,
    /// Non-public webhook targets the operator permits (`SERVICEDESK_WEBHOOK_ALLOW`:
    /// comma-separated host names, `*.domain`, addresses and CIDR networks); empty means
    /// public addresses only.
    pub webhook_allow: servicedesk_core::notify::WebhookAllowList,
    /// Courier threads and sends in flight per target (`SERVICEDESK_COURIER_WORKERS`,
    /// `SERVICEDESK_COURIER_PER_TARGET`).
    pub courier_limits: crate::courier_pool::CourierLimits,
    /// The HTTP proxy webhooks go through (`SERVICEDESK_WEBHOOK_PROXY`); none means direct
    /// connections (proxy environment variables are ignored).
    pub webhook_proxy: Option<String>,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` name the client
    /// (`SERVICEDESK_TRUSTED_PROXIES`: addresses and CIDRs; none by default).
    pub trusted_proxies: servicedesk_http::extract::TrustedProxies,
    /// How long a login session lives from its sign-in, however often it is refreshed
    /// (`SERVICEDESK_SESSION_LIFETIME_DAYS`, default 30).
    pub session_lifetime: chrono::TimeDelta,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("admin_email", &self.admin_email)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("public_url", &self.public_url)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("webhook_allow", &self.webhook_allow)
            .field(
                "webhook_proxy",
                &self.webhook_proxy.as_deref().map(redact_url),
            )
            .finish_non_exhaustive()
    }
}

/// A URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_env<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} has an invalid value")),
    }
}

/// The database URL: the flag's value, else `DATABASE_URL`, else the SQLite file in
/// `SERVICEDESK_DATA_DIR` (default `servicedesk-data/servicedesk.db`). Creates nothing.
pub fn database_url(flag: Option<String>) -> String {
    let data_dir =
        PathBuf::from(env("SERVICEDESK_DATA_DIR").unwrap_or_else(|| "servicedesk-data".into()));
    flag.or_else(|| env("DATABASE_URL")).unwrap_or_else(|| {
        data_dir
            .join("servicedesk.db")
            .to_string_lossy()
            .into_owned()
    })
}

impl Config {
    /// Reads the environment; `database_url` and `bind` may be overridden by flags.
    ///
    /// # Errors
    /// A malformed value, or a key that cannot be read or created.
    pub fn from_env(database_url: Option<String>, bind: Option<String>) -> Result<Self> {
        let data_dir =
            PathBuf::from(env("SERVICEDESK_DATA_DIR").unwrap_or_else(|| "servicedesk-data".into()));
        let database_url = database_url
            .or_else(|| env("DATABASE_URL"))
            .unwrap_or_else(|| {
                data_dir
                    .join("servicedesk.db")
                    .to_string_lossy()
                    .into_owned()
            });
        let mut jwt = jwt_keys(&env, &data_dir)?.into_iter();
        let (jwt_kid, jwt_secret) = jwt
            .next()
            .ok_or_else(|| anyhow::anyhow!("the JWT key ring is empty"))?;
        let jwt_retired: Vec<(String, Vec<u8>)> = jwt.collect();
        let mut sealing = sealing_keys(&env, &data_dir)?.into_iter();
        let secret_key = sealing
            .next()
            .ok_or_else(|| anyhow::anyhow!("no sealing key"))?;
        let secret_keys_retired: Vec<Vec<u8>> = sealing.collect();
        Ok(Self {
            database_url,
            bind: bind
                .or_else(|| env("SERVICEDESK_BIND"))
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            admin_email: env("SERVICEDESK_ADMIN_EMAIL")
                .unwrap_or_else(|| "admin@servicedesk.local".into()),
            admin_password: env("SERVICEDESK_ADMIN_PASSWORD"),
            default_org: env("SERVICEDESK_DEFAULT_ORG").unwrap_or_else(|| "Default".into()),
            smtp_url: env("SERVICEDESK_SMTP_URL"),
            mail_from: env("SERVICEDESK_MAIL_FROM")
                .unwrap_or_else(|| "Servicedesk <noreply@servicedesk.local>".into()),
            public_url: env("SERVICEDESK_PUBLIC_URL")
                .unwrap_or_else(|| "http://localhost:8080".into()),
            jwt_secret,
            jwt_kid,
            jwt_retired,
            secret_key,
            secret_keys_retired,
            rate_limit_per_minute: parse_env("SERVICEDESK_RATE_LIMIT_PER_MINUTE", 600)?,
            cors_origins: env("SERVICEDESK_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            body_limit: parse_env(
                "SERVICEDESK_BODY_LIMIT",
                servicedesk_http::DEFAULT_BODY_LIMIT,
            )?,
            pool_size: parse_env("SERVICEDESK_DB_POOL", 16)?,
            db_timeout: std::time::Duration::from_millis(
                parse_env("SERVICEDESK_DB_TIMEOUT_MS", 5_000u64)?.clamp(100, 600_000),
            ),
            registration: parse_env("SERVICEDESK_REGISTRATION", true)?,
            data_dir,
            retry_base_delay: chrono::TimeDelta::milliseconds(parse_env(
                "SERVICEDESK_RETRY_BASE_MS",
                5_000,
            )?),
            max_attempts: parse_env("SERVICEDESK_MAX_ATTEMPTS", 10)?.max(1),
            auto_close_interval: std::time::Duration::from_secs(
                parse_env("SERVICEDESK_AUTO_CLOSE_INTERVAL_SECS", 60u64)?.max(1),
            ),
            retention: servicedesk_core::notify::RetentionPolicy {
                deliveries: chrono::TimeDelta::days(
                    parse_env("SERVICEDESK_DELIVERY_RETENTION_DAYS", 30i64)?.max(1),
                ),
                notifications: chrono::TimeDelta::days(
                    parse_env("SERVICEDESK_NOTIFICATION_RETENTION_DAYS", 90i64)?.max(1),
                ),
            },
            webhook_allow: servicedesk_core::notify::WebhookAllowList::parse(
                &env("SERVICEDESK_WEBHOOK_ALLOW").unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("SERVICEDESK_WEBHOOK_ALLOW: {e}"))?,
            webhook_proxy: env("SERVICEDESK_WEBHOOK_PROXY"),
            courier_limits: crate::courier_pool::CourierLimits {
                workers: parse_env("SERVICEDESK_COURIER_WORKERS", 8usize)?.clamp(1, 256),
                per_target: parse_env("SERVICEDESK_COURIER_PER_TARGET", 2usize)?.clamp(1, 64),
            },
            trusted_proxies: servicedesk_http::extract::TrustedProxies::parse(
                &env("SERVICEDESK_TRUSTED_PROXIES").unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("SERVICEDESK_TRUSTED_PROXIES: {e}"))?,
            session_lifetime: chrono::TimeDelta::days(
                parse_env("SERVICEDESK_SESSION_LIFETIME_DAYS", 30i64)?.clamp(1, 3650),
            ),
        })
    }

    /// Backoff and dead-letter settings of the outbox dispatcher and the courier.
    pub fn retry_policy(&self) -> servicedesk_core::dispatch::RetryPolicy {
        servicedesk_core::dispatch::RetryPolicy {
            base_delay: self.retry_base_delay,
            max_attempts: self.max_attempts,
            ..servicedesk_core::dispatch::RetryPolicy::default()
        }
    }
}

/// Shortest JWT key, bytes (HS256).
pub const MIN_JWT_KEY_LEN: usize = 32;
/// Length of a sealing key, bytes (XChaCha20-Poly1305).
pub const SEALING_KEY_LEN: usize = 32;
/// The key id of a single JWT key given by `SERVICEDESK_JWT_SECRET` or the generated file.
pub const DEFAULT_JWT_KID: &str = "k1";

/// The entries of a key list: one per line or comma, blank ones and `#` comments skipped.
fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.starts_with('#'))
}

fn decode(source: &str, what: &str, text: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(text.trim())
        .map_err(|_| anyhow::anyhow!("{source}: {what} is not base64"))
}

/// Parses a JWT key ring: `kid:base64` entries (see [`entries`]), the first signs, all
/// verify. `source` names where the text came from, for the error.
///
/// # Errors
/// An entry without `kid:`, a bad key id (1..=64 of `A-Za-z0-9._-`), a repeated key id, a
/// key that is not base64 or shorter than [`MIN_JWT_KEY_LEN`] bytes, or no entry at all.
pub fn parse_jwt_keys(text: &str, source: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in entries(text) {
        let (kid, key) = entry
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("{source}: each entry is kid:base64"))?;
        let kid = kid.trim();
        anyhow::ensure!(
            !kid.is_empty()
                && kid.len() <= 64
                && kid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
            "{source}: key id {kid:?} must be 1 to 64 of A-Z a-z 0-9 . _ -"
        );
        anyhow::ensure!(
            out.iter().all(|(k, _)| k != kid),
            "{source}: key id {kid:?} appears twice"
        );
        let bytes = decode(source, &format!("key {kid:?}"), key)?;
        anyhow::ensure!(
            bytes.len() >= MIN_JWT_KEY_LEN,
            "{source}: key {kid:?} is {} bytes; at least {MIN_JWT_KEY_LEN} are required",
            bytes.len()
        );
        out.push((kid.to_owned(), bytes));
    }
    anyhow::ensure!(!out.is_empty(), "{source}: no key");
    Ok(out)
}

/// Parses sealing keys: base64 entries (see [`entries`]), each exactly
/// [`SEALING_KEY_LEN`] bytes; the first seals, all open.
///
/// # Errors
/// A key that is not base64 or of the wrong length, or no entry at all.
pub fn parse_sealing_keys(text: &str, source: &str) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for (i, entry) in entries(text).enumerate() {
        let bytes = decode(source, &format!("key {}", i + 1), entry)?;
        anyhow::ensure!(
            bytes.len() == SEALING_KEY_LEN,
            "{source}: key {} is {} bytes; a sealing key is exactly {SEALING_KEY_LEN}",
            i + 1,
            bytes.len()
        );
        out.push(bytes);
    }
    anyhow::ensure!(!out.is_empty(), "{source}: no key");
    Ok(out)
}

fn read_file(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The JWT key ring, first key signing: `SERVICEDESK_JWT_KEYS` (`kid:base64` entries),
/// else the file named by `SERVICEDESK_JWT_KEYS_FILE` (one entry per line), else
/// `SERVICEDESK_JWT_SECRET` (one base64 key, id `k1`), else `data_dir/jwt.key` (id `k1`),
/// generated on first start with mode 0600. `var` reads a variable (the environment).
///
/// # Errors
/// As [`parse_jwt_keys`]; a file that cannot be read or created.
pub fn jwt_keys(
    var: &dyn Fn(&str) -> Option<String>,
    data_dir: &std::path::Path,
) -> Result<Vec<(String, Vec<u8>)>> {
    if let Some(text) = var("SERVICEDESK_JWT_KEYS") {
        return parse_jwt_keys(&text, "SERVICEDESK_JWT_KEYS");
    }
    if let Some(path) = var("SERVICEDESK_JWT_KEYS_FILE") {
        let path = std::path::PathBuf::from(path);
        return parse_jwt_keys(&read_file(&path)?, &path.display().to_string());
    }
    let (text, source) = match var("SERVICEDESK_JWT_SECRET") {
        Some(v) => (v, "SERVICEDESK_JWT_SECRET".to_owned()),
        None => key_file(data_dir, "jwt.key")?,
    };
    parse_jwt_keys(&format!("{DEFAULT_JWT_KID}:{}", text.trim()), &source)
}

/// The sealing keys, first sealing: `SERVICEDESK_SECRET_KEYS` (base64 entries), else the
/// file named by `SERVICEDESK_SECRET_KEYS_FILE`, else `SERVICEDESK_SECRET_KEY` (one key),
/// else `data_dir/secret-box.key`, generated on first start with mode 0600.
///
/// # Errors
/// As [`parse_sealing_keys`]; a file that cannot be read or created.
pub fn sealing_keys(
    var: &dyn Fn(&str) -> Option<String>,
    data_dir: &std::path::Path,
) -> Result<Vec<Vec<u8>>> {
    if let Some(text) = var("SERVICEDESK_SECRET_KEYS") {
        return parse_sealing_keys(&text, "SERVICEDESK_SECRET_KEYS");
    }
    if let Some(path) = var("SERVICEDESK_SECRET_KEYS_FILE") {
        let path = std::path::PathBuf::from(path);
        return parse_sealing_keys(&read_file(&path)?, &path.display().to_string());
    }
    let (text, source) = match var("SERVICEDESK_SECRET_KEY") {
        Some(v) => (v, "SERVICEDESK_SECRET_KEY".to_owned()),
        None => key_file(data_dir, "secret-box.key")?,
    };
    parse_sealing_keys(&text, &source)
}

/// The base64 text of `data_dir/file` and its path, the file created (32 random bytes,
/// owner-only mode 0600 on Unix) when missing. Several PostgreSQL-backed processes must
/// share the same keys: set the variables there.
fn key_file(data_dir: &std::path::Path, file: &str) -> Result<(String, String)> {
    let path = data_dir.join(file);
    let source = path.display().to_string();
    if path.exists() {
        return Ok((read_file(&path)?, source));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let bytes: Vec<u8> = (0..2)
        .flat_map(|_| uuid::Uuid::new_v4().into_bytes())
        .collect();
    let text = STANDARD.encode(&bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((text, source))
}
