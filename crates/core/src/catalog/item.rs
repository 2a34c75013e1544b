//! Catalog items and categories, and the input the API posts to create or replace an item.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::audience::Audience;
use super::form::FormDefinition;
use super::template::TaskTemplate;
use super::text;
use crate::approvals::ApprovalPolicy;
use crate::error::FieldError;
use crate::ids::{CatalogCategoryId, CatalogItemId};
use crate::ids::{OrgId, SlaPolicyId, TeamId, UserId};

/// Longest item or category name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest item or category description, in characters.
pub const MAX_DESCRIPTION: usize = 20_000;

/// A group of catalog items (`Hardware`, `Hardware / Laptops`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogCategory {
    /// Opaque id.
    pub id: CatalogCategoryId,
    /// Owning organization.
    pub org_id: OrgId,
    /// Display name (1..=200 characters).
    pub name: String,
    /// What belongs here (may be empty).
    pub description: String,
    /// The enclosing category, for a tree; `None` at the top. The store must refuse
    /// cycles and parents of other organizations.
    pub parent_id: Option<CatalogCategoryId>,
}

/// Something a user can request from the catalog (`New laptop`).
///
/// Versioned: every change of the item increments `version`, and a request records the
/// version whose form checked its answers, so the store keeps the forms of earlier
/// versions as long as requests refer to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogItem {
    /// Opaque id.
    pub id: CatalogItemId,
    /// Owning organization.
    pub org_id: OrgId,
    /// The category it is listed under.
    pub category_id: CatalogCategoryId,
    /// Display name (1..=200 characters, one line).
    pub name: String,
    /// What the requester gets (may be empty).
    pub description: String,
    /// Optimistic-concurrency version, starting at 1; also the form version a request
    /// keeps.
    pub version: i64,
    /// The request form.
    pub form: FormDefinition,
    /// Who may request it.
    pub audience: Audience,
    /// The user responsible for the item (an approver under
    /// [`crate::approvals::ApproverRule::ItemOwner`]).
    pub owner_id: UserId,
    /// The team that fulfils requests of it; `None` leaves routing to the usual rules.
    pub fulfilment_team_id: Option<TeamId>,
    /// The tasks an approved request opens; `None` when the fulfiller closes it directly.
    pub task_template: Option<TaskTemplate>,
    /// The SLA policy of its requests; it wins over policy matching for this item.
    pub fulfilment_sla_policy_id: Option<SlaPolicyId>,
    /// The approvals a request must pass before fulfilment (no stages: none).
    pub approval_policy: ApprovalPolicy,
    /// Requestable only while active; inactive items stay for existing requests.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An item as the API posts it (create, or replace with a version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogItemInput {
    /// The category it is listed under (a category of the organization).
    pub category_id: CatalogCategoryId,
    /// Display name.
    pub name: String,
    /// What the requester gets.
    #[serde(default)]
    pub description: String,
    /// The request form.
    #[serde(default)]
    pub form: FormDefinition,
    /// Who may request it.
    #[serde(default)]
    pub audience: Audience,
    /// The responsible user (a user of the organization).
    pub owner_id: UserId,
    /// The fulfilment team (a team of the organization).
    #[serde(default)]
    pub fulfilment_team_id: Option<TeamId>,
    /// The fulfilment tasks.
    #[serde(default)]
    pub task_template: Option<TaskTemplate>,
    /// The fulfilment SLA policy (a policy of the organization).
    #[serde(default)]
    pub fulfilment_sla_policy_id: Option<SlaPolicyId>,
    /// The approval stages.
    #[serde(default)]
    pub approval_policy: ApprovalPolicy,
    /// Requestable right away.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl CatalogItemInput {
    /// Checks everything that needs no store: name, description, form, audience, task
    /// template and approval policy. Whether the category, owner, teams and SLA policy
    /// exist in the organization is left to the use case.
    ///
    /// # Errors
    /// Every field error, named `name`, `description`, `form.fields[i]…`, `audience…`,
    /// `task_template…`, `approval_policy.stages[i]…`.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = text::line("name", &self.name, 1, MAX_NAME) {
            errors.push(e);
        }
        if let Err(e) = text::block("description", &self.description, 0, MAX_DESCRIPTION) {
            errors.push(e);
        }
        let parts = [
            self.form.check(),
            self.audience.check(),
            self.task_template
                .as_ref()
                .map_or(Ok(()), TaskTemplate::check),
            self.approval_policy.check(),
        ];
        for part in parts {
            if let Err(e) = part {
                errors.extend(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
