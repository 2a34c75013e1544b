//! Kinds of ticket and their human references (`INC-12`, `REQ-7`, TKT-1).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a ticket is. Each kind has its own lifecycle, extension table and numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    /// Something is broken (INC).
    Incident,
    /// Somebody asks for something from the catalog (REQ).
    Request,
    /// The cause behind incidents (PRB).
    Problem,
    /// A planned change (CHG).
    Change,
}

impl TicketKind {
    /// Every kind.
    pub const ALL: &'static [TicketKind] =
        &[Self::Incident, Self::Request, Self::Problem, Self::Change];

    /// The stored and wire name: `incident`, `request`, `problem`, `change`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Request => "request",
            Self::Problem => "problem",
            Self::Change => "change",
        }
    }

    /// The reference prefix: `INC`, `REQ`, `PRB`, `CHG`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Incident => "INC",
            Self::Request => "REQ",
            Self::Problem => "PRB",
            Self::Change => "CHG",
        }
    }

    /// The name of the per-organization counter that numbers this kind.
    pub const fn counter(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for TicketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a ticket kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ticket kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for TicketKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// A ticket's human reference: kind and per-(organization, kind) number, e.g. `REQ-7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketRef {
    /// The kind, from the prefix.
    pub kind: TicketKind,
    /// The number after the dash (≥ 1).
    pub number: i64,
}

impl fmt::Display for TicketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.number)
    }
}

impl TicketRef {
    /// Parses `INC-12`, `req-7` (prefix case-insensitive). The number is 1..=i64::MAX in
    /// decimal digits without a sign.
    pub fn parse(text: &str) -> Option<Self> {
        let (prefix, digits) = text.split_once('-')?;
        let kind = TicketKind::ALL
            .iter()
            .copied()
            .find(|k| k.prefix().eq_ignore_ascii_case(prefix))?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number = digits.parse().ok().filter(|n| *n > 0)?;
        Some(Self { kind, number })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn references_round_trip_for_every_kind() {
        for kind in TicketKind::ALL {
            let r = TicketRef {
                kind: *kind,
                number: 42,
            };
            assert_eq!(TicketRef::parse(&r.to_string()), Some(r));
            assert_eq!(kind.as_str().parse::<TicketKind>(), Ok(*kind));
        }
        assert_eq!(
            TicketRef::parse("req-7"),
            Some(TicketRef {
                kind: TicketKind::Request,
                number: 7
            })
        );
    }

    #[test]
    fn malformed_references_are_refused() {
        for bad in [
            "INC",
            "INC-",
            "INC-0",
            "INC-000",
            "INC--1",
            "INC-+1",
            "INC-1a",
            "TSK-1",
            "XYZ-1",
            "INC-99999999999999999999",
            "-1",
            "",
        ] {
            assert_eq!(TicketRef::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_positive_number_round_trips(n in 1i64..=i64::MAX, k in 0usize..4) {
            let r = TicketRef { kind: TicketKind::ALL[k], number: n };
            prop_assert_eq!(TicketRef::parse(&r.to_string()), Some(r));
        }
    }
}
