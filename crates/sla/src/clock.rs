//! One SLA target clock (first response or resolution): started on creation,
//! paused in waiting states, stopped on resolve, restarted on reopen.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;

/// Where a clock is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// Business time is being consumed since `since`.
    Running {
        /// Start of the current running segment.
        since: DateTime<Utc>,
    },
    /// Stopped counting at `since` (e.g. ticket on hold); may resume.
    Paused {
        /// When the pause began.
        since: DateTime<Utc>,
    },
    /// The target was met or missed for good at `at` (e.g. ticket resolved);
    /// a reopen restarts it.
    Stopped {
        /// When the clock stopped.
        at: DateTime<Utc>,
    },
}

/// One SLA target clock with pauses.
///
/// All durations are business time of the [`Calendar`] passed to each call;
/// the clock does not hold the calendar, so callers must always pass the same
/// one for a given clock.
///
/// A clock is **breached** when its elapsed business time is strictly greater
/// than its target: a ticket resolved exactly at the due instant met its SLA. A
/// **warning** is reached when elapsed time is at least `target * warn_percent / 100`.
///
/// Serialized with durations as integer milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    /// Business time allowed.
    #[serde(with = "crate::duration_serde")]
    pub target: TimeDelta,
    /// Warning threshold in percent of the target, 1..=100 (e.g. 75).
    pub warn_percent: u8,
    /// Business time consumed before the current running segment.
    #[serde(with = "crate::duration_serde")]
    pub consumed: TimeDelta,
    /// Running, paused or stopped, with the instant that began the state.
    pub state: ClockState,
    /// When the warning was recorded; set by the SLA monitor, exactly once.
    pub warned_at: Option<DateTime<Utc>>,
    /// When the breach was recorded; set by the SLA monitor, exactly once.
    pub breached_at: Option<DateTime<Utc>>,
}

/// Where a clock stands at one instant ([`SlaClock::standing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Business time consumed up to the instant.
    pub elapsed: TimeDelta,
    /// Target minus elapsed time; negative when overdue.
    pub remaining: TimeDelta,
    /// Elapsed time is at least the warning threshold.
    pub warning_reached: bool,
    /// Elapsed time is strictly greater than the target.
    pub breached: bool,
}

impl SlaClock {
    /// A clock running from `at` with nothing consumed. `warn_percent` is
    /// clamped into 1..=100.
    pub fn start(target: TimeDelta, warn_percent: u8, at: DateTime<Utc>) -> Self {
        Self {
            target,
            warn_percent: clamp_percent(warn_percent),
            consumed: TimeDelta::zero(),
            state: ClockState::Running { since: at },
            warned_at: None,
            breached_at: None,
        }
    }

    /// Stops counting at `at`, banking the business time of the running segment.
    /// No-op unless running.
    pub fn pause(&mut self, cal: &Calendar, at: DateTime<Utc>) {
        if let ClockState::Running { since } = self.state {
            self.bank(cal, since, at);
            self.state = ClockState::Paused { since: at };
        }
    }

    /// Starts counting again from `at`. No-op unless paused.
    pub fn resume(&mut self, at: DateTime<Utc>) {
        if let ClockState::Paused { .. } = self.state {
            self.state = ClockState::Running { since: at };
        }
    }

    /// Stops the clock for good at `at` (running or paused); elapsed time is
    /// final from here on. No-op when already stopped.
    pub fn stop(&mut self, cal: &Calendar, at: DateTime<Utc>) {
        match self.state {
            ClockState::Running { since } => {
                self.bank(cal, since, at);
                self.state = ClockState::Stopped { at };
            }
            ClockState::Paused { .. } => self.state = ClockState::Stopped { at },
            ClockState::Stopped { .. } => {}
        }
    }

    /// Runs a stopped clock again from `at`, keeping what it consumed: a reopened
    /// ticket continues its SLA rather than getting a fresh one. The warning and
    /// breach records stay, so neither fires twice. No-op unless stopped.
    pub fn restart(&mut self, at: DateTime<Utc>) {
        if let ClockState::Stopped { .. } = self.state {
            self.state = ClockState::Running { since: at };
        }
    }

    /// A new target (priority change) against the same consumed time.
    /// `warn_percent` is clamped into 1..=100. Recorded warning and breach
    /// instants stay: events already sent are not sent again, even if the new
    /// target moves the thresholds later.
    pub fn retarget(&mut self, target: TimeDelta, warn_percent: u8) {
        self.target = target;
        self.warn_percent = clamp_percent(warn_percent);
    }

    /// Business time consumed up to `now`: what was banked plus the running
    /// segment.
    pub fn elapsed(&self, cal: &Calendar, now: DateTime<Utc>) -> TimeDelta {
        match self.state {
            ClockState::Running { since } => {
                saturating_add(self.consumed, cal.business_time_between(since, now))
            }
            ClockState::Paused { .. } | ClockState::Stopped { .. } => self.consumed,
        }
    }

    /// Target minus elapsed time; negative when overdue.
    pub fn remaining(&self, cal: &Calendar, now: DateTime<Utc>) -> TimeDelta {
        self.standing(cal, now).remaining
    }

    /// Where the clock stands at `now`: elapsed and remaining time, and whether the
    /// warning threshold and the target are passed. One walk over the calendar for what
    /// [`Self::remaining`], [`Self::is_warning_reached`] and [`Self::is_breached`] would
    /// each walk again.
    pub fn standing(&self, cal: &Calendar, now: DateTime<Utc>) -> Standing {
        let elapsed = self.elapsed(cal, now);
        Standing {
            elapsed,
            remaining: saturating_sub(self.target, elapsed),
            warning_reached: elapsed >= self.warn_threshold(),
            breached: elapsed > self.target,
        }
    }

    /// The business time at which the warning is reached:
    /// `target * warn_percent / 100`.
    pub fn warn_threshold(&self) -> TimeDelta {
        percent_of(self.target, self.warn_percent)
    }

    /// When elapsed time reaches the target. `Some` only while running; a
    /// target already used up before the current segment gives the segment
    /// start. A due instant on a closing time is that closing time.
    pub fn due_at(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        self.instant_of(cal, self.target)
    }

    /// When elapsed time reaches the warning threshold (may be in the past).
    /// `Some` only while running.
    pub fn warning_at(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        self.instant_of(cal, self.warn_threshold())
    }

    /// The last instant at which the clock is not yet breached; it is breached
    /// at every later instant. That is the due instant when due falls inside
    /// working hours, but the next opening when due is a closing time (no
    /// business time passes in between, so the SLA is still met overnight).
    /// The segment start when the target was already exceeded before the
    /// segment began. `Some` only while running.
    pub fn breach_at(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        let ClockState::Running { since } = self.state else {
            return None;
        };
        if self.consumed > self.target {
            return Some(since);
        }
        let due = cal.add_business_time(since, saturating_sub(self.target, self.consumed));
        Some(cal.next_working_instant(due).unwrap_or(due))
    }

    /// Whether elapsed business time is strictly greater than the target.
    pub fn is_breached(&self, cal: &Calendar, now: DateTime<Utc>) -> bool {
        self.standing(cal, now).breached
    }

    /// Whether elapsed business time has reached the warning threshold.
    pub fn is_warning_reached(&self, cal: &Calendar, now: DateTime<Utc>) -> bool {
        self.standing(cal, now).warning_reached
    }

    /// The earliest pending event for the monitor's indexed next-due column:
    /// [`Self::warning_at`] unless `warned_at` is recorded, and
    /// [`Self::breach_at`] unless `breached_at` is recorded.
    ///
    /// `None` unless running: a paused or stopped clock consumes nothing, so
    /// nothing can become due. A threshold crossed just before a pause fires on
    /// resume (the instant is then in the past); a stopped clock's outcome is
    /// [`Self::is_breached`].
    pub fn next_event_at(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        let warning = self
            .warned_at
            .is_none()
            .then(|| self.warning_at(cal))
            .flatten();
        let breach = self
            .breached_at
            .is_none()
            .then(|| self.breach_at(cal))
            .flatten();
        match (warning, breach) {
            (Some(w), Some(b)) => Some(w.min(b)),
            (one, other) => one.or(other),
        }
    }

    /// Whether the clock is paused.
    pub fn is_paused(&self) -> bool {
        matches!(self.state, ClockState::Paused { .. })
    }

    /// Whether the clock is running.
    pub fn is_running(&self) -> bool {
        matches!(self.state, ClockState::Running { .. })
    }

    /// Whether the clock is stopped.
    pub fn is_stopped(&self) -> bool {
        matches!(self.state, ClockState::Stopped { .. })
    }

    /// While running: the instant at which elapsed time reaches `mark`.
    fn instant_of(&self, cal: &Calendar, mark: TimeDelta) -> Option<DateTime<Utc>> {
        let ClockState::Running { since } = self.state else {
            return None;
        };
        Some(cal.add_business_time(since, saturating_sub(mark, self.consumed)))
    }

    fn bank(&mut self, cal: &Calendar, since: DateTime<Utc>, until: DateTime<Utc>) {
        self.consumed = saturating_add(self.consumed, cal.business_time_between(since, until));
    }
}

fn clamp_percent(percent: u8) -> u8 {
    percent.clamp(1, 100)
}

/// `value * percent / 100` without intermediate overflow, rounded toward zero.
fn percent_of(value: TimeDelta, percent: u8) -> TimeDelta {
    let scaled = |units: i64| i128::from(units) * i128::from(percent) / 100;
    match value.num_nanoseconds() {
        Some(nanos) => TimeDelta::nanoseconds(i64::try_from(scaled(nanos)).unwrap_or(i64::MAX)),
        // Beyond ±292 years of nanoseconds: milliseconds are precise enough.
        None => TimeDelta::try_milliseconds(
            i64::try_from(scaled(value.num_milliseconds())).unwrap_or(i64::MAX),
        )
        .unwrap_or(TimeDelta::MAX),
    }
}

fn saturating_add(a: TimeDelta, b: TimeDelta) -> TimeDelta {
    a.checked_add(&b).unwrap_or(if b < TimeDelta::zero() {
        TimeDelta::MIN
    } else {
        TimeDelta::MAX
    })
}

fn saturating_sub(a: TimeDelta, b: TimeDelta) -> TimeDelta {
    a.checked_sub(&b).unwrap_or(if b > TimeDelta::zero() {
        TimeDelta::MIN
    } else {
        TimeDelta::MAX
    })
}
