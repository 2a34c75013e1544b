//! SLA clocks of incidents on an office-hours calendar (not 24×7), driven by a fixed clock:
//! a DST weekend, a holiday, a hold across the DST change, a reopen across a holiday, a
//! priority change that re-selects the policy (and how history records it), and a first
//! response given outside office hours. The 24×7 versions of these moves are in
//! `transitions.rs`, `update.rs` and `comments.rs`.
//!
//! The calendar: America/New_York, Monday to Friday 09:00-12:00 and 13:00-18:00, holiday
//! 2026-12-25. Policies as in the fixture: default 60 / 480 business minutes, critical
//! 15 / 240, warning at 75 %, pausing on hold.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use servicedesk_lifecycle::incident::{IncidentAction, IncidentState};
use servicedesk_sla::{Calendar, WeeklyHours, WorkInterval};

use super::fixture::*;
use crate::entities::Incident;
use crate::priority::{Impact, Priority, Urgency};
use crate::usecases::sla::start_clocks;
use crate::usecases::{IncidentRef, OpenIncident, TransitionRequest, UpdateIncident};

const ID: IncidentRef = IncidentRef::Id(INCIDENT);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn office() -> Calendar {
    let iv = |a, b| WorkInterval::parse(a, b).unwrap();
    Calendar::new(
        chrono_tz::America::New_York,
        WeeklyHours::weekdays(vec![iv("09:00", "12:00"), iv("13:00", "18:00")]),
        [NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
    )
    .unwrap()
}

/// An in-progress incident (default policy) whose clocks started at `opened`.
fn in_progress_since(opened: DateTime<Utc>) -> Incident {
    Incident {
        sla: Some(start_clocks(&policies()[0], opened)),
        created_at: opened,
        updated_at: opened,
        ..incident(IncidentState::InProgress)
    }
}

fn open_input() -> OpenIncident {
    OpenIncident {
        title: "VPN drops".into(),
        description: "Every few minutes".into(),
        impact: Impact::Low,
        urgency: Urgency::Low,
        category: None,
        requester_id: None,
    }
}

#[test]
fn an_incident_opened_before_the_dst_weekend_is_due_in_local_office_hours() {
    let (fx, _) = Fx::with_calendar(office()).accepting_creates();
    // Friday 2026-03-06 17:00 EST.
    fx.clock.set(at("2026-03-06T22:00:00Z"));
    let view = fx
        .build()
        .open(&requester(), open_input(), None)
        .unwrap()
        .value;
    assert_eq!(view.incident.priority, Priority::Low);
    let sla = view.sla.unwrap();
    assert_eq!(sla.policy_id, DEFAULT_POLICY);
    // One hour until closing: due exactly at Friday's closing time, 18:00 EST.
    assert_eq!(sla.first_response.due_at, Some(at("2026-03-06T23:00:00Z")));
    // 1 h on Friday, 7 h on Monday after the clocks moved: 17:00 EDT, not 17:00 EST.
    assert_eq!(sla.resolution.due_at, Some(at("2026-03-09T21:00:00Z")));
    assert_eq!(sla.resolution.remaining_minutes, 480);
    // The first event the monitor waits for: 45 min into the response hour.
    assert_eq!(
        view.incident.next_sla_due_at,
        Some(at("2026-03-06T22:45:00Z"))
    );
}

#[test]
fn an_incident_opened_before_a_holiday_skips_it() {
    let (fx, _) = Fx::with_calendar(office()).accepting_creates();
    // Thursday 2026-12-24 16:00 EST; Friday is Christmas, then the weekend.
    fx.clock.set(at("2026-12-24T21:00:00Z"));
    let sla = fx
        .build()
        .open(&requester(), open_input(), None)
        .unwrap()
        .value
        .sla
        .unwrap();
    assert_eq!(sla.first_response.due_at, Some(at("2026-12-24T22:00:00Z")));
    // 2 h on Thursday, 6 h on Monday 2026-12-28: 16:00 EST.
    assert_eq!(sla.resolution.due_at, Some(at("2026-12-28T21:00:00Z")));
}

#[test]
fn a_hold_across_the_dst_weekend_banks_office_time_only() {
    // Opened Friday 2026-03-06 09:00 EST, held at 15:00 EST: 5 business hours used.
    let (fx, written) = Fx::with_calendar(office())
        .holding(in_progress_since(at("2026-03-06T14:00:00Z")))
        .accepting_updates();
    fx.clock.set(at("2026-03-06T20:00:00Z"));
    let held = fx
        .build()
        .transition(
            &agent(),
            ID,
            Some(3),
            TransitionRequest::new(IncidentAction::Hold),
        )
        .unwrap()
        .value;
    let sla = held.sla.unwrap();
    assert!(sla.resolution.paused);
    assert_eq!(sla.resolution.due_at, None);
    assert_eq!(sla.resolution.remaining_minutes, 180);
    assert!(
        sla.first_response.breached,
        "nobody answered within the hour"
    );
    assert_eq!(held.incident.next_sla_due_at, None, "paused clocks wait");

    // Resumed Monday 09:00 EDT (13:00Z): the 3 h left end at 12:00 EDT, the closing time
    // of the morning interval.
    let (row, _, _) = last(&written);
    let (fx, _) = Fx::with_calendar(office())
        .holding(Incident { version: 4, ..row })
        .accepting_updates();
    fx.clock.set(at("2026-03-09T13:00:00Z"));
    let resumed = fx
        .build()
        .transition(
            &agent(),
            ID,
            Some(4),
            TransitionRequest::new(IncidentAction::Resume),
        )
        .unwrap()
        .value;
    let sla = resumed.sla.unwrap();
    assert!(!sla.resolution.paused);
    assert_eq!(sla.resolution.remaining_minutes, 180);
    assert_eq!(sla.resolution.due_at, Some(at("2026-03-09T16:00:00Z")));
}

#[test]
fn a_reopen_after_a_holiday_continues_with_the_time_left() {
    // Opened Thursday 2026-12-24 09:00 EST, resolved at 13:00 EST: 3 business hours used.
    let (fx, written) = Fx::with_calendar(office())
        .holding(in_progress_since(at("2026-12-24T14:00:00Z")))
        .accepting_updates();
    fx.clock.set(at("2026-12-24T18:00:00Z"));
    let resolved = fx
        .build()
        .transition(
            &agent(),
            ID,
            Some(3),
            TransitionRequest::resolve("fixed", "restarted the concentrator"),
        )
        .unwrap()
        .value;
    let sla = resolved.sla.unwrap();
    assert!(sla.resolution.stopped);
    assert_eq!(sla.resolution.remaining_minutes, 300);

    // The requester reopens on Saturday: counting resumes at Monday's opening, after
    // Christmas and the weekend: 3 h in the morning, 2 h after lunch, due 15:00 EST.
    let (row, _, _) = last(&written);
    let (fx, _) = Fx::with_calendar(office())
        .holding(Incident { version: 4, ..row })
        .accepting_updates();
    fx.clock.set(at("2026-12-26T15:00:00Z"));
    let reopened = fx
        .build()
        .transition(
            &requester(),
            ID,
            Some(4),
            TransitionRequest::new(IncidentAction::Reopen),
        )
        .unwrap()
        .value;
    assert_eq!(reopened.incident.status, IncidentState::InProgress);
    let sla = reopened.sla.unwrap();
    assert_eq!(sla.resolution.remaining_minutes, 300);
    assert_eq!(sla.resolution.due_at, Some(at("2026-12-28T20:00:00Z")));
    assert!(
        sla.first_response.stopped,
        "the response clock stays stopped"
    );
}

#[test]
fn a_priority_change_reselects_the_policy_and_history_names_both() {
    // Opened Monday 2026-03-09 09:00 EDT; raised to critical at 10:00 EDT.
    let (fx, written) = Fx::with_calendar(office())
        .holding(in_progress_since(at("2026-03-09T13:00:00Z")))
        .accepting_updates();
    fx.clock.set(at("2026-03-09T14:00:00Z"));
    let view = fx
        .build()
        .update(
            &agent(),
            ID,
            3,
            UpdateIncident {
                impact: Some(Impact::High),
                urgency: Some(Urgency::High),
                ..UpdateIncident::default()
            },
        )
        .unwrap()
        .value;
    let sla = view.sla.unwrap();
    assert_eq!(sla.policy_id, CRITICAL_POLICY);
    // The hour already used counts against the new 15 minutes: overdue at once.
    assert_eq!(sla.first_response.remaining_minutes, -45);
    assert!(sla.first_response.breached);
    // 180 of the 240 minutes are left: 10:00-12:00, lunch, 13:00-14:00 EDT.
    assert_eq!(sla.resolution.remaining_minutes, 180);
    assert_eq!(sla.resolution.due_at, Some(at("2026-03-09T18:00:00Z")));

    let (_, _, write) = last(&written);
    let change = |field: &str| {
        write
            .history
            .iter()
            .find(|h| h.field == field)
            .map(|h| (h.old_value.clone(), h.new_value.clone()))
            .unwrap_or_else(|| panic!("no history of {field}"))
    };
    assert_eq!(
        change("sla_policy_id"),
        (
            Some(DEFAULT_POLICY.to_string()),
            Some(CRITICAL_POLICY.to_string())
        )
    );
    assert_eq!(
        change("sla_targets_minutes"),
        (Some("60/480".to_owned()), Some("15/240".to_owned()))
    );
    assert_eq!(
        change("priority"),
        (Some("medium".to_owned()), Some("critical".to_owned()))
    );
}

#[test]
fn a_reply_on_saturday_stops_first_response_with_fridays_minutes_only() {
    // Opened Friday 2026-03-06 17:30 EST; an agent answers publicly on Saturday.
    let opened = at("2026-03-06T22:30:00Z");
    let (fx, written) = Fx::with_calendar(office())
        .holding(in_progress_since(opened))
        .accepting_updates();
    let saturday = at("2026-03-07T15:00:00Z");
    fx.clock.set(saturday);
    fx.build()
        .comment(&agent(), ID, "Can you send the VPN log?", false)
        .unwrap();
    let (stored, _, _) = last(&written);
    assert_eq!(stored.first_responded_at, Some(saturday));
    let sla = stored.sla.unwrap();
    assert!(sla.response.is_stopped());
    // Only Friday's last half hour counted: met, with 30 minutes to spare.
    assert_eq!(
        sla.response.elapsed(&office(), saturday),
        TimeDelta::minutes(30)
    );
    assert!(!sla.response.is_breached(&office(), saturday));
    // Next: the resolution warning at 6 h: 0.5 h Friday, then Monday (EDT) 09:00-12:00 and
    // 13:00-15:30.
    assert_eq!(stored.next_sla_due_at, Some(at("2026-03-09T19:30:00Z")));
}
