//! The arithmetic of the dashboards, without I/O: age buckets, backlog tables, SLA
//! compliance, duration statistics and daily volume in the reader's time zone.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::port::{OpenCount, TicketFact};
use crate::priority::Priority;
use crate::tickets::SlaState;

/// The days the trend figures look back over, today included.
pub const WINDOW_DAYS: u32 = 30;

/// How long an open ticket has been open (wall time since it was opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBucket {
    /// Opened in the last 24 hours.
    UnderADay,
    /// One to three days.
    OneToThreeDays,
    /// Three to seven days.
    ThreeToSevenDays,
    /// One to four weeks.
    OneToFourWeeks,
    /// Older than four weeks.
    OverFourWeeks,
}

/// Every age bucket, youngest first.
pub const AGE_BUCKETS: [AgeBucket; 5] = [
    AgeBucket::UnderADay,
    AgeBucket::OneToThreeDays,
    AgeBucket::ThreeToSevenDays,
    AgeBucket::OneToFourWeeks,
    AgeBucket::OverFourWeeks,
];

impl AgeBucket {
    /// The bucket's heading.
    pub const fn label(self) -> &'static str {
        match self {
            Self::UnderADay => "under 1 day",
            Self::OneToThreeDays => "1–3 days",
            Self::ThreeToSevenDays => "3–7 days",
            Self::OneToFourWeeks => "1–4 weeks",
            Self::OverFourWeeks => "over 4 weeks",
        }
    }

    /// The heading where room is short ("< 1 d").
    pub const fn short_label(self) -> &'static str {
        match self {
            Self::UnderADay => "< 1 d",
            Self::OneToThreeDays => "1–3 d",
            Self::ThreeToSevenDays => "3–7 d",
            Self::OneToFourWeeks => "1–4 wk",
            Self::OverFourWeeks => "> 4 wk",
        }
    }

    /// The ages the bucket holds, in hours: at least the first, under the second.
    pub const fn hours(self) -> (i64, Option<i64>) {
        match self {
            Self::UnderADay => (0, Some(24)),
            Self::OneToThreeDays => (24, Some(72)),
            Self::ThreeToSevenDays => (72, Some(168)),
            Self::OneToFourWeeks => (168, Some(672)),
            Self::OverFourWeeks => (672, None),
        }
    }

    /// The creation instants of the bucket's tickets at `now`: `[from, to)`, an absent
    /// bound open. The youngest bucket has no upper bound, so a ticket stamped a moment
    /// ahead of this server's clock still counts.
    pub fn created_range(
        self,
        now: DateTime<Utc>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let (min, max) = self.hours();
        let from = max.map(|h| now - Duration::hours(h));
        let to = (min > 0).then(|| now - Duration::hours(min));
        (from, to)
    }

    /// The bucket of a ticket opened at `created_at`, seen at `now` (the one whose
    /// [`created_range`](Self::created_range) holds it: exactly 24 hours old is still
    /// "under 1 day").
    pub fn of(created_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        AGE_BUCKETS
            .into_iter()
            .find(|b| {
                let (from, to) = b.created_range(now);
                from.is_none_or(|f| created_at >= f) && to.is_none_or(|t| created_at < t)
            })
            .unwrap_or(Self::OverFourWeeks)
    }
}

/// One priority's line of the backlog table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BacklogRow {
    /// The priority.
    pub priority: Priority,
    /// Open tickets per age bucket, in [`AGE_BUCKETS`] order.
    pub by_age: Vec<u64>,
    /// All of this priority's open tickets.
    pub total: u64,
}

/// The open and pending tickets by priority and age, with their SLA standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backlog {
    /// One row per priority, highest first (every priority, also when zero).
    pub rows: Vec<BacklogRow>,
    /// Column totals, in [`AGE_BUCKETS`] order.
    pub by_age: Vec<u64>,
    /// Every open ticket counted.
    pub total: u64,
    /// Of those, past a warning threshold and not breached.
    pub warning: u64,
    /// Of those, with a breached target.
    pub breached: u64,
}

/// The backlog table from the grouped counts of each age bucket.
pub fn backlog(cells: &[(AgeBucket, Vec<OpenCount>)]) -> Backlog {
    let column = |b: AgeBucket| AGE_BUCKETS.iter().position(|x| *x == b).unwrap_or(0);
    let mut rows: Vec<BacklogRow> = Priority::ALL
        .iter()
        .map(|p| BacklogRow {
            priority: *p,
            by_age: vec![0; AGE_BUCKETS.len()],
            total: 0,
        })
        .collect();
    let mut by_age = vec![0; AGE_BUCKETS.len()];
    let (mut total, mut warning, mut breached) = (0, 0, 0);
    for (bucket, counts) in cells {
        let col = column(*bucket);
        for c in counts {
            if let Some(row) = rows.iter_mut().find(|r| r.priority == c.priority) {
                row.by_age[col] += c.count;
                row.total += c.count;
            }
            by_age[col] += c.count;
            total += c.count;
            match c.sla_state {
                SlaState::Warning => warning += c.count,
                SlaState::Breached => breached += c.count,
                SlaState::None | SlaState::Ok => {}
            }
        }
    }
    Backlog {
        rows,
        by_age,
        total,
        warning,
        breached,
    }
}

/// How many resolved tickets with an SLA met every target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaCompliance {
    /// Resolved tickets that had an SLA.
    pub with_sla: u64,
    /// Of those, without a breached target.
    pub met: u64,
    /// Of those, with a breached response or resolution target.
    pub breached: u64,
    /// `met / with_sla` in percent, one decimal; absent without tickets.
    pub percent: Option<f64>,
}

/// SLA compliance of `resolved` (tickets without an SLA are left out).
pub fn compliance(resolved: &[TicketFact]) -> SlaCompliance {
    let with_sla = resolved
        .iter()
        .filter(|f| f.sla_state != SlaState::None)
        .count() as u64;
    let breached = resolved
        .iter()
        .filter(|f| f.sla_state == SlaState::Breached)
        .count() as u64;
    let met = with_sla - breached;
    SlaCompliance {
        with_sla,
        met,
        breached,
        percent: (with_sla > 0).then(|| (met as f64 * 1000.0 / with_sla as f64).round() / 10.0),
    }
}

/// Mean, median and 90th percentile of a set of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DurationStats {
    /// How many durations.
    pub count: u64,
    /// The arithmetic mean, in whole minutes (rounded down).
    pub mean_minutes: i64,
    /// The median (the mean of the two middle values for an even count), in minutes.
    pub median_minutes: i64,
    /// The 90th percentile (nearest rank), in minutes.
    pub p90_minutes: i64,
}

/// The statistics of `minutes`; absent when there are none. A negative duration (a clock
/// that stepped back) counts as zero.
pub fn durations(minutes: impl IntoIterator<Item = i64>) -> Option<DurationStats> {
    let mut v: Vec<i64> = minutes.into_iter().map(|m| m.max(0)).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    let sum: i128 = v.iter().map(|m| i128::from(*m)).sum();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        // Halves first: the sum of two large values must not overflow.
        v[n / 2 - 1] / 2 + v[n / 2] / 2 + (v[n / 2 - 1] % 2 + v[n / 2] % 2) / 2
    };
    let rank = (n * 9).div_ceil(10).max(1);
    Some(DurationStats {
        count: n as u64,
        mean_minutes: i64::try_from(sum / n as i128).unwrap_or(i64::MAX),
        median_minutes: median,
        p90_minutes: v[rank - 1],
    })
}

/// One day of the trend: tickets opened and resolved that local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayVolume {
    /// The day in the reader's time zone.
    pub date: NaiveDate,
    /// Tickets opened that day.
    pub opened: u64,
    /// Tickets resolved that day.
    pub resolved: u64,
}

/// The start of the trend window at `now`: local midnight in `zone` of the day
/// [`WINDOW_DAYS`]` - 1` days before today, so the window is today and the 29 days before.
pub fn window_start(now: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&zone).date_naive();
    let first = today - Duration::days(i64::from(WINDOW_DAYS) - 1);
    // Where a zone skips midnight (a DST change at 00:00) the day starts at the first
    // instant that exists.
    (0..3)
        .find_map(|h| {
            first
                .and_hms_opt(h, 0, 0)
                .and_then(|t| zone.from_local_datetime(&t).earliest())
        })
        .map_or_else(
            || now - Duration::days(i64::from(WINDOW_DAYS)),
            |t| t.with_timezone(&Utc),
        )
}

/// The opened and resolved counts of each day of the window ending at `now`, oldest day
/// first, in `zone`'s days; facts outside the window are ignored.
pub fn volume(
    now: DateTime<Utc>,
    zone: Tz,
    created: &[TicketFact],
    resolved: &[TicketFact],
) -> Vec<DayVolume> {
    let start = window_start(now, zone);
    let first = start.with_timezone(&zone).date_naive();
    let mut days: Vec<DayVolume> = (0..i64::from(WINDOW_DAYS))
        .map(|d| DayVolume {
            date: first + Duration::days(d),
            opened: 0,
            resolved: 0,
        })
        .collect();
    let index = |t: DateTime<Utc>| -> Option<usize> {
        if t < start || t > now {
            return None;
        }
        let d = (t.with_timezone(&zone).date_naive() - first).num_days();
        usize::try_from(d)
            .ok()
            .filter(|d| *d < WINDOW_DAYS as usize)
    };
    for f in created {
        if let Some(i) = index(f.created_at) {
            days[i].opened += 1;
        }
    }
    for f in resolved {
        if let Some(i) = f.resolved_at.and_then(index) {
            days[i].resolved += 1;
        }
    }
    days
}

/// The desk-wide figures of a manager's dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeskFigures {
    /// The open backlog now.
    pub backlog: Backlog,
    /// SLA compliance of the tickets resolved in the window.
    pub compliance: SlaCompliance,
    /// Time from opening to resolution of the tickets resolved in the window (wall time).
    pub resolution: Option<DurationStats>,
    /// Time from opening to the first public answer of the tickets opened in the window
    /// and answered (wall time).
    pub first_response: Option<DurationStats>,
    /// Tickets opened in the window, not answered and not resolved.
    pub unanswered: u64,
    /// Opened and resolved per day.
    pub volume: Vec<DayVolume>,
    /// Tickets opened in the window.
    pub opened: u64,
    /// Tickets resolved in the window.
    pub resolved: u64,
    /// The window's start (local midnight 29 days ago).
    pub from: DateTime<Utc>,
    /// The window's end (now).
    pub to: DateTime<Utc>,
    /// True when the window held more tickets than one report reads: the trend figures
    /// then cover the most recent ones only.
    pub truncated: bool,
}

/// Minutes from `a` to `b`.
pub(super) fn minutes_between(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_minutes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::TicketKind;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fact(created: DateTime<Utc>, resolved: Option<DateTime<Utc>>, sla: SlaState) -> TicketFact {
        TicketFact {
            kind: TicketKind::Incident,
            priority: Priority::Medium,
            sla_state: sla,
            created_at: created,
            resolved_at: resolved,
            first_responded_at: None,
        }
    }

    #[test]
    fn ages_fall_into_their_buckets_at_the_edges() {
        let now = at("2026-12-01T12:00:00Z");
        let h = |hours: i64, secs: i64| Duration::hours(hours) + Duration::seconds(secs);
        let cases = [
            (h(0, 0), AgeBucket::UnderADay),
            (h(24, 0), AgeBucket::UnderADay),
            (h(24, 1), AgeBucket::OneToThreeDays),
            (h(72, 0), AgeBucket::OneToThreeDays),
            (h(72, 1), AgeBucket::ThreeToSevenDays),
            (h(168, 0), AgeBucket::ThreeToSevenDays),
            (h(168, 1), AgeBucket::OneToFourWeeks),
            (h(672, 0), AgeBucket::OneToFourWeeks),
            (h(672, 1), AgeBucket::OverFourWeeks),
            (h(100_000, 0), AgeBucket::OverFourWeeks),
            (h(0, -30), AgeBucket::UnderADay),
        ];
        for (hours, bucket) in cases {
            let created = now - hours;
            assert_eq!(AgeBucket::of(created, now), bucket, "{hours}");
            // Exactly one bucket's range holds each instant.
            let holding = AGE_BUCKETS
                .iter()
                .filter(|b| {
                    let (from, to) = b.created_range(now);
                    from.is_none_or(|f| created >= f) && to.is_none_or(|t| created < t)
                })
                .count();
            assert_eq!(holding, 1, "{hours}");
        }
    }

    #[test]
    fn the_backlog_table_adds_up_by_row_column_and_state() {
        let c = |priority, sla_state, count| OpenCount {
            priority,
            sla_state,
            count,
        };
        let b = backlog(&[
            (
                AgeBucket::UnderADay,
                vec![
                    c(Priority::High, SlaState::Ok, 2),
                    c(Priority::Low, SlaState::None, 1),
                ],
            ),
            (
                AgeBucket::OverFourWeeks,
                vec![
                    c(Priority::High, SlaState::Breached, 3),
                    c(Priority::Critical, SlaState::Warning, 1),
                ],
            ),
        ]);
        assert_eq!(b.total, 7);
        assert_eq!(b.warning, 1);
        assert_eq!(b.breached, 3);
        assert_eq!(b.by_age, vec![3, 0, 0, 0, 4]);
        let high = b
            .rows
            .iter()
            .find(|r| r.priority == Priority::High)
            .unwrap();
        assert_eq!((high.total, high.by_age[0], high.by_age[4]), (5, 2, 3));
        assert_eq!(b.rows.len(), 4);
        assert_eq!(b.rows[0].priority, Priority::Critical);
    }

    #[test]
    fn compliance_leaves_out_tickets_without_an_sla() {
        let t = at("2026-11-20T10:00:00Z");
        let c = compliance(&[
            fact(t, Some(t), SlaState::Ok),
            fact(t, Some(t), SlaState::Warning),
            fact(t, Some(t), SlaState::Breached),
            fact(t, Some(t), SlaState::None),
        ]);
        assert_eq!((c.with_sla, c.met, c.breached), (3, 2, 1));
        assert_eq!(c.percent, Some(66.7));
        assert_eq!(compliance(&[]).percent, None);
    }

    #[test]
    fn duration_statistics_of_small_sets() {
        assert_eq!(durations([]), None);
        let s = durations([30]).unwrap();
        assert_eq!(
            (s.count, s.mean_minutes, s.median_minutes, s.p90_minutes),
            (1, 30, 30, 30)
        );
        let s = durations([10, 20, 30, 100]).unwrap();
        assert_eq!(
            (s.mean_minutes, s.median_minutes, s.p90_minutes),
            (40, 25, 100)
        );
        let s = durations([-5, 5]).unwrap();
        assert_eq!((s.mean_minutes, s.median_minutes), (2, 2));
    }

    #[test]
    fn days_are_the_readers_days() {
        // 23:30 UTC on 30 November is already 1 December in Berlin.
        let now = at("2026-12-01T10:00:00Z");
        let late = at("2026-11-30T23:30:00Z");
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let days = volume(now, berlin, &[fact(late, None, SlaState::None)], &[]);
        assert_eq!(days.len(), WINDOW_DAYS as usize);
        assert_eq!(days.last().unwrap().date.to_string(), "2026-12-01");
        assert_eq!(days.last().unwrap().opened, 1);
        let days = volume(now, Tz::UTC, &[fact(late, None, SlaState::None)], &[]);
        assert_eq!(days[WINDOW_DAYS as usize - 2].opened, 1);
        assert_eq!(days.last().unwrap().opened, 0);
    }

    #[test]
    fn the_window_starts_at_local_midnight_across_a_dst_change() {
        // Europe/Berlin leaves summer time on 25 October 2026.
        let now = at("2026-11-10T12:00:00Z");
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let start = window_start(now, berlin);
        assert_eq!(
            start,
            at("2026-10-11T22:00:00Z"),
            "midnight CEST on 12 October"
        );
        assert_eq!(window_start(now, Tz::UTC), at("2026-10-12T00:00:00Z"));
    }

    fn zones() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            Tz::UTC,
            "Europe/Berlin".parse::<Tz>().unwrap(),
            "America/Sao_Paulo".parse::<Tz>().unwrap(),
            "Asia/Kathmandu".parse::<Tz>().unwrap(),
            "Pacific/Chatham".parse::<Tz>().unwrap(),
            "America/Havana".parse::<Tz>().unwrap(),
        ])
    }

    proptest! {
        #[test]
        fn volume_counts_each_fact_in_the_window_once_on_its_local_day(
            now_s in 1_600_000_000i64..1_900_000_000,
            offsets in prop::collection::vec(0i64..(40 * 86_400), 0..60),
            zone in zones(),
        ) {
            let now = DateTime::from_timestamp(now_s, 0).unwrap();
            let facts: Vec<TicketFact> = offsets
                .iter()
                .map(|o| {
                    let t = now - Duration::seconds(*o);
                    fact(t, Some(t), SlaState::None)
                })
                .collect();
            let start = window_start(now, zone);
            let days = volume(now, zone, &facts, &facts);
            prop_assert_eq!(days.len(), WINDOW_DAYS as usize);
            let inside = facts.iter().filter(|f| f.created_at >= start).count() as u64;
            prop_assert_eq!(days.iter().map(|d| d.opened).sum::<u64>(), inside);
            prop_assert_eq!(days.iter().map(|d| d.resolved).sum::<u64>(), inside);
            for f in facts.iter().filter(|f| f.created_at >= start) {
                let local = f.created_at.with_timezone(&zone).date_naive();
                prop_assert!(days.iter().any(|d| d.date == local && d.opened > 0));
            }
            for pair in days.windows(2) {
                prop_assert_eq!(pair[1].date - pair[0].date, Duration::days(1));
            }
            prop_assert_eq!(days.last().unwrap().date, now.with_timezone(&zone).date_naive());
        }

        #[test]
        fn the_window_is_about_thirty_days_and_starts_a_local_day(
            now_s in 1_600_000_000i64..1_900_000_000,
            zone in zones(),
        ) {
            let now = DateTime::from_timestamp(now_s, 0).unwrap();
            let start = window_start(now, zone);
            prop_assert!(start <= now);
            prop_assert!(now - start <= Duration::days(30) + Duration::hours(2));
            prop_assert!(now - start > Duration::days(29) - Duration::hours(2));
            let local = start.with_timezone(&zone).naive_local();
            let midnight = local.date().and_hms_opt(0, 0, 0).unwrap();
            prop_assert!(
                local == midnight || zone.from_local_datetime(&midnight).earliest().is_none(),
                "starts at {local}"
            );
        }

        #[test]
        fn duration_statistics_stay_within_the_values(
            v in prop::collection::vec(-100i64..10_000_000, 1..200),
        ) {
            let s = durations(v.iter().copied()).unwrap();
            let clamped: Vec<i64> = v.iter().map(|m| (*m).max(0)).collect();
            let (min, max) = (*clamped.iter().min().unwrap(), *clamped.iter().max().unwrap());
            prop_assert_eq!(s.count, v.len() as u64);
            prop_assert!(min <= s.mean_minutes && s.mean_minutes <= max);
            prop_assert!(min <= s.median_minutes && s.median_minutes <= max);
            prop_assert!(s.median_minutes <= s.p90_minutes && s.p90_minutes <= max);
            let at_most_p90 = clamped.iter().filter(|m| **m <= s.p90_minutes).count();
            prop_assert!(at_most_p90 * 10 >= clamped.len() * 9);
        }

        #[test]
        fn compliance_is_met_over_with_sla(
            states in prop::collection::vec(prop::sample::select(SlaState::ALL.to_vec()), 0..100),
        ) {
            let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
            let facts: Vec<TicketFact> = states.iter().map(|s| fact(t, Some(t), *s)).collect();
            let c = compliance(&facts);
            prop_assert_eq!(c.met + c.breached, c.with_sla);
            prop_assert_eq!(c.with_sla, states.iter().filter(|s| **s != SlaState::None).count() as u64);
            match c.percent {
                None => prop_assert_eq!(c.with_sla, 0),
                Some(p) => {
                    prop_assert!((0.0..=100.0).contains(&p));
                    let exact = c.met as f64 * 100.0 / c.with_sla as f64;
                    prop_assert!((p - exact).abs() <= 0.05 + 1e-9);
                }
            }
        }

        #[test]
        fn backlog_totals_equal_the_sum_of_the_cells(
            cells in prop::collection::vec(
                (0usize..5, prop::sample::select(Priority::ALL.to_vec()), prop::sample::select(SlaState::ALL.to_vec()), 0u64..1000),
                0..40,
            ),
        ) {
            let grouped: Vec<(AgeBucket, Vec<OpenCount>)> = AGE_BUCKETS
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    (*b, cells.iter().filter(|c| c.0 == i).map(|c| OpenCount { priority: c.1, sla_state: c.2, count: c.3 }).collect())
                })
                .collect();
            let b = backlog(&grouped);
            let sum: u64 = cells.iter().map(|c| c.3).sum();
            prop_assert_eq!(b.total, sum);
            prop_assert_eq!(b.rows.iter().map(|r| r.total).sum::<u64>(), sum);
            prop_assert_eq!(b.by_age.iter().sum::<u64>(), sum);
            for r in &b.rows {
                prop_assert_eq!(r.by_age.iter().sum::<u64>(), r.total);
            }
            prop_assert!(b.warning + b.breached <= b.total);
        }
    }
}
