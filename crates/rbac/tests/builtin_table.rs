//! RBAC-1: every built-in role × every catalogue permission, checked against a
//! table written out by hand. `docs/rbac.md` carries the same table; the last
//! test keeps the two identical.

use servicedesk_rbac::{BuiltinRole, Permission, Role, Scope};

/// The expected grants. `org` / `group` / `own` = granted with that scope,
/// `-` = not granted. Rows in catalogue order (`Permission::all()`).
const EXPECTED: &str = "
| permission                         | admin | manager | agent | requester |
|------------------------------------|-------|---------|-------|-----------|
| `incident:create`                  | org   | org     | org   | own       |
| `incident:read`                    | org   | org     | group | own       |
| `incident:update`                  | org   | org     | group | -         |
| `incident:delete`                  | org   | org     | -     | -         |
| `incident:assign`                  | org   | org     | group | -         |
| `incident:escalate`                | org   | org     | group | -         |
| `incident:transition`              | org   | org     | group | own       |
| `incident:comment`                 | org   | org     | group | own       |
| `incident:comment_internal`        | org   | org     | group | -         |
| `incident:export`                  | org   | org     | -     | -         |
| `incident:restore`                 | org   | org     | -     | -         |
| `comment:read`                     | org   | org     | group | -         |
| `comment:update`                   | org   | org     | own   | -         |
| `comment:delete`                   | org   | org     | -     | -         |
| `task:create`                      | org   | org     | org   | -         |
| `task:read`                        | org   | org     | group | -         |
| `task:update`                      | org   | org     | group | -         |
| `task:delete`                      | org   | org     | -     | -         |
| `task:assign`                      | org   | org     | group | -         |
| `task:escalate`                    | org   | org     | group | -         |
| `task:transition`                  | org   | org     | group | -         |
| `task:comment`                     | org   | org     | group | -         |
| `task:comment_internal`            | org   | org     | group | -         |
| `task:export`                      | org   | org     | -     | -         |
| `task:restore`                     | org   | org     | -     | -         |
| `service_request:create`           | org   | org     | org   | own       |
| `service_request:read`             | org   | org     | group | own       |
| `service_request:update`           | org   | org     | group | -         |
| `service_request:delete`           | org   | org     | -     | -         |
| `service_request:assign`           | org   | org     | group | -         |
| `service_request:escalate`         | org   | org     | group | -         |
| `service_request:transition`       | org   | org     | group | own       |
| `service_request:comment`          | org   | org     | group | own       |
| `service_request:comment_internal` | org   | org     | group | -         |
| `service_request:approve`          | org   | org     | -     | -         |
| `service_request:export`           | org   | org     | -     | -         |
| `service_request:restore`          | org   | org     | -     | -         |
| `catalog_item:create`              | org   | org     | -     | -         |
| `catalog_item:read`                | org   | org     | org   | org       |
| `catalog_item:update`              | org   | org     | -     | -         |
| `catalog_item:delete`              | org   | -       | -     | -         |
| `problem:create`                   | org   | org     | org   | -         |
| `problem:read`                     | org   | org     | group | -         |
| `problem:update`                   | org   | org     | group | -         |
| `problem:delete`                   | org   | org     | -     | -         |
| `problem:assign`                   | org   | org     | group | -         |
| `problem:escalate`                 | org   | org     | group | -         |
| `problem:transition`               | org   | org     | group | -         |
| `problem:comment`                  | org   | org     | group | -         |
| `problem:comment_internal`         | org   | org     | group | -         |
| `problem:export`                   | org   | org     | -     | -         |
| `problem:restore`                  | org   | org     | -     | -         |
| `change:create`                    | org   | org     | org   | -         |
| `change:read`                      | org   | org     | group | -         |
| `change:update`                    | org   | org     | group | -         |
| `change:delete`                    | org   | org     | -     | -         |
| `change:assign`                    | org   | org     | group | -         |
| `change:escalate`                  | org   | org     | group | -         |
| `change:transition`                | org   | org     | group | -         |
| `change:comment`                   | org   | org     | group | -         |
| `change:comment_internal`          | org   | org     | group | -         |
| `change:approve`                   | org   | org     | -     | -         |
| `change:export`                    | org   | org     | -     | -         |
| `change:restore`                   | org   | org     | -     | -         |
| `ci:create`                        | org   | org     | -     | -         |
| `ci:read`                          | org   | org     | org   | -         |
| `ci:update`                        | org   | org     | -     | -         |
| `ci:delete`                        | org   | -       | -     | -         |
| `ci:export`                        | org   | -       | -     | -         |
| `asset:create`                     | org   | org     | -     | -         |
| `asset:read`                       | org   | org     | org   | -         |
| `asset:update`                     | org   | org     | -     | -         |
| `asset:delete`                     | org   | -       | -     | -         |
| `asset:export`                     | org   | -       | -     | -         |
| `kb_article:create`                | org   | org     | org   | -         |
| `kb_article:read`                  | org   | org     | org   | org       |
| `kb_article:update`                | org   | org     | org   | -         |
| `kb_article:delete`                | org   | org     | -     | -         |
| `kb_article:transition`            | org   | org     | -     | -         |
| `sla_policy:create`                | org   | org     | -     | -         |
| `sla_policy:read`                  | org   | org     | org   | -         |
| `sla_policy:update`                | org   | org     | -     | -         |
| `sla_policy:delete`                | org   | -       | -     | -         |
| `calendar:create`                  | org   | org     | -     | -         |
| `calendar:read`                    | org   | org     | org   | -         |
| `calendar:update`                  | org   | org     | -     | -         |
| `calendar:delete`                  | org   | -       | -     | -         |
| `user:create`                      | org   | -       | -     | -         |
| `user:read`                        | org   | org     | org   | own       |
| `user:update`                      | org   | own     | own   | own       |
| `user:delete`                      | org   | -       | -     | -         |
| `user:manage`                      | org   | -       | -     | -         |
| `user:export`                      | org   | -       | -     | -         |
| `team:create`                      | org   | org     | -     | -         |
| `team:read`                        | org   | org     | org   | -         |
| `team:update`                      | org   | org     | -     | -         |
| `team:delete`                      | org   | -       | -     | -         |
| `team:manage`                      | org   | org     | -     | -         |
| `role:read`                        | org   | org     | -     | -         |
| `role:manage`                      | org   | -       | -     | -         |
| `organization:create`              | org   | -       | -     | -         |
| `organization:read`                | org   | org     | -     | -         |
| `organization:update`              | org   | -       | -     | -         |
| `organization:manage`              | org   | -       | -     | -         |
| `notification:read`                | org   | own     | own   | own       |
| `notification:update`              | org   | own     | own   | own       |
| `notification:delete`              | org   | -       | -     | -         |
| `webhook:read`                     | org   | -       | -     | -         |
| `webhook:manage`                   | org   | -       | -     | -         |
| `rule:read`                        | org   | org     | -     | -         |
| `rule:manage`                      | org   | org     | -     | -         |
| `report:read`                      | org   | org     | group | -         |
| `report:export`                    | org   | org     | -     | -         |
| `survey:create`                    | org   | -       | -     | own       |
| `survey:read`                      | org   | org     | group | own       |
| `audit_event:read`                 | org   | -       | -     | -         |
| `audit_event:export`               | org   | -       | -     | -         |
";

const ROLES: [BuiltinRole; 4] = [
    BuiltinRole::Admin,
    BuiltinRole::Manager,
    BuiltinRole::Agent,
    BuiltinRole::Requester,
];

/// One parsed row: the permission text and one cell per role in `ROLES` order.
type Row = (String, [Option<Scope>; 4]);

/// Reads the data rows of a markdown table in the format above.
fn parse_table(text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut lines = text.lines().map(str::trim).filter(|l| l.starts_with('|'));
    let header: Vec<&str> = cells(lines.next().expect("header row"));
    assert_eq!(
        header,
        ["permission", "admin", "manager", "agent", "requester"]
    );
    assert!(lines.next().expect("rule row").starts_with("|--"));
    for line in lines {
        let c = cells(line);
        assert_eq!(c.len(), 5, "row {line:?}");
        let permission = c[0].trim_matches('`').to_owned();
        let scope = |cell: &str| match cell {
            "-" => None,
            s => Some(s.parse::<Scope>().unwrap_or_else(|e| panic!("{line}: {e}"))),
        };
        rows.push((
            permission,
            [scope(c[1]), scope(c[2]), scope(c[3]), scope(c[4])],
        ));
    }
    rows
}

fn cells(line: &str) -> Vec<&str> {
    line.trim_matches('|').split('|').map(str::trim).collect()
}

#[test]
fn table_lists_exactly_the_catalogue_in_order() {
    let listed: Vec<String> = parse_table(EXPECTED).into_iter().map(|(p, _)| p).collect();
    let catalogue: Vec<String> = Permission::all().iter().map(ToString::to_string).collect();
    assert_eq!(listed, catalogue);
}

#[test]
fn every_builtin_role_grants_exactly_the_table() {
    let roles: Vec<Role> = ROLES.into_iter().map(Role::builtin).collect();
    let mut mismatches = Vec::new();
    for (text, expected) in parse_table(EXPECTED) {
        let permission: Permission = text.parse().expect("table permission parses");
        for (role, want) in roles.iter().zip(expected) {
            let got = role.scope_of(permission);
            if got != want {
                mismatches.push(format!(
                    "{} {text}: table {want:?}, role {got:?}",
                    role.name
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn builtin_roles_grant_nothing_outside_the_table() {
    let table_len = parse_table(EXPECTED)
        .iter()
        .map(|(_, cells)| cells.iter().filter(|c| c.is_some()).count())
        .sum::<usize>();
    let granted: usize = ROLES
        .into_iter()
        .map(|r| Role::builtin(r).grants().len())
        .sum();
    assert_eq!(granted, table_len);
}

#[test]
fn builtin_roles_are_marked_builtin_and_named() {
    for r in ROLES {
        let role = Role::builtin(r);
        assert!(role.builtin);
        assert_eq!(role.name, r.name());
    }
}

#[test]
fn docs_table_matches_this_table() {
    let docs = include_str!("../../../docs/rbac.md");
    let start = docs
        .find("<!-- builtin-table:start -->")
        .expect("docs/rbac.md marks the start of the built-in table");
    let end = docs
        .find("<!-- builtin-table:end -->")
        .expect("docs/rbac.md marks the end of the built-in table");
    assert_eq!(parse_table(&docs[start..end]), parse_table(EXPECTED));
}
