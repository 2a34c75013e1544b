//! The incident use cases (INC, TKT-*).
//!
//! Every use case follows the same order, so a refusal never touches the store more than
//! it must:
//! 1. access pre-check: an actor none of whose roles grants the permission is refused
//!    before any store call;
//! 2. input validation (pure): field errors, no store call;
//! 3. load the incident in the actor's organization; one the actor may not read answers
//!    `NotFound` (never reveal that it exists); one it may read but not change answers
//!    `Forbidden`;
//! 4. lifecycle state machine and SLA clocks;
//! 5. one store write carrying the row, history, audit and outbox events, guarded by the
//!    version read.

pub(crate) mod access;
mod assign;
pub(crate) mod comment;
mod delete;
mod escalate;
mod list;
pub(crate) mod open;
pub(crate) mod record;
mod sla;
mod tasks;
mod transition;
mod update;
mod view;

#[cfg(test)]
pub(crate) mod tests;

use std::sync::Arc;

pub use assign::Assignment;
pub use escalate::Escalation;
pub use list::ListIncidents;
pub use open::OpenIncident;
pub use tasks::NewTaskInput;
pub use transition::TransitionRequest;
pub use update::UpdateIncident;
pub use view::{IncidentView, SlaTargetView, SlaView};

use crate::events::DomainEvent;
use crate::ids::IncidentId;
use crate::ports::{Clock, Directory, IdGenerator, IncidentStore, SlaCatalog};

/// What a write use case returns: the result and the events it produced (already stored in
/// the outbox by the same transaction).
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    /// The result.
    pub value: T,
    /// The domain events of the change (empty for a replayed idempotent create).
    pub events: Vec<DomainEvent>,
}

/// Which page of an incident's comments, history or tasks (`GET …?limit=&cursor=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size (default 50, 1–200).
    pub limit: Option<u32>,
}

impl PageRequest {
    /// The store query for this page, or the field errors of a bad limit.
    pub(crate) fn query(&self) -> crate::error::Result<crate::ports::ChildQuery> {
        use crate::ports::ChildQuery;
        let limit = self.limit.unwrap_or(ChildQuery::DEFAULT_LIMIT);
        if limit == 0 || limit > ChildQuery::MAX_LIMIT {
            return Err(crate::error::Error::invalid(
                "limit",
                "out_of_range",
                format!("must be between 1 and {}", ChildQuery::MAX_LIMIT),
            ));
        }
        Ok(ChildQuery {
            cursor: self.cursor.clone(),
            limit,
            internal: false,
            hidden_fields: Vec::new(),
        })
    }
}

/// A store page answer, with a cursor the listing did not make as a field error.
pub(crate) fn paged<T>(
    result: std::result::Result<crate::ports::Page<T>, crate::ports::StoreError>,
) -> crate::error::Result<crate::ports::Page<T>> {
    match result {
        Err(crate::ports::StoreError::NotFound("cursor")) => Err(crate::error::Error::invalid(
            "cursor",
            "invalid",
            "the cursor is not valid",
        )),
        other => Ok(other?),
    }
}

/// How a client names an incident: by id or by its human reference (`INC-42`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentRef {
    /// The opaque id.
    Id(IncidentId),
    /// The per-organization number.
    Number(i64),
}

impl IncidentRef {
    /// Parses a UUID or `INC-<n>` (case-insensitive); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(id) = text.parse::<IncidentId>() {
            return Some(Self::Id(id));
        }
        let (prefix, digits) = text.split_at_checked(4)?;
        if !prefix.eq_ignore_ascii_case("INC-") || digits.starts_with('+') {
            return None;
        }
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Self::Number)
    }
}

impl From<IncidentId> for IncidentRef {
    fn from(id: IncidentId) -> Self {
        Self::Id(id)
    }
}

/// The incident use cases over their ports.
#[derive(Clone)]
pub struct Incidents {
    store: Arc<dyn IncidentStore>,
    directory: Arc<dyn Directory>,
    sla: Arc<dyn SlaCatalog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl Incidents {
    /// Wires the use cases to their ports.
    pub fn new(
        store: Arc<dyn IncidentStore>,
        directory: Arc<dyn Directory>,
        sla: Arc<dyn SlaCatalog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            directory,
            sla,
            clock,
            ids,
        }
    }
}
