//! Decision rules: how many of a stage's approvers must approve.

use serde::{Deserialize, Serialize};

/// How many approvals decide a stage, given its M resolved approvers.
///
/// Serialized externally tagged: `"any"`, `"all"`, `{"at_least": 2}`, `{"percent": 50}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionRule {
    /// One approval.
    Any,
    /// Every approver.
    All,
    /// N of the M approvers (N ≥ 1).
    AtLeast(u32),
    /// This percentage of the M approvers, rounded up, at least one (1..=100).
    Percent(u8),
}

impl DecisionRule {
    /// The number of approvals that decide a stage of `m` approvers, or `None` when the
    /// rule cannot be reached (no approvers, `AtLeast(n)` with n = 0 or n > m, a percentage
    /// outside 1..=100).
    pub fn required(self, m: u32) -> Option<u32> {
        if m == 0 {
            return None;
        }
        match self {
            Self::Any => Some(1),
            Self::All => Some(m),
            Self::AtLeast(n) => (1..=m).contains(&n).then_some(n),
            Self::Percent(p) if (1..=100).contains(&p) => {
                // ceil(p·m / 100) in integers; p·m ≤ 100·u32::MAX fits in u64.
                let needed = (u64::from(p) * u64::from(m)).div_ceil(100);
                u32::try_from(needed).ok().map(|n| n.max(1))
            }
            Self::Percent(_) => None,
        }
    }
}
