//! One test binary for all of this crate's integration tests (one link instead of one per
//! file keeps CI fast): each file is a module; the shared harness is `common`.

#[macro_use]
mod common;

mod cache_triggers;
mod conformance_admin_removals;
mod conformance_attempts;
mod conformance_busy;
mod conformance_catalog;
mod conformance_child_pages;
mod conformance_concurrency;
mod conformance_delegations;
mod conformance_directory_sla;
mod conformance_incidents;
mod conformance_listing;
mod conformance_managers;
mod conformance_notifications;
mod conformance_outbox_audit;
mod conformance_pool;
mod conformance_queues;
mod conformance_reports;
mod conformance_sla_admin;
mod conformance_sla_monitor;
mod conformance_task_race;
mod feed_bridge;
mod migration_kernel;
