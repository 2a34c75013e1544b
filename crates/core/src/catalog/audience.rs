//! Who may request a catalog item.

use serde::{Deserialize, Serialize};

use servicedesk_rbac::MAX_ROLE_NAME_LEN;

use crate::error::FieldError;
use crate::ids::TeamId;

/// Most teams an audience may list.
pub const MAX_AUDIENCE_TEAMS: usize = 100;
/// Most roles an audience may list.
pub const MAX_AUDIENCE_ROLES: usize = 20;

/// Who may request an item (who sees it in the catalog). Editing the catalog is a
/// separate permission (`catalog_item:*`); this only decides requesting.
///
/// Serialized with a `type` tag: `{"type": "everyone"}`,
/// `{"type": "restricted", "teams": [...], "roles": ["agent"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Audience {
    /// Every user of the organization.
    #[default]
    Everyone,
    /// Members of any listed team, or holders of any listed role (by role name, built-in
    /// or custom). Either list may be empty, not both.
    Restricted {
        /// Teams whose members may request it.
        #[serde(default)]
        teams: Vec<TeamId>,
        /// Roles whose holders may request it.
        #[serde(default)]
        roles: Vec<String>,
    },
}

impl Audience {
    /// Members of these teams.
    pub fn teams(teams: Vec<TeamId>) -> Self {
        Self::Restricted {
            teams,
            roles: Vec::new(),
        }
    }

    /// Holders of these roles.
    pub fn roles<S: Into<String>>(roles: impl IntoIterator<Item = S>) -> Self {
        Self::Restricted {
            teams: Vec::new(),
            roles: roles.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether a user in `user_teams` holding `user_roles` may request the item.
    pub fn admits(&self, user_teams: &[TeamId], user_roles: &[String]) -> bool {
        match self {
            Self::Everyone => true,
            Self::Restricted { teams, roles } => {
                teams.iter().any(|t| user_teams.contains(t))
                    || roles.iter().any(|r| user_roles.contains(r))
            }
        }
    }

    /// Checks the lists; errors are named `audience`, `audience.teams`, `audience.roles[i]`.
    /// Whether the teams exist is the use case's question (it needs the store).
    ///
    /// # Errors
    /// Both lists empty (`required`), too many entries, a repeated entry (`duplicate`), a
    /// role name that is not `a-z0-9_-` of 1..=64 (the rbac crate's rule for role names).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let Self::Restricted { teams, roles } = self else {
            return Ok(());
        };
        let mut errors = Vec::new();
        if teams.is_empty() && roles.is_empty() {
            errors.push(FieldError::new(
                "audience",
                "required",
                "name at least one team or role, or use everyone",
            ));
        }
        if teams.len() > MAX_AUDIENCE_TEAMS {
            errors.push(FieldError::new(
                "audience.teams",
                "too_many",
                format!("at most {MAX_AUDIENCE_TEAMS} teams"),
            ));
        }
        for (i, team) in teams.iter().enumerate() {
            if teams.get(..i).unwrap_or_default().contains(team) {
                errors.push(FieldError::new(
                    &format!("audience.teams[{i}]"),
                    "duplicate",
                    "listed twice",
                ));
            }
        }
        if roles.len() > MAX_AUDIENCE_ROLES {
            errors.push(FieldError::new(
                "audience.roles",
                "too_many",
                format!("at most {MAX_AUDIENCE_ROLES} roles"),
            ));
        }
        for (i, role) in roles.iter().enumerate() {
            let at = format!("audience.roles[{i}]");
            if !role_name(role) {
                errors.push(FieldError::new(
                    &at,
                    "invalid",
                    "must be a role name: 1 to 64 characters of a-z, 0-9, _ and -",
                ));
            } else if roles.get(..i).unwrap_or_default().contains(role) {
                errors.push(FieldError::new(&at, "duplicate", "listed twice"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The rbac crate's shape of a role name; whether such a role exists is not checked, since
/// an item may name a custom role created later.
fn role_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_ROLE_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}
