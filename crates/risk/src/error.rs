//! The one error type of this crate.

use chrono::{DateTime, Utc};
use thiserror::Error;

/// Why a value could not be built.
///
/// Every variant is a validation failure at the edge: once a [`crate::Window`],
/// [`crate::FailureHistory`], [`crate::WeekTime`] or [`crate::WeeklyWindow`]
/// exists it is valid, so scoring and conflict detection themselves never fail.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RiskError {
    /// A window must end strictly after it starts (windows are half-open).
    #[error("window end {end} must be after its start {start}")]
    InvalidWindow {
        /// The start that was given.
        start: DateTime<Utc>,
        /// The end that was given (not after `start`).
        end: DateTime<Utc>,
    },
    /// More failed changes than changes in total.
    #[error("{failed} failed changes cannot exceed {total} changes in total")]
    FailuresExceedTotal {
        /// Failed changes that were given.
        failed: u32,
        /// Total changes that were given.
        total: u32,
    },
    /// An hour outside 0..=23 or a minute outside 0..=59.
    #[error("invalid time of day {hour:02}:{minute:02}")]
    InvalidTimeOfDay {
        /// The hour that was given.
        hour: u8,
        /// The minute that was given.
        minute: u8,
    },
    /// A weekly window whose start equals its end is ambiguous (empty or the
    /// whole week), so it is refused.
    #[error("a weekly maintenance window must not start and end at the same time")]
    EmptyWeeklyWindow,
}
