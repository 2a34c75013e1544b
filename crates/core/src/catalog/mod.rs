//! The service catalog, pure: categories, items, request forms (fields, conditional
//! visibility, answer validation), who may request an item, and its fulfilment task template.

mod answers;
mod audience;
mod condition;
mod form;
mod ids;
mod item;
mod template;
pub(crate) mod text;

#[cfg(test)]
mod tests;

pub use answers::{Answers, CleanAnswers, ValidationMode};
pub use audience::{Audience, MAX_AUDIENCE_ROLES, MAX_AUDIENCE_TEAMS};
pub use condition::{Condition, ConditionOp};
pub use form::{
    FieldDef, FieldKind, FormDefinition, MAX_FIELDS, MAX_HELP, MAX_KEY, MAX_LABEL,
    MAX_LONG_TEXT_LEN, MAX_OPTION_VALUE, MAX_OPTIONS, MAX_TEXT_LEN, SelectOption,
};
pub use ids::{CatalogCategoryId, CatalogItemId};
pub use item::{CatalogCategory, CatalogItem, CatalogItemInput, MAX_DESCRIPTION, MAX_NAME};
pub use template::{MAX_TASKS, TaskMode, TaskTemplate, TaskTemplateEntry};
