//! The service catalog as pure domain: categories, items, their request forms (fields,
//! conditional visibility, answer validation), who may request them and the fulfilment
//! task template. No I/O: the store keeps forms as JSON text and the use cases wire it up.

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
