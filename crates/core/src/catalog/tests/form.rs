//! Form definitions: `FormDefinition::check`.

use super::*;

fn errors_of(form: &FormDefinition) -> Vec<FieldError> {
    form.check().unwrap_err()
}

fn select(values: &[&str]) -> FieldKind {
    FieldKind::SingleSelect {
        options: options(values),
    }
}

#[test]
fn an_empty_form_is_fine() {
    FormDefinition::default().check().unwrap();
}

#[test]
fn keys_are_slugs_and_unique() {
    let form = FormDefinition::new(vec![
        FieldDef::new("ok_1", "A", text(10)),
        FieldDef::new("Bad", "B", text(10)),
        FieldDef::new("", "C", text(10)),
        FieldDef::new(&"k".repeat(65), "D", text(10)),
        FieldDef::new("ok_1", "E", text(10)),
        FieldDef::new("with-dash", "F", text(10)),
        FieldDef::new(&"k".repeat(64), "G", text(10)),
    ]);
    let errors = errors_of(&form);
    assert_eq!(code_of(&errors, "form.fields[1].key"), "invalid");
    assert_eq!(code_of(&errors, "form.fields[2].key"), "required");
    assert_eq!(code_of(&errors, "form.fields[3].key"), "too_long");
    assert_eq!(code_of(&errors, "form.fields[4].key"), "duplicate");
    assert_eq!(code_of(&errors, "form.fields[5].key"), "invalid");
    assert_eq!(errors.len(), 5, "{errors:?}");
}

#[test]
fn labels_help_and_lengths() {
    let form = FormDefinition::new(vec![
        FieldDef::new("a", "  ", text(10)),
        FieldDef::new("b", &"l".repeat(201), text(10)),
        FieldDef::new("c", "C", text(10)).help(&"h".repeat(1001)),
        FieldDef::new("d", "D", text(0)),
        FieldDef::new("e", "E", text(MAX_TEXT_LEN + 1)),
        FieldDef::new(
            "f",
            "F",
            FieldKind::LongText {
                max_len: MAX_LONG_TEXT_LEN + 1,
            },
        ),
        FieldDef::new(
            "g",
            "G\u{1}",
            FieldKind::LongText {
                max_len: MAX_LONG_TEXT_LEN,
            },
        )
        .help("line one\nline two"),
    ]);
    let errors = errors_of(&form);
    assert_eq!(code_of(&errors, "form.fields[0].label"), "required");
    assert_eq!(code_of(&errors, "form.fields[1].label"), "too_long");
    assert_eq!(code_of(&errors, "form.fields[2].help"), "too_long");
    assert_eq!(code_of(&errors, "form.fields[3].max_len"), "out_of_range");
    assert_eq!(code_of(&errors, "form.fields[4].max_len"), "out_of_range");
    assert_eq!(code_of(&errors, "form.fields[5].max_len"), "out_of_range");
    assert_eq!(code_of(&errors, "form.fields[6].label"), "invalid");
    assert_eq!(errors.len(), 7, "{errors:?}");
}

#[test]
fn at_most_a_hundred_fields() {
    let many = |n: usize| {
        FormDefinition::new(
            (0..n)
                .map(|i| FieldDef::new(&format!("f{i}"), "F", text(5)))
                .collect(),
        )
    };
    many(MAX_FIELDS).check().unwrap();
    assert_eq!(
        code_of(&errors_of(&many(MAX_FIELDS + 1)), "form.fields"),
        "too_many"
    );
}

#[test]
fn number_bounds() {
    let n = |min, max| FieldKind::Number {
        min,
        max,
        integer: false,
    };
    let form = FormDefinition::new(vec![
        FieldDef::new("a", "A", n(Some(2.0), Some(1.0))),
        FieldDef::new("b", "B", n(Some(f64::NAN), None)),
        FieldDef::new("c", "C", n(None, Some(f64::INFINITY))),
        FieldDef::new("d", "D", n(Some(1.0), Some(1.0))),
    ]);
    let errors = errors_of(&form);
    assert_eq!(code_of(&errors, "form.fields[0].min"), "out_of_range");
    assert_eq!(code_of(&errors, "form.fields[1].min"), "invalid");
    assert_eq!(code_of(&errors, "form.fields[2].max"), "invalid");
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn select_options() {
    let too_many: Vec<String> = (0..=MAX_OPTIONS).map(|i| format!("o{i}")).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let form = FormDefinition::new(vec![
        FieldDef::new("a", "A", select(&[])),
        FieldDef::new(
            "b",
            "B",
            FieldKind::MultiSelect {
                options: options(&too_many),
            },
        ),
        FieldDef::new("c", "C", select(&["x", "y", "x"])),
        FieldDef::new("d", "D", select(&[" x"])),
        FieldDef::new("e", "E", select(&[""])),
        FieldDef::new(
            "f",
            "F",
            FieldKind::SingleSelect {
                options: vec![SelectOption::new("x", "")],
            },
        ),
        FieldDef::new("g", "G", select(&too_many[..MAX_OPTIONS])),
    ]);
    let errors = errors_of(&form);
    assert_eq!(code_of(&errors, "form.fields[0].options"), "required");
    assert_eq!(code_of(&errors, "form.fields[1].options"), "too_many");
    assert_eq!(
        code_of(&errors, "form.fields[2].options[2].value"),
        "duplicate"
    );
    assert_eq!(
        code_of(&errors, "form.fields[3].options[0].value"),
        "invalid"
    );
    assert_eq!(
        code_of(&errors, "form.fields[4].options[0].value"),
        "required"
    );
    assert_eq!(
        code_of(&errors, "form.fields[4].options[0].label"),
        "required"
    );
    assert_eq!(
        code_of(&errors, "form.fields[5].options[0].label"),
        "required"
    );
    assert_eq!(errors.len(), 7, "{errors:?}");
}

#[test]
fn conditions_look_only_back() {
    let form = FormDefinition::new(vec![
        FieldDef::new("a", "A", text(5)).visible_when(Condition::equals("b", "x")),
        FieldDef::new("b", "B", text(5)).visible_when(Condition::equals("b", "x")),
        FieldDef::new("c", "C", text(5)).visible_when(Condition::equals("nope", "x")),
        FieldDef::new("d", "D", text(5)).visible_when(Condition::equals("a", "x")),
    ]);
    let errors = errors_of(&form);
    assert_eq!(
        code_of(&errors, "form.fields[0].visible_when.field"),
        "not_earlier"
    );
    assert_eq!(
        code_of(&errors, "form.fields[1].visible_when.field"),
        "not_earlier",
        "itself"
    );
    assert_eq!(
        code_of(&errors, "form.fields[2].visible_when.field"),
        "unknown"
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn condition_values_fit_the_referenced_kind() {
    let form = FormDefinition::new(vec![
        FieldDef::new("sel", "S", select(&["a", "b"])),
        FieldDef::new(
            "multi",
            "M",
            FieldKind::MultiSelect {
                options: options(&["a", "b"]),
            },
        ),
        FieldDef::new("box", "B", FieldKind::Checkbox),
        FieldDef::new(
            "num",
            "N",
            FieldKind::Number {
                min: None,
                max: None,
                integer: true,
            },
        ),
        FieldDef::new("day", "D", FieldKind::Date),
        FieldDef::new("txt", "T", text(20)),
        // 6..: bad
        FieldDef::new("c6", "x", text(5)).visible_when(Condition::equals("sel", "c")),
        FieldDef::new("c7", "x", text(5)).visible_when(Condition::one_of("sel", ["a", "z"])),
        FieldDef::new("c8", "x", text(5)).visible_when(Condition::equals("box", "yes")),
        FieldDef::new("c9", "x", text(5)).visible_when(Condition::contains("multi", "c")),
        FieldDef::new("c10", "x", text(5)).visible_when(Condition::equals("multi", "a")),
        FieldDef::new("c11", "x", text(5)).visible_when(Condition::contains("sel", "a")),
        FieldDef::new("c12", "x", text(5)).visible_when(Condition::equals("num", 1.5)),
        FieldDef::new("c13", "x", text(5)).visible_when(Condition::equals("day", "tomorrow")),
        FieldDef::new("c14", "x", text(5))
            .visible_when(Condition::one_of("sel", Vec::<Value>::new())),
        FieldDef::new("c15", "x", text(5)).visible_when(Condition::contains("txt", " ")),
        FieldDef::new("c16", "x", text(5)).visible_when(Condition::one_of("multi", ["a"])),
        FieldDef::new("c17", "x", text(5)).visible_when(Condition::equals("sel", Value::Null)),
        // 18..: good
        FieldDef::new("c18", "x", text(5)).visible_when(Condition::one_of("sel", ["a", "b"])),
        FieldDef::new("c19", "x", text(5)).visible_when(Condition::equals("box", false)),
        FieldDef::new("c20", "x", text(5)).visible_when(Condition::contains("multi", "b")),
        FieldDef::new("c21", "x", text(5)).visible_when(Condition::equals("num", 3)),
        FieldDef::new("c22", "x", text(5)).visible_when(Condition::contains("txt", "gpu")),
        FieldDef::new("c23", "x", text(5)).visible_when(Condition::equals("day", "2026-01-31")),
    ]);
    let errors = errors_of(&form);
    let at = |i: usize, part: &str| format!("form.fields[{i}].visible_when.{part}");
    assert_eq!(code_of(&errors, &at(6, "value")), "not_an_option");
    assert_eq!(code_of(&errors, &at(7, "values[1]")), "not_an_option");
    assert_eq!(code_of(&errors, &at(8, "value")), "wrong_type");
    assert_eq!(code_of(&errors, &at(9, "value")), "not_an_option");
    assert_eq!(code_of(&errors, &at(10, "op")), "not_applicable");
    assert_eq!(code_of(&errors, &at(11, "op")), "not_applicable");
    assert_eq!(code_of(&errors, &at(12, "value")), "not_integer");
    assert_eq!(code_of(&errors, &at(13, "value")), "invalid");
    assert_eq!(code_of(&errors, &at(14, "values")), "out_of_range");
    assert_eq!(code_of(&errors, &at(15, "value")), "invalid");
    assert_eq!(code_of(&errors, &at(16, "op")), "not_applicable");
    assert_eq!(code_of(&errors, &at(17, "value")), "required");
    assert_eq!(errors.len(), 12, "{errors:?}");
}

#[test]
fn json_shape_of_every_kind() {
    let raw = json!({"fields": [
        {"key": "t", "label": "T", "type": "text"},
        {"key": "l", "label": "L", "type": "long_text", "max_len": 50, "help": "more"},
        {"key": "n", "label": "N", "type": "number", "min": 1, "integer": true, "required": true},
        {"key": "d", "label": "D", "type": "date"},
        {"key": "e", "label": "E", "type": "email"},
        {"key": "s", "label": "S", "type": "single_select", "options": [{"value": "a", "label": "A"}]},
        {"key": "m", "label": "M", "type": "multi_select", "options": [{"value": "a", "label": "A"}],
         "visible_when": {"field": "s", "op": {"one_of": ["a"]}}},
        {"key": "c", "label": "C", "type": "checkbox"},
        {"key": "u", "label": "U", "type": "user_ref"}
    ]});
    let form: FormDefinition = serde_json::from_value(raw).unwrap();
    form.check().unwrap();
    assert_eq!(
        form.fields[0].kind,
        FieldKind::Text { max_len: 200 },
        "default max_len"
    );
    assert_eq!(form.fields[1].kind, FieldKind::LongText { max_len: 50 });
    assert_eq!(
        form.fields[2].kind,
        FieldKind::Number {
            min: Some(1.0),
            max: None,
            integer: true
        }
    );
    assert!(form.fields[2].required && !form.fields[0].required);
    let names: Vec<&str> = form.fields.iter().map(|f| f.kind.name()).collect();
    assert_eq!(
        names,
        [
            "text",
            "long_text",
            "number",
            "date",
            "email",
            "single_select",
            "multi_select",
            "checkbox",
            "user_ref"
        ]
    );
    let back: FormDefinition =
        serde_json::from_value(serde_json::to_value(&form).unwrap()).unwrap();
    assert_eq!(back, form);
    assert!(
        serde_json::from_value::<FormDefinition>(
            json!({"fields": [{"key": "x", "label": "X", "type": "colour"}]})
        )
        .is_err()
    );
    assert!(serde_json::from_value::<FormDefinition>(json!({"fieldz": []})).is_err());
    let typo = json!({"fields": [{"key": "x", "label": "X", "type": "text", "requried": true}]});
    assert!(
        serde_json::from_value::<FormDefinition>(typo).is_err(),
        "unknown keys refused"
    );
    let misplaced = json!({"fields": [{"key": "x", "label": "X", "type": "date", "max_len": 5}]});
    assert!(
        serde_json::from_value::<FormDefinition>(misplaced).is_err(),
        "max_len is for text"
    );
}
