//! The ITIL priority matrix (TKT-2): priority follows from impact × urgency.

use serde::{Deserialize, Serialize};

macro_rules! level_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every level, highest first.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The snake_case name.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of {}", [$($text),+].join(", "))),
                }
            }
        }
    };
}

level_enum!(
    /// How much of the business is affected.
    Impact {
        /// Many users or a critical service.
        High => "high",
        /// A department or a degraded service.
        Medium => "medium",
        /// One user, a workaround exists.
        Low => "low",
    }
);

level_enum!(
    /// How fast it must be fixed.
    Urgency {
        /// Work has stopped.
        High => "high",
        /// Work is hampered.
        Medium => "medium",
        /// Can wait.
        Low => "low",
    }
);

level_enum!(
    /// The resulting priority, which drives SLA targets and queue order.
    Priority {
        /// Drop everything.
        Critical => "critical",
        /// Next in line.
        High => "high",
        /// Normal work.
        Medium => "medium",
        /// When time allows.
        Low => "low",
    }
);

impl Priority {
    /// The ITIL matrix:
    ///
    /// | impact \ urgency | high     | medium | low    |
    /// |------------------|----------|--------|--------|
    /// | high             | critical | high   | medium |
    /// | medium           | high     | medium | low    |
    /// | low              | medium   | low    | low    |
    pub const fn from_matrix(impact: Impact, urgency: Urgency) -> Self {
        match (impact, urgency) {
            (Impact::High, Urgency::High) => Self::Critical,
            (Impact::High, Urgency::Medium) | (Impact::Medium, Urgency::High) => Self::High,
            (Impact::High, Urgency::Low)
            | (Impact::Medium, Urgency::Medium)
            | (Impact::Low, Urgency::High) => Self::Medium,
            (Impact::Medium, Urgency::Low) | (Impact::Low, _) => Self::Low,
        }
    }

    /// One step more urgent (critical stays critical); used by SLA escalations.
    pub const fn raised(self) -> Self {
        match self {
            Self::Critical | Self::High => Self::Critical,
            Self::Medium => Self::High,
            Self::Low => Self::Medium,
        }
    }

    /// Sort rank: 0 for critical … 3 for low.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Critical => 0,
            Self::High => 1,
            Self::Medium => 2,
            Self::Low => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_table() {
        use Impact as I;
        use Priority as P;
        use Urgency as U;
        let table = [
            (I::High, U::High, P::Critical),
            (I::High, U::Medium, P::High),
            (I::High, U::Low, P::Medium),
            (I::Medium, U::High, P::High),
            (I::Medium, U::Medium, P::Medium),
            (I::Medium, U::Low, P::Low),
            (I::Low, U::High, P::Medium),
            (I::Low, U::Medium, P::Low),
            (I::Low, U::Low, P::Low),
        ];
        assert_eq!(table.len(), I::ALL.len() * U::ALL.len());
        for (i, u, p) in table {
            assert_eq!(Priority::from_matrix(i, u), p, "{i} × {u}");
        }
    }

    #[test]
    fn matrix_is_monotone() {
        // Raising impact or urgency never lowers priority.
        for (a, i) in Impact::ALL.iter().enumerate() {
            for (b, u) in Urgency::ALL.iter().enumerate() {
                let p = Priority::from_matrix(*i, *u);
                if let Some(higher) = a.checked_sub(1).map(|k| Impact::ALL[k]) {
                    assert!(Priority::from_matrix(higher, *u) <= p);
                }
                if let Some(higher) = b.checked_sub(1).map(|k| Urgency::ALL[k]) {
                    assert!(Priority::from_matrix(*i, higher) <= p);
                }
            }
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!("critical".parse::<Priority>(), Ok(Priority::Critical));
        assert!(
            "urgent"
                .parse::<Impact>()
                .unwrap_err()
                .contains("high, medium, low")
        );
        assert_eq!(Priority::Low.raised().raised().raised(), Priority::Critical);
    }
}
