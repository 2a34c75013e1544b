//! Upgrading to the ticket kernel (issue 10): a database filled through the schema before
//! it — `tests/fixtures/pre_kernel.<backend>.sql`, made on the last commit with the
//! `incidents` table by `make-pre-kernel.py` — migrates on both backends with every row
//! intact: the same rows in every table, incidents readable through the store with their
//! extension, children hanging off `ticket_id`, the audit chain unbroken, and the outbox
//! events written before the upgrade still readable.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use servicedesk_core::events::DomainEvent;
use servicedesk_core::ids::OrgId;
use servicedesk_core::ports::{AuditCheck, AuditLog, IncidentQuery, IncidentStore, Visibility};
use servicedesk_core::tickets::{StatusClass, TicketRef, TicketStore};
use servicedesk_store::{DbConn, Store};

use crate::common::TestDb;

/// The first migration of the kernel.
const KERNEL: &str = "2026-12-02-000040";

const SQLITE_FIXTURE: &str = include_str!("../fixtures/pre_kernel.sqlite.sql");
const PG_FIXTURE: &str = include_str!("../fixtures/pre_kernel.postgres.sql");

#[test]
fn sqlite_database_of_the_incident_schema_migrates_with_every_row() {
    let db = TestDb::sqlite_unmigrated(2);
    upgrade_keeps_every_row(db.store(), SQLITE_FIXTURE);
}

#[test]
fn postgres_database_of_the_incident_schema_migrates_with_every_row() {
    let Some(db) = TestDb::postgres_unmigrated(2) else {
        return;
    };
    upgrade_keeps_every_row(db.store(), PG_FIXTURE);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Payload {
    #[diesel(sql_type = Text)]
    payload: String,
}

fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let mut conn = store.database().conn().unwrap();
    let rows: Vec<Count> = match &mut *conn {
        DbConn::Postgresql(c) => diesel::sql_query(sql).load(c),
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap();
    rows[0].n
}

/// Rows per table as the fixture inserts them.
fn fixture_counts(fixture: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for line in fixture.lines() {
        if let Some(rest) = line.strip_prefix("INSERT INTO ") {
            let table = rest.split([' ', '(']).next().unwrap().trim_matches('"');
            *counts.entry(table.to_owned()).or_default() += 1;
        }
    }
    counts
}

fn upgrade_keeps_every_row(store: &Store, fixture: &str) {
    let before = store.database().migrate_before(KERNEL).unwrap();
    let digits = |m: &str| {
        m.chars()
            .filter(char::is_ascii_digit)
            .take(14)
            .collect::<String>()
    };
    assert!(
        before.iter().all(|m| digits(m) < digits(KERNEL)) && before.len() == 6,
        "the six migrations before the kernel: {before:?}"
    );
    {
        let mut conn = store.database().conn().unwrap();
        match &mut *conn {
            DbConn::Postgresql(c) => c.batch_execute(fixture),
            DbConn::Sqlite(c) => c.batch_execute(fixture),
        }
        .unwrap();
    }
    let expected = fixture_counts(fixture);
    assert_eq!(
        expected["incidents"], 7,
        "the fixture holds seven incidents"
    );

    let applied = store.database().migrate().unwrap();
    assert!(
        applied.iter().any(|m| digits(m) == digits(KERNEL)),
        "{applied:?}"
    );

    // Every table keeps its rows; incidents moved to tickets and incident_details.
    for (table, n) in &expected {
        let now = match table.as_str() {
            "incidents" => {
                assert_eq!(count(store, "incident_details"), *n, "incident_details");
                count(store, "tickets")
            }
            other => count(store, other),
        };
        assert_eq!(now, *n, "rows of {table}");
    }

    let org = OrgId(
        fixture
            .lines()
            .find_map(|l| l.strip_prefix("INSERT INTO organizations"))
            .and_then(|l| l.split('\'').nth(1))
            .unwrap()
            .parse()
            .unwrap(),
    );

    // Every incident reads back, with its extension and clocks.
    let mut seen = Vec::new();
    for number in 1..=7 {
        let inc = store.get_by_number(org, number).unwrap();
        assert_eq!(inc.reference(), format!("INC-{number}"));
        assert_eq!(
            inc.status_class(),
            TicketStore::ticket(store, org, inc.id)
                .unwrap()
                .status_class()
                .unwrap()
        );
        assert!(inc.sla.is_some(), "INC-{number} keeps its SLA clocks");
        let by_ref = store
            .ticket_by_ref(org, TicketRef::parse(&inc.reference()).unwrap())
            .unwrap();
        assert_eq!(by_ref.id, inc.id);
        seen.push(inc);
    }
    let disk = seen
        .iter()
        .find(|i| i.title == "Disk full on build server")
        .unwrap();
    assert_eq!(
        disk.details.escalation_level, 1,
        "the escalation level moved"
    );
    let resolved: Vec<_> = seen
        .iter()
        .filter(|i| i.status_class() == StatusClass::Resolved)
        .map(|i| i.details.resolution_code.clone().unwrap())
        .collect();
    assert_eq!(resolved.len(), 2);
    assert!(resolved.contains(&"fixed".to_owned()) && resolved.contains(&"fulfilled".to_owned()));
    let deleted = seen.iter().filter(|i| i.deleted_at.is_some()).count();
    assert_eq!(deleted, 1);

    // Children hang off the ticket.
    let tasks = store.tasks(org, disk.id).unwrap();
    let mut statuses: Vec<String> = tasks.iter().map(|t| t.status.to_string()).collect();
    statuses.sort();
    assert_eq!(statuses, ["done", "open"]);
    let comments = store.comments(org, disk.id).unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments.iter().filter(|c| c.internal).count(), 1);
    assert!(!store.history(org, disk.id).unwrap().is_empty());

    // The queue lists the live ones.
    let page = store
        .list(org, &IncidentQuery::new(Visibility::Org))
        .unwrap();
    assert_eq!(page.items.len(), 6);

    // The audit chain is intact.
    match store.verify(org).unwrap() {
        AuditCheck::Intact { entries } => {
            assert_eq!(i64::try_from(entries).unwrap(), expected["audit_events"]);
        }
        broken => panic!("audit chain broken by the upgrade: {broken:?}"),
    }

    // Outbox events written before the upgrade still decode.
    let mut conn = store.database().conn().unwrap();
    let payloads: Vec<Payload> = match &mut *conn {
        DbConn::Postgresql(c) => diesel::sql_query("SELECT payload FROM outbox").load(c),
        DbConn::Sqlite(c) => diesel::sql_query("SELECT payload FROM outbox").load(c),
    }
    .unwrap();
    assert_eq!(i64::try_from(payloads.len()).unwrap(), expected["outbox"]);
    for p in payloads {
        let event: DomainEvent = serde_json::from_str(&p.payload)
            .unwrap_or_else(|e| panic!("old event does not decode: {e}: {}", p.payload));
        assert_eq!(event.org_id, org);
    }
}
