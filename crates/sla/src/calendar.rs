//! Business calendars and business-time arithmetic.
//!
//! Business time is real elapsed time inside the working intervals of each
//! local date of the calendar's zone; see `docs/sla.md` for the full model.

mod hours;
mod spans;
mod zone;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use self::hours::{WeeklyHours, WorkInterval};
use self::spans::{Span, Spans};
use self::zone::{Repeated, resolve, wall_time};
use crate::error::SlaError;

/// The longest duration [`Calendar::add_business_time`] answers as wall-clock time on a
/// round-the-clock calendar: well inside the walk's horizon, so both give the same
/// instant (beyond it the walk saturates).
const WALL_CLOCK_DAYS: i64 = 36_000;

/// The most resolved intervals a thread remembers (cleared when full): months of dates
/// of a few calendars, under 32 KiB per thread (a queue's views walk a few dates each).
const RESOLVED_CAP: usize = 512;

thread_local! {
    /// [`Calendar::resolve_interval`]'s answers.
    static RESOLVED: RefCell<HashMap<(Tz, NaiveDate, WorkInterval), Option<Span>>> =
        RefCell::new(HashMap::new());
}

/// How far a walk looks ahead before giving up: about 100 years of local dates.
/// Only durations no real SLA uses get near it; they saturate instead of looping.
const WALK_LIMIT_DAYS: u64 = 36_525;

/// A business calendar: an IANA time zone, weekly working hours in local wall
/// time, and holidays (local dates on which nothing counts).
///
/// Serialized as `{"zone": "Europe/Berlin", "hours": {"days": [...]}, "holidays": ["2026-12-25"]}`;
/// deserializing validates like [`Calendar::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarRepr", into = "CalendarRepr")]
pub struct Calendar {
    zone: Tz,
    hours: WeeklyHours,
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Builds a calendar. Each day's intervals are sorted and touching ones merged
    /// (09:00-12:00 + 12:00-13:00 = 09:00-13:00).
    ///
    /// # Errors
    /// [`SlaError::OverlappingIntervals`] when two intervals of a weekday overlap,
    /// [`SlaError::NoWorkingTime`] when every weekday is empty.
    pub fn new(
        zone: Tz,
        hours: WeeklyHours,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, SlaError> {
        Ok(Self {
            zone,
            hours: hours.normalized()?,
            holidays: holidays.into_iter().collect(),
        })
    }

    /// UTC, every day 00:00-24:00, no holidays: business time is wall-clock time.
    pub fn twenty_four_seven() -> Self {
        Self::around_the_clock(Tz::UTC)
    }

    /// Every day 00:00-24:00 in `zone`, no holidays. Equal to wall-clock time too
    /// (a 23-hour spring-forward day counts 23 hours), but holidays added later
    /// through [`Calendar::new`] would be local dates of `zone`.
    pub fn around_the_clock(zone: Tz) -> Self {
        Self {
            zone,
            hours: WeeklyHours::every_day(vec![WorkInterval::WHOLE_DAY]),
            holidays: BTreeSet::new(),
        }
    }

    /// The IANA zone in which hours and holidays are read.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The weekly hours, sorted and with touching intervals merged.
    pub fn hours(&self) -> &WeeklyHours {
        &self.hours
    }

    /// Holidays in ascending order.
    pub fn holidays(&self) -> impl Iterator<Item = &NaiveDate> {
        self.holidays.iter()
    }

    /// Whether `date` (a local date of the calendar's zone) is a holiday.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    /// The instant at which `duration` of business time has elapsed after
    /// `start`. A start outside working hours begins counting at the next
    /// opening; a due instant that lands exactly on a closing time is that closing
    /// time. `duration <= 0` gives `start`.
    ///
    /// Cost grows with the number of local dates spanned. A duration that would
    /// need more than about 100 years of dates saturates at the end of the last
    /// working span within that horizon.
    pub fn add_business_time(&self, start: DateTime<Utc>, duration: TimeDelta) -> DateTime<Utc> {
        if duration <= TimeDelta::zero() {
            return start;
        }
        if self.is_wall_clock()
            && duration <= TimeDelta::days(WALL_CLOCK_DAYS)
            && let Some(due) = start.checked_add_signed(duration)
        {
            return due;
        }
        let mut remaining = duration;
        let mut reached = start;
        for span in self.spans_after(start) {
            let from = span.start.max(start);
            let length = span.end - from;
            if remaining <= length {
                return from + remaining;
            }
            remaining -= length;
            reached = span.end;
        }
        reached
    }

    /// Business time inside `[a, b)`; zero when `b <= a`.
    pub fn business_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        let mut total = TimeDelta::zero();
        if b <= a {
            return total;
        }
        if self.is_wall_clock() {
            return b - a;
        }
        let last = self.local_date(b).succ_opt().unwrap_or(NaiveDate::MAX);
        for span in Spans::new(self, self.first_date_covering(a), last) {
            if span.start >= b {
                break;
            }
            if span.end > a {
                total += span.end.min(b) - span.start.max(a);
            }
        }
        total
    }

    /// Every day 00:00-24:00 and no holidays: the days' spans join without a gap whatever
    /// the zone's shifts (a skipped midnight resolves both ends to the jump, a repeated one
    /// overlaps and merges), so business time is wall-clock time and the walk can be
    /// skipped, the common case of round-the-clock SLAs.
    fn is_wall_clock(&self) -> bool {
        self.holidays.is_empty()
            && self
                .hours
                .days_iter()
                .all(|d| d == [WorkInterval::WHOLE_DAY])
    }

    /// Whether business time is elapsing at `at`. Intervals are half-open, so a
    /// closing instant is not working time and an opening instant is.
    pub fn is_working_instant(&self, at: DateTime<Utc>) -> bool {
        self.next_working_instant(at) == Some(at)
    }

    /// The first instant at or after `at` at which business time elapses:
    /// `at` itself during working hours, otherwise the next opening. `None` only
    /// when there is no working time within the walk horizon (~100 years).
    pub fn next_working_instant(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.spans_after(at).next().map(|span| span.start.max(at))
    }

    /// Working spans that end after `start`, up to the walk horizon.
    fn spans_after(&self, start: DateTime<Utc>) -> impl Iterator<Item = Span> + '_ {
        let first = self.first_date_covering(start);
        let last = first
            .checked_add_days(chrono::Days::new(WALK_LIMIT_DAYS))
            .unwrap_or(NaiveDate::MAX);
        Spans::new(self, first, last).skip_while(move |span| span.end <= start)
    }

    /// The earliest local date whose intervals can cover `at`. The previous date
    /// is included because its 24:00 end, resolved to the later occurrence of a
    /// repeated midnight hour, may reach past the start of `at`'s date.
    fn first_date_covering(&self, at: DateTime<Utc>) -> NaiveDate {
        let date = self.local_date(at);
        date.pred_opt().unwrap_or(date)
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    fn intervals_on(&self, date: NaiveDate) -> &[WorkInterval] {
        if self.holidays.contains(&date) {
            return &[];
        }
        self.hours.day(date.weekday())
    }

    /// The real-time span of one interval on one local date; `None` when it is
    /// empty (both ends in the same DST gap) or beyond chrono's range.
    ///
    /// Remembered per thread: the answer depends only on the zone, the date and the
    /// interval, and a queue's SLA views walk the same few dates for every ticket, each
    /// walk resolving every interval again in the zone's tables.
    fn resolve_interval(&self, date: NaiveDate, interval: WorkInterval) -> Option<Span> {
        let key = (self.zone, date, interval);
        if let Some(known) = RESOLVED.with_borrow(|r| r.get(&key).copied()) {
            return known;
        }
        let span = self.resolve_interval_uncached(date, interval);
        RESOLVED.with_borrow_mut(|r| {
            if r.len() >= RESOLVED_CAP {
                r.clear();
            }
            r.insert(key, span);
        });
        span
    }

    fn resolve_interval_uncached(&self, date: NaiveDate, interval: WorkInterval) -> Option<Span> {
        let start = resolve(
            self.zone,
            wall_time(date, interval.start_minute())?,
            Repeated::Earliest,
        )?;
        let end = resolve(
            self.zone,
            wall_time(date, interval.end_minute())?,
            Repeated::Latest,
        )?;
        (start < end).then_some(Span { start, end })
    }
}

/// The serialized form of a [`Calendar`]: the zone by its IANA name.
#[derive(Serialize, Deserialize)]
struct CalendarRepr {
    zone: String,
    hours: WeeklyHours,
    #[serde(default)]
    holidays: Vec<NaiveDate>,
}

impl TryFrom<CalendarRepr> for Calendar {
    type Error = SlaError;

    fn try_from(repr: CalendarRepr) -> Result<Self, SlaError> {
        let zone = repr
            .zone
            .parse::<Tz>()
            .map_err(|_| SlaError::UnknownTimeZone {
                name: repr.zone.clone(),
            })?;
        Calendar::new(zone, repr.hours, repr.holidays)
    }
}

impl From<Calendar> for CalendarRepr {
    fn from(calendar: Calendar) -> Self {
        Self {
            zone: calendar.zone.name().to_owned(),
            hours: calendar.hours,
            holidays: calendar.holidays.into_iter().collect(),
        }
    }
}
