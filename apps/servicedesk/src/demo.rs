//! `serve --demo`: a month of believable service-desk life to click through — teams,
//! agents, a manager, requesters, a service catalog with a conditional form and approvals,
//! incidents opened, answered, resolved and confirmed over the last 30 days (so the
//! dashboards have trends and the SLA monitor has breaches to find), requests waiting for
//! approval and in fulfilment, and a fresh morning's tickets in triage.
//!
//! Everything goes through the use cases, as a person would: the history runs on a second
//! set of use cases over the same database whose clock the seeder moves forward step by
//! step, so every row, history entry, audit record and event carries its day.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use servicedesk_core::Actor;
use servicedesk_core::catalog::{CatalogItemInput, CategoryInput};
use servicedesk_core::identity::{NewTeam, NewUser, UpdateUser};
use servicedesk_core::ids::{TeamId, TicketId, UserId};
use servicedesk_core::lifecycle::incident::IncidentAction;
use servicedesk_core::lifecycle::task::TaskAction;
use servicedesk_core::ports::{AccountStore, FixedClock};
use servicedesk_core::ports::{Clock, SortDirection};
use servicedesk_core::priority::{Impact, Urgency};
use servicedesk_core::requests::SubmitRequest;
use servicedesk_core::tickets::{ListTasks, ListTickets, StatusClass, TicketSort};
use servicedesk_core::usecases::{Assignment, IncidentRef, OpenIncident, TransitionRequest};

use crate::{Built, Config};

/// The demo accounts' password.
pub const DEMO_PASSWORD: &str = "demo-password-1";

fn e<E: std::fmt::Display>(err: E) -> anyhow::Error {
    anyhow!("demo data: {err}")
}

/// The people of the demo, by role.
struct People {
    admin: Actor,
    agents: Vec<(UserId, Actor)>,
    manager: (UserId, Actor),
    requesters: Vec<(UserId, Actor)>,
    desk: TeamId,
    network: TeamId,
}

/// A small deterministic generator: the same demo on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self, n: u64) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

const PROBLEMS: &[(&str, &str, Impact, Urgency)] = &[
    (
        "VPN drops every few minutes",
        "Since this morning the VPN disconnects every 5–10 minutes, on Wi-Fi and cable.",
        Impact::Medium,
        Urgency::High,
    ),
    (
        "Printer on the 3rd floor jams",
        "The big printer by the kitchen jams on every second page.",
        Impact::Low,
        Urgency::Low,
    ),
    (
        "Mail server unreachable",
        "Outlook says it cannot connect to the server. Colleagues have the same.",
        Impact::High,
        Urgency::High,
    ),
    (
        "Cannot open the shared drive",
        "Access denied on \\\\files\\finance since the weekend.",
        Impact::Medium,
        Urgency::Medium,
    ),
    (
        "Laptop very slow after update",
        "Boot takes ten minutes, the fan is loud.",
        Impact::Low,
        Urgency::Medium,
    ),
    (
        "Wi-Fi weak in meeting room B",
        "Calls drop in meeting room B; the signal shows one bar.",
        Impact::Low,
        Urgency::Medium,
    ),
    (
        "CRM shows error 500",
        "Opening any customer record in the CRM shows an error page.",
        Impact::High,
        Urgency::Medium,
    ),
    (
        "Password expired, locked out",
        "My password expired while on holiday and now I am locked out.",
        Impact::Low,
        Urgency::High,
    ),
    (
        "Teams calls have no sound",
        "Nobody hears me in Teams calls; the headset works elsewhere.",
        Impact::Low,
        Urgency::Medium,
    ),
    (
        "Invoice scanner not sending mails",
        "The scanner in accounts no longer mails the scans.",
        Impact::Medium,
        Urgency::Medium,
    ),
    (
        "Second monitor flickers",
        "The second screen goes black every few seconds.",
        Impact::Low,
        Urgency::Low,
    ),
    (
        "Payroll export fails",
        "The monthly payroll export stops at 80 % with a timeout.",
        Impact::High,
        Urgency::High,
    ),
];

const ANSWERS: &[&str] = &[
    "Thanks for reporting this — we are looking into it.",
    "Could you tell us when it started and whether colleagues see the same?",
    "We found the cause and are working on a fix.",
    "A technician will come by this afternoon.",
];

const NOTES: &[&str] = &[
    "Checked the logs: certificate on the gateway expired last night.",
    "Vendor case opened, waiting for a callback.",
    "Same symptom as last month, see the known error.",
];

/// Creates the demo's organization content. Does nothing when the demo agent exists.
///
/// # Errors
/// When a use case refuses a step (a bug in the demo) or the database fails.
pub fn seed(built: &Built, config: &Config) -> Result<()> {
    if built.store.find_by_email("agent@demo.local").is_ok() {
        return Ok(());
    }
    let now = built.state.clock.now();
    // The history: a second set of use cases on the same database, on a clock that starts
    // 30 days ago and only moves forward.
    let start = now - Duration::days(30);
    let clock = Arc::new(FixedClock::new(start));
    let past = crate::build_with_clock(config, clock.clone())?;
    let people = people(&past, config)?;
    let mut dice = Dice(0x5EED);
    catalog_and_requests(&past, &people, &clock, now)?;
    history(&past, &people, &clock, &mut dice, now)?;
    Ok(())
}

fn actor_of(built: &Built, id: UserId, org: servicedesk_core::ids::OrgId) -> Result<Actor> {
    let account = built.store.account(org, id).map_err(e)?;
    built.state.auth.actor_for(&account).map_err(e)
}

fn people(past: &Built, config: &Config) -> Result<People> {
    let state = &past.state;
    let admin_account = past.store.find_by_email(&config.admin_email).map_err(e)?;
    let admin = state.auth.actor_for(&admin_account).map_err(e)?;
    let team = |name: &str| {
        state
            .admin
            .create_team(
                &admin,
                NewTeam {
                    name: name.into(),
                    manager_id: None,
                },
            )
            .map_err(e)
    };
    let desk = team("Service Desk")?;
    let network = team("Network")?;
    let budget = team("IT budget")?;
    let mut made = Vec::new();
    for (email, name, role, teams) in [
        ("agent@demo.local", "Alex Agent", "agent", vec![desk.id]),
        (
            "sam@demo.local",
            "Sam Network",
            "agent",
            vec![network.id, desk.id],
        ),
        ("jo@demo.local", "Jo Budget", "agent", vec![budget.id]),
        (
            "manager@demo.local",
            "Morgan Manager",
            "manager",
            vec![desk.id],
        ),
        (
            "requester@demo.local",
            "Riley Requester",
            "requester",
            vec![],
        ),
        ("jordan@demo.local", "Jordan Finance", "requester", vec![]),
        ("casey@demo.local", "Casey Sales", "requester", vec![]),
    ] {
        let user = state
            .admin
            .create_user(
                &admin,
                NewUser {
                    email: email.into(),
                    name: name.into(),
                    password: DEMO_PASSWORD.into(),
                    role: role.into(),
                    org_id: None,
                    team_ids: teams,
                },
            )
            .map_err(e)?;
        made.push(user);
    }
    let manager_id = made[3].id;
    for r in &made[4..] {
        state
            .admin
            .update_user(
                &admin,
                r.id,
                UpdateUser {
                    manager_id: Some(Some(manager_id)),
                    ..UpdateUser::default()
                },
            )
            .map_err(e)?;
    }
    let org = admin.org_id();
    let mut actors = Vec::new();
    for u in &made {
        actors.push((u.id, actor_of(past, u.id, org)?));
    }
    let requesters = actors.split_off(4);
    let manager = actors.remove(3);
    Ok(People {
        admin,
        agents: actors,
        manager,
        requesters,
        desk: desk.id,
        network: network.id,
    })
}

/// The catalog (a laptop with a conditional field and two approval stages; VPN access
/// without approval) and requests in every stage: fulfilled, in fulfilment, waiting for
/// the manager's approval.
fn catalog_and_requests(
    past: &Built,
    p: &People,
    clock: &Arc<FixedClock>,
    now: DateTime<Utc>,
) -> Result<()> {
    let state = &past.state;
    let (manager_id, manager) = &p.manager;
    let category = |name: &str, description: &str| {
        state
            .catalog
            .create_category(
                manager,
                CategoryInput {
                    name: name.into(),
                    description: description.into(),
                    parent_id: None,
                },
            )
            .map_err(e)
    };
    let hardware = category("Hardware", "Laptops, screens and accessories.")?;
    let access = category("Access", "Accounts, VPN and shared folders.")?;
    let budget_team = state
        .admin
        .teams(&p.admin)
        .map_err(e)?
        .into_iter()
        .find(|t| t.name == "IT budget")
        .map(|t| t.id)
        .ok_or_else(|| anyhow!("demo data: the IT budget team is missing"))?;
    let laptop = state
        .catalog
        .create_item(
            manager,
            CatalogItemInput {
                category_id: hardware.id,
                name: "New laptop".into(),
                description: "A laptop for work, imaged and ready on your first day.".into(),
                form: serde_json::from_value(json!({ "fields": [
                    { "key": "model", "label": "Model", "required": true, "type": "single_select",
                      "options": [
                        { "value": "standard", "label": "Standard (14\", 16 GB)" },
                        { "value": "developer", "label": "Developer (16\", 32 GB)" },
                        { "value": "workstation", "label": "Workstation (GPU)" } ] },
                    { "key": "justification", "label": "Why a workstation?", "required": true,
                      "type": "long_text", "max_len": 2000,
                      "visible_when": { "field": "model", "op": { "equals": "workstation" } } },
                    { "key": "needed_by", "label": "Needed by", "required": true, "type": "date" }
                ] }))
                .map_err(e)?,
                audience: serde_json::from_value(json!({ "type": "everyone" })).map_err(e)?,
                owner_id: *manager_id,
                fulfilment_team_id: Some(p.desk),
                task_template: Some(
                    serde_json::from_value(json!({ "mode": "ordered", "tasks": [
                        { "title": "Order the laptop" }, { "title": "Image and hand over" } ] }))
                    .map_err(e)?,
                ),
                fulfilment_sla_policy_id: None,
                approval_policy: serde_json::from_value(json!({ "stages": [
                    { "name": "Manager", "approvers": ["requester_manager"], "decision": "any",
                      "due_hours": 48, "on_timeout": "reject" },
                    { "name": "IT budget", "approvers": [{ "team": budget_team }], "decision": "any",
                      "due_hours": 48, "on_timeout": "reject" } ] }))
                .map_err(e)?,
                active: true,
            },
        )
        .map_err(e)?;
    state
        .catalog
        .create_item(
            manager,
            CatalogItemInput {
                category_id: access.id,
                name: "VPN access".into(),
                description: "Work from home: a VPN account and the client set up.".into(),
                form: serde_json::from_value(json!({ "fields": [
                    { "key": "reason", "label": "What do you need it for?", "required": true,
                      "type": "long_text", "max_len": 500 } ] }))
                .map_err(e)?,
                audience: serde_json::from_value(json!({ "type": "everyone" })).map_err(e)?,
                owner_id: *manager_id,
                fulfilment_team_id: Some(p.network),
                task_template: None,
                fulfilment_sla_policy_id: None,
                approval_policy: serde_json::from_value(json!({ "stages": [] })).map_err(e)?,
                active: true,
            },
        )
        .map_err(e)?;

    let at = |t: DateTime<Utc>| clock.set(t.min(now - Duration::minutes(5)));
    let submit = |who: &Actor, model: &str| -> Result<TicketId> {
        let mut answers = std::collections::BTreeMap::new();
        answers.insert("model".to_owned(), json!(model));
        answers.insert("needed_by".to_owned(), json!("2027-01-15"));
        if model == "workstation" {
            answers.insert(
                "justification".to_owned(),
                json!("Rendering the product videos takes hours on my current laptop."),
            );
        }
        Ok(state
            .requests
            .submit(
                who,
                SubmitRequest {
                    item_id: laptop.id,
                    answers,
                    requested_for: None,
                    draft: false,
                    title: None,
                    impact: None,
                    urgency: None,
                },
                None,
            )
            .map_err(e)?
            .value
            .request
            .id)
    };
    let approve_all = |id: TicketId, approvers: &[&Actor]| -> Result<()> {
        for a in approvers {
            let pending = state.requests.pending_approvals(a).map_err(e)?;
            for (approval, _) in pending.into_iter().filter(|(ap, _)| ap.ticket_id == id) {
                state
                    .requests
                    .decide(
                        a,
                        approval.id,
                        true,
                        Some("Approved, budget is there.".into()),
                    )
                    .map_err(e)?;
            }
        }
        Ok(())
    };
    let jo = &p.agents[2].1;
    let alex = &p.agents[0].1;
    let work_tasks = |id: TicketId, how_many: usize| -> Result<()> {
        for _ in 0..how_many {
            let tasks = state
                .tickets
                .list_tasks(
                    alex,
                    ListTasks {
                        team_id: Some(p.desk),
                        ..ListTasks::default()
                    },
                )
                .map_err(e)?;
            let Some(task) = tasks.items.into_iter().find(|t| {
                t.ticket_id == id
                    && matches!(
                        t.status,
                        servicedesk_core::lifecycle::task::TaskState::Open
                            | servicedesk_core::lifecycle::task::TaskState::InProgress
                    )
            }) else {
                break;
            };
            if task.status == servicedesk_core::lifecycle::task::TaskState::Open {
                state
                    .requests
                    .transition_task(alex, task.id, None, TaskAction::Start)
                    .map_err(e)?;
            }
            state
                .requests
                .transition_task(alex, task.id, None, TaskAction::Complete)
                .map_err(e)?;
        }
        Ok(())
    };

    // Riley's laptop, three weeks ago: approved by both stages, both tasks done.
    at(now - Duration::days(21));
    let done = submit(&p.requesters[0].1, "developer")?;
    at(now - Duration::days(21) + Duration::hours(3));
    approve_all(done, &[manager])?;
    at(now - Duration::days(20));
    approve_all(done, &[jo])?;
    at(now - Duration::days(19));
    work_tasks(done, 2)?;
    // Jordan's laptop, last week: approved, first task done, being imaged.
    at(now - Duration::days(6));
    let busy = submit(&p.requesters[1].1, "standard")?;
    at(now - Duration::days(6) + Duration::hours(2));
    approve_all(busy, &[manager])?;
    at(now - Duration::days(5));
    approve_all(busy, &[jo])?;
    at(now - Duration::days(4));
    work_tasks(busy, 1)?;
    // Casey's workstation, this morning: waiting for the manager.
    at(now - Duration::hours(3));
    submit(&p.requesters[2].1, "workstation")?;
    Ok(())
}

/// One ticket's life, as steps at instants.
enum Step {
    Open(usize),
    Take(usize),
    Answer(usize),
    Note(usize),
    Resolve(usize),
    Confirm(usize),
}

/// Thirty days of incidents: two to five a working day, most answered within the hour and
/// resolved within a day or two, some late, the last days' still open.
fn history(
    past: &Built,
    p: &People,
    clock: &Arc<FixedClock>,
    dice: &mut Dice,
    now: DateTime<Utc>,
) -> Result<()> {
    let state = &past.state;
    let mut plan: Vec<(DateTime<Utc>, Step)> = Vec::new();
    let mut tickets: Vec<(usize, usize, usize)> = Vec::new(); // problem, requester, agent
    let day0 = now - Duration::days(29);
    for day in 0..30 {
        let date = day0 + Duration::days(day);
        let weekend = matches!(
            chrono::Datelike::weekday(&date),
            chrono::Weekday::Sat | chrono::Weekday::Sun
        );
        let count = if weekend {
            dice.next(2)
        } else {
            2 + dice.next(4)
        };
        for _ in 0..count {
            let i = tickets.len();
            let opened = date
                .date_naive()
                .and_hms_opt(8, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or(date)
                + Duration::minutes(i64::try_from(dice.next(9 * 60)).unwrap_or(0));
            if opened >= now - Duration::minutes(10) {
                continue;
            }
            tickets.push((
                usize::try_from(dice.next(PROBLEMS.len() as u64)).unwrap_or(0),
                usize::try_from(dice.next(p.requesters.len() as u64)).unwrap_or(0),
                // Alex (the demo's agent) works most tickets, Sam the rest.
                usize::from(dice.next(3) == 0),
            ));
            plan.push((opened, Step::Open(i)));
            let age = now - opened;
            // The newest stay in triage; most others get taken and answered.
            if age < Duration::hours(3) || dice.next(10) == 0 {
                continue;
            }
            let taken = opened + Duration::minutes(10 + i64::try_from(dice.next(80)).unwrap_or(0));
            plan.push((taken, Step::Take(i)));
            plan.push((taken + Duration::minutes(5), Step::Answer(i)));
            if dice.next(3) == 0 {
                plan.push((taken + Duration::minutes(20), Step::Note(i)));
            }
            // Resolution: usually hours, sometimes days (those breach their target).
            let hours = if dice.next(5) == 0 {
                30 + dice.next(60)
            } else {
                1 + dice.next(7)
            };
            let resolved = taken + Duration::hours(i64::try_from(hours).unwrap_or(1));
            if resolved < now - Duration::minutes(30) && age > Duration::days(1) {
                plan.push((resolved, Step::Resolve(i)));
                let confirmed =
                    resolved + Duration::hours(2 + i64::try_from(dice.next(20)).unwrap_or(0));
                if confirmed < now - Duration::minutes(10) && dice.next(3) > 0 {
                    plan.push((confirmed, Step::Confirm(i)));
                }
            }
        }
    }
    // The last hours: one critical ticket Alex is on, answered; one more waiting in triage.
    for (ago, take) in [(150, true), (40, false)] {
        let i = tickets.len();
        tickets.push((2 + usize::from(!take) * 5, i % p.requesters.len(), 0));
        let opened = now - Duration::minutes(ago);
        plan.push((opened, Step::Open(i)));
        if take {
            plan.push((opened + Duration::minutes(15), Step::Take(i)));
            plan.push((opened + Duration::minutes(20), Step::Answer(i)));
            plan.push((opened + Duration::minutes(35), Step::Note(i)));
        }
    }
    plan.sort_by_key(|(t, _)| *t);
    let mut ids: Vec<Option<IncidentRef>> = vec![None; tickets.len()];
    for (at, step) in plan {
        catch_up(past, &p.admin, clock, at)?;
        clock.set(at);
        let of = |i: usize| ids[i].ok_or_else(|| anyhow!("demo data: ticket {i} not opened"));
        match step {
            Step::Open(i) => {
                let (problem, requester, _) = tickets[i];
                let (title, description, impact, urgency) = PROBLEMS[problem];
                let opened = state
                    .incidents
                    .open(
                        &p.requesters[requester].1,
                        OpenIncident {
                            title: title.into(),
                            description: description.into(),
                            impact,
                            urgency,
                            category: None,
                            requester_id: None,
                        },
                        None,
                    )
                    .map_err(e)?;
                ids[i] = Some(IncidentRef::Id(opened.value.incident.id));
            }
            Step::Take(i) => {
                let (agent_id, agent) = &p.agents[tickets[i].2];
                let team = if tickets[i].2 == 1 { p.network } else { p.desk };
                state
                    .incidents
                    .assign(
                        agent,
                        of(i)?,
                        None,
                        Assignment {
                            team_id: Some(team),
                            assignee_id: Some(*agent_id),
                        },
                    )
                    .map_err(e)?;
                state
                    .incidents
                    .transition(
                        agent,
                        of(i)?,
                        None,
                        TransitionRequest::new(IncidentAction::Start),
                    )
                    .map_err(e)?;
            }
            Step::Answer(i) => {
                let answer = ANSWERS[i % ANSWERS.len()];
                state
                    .incidents
                    .comment(&p.agents[tickets[i].2].1, of(i)?, answer, false)
                    .map_err(e)?;
            }
            Step::Note(i) => {
                let note = NOTES[i % NOTES.len()];
                state
                    .incidents
                    .comment(&p.agents[tickets[i].2].1, of(i)?, note, true)
                    .map_err(e)?;
            }
            Step::Resolve(i) => {
                state
                    .incidents
                    .transition(
                        &p.agents[tickets[i].2].1,
                        of(i)?,
                        None,
                        TransitionRequest::resolve(
                            "fixed",
                            "Fixed and checked with the requester.",
                        ),
                    )
                    .map_err(e)?;
            }
            Step::Confirm(i) => {
                state
                    .incidents
                    .transition(
                        &p.requesters[tickets[i].1].1,
                        of(i)?,
                        None,
                        TransitionRequest::new(IncidentAction::Close),
                    )
                    .map_err(e)?;
            }
        }
    }
    catch_up(past, &p.admin, clock, now - Duration::minutes(1))?;
    Ok(())
}

/// Runs the SLA monitor at each warning and breach instant up to `until`, as it would have
/// run: the timeline says "warned at 09:10, breached at 09:40", not both at the next step.
fn catch_up(
    past: &Built,
    admin: &Actor,
    clock: &Arc<FixedClock>,
    until: DateTime<Utc>,
) -> Result<()> {
    let mut last = None;
    loop {
        let next = past
            .state
            .tickets
            .list(
                admin,
                ListTickets {
                    status_classes: vec![StatusClass::Open, StatusClass::Pending],
                    sort: TicketSort::SlaDue,
                    direction: SortDirection::Asc,
                    limit: Some(1),
                    ..ListTickets::default()
                },
            )
            .map_err(e)?
            .items
            .into_iter()
            .next()
            .and_then(|t| t.next_sla_due_at.map(|due| (t.id, due)));
        let Some((id, due)) = next else { break };
        // Nothing due before `until`, or the monitor could not move this one on.
        if due > until || last == Some((id, due)) {
            break;
        }
        last = Some((id, due));
        clock.set(due.max(clock.now()));
        past.monitor.sweep(500).map_err(e)?;
    }
    Ok(())
}
