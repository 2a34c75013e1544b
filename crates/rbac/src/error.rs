//! What can go wrong when reading names or building roles.

use crate::permission::Permission;

/// Bad input to the RBAC model: an unknown name, or a custom role that breaks a rule.
///
/// Every variant carries the offending text so an API can echo it back to the
/// caller field by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RbacError {
    /// The text is not a `resource:action` pair from the permission catalogue.
    #[error(
        "unknown permission `{text}`: expected `resource:action` from the catalogue, \
         e.g. `incident:read`"
    )]
    UnknownPermission {
        /// The text as given.
        text: String,
    },
    /// Several texts of a custom role's grant list are not catalogue permissions.
    ///
    /// Reported together so the caller can fix all of them in one round trip.
    #[error("unknown permissions: {}", quoted(texts))]
    UnknownPermissions {
        /// Each unknown text as given, in input order.
        texts: Vec<String>,
    },
    /// The text names no resource kind.
    #[error("unknown resource kind `{text}`")]
    UnknownResourceKind {
        /// The text as given.
        text: String,
    },
    /// The text names no action.
    #[error("unknown action `{text}`")]
    UnknownAction {
        /// The text as given.
        text: String,
    },
    /// The text names no scope (`own`, `group`, `org`).
    #[error("unknown scope `{text}`: expected `own`, `group` or `org`")]
    UnknownScope {
        /// The text as given.
        text: String,
    },
    /// The text names no built-in role.
    #[error("unknown built-in role `{text}`: expected `admin`, `manager`, `agent` or `requester`")]
    UnknownBuiltinRole {
        /// The text as given.
        text: String,
    },
    /// A custom role name is empty, too long or uses characters outside `[a-z0-9_-]`.
    #[error("invalid role name `{name}`: {reason}")]
    InvalidRoleName {
        /// The name as given.
        name: String,
        /// Which rule the name breaks.
        reason: &'static str,
    },
    /// A custom role may not take the name of a built-in role.
    #[error("role name `{name}` is reserved for a built-in role")]
    ReservedRoleName {
        /// The name as given.
        name: String,
    },
    /// A custom role grants the same permission twice.
    ///
    /// Rejected rather than merged: two scopes for one permission is almost
    /// always a mistake in the caller's form, and silently keeping one would
    /// hide it.
    #[error("permission `{permission}` is granted more than once")]
    DuplicatePermission {
        /// The repeated permission.
        permission: Permission,
    },
}

fn quoted(texts: &[String]) -> String {
    texts
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
