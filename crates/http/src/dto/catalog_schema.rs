//! The OpenAPI schemas of the catalog's nested parts (form, audience, task template,
//! approval policy), whose JSON is the core types' own serde shape.
//!
//! They declare only what the server enforces on its own (types, required keys, tags,
//! the core's length and count limits, key patterns), so whatever they exclude the server
//! refuses. Rules across fields or over stored data (a condition looks only at earlier
//! fields, an option value is unique, `at_least` fits the stage, a referenced user is
//! active) are checked by the core and answered as 422 naming the field; the operations
//! are listed in `scripts/schemathesis/schemathesis.toml` for that reason.

use serde_json::{Value, json};
use servicedesk_core::approvals::{
    MAX_DUE_HOURS, MAX_RULES, MAX_STAGE_NAME, MAX_STAGES, MAX_USERS_PER_RULE,
};
use servicedesk_core::catalog::{
    MAX_AUDIENCE_ROLES, MAX_AUDIENCE_TEAMS, MAX_FIELDS, MAX_HELP, MAX_KEY, MAX_LABEL,
    MAX_LONG_TEXT_LEN, MAX_OPTION_VALUE, MAX_OPTIONS, MAX_TASKS,
};
use servicedesk_core::entities::Title;
use servicedesk_core::rbac::MAX_ROLE_NAME_LEN;
use utoipa::openapi::schema::{ArrayBuilder, SchemaType};
use utoipa::openapi::{Object, RefOr, Schema};

use super::fields::{LINE, NAME_LINE, ROLE_NAME, UUID};

/// A JSON Schema literal as utoipa's type. utoipa's own deserializer drops an array's
/// `items` (its untagged `Schema` falls back to an object), so arrays and the properties
/// that may hold them are built here; the literals below are tested to convert without
/// loss.
fn schema(mut v: Value) -> Schema {
    let Some(map) = v.as_object_mut() else {
        return Schema::Object(Object::new());
    };
    if map.get("type") == Some(&json!("array")) {
        let number = |k: &str| {
            map.get(k)
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
        };
        let mut array = ArrayBuilder::new()
            .min_items(number("minItems"))
            .max_items(number("maxItems"))
            .unique_items(map.get("uniqueItems") == Some(&json!(true)))
            .description(map.get("description").and_then(Value::as_str));
        if let Some(items) = map.remove("items") {
            array = array.items(RefOr::T(schema(items)));
        }
        return Schema::Array(array.build());
    }
    let properties = map.remove("properties");
    // Without a type the schema admits any value; utoipa would read it as an object.
    let any = !map.contains_key("type");
    let mut object: Object = serde_json::from_value(v).unwrap_or_default();
    if any {
        object.schema_type = SchemaType::AnyValue;
    }
    if let Some(Value::Object(properties)) = properties {
        for (name, property) in properties {
            object.properties.insert(name, RefOr::T(schema(property)));
        }
    }
    Schema::Object(object)
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid", "pattern": UUID})
}

fn nullable_uuid() -> Value {
    json!({"type": ["string", "null"], "format": "uuid", "pattern": UUID})
}

fn form_value() -> Value {
    let option = json!({
        "type": "object",
        "required": ["value", "label"],
        "additionalProperties": false,
        "properties": {
            "value": {"type": "string", "pattern": NAME_LINE, "minLength": 1, "maxLength": MAX_OPTION_VALUE},
            "label": {"type": "string", "pattern": NAME_LINE, "minLength": 1, "maxLength": MAX_LABEL},
        }
    });
    let condition = json!({
        "type": ["object", "null"],
        "description": "Shown only when the earlier field `field` `equals` a value, is `one_of` some values, or `contains` a value.",
        "required": ["field", "op"],
        "additionalProperties": false,
        "properties": {
            "field": {"type": "string"},
            "op": {"type": "object", "minProperties": 1, "maxProperties": 1,
                   "properties": {"equals": {}, "one_of": {"type": "array", "items": {}}, "contains": {}},
                   "additionalProperties": false},
        }
    });
    json!({
        "type": "object",
        "description": "The request form: fields in order. Each field's keys besides key, label, help, required, visible_when and type depend on its type (max_len for text and long_text; min, max, integer for number; options for the selects).",
        "additionalProperties": false,
        "properties": {
            "fields": {
                "type": "array",
                "maxItems": MAX_FIELDS,
                "items": {
                    "type": "object",
                    "required": ["key", "label", "type"],
                    "additionalProperties": false,
                    "properties": {
                        "key": {"type": "string", "pattern": "^[a-z0-9_]+$", "minLength": 1, "maxLength": MAX_KEY},
                        "label": {"type": "string", "pattern": NAME_LINE, "minLength": 1, "maxLength": MAX_LABEL},
                        "help": {"type": ["string", "null"], "maxLength": MAX_HELP},
                        "required": {"type": "boolean"},
                        "type": {"type": "string", "enum": [
                            "text", "long_text", "number", "date", "email",
                            "single_select", "multi_select", "checkbox", "user_ref"]},
                        "max_len": {"type": "integer", "minimum": 1, "maximum": MAX_LONG_TEXT_LEN},
                        "min": {"type": ["number", "null"]},
                        "max": {"type": ["number", "null"]},
                        "integer": {"type": "boolean"},
                        "options": {"type": "array", "maxItems": MAX_OPTIONS, "items": option},
                        "visible_when": condition,
                    }
                }
            }
        }
    })
}

/// The request form (`{"fields": [...]}`).
pub fn form() -> Schema {
    schema(form_value())
}

fn audience_value() -> Value {
    json!({
        "type": "object",
        "description": "Who may request the item: `{\"type\": \"everyone\"}`, or `{\"type\": \"restricted\", \"teams\": [...], \"roles\": [...]}` naming at least one team or role.",
        "required": ["type"],
        "additionalProperties": false,
        "properties": {
            "type": {"type": "string", "enum": ["everyone", "restricted"]},
            "teams": {"type": "array", "maxItems": MAX_AUDIENCE_TEAMS, "uniqueItems": true, "items": uuid()},
            "roles": {"type": "array", "maxItems": MAX_AUDIENCE_ROLES, "uniqueItems": true,
                      "items": {"type": "string", "pattern": ROLE_NAME, "minLength": 1, "maxLength": MAX_ROLE_NAME_LEN}},
        }
    })
}

/// Who may request the item.
pub fn audience() -> Schema {
    schema(audience_value())
}

fn task_template_value() -> Value {
    json!({
        "type": ["object", "null"],
        "description": "The tasks an approved request opens, `ordered` (one after another) or `parallel`.",
        "required": ["mode", "tasks"],
        "additionalProperties": false,
        "properties": {
            "mode": {"type": "string", "enum": ["ordered", "parallel"]},
            "tasks": {"type": "array", "minItems": 1, "maxItems": MAX_TASKS, "items": {
                "type": "object",
                "required": ["title"],
                "additionalProperties": false,
                "properties": {
                    "title": {"type": "string", "pattern": LINE, "minLength": 1, "maxLength": Title::MAX},
                    "team_id": nullable_uuid(),
                    "assignee_id": nullable_uuid(),
                }
            }},
        }
    })
}

/// The fulfilment task template (or null).
pub fn task_template() -> Schema {
    schema(task_template_value())
}

fn approval_policy_value() -> Value {
    json!({
        "type": "object",
        "description": "Approval stages, run in order. Approvers: `{\"users\": [...]}`, `{\"team\": id}`, `\"requester_manager\"`, `\"item_owner\"`. Decision: `\"any\"`, `\"all\"`, `{\"at_least\": n}`, `{\"percent\": p}`.",
        "additionalProperties": false,
        "properties": {
            "stages": {"type": "array", "maxItems": MAX_STAGES, "items": {
                "type": "object",
                "required": ["name", "approvers", "decision", "due_hours", "on_timeout"],
                "additionalProperties": false,
                "properties": {
                    "name": {"type": "string", "pattern": NAME_LINE, "minLength": 1, "maxLength": MAX_STAGE_NAME},
                    "approvers": {"type": "array", "minItems": 1, "maxItems": MAX_RULES, "items": {},
                        "description": format!("approver rules; a users rule names 1 to {MAX_USERS_PER_RULE} users")},
                    "decision": {},
                    "due_hours": {"type": "integer", "minimum": 1, "maximum": MAX_DUE_HOURS},
                    "reminder_percent": {"type": "integer", "minimum": 0, "maximum": 99},
                    "on_timeout": {"type": "string", "enum": ["escalate_to_manager", "reject"]},
                }
            }}
        }
    })
}

/// The approval policy.
pub fn approval_policy() -> Schema {
    schema(approval_policy_value())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_literal_converts_without_loss() {
        for v in [
            form_value(),
            audience_value(),
            task_template_value(),
            approval_policy_value(),
        ] {
            assert_eq!(serde_json::to_value(schema(v.clone())).unwrap(), v);
        }
    }
}
