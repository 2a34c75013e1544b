//! The core of Servicedesk: entities, the ports (traits) adapters implement, domain events,
//! and the use cases.
//!
//! This crate does no I/O. Use cases are synchronous functions over ports: a service that
//! embeds them needs no async runtime. Every use case checks tenancy and access first,
//! validates input with field-level errors, runs the lifecycle state machine, updates the
//! SLA clocks and returns the domain events it produced, which the store writes to the
//! outbox in the same transaction as the change.
//!
//! ```
//! use servicedesk_core::priority::{Impact, Priority, Urgency};
//! assert_eq!(Priority::from_matrix(Impact::High, Urgency::Medium), Priority::High);
//! ```

pub mod actor;
pub mod approvals;
pub mod autoclose;
pub mod catalog;
pub mod dispatch;
pub mod entities;
pub mod error;
pub mod events;
pub mod feed;
pub mod identity;
pub mod ids;
pub mod monitor;
pub mod notify;
pub mod ports;
pub mod priority;
pub mod reports;
pub mod requests;
pub mod sla_settings;
pub mod tickets;
pub mod usecases;
pub mod visibility;

pub use actor::Actor;
pub use error::{Error, FieldError, Result};
pub use servicedesk_lifecycle as lifecycle;
pub use servicedesk_rbac as rbac;
pub use servicedesk_risk as risk;
pub use servicedesk_sla as sla;
