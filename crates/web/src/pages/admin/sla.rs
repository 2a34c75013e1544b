//! Calendars and SLA policies (SLA-1, SLA-2): the business hours as a week grid (each day
//! open or closed, up to two working intervals, holidays one per line) and the policies
//! (targets, which tickets they apply to, where the clocks pause). Every write is the same
//! `SlaSettings` use case as `POST/PATCH /calendars` and `/sla-policies`, with the version
//! the page showed.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Serialize;
use servicedesk_core::Error as CoreError;
use servicedesk_core::ids::{CalendarId, SlaPolicyId};
use servicedesk_core::lifecycle::incident::IncidentState;
use servicedesk_core::ports::{StoredCalendar, StoredPolicy};
use servicedesk_core::priority::Priority;
use servicedesk_core::sla_settings::{
    CalendarInput, CalendarPatch, HoursInput, PolicyInput, PolicyPatch, TICKET_TYPES, WEEKDAYS,
};
use servicedesk_rbac::{Action, ResourceKind};

use super::{NoticeQuery, admin_page, notice_text, path_id};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::pages::{block, see_other, with_status};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};
use crate::view::span;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(index)
        .service(new_calendar)
        .service(create_calendar)
        .service(calendar)
        .service(update_calendar)
        .service(new_policy)
        .service(create_policy)
        .service(policy)
        .service(update_policy);
}

/// The day names of the grid, Monday first.
const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One row of the week grid.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
struct DayRow {
    key: &'static str,
    name: &'static str,
    open: bool,
    from1: String,
    to1: String,
    from2: String,
    to2: String,
    /// More intervals than the grid shows (set through the API): kept as stored, in words.
    kept: Option<String>,
    /// The use case's message for this day, if any.
    error: Option<String>,
}

/// The grid of a stored calendar.
fn grid_of(c: &StoredCalendar) -> Vec<DayRow> {
    let hours = c.calendar.hours();
    WEEKDAYS
        .iter()
        .zip(DAY_NAMES)
        .enumerate()
        .map(|(i, (key, name))| {
            let day = &hours.days[i];
            let t = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
            let at = |n: usize| day.get(n).map(|w| (t(w.start_minute()), t(w.end_minute())));
            let (from1, to1) = at(0).unwrap_or_default();
            let (from2, to2) = at(1).unwrap_or_default();
            let kept = (day.len() > 2).then(|| {
                day.iter()
                    .map(|w| format!("{}–{}", t(w.start_minute()), t(w.end_minute())))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            DayRow {
                key,
                name,
                open: !day.is_empty(),
                from1,
                to1,
                from2,
                to2,
                kept,
                error: None,
            }
        })
        .collect()
}

/// The grid as posted, and the hours the use case gets. An end of `00:00` means midnight at
/// the end of the day (`24:00`, which a time input cannot show).
fn grid_posted(f: &Fields) -> (Vec<DayRow>, HoursInput) {
    let mut hours = BTreeMap::new();
    let rows = WEEKDAYS
        .iter()
        .zip(DAY_NAMES)
        .map(|(key, name)| {
            let v = |part: &str| f.text(&format!("{key}_{part}"));
            let row = DayRow {
                key,
                name,
                open: f.get(&format!("{key}_open")).is_some(),
                from1: v("from1"),
                to1: v("to1"),
                from2: v("from2"),
                to2: v("to2"),
                kept: f.get(&format!("{key}_kept")).map(str::to_owned),
                error: None,
            };
            if row.kept.is_some() {
                // The stored intervals go back in by the handler (see `keep_days`).
            } else if row.open {
                let end = |t: &str| {
                    if t == "00:00" {
                        "24:00".to_owned()
                    } else {
                        t.to_owned()
                    }
                };
                let mut intervals = vec![vec![row.from1.clone(), end(&row.to1)]];
                if !row.from2.is_empty() || !row.to2.is_empty() {
                    intervals.push(vec![row.from2.clone(), end(&row.to2)]);
                }
                hours.insert((*key).to_owned(), intervals);
            }
            row
        })
        .collect();
    (rows, hours)
}

/// The days the grid could not show go back with their stored intervals.
fn keep_days(rows: &mut [DayRow], hours: &mut HoursInput, stored: &StoredCalendar) {
    let week = stored.calendar.hours();
    let t = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    for (i, row) in rows.iter_mut().enumerate() {
        if row.kept.is_none() {
            continue;
        }
        let day = &week.days[i];
        hours.insert(
            row.key.to_owned(),
            day.iter()
                .map(|w| vec![t(w.start_minute()), t(w.end_minute())])
                .collect(),
        );
        row.kept = (day.len() > 2).then(|| {
            day.iter()
                .map(|w| format!("{}–{}", t(w.start_minute()), t(w.end_minute())))
                .collect::<Vec<_>>()
                .join(", ")
        });
    }
}

/// Puts the use case's `hours.<day>…` messages on their rows; the rest stay by field.
fn place_errors(rows: &mut [DayRow], errors: &mut Errors) {
    for row in rows.iter_mut() {
        let prefix = format!("hours.{}", row.key);
        let mut keys: Vec<String> = errors
            .0
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        keys.sort();
        row.error = keys.first().and_then(|k| errors.0.get(k)).cloned();
        for k in keys {
            errors.0.remove(&k);
        }
    }
    // A list field's message goes next to the list.
    let holiday = errors.0.keys().find(|k| k.starts_with("holidays")).cloned();
    if let Some(k) = holiday
        && let Some(m) = errors.0.remove(&k)
    {
        errors.0.insert("holidays".into(), m);
    }
}

fn holidays_posted(f: &Fields) -> Vec<String> {
    f.text("holidays")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a calendar looks like in the list.
#[derive(Serialize)]
struct CalendarRow {
    id: String,
    name: String,
    zone: String,
    week: String,
    holidays: usize,
}

fn week_summary(c: &StoredCalendar) -> String {
    let rows = grid_of(c);
    let hours = |r: &DayRow| {
        let mut h = format!("{}–{}", r.from1, r.to1);
        if !r.from2.is_empty() {
            h.push_str(&format!(", {}–{}", r.from2, r.to2));
        }
        h
    };
    if rows.iter().all(|r| r.open && hours(r) == "00:00–24:00") {
        return "around the clock, every day".into();
    }
    // Runs of days with the same hours read as one: "Mon–Thu 09:00–17:00".
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        if !rows[i].open {
            i += 1;
            continue;
        }
        let h = hours(&rows[i]);
        let mut j = i;
        while j + 1 < rows.len() && rows[j + 1].open && hours(&rows[j + 1]) == h {
            j += 1;
        }
        let days = if i == j {
            rows[i].name[..3].to_owned()
        } else {
            format!("{}–{}", &rows[i].name[..3], &rows[j].name[..3])
        };
        parts.push(format!("{days} {h}"));
        i = j + 1;
    }
    if parts.is_empty() {
        "closed every day".into()
    } else {
        parts.join(" · ")
    }
}

/// What a policy looks like in the list.
#[derive(Serialize)]
struct PolicyRow {
    id: String,
    name: String,
    rank: i32,
    calendar: String,
    first_response: String,
    resolution: String,
    warn_percent: u8,
    applies_to: String,
    active: bool,
}

fn policy_row(p: &StoredPolicy, calendars: &[StoredCalendar]) -> PolicyRow {
    let pol = &p.record.policy;
    let c = &pol.conditions;
    let mut applies: Vec<String> = Vec::new();
    if !c.ticket_types.is_empty() {
        applies.push(c.ticket_types.join(", ").replace('_', " "));
    }
    if !c.priorities.is_empty() {
        applies.push(format!("priority {}", c.priorities.join(", ")));
    }
    if !c.categories.is_empty() {
        applies.push(format!("category {}", c.categories.join(", ")));
    }
    PolicyRow {
        id: p.id().to_string(),
        name: pol.name.clone(),
        rank: pol.rank,
        calendar: calendars
            .iter()
            .find(|c| c.id == p.record.calendar_id)
            .map_or_else(|| "—".into(), |c| c.name.clone()),
        first_response: span(pol.first_response.num_minutes()),
        resolution: span(pol.resolution.num_minutes()),
        warn_percent: pol.warn_percent,
        applies_to: if applies.is_empty() {
            "every ticket".into()
        } else {
            applies.join("; ")
        },
        active: p.active,
    }
}

fn may(s: &SignedIn, kind: ResourceKind, action: Action) -> bool {
    s.actor.scope(kind, action).is_some()
}

#[get("/admin/sla")]
async fn index(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let (calendars, policies) =
        block(move || Ok((c.sla.calendars(&actor)?, c.sla.policies(&actor)?))).await??;
    let rows: Vec<CalendarRow> = calendars
        .iter()
        .map(|c| CalendarRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            zone: c.calendar.zone().name().to_owned(),
            week: week_summary(c),
            holidays: c.calendar.holidays().count(),
        })
        .collect();
    let mut prows: Vec<PolicyRow> = policies.iter().map(|p| policy_row(p, &calendars)).collect();
    prows.sort_by_key(|p| p.rank);
    admin_page(
        &console,
        &s,
        "admin_sla.html",
        "sla",
        "Calendars and SLA policies",
        context! {
            calendars => ser(rows), policies => ser(prows),
            notice => notice_text(q.notice.as_deref()),
            may_calendar => may(&s, ResourceKind::Calendar, Action::Create),
            may_policy => may(&s, ResourceKind::SlaPolicy, Action::Create),
        },
    )
}

async fn calendar_form(
    console: &Console,
    s: &SignedIn,
    ctx: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_calendar.html",
            "sla",
            "Calendar",
            context! { zones, ..ctx },
        )?,
        status,
    ))
}

#[get("/admin/sla/calendars/new")]
async fn new_calendar(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    if !may(&s, ResourceKind::Calendar, Action::Create) {
        return Err(WebError::Forbidden);
    }
    let days: Vec<DayRow> = WEEKDAYS
        .iter()
        .zip(DAY_NAMES)
        .enumerate()
        .map(|(i, (key, name))| DayRow {
            key,
            name,
            open: i < 5,
            from1: "09:00".into(),
            to1: "17:00".into(),
            ..DayRow::default()
        })
        .collect();
    calendar_form(
        &console,
        &s,
        context! { days => ser(days), form => context! { time_zone => "UTC" } },
        200,
    )
    .await
}

#[post("/admin/sla/calendars")]
async fn create_calendar(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (mut days, hours) = grid_posted(&f);
    let input = CalendarInput {
        name: f.text("name"),
        time_zone: f.text("time_zone"),
        hours,
        holidays: holidays_posted(&f),
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.sla.create_calendar(&actor, input)).await? {
        Ok(_) => Ok(see_other("/admin/sla?notice=saved")),
        Err(CoreError::Invalid(errors)) => {
            let mut errors = Errors::of(&errors);
            place_errors(&mut days, &mut errors);
            calendar_form(
                &console,
                &s,
                context! { days => ser(days), errors => ser(errors.0), form => ser(f.values()) },
                422,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

fn calendar_id(raw: &str) -> Result<CalendarId, WebError> {
    path_id(raw).map(CalendarId)
}

fn policy_id(raw: &str) -> Result<SlaPolicyId, WebError> {
    path_id(raw).map(SlaPolicyId)
}

fn stored_calendar_ctx(c: &StoredCalendar) -> Value {
    let holidays: Vec<String> = c.calendar.holidays().map(ToString::to_string).collect();
    context! {
        days => ser(grid_of(c)),
        id => c.id.to_string(),
        form => context! {
            name => c.name.clone(),
            time_zone => c.calendar.zone().name(),
            holidays => holidays.join("\n"),
            version => c.version,
        },
    }
}

#[get("/admin/sla/calendars/{id}")]
async fn calendar(
    console: web::Data<Console>,
    s: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = calendar_id(&path)?;
    let c = console.clone();
    let actor = s.actor.clone();
    let stored = block(move || c.sla.calendar(&actor, id)).await??;
    calendar_form(&console, &s, stored_calendar_ctx(&stored), 200).await
}

#[post("/admin/sla/calendars/{id}")]
async fn update_calendar(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    path: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let id = calendar_id(&path)?;
    let f = Fields::checked(&visitor, posted)?;
    let version: i64 = f
        .text("version")
        .parse()
        .map_err(|_| WebError::Invalid("The form lost its version: reload the page.".into()))?;
    let (mut days, mut hours) = grid_posted(&f);
    if days.iter().any(|d| d.kept.is_some()) {
        let c = console.clone();
        let actor = s.actor.clone();
        let stored = block(move || c.sla.calendar(&actor, id)).await??;
        keep_days(&mut days, &mut hours, &stored);
    }
    let patch = CalendarPatch {
        name: Some(f.text("name")),
        time_zone: Some(f.text("time_zone")),
        hours: Some(hours),
        holidays: Some(holidays_posted(&f)),
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.sla.update_calendar(&actor, id, version, patch)).await? {
        Ok(_) => Ok(see_other("/admin/sla?notice=saved")),
        Err(CoreError::Invalid(errors)) => {
            let mut errors = Errors::of(&errors);
            place_errors(&mut days, &mut errors);
            calendar_form(
                &console,
                &s,
                context! { days => ser(days), errors => ser(errors.0), form => ser(f.values()), id => id.to_string() },
                422,
            )
            .await
        }
        Err(CoreError::Conflict { .. }) => {
            // Someone saved meanwhile: their version, and nothing of this form, is stored.
            let c = console.clone();
            let actor = s.actor.clone();
            let stored = block(move || c.sla.calendar(&actor, id)).await??;
            calendar_form(
                &console,
                &s,
                context! { conflict => true, ..stored_calendar_ctx(&stored) },
                409,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Everything a policy form offers.
fn policy_choices(calendars: &[StoredCalendar]) -> Value {
    let cals: Vec<(String, String)> = calendars
        .iter()
        .map(|c| (c.id.to_string(), c.name.clone()))
        .collect();
    let pausable: Vec<&str> = IncidentState::ALL
        .iter()
        .filter(|s| s.is_active())
        .map(|s| s.as_str())
        .collect();
    context! {
        calendars => cals,
        types => TICKET_TYPES.to_vec(),
        priorities => Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        pausable,
    }
}

/// A policy's form values (lists as lists, for the checkboxes).
#[derive(Serialize, Default)]
struct PolicyForm {
    name: String,
    rank: String,
    calendar_id: String,
    first_response_minutes: String,
    resolution_minutes: String,
    warn_percent: String,
    ticket_types: Vec<String>,
    priorities: Vec<String>,
    pause_statuses: Vec<String>,
    active: bool,
    version: i64,
    /// Categories and requester organizations the policy is limited to (set through the
    /// API): shown and kept.
    categories: Vec<String>,
    requester_orgs: Vec<String>,
}

fn policy_form_of(p: &StoredPolicy) -> PolicyForm {
    let pol = &p.record.policy;
    PolicyForm {
        name: pol.name.clone(),
        rank: pol.rank.to_string(),
        calendar_id: p.record.calendar_id.to_string(),
        first_response_minutes: pol.first_response.num_minutes().to_string(),
        resolution_minutes: pol.resolution.num_minutes().to_string(),
        warn_percent: pol.warn_percent.to_string(),
        ticket_types: pol.conditions.ticket_types.clone(),
        priorities: pol.conditions.priorities.clone(),
        pause_statuses: pol.pause_statuses.clone(),
        active: p.active,
        version: p.version,
        categories: pol.conditions.categories.clone(),
        requester_orgs: pol.conditions.requester_orgs.clone(),
    }
}

fn policy_form_posted(f: &Fields) -> PolicyForm {
    PolicyForm {
        name: f.text("name"),
        rank: f.text("rank"),
        calendar_id: f.text("calendar_id"),
        first_response_minutes: f.text("first_response_minutes"),
        resolution_minutes: f.text("resolution_minutes"),
        warn_percent: f.text("warn_percent"),
        ticket_types: f.all("ticket_types"),
        priorities: f.all("priorities"),
        pause_statuses: f.all("pause_statuses"),
        active: f.get("active").is_some(),
        version: f.text("version").parse().unwrap_or(0),
        categories: Vec::new(),
        requester_orgs: Vec::new(),
    }
}

/// Numbers that are not numbers get a message on their field before the use case runs.
fn numbers(form: &PolicyForm) -> Result<(i32, i64, i64, i64), Errors> {
    let mut errors = Errors::default();
    let mut num = |field: &str, raw: &str| -> i64 {
        raw.parse::<i64>().unwrap_or_else(|_| {
            errors
                .0
                .insert(field.to_owned(), "must be a whole number".to_owned());
            0
        })
    };
    let rank = num("rank", &form.rank);
    let first = num("first_response_minutes", &form.first_response_minutes);
    let resolution = num("resolution_minutes", &form.resolution_minutes);
    let warn = num("warn_percent", &form.warn_percent);
    let rank = i32::try_from(rank).unwrap_or_else(|_| {
        errors
            .0
            .insert("rank".to_owned(), "is too large".to_owned());
        0
    });
    if errors.is_empty() {
        Ok((rank, first, resolution, warn))
    } else {
        Err(errors)
    }
}

async fn policy_page(
    console: &Console,
    s: &SignedIn,
    form: &PolicyForm,
    ctx: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let calendars = block(move || c.sla.calendars(&actor)).await??;
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_policy.html",
            "sla",
            "SLA policy",
            context! { form => ser(form), choices => policy_choices(&calendars), ..ctx },
        )?,
        status,
    ))
}

/// Field names as the use case reports them, on the form's fields.
fn policy_errors(errors: &[servicedesk_core::FieldError]) -> Errors {
    let mut e = Errors::of(errors);
    for list in [
        "conditions.ticket_types",
        "conditions.priorities",
        "pause_statuses",
    ] {
        if let Some(k) = e.0.keys().find(|k| k.starts_with(list)).cloned()
            && let Some(m) = e.0.remove(&k)
        {
            let field = list.trim_start_matches("conditions.");
            e.0.insert(field.to_owned(), m);
        }
    }
    e
}

#[get("/admin/sla/policies/new")]
async fn new_policy(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    if !may(&s, ResourceKind::SlaPolicy, Action::Create) {
        return Err(WebError::Forbidden);
    }
    let form = PolicyForm {
        rank: "100".into(),
        first_response_minutes: "60".into(),
        resolution_minutes: "480".into(),
        warn_percent: "75".into(),
        pause_statuses: vec!["on_hold".into()],
        active: true,
        ..PolicyForm::default()
    };
    policy_page(&console, &s, &form, context! {}, 200).await
}

#[post("/admin/sla/policies")]
async fn create_policy(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let form = policy_form_posted(&f);
    let (rank, first, resolution, warn) = match numbers(&form) {
        Ok(n) => n,
        Err(errors) => {
            return policy_page(
                &console,
                &s,
                &form,
                context! { errors => ser(errors.0) },
                422,
            )
            .await;
        }
    };
    let Ok(calendar_id) = calendar_id(&form.calendar_id) else {
        let errors = Errors(
            [("calendar_id".to_owned(), "choose a calendar".to_owned())]
                .into_iter()
                .collect(),
        );
        return policy_page(
            &console,
            &s,
            &form,
            context! { errors => ser(errors.0) },
            422,
        )
        .await;
    };
    let input = PolicyInput {
        name: form.name.clone(),
        rank,
        conditions: servicedesk_core::sla::PolicyConditions {
            ticket_types: form.ticket_types.clone(),
            priorities: form.priorities.clone(),
            categories: Vec::new(),
            requester_orgs: Vec::new(),
        },
        calendar_id,
        first_response_minutes: first,
        resolution_minutes: resolution,
        warn_percent: warn,
        pause_statuses: form.pause_statuses.clone(),
        active: form.active,
        escalations: Vec::new(),
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.sla.create_policy(&actor, input)).await? {
        Ok(_) => Ok(see_other("/admin/sla?notice=saved")),
        Err(CoreError::Invalid(errors)) => {
            let errors = policy_errors(&errors);
            policy_page(
                &console,
                &s,
                &form,
                context! { errors => ser(errors.0) },
                422,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/admin/sla/policies/{id}")]
async fn policy(
    console: web::Data<Console>,
    s: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = policy_id(&path)?;
    let c = console.clone();
    let actor = s.actor.clone();
    let stored = block(move || c.sla.policy(&actor, id)).await??;
    let escalations = stored.record.policy.escalations.len();
    policy_page(
        &console,
        &s,
        &policy_form_of(&stored),
        context! { id => id.to_string(), escalations },
        200,
    )
    .await
}

#[post("/admin/sla/policies/{id}")]
async fn update_policy(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    path: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let id = policy_id(&path)?;
    let f = Fields::checked(&visitor, posted)?;
    let mut form = policy_form_posted(&f);
    // What the form does not edit stays as stored.
    let c = console.clone();
    let actor = s.actor.clone();
    let stored = block(move || c.sla.policy(&actor, id)).await??;
    form.categories = stored.record.policy.conditions.categories.clone();
    form.requester_orgs = stored.record.policy.conditions.requester_orgs.clone();
    let ctx = || context! { id => id.to_string() };
    let (rank, first, resolution, warn) = match numbers(&form) {
        Ok(n) => n,
        Err(errors) => {
            return policy_page(
                &console,
                &s,
                &form,
                context! { errors => ser(errors.0), ..ctx() },
                422,
            )
            .await;
        }
    };
    let patch = PolicyPatch {
        name: Some(form.name.clone()),
        rank: Some(rank),
        conditions: Some(servicedesk_core::sla::PolicyConditions {
            ticket_types: form.ticket_types.clone(),
            priorities: form.priorities.clone(),
            categories: form.categories.clone(),
            requester_orgs: form.requester_orgs.clone(),
        }),
        calendar_id: calendar_id(&form.calendar_id).ok(),
        first_response_minutes: Some(first),
        resolution_minutes: Some(resolution),
        warn_percent: Some(warn),
        pause_statuses: Some(form.pause_statuses.clone()),
        active: Some(form.active),
        escalations: None,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let version = form.version;
    match block(move || c.sla.update_policy(&actor, id, version, patch)).await? {
        Ok(_) => Ok(see_other("/admin/sla?notice=saved")),
        Err(CoreError::Invalid(errors)) => {
            let errors = policy_errors(&errors);
            policy_page(
                &console,
                &s,
                &form,
                context! { errors => ser(errors.0), ..ctx() },
                422,
            )
            .await
        }
        Err(CoreError::Conflict { .. }) => {
            let c = console.clone();
            let actor = s.actor.clone();
            let stored = block(move || c.sla.policy(&actor, id)).await??;
            policy_page(
                &console,
                &s,
                &policy_form_of(&stored),
                context! { conflict => true, ..ctx() },
                409,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::for_tests(pairs)
    }

    #[test]
    fn the_week_grid_becomes_hours_with_midnight_as_the_end_of_the_day() {
        let f = fields(&[
            ("mon_open", "on"),
            ("mon_from1", "08:00"),
            ("mon_to1", "12:00"),
            ("mon_from2", "13:00"),
            ("mon_to2", "17:30"),
            ("tue_open", "on"),
            ("tue_from1", "00:00"),
            ("tue_to1", "00:00"),
            // Closed days keep their typed times for the re-rendered form but send nothing.
            ("wed_from1", "09:00"),
            ("wed_to1", "17:00"),
        ]);
        let (rows, hours) = grid_posted(&f);
        assert_eq!(
            hours["mon"],
            vec![vec!["08:00", "12:00"], vec!["13:00", "17:30"]]
        );
        assert_eq!(hours["tue"], vec![vec!["00:00", "24:00"]]);
        assert!(!hours.contains_key("wed"));
        assert_eq!(hours.len(), 2);
        assert_eq!(rows.len(), 7);
        assert!(!rows[2].open);
        assert_eq!(rows[2].from1, "09:00");
    }

    #[test]
    fn day_errors_land_on_their_row() {
        let mut rows = vec![DayRow {
            key: "mon",
            name: "Monday",
            ..DayRow::default()
        }];
        let mut errors = Errors(
            [
                (
                    "hours.mon[0]".to_owned(),
                    "end must be after start".to_owned(),
                ),
                ("holidays[2]".to_owned(), "not a date".to_owned()),
                ("name".to_owned(), "must not be empty".to_owned()),
            ]
            .into_iter()
            .collect(),
        );
        place_errors(&mut rows, &mut errors);
        assert_eq!(rows[0].error.as_deref(), Some("end must be after start"));
        assert_eq!(
            errors.0.get("holidays").map(String::as_str),
            Some("not a date")
        );
        assert!(errors.0.contains_key("name"));
        assert_eq!(errors.0.len(), 2);
    }

    #[test]
    fn numbers_that_are_not_numbers_are_named() {
        let form = PolicyForm {
            rank: "1".into(),
            first_response_minutes: "soon".into(),
            resolution_minutes: "480".into(),
            warn_percent: "".into(),
            ..PolicyForm::default()
        };
        let e = numbers(&form).unwrap_err();
        assert!(e.0.contains_key("first_response_minutes"));
        assert!(e.0.contains_key("warn_percent"));
        assert!(!e.0.contains_key("rank"));
    }
}
