//! The example: item "New laptop".

use super::*;

fn laptop_form() -> FormDefinition {
    FormDefinition::new(vec![
        FieldDef::new(
            "model",
            "Model",
            FieldKind::SingleSelect {
                options: vec![
                    SelectOption::new("standard", "Standard"),
                    SelectOption::new("developer", "Developer"),
                    SelectOption::new("workstation", "Workstation"),
                ],
            },
        )
        .required(),
        FieldDef::new(
            "justification",
            "Why do you need a workstation?",
            FieldKind::LongText { max_len: 4000 },
        )
        .required()
        .visible_when(Condition::equals("model", "workstation")),
        FieldDef::new("needed_by", "Needed by", FieldKind::Date).required(),
    ])
}

#[test]
fn the_form_is_valid_and_round_trips_through_json() {
    let form = laptop_form();
    form.check().unwrap();
    let stored = serde_json::to_string(&form).unwrap();
    let back: FormDefinition = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, form);
    let as_json: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(as_json["fields"][0]["type"], "single_select");
    assert_eq!(
        as_json["fields"][1]["visible_when"],
        json!({"field": "model", "op": {"equals": "workstation"}})
    );
}

#[test]
fn submitting_without_a_required_field_names_it() {
    let errors = laptop_form()
        .validate(
            &answers(json!({"model": "standard"})),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(code_of(&errors, "answers.needed_by"), "required");
}

#[test]
fn a_standard_laptop_needs_no_justification_and_drops_a_stale_one() {
    let clean = laptop_form()
        .validate(
            &answers(json!({
                "model": "standard",
                "justification": "left over from when I picked workstation",
                "needed_by": "2026-12-24",
            })),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap();
    assert_eq!(clean.get("justification"), None, "hidden answer discarded");
    assert_eq!(clean.get("model"), Some(&json!("standard")));
    assert_eq!(clean.get("needed_by"), Some(&json!("2026-12-24")));
    assert_eq!(clean.len(), 2);
}

#[test]
fn a_workstation_requires_a_justification() {
    let form = laptop_form();
    let errors = form
        .validate(
            &answers(json!({"model": "workstation", "needed_by": "2026-12-24"})),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap_err();
    assert_eq!(
        fields(&errors),
        BTreeSet::from(["answers.justification".to_owned()])
    );
    assert_eq!(code_of(&errors, "answers.justification"), "required");

    let blank = form
        .validate(
            &answers(json!({"model": "workstation", "justification": "  \n ", "needed_by": "2026-12-24"})),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap_err();
    assert_eq!(code_of(&blank, "answers.justification"), "required");

    let clean = form
        .validate(
            &answers(json!({
                "model": "workstation",
                "justification": "  CAD work\nand rendering  ",
                "needed_by": "2026-12-24",
            })),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap();
    assert_eq!(
        clean.get("justification"),
        Some(&json!("CAD work\nand rendering"))
    );
}

#[test]
fn a_draft_may_be_incomplete_but_not_wrong() {
    let form = laptop_form();
    let clean = form
        .validate(&answers(json!({})), ValidationMode::Draft, &anyone)
        .unwrap();
    assert!(clean.is_empty());
    let clean = form
        .validate(
            &answers(json!({"model": "workstation"})),
            ValidationMode::Draft,
            &anyone,
        )
        .unwrap();
    assert_eq!(clean.len(), 1);
    let errors = form
        .validate(
            &answers(json!({"model": "gaming", "needed_by": "24.12.2026"})),
            ValidationMode::Draft,
            &anyone,
        )
        .unwrap_err();
    assert_eq!(code_of(&errors, "answers.model"), "not_an_option");
    assert_eq!(code_of(&errors, "answers.needed_by"), "invalid");
    assert_eq!(errors.len(), 2);
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let errors = laptop_form()
        .validate(
            &answers(json!({"model": 3, "needed_by": "2026-02-30", "colour": "red"})),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap_err();
    assert_eq!(
        fields(&errors),
        BTreeSet::from([
            "answers.model".to_owned(),
            "answers.needed_by".to_owned(),
            "answers.colour".to_owned(),
        ])
    );
    assert_eq!(code_of(&errors, "answers.model"), "wrong_type");
    assert_eq!(code_of(&errors, "answers.needed_by"), "invalid");
    assert_eq!(code_of(&errors, "answers.colour"), "unknown");
}
