//! The delegation use cases over mocked ports: what is refused before the store is
//! touched, what is audited, and that someone else's delegation is not found.

use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::Actor;
use crate::entities::User;
use crate::error::Error;
use crate::ids::{DelegationId, OrgId};
use crate::ports::{FixedClock, MockDirectory, MockIdGenerator, StoreError, WriteSet};
use crate::rbac::{BuiltinRole, Role};

fn org() -> OrgId {
    OrgId(uuid::Uuid::from_u128(900))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn actor(n: u128) -> Actor {
    Actor::new(
        u(n),
        org(),
        vec![Role::builtin(BuiltinRole::Manager)],
        vec![],
    )
}

fn person(n: u128, active: bool) -> User {
    User {
        id: u(n),
        org_id: org(),
        email: format!("u{n}@example.test"),
        name: format!("User {n}"),
        roles: vec!["agent".into()],
        team_ids: vec![],
        active,
        manager_id: None,
        time_zone: None,
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

/// Users 2 (active) and 3 (deactivated) exist; everything else is unknown.
fn directory() -> MockDirectory {
    let mut dir = MockDirectory::new();
    dir.expect_user().returning(|o, id| {
        assert_eq!(o, org());
        match id {
            x if x == u(2) => Ok(person(2, true)),
            x if x == u(3) => Ok(person(3, false)),
            _ => Err(StoreError::NotFound("user")),
        }
    });
    dir
}

fn ids() -> MockIdGenerator {
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(|| uuid::Uuid::from_u128(77));
    ids
}

/// Today is 2026-12-10 (UTC noon).
fn service(store: MockDelegationStore) -> Delegations {
    Delegations::new(
        Arc::new(store),
        Arc::new(directory()),
        Arc::new(FixedClock::new(
            Utc.with_ymd_and_hms(2026, 12, 10, 12, 0, 0).unwrap(),
        )),
        Arc::new(ids()),
    )
}

fn codes(e: Error) -> Vec<(String, &'static str)> {
    match e {
        Error::Invalid(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_valid_delegation_is_stored_with_its_audit_record() {
    let written: Arc<Mutex<Vec<WriteSet>>> = Arc::default();
    let mut store = MockDelegationStore::new();
    store.expect_delegations_of().returning(|_, _| Ok(vec![]));
    let seen = written.clone();
    store
        .expect_create_delegation()
        .times(1)
        .returning(move |o, id, d, w| {
            assert_eq!(o, org());
            assert_eq!(id, DelegationId(uuid::Uuid::from_u128(77)));
            assert_eq!((d.user_id, d.delegate_id), (u(1), u(2)));
            seen.lock().unwrap().push(w.clone());
            Ok(())
        });
    let (id, d) = service(store)
        .create(&actor(1), u(2), day("2026-12-20"), day("2027-01-05"))
        .unwrap();
    assert_eq!(id, DelegationId(uuid::Uuid::from_u128(77)));
    assert_eq!(d.starts_on, day("2026-12-20"));
    let written = written.lock().unwrap();
    let audit = &written[0].audit;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "delegation.create");
    assert_eq!(audit[0].target_kind, "delegation");
    assert_eq!(audit[0].target_id, id.to_string());
    assert_eq!(audit[0].actor_id, Some(u(1)));
    assert_eq!(audit[0].detail["delegate_id"], u(2).to_string());
    assert_eq!(audit[0].detail["starts_on"], "2026-12-20");
    assert_eq!(audit[0].detail["ends_on"], "2027-01-05");
}

/// A delegate, the two dates, and the (field, code) pairs expected.
type Case = (
    u128,
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn every_broken_rule_is_named_and_nothing_is_written() {
    // No expectation on the store's writes: a call would panic.
    let cases: Vec<Case> = vec![
        (1, "2026-12-20", "2026-12-21", vec![("delegate_id", "self")]),
        (
            3,
            "2026-12-20",
            "2026-12-21",
            vec![("delegate_id", "inactive")],
        ),
        (
            9,
            "2026-12-20",
            "2026-12-21",
            vec![("delegate_id", "unknown")],
        ),
        (
            2,
            "2026-12-20",
            "2026-12-19",
            vec![("ends_on", "before_start")],
        ),
        (2, "2026-12-20", "2027-12-20", vec![("ends_on", "too_long")]),
        // Yesterday (UTC) still counts as not over; the day before does not.
        (2, "2026-12-01", "2026-12-08", vec![("ends_on", "past")]),
        (
            2,
            "2027-12-10",
            "2027-12-11",
            vec![("starts_on", "too_far")],
        ),
        (
            1,
            "2026-12-20",
            "2026-12-01",
            vec![
                ("delegate_id", "self"),
                ("ends_on", "before_start"),
                ("ends_on", "past"),
            ],
        ),
    ];
    for (delegate, from, to, expected) in cases {
        let mut store = MockDelegationStore::new();
        store.expect_delegations_of().returning(|_, _| Ok(vec![]));
        let err = service(store)
            .create(&actor(1), u(delegate), day(from), day(to))
            .unwrap_err();
        let expected: Vec<(String, &str)> = expected
            .into_iter()
            .map(|(f, c)| (f.to_owned(), c))
            .collect();
        assert_eq!(codes(err), expected, "{delegate} {from}..{to}");
    }
}

#[test]
fn edges_of_the_date_rules_are_accepted() {
    for (from, to) in [
        ("2026-12-09", "2026-12-09"),
        ("2026-12-09", "2027-12-08"),
        ("2027-12-09", "2027-12-09"),
    ] {
        let mut store = MockDelegationStore::new();
        store.expect_delegations_of().returning(|_, _| Ok(vec![]));
        store
            .expect_create_delegation()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        service(store)
            .create(&actor(1), u(2), day(from), day(to))
            .unwrap_or_else(|e| panic!("{from}..{to}: {e:?}"));
    }
}

#[test]
fn open_delegations_are_bounded_and_ended_ones_do_not_count() {
    let given = |n: usize, ends: &str| -> Vec<(DelegationId, Delegation)> {
        (0..n)
            .map(|i| {
                (
                    DelegationId(uuid::Uuid::from_u128(1000 + i as u128)),
                    Delegation {
                        user_id: u(1),
                        delegate_id: u(2),
                        starts_on: day("2026-11-01"),
                        ends_on: day(ends),
                    },
                )
            })
            .collect()
    };
    let full = given(MAX_OPEN_DELEGATIONS, "2026-12-09");
    let mut store = MockDelegationStore::new();
    store
        .expect_delegations_of()
        .returning(move |_, _| Ok(full.clone()));
    let err = service(store)
        .create(&actor(1), u(2), day("2026-12-20"), day("2026-12-21"))
        .unwrap_err();
    assert_eq!(codes(err), vec![("body".to_owned(), "too_many")]);

    let mut ended = given(MAX_OPEN_DELEGATIONS, "2026-12-08");
    ended.extend(given(MAX_OPEN_DELEGATIONS - 1, "2027-01-01"));
    let mut store = MockDelegationStore::new();
    store
        .expect_delegations_of()
        .returning(move |_, _| Ok(ended.clone()));
    store
        .expect_create_delegation()
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    service(store)
        .create(&actor(1), u(2), day("2026-12-20"), day("2026-12-21"))
        .unwrap();
}

#[test]
fn a_delegate_gone_at_the_write_is_unknown() {
    let mut store = MockDelegationStore::new();
    store.expect_delegations_of().returning(|_, _| Ok(vec![]));
    store
        .expect_create_delegation()
        .returning(|_, _, _, _| Err(StoreError::NotFound("user")));
    let err = service(store)
        .create(&actor(1), u(2), day("2026-12-20"), day("2026-12-21"))
        .unwrap_err();
    assert_eq!(codes(err), vec![("delegate_id".to_owned(), "unknown")]);
}

#[test]
fn deleting_is_audited_and_someone_elses_delegation_is_not_found() {
    let mine = DelegationId(uuid::Uuid::from_u128(5));
    let theirs = DelegationId(uuid::Uuid::from_u128(6));
    let d = Delegation {
        user_id: u(1),
        delegate_id: u(2),
        starts_on: day("2026-12-20"),
        ends_on: day("2026-12-21"),
    };
    let mut store = MockDelegationStore::new();
    store.expect_delegations_of().returning(move |_, user| {
        Ok(if user == u(1) {
            vec![(mine, d)]
        } else {
            vec![]
        })
    });
    store
        .expect_delete_delegation()
        .times(1)
        .returning(move |o, user, id, w| {
            assert_eq!((o, user, id), (org(), u(1), mine));
            assert_eq!(w.audit.len(), 1);
            assert_eq!(w.audit[0].action, "delegation.delete");
            assert_eq!(w.audit[0].target_id, mine.to_string());
            assert_eq!(w.audit[0].detail["delegate_id"], u(2).to_string());
            Ok(())
        });
    let svc = service(store);
    assert_eq!(
        svc.delete(&actor(1), theirs),
        Err(Error::NotFound {
            entity: "delegation"
        })
    );
    // User 4 did not give `mine`: not found, and the store is not asked to delete it.
    assert_eq!(
        svc.delete(&actor(4), mine),
        Err(Error::NotFound {
            entity: "delegation"
        })
    );
    svc.delete(&actor(1), mine).unwrap();
}
