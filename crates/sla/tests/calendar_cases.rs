//! Fixed business-time cases: the published examples, DST weeks in New York,
//! Berlin and Lord Howe, half-hour zones, holidays, closing and opening rules.

mod common;

use chrono::{TimeDelta, Weekday};
use chrono_tz::{America, Asia, Australia, Europe, Tz};
use common::*;
use servicedesk_sla::{Calendar, SlaError, WeeklyHours};

#[test]
fn published_case_new_york_monday_evening_plus_two_hours() {
    let cal = office(America::New_York, &[("09:00", "18:00")]);
    // Monday 2007-01-01 17:00 EST, one hour before close.
    let due = cal.add_business_time(utc("2007-01-01T22:00:00Z"), hours(2));
    assert_eq!(due, utc("2007-01-02T15:00:00Z")); // Tuesday 10:00 EST
}

#[test]
fn published_case_utc_twelve_hour_days_plus_84_hours() {
    let cal = office(Tz::UTC, &[("08:00", "20:00")]);
    let due = cal.add_business_time(utc("2018-11-19T10:00:00Z"), hours(84));
    assert_eq!(due, utc("2018-11-28T10:00:00Z"));
    assert_eq!(
        cal.business_time_between(utc("2018-11-19T10:00:00Z"), due),
        hours(84)
    );
}

#[test]
fn due_on_a_closing_time_is_that_closing_time() {
    let cal = office(America::New_York, &[("09:00", "18:00")]);
    // Monday 2026-01-05 09:00 EST + 9 h = 18:00 EST the same day, not Tuesday 09:00.
    let due = cal.add_business_time(utc("2026-01-05T14:00:00Z"), hours(9));
    assert_eq!(due, utc("2026-01-05T23:00:00Z"));
    // One second more is the first second of Tuesday.
    let due = cal.add_business_time(
        utc("2026-01-05T14:00:00Z"),
        hours(9) + TimeDelta::seconds(1),
    );
    assert_eq!(due, utc("2026-01-06T14:00:01Z"));
}

#[test]
fn due_on_a_lunch_break_boundary_is_the_break_start() {
    let cal = office(Europe::Berlin, &[("09:00", "12:00"), ("13:00", "17:00")]);
    // Monday 2026-01-05 09:00 CET + 3 h = 12:00 CET.
    let due = cal.add_business_time(utc("2026-01-05T08:00:00Z"), hours(3));
    assert_eq!(due, utc("2026-01-05T11:00:00Z"));
    assert_eq!(
        cal.add_business_time(utc("2026-01-05T08:00:00Z"), hours(4)),
        utc("2026-01-05T13:00:00Z")
    );
}

#[test]
fn start_outside_hours_counts_from_the_next_opening() {
    let cal = office(America::New_York, &[("09:00", "18:00")]);
    // Saturday 2026-01-10 12:00 EST -> Monday 09:00 EST + 1 h.
    assert_eq!(
        cal.add_business_time(utc("2026-01-10T17:00:00Z"), hours(1)),
        utc("2026-01-12T15:00:00Z")
    );
    // Tuesday 06:00 EST, before opening.
    assert_eq!(
        cal.add_business_time(utc("2026-01-13T11:00:00Z"), hours(1)),
        utc("2026-01-13T15:00:00Z")
    );
    // Tuesday 20:00 EST, after closing.
    assert_eq!(
        cal.add_business_time(utc("2026-01-14T01:00:00Z"), hours(1)),
        utc("2026-01-14T15:00:00Z")
    );
    // Friday 19:00 EST, after closing before a weekend.
    assert_eq!(
        cal.add_business_time(utc("2026-01-17T00:00:00Z"), hours(1)),
        utc("2026-01-19T15:00:00Z")
    );
    // Nothing counts over the weekend.
    assert_eq!(
        cal.business_time_between(utc("2026-01-17T00:00:00Z"), utc("2026-01-19T14:00:00Z")),
        TimeDelta::zero()
    );
}

#[test]
fn non_positive_durations_and_reversed_ranges() {
    let cal = office(America::New_York, &[("09:00", "18:00")]);
    let saturday = utc("2026-01-10T17:00:00Z");
    assert_eq!(cal.add_business_time(saturday, TimeDelta::zero()), saturday);
    assert_eq!(cal.add_business_time(saturday, -hours(5)), saturday);
    assert_eq!(
        cal.business_time_between(saturday, saturday),
        TimeDelta::zero()
    );
    assert_eq!(
        cal.business_time_between(utc("2026-01-13T20:00:00Z"), utc("2026-01-13T15:00:00Z")),
        TimeDelta::zero()
    );
}

#[test]
fn working_instants_are_half_open() {
    let cal = office(America::New_York, &[("09:00", "18:00")]);
    assert!(cal.is_working_instant(utc("2026-01-05T14:00:00Z"))); // 09:00 opening
    assert!(cal.is_working_instant(utc("2026-01-05T22:59:59Z")));
    assert!(!cal.is_working_instant(utc("2026-01-05T23:00:00Z"))); // 18:00 closing
    assert!(!cal.is_working_instant(utc("2026-01-10T17:00:00Z"))); // Saturday
    assert_eq!(
        cal.next_working_instant(utc("2026-01-05T23:00:00Z")),
        Some(utc("2026-01-06T14:00:00Z"))
    );
    assert_eq!(
        cal.next_working_instant(utc("2026-01-05T15:00:00Z")),
        Some(utc("2026-01-05T15:00:00Z"))
    );
}

#[test]
fn kolkata_half_hour_offset() {
    let cal = office(Asia::Kolkata, &[("09:00", "17:30")]);
    // Monday 2026-03-02: 09:00-17:30 IST is 03:30-12:00Z.
    assert_eq!(
        cal.business_time_between(utc("2026-03-02T00:00:00Z"), utc("2026-03-03T00:00:00Z")),
        minutes(8 * 60 + 30)
    );
    assert!(!cal.is_working_instant(utc("2026-03-02T03:29:59Z")));
    assert!(cal.is_working_instant(utc("2026-03-02T03:30:00Z")));
    assert!(!cal.is_working_instant(utc("2026-03-02T12:00:00Z")));
    assert_eq!(
        cal.add_business_time(utc("2026-03-02T00:00:00Z"), minutes(8 * 60 + 30)),
        utc("2026-03-02T12:00:00Z")
    );
    assert_eq!(
        cal.add_business_time(utc("2026-03-02T00:00:00Z"), minutes(8 * 60 + 31)),
        utc("2026-03-03T03:31:00Z")
    );
}

/// `[local 00:00 of day, local 00:00 of the next day)` in real time.
fn whole_day(cal: &Calendar, from: &str, to: &str) -> TimeDelta {
    cal.business_time_between(utc(from), utc(to))
}

#[test]
fn new_york_spring_forward_2026_03_08() {
    let zone = America::New_York;
    // Sunday 2026-03-08: local midnight 05:00Z (EST), next midnight 04:00Z (EDT).
    let (from, to) = ("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z");
    assert_eq!(
        whole_day(&Calendar::around_the_clock(zone), from, to),
        hours(23)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("00:00", "24:00")]), from, to),
        hours(23)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("09:00", "17:00")]), from, to),
        hours(8)
    );
    // Saturday 22:00 EST + 6 h = 09:00Z, which New York clocks show as 05:00 EDT.
    let due =
        Calendar::around_the_clock(zone).add_business_time(utc("2026-03-08T03:00:00Z"), hours(6));
    assert_eq!(due, utc("2026-03-08T09:00:00Z"));
    assert_eq!(
        due.with_timezone(&zone).format("%H:%M %Z").to_string(),
        "05:00 EDT"
    );
    // 01:00-04:00 holds only two real hours: 02:00-03:00 does not exist.
    assert_eq!(
        whole_day(&daily(zone, &[("01:00", "04:00")]), from, to),
        hours(2)
    );
    // An interval entirely inside the gap holds nothing.
    assert_eq!(
        whole_day(&daily(zone, &[("02:15", "02:45")]), from, to),
        TimeDelta::zero()
    );
    // An interval starting in the gap starts when the clocks jump (07:00Z).
    let cal = daily(zone, &[("02:30", "05:00")]);
    assert_eq!(whole_day(&cal, from, to), hours(2));
    assert!(cal.is_working_instant(utc("2026-03-08T07:00:00Z")));
    assert!(!cal.is_working_instant(utc("2026-03-08T06:59:59Z")));
}

#[test]
fn new_york_office_week_of_the_spring_change() {
    let cal = office(America::New_York, &[("09:00", "17:00")]);
    // Friday 2026-03-06 16:00 EST (21:00Z) + 2 h: 1 h on Friday, 1 h on Monday,
    // and Monday 09:00 is now EDT = 13:00Z.
    assert_eq!(
        cal.add_business_time(utc("2026-03-06T21:00:00Z"), hours(2)),
        utc("2026-03-09T14:00:00Z")
    );
    // The whole week Mon 03-02 .. Sun 03-08 has 40 h, and so does the next one.
    assert_eq!(
        cal.business_time_between(utc("2026-03-02T05:00:00Z"), utc("2026-03-09T04:00:00Z")),
        hours(40)
    );
    assert_eq!(
        cal.business_time_between(utc("2026-03-09T04:00:00Z"), utc("2026-03-16T04:00:00Z")),
        hours(40)
    );
}

#[test]
fn new_york_fall_back_2026_11_01() {
    let zone = America::New_York;
    // Sunday 2026-11-01: local midnight 04:00Z (EDT), next midnight 05:00Z (EST).
    let (from, to) = ("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z");
    assert_eq!(
        whole_day(&Calendar::around_the_clock(zone), from, to),
        hours(25)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("00:00", "24:00")]), from, to),
        hours(25)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("09:00", "17:00")]), from, to),
        hours(8)
    );
    // 01:00 (first, EDT) to 04:00 (EST) is four real hours.
    assert_eq!(
        whole_day(&daily(zone, &[("01:00", "04:00")]), from, to),
        hours(4)
    );
    // An interval ending in the repeated hour runs to its second occurrence:
    // 00:00 EDT (04:00Z) .. 01:30 EST (06:30Z).
    assert_eq!(
        whole_day(&daily(zone, &[("00:00", "01:30")]), from, to),
        minutes(150)
    );
    // Two intervals whose resolved spans overlap around the repeated hour are
    // counted once: 00:00-01:15 -> 04:00Z..06:15Z, 01:45-03:00 -> 05:45Z..08:00Z.
    assert_eq!(
        whole_day(
            &daily(zone, &[("00:00", "01:15"), ("01:45", "03:00")]),
            from,
            to
        ),
        hours(4)
    );
}

#[test]
fn new_york_office_week_of_the_fall_change() {
    let cal = office(America::New_York, &[("09:00", "17:00")]);
    // Friday 2026-10-30 16:00 EDT (20:00Z) + 2 h -> Monday 11-02 10:00 EST (15:00Z).
    assert_eq!(
        cal.add_business_time(utc("2026-10-30T20:00:00Z"), hours(2)),
        utc("2026-11-02T15:00:00Z")
    );
}

#[test]
fn berlin_spring_forward_2026_03_29() {
    let zone = Europe::Berlin;
    // Sunday 2026-03-29: local midnight 23:00Z (CET) the day before, next 22:00Z (CEST).
    let (from, to) = ("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
    assert_eq!(
        whole_day(&Calendar::around_the_clock(zone), from, to),
        hours(23)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("00:00", "24:00")]), from, to),
        hours(23)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("09:00", "17:00")]), from, to),
        hours(8)
    );
    // Around the clock plus two hours across the jump is plain real time.
    assert_eq!(
        Calendar::around_the_clock(zone).add_business_time(utc("2026-03-29T00:30:00Z"), hours(2)),
        utc("2026-03-29T02:30:00Z")
    );
}

#[test]
fn berlin_fall_back_2026_10_25() {
    let zone = Europe::Berlin;
    // Sunday 2026-10-25: local midnight 22:00Z (CEST) the day before, next 23:00Z (CET).
    let (from, to) = ("2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    assert_eq!(
        whole_day(&Calendar::around_the_clock(zone), from, to),
        hours(25)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("00:00", "24:00")]), from, to),
        hours(25)
    );
    assert_eq!(
        whole_day(&daily(zone, &[("09:00", "17:00")]), from, to),
        hours(8)
    );
    // Office hours move in UTC: 09:00 is 07:00Z on Friday, 08:00Z on Monday.
    let cal = office(zone, &[("09:00", "17:00")]);
    assert_eq!(
        cal.add_business_time(utc("2026-10-23T14:00:00Z"), hours(2)),
        utc("2026-10-26T09:00:00Z")
    );
}

#[test]
fn lord_howe_half_hour_dst() {
    let zone = Australia::Lord_Howe;
    let cal = Calendar::around_the_clock(zone);
    // 2026-04-05 DST ends: 02:00 LHDT (+11) -> 01:30 LHST (+10:30): 24.5 h day.
    assert_eq!(
        whole_day(&cal, "2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z"),
        minutes(24 * 60 + 30)
    );
    // 2026-10-04 DST starts: 02:00 LHST -> 02:30 LHDT: 23.5 h day.
    assert_eq!(
        whole_day(&cal, "2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z"),
        minutes(23 * 60 + 30)
    );
    assert_eq!(
        whole_day(
            &daily(zone, &[("09:00", "17:00")]),
            "2026-10-03T13:30:00Z",
            "2026-10-04T13:00:00Z"
        ),
        hours(8)
    );
}

#[test]
fn holidays_are_skipped_in_the_calendar_zone() {
    let hours_ = WeeklyHours::weekdays(vec![iv("09:00", "17:00")]);
    let cal = Calendar::new(Europe::Berlin, hours_.clone(), [date("2026-12-25")]).unwrap();
    // Thursday 2026-12-24 16:00 CET (15:00Z) + 2 h: 1 h Thursday, Friday 25th is
    // a holiday, 1 h on Monday the 28th -> 10:00 CET.
    assert_eq!(
        cal.add_business_time(utc("2026-12-24T15:00:00Z"), hours(2)),
        utc("2026-12-28T09:00:00Z")
    );
    assert_eq!(
        cal.business_time_between(utc("2026-12-21T00:00:00Z"), utc("2026-12-28T00:00:00Z")),
        hours(32)
    );
    assert!(!cal.is_working_instant(utc("2026-12-25T10:00:00Z")));
    // Without the holiday the same start is due on Friday.
    let plain = Calendar::new(Europe::Berlin, hours_, []).unwrap();
    assert_eq!(
        plain.add_business_time(utc("2026-12-24T15:00:00Z"), hours(2)),
        utc("2026-12-25T09:00:00Z")
    );
}

#[test]
fn holiday_is_a_local_date_not_a_utc_date() {
    // Kolkata is ahead of UTC: local 2026-08-15 starts at 2026-08-14T18:30Z.
    let cal = Calendar::new(
        Asia::Kolkata,
        WeeklyHours::every_day(vec![iv("00:00", "24:00")]),
        [date("2026-08-15")],
    )
    .unwrap();
    assert!(cal.is_working_instant(utc("2026-08-14T18:29:59Z")));
    assert!(!cal.is_working_instant(utc("2026-08-14T18:30:00Z")));
    assert!(cal.is_working_instant(utc("2026-08-15T18:30:00Z")));
    assert_eq!(
        cal.business_time_between(utc("2026-08-14T00:00:00Z"), utc("2026-08-17T00:00:00Z")),
        hours(48)
    );
}

#[test]
fn interval_ending_at_midnight_runs_into_the_next_date() {
    let cal = Calendar::new(
        Tz::UTC,
        WeeklyHours::default()
            .with_day(Weekday::Mon, vec![iv("20:00", "24:00")])
            .with_day(Weekday::Tue, vec![iv("00:00", "02:00")]),
        [],
    )
    .unwrap();
    // Monday 2026-01-05 23:00 + 2 h = Tuesday 01:00, straight through midnight.
    assert_eq!(
        cal.add_business_time(utc("2026-01-05T23:00:00Z"), hours(2)),
        utc("2026-01-06T01:00:00Z")
    );
    // Monday 20:00 + 4 h lands on midnight, the end of Monday's interval.
    assert_eq!(
        cal.add_business_time(utc("2026-01-05T20:00:00Z"), hours(4)),
        utc("2026-01-06T00:00:00Z")
    );
}

#[test]
fn twenty_four_seven_is_wall_clock_time() {
    let cal = Calendar::twenty_four_seven();
    assert_eq!(cal.zone(), Tz::UTC);
    let start = utc("2026-03-07T12:34:56Z");
    assert_eq!(cal.add_business_time(start, hours(100)), start + hours(100));
    assert_eq!(
        cal.business_time_between(start, start + hours(100)),
        hours(100)
    );
}

#[test]
fn construction_validates_hours() {
    let overlapping = WeeklyHours::weekdays(vec![iv("09:00", "12:00"), iv("11:59", "13:00")]);
    assert!(matches!(
        Calendar::new(Tz::UTC, overlapping, []),
        Err(SlaError::OverlappingIntervals {
            weekday: Weekday::Mon,
            ..
        })
    ));
    assert_eq!(
        Calendar::new(Tz::UTC, WeeklyHours::default(), []),
        Err(SlaError::NoWorkingTime)
    );
    // Unsorted and touching intervals are normalized.
    let cal = Calendar::new(
        Tz::UTC,
        WeeklyHours::weekdays(vec![
            iv("13:00", "17:00"),
            iv("09:00", "12:00"),
            iv("12:00", "13:00"),
        ]),
        [date("2026-01-01"), date("2025-12-25")],
    )
    .unwrap();
    assert_eq!(cal.hours().day(Weekday::Fri), &[iv("09:00", "17:00")]);
    assert_eq!(
        cal.holidays().copied().collect::<Vec<_>>(),
        vec![date("2025-12-25"), date("2026-01-01")]
    );
    assert!(cal.is_holiday(date("2026-01-01")));
}

#[test]
fn calendar_round_trips_through_json() {
    let cal = Calendar::new(
        Europe::Berlin,
        WeeklyHours::weekdays(vec![iv("09:00", "12:00"), iv("13:00", "17:00")]),
        [date("2026-12-25")],
    )
    .unwrap();
    let json = serde_json::to_value(&cal).unwrap();
    assert_eq!(json["zone"], "Europe/Berlin");
    assert_eq!(
        json["hours"]["days"][0][1],
        serde_json::json!(["13:00", "17:00"])
    );
    assert_eq!(json["holidays"][0], "2026-12-25");
    assert_eq!(
        serde_json::from_value::<Calendar>(json.clone()).unwrap(),
        cal
    );

    let mut bad = json;
    bad["zone"] = "Mars/Olympus_Mons".into();
    assert!(serde_json::from_value::<Calendar>(bad).is_err());
}

#[test]
fn very_long_durations_saturate_instead_of_looping() {
    let cal = office(Tz::UTC, &[("09:00", "10:00")]);
    let start = utc("2026-01-05T00:00:00Z");
    let due = cal.add_business_time(start, TimeDelta::MAX);
    assert!(due > start + TimeDelta::days(365 * 99));
    assert!(due < start + TimeDelta::days(365 * 101));
}
