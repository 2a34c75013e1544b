//! servicedesk-lifecycle
