//! A stage's due time and reminder, in business hours of a calendar.

use chrono::{DateTime, TimeDelta, Utc};
use servicedesk_sla::Calendar;

use super::policy::StageDef;

/// When a stage is due: `due_hours` of business time of `calendar` after `started_at`
/// (the sla crate's arithmetic: a start outside working hours counts from the next
/// opening).
pub fn stage_due(started_at: DateTime<Utc>, due_hours: u32, calendar: &Calendar) -> DateTime<Utc> {
    calendar.add_business_time(started_at, TimeDelta::hours(i64::from(due_hours)))
}

/// When the reminder of a stage goes out: `reminder_percent` of `due_hours` of business
/// time after `started_at`, to the second. `None` for 0 % (no reminder) and for 100 % or
/// more (it would coincide with or follow the timeout).
pub fn reminder_at(
    started_at: DateTime<Utc>,
    due_hours: u32,
    reminder_percent: u8,
    calendar: &Calendar,
) -> Option<DateTime<Utc>> {
    if reminder_percent == 0 || reminder_percent >= 100 {
        return None;
    }
    let seconds = i64::from(due_hours) * 3600 * i64::from(reminder_percent) / 100;
    Some(calendar.add_business_time(started_at, TimeDelta::seconds(seconds)))
}

/// A started stage's reminder and due instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTiming {
    /// When to remind undecided approvers, if at all.
    pub remind_at: Option<DateTime<Utc>>,
    /// When `on_timeout` applies.
    pub due_at: DateTime<Utc>,
}

/// [`reminder_at`] and [`stage_due`] of a stage started at `started_at`.
pub fn stage_timing(
    stage: &StageDef,
    started_at: DateTime<Utc>,
    calendar: &Calendar,
) -> StageTiming {
    StageTiming {
        remind_at: reminder_at(
            started_at,
            stage.due_hours,
            stage.reminder_percent,
            calendar,
        ),
        due_at: stage_due(started_at, stage.due_hours, calendar),
    }
}
