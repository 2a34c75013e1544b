//! The Servicedesk REST API as an actix-web configuration that can be mounted in any actix
//! app (PLT-9): thin handlers that call the core use cases on the blocking pool, every error
//! as RFC 9457 problem+json with a request id, an OpenAPI 3 document at `/api/openapi.json`
//! and an interactive page at `/api/docs` (assets embedded), CORS, security headers, body
//! limits and a per-user rate limit.
//!
//! ```no_run
//! # fn demo(state: servicedesk_http::AppState) {
//! use actix_web::{App, web};
//! let state = web::Data::new(state);
//! let app = App::new().configure(|cfg| servicedesk_http::configure(cfg, state.clone()));
//! # }
//! ```

pub mod dto;
pub mod extract;
pub mod fallback;
pub mod feed;
pub mod handlers;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod problem_responses;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::web;
use servicedesk_core::approvals::Delegations;
use servicedesk_core::identity::{Administration, Authenticator};
use servicedesk_core::notify::Notifications;
use servicedesk_core::ports::Clock;
use servicedesk_core::sla_settings::SlaSettings;
use servicedesk_core::usecases::Incidents;
use utoipa_swagger_ui::SwaggerUi;

use crate::feed::FeedHub;
use crate::handlers::{
    admin, audit, auth, catalog, delegations, incidents, notifications, ops, requests, sla, stream,
    tickets,
};
use crate::middleware::{Metrics, RateLimit};

/// Default largest JSON body (PLT-7).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// What the handlers share.
pub struct AppState {
    /// Incident use cases.
    pub incidents: Incidents,
    /// Service requests and their approvals.
    pub requests: servicedesk_core::requests::ServiceRequests,
    /// The ticket kernel's use cases (queues across kinds, links, tasks across parents).
    pub tickets: servicedesk_core::tickets::Tickets,
    /// Authentication use cases.
    pub auth: Authenticator,
    /// Administration use cases.
    pub admin: Administration,
    /// Delegations of approvals (`/users/me/delegations`).
    pub delegations: Delegations,
    /// Notification use cases (inbox, preferences, webhooks, deliveries).
    pub notifications: Notifications,
    /// SLA settings: calendars and policies.
    pub sla: SlaSettings,
    /// The service catalog: categories and versioned items.
    pub catalog: servicedesk_core::catalog::Catalog,
    /// The audit log.
    pub audit: servicedesk_core::identity::AuditTrail,
    /// True when the database answers.
    pub readiness: Arc<dyn Fn() -> bool + Send + Sync>,
    /// The `/metrics` registry: request series here, workers' and scrape-time series added
    /// by the app.
    pub metrics: Arc<Metrics>,
    /// Per-user request budget; `None` when off.
    pub rate_limit: Option<Arc<RateLimit>>,
    /// Largest JSON body accepted.
    pub body_limit: usize,
    /// The live feed of this process, which `GET /api/v1/stream` sockets subscribe to.
    pub feed: Arc<FeedHub>,
    /// The clock (when a live-feed socket's token expires).
    pub clock: Arc<dyn Clock>,
    /// Proxies whose forwarding headers name the client (`SERVICEDESK_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<extract::TrustedProxies>,
    /// The console's origin (`scheme://host[:port]` of `SERVICEDESK_PUBLIC_URL`): a live-feed
    /// socket opened from it may authenticate with the console's session cookie.
    pub console_origin: String,
    /// The name of the console's access-token cookie (`servicedesk_web::access_cookie`:
    /// `__Host-sd_at` behind https, `sd_at` otherwise), which such a socket may present.
    pub console_cookie: String,
}

/// Mounts the API: `/api/v1/...`, `/api/openapi.json`, `/api/docs`, `/healthz`, `/readyz`,
/// `/metrics`. Set [`unmatched`] as the app's default service for the problem+json 404. Wrap the app in [`cors`] and the
/// [`middleware::request_context`] middleware (the binary does).
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    let limit = state.body_limit;
    cfg.app_data(state)
        .app_data(extract::json_config(limit))
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .app_data(web::PayloadConfig::new(limit))
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(ops::openapi_json)
        .service(ops::docs_openapi_json)
        .service(ops::docs_redirect)
        // The interactive docs fetch the one rendered document; given the document itself,
        // the UI would keep its own copy per HTTP worker.
        .service(
            SwaggerUi::new("/api/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::from("/api/docs/openapi.json")),
        )
        .service(
            // One scope per first path segment: actix tries routes in order and runs a
            // regex for each dynamic one, so a flat list made every request pay for the
            // routes registered before its own; a scope's static prefix is a string compare.
            web::scope("/api/v1")
                .wrap(from_fn(middleware::rate_limit))
                .service(
                    web::scope("/auth")
                        .service(auth::login)
                        .service(auth::mfa_verify)
                        .service(auth::refresh)
                        .service(auth::logout)
                        .service(auth::mfa_enable)
                        .service(auth::mfa_confirm)
                        .service(auth::mfa_disable)
                        .service(auth::register)
                        .service(auth::verify_email)
                        .service(auth::password_reset)
                        .service(auth::password_confirm)
                        .service(auth::failed_logins)
                        .service(auth::mfa_recovery_codes),
                )
                .service(
                    web::scope("/users")
                        .service(auth::reset_user_mfa)
                        .service(auth::user_mfa_status)
                        .service(auth::revoke_user_sessions)
                        .service(admin::list_users)
                        .service(admin::create_user)
                        .service(admin::me)
                        .service(admin::change_password)
                        .service(delegations::list_delegations)
                        .service(delegations::create_delegation)
                        .service(delegations::remove_delegation)
                        .service(admin::get_user)
                        .service(admin::update_user)
                        .service(notifications::preferences)
                        .service(notifications::set_preferences),
                )
                .service(
                    web::scope("/organizations")
                        .service(admin::list_orgs)
                        .service(admin::create_org)
                        .service(notifications::org_settings)
                        .service(notifications::update_org_settings),
                )
                .service(
                    web::scope("/teams")
                        .service(admin::list_teams)
                        .service(admin::create_team)
                        .service(admin::add_member)
                        .service(admin::remove_member),
                )
                .service(
                    web::scope("/roles")
                        .service(admin::list_roles)
                        .service(admin::create_role)
                        .service(admin::update_role)
                        .service(admin::delete_role),
                )
                .service(web::scope("/permissions").service(admin::permissions))
                .service(
                    web::scope("/incidents")
                        .service(incidents::list)
                        .service(incidents::create)
                        .service(incidents::get)
                        .service(incidents::update)
                        .service(incidents::remove)
                        .service(incidents::restore)
                        .service(incidents::transition)
                        .service(incidents::assign)
                        .service(incidents::escalate)
                        .service(incidents::comments)
                        .service(incidents::add_comment)
                        .service(incidents::history)
                        .service(incidents::tasks)
                        .service(incidents::add_task),
                )
                .service(
                    web::scope("/tasks")
                        .service(incidents::task_transition)
                        .service(tickets::list_tasks),
                )
                .service(
                    web::scope("/tickets")
                        .service(tickets::list_tickets)
                        .service(tickets::get_ticket)
                        .service(tickets::list_links)
                        .service(tickets::add_link)
                        .service(tickets::remove_link),
                )
                .service(
                    web::scope("/service-requests")
                        .service(requests::create_service_request)
                        .service(requests::get_service_request)
                        .service(requests::service_request_comments)
                        .service(requests::add_service_request_comment)
                        .service(requests::service_request_history)
                        .service(requests::service_request_transition),
                )
                .service(
                    web::scope("/approvals")
                        .service(requests::list_approvals)
                        .service(requests::approve_approval)
                        .service(requests::reject_approval),
                )
                .service(
                    web::scope("/notifications")
                        .service(notifications::inbox)
                        .service(notifications::mark_read),
                )
                .service(
                    web::scope("/webhooks")
                        .service(notifications::list_webhooks)
                        .service(notifications::create_webhook)
                        .service(notifications::get_webhook)
                        .service(notifications::update_webhook)
                        .service(notifications::delete_webhook),
                )
                .service(
                    web::scope("/deliveries")
                        .service(notifications::deliveries)
                        .service(notifications::retry_delivery),
                )
                .service(web::scope("/stream").service(stream::stream))
                .service(
                    web::scope("/calendars")
                        .service(sla::list_calendars)
                        .service(sla::create_calendar)
                        .service(sla::get_calendar)
                        .service(sla::update_calendar)
                        .service(sla::due)
                        .service(sla::business_minutes),
                )
                .service(
                    web::scope("/sla-policies")
                        .service(sla::list_policies)
                        .service(sla::create_policy)
                        .service(sla::get_policy)
                        .service(sla::update_policy),
                )
                .service(
                    web::scope("/catalog-categories")
                        .service(catalog::list_categories)
                        .service(catalog::create_category),
                )
                .service(
                    web::scope("/catalog-items")
                        .service(catalog::list_items)
                        .service(catalog::create_item)
                        .service(catalog::get_item)
                        .service(catalog::update_item)
                        .service(catalog::get_item_version),
                )
                .service(web::scope("/audit-events").service(audit::list_audit_events)),
        );
}

/// The API's answer for a path nobody serves: problem+json 404 (or 405 naming the methods
/// a documented path takes). The app sets it as its default service; the console's pages
/// answer their own 404s outside `/api`.
pub use fallback::unmatched;

/// CORS for browser clients: the listed origins (none: same-origin only), any method the
/// API uses, the headers it reads, and the ones it sets exposed.
pub fn cors(allowed_origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::IF_MATCH,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            actix_web::http::header::ETAG,
            actix_web::http::header::RETRY_AFTER,
            middleware::REQUEST_ID,
        ])
        .max_age(3600);
    for origin in allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
