//! Conformance of `SlaAdminStore` (calendars and SLA policies managed through the API) on
//! both backends: round trips with versions, optimistic concurrency, unique names per
//! organization (also under concurrent creation), the calendar of a policy must belong to
//! its organization, tenancy, and the audit record committed with the write or not at all.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Barrier};

use chrono::{NaiveDate, TimeDelta, Weekday};
use serde_json::json;
use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{CalendarId, OrgId, SlaPolicyId};
use servicedesk_core::ports::{
    AuditCheck, AuditLog, SlaAdminStore, SlaCatalog, StoreError, StoredCalendar, StoredPolicy,
    WriteSet,
};
use servicedesk_core::sla::{
    Calendar, Escalation, EscalationAction, EscalationTarget, EscalationTrigger, PolicyConditions,
    WeeklyHours, WorkInterval,
};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    pool = 8;
    calendar_create_read_update_with_versions_and_audit,
    calendar_names_are_unique_per_organization,
    calendars_are_keyed_by_organization,
    policy_create_read_update_with_versions_and_audit,
    policy_calendar_and_name_rules,
    a_failed_write_leaves_neither_row_nor_audit,
    concurrent_creates_of_one_name_store_one,
);

fn ny_office() -> Calendar {
    let iv = |a, b| WorkInterval::parse(a, b).unwrap();
    Calendar::new(
        chrono_tz::America::New_York,
        WeeklyHours::weekdays(vec![iv("09:00", "12:00"), iv("13:00", "18:00")])
            .with_day(Weekday::Sat, vec![iv("20:00", "24:00")]),
        [
            NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        ],
    )
    .unwrap()
}

fn new_calendar(org: OrgId, name: &str, calendar: Calendar) -> StoredCalendar {
    StoredCalendar {
        id: new_id(),
        org_id: org,
        name: name.to_owned(),
        calendar,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn audited(org: OrgId, action: &str, target: String) -> WriteSet {
    WriteSet {
        audit: vec![AuditRecord {
            org_id: org,
            actor_id: None,
            action: action.to_owned(),
            target_kind: action.split('.').next().unwrap().to_owned(),
            target_id: target,
            at: t0(),
            detail: json!({ "test": true }),
        }],
        ..WriteSet::default()
    }
}

fn audit_actions(store: &Store, org: OrgId) -> Vec<String> {
    store
        .entries(org, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .collect()
}

fn create_calendar(store: &Store, c: &StoredCalendar) -> StoredCalendar {
    store
        .create_calendar(c, &audited(c.org_id, "calendar.create", c.id.to_string()))
        .unwrap()
}

fn calendar_create_read_update_with_versions_and_audit(store: &Store) {
    let fx = org_fixture(store, "A");
    let ny = new_calendar(fx.org, "NY office", ny_office());
    let created = create_calendar(store, &ny);
    assert_eq!(created, ny);
    assert_eq!(store.stored_calendar(fx.org, ny.id).unwrap(), ny);
    // The runtime port sees the same calendar.
    assert_eq!(store.calendar(fx.org, ny.id).unwrap(), ny_office());
    // Listed by name, the fixture's "24x7" after "NY office".
    let names: Vec<String> = store
        .calendars(fx.org)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec!["24x7", "NY office"]);

    // An update names the version read and bumps it.
    let changed = StoredCalendar {
        name: "New York office".to_owned(),
        calendar: Calendar::around_the_clock(chrono_tz::America::New_York),
        version: 2,
        updated_at: mins(5),
        ..ny.clone()
    };
    let updated = store
        .update_calendar(
            &changed,
            1,
            &audited(fx.org, "calendar.update", ny.id.to_string()),
        )
        .unwrap();
    assert_eq!(updated, changed);
    assert_eq!(updated.created_at, t0(), "creation time stays");
    assert_eq!(
        store.calendar(fx.org, ny.id).unwrap(),
        Calendar::around_the_clock(chrono_tz::America::New_York)
    );

    // A stale version changes nothing and names the current one.
    let stale = StoredCalendar {
        name: "Stale".to_owned(),
        ..changed.clone()
    };
    match store.update_calendar(
        &stale,
        1,
        &audited(fx.org, "calendar.update", ny.id.to_string()),
    ) {
        Err(StoreError::Conflict { current: 2, .. }) => {}
        other => panic!("stale calendar update: expected Conflict(2), got {other:?}"),
    }
    assert_eq!(store.stored_calendar(fx.org, ny.id).unwrap(), changed);
    // An unknown calendar is not found.
    match store.update_calendar(
        &new_calendar(fx.org, "Ghost", Calendar::twenty_four_seven()),
        1,
        &WriteSet::default(),
    ) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("unknown calendar update: expected NotFound, got {other:?}"),
    }
    assert_eq!(
        audit_actions(store, fx.org),
        vec!["calendar.create", "calendar.update"],
        "only the committed writes are audited"
    );
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact { entries: 2 }
    );
}

fn calendar_names_are_unique_per_organization(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let first = create_calendar(store, &new_calendar(a.org, "Office", ny_office()));
    match store.create_calendar(
        &new_calendar(a.org, "Office", Calendar::twenty_four_seven()),
        &WriteSet::default(),
    ) {
        Err(StoreError::Duplicate { field: "name" }) => {}
        other => panic!("second calendar named Office: expected Duplicate, got {other:?}"),
    }
    // Renaming another calendar to a taken name is refused and changes nothing.
    let mut fixture_cal = store.stored_calendar(a.org, a.calendar).unwrap();
    let before = fixture_cal.clone();
    fixture_cal.name = "Office".to_owned();
    fixture_cal.version += 1;
    match store.update_calendar(&fixture_cal, before.version, &WriteSet::default()) {
        Err(StoreError::Duplicate { field: "name" }) => {}
        other => panic!("rename to a taken name: expected Duplicate, got {other:?}"),
    }
    assert_eq!(store.stored_calendar(a.org, a.calendar).unwrap(), before);
    // Keeping one's own name is fine.
    let mut same = first.clone();
    same.calendar = Calendar::twenty_four_seven();
    same.version = 2;
    store
        .update_calendar(&same, 1, &WriteSet::default())
        .unwrap();
    // Another organization may use the name.
    create_calendar(store, &new_calendar(b.org, "Office", ny_office()));
    assert_eq!(store.calendars(a.org).unwrap().len(), 2);
    assert_eq!(store.calendars(b.org).unwrap().len(), 2);
}

fn calendars_are_keyed_by_organization(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let ny = create_calendar(store, &new_calendar(a.org, "NY office", ny_office()));
    match store.stored_calendar(b.org, ny.id) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("A's calendar read under B: expected NotFound, got {other:?}"),
    }
    let hijack = StoredCalendar {
        org_id: b.org,
        name: "Hijacked".to_owned(),
        version: 2,
        ..ny.clone()
    };
    match store.update_calendar(&hijack, 1, &WriteSet::default()) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("A's calendar updated under B: expected NotFound, got {other:?}"),
    }
    assert_eq!(store.stored_calendar(a.org, ny.id).unwrap(), ny);
    assert!(
        store
            .calendars(b.org)
            .unwrap()
            .iter()
            .all(|c| c.org_id == b.org && c.id != ny.id)
    );
}

fn new_policy(calendar: CalendarId, name: &str, rank: i32) -> StoredPolicy {
    let id: SlaPolicyId = new_id();
    let mut record = policy_record(id, calendar, rank);
    record.policy.name = name.to_owned();
    StoredPolicy {
        record,
        active: true,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn policy_create_read_update_with_versions_and_audit(store: &Store) {
    let fx = org_fixture(store, "A");
    let ny = create_calendar(store, &new_calendar(fx.org, "NY office", ny_office()));
    let mut critical = new_policy(ny.id, "Critical", 0);
    critical.record.policy.conditions = PolicyConditions {
        ticket_types: vec!["incident".to_owned()],
        priorities: vec!["critical".to_owned()],
        categories: vec!["network".to_owned()],
        requester_orgs: vec![fx.org.to_string()],
    };
    critical.record.policy.warn_percent = 80;
    critical.record.policy.escalations = vec![
        Escalation {
            on: EscalationTrigger::Warning,
            target: None,
            action: EscalationAction::NotifyTeam,
        },
        Escalation {
            on: EscalationTrigger::Breach,
            target: Some(EscalationTarget::Resolution),
            action: EscalationAction::ReassignTeam {
                team_id: fx.team2.to_string(),
            },
        },
    ];
    let created = store
        .create_policy(
            fx.org,
            &critical,
            &audited(fx.org, "sla_policy.create", critical.id().to_string()),
        )
        .unwrap();
    assert_eq!(created, critical);
    assert_eq!(
        store.stored_policy(fx.org, critical.id()).unwrap(),
        critical
    );
    // Listed by rank: the new rank-0 policy before the fixture's rank-10 one.
    let listed = store.stored_policies(fx.org).unwrap();
    assert_eq!(
        listed.iter().map(StoredPolicy::id).collect::<Vec<_>>(),
        vec![critical.id(), fx.policy]
    );

    // Deactivated: gone from the runtime catalog, still administered.
    let mut off = critical.clone();
    off.active = false;
    off.version = 2;
    off.updated_at = mins(3);
    off.record.policy.resolution = TimeDelta::minutes(90);
    let stored = store
        .update_policy(
            fx.org,
            &off,
            1,
            &audited(fx.org, "sla_policy.update", critical.id().to_string()),
        )
        .unwrap();
    assert_eq!(stored, off);
    assert_eq!(
        store
            .policies(fx.org)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![fx.policy],
        "inactive policies are never selected"
    );
    assert_eq!(store.stored_policies(fx.org).unwrap().len(), 2);

    // Stale and unknown.
    match store.update_policy(fx.org, &off, 1, &WriteSet::default()) {
        Err(StoreError::Conflict { current: 2, .. }) => {}
        other => panic!("stale policy update: expected Conflict(2), got {other:?}"),
    }
    match store.update_policy(
        fx.org,
        &new_policy(ny.id, "Ghost", 1),
        1,
        &WriteSet::default(),
    ) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("unknown policy update: expected NotFound, got {other:?}"),
    }
    assert_eq!(
        audit_actions(store, fx.org),
        vec!["calendar.create", "sla_policy.create", "sla_policy.update"]
    );
}

fn policy_calendar_and_name_rules(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    // A calendar of another organization, or none, is not found.
    for calendar in [b.calendar, new_id()] {
        match store.create_policy(a.org, &new_policy(calendar, "X", 1), &WriteSet::default()) {
            Err(StoreError::NotFound("calendar")) => {}
            other => panic!("policy on a foreign calendar: expected NotFound, got {other:?}"),
        }
    }
    let mut fixture = store.stored_policy(a.org, a.policy).unwrap();
    let before = fixture.clone();
    fixture.record.calendar_id = b.calendar;
    fixture.version += 1;
    match store.update_policy(a.org, &fixture, before.version, &WriteSet::default()) {
        Err(StoreError::NotFound("calendar")) => {}
        other => panic!("policy moved to a foreign calendar: expected NotFound, got {other:?}"),
    }
    assert_eq!(store.stored_policy(a.org, a.policy).unwrap(), before);

    // Names are unique per organization.
    store
        .create_policy(
            a.org,
            &new_policy(a.calendar, "Gold", 1),
            &WriteSet::default(),
        )
        .unwrap();
    match store.create_policy(
        a.org,
        &new_policy(a.calendar, "Gold", 2),
        &WriteSet::default(),
    ) {
        Err(StoreError::Duplicate { field: "name" }) => {}
        other => panic!("second policy named Gold: expected Duplicate, got {other:?}"),
    }
    let mut renamed = before.clone();
    renamed.record.policy.name = "Gold".to_owned();
    renamed.version += 1;
    match store.update_policy(a.org, &renamed, before.version, &WriteSet::default()) {
        Err(StoreError::Duplicate { field: "name" }) => {}
        other => panic!("rename to a taken policy name: expected Duplicate, got {other:?}"),
    }
    store
        .create_policy(
            b.org,
            &new_policy(b.calendar, "Gold", 1),
            &WriteSet::default(),
        )
        .unwrap();
    // Tenancy.
    match store.stored_policy(b.org, a.policy) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("A's policy read under B: expected NotFound, got {other:?}"),
    }
    match store.update_policy(b.org, &before, before.version, &WriteSet::default()) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("A's policy updated under B: expected NotFound, got {other:?}"),
    }
    assert_eq!(store.stored_policies(b.org).unwrap().len(), 2);
}

fn a_failed_write_leaves_neither_row_nor_audit(store: &Store) {
    let fx = org_fixture(store, "A");
    let ny = new_calendar(fx.org, "NY office", ny_office());
    store.inject_fault_after_audit(true);
    let failed = store.create_calendar(&ny, &audited(fx.org, "calendar.create", ny.id.to_string()));
    let policy = new_policy(fx.calendar, "Gold", 1);
    let failed_policy = store.create_policy(
        fx.org,
        &policy,
        &audited(fx.org, "sla_policy.create", policy.id().to_string()),
    );
    store.inject_fault_after_audit(false);
    assert!(
        matches!(failed, Err(StoreError::Unavailable(_))),
        "{failed:?}"
    );
    assert!(
        matches!(failed_policy, Err(StoreError::Unavailable(_))),
        "{failed_policy:?}"
    );
    assert!(matches!(
        store.stored_calendar(fx.org, ny.id),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.stored_policy(fx.org, policy.id()),
        Err(StoreError::NotFound(_))
    ));
    assert!(audit_actions(store, fx.org).is_empty());
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact { entries: 0 }
    );
    // The same writes succeed afterwards.
    create_calendar(store, &ny);
    assert_eq!(audit_actions(store, fx.org), vec!["calendar.create"]);
}

fn concurrent_creates_of_one_name_store_one(store: &Store) {
    let fx = org_fixture(store, "A");
    let threads = 6;
    let barrier = Arc::new(Barrier::new(threads));
    let results: Vec<Result<StoredCalendar, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    let c = new_calendar(fx.org, "Contested", ny_office());
                    barrier.wait();
                    store.create_calendar(&c, &audited(fx.org, "calendar.create", c.id.to_string()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "exactly one create wins: {results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, StoreError::Duplicate { field: "name" })),
        "{results:?}"
    );
    let contested = store
        .calendars(fx.org)
        .unwrap()
        .into_iter()
        .filter(|c| c.name == "Contested")
        .count();
    assert_eq!(contested, 1);
    assert_eq!(audit_actions(store, fx.org), vec!["calendar.create"]);
}
