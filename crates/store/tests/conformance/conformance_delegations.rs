//! Conformance of `DelegationStore` on both backends: round trips with their audit record,
//! tenancy (another organization's delegation or person is not found), the covering-today
//! query on the edges of a range (both ends inclusive), deletion by its giver only, and one
//! transaction per write.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use servicedesk_core::approvals::{Delegation, DelegationStore};
use servicedesk_core::ids::{DelegationId, UserId};
use servicedesk_core::ports::{StoreError, WriteSet};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    delegations_round_trip_in_start_order_with_their_audit,
    delegations_cover_today_on_both_edges_inclusive,
    delegations_of_another_org_are_not_found,
    only_the_giver_deletes_a_delegation,
    a_failed_delegation_write_leaves_nothing,
);

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn delegation(user: UserId, delegate: UserId, from: &str, to: &str) -> Delegation {
    Delegation {
        user_id: user,
        delegate_id: delegate,
        starts_on: day(from),
        ends_on: day(to),
    }
}

fn write(fx: &Fx, action: &str, id: DelegationId) -> WriteSet {
    WriteSet {
        audit: vec![audit(
            fx.org,
            Some(fx.admin),
            action,
            "delegation",
            &id.to_string(),
            mins(3),
        )],
        ..WriteSet::default()
    }
}

fn give(store: &Store, fx: &Fx, d: &Delegation) -> DelegationId {
    let id: DelegationId = new_id();
    store
        .create_delegation(fx.org, id, d, &write(fx, "delegation.create", id))
        .unwrap();
    id
}

fn delegations_round_trip_in_start_order_with_their_audit(store: &Store) {
    let fx = org_fixture(store, "Delegations");
    let later = delegation(fx.admin, fx.agent, "2027-02-01", "2027-02-10");
    let sooner = delegation(fx.admin, fx.agent2, "2027-01-05", "2027-01-06");
    let other = delegation(fx.agent, fx.admin, "2027-01-01", "2027-01-31");
    let a = give(store, &fx, &later);
    let b = give(store, &fx, &sooner);
    let c = give(store, &fx, &other);
    assert_eq!(
        store.delegations_of(fx.org, fx.admin).unwrap(),
        vec![(b, sooner), (a, later)]
    );
    assert_eq!(
        store.delegations_of(fx.org, fx.agent).unwrap(),
        vec![(c, other)]
    );
    assert!(
        store
            .delegations_of(fx.org, fx.requester)
            .unwrap()
            .is_empty()
    );
    let audit = all_audit(store, fx.org);
    let created: Vec<String> = audit
        .iter()
        .filter(|e| e.record.action == "delegation.create")
        .map(|e| e.record.target_id.clone())
        .collect();
    assert_eq!(created, [a, b, c].map(|id| id.to_string()));
}

fn delegations_cover_today_on_both_edges_inclusive(store: &Store) {
    let fx = org_fixture(store, "Covering");
    let d = delegation(fx.admin, fx.agent, "2027-01-10", "2027-01-12");
    let one_day = delegation(fx.agent2, fx.agent, "2027-01-12", "2027-01-12");
    // Given to someone else: never answered for the agent.
    let elsewhere = delegation(fx.requester, fx.agent2, "2027-01-01", "2027-12-31");
    give(store, &fx, &d);
    give(store, &fx, &one_day);
    give(store, &fx, &elsewhere);
    let to_agent = |today: &str| store.delegations_to(fx.org, fx.agent, day(today)).unwrap();
    assert!(to_agent("2027-01-09").is_empty());
    assert_eq!(to_agent("2027-01-10"), vec![d]);
    assert_eq!(to_agent("2027-01-11"), vec![d]);
    assert_eq!(to_agent("2027-01-12"), vec![d, one_day]);
    assert!(to_agent("2027-01-13").is_empty());
    // Text comparison across month and year ends.
    let new_year = delegation(fx.admin, fx.requester2, "2026-12-31", "2027-01-01");
    give(store, &fx, &new_year);
    let to = |today: &str| {
        store
            .delegations_to(fx.org, fx.requester2, day(today))
            .unwrap()
    };
    assert!(to("2026-12-30").is_empty());
    assert_eq!(to("2026-12-31"), vec![new_year]);
    assert_eq!(to("2027-01-01"), vec![new_year]);
    assert!(to("2027-01-02").is_empty());
}

fn delegations_of_another_org_are_not_found(store: &Store) {
    let fx = org_fixture(store, "Home");
    let other = org_fixture(store, "Elsewhere");
    let d = delegation(fx.admin, fx.agent, "2027-01-01", "2027-01-31");
    let id = give(store, &fx, &d);
    assert_no_leak("delegations_of", store.delegations_of(other.org, fx.admin));
    assert_no_leak(
        "delegations_to",
        store.delegations_to(other.org, fx.agent, day("2027-01-15")),
    );
    assert_not_found(
        "delete under another org",
        store.delete_delegation(
            other.org,
            fx.admin,
            id,
            &write(&other, "delegation.delete", id),
        ),
    );
    assert_eq!(
        store.delegations_of(fx.org, fx.admin).unwrap(),
        vec![(id, d)]
    );
    // People of another organization cannot be named, on either side.
    for bad in [
        delegation(fx.admin, other.agent, "2027-01-01", "2027-01-02"),
        delegation(other.admin, fx.agent, "2027-01-01", "2027-01-02"),
    ] {
        let id: DelegationId = new_id();
        assert_not_found(
            "a person of another org",
            store.create_delegation(fx.org, id, &bad, &write(&fx, "delegation.create", id)),
        );
    }
    let unknown: UserId = new_id();
    let id: DelegationId = new_id();
    assert_not_found(
        "an unknown delegate",
        store.create_delegation(
            fx.org,
            id,
            &delegation(fx.admin, unknown, "2027-01-01", "2027-01-02"),
            &write(&fx, "delegation.create", id),
        ),
    );
    assert_eq!(store.delegations_of(fx.org, fx.admin).unwrap().len(), 1);
}

fn only_the_giver_deletes_a_delegation(store: &Store) {
    let fx = org_fixture(store, "Withdraw");
    let d = delegation(fx.admin, fx.agent, "2027-01-01", "2027-01-31");
    let id = give(store, &fx, &d);
    // The delegate (or anyone else) does not find it.
    for who in [fx.agent, fx.requester] {
        assert_not_found(
            "someone else's delegation",
            store.delete_delegation(fx.org, who, id, &write(&fx, "delegation.delete", id)),
        );
    }
    assert_not_found(
        "an unknown id",
        store.delete_delegation(
            fx.org,
            fx.admin,
            new_id(),
            &write(&fx, "delegation.delete", id),
        ),
    );
    let before = all_audit(store, fx.org).len();
    store
        .delete_delegation(fx.org, fx.admin, id, &write(&fx, "delegation.delete", id))
        .unwrap();
    assert!(store.delegations_of(fx.org, fx.admin).unwrap().is_empty());
    assert!(
        store
            .delegations_to(fx.org, fx.agent, day("2027-01-15"))
            .unwrap()
            .is_empty()
    );
    let audit = all_audit(store, fx.org);
    assert_eq!(audit.len(), before + 1, "refused deletes audit nothing");
    assert_eq!(audit.last().unwrap().record.action, "delegation.delete");
    assert_not_found(
        "deleted twice",
        store.delete_delegation(fx.org, fx.admin, id, &write(&fx, "delegation.delete", id)),
    );
}

fn a_failed_delegation_write_leaves_nothing(store: &Store) {
    let fx = org_fixture(store, "Rollback");
    let d = delegation(fx.admin, fx.agent, "2027-01-01", "2027-01-31");
    let before = all_audit(store, fx.org).len();
    store.inject_fault_after_audit(true);
    let id: DelegationId = new_id();
    assert_injected(
        "create",
        store.create_delegation(fx.org, id, &d, &write(&fx, "delegation.create", id)),
    );
    store.inject_fault_after_audit(false);
    assert!(store.delegations_of(fx.org, fx.admin).unwrap().is_empty());
    assert_eq!(all_audit(store, fx.org).len(), before);

    let id = give(store, &fx, &d);
    store.inject_fault_after_audit(true);
    assert_injected(
        "delete",
        store.delete_delegation(fx.org, fx.admin, id, &write(&fx, "delegation.delete", id)),
    );
    store.inject_fault_after_audit(false);
    assert_eq!(
        store.delegations_of(fx.org, fx.admin).unwrap(),
        vec![(id, d)]
    );
    // Without an audit record there is no creation instant: refused, nothing written.
    let bare: DelegationId = new_id();
    assert!(matches!(
        store.create_delegation(fx.org, bare, &d, &WriteSet::default()),
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(store.delegations_of(fx.org, fx.admin).unwrap().len(), 1);
}
