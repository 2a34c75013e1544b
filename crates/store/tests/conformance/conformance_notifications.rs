//! Notifications over the real store on both backends: routing an event twice adds
//! nothing; deliveries are claimed exclusively, retried with backoff, dead-lettered and
//! put back only when dead; preferences, the inbox and webhooks never cross
//! organizations.

#![allow(clippy::unwrap_used)]

use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{DeliveryId, EventId, NotificationId, OrgId, UserId, WebhookId};
use servicedesk_core::ports::{
    Channel, DeliveryFilter, DeliveryPayload, DeliveryQueue, DeliveryState, Directory,
    InAppNotification, Mail, NewDelivery, NotificationStore, Preference, Routed, StoreError,
    Webhook, WebhookFormat, WebhookMessage, WebhookStore,
};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    routing_an_event_twice_adds_nothing,
    deliveries_are_claimed_once_and_settled,
    only_dead_deliveries_are_retried,
    inbox_and_preferences_stay_with_their_user,
    webhooks_are_versioned_and_deleting_one_kills_its_deliveries,
    team_members_are_listed,
    retention_deletes_only_old_delivered_and_read_rows,
    claims_leave_out_busy_targets_and_released_ones_come_back,
    account_mail_deliveries_lose_their_link_once_settled
);

fn audit_of(org: OrgId, action: &str) -> AuditRecord {
    AuditRecord {
        org_id: org,
        actor_id: None,
        action: action.into(),
        target_kind: "test".into(),
        target_id: "x".into(),
        at: mins(1),
        detail: serde_json::json!({}),
    }
}

fn mail_to(to: &str) -> DeliveryPayload {
    DeliveryPayload::Email {
        mail: Mail {
            to: to.into(),
            to_name: "X".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        },
    }
}

fn hook(org: OrgId) -> Webhook {
    Webhook {
        id: new_id(),
        org_id: org,
        name: "ops".into(),
        url: "https://hooks.example.test/x".into(),
        events: vec!["*".into()],
        format: WebhookFormat::Slack,
        secret_sealed: "sealed".into(),
        active: true,
        version: 1,
        created_at: mins(0),
        updated_at: mins(0),
    }
}

fn message(id: DeliveryId) -> WebhookMessage {
    WebhookMessage {
        delivery_id: id.to_string(),
        event: "sla.breached".into(),
        event_id: "e".into(),
        org_id: "o".into(),
        occurred_at: mins(0),
        summary: "s".into(),
        link: None,
        data: serde_json::json!({"k": 1}),
    }
}

fn routed(fx: &Fx, event: EventId, webhook: WebhookId) -> Routed {
    let to_webhook: DeliveryId = new_id();
    Routed {
        at: mins(0),
        notifications: vec![InAppNotification {
            id: new_id(),
            org_id: fx.org,
            user_id: fx.agent,
            event_id: event,
            kind: "incident.assigned".into(),
            incident_id: None,
            title: "INC-1 was assigned to you".into(),
            body: "b".into(),
            created_at: mins(0),
            read_at: None,
        }],
        deliveries: vec![
            NewDelivery {
                id: new_id(),
                event_id: event,
                kind: "incident.assigned".into(),
                target: fx.agent.to_string(),
                payload: mail_to("agent@example.test"),
            },
            NewDelivery {
                id: to_webhook,
                event_id: event,
                kind: "incident.assigned".into(),
                target: webhook.to_string(),
                payload: DeliveryPayload::Webhook {
                    webhook_id: webhook,
                    message: message(to_webhook),
                },
            },
        ],
    }
}

fn routing_an_event_twice_adds_nothing(store: &Store) {
    let fx = org_fixture(store, "A");
    let event: EventId = new_id();
    let webhook: WebhookId = new_id();
    assert_eq!(
        store
            .save_routed(fx.org, &routed(&fx, event, webhook))
            .unwrap(),
        3
    );
    // The same event again (fresh row ids, as a re-run of the router makes).
    assert_eq!(
        store
            .save_routed(fx.org, &routed(&fx, event, webhook))
            .unwrap(),
        0
    );
    let all = store
        .deliveries(fx.org, DeliveryFilter::default(), None, 100)
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        store
            .notifications(fx.org, fx.agent, false, None, 50)
            .unwrap()
            .len(),
        1
    );
    // The payload survives the round trip.
    let claimed = DeliveryQueue::claim(store, mins(0), mins(2), 10, &[]).unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        claimed
            .iter()
            .any(|d| d.payload == mail_to("agent@example.test"))
    );
    assert!(claimed.iter().any(|d| matches!(
        &d.payload,
        DeliveryPayload::Webhook { webhook_id, message } if *webhook_id == webhook && message.data["k"] == 1
    )));
}

fn deliveries_are_claimed_once_and_settled(store: &Store) {
    let fx = org_fixture(store, "A");
    store
        .save_routed(fx.org, &routed(&fx, new_id(), new_id()))
        .unwrap();
    let first = DeliveryQueue::claim(store, mins(1), mins(3), 10, &[]).unwrap();
    assert_eq!(first.len(), 2);
    assert!(
        DeliveryQueue::claim(store, mins(1), mins(3), 10, &[])
            .unwrap()
            .is_empty(),
        "leased rows are not handed out twice"
    );
    // Each send re-takes the lease it holds; a stale lease is refused.
    assert!(
        store
            .hold(first[0].id, first[0].lease_until, mins(4))
            .unwrap()
    );
    assert!(
        !store
            .hold(first[0].id, first[0].lease_until, mins(5))
            .unwrap(),
        "the lease moved on: whoever holds the old one must not send"
    );
    assert!(
        store
            .hold(first[1].id, first[1].lease_until, mins(4))
            .unwrap()
    );
    let (a, b) = (first[0].id, first[1].id);
    assert!(store.delivered(a, mins(4), mins(1)).unwrap());
    assert!(
        !store.delivered(a, mins(4), mins(2)).unwrap(),
        "settled once"
    );
    assert!(
        !store
            .failed(
                b,
                first[1].lease_until,
                "smtp down",
                mins(1),
                mins(10),
                false
            )
            .unwrap(),
        "the lease was re-taken until mins(4): the claim's lease no longer settles"
    );
    assert!(
        store
            .failed(b, mins(4), "smtp down", mins(1), mins(10), false)
            .unwrap()
    );
    assert!(
        DeliveryQueue::claim(store, mins(5), mins(6), 10, &[])
            .unwrap()
            .is_empty(),
        "the failed one waits for its retry time; the delivered one never comes back"
    );
    let again = DeliveryQueue::claim(store, mins(10), mins(12), 10, &[]).unwrap();
    assert_eq!(again.len(), 1);
    assert!(
        !store.hold(b, first[1].lease_until, mins(13)).unwrap(),
        "a courier whose lease expired and was re-claimed cannot send"
    );
    assert_eq!(again[0].id, b);
    assert_eq!(again[0].attempts, 1);
    let pending = store
        .deliveries(
            fx.org,
            DeliveryFilter {
                state: Some(DeliveryState::Pending),
                ..DeliveryFilter::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].last_error.as_deref(), Some("smtp down"));
    assert_not_found(
        "settle unknown",
        store.delivered(new_id(), mins(1), mins(1)),
    );
    // The courier whose lease expired and was re-claimed cannot settle either.
    assert!(!store.delivered(b, first[1].lease_until, mins(11)).unwrap());
    assert!(
        !store
            .failed(b, mins(4), "late", mins(11), mins(12), true)
            .unwrap()
    );
    assert!(store.delivered(b, again[0].lease_until, mins(11)).unwrap());
}

fn only_dead_deliveries_are_retried(store: &Store) {
    let fx = org_fixture(store, "A");
    let other = org_fixture(store, "B");
    store
        .save_routed(fx.org, &routed(&fx, new_id(), new_id()))
        .unwrap();
    let claimed = DeliveryQueue::claim(store, mins(1), mins(3), 10, &[]).unwrap();
    let id = claimed[0].id;
    assert!(matches!(
        store.retry(fx.org, id, mins(2), &audit_of(fx.org, "delivery.retry")),
        Err(StoreError::Conflict { .. })
    ));
    assert!(
        store
            .failed(
                id,
                claimed[0].lease_until,
                "HTTP 500",
                mins(2),
                mins(3),
                true
            )
            .unwrap()
    );
    let dead = store
        .deliveries(
            fx.org,
            DeliveryFilter {
                state: Some(DeliveryState::Dead),
                ..DeliveryFilter::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert!(
        DeliveryQueue::claim(store, mins(100), mins(101), 10, &[])
            .unwrap()
            .iter()
            .all(|d| d.id != id),
        "a dead letter is never claimed"
    );
    assert_not_found(
        "retry from another org",
        store.retry(
            other.org,
            id,
            mins(4),
            &audit_of(other.org, "delivery.retry"),
        ),
    );
    let back = store
        .retry(fx.org, id, mins(4), &audit_of(fx.org, "delivery.retry"))
        .unwrap();
    assert_eq!(back.state, DeliveryState::Pending);
    assert_eq!(back.attempts, 0);
    assert!(
        DeliveryQueue::claim(store, mins(4), mins(6), 10, &[])
            .unwrap()
            .iter()
            .any(|d| d.id == id)
    );
    assert!(
        all_audit(store, fx.org)
            .iter()
            .any(|a| a.record.action == "delivery.retry")
    );
}

fn inbox_and_preferences_stay_with_their_user(store: &Store) {
    let fx = org_fixture(store, "A");
    let other = org_fixture(store, "B");
    store
        .save_routed(fx.org, &routed(&fx, new_id(), new_id()))
        .unwrap();
    let mine = store
        .notifications(fx.org, fx.agent, true, None, 50)
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(store.unread_count(fx.org, fx.agent).unwrap(), 1);
    let id: NotificationId = mine[0].id;
    assert_not_found(
        "another user's",
        store.mark_read(fx.org, fx.requester, id, mins(2)),
    );
    assert_not_found(
        "another org's",
        store.mark_read(other.org, other.agent, id, mins(2)),
    );
    let read = store.mark_read(fx.org, fx.agent, id, mins(2)).unwrap();
    assert_eq!(read.read_at, Some(mins(2)));
    let again = store.mark_read(fx.org, fx.agent, id, mins(9)).unwrap();
    assert_eq!(again.read_at, Some(mins(2)), "the first read time stays");
    assert_eq!(store.unread_count(fx.org, fx.agent).unwrap(), 0);
    assert!(
        store
            .notifications(fx.org, fx.agent, true, None, 50)
            .unwrap()
            .is_empty()
    );

    let choice = Preference {
        event: "sla.warning".into(),
        email: false,
        in_app: true,
    };
    store
        .set_preferences(fx.org, fx.agent, std::slice::from_ref(&choice))
        .unwrap();
    let flipped = Preference {
        email: true,
        in_app: false,
        ..choice.clone()
    };
    store
        .set_preferences(fx.org, fx.agent, std::slice::from_ref(&flipped))
        .unwrap();
    assert_eq!(store.preferences(fx.org, fx.agent).unwrap(), vec![flipped]);
    assert!(store.preferences(fx.org, fx.requester).unwrap().is_empty());
    assert_not_found(
        "a user of another org",
        store.set_preferences(fx.org, other.agent, &[choice]),
    );
}

fn webhooks_are_versioned_and_deleting_one_kills_its_deliveries(store: &Store) {
    let fx = org_fixture(store, "A");
    let other = org_fixture(store, "B");
    let h = hook(fx.org);
    store
        .create_webhook(&h, &audit_of(fx.org, "webhook.create"))
        .unwrap();
    assert_eq!(store.webhook(fx.org, h.id).unwrap(), h);
    assert_not_found("another org's", store.webhook(other.org, h.id));
    assert!(store.webhooks(other.org).unwrap().is_empty());
    let changed = Webhook {
        url: "https://hooks.example.test/y".into(),
        format: WebhookFormat::Teams,
        ..h.clone()
    };
    let stored = store
        .update_webhook(&changed, 1, &audit_of(fx.org, "webhook.update"))
        .unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.format, WebhookFormat::Teams);
    assert!(matches!(
        store.update_webhook(&changed, 1, &audit_of(fx.org, "webhook.update")),
        Err(StoreError::Conflict { current: 2, .. })
    ));
    store
        .save_routed(fx.org, &routed(&fx, new_id(), h.id))
        .unwrap();
    assert_not_found(
        "delete from another org",
        store.delete_webhook(other.org, h.id, &audit_of(other.org, "webhook.delete")),
    );
    store
        .delete_webhook(fx.org, h.id, &audit_of(fx.org, "webhook.delete"))
        .unwrap();
    let dead = store
        .deliveries(
            fx.org,
            DeliveryFilter {
                state: Some(DeliveryState::Dead),
                channel: Some(Channel::Webhook),
                webhook_id: Some(h.id),
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("endpoint deleted"));
    assert_not_found("deleted", store.webhook(fx.org, h.id));
}

fn team_members_are_listed(store: &Store) {
    let fx = org_fixture(store, "A");
    let members: Vec<UserId> = store.team_members(fx.org, fx.team).unwrap();
    assert!(members.contains(&fx.agent));
    assert!(!members.contains(&fx.requester));
    let other = org_fixture(store, "B");
    assert!(store.team_members(other.org, fx.team).unwrap().is_empty());
}

fn retention_deletes_only_old_delivered_and_read_rows(store: &Store) {
    let fx = org_fixture(store, "A");
    let other = org_fixture(store, "B");
    store
        .save_routed(fx.org, &routed(&fx, new_id(), new_id()))
        .unwrap();
    store
        .save_routed(other.org, &routed(&other, new_id(), new_id()))
        .unwrap();
    let claimed = DeliveryQueue::claim(store, mins(1), mins(3), 10, &[]).unwrap();
    assert_eq!(claimed.len(), 4);
    // Delivered at +10 (two, one per org), delivered at +100, dead at +10.
    let lease = claimed[0].lease_until;
    assert!(store.delivered(claimed[0].id, lease, mins(10)).unwrap());
    assert!(store.delivered(claimed[1].id, lease, mins(10)).unwrap());
    assert!(store.delivered(claimed[2].id, lease, mins(100)).unwrap());
    assert!(
        store
            .failed(claimed[3].id, lease, "gone", mins(10), mins(11), true)
            .unwrap()
    );
    assert_eq!(
        store.purge_delivered(mins(50), 1).unwrap(),
        1,
        "the limit holds"
    );
    assert_eq!(store.purge_delivered(mins(50), 100).unwrap(), 1);
    assert_eq!(store.purge_delivered(mins(50), 100).unwrap(), 0);
    let left: Vec<_> = [fx.org, other.org]
        .iter()
        .flat_map(|o| {
            store
                .deliveries(*o, DeliveryFilter::default(), None, 10)
                .unwrap()
        })
        .collect();
    assert_eq!(
        left.len(),
        2,
        "the recent delivery and the dead letter stay"
    );
    assert!(left.iter().any(|d| d.state == DeliveryState::Dead));

    let mine = store
        .notifications(fx.org, fx.agent, false, None, 10)
        .unwrap();
    store
        .mark_read(fx.org, fx.agent, mine[0].id, mins(10))
        .unwrap();
    assert_eq!(
        store.purge_read(mins(5), 100).unwrap(),
        0,
        "read later than the cut"
    );
    assert_eq!(store.purge_read(mins(50), 100).unwrap(), 1);
    assert!(
        store
            .notifications(fx.org, fx.agent, false, None, 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .notifications(other.org, other.agent, false, None, 10)
            .unwrap()
            .len(),
        1,
        "unread ones stay"
    );
}

fn claims_leave_out_busy_targets_and_released_ones_come_back(store: &Store) {
    let fx = org_fixture(store, "A");
    let webhook: WebhookId = new_id();
    store
        .save_routed(fx.org, &routed(&fx, new_id(), webhook))
        .unwrap();
    let key = format!("webhook:{webhook}");
    // The webhook's target is busy: only the mail is handed out.
    let first =
        DeliveryQueue::claim(store, mins(1), mins(3), 10, std::slice::from_ref(&key)).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].target_key(), "email");
    // Both busy: nothing.
    assert!(
        DeliveryQueue::claim(store, mins(1), mins(3), 10, &["email".into(), key.clone()])
            .unwrap()
            .is_empty()
    );
    // Mail busy (and leased anyway): the webhook.
    let second = DeliveryQueue::claim(store, mins(1), mins(3), 10, &["email".into()]).unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].target_key(), key);
    // Released unsent: claimable again at once, no attempt counted; a stale lease cannot
    // release it again.
    assert!(store.release(first[0].id, first[0].lease_until).unwrap());
    assert!(!store.release(first[0].id, first[0].lease_until).unwrap());
    let again = DeliveryQueue::claim(store, mins(1), mins(3), 10, &[]).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].attempts, 0);
}

#[derive(diesel::QueryableByName)]
struct PayloadRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    payload: String,
}

fn account_mail_deliveries_lose_their_link_once_settled(store: &Store) {
    use diesel::RunQueryDsl;
    let fx = org_fixture(store, "A");
    let link = |token: &str| DeliveryPayload::Email {
        mail: Mail {
            to: "r@example.org".into(),
            to_name: "R".into(),
            subject: "Reset your password".into(),
            text: format!("https://desk.example.org/reset?token={token}"),
            html: format!("<a href=\"https://desk.example.org/reset?token={token}\">reset</a>"),
        },
    };
    let routed = Routed {
        at: mins(0),
        notifications: Vec::new(),
        deliveries: ["DELIVERED-TOKEN", "DEAD-TOKEN", "RETRY-TOKEN"]
            .iter()
            .map(|token| NewDelivery {
                id: new_id(),
                event_id: new_id(),
                kind: "user.password_reset_requested".into(),
                target: fx.requester.to_string(),
                payload: link(token),
            })
            .collect(),
    };
    store.save_routed(fx.org, &routed).unwrap();
    let payloads = |store: &Store| -> Vec<String> {
        let mut conn = store.database().conn().unwrap();
        diesel::sql_query("SELECT payload FROM deliveries")
            .load::<PayloadRow>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|r| r.payload)
            .collect()
    };
    let claimed = DeliveryQueue::claim(store, mins(1), mins(3), 10, &[]).unwrap();
    assert_eq!(claimed.len(), 3);
    let mut dead_id = None;
    for d in &claimed {
        let DeliveryPayload::Email { mail } = &d.payload else {
            panic!("a mail");
        };
        if mail.text.contains("DELIVERED-TOKEN") {
            assert!(store.delivered(d.id, d.lease_until, mins(2)).unwrap());
        } else if mail.text.contains("DEAD-TOKEN") {
            assert!(
                store
                    .failed(d.id, d.lease_until, "smtp: 550", mins(2), mins(3), true)
                    .unwrap()
            );
            dead_id = Some(d.id);
        } else {
            assert!(
                store
                    .failed(d.id, d.lease_until, "smtp: 451", mins(2), mins(3), false)
                    .unwrap()
            );
        }
    }
    let after = payloads(store);
    for gone in ["DELIVERED-TOKEN", "DEAD-TOKEN"] {
        assert!(
            !after.iter().any(|p| p.contains(gone)),
            "{gone} still stored: {after:?}"
        );
    }
    assert!(
        after.iter().any(|p| p.contains("RETRY-TOKEN")),
        "a mail still to be sent keeps its link"
    );
    // The dead account mail cannot be put back (its link is gone): 409.
    assert!(matches!(
        store.retry(
            fx.org,
            dead_id.unwrap(),
            mins(4),
            &audit_of(fx.org, "delivery.retry")
        ),
        Err(StoreError::Conflict { .. })
    ));
}
