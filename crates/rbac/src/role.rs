//! Roles: named sets of grants, built-in or custom.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::builtin::BuiltinRole;
use crate::error::RbacError;
use crate::permission::Permission;
use crate::scope::Scope;

/// One permission with the scope it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    /// What is granted.
    pub permission: Permission,
    /// How far it reaches.
    pub scope: Scope,
}

impl Grant {
    /// Pairs a permission with a scope.
    pub const fn new(permission: Permission, scope: Scope) -> Self {
        Self { permission, scope }
    }

    /// Reads a grant from a permission string such as `"incident:read"`.
    ///
    /// # Errors
    /// [`RbacError::UnknownPermission`] when the text is not in the catalogue.
    pub fn parse(permission: &str, scope: Scope) -> Result<Self, RbacError> {
        Ok(Self::new(permission.parse()?, scope))
    }
}

/// The longest custom role name, in characters.
pub const MAX_ROLE_NAME_LEN: usize = 64;

/// A named set of grants.
///
/// Build one with [`Role::builtin`] or [`Role::custom`], which check the
/// rules. The fields are public so a store can rebuild a role it saved; a role
/// put together by hand is still judged safely, because
/// [`Role::scope_of`] takes the widest scope when a permission appears twice
/// and [`crate::decide`] ignores permissions outside the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Role {
    /// The role's name: a built-in name, or a custom one (`[a-z0-9_-]{1,64}`).
    pub name: String,
    /// Whether this is one of the four built-in roles.
    pub builtin: bool,
    /// What the role grants, sorted by permission, one grant per permission.
    pub grants: Vec<Grant>,
}

impl Role {
    /// The built-in role, with the grants listed in `docs/rbac.md`.
    pub fn builtin(r: BuiltinRole) -> Role {
        Role {
            name: r.name().to_owned(),
            builtin: true,
            grants: r.grants(),
        }
    }

    /// A custom role (RBAC-3).
    ///
    /// The grants are stored sorted by permission, so two roles with the same
    /// grants compare equal whatever order the caller listed them in.
    ///
    /// # Errors
    /// - [`RbacError::InvalidRoleName`] unless the name is 1 to 64 characters
    ///   of `a-z`, `0-9`, `_`, `-`;
    /// - [`RbacError::ReservedRoleName`] for a built-in role's name;
    /// - [`RbacError::UnknownPermission`] for a permission outside the catalogue
    ///   (only reachable when a `Permission` was built with
    ///   [`Permission::new`]);
    /// - [`RbacError::DuplicatePermission`] when a permission appears twice.
    pub fn custom(name: &str, grants: Vec<Grant>) -> Result<Role, RbacError> {
        validate_name(name)?;
        let mut seen = BTreeSet::new();
        for grant in &grants {
            if !grant.permission.is_known() {
                return Err(RbacError::UnknownPermission {
                    text: grant.permission.to_string(),
                });
            }
            if !seen.insert(grant.permission) {
                return Err(RbacError::DuplicatePermission {
                    permission: grant.permission,
                });
            }
        }
        let mut grants = grants;
        grants.sort();
        Ok(Role {
            name: name.to_owned(),
            builtin: false,
            grants,
        })
    }

    /// A custom role from permission strings, as an API form sends them.
    ///
    /// # Errors
    /// As [`Role::custom`]; every unknown permission string is reported at
    /// once in [`RbacError::UnknownPermissions`], after the name is checked.
    pub fn custom_from_strs<S: AsRef<str>>(
        name: &str,
        grants: &[(S, Scope)],
    ) -> Result<Role, RbacError> {
        validate_name(name)?;
        let mut parsed = Vec::with_capacity(grants.len());
        let mut unknown = Vec::new();
        for (text, scope) in grants {
            match Grant::parse(text.as_ref(), *scope) {
                Ok(g) => parsed.push(g),
                Err(_) => unknown.push(text.as_ref().to_owned()),
            }
        }
        if !unknown.is_empty() {
            return Err(RbacError::UnknownPermissions { texts: unknown });
        }
        Role::custom(name, parsed)
    }

    /// The scope this role grants for `p`, if any.
    pub fn scope_of(&self, p: Permission) -> Option<Scope> {
        // `max` rather than `find`: a role rebuilt by hand may list a
        // permission twice, and the wider grant is the one that was meant to
        // count (a narrower duplicate adds nothing).
        self.grants
            .iter()
            .filter(|g| g.permission == p)
            .map(|g| g.scope)
            .max()
    }

    /// What the role grants.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The permissions the role grants, whatever their scope.
    pub fn permissions(&self) -> impl Iterator<Item = Permission> + '_ {
        self.grants.iter().map(|g| g.permission)
    }

    /// The built-in role this is, if it is one.
    pub fn builtin_kind(&self) -> Option<BuiltinRole> {
        if self.builtin {
            self.name.parse().ok()
        } else {
            None
        }
    }
}

fn validate_name(name: &str) -> Result<(), RbacError> {
    let invalid = |reason| RbacError::InvalidRoleName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if name.chars().count() > MAX_ROLE_NAME_LEN {
        return Err(invalid("must be at most 64 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(invalid("may hold only a-z, 0-9, `_` and `-`"));
    }
    if name.parse::<BuiltinRole>().is_ok() {
        return Err(RbacError::ReservedRoleName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permission::{Action, ResourceKind};

    #[test]
    fn scope_of_takes_the_widest_duplicate() {
        let p = Permission::new(ResourceKind::Incident, Action::Read);
        let role = Role {
            name: "hand-made".into(),
            builtin: false,
            grants: vec![Grant::new(p, Scope::Own), Grant::new(p, Scope::Group)],
        };
        assert_eq!(role.scope_of(p), Some(Scope::Group));
    }

    #[test]
    fn builtin_kind_only_for_builtin_roles() {
        assert_eq!(
            Role::builtin(BuiltinRole::Agent).builtin_kind(),
            Some(BuiltinRole::Agent)
        );
        let fake = Role {
            name: "admin".into(),
            builtin: false,
            grants: vec![],
        };
        assert_eq!(fake.builtin_kind(), None);
    }
}
