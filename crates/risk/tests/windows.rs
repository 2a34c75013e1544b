//! RISK-2: windows, conflicts, blackouts and maintenance hours.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers build known-valid fixtures"
)]

mod common;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc, Weekday};
use common::at;
use proptest::prelude::*;
use serde::Deserialize;
use serde::de::value::{Error as ValueError, MapDeserializer};
use servicedesk_risk::{
    Blackout, BlackoutHit, Conflict, FailureHistory, MaintenanceWindows, PlannedChange, RiskError,
    WeekTime, WeeklyWindow, Window, blackout_hits, find_conflicts, outside_maintenance,
};
use uuid::Uuid;

fn window(start: &str, end: &str) -> Window {
    Window::new(at(start), at(end)).unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn change(n: u128, w: Window, cis: &[u128]) -> PlannedChange {
    PlannedChange {
        change_id: id(n),
        window: w,
        ci_ids: cis.iter().copied().map(id).collect(),
    }
}

// ---------------------------------------------------------------- Window

#[test]
fn window_must_end_after_it_starts() {
    let t = at("2026-03-01T10:00:00Z");
    assert_eq!(
        Window::new(t, t),
        Err(RiskError::InvalidWindow { start: t, end: t })
    );
    let earlier = t - TimeDelta::minutes(1);
    assert!(matches!(
        Window::new(t, earlier),
        Err(RiskError::InvalidWindow { .. })
    ));
    let w = Window::new(earlier, t).unwrap();
    assert_eq!(w.start(), earlier);
    assert_eq!(w.end(), t);
    assert_eq!(w.duration(), TimeDelta::minutes(1));
}

#[test]
fn window_error_message_names_both_ends() {
    let t = at("2026-03-01T10:00:00Z");
    let message = Window::new(t, t).unwrap_err().to_string();
    assert!(message.contains("2026-03-01 10:00:00 UTC"), "{message}");
}

#[test]
fn deserialising_a_window_validates_it() {
    let parse = |start: &'static str, end: &'static str| {
        let map =
            MapDeserializer::<_, ValueError>::new([("start", start), ("end", end)].into_iter());
        Window::deserialize(map)
    };
    assert_eq!(
        parse("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z").unwrap(),
        window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z")
    );
    let err = parse("2026-03-01T12:00:00Z", "2026-03-01T10:00:00Z").unwrap_err();
    assert!(err.to_string().contains("must be after"), "{err}");
}

#[test]
fn deserialising_failure_history_validates_it() {
    let parse = |failed: u32, total: u32| {
        let map = MapDeserializer::<_, ValueError>::new(
            [("failed", failed), ("total", total)].into_iter(),
        );
        FailureHistory::deserialize(map)
    };
    assert_eq!(parse(2, 5).unwrap(), FailureHistory::new(2, 5).unwrap());
    assert!(parse(6, 5).is_err());
    assert_eq!(
        FailureHistory::new(6, 5),
        Err(RiskError::FailuresExceedTotal {
            failed: 6,
            total: 5
        })
    );
}

#[test]
fn overlap_is_half_open() {
    let a = window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z");
    let b = window("2026-03-01T11:00:00Z", "2026-03-01T13:00:00Z");
    let c = window("2026-03-01T12:00:00Z", "2026-03-01T14:00:00Z");
    assert_eq!(
        a.overlap(&b),
        Some(window("2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z"))
    );
    assert_eq!(a.overlap(&c), None);
    assert!(!c.overlaps(&a));
    let inner = window("2026-03-01T10:30:00Z", "2026-03-01T11:00:00Z");
    assert_eq!(a.overlap(&inner), Some(inner));
}

// ---------------------------------------------------------------- conflicts

#[test]
fn overlapping_windows_on_a_shared_ci_conflict() {
    let candidate = change(
        1,
        window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"),
        &[10, 11],
    );
    let other = change(
        2,
        window("2026-03-01T11:30:00Z", "2026-03-01T13:00:00Z"),
        &[11, 12],
    );
    assert_eq!(
        find_conflicts(&candidate, &[other]),
        vec![Conflict {
            other_change_id: id(2),
            shared_ci_ids: vec![id(11)],
            overlap: window("2026-03-01T11:30:00Z", "2026-03-01T12:00:00Z"),
        }]
    );
}

#[test]
fn touching_windows_do_not_conflict() {
    let candidate = change(
        1,
        window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"),
        &[10],
    );
    let before = change(
        2,
        window("2026-03-01T08:00:00Z", "2026-03-01T10:00:00Z"),
        &[10],
    );
    let after = change(
        3,
        window("2026-03-01T12:00:00Z", "2026-03-01T13:00:00Z"),
        &[10],
    );
    assert!(find_conflicts(&candidate, &[before, after]).is_empty());
}

#[test]
fn overlapping_windows_on_disjoint_cis_do_not_conflict() {
    let candidate = change(
        1,
        window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"),
        &[10, 11],
    );
    let other = change(
        2,
        window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"),
        &[12, 13],
    );
    assert!(find_conflicts(&candidate, &[other]).is_empty());
}

#[test]
fn candidate_without_cis_conflicts_with_nothing() {
    let candidate = change(
        1,
        window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"),
        &[],
    );
    let other = change(
        2,
        window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"),
        &[12],
    );
    assert!(find_conflicts(&candidate, &[other]).is_empty());
}

#[test]
fn multiple_conflicts_in_schedule_order_and_self_skipped() {
    let w = window("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z");
    let candidate = change(1, w, &[10, 11, 10]);
    let schedule = vec![
        change(
            4,
            window("2026-03-01T11:00:00Z", "2026-03-01T15:00:00Z"),
            &[11, 10],
        ),
        candidate.clone(),
        change(
            5,
            window("2026-03-01T13:00:00Z", "2026-03-01T15:00:00Z"),
            &[10],
        ),
        change(
            3,
            window("2026-03-01T09:00:00Z", "2026-03-01T10:30:00Z"),
            &[11, 99],
        ),
        // Same id as the candidate, e.g. an older version of it: skipped.
        change(1, w, &[10]),
    ];
    let conflicts = find_conflicts(&candidate, &schedule);
    assert_eq!(
        conflicts,
        vec![
            Conflict {
                other_change_id: id(4),
                shared_ci_ids: vec![id(10), id(11)],
                overlap: window("2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z"),
            },
            Conflict {
                other_change_id: id(3),
                shared_ci_ids: vec![id(11)],
                overlap: window("2026-03-01T10:00:00Z", "2026-03-01T10:30:00Z"),
            },
        ]
    );
}

// ---------------------------------------------------------------- blackouts

fn freeze(name: &str, cis: Option<&[u128]>) -> Blackout {
    Blackout {
        name: name.to_owned(),
        window: window("2026-12-20T00:00:00Z", "2027-01-04T00:00:00Z"),
        ci_ids: cis.map(|c| c.iter().copied().map(id).collect()),
    }
}

#[test]
fn global_blackout_hits_any_change_in_its_window() {
    let w = window("2026-12-19T22:00:00Z", "2026-12-20T02:00:00Z");
    let hits = blackout_hits(&w, &[id(10)], &[freeze("Year-end freeze", None)]);
    assert_eq!(
        hits,
        vec![BlackoutHit {
            name: "Year-end freeze".to_owned(),
            overlap: window("2026-12-20T00:00:00Z", "2026-12-20T02:00:00Z"),
        }]
    );
    // Even a change that names no CI.
    assert_eq!(
        blackout_hits(&w, &[], &[freeze("Year-end freeze", None)]).len(),
        1
    );
}

#[test]
fn ci_scoped_blackout_hits_only_changes_on_its_cis() {
    let w = window("2026-12-21T22:00:00Z", "2026-12-22T02:00:00Z");
    let blackouts = [
        freeze("Payments freeze", Some(&[10, 11])),
        freeze("HR freeze", Some(&[20])),
        freeze("Empty scope", Some(&[])),
    ];
    let hits = blackout_hits(&w, &[11, 30].map(id), &blackouts);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name, "Payments freeze");
    assert!(blackout_hits(&w, &[30].map(id), &blackouts).is_empty());
}

#[test]
fn blackout_touching_the_window_is_no_hit() {
    let before = window("2026-12-19T20:00:00Z", "2026-12-20T00:00:00Z");
    let after = window("2027-01-04T00:00:00Z", "2027-01-04T03:00:00Z");
    let blackouts = [freeze("Year-end freeze", None)];
    assert!(blackout_hits(&before, &[], &blackouts).is_empty());
    assert!(blackout_hits(&after, &[], &blackouts).is_empty());
}

#[test]
fn several_blackouts_in_given_order() {
    let w = window("2026-12-24T00:00:00Z", "2026-12-24T01:00:00Z");
    let blackouts = [
        freeze("B", Some(&[10])),
        freeze("A", None),
        freeze("C", Some(&[99])),
    ];
    let names: Vec<String> = blackout_hits(&w, &[id(10)], &blackouts)
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(names, ["B", "A"]);
}

// ---------------------------------------------------------------- maintenance

fn wt(day: Weekday, hour: u8, minute: u8) -> WeekTime {
    WeekTime::new(day, hour, minute).unwrap()
}

fn weekly(start: WeekTime, end: WeekTime) -> WeeklyWindow {
    WeeklyWindow::new(start, end).unwrap()
}

/// Saturday 22:00 – Sunday 06:00: crosses midnight.
fn saturday_night() -> MaintenanceWindows {
    MaintenanceWindows::new(vec![weekly(
        wt(Weekday::Sat, 22, 0),
        wt(Weekday::Sun, 6, 0),
    )])
}

/// Sunday 22:00 – Monday 04:00: crosses the week boundary.
fn sunday_night() -> MaintenanceWindows {
    MaintenanceWindows::new(vec![weekly(
        wt(Weekday::Sun, 22, 0),
        wt(Weekday::Mon, 4, 0),
    )])
}

// 2026-03-07 is a Saturday, 2026-03-09 a Monday.

#[test]
fn inside_a_window_crossing_midnight() {
    let m = saturday_night();
    let inside = window("2026-03-07T23:00:00Z", "2026-03-08T01:00:00Z");
    let exact = window("2026-03-07T22:00:00Z", "2026-03-08T06:00:00Z");
    assert!(!outside_maintenance(&inside, &m));
    assert!(!outside_maintenance(&exact, &m));
}

#[test]
fn partly_outside_a_window_crossing_midnight() {
    let m = saturday_night();
    let late_end = window("2026-03-08T05:00:00Z", "2026-03-08T06:00:01Z");
    let early_start = window("2026-03-07T21:59:00Z", "2026-03-07T23:00:00Z");
    let weekday = window("2026-03-04T23:00:00Z", "2026-03-05T01:00:00Z");
    assert!(outside_maintenance(&late_end, &m));
    assert!(outside_maintenance(&early_start, &m));
    assert!(outside_maintenance(&weekday, &m));
}

#[test]
fn inside_a_window_crossing_the_week_boundary() {
    let m = sunday_night();
    let across = window("2026-03-08T23:30:00Z", "2026-03-09T00:30:00Z");
    let monday = window("2026-03-09T00:00:00Z", "2026-03-09T04:00:00Z");
    let sunday = window("2026-03-08T22:00:00Z", "2026-03-09T00:00:00Z");
    assert!(!outside_maintenance(&across, &m));
    assert!(!outside_maintenance(&monday, &m));
    assert!(!outside_maintenance(&sunday, &m));
}

#[test]
fn partly_outside_a_window_crossing_the_week_boundary() {
    let m = sunday_night();
    let too_long = window("2026-03-09T03:00:00Z", "2026-03-09T05:00:00Z");
    let next_week_too = window("2026-03-08T23:00:00Z", "2026-03-15T23:00:00Z");
    assert!(outside_maintenance(&too_long, &m));
    assert!(outside_maintenance(&next_week_too, &m));
}

#[test]
fn sub_second_edges_count() {
    let m = saturday_night();
    let just_after_end = Window::new(
        at("2026-03-08T05:00:00Z"),
        at("2026-03-08T06:00:00Z") + TimeDelta::nanoseconds(1),
    )
    .unwrap();
    let just_before_start = Window::new(
        at("2026-03-07T22:00:00Z") - TimeDelta::nanoseconds(1),
        at("2026-03-07T23:00:00Z"),
    )
    .unwrap();
    assert!(outside_maintenance(&just_after_end, &m));
    assert!(outside_maintenance(&just_before_start, &m));
}

#[test]
fn touching_maintenance_windows_join_up() {
    let m = MaintenanceWindows::new(vec![
        weekly(wt(Weekday::Sun, 0, 0), wt(Weekday::Sun, 6, 0)),
        weekly(wt(Weekday::Sat, 22, 0), wt(Weekday::Sun, 0, 0)),
    ]);
    let w = window("2026-03-07T23:00:00Z", "2026-03-08T02:00:00Z");
    assert!(!outside_maintenance(&w, &m));
}

#[test]
fn no_maintenance_hours_means_no_penalty() {
    let w = window("2026-03-04T10:00:00Z", "2026-03-04T11:00:00Z");
    assert!(!outside_maintenance(&w, &MaintenanceWindows::default()));
}

#[test]
fn a_week_long_window_needs_round_the_clock_maintenance() {
    let w = window("2026-03-02T00:00:00Z", "2026-03-20T00:00:00Z");
    assert!(outside_maintenance(&w, &saturday_night()));
    // Two windows that together cover the whole week, the seam on Thursday.
    let always = MaintenanceWindows::new(vec![
        weekly(wt(Weekday::Thu, 12, 0), wt(Weekday::Tue, 0, 0)),
        weekly(wt(Weekday::Mon, 23, 0), wt(Weekday::Thu, 12, 0)),
    ]);
    assert!(!outside_maintenance(&w, &always));
}

#[test]
fn week_time_and_weekly_window_are_validated() {
    assert_eq!(
        WeekTime::new(Weekday::Mon, 24, 0),
        Err(RiskError::InvalidTimeOfDay {
            hour: 24,
            minute: 0
        })
    );
    assert!(WeekTime::new(Weekday::Mon, 23, 60).is_err());
    let t = wt(Weekday::Fri, 18, 30);
    assert_eq!(t.day(), Weekday::Fri);
    assert_eq!((t.hour(), t.minute()), (18, 30));
    assert_eq!(WeeklyWindow::new(t, t), Err(RiskError::EmptyWeeklyWindow));
    let w = weekly(t, wt(Weekday::Fri, 20, 0));
    assert_eq!((w.start(), w.end()), (t, wt(Weekday::Fri, 20, 0)));
}

/// Minute-by-minute oracle: is `minute_of_week` inside the weekly window?
fn covers(window: &WeeklyWindow, minute_of_week: i64) -> bool {
    let m = |t: WeekTime| {
        i64::from(t.day().num_days_from_monday()) * 1440
            + i64::from(t.hour()) * 60
            + i64::from(t.minute())
    };
    let (s, e) = (m(window.start()), m(window.end()));
    if s < e {
        s <= minute_of_week && minute_of_week < e
    } else {
        minute_of_week >= s || minute_of_week < e
    }
}

fn minute_of_week(t: DateTime<Utc>) -> i64 {
    i64::from(t.weekday().num_days_from_monday()) * 1440
        + i64::from(t.hour()) * 60
        + i64::from(t.minute())
}

fn week_time() -> impl Strategy<Value = WeekTime> {
    (0u32..7, 0u8..24, 0u8..60).prop_map(|(d, h, m)| {
        WeekTime::new(Weekday::try_from(u8::try_from(d).unwrap()).unwrap(), h, m).unwrap()
    })
}

proptest! {
    #[test]
    fn outside_maintenance_agrees_with_a_minute_by_minute_check(
        windows in prop::collection::vec(
            (week_time(), week_time()).prop_filter_map("empty", |(s, e)| WeeklyWindow::new(s, e).ok()),
            1..4,
        ),
        start_minute in 0i64..(3 * 7 * 1440),
        length in 1i64..(2 * 7 * 1440),
    ) {
        let base = at("2026-03-02T00:00:00Z"); // a Monday
        let start = base + TimeDelta::minutes(start_minute);
        let planned = Window::new(start, start + TimeDelta::minutes(length)).unwrap();
        let expected = (0..length.min(7 * 1440)).any(|k| {
            let minute = minute_of_week(start + TimeDelta::minutes(k));
            !windows.iter().any(|w| covers(w, minute))
        });
        prop_assert_eq!(outside_maintenance(&planned, &MaintenanceWindows::new(windows)), expected);
    }

    #[test]
    fn overlap_is_symmetric_and_inside_both(
        a in 0i64..10_000, la in 1i64..5_000, b in 0i64..10_000, lb in 1i64..5_000,
    ) {
        let base = at("2026-01-01T00:00:00Z");
        let w = |s: i64, l: i64| Window::new(base + TimeDelta::seconds(s), base + TimeDelta::seconds(s + l)).unwrap();
        let (x, y) = (w(a, la), w(b, lb));
        prop_assert_eq!(x.overlap(&y), y.overlap(&x));
        let expected = a < b + lb && b < a + la;
        prop_assert_eq!(x.overlaps(&y), expected);
        if let Some(o) = x.overlap(&y) {
            prop_assert!(o.start() >= x.start() && o.start() >= y.start());
            prop_assert!(o.end() <= x.end() && o.end() <= y.end());
        }
    }
}
