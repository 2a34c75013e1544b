//! servicedesk-rbac
