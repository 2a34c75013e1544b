//! Every decision rule × M approvers (0..=5) × (approvals, rejections).

use super::*;

const RULES: [DecisionRule; 14] = [
    DecisionRule::Any,
    DecisionRule::All,
    DecisionRule::AtLeast(0),
    DecisionRule::AtLeast(1),
    DecisionRule::AtLeast(2),
    DecisionRule::AtLeast(3),
    DecisionRule::AtLeast(5),
    DecisionRule::AtLeast(6),
    DecisionRule::Percent(0),
    DecisionRule::Percent(1),
    DecisionRule::Percent(33),
    DecisionRule::Percent(50),
    DecisionRule::Percent(67),
    DecisionRule::Percent(100),
];

/// Approvals needed for M = 0..=5, written out by hand (0 = unreachable).
const REQUIRED: [[u32; 6]; 14] = [
    [0, 1, 1, 1, 1, 1], // any
    [0, 1, 2, 3, 4, 5], // all
    [0, 0, 0, 0, 0, 0], // at_least 0
    [0, 1, 1, 1, 1, 1], // at_least 1
    [0, 0, 2, 2, 2, 2], // at_least 2
    [0, 0, 0, 3, 3, 3], // at_least 3
    [0, 0, 0, 0, 0, 5], // at_least 5
    [0, 0, 0, 0, 0, 0], // at_least 6
    [0, 0, 0, 0, 0, 0], // percent 0
    [0, 1, 1, 1, 1, 1], // percent 1: at least one
    [0, 1, 1, 1, 2, 2], // percent 33: ceil(.33, .66, .99, 1.32, 1.65)
    [0, 1, 1, 2, 2, 3], // percent 50: ceil(.5, 1, 1.5, 2, 2.5)
    [0, 1, 2, 3, 3, 4], // percent 67: ceil(.67, 1.34, 2.01, 2.68, 3.35)
    [0, 1, 2, 3, 4, 5], // percent 100
];

#[test]
fn required_approvals() {
    for (rule, row) in RULES.iter().zip(REQUIRED) {
        for (m, expected) in row.iter().enumerate() {
            let got = rule.required(m as u32);
            assert_eq!(got.unwrap_or(0), *expected, "{rule:?} with {m} approvers");
            assert_ne!(got, Some(0), "never zero");
        }
    }
    assert_eq!(DecisionRule::Percent(101).required(5), None);
}

/// For every rule and M, every split into a approvals and r rejections (a + r ≤ M), in the
/// three orders approvals-first, rejections-first and interleaved.
#[test]
fn outcomes() {
    for (rule, row) in RULES.iter().zip(REQUIRED) {
        for (m, &required) in row.iter().enumerate() {
            let approvers: Vec<UserId> = (0..m as u128).map(u).collect();
            for a in 0..=m {
                for r in 0..=(m - a) {
                    let yes: Vec<Decision> = approvers[..a]
                        .iter()
                        .map(|x| Decision::approve(*x))
                        .collect();
                    let no: Vec<Decision> = approvers[a..a + r]
                        .iter()
                        .map(|x| Decision::reject(*x))
                        .collect();
                    let reached = required > 0 && a as u32 >= required;
                    let ctx = format!("{rule:?} m={m} approvals={a} rejections={r}");

                    let approvals_first: Vec<Decision> = yes.iter().chain(&no).copied().collect();
                    let expected = if reached {
                        StageOutcome::Approved
                    } else if r > 0 {
                        StageOutcome::Rejected
                    } else {
                        StageOutcome::Pending
                    };
                    assert_eq!(
                        StageTally::evaluate(required, &approvers, &approvals_first),
                        expected,
                        "{ctx}, approvals first"
                    );

                    let rejections_first: Vec<Decision> = no.iter().chain(&yes).copied().collect();
                    let expected = if r > 0 {
                        StageOutcome::Rejected
                    } else if reached {
                        StageOutcome::Approved
                    } else {
                        StageOutcome::Pending
                    };
                    assert_eq!(
                        StageTally::evaluate(required, &approvers, &rejections_first),
                        expected,
                        "{ctx}, rejections first"
                    );

                    // One approval, then a rejection (if any), then the rest: the rejection
                    // wins unless one approval was already enough.
                    let mut interleaved: Vec<Decision> = yes.iter().take(1).copied().collect();
                    interleaved.extend(no.iter().take(1));
                    interleaved.extend(yes.iter().skip(1));
                    interleaved.extend(no.iter().skip(1));
                    let expected = if a >= 1 && required == 1 {
                        StageOutcome::Approved
                    } else if r > 0 {
                        StageOutcome::Rejected
                    } else if reached {
                        StageOutcome::Approved
                    } else {
                        StageOutcome::Pending
                    };
                    assert_eq!(
                        StageTally::evaluate(required, &approvers, &interleaved),
                        expected,
                        "{ctx}, interleaved"
                    );
                }
            }
        }
    }
}

#[test]
fn duplicates_outsiders_and_delegates_count_once() {
    let approvers = [u(1), u(2), u(3)];
    let twice = [Decision::approve(u(1)), Decision::approve(u(1))];
    assert_eq!(
        StageTally::evaluate(2, &approvers, &twice),
        StageOutcome::Pending
    );
    let changed_mind = [Decision::approve(u(1)), Decision::reject(u(1))];
    assert_eq!(
        StageTally::evaluate(2, &approvers, &changed_mind),
        StageOutcome::Pending,
        "the first decision stands"
    );
    let outsider = [Decision::reject(u(9)), Decision::approve(u(8))];
    assert_eq!(
        StageTally::evaluate(1, &approvers, &outsider),
        StageOutcome::Pending
    );
    // u(2) approves in person and again for u(3) as delegate: one person, one vote.
    let double_vote = [Decision::approve(u(2)), Decision::approve(u(3)).by(u(2))];
    let tally = StageTally::tally(2, &approvers, &double_vote);
    assert_eq!(tally.outcome, StageOutcome::Pending);
    assert_eq!(tally.approvals, 1);
    assert_eq!(tally.counted, vec![u(2)]);
    // a delegate for two approvers also votes once.
    let two_hats = [
        Decision::approve(u(1)).by(u(7)),
        Decision::approve(u(2)).by(u(7)),
    ];
    assert_eq!(
        StageTally::evaluate(2, &approvers, &two_hats),
        StageOutcome::Pending
    );
    let fair = [Decision::approve(u(1)).by(u(7)), Decision::approve(u(2))];
    assert_eq!(
        StageTally::evaluate(2, &approvers, &fair),
        StageOutcome::Approved
    );
}

#[test]
fn required_zero_never_approves() {
    assert_eq!(
        StageTally::evaluate(0, &[u(1)], &[Decision::approve(u(1))]),
        StageOutcome::Pending
    );
}

#[test]
fn moot_approvals() {
    let approvers = [u(1), u(2), u(3)];
    assert!(moot_approvers(2, &approvers, &[Decision::approve(u(1))]).is_empty());
    assert_eq!(
        moot_approvers(
            2,
            &approvers,
            &[Decision::approve(u(1)), Decision::approve(u(3))]
        ),
        vec![u(2)]
    );
    assert_eq!(
        moot_approvers(2, &approvers, &[Decision::reject(u(2))]),
        vec![u(1), u(3)],
        "a rejection cancels the others"
    );
    // a decision arriving after the stage was decided did not count: still moot.
    assert_eq!(
        moot_approvers(
            1,
            &approvers,
            &[Decision::approve(u(1)), Decision::approve(u(2))]
        ),
        vec![u(2), u(3)]
    );
}

#[test]
fn progress_runs_stages_in_order() {
    use StageOutcome::{Approved, Pending, Rejected};
    assert_eq!(progress(&[]), Progress::Approved);
    assert_eq!(progress(&[Approved, Approved]), Progress::Approved);
    assert_eq!(
        progress(&[Pending, Approved]),
        Progress::Waiting { stage: 0 }
    );
    assert_eq!(
        progress(&[Approved, Pending]),
        Progress::Waiting { stage: 1 }
    );
    assert_eq!(
        progress(&[Approved, Rejected, Pending]),
        Progress::Rejected { stage: 1 }
    );
    assert_eq!(
        progress(&[Pending, Rejected]),
        Progress::Waiting { stage: 0 }
    );
}
