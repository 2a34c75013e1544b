//! Due times and reminders in business hours.

use chrono::{DateTime, Utc};
use servicedesk_sla::{Calendar, WeeklyHours, WorkInterval};

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// New York, weekdays 09:00-18:00 (nine hours a day).
fn office() -> Calendar {
    Calendar::new(
        chrono_tz::America::New_York,
        WeeklyHours::weekdays(vec![WorkInterval::parse("09:00", "18:00").unwrap()]),
        [],
    )
    .unwrap()
}

#[test]
fn due_counts_business_hours() {
    // Monday 2007-01-01 09:00 EST = 14:00 UTC; 16 h = 9 on Monday + 7 on Tuesday.
    let monday = at("2007-01-01T14:00:00Z");
    assert_eq!(stage_due(monday, 16, &office()), at("2007-01-02T21:00:00Z"));
    // Friday 17:00 plus two hours is Monday 10:00.
    assert_eq!(
        stage_due(at("2007-01-05T22:00:00Z"), 2, &office()),
        at("2007-01-08T15:00:00Z")
    );
    // Around the clock it is wall time.
    assert_eq!(
        stage_due(monday, 30, &Calendar::twenty_four_seven()),
        at("2007-01-02T20:00:00Z")
    );
}

#[test]
fn reminder_at_its_share_of_the_way() {
    let monday = at("2007-01-01T14:00:00Z");
    assert_eq!(
        reminder_at(monday, 16, 50, &office()),
        Some(at("2007-01-01T22:00:00Z"))
    );
    // 75 % of 16 h = 12 h: 9 on Monday, 3 on Tuesday.
    assert_eq!(
        reminder_at(monday, 16, 75, &office()),
        Some(at("2007-01-02T17:00:00Z"))
    );
    // 33 % of one hour, to the second.
    assert_eq!(
        reminder_at(monday, 1, 33, &office()),
        Some(at("2007-01-01T14:19:48Z"))
    );
    assert_eq!(reminder_at(monday, 16, 0, &office()), None);
    assert_eq!(reminder_at(monday, 16, 100, &office()), None);
}

#[test]
fn timing_of_a_stage() {
    let monday = at("2007-01-01T14:00:00Z");
    let s = stage(
        "Manager",
        vec![ApproverRule::RequesterManager],
        DecisionRule::Any,
    );
    let t = stage_timing(&s, monday, &office());
    assert_eq!(t.due_at, at("2007-01-02T21:00:00Z"));
    assert_eq!(t.remind_at, Some(at("2007-01-01T22:00:00Z")));
    assert!(t.remind_at.unwrap() < t.due_at);
}
