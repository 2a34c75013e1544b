//! The SLA settings use cases against mockall mocks. A mock without expectations panics
//! when called, so the refusal tests prove nothing reached a port.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc, Weekday};
use servicedesk_sla::{
    Calendar, Escalation, EscalationAction, EscalationTrigger, PolicyConditions, WeeklyHours,
    WorkInterval,
};
use uuid::Uuid;

use super::*;
use crate::ids::TeamId;
use crate::ports::{FixedClock, MockDirectory, MockSlaAdminStore};
use crate::usecases::tests::fixture::{
    ORG, SeqIds, T1, admin, agent, manager, requester, t0, team,
};

const CAL: CalendarId = CalendarId(Uuid::from_u128(0x20));
const OTHER_CAL: CalendarId = CalendarId(Uuid::from_u128(0x21));
const POLICY: SlaPolicyId = SlaPolicyId(Uuid::from_u128(0x30));

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

struct Fx {
    store: MockSlaAdminStore,
    dir: MockDirectory,
}

impl Fx {
    fn bare() -> Self {
        Self {
            store: MockSlaAdminStore::new(),
            dir: MockDirectory::new(),
        }
    }

    fn build(self) -> SlaSettings {
        SlaSettings::new(
            Arc::new(self.store),
            Arc::new(self.dir),
            Arc::new(FixedClock::new(t0())),
            Arc::new(SeqIds::default()),
        )
    }

    /// The store holds `calendar` as `CAL` of `ORG`.
    fn holding_calendar(mut self, calendar: Calendar) -> Self {
        self.store
            .expect_stored_calendar()
            .returning(move |org, id| {
                if org == ORG && id == CAL {
                    Ok(stored_calendar(calendar.clone()))
                } else {
                    Err(StoreError::NotFound("calendar"))
                }
            });
        self
    }
}

fn stored_calendar(calendar: Calendar) -> StoredCalendar {
    StoredCalendar {
        id: CAL,
        org_id: ORG,
        name: "NY office".into(),
        calendar,
        version: 2,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn iv(a: &str, b: &str) -> WorkInterval {
    WorkInterval::parse(a, b).unwrap()
}

/// New York, Monday to Friday 09:00-12:00 and 13:00-18:00, Christmas off.
fn ny_office() -> Calendar {
    Calendar::new(
        chrono_tz::America::New_York,
        WeeklyHours::weekdays(vec![iv("09:00", "12:00"), iv("13:00", "18:00")]),
        [chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
    )
    .unwrap()
}

fn pair(a: &str, b: &str) -> Vec<String> {
    vec![a.to_owned(), b.to_owned()]
}

fn ny_input() -> CalendarInput {
    let mut hours = BTreeMap::new();
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        hours.insert(
            day.to_owned(),
            vec![pair("13:00", "18:00"), pair("09:00", "12:00")],
        );
    }
    hours.insert("sun".to_owned(), vec![]);
    CalendarInput {
        name: "  NY office ".into(),
        time_zone: "America/New_York".into(),
        hours,
        holidays: vec!["2026-12-25".into(), "2026-12-25".into()],
    }
}

fn fields(err: &Error) -> Vec<(String, &'static str)> {
    match err {
        Error::Invalid(f) => f.iter().map(|e| (e.field.clone(), e.code)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn field(name: &str, code: &'static str) -> (String, &'static str) {
    (name.to_owned(), code)
}

fn policy_input() -> PolicyInput {
    PolicyInput {
        name: "Critical".into(),
        rank: 0,
        conditions: PolicyConditions {
            priorities: vec!["critical".into(), "critical".into()],
            ..PolicyConditions::default()
        },
        calendar_id: CAL,
        first_response_minutes: 15,
        resolution_minutes: 240,
        warn_percent: 75,
        pause_statuses: vec!["on_hold".into()],
        active: true,
        escalations: vec![EscalationInput {
            on: "breach".into(),
            target: Some("resolution".into()),
            action: "reassign_team".into(),
            team_id: Some(T1.to_string()),
        }],
    }
}

fn stored_policy() -> StoredPolicy {
    StoredPolicy {
        record: SlaPolicyRecord {
            id: POLICY,
            calendar_id: CAL,
            policy: SlaPolicy {
                id: POLICY.to_string(),
                name: "Critical".into(),
                rank: 0,
                conditions: PolicyConditions::default(),
                first_response: TimeDelta::minutes(15),
                resolution: TimeDelta::minutes(240),
                warn_percent: 75,
                pause_statuses: vec!["on_hold".into()],
                escalations: vec![],
            },
        },
        active: true,
        version: 4,
        created_at: t0(),
        updated_at: t0(),
    }
}

// ---- permissions ----

#[test]
fn requesters_are_refused_everything_before_any_port_call() {
    let uc = Fx::bare().build();
    let r = requester();
    let forbidden = |res: Result<()>| {
        assert!(
            matches!(res, Err(Error::Forbidden { .. })),
            "expected Forbidden, got {res:?}"
        );
    };
    forbidden(uc.calendars(&r).map(drop));
    forbidden(uc.calendar(&r, CAL).map(drop));
    forbidden(uc.create_calendar(&r, ny_input()).map(drop));
    forbidden(
        uc.update_calendar(&r, CAL, 1, CalendarPatch::default())
            .map(drop),
    );
    forbidden(uc.policies(&r).map(drop));
    forbidden(uc.policy(&r, POLICY).map(drop));
    forbidden(uc.create_policy(&r, policy_input()).map(drop));
    forbidden(
        uc.update_policy(&r, POLICY, 1, PolicyPatch::default())
            .map(drop),
    );
    // Even with garbage parameters: the permission is decided first.
    forbidden(uc.due(&r, CAL, &DueQuery::default()).map(drop));
    forbidden(
        uc.business_minutes(&r, CAL, &RangeQuery::default())
            .map(drop),
    );
}

#[test]
fn agents_read_but_do_not_manage() {
    let uc = Fx::bare().build();
    let a = agent();
    for res in [
        uc.create_calendar(&a, ny_input()).map(drop),
        uc.update_calendar(
            &a,
            CAL,
            2,
            CalendarPatch {
                name: Some("x".into()),
                ..CalendarPatch::default()
            },
        )
        .map(drop),
        uc.create_policy(&a, policy_input()).map(drop),
        uc.update_policy(
            &a,
            POLICY,
            4,
            PolicyPatch {
                rank: Some(3),
                ..PolicyPatch::default()
            },
        )
        .map(drop),
    ] {
        assert!(matches!(res, Err(Error::Forbidden { .. })), "{res:?}");
    }

    let mut fx = Fx::bare().holding_calendar(ny_office());
    fx.store
        .expect_calendars()
        .returning(|_| Ok(vec![stored_calendar(ny_office())]));
    fx.store
        .expect_stored_policies()
        .returning(|_| Ok(vec![stored_policy()]));
    let uc = fx.build();
    assert_eq!(uc.calendars(&a).unwrap().len(), 1);
    assert_eq!(uc.calendar(&a, CAL).unwrap().name, "NY office");
    assert_eq!(uc.policies(&a).unwrap().len(), 1);
    assert!(matches!(
        uc.calendar(&a, OTHER_CAL),
        Err(Error::NotFound { .. })
    ));
}

// ---- calendars ----

#[test]
fn creating_a_calendar_normalizes_it_and_audits_the_write() {
    let written: Arc<Mutex<Vec<(StoredCalendar, WriteSet)>>> = Arc::default();
    let log = written.clone();
    let mut fx = Fx::bare();
    fx.store.expect_create_calendar().returning(move |c, w| {
        log.lock().unwrap().push((c.clone(), w.clone()));
        Ok(c.clone())
    });
    let created = fx.build().create_calendar(&manager(), ny_input()).unwrap();
    assert_eq!(created.name, "NY office");
    assert_eq!(created.calendar, ny_office());
    assert_eq!(created.version, 1);
    assert_eq!(created.org_id, ORG);
    let (stored, write) = written.lock().unwrap().pop().unwrap();
    assert_eq!(stored, created);
    assert_eq!(write.audit.len(), 1);
    let audit = &write.audit[0];
    assert_eq!(audit.action, "calendar.create");
    assert_eq!(audit.target_kind, "calendar");
    assert_eq!(audit.target_id, created.id.to_string());
    assert_eq!(audit.actor_id, Some(manager().user_id()));
    assert_eq!(audit.detail["time_zone"], "America/New_York");
    assert_eq!(
        audit.detail["hours"]["mon"],
        serde_json::json!([["09:00", "12:00"], ["13:00", "18:00"]])
    );
    assert_eq!(audit.detail["holidays"], serde_json::json!(["2026-12-25"]));
}

#[test]
fn a_round_the_clock_calendar_is_every_day_until_24_00() {
    let mut fx = Fx::bare();
    fx.store
        .expect_create_calendar()
        .returning(|c, _| Ok(c.clone()));
    let hours: HoursInput = WEEKDAYS
        .iter()
        .map(|d| ((*d).to_owned(), vec![pair("00:00", "24:00")]))
        .collect();
    let created = fx
        .build()
        .create_calendar(
            &admin(),
            CalendarInput {
                name: "24x7".into(),
                time_zone: "UTC".into(),
                hours,
                holidays: vec![],
            },
        )
        .unwrap();
    assert_eq!(created.calendar, Calendar::twenty_four_seven());
}

#[test]
fn every_calendar_mistake_is_named_and_nothing_is_written() {
    let mut hours = BTreeMap::new();
    hours.insert(
        "mon".to_owned(),
        vec![pair("9am", "12:00"), pair("13:00", "25:00")],
    );
    hours.insert("tue".to_owned(), vec![pair("12:00", "09:00")]);
    hours.insert("wed".to_owned(), vec![pair("10:00", "10:00")]);
    hours.insert(
        "thu".to_owned(),
        vec![pair("09:00", "12:00"), pair("11:00", "13:00")],
    );
    hours.insert("funday".to_owned(), vec![pair("09:00", "12:00")]);
    hours.insert("fri".to_owned(), vec![vec!["09:00".to_owned()]]);
    let input = CalendarInput {
        name: " ".into(),
        time_zone: "Mars/Olympus_Mons".into(),
        hours,
        holidays: vec![
            "2026-02-30".into(),
            "25.12.2026".into(),
            "2026-12-24".into(),
        ],
    };
    let err = Fx::bare()
        .build()
        .create_calendar(&manager(), input)
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![
            field("name", "required"),
            field("time_zone", "unknown"),
            field("hours.fri[0]", "invalid_interval"),
            field("hours.funday", "unknown_day"),
            field("hours.mon[0]", "invalid_time"),
            field("hours.mon[1]", "invalid_time"),
            field("hours.thu", "overlap"),
            field("hours.tue[0]", "end_not_after_start"),
            field("hours.wed[0]", "end_not_after_start"),
            field("holidays[0]", "invalid_date"),
            field("holidays[1]", "invalid_date"),
        ]
    );

    // A week without any working time could never reach a due instant.
    let closed = CalendarInput {
        hours: BTreeMap::from([("sat".to_owned(), vec![])]),
        ..ny_input()
    };
    let err = Fx::bare()
        .build()
        .create_calendar(&manager(), closed)
        .unwrap_err();
    assert_eq!(fields(&err), vec![field("hours", "no_working_time")]);
}

#[test]
fn a_taken_calendar_name_is_a_field_error() {
    let mut fx = Fx::bare();
    fx.store
        .expect_create_calendar()
        .returning(|_, _| Err(StoreError::Duplicate { field: "name" }));
    let err = fx
        .build()
        .create_calendar(&manager(), ny_input())
        .unwrap_err();
    assert_eq!(fields(&err), vec![field("name", "taken")]);
}

#[test]
fn updating_a_calendar_checks_the_version_and_records_what_changed() {
    // Stale: refused after the read, before any write.
    let uc = Fx::bare().holding_calendar(ny_office()).build();
    let patch = CalendarPatch {
        holidays: Some(vec!["2026-12-24".into(), "2026-12-25".into()]),
        ..CalendarPatch::default()
    };
    assert_eq!(
        uc.update_calendar(&manager(), CAL, 1, patch.clone())
            .unwrap_err(),
        Error::Conflict {
            entity: "calendar",
            current: 2
        }
    );
    // Another organization's calendar (or none) is not found.
    assert!(matches!(
        uc.update_calendar(&manager(), OTHER_CAL, 2, patch.clone()),
        Err(Error::NotFound { .. })
    ));
    // Nothing to change, or a mistake: no port call at all.
    let bare = Fx::bare().build();
    assert_eq!(
        fields(
            &bare
                .update_calendar(&manager(), CAL, 2, CalendarPatch::default())
                .unwrap_err()
        ),
        vec![field("body", "empty")]
    );
    let bad = CalendarPatch {
        time_zone: Some("Nowhere/Land".into()),
        hours: Some(BTreeMap::from([(
            "mon".to_owned(),
            vec![pair("09:00", "08:00")],
        )])),
        ..CalendarPatch::default()
    };
    assert_eq!(
        fields(&bare.update_calendar(&manager(), CAL, 2, bad).unwrap_err()),
        vec![
            field("time_zone", "unknown"),
            field("hours.mon[0]", "end_not_after_start")
        ]
    );

    // The same values again: answered without a write.
    let same = CalendarPatch {
        name: Some("NY office".into()),
        holidays: Some(vec!["2026-12-25".into()]),
        ..CalendarPatch::default()
    };
    let unchanged = uc.update_calendar(&manager(), CAL, 2, same).unwrap();
    assert_eq!(unchanged.version, 2);

    // A real change: written against the version read, with an audit record.
    let written: Arc<Mutex<Vec<(StoredCalendar, i64, WriteSet)>>> = Arc::default();
    let log = written.clone();
    let mut fx = Fx::bare().holding_calendar(ny_office());
    fx.store.expect_update_calendar().returning(move |c, v, w| {
        log.lock().unwrap().push((c.clone(), v, w.clone()));
        Ok(c.clone())
    });
    let updated = fx.build().update_calendar(&admin(), CAL, 2, patch).unwrap();
    assert_eq!(updated.version, 3);
    assert_eq!(updated.name, "NY office");
    assert_eq!(updated.calendar.holidays().count(), 2);
    assert_eq!(updated.calendar.hours(), ny_office().hours());
    let (_, expected, write) = written.lock().unwrap().pop().unwrap();
    assert_eq!(expected, 2);
    assert_eq!(write.audit[0].action, "calendar.update");
    assert_eq!(
        write.audit[0].detail["changed"],
        serde_json::json!(["holidays"])
    );
}

// ---- policies ----

#[test]
fn creating_a_policy_checks_the_reassign_team_and_audits() {
    let written: Arc<Mutex<Vec<(StoredPolicy, WriteSet)>>> = Arc::default();
    let log = written.clone();
    let mut fx = Fx::bare();
    fx.dir.expect_team().returning(|org, id| {
        if org == ORG && id == T1 {
            Ok(team(T1, None))
        } else {
            Err(StoreError::NotFound("team"))
        }
    });
    fx.store.expect_create_policy().returning(move |org, p, w| {
        assert_eq!(org, ORG);
        log.lock().unwrap().push((p.clone(), w.clone()));
        Ok(p.clone())
    });
    let uc = fx.build();
    let created = uc.create_policy(&manager(), policy_input()).unwrap();
    let p = &created.record.policy;
    assert_eq!(p.id, created.id().to_string());
    assert_eq!(
        p.conditions.priorities,
        vec!["critical"],
        "duplicates collapse"
    );
    assert_eq!(p.first_response, TimeDelta::minutes(15));
    assert_eq!(
        p.escalations,
        vec![Escalation {
            on: EscalationTrigger::Breach,
            target: Some(servicedesk_sla::EscalationTarget::Resolution),
            action: EscalationAction::ReassignTeam {
                team_id: T1.to_string()
            },
        }]
    );
    assert_eq!((created.version, created.active), (1, true));
    let (_, write) = written.lock().unwrap().pop().unwrap();
    assert_eq!(write.audit[0].action, "sla_policy.create");
    assert_eq!(write.audit[0].detail["resolution_minutes"], 240);

    // A team of another organization (or none) is unknown: refused before the write.
    let foreign = PolicyInput {
        escalations: vec![
            EscalationInput {
                on: "warning".into(),
                target: None,
                action: "notify_team".into(),
                team_id: None,
            },
            EscalationInput {
                on: "breach".into(),
                target: None,
                action: "reassign_team".into(),
                team_id: Some(TeamId(Uuid::from_u128(0x99)).to_string()),
            },
        ],
        ..policy_input()
    };
    let err = uc.create_policy(&manager(), foreign).unwrap_err();
    assert_eq!(
        fields(&err),
        vec![field("escalations[1].action.team_id", "unknown")]
    );
    assert!(written.lock().unwrap().is_empty());
}

#[test]
fn every_policy_mistake_is_named_and_nothing_is_read_or_written() {
    let input = PolicyInput {
        name: String::new(),
        conditions: PolicyConditions {
            ticket_types: vec!["incident".into(), "ticket".into()],
            priorities: vec!["p1".into()],
            categories: vec![" ".into()],
            requester_orgs: vec!["acme".into()],
        },
        first_response_minutes: 0,
        resolution_minutes: MAX_TARGET_MINUTES + 1,
        warn_percent: 101,
        pause_statuses: vec!["on_hold".into(), "waiting".into(), "resolved".into()],
        escalations: vec![
            EscalationInput {
                on: "late".into(),
                target: Some("response".into()),
                action: "notify_assignee".into(),
                team_id: None,
            },
            EscalationInput {
                on: "breach".into(),
                target: None,
                action: "reassign_team".into(),
                team_id: None,
            },
            EscalationInput {
                on: "breach".into(),
                target: None,
                action: "reassign_team".into(),
                team_id: Some("not-a-uuid".into()),
            },
            EscalationInput {
                on: "warning".into(),
                target: None,
                action: "page_someone".into(),
                team_id: None,
            },
            EscalationInput {
                on: "warning".into(),
                target: None,
                action: "notify_team".into(),
                team_id: Some(T1.to_string()),
            },
        ],
        ..policy_input()
    };
    let err = Fx::bare()
        .build()
        .create_policy(&manager(), input)
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![
            field("name", "required"),
            field("first_response_minutes", "not_positive"),
            field("resolution_minutes", "too_large"),
            field("warn_percent", "out_of_range"),
            field("conditions.ticket_types[1]", "unknown"),
            field("conditions.priorities[0]", "unknown"),
            field("conditions.categories[0]", "required"),
            field("conditions.requester_orgs[0]", "invalid"),
            field("pause_statuses[1]", "unknown"),
            field("pause_statuses[2]", "not_pausable"),
            field("escalations[0].on", "unknown"),
            field("escalations[0].target", "unknown"),
            field("escalations[1].action.team_id", "required"),
            field("escalations[2].action.team_id", "invalid"),
            field("escalations[3].action.type", "unknown"),
            field("escalations[4].action.team_id", "not_allowed"),
        ]
    );
    for warn in [0, -5] {
        let err = Fx::bare()
            .build()
            .create_policy(
                &manager(),
                PolicyInput {
                    warn_percent: warn,
                    escalations: vec![],
                    ..policy_input()
                },
            )
            .unwrap_err();
        assert_eq!(fields(&err), vec![field("warn_percent", "out_of_range")]);
    }
}

#[test]
fn an_unknown_calendar_or_a_taken_name_is_a_field_error() {
    for (store_error, expected) in [
        (
            StoreError::NotFound("calendar"),
            field("calendar_id", "unknown"),
        ),
        (
            StoreError::Duplicate { field: "name" },
            field("name", "taken"),
        ),
    ] {
        let mut fx = Fx::bare();
        fx.store
            .expect_create_policy()
            .returning(move |_, _, _| Err(store_error.clone()));
        let err = fx
            .build()
            .create_policy(
                &manager(),
                PolicyInput {
                    escalations: vec![],
                    ..policy_input()
                },
            )
            .unwrap_err();
        assert_eq!(fields(&err), vec![expected]);
    }
}

#[test]
fn updating_a_policy_names_the_version_read() {
    let holding = || {
        let mut fx = Fx::bare();
        fx.store.expect_stored_policy().returning(|org, id| {
            if org == ORG && id == POLICY {
                Ok(stored_policy())
            } else {
                Err(StoreError::NotFound("sla policy"))
            }
        });
        fx
    };
    let patch = PolicyPatch {
        resolution_minutes: Some(120),
        active: Some(false),
        calendar_id: Some(OTHER_CAL),
        ..PolicyPatch::default()
    };
    let uc = holding().build();
    assert_eq!(
        uc.update_policy(&manager(), POLICY, 3, patch.clone())
            .unwrap_err(),
        Error::Conflict {
            entity: "sla policy",
            current: 4
        }
    );
    assert!(matches!(
        uc.update_policy(
            &manager(),
            SlaPolicyId(Uuid::from_u128(0x77)),
            4,
            patch.clone()
        ),
        Err(Error::NotFound { .. })
    ));
    let err = Fx::bare()
        .build()
        .update_policy(
            &manager(),
            POLICY,
            4,
            PolicyPatch {
                warn_percent: Some(0),
                pause_statuses: Some(vec!["closed".into()]),
                ..PolicyPatch::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![
            field("warn_percent", "out_of_range"),
            field("pause_statuses[0]", "not_pausable")
        ]
    );

    let written: Arc<Mutex<Vec<(StoredPolicy, i64, WriteSet)>>> = Arc::default();
    let log = written.clone();
    let mut fx = holding();
    fx.store
        .expect_update_policy()
        .returning(move |_, p, v, w| {
            log.lock().unwrap().push((p.clone(), v, w.clone()));
            Ok(p.clone())
        });
    let updated = fx
        .build()
        .update_policy(&admin(), POLICY, 4, patch)
        .unwrap();
    assert_eq!(updated.version, 5);
    assert!(!updated.active);
    assert_eq!(updated.record.calendar_id, OTHER_CAL);
    assert_eq!(updated.record.policy.resolution, TimeDelta::minutes(120));
    let (_, expected, write) = written.lock().unwrap().pop().unwrap();
    assert_eq!(expected, 4);
    assert_eq!(
        write.audit[0].detail["changed"],
        serde_json::json!(["active", "calendar_id", "resolution_minutes"])
    );

    // An update to a calendar outside the organization is a field error.
    let mut fx = holding();
    fx.store
        .expect_update_policy()
        .returning(|_, _, _, _| Err(StoreError::NotFound("calendar")));
    let err = fx
        .build()
        .update_policy(
            &manager(),
            POLICY,
            4,
            PolicyPatch {
                calendar_id: Some(OTHER_CAL),
                ..PolicyPatch::default()
            },
        )
        .unwrap_err();
    assert_eq!(fields(&err), vec![field("calendar_id", "unknown")]);
}

// ---- the calendar math ----

fn due(q: (&str, &str)) -> DueQuery {
    DueQuery {
        start: Some(q.0.to_owned()),
        minutes: Some(q.1.to_owned()),
    }
}

#[test]
fn due_counts_business_time_across_a_dst_weekend_and_a_holiday() {
    let uc = Fx::bare().holding_calendar(ny_office()).build();
    let a = agent();
    // Friday 2026-03-06 17:00 EST + 120 min: 1 h on Friday, the rest on Monday after the
    // clocks moved (09:00 EDT = 13:00Z), so due 10:00 EDT.
    assert_eq!(
        uc.due(&a, CAL, &due(("2026-03-06T22:00:00Z", "120")))
            .unwrap(),
        at("2026-03-09T14:00:00Z")
    );
    // Thursday 2026-12-24 17:00 EST + 120 min: Christmas is off, Saturday and Sunday are
    // closed, so 1 h on Thursday and 1 h on Monday 2026-12-28.
    assert_eq!(
        uc.due(&a, CAL, &due(("2026-12-24T22:00:00Z", "120")))
            .unwrap(),
        at("2026-12-28T15:00:00Z")
    );
    // Exactly at closing: the closing instant itself.
    assert_eq!(
        uc.due(&a, CAL, &due(("2026-03-02T18:00:00Z", "300")))
            .unwrap(),
        at("2026-03-02T23:00:00Z")
    );
    // An offset in the input is fine; zero minutes is the start.
    assert_eq!(
        uc.due(&a, CAL, &due(("2026-03-07T10:00:00-05:00", "0")))
            .unwrap(),
        at("2026-03-07T15:00:00Z")
    );
}

#[test]
fn bad_due_questions_are_field_errors_without_a_store_call() {
    let uc = Fx::bare().build();
    let m = manager();
    let err = uc.due(&m, CAL, &DueQuery::default()).unwrap_err();
    assert_eq!(
        fields(&err),
        vec![field("start", "required"), field("minutes", "required")]
    );
    for (q, expected) in [
        (("yesterday", "5"), field("start", "invalid")),
        (("2026-03-06 22:00", "5"), field("start", "invalid")),
        (
            ("1850-01-01T00:00:00Z", "5"),
            field("start", "out_of_range"),
        ),
        (("2026-03-06T22:00:00Z", "-1"), field("minutes", "negative")),
        (("2026-03-06T22:00:00Z", "1.5"), field("minutes", "invalid")),
        (
            ("2026-03-06T22:00:00Z", &(MAX_DUE_MINUTES + 1).to_string()),
            field("minutes", "too_large"),
        ),
    ] {
        let err = uc.due(&m, CAL, &due(q)).unwrap_err();
        assert_eq!(fields(&err), vec![expected], "{q:?}");
    }
}

#[test]
fn a_sparse_calendar_says_when_it_cannot_hold_the_minutes() {
    // One hour a week: ten years of minutes would need some 1,700 years of Mondays.
    let sparse = Calendar::new(
        chrono_tz::UTC,
        WeeklyHours::default().with_day(Weekday::Mon, vec![iv("09:00", "10:00")]),
        [],
    )
    .unwrap();
    let uc = Fx::bare().holding_calendar(sparse).build();
    let err = uc
        .due(
            &manager(),
            CAL,
            &due(("2026-01-01T00:00:00Z", &MAX_DUE_MINUTES.to_string())),
        )
        .unwrap_err();
    assert_eq!(fields(&err), vec![field("minutes", "beyond_horizon")]);
    // A year of Mondays is fine: 52 h after New Year 2026 ends Monday 2026-12-28 10:00.
    assert_eq!(
        uc.due(&manager(), CAL, &due(("2026-01-01T00:00:00Z", "3120")))
            .unwrap(),
        at("2026-12-28T10:00:00Z")
    );
}

#[test]
fn business_minutes_between_two_instants() {
    let uc = Fx::bare().holding_calendar(ny_office()).build();
    let q = |from: &str, to: &str| RangeQuery {
        from: Some(from.to_owned()),
        to: Some(to.to_owned()),
    };
    // The DST weekend: Friday 17:00 EST to Monday 10:00 EDT holds 2 h.
    assert_eq!(
        uc.business_minutes(
            &agent(),
            CAL,
            &q("2026-03-06T22:00:00Z", "2026-03-09T14:00:00Z")
        )
        .unwrap(),
        120
    );
    assert_eq!(
        uc.business_minutes(
            &agent(),
            CAL,
            &q("2026-03-06T21:00:00Z", "2026-03-06T21:00:00Z")
        )
        .unwrap(),
        0
    );
    let bare = Fx::bare().build();
    let err = bare
        .business_minutes(
            &agent(),
            CAL,
            &q("2026-03-09T14:00:00Z", "2026-03-06T21:00:00Z"),
        )
        .unwrap_err();
    assert_eq!(fields(&err), vec![field("to", "before_from")]);
    let err = bare
        .business_minutes(
            &agent(),
            CAL,
            &q("2000-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
        )
        .unwrap_err();
    assert_eq!(fields(&err), vec![field("to", "range_too_long")]);
    let err = bare
        .business_minutes(
            &agent(),
            CAL,
            &RangeQuery {
                from: Some("nope".into()),
                to: None,
            },
        )
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![field("from", "invalid"), field("to", "required")]
    );
}
