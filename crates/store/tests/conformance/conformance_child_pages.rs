//! Comments, history and tasks of an incident are read a page at a time (issue 9, point
//! 13), on both backends: oldest first, keyset on (time, id) so equal timestamps neither
//! repeat nor drop a row, work notes and hidden history fields filtered by the query, a
//! cursor only pages the list that made it, and another organization reads nothing.

#![allow(clippy::unwrap_used)]

use servicedesk_core::ports::{ChildQuery, IncidentStore, StoreError, WriteSet};
use servicedesk_store::Store;

use crate::common::*;

conformance!(pages_of_comments_history_and_tasks);

/// One page read: the rows (as text) and the next cursor.
type PageRead<'a> = &'a dyn Fn(&ChildQuery) -> (Vec<String>, Option<String>);

fn pages_of_comments_history_and_tasks(store: &Store) {
    let fx = org_fixture(store, "A");
    let other = org_fixture(store, "B");
    let inc = create(store, &incident(&fx, fx.requester, "Paged"));
    // Seven comments, every other one a work note, three sharing one instant.
    let mut write = WriteSet::default();
    for n in 0..7_i64 {
        let at = mins(n.min(3));
        write
            .comments
            .push(comment(&inc, fx.agent, &format!("c{n}"), n % 2 == 1, at));
        write.history.push(history(
            &inc,
            Some(fx.agent),
            at,
            if n % 3 == 0 { "assignee_id" } else { "status" },
            None,
            Some("x"),
        ));
    }
    store.update(fx.org, &inc, 1, &write).unwrap();
    for n in 0..5 {
        create_task(
            store,
            &task(fx.org, inc.id, &format!("t{n}"), mins(1)),
            fx.agent,
        );
    }

    let all_pages = |query: &ChildQuery, read: PageRead<'_>| {
        let mut q = query.clone();
        let mut out = Vec::new();
        loop {
            let (rows, next) = read(&q);
            assert!(rows.len() <= q.limit as usize);
            out.extend(rows);
            match next {
                Some(c) => q.cursor = Some(c),
                None => return out,
            }
        }
    };
    let comments = |q: &ChildQuery| {
        let p = store.comments_page(fx.org, inc.id, q).unwrap();
        (p.items.into_iter().map(|c| c.body).collect(), p.next_cursor)
    };
    let mut q = ChildQuery::first(2);
    assert_eq!(
        all_pages(&q, &comments),
        ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]
    );
    q.internal = false;
    assert_eq!(all_pages(&q, &comments), ["c0", "c2", "c4", "c6"]);

    let history = |q: &ChildQuery| {
        let p = store.history_page(fx.org, inc.id, q).unwrap();
        (
            p.items.into_iter().map(|h| h.field).collect(),
            p.next_cursor,
        )
    };
    let mut q = ChildQuery::first(3);
    let every = all_pages(&q, &history);
    assert_eq!(every.len(), store.history(fx.org, inc.id).unwrap().len());
    q.hidden_fields = vec!["assignee_id".into()];
    let shown = all_pages(&q, &history);
    assert!(shown.iter().all(|f| f != "assignee_id"));
    assert_eq!(shown.len(), every.len() - 3);

    let tasks = |q: &ChildQuery| {
        let p = store.tasks_page(fx.org, inc.id, q).unwrap();
        (
            p.items.into_iter().map(|t| t.title).collect(),
            p.next_cursor,
        )
    };
    assert_eq!(
        all_pages(&ChildQuery::first(2), &tasks),
        ["t0", "t1", "t2", "t3", "t4"]
    );

    // A cursor pages only its own list; garbage is NotFound("cursor").
    let c = store
        .comments_page(fx.org, inc.id, &ChildQuery::first(1))
        .unwrap()
        .next_cursor
        .unwrap();
    let foreign = ChildQuery {
        cursor: Some(c),
        ..ChildQuery::first(1)
    };
    assert!(matches!(
        store.tasks_page(fx.org, inc.id, &foreign),
        Err(StoreError::NotFound("cursor"))
    ));
    assert!(matches!(
        store.history_page(
            fx.org,
            inc.id,
            &ChildQuery {
                cursor: Some("x".into()),
                ..ChildQuery::first(1)
            }
        ),
        Err(StoreError::NotFound("cursor"))
    ));
    // Another organization reads nothing of it.
    let q = ChildQuery::first(200);
    assert!(
        store
            .comments_page(other.org, inc.id, &q)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .history_page(other.org, inc.id, &q)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .tasks_page(other.org, inc.id, &q)
            .unwrap()
            .items
            .is_empty()
    );
    let first = store.comments(fx.org, inc.id).unwrap()[0].clone();
    assert_eq!(store.comment(fx.org, inc.id, first.id).unwrap(), first);
    assert_not_found(
        "another org's comment",
        store.comment(other.org, inc.id, first.id),
    );
}
