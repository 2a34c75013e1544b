use chrono::TimeDelta;
use servicedesk_lifecycle::incident::IncidentState;

use super::fixture::*;
use crate::entities::Incident;
use crate::error::Error;
use crate::ports::{IncidentQuery, Page, StoreError, Visibility};
use crate::usecases::{IncidentRef, ListIncidents};

const ID: IncidentRef = IncidentRef::Id(INCIDENT);

fn listing(fx: &mut Fx, want: Visibility) {
    fx.store
        .expect_list()
        .withf(move |org, q: &IncidentQuery| *org == ORG && q.visibility == want && q.limit == 50)
        .times(1)
        .returning(|_, _| {
            Ok(Page {
                items: vec![incident(IncidentState::Open)],
                next_cursor: Some("next".into()),
            })
        });
}

#[test]
fn listings_are_scoped_by_role() {
    for (actor, visibility) in [
        (requester(), Visibility::Own { user_id: REQ }),
        (
            agent(),
            Visibility::Group {
                user_id: AGENT,
                team_ids: vec![T1],
            },
        ),
        (manager(), Visibility::Org),
        (admin(), Visibility::Org),
    ] {
        let mut fx = Fx::new();
        listing(&mut fx, visibility);
        let page = fx.build().list(&actor, ListIncidents::default()).unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.next_cursor.as_deref(), Some("next"));
        assert!(page.items[0].sla.is_some(), "rows carry their SLA state");
    }
}

#[test]
fn filters_pass_through_and_bad_ones_never_reach_the_store() {
    let mut fx = Fx::new();
    fx.store
        .expect_list()
        .withf(|_, q| {
            q.text.as_deref() == Some("printer") && q.limit == 200 && q.team_id == Some(T1)
        })
        .times(1)
        .returning(|_, _| {
            Ok(Page {
                items: vec![],
                next_cursor: None,
            })
        });
    let q = ListIncidents {
        text: Some("  printer ".into()),
        limit: Some(200),
        team_id: Some(T1),
        ..Default::default()
    };
    assert!(fx.build().list(&manager(), q).unwrap().items.is_empty());

    let uc = Fx::bare().build();
    for bad in [
        ListIncidents {
            limit: Some(0),
            ..Default::default()
        },
        ListIncidents {
            limit: Some(201),
            ..Default::default()
        },
        ListIncidents {
            text: Some("x".repeat(201)),
            ..Default::default()
        },
        ListIncidents {
            created_from: Some(t0()),
            created_to: Some(t0() - TimeDelta::seconds(1)),
            ..Default::default()
        },
    ] {
        assert!(
            matches!(uc.list(&manager(), bad.clone()), Err(Error::Invalid(_))),
            "{bad:?}"
        );
    }
    let err = uc
        .list(
            &agent(),
            ListIncidents {
                deleted: true,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Forbidden { .. }),
        "agents cannot browse the bin: {err:?}"
    );
}

#[test]
fn an_undecodable_cursor_is_a_field_error() {
    let mut fx = Fx::new();
    fx.store
        .expect_list()
        .returning(|_, _| Err(StoreError::NotFound("cursor")));
    let err = fx
        .build()
        .list(
            &manager(),
            ListIncidents {
                cursor: Some("garbage".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].field == "cursor"),
        "{err:?}"
    );
}

#[test]
fn soft_delete_hides_and_restore_brings_back() {
    let (fx, written) = Fx::new()
        .holding(incident(IncidentState::Open))
        .accepting_updates();
    let out = fx.build().delete(&manager(), ID, Some(3)).unwrap();
    assert_eq!(out.value.incident.deleted_at, Some(t0()));
    assert!(out.value.legal_actions.is_empty());
    let (deleted, _, write) = last(&written);
    assert_eq!(kinds(&write), vec!["incident.deleted"]);

    let uc = Fx::new()
        .holding(Incident {
            version: 4,
            ..deleted.clone()
        })
        .build();
    assert_eq!(
        uc.get(&manager(), ID).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
    assert_eq!(
        uc.delete(&manager(), ID, None).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );

    let (fx, written) = Fx::new()
        .holding(Incident {
            version: 4,
            ..deleted
        })
        .accepting_updates();
    let out = fx.build().restore(&manager(), ID, Some(4)).unwrap();
    assert_eq!(out.value.incident.deleted_at, None);
    assert_eq!(kinds(&last(&written).2), vec!["incident.restored"]);

    // Restoring something that is not deleted finds nothing.
    let uc = Fx::new().holding(incident(IncidentState::Open)).build();
    assert_eq!(
        uc.restore(&manager(), ID, None).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
}

#[test]
fn agents_and_requesters_cannot_delete_and_never_reach_the_store() {
    for actor in [agent(), requester()] {
        let err = Fx::bare().build().delete(&actor, ID, None).unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    }
}

/// A listing decides the legal actions once per distinct state and holders and reuses them
/// for the rest of the page. Every item must still carry exactly what a read of that one
/// incident gives: the page varies one holder at a time, so a key missing any of them
/// would hand one incident another's actions.
#[test]
fn listed_incidents_carry_the_legal_actions_of_each() {
    use crate::usecases::view::legal_actions_for;
    let mut page = Vec::new();
    for status in IncidentState::ALL {
        for requester in [REQ, REQ2] {
            for assignee in [None, Some(AGENT), Some(AGENT2)] {
                for team in [None, Some(T1), Some(T2)] {
                    for deleted in [false, true] {
                        let mut i = incident(*status);
                        i.requester_id = requester;
                        i.assignee_id = assignee;
                        i.team_id = team;
                        i.deleted_at = deleted.then(t0);
                        page.push(i);
                    }
                }
            }
        }
    }
    let mut distinct = page
        .iter()
        .map(crate::usecases::view::actions_key)
        .collect::<Vec<_>>();
    distinct.sort_unstable_by_key(|k| format!("{k:?}"));
    distinct.dedup();
    assert_eq!(distinct.len(), page.len(), "every incident its own key");
    let mut some_differ = false;
    for actor in [
        requester(),
        requester2(),
        agent(),
        agent2(),
        manager(),
        admin(),
        reader(),
    ] {
        let mut fx = Fx::new();
        let items = page.clone();
        fx.store.expect_list().returning(move |_, _| {
            Ok(Page {
                items: items.clone(),
                next_cursor: None,
            })
        });
        let listed = fx.build().list(&actor, ListIncidents::default()).unwrap();
        assert_eq!(listed.items.len(), page.len());
        for (view, incident) in listed.items.iter().zip(&page) {
            let alone = legal_actions_for(&actor, incident);
            some_differ |= alone != listed.items[0].legal_actions;
            assert_eq!(view.legal_actions, alone, "{actor:?} on {incident:?}");
        }
    }
    assert!(
        some_differ,
        "every item had the same actions: the test shows nothing"
    );
}
