//! Weekly recurring maintenance hours, in UTC.

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::RiskError;
use crate::window::Window;

const DAY_SECONDS: i64 = 24 * 60 * 60;
const WEEK_SECONDS: i64 = 7 * DAY_SECONDS;

/// A moment in the UTC week, to the minute, e.g. Saturday 22:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WeekTimeRepr")]
pub struct WeekTime {
    day: Weekday,
    hour: u8,
    minute: u8,
}

impl WeekTime {
    /// `day` at `hour:minute` UTC.
    ///
    /// # Errors
    /// [`RiskError::InvalidTimeOfDay`] unless `hour < 24` and `minute < 60`.
    pub fn new(day: Weekday, hour: u8, minute: u8) -> Result<Self, RiskError> {
        if hour > 23 || minute > 59 {
            return Err(RiskError::InvalidTimeOfDay { hour, minute });
        }
        Ok(Self { day, hour, minute })
    }

    /// Day of the week.
    pub fn day(&self) -> Weekday {
        self.day
    }

    /// Hour, 0..=23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// Minute, 0..=59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// Seconds since Monday 00:00, in `0..WEEK_SECONDS`.
    fn second_of_week(self) -> i64 {
        i64::from(self.day.num_days_from_monday()) * DAY_SECONDS
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
    }
}

/// The unvalidated wire shape, so deserialising cannot bypass [`WeekTime::new`].
#[derive(Deserialize)]
struct WeekTimeRepr {
    day: Weekday,
    hour: u8,
    minute: u8,
}

impl TryFrom<WeekTimeRepr> for WeekTime {
    type Error = RiskError;

    fn try_from(repr: WeekTimeRepr) -> Result<Self, Self::Error> {
        Self::new(repr.day, repr.hour, repr.minute)
    }
}

/// A window recurring every week, `[start, end)`.
///
/// When `end` comes before `start` in the week (Monday 00:00 first), the
/// window runs across the week boundary: Sunday 22:00 – Monday 04:00. A
/// window that crosses midnight inside the week (Saturday 22:00 – Sunday
/// 06:00) needs nothing special.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WeeklyWindowRepr")]
pub struct WeeklyWindow {
    start: WeekTime,
    end: WeekTime,
}

impl WeeklyWindow {
    /// Every week from `start` to `end`.
    ///
    /// # Errors
    /// [`RiskError::EmptyWeeklyWindow`] when `start == end`.
    pub fn new(start: WeekTime, end: WeekTime) -> Result<Self, RiskError> {
        if start.second_of_week() == end.second_of_week() {
            return Err(RiskError::EmptyWeeklyWindow);
        }
        Ok(Self { start, end })
    }

    /// When each occurrence starts.
    pub fn start(&self) -> WeekTime {
        self.start
    }

    /// When each occurrence ends.
    pub fn end(&self) -> WeekTime {
        self.end
    }

    /// The window as one or two intervals of seconds in `[0, WEEK_SECONDS)`.
    fn push_segments(&self, out: &mut Vec<(i64, i64)>) {
        push_segments(self.start.second_of_week(), self.end.second_of_week(), out);
    }
}

/// The unvalidated wire shape, so deserialising cannot bypass [`WeeklyWindow::new`].
#[derive(Deserialize)]
struct WeeklyWindowRepr {
    start: WeekTime,
    end: WeekTime,
}

impl TryFrom<WeeklyWindowRepr> for WeeklyWindow {
    type Error = RiskError;

    fn try_from(repr: WeeklyWindowRepr) -> Result<Self, Self::Error> {
        Self::new(repr.start, repr.end)
    }
}

/// The maintenance hours of an organisation: any number of weekly windows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MaintenanceWindows {
    /// The weekly windows; they may overlap or touch.
    pub windows: Vec<WeeklyWindow>,
}

impl MaintenanceWindows {
    /// Maintenance hours made of `windows`.
    pub fn new(windows: Vec<WeeklyWindow>) -> Self {
        Self { windows }
    }

    /// Whether no maintenance hours are configured.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// Pushes `[start, end)` of the week circle, split at the week boundary.
fn push_segments(start: i64, end: i64, out: &mut Vec<(i64, i64)>) {
    if end > start {
        out.push((start, end));
    } else {
        out.push((start, WEEK_SECONDS));
        if end > 0 {
            out.push((0, end));
        }
    }
}

/// Seconds since the Monday 00:00 before `at`, rounded down.
fn second_of_week(at: DateTime<Utc>) -> i64 {
    i64::from(at.weekday().num_days_from_monday()) * DAY_SECONDS
        + i64::from(at.num_seconds_from_midnight())
}

/// Whether any instant of `window` falls outside every maintenance window.
///
/// `false` when no maintenance hours are configured: an organisation without
/// them has not asked for changes to be confined, so nothing is penalised.
///
/// Maintenance windows repeat weekly, so the planned window is folded onto
/// one week and compared there; a planned window of a week or longer must
/// therefore be covered around the clock. Maintenance boundaries are whole
/// minutes, so widening the planned window to whole seconds (start down, end
/// up) changes no answer.
pub fn outside_maintenance(window: &Window, maintenance: &MaintenanceWindows) -> bool {
    if maintenance.is_empty() {
        return false;
    }

    let mut covered = Vec::with_capacity(maintenance.windows.len() * 2);
    for weekly in &maintenance.windows {
        weekly.push_segments(&mut covered);
    }
    covered.sort_unstable();
    let covered = merge(covered);

    let start_ts = window.start().timestamp();
    let end_ts = window.end().timestamp() + i64::from(window.end().timestamp_subsec_nanos() > 0);
    let length = end_ts - start_ts;
    let mut planned = Vec::with_capacity(2);
    if length >= WEEK_SECONDS {
        planned.push((0, WEEK_SECONDS));
    } else {
        let start = second_of_week(window.start());
        push_segments(start, (start + length) % WEEK_SECONDS, &mut planned);
    }

    planned
        .iter()
        .any(|&(a, b)| !covered.iter().any(|&(c, d)| c <= a && b <= d))
}

/// Joins sorted intervals that overlap or touch, so a planned segment is
/// covered by the union exactly when one merged interval contains it.
fn merge(sorted: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(sorted.len());
    for (start, end) in sorted {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}
