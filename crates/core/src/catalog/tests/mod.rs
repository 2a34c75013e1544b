//! Tests of the catalog: form definitions, answer validation (with the issue's "New
//! laptop" example), audiences, task templates, item input and the JSON shapes.

mod answers;
mod form;
mod item;
mod laptop;
mod service;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::error::FieldError;
use crate::ids::UserId;

/// Every field name of the errors, sorted.
fn fields(errors: &[FieldError]) -> BTreeSet<String> {
    errors.iter().map(|e| e.field.clone()).collect()
}

/// The code of the error naming `field`; panics when there is none or several.
fn code_of(errors: &[FieldError], field: &str) -> &'static str {
    let hits: Vec<&FieldError> = errors.iter().filter(|e| e.field == field).collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one error for {field}, got {errors:?}"
    );
    hits[0].code
}

fn answers(v: Value) -> Answers {
    serde_json::from_value(v).unwrap()
}

fn anyone(_: UserId) -> bool {
    true
}

fn options(values: &[&str]) -> Vec<SelectOption> {
    values
        .iter()
        .map(|v| SelectOption::new(v, &v.to_uppercase()))
        .collect()
}

fn text(max_len: u32) -> FieldKind {
    FieldKind::Text { max_len }
}
