//! The service catalog: categories, versioned items with their request forms, audiences,
//! fulfilment templates and approval policies; the store port and the use cases over it.

mod answers;
mod audience;
mod condition;
mod form;
mod item;
mod port;
mod service;
mod template;
pub(crate) mod text;

#[cfg(test)]
mod tests;

pub use crate::ids::{CatalogCategoryId, CatalogItemId};
pub use answers::{Answers, CleanAnswers, ValidationMode};
pub use audience::{Audience, MAX_AUDIENCE_ROLES, MAX_AUDIENCE_TEAMS};
pub use condition::{Condition, ConditionOp};
pub use form::{
    FieldDef, FieldKind, FormDefinition, MAX_FIELDS, MAX_HELP, MAX_KEY, MAX_LABEL,
    MAX_LONG_TEXT_LEN, MAX_OPTION_VALUE, MAX_OPTIONS, MAX_TEXT_LEN, SelectOption,
};
pub use item::{CatalogCategory, CatalogItem, CatalogItemInput, MAX_DESCRIPTION, MAX_NAME};
pub use port::CatalogStore;
#[cfg(any(test, feature = "mock"))]
pub use port::MockCatalogStore;
pub use service::{Catalog, CategoryInput, edits_catalog, may_request};
pub use template::{MAX_TASKS, TaskMode, TaskTemplate, TaskTemplateEntry};
