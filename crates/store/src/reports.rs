//! `ReportStore` on both backends: the open backlog counted in SQL (grouped by priority and
//! SLA state, through the ticket listing's visibility condition), and the narrow columns of
//! the window's tickets for the figures core computes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use servicedesk_core::ids::OrgId;
use servicedesk_core::ports::StoreError;
use servicedesk_core::priority::Priority;
use servicedesk_core::reports::{OpenCount, ReportScope, ReportStore, TicketFact};
use servicedesk_core::tickets::{SlaState, StatusClass, TicketKind};

use crate::Store;
use crate::error::{corrupt, map};
use crate::rows::parse;
use crate::schema::tickets;
use crate::tickets::{Cond, scopes_condition};
use crate::time::{db, utc};

/// The stored SLA state `text`.
fn sla_state(text: &str) -> Result<SlaState, StoreError> {
    SlaState::ALL
        .iter()
        .copied()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| corrupt("sla state", text))
}

type FactRow = (
    String,
    String,
    String,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
);

fn fact(
    (kind, priority, sla, created, resolved, answered): FactRow,
) -> Result<TicketFact, StoreError> {
    Ok(TicketFact {
        kind: parse::<TicketKind>("ticket kind", &kind)?,
        priority: parse::<Priority>("priority", &priority)?,
        sla_state: sla_state(&sla)?,
        created_at: utc(created),
        resolved_at: resolved.map(utc),
        first_responded_at: answered.map(utc),
    })
}

/// The live tickets of `org` within `scope` as one condition; `None` when the scope lets
/// nothing through. (One boxed condition on an unboxed query: diesel cannot group a boxed
/// query.)
fn scoped(org: OrgId, scope: &ReportScope) -> Option<Cond> {
    let cond = scopes_condition(&scope.scopes)?;
    let base = tickets::org_id
        .eq(org.to_string())
        .and(tickets::deleted_at.is_null())
        .nullable()
        .and(cond);
    Some(match scope.assignee_id {
        Some(user) => Box::new(base.and(tickets::assignee_id.eq(user.to_string()))),
        None => Box::new(base),
    })
}

/// `cond` and `more`, as one condition again.
macro_rules! and {
    ($cond:expr, $more:expr $(,)?) => {{
        let c: Cond = Box::new($cond.and($more));
        c
    }};
}

impl ReportStore for Store {
    fn open_counts(
        &self,
        org: OrgId,
        scope: &ReportScope,
        created_from: Option<DateTime<Utc>>,
        created_to: Option<DateTime<Utc>>,
    ) -> Result<Vec<OpenCount>, StoreError> {
        let Some(mut cond) = scoped(org, scope) else {
            return Ok(Vec::new());
        };
        cond = and!(
            cond,
            tickets::status_class
                .eq_any([StatusClass::Open.as_str(), StatusClass::Pending.as_str()])
                .nullable(),
        );
        if let Some(t) = created_from {
            cond = and!(cond, tickets::created_at.ge(db(t)).nullable());
        }
        if let Some(t) = created_to {
            cond = and!(cond, tickets::created_at.lt(db(t)).nullable());
        }
        tickets::table
            .filter(cond)
            .group_by((tickets::priority, tickets::sla_state))
            .select((
                tickets::priority,
                tickets::sla_state,
                diesel::dsl::count_star(),
            ))
            .load::<(String, String, i64)>(&mut *self.db.conn()?)
            .map_err(map("ticket"))?
            .into_iter()
            .map(|(p, s, n)| {
                Ok(OpenCount {
                    priority: parse("priority", &p)?,
                    sla_state: sla_state(&s)?,
                    count: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect()
    }

    fn created_since(
        &self,
        org: OrgId,
        scope: &ReportScope,
        from: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TicketFact>, StoreError> {
        let Some(cond) = scoped(org, scope) else {
            return Ok(Vec::new());
        };
        tickets::table
            .filter(and!(cond, tickets::created_at.ge(db(from)).nullable()))
            .order((tickets::created_at.desc(), tickets::id.desc()))
            .limit(i64::from(limit))
            .select((
                tickets::kind,
                tickets::priority,
                tickets::sla_state,
                tickets::created_at,
                tickets::resolved_at,
                tickets::first_responded_at,
            ))
            .load::<FactRow>(&mut *self.db.conn()?)
            .map_err(map("ticket"))?
            .into_iter()
            .map(fact)
            .collect()
    }

    fn resolved_since(
        &self,
        org: OrgId,
        scope: &ReportScope,
        from: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TicketFact>, StoreError> {
        let Some(cond) = scoped(org, scope) else {
            return Ok(Vec::new());
        };
        tickets::table
            .filter(and!(cond, tickets::resolved_at.ge(db(from))))
            .order((tickets::resolved_at.desc(), tickets::id.desc()))
            .limit(i64::from(limit))
            .select((
                tickets::kind,
                tickets::priority,
                tickets::sla_state,
                tickets::created_at,
                tickets::resolved_at,
                tickets::first_responded_at,
            ))
            .load::<FactRow>(&mut *self.db.conn()?)
            .map_err(map("ticket"))?
            .into_iter()
            .map(fact)
            .collect()
    }
}
