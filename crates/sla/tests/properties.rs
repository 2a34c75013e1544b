//! Property tests of business-time arithmetic over random calendars: DST zones
//! (including Lord Howe's 30-minute shift, Santiago's midnight changes and
//! Apia's skipped day), intervals ending at 24:00, and holidays near the start.

mod common;

use chrono::{DateTime, Days, TimeDelta, Utc};
use chrono_tz::{America, Asia, Australia, Europe, Pacific, Tz};
use proptest::prelude::*;
use servicedesk_sla::{Calendar, SlaClock, WeeklyHours, WorkInterval};

const ZONES: &[Tz] = &[
    America::New_York,
    Europe::Berlin,
    Asia::Kolkata,
    Australia::Lord_Howe,
    Tz::UTC,
    America::Santiago,
    Pacific::Apia,
    Asia::Kathmandu,
];

/// 2000-01-01T00:00:00Z .. 2040-12-31T23:59:59Z in seconds.
const FIRST_SECOND: i64 = 946_684_800;
const LAST_SECOND: i64 = 2_240_611_199;

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (FIRST_SECOND..=LAST_SECOND).prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range"))
}

/// Minute marks biased toward midnight, 24:00 and half hours, where the corner cases are.
fn minute_mark() -> impl Strategy<Value = u16> {
    prop_oneof![
        1 => Just(0u16),
        1 => Just(1440u16),
        3 => (0u16..=48).prop_map(|h| h * 30),
        3 => 0u16..=1440,
    ]
}

fn day_intervals() -> impl Strategy<Value = Vec<WorkInterval>> {
    prop::collection::vec(minute_mark(), 0..=6).prop_map(|mut marks| {
        marks.sort_unstable();
        marks.dedup();
        marks
            .chunks_exact(2)
            .map(|pair| WorkInterval::new(pair[0], pair[1]).expect("sorted, deduplicated marks"))
            .collect()
    })
}

/// A calendar plus a start instant; holidays are placed around the start so
/// they matter.
#[derive(Debug, Clone)]
struct Case {
    calendar: Calendar,
    start: DateTime<Utc>,
}

impl Case {
    /// Average working time of a working weekday, for durations "in business days".
    fn business_day(&self) -> TimeDelta {
        let days = &self.calendar.hours().days;
        let working = days.iter().filter(|d| !d.is_empty()).count().max(1);
        let minutes: i64 = days
            .iter()
            .flatten()
            .map(|iv| i64::from(iv.end_minute() - iv.start_minute()))
            .sum();
        TimeDelta::minutes(minutes) / i32::try_from(working).expect("at most 7")
    }

    /// `thousandths` of a business day, at whole-second granularity.
    fn days(&self, thousandths: u32) -> TimeDelta {
        let secs = self.business_day().num_seconds() * i64::from(thousandths) / 1000;
        TimeDelta::seconds(secs)
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(ZONES),
        prop::array::uniform7(day_intervals()),
        instant(),
        prop::collection::vec(-10i64..120, 0..12),
    )
        .prop_map(|(zone, mut days, start, holiday_offsets)| {
            if days.iter().all(Vec::is_empty) {
                days[0] = vec![WorkInterval::parse("09:00", "17:00").expect("valid interval")];
            }
            let local = start.with_timezone(&zone).date_naive();
            let holidays = holiday_offsets.into_iter().filter_map(|offset| {
                if offset >= 0 {
                    local.checked_add_days(Days::new(offset.unsigned_abs()))
                } else {
                    local.checked_sub_days(Days::new(offset.unsigned_abs()))
                }
            });
            let calendar =
                Calendar::new(zone, WeeklyHours { days }, holidays).expect("normalized days");
            Case { calendar, start }
        })
}

/// 0 ..= 60 business days, in thousandths.
fn up_to_60_days() -> impl Strategy<Value = u32> {
    prop_oneof![1 => Just(0u32), 9 => 0u32..=60_000]
}

proptest! {
    // Cheap enough (a few µs per case in release) to look harder than the default 256.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn between_inverts_add(case in case(), days in up_to_60_days()) {
        let d = case.days(days);
        let due = case.calendar.add_business_time(case.start, d);
        prop_assert!(due >= case.start);
        prop_assert_eq!(case.calendar.business_time_between(case.start, due), d);
    }

    #[test]
    fn due_is_the_earliest_such_instant(case in case(), days in 1u32..=60_000) {
        let d = case.days(days);
        prop_assume!(d > TimeDelta::zero());
        let due = case.calendar.add_business_time(case.start, d);
        let just_before = due - TimeDelta::nanoseconds(1);
        prop_assert!(case.calendar.business_time_between(case.start, just_before) < d);
        prop_assert!(case.calendar.is_working_instant(just_before));
    }

    #[test]
    fn due_is_monotone_in_duration(case in case(), a in up_to_60_days(), b in up_to_60_days()) {
        let (d1, d2) = (case.days(a.min(b)), case.days(a.max(b)));
        let due1 = case.calendar.add_business_time(case.start, d1);
        let due2 = case.calendar.add_business_time(case.start, d2);
        prop_assert!(due1 <= due2, "{d1} -> {due1}, {d2} -> {due2}");
    }

    #[test]
    fn between_is_additive(
        case in case(),
        x in 0i64..=60 * 86_400,
        y in 0i64..=60 * 86_400,
    ) {
        let a = case.start;
        let b = a + TimeDelta::seconds(x);
        let c = b + TimeDelta::seconds(y);
        let cal = &case.calendar;
        prop_assert_eq!(
            cal.business_time_between(a, b) + cal.business_time_between(b, c),
            cal.business_time_between(a, c)
        );
        prop_assert!(cal.business_time_between(a, c) <= c - a);
    }

    #[test]
    fn around_the_clock_is_wall_clock_time(
        start in instant(),
        zone in prop::sample::select(ZONES),
        secs in 0i64..=120 * 86_400,
    ) {
        let d = TimeDelta::seconds(secs);
        for cal in [Calendar::twenty_four_seven(), Calendar::around_the_clock(zone)] {
            prop_assert_eq!(cal.add_business_time(start, d), start + d);
            prop_assert_eq!(cal.business_time_between(start, start + d), d);
            prop_assert!(cal.is_working_instant(start));
        }
    }

    #[test]
    fn pausing_never_makes_a_clock_due_earlier(
        case in case(),
        target in 1u32..=20_000,
        pause_after in 0i64..=30 * 86_400,
        pause_for in 0i64..=30 * 86_400,
        percent in 1u8..=100,
    ) {
        let cal = &case.calendar;
        let target = case.days(target);
        let plain = SlaClock::start(target, percent, case.start);
        let mut paused = plain.clone();
        let pause_at = case.start + TimeDelta::seconds(pause_after);
        paused.pause(cal, pause_at);
        paused.resume(pause_at + TimeDelta::seconds(pause_for));

        let (plain_due, paused_due) = (plain.due_at(cal).unwrap(), paused.due_at(cal).unwrap());
        prop_assert!(paused_due >= plain_due, "{plain_due} then {paused_due}");
        prop_assert!(paused.warning_at(cal).unwrap() >= plain.warning_at(cal).unwrap());
        // Without the pause, both clocks count the same business time.
        prop_assert_eq!(
            paused.elapsed(cal, pause_at + TimeDelta::seconds(pause_for)),
            plain.elapsed(cal, pause_at)
        );
    }

    #[test]
    fn breach_instant_matches_is_breached(case in case(), target in 0u32..=20_000) {
        let cal = &case.calendar;
        let clock = SlaClock::start(case.days(target), 75, case.start);
        let breach = clock.breach_at(cal).unwrap();
        prop_assert!(breach >= clock.due_at(cal).unwrap());
        prop_assert!(!clock.is_breached(cal, breach));
        // Business time accrues right after the breach instant.
        prop_assert!(clock.is_breached(cal, breach + TimeDelta::seconds(1)));
    }

    #[test]
    fn standing_agrees_with_the_warning_and_breach_instants(
        case in case(),
        target in 1u32..=20_000,
        percent in 1u8..=100,
        after in 0i64..=90 * 86_400,
    ) {
        let cal = &case.calendar;
        let clock = SlaClock::start(case.days(target), percent, case.start);
        let now = case.start + TimeDelta::seconds(after);
        let standing = clock.standing(cal, now);
        prop_assert_eq!(standing.elapsed, cal.business_time_between(case.start, now));
        prop_assert_eq!(standing.remaining, clock.target - standing.elapsed);
        prop_assert_eq!(standing.warning_reached, now >= clock.warning_at(cal).unwrap());
        prop_assert_eq!(standing.breached, now > clock.breach_at(cal).unwrap());
        prop_assert_eq!(standing.warning_reached, clock.is_warning_reached(cal, now));
        prop_assert_eq!(standing.breached, clock.is_breached(cal, now));
        prop_assert_eq!(standing.remaining, clock.remaining(cal, now));
        // At the due instant the target is used up exactly, and not yet passed.
        let at_due = clock.standing(cal, clock.due_at(cal).unwrap());
        prop_assert_eq!(at_due.remaining, TimeDelta::zero());
        prop_assert!(!at_due.breached);
        prop_assert!(at_due.warning_reached);
        prop_assert!(clock.standing(cal, clock.warning_at(cal).unwrap()).warning_reached);
    }
}

#[test]
fn zones_under_test_cover_dst_and_fractional_offsets() {
    use chrono::TimeZone;
    // Guards the generator's zone list: Lord Howe moves by 30 minutes, and Apia
    // skipped the whole local date 2011-12-30 (UTC-10 -> UTC+14).
    let midnight = |zone: Tz, date: &str| {
        let date: chrono::NaiveDate = date.parse().unwrap();
        zone.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .to_utc()
    };
    let around = |zone| Calendar::around_the_clock(zone);
    assert_eq!(
        around(Australia::Lord_Howe).business_time_between(
            midnight(Australia::Lord_Howe, "2026-10-04"),
            midnight(Australia::Lord_Howe, "2026-10-05")
        ),
        TimeDelta::minutes(23 * 60 + 30)
    );
    let (from, to) = (
        midnight(Pacific::Apia, "2011-12-29"),
        midnight(Pacific::Apia, "2011-12-31"),
    );
    assert_eq!(
        around(Pacific::Apia).business_time_between(from, to),
        TimeDelta::hours(24)
    );
    let office = Calendar::new(
        Pacific::Apia,
        WeeklyHours::every_day(vec![WorkInterval::parse("09:00", "17:00").unwrap()]),
        [],
    )
    .unwrap();
    assert_eq!(office.business_time_between(from, to), TimeDelta::hours(8));
    assert_eq!(
        office.add_business_time(from, TimeDelta::hours(9)),
        midnight(Pacific::Apia, "2011-12-31") + TimeDelta::hours(10)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A round-the-clock calendar answers with wall-clock arithmetic instead of walking its
    /// dates. The same calendar with one holiday far outside the range takes the walk, so
    /// the two must agree everywhere, across every zone's shifts (Apia's skipped day,
    /// Santiago's midnight changes, Lord Howe's half hour).
    #[test]
    fn round_the_clock_is_wall_clock_time(
        zone in prop::sample::select(ZONES),
        start in instant(),
        minutes in -1_000i64..=600_000,
        until in instant(),
    ) {
        let fast = Calendar::around_the_clock(zone);
        let walked = Calendar::new(
            zone,
            WeeklyHours::every_day(vec![WorkInterval::WHOLE_DAY]),
            ["2300-01-01".parse().expect("valid date")],
        )
        .expect("valid calendar");
        let duration = TimeDelta::minutes(minutes);
        prop_assert_eq!(
            fast.add_business_time(start, duration),
            walked.add_business_time(start, duration)
        );
        prop_assert_eq!(
            fast.business_time_between(start, until),
            walked.business_time_between(start, until)
        );
        let soon = start + TimeDelta::minutes(minutes.abs() % 5_000);
        prop_assert_eq!(
            fast.business_time_between(start, soon),
            walked.business_time_between(start, soon)
        );
    }
}
