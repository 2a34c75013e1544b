//! Business calendars, business-time math, SLA clocks and policy selection
//! (spec F-SLA, SLA-1 to SLA-4).
//!
//! Pure domain code: no I/O and no clock reading; every instant is a
//! parameter. Instants are `DateTime<Utc>`, durations `TimeDelta`, and all
//! durations are business time of a [`Calendar`]. The model, the DST rules and
//! worked examples are in `docs/sla.md`.
//!
//! ```
//! use chrono::{DateTime, TimeDelta, Utc};
//! use servicedesk_sla::{Calendar, WeeklyHours, WorkInterval};
//!
//! let office = Calendar::new(
//!     chrono_tz::America::New_York,
//!     WeeklyHours::weekdays(vec![WorkInterval::parse("09:00", "18:00")?]),
//!     [],
//! )?;
//! // Monday 17:00 in New York plus two business hours is Tuesday 10:00.
//! let start: DateTime<Utc> = "2007-01-01T22:00:00Z".parse()?;
//! let due = office.add_business_time(start, TimeDelta::hours(2));
//! assert_eq!(due, "2007-01-02T15:00:00Z".parse::<DateTime<Utc>>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod calendar;
pub mod clock;
mod duration_serde;
pub mod error;
pub mod policy;

pub use calendar::{Calendar, WeeklyHours, WorkInterval};
pub use clock::{ClockState, SlaClock, Standing};
pub use error::SlaError;
pub use policy::{
    Escalation, EscalationAction, EscalationTarget, EscalationTrigger, PolicyConditions, SlaPolicy,
    TicketFacts, select_policy,
};
