//! Shared harness of the black-box API tests: the real app started in-process on a random
//! port against a fresh database, a real SMTP server process, an HTTP client, and helpers
//! for tokens, TOTP codes and problem documents.
//!
//! - SQLite always runs: each app gets a database file in a temp dir of its own.
//! - PostgreSQL runs when `SERVICEDESK_TEST_PG` names a server (e.g.
//!   `postgres://postgres@127.0.0.1:5432/postgres`): each app creates `sd_api_<uuid>` there
//!   and drops it (`WITH (FORCE)`) on drop. When the variable is set the server must answer:
//!   an unreachable server fails the test instead of skipping it.
//! - Mail: `python3 -m aiosmtpd` with the handler in `sd_mailbox.py` (next to this file)
//!   stores every message as JSON in a temp dir. Without aiosmtpd the tests that need mail
//!   print "skipped: aiosmtpd not installed" and return, unless `SERVICEDESK_TEST_SMTP=1`
//!   (CI), where its absence fails them.
//!
//! [`api_tests!`] turns each `fn name(backend: Backend)` of a test file into
//! `sqlite::name` and `postgres::name`.

#![allow(dead_code, clippy::unwrap_used)]

pub mod receiver;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::{Value, json};
use servicedesk::{Config, Running};
use uuid::Uuid;

/// The environment variable naming a PostgreSQL server for the PG variants.
pub const PG_ENV: &str = "SERVICEDESK_TEST_PG";
/// Set to `1` where aiosmtpd must be installed (CI): its absence then fails mail tests.
pub const SMTP_ENV: &str = "SERVICEDESK_TEST_SMTP";
/// The platform admin created on first start.
pub const ADMIN_EMAIL: &str = "admin@servicedesk.test";
/// Its password.
pub const ADMIN_PASSWORD: &str = "Admin-password-2024";
/// The password of every other account the tests create.
pub const PASSWORD: &str = "correct horse battery staple";
/// The organization created on first start.
pub const DEFAULT_ORG: &str = "Default";
/// The JWT issuer and audience the app uses.
pub const JWT_ISSUER: &str = "servicedesk";
/// See [`JWT_ISSUER`].
pub const JWT_AUDIENCE: &str = "servicedesk-api";
/// The active key id.
pub const JWT_KID: &str = "k1";

/// Runs each named test body (a `fn name(backend: Backend)` of the including file) once on
/// SQLite (`sqlite::name`) and once on PostgreSQL (`postgres::name`, skipped with a message
/// when `SERVICEDESK_TEST_PG` is unset).
#[allow(unused_macros)]
macro_rules! api_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(crate::common::Backend::Sqlite);
                }
            )+
        }

        mod postgres {
            $(
                #[test]
                fn $name() {
                    if !crate::common::pg_enabled() {
                        println!("skipped: {} not set", crate::common::PG_ENV);
                        return;
                    }
                    super::$name(crate::common::Backend::Postgres);
                }
            )+
        }
    };
}

/// Which database the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A fresh database on the server named by `SERVICEDESK_TEST_PG`.
    Postgres,
}

/// True when `SERVICEDESK_TEST_PG` is set.
pub fn pg_enabled() -> bool {
    std::env::var(PG_ENV).is_ok_and(|v| !v.trim().is_empty())
}

/// Seconds since the Unix epoch, from the wall clock (the server reads the same clock).
#[allow(clippy::disallowed_methods)] // black-box tests share the server's wall clock
pub fn unix_now() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(d.as_secs()).unwrap()
}

// ---------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------

/// How to start the app.
#[derive(Clone)]
pub struct Options {
    /// Start a real SMTP server and point the app at it.
    pub mail: bool,
    /// `SERVICEDESK_RATE_LIMIT_PER_MINUTE` (0 = off).
    pub rate_limit_per_minute: u32,
    /// Largest JSON body.
    pub body_limit: usize,
    /// Self-registration on.
    pub registration: bool,
    /// Allowed CORS origins.
    pub cors_origins: Vec<String>,
    /// The server's clock (default: the system clock).
    pub clock: Option<std::sync::Arc<dyn servicedesk_core::ports::Clock>>,
    /// First retry delay of deliveries, in milliseconds.
    pub retry_base_ms: i64,
    /// Attempts before a delivery is dead.
    pub max_attempts: u32,
    /// `SERVICEDESK_WEBHOOK_ALLOW` (default `127.0.0.1`: the test receivers).
    pub webhook_allow: String,
    /// `SERVICEDESK_SMTP_URL` when `mail` is off (e.g. a server that never answers).
    pub smtp_url: Option<String>,
    /// `SERVICEDESK_TRUSTED_PROXIES` (none by default).
    pub trusted_proxies: servicedesk_http::extract::TrustedProxies,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mail: false,
            rate_limit_per_minute: 0,
            body_limit: 64 * 1024,
            registration: true,
            cors_origins: Vec::new(),
            clock: None,
            retry_base_ms: 5_000,
            max_attempts: 10,
            webhook_allow: "127.0.0.1".into(),
            smtp_url: None,
            trusted_proxies: Default::default(),
        }
    }
}

enum Database {
    Sqlite,
    Postgres { admin_url: String, name: String },
}

/// The app, serving on `127.0.0.1:<random port>` against a fresh database; stopped and
/// its database removed on drop.
pub struct TestApp {
    running: Option<Running>,
    /// The configuration it runs with (keys included, for forging tokens).
    pub config: Config,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The SMTP server receiving its mail, when started with `mail: true`.
    pub mailbox: Option<Mailbox>,
    http: ureq::Agent,
    database: Database,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// The app with default options (no SMTP server, no rate limit).
    pub fn start(backend: Backend) -> Self {
        Self::with(backend, Options::default()).expect("started without mail")
    }

    /// The app with a real SMTP server; `None` (after saying so) when aiosmtpd is missing
    /// and `SERVICEDESK_TEST_SMTP` is not `1`.
    pub fn start_with_mail(backend: Backend) -> Option<Self> {
        Self::with(
            backend,
            Options {
                mail: true,
                ..Options::default()
            },
        )
    }

    /// The app with `options`; `None` only when mail was asked for and is unavailable.
    pub fn with(backend: Backend, options: Options) -> Option<Self> {
        let mailbox = if options.mail {
            Some(Mailbox::start()?)
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("sd-api-")
            .tempdir()
            .unwrap();
        let (database_url, database) = match backend {
            Backend::Sqlite => (
                dir.path()
                    .join("servicedesk.db")
                    .to_str()
                    .unwrap()
                    .to_owned(),
                Database::Sqlite,
            ),
            Backend::Postgres => {
                let admin_url = std::env::var(PG_ENV)
                    .unwrap_or_else(|_| panic!("{PG_ENV} must be set for the PostgreSQL variant"));
                let name = format!("sd_api_{}", Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("{PG_ENV} is set to {admin_url:?} but the server cannot be reached: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
                (
                    with_database(&admin_url, &name),
                    Database::Postgres { admin_url, name },
                )
            }
        };
        let config = Config {
            database_url,
            bind: "127.0.0.1:0".into(),
            admin_email: ADMIN_EMAIL.into(),
            admin_password: Some(ADMIN_PASSWORD.into()),
            default_org: DEFAULT_ORG.into(),
            smtp_url: mailbox
                .as_ref()
                .map(|m| format!("smtp://127.0.0.1:{}", m.port))
                .or_else(|| options.smtp_url.clone()),
            mail_from: "Servicedesk <noreply@servicedesk.test>".into(),
            public_url: "http://desk.example.test".into(),
            jwt_secret: random_bytes(48),
            jwt_kid: JWT_KID.into(),
            jwt_retired: Vec::new(),
            secret_key: random_bytes(32),
            secret_keys_retired: Vec::new(),
            rate_limit_per_minute: options.rate_limit_per_minute,
            cors_origins: options.cors_origins.clone(),
            body_limit: options.body_limit,
            pool_size: 4,
            db_timeout: Duration::from_secs(5),
            registration: options.registration,
            data_dir: dir.path().join("data"),
            retry_base_delay: chrono::TimeDelta::milliseconds(options.retry_base_ms),
            max_attempts: options.max_attempts,
            auto_close_interval: Duration::from_secs(1),
            retention: servicedesk_core::notify::RetentionPolicy::default(),
            webhook_allow: servicedesk_core::notify::WebhookAllowList::parse(
                &options.webhook_allow,
            )
            .unwrap(),
            webhook_proxy: None,
            courier_limits: servicedesk::courier_pool::CourierLimits::default(),
            trusted_proxies: options.trusted_proxies.clone(),
            session_lifetime: chrono::TimeDelta::days(30),
        };
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        // From here on the database exists: a failed start still drops it (Drop below).
        let mut app = Self {
            running: None,
            config: config.clone(),
            base: String::new(),
            mailbox,
            http,
            database,
            _dir: dir,
        };
        let clock = options
            .clock
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(servicedesk_core::ports::SystemClock));
        let running = servicedesk::start_with_clock(config, clock)
            .unwrap_or_else(|e| panic!("the app did not start: {e:#}"));
        app.base = format!("http://{}", running.addr);
        app.running = Some(running);
        Some(app)
    }

    /// A request to `path` (from the root, e.g. `/healthz` or `/api/v1/users`).
    pub fn request(&self, method: &'static str, path: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// GET `/api/v1{path}` with a bearer token.
    pub fn get(&self, token: &str, path: &str) -> Resp {
        self.request("GET", &api(path)).bearer(token).send()
    }

    /// POST `/api/v1{path}` with a bearer token and a JSON body.
    pub fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.request("POST", &api(path))
            .bearer(token)
            .json(&body)
            .send()
    }

    /// PATCH `/api/v1{path}` with a bearer token and a JSON body.
    pub fn patch(&self, token: &str, path: &str, body: Value) -> Resp {
        self.request("PATCH", &api(path))
            .bearer(token)
            .json(&body)
            .send()
    }

    /// DELETE `/api/v1{path}` with a bearer token.
    pub fn delete(&self, token: &str, path: &str) -> Resp {
        self.request("DELETE", &api(path)).bearer(token).send()
    }

    /// POST `/api/v1{path}` without credentials.
    pub fn post_anon(&self, path: &str, body: Value) -> Resp {
        self.request("POST", &api(path)).json(&body).send()
    }

    /// `POST /auth/login`.
    pub fn login_raw(&self, email: &str, password: &str) -> Resp {
        self.post_anon(
            "/auth/login",
            json!({ "email": email, "password": password }),
        )
    }

    /// Signs in (no MFA) and checks the token answer.
    #[track_caller]
    pub fn login(&self, email: &str, password: &str) -> Session {
        let r = self.login_raw(email, password);
        r.status_is(200);
        Session::from_tokens(&r)
    }

    /// Runs `statement` on the app's database directly (PostgreSQL only), behind the
    /// app's back: what an operator's SQL or another tool would do.
    #[track_caller]
    pub fn sql(&self, statement: &str) {
        assert!(
            matches!(self.database, Database::Postgres { .. }),
            "sql() needs the PostgreSQL variant"
        );
        let mut conn = PgConnection::establish(&self.config.database_url).unwrap();
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }

    /// The platform admin's session.
    pub fn admin(&self) -> Session {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    }

    /// Creates a user through `POST /users` (201 checked) and returns its JSON.
    #[track_caller]
    pub fn create_user(
        &self,
        token: &str,
        email: &str,
        name: &str,
        role: &str,
        extra: Value,
    ) -> Value {
        let mut body = json!({ "email": email, "name": name, "password": PASSWORD, "role": role });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self.post(token, "/users", body);
        r.status_is(201);
        r.body
    }

    /// Opens an incident as `token` (201 checked) and returns its JSON.
    #[track_caller]
    pub fn open_incident(&self, token: &str, title: &str, impact: &str, urgency: &str) -> Value {
        let r = self.post(
            token,
            "/incidents",
            json!({
                "title": title,
                "description": format!("Details of {title}"),
                "impact": impact,
                "urgency": urgency,
            }),
        );
        r.status_is(201);
        r.body
    }

    /// The store of the running app (for checks the API cannot make).
    pub fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    /// The mailbox (the app must have been started with mail).
    pub fn mailbox(&self) -> &Mailbox {
        self.mailbox
            .as_ref()
            .expect("the app was started without an SMTP server")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop();
        }
        if let Database::Postgres { admin_url, name } = &self.database {
            match PgConnection::establish(admin_url) {
                Ok(mut admin) => {
                    if let Err(e) =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                    {
                        eprintln!("warning: cannot drop test database {name}: {e}");
                    }
                }
                Err(e) => eprintln!("warning: cannot drop test database {name}: {e}"),
            }
        }
    }
}

/// `/api/v1{path}`.
pub fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// `url` with its database name replaced by `name` (query string kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    std::iter::repeat_with(|| Uuid::new_v4().into_bytes())
        .flatten()
        .take(n)
        .collect()
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Req<'_> {
    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Any header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json(self, body: &Value) -> Self {
        self.raw("application/json", serde_json::to_vec(body).unwrap())
    }

    /// A body of any type.
    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self.header("content-type", content_type)
    }

    /// Sends it and reads the whole answer.
    pub fn send(self) -> Resp {
        let url = format!("{}{}", self.app.base, self.path);
        let mut builder = ureq::http::Request::builder().method(self.method).uri(&url);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let result = match self.body {
            Some(body) => self.app.http.run(builder.body(body).unwrap()),
            None => self.app.http.run(builder.body(()).unwrap()),
        };
        let mut res = result
            .unwrap_or_else(|e| panic!("{} {}: transport error: {e}", self.method, self.path));
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res
            .body_mut()
            .with_config()
            .limit(50 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_else(|e| panic!("{} {}: cannot read the body: {e}", self.method, self.path));
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            method: self.method,
            path: self.path,
            status,
            headers,
            text,
            body,
        }
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Resp {
    /// The request's method.
    pub method: &'static str,
    /// The request's path.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: ureq::http::HeaderMap,
    /// The body as text.
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
}

impl Resp {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts the status, showing the body otherwise.
    #[track_caller]
    pub fn status_is(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "{} {} answered {} (expected {status}): {}",
            self.method, self.path, self.status, self.text
        );
        self
    }

    /// Asserts an RFC 9457 problem document of `status`: the media type, `type`, `title`,
    /// `status`, `detail` and a `request_id` matching the `X-Request-Id` header.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Self {
        self.status_is(status);
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/problem+json"),
            "{} {}: content-type {ct:?}, expected application/problem+json; body {}",
            self.method,
            self.path,
            self.text
        );
        let b = &self.body;
        for key in ["type", "title", "detail", "request_id"] {
            assert!(
                b.get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "{} {}: problem without a string {key:?}: {}",
                self.method,
                self.path,
                self.text
            );
        }
        assert_eq!(
            b["status"],
            json!(status),
            "{} {}: problem status field: {}",
            self.method,
            self.path,
            self.text
        );
        assert_eq!(
            self.header("x-request-id").as_deref(),
            b["request_id"].as_str(),
            "{} {}: request_id must match the X-Request-Id header",
            self.method,
            self.path
        );
        self
    }

    /// The problem's `type`.
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }

    /// The `ETag` header.
    #[track_caller]
    pub fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("{} {}: no ETag header", self.method, self.path))
    }
}

// ---------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------

/// Tokens of a signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    /// The JWT.
    pub access: String,
    /// The opaque refresh token.
    pub refresh: String,
}

impl Session {
    /// Reads (and checks) a token answer.
    #[track_caller]
    pub fn from_tokens(r: &Resp) -> Self {
        let b = &r.body;
        assert_eq!(b["token_type"], "Bearer", "token answer: {}", r.text);
        assert!(
            b["expires_in"]
                .as_i64()
                .is_some_and(|s| s > 0 && s <= 15 * 60),
            "expires_in: {}",
            r.text
        );
        let access = b["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token: {}", r.text));
        let refresh = b["refresh_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no refresh_token: {}", r.text));
        assert_eq!(
            access.split('.').count(),
            3,
            "the access token is a JWT: {access}"
        );
        assert!(!refresh.is_empty());
        Self {
            access: access.to_owned(),
            refresh: refresh.to_owned(),
        }
    }
}

/// The current TOTP time step (Unix seconds / 30).
pub fn totp_step_now() -> u64 {
    u64::try_from(unix_now()).unwrap() / 30
}

/// The TOTP code of time step `step` for the base32 `secret` (SHA-1, 6 digits, 30 s), as
/// an authenticator app computes it.
pub fn totp_at(secret: &str, step: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret.trim()).expect("the MFA secret is base32");
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .build()
        .expect("a valid TOTP setup");
    totp.generate(step * 30).to_string()
}

/// Enables MFA for the session's user (enable → confirm with the current step's code) and
/// returns the secret, the recovery codes and the step the confirmation used (the server
/// accepts each step once, so the next login needs a later step).
#[track_caller]
pub fn enable_mfa(app: &TestApp, token: &str) -> (String, Vec<String>, u64) {
    enable_mfa_with(app, token, PASSWORD)
}

/// [`enable_mfa`] for an account whose password is `password` (MFA changes re-authenticate).
#[track_caller]
pub fn enable_mfa_with(app: &TestApp, token: &str, password: &str) -> (String, Vec<String>, u64) {
    let r = app.post(token, "/auth/mfa/enable", json!({ "password": password }));
    r.status_is(200);
    let secret = r.body["secret"].as_str().expect("secret").to_owned();
    let uri = r.body["otpauth_uri"].as_str().expect("otpauth_uri");
    assert!(uri.starts_with("otpauth://totp/"), "otpauth URI: {uri}");
    assert!(
        uri.contains(&format!("secret={secret}")),
        "the URI carries the secret: {uri}"
    );
    let r = app.post(
        token,
        "/auth/mfa/confirm",
        json!({ "password": password, "code": "123456x" }),
    );
    r.problem(422);
    let step = totp_step_now();
    let r = app.post(
        token,
        "/auth/mfa/confirm",
        json!({ "password": password, "code": totp_at(&secret, step) }),
    );
    r.status_is(200);
    let codes: Vec<String> = r.body["recovery_codes"]
        .as_array()
        .expect("recovery_codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes, step)
}

/// Encodes JSON as a base64url JWT segment.
pub fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// Decodes a base64url JWT segment as JSON.
pub fn json_b64(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// An HS256 JWT signed with `secret` under `kid`.
pub fn sign_jwt(secret: &[u8], kid: &str, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// Mail
// ---------------------------------------------------------------------------------------

/// A received mail, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// `To:` header.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

impl Mail {
    /// The token of the link in the text part (the link ends in `?token=TOKEN`,
    /// URL-encoded), decoded.
    #[track_caller]
    pub fn token(&self) -> String {
        let start = self
            .text
            .find("?token=")
            .unwrap_or_else(|| panic!("no ?token= link in {:?}", self.text));
        let rest = &self.text[start + "?token=".len()..];
        let raw: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !"\"'<>".contains(*c))
            .collect();
        assert!(!raw.is_empty(), "empty token in {:?}", self.text);
        percent_encoding::percent_decode_str(&raw)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }

    /// The link (`…?token=…`) in the text part.
    pub fn link(&self) -> String {
        let start = self.text.find("?token=").unwrap();
        let begin = self.text[..start]
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1);
        self.text[begin..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

/// A real SMTP server (`python3 -m aiosmtpd`) storing what it receives in a temp dir.
pub struct Mailbox {
    /// Where it listens on 127.0.0.1.
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

fn aiosmtpd_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Mailbox {
    /// Starts the server; `None` (after saying so) when aiosmtpd is not installed, unless
    /// `SERVICEDESK_TEST_SMTP=1`, where that is a failure.
    pub fn start() -> Option<Self> {
        if !aiosmtpd_available() {
            assert!(
                std::env::var(SMTP_ENV).as_deref() != Ok("1"),
                "{SMTP_ENV}=1 but `python3 -c 'import aiosmtpd'` fails: install it (pip install aiosmtpd)"
            );
            println!("skipped: aiosmtpd not installed");
            return None;
        }
        let handler_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("api")
            .join("common");
        let mut last_error = String::new();
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("sd-mail-")
                .tempdir()
                .unwrap();
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("smtpd.log")).unwrap();
            let mut child = Command::new("python3")
                .args([
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    &format!("127.0.0.1:{port}"),
                    "-c",
                    "sd_mailbox.Mailbox",
                ])
                .arg(dir.path().join("inbox").to_str().unwrap())
                .env("PYTHONPATH", &handler_dir)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("cannot run python3");
            std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "aiosmtpd exited with {status}: {}",
                        std::fs::read_to_string(dir.path().join("smtpd.log")).unwrap_or_default()
                    );
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Self { port, child, dir });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = "aiosmtpd did not listen within 20 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("cannot start the SMTP server: {last_error}");
    }

    fn inbox(&self) -> PathBuf {
        self.dir.path().join("inbox")
    }

    /// Stops the server (the port refuses connections until [`restart`](Self::restart)).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port, keeping what it received.
    pub fn restart(&mut self) {
        let handler_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("api")
            .join("common");
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("smtpd.log"))
            .unwrap();
        self.child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "sd_mailbox.Mailbox",
            ])
            .arg(self.inbox().to_str().unwrap())
            .env("PYTHONPATH", &handler_dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot run python3");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not come back");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every mail received so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.inbox())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                Mail {
                    rcpt_tos: v["rcpt_tos"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    to: v["to"].as_str().unwrap_or_default().to_owned(),
                    subject: v["subject"].as_str().unwrap_or_default().to_owned(),
                    text: v["text"].as_str().unwrap_or_default().to_owned(),
                    html: v["html"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }

    /// The mails to `address`.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.rcpt_tos.iter().any(|r| r.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (up to 30 s) until at least `n` mails to `address` arrived; returns them all.
    #[track_caller]
    pub fn wait_for(&self, address: &str, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mails = self.to(address);
            if mails.len() >= n {
                return mails;
            }
            if Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(self.dir.path().join("smtpd.log")).unwrap_or_default();
                panic!(
                    "{n} mail(s) to {address} expected within 30 s; got {}. Everything received: {:#?}\nSMTP log: {log}",
                    mails.len(),
                    self.messages()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The system clock moved forward by an adjustable amount (the server's Clock port in
/// tests that need time to pass: SLA deadlines, approval timeouts, auto-close).
#[derive(Default)]
pub struct ShiftClock {
    offset_secs: std::sync::atomic::AtomicI64,
}

impl ShiftClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.offset_secs
            .fetch_add(by.num_seconds(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl servicedesk_core::ports::Clock for ShiftClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        servicedesk_core::ports::SystemClock.now()
            + chrono::TimeDelta::seconds(self.offset_secs.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// Waits until `check` holds (30 s), else fails naming `what`.
#[track_caller]
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
