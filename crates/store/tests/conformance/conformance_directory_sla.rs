//! Conformance of the administration methods (organizations, users, teams, memberships,
//! calendars, policies), of `Directory` and of `SlaCatalog` on both backends: round trips,
//! uniqueness of e-mail addresses, and tenancy (a user, team or calendar of org A is not
//! found under org B).

#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, TimeDelta, Weekday};
use servicedesk_core::entities::{Organization, User};
use servicedesk_core::ids::{CalendarId, SlaPolicyId, TeamId};
use servicedesk_core::ports::{Directory, SlaCatalog, SlaPolicyRecord, StoreError};
use servicedesk_core::sla::{Calendar, PolicyConditions, WeeklyHours, WorkInterval};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    organization_user_and_team_round_trip,
    add_team_member_adds_a_membership,
    add_team_member_rejects_rows_of_other_orgs,
    duplicate_email_is_rejected,
    directory_is_keyed_by_org,
    calendar_round_trips_with_holidays_and_split_hours,
    calendar_is_keyed_by_org,
    policies_returns_saved_policies,
    policy_needs_a_calendar_of_its_org,
);

fn sorted_teams(mut u: User) -> User {
    u.team_ids.sort();
    u
}

fn organization_user_and_team_round_trip(store: &Store) {
    let org = Organization {
        id: new_id(),
        name: "Acme Corp".to_owned(),
        created_at: t0(),
    };
    assert_eq!(store.create_organization(&org).unwrap(), org);

    let t1 = team(org.id, "Desk", None);
    let mut t2 = team(org.id, "Network", None);
    t2.created_at = mins(1);
    assert_eq!(store.create_team(&t1).unwrap(), t1);
    let manager = user(org.id, "manager", &["manager"], &[]);
    assert_eq!(store.create_user(&manager).unwrap(), manager);
    t2.manager_id = Some(manager.id);
    assert_eq!(store.create_team(&t2).unwrap(), t2);

    let mut agent = user(
        org.id,
        "agent",
        &["agent", "custom-triage"],
        &[t1.id, t2.id],
    );
    agent.name = "Zoë Agent".to_owned();
    agent.created_at = mins(5);
    let stored = store.create_user(&agent).unwrap();
    assert_eq!(sorted_teams(stored), sorted_teams(agent.clone()));
    assert_eq!(
        sorted_teams(store.user(org.id, agent.id).unwrap()),
        sorted_teams(agent.clone())
    );

    let mut inactive = user(org.id, "gone", &["requester"], &[]);
    inactive.active = false;
    store.create_user(&inactive).unwrap();
    assert_eq!(store.user(org.id, inactive.id).unwrap(), inactive);
    assert_eq!(store.user(org.id, manager.id).unwrap(), manager);

    assert_eq!(store.team(org.id, t1.id).unwrap(), t1);
    assert_eq!(store.team(org.id, t2.id).unwrap(), t2);
}

fn add_team_member_adds_a_membership(store: &Store) {
    let fx = org_fixture(store, "A");
    assert_eq!(
        store.user(fx.org, fx.agent).unwrap().team_ids,
        vec![fx.team]
    );
    assert!(
        store
            .user(fx.org, fx.requester)
            .unwrap()
            .team_ids
            .is_empty()
    );

    store.add_team_member(fx.org, fx.team2, fx.agent).unwrap();
    let mut teams = store.user(fx.org, fx.agent).unwrap().team_ids;
    teams.sort();
    let mut expected = vec![fx.team, fx.team2];
    expected.sort();
    assert_eq!(teams, expected);

    store
        .add_team_member(fx.org, fx.team, fx.requester)
        .unwrap();
    assert_eq!(
        store.user(fx.org, fx.requester).unwrap().team_ids,
        vec![fx.team]
    );
    // Other users are untouched.
    assert_eq!(
        store.user(fx.org, fx.agent2).unwrap().team_ids,
        vec![fx.team2]
    );
}

fn add_team_member_rejects_rows_of_other_orgs(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    assert_not_found(
        "team of A under B",
        store.add_team_member(b.org, a.team, b.agent),
    );
    assert_not_found(
        "user of A under B",
        store.add_team_member(b.org, b.team, a.agent),
    );
    assert_not_found(
        "both of A under B",
        store.add_team_member(b.org, a.team, a.agent),
    );
    assert_not_found(
        "team of B in A",
        store.add_team_member(a.org, b.team, a.agent),
    );
    assert_not_found(
        "unknown team",
        store.add_team_member(a.org, new_id::<TeamId>(), a.agent),
    );
    assert_not_found(
        "unknown user",
        store.add_team_member(a.org, a.team, new_id()),
    );
    assert_eq!(store.user(a.org, a.agent).unwrap().team_ids, vec![a.team]);
    assert_eq!(store.user(b.org, b.agent).unwrap().team_ids, vec![b.team]);
}

fn duplicate_email_is_rejected(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let first = user(a.org, "first", &["agent"], &[]);
    store.create_user(&first).unwrap();

    let mut same_org = user(a.org, "second", &["agent"], &[]);
    same_org.email = first.email.clone();
    match store.create_user(&same_org) {
        Err(StoreError::Duplicate { field }) => assert_eq!(field, "email"),
        other => panic!("expected Duplicate{{field: \"email\"}}, got {other:?}"),
    }
    let mut other_org = user(b.org, "third", &["agent"], &[b.team]);
    other_org.email = first.email.clone();
    match store.create_user(&other_org) {
        Err(StoreError::Duplicate { field }) => assert_eq!(field, "email"),
        other => panic!("e-mail is unique platform-wide: expected Duplicate, got {other:?}"),
    }
    assert_not_found("rejected user", store.user(a.org, same_org.id));
    assert_not_found("rejected user", store.user(b.org, other_org.id));
    assert_eq!(store.user(a.org, first.id).unwrap(), first);
}

fn directory_is_keyed_by_org(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    assert_not_found("user of A under B", store.user(b.org, a.agent));
    assert_not_found("team of A under B", store.team(b.org, a.team));
    assert_not_found("user of B under A", store.user(a.org, b.admin));
    assert_not_found("unknown user", store.user(a.org, new_id()));
    assert_not_found("unknown team", store.team(a.org, new_id()));
    assert_eq!(store.user(a.org, a.agent).unwrap().org_id, a.org);
    assert_eq!(store.team(b.org, b.team).unwrap().org_id, b.org);
}

fn office_calendar() -> Calendar {
    let morning = WorkInterval::parse("08:30", "12:00").unwrap();
    let afternoon = WorkInterval::parse("13:00", "17:30").unwrap();
    let hours = WeeklyHours::weekdays(vec![morning, afternoon])
        .with_day(
            Weekday::Fri,
            vec![WorkInterval::parse("08:30", "14:00").unwrap()],
        )
        .with_day(
            Weekday::Sat,
            vec![WorkInterval::parse("10:00", "13:00").unwrap()],
        );
    let holidays = [
        NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 26).unwrap(),
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
    ];
    Calendar::new(chrono_tz::Europe::Berlin, hours, holidays).unwrap()
}

fn calendar_round_trips_with_holidays_and_split_hours(store: &Store) {
    let fx = org_fixture(store, "A");
    assert_eq!(
        store.calendar(fx.org, fx.calendar).unwrap(),
        Calendar::twenty_four_seven()
    );

    let id: CalendarId = new_id();
    let office = office_calendar();
    store
        .save_calendar(fx.org, id, "Berlin office", &office, t0())
        .unwrap();
    let got = store.calendar(fx.org, id).unwrap();
    assert_eq!(got, office);
    assert_eq!(got.zone(), chrono_tz::Europe::Berlin);
    assert_eq!(got.holidays().count(), 3);
    assert_eq!(got.hours().day(Weekday::Mon).len(), 2);

    // Saving again replaces it.
    let night = Calendar::new(
        chrono_tz::America::New_York,
        WeeklyHours::every_day(vec![
            WorkInterval::parse("00:00", "06:00").unwrap(),
            WorkInterval::parse("22:00", "24:00").unwrap(),
        ]),
        [NaiveDate::from_ymd_opt(2026, 7, 4).unwrap()],
    )
    .unwrap();
    store
        .save_calendar(fx.org, id, "Night shift", &night, mins(60))
        .unwrap();
    assert_eq!(store.calendar(fx.org, id).unwrap(), night);
    // The other calendar is untouched.
    assert_eq!(
        store.calendar(fx.org, fx.calendar).unwrap(),
        Calendar::twenty_four_seven()
    );
}

fn calendar_is_keyed_by_org(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let id: CalendarId = new_id();
    store
        .save_calendar(a.org, id, "A office", &office_calendar(), t0())
        .unwrap();
    assert_not_found("calendar of A under B", store.calendar(b.org, id));
    assert_not_found(
        "fixture calendar of A under B",
        store.calendar(b.org, a.calendar),
    );
    assert_not_found("unknown calendar", store.calendar(a.org, new_id()));

    // B may use the same calendar id for its own calendar; A's stays A's.
    store
        .save_calendar(b.org, id, "B office", &Calendar::twenty_four_seven(), t0())
        .unwrap();
    assert_eq!(
        store.calendar(b.org, id).unwrap(),
        Calendar::twenty_four_seven()
    );
    assert_eq!(store.calendar(a.org, id).unwrap(), office_calendar());
}

fn by_id(mut v: Vec<SlaPolicyRecord>) -> Vec<SlaPolicyRecord> {
    v.sort_by_key(|r| r.id);
    v
}

fn policies_returns_saved_policies(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let office: CalendarId = new_id();
    store
        .save_calendar(a.org, office, "Office", &office_calendar(), t0())
        .unwrap();

    let default = policy_record(a.policy, a.calendar, 10);
    let critical_id: SlaPolicyId = new_id();
    let mut critical = policy_record(critical_id, office, 0);
    critical.policy.name = "Critical, office hours".to_owned();
    critical.policy.conditions = PolicyConditions {
        ticket_types: vec!["incident".to_owned()],
        priorities: vec!["critical".to_owned(), "high".to_owned()],
        categories: vec!["network".to_owned()],
        requester_orgs: vec![],
    };
    critical.policy.first_response = TimeDelta::minutes(15);
    critical.policy.resolution = TimeDelta::hours(4);
    critical.policy.warn_percent = 80;
    critical.policy.pause_statuses = vec!["on_hold".to_owned(), "pending".to_owned()];
    store.save_policy(a.org, &critical, t0()).unwrap();

    assert_eq!(
        by_id(store.policies(a.org).unwrap()),
        by_id(vec![default.clone(), critical.clone()])
    );
    assert_eq!(
        store.policies(b.org).unwrap(),
        vec![policy_record(b.policy, b.calendar, 10)]
    );

    // Saving again replaces it.
    let mut changed = critical.clone();
    changed.policy.name = "Critical (revised)".to_owned();
    changed.policy.resolution = TimeDelta::hours(2);
    changed.policy.rank = 1;
    changed.calendar_id = a.calendar;
    store.save_policy(a.org, &changed, mins(10)).unwrap();
    assert_eq!(
        by_id(store.policies(a.org).unwrap()),
        by_id(vec![default, changed])
    );
    assert_eq!(store.policies(b.org).unwrap().len(), 1, "B unaffected");

    // An organization without policies has none.
    let c = Organization {
        id: new_id(),
        name: "Empty Org".to_owned(),
        created_at: t0(),
    };
    store.create_organization(&c).unwrap();
    assert!(store.policies(c.id).unwrap().is_empty());
}

fn policy_needs_a_calendar_of_its_org(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let id: SlaPolicyId = new_id();
    // A policy of B pointing at A's calendar.
    let foreign = policy_record(id, a.calendar, 5);
    match store.save_policy(b.org, &foreign, t0()) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("policy with a calendar of another org: expected NotFound, got {other:?}"),
    }
    let missing = policy_record(id, new_id(), 5);
    match store.save_policy(b.org, &missing, t0()) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("policy with an unknown calendar: expected NotFound, got {other:?}"),
    }
    assert_eq!(
        store.policies(b.org).unwrap(),
        vec![policy_record(b.policy, b.calendar, 10)]
    );
    assert_eq!(
        store.policies(a.org).unwrap(),
        vec![policy_record(a.policy, a.calendar, 10)]
    );
}
