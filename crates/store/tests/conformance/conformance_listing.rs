//! Conformance of `IncidentStore::list` on both backends: visibility (org, group, own),
//! every filter, soft-deleted rows, every sort key in both directions, page limits and the
//! last page's cursor, undecodable cursors, and keyset pagination that returns every row
//! exactly once while another thread inserts rows.

#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::mpsc;

use chrono::TimeDelta;
use servicedesk_core::entities::Incident;
use servicedesk_core::ids::IncidentId;
use servicedesk_core::lifecycle::incident::IncidentState;
use servicedesk_core::ports::{
    IncidentQuery, IncidentSort, IncidentStore, SortDirection, StoreError, Visibility,
};
use servicedesk_core::priority::Priority;
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    list_visibility_org_group_own,
    list_each_filter_narrows,
    list_text_filter_is_a_literal_case_insensitive_substring,
    list_hides_soft_deleted_unless_asked,
    list_sorts_by_each_key_in_both_directions,
    list_sla_due_treats_no_due_as_end_of_time,
    list_limit_and_last_page_cursor,
    list_garbage_cursor_is_not_found,
    pagination_by_created_is_stable_while_inserting,
    pagination_by_updated_is_stable_while_inserting,
    pagination_by_priority_is_stable_while_inserting,
    pagination_by_sla_due_is_stable_while_inserting,
    list_one_priority_by_priority_pages_in_creation_order,
);

/// The listing dataset: six incidents of `fx.org` with varied people, teams, states,
/// priorities, texts and times, stored; returned by id.
fn dataset(store: &Store, fx: &Fx) -> Vec<Incident> {
    struct Row {
        req: fn(&Fx) -> servicedesk_core::ids::UserId,
        team: fn(&Fx) -> Option<servicedesk_core::ids::TeamId>,
        assignee: fn(&Fx) -> Option<servicedesk_core::ids::UserId>,
        status: IncidentState,
        priority: Priority,
        title: &'static str,
        description: &'static str,
        created: i64,
        updated: i64,
    }
    let rows = [
        Row {
            req: |f| f.requester,
            team: |f| Some(f.team),
            assignee: |f| Some(f.agent),
            status: IncidentState::Open,
            priority: Priority::High,
            title: "Printer jam",
            description: "Third floor, tray 2",
            created: 1,
            updated: 1,
        },
        Row {
            req: |f| f.requester2,
            team: |f| Some(f.team2),
            assignee: |f| Some(f.agent2),
            status: IncidentState::InProgress,
            priority: Priority::Low,
            title: "VPN down",
            description: "Cannot reach the PRINTER share either",
            created: 2,
            updated: 30,
        },
        Row {
            req: |f| f.requester,
            team: |_| None,
            assignee: |_| None,
            status: IncidentState::New,
            priority: Priority::Medium,
            title: "Password reset",
            description: "Locked out after holidays",
            created: 3,
            updated: 3,
        },
        Row {
            req: |f| f.requester2,
            team: |f| Some(f.team),
            assignee: |_| None,
            status: IncidentState::New,
            priority: Priority::Critical,
            title: "Mail outage",
            description: "Everyone affected",
            created: 4,
            updated: 40,
        },
        Row {
            req: |f| f.requester,
            team: |f| Some(f.team2),
            assignee: |f| Some(f.agent),
            status: IncidentState::OnHold,
            priority: Priority::Medium,
            title: "Laptop slow",
            description: "Fan noise, waiting for parts",
            created: 5,
            updated: 5,
        },
        Row {
            req: |f| f.agent2,
            team: |_| None,
            assignee: |_| None,
            status: IncidentState::Resolved,
            priority: Priority::Low,
            title: "Monitor flicker",
            description: "Cable swapped",
            created: 6,
            updated: 50,
        },
    ];
    rows.iter()
        .map(|r| {
            let mut inc = incident(fx, (r.req)(fx), r.title);
            inc.description = r.description.to_owned();
            inc.team_id = (r.team)(fx);
            inc.assignee_id = (r.assignee)(fx);
            inc.status = r.status;
            inc.priority = r.priority;
            inc.created_at = mins(r.created);
            inc.updated_at = mins(r.updated);
            inc.next_sla_due_at = Some(mins(100 - r.created * 7));
            if r.title == "Mail outage" {
                // Logged by an agent for the requester: created_by is not "own".
                inc.created_by = fx.agent;
            }
            create(store, &inc)
        })
        .collect()
}

fn query(visibility: Visibility) -> IncidentQuery {
    let mut q = IncidentQuery::new(visibility);
    q.limit = IncidentQuery::MAX_LIMIT;
    q
}

fn ids_of(items: &[Incident]) -> HashSet<IncidentId> {
    items.iter().map(|i| i.id).collect()
}

fn expect(data: &[Incident], pred: impl Fn(&Incident) -> bool) -> HashSet<IncidentId> {
    data.iter().filter(|i| pred(i)).map(|i| i.id).collect()
}

/// Lists with `q` (all pages), checks every row is the stored one, returns the ids.
fn listed(
    store: &Store,
    org: servicedesk_core::ids::OrgId,
    q: &IncidentQuery,
    data: &[Incident],
) -> HashSet<IncidentId> {
    let items = list_all(store, org, q);
    let by_id: HashMap<_, _> = data.iter().map(|i| (i.id, i)).collect();
    for item in &items {
        if let Some(stored) = by_id.get(&item.id) {
            assert_eq!(&item, stored, "a listed row is the stored incident");
        }
    }
    let set = ids_of(&items);
    assert_eq!(set.len(), items.len(), "no row listed twice");
    set
}

fn list_visibility_org_group_own(store: &Store) {
    let fx = org_fixture(store, "A");
    let other = org_fixture(store, "B");
    let data = dataset(store, &fx);
    dataset(store, &other);
    let all = ids_of(&data);
    assert_eq!(listed(store, fx.org, &query(Visibility::Org), &data), all);

    let own = |u| Visibility::Own { user_id: u };
    assert_eq!(
        listed(store, fx.org, &query(own(fx.requester)), &data),
        expect(&data, |i| i.requester_id == fx.requester)
    );
    let agent_own = listed(store, fx.org, &query(own(fx.agent)), &data);
    assert_eq!(
        agent_own,
        expect(&data, |i| i.assignee_id == Some(fx.agent))
    );
    assert_eq!(
        agent_own.len(),
        2,
        "assigned rows only, not rows the agent merely logged"
    );
    assert_eq!(
        listed(store, fx.org, &query(own(fx.agent2)), &data),
        expect(&data, |i| i.assignee_id == Some(fx.agent2)
            || i.requester_id == fx.agent2),
        "own = requester or assignee"
    );
    assert!(listed(store, fx.org, &query(own(fx.admin)), &data).is_empty());

    let group = Visibility::Group {
        user_id: fx.agent2,
        team_ids: vec![fx.team],
    };
    // Team members also see the triage queue: incidents without a team.
    let expected = expect(&data, |i| {
        i.team_id == Some(fx.team)
            || i.team_id.is_none()
            || i.assignee_id == Some(fx.agent2)
            || i.requester_id == fx.agent2
    });
    assert_eq!(listed(store, fx.org, &query(group), &data), expected);
    let no_teams = Visibility::Group {
        user_id: fx.agent2,
        team_ids: vec![],
    };
    assert_eq!(
        listed(store, fx.org, &query(no_teams), &data),
        expect(&data, |i| i.assignee_id == Some(fx.agent2)
            || i.requester_id == fx.agent2)
    );
    let both = Visibility::Group {
        user_id: fx.admin,
        team_ids: vec![fx.team, fx.team2],
    };
    assert_eq!(
        listed(store, fx.org, &query(both), &data),
        expect(&data, |_| true)
    );
    // Another org's team id shows none of this org's team queues (only the triage queue),
    // and nothing of the other org.
    let foreign = Visibility::Group {
        user_id: fx.admin,
        team_ids: vec![other.team],
    };
    assert_eq!(
        listed(store, fx.org, &query(foreign), &data),
        expect(&data, |i| i.team_id.is_none())
    );
}

fn list_each_filter_narrows(store: &Store) {
    let fx = org_fixture(store, "A");
    let data = dataset(store, &fx);
    let check =
        |label: &str, edit: &dyn Fn(&mut IncidentQuery), pred: &dyn Fn(&Incident) -> bool| {
            let mut q = query(Visibility::Org);
            edit(&mut q);
            let want = expect(&data, pred);
            assert!(
                !want.is_empty() && want.len() < data.len(),
                "{label}: the filter must narrow"
            );
            assert_eq!(listed(store, fx.org, &q, &data), want, "{label}");
        };

    check(
        "statuses",
        &|q| q.statuses = vec![IncidentState::New, IncidentState::OnHold],
        &|i| matches!(i.status, IncidentState::New | IncidentState::OnHold),
    );
    check(
        "one status",
        &|q| q.statuses = vec![IncidentState::Resolved],
        &|i| i.status == IncidentState::Resolved,
    );
    check(
        "priorities",
        &|q| q.priorities = vec![Priority::Critical, Priority::High],
        &|i| matches!(i.priority, Priority::Critical | Priority::High),
    );
    check("team", &|q| q.team_id = Some(fx.team), &|i| {
        i.team_id == Some(fx.team)
    });
    check("assignee", &|q| q.assignee_id = Some(fx.agent), &|i| {
        i.assignee_id == Some(fx.agent)
    });
    check(
        "requester",
        &|q| q.requester_id = Some(fx.requester2),
        &|i| i.requester_id == fx.requester2,
    );
    check(
        "text in title or description, any case",
        &|q| q.text = Some("printer".to_owned()),
        &|i| i.title == "Printer jam" || i.title == "VPN down",
    );
    check(
        "text upper case",
        &|q| q.text = Some("PrInTeR".to_owned()),
        &|i| i.title == "Printer jam" || i.title == "VPN down",
    );
    check(
        "text in description only",
        &|q| q.text = Some("waiting for".to_owned()),
        &|i| i.title == "Laptop slow",
    );
    // created_from inclusive, created_to exclusive.
    check(
        "created range",
        &|q| {
            q.created_from = Some(mins(2));
            q.created_to = Some(mins(5));
        },
        &|i| i.created_at >= mins(2) && i.created_at < mins(5),
    );
    check(
        "created_from only",
        &|q| q.created_from = Some(mins(5)),
        &|i| i.created_at >= mins(5),
    );
    check("created_to only", &|q| q.created_to = Some(mins(2)), &|i| {
        i.created_at < mins(2)
    });
    check(
        "updated range",
        &|q| {
            q.updated_from = Some(mins(5));
            q.updated_to = Some(mins(40));
        },
        &|i| i.updated_at >= mins(5) && i.updated_at < mins(40),
    );
    check(
        "updated_from only",
        &|q| q.updated_from = Some(mins(40)),
        &|i| i.updated_at >= mins(40),
    );
    check(
        "combined",
        &|q| {
            q.statuses = vec![
                IncidentState::New,
                IncidentState::Open,
                IncidentState::InProgress,
            ];
            q.team_id = Some(fx.team);
            q.priorities = vec![Priority::Critical];
        },
        &|i| i.title == "Mail outage",
    );
    check(
        "filter and visibility together",
        &|q| {
            q.visibility = Visibility::Own {
                user_id: fx.requester,
            };
            q.team_id = Some(fx.team2);
        },
        &|i| i.requester_id == fx.requester && i.team_id == Some(fx.team2),
    );

    // Filters that match nothing.
    let mut q = query(Visibility::Org);
    q.text = Some("no such words".to_owned());
    assert!(listed(store, fx.org, &q, &data).is_empty());
    let mut q = query(Visibility::Org);
    q.created_from = Some(mins(3));
    q.created_to = Some(mins(3));
    assert!(
        listed(store, fx.org, &q, &data).is_empty(),
        "an empty range"
    );
    let mut q = query(Visibility::Org);
    q.assignee_id = Some(fx.admin);
    assert!(listed(store, fx.org, &q, &data).is_empty());
}

fn list_text_filter_is_a_literal_case_insensitive_substring(store: &Store) {
    let fx = org_fixture(store, "A");
    let titles = [
        "Disk 100% full",
        "Disk 1000 full",
        "user_name wrong",
        "username wrong",
        "Back\\slash",
    ];
    let data: Vec<Incident> = titles
        .iter()
        .map(|t| {
            let mut inc = incident(&fx, fx.requester, t);
            inc.description = "plain".to_owned();
            create(store, &inc)
        })
        .collect();
    let find = |text: &str| {
        let mut q = query(Visibility::Org);
        q.text = Some(text.to_owned());
        let got = listed(store, fx.org, &q, &data);
        let mut titles: Vec<String> = data
            .iter()
            .filter(|i| got.contains(&i.id))
            .map(|i| i.title.clone())
            .collect();
        titles.sort();
        titles
    };
    assert_eq!(find("100%"), vec!["Disk 100% full"], "% is not a wildcard");
    assert_eq!(
        find("user_name"),
        vec!["user_name wrong"],
        "_ is not a wildcard"
    );
    assert_eq!(find("DISK 1"), vec!["Disk 100% full", "Disk 1000 full"]);
    assert_eq!(find("k\\s"), vec!["Back\\slash"], "backslash is literal");
    assert_eq!(
        find("'"),
        Vec::<String>::new(),
        "a quote is just a character"
    );
}

fn list_hides_soft_deleted_unless_asked(store: &Store) {
    let fx = org_fixture(store, "A");
    let data = dataset(store, &fx);
    let victim = data.iter().find(|i| i.title == "Password reset").unwrap();
    let mut deleted = victim.clone();
    deleted.deleted_at = Some(mins(60));
    deleted.updated_at = mins(60);
    let deleted = store
        .update(
            fx.org,
            &deleted,
            1,
            &update_write(victim, fx.admin, mins(60), "deleted", "false", "true"),
        )
        .unwrap();
    let live: HashSet<_> = data
        .iter()
        .filter(|i| i.id != victim.id)
        .map(|i| i.id)
        .collect();

    let items = list_all(store, fx.org, &query(Visibility::Org));
    assert_eq!(
        ids_of(&items),
        live,
        "deleted = false hides soft-deleted rows"
    );
    let mut q = query(Visibility::Org);
    q.deleted = true;
    let only = list_all(store, fx.org, &q);
    assert_eq!(
        only,
        vec![deleted.clone()],
        "deleted = true lists only soft-deleted rows"
    );
    // Filters and visibility still apply to the deleted listing.
    q.visibility = Visibility::Own {
        user_id: fx.requester2,
    };
    assert!(list_all(store, fx.org, &q).is_empty());
    q.visibility = Visibility::Own {
        user_id: fx.requester,
    };
    q.statuses = vec![IncidentState::New];
    assert_eq!(
        ids_of(&list_all(store, fx.org, &q)),
        [victim.id].into_iter().collect()
    );
    // Visible again once restored.
    let mut restored = deleted.clone();
    restored.deleted_at = None;
    store
        .update(
            fx.org,
            &restored,
            2,
            &update_write(victim, fx.admin, mins(61), "deleted", "true", "false"),
        )
        .unwrap();
    assert_eq!(
        ids_of(&list_all(store, fx.org, &query(Visibility::Org))).len(),
        data.len()
    );
    let mut q = query(Visibility::Org);
    q.deleted = true;
    assert!(list_all(store, fx.org, &q).is_empty());
}

/// The documented order of `sort` ascending: the key, then its tie-breaks, id last.
/// Rows without an SLA instant sort after every instant.
fn cmp_asc(sort: IncidentSort, a: &Incident, b: &Incident) -> Ordering {
    match sort {
        IncidentSort::Created => (a.created_at, a.id).cmp(&(b.created_at, b.id)),
        IncidentSort::Updated => (a.updated_at, a.id).cmp(&(b.updated_at, b.id)),
        IncidentSort::Priority => {
            (a.priority.rank(), a.created_at, a.id).cmp(&(b.priority.rank(), b.created_at, b.id))
        }
        IncidentSort::SlaDue => (a.next_sla_due_at.is_none(), a.next_sla_due_at, a.id).cmp(&(
            b.next_sla_due_at.is_none(),
            b.next_sla_due_at,
            b.id,
        )),
    }
}

/// The order a listing with `sort`/`dir` shows. For every key but priority, `Desc` is the
/// exact reverse of `Asc`. The priority sort reads "descending" as "most urgent first": the
/// port only says "by priority rank (then creation, id)", and the store documents that
/// `Desc` means lowest rank (critical) first, oldest first among equals; `Asc` is its
/// exact reverse.
fn cmp_listed(sort: IncidentSort, dir: SortDirection, a: &Incident, b: &Incident) -> Ordering {
    let rank_first = sort == IncidentSort::Priority;
    match (dir, rank_first) {
        (SortDirection::Asc, false) | (SortDirection::Desc, true) => cmp_asc(sort, a, b),
        _ => cmp_asc(sort, b, a),
    }
}

fn expected_order(rows: &[Incident], sort: IncidentSort, dir: SortDirection) -> Vec<IncidentId> {
    let mut v = rows.to_vec();
    v.sort_by(|a, b| cmp_listed(sort, dir, a, b));
    v.into_iter().map(|i| i.id).collect()
}

const SORTS: [IncidentSort; 4] = [
    IncidentSort::Created,
    IncidentSort::Updated,
    IncidentSort::Priority,
    IncidentSort::SlaDue,
];
const DIRECTIONS: [SortDirection; 2] = [SortDirection::Asc, SortDirection::Desc];

/// Rows with ties on every key: created in groups of three, two rows per priority per
/// group, SLA instants repeating.
fn tied_rows(store: &Store, fx: &Fx, n: i64) -> Vec<Incident> {
    (0..n)
        .map(|i| {
            let mut inc = incident(fx, fx.requester, &format!("Row {i}"));
            inc.created_at = mins(i / 3);
            inc.updated_at = mins(100 + (i * 7) % 13);
            inc.priority = Priority::ALL[(i % 4) as usize];
            inc.next_sla_due_at = Some(mins(200 + ((i * 5) % 17) * 10));
            create(store, &inc)
        })
        .collect()
}

fn list_sorts_by_each_key_in_both_directions(store: &Store) {
    let fx = org_fixture(store, "A");
    let data = tied_rows(store, &fx, 24);
    for sort in SORTS {
        for dir in DIRECTIONS {
            let mut q = query(Visibility::Org);
            q.sort = sort;
            q.direction = dir;
            let got: Vec<IncidentId> = list_all(store, fx.org, &q)
                .into_iter()
                .map(|i| i.id)
                .collect();
            assert_eq!(
                got,
                expected_order(&data, sort, dir),
                "order of {sort:?} {dir:?}"
            );
            // The same order through small pages.
            q.limit = 5;
            let paged: Vec<IncidentId> = list_all(store, fx.org, &q)
                .into_iter()
                .map(|i| i.id)
                .collect();
            assert_eq!(paged, got, "paged order of {sort:?} {dir:?}");
        }
    }
    // The default query is newest first.
    let q = query(Visibility::Org);
    let got: Vec<IncidentId> = list_all(store, fx.org, &q)
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(
        got,
        expected_order(&data, IncidentSort::Created, SortDirection::Desc)
    );
}

fn list_sla_due_treats_no_due_as_end_of_time(store: &Store) {
    let fx = org_fixture(store, "A");
    let mut data = tied_rows(store, &fx, 9);
    for i in 0..3 {
        let mut inc = incident(&fx, fx.requester, &format!("No SLA {i}"));
        inc.sla = None;
        inc.next_sla_due_at = None;
        data.push(create(store, &inc));
    }
    let no_due: HashSet<_> = data
        .iter()
        .filter(|i| i.next_sla_due_at.is_none())
        .map(|i| i.id)
        .collect();
    for dir in DIRECTIONS {
        let mut q = query(Visibility::Org);
        q.sort = IncidentSort::SlaDue;
        q.direction = dir;
        q.limit = 4;
        let got: Vec<Incident> = list_all(store, fx.org, &q);
        assert_eq!(got.len(), 12);
        // No SLA instant sorts as the end of time: last ascending, first descending.
        let (due_rows, none_rows) = if dir == SortDirection::Asc {
            (&got[..9], &got[9..])
        } else {
            (&got[3..], &got[..3])
        };
        let none: HashSet<_> = none_rows.iter().map(|i| i.id).collect();
        assert_eq!(
            none, no_due,
            "{dir:?}: incidents without an SLA instant sort as the end of time"
        );
        let dues: Vec<_> = due_rows
            .iter()
            .map(|i| i.next_sla_due_at.unwrap())
            .collect();
        let mut sorted = dues.clone();
        sorted.sort();
        if dir == SortDirection::Desc {
            sorted.reverse();
        }
        assert_eq!(dues, sorted, "{dir:?}: SLA instants in order");
    }
}

fn list_limit_and_last_page_cursor(store: &Store) {
    let fx = org_fixture(store, "A");
    tied_rows(store, &fx, 6);
    let mut q = query(Visibility::Org);
    q.limit = 3;
    let p1 = store.list(fx.org, &q).unwrap();
    assert_eq!(p1.items.len(), 3);
    let c1 = p1.next_cursor.clone().expect("more rows follow");
    q.cursor = Some(c1);
    let p2 = store.list(fx.org, &q).unwrap();
    assert_eq!(p2.items.len(), 3);
    assert_eq!(
        p2.next_cursor, None,
        "a page that ends the listing has no cursor"
    );
    assert!(ids_of(&p1.items).is_disjoint(&ids_of(&p2.items)));

    q.cursor = None;
    q.limit = 6;
    assert_eq!(store.list(fx.org, &q).unwrap().next_cursor, None);
    q.limit = 200;
    let all = store.list(fx.org, &q).unwrap();
    assert_eq!(all.items.len(), 6);
    assert_eq!(all.next_cursor, None);
    q.limit = 1;
    let one = store.list(fx.org, &q).unwrap();
    assert_eq!(one.items.len(), 1);
    assert!(one.next_cursor.is_some());

    let mut none = query(Visibility::Own { user_id: fx.admin });
    none.limit = 10;
    let empty = store.list(fx.org, &none).unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.next_cursor, None);
}

fn list_garbage_cursor_is_not_found(store: &Store) {
    let fx = org_fixture(store, "A");
    tied_rows(store, &fx, 3);
    for garbage in ["not a cursor", "", "%%%", "eyJmb28iOiJiYXIifQ", "AAAA"] {
        let mut q = query(Visibility::Org);
        q.cursor = Some(garbage.to_owned());
        match store.list(fx.org, &q) {
            Err(StoreError::NotFound(what)) => assert_eq!(what, "cursor"),
            Ok(page) if garbage.is_empty() && page.items.len() == 3 => {
                // An empty cursor may be read as "first page".
            }
            other => panic!("cursor {garbage:?}: expected NotFound(\"cursor\"), got {other:?}"),
        }
    }
}

/// Seeds rows, then pages through with a small limit while another thread inserts rows
/// (some before the cursor, some after, some tied with seeded keys) between pages. Every
/// seeded row must come exactly once, in order, and no row twice.
fn stable_pagination(store: &Store, sort: IncidentSort) {
    let fx = org_fixture(store, "A");
    let seeded = tied_rows(store, &fx, 45);
    let seeded_ids: HashSet<_> = ids_of(&seeded);

    for dir in DIRECTIONS {
        let (go_tx, go_rx) = mpsc::channel::<u32>();
        let (done_tx, done_rx) = mpsc::channel::<Vec<IncidentId>>();
        let collected = std::thread::scope(|s| {
            let fx2 = fx.clone();
            let template = seeded[20].clone();
            s.spawn(move || {
                // Inserts three rows per signal: earliest, latest, and tied with a seeded row.
                while let Ok(round) = go_rx.recv() {
                    let r = i64::from(round);
                    let mut made = Vec::new();
                    for (k, shift) in [(-1, -1000 - r), (1, 1000 + r), (0, 0)] {
                        let mut inc =
                            incident(&fx2, fx2.requester, &format!("Inserted {round}/{k}"));
                        let base = &template;
                        inc.created_at = base.created_at + TimeDelta::minutes(shift);
                        inc.updated_at = base.updated_at + TimeDelta::minutes(shift);
                        inc.next_sla_due_at =
                            base.next_sla_due_at.map(|d| d + TimeDelta::minutes(shift));
                        inc.priority = match k {
                            -1 => Priority::Critical,
                            1 => Priority::Low,
                            _ => base.priority,
                        };
                        made.push(create(store, &inc).id);
                    }
                    if done_tx.send(made).is_err() {
                        return;
                    }
                }
            });

            let mut q = query(Visibility::Org);
            q.sort = sort;
            q.direction = dir;
            q.limit = 7;
            let mut out: Vec<Incident> = Vec::new();
            let mut round = 0;
            loop {
                let page = store.list(fx.org, &q).unwrap();
                assert!(page.items.len() <= 7);
                out.extend(page.items);
                let Some(cursor) = page.next_cursor else {
                    break;
                };
                q.cursor = Some(cursor);
                round += 1;
                assert!(round < 100, "pagination does not end");
                go_tx.send(round).unwrap();
                done_rx.recv().unwrap();
            }
            drop(go_tx);
            out
        });

        let mut seen = HashSet::new();
        for inc in &collected {
            assert!(
                seen.insert(inc.id),
                "{sort:?} {dir:?}: row {} listed twice",
                inc.title
            );
        }
        let got_seeded: Vec<IncidentId> = collected
            .iter()
            .filter(|i| seeded_ids.contains(&i.id))
            .map(|i| i.id)
            .collect();
        assert_eq!(
            got_seeded.len(),
            seeded.len(),
            "{sort:?} {dir:?}: every seeded row exactly once"
        );
        assert_eq!(
            got_seeded,
            expected_order(&seeded, sort, dir),
            "{sort:?} {dir:?}: seeded rows in order"
        );
        // Whatever was listed (seeded or inserted) is in order too.
        for pair in collected.windows(2) {
            let ok = cmp_listed(sort, dir, &pair[0], &pair[1]) == Ordering::Less;
            assert!(
                ok,
                "{sort:?} {dir:?}: {} listed before {}",
                pair[0].title, pair[1].title
            );
        }
    }
}

fn pagination_by_created_is_stable_while_inserting(store: &Store) {
    stable_pagination(store, IncidentSort::Created);
}

fn pagination_by_updated_is_stable_while_inserting(store: &Store) {
    stable_pagination(store, IncidentSort::Updated);
}

fn pagination_by_priority_is_stable_while_inserting(store: &Store) {
    stable_pagination(store, IncidentSort::Priority);
}

fn pagination_by_sla_due_is_stable_while_inserting(store: &Store) {
    stable_pagination(store, IncidentSort::SlaDue);
}

/// With one priority filtered, the priority sort orders by creation alone (the store drops
/// the pinned rank from ORDER BY); pages must still come out complete and in order.
fn list_one_priority_by_priority_pages_in_creation_order(store: &Store) {
    let fx = org_fixture(store, "A");
    let mut high = Vec::new();
    for i in 0..7 {
        let mut inc = incident(&fx, fx.requester, &format!("row {i}"));
        inc.priority = if i % 3 == 0 {
            Priority::Low
        } else {
            Priority::High
        };
        inc.created_at = mins(i);
        inc.updated_at = inc.created_at;
        let stored = create(store, &inc);
        if stored.priority == Priority::High {
            high.push(stored);
        }
    }
    for dir in DIRECTIONS {
        let mut q = query(Visibility::Org);
        q.sort = IncidentSort::Priority;
        q.direction = dir;
        q.priorities = vec![Priority::High];
        q.limit = 2;
        let got: Vec<IncidentId> = list_all(store, fx.org, &q).iter().map(|i| i.id).collect();
        let mut want = high.clone();
        // Desc: most urgent first, oldest first among equals; Asc: the reverse.
        want.sort_by_key(|i| (i.created_at, i.id));
        if dir == SortDirection::Asc {
            want.reverse();
        }
        let want: Vec<IncidentId> = want.iter().map(|i| i.id).collect();
        assert_eq!(got, want, "{dir:?}");
    }
}
