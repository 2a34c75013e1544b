//! Instants as stored: UTC, truncated to microseconds (PostgreSQL's precision), so a value
//! reads back exactly as it was written on both backends.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};

/// The stored form of an instant.
pub(crate) fn db(t: DateTime<Utc>) -> NaiveDateTime {
    t.trunc_subsecs(6).naive_utc()
}

/// An optional instant, stored.
pub(crate) fn db_opt(t: Option<DateTime<Utc>>) -> Option<NaiveDateTime> {
    t.map(db)
}

/// A stored instant.
pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The sort key of "no SLA instant": after every real one.
pub(crate) fn far_future() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MAX)
}
