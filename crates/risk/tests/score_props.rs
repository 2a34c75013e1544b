//! Properties of the score: bounded, explained, deterministic, monotone.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers build known-valid fixtures"
)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use servicedesk_risk::{
    ApprovalRoute, ChangeType, ChangeTypeWeights, ClassThresholds, Criticality, CriticalityWeights,
    FailureHistory, FailureWeights, LeadTimeBand, Level, LevelWeights, RiskClass, RiskInput,
    Weights, assess, assess_with,
};

fn change_type() -> impl Strategy<Value = ChangeType> {
    prop_oneof![
        Just(ChangeType::Standard),
        Just(ChangeType::Normal),
        Just(ChangeType::Emergency)
    ]
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![Just(Level::Low), Just(Level::Medium), Just(Level::High)]
}

fn criticality() -> impl Strategy<Value = Criticality> {
    prop_oneof![
        Just(Criticality::Low),
        Just(Criticality::Medium),
        Just(Criticality::High),
        Just(Criticality::Critical)
    ]
}

fn history() -> impl Strategy<Value = FailureHistory> {
    (0u32..40)
        .prop_flat_map(|total| (0..=total, Just(total)))
        .prop_map(|(failed, total)| FailureHistory::new(failed, total).unwrap())
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

prop_compose! {
    fn input()(
        change_type in change_type(),
        impact in level(),
        urgency in level(),
        affected_cis in prop::collection::vec(criticality(), 0..8),
        dependent_services in prop::collection::vec(criticality(), 0..8),
        flags in any::<[bool; 4]>(),
        as_of in 1_700_000_000i64..1_900_000_000,
        // From five days in the past to a month ahead.
        lead in -432_000i64..2_592_000,
        recent_changes in history(),
    ) -> RiskInput {
        RiskInput {
            change_type,
            impact,
            urgency,
            affected_cis,
            dependent_services,
            in_blackout: flags[0],
            outside_maintenance: flags[1],
            has_backout_plan: flags[2],
            has_test_evidence: flags[3],
            as_of: time(as_of),
            planned_start: time(as_of + lead),
            recent_changes,
        }
    }
}

/// One step that makes a change riskier (or, at the top of a scale, leaves it).
#[derive(Debug, Clone)]
enum Worse {
    ChangeType,
    Impact,
    Urgency,
    AddCi(Criticality),
    RaiseCi(usize),
    AddService(Criticality),
    RaiseService(usize),
    Blackout,
    OutsideMaintenance,
    DropBackoutPlan,
    DropTestEvidence,
    EarlierStart(u32),
    LaterAsOf(u32),
    FailureSameTotal,
    AddFailedChange,
}

fn worse() -> impl Strategy<Value = Worse> {
    prop_oneof![
        Just(Worse::ChangeType),
        Just(Worse::Impact),
        Just(Worse::Urgency),
        criticality().prop_map(Worse::AddCi),
        any::<usize>().prop_map(Worse::RaiseCi),
        criticality().prop_map(Worse::AddService),
        any::<usize>().prop_map(Worse::RaiseService),
        Just(Worse::Blackout),
        Just(Worse::OutsideMaintenance),
        Just(Worse::DropBackoutPlan),
        Just(Worse::DropTestEvidence),
        (1u32..1_000_000).prop_map(Worse::EarlierStart),
        (1u32..1_000_000).prop_map(Worse::LaterAsOf),
        Just(Worse::FailureSameTotal),
        Just(Worse::AddFailedChange),
    ]
}

fn raise_level(level: Level) -> Level {
    match level {
        Level::Low => Level::Medium,
        Level::Medium | Level::High => Level::High,
    }
}

fn raise_criticality(c: Criticality) -> Criticality {
    match c {
        Criticality::Low => Criticality::Medium,
        Criticality::Medium => Criticality::High,
        Criticality::High | Criticality::Critical => Criticality::Critical,
    }
}

fn raise_one(list: &mut [Criticality], index: usize) {
    let len = list.len();
    if let Some(c) = list.get_mut(index % len.max(1)) {
        *c = raise_criticality(*c);
    }
}

fn apply(input: &mut RiskInput, step: &Worse) {
    match step {
        Worse::ChangeType => {
            input.change_type = match input.change_type {
                ChangeType::Standard => ChangeType::Normal,
                ChangeType::Normal | ChangeType::Emergency => ChangeType::Emergency,
            }
        }
        Worse::Impact => input.impact = raise_level(input.impact),
        Worse::Urgency => input.urgency = raise_level(input.urgency),
        Worse::AddCi(c) => input.affected_cis.push(*c),
        Worse::RaiseCi(i) => raise_one(&mut input.affected_cis, *i),
        Worse::AddService(c) => input.dependent_services.push(*c),
        Worse::RaiseService(i) => raise_one(&mut input.dependent_services, *i),
        Worse::Blackout => input.in_blackout = true,
        Worse::OutsideMaintenance => input.outside_maintenance = true,
        Worse::DropBackoutPlan => input.has_backout_plan = false,
        Worse::DropTestEvidence => input.has_test_evidence = false,
        Worse::EarlierStart(s) => {
            input.planned_start -= TimeDelta::seconds(i64::from(*s));
        }
        Worse::LaterAsOf(s) => input.as_of += TimeDelta::seconds(i64::from(*s)),
        Worse::FailureSameTotal => {
            let h = input.recent_changes;
            if h.failed() < h.total() {
                input.recent_changes = FailureHistory::new(h.failed() + 1, h.total()).unwrap();
            }
        }
        Worse::AddFailedChange => {
            let h = input.recent_changes;
            input.recent_changes = FailureHistory::new(h.failed() + 1, h.total() + 1).unwrap();
        }
    }
}

/// Default-shaped weights with random values, ordered so a worse rating or
/// criticality never has fewer points; lead-time bands in random order.
fn ordered_weights() -> impl Strategy<Value = Weights> {
    fn sorted<const N: usize>() -> impl Strategy<Value = [u32; N]> {
        any::<[u8; N]>().prop_map(|raw| {
            let mut v = raw.map(u32::from);
            v.sort_unstable();
            v
        })
    }
    (
        sorted::<3>(),
        sorted::<3>(),
        sorted::<3>(),
        (sorted::<4>(), 0u32..200),
        (sorted::<4>(), 0u32..200),
        any::<[u8; 4]>(),
        prop::collection::vec((0u32..400, 0u32..50), 0..5),
        (0u32..50, 0u32..10),
        sorted::<3>(),
    )
        .prop_map(
            |(ct, im, ur, (ci, ci_cap), (sv, sv_cap), flags, bands, (fmax, fmin), th)| Weights {
                change_type: ChangeTypeWeights {
                    standard: ct[0],
                    normal: ct[1],
                    // Emergency also takes the largest lead-time band, so it
                    // only dominates normal when that is part of its weight.
                    emergency: ct[2] + bands.iter().map(|b| b.1).max().unwrap_or(0),
                },
                impact: LevelWeights {
                    low: im[0],
                    medium: im[1],
                    high: im[2],
                },
                urgency: LevelWeights {
                    low: ur[0],
                    medium: ur[1],
                    high: ur[2],
                },
                affected_cis: CriticalityWeights {
                    low: ci[0],
                    medium: ci[1],
                    high: ci[2],
                    critical: ci[3],
                    cap: ci_cap,
                },
                dependent_services: CriticalityWeights {
                    low: sv[0],
                    medium: sv[1],
                    high: sv[2],
                    critical: sv[3],
                    cap: sv_cap,
                },
                blackout: u32::from(flags[0]),
                outside_maintenance: u32::from(flags[1]),
                missing_backout_plan: u32::from(flags[2]),
                missing_test_evidence: u32::from(flags[3]),
                lead_time: bands
                    .into_iter()
                    .map(|(under_hours, points)| LeadTimeBand {
                        under_hours,
                        points,
                    })
                    .collect(),
                failure_rate: FailureWeights {
                    max_points: fmax,
                    min_sample: fmin,
                },
                thresholds: ClassThresholds {
                    medium: u8::try_from(th[0].min(100)).unwrap(),
                    high: u8::try_from(th[1].min(100)).unwrap(),
                    very_high: u8::try_from(th[2].min(100)).unwrap(),
                },
            },
        )
}

fn check_invariants(weights: &Weights, input: &RiskInput) -> Result<(), TestCaseError> {
    let a = assess_with(weights, input);
    let sum: u32 = a.factors.iter().map(|f| f.points).sum();
    prop_assert_eq!(sum, a.raw_score);
    prop_assert!(a.score <= 100);
    prop_assert_eq!(u32::from(a.score), a.raw_score.min(100));
    prop_assert_eq!(a.class, RiskClass::of(a.score, &weights.thresholds));
    for f in &a.factors {
        prop_assert!(f.points > 0);
        let suffix = format!(": +{}", f.points);
        prop_assert!(f.explanation.ends_with(&suffix));
    }
    // Factors appear once each, in enum order.
    prop_assert!(a.factors.windows(2).all(|w| w[0].factor < w[1].factor));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn score_is_bounded_and_explained(input in input()) {
        check_invariants(&Weights::default(), &input)?;
    }

    #[test]
    fn assessment_is_deterministic(input in input()) {
        let copy = input.clone();
        prop_assert_eq!(assess(&input), assess(&copy));
        prop_assert_eq!(assess(&input), assess_with(&Weights::default(), &input));
    }

    #[test]
    fn one_worse_factor_never_lowers_the_score(input in input(), step in worse()) {
        let base = assess(&input);
        let mut riskier = input.clone();
        apply(&mut riskier, &step);
        let after = assess(&riskier);
        prop_assert!(after.raw_score >= base.raw_score, "{:?}: {} -> {}", step, base.raw_score, after.raw_score);
        prop_assert!(after.score >= base.score);
        prop_assert!(after.class >= base.class);
    }

    #[test]
    fn many_worse_factors_never_lower_the_score(
        input in input(),
        steps in prop::collection::vec(worse(), 1..12),
    ) {
        let base = assess(&input);
        let mut riskier = input.clone();
        let mut previous = base.raw_score;
        for step in &steps {
            apply(&mut riskier, step);
            let now = assess(&riskier).raw_score;
            prop_assert!(now >= previous, "{:?}: {} -> {}", step, previous, now);
            previous = now;
        }
        prop_assert!(assess(&riskier).score >= base.score);
    }

    #[test]
    fn monotone_under_any_ordered_weights(
        weights in ordered_weights(),
        input in input(),
        steps in prop::collection::vec(worse(), 1..6),
    ) {
        check_invariants(&weights, &input)?;
        let base = assess_with(&weights, &input);
        let mut riskier = input.clone();
        for step in &steps {
            apply(&mut riskier, step);
        }
        check_invariants(&weights, &riskier)?;
        prop_assert!(assess_with(&weights, &riskier).raw_score >= base.raw_score);
    }

    #[test]
    fn route_follows_the_rules(input in input()) {
        let a = assess(&input);
        let expected = match (input.change_type, input.in_blackout, a.class) {
            (ChangeType::Emergency, _, _) => ApprovalRoute::EmergencyCab,
            (_, true, _) => ApprovalRoute::Cab,
            (ChangeType::Standard, false, _) => ApprovalRoute::PreApproved,
            (ChangeType::Normal, false, RiskClass::Low) => ApprovalRoute::Peer,
            (ChangeType::Normal, false, RiskClass::Medium) => ApprovalRoute::ChangeManager,
            (ChangeType::Normal, false, _) => ApprovalRoute::Cab,
        };
        prop_assert_eq!(a.route, expected);
        prop_assert_eq!(
            servicedesk_risk::approval_route(input.change_type, a.class, input.in_blackout),
            expected
        );
    }
}

#[test]
fn quiet_normal_change_scores_only_its_type() {
    let a = assess(&common::quiet_input());
    assert_eq!(a.score, 5);
    assert_eq!(a.class, RiskClass::Low);
    assert_eq!(a.route, ApprovalRoute::Peer);
    assert_eq!(a.factors.len(), 1);
}

#[test]
fn lead_time_bands_have_exclusive_upper_bounds() {
    let mut input = common::quiet_input();
    let lead_points = |input: &RiskInput| {
        assess(input)
            .factors
            .iter()
            .find(|f| f.factor == servicedesk_risk::Factor::LeadTime)
            .map_or(0, |f| f.points)
    };
    for (hours, points) in [
        (168, 0),
        (167, 3),
        (72, 3),
        (71, 6),
        (24, 6),
        (23, 10),
        (0, 10),
    ] {
        input.planned_start = input.as_of + TimeDelta::hours(hours);
        assert_eq!(lead_points(&input), points, "{hours} h");
    }
    input.planned_start = input.as_of - TimeDelta::hours(3);
    let a = assess(&input);
    let lead = a.factors.last().unwrap();
    assert_eq!(lead.points, 10);
    assert_eq!(
        lead.explanation,
        "planned start 3 h before the assessment time (under 24 h): +10"
    );
}

#[test]
fn emergency_counts_as_shortest_lead_time_even_far_ahead() {
    let mut input = common::quiet_input();
    input.change_type = ChangeType::Emergency;
    input.planned_start = input.as_of + TimeDelta::days(30);
    let a = assess(&input);
    assert_eq!(a.score, 15 + 10);
    assert_eq!(a.route, ApprovalRoute::EmergencyCab);
}

#[test]
fn failure_rate_points() {
    let points = |failed, total| {
        let mut input = common::quiet_input();
        input.recent_changes = FailureHistory::new(failed, total).unwrap();
        assess(&input).raw_score - 5
    };
    assert_eq!(points(0, 0), 0);
    assert_eq!(points(0, 10), 0);
    assert_eq!(points(1, 1), 3);
    assert_eq!(points(5, 5), 15);
    assert_eq!(points(1, 10), 1);
    assert_eq!(points(1, 20), 0);
    assert_eq!(points(20, 20), 15);
    assert_eq!(points(u32::MAX, u32::MAX), 15);
}

#[test]
fn custom_weights_without_lead_bands_skip_the_factor() {
    let weights = Weights {
        lead_time: vec![],
        ..Weights::default()
    };
    let mut input = common::quiet_input();
    input.change_type = ChangeType::Emergency;
    input.planned_start = input.as_of;
    let a = assess_with(&weights, &input);
    assert_eq!(a.raw_score, 15);
}

#[test]
fn huge_weights_saturate_instead_of_wrapping() {
    let weights = Weights {
        blackout: u32::MAX,
        outside_maintenance: u32::MAX,
        ..Weights::default()
    };
    let mut input = common::quiet_input();
    input.in_blackout = true;
    input.outside_maintenance = true;
    let a = assess_with(&weights, &input);
    assert_eq!(a.raw_score, u32::MAX);
    assert_eq!(a.score, 100);
}
