//! Delegation: date ranges, never the requester, no chaining, validation.

use chrono::NaiveDate;

use super::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn delegation(from: u128, to: u128, starts: &str, ends: &str) -> Delegation {
    Delegation {
        user_id: u(from),
        delegate_id: u(to),
        starts_on: day(starts),
        ends_on: day(ends),
    }
}

const A: u128 = 1; // approver
const B: u128 = 2; // A's delegate
const C: u128 = 3; // B's delegate
const R: u128 = 4; // requester
const F: u128 = 5; // requested for

#[test]
fn the_range_is_inclusive() {
    let ds = [delegation(A, B, "2026-07-01", "2026-07-14")];
    for (today, expected) in [
        ("2026-06-30", false),
        ("2026-07-01", true),
        ("2026-07-10", true),
        ("2026-07-14", true),
        ("2026-07-15", false),
    ] {
        assert_eq!(acting_for(&ds, u(B), u(A), day(today)), expected, "{today}");
    }
    assert!(
        !acting_for(&ds, u(A), u(B), day("2026-07-10")),
        "not the other way round"
    );
    assert!(
        !acting_for(&ds, u(A), u(A), day("2026-07-10")),
        "acting in person is not delegation"
    );
}

#[test]
fn delegation_does_not_chain() {
    let ds = [
        delegation(A, B, "2026-07-01", "2026-07-14"),
        delegation(B, C, "2026-07-01", "2026-07-14"),
    ];
    let today = day("2026-07-05");
    assert!(acting_for(&ds, u(C), u(B), today));
    assert!(!acting_for(&ds, u(C), u(A), today));
    assert_eq!(
        may_decide(u(A), u(C), u(R), u(F), &ds, today),
        Err(Refusal::NotApprover)
    );
}

#[test]
fn who_may_decide() {
    let today = day("2026-07-05");
    let ds = [
        delegation(A, B, "2026-07-01", "2026-07-14"),
        delegation(A, R, "2026-07-01", "2026-07-14"),
        delegation(A, F, "2026-07-01", "2026-07-14"),
    ];
    assert_eq!(
        may_decide(u(A), u(A), u(R), u(F), &ds, today),
        Ok(Acting {
            approver: u(A),
            on_behalf_of: None
        })
    );
    assert_eq!(
        may_decide(u(A), u(B), u(R), u(F), &ds, today),
        Ok(Acting {
            approver: u(B),
            on_behalf_of: Some(u(A))
        })
    );
    assert_eq!(
        may_decide(u(A), u(R), u(R), u(F), &ds, today),
        Err(Refusal::OwnRequest),
        "delegate is the requester"
    );
    assert_eq!(
        may_decide(u(A), u(F), u(R), u(F), &ds, today),
        Err(Refusal::OwnRequest),
        "delegate is the person it is for"
    );
    assert_eq!(
        may_decide(u(R), u(R), u(R), u(F), &[], today),
        Err(Refusal::OwnRequest),
        "own approval row"
    );
    assert_eq!(
        may_decide(u(A), u(C), u(R), u(F), &ds, today),
        Err(Refusal::NotApprover)
    );
    assert_eq!(
        may_decide(u(A), u(B), u(R), u(F), &ds, day("2026-07-15")),
        Err(Refusal::NotApprover),
        "expired"
    );
}

#[test]
fn validation() {
    delegation(A, B, "2026-01-01", "2026-01-01")
        .check()
        .unwrap();
    delegation(A, B, "2026-01-01", "2026-12-31")
        .check()
        .unwrap();
    delegation(A, B, "2028-02-29", "2029-02-27")
        .check()
        .unwrap();
    let too_long = delegation(A, B, "2026-01-01", "2027-01-01")
        .check()
        .unwrap_err();
    assert_eq!(code_of(&too_long, "ends_on"), "too_long");
    let backwards = delegation(A, B, "2026-01-02", "2026-01-01")
        .check()
        .unwrap_err();
    assert_eq!(code_of(&backwards, "ends_on"), "before_start");
    let to_self = delegation(A, A, "2026-01-01", "2026-01-01")
        .check()
        .unwrap_err();
    assert_eq!(code_of(&to_self, "delegate_id"), "self");
    let both = delegation(A, A, "2026-01-02", "2026-01-01")
        .check()
        .unwrap_err();
    assert_eq!(both.len(), 2);
}
