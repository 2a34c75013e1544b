//! Answer validation: every kind with good and bad values, visibility, modes.

use super::*;

/// A one-field form of `kind`.
fn single(kind: FieldKind) -> FormDefinition {
    let form = FormDefinition::new(vec![FieldDef::new("f", "F", kind)]);
    form.check().unwrap();
    form
}

/// The clean value of answering `raw` to a one-field form of `kind`, or the error code.
fn answer(kind: FieldKind, raw: Value) -> Result<Option<Value>, &'static str> {
    answer_with(kind, raw, &anyone)
}

fn answer_with(
    kind: FieldKind,
    raw: Value,
    users: &dyn Fn(UserId) -> bool,
) -> Result<Option<Value>, &'static str> {
    let form = single(kind);
    match form.validate(&answers(json!({ "f": raw })), ValidationMode::Draft, users) {
        Ok(clean) => Ok(clean.get("f").cloned()),
        Err(errors) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].field, "answers.f");
            Err(errors[0].code)
        }
    }
}

#[test]
fn text() {
    let k = || super::text(5);
    assert_eq!(answer(k(), json!("  abc ")), Ok(Some(json!("abc"))));
    assert_eq!(
        answer(k(), json!("héllo")),
        Ok(Some(json!("héllo"))),
        "counts characters"
    );
    assert_eq!(answer(k(), json!("abcdef")), Err("too_long"));
    assert_eq!(answer(k(), json!("a\nb")), Err("invalid"), "one line");
    assert_eq!(answer(k(), json!("a\u{7}")), Err("invalid"));
    assert_eq!(answer(k(), json!(12)), Err("wrong_type"));
    assert_eq!(answer(k(), json!("   ")), Ok(None), "blank is empty");
    assert_eq!(answer(k(), Value::Null), Ok(None));
}

#[test]
fn long_text() {
    let k = || FieldKind::LongText { max_len: 10 };
    assert_eq!(answer(k(), json!("a\nb\tc")), Ok(Some(json!("a\nb\tc"))));
    assert_eq!(answer(k(), json!("a\u{0}b")), Err("invalid"));
    assert_eq!(answer(k(), json!("x".repeat(11))), Err("too_long"));
    assert_eq!(answer(k(), json!(["x"])), Err("wrong_type"));
}

#[test]
fn number() {
    let k = |min, max, integer| FieldKind::Number { min, max, integer };
    assert_eq!(
        answer(k(None, None, false), json!(2.5)),
        Ok(Some(json!(2.5)))
    );
    assert_eq!(answer(k(None, None, false), json!(-7)), Ok(Some(json!(-7))));
    assert_eq!(answer(k(None, None, true), json!(2.5)), Err("not_integer"));
    assert_eq!(
        answer(k(None, None, true), json!(3.0)),
        Ok(Some(json!(3.0)))
    );
    assert_eq!(
        answer(k(Some(1.0), Some(3.0), true), json!(1)),
        Ok(Some(json!(1)))
    );
    assert_eq!(
        answer(k(Some(1.0), Some(3.0), true), json!(3)),
        Ok(Some(json!(3)))
    );
    assert_eq!(
        answer(k(Some(1.0), Some(3.0), true), json!(0)),
        Err("out_of_range")
    );
    assert_eq!(
        answer(k(Some(1.0), Some(3.0), true), json!(4)),
        Err("out_of_range")
    );
    assert_eq!(
        answer(k(Some(0.5), None, false), json!(0.4)),
        Err("out_of_range")
    );
    assert_eq!(
        answer(k(None, Some(0.5), false), json!(0.6)),
        Err("out_of_range")
    );
    assert_eq!(
        answer(k(None, None, false), json!("12")),
        Err("wrong_type"),
        "no strings"
    );
    assert_eq!(answer(k(None, None, false), json!(true)), Err("wrong_type"));
}

#[test]
fn date() {
    let k = || FieldKind::Date;
    assert_eq!(
        answer(k(), json!("2026-02-28")),
        Ok(Some(json!("2026-02-28")))
    );
    assert_eq!(
        answer(k(), json!(" 2028-02-29 ")),
        Ok(Some(json!("2028-02-29")))
    );
    assert_eq!(
        answer(k(), json!("2026-02-29")),
        Err("invalid"),
        "not a leap year"
    );
    assert_eq!(answer(k(), json!("2026-2-3")), Err("invalid"));
    assert_eq!(answer(k(), json!("12026-01-01")), Err("invalid"));
    assert_eq!(answer(k(), json!("2026-01-01T00:00:00Z")), Err("invalid"));
    assert_eq!(answer(k(), json!(20260101)), Err("wrong_type"));
}

#[test]
fn email() {
    let k = || FieldKind::Email;
    assert_eq!(
        answer(k(), json!(" Ann@Example.ORG ")),
        Ok(Some(json!("ann@example.org")))
    );
    for bad in [
        "ann",
        "ann@example",
        "@example.org",
        "a b@example.org",
        "ann@.org",
        "ann@example.",
    ] {
        assert_eq!(answer(k(), json!(bad)), Err("invalid"), "{bad}");
    }
    assert_eq!(answer(k(), json!(1)), Err("wrong_type"));
}

#[test]
fn single_select() {
    let k = || FieldKind::SingleSelect {
        options: options(&["a", "b"]),
    };
    assert_eq!(answer(k(), json!("b")), Ok(Some(json!("b"))));
    assert_eq!(
        answer(k(), json!("B")),
        Err("not_an_option"),
        "values are exact"
    );
    assert_eq!(answer(k(), json!("c")), Err("not_an_option"));
    assert_eq!(answer(k(), json!(["a"])), Err("wrong_type"));
}

#[test]
fn multi_select() {
    let k = || FieldKind::MultiSelect {
        options: options(&["a", "b", "c"]),
    };
    assert_eq!(
        answer(k(), json!(["c", "a"])),
        Ok(Some(json!(["c", "a"]))),
        "order kept"
    );
    assert_eq!(answer(k(), json!([])), Ok(None), "empty list is empty");
    assert_eq!(answer(k(), json!(["a", "a"])), Err("duplicate"));
    assert_eq!(answer(k(), json!(["a", "d"])), Err("not_an_option"));
    assert_eq!(answer(k(), json!("a")), Err("wrong_type"));
    assert_eq!(answer(k(), json!([1])), Err("wrong_type"));
}

#[test]
fn checkbox() {
    let k = || FieldKind::Checkbox;
    assert_eq!(answer(k(), json!(true)), Ok(Some(json!(true))));
    assert_eq!(answer(k(), json!(false)), Ok(Some(json!(false))));
    assert_eq!(answer(k(), json!("true")), Err("wrong_type"));
    assert_eq!(answer(k(), json!(1)), Err("wrong_type"));
}

#[test]
fn user_ref() {
    let known = UserId(uuid::Uuid::from_u128(7));
    let only_known = move |u: UserId| u == known;
    let k = || FieldKind::UserRef;
    assert_eq!(
        answer_with(k(), json!(known.to_string().to_uppercase()), &only_known),
        Ok(Some(json!(known.to_string()))),
        "canonical lower-case hyphenated"
    );
    assert_eq!(
        answer_with(
            k(),
            json!(uuid::Uuid::from_u128(8).to_string()),
            &only_known
        ),
        Err("unknown_user")
    );
    assert_eq!(answer_with(k(), json!("bob"), &only_known), Err("invalid"));
    assert_eq!(answer_with(k(), json!(7), &only_known), Err("wrong_type"));
}

#[test]
fn unknown_keys_are_refused_in_both_modes() {
    let form = single(super::text(10));
    for mode in [ValidationMode::Draft, ValidationMode::Submit] {
        let errors = form
            .validate(&answers(json!({"f": "x", "g": "y"})), mode, &anyone)
            .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(code_of(&errors, "answers.g"), "unknown");
    }
}

/// a (select) → b shown when a = yes → c shown when b contains "gpu" → d shown when c is
/// ticked; e shown when a is one of (yes, maybe); f shown when tags contain x.
fn chain() -> FormDefinition {
    let form = FormDefinition::new(vec![
        FieldDef::new(
            "a",
            "A",
            FieldKind::SingleSelect {
                options: options(&["yes", "no", "maybe"]),
            },
        ),
        FieldDef::new("b", "B", super::text(50)).visible_when(Condition::equals("a", "yes")),
        FieldDef::new("c", "C", FieldKind::Checkbox).visible_when(Condition::contains("b", "GPU")),
        FieldDef::new("d", "D", super::text(50))
            .required()
            .visible_when(Condition::equals("c", true)),
        FieldDef::new(
            "e",
            "E",
            FieldKind::Number {
                min: None,
                max: None,
                integer: true,
            },
        )
        .visible_when(Condition::one_of("a", ["yes", "maybe"])),
        FieldDef::new(
            "tags",
            "Tags",
            FieldKind::MultiSelect {
                options: options(&["x", "y"]),
            },
        ),
        FieldDef::new("f", "F", super::text(50)).visible_when(Condition::contains("tags", "x")),
    ]);
    form.check().unwrap();
    form
}

fn visible_keys(raw: Value) -> BTreeSet<String> {
    chain()
        .validate(&answers(raw), ValidationMode::Draft, &anyone)
        .unwrap()
        .into_map()
        .into_keys()
        .collect()
}

fn keys(k: &[&str]) -> BTreeSet<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn visibility_follows_the_chain() {
    let all = json!({
        "a": "yes", "b": "needs a gpu", "c": true, "d": "x", "e": 2, "tags": ["y", "x"], "f": "z"
    });
    assert_eq!(
        visible_keys(all),
        keys(&["a", "b", "c", "d", "e", "tags", "f"])
    );
    // a = no hides b, and so c and d down the chain (their answers discarded); e too.
    let hidden = json!({
        "a": "no", "b": "needs a gpu", "c": true, "d": "x", "e": 2, "tags": ["y"], "f": "z"
    });
    assert_eq!(visible_keys(hidden), keys(&["a", "tags"]));
    // contains on text is case-insensitive; not containing hides c and so d.
    let no_gpu = json!({"a": "yes", "b": "a laptop", "c": true, "d": "x"});
    assert_eq!(visible_keys(no_gpu), keys(&["a", "b"]));
    // an unticked c hides d.
    let unticked = json!({"a": "yes", "b": "GPU", "c": false, "d": "x"});
    assert_eq!(visible_keys(unticked), keys(&["a", "b", "c"]));
    // one_of: maybe shows e but not b.
    let maybe = json!({"a": "maybe", "b": "gpu", "e": 1});
    assert_eq!(visible_keys(maybe), keys(&["a", "e"]));
    // an unanswered condition field hides what depends on it.
    assert_eq!(
        visible_keys(json!({"b": "gpu", "e": 1, "f": "z"})),
        keys(&[])
    );
}

#[test]
fn hidden_answers_are_discarded_unchecked() {
    // b is hidden, so its wrongly typed answer is no error.
    let clean = chain()
        .validate(
            &answers(json!({"a": "no", "b": 42, "d": []})),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap();
    assert_eq!(
        clean.into_map().into_keys().collect::<BTreeSet<_>>(),
        keys(&["a"])
    );
}

#[test]
fn an_invalid_condition_answer_hides_its_dependants() {
    let errors = chain()
        .validate(
            &answers(json!({"a": "yes", "b": 42, "c": "wrong"})),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap_err();
    assert_eq!(
        fields(&errors),
        keys(&["answers.b"]),
        "c is hidden, not reported"
    );
}

#[test]
fn required_only_when_visible_and_only_on_submit() {
    let form = chain();
    let shown = json!({"a": "yes", "b": "gpu", "c": true});
    let errors = form
        .validate(&answers(shown.clone()), ValidationMode::Submit, &anyone)
        .unwrap_err();
    assert_eq!(code_of(&errors, "answers.d"), "required");
    assert_eq!(errors.len(), 1);
    form.validate(&answers(shown), ValidationMode::Draft, &anyone)
        .unwrap();
    // d hidden: not required.
    form.validate(
        &answers(json!({"a": "no"})),
        ValidationMode::Submit,
        &anyone,
    )
    .unwrap();
}

#[test]
fn empty_answers_of_every_kind_count_as_missing_on_submit() {
    let kinds = [
        (super::text(5), json!("  ")),
        (FieldKind::LongText { max_len: 5 }, json!("\n")),
        (
            FieldKind::Number {
                min: None,
                max: None,
                integer: false,
            },
            Value::Null,
        ),
        (FieldKind::Date, json!("")),
        (FieldKind::Email, json!(" ")),
        (
            FieldKind::SingleSelect {
                options: options(&["a"]),
            },
            json!(""),
        ),
        (
            FieldKind::MultiSelect {
                options: options(&["a"]),
            },
            json!([]),
        ),
        (FieldKind::Checkbox, json!(false)),
        (FieldKind::UserRef, json!("")),
    ];
    for (kind, empty) in kinds {
        let name = kind.name();
        let mut field = FieldDef::new("f", "F", kind);
        field.required = true;
        let form = FormDefinition::new(vec![field]);
        form.check().unwrap();
        for raw in [answers(json!({ "f": empty })), answers(json!({}))] {
            let errors = form
                .validate(&raw, ValidationMode::Submit, &anyone)
                .unwrap_err();
            assert_eq!(code_of(&errors, "answers.f"), "required", "{name}");
            assert!(
                form.validate(&raw, ValidationMode::Draft, &anyone).is_ok(),
                "{name}"
            );
        }
    }
}

#[test]
fn conditions_compare_canonical_values() {
    let form = FormDefinition::new(vec![
        FieldDef::new(
            "n",
            "N",
            FieldKind::Number {
                min: None,
                max: None,
                integer: false,
            },
        ),
        FieldDef::new("m", "M", FieldKind::Email),
        FieldDef::new("when", "When", FieldKind::Date),
        FieldDef::new("by_n", "by n", super::text(5)).visible_when(Condition::equals("n", 1.0)),
        FieldDef::new("by_m", "by m", super::text(5))
            .visible_when(Condition::equals("m", "Boss@Example.org")),
        FieldDef::new("by_when", "by when", super::text(5))
            .visible_when(Condition::one_of("when", ["2026-01-01", "2026-12-31"])),
    ]);
    form.check().unwrap();
    let clean = form
        .validate(
            &answers(json!({
                "n": 1, "m": "boss@example.ORG", "when": "2026-12-31",
                "by_n": "x", "by_m": "y", "by_when": "z"
            })),
            ValidationMode::Submit,
            &anyone,
        )
        .unwrap();
    assert_eq!(
        clean.len(),
        6,
        "1 equals 1.0; e-mail compares case-insensitively"
    );
}
