//! Side effects a transition asks its caller to apply.

use serde::{Deserialize, Serialize};

/// Something the caller must do because a transition happened. The machines
/// stay pure: they say *what* follows (pause the SLA clocks, take the ticket),
/// the use cases do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The acting agent becomes the assignee (an agent starting an unassigned ticket takes it).
    TakeOwnership,
    /// Pause the running SLA clocks (the ticket waits on someone else).
    PauseSla,
    /// Resume paused SLA clocks.
    ResumeSla,
    /// Stop the resolution clock: the promise is kept or broken for good.
    StopResolutionSla,
    /// Restart a stopped resolution clock, keeping the time already consumed (reopen).
    RestartResolutionSla,
    /// Stop every SLA clock (cancel, close of a never-resolved item).
    StopAllSla,
    /// Store the resolution code and notes and the resolved-at instant.
    RecordResolution,
    /// Clear the resolution fields (reopen).
    ClearResolution,
    /// One more approval step is recorded; the item stays pending until the last one.
    RecordApproval,
    /// A standard change skips assessment: it is approved by its template.
    PreApproved,
    /// Publish the workaround to the linked incidents (known error).
    PublishWorkaround,
}
