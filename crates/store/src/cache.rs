//! Per-process caches of the reads nearly every request repeats: the authentication reads
//! (deny-list, session revocation, account, custom roles), the SLA catalog (active
//! policies, calendars), and incidents read by id (an agent's console, a client polling
//! the ticket it waits on).
//!
//! Correctness across server processes rests on PostgreSQL: triggers on the tables these
//! reads come from `NOTIFY` the [`CACHE_CHANNEL`] with the table's name when a statement
//! changes them, and each process's listener (see [`crate::Store::listen_for_changes`])
//! flushes the topic that table belongs to. A write made through this process flushes
//! its topic itself as soon as it commits, so its own next request never sees the old
//! value; other processes follow within the listener's poll (10 ms). Tickets are written
//! by many store methods, so their topic does not rely on each of them saying so: it is
//! stale whenever any write transaction of the process has ended since the entry was
//! loaded ([`crate::db::write_transactions_ended`]).
//!
//! The caches answer only while the listener is connected: before its first connection,
//! and from the moment it loses one until it has listened again, every read goes to the
//! database (a notification sent in between would be missed). Both transitions flush.
//! Without a listener (SQLite, one process) nothing is cached at all.
//!
//! A load racing a flush never plants the old value: an entry is tagged with the
//! generation read *before* its load, and a flush moves the generation on, so the entry is
//! stale the moment it lands. Entries also expire after [`TTL`], a bound on staleness if a
//! connection dies silently, and each map is capped (cleared when full), which bounds the
//! memory a flood of distinct tokens can take.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use servicedesk_core::entities::Incident;
use servicedesk_core::ids::{CalendarId, IncidentId, OrgId, UserId};
use servicedesk_core::ports::{Account, IncidentQuery, Page, SlaPolicyRecord};
use servicedesk_rbac::Role;
use servicedesk_sla::Calendar;

/// The `LISTEN`/`NOTIFY` channel on which the triggers announce changed tables.
pub const CACHE_CHANNEL: &str = "servicedesk_cache";

/// The longest an entry is served, whatever the listener says.
pub(crate) const TTL: Duration = Duration::from_secs(30);

/// The most entries one map holds; a full map is cleared.
const CAP: usize = 8_192;

/// The most incidents held: each is a whole ticket, so far fewer than the small auth rows.
const INCIDENT_CAP: usize = 512;

/// An incident whose texts are longer than this (bytes) is not cached, so the map stays
/// within a few MiB whatever is read.
const INCIDENT_TEXT_MAX: usize = 8 * 1024;

/// The most incident list pages held (each up to 200 incidents).
const PAGE_CAP: usize = 32;

/// A page whose incidents' texts add up to more than this (bytes) is not cached: with
/// [`PAGE_CAP`] it bounds the pages' memory to a few MiB.
const PAGE_TEXT_MAX: usize = 64 * 1024;

/// The bytes of an incident's free texts, what makes one incident larger than another.
fn text_len(i: &Incident) -> usize {
    let notes = |t: &Option<String>| t.as_ref().map_or(0, String::len);
    i.title.len()
        + i.description.len()
        + i.category.len()
        + notes(&i.details.resolution_code)
        + notes(&i.details.resolution_notes)
}

/// What a group of cached reads depends on; a change flushes the whole group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    /// Users, team membership, custom roles, deny-list, sessions.
    Auth,
    /// SLA policies and calendars.
    Sla,
    /// Tickets and their incident details.
    Tickets,
}

impl Topic {
    const ALL: [Topic; 3] = [Topic::Auth, Topic::Sla, Topic::Tickets];

    fn index(self) -> usize {
        match self {
            Topic::Auth => 0,
            Topic::Sla => 1,
            Topic::Tickets => 2,
        }
    }

    /// The topic a changed table belongs to (the trigger's payload); `None` for a table
    /// this cache does not know, which flushes everything.
    pub(crate) fn of_table(table: &str) -> Option<Self> {
        match table {
            "users" | "team_members" | "roles" | "revoked_tokens" | "refresh_token_families" => {
                Some(Topic::Auth)
            }
            "sla_policies" | "calendars" => Some(Topic::Sla),
            "tickets" | "incident_details" => Some(Topic::Tickets),
            _ => None,
        }
    }
}

/// Whether the caches may answer, and each topic's generation.
#[derive(Debug, Default)]
struct Validity {
    live: AtomicBool,
    generations: [AtomicU64; 3],
}

impl Validity {
    /// The topic's generation. Both counters only grow, so their sum moves when either does.
    fn generation(&self, topic: Topic) -> u64 {
        let own = self.generations[topic.index()].load(Ordering::SeqCst);
        match topic {
            Topic::Tickets => own.wrapping_add(crate::db::write_transactions_ended()),
            Topic::Auth | Topic::Sla => own,
        }
    }

    /// The generation to tag a load with, or `None` when nothing may be cached.
    fn current(&self, topic: Topic) -> Option<u64> {
        // Generation first: a flush between the two reads leaves an already stale tag.
        let generation = self.generation(topic);
        self.live.load(Ordering::SeqCst).then_some(generation)
    }

    fn is_current(&self, topic: Topic, generation: u64) -> bool {
        self.live.load(Ordering::SeqCst) && self.generation(topic) == generation
    }

    fn flush(&self, topic: Topic) {
        self.generations[topic.index()].fetch_add(1, Ordering::SeqCst);
    }

    fn flush_all(&self) {
        for topic in Topic::ALL {
            self.flush(topic);
        }
    }
}

struct Entry<V> {
    generation: u64,
    /// What else the value was read at (see [`Memo::get_or_load_at`]); 0 for most maps.
    version: u64,
    loaded: Instant,
    value: V,
}

/// One map of cached reads of a topic.
struct Memo<K, V> {
    topic: Topic,
    cap: usize,
    /// Whether a loaded value may be kept (values too large to hold are not).
    keep: fn(&V) -> bool,
    entries: Mutex<HashMap<K, Entry<V>>>,
    /// Reads answered from the map.
    hits: AtomicU64,
    /// Reads that went to the database (nothing cached, expired, stale or not live).
    misses: AtomicU64,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    fn new(topic: Topic) -> Self {
        Self::bounded(topic, CAP, |_| true)
    }

    fn bounded(topic: Topic, cap: usize, keep: fn(&V) -> bool) -> Self {
        Self {
            topic,
            cap,
            keep,
            entries: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn get_or_load<E>(
        &self,
        validity: &Validity,
        key: K,
        load: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        self.get_or_load_at(validity, key, 0, load)
    }

    /// [`Self::get_or_load`] for a value that also depends on something no notification
    /// announces: `version`, read by the caller before the load, must be what the entry was
    /// read at. A different version replaces the entry in place, so a key whose version
    /// keeps moving takes one slot, not one per version.
    fn get_or_load_at<E>(
        &self,
        validity: &Validity,
        key: K,
        version: u64,
        load: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let Some(generation) = validity.current(self.topic) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return load();
        };
        if let Ok(entries) = self.entries.lock()
            && let Some(entry) = entries.get(&key)
            && entry.generation == generation
            && entry.version == version
            && entry.loaded.elapsed() < TTL
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(entry.value.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let value = load()?;
        if (self.keep)(&value)
            && validity.is_current(self.topic, generation)
            && let Ok(mut entries) = self.entries.lock()
        {
            if entries.len() >= self.cap && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    generation,
                    version,
                    loaded: Instant::now(),
                    value: value.clone(),
                },
            );
        }
        Ok(value)
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Flushes a topic when made and again when dropped: the first line of a write method, so
/// that a flush follows the method's commit on every path out of it, and a read the
/// method itself makes after its commit (to answer the stored row) cannot be served an
/// entry from before the write.
pub(crate) struct FlushOnDrop<'a> {
    caches: &'a Caches,
    topic: Topic,
}

impl Drop for FlushOnDrop<'_> {
    fn drop(&mut self) {
        self.caches.flush(self.topic);
    }
}

/// Reads answered from the caches and reads that went to the database, since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Incidents read by id, answered from the cache.
    pub incident_hits: u64,
    /// Incidents read by id from the database.
    pub incident_misses: u64,
    /// Pages of the incident queue, answered from the cache.
    pub incident_page_hits: u64,
    /// Pages of the incident queue read from the database.
    pub incident_page_misses: u64,
    /// The authentication and SLA catalog reads, answered from their caches.
    pub other_hits: u64,
    /// The authentication and SLA catalog reads that went to the database.
    pub other_misses: u64,
}

/// The caches of one store (shared by its clones).
pub(crate) struct Caches {
    validity: Validity,
    denied: Memo<String, bool>,
    session_revoked: Memo<String, bool>,
    accounts: Memo<(OrgId, UserId), Account>,
    roles: Memo<OrgId, Vec<Role>>,
    policies: Memo<OrgId, Vec<SlaPolicyRecord>>,
    calendars: Memo<(OrgId, CalendarId), Calendar>,
    incidents: Memo<(OrgId, IncidentId), Incident>,
    /// Shared, so that a hit copies the page outside the map's lock.
    pages: Memo<(OrgId, IncidentQuery), Arc<Page<Incident>>>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches")
            .field("live", &self.validity.live.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            validity: Validity::default(),
            denied: Memo::new(Topic::Auth),
            session_revoked: Memo::new(Topic::Auth),
            accounts: Memo::new(Topic::Auth),
            roles: Memo::new(Topic::Auth),
            policies: Memo::new(Topic::Sla),
            calendars: Memo::new(Topic::Sla),
            incidents: Memo::bounded(Topic::Tickets, INCIDENT_CAP, |i: &Incident| {
                text_len(i) <= INCIDENT_TEXT_MAX
            }),
            pages: Memo::bounded(Topic::Tickets, PAGE_CAP, |p: &Arc<Page<Incident>>| {
                p.items.iter().map(text_len).sum::<usize>() <= PAGE_TEXT_MAX
            }),
        }
    }
}

impl Caches {
    /// The listener listens: the caches may answer, starting empty.
    pub(crate) fn go_live(&self) {
        self.validity.flush_all();
        self.drop_entries();
        self.validity.live.store(true, Ordering::SeqCst);
    }

    /// The listener lost its connection: nothing is served until it listens again.
    pub(crate) fn go_dark(&self) {
        self.validity.live.store(false, Ordering::SeqCst);
        self.validity.flush_all();
        self.drop_entries();
    }

    /// Hits and misses so far.
    pub(crate) fn counts(&self) -> CacheCounts {
        let others = [
            self.denied.counts(),
            self.session_revoked.counts(),
            self.accounts.counts(),
            self.roles.counts(),
            self.policies.counts(),
            self.calendars.counts(),
        ];
        let (incident_hits, incident_misses) = self.incidents.counts();
        let (incident_page_hits, incident_page_misses) = self.pages.counts();
        CacheCounts {
            incident_hits,
            incident_misses,
            incident_page_hits,
            incident_page_misses,
            other_hits: others.iter().map(|c| c.0).sum(),
            other_misses: others.iter().map(|c| c.1).sum(),
        }
    }

    /// A table changed (a notification's payload).
    pub(crate) fn table_changed(&self, table: &str) {
        match Topic::of_table(table) {
            Some(topic) => self.flush(topic),
            None => self.validity.flush_all(),
        }
    }

    /// A guard that flushes `topic` now and when the write it guards is over.
    pub(crate) fn flush_after(&self, topic: Topic) -> FlushOnDrop<'_> {
        self.flush(topic);
        FlushOnDrop {
            caches: self,
            topic,
        }
    }

    /// Everything of `topic` is stale (a local write committed).
    pub(crate) fn flush(&self, topic: Topic) {
        self.validity.flush(topic);
    }

    /// Frees the memory of entries; validity is decided by generations, not by this.
    fn drop_entries(&self) {
        self.denied.clear();
        self.session_revoked.clear();
        self.accounts.clear();
        self.roles.clear();
        self.policies.clear();
        self.calendars.clear();
        self.incidents.clear();
        self.pages.clear();
    }

    /// Whether the caches answer at all (the listener listens): a read that must query
    /// something first to use them skips that query when they do not.
    pub(crate) fn live(&self) -> bool {
        self.validity.live.load(Ordering::SeqCst)
    }

    pub(crate) fn denied<E>(
        &self,
        jti: &str,
        load: impl FnOnce() -> Result<bool, E>,
    ) -> Result<bool, E> {
        self.denied
            .get_or_load(&self.validity, jti.to_owned(), load)
    }

    pub(crate) fn session_revoked<E>(
        &self,
        session: &str,
        load: impl FnOnce() -> Result<bool, E>,
    ) -> Result<bool, E> {
        self.session_revoked
            .get_or_load(&self.validity, session.to_owned(), load)
    }

    pub(crate) fn account<E>(
        &self,
        org: OrgId,
        user: UserId,
        load: impl FnOnce() -> Result<Account, E>,
    ) -> Result<Account, E> {
        self.accounts.get_or_load(&self.validity, (org, user), load)
    }

    pub(crate) fn roles<E>(
        &self,
        org: OrgId,
        load: impl FnOnce() -> Result<Vec<Role>, E>,
    ) -> Result<Vec<Role>, E> {
        self.roles.get_or_load(&self.validity, org, load)
    }

    pub(crate) fn policies<E>(
        &self,
        org: OrgId,
        load: impl FnOnce() -> Result<Vec<SlaPolicyRecord>, E>,
    ) -> Result<Vec<SlaPolicyRecord>, E> {
        self.policies.get_or_load(&self.validity, org, load)
    }

    pub(crate) fn calendar<E>(
        &self,
        org: OrgId,
        id: CalendarId,
        load: impl FnOnce() -> Result<Calendar, E>,
    ) -> Result<Calendar, E> {
        self.calendars.get_or_load(&self.validity, (org, id), load)
    }

    /// An incident by id, whatever its state: the caller decides what the reader may see.
    pub(crate) fn incident<E>(
        &self,
        org: OrgId,
        id: IncidentId,
        load: impl FnOnce() -> Result<Incident, E>,
    ) -> Result<Incident, E> {
        self.incidents.get_or_load(&self.validity, (org, id), load)
    }

    /// A page of the incident queue. New incidents announce nothing (a `NOTIFY` in every
    /// create would serialize the creates' commits), so the caller passes `created`, the
    /// organization's incident counter read before the load: a page is served only while
    /// no incident has been created since it was read. Changes to existing incidents flush
    /// the topic as they do for [`Self::incident`].
    pub(crate) fn incident_page<E>(
        &self,
        org: OrgId,
        query: &IncidentQuery,
        created: i64,
        load: impl FnOnce() -> Result<Page<Incident>, E>,
    ) -> Result<Page<Incident>, E> {
        self.pages
            .get_or_load_at(
                &self.validity,
                (org, query.clone()),
                created.cast_unsigned(),
                || load().map(Arc::new),
            )
            .map(Arc::unwrap_or_clone)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn load_count(caches: &Caches, jti: &str, value: bool, loads: &Cell<u32>) -> bool {
        caches
            .denied::<()>(jti, || {
                loads.set(loads.get() + 1);
                Ok(value)
            })
            .unwrap()
    }

    #[test]
    fn nothing_is_cached_until_the_listener_listens() {
        let caches = Caches::default();
        let loads = Cell::new(0);
        load_count(&caches, "a", false, &loads);
        load_count(&caches, "a", false, &loads);
        assert_eq!(loads.get(), 2);
        caches.go_live();
        load_count(&caches, "a", false, &loads);
        load_count(&caches, "a", false, &loads);
        assert_eq!(loads.get(), 3, "served from the cache once live");
    }

    #[test]
    fn a_flush_of_the_topic_forgets_and_another_topic_stays() {
        let caches = Caches::default();
        caches.go_live();
        let loads = Cell::new(0);
        load_count(&caches, "a", false, &loads);
        let org = OrgId(uuid::Uuid::now_v7());
        let policy_loads = Cell::new(0);
        let policies = || {
            caches
                .policies::<()>(org, || {
                    policy_loads.set(policy_loads.get() + 1);
                    Ok(Vec::new())
                })
                .unwrap()
        };
        policies();
        caches.table_changed("revoked_tokens");
        assert!(
            load_count(&caches, "a", true, &loads),
            "reloaded after the flush"
        );
        assert_eq!(loads.get(), 2);
        policies();
        assert_eq!(policy_loads.get(), 1, "the SLA topic was not flushed");
        caches.table_changed("calendars");
        policies();
        assert_eq!(policy_loads.get(), 2);
        caches.table_changed("something_new");
        load_count(&caches, "a", true, &loads);
        policies();
        assert_eq!(
            (loads.get(), policy_loads.get()),
            (3, 3),
            "unknown table flushes all"
        );
    }

    #[test]
    fn a_load_racing_a_flush_does_not_plant_the_old_value() {
        let caches = Caches::default();
        caches.go_live();
        let loads = Cell::new(0);
        // The load reads "not denied", and the deny commits and is heard before it returns.
        let seen = caches
            .denied::<()>("a", || {
                loads.set(loads.get() + 1);
                caches.flush(Topic::Auth);
                Ok(false)
            })
            .unwrap();
        assert!(!seen);
        assert!(
            load_count(&caches, "a", true, &loads),
            "the next read goes to the store"
        );
    }

    #[test]
    fn a_write_reading_its_own_row_after_commit_is_not_served_the_old_one() {
        let caches = Caches::default();
        caches.go_live();
        let loads = Cell::new(0);
        load_count(&caches, "a", false, &loads);
        {
            let _flush = caches.flush_after(Topic::Auth);
            // ... the write commits, then the method answers what is stored:
            assert!(load_count(&caches, "a", true, &loads));
        }
        assert!(load_count(&caches, "a", true, &loads));
        assert_eq!(loads.get(), 3, "loaded again after the guard went too");
    }

    #[test]
    fn a_lost_listener_serves_nothing_and_comes_back_empty() {
        let caches = Caches::default();
        caches.go_live();
        let loads = Cell::new(0);
        load_count(&caches, "a", false, &loads);
        caches.go_dark();
        load_count(&caches, "a", false, &loads);
        load_count(&caches, "a", false, &loads);
        assert_eq!(loads.get(), 3);
        caches.go_live();
        assert!(load_count(&caches, "a", true, &loads));
        assert!(load_count(&caches, "a", false, &loads), "cached again");
        assert_eq!(loads.get(), 4);
    }

    /// A Tickets-topic map of plain numbers: what it does is the incidents map's behaviour.
    fn ticket_memo() -> Memo<u32, u32> {
        Memo::bounded(Topic::Tickets, 4, |v| *v < 100)
    }

    fn ticket_load(memo: &Memo<u32, u32>, validity: &Validity, key: u32, loads: &Cell<u32>) {
        memo.get_or_load::<()>(validity, key, || {
            loads.set(loads.get() + 1);
            Ok(key)
        })
        .unwrap();
    }

    // Other tests of this binary may end write transactions at any moment (they are
    // process-wide), so these tests only assert reloads, never that an entry was served.
    #[test]
    fn a_write_transaction_ending_makes_every_cached_ticket_stale() {
        let validity = Validity::default();
        validity.live.store(true, Ordering::SeqCst);
        let memo = ticket_memo();
        let loads = Cell::new(0);
        ticket_load(&memo, &validity, 1, &loads);
        let before = loads.get();
        drop(crate::db::WriteEnded);
        ticket_load(&memo, &validity, 1, &loads);
        assert_eq!(loads.get(), before + 1, "loaded again after a write ended");
    }

    #[test]
    fn a_change_to_tickets_or_incident_details_flushes_the_tickets_topic_only() {
        for table in ["tickets", "incident_details"] {
            let caches = Caches::default();
            caches.go_live();
            let loads = Cell::new(0);
            load_count(&caches, "a", false, &loads);
            let memo = ticket_memo();
            let ticket_loads = Cell::new(0);
            ticket_load(&memo, &caches.validity, 1, &ticket_loads);
            caches.table_changed(table);
            ticket_load(&memo, &caches.validity, 1, &ticket_loads);
            assert_eq!(ticket_loads.get(), 2, "{table} flushed the tickets");
            load_count(&caches, "a", false, &loads);
            assert_eq!(loads.get(), 1, "{table} left the auth topic alone");
        }
        assert_eq!(Topic::of_table("tickets"), Some(Topic::Tickets));
        assert_eq!(Topic::of_table("users"), Some(Topic::Auth));
    }

    #[test]
    fn a_value_too_large_to_keep_is_loaded_every_time_and_the_cap_holds() {
        let validity = Validity::default();
        validity.live.store(true, Ordering::SeqCst);
        let memo = ticket_memo();
        let loads = Cell::new(0);
        for _ in 0..3 {
            ticket_load(&memo, &validity, 500, &loads);
        }
        assert_eq!(loads.get(), 3, "never kept");
        assert!(memo.entries.lock().unwrap().is_empty());
        for key in 0..10 {
            ticket_load(&memo, &validity, key, &loads);
        }
        assert!(memo.entries.lock().unwrap().len() <= 4);
    }

    #[test]
    fn errors_are_not_cached_and_a_full_map_is_cleared() {
        let caches = Caches::default();
        caches.go_live();
        assert_eq!(caches.denied::<&str>("e", || Err("down")), Err("down"));
        let loads = Cell::new(0);
        load_count(&caches, "e", false, &loads);
        assert_eq!(loads.get(), 1);
        for i in 0..CAP + 10 {
            load_count(&caches, &i.to_string(), false, &loads);
        }
        let size = caches.denied.entries.lock().unwrap().len();
        assert!(size <= CAP, "{size}");
    }
}
