//! SLA clock semantics: start, pause, resume, stop, restart, retarget,
//! warning and breach instants, breach strictness, next event.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::{Europe, Tz};
use common::*;
use servicedesk_sla::{Calendar, ClockState, SlaClock};

fn ten_to_six() -> Calendar {
    daily(Tz::UTC, &[("08:00", "18:00")])
}

#[test]
fn published_pause_case_on_24x7_and_office_hours() {
    for cal in [Calendar::twenty_four_seven(), ten_to_six()] {
        let mut clock = SlaClock::start(hours(2), 75, utc("2026-05-04T08:00:00Z"));
        assert_eq!(clock.due_at(&cal), Some(utc("2026-05-04T10:00:00Z")));
        clock.pause(&cal, utc("2026-05-04T09:00:00Z"));
        assert!(clock.is_paused());
        assert_eq!(clock.consumed, hours(1));
        assert_eq!(clock.due_at(&cal), None);
        clock.resume(utc("2026-05-04T10:05:00Z"));
        assert!(clock.is_running());
        assert_eq!(clock.due_at(&cal), Some(utc("2026-05-04T11:05:00Z")));
        assert_eq!(clock.warning_at(&cal), Some(utc("2026-05-04T10:35:00Z")));
    }
}

#[test]
fn pause_banks_only_business_time() {
    let cal = office(Europe::Berlin, &[("09:00", "17:00")]);
    // Friday 2026-01-09 16:00 CET .. Monday 10:00 CET = 2 business hours.
    let mut clock = SlaClock::start(hours(8), 75, utc("2026-01-09T15:00:00Z"));
    clock.pause(&cal, utc("2026-01-12T09:00:00Z"));
    assert_eq!(clock.consumed, hours(2));
    assert_eq!(
        clock.state,
        ClockState::Paused {
            since: utc("2026-01-12T09:00:00Z")
        }
    );
    // Paused time does not count.
    assert_eq!(clock.elapsed(&cal, utc("2026-01-14T09:00:00Z")), hours(2));
    assert_eq!(clock.remaining(&cal, utc("2026-01-14T09:00:00Z")), hours(6));
}

#[test]
fn operations_that_do_not_apply_are_no_ops() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(2), 75, t0);
    let running = clock.clone();
    clock.resume(t0 + hours(1)); // not paused
    clock.restart(t0 + hours(1)); // not stopped
    assert_eq!(clock, running);

    clock.pause(&cal, t0 + hours(1));
    let paused = clock.clone();
    clock.pause(&cal, t0 + hours(2)); // already paused
    clock.restart(t0 + hours(2)); // not stopped
    assert_eq!(clock, paused);

    clock.stop(&cal, t0 + hours(3));
    let stopped = clock.clone();
    clock.stop(&cal, t0 + hours(4));
    clock.pause(&cal, t0 + hours(4));
    clock.resume(t0 + hours(4));
    assert_eq!(clock, stopped);
}

#[test]
fn stop_from_running_and_from_paused() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut running = SlaClock::start(hours(4), 75, t0);
    running.stop(&cal, t0 + minutes(90));
    assert_eq!(
        running.state,
        ClockState::Stopped {
            at: t0 + minutes(90)
        }
    );
    assert_eq!(running.elapsed(&cal, t0 + hours(10)), minutes(90));
    assert!(running.is_stopped());
    assert_eq!(running.due_at(&cal), None);

    let mut paused = SlaClock::start(hours(4), 75, t0);
    paused.pause(&cal, t0 + hours(1));
    paused.stop(&cal, t0 + hours(3));
    assert_eq!(paused.consumed, hours(1));
    assert_eq!(paused.state, ClockState::Stopped { at: t0 + hours(3) });
}

#[test]
fn restart_on_reopen_keeps_consumed_time() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(4), 75, t0);
    clock.stop(&cal, t0 + hours(3));
    clock.restart(t0 + hours(20));
    assert_eq!(
        clock.state,
        ClockState::Running {
            since: t0 + hours(20)
        }
    );
    assert_eq!(clock.consumed, hours(3));
    assert_eq!(clock.due_at(&cal), Some(t0 + hours(21)));
}

#[test]
fn retarget_keeps_consumed_time_and_records() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(8), 75, t0);
    clock.pause(&cal, t0 + hours(1));
    clock.resume(t0 + hours(2));
    clock.warned_at = Some(t0 + hours(2));
    // Priority raised: 4 h target instead of 8 h, 1 h already used.
    clock.retarget(hours(4), 50);
    assert_eq!(clock.consumed, hours(1));
    assert_eq!(clock.due_at(&cal), Some(t0 + hours(5)));
    assert_eq!(clock.warning_at(&cal), Some(t0 + hours(3)));
    assert_eq!(clock.warned_at, Some(t0 + hours(2)));
    // Percent is clamped into 1..=100.
    clock.retarget(hours(4), 0);
    assert_eq!(clock.warn_percent, 1);
    clock.retarget(hours(4), 250);
    assert_eq!(clock.warn_percent, 100);
}

#[test]
fn warning_instant_follows_business_time() {
    let cal = ten_to_six();
    // 10 h target from Monday 2026-05-04 16:00: 75 % = 7.5 h; 2 h Monday, 5.5 h Tuesday.
    let clock = SlaClock::start(hours(10), 75, utc("2026-05-04T16:00:00Z"));
    assert_eq!(clock.warn_threshold(), minutes(450));
    assert_eq!(clock.warning_at(&cal), Some(utc("2026-05-05T13:30:00Z")));
    assert_eq!(clock.due_at(&cal), Some(utc("2026-05-05T16:00:00Z")));
    assert!(!clock.is_warning_reached(&cal, utc("2026-05-05T13:29:59Z")));
    assert!(clock.is_warning_reached(&cal, utc("2026-05-05T13:30:00Z")));
}

#[test]
fn warning_instant_may_be_in_the_past() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(4), 50, t0);
    clock.pause(&cal, t0 + hours(3));
    clock.resume(t0 + hours(10));
    // 3 h consumed, warning at 2 h: reached before this segment, reported as its start.
    assert_eq!(clock.warning_at(&cal), Some(t0 + hours(10)));
    assert_eq!(clock.due_at(&cal), Some(t0 + hours(11)));
}

#[test]
fn breach_is_strict_a_ticket_resolved_at_due_is_met() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let clock = SlaClock::start(hours(2), 75, t0);
    let due = clock.due_at(&cal).unwrap();
    assert!(!clock.is_breached(&cal, due));
    assert!(clock.is_breached(&cal, due + TimeDelta::nanoseconds(1)));
    assert_eq!(clock.breach_at(&cal), Some(due));

    let mut resolved_at_due = clock.clone();
    resolved_at_due.stop(&cal, due);
    assert!(!resolved_at_due.is_breached(&cal, due + hours(100)));

    let mut resolved_late = clock;
    resolved_late.stop(&cal, due + TimeDelta::seconds(1));
    assert!(resolved_late.is_breached(&cal, due + hours(100)));
}

#[test]
fn due_at_closing_time_is_not_breached_overnight() {
    let cal = ten_to_six();
    // Monday 2026-05-04 16:00 + 2 h = 18:00 closing.
    let clock = SlaClock::start(hours(2), 75, utc("2026-05-04T16:00:00Z"));
    assert_eq!(clock.due_at(&cal), Some(utc("2026-05-04T18:00:00Z")));
    assert!(!clock.is_breached(&cal, utc("2026-05-05T07:59:59Z")));
    assert!(!clock.is_breached(&cal, utc("2026-05-05T08:00:00Z")));
    assert!(clock.is_breached(&cal, utc("2026-05-05T08:00:01Z")));
    // So the breach event is scheduled at the next opening, not at due.
    assert_eq!(clock.breach_at(&cal), Some(utc("2026-05-05T08:00:00Z")));
}

#[test]
fn next_event_at_skips_recorded_events() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(4), 75, t0);
    assert_eq!(clock.next_event_at(&cal), Some(t0 + hours(3)));
    clock.warned_at = Some(t0 + hours(3));
    assert_eq!(clock.next_event_at(&cal), Some(t0 + hours(4)));
    clock.breached_at = Some(t0 + hours(4));
    assert_eq!(clock.next_event_at(&cal), None);
}

#[test]
fn next_event_at_is_none_unless_running() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(4), 75, t0);
    clock.pause(&cal, t0 + hours(1));
    assert_eq!(clock.next_event_at(&cal), None);
    assert_eq!(clock.warning_at(&cal), None);
    assert_eq!(clock.breach_at(&cal), None);
    clock.resume(t0 + hours(2));
    assert_eq!(clock.next_event_at(&cal), Some(t0 + hours(4)));
    clock.stop(&cal, t0 + hours(3));
    assert_eq!(clock.next_event_at(&cal), None);
}

#[test]
fn overdue_clock_reports_negative_remaining_and_breach_at_segment_start() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(1), 75, t0);
    assert_eq!(clock.remaining(&cal, t0 + hours(3)), -hours(2));
    clock.pause(&cal, t0 + hours(3));
    clock.resume(t0 + hours(5));
    assert!(clock.is_breached(&cal, t0 + hours(5)));
    assert_eq!(clock.breach_at(&cal), Some(t0 + hours(5)));
    assert_eq!(clock.due_at(&cal), Some(t0 + hours(5)));
}

#[test]
fn warn_percent_100_warns_at_due() {
    let cal = Calendar::twenty_four_seven();
    let t0 = utc("2026-05-04T08:00:00Z");
    let clock = SlaClock::start(hours(2), 100, t0);
    assert_eq!(clock.warning_at(&cal), clock.due_at(&cal));
    assert_eq!(SlaClock::start(hours(2), 0, t0).warn_percent, 1);
}

#[test]
fn clock_round_trips_through_json() {
    let cal = Calendar::twenty_four_seven();
    let t0: DateTime<Utc> = utc("2026-05-04T08:00:00Z");
    let mut clock = SlaClock::start(hours(2), 75, t0);
    clock.pause(&cal, t0 + minutes(30));
    let json = serde_json::to_value(&clock).unwrap();
    assert_eq!(json["consumed"], 30 * 60 * 1000);
    assert_eq!(json["state"]["state"], "paused");
    assert_eq!(serde_json::from_value::<SlaClock>(json).unwrap(), clock);
}
