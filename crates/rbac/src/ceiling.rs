//! The privilege ceiling: what a user may hand out is bounded by what they hold.

use crate::role::{Grant, Role};

/// The grants of `wanted` that `held` does not cover, in `wanted`'s order.
///
/// A grant is covered when one of the `held` roles grants the same permission at an equal or
/// wider scope (`Own < Group < Org`). A user may give a role, or build a custom role, only
/// when this is empty: nobody hands out more than they hold themselves.
pub fn uncovered(wanted: &[Grant], held: &[Role]) -> Vec<Grant> {
    wanted
        .iter()
        .filter(|g| {
            held.iter()
                .filter_map(|r| r.scope_of(g.permission))
                .max()
                .is_none_or(|scope| scope < g.scope)
        })
        .copied()
        .collect()
}

/// Whether the `held` roles cover every grant of `wanted` (see [`uncovered`]).
pub fn covers(held: &[Role], wanted: &[Grant]) -> bool {
    uncovered(wanted, held).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::BuiltinRole;
    use crate::permission::{Action, Permission, ResourceKind};
    use crate::scope::Scope::{self, Group, Org, Own};

    fn grant(kind: ResourceKind, action: Action, scope: Scope) -> Grant {
        Grant::new(Permission::new(kind, action), scope)
    }

    fn custom(grants: Vec<Grant>) -> Role {
        Role::custom("held", grants).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_grant_is_covered_at_an_equal_or_wider_scope_only() {
        use ResourceKind::Incident;
        // (held scope, wanted scope, covered)
        let table = [
            (Some(Own), Own, true),
            (Some(Own), Group, false),
            (Some(Own), Org, false),
            (Some(Group), Own, true),
            (Some(Group), Group, true),
            (Some(Group), Org, false),
            (Some(Org), Own, true),
            (Some(Org), Group, true),
            (Some(Org), Org, true),
            (None, Own, false),
            (None, Org, false),
        ];
        for (held, wanted, expected) in table {
            let roles = match held {
                Some(s) => vec![custom(vec![grant(Incident, Action::Read, s)])],
                None => vec![custom(vec![grant(Incident, Action::Update, Org)])],
            };
            let want = [grant(Incident, Action::Read, wanted)];
            assert_eq!(
                covers(&roles, &want),
                expected,
                "held {held:?}, wanted {wanted:?}"
            );
        }
    }

    #[test]
    fn grants_of_several_roles_add_up_and_the_widest_counts() {
        use ResourceKind::{Incident, User};
        let held = vec![
            custom(vec![grant(Incident, Action::Read, Own)]),
            Role::custom(
                "other",
                vec![
                    grant(Incident, Action::Read, Org),
                    grant(User, Action::Create, Org),
                ],
            )
            .unwrap_or_else(|e| panic!("{e}")),
        ];
        let want = [
            grant(Incident, Action::Read, Org),
            grant(User, Action::Create, Org),
            grant(User, Action::Update, Own),
        ];
        assert_eq!(
            uncovered(&want, &held),
            vec![grant(User, Action::Update, Own)]
        );
    }

    #[test]
    fn builtin_roles_cover_themselves_and_only_admin_covers_admin() {
        let role = Role::builtin;
        for holder in BuiltinRole::all() {
            assert!(covers(&[role(holder)], role(holder).grants()), "{holder}");
            assert!(
                covers(&[role(BuiltinRole::Admin)], role(holder).grants()),
                "admin covers {holder}"
            );
        }
        for holder in [
            BuiltinRole::Manager,
            BuiltinRole::Agent,
            BuiltinRole::Requester,
        ] {
            assert!(
                !covers(&[role(holder)], role(BuiltinRole::Admin).grants()),
                "{holder} must not cover admin"
            );
        }
        assert!(!covers(
            &[role(BuiltinRole::Agent)],
            role(BuiltinRole::Manager).grants()
        ));
    }

    #[test]
    fn nothing_wanted_is_always_covered() {
        assert!(covers(&[], &[]));
    }
}
