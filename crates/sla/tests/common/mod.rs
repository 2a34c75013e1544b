// Shared helpers for the integration tests; each test file includes this with `mod common;`.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use servicedesk_sla::{Calendar, WeeklyHours, WorkInterval};

pub fn utc(text: &str) -> DateTime<Utc> {
    text.parse()
        .unwrap_or_else(|e| panic!("bad instant {text:?}: {e}"))
}

pub fn date(text: &str) -> NaiveDate {
    text.parse()
        .unwrap_or_else(|e| panic!("bad date {text:?}: {e}"))
}

pub fn iv(start: &str, end: &str) -> WorkInterval {
    WorkInterval::parse(start, end).expect("valid interval")
}

pub fn hours(h: i64) -> TimeDelta {
    TimeDelta::hours(h)
}

pub fn minutes(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

/// Mon-Fri with the given intervals, no holidays.
pub fn office(zone: Tz, intervals: &[(&str, &str)]) -> Calendar {
    let intervals = intervals.iter().map(|(a, b)| iv(a, b)).collect();
    Calendar::new(zone, WeeklyHours::weekdays(intervals), []).expect("valid calendar")
}

/// Every day with the given intervals, no holidays.
pub fn daily(zone: Tz, intervals: &[(&str, &str)]) -> Calendar {
    let intervals = intervals.iter().map(|(a, b)| iv(a, b)).collect();
    Calendar::new(zone, WeeklyHours::every_day(intervals), []).expect("valid calendar")
}
