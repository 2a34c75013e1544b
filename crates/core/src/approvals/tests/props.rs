//! Properties of the tally over random stages and decision sequences with duplicates.

use proptest::prelude::*;

use super::*;

fn rule() -> impl Strategy<Value = DecisionRule> {
    prop_oneof![
        Just(DecisionRule::Any),
        Just(DecisionRule::All),
        (0_u32..=10).prop_map(DecisionRule::AtLeast),
        (0_u8..=100).prop_map(DecisionRule::Percent),
    ]
}

/// Decisions over people 0..=9: approvers are 0..m, the rest outsiders; most decide in
/// person, some as someone's delegate; ~1 in 5 rejects.
fn decisions() -> impl Strategy<Value = Vec<Decision>> {
    prop::collection::vec(
        (
            0_u128..10,
            prop::option::weighted(0.2, 0_u128..10),
            prop::bool::weighted(0.2),
        ),
        0..24,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .map(|(approver, delegate, reject)| {
                let d = if reject {
                    Decision::reject(u(approver))
                } else {
                    Decision::approve(u(approver))
                };
                delegate.map_or(d, |x| d.by(u(x)))
            })
            .collect()
    })
}

/// The rule in words: walk the decisions; skip outsiders, approvers already counted and
/// people who already voted; the first rejection rejects; approvals reaching `required`
/// approve; whatever comes after a decision does not matter.
fn straightforward(required: u32, m: u128, decisions: &[Decision]) -> StageOutcome {
    let mut approvers_counted = BTreeSet::new();
    let mut people_counted = BTreeSet::new();
    let mut yes = 0;
    for d in decisions {
        let is_approver = d.approver.0.as_u128() < m;
        if !is_approver
            || approvers_counted.contains(&d.approver)
            || people_counted.contains(&d.decided_by)
        {
            continue;
        }
        approvers_counted.insert(d.approver);
        people_counted.insert(d.decided_by);
        if d.verdict == Verdict::Reject {
            return StageOutcome::Rejected;
        }
        yes += 1;
        if required > 0 && yes >= required {
            return StageOutcome::Approved;
        }
    }
    StageOutcome::Pending
}

proptest! {
    #[test]
    fn equals_a_straightforward_count(m in 0_u128..=8, rule in rule(), ds in decisions()) {
        let approvers: Vec<UserId> = (0..m).map(u).collect();
        let required = rule.required(m as u32).unwrap_or(0);
        prop_assert_eq!(
            StageTally::evaluate(required, &approvers, &ds),
            straightforward(required, m, &ds)
        );
    }

    #[test]
    fn decided_is_final_and_approvals_never_reject(
        m in 0_u128..=8, rule in rule(), ds in decisions(), more in decisions(),
        approvals in prop::collection::vec(0_u128..10, 0..10),
    ) {
        let approvers: Vec<UserId> = (0..m).map(u).collect();
        let required = rule.required(m as u32).unwrap_or(0);
        let before = StageTally::evaluate(required, &approvers, &ds);
        let extended: Vec<Decision> = ds.iter().chain(&more).copied().collect();
        let after = StageTally::evaluate(required, &approvers, &extended);
        if before != StageOutcome::Pending {
            prop_assert_eq!(after, before);
        }
        let approved_more: Vec<Decision> = ds
            .iter()
            .copied()
            .chain(approvals.iter().map(|a| Decision::approve(u(*a))))
            .collect();
        let after = StageTally::evaluate(required, &approvers, &approved_more);
        match before {
            StageOutcome::Pending => prop_assert_ne!(after, StageOutcome::Rejected),
            decided => prop_assert_eq!(after, decided),
        }
        // More approvals never un-approve, and the approval count only grows.
        let a = StageTally::tally(required, &approvers, &ds).approvals;
        let b = StageTally::tally(required, &approvers, &approved_more).approvals;
        prop_assert!(b >= a);
    }

    #[test]
    fn a_rejection_always_rejects(m in 1_u128..=8, rule in rule(), ds in decisions(), who in 0_u128..8) {
        let who = who % m;
        let approvers: Vec<UserId> = (0..m).map(u).collect();
        let required = rule.required(m as u32).unwrap_or(0);
        // First in line, a rejection decides whatever follows.
        let first: Vec<Decision> =
            std::iter::once(Decision::reject(u(who))).chain(ds.iter().copied()).collect();
        prop_assert_eq!(StageTally::evaluate(required, &approvers, &first), StageOutcome::Rejected);
        // Later, it rejects a pending stage when it comes from someone who has not voted.
        let tally = StageTally::tally(required, &approvers, &ds);
        let fresh = u(100 + who);
        let late: Vec<Decision> =
            ds.iter().copied().chain([Decision::reject(u(who)).by(fresh)]).collect();
        if tally.outcome == StageOutcome::Pending && !tally.counted.contains(&u(who)) {
            prop_assert_eq!(StageTally::evaluate(required, &approvers, &late), StageOutcome::Rejected);
        }
    }

    #[test]
    fn percent_rounds_up_to_at_least_one(m in 1_u32..=10_000, p in 1_u8..=100) {
        let required = DecisionRule::Percent(p).required(m).unwrap();
        let (r, p, m) = (u64::from(required), u64::from(p), u64::from(m));
        prop_assert!(r >= 1 && r <= m);
        prop_assert!(r * 100 >= p * m, "enough");
        prop_assert!(r == 1 || (r - 1) * 100 < p * m, "not more than needed");
    }

    #[test]
    fn at_least_and_all(m in 0_u32..=50, n in 0_u32..=60) {
        prop_assert_eq!(DecisionRule::AtLeast(n).required(m), (n >= 1 && n <= m).then_some(n));
        prop_assert_eq!(DecisionRule::All.required(m), (m >= 1).then_some(m));
        prop_assert_eq!(DecisionRule::Any.required(m), (m >= 1).then_some(1));
    }
}
