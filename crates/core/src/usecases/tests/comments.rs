use chrono::TimeDelta;
use servicedesk_lifecycle::incident::IncidentState;

use super::fixture::*;
use crate::actor::Actor;
use crate::entities::Comment;
use crate::error::Error;
use crate::ids::CommentId;
use crate::ports::StoreError;
use crate::ports::{ChildQuery, Page};
use crate::usecases::{IncidentRef, PageRequest};

const ID: IncidentRef = IncidentRef::Id(INCIDENT);

#[test]
fn first_public_staff_comment_stops_the_response_clock() {
    let (fx, written) = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .accepting_updates();
    fx.clock.advance(TimeDelta::minutes(20));
    let out = fx
        .build()
        .comment(&agent(), ID, "Looking at it", false)
        .unwrap();
    assert!(!out.value.internal);
    let (stored, _, write) = last(&written);
    assert_eq!(
        stored.first_responded_at,
        Some(t0() + TimeDelta::minutes(20))
    );
    let sla = stored.sla.unwrap();
    assert!(sla.response.is_stopped());
    assert!(sla.resolution.is_running(), "the resolution clock runs on");
    assert_eq!(write.comments, vec![out.value.clone()]);
    assert_eq!(kinds(&write), vec!["incident.comment_added"]);
    assert_eq!(fields(&write), vec!["first_responded_at"]);
    // The next SLA instant is now the resolution warning at 75 % of 8 h.
    assert_eq!(stored.next_sla_due_at, Some(t0() + TimeDelta::hours(6)));
}

#[test]
fn internal_notes_and_requester_comments_do_not_count_as_a_response() {
    for (actor, internal) in [(agent(), true), (requester(), false)] {
        let (fx, written) = Fx::new()
            .holding(incident(IncidentState::InProgress))
            .accepting_updates();
        fx.build().comment(&actor, ID, "note", internal).unwrap();
        let (stored, _, write) = last(&written);
        assert_eq!(stored.first_responded_at, None);
        assert!(stored.sla.unwrap().response.is_running());
        assert!(write.history.is_empty());
    }
}

#[test]
fn requesters_cannot_write_internal_notes_and_never_reach_the_store() {
    let err = Fx::bare()
        .build()
        .comment(&requester(), ID, "psst", true)
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let err = Fx::bare()
        .build()
        .comment(&agent(), ID, "   ", false)
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].field == "body"),
        "{err:?}"
    );
}

#[test]
fn a_comment_retries_when_a_concurrent_write_won() {
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    let mut seq = mockall::Sequence::new();
    fx.store
        .expect_update()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| {
            Err(StoreError::Conflict {
                entity: "incident",
                current: 4,
            })
        });
    fx.store
        .expect_update()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, i, v, _| {
            Ok(crate::entities::Incident {
                version: v + 1,
                ..i.clone()
            })
        });
    assert!(
        fx.build()
            .comment(&agent(), ID, "second try", false)
            .is_ok()
    );
}

#[test]
fn requesters_never_see_internal_notes() {
    let note = |id: u128, internal: bool| Comment {
        id: CommentId(uuid::Uuid::from_u128(id)),
        org_id: ORG,
        ticket_id: INCIDENT,
        author_id: AGENT,
        body: format!("comment {id}"),
        internal,
        created_at: t0(),
    };
    let all = vec![note(1, false), note(2, true), note(3, false)];
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    let stored = all.clone();
    // The store filters work notes out when the query says so (and pages).
    fx.store
        .expect_comments_page()
        .returning(move |_, _, q: &ChildQuery| {
            assert_eq!(q.limit, 50, "the default page size");
            Ok(Page {
                items: stored
                    .iter()
                    .filter(|c| q.internal || !c.internal)
                    .cloned()
                    .collect(),
                next_cursor: None,
            })
        });
    let uc = fx.build();
    let first = PageRequest::default();
    let seen: Vec<_> = uc
        .comments(&requester(), ID, &first)
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(seen, vec![all[0].id, all[2].id]);
    assert_eq!(uc.comments(&agent(), ID, &first).unwrap().items, all);
    assert_eq!(
        uc.comments(&requester2(), ID, &first).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
    for limit in [0, 201] {
        let bad = PageRequest {
            limit: Some(limit),
            cursor: None,
        };
        assert!(matches!(
            uc.comments(&agent(), ID, &bad).unwrap_err(),
            Error::Invalid(ref f) if f[0].field == "limit"
        ));
    }
}

#[test]
fn closed_incidents_take_no_comments() {
    let uc = Fx::new().holding(incident(IncidentState::Closed)).build();
    let err = uc.comment(&requester(), ID, "hello?", false).unwrap_err();
    assert!(matches!(err, Error::IllegalTransition { .. }), "{err:?}");
}

#[test]
fn history_is_read_through_the_visibility_check() {
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    fx.store
        .expect_history_page()
        .times(1)
        .returning(|_, _, _| {
            Ok(Page {
                items: vec![],
                next_cursor: None,
            })
        });
    let uc = fx.build();
    let first = PageRequest::default();
    assert!(uc.history(&agent(), ID, &first).unwrap().items.is_empty());
    assert_eq!(
        uc.history(&agent2(), ID, &first).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
}

#[test]
fn requesters_see_no_internal_history_rows() {
    let row = |field: &str| crate::entities::HistoryEntry {
        id: crate::ids::HistoryId(uuid::Uuid::now_v7()),
        org_id: ORG,
        ticket_id: INCIDENT,
        actor_id: Some(AGENT),
        at: t0(),
        field: field.into(),
        old_value: None,
        new_value: Some("x".into()),
    };
    let rows = [
        row("status"),
        row("team_id"),
        row("assignee_id"),
        row("escalation_level"),
        row("sla_policy_id"),
        row("task"),
        row("priority"),
    ];
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    fx.store
        .expect_history_page()
        .returning(move |_, _, q: &ChildQuery| {
            Ok(Page {
                items: rows
                    .iter()
                    .filter(|h| !q.hidden_fields.contains(&h.field))
                    .cloned()
                    .collect(),
                next_cursor: None,
            })
        });
    let uc = fx.build();
    let fields = |a: Actor| {
        uc.history(&a, ID, &PageRequest::default())
            .unwrap()
            .items
            .into_iter()
            .map(|h| h.field)
            .collect::<Vec<_>>()
    };
    assert_eq!(fields(requester()), ["status", "priority"]);
    assert_eq!(fields(agent()).len(), 7);
}
