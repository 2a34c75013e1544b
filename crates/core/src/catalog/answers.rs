//! Answers to a request form, and their validation against the form.
//!
//! Codes a client may see, each under `answers.<key>`: `unknown` (the form has no such
//! field), `wrong_type` (a string where a number belongs, …), `too_long`, `invalid` (a
//! date that is no date, an e-mail address without a domain, control characters, a user
//! id that is no UUID), `not_integer`, `out_of_range`, `not_an_option`, `duplicate` (a
//! multi-select value twice), `unknown_user`, and `required` (submit mode only).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::form::{FieldKind, FormDefinition};
use super::text;
use crate::error::FieldError;
use crate::ids::UserId;

/// Answers as the client sends them: field key → JSON value.
pub type Answers = BTreeMap<String, Value>;

/// How strictly [`FormDefinition::validate`] treats missing answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationMode {
    /// A draft may be incomplete: required fields may be missing, but every answer that is
    /// present must be well-typed.
    Draft,
    /// Submission: every visible required field must be answered too.
    Submit,
}

/// Answers that passed validation, in canonical form: only visible fields, no empty
/// answers, text trimmed, e-mail lower-cased, dates `YYYY-MM-DD`, user ids hyphenated.
///
/// The store keeps these (as JSON text) with the form version they were checked against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CleanAnswers(BTreeMap<String, Value>);

impl CleanAnswers {
    /// The clean answer of a field, if it was visible and answered.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// All clean answers by key.
    pub fn as_map(&self) -> &BTreeMap<String, Value> {
        &self.0
    }

    /// All clean answers by key, owned.
    pub fn into_map(self) -> BTreeMap<String, Value> {
        self.0
    }

    /// How many fields were answered.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no field was answered.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FormDefinition {
    /// Checks `answers` against the form and returns them clean.
    ///
    /// Visibility is evaluated in field order: a field with a condition is visible only
    /// when the referenced (earlier) field is visible, has a valid answer and the
    /// condition holds, so a field hidden because its condition field is hidden is hidden
    /// too. Answers to hidden fields are discarded without being checked: a client that
    /// switched `model` away from `workstation` may still send its old `justification`.
    ///
    /// Keys the form does not have are refused (`unknown`) rather than dropped: they are a
    /// client bug or an answer written for another form version, and dropping them would
    /// lose what the requester typed without telling anyone.
    ///
    /// `users` says whether a user id names a user the requester may refer to (the
    /// organization's active users); it is asked only about well-formed UUIDs.
    ///
    /// # Errors
    /// Every bad answer, each under `answers.<key>` (codes in the module documentation);
    /// in [`ValidationMode::Submit`] also `required` for each visible required field that
    /// is missing, empty (blank text, empty list) or, for a checkbox, not ticked.
    pub fn validate(
        &self,
        answers: &Answers,
        mode: ValidationMode,
        users: &dyn Fn(UserId) -> bool,
    ) -> Result<CleanAnswers, Vec<FieldError>> {
        let mut errors = Vec::new();
        for key in answers.keys() {
            if self.field(key).is_none() {
                errors.push(FieldError::new(
                    &format!("answers.{key}"),
                    "unknown",
                    "the form has no field of this key",
                ));
            }
        }
        let mut clean: BTreeMap<String, Value> = BTreeMap::new();
        let mut visible: BTreeSet<&str> = BTreeSet::new();
        for field in &self.fields {
            let shown = match &field.visible_when {
                None => true,
                Some(condition) => {
                    visible.contains(condition.field.as_str())
                        && match (clean.get(&condition.field), self.field(&condition.field)) {
                            (Some(answer), Some(target)) => condition.matches(&target.kind, answer),
                            _ => false,
                        }
                }
            };
            if !shown {
                continue;
            }
            visible.insert(&field.key);
            let at = format!("answers.{}", field.key);
            let cleaned = match answers.get(&field.key) {
                None => Ok(None),
                Some(raw) => clean_value(&field.kind, raw, &at, users),
            };
            let answered = match cleaned {
                Err(e) => {
                    errors.push(e);
                    // Already reported; a `required` on top would say nothing new.
                    continue;
                }
                Ok(None) => false,
                Ok(Some(value)) => {
                    let ticked = value != Value::Bool(false);
                    clean.insert(field.key.clone(), value);
                    ticked
                }
            };
            if mode == ValidationMode::Submit && field.required && !answered {
                let message = if matches!(field.kind, FieldKind::Checkbox) {
                    "must be ticked"
                } else {
                    "must be answered"
                };
                errors.push(FieldError::new(&at, "required", message));
            }
        }
        if errors.is_empty() {
            Ok(CleanAnswers(clean))
        } else {
            Err(errors)
        }
    }
}

fn wrong_type(at: &str, kind: &FieldKind, shape: &str) -> FieldError {
    FieldError::new(
        at,
        "wrong_type",
        format!("a {} field takes {shape}", kind.name()),
    )
}

/// A non-blank trimmed string, `None` for a blank one, or a type error.
fn string<'v>(at: &str, kind: &FieldKind, raw: &'v Value) -> Result<Option<&'v str>, FieldError> {
    let s = raw
        .as_str()
        .ok_or_else(|| wrong_type(at, kind, "a string"))?
        .trim();
    Ok((!s.is_empty()).then_some(s))
}

/// One answer checked against its field's kind and put in canonical form; `Ok(None)` for
/// an empty answer (`null`, blank text, an empty list). Also cleans condition values, with
/// `users` accepting everyone.
pub(super) fn clean_value(
    kind: &FieldKind,
    raw: &Value,
    at: &str,
    users: &dyn Fn(UserId) -> bool,
) -> Result<Option<Value>, FieldError> {
    if raw.is_null() {
        return Ok(None);
    }
    match kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            let s = raw
                .as_str()
                .ok_or_else(|| wrong_type(at, kind, "a string"))?;
            let max = usize::try_from(*max_len).unwrap_or(usize::MAX);
            let text = if matches!(kind, FieldKind::Text { .. }) {
                text::line(at, s, 0, max)?
            } else {
                text::block(at, s, 0, max)?
            };
            Ok((!text.is_empty()).then_some(Value::String(text)))
        }
        FieldKind::Number { min, max, integer } => {
            let n = raw
                .as_f64()
                .filter(|_| raw.is_number())
                .ok_or_else(|| wrong_type(at, kind, "a number"))?;
            if *integer && n.fract() != 0.0 {
                return Err(FieldError::new(at, "not_integer", "must be a whole number"));
            }
            if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
                let range = match (min, max) {
                    (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
                    (Some(lo), None) => format!("at least {lo}"),
                    (None, Some(hi)) => format!("at most {hi}"),
                    (None, None) => String::new(),
                };
                return Err(FieldError::new(
                    at,
                    "out_of_range",
                    format!("must be {range}"),
                ));
            }
            Ok(Some(raw.clone()))
        }
        FieldKind::Date => {
            let Some(s) = string(at, kind, raw)? else {
                return Ok(None);
            };
            // `%Y` alone would take five-digit and signed years; the form says YYYY-MM-DD.
            let date = (s.len() == 10)
                .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .flatten()
                .ok_or_else(|| {
                    FieldError::new(at, "invalid", "must be a date written YYYY-MM-DD")
                })?;
            Ok(Some(Value::String(date.format("%Y-%m-%d").to_string())))
        }
        FieldKind::Email => {
            let Some(s) = string(at, kind, raw)? else {
                return Ok(None);
            };
            text::email(at, s).map(|e| Some(Value::String(e)))
        }
        FieldKind::SingleSelect { .. } => {
            let Some(s) = string(at, kind, raw)? else {
                return Ok(None);
            };
            if !kind.has_option(s) {
                return Err(FieldError::new(
                    at,
                    "not_an_option",
                    format!("{s:?} is not one of the options"),
                ));
            }
            Ok(Some(Value::String(s.to_owned())))
        }
        FieldKind::MultiSelect { .. } => {
            let items = raw
                .as_array()
                .ok_or_else(|| wrong_type(at, kind, "a list of option values"))?;
            let mut chosen: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                let s = item
                    .as_str()
                    .ok_or_else(|| wrong_type(at, kind, "a list of option values"))?
                    .trim();
                if !kind.has_option(s) {
                    return Err(FieldError::new(
                        at,
                        "not_an_option",
                        format!("{s:?} is not one of the options"),
                    ));
                }
                if chosen.iter().any(|c| c.as_str() == Some(s)) {
                    return Err(FieldError::new(
                        at,
                        "duplicate",
                        format!("{s:?} is chosen more than once"),
                    ));
                }
                chosen.push(Value::String(s.to_owned()));
            }
            Ok((!chosen.is_empty()).then_some(Value::Array(chosen)))
        }
        FieldKind::Checkbox => raw
            .as_bool()
            .map(|b| Some(Value::Bool(b)))
            .ok_or_else(|| wrong_type(at, kind, "true or false")),
        FieldKind::UserRef => {
            let Some(s) = string(at, kind, raw)? else {
                return Ok(None);
            };
            let id = Uuid::parse_str(s)
                .map(UserId)
                .map_err(|_| FieldError::new(at, "invalid", "must be a user id (a UUID)"))?;
            if !users(id) {
                return Err(FieldError::new(
                    at,
                    "unknown_user",
                    "no such user in your organization",
                ));
            }
            Ok(Some(Value::String(id.to_string())))
        }
    }
}
