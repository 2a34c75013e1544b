//! Reading the audit log (AUD-1): admins of an organization page through its hash-chained
//! records; the platform admin may read any organization's. Verification of every chain is
//! [`AuditTrail::verify_all`], used by `servicedesk audit verify`.

use std::sync::Arc;

use servicedesk_rbac::{Action, ResourceKind, Scope};

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::ports::{AdminStore, AuditCheck, AuditEntry, AuditLog, AuditQuery};

/// The largest page of [`AuditTrail::events`].
pub const MAX_AUDIT_PAGE: u32 = 200;
/// The page size when none is asked for.
pub const DEFAULT_AUDIT_PAGE: u32 = 50;
/// The longest `action` or `target_kind` filter, in characters.
pub const MAX_AUDIT_FILTER: usize = 100;
/// The longest `target_id` filter, in characters.
pub const MAX_AUDIT_TARGET_ID: usize = 200;
/// The most digits a cursor has (a sequence number the server issued, below 10^18).
pub const MAX_AUDIT_CURSOR_DIGITS: usize = 18;

/// One page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditEntry>,
    /// The cursor of the next (older) page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The audit log use cases.
#[derive(Clone)]
pub struct AuditTrail {
    log: Arc<dyn AuditLog>,
    admin: Arc<dyn AdminStore>,
}

impl AuditTrail {
    /// Wires the use cases.
    pub fn new(log: Arc<dyn AuditLog>, admin: Arc<dyn AdminStore>) -> Self {
        Self { log, admin }
    }

    /// A page of the audit records of `org` (default: the actor's) matching `query`, newest
    /// first. `cursor` is the `next_cursor` of the previous page; `limit` defaults to
    /// [`DEFAULT_AUDIT_PAGE`] and must be 1..=[`MAX_AUDIT_PAGE`].
    ///
    /// # Errors
    /// `Forbidden` without `audit_event:read` for the organization; `NotFound` for another
    /// organization (unless the actor is the platform admin) or one that does not exist;
    /// `Invalid` for a bad cursor (anything but a positive number of at most
    /// [`MAX_AUDIT_CURSOR_DIGITS`] digits without a leading zero), limit or time range, or a
    /// text filter that is empty, too long or holds a control character.
    pub fn events(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        mut query: AuditQuery,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<AuditPage> {
        let org = org.unwrap_or_else(|| actor.org_id());
        if org != actor.org_id() {
            if !actor.platform_admin {
                return Err(Error::NotFound {
                    entity: "organization",
                });
            }
            self.admin.organization(org)?;
        } else if !actor.platform_admin
            && actor.scope(ResourceKind::AuditEvent, Action::Read) != Some(Scope::Org)
        {
            return Err(Error::Forbidden {
                reason: "reading the audit log needs audit_event:read for the organization".into(),
            });
        }
        let limit = limit.unwrap_or(DEFAULT_AUDIT_PAGE);
        if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                "range",
                format!("between 1 and {MAX_AUDIT_PAGE}"),
            ));
        }
        filter_text("action", query.action.as_deref(), MAX_AUDIT_FILTER)?;
        filter_text(
            "target_kind",
            query.target_kind.as_deref(),
            MAX_AUDIT_FILTER,
        )?;
        filter_text("target_id", query.target_id.as_deref(), MAX_AUDIT_TARGET_ID)?;
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from > to
        {
            return Err(Error::invalid("from", "range", "must not be after `to`"));
        }
        if let Some(cursor) = cursor {
            query.before_seq = Some(parse_cursor(cursor)?);
        }
        let mut items = self.log.search(org, &query, limit + 1)?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more {
            items.last().map(|e| e.seq.to_string())
        } else {
            None
        };
        Ok(AuditPage { items, next_cursor })
    }

    /// Checks the hash chain of `org`, or of every organization, in name order: the first
    /// broken chain's organization and check, or `Ok` with the number of entries checked
    /// per organization.
    ///
    /// # Errors
    /// `NotFound` for an unknown organization; `Internal` when the store fails.
    pub fn verify_all(&self, org: Option<OrgId>) -> Result<Vec<(OrgId, AuditCheck)>> {
        let orgs = match org {
            Some(id) => vec![self.admin.organization(id)?.id],
            None => self
                .admin
                .organizations()?
                .into_iter()
                .map(|o| o.id)
                .collect(),
        };
        let mut out = Vec::with_capacity(orgs.len());
        for id in orgs {
            let check = self.log.verify(id)?;
            let broken = matches!(check, AuditCheck::Broken { .. });
            out.push((id, check));
            if broken {
                break;
            }
        }
        Ok(out)
    }
}

/// A text filter: 1 to `max` characters, no control character (as the OpenAPI document
/// declares it).
fn filter_text(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    let Some(value) = value else { return Ok(()) };
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::invalid(
            field,
            "length",
            format!("1 to {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "control_character",
            "must not hold control characters",
        ));
    }
    Ok(())
}

/// A cursor as the server issues it: a positive sequence number in decimal digits, no sign,
/// no leading zero, at most [`MAX_AUDIT_CURSOR_DIGITS`] digits.
fn parse_cursor(cursor: &str) -> Result<i64> {
    let bad = || Error::invalid("cursor", "invalid", "not a cursor of this list");
    let digits_only = cursor.bytes().all(|b| b.is_ascii_digit());
    if !digits_only
        || cursor.is_empty()
        || cursor.len() > MAX_AUDIT_CURSOR_DIGITS
        || cursor.starts_with('0')
    {
        return Err(bad());
    }
    cursor.parse::<i64>().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::{MAX_AUDIT_FILTER, filter_text, parse_cursor};

    #[test]
    fn cursors_are_what_the_server_issues() {
        assert_eq!(parse_cursor("1").unwrap(), 1);
        assert_eq!(
            parse_cursor("999999999999999999").unwrap(),
            999_999_999_999_999_999
        );
        for bad in [
            "",
            "0",
            "07",
            "+7",
            "-7",
            " 7",
            "7 ",
            "1234567890123456789",
            "x",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_filters_are_short_lines_without_control_characters() {
        assert!(filter_text("action", None, MAX_AUDIT_FILTER).is_ok());
        assert!(filter_text("action", Some("user.update"), MAX_AUDIT_FILTER).is_ok());
        assert!(filter_text("action", Some(&"é".repeat(100)), MAX_AUDIT_FILTER).is_ok());
        for bad in [
            String::new(),
            "a".repeat(101),
            "a\u{0}".into(),
            "a\u{85}".into(),
        ] {
            assert!(
                filter_text("action", Some(&bad), MAX_AUDIT_FILTER).is_err(),
                "{bad:?}"
            );
        }
    }
}
