//! How far a grant reaches.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::RbacError;

/// How far a grant reaches inside the actor's organization.
///
/// Ordered `Own < Group < Org`: each scope reaches everything the narrower
/// ones do. No scope ever reaches another organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Resources the actor is the requester or the assignee of.
    Own,
    /// [`Scope::Own`], plus resources held by one of the actor's teams.
    Group,
    /// Every resource of the actor's organization.
    Org,
}

impl Scope {
    /// Every scope, narrowest first.
    pub const ALL: [Scope; 3] = [Self::Own, Self::Group, Self::Org];

    /// The lowercase name used in JSON and in the docs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Group => "group",
            Self::Org => "org",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scope {
    type Err = RbacError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| RbacError::UnknownScope { text: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_narrowest_first() {
        assert!(Scope::Own < Scope::Group && Scope::Group < Scope::Org);
    }

    #[test]
    fn names_round_trip() {
        for s in Scope::ALL {
            assert_eq!(s.name().parse::<Scope>(), Ok(s));
        }
        assert_eq!(
            "team".parse::<Scope>(),
            Err(RbacError::UnknownScope {
                text: "team".into()
            })
        );
    }
}
