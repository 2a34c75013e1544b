//! Request forms: the fields an item asks for, and the rules a form definition obeys.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::condition::Condition;
use super::text;
use crate::error::FieldError;

/// Most fields one form may have.
pub const MAX_FIELDS: usize = 100;
/// Longest field key, in bytes (keys are ASCII).
pub const MAX_KEY: usize = 64;
/// Longest field or option label, in characters.
pub const MAX_LABEL: usize = 200;
/// Longest help text, in characters.
pub const MAX_HELP: usize = 1000;
/// Most options one select may offer.
pub const MAX_OPTIONS: usize = 200;
/// Longest option value, in characters.
pub const MAX_OPTION_VALUE: usize = 100;
/// Largest `max_len` a single-line text field may declare.
pub const MAX_TEXT_LEN: u32 = 1000;
/// Largest `max_len` a long text field may declare (the size of a ticket description).
pub const MAX_LONG_TEXT_LEN: u32 = 20_000;

fn default_text_len() -> u32 {
    200
}

fn default_long_text_len() -> u32 {
    4000
}

/// One choice of a select field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectOption {
    /// What an answer holds (`developer`); unique within the field.
    pub value: String,
    /// What the requester reads (`Developer laptop`).
    pub label: String,
}

impl SelectOption {
    /// An option.
    pub fn new(value: &str, label: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// What kind of answer a field takes. Serialized with a `type` tag next to the field's
/// other keys: `{"key": "model", …, "type": "single_select", "options": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text, at most `max_len` characters (default 200).
    Text {
        /// Longest answer, in characters (1..=[`MAX_TEXT_LEN`]).
        #[serde(default = "default_text_len")]
        max_len: u32,
    },
    /// Several lines of text, at most `max_len` characters (default 4000).
    LongText {
        /// Longest answer, in characters (1..=[`MAX_LONG_TEXT_LEN`]).
        #[serde(default = "default_long_text_len")]
        max_len: u32,
    },
    /// A JSON number, optionally bounded and optionally whole.
    Number {
        /// Smallest accepted value.
        #[serde(default)]
        min: Option<f64>,
        /// Largest accepted value.
        #[serde(default)]
        max: Option<f64>,
        /// Only whole numbers.
        #[serde(default)]
        integer: bool,
    },
    /// A calendar date written `YYYY-MM-DD`.
    Date,
    /// An e-mail address (stored lower-cased).
    Email,
    /// Exactly one of the options' values.
    SingleSelect {
        /// The choices, in display order.
        options: Vec<SelectOption>,
    },
    /// A list of distinct option values.
    MultiSelect {
        /// The choices, in display order.
        options: Vec<SelectOption>,
    },
    /// `true` or `false`.
    Checkbox,
    /// A user of the organization, by id.
    UserRef,
}

impl FieldKind {
    /// The options of a select field; empty for other kinds.
    pub fn options(&self) -> &[SelectOption] {
        match self {
            Self::SingleSelect { options } | Self::MultiSelect { options } => options,
            _ => &[],
        }
    }

    /// Whether `value` is one of the options (always false for non-select kinds).
    pub fn has_option(&self, value: &str) -> bool {
        self.options().iter().any(|o| o.value == value)
    }

    /// The wire name of the kind, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::LongText { .. } => "long_text",
            Self::Number { .. } => "number",
            Self::Date => "date",
            Self::Email => "email",
            Self::SingleSelect { .. } => "single_select",
            Self::MultiSelect { .. } => "multi_select",
            Self::Checkbox => "checkbox",
            Self::UserRef => "user_ref",
        }
    }
}

/// One question of a form.
///
/// Deserializing refuses keys that neither the field nor its kind has (`requried`, a
/// `max_len` on a date), as `deny_unknown_fields` would if serde allowed it next to a
/// flattened enum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct FieldDef {
    /// The answer's key (`needed_by`): `a-z0-9_`, 1..=64, unique in the form.
    pub key: String,
    /// The question as shown (1..=200 characters).
    pub label: String,
    /// Guidance shown under the question (at most 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Whether a submitted request must answer it (when it is visible).
    #[serde(default)]
    pub required: bool,
    /// The kind of answer, flattened into the field's object with a `type` tag.
    #[serde(flatten)]
    pub kind: FieldKind,
    /// Shown only when this holds; it may only look at fields defined earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_when: Option<Condition>,
}

/// The derived shape of [`FieldDef`], read once the keys are known to be legal.
#[derive(Deserialize)]
struct FieldDefRepr {
    key: String,
    label: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(flatten)]
    kind: FieldKind,
    #[serde(default)]
    visible_when: Option<Condition>,
}

/// The keys every field may have, besides its kind's.
const FIELD_KEYS: [&str; 6] = ["key", "label", "help", "required", "visible_when", "type"];

/// The keys of a kind, by its `type` tag (an unknown tag is left to serde to refuse).
fn kind_keys(tag: &str) -> &'static [&'static str] {
    match tag {
        "text" | "long_text" => &["max_len"],
        "number" => &["min", "max", "integer"],
        "single_select" | "multi_select" => &["options"],
        _ => &[],
    }
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for FieldDef {
    type Error = String;

    fn try_from(map: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let tag = map
            .get("type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let allowed = kind_keys(tag);
        if let Some(extra) = map
            .keys()
            .find(|k| !FIELD_KEYS.contains(&k.as_str()) && !allowed.contains(&k.as_str()))
        {
            return Err(format!(
                "unknown field `{extra}` for a field of type `{tag}`"
            ));
        }
        let repr: FieldDefRepr =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())?;
        Ok(Self {
            key: repr.key,
            label: repr.label,
            help: repr.help,
            required: repr.required,
            kind: repr.kind,
            visible_when: repr.visible_when,
        })
    }
}

impl FieldDef {
    /// A visible, optional field without help text.
    pub fn new(key: &str, label: &str, kind: FieldKind) -> Self {
        Self {
            key: key.to_owned(),
            label: label.to_owned(),
            help: None,
            required: false,
            kind,
            visible_when: None,
        }
    }

    /// The same field, required.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same field, shown only when `condition` holds.
    #[must_use]
    pub fn visible_when(mut self, condition: Condition) -> Self {
        self.visible_when = Some(condition);
        self
    }

    /// The same field with help text.
    #[must_use]
    pub fn help(mut self, help: &str) -> Self {
        self.help = Some(help.to_owned());
        self
    }
}

/// A catalog item's request form: its fields in display (and evaluation) order.
///
/// Stored as JSON text (`{"fields": [...]}`) and taken as such from the API. A form is
/// usable only after [`FormDefinition::check`] passed; answer validation relies on the
/// ordering rule checked there (a condition only looks back), which makes visibility a
/// single pass without cycles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    /// The fields, in order.
    #[serde(default)]
    pub fields: Vec<FieldDef>,
}

impl FormDefinition {
    /// A form of these fields.
    pub fn new(fields: Vec<FieldDef>) -> Self {
        Self { fields }
    }

    /// The field with this key.
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Checks the definition; field errors are named `form.fields[i].<part>`.
    ///
    /// # Errors
    /// Every problem found: more than [`MAX_FIELDS`] fields; a key that is not
    /// `a-z0-9_` of 1..=64 or repeats an earlier key (`duplicate`); a blank or too long
    /// label; help text over [`MAX_HELP`]; a text `max_len` outside its range; a number
    /// bound that is not finite or `min > max`; a select without options, with more than
    /// [`MAX_OPTIONS`], with a bad or repeated option value; a condition naming a field
    /// that is not defined before this one (`unknown` / `not_earlier`), using an operator
    /// the referenced kind has no meaning for (`not_applicable`), or a value the
    /// referenced field could never hold (not an option, not a boolean, …).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.fields.len() > MAX_FIELDS {
            errors.push(FieldError::new(
                "form.fields",
                "too_many",
                format!("at most {MAX_FIELDS} fields"),
            ));
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for (i, field) in self.fields.iter().enumerate() {
            let at = format!("form.fields[{i}]");
            match text::slug(&format!("{at}.key"), &field.key, MAX_KEY) {
                Err(e) => errors.push(e),
                Ok(()) if !seen.insert(&field.key) => errors.push(FieldError::new(
                    &format!("{at}.key"),
                    "duplicate",
                    format!("the key {:?} is used by an earlier field", field.key),
                )),
                Ok(()) => {}
            }
            if let Err(e) = text::line(&format!("{at}.label"), &field.label, 1, MAX_LABEL) {
                errors.push(e);
            }
            if let Some(help) = &field.help
                && let Err(e) = text::block(&format!("{at}.help"), help, 0, MAX_HELP)
            {
                errors.push(e);
            }
            check_kind(&at, &field.kind, &mut errors);
            if let Some(condition) = &field.visible_when {
                let earlier = self.fields.get(..i).unwrap_or_default();
                condition.check(
                    &format!("{at}.visible_when"),
                    earlier,
                    &self.fields,
                    &mut errors,
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn check_kind(at: &str, kind: &FieldKind, errors: &mut Vec<FieldError>) {
    match kind {
        FieldKind::Text { max_len } => check_max_len(at, *max_len, MAX_TEXT_LEN, errors),
        FieldKind::LongText { max_len } => check_max_len(at, *max_len, MAX_LONG_TEXT_LEN, errors),
        FieldKind::Number { min, max, .. } => {
            for (name, bound) in [("min", min), ("max", max)] {
                if bound.is_some_and(|b| !b.is_finite()) {
                    errors.push(FieldError::new(
                        &format!("{at}.{name}"),
                        "invalid",
                        "must be a finite number",
                    ));
                }
            }
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                errors.push(FieldError::new(
                    &format!("{at}.min"),
                    "out_of_range",
                    format!("min {lo} is greater than max {hi}"),
                ));
            }
        }
        FieldKind::SingleSelect { options } | FieldKind::MultiSelect { options } => {
            check_options(at, options, errors);
        }
        FieldKind::Date | FieldKind::Email | FieldKind::Checkbox | FieldKind::UserRef => {}
    }
}

fn check_max_len(at: &str, max_len: u32, limit: u32, errors: &mut Vec<FieldError>) {
    if !(1..=limit).contains(&max_len) {
        errors.push(FieldError::new(
            &format!("{at}.max_len"),
            "out_of_range",
            format!("must be 1 to {limit}"),
        ));
    }
}

fn check_options(at: &str, options: &[SelectOption], errors: &mut Vec<FieldError>) {
    if options.is_empty() {
        errors.push(FieldError::new(
            &format!("{at}.options"),
            "required",
            "a select needs at least one option",
        ));
    }
    if options.len() > MAX_OPTIONS {
        errors.push(FieldError::new(
            &format!("{at}.options"),
            "too_many",
            format!("at most {MAX_OPTIONS} options"),
        ));
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (j, option) in options.iter().enumerate() {
        let value_at = format!("{at}.options[{j}].value");
        // A value is compared byte for byte with answers, so it must be stored trimmed.
        match text::line(&value_at, &option.value, 1, MAX_OPTION_VALUE) {
            Err(e) => errors.push(e),
            Ok(trimmed) if trimmed != option.value => errors.push(FieldError::new(
                &value_at,
                "invalid",
                "must not start or end with blanks",
            )),
            Ok(_) if !seen.insert(&option.value) => errors.push(FieldError::new(
                &value_at,
                "duplicate",
                format!("the value {:?} is used by an earlier option", option.value),
            )),
            Ok(_) => {}
        }
        if let Err(e) = text::line(
            &format!("{at}.options[{j}].label"),
            &option.label,
            1,
            MAX_LABEL,
        ) {
            errors.push(e);
        }
    }
}
