//! The service catalog's editor (CAT-1, CAT-2, REQ-2): categories, and each item with its
//! request form built question by question (type, options, required, shown only when
//! another answer is given), its approval stages and its fulfilment tasks. Without a script
//! the form has blank rows to fill and "Add a question" re-renders it with one more (nothing
//! is saved until "Save item"). Every write is the `Catalog` use case of
//! `POST/PUT /catalog-items`, with the version the page showed.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Serialize;
use serde_json::Value as Json;
use servicedesk_core::Error as CoreError;
use servicedesk_core::approvals::{
    ApprovalPolicy, ApproverRule, DecisionRule, StageDef, TimeoutAction,
};
use servicedesk_core::catalog::{
    Audience, CatalogItem, CatalogItemInput, CategoryInput, Condition, ConditionOp, FieldDef,
    FieldKind, FormDefinition, SelectOption, TaskMode, TaskTemplate, TaskTemplateEntry,
    edits_catalog,
};
use servicedesk_core::ids::{CatalogCategoryId, CatalogItemId, TeamId};

use super::{NoticeQuery, admin_page, notice_text, path_id};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::pages::{block, see_other, with_status};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(index)
        .service(create_category)
        .service(new_item)
        .service(create_item)
        .service(item)
        .service(update_item);
}

/// The question types offered, with their names in words.
const KINDS: [(&str, &str); 9] = [
    ("text", "Short text"),
    ("long_text", "Long text"),
    ("number", "Number"),
    ("date", "Date"),
    ("email", "E-mail address"),
    ("single_select", "Choose one"),
    ("multi_select", "Choose several"),
    ("checkbox", "Yes / no"),
    ("user_ref", "A person"),
];

/// Most questions one form may have (the use case's limit: the page never drops one).
const MAX_ROWS: usize = servicedesk_core::catalog::MAX_FIELDS;
/// Approval stages offered.
const STAGE_ROWS: usize = 3;

/// One question as the builder shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
struct FieldRow {
    key: String,
    label: String,
    kind: String,
    required: bool,
    /// One option per line: `value = label`, or a label alone.
    options: String,
    /// Shown only when the answer to this key…
    when_field: String,
    /// …equals this.
    when_value: String,
    help: String,
    /// Its "shown when" is more than "equals one value" (set through the API): the
    /// condition is kept as stored.
    condition_kept: bool,
    error: Option<String>,
}

/// One approval stage as the builder shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
struct StageRow {
    name: String,
    /// `requester_manager`, `item_owner` or `team:<id>`.
    approver: String,
    /// `any` or `all`.
    decision: String,
    due_hours: String,
    /// A stage the page cannot show (named people, several approvers, a count or share of
    /// approvals): kept as it is on save.
    kept: bool,
    error: Option<String>,
}

/// The item's own fields.
#[derive(Debug, Clone, Default, Serialize)]
struct ItemForm {
    category_id: String,
    name: String,
    description: String,
    fulfilment_team_id: String,
    active: bool,
    /// Empty (and no roles): everyone may request it.
    audience_teams: Vec<String>,
    /// Roles of the audience (set through the API; shown, kept).
    audience_roles: Vec<String>,
    /// One task title per line.
    tasks: String,
    ordered: bool,
    version: i64,
}

fn field_row(def: &FieldDef) -> FieldRow {
    let options = def
        .kind
        .options()
        .iter()
        .map(|o| {
            if o.value == slug(&o.label) {
                o.label.clone()
            } else {
                format!("{} = {}", o.value, o.label)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // "Equals one text, yes or no" is what the row can show; anything else is kept.
    let shown = def.visible_when.as_ref().map(|c| match &c.op {
        ConditionOp::Equals(Json::String(v)) => Some((c.field.clone(), v.clone())),
        ConditionOp::Equals(Json::Bool(b)) => {
            Some((c.field.clone(), if *b { "yes" } else { "no" }.to_owned()))
        }
        _ => None,
    });
    let condition_kept = matches!(shown, Some(None));
    let (when_field, when_value) = shown.flatten().unwrap_or_default();
    FieldRow {
        key: def.key.clone(),
        label: def.label.clone(),
        kind: def.kind.name().to_owned(),
        required: def.required,
        options,
        when_field,
        when_value,
        help: def.help.clone().unwrap_or_default(),
        condition_kept,
        error: None,
    }
}

/// A value from a label: lower case, words joined by `_`.
fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// A question row as the use case wants it; `Ok(None)` for a blank row.
fn field_def(row: &FieldRow) -> Result<Option<FieldDef>, String> {
    if row.key.is_empty() && row.label.is_empty() {
        return Ok(None);
    }
    let options = || -> Vec<SelectOption> {
        row.options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once('=') {
                Some((v, label)) => SelectOption::new(v.trim(), label.trim()),
                None => SelectOption::new(&slug(l), l),
            })
            .collect()
    };
    let kind = match row.kind.as_str() {
        "text" => FieldKind::Text { max_len: 200 },
        "long_text" => FieldKind::LongText { max_len: 4000 },
        "number" => FieldKind::Number {
            min: None,
            max: None,
            integer: false,
        },
        "date" => FieldKind::Date,
        "email" => FieldKind::Email,
        "single_select" => FieldKind::SingleSelect { options: options() },
        "multi_select" => FieldKind::MultiSelect { options: options() },
        "checkbox" => FieldKind::Checkbox,
        "user_ref" => FieldKind::UserRef,
        _ => return Err("choose the kind of answer".into()),
    };
    let mut def = FieldDef::new(&row.key, &row.label, kind);
    if row.required {
        def = def.required();
    }
    if !row.help.is_empty() {
        def = def.help(&row.help);
    }
    if !row.when_field.is_empty() {
        let value = match row.when_value.as_str() {
            "yes" | "true" => Json::Bool(true),
            "no" | "false" => Json::Bool(false),
            v => Json::String(v.to_owned()),
        };
        def = def.visible_when(Condition::equals(&row.when_field, value));
    }
    Ok(Some(def))
}

fn fields_posted(f: &Fields) -> Vec<FieldRow> {
    let count = f
        .text("field_rows")
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_ROWS);
    (0..count)
        .map(|i| {
            let v = |part: &str| f.text(&format!("q{i}_{part}"));
            FieldRow {
                key: v("key"),
                label: v("label"),
                kind: v("kind"),
                required: f.get(&format!("q{i}_required")).is_some(),
                options: v("options"),
                when_field: v("when_field"),
                when_value: v("when_value"),
                help: v("help"),
                condition_kept: f.get(&format!("q{i}_condition_kept")).is_some(),
                error: None,
            }
        })
        .collect()
}

fn stages_posted(f: &Fields) -> Vec<StageRow> {
    let count = f
        .text("stage_rows")
        .parse::<usize>()
        .unwrap_or(STAGE_ROWS)
        .min(MAX_ROWS);
    (0..count)
        .map(|i| {
            let v = |part: &str| f.text(&format!("s{i}_{part}"));
            StageRow {
                name: v("name"),
                approver: v("approver"),
                decision: v("decision"),
                due_hours: v("due_hours"),
                kept: f.get(&format!("s{i}_kept")).is_some(),
                error: None,
            }
        })
        .collect()
}

fn stage_row(s: &StageDef) -> StageRow {
    let approver = match s.approvers.as_slice() {
        [ApproverRule::RequesterManager] => Some("requester_manager".to_owned()),
        [ApproverRule::ItemOwner] => Some("item_owner".to_owned()),
        [ApproverRule::Team(t)] => Some(format!("team:{t}")),
        _ => None,
    };
    let simple = matches!(s.decision, DecisionRule::Any | DecisionRule::All);
    StageRow {
        name: s.name.clone(),
        kept: approver.is_none() || !simple,
        approver: approver.unwrap_or_default(),
        decision: if s.decision == DecisionRule::All {
            "all"
        } else {
            "any"
        }
        .to_owned(),
        due_hours: s.due_hours.to_string(),
        error: None,
    }
}

/// A stage row as the use case wants it; `Ok(None)` for a blank row.
fn stage_def(row: &StageRow) -> Result<Option<StageDef>, String> {
    if row.name.is_empty() && row.approver.is_empty() {
        return Ok(None);
    }
    let approver = match row.approver.as_str() {
        "requester_manager" => ApproverRule::RequesterManager,
        "item_owner" => ApproverRule::ItemOwner,
        t => match t
            .strip_prefix("team:")
            .and_then(|id| id.parse::<uuid::Uuid>().ok())
        {
            Some(id) => ApproverRule::Team(TeamId(id)),
            None => return Err("choose who approves".into()),
        },
    };
    let due_hours = row
        .due_hours
        .parse::<u32>()
        .map_err(|_| "the hours to decide must be a whole number".to_owned())?;
    Ok(Some(StageDef {
        name: row.name.clone(),
        approvers: vec![approver],
        decision: if row.decision == "all" {
            DecisionRule::All
        } else {
            DecisionRule::Any
        },
        due_hours,
        reminder_percent: 50,
        on_timeout: TimeoutAction::Reject,
    }))
}

fn item_form_posted(f: &Fields) -> ItemForm {
    ItemForm {
        category_id: f.text("category_id"),
        name: f.text("name"),
        description: f.text("description"),
        fulfilment_team_id: f.text("fulfilment_team_id"),
        active: f.get("active").is_some(),
        audience_teams: f.all("audience_teams"),
        audience_roles: Vec::new(),
        tasks: f.text("tasks"),
        ordered: f.get("ordered").is_some(),
        version: f.text("version").parse().unwrap_or(0),
    }
}

fn item_form_of(i: &CatalogItem) -> ItemForm {
    ItemForm {
        category_id: i.category_id.to_string(),
        name: i.name.clone(),
        description: i.description.clone(),
        fulfilment_team_id: i
            .fulfilment_team_id
            .map(|t| t.to_string())
            .unwrap_or_default(),
        active: i.active,
        audience_teams: match &i.audience {
            Audience::Everyone => Vec::new(),
            Audience::Restricted { teams, .. } => teams.iter().map(ToString::to_string).collect(),
        },
        audience_roles: match &i.audience {
            Audience::Everyone => Vec::new(),
            Audience::Restricted { roles, .. } => roles.clone(),
        },
        tasks: i
            .task_template
            .as_ref()
            .map(|t| {
                t.tasks
                    .iter()
                    .map(|e| e.title.clone())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        ordered: i
            .task_template
            .as_ref()
            .is_none_or(|t| t.mode == TaskMode::Ordered),
        version: i.version,
    }
}

/// The builder's rows and item fields as the use case's input, or the messages of the rows
/// that could not be read.
struct Built {
    input: Option<CatalogItemInput>,
    errors: Errors,
}

fn build_input(
    s: &SignedIn,
    form: &ItemForm,
    rows: &mut [FieldRow],
    stages: &mut [StageRow],
    current: Option<&CatalogItem>,
) -> Built {
    let mut errors = Errors::default();
    let mut fields = Vec::new();
    for row in rows.iter_mut() {
        match field_def(row) {
            Ok(Some(mut def)) => {
                // Bounds the page does not show (text lengths, number limits) stay as the
                // API set them, as long as the question keeps its key and kind.
                let old = current.and_then(|c| c.form.fields.iter().find(|f| f.key == def.key));
                if let Some(old) =
                    old.filter(|o| o.kind.name() == def.kind.name() && o.kind.options().is_empty())
                {
                    def.kind = old.kind.clone();
                }
                if row.condition_kept {
                    def.visible_when = old.and_then(|o| o.visible_when.clone());
                }
                fields.push(def);
            }
            Ok(None) => {}
            Err(m) => row.error = Some(m),
        }
    }
    let mut defs = Vec::new();
    for (i, row) in stages.iter_mut().enumerate() {
        if row.kept {
            if let Some(old) = current.and_then(|c| c.approval_policy.stages.get(i)) {
                defs.push(old.clone());
            }
            continue;
        }
        match stage_def(row) {
            Ok(Some(mut def)) => {
                // What the row does not show (reminder, what a timeout does) stays as stored.
                if let Some(old) = current.and_then(|c| c.approval_policy.stages.get(i)) {
                    def.reminder_percent = old.reminder_percent;
                    def.on_timeout = old.on_timeout;
                }
                defs.push(def);
            }
            Ok(None) => {}
            Err(m) => row.error = Some(m),
        }
    }
    let category = form.category_id.parse::<uuid::Uuid>().ok();
    if category.is_none() {
        errors
            .0
            .insert("category_id".into(), "choose a category".into());
    }
    let team = |raw: &str| raw.parse::<uuid::Uuid>().ok().map(TeamId);
    let tasks: Vec<TaskTemplateEntry> = form
        .tasks
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|title| {
            // A task that keeps its title keeps the team and person the API gave it.
            current
                .and_then(|c| c.task_template.as_ref())
                .and_then(|t| t.tasks.iter().find(|e| e.title == title))
                .cloned()
                .unwrap_or_else(|| TaskTemplateEntry {
                    title: title.to_owned(),
                    team_id: None,
                    assignee_id: None,
                })
        })
        .collect();
    let unreadable =
        rows.iter().any(|r| r.error.is_some()) || stages.iter().any(|r| r.error.is_some());
    let input = match (category, unreadable) {
        (Some(category), false) => Some(CatalogItemInput {
            category_id: CatalogCategoryId(category),
            name: form.name.clone(),
            description: form.description.clone(),
            form: FormDefinition::new(fields),
            audience: {
                // Roles in the audience are set through the API and kept: ticking no team
                // never opens a role-limited item to everyone.
                let roles = match current.map(|c| &c.audience) {
                    Some(Audience::Restricted { roles, .. }) => roles.clone(),
                    _ => Vec::new(),
                };
                let teams: Vec<TeamId> =
                    form.audience_teams.iter().filter_map(|t| team(t)).collect();
                if teams.is_empty() && roles.is_empty() {
                    Audience::Everyone
                } else {
                    Audience::Restricted { teams, roles }
                }
            },
            owner_id: current.map_or_else(|| s.actor.user_id(), |c| c.owner_id),
            fulfilment_team_id: team(&form.fulfilment_team_id),
            task_template: (!tasks.is_empty()).then_some(TaskTemplate {
                mode: if form.ordered {
                    TaskMode::Ordered
                } else {
                    TaskMode::Parallel
                },
                tasks,
            }),
            fulfilment_sla_policy_id: current.and_then(|c| c.fulfilment_sla_policy_id),
            approval_policy: ApprovalPolicy { stages: defs },
            active: form.active,
        }),
        _ => None,
    };
    Built { input, errors }
}

/// Puts the use case's messages on the question or stage they concern.
fn place(
    errors: &[servicedesk_core::FieldError],
    rows: &mut [FieldRow],
    stages: &mut [StageRow],
) -> Errors {
    // The use case numbers the questions it got: blank rows were left out.
    let filled: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !(r.key.is_empty() && r.label.is_empty()))
        .map(|(i, _)| i)
        .collect();
    let staged: Vec<usize> = stages
        .iter()
        .enumerate()
        .filter(|(_, r)| !(r.name.is_empty() && r.approver.is_empty()))
        .map(|(i, _)| i)
        .collect();
    let position = |field: &str, prefix: &str| -> Option<usize> {
        let rest = field.strip_prefix(prefix)?.strip_prefix('[')?;
        rest.split(']').next()?.parse().ok()
    };
    let mut left = HashMap::new();
    for e in errors {
        if let Some(i) = position(&e.field, "form.fields").and_then(|i| filled.get(i)) {
            rows[*i].error.get_or_insert_with(|| e.message.clone());
        } else if let Some(i) =
            position(&e.field, "approval_policy.stages").and_then(|i| staged.get(i))
        {
            stages[*i].error.get_or_insert_with(|| e.message.clone());
        } else {
            let key = if e.field.starts_with("task_template") {
                "tasks".to_owned()
            } else if e.field.starts_with("form") {
                "form".to_owned()
            } else {
                e.field.clone()
            };
            left.entry(key).or_insert_with(|| e.message.clone());
        }
    }
    Errors(left)
}

#[get("/admin/catalog")]
async fn index(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    if !edits_catalog(&s.actor) {
        return Err(WebError::Forbidden);
    }
    let c = console.clone();
    let actor = s.actor.clone();
    let (categories, items) =
        block(move || Ok((c.catalog.categories(&actor)?, c.catalog.items(&actor)?))).await??;
    let names: HashMap<String, String> = categories
        .iter()
        .map(|c| (c.id.to_string(), c.name.clone()))
        .collect();
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            context! {
                id => i.id.to_string(),
                name => i.name.clone(),
                category => names.get(&i.category_id.to_string()).cloned().unwrap_or_default(),
                questions => i.form.fields.len(),
                stages => i.approval_policy.stages.len(),
                active => i.active,
                version => i.version,
            }
        })
        .collect();
    let cats: Vec<Value> = categories
        .iter()
        .map(|c| context! { id => c.id.to_string(), name => c.name.clone(), description => c.description.clone() })
        .collect();
    admin_page(
        &console,
        &s,
        "admin_catalog.html",
        "catalog",
        "Service catalog",
        context! { categories => cats, items, notice => notice_text(q.notice.as_deref()) },
    )
}

#[post("/admin/catalog/categories")]
async fn create_category(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let input = CategoryInput {
        name: f.text("name"),
        description: f.text("description"),
        parent_id: None,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.catalog.create_category(&actor, input)).await? {
        Ok(_) => Ok(see_other("/admin/catalog?notice=created")),
        Err(CoreError::Invalid(errors)) => {
            let first = errors
                .first()
                .map(|e| format!("{}: {}", e.field, e.message));
            Err(WebError::Invalid(
                first.unwrap_or_else(|| "The category was refused.".into()),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The builder page: the item's fields, its questions (with `extra` blank rows), stages.
#[allow(clippy::too_many_arguments)]
async fn item_page(
    console: &Console,
    s: &SignedIn,
    form: &ItemForm,
    mut rows: Vec<FieldRow>,
    mut stages: Vec<StageRow>,
    id: Option<String>,
    ctx: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let blanks = if rows
        .iter()
        .filter(|r| r.key.is_empty() && r.label.is_empty())
        .count()
        == 0
    {
        2
    } else {
        0
    };
    for _ in 0..blanks {
        if rows.len() < MAX_ROWS {
            rows.push(FieldRow {
                kind: "text".into(),
                ..FieldRow::default()
            });
        }
    }
    stages.resize_with(STAGE_ROWS.max(stages.len()), StageRow::default);
    let c = console.clone();
    let actor = s.actor.clone();
    let (categories, teams) =
        block(move || Ok((c.catalog.categories(&actor)?, c.admin.teams(&actor)?))).await??;
    let categories: Vec<(String, String)> = categories
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    let teams: Vec<(String, String)> = teams
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect();
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_catalog_item.html",
            "catalog",
            if id.is_some() {
                "Catalog item"
            } else {
                "New catalog item"
            },
            context! {
                form => ser(form), rows => ser(&rows), stages => ser(&stages), id,
                field_rows => rows.len(), stage_rows => stages.len(), kinds => KINDS.to_vec(), categories, teams, ..ctx
            },
        )?,
        status,
    ))
}

#[get("/admin/catalog/items/new")]
async fn new_item(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    if !edits_catalog(&s.actor) {
        return Err(WebError::Forbidden);
    }
    let form = ItemForm {
        active: true,
        ordered: true,
        ..ItemForm::default()
    };
    item_page(
        &console,
        &s,
        &form,
        Vec::new(),
        Vec::new(),
        None,
        context! {},
        200,
    )
    .await
}

/// Saves, or (for "Add a question") shows the same input with one more row.
async fn save(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
    id: Option<CatalogItemId>,
) -> Result<HttpResponse, WebError> {
    if !edits_catalog(&s.actor) {
        return Err(WebError::Forbidden);
    }
    let f = Fields::checked(&visitor, posted)?;
    let form = item_form_posted(&f);
    let mut rows = fields_posted(&f);
    let mut stages = stages_posted(&f);
    let shown_id = id.map(|i| i.to_string());
    if f.get("more").is_some() {
        if rows.len() < MAX_ROWS {
            rows.push(FieldRow {
                kind: "text".into(),
                ..FieldRow::default()
            });
        }
        return item_page(
            &console,
            &s,
            &form,
            rows,
            stages,
            shown_id,
            context! { focus_last => true },
            200,
        )
        .await;
    }
    let current = match id {
        Some(id) => {
            let c = console.clone();
            let actor = s.actor.clone();
            Some(block(move || c.catalog.item(&actor, id)).await??)
        }
        None => None,
    };
    let built = build_input(&s, &form, &mut rows, &mut stages, current.as_ref());
    let Some(input) = built.input else {
        return item_page(
            &console,
            &s,
            &form,
            rows,
            stages,
            shown_id,
            context! { errors => ser(built.errors.0), refused => true },
            422,
        )
        .await;
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let version = form.version;
    let saved = block(move || match id {
        Some(id) => c.catalog.update_item(&actor, id, Some(version), input),
        None => c.catalog.create_item(&actor, input),
    })
    .await?;
    match saved {
        Ok(_) => Ok(see_other(if id.is_some() {
            "/admin/catalog?notice=saved"
        } else {
            "/admin/catalog?notice=created"
        })),
        Err(CoreError::Invalid(errors)) => {
            let left = place(&errors, &mut rows, &mut stages);
            item_page(
                &console,
                &s,
                &form,
                rows,
                stages,
                shown_id,
                context! { errors => ser(left.0), refused => true },
                422,
            )
            .await
        }
        Err(CoreError::Conflict { .. }) if id.is_some() => {
            let Some(id) = id else {
                return Err(WebError::Internal);
            };
            let c = console.clone();
            let actor = s.actor.clone();
            let current = block(move || c.catalog.item(&actor, id)).await??;
            item_page(
                &console,
                &s,
                &item_form_of(&current),
                current.form.fields.iter().map(field_row).collect(),
                current
                    .approval_policy
                    .stages
                    .iter()
                    .map(stage_row)
                    .collect(),
                Some(id.to_string()),
                context! { conflict => true },
                409,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/admin/catalog/items")]
async fn create_item(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    save(console, s, visitor, posted, None).await
}

#[get("/admin/catalog/items/{id}")]
async fn item(
    console: web::Data<Console>,
    s: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    if !edits_catalog(&s.actor) {
        return Err(WebError::Forbidden);
    }
    let id = CatalogItemId(path_id(&path)?);
    let c = console.clone();
    let actor = s.actor.clone();
    let current = block(move || c.catalog.item(&actor, id)).await??;
    item_page(
        &console,
        &s,
        &item_form_of(&current),
        current.form.fields.iter().map(field_row).collect(),
        current
            .approval_policy
            .stages
            .iter()
            .map(stage_row)
            .collect(),
        Some(id.to_string()),
        context! {},
        200,
    )
    .await
}

#[post("/admin/catalog/items/{id}")]
async fn update_item(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    path: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let id = CatalogItemId(path_id(&path)?);
    save(console, s, visitor, posted, Some(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::for_tests(pairs)
    }

    #[test]
    fn questions_become_field_definitions_and_blank_rows_are_skipped() {
        let f = fields(&[
            ("field_rows", "3"),
            ("q0_key", "model"),
            ("q0_label", "Model"),
            ("q0_kind", "single_select"),
            ("q0_required", "on"),
            ("q0_options", "Standard\ndev = Developer (32 GB)\n\n"),
            ("q1_key", "why"),
            ("q1_label", "Why a developer laptop?"),
            ("q1_kind", "long_text"),
            ("q1_when_field", "model"),
            ("q1_when_value", "dev"),
            ("q2_kind", "text"),
        ]);
        let rows = fields_posted(&f);
        assert_eq!(rows.len(), 3);
        let defs: Vec<FieldDef> = rows.iter().filter_map(|r| field_def(r).unwrap()).collect();
        assert_eq!(defs.len(), 2, "the blank third row is no question");
        assert!(defs[0].required);
        let opts = defs[0].kind.options();
        assert_eq!(
            (opts[0].value.as_str(), opts[0].label.as_str()),
            ("standard", "Standard")
        );
        assert_eq!(
            (opts[1].value.as_str(), opts[1].label.as_str()),
            ("dev", "Developer (32 GB)")
        );
        let when = defs[1].visible_when.as_ref().unwrap();
        assert_eq!(when, &Condition::equals("model", "dev"));
        // And back: the page shows what it read.
        let again = field_row(&defs[0]);
        assert_eq!(again.options, "Standard\ndev = Developer (32 GB)");
        assert_eq!(field_row(&defs[1]).when_value, "dev");
    }

    #[test]
    fn a_question_of_no_kind_and_a_stage_of_no_approver_are_named() {
        let row = FieldRow {
            key: "x".into(),
            label: "X".into(),
            kind: "telepathy".into(),
            ..FieldRow::default()
        };
        assert!(field_def(&row).is_err());
        let stage = StageRow {
            name: "Budget".into(),
            approver: "team:not-a-uuid".into(),
            due_hours: "8".into(),
            ..StageRow::default()
        };
        assert!(stage_def(&stage).is_err());
        let hours = StageRow {
            name: "Manager".into(),
            approver: "requester_manager".into(),
            due_hours: "soon".into(),
            ..StageRow::default()
        };
        assert!(stage_def(&hours).is_err());
        let ok = StageRow {
            name: "Manager".into(),
            approver: "requester_manager".into(),
            decision: "all".into(),
            due_hours: "24".into(),
            ..StageRow::default()
        };
        let def = stage_def(&ok).unwrap().unwrap();
        assert_eq!(def.decision, DecisionRule::All);
        assert_eq!(stage_row(&def), StageRow { error: None, ..ok });
        // A stage of named people cannot be shown: it is marked to be kept.
        let named = StageDef {
            approvers: vec![ApproverRule::Users(vec![servicedesk_core::ids::UserId(
                uuid::Uuid::nil(),
            )])],
            ..def.clone()
        };
        assert!(stage_row(&named).kept);
        let counted = StageDef {
            decision: DecisionRule::AtLeast(2),
            ..def
        };
        assert!(stage_row(&counted).kept);
    }

    #[test]
    fn the_use_cases_messages_land_on_the_row_they_concern() {
        let mut rows = vec![
            FieldRow {
                key: "a".into(),
                label: "A".into(),
                ..FieldRow::default()
            },
            FieldRow::default(),
            FieldRow {
                key: "b".into(),
                label: "B".into(),
                ..FieldRow::default()
            },
        ];
        let mut stages = vec![
            StageRow::default(),
            StageRow {
                name: "Boss".into(),
                approver: "item_owner".into(),
                ..StageRow::default()
            },
        ];
        let errors = vec![
            servicedesk_core::FieldError::new("form.fields[1].key", "invalid", "must be a key"),
            servicedesk_core::FieldError::new(
                "approval_policy.stages[0].due_hours",
                "range",
                "too long",
            ),
            servicedesk_core::FieldError::new("name", "required", "must not be empty"),
            servicedesk_core::FieldError::new("task_template.tasks[0].title", "required", "empty"),
        ];
        let left = place(&errors, &mut rows, &mut stages);
        assert_eq!(
            rows[2].error.as_deref(),
            Some("must be a key"),
            "the second filled row"
        );
        assert_eq!(rows[0].error, None);
        assert_eq!(stages[1].error.as_deref(), Some("too long"));
        assert_eq!(
            left.0.get("name").map(String::as_str),
            Some("must not be empty")
        );
        assert_eq!(left.0.get("tasks").map(String::as_str), Some("empty"));
    }

    #[test]
    fn slugs_are_plain_words() {
        assert_eq!(slug("Developer (32 GB)"), "developer_32_gb");
        assert_eq!(slug("  Größe  "), "größe");
    }
}
