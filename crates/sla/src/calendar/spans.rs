//! The walk behind every business-time computation: the working spans of a
//! calendar as UTC instants, one local date after the other.

use chrono::{DateTime, NaiveDate, Utc};

use super::Calendar;
use super::hours::WorkInterval;

/// A stretch `[start, end)` of real time that counts as business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
}

/// Working spans in chronological order, overlapping ones merged so that no
/// instant is counted twice.
///
/// Each local date's intervals resolve to UTC on their own. Starts resolve
/// monotonically with wall time, so spans arrive sorted by start, but around a
/// fall-back the *end* of one interval (resolved to the later occurrence) can
/// reach past the start of the next one (even across midnight, for a 24:00 end).
/// Merging the overlapping spans turns business time into the plain measure of
/// their union; touching spans stay apart, which counts the same.
pub(crate) struct Spans<'a> {
    calendar: &'a Calendar,
    date: NaiveDate,
    last_date: NaiveDate,
    intervals: &'a [WorkInterval],
    next_interval: usize,
    exhausted: bool,
    open: Option<Span>,
}

impl<'a> Spans<'a> {
    /// Walks the local dates `first..=last`.
    pub(crate) fn new(calendar: &'a Calendar, first: NaiveDate, last: NaiveDate) -> Self {
        Self {
            calendar,
            date: first,
            last_date: last,
            intervals: calendar.intervals_on(first),
            next_interval: 0,
            exhausted: first > last,
            open: None,
        }
    }

    /// The next span as resolved from one interval, before merging.
    fn next_resolved(&mut self) -> Option<Span> {
        while !self.exhausted {
            if let Some(interval) = self.intervals.get(self.next_interval) {
                self.next_interval += 1;
                // A span can be empty when both ends fall into one DST gap.
                if let Some(span) = self.calendar.resolve_interval(self.date, *interval) {
                    return Some(span);
                }
                continue;
            }
            match self.date.succ_opt() {
                Some(next) if next <= self.last_date => {
                    self.date = next;
                    self.intervals = self.calendar.intervals_on(next);
                    self.next_interval = 0;
                }
                _ => self.exhausted = true,
            }
        }
        None
    }
}

impl Iterator for Spans<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        loop {
            let Some(span) = self.next_resolved() else {
                return self.open.take();
            };
            match &mut self.open {
                // Only overlaps merge: merging touching spans too would fuse a
                // 24x7 calendar into one span and walk the whole horizon.
                Some(open) if span.start < open.end => open.end = open.end.max(span.end),
                open => {
                    if let Some(done) = open.replace(span) {
                        return Some(done);
                    }
                }
            }
        }
    }
}
