//! Typed links between tickets of any kind, with the rules each type carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{LinkId, OrgId, TicketId, UserId};

/// How the source of a link relates to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// The source reports the same thing as the target (the original); it resolves when
    /// the original does. A ticket is a duplicate of at most one original.
    DuplicateOf,
    /// The source was caused by the target (an incident caused by a change or a problem).
    CausedBy,
    /// The source is the parent of the target; a parent cannot close while a child is open.
    ParentOf,
    /// The source is a child of the target (stored as the target's `parent_of`).
    ChildOf,
    /// Related, no rule.
    RelatesTo,
}

impl LinkType {
    /// Every type a client may post.
    pub const ALL: &'static [LinkType] = &[
        Self::DuplicateOf,
        Self::CausedBy,
        Self::ParentOf,
        Self::ChildOf,
        Self::RelatesTo,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DuplicateOf => "duplicate_of",
            Self::CausedBy => "caused_by",
            Self::ParentOf => "parent_of",
            Self::ChildOf => "child_of",
            Self::RelatesTo => "relates_to",
        }
    }

    /// What the link says seen from its target: `duplicated_by`, `causes`, `child_of`,
    /// `parent_of`, `relates_to`.
    pub const fn inverse_name(self) -> &'static str {
        match self {
            Self::DuplicateOf => "duplicated_by",
            Self::CausedBy => "causes",
            Self::ParentOf => "child_of",
            Self::ChildOf => "parent_of",
            Self::RelatesTo => "relates_to",
        }
    }

    /// The stored form: `child_of` is kept as the other side's `parent_of`, so a pair of
    /// tickets has one row per relation whichever end created it. Returns the stored type
    /// and whether source and target swap.
    pub const fn canonical(self) -> (LinkType, bool) {
        match self {
            Self::ChildOf => (Self::ParentOf, true),
            other => (other, false),
        }
    }

    /// True for the types whose chains must not loop (a ticket cannot be its own
    /// ancestor, its own original or its own cause).
    pub const fn is_acyclic(self) -> bool {
        !matches!(self, Self::RelatesTo)
    }
}

impl std::str::FromStr for LinkType {
    type Err = super::UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| super::UnknownKind(s.to_owned()))
    }
}

/// A stored link (canonical direction: never `child_of`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLink {
    /// Its id.
    pub id: LinkId,
    /// The organization of both tickets.
    pub org_id: OrgId,
    /// The ticket the type is said of.
    pub source_id: TicketId,
    /// The other ticket.
    pub target_id: TicketId,
    /// How they relate.
    pub link_type: LinkType,
    /// Who linked them.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl TicketLink {
    /// The other end of the link seen from `ticket`, and the name of the relation from
    /// `ticket`'s side (`duplicate_of` from the duplicate, `duplicated_by` from the
    /// original).
    pub fn seen_from(&self, ticket: TicketId) -> (TicketId, &'static str) {
        if self.source_id == ticket {
            (self.target_id, self.link_type.as_str())
        } else {
            (self.source_id, self.link_type.inverse_name())
        }
    }
}

/// Whether adding `source --type--> target` to the existing links of the organization
/// closes a loop: it does when `source` is already reachable from `target` along links of
/// the same type. `step(t)` answers the targets of `t`'s links of that type (a store
/// lookup); the walk visits each ticket once and stops after `limit` tickets (then the
/// link is refused as unverifiable, which a real hierarchy never reaches).
pub fn closes_cycle(
    source: TicketId,
    target: TicketId,
    limit: usize,
    mut step: impl FnMut(TicketId) -> Vec<TicketId>,
) -> bool {
    if source == target {
        return true;
    }
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![target];
    while let Some(t) = todo.pop() {
        if t == source {
            return true;
        }
        if !seen.insert(t) {
            continue;
        }
        if seen.len() > limit {
            return true;
        }
        todo.extend(step(t));
    }
    false
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn t(n: u128) -> TicketId {
        TicketId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn every_type_names_itself_and_its_inverse() {
        let table = [
            (
                LinkType::DuplicateOf,
                "duplicate_of",
                "duplicated_by",
                (LinkType::DuplicateOf, false),
            ),
            (
                LinkType::CausedBy,
                "caused_by",
                "causes",
                (LinkType::CausedBy, false),
            ),
            (
                LinkType::ParentOf,
                "parent_of",
                "child_of",
                (LinkType::ParentOf, false),
            ),
            (
                LinkType::ChildOf,
                "child_of",
                "parent_of",
                (LinkType::ParentOf, true),
            ),
            (
                LinkType::RelatesTo,
                "relates_to",
                "relates_to",
                (LinkType::RelatesTo, false),
            ),
        ];
        assert_eq!(table.len(), LinkType::ALL.len());
        for (ty, name, inverse, canonical) in table {
            assert_eq!(ty.as_str(), name);
            assert_eq!(ty.inverse_name(), inverse);
            assert_eq!(ty.canonical(), canonical);
            assert_eq!(name.parse::<LinkType>(), Ok(ty));
        }
        assert!(!LinkType::RelatesTo.is_acyclic());
        assert!(LinkType::ParentOf.is_acyclic());
    }

    #[test]
    fn both_ends_see_the_link_under_their_own_name() {
        let link = TicketLink {
            id: LinkId(uuid::Uuid::from_u128(9)),
            org_id: OrgId(uuid::Uuid::from_u128(8)),
            source_id: t(1),
            target_id: t(2),
            link_type: LinkType::DuplicateOf,
            created_by: UserId(uuid::Uuid::from_u128(7)),
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        assert_eq!(link.seen_from(t(1)), (t(2), "duplicate_of"));
        assert_eq!(link.seen_from(t(2)), (t(1), "duplicated_by"));
    }

    #[test]
    fn a_link_back_up_a_chain_is_a_cycle() {
        // 1 -> 2 -> 3
        let edges: HashMap<TicketId, Vec<TicketId>> = [(t(1), vec![t(2)]), (t(2), vec![t(3)])]
            .into_iter()
            .collect();
        let step = |x: TicketId| edges.get(&x).cloned().unwrap_or_default();
        assert!(closes_cycle(t(3), t(1), 100, step), "3 -> 1 closes 1-2-3");
        assert!(closes_cycle(t(2), t(2), 100, step), "self link");
        assert!(
            !closes_cycle(t(1), t(3), 100, step),
            "a shortcut is no cycle"
        );
        assert!(!closes_cycle(t(4), t(1), 100, step));
    }

    proptest! {
        /// Against a straightforward reachability on random graphs.
        #[test]
        fn cycle_check_equals_reachability(edges in proptest::collection::vec((0u128..8, 0u128..8), 0..20),
                                           s in 0u128..8, d in 0u128..8) {
            let mut map: HashMap<TicketId, Vec<TicketId>> = HashMap::new();
            for (a, b) in &edges {
                map.entry(t(*a)).or_default().push(t(*b));
            }
            // Reachable from d to s by breadth-first search over the adjacency matrix.
            let mut reach = [false; 8];
            reach[d as usize] = true;
            for _ in 0..8 {
                for (a, b) in &edges {
                    if reach[*a as usize] { reach[*b as usize] = true; }
                }
            }
            let expected = s == d || reach[s as usize];
            let got = closes_cycle(t(s), t(d), 100, |x| map.get(&x).cloned().unwrap_or_default());
            prop_assert_eq!(got, expected);
        }
    }
}
