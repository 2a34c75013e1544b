//! Business calendars as clients write them: raw text checked field by field into a
//! [`Calendar`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use servicedesk_sla::{Calendar, SlaError, WeeklyHours, WorkInterval};

use crate::error::FieldError;

/// The weekday keys of `hours`, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Most working intervals one weekday may have.
pub const MAX_INTERVALS_PER_DAY: usize = 24;

/// Most holidays one calendar may list.
pub const MAX_HOLIDAYS: usize = 1000;

/// Wall-clock working intervals per weekday key (`mon` … `sun`), each a pair
/// `["09:00", "18:00"]`. A missing weekday is closed.
pub type HoursInput = BTreeMap<String, Vec<Vec<String>>>;

/// A new calendar, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarInput {
    /// Display name, unique in the organization (1–100 characters).
    pub name: String,
    /// IANA zone, e.g. `America/New_York`.
    pub time_zone: String,
    /// Working intervals per weekday.
    pub hours: HoursInput,
    /// Local dates (`YYYY-MM-DD`) on which nothing counts.
    pub holidays: Vec<String>,
}

/// Changes to a calendar (absent = unchanged; `hours` and `holidays` replace the whole
/// list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarPatch {
    /// New name.
    pub name: Option<String>,
    /// New zone.
    pub time_zone: Option<String>,
    /// New weekly hours (every weekday; a missing one is closed).
    pub hours: Option<HoursInput>,
    /// New holidays.
    pub holidays: Option<Vec<String>>,
}

impl CalendarPatch {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A display name: trimmed, 1–100 printable characters.
pub(super) fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid",
            "must be at most 100 printable characters",
        ));
    }
    Ok(name.to_owned())
}

/// An IANA zone name (blanks around it ignored), reported on field `time_zone`.
pub(crate) fn zone(raw: &str) -> Result<Tz, FieldError> {
    raw.trim().parse::<Tz>().map_err(|_| {
        FieldError::new(
            "time_zone",
            "unknown",
            format!("{raw:?} is not an IANA time zone such as Europe/Berlin"),
        )
    })
}

/// Weekly hours, every problem reported with its place (`hours.mon[1]`).
pub(super) fn hours(input: &HoursInput) -> Result<WeeklyHours, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut week = WeeklyHours::default();
    for (key, intervals) in input {
        let Some(index) = WEEKDAYS.iter().position(|d| d == key) else {
            errors.push(FieldError::new(
                &format!("hours.{key}"),
                "unknown_day",
                "weekdays are mon, tue, wed, thu, fri, sat, sun",
            ));
            continue;
        };
        if intervals.len() > MAX_INTERVALS_PER_DAY {
            errors.push(FieldError::new(
                &format!("hours.{key}"),
                "too_many",
                format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"),
            ));
            continue;
        }
        let mut day = Vec::with_capacity(intervals.len());
        for (i, interval) in intervals.iter().enumerate() {
            let field = format!("hours.{key}[{i}]");
            let [start, end] = interval.as_slice() else {
                errors.push(FieldError::new(
                    &field,
                    "invalid_interval",
                    "an interval is a pair [start, end] such as [\"09:00\", \"18:00\"]",
                ));
                continue;
            };
            match WorkInterval::parse(start, end) {
                Ok(interval) => day.push(interval),
                Err(SlaError::InvalidInterval { .. }) => errors.push(FieldError::new(
                    &field,
                    "end_not_after_start",
                    format!("{start}-{end}: the end must be later than the start"),
                )),
                Err(_) => errors.push(FieldError::new(
                    &field,
                    "invalid_time",
                    format!("{start}-{end}: times are HH:MM from 00:00 to 24:00"),
                )),
            }
        }
        day.sort_unstable();
        if let Some(pair) = day
            .windows(2)
            .find(|w| w[1].start_minute() < w[0].end_minute())
        {
            errors.push(FieldError::new(
                &format!("hours.{key}"),
                "overlap",
                format!("{} and {} overlap", pair[0], pair[1]),
            ));
        }
        if let Some(slot) = week.days.get_mut(index) {
            *slot = day;
        }
    }
    if errors.is_empty() && week.days.iter().all(Vec::is_empty) {
        errors.push(FieldError::new(
            "hours",
            "no_working_time",
            "at least one weekday needs working hours",
        ));
    }
    if errors.is_empty() {
        Ok(week)
    } else {
        Err(errors)
    }
}

/// Holidays as local dates `YYYY-MM-DD` (duplicates are one holiday).
pub(super) fn holidays(input: &[String]) -> Result<Vec<NaiveDate>, Vec<FieldError>> {
    if input.len() > MAX_HOLIDAYS {
        return Err(vec![FieldError::new(
            "holidays",
            "too_many",
            format!("at most {MAX_HOLIDAYS} holidays"),
        )]);
    }
    let mut errors = Vec::new();
    let mut dates = Vec::with_capacity(input.len());
    for (i, raw) in input.iter().enumerate() {
        match date(raw) {
            Some(d) => dates.push(d),
            None => errors.push(FieldError::new(
                &format!("holidays[{i}]"),
                "invalid_date",
                format!("{raw:?} is not a date YYYY-MM-DD between 1900 and 2200"),
            )),
        }
    }
    if errors.is_empty() {
        dates.sort_unstable();
        dates.dedup();
        Ok(dates)
    } else {
        Err(errors)
    }
}

fn date(raw: &str) -> Option<NaiveDate> {
    use chrono::Datelike;
    let raw = raw.trim();
    if raw.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2200).contains(&d.year()))
}

/// Builds the calendar, or every field error at once.
pub(super) fn calendar(
    zone: Result<Tz, FieldError>,
    hours: Result<WeeklyHours, Vec<FieldError>>,
    holidays: Result<Vec<NaiveDate>, Vec<FieldError>>,
    errors: &mut Vec<FieldError>,
) -> Option<Calendar> {
    let zone = zone.map_err(|e| errors.push(e)).ok();
    let hours = hours.map_err(|e| errors.extend(e)).ok();
    let holidays = holidays.map_err(|e| errors.extend(e)).ok();
    let (Some(zone), Some(hours), Some(holidays)) = (zone, hours, holidays) else {
        return None;
    };
    match Calendar::new(zone, hours, holidays) {
        Ok(calendar) => Some(calendar),
        // The checks above catch these first; kept so no calendar error is ever lost.
        Err(e) => {
            errors.push(FieldError::new("hours", "invalid", e.to_string()));
            None
        }
    }
}

/// The weekly hours as the API shows them: every weekday key, intervals as text pairs.
pub fn hours_output(hours: &WeeklyHours) -> Vec<(&'static str, Vec<(String, String)>)> {
    WEEKDAYS
        .iter()
        .zip(hours.days.iter())
        .map(|(key, day)| {
            (
                *key,
                day.iter()
                    .map(|i| (hhmm(i.start_minute()), hhmm(i.end_minute())))
                    .collect(),
            )
        })
        .collect()
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}
