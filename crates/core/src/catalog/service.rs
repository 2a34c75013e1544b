//! The catalog use cases: categories and versioned items, edited by managers and admins,
//! read by everyone the item's audience admits.
//!
//! The same order as every use case: the permission first (`catalog_item:*` at
//! organization scope), then the input checked field by field (its own rules, then every
//! reference against the directory, the SLA catalog and the categories), then the store,
//! which commits the row and its audit record together.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use servicedesk_rbac::{Action, ResourceKind, Scope};

use super::item::{CatalogCategory, CatalogItem, CatalogItemInput, MAX_DESCRIPTION, MAX_NAME};
use super::port::CatalogStore;
use super::text;
use crate::actor::Actor;
use crate::approvals::ApproverRule;
use crate::error::{Error, FieldError, Result};
use crate::events::AuditRecord;
use crate::ids::{CatalogCategoryId, CatalogItemId, TeamId, UserId};
use crate::ports::{Clock, Directory, IdGenerator, SlaCatalog, StoreError, WriteSet};

/// A category as the API posts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// Display name, unique in the organization (1..=200 characters, one line).
    pub name: String,
    /// What belongs here.
    #[serde(default)]
    pub description: String,
    /// The enclosing category (a category of the organization); `None` at the top.
    #[serde(default)]
    pub parent_id: Option<CatalogCategoryId>,
}

/// The catalog use cases.
#[derive(Clone)]
pub struct Catalog {
    store: Arc<dyn CatalogStore>,
    directory: Arc<dyn Directory>,
    sla: Arc<dyn SlaCatalog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// Refuses unless a role grants `catalog_item:action` for the whole organization: the
/// catalog belongs to the organization, not to a team.
fn require(actor: &Actor, action: Action) -> Result<()> {
    match actor.scope(ResourceKind::CatalogItem, action) {
        Some(Scope::Org) => Ok(()),
        _ => Err(Error::Forbidden {
            reason: format!("needs catalog_item:{} for the organization", action.name()),
        }),
    }
}

/// Whether the actor edits the catalog, and so sees every item (inactive ones, every
/// audience) rather than only those they may request.
pub fn edits_catalog(actor: &Actor) -> bool {
    matches!(
        actor.scope(ResourceKind::CatalogItem, Action::Update),
        Some(Scope::Org)
    )
}

/// Whether the actor may request `item`: it is active and its audience admits the
/// actor's teams or role names.
pub fn may_request(actor: &Actor, item: &CatalogItem) -> bool {
    let roles: Vec<String> = actor.roles().iter().map(|r| r.name.clone()).collect();
    item.active && item.audience.admits(&actor.team_ids(), &roles)
}

/// Whether the actor may see `item` at all: editors see everything, others what they may
/// request.
fn visible(actor: &Actor, item: &CatalogItem) -> bool {
    edits_catalog(actor) || may_request(actor, item)
}

fn not_found() -> Error {
    Error::NotFound {
        entity: "catalog item",
    }
}

fn unknown(field: &str, what: &str) -> FieldError {
    FieldError::new(
        field,
        "unknown",
        format!("no {what} of this id in your organization"),
    )
}

/// The audit detail of an item: what a reader of the log needs to tell versions apart,
/// without the whole form.
fn item_detail(item: &CatalogItem) -> Value {
    json!({
        "name": item.name,
        "version": item.version,
        "category_id": item.category_id,
        "active": item.active,
    })
}

/// The top-level keys whose values differ between two items, sorted; bookkeeping
/// (`version`, `updated_at`) left out.
fn changed_keys(before: &CatalogItem, after: &CatalogItem) -> Result<Vec<String>> {
    let encode = |i: &CatalogItem| {
        serde_json::to_value(i).map_err(|e| Error::Internal(format!("cannot encode item: {e}")))
    };
    let (b, a) = (encode(before)?, encode(after)?);
    let (Some(b), Some(a)) = (b.as_object(), a.as_object()) else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<String> = a
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "version" | "updated_at") && b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort();
    Ok(keys)
}

/// Looks users and teams up once per check, however often the input names them.
struct References<'a> {
    catalog: &'a Catalog,
    actor: &'a Actor,
    users: BTreeMap<UserId, Option<bool>>,
    teams: BTreeMap<TeamId, bool>,
    errors: Vec<FieldError>,
}

impl<'a> References<'a> {
    fn new(catalog: &'a Catalog, actor: &'a Actor) -> Self {
        Self {
            catalog,
            actor,
            users: BTreeMap::new(),
            teams: BTreeMap::new(),
            errors: Vec::new(),
        }
    }

    /// Notes an error unless `id` is an active user of the organization.
    fn active_user(&mut self, field: &str, id: UserId) -> Result<()> {
        let state = match self.users.get(&id) {
            Some(s) => *s,
            None => {
                let s = match self.catalog.directory.user(self.actor.org_id(), id) {
                    Ok(u) => Some(u.active),
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                self.users.insert(id, s);
                s
            }
        };
        match state {
            Some(true) => {}
            Some(false) => self.errors.push(FieldError::new(
                field,
                "inactive",
                "this user is deactivated",
            )),
            None => self.errors.push(unknown(field, "user")),
        }
        Ok(())
    }

    /// Notes an error unless `id` is a team of the organization.
    fn team(&mut self, field: &str, id: TeamId) -> Result<()> {
        let exists = match self.teams.get(&id) {
            Some(e) => *e,
            None => {
                let e = match self.catalog.directory.team(self.actor.org_id(), id) {
                    Ok(_) => true,
                    Err(StoreError::NotFound(_)) => false,
                    Err(e) => return Err(e.into()),
                };
                self.teams.insert(id, e);
                e
            }
        };
        if !exists {
            self.errors.push(unknown(field, "team"));
        }
        Ok(())
    }

    /// Every reference an item input makes, each bad one named by its path.
    fn item(&mut self, input: &CatalogItemInput) -> Result<()> {
        let org = self.actor.org_id();
        let categories = self.catalog.store.categories(org)?;
        if !categories.iter().any(|c| c.id == input.category_id) {
            self.errors.push(unknown("category_id", "category"));
        }
        self.active_user("owner_id", input.owner_id)?;
        if let Some(team) = input.fulfilment_team_id {
            self.team("fulfilment_team_id", team)?;
        }
        if let Some(policy) = input.fulfilment_sla_policy_id {
            let policies = self.catalog.sla.policies(org)?;
            if !policies.iter().any(|p| p.id == policy) {
                self.errors.push(FieldError::new(
                    "fulfilment_sla_policy_id",
                    "unknown",
                    "no active SLA policy of this id in your organization",
                ));
            }
        }
        if let super::Audience::Restricted { teams, .. } = &input.audience {
            for (i, team) in teams.iter().enumerate() {
                self.team(&format!("audience.teams[{i}]"), *team)?;
            }
        }
        for (i, stage) in input.approval_policy.stages.iter().enumerate() {
            for (j, rule) in stage.approvers.iter().enumerate() {
                let at = format!("approval_policy.stages[{i}].approvers[{j}]");
                match rule {
                    ApproverRule::Users(users) => {
                        for (k, user) in users.iter().enumerate() {
                            self.active_user(&format!("{at}.users[{k}]"), *user)?;
                        }
                    }
                    ApproverRule::Team(team) => self.team(&format!("{at}.team"), *team)?,
                    ApproverRule::RequesterManager | ApproverRule::ItemOwner => {}
                }
            }
        }
        if let Some(template) = &input.task_template {
            for (i, task) in template.tasks.iter().enumerate() {
                if let Some(team) = task.team_id {
                    self.team(&format!("task_template.tasks[{i}].team_id"), team)?;
                }
                if let Some(user) = task.assignee_id {
                    self.active_user(&format!("task_template.tasks[{i}].assignee_id"), user)?;
                }
            }
        }
        Ok(())
    }
}

impl Catalog {
    /// Wires the use cases: the catalog store, the directory (owners, teams, approvers),
    /// the SLA catalog (fulfilment policies), the clock and the id generator.
    pub fn new(
        store: Arc<dyn CatalogStore>,
        directory: Arc<dyn Directory>,
        sla: Arc<dyn SlaCatalog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            directory,
            sla,
            clock,
            ids,
        }
    }

    fn audit(
        &self,
        actor: &Actor,
        action: &str,
        kind: &str,
        target: String,
        detail: Value,
    ) -> WriteSet {
        WriteSet {
            audit: vec![AuditRecord {
                org_id: actor.org_id(),
                actor_id: Some(actor.user_id()),
                action: action.to_owned(),
                target_kind: kind.to_owned(),
                target_id: target,
                at: self.clock.now(),
                detail,
            }],
            ..WriteSet::default()
        }
    }

    // ---- categories ----

    /// Creates a category.
    ///
    /// # Errors
    /// `Forbidden` without `catalog_item:create`; `Invalid` naming `name` (blank, too long,
    /// multi-line, `taken`), `description` or `parent_id` (`unknown`).
    pub fn create_category(&self, actor: &Actor, input: CategoryInput) -> Result<CatalogCategory> {
        require(actor, Action::Create)?;
        let mut errors = Vec::new();
        let name = text::line("name", &input.name, 1, MAX_NAME)
            .map_err(|e| errors.push(e))
            .ok();
        let description = text::block("description", &input.description, 0, MAX_DESCRIPTION)
            .map_err(|e| errors.push(e))
            .ok();
        if let Some(parent) = input.parent_id {
            let categories = self.store.categories(actor.org_id())?;
            if !categories.iter().any(|c| c.id == parent) {
                errors.push(unknown("parent_id", "category"));
            }
        }
        let (Some(name), Some(description), true) = (name, description, errors.is_empty()) else {
            return Err(Error::Invalid(errors));
        };
        let category = CatalogCategory {
            id: CatalogCategoryId(self.ids.new_id()),
            org_id: actor.org_id(),
            name,
            description,
            parent_id: input.parent_id,
        };
        let write = self.audit(
            actor,
            "catalog_category.create",
            "catalog_category",
            category.id.to_string(),
            json!({ "name": category.name, "parent_id": category.parent_id }),
        );
        match self
            .store
            .create_category(actor.org_id(), &category, &write)
        {
            Err(StoreError::Duplicate { .. }) => Err(Error::invalid(
                "name",
                "taken",
                "a category of this name exists",
            )),
            Err(StoreError::NotFound("catalog category")) => {
                Err(Error::Invalid(vec![unknown("parent_id", "category")]))
            }
            other => Ok(other?),
        }
    }

    /// The categories of the actor's organization, by name.
    ///
    /// # Errors
    /// `Forbidden` without `catalog_item:read`.
    pub fn categories(&self, actor: &Actor) -> Result<Vec<CatalogCategory>> {
        require(actor, Action::Read)?;
        Ok(self.store.categories(actor.org_id())?)
    }

    // ---- items ----

    /// Checks an input completely: its own rules and every reference, all errors at once.
    fn checked(&self, actor: &Actor, input: &CatalogItemInput) -> Result<()> {
        let mut errors = input.check().err().unwrap_or_default();
        let mut refs = References::new(self, actor);
        refs.item(input)?;
        errors.extend(refs.errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(errors))
        }
    }

    /// The item an input describes, with the given identity and bookkeeping.
    fn build(&self, actor: &Actor, id: CatalogItemId, input: CatalogItemInput) -> CatalogItem {
        let now = self.clock.now();
        CatalogItem {
            id,
            org_id: actor.org_id(),
            category_id: input.category_id,
            name: input.name.trim().to_owned(),
            description: input.description.trim().to_owned(),
            version: 1,
            form: input.form,
            audience: input.audience,
            owner_id: input.owner_id,
            fulfilment_team_id: input.fulfilment_team_id,
            task_template: input.task_template,
            fulfilment_sla_policy_id: input.fulfilment_sla_policy_id,
            approval_policy: input.approval_policy,
            active: input.active,
            created_at: now,
            updated_at: now,
        }
    }

    /// Creates an item as version 1.
    ///
    /// # Errors
    /// `Forbidden` without `catalog_item:create`; `Invalid` with every field error: the
    /// input's own rules ([`CatalogItemInput::check`]) and every reference that is not of
    /// the organization (`category_id`, `owner_id` — also `inactive` —,
    /// `fulfilment_team_id`, `fulfilment_sla_policy_id`, `audience.teams[i]`,
    /// `approval_policy.stages[i].approvers[j].users[k]` / `.team`,
    /// `task_template.tasks[i].team_id` / `.assignee_id`).
    pub fn create_item(&self, actor: &Actor, input: CatalogItemInput) -> Result<CatalogItem> {
        require(actor, Action::Create)?;
        self.checked(actor, &input)?;
        let item = self.build(actor, CatalogItemId(self.ids.new_id()), input);
        let write = self.audit(
            actor,
            "catalog_item.create",
            "catalog_item",
            item.id.to_string(),
            item_detail(&item),
        );
        match self.store.create_item(actor.org_id(), &item, &write) {
            // The category went away between the check and the write.
            Err(StoreError::NotFound("catalog category")) => {
                Err(Error::Invalid(vec![unknown("category_id", "category")]))
            }
            other => Ok(other?),
        }
    }

    /// Replaces an item with a new version; earlier versions stay readable (requests keep
    /// theirs). `expected_version` is the version the client read; without one, the
    /// version read here is the precondition (a concurrent write still answers
    /// `Conflict`). An input equal to the current item writes nothing and answers it.
    ///
    /// # Errors
    /// `Forbidden` without `catalog_item:update`; `NotFound` (also for other
    /// organizations'); `Invalid` as for [`Catalog::create_item`]; `Conflict` when
    /// `expected_version` is not the current one.
    pub fn update_item(
        &self,
        actor: &Actor,
        id: CatalogItemId,
        expected_version: Option<i64>,
        input: CatalogItemInput,
    ) -> Result<CatalogItem> {
        require(actor, Action::Update)?;
        let current = self.store.item(actor.org_id(), id)?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(Error::Conflict {
                entity: "catalog item",
                current: current.version,
            });
        }
        self.checked(actor, &input)?;
        let mut next = self.build(actor, id, input);
        next.version = current.version + 1;
        next.created_at = current.created_at;
        let changed = changed_keys(&current, &next)?;
        if changed.is_empty() {
            return Ok(current);
        }
        let write = self.audit(
            actor,
            "catalog_item.update",
            "catalog_item",
            id.to_string(),
            json!({
                "changed": changed,
                "before": item_detail(&current),
                "after": item_detail(&next),
            }),
        );
        match self
            .store
            .update_item(actor.org_id(), &next, current.version, &write)
        {
            Err(StoreError::NotFound("catalog category")) => {
                Err(Error::Invalid(vec![unknown("category_id", "category")]))
            }
            other => Ok(other?),
        }
    }

    /// The current version of an item. Editors see any item of the organization; everyone
    /// else only an active item whose audience admits them.
    ///
    /// # Errors
    /// `Forbidden` without `catalog_item:read`; `NotFound` for an item of another
    /// organization, or one the actor may not request.
    pub fn item(&self, actor: &Actor, id: CatalogItemId) -> Result<CatalogItem> {
        require(actor, Action::Read)?;
        let item = self.store.item(actor.org_id(), id)?;
        if visible(actor, &item) {
            Ok(item)
        } else {
            Err(not_found())
        }
    }

    /// One version of an item, as it was stored. Who may see it is decided on the current
    /// version, as for [`Catalog::item`].
    ///
    /// # Errors
    /// As [`Catalog::item`]; `NotFound` also for a version the item never had.
    pub fn item_version(
        &self,
        actor: &Actor,
        id: CatalogItemId,
        version: i64,
    ) -> Result<CatalogItem> {
        let current = self.item(actor, id)?;
        if version == current.version {
            return Ok(current);
        }
        Ok(self.store.item_version(actor.org_id(), id, version)?)
    }

    /// The items the actor may see, by name: every item for editors, the requestable ones
    /// for everyone else.
    ///
    /// # Errors
    /// `Forbidden` without `catalog_item:read`.
    pub fn items(&self, actor: &Actor) -> Result<Vec<CatalogItem>> {
        require(actor, Action::Read)?;
        let mut items = self.store.items(actor.org_id())?;
        items.retain(|i| visible(actor, i));
        Ok(items)
    }
}
