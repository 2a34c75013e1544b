//! servicedesk-core
