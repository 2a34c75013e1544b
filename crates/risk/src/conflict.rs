//! RISK-2: planned changes that collide with each other or with blackouts.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::window::Window;

/// A change with a planned window and the CIs it touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedChange {
    /// The change's id.
    pub change_id: Uuid,
    /// Its planned implementation window.
    pub window: Window,
    /// The CIs it touches.
    pub ci_ids: Vec<Uuid>,
}

/// Another change planned on a shared CI at an overlapping time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The other change.
    pub other_change_id: Uuid,
    /// CIs both changes touch, in the candidate's order, without duplicates.
    pub shared_ci_ids: Vec<Uuid>,
    /// The time both windows share.
    pub overlap: Window,
}

/// Every change in `others` whose window overlaps the candidate's on at
/// least one shared CI, in the order of `others`.
///
/// Entries with the candidate's own `change_id` are skipped, so the caller
/// may pass the whole schedule including the candidate.
pub fn find_conflicts(candidate: &PlannedChange, others: &[PlannedChange]) -> Vec<Conflict> {
    others
        .iter()
        .filter(|other| other.change_id != candidate.change_id)
        .filter_map(|other| {
            let overlap = candidate.window.overlap(&other.window)?;
            let shared_ci_ids = shared(&candidate.ci_ids, &other.ci_ids);
            (!shared_ci_ids.is_empty()).then_some(Conflict {
                other_change_id: other.change_id,
                shared_ci_ids,
                overlap,
            })
        })
        .collect()
}

/// Items of `ours` also in `theirs`, first occurrence only. Quadratic, which
/// is fine for the handful of CIs one change touches.
fn shared(ours: &[Uuid], theirs: &[Uuid]) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::new();
    for id in ours {
        if theirs.contains(id) && !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// A period in which changes are frozen, globally or for some CIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blackout {
    /// Name shown to people, e.g. `"Year-end freeze"`.
    pub name: String,
    /// When the freeze applies.
    pub window: Window,
    /// The CIs it freezes; `None` freezes every CI. `Some` of an empty list
    /// freezes nothing.
    pub ci_ids: Option<Vec<Uuid>>,
}

/// A blackout that a planned window runs into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackoutHit {
    /// The blackout's name.
    pub name: String,
    /// The time the planned window and the blackout share.
    pub overlap: Window,
}

/// Every blackout, in the given order, that overlaps `window` and applies to
/// the change: a global one always, a CI-scoped one when it names at least
/// one of `ci_ids`.
///
/// A change with hits is "in a blackout" for scoring and routing.
pub fn blackout_hits(window: &Window, ci_ids: &[Uuid], blackouts: &[Blackout]) -> Vec<BlackoutHit> {
    blackouts
        .iter()
        .filter(|blackout| match &blackout.ci_ids {
            None => true,
            Some(frozen) => frozen.iter().any(|id| ci_ids.contains(id)),
        })
        .filter_map(|blackout| {
            let overlap = window.overlap(&blackout.window)?;
            Some(BlackoutHit {
                name: blackout.name.clone(),
                overlap,
            })
        })
        .collect()
}
