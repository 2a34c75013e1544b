//! First start (PLT-2): the default organization, its platform admin and a default SLA setup.

use anyhow::{Result, anyhow};
use chrono::TimeDelta;
use servicedesk_core::identity::Administration;
use servicedesk_core::ids::{CalendarId, OrgId, SlaPolicyId};
use servicedesk_core::ports::{AccountStore, Clock, SlaCatalog, SlaPolicyRecord, SystemClock};
use servicedesk_core::sla::{Calendar, PolicyConditions, SlaPolicy};
use servicedesk_store::Store;

use crate::Config;

/// On an empty database: creates the default organization and its platform admin (from
/// `SERVICEDESK_ADMIN_EMAIL` / `SERVICEDESK_ADMIN_PASSWORD`, or a generated password) and a
/// default 24×7 SLA per priority. Returns the admin's address and the generated password.
pub fn first_start(
    store: &Store,
    admin: &Administration,
    config: &Config,
) -> Result<Option<(String, Option<String>)>> {
    if store.user_count()? > 0 {
        return Ok(None);
    }
    let generated = config
        .admin_password
        .is_none()
        .then(|| format!("{}-{}", uuid::Uuid::new_v4().simple(), "Sd1"));
    let password = config
        .admin_password
        .clone()
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let Some((org, _)) = admin
        .bootstrap(&config.default_org, &config.admin_email, &password)
        .map_err(|e| anyhow!("first admin: {e}"))?
    else {
        return Ok(None);
    };
    default_sla(store, org.id)?;
    Ok(Some((config.admin_email.clone(), generated)))
}

/// A 24×7 calendar and one policy per priority, so every new incident has SLA clocks.
fn default_sla(store: &Store, org: OrgId) -> Result<()> {
    let now = SystemClock.now();
    if !store.policies(org)?.is_empty() {
        return Ok(());
    }
    let calendar = CalendarId(uuid::Uuid::now_v7());
    store.save_calendar(org, calendar, "24x7", &Calendar::twenty_four_seven(), now)?;
    for (rank, priority, response, resolution) in [
        (0, "critical", 15, 4 * 60),
        (1, "high", 60, 8 * 60),
        (2, "medium", 4 * 60, 24 * 60),
        (3, "low", 8 * 60, 72 * 60),
    ] {
        let id = SlaPolicyId(uuid::Uuid::now_v7());
        store.save_policy(
            org,
            &SlaPolicyRecord {
                id,
                calendar_id: calendar,
                policy: SlaPolicy {
                    id: id.to_string(),
                    name: format!("Default {priority}"),
                    rank,
                    conditions: PolicyConditions {
                        priorities: vec![priority.into()],
                        ..PolicyConditions::default()
                    },
                    first_response: TimeDelta::minutes(response),
                    resolution: TimeDelta::minutes(resolution),
                    warn_percent: 75,
                    pause_statuses: vec!["on_hold".into()],
                    escalations: Vec::new(),
                },
            },
            now,
        )?;
    }
    Ok(())
}
