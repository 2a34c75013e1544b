//! What the templates are given: the signed-in person for the layout, ticket rows with
//! their SLA timer, and people's names.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use servicedesk_core::actor::Actor;
use servicedesk_core::ids::UserId;
use servicedesk_core::tickets::{AnyTicket, SlaState};
use servicedesk_rbac::{Action, ResourceKind, Scope};

use crate::Console;
use crate::session::SignedIn;

/// The layout's view of the signed-in person.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Me {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Works tickets (agent, manager, admin): sees the queue and internal notes.
    pub staff: bool,
    /// Manager or admin (dashboards with team figures).
    pub manager: bool,
    /// Unread notifications.
    pub unread: u64,
    /// The time zone times are shown in (an IANA name; UTC when unset).
    pub zone: String,
    /// Opens an administration section (the layout's "Admin" link).
    pub admin: bool,
}

/// The signed-in person's layout data (name, unread count).
pub(crate) fn me(console: &Console, s: &SignedIn) -> Me {
    let id = s.actor.user_id();
    let user = console.admin.user(&s.actor, id).ok();
    Me {
        id: id.to_string(),
        name: user
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "You".into()),
        zone: zone_name(user.as_ref().and_then(|u| u.time_zone.as_deref()))
            .name()
            .to_owned(),
        email: user.map(|u| u.email).unwrap_or_default(),
        staff: s.actor.is_staff(),
        manager: is_manager(&s.actor),
        unread: console.notifications.unread_count(&s.actor).unwrap_or(0),
        admin: crate::pages::admin::can_administer(&s.actor),
    }
}

/// A stored zone name as a zone: UTC when unset (or, defensively, unknown: the use case
/// only stores names chrono-tz knows).
pub(crate) fn zone_name(name: Option<&str>) -> Tz {
    name.and_then(|z| z.parse().ok()).unwrap_or(Tz::UTC)
}

/// The time zone of `actor`'s profile.
pub(crate) fn zone_of(console: &Console, actor: &Actor) -> Tz {
    zone_name(
        console
            .admin
            .user(actor, actor.user_id())
            .ok()
            .and_then(|u| u.time_zone)
            .as_deref(),
    )
}

/// Reads every ticket of the organization (a manager or an admin, or a custom role with
/// that reach): the dashboards with desk-wide figures.
pub(crate) fn is_manager(actor: &Actor) -> bool {
    actor.scope(ResourceKind::Incident, Action::Read) == Some(Scope::Org)
}

/// An SLA timer: the next due instant in words, coloured by state.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Timer {
    /// `ok`, `warning`, `breached`, `paused`.
    pub state: &'static str,
    /// "2 h 10 min left", "overdue by 35 min", "paused".
    pub label: String,
    /// The due instant (RFC 3339), for the hover title.
    pub due: String,
}

/// A duration in words, to the minute.
pub(crate) fn span(minutes: i64) -> String {
    let m = minutes.abs();
    match (m / 1440, (m % 1440) / 60, m % 60) {
        (0, 0, min) => format!("{min} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, min) => format!("{h} h {min} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The timer of a ticket at `now` (wall time to the next due instant; docs/console.md).
pub(crate) fn timer(t: &AnyTicket, now: DateTime<Utc>) -> Option<Timer> {
    let sla = t.sla.as_ref()?;
    let state = SlaState::of(Some(sla));
    let Some(due) = t.next_sla_due_at else {
        // No instant ahead: every target is breached, paused or stopped.
        if state == SlaState::Breached && t.status_class().is_some_and(|c| c.is_active()) {
            return Some(Timer {
                state: "breached",
                label: "breached".into(),
                due: String::new(),
            });
        }
        let paused = sla.response.is_paused() || sla.resolution.is_paused();
        return paused.then(|| Timer {
            state: "paused",
            label: "paused".into(),
            due: String::new(),
        });
    };
    let left = (due - now).num_minutes();
    let (state, label) = if left < 0 || state == SlaState::Breached {
        ("breached", format!("overdue by {}", span(left.min(0))))
    } else if state == SlaState::Warning {
        ("warning", format!("{} left", span(left)))
    } else {
        ("ok", format!("{} left", span(left)))
    };
    Some(Timer {
        state,
        label,
        due: due.to_rfc3339(),
    })
}

/// One ticket row of a list.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub id: String,
    pub reference: String,
    pub kind: &'static str,
    pub title: String,
    pub status: String,
    pub class: &'static str,
    pub priority: String,
    /// High or critical: flagged in lists.
    pub urgent: bool,
    pub requester: String,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sla: Option<Timer>,
}

/// Names of people and teams, looked up once per page.
#[derive(Default)]
pub(crate) struct Names {
    users: HashMap<UserId, String>,
    /// Accounts the actor may not read (asked once per page, not once per row).
    unreadable: std::collections::HashSet<UserId>,
    teams: HashMap<String, String>,
}

impl Names {
    /// The names an actor may read: everyone in the organization for staff (one listing),
    /// themselves otherwise.
    pub(crate) fn load(console: &Console, actor: &Actor) -> Self {
        let mut names = Self::default();
        if let Ok(users) = console.admin.users(actor, None, 200) {
            names.users = users.into_iter().map(|u| (u.id, u.name)).collect();
        } else if let Ok(u) = console.admin.user(actor, actor.user_id()) {
            names.users.insert(u.id, u.name);
        }
        if let Ok(teams) = console.admin.teams(actor) {
            names.teams = teams
                .into_iter()
                .map(|t| (t.id.to_string(), t.name))
                .collect();
        }
        names
    }

    /// A person's name (looked up when not in the first listing page). Requesters may not
    /// read the desk's accounts: whoever works their ticket is the service desk to them.
    pub(crate) fn user(&mut self, console: &Console, actor: &Actor, id: UserId) -> String {
        self.user_or(console, actor, id, "Service desk")
    }

    /// A person's name, or `unknown` when the actor may not read that account.
    pub(crate) fn user_or(
        &mut self,
        console: &Console,
        actor: &Actor,
        id: UserId,
        unknown: &str,
    ) -> String {
        if let Some(n) = self.users.get(&id) {
            return n.clone();
        }
        if self.unreadable.contains(&id) {
            return unknown.to_owned();
        }
        match console.admin.user(actor, id) {
            Ok(u) => {
                self.users.insert(id, u.name.clone());
                u.name
            }
            Err(_) => {
                self.unreadable.insert(id);
                unknown.to_owned()
            }
        }
    }

    /// A team's name.
    pub(crate) fn team(&self, id: &str) -> String {
        self.teams
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a team".into())
    }

    /// Every team, by name.
    pub(crate) fn teams(&self) -> Vec<(String, String)> {
        let mut t: Vec<(String, String)> = self
            .teams
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        t.sort_by(|a, b| a.1.cmp(&b.1));
        t
    }

    /// Every person listed, by name.
    pub(crate) fn people(&self) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = self
            .users
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        p.sort_by(|a, b| a.1.cmp(&b.1));
        p
    }
}

/// A request's answers as the requester saw the questions: in the form's order, with the
/// questions' labels and the options' labels (the item version the request was made on).
/// When the reader may not see that item, the answers' keys stand in for the labels.
pub(crate) fn answer_rows(
    console: &Console,
    actor: &Actor,
    details: &servicedesk_core::requests::RequestDetails,
) -> Vec<(String, String)> {
    use serde_json::Value as Json;
    let answers = details.answers.as_map();
    let plain = |v: &Json| match v {
        Json::String(s) => s.clone(),
        Json::Bool(true) => "yes".into(),
        Json::Bool(false) => "no".into(),
        Json::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    let Ok(item) =
        console
            .catalog
            .item_version(actor, details.catalog_item_id, details.item_version)
    else {
        return answers
            .iter()
            .map(|(k, v)| (k.replace('_', " "), plain(v)))
            .collect();
    };
    item.form
        .fields
        .iter()
        .filter_map(|f| {
            let v = answers.get(&f.key)?;
            let label_of = |value: &str| {
                f.kind
                    .options()
                    .iter()
                    .find(|o| o.value == value)
                    .map_or_else(|| value.to_owned(), |o| o.label.clone())
            };
            let shown = match v {
                Json::String(s) if !f.kind.options().is_empty() => label_of(s),
                Json::Array(items) if !f.kind.options().is_empty() => items
                    .iter()
                    .filter_map(Json::as_str)
                    .map(label_of)
                    .collect::<Vec<_>>()
                    .join(", "),
                other => plain(other),
            };
            Some((f.label.clone(), shown))
        })
        .collect()
}

/// The row of `t`.
pub(crate) fn row(
    console: &Console,
    actor: &Actor,
    names: &mut Names,
    t: &AnyTicket,
    now: DateTime<Utc>,
) -> Row {
    Row {
        id: t.id.to_string(),
        reference: t.reference(),
        kind: t.kind.as_str(),
        title: t.title.clone(),
        status: t.status.clone(),
        class: t.status_class().map_or("open", |c| c.as_str()),
        priority: t.priority.to_string(),
        urgent: matches!(t.priority.to_string().as_str(), "critical" | "high"),
        requester: names.user(console, actor, t.requester_id),
        assignee: t.assignee_id.map(|a| names.user(console, actor, a)),
        team: t.team_id.map(|id| names.team(&id.to_string())),
        created_at: t.created_at.to_rfc3339(),
        updated_at: t.updated_at.to_rfc3339(),
        sla: timer(t, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_words() {
        assert_eq!(span(0), "0 min");
        assert_eq!(span(45), "45 min");
        assert_eq!(span(60), "1 h");
        assert_eq!(span(130), "2 h 10 min");
        assert_eq!(span(-35), "35 min");
        assert_eq!(span(1440), "1 d");
        assert_eq!(span(1440 * 3 + 180), "3 d 3 h");
    }
}
