//! One test binary for all of this crate's integration tests (one link instead of one per
//! file keeps CI fast): each file is a module; the shared harness is `common`.

#[macro_use]
mod common;

mod api_admin_console;
mod api_attacks;
mod api_catalog;
mod api_hardening_argon2;
mod api_hardening_audit;
mod api_hardening_auth;
mod api_hardening_bounds;
mod api_hardening_isolation;
mod api_hardening_keys;
mod api_hardening_privileges;
mod api_hardening_visibility;
mod api_hardening_webhooks;
mod api_journey;
mod api_managers;
mod api_notifications;
mod api_openapi;
mod api_ops;
mod api_requests;
mod api_sla;
mod api_stream;
mod api_tickets;
mod api_user_sessions;
mod pg_restart;
mod serve_processes;
