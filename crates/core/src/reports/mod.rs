//! The dashboards' figures (RPT-1): the open backlog by priority and age, SLA compliance,
//! time to resolve and to first answer, and the daily volume of the last 30 days — over the
//! tickets the actor may see (the one visibility rule, per kind), computed from narrow
//! store reads by pure functions (`figures`) so the arithmetic is tested without a database.
//! docs/console.md defines each figure.

mod figures;
mod port;
mod service;

pub use figures::{
    AGE_BUCKETS, AgeBucket, Backlog, BacklogRow, DayVolume, DeskFigures, DurationStats,
    SlaCompliance, WINDOW_DAYS, backlog, compliance, durations, volume, window_start,
};
pub use port::{OpenCount, ReportScope, ReportStore, TicketFact};
pub use service::{MAX_FACTS, Reports, WorkFigures};

#[cfg(any(test, feature = "mock"))]
pub use port::MockReportStore;
