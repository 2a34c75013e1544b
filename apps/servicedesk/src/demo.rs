//! `serve --demo`: sample teams, people and incidents to click through.

use anyhow::{Result, anyhow};
use servicedesk_core::identity::{NewTeam, NewUser};
use servicedesk_core::lifecycle::incident::IncidentAction;
use servicedesk_core::ports::AccountStore;
use servicedesk_core::priority::{Impact, Urgency};
use servicedesk_core::usecases::{Assignment, IncidentRef, OpenIncident, TransitionRequest};

use crate::{Built, Config};

/// The demo accounts' password.
pub const DEMO_PASSWORD: &str = "demo-password-1";

/// Creates two teams, an agent, a manager and a requester, and a few incidents in different
/// states. Does nothing when the demo agent exists already.
pub fn seed(built: &Built, config: &Config) -> Result<()> {
    let state = &built.state;
    if built.store.find_by_email("agent@demo.local").is_ok() {
        return Ok(());
    }
    let admin_account = built
        .store
        .find_by_email(&config.admin_email)
        .map_err(|e| anyhow!("{e}"))?;
    let admin = state
        .auth
        .actor_for(&admin_account)
        .map_err(|e| anyhow!("{e}"))?;
    let desk = state
        .admin
        .create_team(
            &admin,
            NewTeam {
                name: "Service Desk".into(),
                manager_id: None,
            },
        )
        .map_err(|e| anyhow!("{e}"))?;
    state
        .admin
        .create_team(
            &admin,
            NewTeam {
                name: "Network".into(),
                manager_id: None,
            },
        )
        .map_err(|e| anyhow!("{e}"))?;
    let mut users = Vec::new();
    for (email, name, role) in [
        ("agent@demo.local", "Alex Agent", "agent"),
        ("manager@demo.local", "Morgan Manager", "manager"),
        ("requester@demo.local", "Riley Requester", "requester"),
    ] {
        let teams = if role == "requester" {
            vec![]
        } else {
            vec![desk.id]
        };
        let input = NewUser {
            email: email.into(),
            name: name.into(),
            password: DEMO_PASSWORD.into(),
            role: role.into(),
            org_id: None,
            team_ids: teams,
        };
        users.push(
            state
                .admin
                .create_user(&admin, input)
                .map_err(|e| anyhow!("{e}"))?,
        );
    }
    let actor = |i: usize| -> Result<_> {
        let account = built
            .store
            .account(users[i].org_id, users[i].id)
            .map_err(|e| anyhow!("{e}"))?;
        state.auth.actor_for(&account).map_err(|e| anyhow!("{e}"))
    };
    let (agent, requester) = (actor(0)?, actor(2)?);
    let samples = [
        ("VPN drops every few minutes", Impact::Medium, Urgency::High),
        ("Printer on the 3rd floor jams", Impact::Low, Urgency::Low),
        ("Mail server unreachable", Impact::High, Urgency::High),
        ("New laptop for onboarding", Impact::Low, Urgency::Medium),
    ];
    for (i, (title, impact, urgency)) in samples.into_iter().enumerate() {
        let opened = state
            .incidents
            .open(
                &requester,
                OpenIncident {
                    title: title.into(),
                    description: format!("Demo incident: {title}."),
                    impact,
                    urgency,
                    category: None,
                    requester_id: None,
                },
                None,
            )
            .map_err(|e| anyhow!("{e}"))?;
        let r = IncidentRef::Id(opened.value.incident.id);
        if i >= 1 {
            state
                .incidents
                .assign(
                    &agent,
                    r,
                    None,
                    Assignment {
                        team_id: Some(desk.id),
                        assignee_id: Some(users[0].id),
                    },
                )
                .map_err(|e| anyhow!("{e}"))?;
        }
        if i >= 2 {
            state
                .incidents
                .transition(
                    &agent,
                    r,
                    None,
                    TransitionRequest::new(IncidentAction::Start),
                )
                .map_err(|e| anyhow!("{e}"))?;
        }
        if i == 3 {
            state
                .incidents
                .transition(
                    &agent,
                    r,
                    None,
                    TransitionRequest::resolve("fulfilled", "Laptop handed over."),
                )
                .map_err(|e| anyhow!("{e}"))?;
        }
    }
    Ok(())
}
