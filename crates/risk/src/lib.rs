//! servicedesk-risk
