//! Conditional visibility: "show this field when that earlier field equals / is one of /
//! contains a value".

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::answers::clean_value;
use super::form::{FieldDef, FieldKind};
use crate::error::FieldError;

/// Most values a `one_of` condition may list.
const MAX_ONE_OF: usize = 200;

/// How a condition compares the referenced field's answer.
///
/// Serialized externally tagged: `{"equals": "workstation"}`, `{"one_of": ["a", "b"]}`,
/// `{"contains": "gpu"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    /// The answer is this value. Text compares exactly (after trimming), e-mail
    /// case-insensitively, numbers numerically. Not for multi-selects.
    Equals(Value),
    /// The answer is one of these values (compared as for `equals`). Not for multi-selects.
    OneOf(Vec<Value>),
    /// A multi-select's answer includes this option, or a text's answer contains this
    /// text (case-insensitively). Only for multi-selects, text and long text.
    Contains(Value),
}

/// Shows a field only when the answer of an earlier field satisfies `op`.
///
/// A field whose referenced field is hidden or unanswered is hidden too, so hiding
/// propagates down a chain of conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The key of the field looked at; it must be defined before the field that has the
    /// condition.
    pub field: String,
    /// The comparison.
    pub op: ConditionOp,
}

impl Condition {
    /// Shown when `field` equals `value`.
    pub fn equals(field: &str, value: impl Into<Value>) -> Self {
        Self {
            field: field.to_owned(),
            op: ConditionOp::Equals(value.into()),
        }
    }

    /// Shown when `field` is one of `values`.
    pub fn one_of<V: Into<Value>>(field: &str, values: impl IntoIterator<Item = V>) -> Self {
        Self {
            field: field.to_owned(),
            op: ConditionOp::OneOf(values.into_iter().map(Into::into).collect()),
        }
    }

    /// Shown when `field` contains `value`.
    pub fn contains(field: &str, value: impl Into<Value>) -> Self {
        Self {
            field: field.to_owned(),
            op: ConditionOp::Contains(value.into()),
        }
    }

    /// Whether the condition holds for `answer`, the clean answer of the referenced field
    /// whose kind is `kind`. A condition value that the kind could never hold matches
    /// nothing ([`super::FormDefinition::check`] refuses such conditions).
    pub(super) fn matches(&self, kind: &FieldKind, answer: &Value) -> bool {
        let same = |raw: &Value| {
            clean_value(kind, raw, "", &|_| true)
                .ok()
                .flatten()
                .is_some_and(|v| same_value(&v, answer))
        };
        match (&self.op, kind) {
            (ConditionOp::Contains(raw), FieldKind::MultiSelect { .. }) => {
                let (Some(wanted), Some(chosen)) = (raw.as_str(), answer.as_array()) else {
                    return false;
                };
                chosen.iter().any(|c| c.as_str() == Some(wanted))
            }
            (ConditionOp::Contains(raw), FieldKind::Text { .. } | FieldKind::LongText { .. }) => {
                let (Some(wanted), Some(text)) = (raw.as_str(), answer.as_str()) else {
                    return false;
                };
                let wanted = wanted.trim().to_lowercase();
                !wanted.is_empty() && text.to_lowercase().contains(&wanted)
            }
            (ConditionOp::Contains(_), _) | (_, FieldKind::MultiSelect { .. }) => false,
            (ConditionOp::Equals(raw), _) => same(raw),
            (ConditionOp::OneOf(raws), _) => raws.iter().any(same),
        }
    }

    /// Checks the condition of the field at `at` (`form.fields[i].visible_when`), given
    /// the fields before it and all fields (to tell "later" from "unknown").
    pub(super) fn check(
        &self,
        at: &str,
        earlier: &[FieldDef],
        all: &[FieldDef],
        errors: &mut Vec<FieldError>,
    ) {
        let Some(target) = earlier.iter().find(|f| f.key == self.field) else {
            let (code, message) = if all.iter().any(|f| f.key == self.field) {
                (
                    "not_earlier",
                    format!(
                        "{:?} is not defined before this field; a condition may only look at earlier fields",
                        self.field
                    ),
                )
            } else {
                ("unknown", format!("the form has no field {:?}", self.field))
            };
            errors.push(FieldError::new(&format!("{at}.field"), code, message));
            return;
        };
        let kind = &target.kind;
        let not_applicable = |op: &str| {
            FieldError::new(
                &format!("{at}.op"),
                "not_applicable",
                format!("{op} does not apply to a {} field", kind.name()),
            )
        };
        match (&self.op, kind) {
            (ConditionOp::Contains(raw), FieldKind::MultiSelect { .. }) => {
                if !raw.as_str().is_some_and(|v| kind.has_option(v)) {
                    errors.push(not_an_option(&format!("{at}.value"), &target.key));
                }
            }
            (ConditionOp::Contains(raw), FieldKind::Text { .. } | FieldKind::LongText { .. }) => {
                if raw.as_str().is_none_or(|v| v.trim().is_empty()) {
                    errors.push(FieldError::new(
                        &format!("{at}.value"),
                        "invalid",
                        "contains needs a non-empty text",
                    ));
                }
            }
            (ConditionOp::Contains(_), _) => errors.push(not_applicable("contains")),
            (ConditionOp::Equals(_), FieldKind::MultiSelect { .. }) => {
                errors.push(not_applicable("equals (use contains)"));
            }
            (ConditionOp::OneOf(_), FieldKind::MultiSelect { .. }) => {
                errors.push(not_applicable("one_of (use contains)"));
            }
            (ConditionOp::Equals(raw), _) => {
                check_value(&format!("{at}.value"), target, raw, errors);
            }
            (ConditionOp::OneOf(raws), _) => {
                if raws.is_empty() || raws.len() > MAX_ONE_OF {
                    errors.push(FieldError::new(
                        &format!("{at}.values"),
                        "out_of_range",
                        format!("one_of needs 1 to {MAX_ONE_OF} values"),
                    ));
                }
                for (k, raw) in raws.iter().enumerate() {
                    check_value(&format!("{at}.values[{k}]"), target, raw, errors);
                }
            }
        }
    }
}

/// A value the referenced field could hold: the same cleaning as an answer (an option for
/// selects, a boolean for a checkbox, a date, …), except that user ids are not looked up.
fn check_value(at: &str, target: &FieldDef, raw: &Value, errors: &mut Vec<FieldError>) {
    match clean_value(&target.kind, raw, at, &|_| true) {
        Ok(Some(_)) => {}
        Ok(None) => errors.push(FieldError::new(
            at,
            "required",
            "a condition needs a value (an empty answer hides the field anyway)",
        )),
        Err(e) if e.code == "not_an_option" => errors.push(not_an_option(at, &target.key)),
        Err(e) => errors.push(e),
    }
}

fn not_an_option(at: &str, key: &str) -> FieldError {
    FieldError::new(
        at,
        "not_an_option",
        format!("must be one of the option values of {key:?}"),
    )
}

/// Equality of two clean answers: numbers numerically (`1` equals `1.0`), the rest as JSON.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
