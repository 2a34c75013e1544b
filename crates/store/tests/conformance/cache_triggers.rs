//! The incident cache on PostgreSQL: what it keeps, and the triggers that tell other
//! server processes to flush it (migrations 000062 and 000072). The ticket trigger lists
//! the columns whose change matters, every column but the SLA monitor's lease; a column
//! added to `tickets` without being added to the trigger would let other processes serve
//! stale incidents, so the two lists are compared.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use servicedesk_core::ports::{IncidentQuery, IncidentStore, Visibility};
use servicedesk_store::{CacheCounts, DbConn};

use crate::common::*;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn names(conn: &mut diesel::PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect()
}

#[test]
fn the_ticket_trigger_lists_every_column_but_the_sla_lease() {
    let Some(db) = TestDb::postgres(2) else {
        return;
    };
    let mut conn = db.store().database().conn().unwrap();
    let DbConn::Postgresql(pg) = &mut *conn else {
        panic!("not PostgreSQL");
    };
    let columns = names(
        pg,
        "SELECT attname::text AS name FROM pg_attribute \
         WHERE attrelid = 'tickets'::regclass AND attnum > 0 AND NOT attisdropped \
         AND attname <> 'sla_claimed_until' ORDER BY 1",
    );
    let watched = names(
        pg,
        "SELECT a.attname::text AS name FROM pg_trigger t \
         CROSS JOIN LATERAL unnest(t.tgattr::int2[]) AS k(attnum) \
         JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum \
         WHERE t.tgrelid = 'tickets'::regclass AND t.tgname = 'tickets_cache_notify' \
         ORDER BY 1",
    );
    assert!(columns.len() > 20, "{columns:?}");
    assert_eq!(
        watched, columns,
        "tickets_cache_notify must list every column"
    );
    // Removal and the details table are announced whatever the columns.
    let others = names(
        pg,
        "SELECT tgname::text AS name FROM pg_trigger \
         WHERE tgname IN ('tickets_removed_cache_notify', 'incident_details_cache_notify') \
         ORDER BY 1",
    );
    assert_eq!(
        others,
        [
            "incident_details_cache_notify",
            "tickets_removed_cache_notify"
        ]
    );
}

/// The store's cache listener, running until dropped (the caches answer only while it
/// listens).
struct Listening {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listening {
    fn start(db: &TestDb) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = db
            .store()
            .listen_for_changes(&db.postgres_url().unwrap(), stop.clone())
            .unwrap();
        assert!(thread.is_some(), "PostgreSQL has a listener");
        Self { stop, thread }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Creates an incident of `fx`'s requester with this title and description.
fn create_titled(
    store: &servicedesk_store::Store,
    fx: &Fx,
    title: &str,
    description: String,
) -> servicedesk_core::entities::Incident {
    let mut inc = incident(fx, fx.requester, title);
    inc.description = description;
    store
        .create(fx.org, &inc, &create_write(&inc, fx.requester), None)
        .unwrap()
        .value
}

#[test]
fn incidents_are_kept_by_id_except_long_ones_and_a_write_in_the_process_flushes_them() {
    let Some(db) = TestDb::postgres(4) else {
        return;
    };
    let store = db.store();
    let _listening = Listening::start(&db);
    let fx = org_fixture(store, "cache");
    let create = |title: &str, description: String| create_titled(store, &fx, title, description);
    let short = create("short", "fits".into());
    let long = create("long", "x".repeat(8 * 1024 + 1));
    let counts = || store.cache_counts();
    // Live once the listener listens (it connected before `listen_for_changes` returned)
    // and no write has ended since the entry was loaded: read until a hit shows.
    let started = Instant::now();
    while counts().incident_hits == 0 && started.elapsed() < Duration::from_secs(5) {
        store.get(fx.org, short.id).unwrap();
    }
    let before: CacheCounts = counts();
    assert!(
        before.incident_hits > 0,
        "the short incident was never kept"
    );
    for _ in 0..3 {
        assert_eq!(
            store.get(fx.org, long.id).unwrap().description,
            long.description
        );
    }
    let after = counts();
    assert_eq!(
        after.incident_hits, before.incident_hits,
        "the long one was never kept"
    );
    assert_eq!(after.incident_misses, before.incident_misses + 3);
    // Another organization's id is not found, and not kept as found.
    let other = org_fixture(store, "other");
    assert!(store.get(other.org, short.id).is_err());
    assert!(store.get(other.org, short.id).is_err());

    // A write through this store: the next read is the stored row, not the kept one.
    store.get(fx.org, short.id).unwrap();
    let mut changed = short.clone();
    changed.title = "short, edited".into();
    changed.updated_at = mins(10);
    let write = update_write(
        &short,
        fx.agent,
        mins(10),
        "title",
        "short",
        "short, edited",
    );
    store
        .update(fx.org, &changed, short.version, &write)
        .unwrap();
    assert_eq!(store.get(fx.org, short.id).unwrap().title, "short, edited");
}

/// Pages of the incident queue are cached per organization and visibility: a cached page
/// of one organization never answers another's listing or a narrower visibility's, a page
/// too large to hold is read every time, and a create through this store is in the next
/// page.
#[test]
fn incident_pages_are_kept_per_organization_and_visibility() {
    let Some(db) = TestDb::postgres(4) else {
        return;
    };
    let store = db.store();
    let _listening = Listening::start(&db);
    let fx = org_fixture(store, "pages");
    let create =
        |fx: &Fx, title: &str, description: String| create_titled(store, fx, title, description);
    create(&fx, "first", "d".into());
    let org_wide = IncidentQuery::new(Visibility::Org);
    let titles = |org, q: &IncidentQuery| -> Vec<String> {
        let page = store.list(org, q).unwrap();
        page.items.into_iter().map(|i| i.title).collect()
    };
    let started = Instant::now();
    while store.cache_counts().incident_page_hits == 0 && started.elapsed() < Duration::from_secs(5)
    {
        assert_eq!(titles(fx.org, &org_wide), ["first"]);
    }
    assert!(store.cache_counts().incident_page_hits > 0, "never kept");

    // Same query, another organization: its own (empty) page.
    let other = org_fixture(store, "pages other");
    assert!(titles(other.org, &org_wide).is_empty());
    // Same organization, a visibility that does not include the incident.
    let own = IncidentQuery::new(Visibility::Own { user_id: fx.agent });
    assert!(titles(fx.org, &own).is_empty());
    assert_eq!(titles(fx.org, &org_wide), ["first"]);

    // A create through this store: the next page has it.
    create(&fx, "second", "d".into());
    assert_eq!(titles(fx.org, &org_wide), ["second", "first"]);

    // A page whose texts pass 64 KiB is never answered from the cache.
    let big = org_fixture(store, "pages big");
    for n in 0..3 {
        create(&big, &format!("big {n}"), "x".repeat(30 * 1024));
    }
    let before = store.cache_counts();
    for _ in 0..3 {
        assert_eq!(titles(big.org, &org_wide).len(), 3);
    }
    let after = store.cache_counts();
    assert_eq!(after.incident_page_hits, before.incident_page_hits);
    assert_eq!(after.incident_page_misses, before.incident_page_misses + 3);
}
