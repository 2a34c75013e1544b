//! Shared harness of the store conformance suite: a fresh database per test on each
//! backend, the `conformance!` macro that runs one test body against both, and fixtures
//! (an organization with users, teams, a 24×7 calendar and a policy; incidents, tasks and
//! the write sets a use case would hand the store).
//!
//! SQLite always runs: each test gets its own file under the temp dir, deleted on drop.
//! PostgreSQL runs when `SERVICEDESK_TEST_PG` names a server (for example
//! `postgres://postgres@127.0.0.1:5432/postgres`): each test creates `sd_test_<uuid>` there
//! and drops it on drop. When the variable is set the server must answer: an unreachable
//! server fails the test instead of skipping it.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use servicedesk_core::entities::{
    Comment, HistoryEntry, Incident, IncidentSla, Organization, Task, Team, User,
};
use servicedesk_core::events::{AuditRecord, DomainEvent, EventPayload, FieldChange};
use servicedesk_core::ids::{
    CalendarId, CommentId, EventId, HistoryId, IncidentId, OrgId, SlaPolicyId, TaskId, TeamId,
    UserId,
};
use servicedesk_core::lifecycle::incident::IncidentState;
use servicedesk_core::lifecycle::task::TaskState;
use servicedesk_core::ports::{
    AuditLog, IncidentQuery, IncidentStore, Outbox, OutboxMessage, SlaPolicyRecord, StoreError,
    Visibility, WriteSet,
};
use servicedesk_core::priority::{Impact, Priority, Urgency};
use servicedesk_core::sla::{Calendar, PolicyConditions, SlaClock, SlaPolicy};
use servicedesk_store::{Backend, Store};
use uuid::Uuid;

/// The environment variable naming a PostgreSQL server for the PG variants.
pub const PG_ENV: &str = "SERVICEDESK_TEST_PG";

/// Runs each named test body (a `fn name(store: &Store)` of the including file) once on a
/// fresh SQLite database (`sqlite::name`) and once on a fresh PostgreSQL database
/// (`postgres::name`). `pool = N;` sets the connection pool size (default 4).
macro_rules! conformance {
    (pool = $pool:expr; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let db = crate::common::TestDb::sqlite($pool);
                    super::$name(db.store());
                }
            )+
        }

        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(db) = crate::common::TestDb::postgres($pool) else {
                        return;
                    };
                    super::$name(db.store());
                }
            )+
        }
    };
    ($($name:ident),+ $(,)?) => {
        conformance!(pool = 4; $($name),+);
    };
}

// ---------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// A store on a database of its own, removed on drop.
pub struct TestDb {
    store: Option<Store>,
    cleanup: Cleanup,
}

impl TestDb {
    /// A store on a new SQLite file under the temp dir.
    pub fn sqlite(pool: u32) -> Self {
        Self::sqlite_with(pool, Store::open)
    }

    /// A store on a new, empty SQLite file: no migration applied (upgrade tests).
    pub fn sqlite_unmigrated(pool: u32) -> Self {
        Self::sqlite_with(pool, Store::connect)
    }

    /// A store on a new, empty PostgreSQL database: no migration applied (upgrade tests).
    pub fn postgres_unmigrated(pool: u32) -> Option<Self> {
        Self::postgres_with(pool, Store::connect)
    }

    fn sqlite_with(pool: u32, open: fn(&str, u32) -> Result<Store, StoreError>) -> Self {
        let path =
            std::env::temp_dir().join(format!("servicedesk-test-{}.db", Uuid::now_v7().simple()));
        let url = path.to_str().expect("temp path is UTF-8").to_owned();
        let store =
            open(&url, pool).unwrap_or_else(|e| panic!("cannot open SQLite store at {url}: {e}"));
        assert_eq!(store.backend(), Backend::Sqlite);
        Self {
            store: Some(store),
            cleanup: Cleanup::Sqlite(path),
        }
    }

    /// A store on a new database of the server named by `SERVICEDESK_TEST_PG`; `None`
    /// (after saying so) when the variable is unset. Panics when it is set but the server
    /// cannot be reached or the database cannot be created.
    pub fn postgres(pool: u32) -> Option<Self> {
        Self::postgres_with(pool, Store::open)
    }

    fn postgres_with(pool: u32, open: fn(&str, u32) -> Result<Store, StoreError>) -> Option<Self> {
        let admin_url = match std::env::var(PG_ENV) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                println!("skipped: {PG_ENV} not set");
                return None;
            }
        };
        let name = format!("sd_test_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!("{PG_ENV} is set to {admin_url:?} but the server cannot be reached: {e}")
        });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        drop(admin);
        // From here on the database exists: Drop removes it even if opening fails.
        let mut db = Self {
            store: None,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.clone(),
                name: name.clone(),
            },
        };
        let url = with_database(&admin_url, &name);
        let store = open(&url, pool)
            .unwrap_or_else(|e| panic!("cannot open PostgreSQL store on {url}: {e}"));
        assert_eq!(store.backend(), Backend::Postgres);
        db.store = Some(store);
        Some(db)
    }

    /// The PostgreSQL database's URL (`None` on SQLite).
    pub fn postgres_url(&self) -> Option<String> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, name } => Some(with_database(admin_url, name)),
            _ => None,
        }
    }

    /// The store under test.
    pub fn store(&self) -> &Store {
        self.store.as_ref().expect("store is open")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Close the pool first so nothing holds the file or the database.
        drop(self.store.take());
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
            }
            Cleanup::Postgres { admin_url, name } => match PgConnection::establish(admin_url) {
                Ok(mut admin) => {
                    if let Err(e) =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                    {
                        eprintln!("warning: cannot drop test database {name}: {e}");
                    }
                }
                Err(e) => eprintln!("warning: cannot drop test database {name}: {e}"),
            },
        }
    }
}

/// `url` with its database name replaced by `name` (query string kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

// ---------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------

/// Monday 2026-03-02 09:00:00 UTC: the fixtures' "now".
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// `t0` plus whole minutes.
pub fn mins(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

/// 2100-01-01 00:00 UTC plus whole minutes: instants after every fixture time, for the
/// outbox (messages written at fixture times are all available then).
pub fn far(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(m)
}

static PROBE_HOURS: AtomicI64 = AtomicI64::new(0);

/// Every message a claimer could take right now, without disturbing later probes: claims
/// at a fresh instant in the year 2200 (each probe an hour after the previous one) with a
/// one-minute lease. Do not mix with explicit claims at later instants in the same test.
pub fn outbox_probe(store: &Store) -> Vec<OutboxMessage> {
    let k = PROBE_HOURS.fetch_add(1, Ordering::SeqCst);
    let now = Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).unwrap() + TimeDelta::hours(k);
    store
        .claim(now, now + TimeDelta::minutes(1), 100_000)
        .expect("outbox claim")
}

/// The event ids of [`outbox_probe`].
pub fn outbox_ids(store: &Store) -> HashSet<EventId> {
    outbox_probe(store)
        .into_iter()
        .map(|m| m.event.id)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------

/// A fresh (time-ordered) UUID.
pub fn uuid() -> Uuid {
    Uuid::now_v7()
}

/// A fresh typed id.
pub fn new_id<T: From<Uuid>>() -> T {
    T::from(uuid())
}

// ---------------------------------------------------------------------------------------
// An organization and its people
// ---------------------------------------------------------------------------------------

/// An organization with an admin, two agents (one per team), two requesters, two teams,
/// a 24×7 calendar and a default policy (1 h / 8 h, warning at 75 %).
#[derive(Debug, Clone)]
pub struct Fx {
    pub org: OrgId,
    pub admin: UserId,
    pub agent: UserId,
    pub agent2: UserId,
    pub requester: UserId,
    pub requester2: UserId,
    pub team: TeamId,
    pub team2: TeamId,
    pub calendar: CalendarId,
    pub policy: SlaPolicyId,
}

/// A user of `org` with a platform-unique e-mail address.
pub fn user(org: OrgId, name: &str, roles: &[&str], teams: &[TeamId]) -> User {
    User {
        id: new_id(),
        org_id: org,
        email: format!("{name}.{}@example.test", uuid().simple()),
        name: name.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        team_ids: teams.to_vec(),
        active: true,
        manager_id: None,
        time_zone: None,
        created_at: t0(),
    }
}

/// A team of `org`.
pub fn team(org: OrgId, name: &str, manager: Option<UserId>) -> Team {
    Team {
        id: new_id(),
        org_id: org,
        name: name.to_owned(),
        manager_id: manager,
        created_at: t0(),
    }
}

/// The default policy record of `calendar`: 60 min / 480 min, warn 75 %, pauses on hold.
pub fn policy_record(id: SlaPolicyId, calendar: CalendarId, rank: i32) -> SlaPolicyRecord {
    SlaPolicyRecord {
        id,
        calendar_id: calendar,
        policy: SlaPolicy {
            id: id.to_string(),
            name: format!("Default {rank}"),
            rank,
            conditions: PolicyConditions::default(),
            first_response: TimeDelta::minutes(60),
            resolution: TimeDelta::minutes(480),
            warn_percent: 75,
            pause_statuses: vec!["on_hold".to_owned()],
            escalations: Vec::new(),
        },
    }
}

/// Creates an organization named `label` (made unique) with its people, teams, calendar
/// and policy.
pub fn org_fixture(store: &Store, label: &str) -> Fx {
    let org = Organization {
        id: new_id(),
        name: format!("{label} {}", uuid().simple()),
        created_at: t0(),
    };
    let stored = store
        .create_organization(&org)
        .expect("create organization");
    assert_eq!(stored, org);
    let org_id = org.id;

    // The admin first: the first team names them as its manager.
    let admin = user(org_id, "admin", &["admin"], &[]);
    store.create_user(&admin).expect("create admin");
    let team1 = team(org_id, "Service desk", Some(admin.id));
    let team2 = team(org_id, "Network", None);
    store.create_team(&team1).expect("create team 1");
    store.create_team(&team2).expect("create team 2");

    let agent = user(org_id, "agent", &["agent"], &[team1.id]);
    let agent2 = user(org_id, "agent2", &["agent"], &[team2.id]);
    let requester = user(org_id, "requester", &["requester"], &[]);
    let requester2 = user(org_id, "requester2", &["requester"], &[]);
    for u in [&agent, &agent2, &requester, &requester2] {
        store.create_user(u).expect("create user");
    }

    let calendar: CalendarId = new_id();
    store
        .save_calendar(
            org_id,
            calendar,
            "24x7",
            &Calendar::twenty_four_seven(),
            t0(),
        )
        .expect("save calendar");
    let policy: SlaPolicyId = new_id();
    store
        .save_policy(org_id, &policy_record(policy, calendar, 10), t0())
        .expect("save policy");

    Fx {
        org: org_id,
        admin: admin.id,
        agent: agent.id,
        agent2: agent2.id,
        requester: requester.id,
        requester2: requester2.id,
        team: team1.id,
        team2: team2.id,
        calendar,
        policy,
    }
}

// ---------------------------------------------------------------------------------------
// Incidents, tasks, comments
// ---------------------------------------------------------------------------------------

/// A new incident of `fx.org` raised by `requester` at `t0`: number 0 (the store assigns
/// it), version 1, status new, medium priority, the default SLA running since `t0`.
pub fn incident(fx: &Fx, requester: UserId, title: &str) -> Incident {
    let at = t0();
    Incident {
        id: new_id(),
        org_id: fx.org,
        number: 0,
        title: title.to_owned(),
        description: format!("Details of {title}"),
        impact: Impact::Medium,
        urgency: Urgency::Medium,
        priority: Priority::Medium,
        category: String::new(),
        status: IncidentState::New,
        requester_id: requester,
        created_by: requester,
        team_id: None,
        assignee_id: None,
        kind: servicedesk_core::tickets::TicketKind::Incident,
        details: servicedesk_core::entities::IncidentDetails {
            escalation_level: 0,
            resolution_code: None,
            resolution_notes: None,
        },
        resolved_at: None,
        closed_at: None,
        first_responded_at: None,
        sla: Some(IncidentSla {
            policy_id: fx.policy,
            calendar_id: fx.calendar,
            pause_statuses: vec!["on_hold".to_owned()],
            response: SlaClock::start(TimeDelta::minutes(60), 75, at),
            resolution: SlaClock::start(TimeDelta::minutes(480), 75, at),
        }),
        // 75 % of the one-hour first-response target.
        next_sla_due_at: Some(at + TimeDelta::minutes(45)),
        version: 1,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

/// An incident with every optional field filled, for round trips.
pub fn full_incident(fx: &Fx, title: &str) -> Incident {
    let mut inc = incident(fx, fx.requester, title);
    inc.impact = Impact::High;
    inc.urgency = Urgency::Low;
    inc.priority = Priority::Medium;
    inc.category = "hardware/printer".to_owned();
    inc.status = IncidentState::Resolved;
    inc.created_by = fx.agent;
    inc.team_id = Some(fx.team);
    inc.assignee_id = Some(fx.agent);
    inc.details.escalation_level = 2;
    inc.details.resolution_code = Some("fixed".to_owned());
    inc.details.resolution_notes = Some("Replaced the fuser — «ünïcödé» works".to_owned());
    inc.first_responded_at = Some(mins(5));
    inc.resolved_at = Some(mins(90));
    inc.closed_at = Some(mins(120));
    inc.updated_at = mins(120);
    inc.next_sla_due_at = None;
    if let Some(sla) = inc.sla.as_mut() {
        let cal = Calendar::twenty_four_seven();
        sla.response.stop(&cal, mins(5));
        sla.resolution.pause(&cal, mins(30));
        sla.resolution.resume(mins(40));
        sla.resolution.stop(&cal, mins(90));
        sla.response.warned_at = Some(mins(4));
    }
    inc
}

/// `inc` as the store should hold it after a create that gave it `number`.
pub fn as_created(inc: &Incident, number: i64) -> Incident {
    Incident {
        number,
        version: 1,
        ..inc.clone()
    }
}

/// A task of `incident` created at `at`.
pub fn task(org: OrgId, incident: IncidentId, title: &str, at: DateTime<Utc>) -> Task {
    Task {
        id: new_id(),
        org_id: org,
        ticket_id: incident,
        number: 0,
        title: title.to_owned(),
        team_id: None,
        status: TaskState::Open,
        assignee_id: None,
        deadline: Some(at + TimeDelta::days(1)),
        priority: Priority::Medium,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// A comment on `inc`.
pub fn comment(
    inc: &Incident,
    author: UserId,
    body: &str,
    internal: bool,
    at: DateTime<Utc>,
) -> Comment {
    Comment {
        id: new_id::<CommentId>(),
        org_id: inc.org_id,
        ticket_id: inc.id,
        author_id: author,
        body: body.to_owned(),
        internal,
        created_at: at,
    }
}

/// A history row on `inc`.
pub fn history(
    inc: &Incident,
    actor: Option<UserId>,
    at: DateTime<Utc>,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> HistoryEntry {
    HistoryEntry {
        id: new_id::<HistoryId>(),
        org_id: inc.org_id,
        ticket_id: inc.id,
        actor_id: actor,
        at,
        field: field.to_owned(),
        old_value: old.map(str::to_owned),
        new_value: new.map(str::to_owned),
    }
}

/// An audit record of `org`.
pub fn audit(
    org: OrgId,
    actor: Option<UserId>,
    action: &str,
    target_kind: &str,
    target_id: &str,
    at: DateTime<Utc>,
) -> AuditRecord {
    AuditRecord {
        org_id: org,
        actor_id: actor,
        action: action.to_owned(),
        target_kind: target_kind.to_owned(),
        target_id: target_id.to_owned(),
        at,
        detail: serde_json::json!({ "action": action, "fields": ["title", "status"], "n": 1 }),
    }
}

/// A domain event of `org` with a fresh id.
pub fn event(
    org: OrgId,
    actor: Option<UserId>,
    at: DateTime<Utc>,
    payload: EventPayload,
) -> DomainEvent {
    DomainEvent {
        id: new_id(),
        org_id: org,
        occurred_at: at,
        actor_id: actor,
        payload,
    }
}

/// What a create use case hands the store: one history row, one audit record, one
/// `IncidentCreated` event, all at `inc.created_at`.
pub fn create_write(inc: &Incident, actor: UserId) -> WriteSet {
    let at = inc.created_at;
    WriteSet {
        comments: Vec::new(),
        history: vec![history(inc, Some(actor), at, "status", None, Some("new"))],
        audit: vec![audit(
            inc.org_id,
            Some(actor),
            "incident.create",
            "incident",
            &inc.id.to_string(),
            at,
        )],
        events: vec![event(
            inc.org_id,
            Some(actor),
            at,
            EventPayload::IncidentCreated {
                incident_id: inc.id,
                priority: inc.priority,
                requester_id: inc.requester_id,
            },
        )],
    }
}

/// What an update use case hands the store for one changed field at `at`.
pub fn update_write(
    inc: &Incident,
    actor: UserId,
    at: DateTime<Utc>,
    field: &str,
    old: &str,
    new: &str,
) -> WriteSet {
    WriteSet {
        comments: Vec::new(),
        history: vec![history(inc, Some(actor), at, field, Some(old), Some(new))],
        audit: vec![audit(
            inc.org_id,
            Some(actor),
            "incident.update",
            "incident",
            &inc.id.to_string(),
            at,
        )],
        events: vec![event(
            inc.org_id,
            Some(actor),
            at,
            EventPayload::IncidentUpdated {
                incident_id: inc.id,
                changes: vec![FieldChange {
                    field: field.to_owned(),
                    old: Some(old.to_owned()),
                    new: Some(new.to_owned()),
                }],
            },
        )],
    }
}

/// What the task use case hands the store when creating `task`.
pub fn task_write(org: OrgId, task: &Task, actor: UserId) -> WriteSet {
    WriteSet {
        comments: Vec::new(),
        history: Vec::new(),
        audit: vec![audit(
            org,
            Some(actor),
            "task.create",
            "task",
            &task.id.to_string(),
            task.created_at,
        )],
        events: vec![event(
            org,
            Some(actor),
            task.created_at,
            EventPayload::TaskCreated {
                incident_id: task.ticket_id,
                task_id: task.id,
            },
        )],
    }
}

/// What the task use case hands the store when moving `task` from `from` to its status.
pub fn task_status_write(
    org: OrgId,
    task: &Task,
    actor: UserId,
    from: TaskState,
    at: DateTime<Utc>,
) -> WriteSet {
    WriteSet {
        comments: Vec::new(),
        history: Vec::new(),
        audit: vec![audit(
            org,
            Some(actor),
            "task.transition",
            "task",
            &task.id.to_string(),
            at,
        )],
        events: vec![event(
            org,
            Some(actor),
            at,
            EventPayload::TaskStatusChanged {
                incident_id: task.ticket_id,
                task_id: task.id,
                from: from.as_str().to_owned(),
                to: task.status.as_str().to_owned(),
            },
        )],
    }
}

/// Every event id of `write`.
pub fn event_ids(write: &WriteSet) -> Vec<EventId> {
    write.events.iter().map(|e| e.id).collect()
}

/// Creates `inc` with [`create_write`] and returns the stored incident.
pub fn create(store: &Store, inc: &Incident) -> Incident {
    let created = store
        .create(inc.org_id, inc, &create_write(inc, inc.created_by), None)
        .expect("create incident");
    assert!(!created.replayed);
    created.value
}

/// Creates `task` with [`task_write`] and returns the stored task.
pub fn create_task(store: &Store, t: &Task, actor: UserId) -> Task {
    store
        .create_task(t.org_id, t, &task_write(t.org_id, t, actor))
        .expect("create task")
}

// ---------------------------------------------------------------------------------------
// Reading back
// ---------------------------------------------------------------------------------------

/// Every audit entry of `org`, in chain order.
pub fn all_audit(store: &Store, org: OrgId) -> Vec<servicedesk_core::ports::AuditEntry> {
    store.entries(org, 0, 100_000).expect("audit entries")
}

/// Every incident of `org` visible under `query`, following cursors to the end.
pub fn list_all(store: &Store, org: OrgId, query: &IncidentQuery) -> Vec<Incident> {
    let mut q = query.clone();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let page = store.list(org, &q).expect("list");
        assert!(
            page.items.len() <= q.limit as usize,
            "a page holds at most `limit` rows"
        );
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
    panic!("listing did not end after 10,000 pages");
}

/// Ids of every incident of `org` visible to the whole organization (not deleted).
pub fn org_ids(store: &Store, org: OrgId) -> HashSet<IncidentId> {
    let mut q = IncidentQuery::new(Visibility::Org);
    q.limit = IncidentQuery::MAX_LIMIT;
    list_all(store, org, &q).into_iter().map(|i| i.id).collect()
}

/// A collection read about another organization's incident must not show its rows: the
/// store may answer an empty list or `NotFound`.
pub fn assert_no_leak<T: std::fmt::Debug>(what: &str, result: Result<Vec<T>, StoreError>) {
    match result {
        Ok(rows) => assert!(
            rows.is_empty(),
            "{what} leaked rows of another org: {rows:?}"
        ),
        Err(StoreError::NotFound(_)) => {}
        Err(e) => panic!("{what}: expected an empty list or NotFound, got {e:?}"),
    }
}

/// Asserts `result` is `NotFound`.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

/// Asserts `result` is an `Unavailable` error from the injected fault.
#[track_caller]
pub fn assert_injected<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Unavailable(msg)) if msg.contains("injected") => {}
        other => panic!("{what}: expected Unavailable(\"injected fault …\"), got {other:?}"),
    }
}

/// Runs raw SQL through a pooled connection (for tampering tests); returns affected rows.
pub fn exec_sql(store: &Store, sql: &str) -> usize {
    let mut conn = store.database().conn().expect("connection");
    diesel::sql_query(sql)
        .execute(&mut *conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The stored text form of a typed id (hyphenated lower-case UUID), for raw SQL.
pub fn sql_id(id: impl std::fmt::Display) -> String {
    id.to_string()
}

/// A `TaskId` that exists nowhere.
pub fn unknown_task() -> TaskId {
    new_id()
}

/// An `IncidentId` that exists nowhere.
pub fn unknown_incident() -> IncidentId {
    new_id()
}
