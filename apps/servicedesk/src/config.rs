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
    /// HMAC key(s) for access tokens.
    pub jwt_secret: Vec<u8>,
    /// Key for sealing TOTP secrets at rest.
    pub secret_key: Vec<u8>,
    /// Requests per minute per user (0 = off).
    pub rate_limit_per_minute: u32,
    /// Allowed CORS origins.
    pub cors_origins: Vec<String>,
    /// Largest JSON body, bytes.
    pub body_limit: usize,
    /// Database pool size.
    pub pool_size: u32,
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
        let jwt_secret = key("SERVICEDESK_JWT_SECRET", &data_dir, "jwt.key")?;
        let secret_key = key("SERVICEDESK_SECRET_KEY", &data_dir, "secret-box.key")?;
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
            secret_key,
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

/// A 32-byte key: from the environment (base64), else from `data_dir/file`, created with
/// random bytes on first start. Several PostgreSQL-backed processes must share the same
/// keys: set the variables there.
fn key(var: &str, data_dir: &std::path::Path, file: &str) -> Result<Vec<u8>> {
    if let Some(v) = env(var) {
        let bytes = STANDARD
            .decode(v.trim())
            .with_context(|| format!("{var} must be base64"))?;
        anyhow::ensure!(bytes.len() >= 32, "{var} must hold at least 32 bytes");
        return Ok(bytes);
    }
    let path = data_dir.join(file);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return STANDARD
            .decode(text.trim())
            .with_context(|| format!("{} is not base64", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let bytes: Vec<u8> = (0..2)
        .flat_map(|_| uuid::Uuid::new_v4().into_bytes())
        .collect();
    std::fs::write(&path, STANDARD.encode(&bytes))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(bytes)
}
