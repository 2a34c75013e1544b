//! Bodies of `/users/me/delegations`: who decides the caller's approvals, and when.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use servicedesk_core::approvals::Delegation;
use servicedesk_core::error::{Error, FieldError};
use servicedesk_core::ids::DelegationId;
use utoipa::ToSchema;
use uuid::Uuid;

use super::fields;

/// `POST /users/me/delegations`: let `delegate_id` decide the caller's approvals from
/// `starts_on` to `ends_on`, both days included.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDelegationRequest {
    /// An active user of the caller's organization, not the caller.
    pub delegate_id: Uuid,
    /// First day it applies (`YYYY-MM-DD`); within a year from today.
    #[schema(schema_with = fields::date)]
    pub starts_on: String,
    /// Last day it applies (`YYYY-MM-DD`): not before `starts_on`, not in the past, less
    /// than a year after `starts_on`.
    #[schema(schema_with = fields::date)]
    pub ends_on: String,
}

impl CreateDelegationRequest {
    /// The two dates.
    ///
    /// # Errors
    /// `Invalid` naming each field that is not a real `YYYY-MM-DD` day.
    pub fn dates(&self) -> Result<(NaiveDate, NaiveDate), Error> {
        match (
            parse_date("starts_on", &self.starts_on),
            parse_date("ends_on", &self.ends_on),
        ) {
            (Ok(from), Ok(to)) => Ok((from, to)),
            (from, to) => Err(Error::Invalid(
                [from.err(), to.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

/// A day as the API writes it, exactly `YYYY-MM-DD` (the schema's [`fields::DATE`]), and
/// one that exists.
///
/// # Errors
/// `field` `invalid_date` otherwise.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, FieldError> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FieldError::new(field, "invalid_date", "a real day as YYYY-MM-DD"))
}

/// A delegation the caller gave.
#[derive(Debug, Serialize, ToSchema)]
pub struct DelegationDto {
    /// Id.
    pub id: Uuid,
    /// Who delegates (the caller).
    pub user_id: Uuid,
    /// Who decides in their place.
    pub delegate_id: Uuid,
    /// First day it applies.
    #[schema(value_type = String, format = Date)]
    pub starts_on: NaiveDate,
    /// Last day it applies.
    #[schema(value_type = String, format = Date)]
    pub ends_on: NaiveDate,
}

impl From<(DelegationId, Delegation)> for DelegationDto {
    fn from((id, d): (DelegationId, Delegation)) -> Self {
        Self {
            id: id.0,
            user_id: d.user_id.0,
            delegate_id: d.delegate_id.0,
            starts_on: d.starts_on,
            ends_on: d.ends_on,
        }
    }
}
