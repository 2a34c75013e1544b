//! Opaque keyset cursors: the sort key of the last row of a page plus its id, so the next
//! page starts strictly after it whatever was inserted meanwhile.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use servicedesk_core::ports::{IncidentSort, StoreError};

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// Sort key name, so a cursor is not reused with another sort.
    pub s: String,
    /// Sort direction (`a` or `d`).
    pub d: String,
    /// Priority rank (priority sort only).
    pub r: Option<i32>,
    /// The timestamp key.
    pub t: NaiveDateTime,
    /// The row id (tie-breaker).
    pub i: String,
}

pub(crate) fn sort_name(sort: IncidentSort) -> &'static str {
    match sort {
        IncidentSort::Created => "created",
        IncidentSort::Updated => "updated",
        IncidentSort::Priority => "priority",
        IncidentSort::SlaDue => "sla_due",
    }
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        // Serializing this plain struct cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// A cursor of the oldest-first listing `name` (comments, history, tasks) after the
    /// row at `t` with id `i`.
    pub(crate) fn child(name: &str, t: NaiveDateTime, i: String) -> Self {
        Self {
            s: name.to_owned(),
            d: "a".to_owned(),
            r: None,
            t,
            i,
        }
    }

    /// Decodes a cursor made by [`Cursor::child`] for `name`; anything else is
    /// `NotFound("cursor")`.
    pub(crate) fn decode_child(text: &str, name: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::NotFound("cursor");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.s != name || cursor.d != "a" || cursor.r.is_some() || cursor.i.len() > 64 {
            return Err(bad());
        }
        Ok(cursor)
    }

    /// Decodes a cursor made for `sort`/`direction`; anything else is `NotFound("cursor")`.
    pub(crate) fn decode(
        text: &str,
        sort: IncidentSort,
        direction: &str,
    ) -> Result<Self, StoreError> {
        let bad = || StoreError::NotFound("cursor");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let rank_ok = cursor.r.is_some() == (sort == IncidentSort::Priority);
        if cursor.s != sort_name(sort) || cursor.d != direction || !rank_ok || cursor.i.len() > 64 {
            return Err(bad());
        }
        Ok(cursor)
    }
}
