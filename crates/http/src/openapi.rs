//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::handlers::{
    admin, audit, auth, catalog, delegations, incidents, notifications, ops, requests, sla, stream,
    tickets,
};
use crate::problem::{Problem, ProblemField};
use crate::problem_responses::{ProblemResponses, UuidPatterns};

/// Registers the bearer scheme the handlers refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = api.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

/// The API description served at `/api/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Servicedesk API", description = "IT service desk: incidents, the service catalog, users, teams, roles. Errors are RFC 9457 problem+json."),
    paths(
        auth::login, auth::mfa_verify, auth::refresh, auth::logout, auth::mfa_enable, auth::mfa_confirm,
        auth::mfa_disable, auth::register, auth::verify_email, auth::password_reset, auth::password_confirm,
        auth::failed_logins, auth::mfa_recovery_codes, auth::reset_user_mfa, auth::user_mfa_status,
        auth::revoke_user_sessions,
        admin::list_users, admin::create_user, admin::me, admin::change_password, admin::get_user, admin::update_user,
        admin::list_orgs, admin::create_org, admin::list_teams, admin::create_team, admin::add_member,
        admin::remove_member, admin::list_roles, admin::create_role, admin::update_role, admin::delete_role,
        admin::permissions,
        delegations::list_delegations, delegations::create_delegation, delegations::remove_delegation,
        incidents::list, incidents::create, incidents::get, incidents::update, incidents::remove, incidents::restore,
        incidents::transition, incidents::assign, incidents::escalate, incidents::comments, incidents::add_comment,
        incidents::history, incidents::tasks, incidents::add_task, incidents::task_transition,
        tickets::list_tickets, tickets::get_ticket, tickets::list_links, tickets::add_link, tickets::remove_link, tickets::list_tasks,
        requests::create_service_request, requests::get_service_request, requests::service_request_transition,
        requests::service_request_comments, requests::add_service_request_comment, requests::service_request_history,
        requests::list_approvals, requests::approve_approval, requests::reject_approval,
        notifications::inbox, notifications::mark_read, notifications::preferences, notifications::set_preferences,
        notifications::list_webhooks, notifications::create_webhook, notifications::get_webhook,
        notifications::update_webhook, notifications::delete_webhook, notifications::deliveries,
        notifications::retry_delivery, notifications::org_settings, notifications::update_org_settings,
        ops::healthz, ops::readyz, ops::metrics,
        stream::stream,
        sla::list_calendars, sla::create_calendar, sla::get_calendar, sla::update_calendar, sla::due,
        sla::business_minutes, sla::list_policies, sla::create_policy, sla::get_policy, sla::update_policy,
        audit::list_audit_events,
        catalog::list_categories, catalog::create_category, catalog::list_items, catalog::create_item,
        catalog::get_item, catalog::update_item, catalog::get_item_version,
    ),
    components(schemas(Problem, ProblemField, stream::FeedFrame, stream::FeedTicketFrame)),
    modifiers(&BearerAuth, &ProblemResponses, &UuidPatterns),
    tags(
        (name = "auth", description = "Sign-in, tokens, MFA, registration, password reset"),
        (name = "users"), (name = "organizations"), (name = "teams"), (name = "roles"),
        (name = "incidents"), (name = "tickets", description = "Every kind of ticket: one queue, links between tickets"), (name = "tasks"), (name = "service-requests", description = "Catalog requests: forms, approvals, fulfilment"), (name = "approvals", description = "Decisions on service requests"), (name = "ops", description = "Health and metrics"),
        (name = "notifications", description = "In-app inbox and per-user channel preferences"),
        (name = "webhooks", description = "Outgoing webhooks (HMAC-SHA256 signed) and the delivery queue with its dead letters"),
        (name = "stream", description = "The live feed (WebSocket)"),
        (name = "sla", description = "Business calendars, SLA policies and the calendar math"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "catalog", description = "The service catalog: categories and versioned items with request forms and approval policies"),
    )
)]
pub struct ApiDoc;

/// The document as compact JSON, rendered on first use and kept: about 300 KB, where the
/// document's own structure takes several MiB of heap (it was built, and kept, once per
/// HTTP worker for the interactive docs).
pub fn document_json() -> &'static str {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JSON.get_or_init(|| serde_json::to_string(&ApiDoc::openapi()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc = ApiDoc::openapi();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for expected in [
            "/api/v1/auth/login",
            "/api/v1/auth/mfa/verify",
            "/api/v1/auth/refresh",
            "/api/v1/auth/logout",
            "/api/v1/auth/mfa/enable",
            "/api/v1/auth/mfa/confirm",
            "/api/v1/auth/mfa/disable",
            "/api/v1/auth/register",
            "/api/v1/auth/verify-email",
            "/api/v1/auth/password-reset",
            "/api/v1/auth/password-confirm",
            "/api/v1/users",
            "/api/v1/users/me",
            "/api/v1/users/me/password",
            "/api/v1/users/{id}",
            "/api/v1/organizations",
            "/api/v1/teams",
            "/api/v1/teams/{id}/members",
            "/api/v1/teams/{id}/members/{user_id}",
            "/api/v1/roles",
            "/api/v1/permissions",
            "/api/v1/incidents",
            "/api/v1/incidents/{id}",
            "/api/v1/incidents/{id}/restore",
            "/api/v1/incidents/{id}/transitions",
            "/api/v1/incidents/{id}/assign",
            "/api/v1/incidents/{id}/escalate",
            "/api/v1/incidents/{id}/comments",
            "/api/v1/incidents/{id}/history",
            "/api/v1/incidents/{id}/tasks",
            "/api/v1/tasks/{id}/transitions",
            "/healthz",
            "/readyz",
            "/metrics",
            "/api/v1/stream",
            "/api/v1/notifications",
            "/api/v1/notifications/{id}/read",
            "/api/v1/users/me/notification-preferences",
            "/api/v1/webhooks",
            "/api/v1/webhooks/{id}",
            "/api/v1/deliveries",
            "/api/v1/deliveries/{id}/retry",
            "/api/v1/organizations/{id}/settings",
            "/api/v1/calendars",
            "/api/v1/calendars/{id}",
            "/api/v1/calendars/{id}/due",
            "/api/v1/calendars/{id}/business-minutes",
            "/api/v1/sla-policies",
            "/api/v1/sla-policies/{id}",
            "/api/v1/audit-events",
            "/api/v1/roles/{name}",
            "/api/v1/catalog-categories",
            "/api/v1/catalog-items",
            "/api/v1/catalog-items/{id}",
            "/api/v1/catalog-items/{id}/versions/{version}",
            "/api/v1/users/me/delegations",
            "/api/v1/users/me/delegations/{id}",
        ] {
            assert!(
                doc.paths.paths.contains_key(expected),
                "{expected} missing from {paths:?}"
            );
        }
    }
}
