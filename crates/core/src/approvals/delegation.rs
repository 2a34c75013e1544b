//! Delegation: an approver names someone to decide for them over a date range.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::ids::UserId;

/// The longest delegation, in months.
pub const MAX_DELEGATION_MONTHS: u32 = 12;

/// `user_id` lets `delegate_id` decide their approvals from `starts_on` to `ends_on`
/// (inclusive local dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delegation {
    /// Who delegates (the approver).
    pub user_id: UserId,
    /// Who decides in their place.
    pub delegate_id: UserId,
    /// First day it applies.
    pub starts_on: NaiveDate,
    /// Last day it applies.
    pub ends_on: NaiveDate,
}

impl Delegation {
    /// Whether it applies on `today`.
    pub fn covers(&self, today: NaiveDate) -> bool {
        self.starts_on <= today && today <= self.ends_on
    }

    /// Checks a new delegation. Whether the delegate exists and is active is the use
    /// case's question.
    ///
    /// # Errors
    /// `delegate_id` `self` when delegating to oneself; `ends_on` `before_start` when it
    /// ends before it starts; `ends_on` `too_long` when it lasts more than a year (it must
    /// end before the same date a year after it starts).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.delegate_id == self.user_id {
            errors.push(FieldError::new(
                "delegate_id",
                "self",
                "you cannot delegate to yourself",
            ));
        }
        if self.ends_on < self.starts_on {
            errors.push(FieldError::new(
                "ends_on",
                "before_start",
                "must not be before starts_on",
            ));
        } else if self
            .starts_on
            .checked_add_months(Months::new(MAX_DELEGATION_MONTHS))
            .is_none_or(|limit| self.ends_on >= limit)
        {
            errors.push(FieldError::new(
                "ends_on",
                "too_long",
                "a delegation lasts at most one year",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Whether `actor` may decide for `approver` on `today` through a delegation that
/// `approver` made. Only direct delegations count: if A delegates to B and B to C, C does
/// not act for A (B's delegation hands on B's own approvals only).
pub fn acting_for(
    delegations: &[Delegation],
    actor: UserId,
    approver: UserId,
    today: NaiveDate,
) -> bool {
    actor != approver
        && delegations
            .iter()
            .any(|d| d.user_id == approver && d.delegate_id == actor && d.covers(today))
}

/// Who takes a decision: the person deciding, and the approver they stand in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acting {
    /// The person deciding (the approver, or their delegate).
    pub approver: UserId,
    /// The approver a delegate decides for ("B on behalf of A"); `None` in person.
    pub on_behalf_of: Option<UserId>,
}

/// Why someone may not decide an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor placed the request or it is for them: nobody approves their own request,
    /// not even as a delegate.
    #[error("nobody approves their own request")]
    OwnRequest,
    /// The actor is neither the approver nor their delegate today. The API answers 404, so
    /// an outsider learns nothing about the approval.
    #[error("not your approval")]
    NotApprover,
}

/// Whether `actor` may decide the approval of `approver` on a request placed by
/// `requester` for `requested_for`, given the delegations in force.
///
/// # Errors
/// [`Refusal::OwnRequest`] when the actor is the requester or the person the request is
/// for (checked first, so a delegation cannot get around it);
/// [`Refusal::NotApprover`] when the actor is neither the approver nor, by a direct
/// delegation covering `today`, their delegate.
pub fn may_decide(
    approver: UserId,
    actor: UserId,
    requester: UserId,
    requested_for: UserId,
    delegations: &[Delegation],
    today: NaiveDate,
) -> Result<Acting, Refusal> {
    if actor == requester || actor == requested_for {
        return Err(Refusal::OwnRequest);
    }
    if actor == approver {
        return Ok(Acting {
            approver: actor,
            on_behalf_of: None,
        });
    }
    if acting_for(delegations, actor, approver, today) {
        return Ok(Acting {
            approver: actor,
            on_behalf_of: Some(approver),
        });
    }
    Err(Refusal::NotApprover)
}
