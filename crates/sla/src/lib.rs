//! servicedesk-sla
