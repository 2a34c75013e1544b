//! Half-open time windows.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::RiskError;

/// A half-open span of time `[start, end)`, always with `end > start`.
///
/// Half-open so that one window ending at 02:00 and another starting at 02:00
/// do not overlap: back-to-back changes are not conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WindowRepr")]
pub struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Window {
    /// Builds `[start, end)`.
    ///
    /// # Errors
    /// [`RiskError::InvalidWindow`] unless `end > start`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, RiskError> {
        if end <= start {
            return Err(RiskError::InvalidWindow { start, end });
        }
        Ok(Self { start, end })
    }

    /// First instant inside the window.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// First instant after the window.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// `end - start`, always positive.
    pub fn duration(&self) -> TimeDelta {
        self.end.signed_duration_since(self.start)
    }

    /// The part both windows share, or `None` when they do not overlap
    /// (touching ends do not overlap).
    pub fn overlap(&self, other: &Self) -> Option<Self> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(Self { start, end })
    }

    /// Whether the windows share at least one instant.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.overlap(other).is_some()
    }
}

/// The unvalidated wire shape, so deserialising cannot bypass [`Window::new`].
#[derive(Deserialize)]
struct WindowRepr {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TryFrom<WindowRepr> for Window {
    type Error = RiskError;

    fn try_from(repr: WindowRepr) -> Result<Self, Self::Error> {
        Self::new(repr.start, repr.end)
    }
}
