//! Delegation use cases: a user names who decides their approvals over a date range, lists
//! the delegations they gave, and withdraws one.

use std::sync::Arc;

use chrono::{Days, Months, NaiveDate};

use super::delegation::{Delegation, MAX_DELEGATION_MONTHS};
use super::port::DelegationStore;
use crate::actor::Actor;
use crate::error::{Error, FieldError, Result};
use crate::events::AuditRecord;
use crate::ids::{DelegationId, UserId};
use crate::ports::{Clock, Directory, IdGenerator, StoreError, WriteSet};

/// Most delegations one user may have that have not ended yet.
pub const MAX_OPEN_DELEGATIONS: usize = 20;

/// The delegation use cases. Anyone signed in manages their own delegations: a delegation
/// hands on only the approvals its giver has.
#[derive(Clone)]
pub struct Delegations {
    store: Arc<dyn DelegationStore>,
    directory: Arc<dyn Directory>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn audit(
    actor: &Actor,
    action: &str,
    id: DelegationId,
    d: &Delegation,
    clock: &dyn Clock,
) -> AuditRecord {
    AuditRecord {
        org_id: actor.org_id(),
        actor_id: Some(actor.user_id()),
        action: action.into(),
        target_kind: "delegation".into(),
        target_id: id.to_string(),
        at: clock.now(),
        detail: serde_json::json!({
            "user_id": d.user_id,
            "delegate_id": d.delegate_id,
            "starts_on": d.starts_on,
            "ends_on": d.ends_on,
        }),
    }
}

impl Delegations {
    /// The use cases over their ports.
    pub fn new(
        store: Arc<dyn DelegationStore>,
        directory: Arc<dyn Directory>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            directory,
            clock,
            ids,
        }
    }

    /// The day the use cases count from. Dates are the users' local dates and UTC can be a
    /// day off either way, so "in the past" means before yesterday in UTC.
    fn yesterday(&self) -> NaiveDate {
        let today = self.clock.now().date_naive();
        today.checked_sub_days(Days::new(1)).unwrap_or(today)
    }

    /// Lets `delegate_id` decide the actor's approvals from `starts_on` to `ends_on`
    /// (inclusive), audited as `delegation.create`.
    ///
    /// # Errors
    /// `Invalid` with every broken rule: [`Delegation::check`]'s (`delegate_id` `self`,
    /// `ends_on` `before_start` / `too_long`); `delegate_id` `unknown` when no such user is
    /// in the actor's organization (a user of another organization is unknown too) and
    /// `inactive` for a deactivated one; `ends_on` `past` when it ended before yesterday;
    /// `starts_on` `too_far` when it starts more than a year from now; `body` `too_many`
    /// when the actor already has [`MAX_OPEN_DELEGATIONS`] that have not ended.
    pub fn create(
        &self,
        actor: &Actor,
        delegate_id: UserId,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    ) -> Result<(DelegationId, Delegation)> {
        let org = actor.org_id();
        let d = Delegation {
            user_id: actor.user_id(),
            delegate_id,
            starts_on,
            ends_on,
        };
        let mut errors = d.check().err().unwrap_or_default();
        if delegate_id != actor.user_id() {
            match self.directory.user(org, delegate_id) {
                Ok(u) if u.active => {}
                Ok(_) => errors.push(FieldError::new(
                    "delegate_id",
                    "inactive",
                    "the delegate is deactivated",
                )),
                Err(StoreError::NotFound(_)) => errors.push(unknown_delegate()),
                Err(e) => return Err(e.into()),
            }
        }
        let yesterday = self.yesterday();
        if ends_on < yesterday {
            errors.push(FieldError::new(
                "ends_on",
                "past",
                "the delegation would already be over",
            ));
        }
        if yesterday
            .checked_add_months(Months::new(MAX_DELEGATION_MONTHS))
            .is_none_or(|limit| starts_on > limit)
        {
            errors.push(FieldError::new(
                "starts_on",
                "too_far",
                "a delegation starts within a year from today",
            ));
        }
        if errors.is_empty() {
            let open = self
                .store
                .delegations_of(org, actor.user_id())?
                .iter()
                .filter(|(_, d)| d.ends_on >= yesterday)
                .count();
            if open >= MAX_OPEN_DELEGATIONS {
                errors.push(FieldError::new(
                    "body",
                    "too_many",
                    format!("at most {MAX_OPEN_DELEGATIONS} delegations that have not ended"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let id = DelegationId(self.ids.new_id());
        let write = WriteSet {
            audit: vec![audit(actor, "delegation.create", id, &d, &*self.clock)],
            ..WriteSet::default()
        };
        match self.store.create_delegation(org, id, &d, &write) {
            Ok(()) => Ok((id, d)),
            // The delegate went away between the check and the write.
            Err(StoreError::NotFound(_)) => Err(Error::Invalid(vec![unknown_delegate()])),
            Err(e) => Err(e.into()),
        }
    }

    /// The delegations the actor gave (past, current and future), by start date.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn mine(&self, actor: &Actor) -> Result<Vec<(DelegationId, Delegation)>> {
        Ok(self.store.delegations_of(actor.org_id(), actor.user_id())?)
    }

    /// Withdraws delegation `id` of the actor, audited as `delegation.delete`.
    ///
    /// # Errors
    /// `NotFound` unless the actor gave it (another user's delegation, or another
    /// organization's, is not found).
    pub fn delete(&self, actor: &Actor, id: DelegationId) -> Result<()> {
        let not_found = Error::NotFound {
            entity: "delegation",
        };
        let (_, d) = self
            .mine(actor)?
            .into_iter()
            .find(|(found, _)| *found == id)
            .ok_or_else(|| not_found.clone())?;
        let write = WriteSet {
            audit: vec![audit(actor, "delegation.delete", id, &d, &*self.clock)],
            ..WriteSet::default()
        };
        match self
            .store
            .delete_delegation(actor.org_id(), actor.user_id(), id, &write)
        {
            Err(StoreError::NotFound(_)) => Err(not_found),
            other => Ok(other?),
        }
    }
}

fn unknown_delegate() -> FieldError {
    FieldError::new(
        "delegate_id",
        "unknown",
        "no such user in your organization",
    )
}
