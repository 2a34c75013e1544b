//! The web console (PLT-11): server-rendered pages for requesters, agents, managers and
//! admins, mounted by the app at `/` beside the API (`/api`). Every handler calls the same
//! core use cases as the API and none touches the store. Templates are minijinja files
//! embedded in the binary; CSS and the one JavaScript module are embedded too and served
//! under content-hashed names. See `docs/console.md`.

mod assets;
mod charts;
mod error;
mod forms;
mod pages;
mod render;
mod session;
mod view;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::web;
use servicedesk_core::catalog::Catalog;
use servicedesk_core::identity::{Administration, Authenticator};
use servicedesk_core::notify::Notifications;
use servicedesk_core::ports::Clock;
use servicedesk_core::reports::Reports;
use servicedesk_core::requests::ServiceRequests;
use servicedesk_core::sla_settings::SlaSettings;
use servicedesk_core::tickets::Tickets;
use servicedesk_core::usecases::Incidents;

pub use error::WebError;

/// What the console's handlers work with: the use cases (the same instances the API
/// holds) and the console's own settings.
#[derive(Clone)]
pub struct Console {
    /// Incident use cases.
    pub incidents: Incidents,
    /// The ticket kernel (queues across kinds, links).
    pub tickets: Tickets,
    /// Service requests and approvals.
    pub requests: ServiceRequests,
    /// The service catalog.
    pub catalog: Catalog,
    /// Sign-in, sessions, registration, password reset, MFA.
    pub auth: Authenticator,
    /// Users, teams, roles, organizations.
    pub admin: Administration,
    /// The in-app inbox and preferences.
    pub notifications: Notifications,
    /// The dashboards' figures.
    pub reports: Reports,
    /// Calendars and SLA policies.
    pub sla: SlaSettings,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub settings: ConsoleSettings,
}

/// The console's settings, from the app's configuration.
#[derive(Clone)]
pub struct ConsoleSettings {
    /// The public base URL (`SERVICEDESK_PUBLIC_URL`): cookies are `Secure` when it is
    /// https, and it is the one origin the console's forms and scripts come from.
    pub public_url: String,
    /// The key CSRF tokens are derived with (never leaves the server).
    pub csrf_key: [u8; 32],
    /// Who the client is (the address sign-in throttling counts): the app passes the
    /// API's resolver, so `SERVICEDESK_TRUSTED_PROXIES` applies to both alike.
    pub client_ip: fn(&actix_web::HttpRequest) -> String,
    /// The request budget (`SERVICEDESK_RATE_LIMIT_PER_MINUTE`): given a key
    /// (`user:<id>` for a signed-in person, `ip:<client>` for visitors), `Err(seconds to
    /// wait)` past it. The app passes the API's limiter, so a person's console and API
    /// requests share one budget, and an office behind one NAT is many people. `None`: off.
    pub rate_limit: Option<RateCheck>,
}

/// A keyed rate-limit check: `Ok`, or the seconds to wait.
pub type RateCheck = Arc<dyn Fn(String) -> Result<(), u64> + Send + Sync>;

/// The name of the console's access-token cookie for a console at `public_url` (the live
/// feed takes it from the console's own pages).
pub fn access_cookie(public_url: &str) -> String {
    session::cookie_name(public_url.starts_with("https://"), session::ACCESS)
}

impl ConsoleSettings {
    /// True when the public URL is https (cookies get `Secure`).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// True for the paths the console answers: all but `/api/…` and the operations endpoints.
fn is_console_path(path: &str) -> bool {
    !(path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics"))
}

/// Mounts the console at `/`: pages, `/assets/*`, and a 404 page for anything else under
/// it. Mount it after the API so `/api`, `/healthz`, `/readyz` and `/metrics` keep theirs.
pub fn configure(cfg: &mut web::ServiceConfig, console: web::Data<Console>) {
    cfg.app_data(console)
        .app_data(forms::form_config())
        .service(assets::asset)
        .service(
            // Everything but the API and the operations endpoints: those keep their own
            // answers (problem+json, plain text) for paths and methods they do not serve.
            web::scope("")
                .guard(actix_web::guard::fn_guard(|ctx| {
                    is_console_path(ctx.head().uri.path())
                }))
                .app_data(forms::query_config())
                .wrap(from_fn(session::session_middleware))
                .configure(pages::routes)
                .default_service(web::to(pages::not_found)),
        );
}
