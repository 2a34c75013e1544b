//! Unit tests of the incident use cases against mockall mocks of the ports.
//!
//! A mock with no expectation set panics when called, so a test that builds the use cases
//! from bare mocks proves the refused call never reached the store.

mod assign_escalate;
mod comments;
pub(crate) mod fixture;
mod list_delete;
mod open;
mod sla_calendar;
mod tasks;
mod transitions;
mod update;
