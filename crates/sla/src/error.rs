//! The one error type of this crate.

use chrono::Weekday;
use thiserror::Error;

/// Why a calendar or one of its parts could not be built.
///
/// Only construction can fail: once a [`crate::Calendar`] exists, every
/// business-time computation on it is total.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SlaError {
    /// A wall-clock time was not of the form `HH:MM` (00:00 ..= 24:00).
    #[error("invalid time of day {value:?}: expected HH:MM between 00:00 and 24:00")]
    InvalidTimeOfDay {
        /// The text that was rejected.
        value: String,
    },

    /// An interval ends after 24:00 or does not end after it starts.
    #[error(
        "invalid working interval {start_minute}..{end_minute}: \
         need start < end <= 1440 minutes after midnight"
    )]
    InvalidInterval {
        /// Minutes after local midnight at which the interval starts.
        start_minute: u16,
        /// Minutes after local midnight at which the interval ends.
        end_minute: u16,
    },

    /// Two working intervals of the same weekday overlap.
    #[error("working intervals {first} and {second} overlap on {weekday}")]
    OverlappingIntervals {
        /// The day on which they overlap.
        weekday: Weekday,
        /// The earlier interval, as `HH:MM-HH:MM`.
        first: String,
        /// The later interval, as `HH:MM-HH:MM`.
        second: String,
    },

    /// Every weekday is empty, so no amount of business time could ever elapse.
    #[error("calendar has no working time on any weekday")]
    NoWorkingTime,

    /// A time zone name that is not in the IANA database shipped with chrono-tz.
    #[error("unknown time zone {name:?}")]
    UnknownTimeZone {
        /// The name that was rejected.
        name: String,
    },
}
