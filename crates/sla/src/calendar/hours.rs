//! Wall-clock working hours: intervals of one day and the weekly pattern.

use std::fmt;

use chrono::Weekday;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::SlaError;

/// Minutes in a day; an interval may end here (24:00 = next day's 00:00).
pub(crate) const MINUTES_PER_DAY: u16 = 24 * 60;

/// A working interval `[start, end)` of local wall-clock time, in minutes since
/// local midnight. `start < end <= 1440`; an end of 1440 is written `24:00` and
/// means the next local date's 00:00.
///
/// Serialized as a pair of strings, e.g. `["09:00", "18:00"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkInterval {
    start: u16,
    end: u16,
}

impl WorkInterval {
    /// 00:00-24:00, the whole local day.
    pub const WHOLE_DAY: Self = Self {
        start: 0,
        end: MINUTES_PER_DAY,
    };

    /// An interval from `start_minute` to `end_minute` after local midnight.
    ///
    /// # Errors
    /// [`SlaError::InvalidInterval`] unless `start_minute < end_minute <= 1440`.
    pub fn new(start_minute: u16, end_minute: u16) -> Result<Self, SlaError> {
        if start_minute < end_minute && end_minute <= MINUTES_PER_DAY {
            Ok(Self {
                start: start_minute,
                end: end_minute,
            })
        } else {
            Err(SlaError::InvalidInterval {
                start_minute,
                end_minute,
            })
        }
    }

    /// Parses two `HH:MM` wall-clock times, e.g. `("09:00", "24:00")`.
    ///
    /// # Errors
    /// [`SlaError::InvalidTimeOfDay`] for text that is not a time between
    /// 00:00 and 24:00, [`SlaError::InvalidInterval`] when `end <= start`.
    pub fn parse(start: &str, end: &str) -> Result<Self, SlaError> {
        Self::new(parse_time_of_day(start)?, parse_time_of_day(end)?)
    }

    /// Minutes after local midnight at which the interval starts.
    pub fn start_minute(&self) -> u16 {
        self.start
    }

    /// Minutes after local midnight at which the interval ends (1440 = 24:00).
    pub fn end_minute(&self) -> u16 {
        self.end
    }

    /// Wall-clock length of the interval in minutes (not real time on a DST day).
    pub fn wall_minutes(&self) -> u16 {
        self.end - self.start
    }
}

impl fmt::Display for WorkInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            format_time_of_day(self.start),
            format_time_of_day(self.end)
        )
    }
}

impl Serialize for WorkInterval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (format_time_of_day(self.start), format_time_of_day(self.end)).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WorkInterval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (start, end) = <(String, String)>::deserialize(deserializer)?;
        Self::parse(&start, &end).map_err(serde::de::Error::custom)
    }
}

/// `H:MM` or `HH:MM`, 00:00 ..= 24:00.
fn parse_time_of_day(text: &str) -> Result<u16, SlaError> {
    let invalid = || SlaError::InvalidTimeOfDay {
        value: text.to_owned(),
    };
    let (hours, minutes) = text.split_once(':').ok_or_else(invalid)?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || hours.len() > 2 || !all_digits(minutes) || minutes.len() != 2 {
        return Err(invalid());
    }
    let hours: u16 = hours.parse().map_err(|_| invalid())?;
    let minutes: u16 = minutes.parse().map_err(|_| invalid())?;
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > MINUTES_PER_DAY {
        return Err(invalid());
    }
    Ok(total)
}

fn format_time_of_day(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Working intervals per weekday, index 0 = Monday .. 6 = Sunday.
///
/// As given by the user this may be unsorted; [`crate::Calendar::new`] sorts
/// it, merges touching intervals and rejects overlaps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours {
    /// The intervals of each weekday, Monday first.
    pub days: [Vec<WorkInterval>; 7],
}

impl WeeklyHours {
    /// The same intervals Monday to Friday, nothing at the weekend.
    pub fn weekdays(intervals: Vec<WorkInterval>) -> Self {
        let mut hours = Self::default();
        for day in &mut hours.days[..5] {
            day.clone_from(&intervals);
        }
        hours
    }

    /// The same intervals on all seven days.
    pub fn every_day(intervals: Vec<WorkInterval>) -> Self {
        Self {
            days: std::array::from_fn(|_| intervals.clone()),
        }
    }

    /// The intervals of one weekday.
    pub fn day(&self, weekday: Weekday) -> &[WorkInterval] {
        &self.days[weekday.num_days_from_monday() as usize]
    }

    /// Each weekday's intervals, Monday first.
    pub(crate) fn days_iter(&self) -> impl Iterator<Item = &[WorkInterval]> {
        self.days.iter().map(Vec::as_slice)
    }

    /// Replaces the intervals of one weekday; handy for building irregular weeks.
    pub fn with_day(mut self, weekday: Weekday, intervals: Vec<WorkInterval>) -> Self {
        self.days[weekday.num_days_from_monday() as usize] = intervals;
        self
    }

    /// Sorts each day, merges touching intervals and rejects overlapping ones.
    pub(crate) fn normalized(mut self) -> Result<Self, SlaError> {
        for (index, day) in self.days.iter_mut().enumerate() {
            day.sort_unstable();
            let mut merged: Vec<WorkInterval> = Vec::with_capacity(day.len());
            for interval in day.drain(..) {
                match merged.last_mut() {
                    Some(last) if interval.start < last.end => {
                        return Err(SlaError::OverlappingIntervals {
                            weekday: weekday_from_index(index),
                            first: last.to_string(),
                            second: interval.to_string(),
                        });
                    }
                    // 09:00-12:00 + 12:00-13:00 is one stretch of work.
                    Some(last) if interval.start == last.end => last.end = interval.end,
                    _ => merged.push(interval),
                }
            }
            *day = merged;
        }
        if self.days.iter().all(Vec::is_empty) {
            return Err(SlaError::NoWorkingTime);
        }
        Ok(self)
    }
}

fn weekday_from_index(index: usize) -> Weekday {
    const WEEK: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    WEEK[index % 7]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wall_clock_times() {
        let interval = WorkInterval::parse("09:00", "24:00").unwrap();
        assert_eq!(
            (interval.start_minute(), interval.end_minute()),
            (540, 1440)
        );
        assert_eq!(
            WorkInterval::parse("9:30", "17:45").unwrap().start_minute(),
            570
        );
        assert_eq!(interval.to_string(), "09:00-24:00");
    }

    #[test]
    fn rejects_bad_times_and_intervals() {
        for bad in [
            "", "9", "24:01", "25:00", "12:60", "12:5", "-1:00", "+9:00", "123:00",
        ] {
            assert!(
                matches!(
                    WorkInterval::parse(bad, "24:00"),
                    Err(SlaError::InvalidTimeOfDay { .. })
                ),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(
            WorkInterval::parse("10:00", "09:00"),
            Err(SlaError::InvalidInterval { .. })
        ));
        assert!(WorkInterval::new(5, 5).is_err());
        assert!(WorkInterval::new(0, 1441).is_err());
    }

    #[test]
    fn serializes_as_pair_of_strings() {
        let interval = WorkInterval::parse("09:00", "18:00").unwrap();
        let json = serde_json::to_string(&interval).unwrap();
        assert_eq!(json, r#"["09:00","18:00"]"#);
        assert_eq!(
            serde_json::from_str::<WorkInterval>(&json).unwrap(),
            interval
        );
        assert!(serde_json::from_str::<WorkInterval>(r#"["18:00","09:00"]"#).is_err());
    }

    #[test]
    fn normalizing_sorts_merges_and_rejects_overlaps() {
        let iv = |a, b| WorkInterval::parse(a, b).unwrap();
        let hours = WeeklyHours::weekdays(vec![
            iv("13:00", "17:00"),
            iv("09:00", "12:00"),
            iv("12:00", "13:00"),
        ]);
        let normalized = hours.normalized().unwrap();
        assert_eq!(normalized.day(Weekday::Wed), &[iv("09:00", "17:00")]);
        assert!(normalized.day(Weekday::Sat).is_empty());

        let overlapping = WeeklyHours::default().with_day(
            Weekday::Tue,
            vec![iv("09:00", "12:00"), iv("11:00", "13:00")],
        );
        assert!(matches!(
            overlapping.normalized(),
            Err(SlaError::OverlappingIntervals {
                weekday: Weekday::Tue,
                ..
            })
        ));
        assert_eq!(
            WeeklyHours::default().normalized(),
            Err(SlaError::NoWorkingTime)
        );
    }
}
