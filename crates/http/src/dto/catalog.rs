//! Bodies of `/catalog-categories` and `/catalog-items` (issue 10, the service catalog).
//!
//! The nested parts (form, audience, task template, approval policy) travel in the core
//! types' own JSON shape; [`super::catalog_schema`] describes them for the document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::approvals::ApprovalPolicy;
use servicedesk_core::catalog::{
    Audience, CatalogCategory, CatalogItem, CatalogItemInput, CategoryInput, FormDefinition,
    MAX_DESCRIPTION, MAX_NAME, TaskTemplate,
};
use servicedesk_core::ids::{CatalogCategoryId, SlaPolicyId, TeamId, UserId};
use utoipa::ToSchema;
use utoipa::openapi::Schema;
use uuid::Uuid;

use super::catalog_schema;
use super::fields::{NAME_LINE, OPTIONAL_TEXT};

/// A catalog name: one line, 1–200 characters.
pub fn catalog_name() -> Schema {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(NAME_LINE))
        .min_length(Some(1))
        .max_length(Some(MAX_NAME))
        .into()
}

/// A catalog description: any text without control characters but line breaks and tabs,
/// at most 20 000 characters, may be empty.
pub fn catalog_description() -> Schema {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(OPTIONAL_TEXT))
        .max_length(Some(MAX_DESCRIPTION))
        .into()
}

fn yes() -> bool {
    true
}

/// `POST /catalog-categories`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    /// Unique in the organization.
    #[schema(schema_with = catalog_name)]
    pub name: String,
    /// What belongs here.
    #[serde(default)]
    #[schema(schema_with = catalog_description)]
    pub description: String,
    /// The enclosing category (one of your organization's); none at the top.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
}

impl From<CreateCategoryRequest> for CategoryInput {
    fn from(b: CreateCategoryRequest) -> Self {
        Self {
            name: b.name,
            description: b.description,
            parent_id: b.parent_id.map(CatalogCategoryId),
        }
    }
}

/// A catalog category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    /// Its id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// What belongs here.
    pub description: String,
    /// The enclosing category; null at the top.
    pub parent_id: Option<Uuid>,
}

impl From<CatalogCategory> for CategoryDto {
    fn from(c: CatalogCategory) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            description: c.description,
            parent_id: c.parent_id.map(|p| p.0),
        }
    }
}

/// `POST /catalog-items` and `PUT /catalog-items/{id}`: the whole item (a PUT replaces it
/// with a new version).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogItemRequest {
    /// The category it is listed under (one of your organization's).
    pub category_id: Uuid,
    /// Display name.
    #[schema(schema_with = catalog_name)]
    pub name: String,
    /// What the requester gets.
    #[serde(default)]
    #[schema(schema_with = catalog_description)]
    pub description: String,
    /// The request form.
    #[serde(default)]
    #[schema(schema_with = catalog_schema::form)]
    pub form: FormDefinition,
    /// Who may request it (default everyone).
    #[serde(default)]
    #[schema(schema_with = catalog_schema::audience)]
    pub audience: Audience,
    /// The responsible user (an active user of your organization).
    pub owner_id: Uuid,
    /// The team that fulfils requests (one of your organization's).
    #[serde(default)]
    pub fulfilment_team_id: Option<Uuid>,
    /// The tasks an approved request opens.
    #[serde(default)]
    #[schema(schema_with = catalog_schema::task_template)]
    pub task_template: Option<TaskTemplate>,
    /// The SLA policy of its requests (an active policy of your organization).
    #[serde(default)]
    pub fulfilment_sla_policy_id: Option<Uuid>,
    /// The approval stages (none: no approval).
    #[serde(default)]
    #[schema(schema_with = catalog_schema::approval_policy)]
    pub approval_policy: ApprovalPolicy,
    /// Requestable (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

impl From<CatalogItemRequest> for CatalogItemInput {
    fn from(b: CatalogItemRequest) -> Self {
        Self {
            category_id: CatalogCategoryId(b.category_id),
            name: b.name,
            description: b.description,
            form: b.form,
            audience: b.audience,
            owner_id: UserId(b.owner_id),
            fulfilment_team_id: b.fulfilment_team_id.map(TeamId),
            task_template: b.task_template,
            fulfilment_sla_policy_id: b.fulfilment_sla_policy_id.map(SlaPolicyId),
            approval_policy: b.approval_policy,
            active: b.active,
        }
    }
}

/// A catalog item as stored in one version; the `ETag` of a current read is `version`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogItemDto {
    /// Its id.
    pub id: Uuid,
    /// The category it is listed under.
    pub category_id: Uuid,
    /// Display name.
    pub name: String,
    /// What the requester gets.
    pub description: String,
    /// This version (1, 2, …): the form version a request keeps.
    pub version: i64,
    /// The request form.
    #[schema(schema_with = catalog_schema::form)]
    pub form: FormDefinition,
    /// Who may request it.
    #[schema(schema_with = catalog_schema::audience)]
    pub audience: Audience,
    /// The responsible user.
    pub owner_id: Uuid,
    /// The fulfilment team.
    pub fulfilment_team_id: Option<Uuid>,
    /// The fulfilment tasks.
    #[schema(schema_with = catalog_schema::task_template)]
    pub task_template: Option<TaskTemplate>,
    /// The fulfilment SLA policy.
    pub fulfilment_sla_policy_id: Option<Uuid>,
    /// The approval stages.
    #[schema(schema_with = catalog_schema::approval_policy)]
    pub approval_policy: ApprovalPolicy,
    /// Requestable now.
    pub active: bool,
    /// When the item was created.
    pub created_at: DateTime<Utc>,
    /// When this version was written.
    pub updated_at: DateTime<Utc>,
}

impl From<CatalogItem> for CatalogItemDto {
    fn from(i: CatalogItem) -> Self {
        Self {
            id: i.id.0,
            category_id: i.category_id.0,
            name: i.name,
            description: i.description,
            version: i.version,
            form: i.form,
            audience: i.audience,
            owner_id: i.owner_id.0,
            fulfilment_team_id: i.fulfilment_team_id.map(|t| t.0),
            task_template: i.task_template,
            fulfilment_sla_policy_id: i.fulfilment_sla_policy_id.map(|p| p.0),
            approval_policy: i.approval_policy,
            active: i.active,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}
