//! A user's line manager: who may be named, and the walk up the chain that keeps it free of
//! loops (approvals and timeout escalations follow it).

use crate::error::FieldError;
use crate::ids::UserId;

/// How far up the manager chain a new manager is checked for loops. A deeper chain is
/// refused too: an org chart is never 50 levels deep, so it can only mean a loop the walk
/// has not closed yet.
pub const MAX_MANAGER_DEPTH: usize = 50;

/// What the walk needs to know about the manager and those above them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagerInfo {
    /// Whether the user may sign in and act.
    pub active: bool,
    /// Their own manager.
    pub manager_id: Option<UserId>,
}

/// Checks `manager` as the new manager of `user`. `lookup` answers a user of the same
/// organization, or `None` when there is no such user there (another organization's user
/// is unknown, so nothing leaks about it).
///
/// # Errors
/// One `manager_id` error: `self` for the user themselves; `unknown` when `lookup` knows
/// no such user; `inactive` for a deactivated manager; `loop` when the user is found
/// above the manager within [`MAX_MANAGER_DEPTH`] levels; `too_deep` when the chain above
/// the manager is longer than that. `Err(Err(e))` passes on a failure of `lookup`.
pub fn check_manager<E>(
    user: UserId,
    manager: UserId,
    mut lookup: impl FnMut(UserId) -> Result<Option<ManagerInfo>, E>,
) -> Result<(), Result<FieldError, E>> {
    let refuse =
        |code: &'static str, message: &str| Err(Ok(FieldError::new("manager_id", code, message)));
    if manager == user {
        return refuse("self", "a user cannot be their own manager");
    }
    let Some(info) = lookup(manager).map_err(Err)? else {
        return refuse("unknown", "no such user in the organization");
    };
    if !info.active {
        return refuse("inactive", "the manager is deactivated");
    }
    let mut above = info.manager_id;
    for _ in 0..MAX_MANAGER_DEPTH {
        match above {
            None => return Ok(()),
            Some(next) if next == user => {
                return refuse(
                    "loop",
                    "the user is already above this manager in the manager chain",
                );
            }
            // A dangling id (a user since removed) ends the chain like no manager.
            Some(next) => above = lookup(next).map_err(Err)?.and_then(|i| i.manager_id),
        }
    }
    if above.is_none() {
        return Ok(());
    }
    refuse(
        "too_deep",
        "the manager chain above this manager is deeper than 50 levels",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;

    fn id(n: u128) -> UserId {
        UserId(Uuid::from_u128(n + 1))
    }

    /// Users `0..n`, each with the manager `chart[i]` and active unless listed.
    fn directory(chart: &[Option<usize>], inactive: &[usize]) -> BTreeMap<UserId, ManagerInfo> {
        chart
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    id(i as u128),
                    ManagerInfo {
                        active: !inactive.contains(&i),
                        manager_id: m.map(|m| id(m as u128)),
                    },
                )
            })
            .collect()
    }

    fn check(
        dir: &BTreeMap<UserId, ManagerInfo>,
        user: UserId,
        manager: UserId,
    ) -> Option<&'static str> {
        match check_manager::<()>(user, manager, |u| Ok(dir.get(&u).copied())) {
            Ok(()) => None,
            Err(Ok(e)) => {
                assert_eq!(e.field, "manager_id");
                Some(e.code)
            }
            Err(Err(())) => panic!("the lookup does not fail"),
        }
    }

    #[test]
    fn self_unknown_inactive_and_loops_are_refused() {
        // 0 ← 1 ← 2 (0 manages 1, 1 manages 2); 3 inactive; 4 alone.
        let dir = directory(&[None, Some(0), Some(1), None, None], &[3]);
        assert_eq!(check(&dir, id(2), id(2)), Some("self"));
        assert_eq!(check(&dir, id(2), id(99)), Some("unknown"));
        assert_eq!(check(&dir, id(4), id(3)), Some("inactive"));
        // 0 under 2 closes 0 → 1 → 2 → 0; 0 under 1 closes 0 → 1 → 0.
        assert_eq!(check(&dir, id(0), id(2)), Some("loop"));
        assert_eq!(check(&dir, id(0), id(1)), Some("loop"));
        // Moving within the tree or joining it is fine.
        assert_eq!(check(&dir, id(2), id(0)), None);
        assert_eq!(check(&dir, id(4), id(2)), None);
        assert_eq!(check(&dir, id(0), id(4)), None);
    }

    #[test]
    fn the_walk_stops_at_fifty_levels() {
        // A straight chain: user i is managed by i + 1; the top has none.
        let chain = |len: usize| -> Vec<Option<usize>> {
            (0..len).map(|i| (i + 1 < len).then_some(i + 1)).collect()
        };
        // Manager 1 has 50 levels above it (2..=51, with 51 on top): accepted for
        // someone outside the chain (100).
        let dir = directory(&chain(52), &[]);
        assert_eq!(check(&dir, id(100), id(1)), None);
        // One level more is refused as too deep.
        let dir = directory(&chain(53), &[]);
        assert_eq!(check(&dir, id(100), id(1)), Some("too_deep"));
        // The user at the 50th level above is still found as a loop.
        let dir = directory(&chain(52), &[]);
        assert_eq!(check(&dir, id(51), id(1)), Some("loop"));
    }

    #[test]
    fn an_existing_loop_above_ends_as_too_deep_and_lookup_failures_pass_through() {
        // 1 and 2 manage each other (left by a race); 0 wants 1 as manager.
        let dir = directory(&[None, Some(2), Some(1)], &[]);
        assert_eq!(check(&dir, id(0), id(1)), Some("too_deep"));
        let failed = check_manager(id(0), id(1), |_| Err("down"));
        assert_eq!(failed, Err(Err("down")));
    }

    proptest! {
        /// On any chart of up to 20 people (loops included), the check refuses exactly
        /// when the user is above the manager, or the chain above the manager loops.
        #[test]
        fn refuses_exactly_the_charts_that_would_loop(
            chart in prop::collection::vec(prop::option::of(0usize..20), 1..20),
            user in 0usize..20,
            manager in 0usize..20,
        ) {
            let n = chart.len();
            let chart: Vec<Option<usize>> = chart.into_iter().map(|m| m.filter(|m| *m < n)).collect();
            let (user, manager) = (user % n, manager % n);
            let dir = directory(&chart, &[]);
            let mut seen = vec![manager];
            let mut at = chart[manager];
            let expected = loop {
                match at {
                    None => break None,
                    Some(next) if next == user => break Some("loop"),
                    Some(next) if seen.contains(&next) => break Some("too_deep"),
                    Some(next) => {
                        seen.push(next);
                        at = chart[next];
                    }
                }
            };
            let expected = if user == manager { Some("self") } else { expected };
            prop_assert_eq!(check(&dir, id(user as u128), id(manager as u128)), expected);
        }
    }
}
