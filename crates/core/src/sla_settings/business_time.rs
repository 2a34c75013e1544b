//! The calendar math as read-only questions: when is `minutes` of business time after an
//! instant over, and how much business time lies between two instants.
//!
//! Inputs arrive as text (query parameters) and are checked here, after the permission
//! check, so a caller without access learns nothing, not even which input was wrong.

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use servicedesk_rbac::{Action, ResourceKind};

use super::{SlaSettings, require};
use crate::actor::Actor;
use crate::error::{Error, FieldError, Result};
use crate::ids::CalendarId;

/// Largest `minutes` of a due question: ten years of wall-clock minutes (10 × 365.25 days).
pub const MAX_DUE_MINUTES: i64 = 5_259_600;

/// Longest range of a business-minutes question: twenty years (20 × 365.25 days).
pub const MAX_RANGE_DAYS: i64 = 7_305;

/// Instants must lie in these years (inclusive).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// `GET /calendars/{id}/due`: both parameters as sent (`None` when missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueQuery {
    /// RFC 3339 instant to count from.
    pub start: Option<String>,
    /// Business minutes to add, 0 ..= [`MAX_DUE_MINUTES`].
    pub minutes: Option<String>,
}

/// `GET /calendars/{id}/business-minutes`: both parameters as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeQuery {
    /// RFC 3339 start of the range (inclusive).
    pub from: Option<String>,
    /// RFC 3339 end of the range (exclusive), not before `from`.
    pub to: Option<String>,
}

fn instant(field: &str, raw: Option<&str>) -> std::result::Result<DateTime<Utc>, FieldError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| FieldError::new(field, "required", "must be given"))?;
    let at = DateTime::parse_from_rfc3339(raw)
        .map_err(|_| {
            FieldError::new(
                field,
                "invalid",
                "must be an RFC 3339 instant such as 2026-03-06T22:00:00Z \
                 (URL-encode a + offset as %2B)",
            )
        })?
        .with_timezone(&Utc);
    if !YEARS.contains(&at.year()) {
        return Err(FieldError::new(
            field,
            "out_of_range",
            format!("must lie in the years {} to {}", YEARS.start(), YEARS.end()),
        ));
    }
    Ok(at)
}

fn minutes(raw: Option<&str>) -> std::result::Result<i64, FieldError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| FieldError::new("minutes", "required", "must be given"))?;
    let n: i64 = raw
        .parse()
        .map_err(|_| FieldError::new("minutes", "invalid", "must be a whole number of minutes"))?;
    if n < 0 {
        return Err(FieldError::new("minutes", "negative", "must be 0 or more"));
    }
    if n > MAX_DUE_MINUTES {
        return Err(FieldError::new(
            "minutes",
            "too_large",
            format!("at most {MAX_DUE_MINUTES} (ten years of minutes)"),
        ));
    }
    Ok(n)
}

impl SlaSettings {
    /// The instant at which `minutes` of business time after `start` are used up in
    /// calendar `id` (a due instant landing on a closing time is that closing time; a
    /// start outside working hours counts from the next opening; 0 minutes is `start`).
    ///
    /// # Errors
    /// `Forbidden` without `calendar:read`; `Invalid` for a missing or malformed parameter,
    /// negative or too many minutes, or a calendar that does not hold that much business
    /// time within a century of `start`; `NotFound` for a calendar outside the organization.
    pub fn due(&self, actor: &Actor, id: CalendarId, query: &DueQuery) -> Result<DateTime<Utc>> {
        require(actor, ResourceKind::Calendar, Action::Read)?;
        let start = instant("start", query.start.as_deref());
        let minutes = minutes(query.minutes.as_deref());
        let (start, minutes) = match (start, minutes) {
            (Ok(s), Ok(m)) => (s, m),
            (s, m) => {
                return Err(Error::Invalid(s.err().into_iter().chain(m.err()).collect()));
            }
        };
        let calendar = self.store.stored_calendar(actor.org_id(), id)?.calendar;
        let wanted = TimeDelta::minutes(minutes);
        let due = calendar.add_business_time(start, wanted);
        // The walk gives up after about a century of dates: a sparse calendar may not hold
        // the amount asked for. Say so instead of answering a wrong instant.
        if calendar.business_time_between(start, due) != wanted {
            return Err(Error::invalid(
                "minutes",
                "beyond_horizon",
                "this calendar does not hold that much business time within a century",
            ));
        }
        Ok(due)
    }

    /// Business time of calendar `id` in `[from, to)`, in whole minutes (rounded down).
    ///
    /// # Errors
    /// `Forbidden` without `calendar:read`; `Invalid` for a missing or malformed instant,
    /// `to` before `from`, or a range longer than [`MAX_RANGE_DAYS`]; `NotFound` for a
    /// calendar outside the organization.
    pub fn business_minutes(
        &self,
        actor: &Actor,
        id: CalendarId,
        query: &RangeQuery,
    ) -> Result<i64> {
        require(actor, ResourceKind::Calendar, Action::Read)?;
        let from = instant("from", query.from.as_deref());
        let to = instant("to", query.to.as_deref());
        let (from, to) = match (from, to) {
            (Ok(f), Ok(t)) => (f, t),
            (f, t) => {
                return Err(Error::Invalid(f.err().into_iter().chain(t.err()).collect()));
            }
        };
        if to < from {
            return Err(Error::invalid(
                "to",
                "before_from",
                "must not be earlier than from",
            ));
        }
        if to - from > TimeDelta::days(MAX_RANGE_DAYS) {
            return Err(Error::invalid(
                "to",
                "range_too_long",
                format!("the range may span at most {MAX_RANGE_DAYS} days (twenty years)"),
            ));
        }
        let calendar = self.store.stored_calendar(actor.org_id(), id)?.calendar;
        Ok(calendar.business_time_between(from, to).num_minutes())
    }
}
