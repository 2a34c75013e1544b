//! The permission grid of the role pages: one row per resource kind, one column per
//! action, and in each cell that the catalogue has (the action applies to the kind) a
//! choice of scope — none, own, group or organization. A cell is the form field
//! `grant.<kind>.<action>`; reading the form turns the cells set to a scope back into the
//! `(permission, scope)` pairs the role use cases take. Which grants are allowed (the
//! catalogue, the privilege ceiling) is decided by core; this only reads the form.

use serde::Serialize;
use servicedesk_core::FieldError;
use servicedesk_rbac::{Action, Permission, ResourceKind, Role, Scope};

/// The form field prefix of a grid cell.
const PREFIX: &str = "grant.";

/// One cell: the field, its label, and the scope chosen (`""` for none).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Cell {
    /// The form field (`grant.incident.read`).
    pub field: String,
    /// The column's action, for the phone layout and the label.
    pub action: String,
    /// `""`, `own`, `group` or `org`.
    pub scope: String,
}

/// One row: a resource kind with a cell per action (`None` where the action does not
/// apply).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    /// The kind's name (`service_request`).
    pub kind: String,
    /// The kind in words (`service request`).
    pub label: String,
    /// One per column of [`columns`].
    pub cells: Vec<Option<Cell>>,
}

/// The column headers: every action, in words.
pub(crate) fn columns() -> Vec<String> {
    Action::ALL.iter().map(|a| words(a.name())).collect()
}

fn words(name: &str) -> String {
    match name {
        "comment_internal" => "work note".into(),
        other => other.replace('_', " "),
    }
}

/// A resource kind as a row header: sentence case, abbreviations as people write them.
fn kind_label(kind: ResourceKind) -> String {
    match kind {
        ResourceKind::Ci => "CI".into(),
        ResourceKind::KbArticle => "KB article".into(),
        ResourceKind::SlaPolicy => "SLA policy".into(),
        other => {
            let w = words(other.name());
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => w,
            }
        }
    }
}

/// The grid showing `role`'s grants (or an empty grid), with `chosen` overriding it (the
/// values a refused form sent, so nothing typed is lost).
pub(crate) fn rows(role: Option<&Role>, chosen: Option<&[(String, String)]>) -> Vec<Row> {
    ResourceKind::ALL
        .iter()
        .map(|&kind| Row {
            kind: kind.name().into(),
            label: kind_label(kind),
            cells: Action::ALL
                .iter()
                .map(|&action| {
                    if !kind.actions().contains(&action) {
                        return None;
                    }
                    let field = format!("{PREFIX}{}.{}", kind.name(), action.name());
                    let scope = match chosen {
                        Some(pairs) => pairs
                            .iter()
                            .find(|(k, _)| *k == field)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                        None => role
                            .and_then(|r| r.scope_of(Permission::new(kind, action)))
                            .map(|s| s.name().to_owned())
                            .unwrap_or_default(),
                    };
                    Some(Cell {
                        field,
                        action: words(action.name()),
                        scope,
                    })
                })
                .collect(),
        })
        .collect()
}

/// The grants a submitted grid asks for, in catalogue order: every `grant.<kind>.<action>`
/// field set to `own`, `group` or `org` (empty or `none`: not granted).
///
/// # Errors
/// A `permissions` field error for a cell that is not in the catalogue, a scope that is not
/// one of the four choices, or a cell sent twice: the form was not the page's.
pub(crate) fn parse(pairs: &[(String, String)]) -> Result<Vec<(String, Scope)>, FieldError> {
    let bad = |why: String| FieldError::new("permissions", "invalid", why);
    let mut grants: Vec<(Permission, Scope)> = Vec::new();
    let mut seen: Vec<Permission> = Vec::new();
    for (name, value) in pairs {
        let Some(cell) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let permission = cell
            .split_once('.')
            .and_then(|(k, a)| Some(Permission::new(k.parse().ok()?, a.parse().ok()?)))
            .filter(|p| p.is_known())
            .ok_or_else(|| bad(format!("{cell} is not a permission")))?;
        if seen.contains(&permission) {
            return Err(bad(format!("{permission} was sent twice")));
        }
        seen.push(permission);
        let scope = match value.trim() {
            "" | "none" => continue,
            s => s
                .parse::<Scope>()
                .map_err(|_| bad(format!("{permission}: choose none, own, group or org")))?,
        };
        grants.push((permission, scope));
    }
    grants.sort();
    Ok(grants
        .into_iter()
        .map(|(p, s)| (p.to_string(), s))
        .collect())
}

/// The submitted cells, to show a refused form again as it was sent.
pub(crate) fn sent(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use servicedesk_rbac::BuiltinRole;

    fn form(cells: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("csrf".to_owned(), "t".to_owned()),
            ("name".into(), "x".into()),
        ];
        pairs.extend(
            cells
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        pairs
    }

    #[test]
    fn cells_set_to_a_scope_become_grants_and_none_is_left_out() {
        let got = parse(&form(&[
            ("grant.incident.read", "org"),
            ("grant.incident.assign", "group"),
            ("grant.incident.delete", ""),
            ("grant.comment.read", "none"),
            ("grant.kb_article.create", "own"),
        ]))
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("incident:read".to_owned(), Scope::Org),
                ("incident:assign".to_owned(), Scope::Group),
                ("kb_article:create".to_owned(), Scope::Own),
            ]
        );
    }

    #[test]
    fn an_empty_grid_grants_nothing() {
        assert_eq!(parse(&form(&[])).unwrap(), vec![]);
    }

    #[test]
    fn cells_outside_the_catalogue_bad_scopes_and_repeats_are_refused() {
        for cells in [
            &[("grant.audit_event.delete", "org")][..],
            &[("grant.incident.fly", "org")],
            &[("grant.spaceship.read", "org")],
            &[("grant.incident", "org")],
            &[("grant.incident.read", "galaxy")],
            &[
                ("grant.incident.read", "org"),
                ("grant.incident.read", "own"),
            ],
        ] {
            let err = parse(&form(cells)).unwrap_err();
            assert_eq!(err.field, "permissions", "{cells:?}");
        }
    }

    #[test]
    fn the_grid_has_a_cell_exactly_where_the_catalogue_has_a_permission() {
        let grid = rows(None, None);
        assert_eq!(grid.len(), ResourceKind::ALL.len());
        let cells: usize = grid.iter().map(|r| r.cells.iter().flatten().count()).sum();
        assert_eq!(cells, Permission::all().len());
        assert!(grid.iter().all(|r| r.cells.len() == columns().len()));
        assert!(
            grid.iter()
                .flat_map(|r| r.cells.iter().flatten())
                .all(|c| c.scope.is_empty())
        );
    }

    #[test]
    fn a_roles_grants_fill_the_grid_and_round_trip_through_the_form() {
        let agent = Role::builtin(BuiltinRole::Agent);
        let grid = rows(Some(&agent), None);
        let pairs: Vec<(String, String)> = grid
            .iter()
            .flat_map(|r| r.cells.iter().flatten())
            .map(|c| (c.field.clone(), c.scope.clone()))
            .collect();
        let back = parse(&pairs).unwrap();
        let mut want: Vec<(String, Scope)> = agent
            .grants()
            .iter()
            .map(|g| (g.permission.to_string(), g.scope))
            .collect();
        want.sort();
        let mut back_sorted = back.clone();
        back_sorted.sort();
        assert_eq!(back_sorted, want);
    }

    #[test]
    fn row_headers_read_as_people_write_them() {
        let labels: Vec<String> = rows(None, None).into_iter().map(|r| r.label).collect();
        for want in [
            "Incident",
            "Service request",
            "CI",
            "KB article",
            "SLA policy",
            "Audit event",
        ] {
            assert!(labels.iter().any(|l| l == want), "{want} in {labels:?}");
        }
    }

    #[test]
    fn a_refused_form_shows_what_was_sent() {
        let pairs = form(&[("grant.incident.read", "own")]);
        let grid = rows(
            Some(&Role::builtin(BuiltinRole::Admin)),
            Some(&sent(&pairs)),
        );
        let read = grid[0]
            .cells
            .iter()
            .flatten()
            .find(|c| c.field == "grant.incident.read");
        assert_eq!(read.map(|c| c.scope.as_str()), Some("own"));
        let create = grid[0]
            .cells
            .iter()
            .flatten()
            .find(|c| c.field == "grant.incident.create");
        assert_eq!(create.map(|c| c.scope.as_str()), Some(""));
    }
}
