//! The service catalog for requesters: the items they may request, and each item's form
//! rendered from its field definitions. A conditional field carries its condition as data
//! attributes: the script shows and hides it as answers change; without the script every
//! field is shown with its condition in words, and the server (which discards answers to
//! hidden fields and checks the rest) is the judge either way.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde_json::Value as Json;
use servicedesk_core::Error as CoreError;
use servicedesk_core::catalog::{CatalogItem, CatalogItemId, FieldKind};
use servicedesk_core::requests::SubmitRequest;

use super::{block, page, see_other, with_status};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(catalog).service(item_form).service(submit);
}

#[get("/catalog")]
async fn catalog(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let (items, categories) = block(move || {
        let items = c.catalog.items(&actor)?;
        let categories = c.catalog.categories(&actor)?;
        Ok((items, categories))
    })
    .await??;
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for item in items.iter().filter(|i| i.active) {
        let category = categories
            .iter()
            .find(|c| c.id == item.category_id)
            .map_or_else(|| "Other".to_owned(), |c| c.name.clone());
        groups.entry(category).or_default().push(context! {
            id => item.id.to_string(),
            name => item.name.clone(),
            description => item.description.clone(),
        });
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, items)| context! { name, items })
        .collect();
    page(
        &console,
        &s,
        "catalog.html",
        "catalog",
        "Request something",
        context! { groups },
    )
}

/// A condition in words, for the page without the script ("only when Model is
/// Workstation").
fn condition_text(item: &CatalogItem, when: &Json) -> Option<String> {
    let field = when.get("field")?.as_str()?;
    let label = item
        .form
        .field(field)
        .map_or_else(|| field.to_owned(), |f| f.label.clone());
    let shown = |v: &Json| -> String {
        let raw = v.as_str().map_or_else(|| v.to_string(), ToOwned::to_owned);
        item.form
            .field(field)
            .and_then(|f| f.kind.options().iter().find(|o| o.value == raw))
            .map_or(raw, |o| o.label.clone())
    };
    let op = when.get("op")?;
    if let Some(v) = op.get("equals") {
        Some(format!("only when {label} is {}", shown(v)))
    } else if let Some(vs) = op.get("one_of").and_then(Json::as_array) {
        Some(format!(
            "only when {label} is {}",
            vs.iter().map(shown).collect::<Vec<_>>().join(" or ")
        ))
    } else {
        op.get("contains")
            .map(|v| format!("only when {label} includes {}", shown(v)))
    }
}

fn form_page(
    console: &Console,
    s: &SignedIn,
    item: &CatalogItem,
    values: &BTreeMap<String, Json>,
    errors: Errors,
) -> Result<HttpResponse, WebError> {
    let fields: Vec<Value> = item
        .form
        .fields
        .iter()
        .map(|f| {
            let def = serde_json::to_value(f).unwrap_or_default();
            let when = def.get("visible_when").cloned();
            context! {
                key => f.key.clone(),
                label => f.label.clone(),
                help => f.help.clone(),
                required => f.required,
                kind => f.kind.name(),
                options => f.kind.options().iter().map(|o| context! { value => o.value.clone(), label => o.label.clone() }).collect::<Vec<_>>(),
                value => ser(values.get(&f.key).cloned()),
                condition => when.as_ref().map(|w| w.to_string()),
                condition_text => when.as_ref().and_then(|w| condition_text(item, w)),
                max => match &f.kind { FieldKind::Number { max, .. } => *max, _ => None },
                min => match &f.kind { FieldKind::Number { min, .. } => *min, _ => None },
            }
        })
        .collect();
    let status = if errors.is_empty() { 200 } else { 422 };
    Ok(with_status(
        page(
            console,
            s,
            "request_form.html",
            "catalog",
            &item.name,
            context! {
                item => context! { id => item.id.to_string(), name => item.name.clone(), description => item.description.clone() },
                fields,
                errors => ser(errors.0),
            },
        )?,
        status,
    ))
}

fn item_id(raw: &str) -> Result<CatalogItemId, WebError> {
    raw.parse()
        .map(CatalogItemId)
        .map_err(|_| WebError::NotFound)
}

#[get("/catalog/{id}")]
async fn item_form(
    console: web::Data<Console>,
    s: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = item_id(&id)?;
    let c = console.clone();
    let actor = s.actor.clone();
    let item = block(move || c.catalog.item(&actor, id)).await??;
    form_page(&console, &s, &item, &BTreeMap::new(), Errors::default())
}

/// The answers of a submitted form, typed by the item's field definitions: numbers as
/// numbers, a multi-select as the list of its choices, a checkbox as true or false. Empty
/// inputs are left out (the use case decides what is required).
fn answers(item: &CatalogItem, f: &Fields) -> BTreeMap<String, Json> {
    let mut out = BTreeMap::new();
    for field in &item.form.fields {
        let key = &field.key;
        let value = match &field.kind {
            FieldKind::MultiSelect { .. } => {
                let all = f.all(key);
                (!all.is_empty()).then(|| Json::from(all))
            }
            FieldKind::Checkbox => Some(Json::Bool(matches!(f.get(key), Some("on" | "true")))),
            FieldKind::Number { .. } => {
                let t = f.text(key);
                (!t.is_empty()).then(|| {
                    t.parse::<f64>()
                        .ok()
                        .and_then(|n| serde_json::Number::from_f64(n).map(Json::Number))
                        // Not a number: sent as typed, so the form says what is wrong.
                        .unwrap_or(Json::String(t))
                })
            }
            _ => {
                let t = f.text(key);
                (!t.is_empty()).then_some(Json::String(t))
            }
        };
        if let Some(v) = value {
            out.insert(key.clone(), v);
        }
    }
    out
}

#[post("/catalog/{id}")]
async fn submit(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let id = item_id(&id)?;
    let c = console.clone();
    let actor = s.actor.clone();
    let item = block(move || c.catalog.item(&actor, id)).await??;
    let given = answers(&item, &f);
    let input = SubmitRequest {
        item_id: id,
        answers: given.clone(),
        requested_for: None,
        draft: false,
        title: None,
        impact: None,
        urgency: None,
    };
    let key = f.get("nonce").map(|n| format!("console-{n}"));
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.requests.submit(&actor, input, key.as_deref())).await? {
        Ok(out) => Ok(see_other(&format!(
            "/tickets/{}",
            out.value.request.reference()
        ))),
        Err(CoreError::Invalid(errors)) => {
            // `answers.model` → `model`, so each message sits next to its field.
            let errors: Vec<_> = errors
                .into_iter()
                .map(|mut e| {
                    if let Some(k) = e.field.strip_prefix("answers.") {
                        e.field = k.to_owned();
                    }
                    e
                })
                .collect();
            form_page(&console, &s, &item, &given, Errors::of(&errors))
        }
        Err(e) => Err(e.into()),
    }
}
