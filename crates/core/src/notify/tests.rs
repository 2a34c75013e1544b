//! The router and the courier against mocked ports: preferences choose the channels,
//! webhooks receive only what they subscribed to, nothing is routed for a deleted ticket,
//! and each delivery is settled by its own outcome.

use std::sync::Arc;

use chrono::TimeDelta;
use servicedesk_lifecycle::incident::IncidentState;

use crate::dispatch::{RetryPolicy, Round};
use crate::events::{DomainEvent, EventPayload};
use crate::ids::{DeliveryId, EventId, WebhookId};
use crate::notify::{Courier, CourierPorts, NotificationRouter, RouterPorts, Settled};
use crate::ports::{
    CryptoError, Delivery, DeliveryError, DeliveryPayload, FixedClock, Mail, MockDeliveryQueue,
    MockDirectory, MockIncidentStore, MockMailComposer, MockMailer, MockNotificationStore,
    MockSecretBox, MockWebhookSender, MockWebhookStore, Preference, Routed, StoreError,
    UuidV7Generator, Webhook, WebhookFormat, WebhookMessage,
};
use crate::usecases::tests::fixture::{AGENT, INCIDENT, ORG, T1, incident, t0, team, user};

fn assigned() -> DomainEvent {
    DomainEvent {
        id: EventId(uuid::Uuid::from_u128(99)),
        org_id: ORG,
        occurred_at: t0(),
        actor_id: None,
        payload: EventPayload::IncidentAssigned {
            incident_id: INCIDENT,
            team_id: Some(T1),
            assignee_id: Some(AGENT),
        },
    }
}

fn hook(events: &[&str], active: bool) -> Webhook {
    Webhook {
        id: WebhookId(uuid::Uuid::now_v7()),
        org_id: ORG,
        name: "ops".into(),
        url: "https://hooks.example.test/x".into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        format: WebhookFormat::Json,
        secret_sealed: "sealed".into(),
        active,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn mail() -> Mail {
    Mail {
        to: "agent@example.test".into(),
        to_name: "Agent".into(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
    }
}

fn router(
    incidents: MockIncidentStore,
    prefs: Vec<Preference>,
    hooks: Vec<Webhook>,
    store: MockNotificationStore,
) -> NotificationRouter {
    router_as(incidents, prefs, hooks, store, &["agent"])
}

/// [`router`] with every user holding `roles`.
fn router_as(
    incidents: MockIncidentStore,
    prefs: Vec<Preference>,
    hooks: Vec<Webhook>,
    store: MockNotificationStore,
    roles: &'static [&'static str],
) -> NotificationRouter {
    let mut webhooks = MockWebhookStore::new();
    webhooks
        .expect_webhooks()
        .returning(move |_| Ok(hooks.clone()));
    router_with(incidents, prefs, webhooks, store, roles)
}

/// [`router_as`] over the given webhook store.
fn router_with(
    incidents: MockIncidentStore,
    prefs: Vec<Preference>,
    webhooks: MockWebhookStore,
    store: MockNotificationStore,
    roles: &'static [&'static str],
) -> NotificationRouter {
    let mut directory = MockDirectory::new();
    directory
        .expect_team()
        .returning(|_, id| Ok(team(id, None)));
    directory
        .expect_team_members()
        .returning(|_, _| Ok(vec![AGENT]));
    directory
        .expect_user()
        .returning(move |_, id| Ok(user(id, roles, &[T1])));
    let mut store = store;
    store
        .expect_preferences()
        .returning(move |_, _| Ok(prefs.clone()));
    let mut composer = MockMailComposer::new();
    composer.expect_compose().returning(|_, _, _| Ok(mail()));
    composer
        .expect_ticket_link()
        .returning(|id| format!("https://desk.example.test/incidents/{id}"));
    let incidents = Arc::new(incidents);
    NotificationRouter::new(RouterPorts {
        tickets: Arc::new(TicketsOf(incidents.clone())),
        incidents,
        directory: Arc::new(directory),
        store: Arc::new(store),
        webhooks: Arc::new(webhooks),
        composer: Arc::new(composer),
        clock: Arc::new(FixedClock::new(t0())),
        ids: Arc::new(UuidV7Generator),
    })
}

fn live_incident() -> MockIncidentStore {
    let mut incidents = MockIncidentStore::new();
    incidents
        .expect_get()
        .returning(|_, _| Ok(incident(IncidentState::Open)));
    incidents
}

#[test]
fn preferences_choose_the_channels_and_webhooks_their_events() {
    let prefs = vec![Preference {
        event: "incident.assigned".into(),
        email: false,
        in_app: true,
    }];
    let wanted = hook(&["incident.assigned"], true);
    let hooks = vec![
        wanted.clone(),
        hook(&["sla.breached"], true),
        hook(&["*"], false),
    ];
    let routed: Routed = router(live_incident(), prefs, hooks, MockNotificationStore::new())
        .route(&assigned())
        .unwrap();
    assert_eq!(routed.notifications.len(), 1);
    assert_eq!(routed.notifications[0].user_id, AGENT);
    assert!(routed.notifications[0].title.contains("assigned to you"));
    // No mail (preference), one webhook (the subscribed, active one).
    assert_eq!(routed.deliveries.len(), 1);
    match &routed.deliveries[0].payload {
        DeliveryPayload::Webhook {
            webhook_id,
            message,
        } => {
            assert_eq!(*webhook_id, wanted.id);
            assert_eq!(message.delivery_id, routed.deliveries[0].id.to_string());
            assert_eq!(message.event, "incident.assigned");
            assert_eq!(message.data["ticket"]["id"], INCIDENT.to_string());
        }
        DeliveryPayload::Email { .. } => panic!("the preference turned mail off"),
    }
}

#[test]
fn a_round_reads_its_ticket_and_webhooks_once_and_routes_as_without() {
    let mut incidents = MockIncidentStore::new();
    incidents
        .expect_get()
        .times(1)
        .returning(|_, _| Ok(incident(IncidentState::Open)));
    let wanted = hook(&["incident.assigned"], true);
    let mut webhooks = MockWebhookStore::new();
    let hooks = vec![wanted.clone()];
    webhooks
        .expect_webhooks()
        .times(1)
        .returning(move |_| Ok(hooks.clone()));
    let handler = router_with(
        incidents,
        vec![],
        webhooks,
        MockNotificationStore::new(),
        &["agent"],
    );
    let first = assigned();
    let second = DomainEvent {
        id: EventId(uuid::Uuid::from_u128(100)),
        ..assigned()
    };
    let round = [first.clone(), second.clone()];
    crate::ports::EventHandler::prepare(&handler, &round);
    for event in &round {
        let routed = handler.route(event).unwrap();
        // The assignee in app and by mail, and the subscribed webhook.
        assert_eq!(routed.notifications.len(), 1);
        assert_eq!(routed.notifications[0].event_id, event.id);
        assert_eq!(routed.deliveries.len(), 2);
        assert!(routed.deliveries.iter().any(|d| matches!(
            &d.payload,
            DeliveryPayload::Webhook { webhook_id, .. } if *webhook_id == wanted.id
        )));
    }
    crate::ports::EventHandler::finish(&handler, &round);
}

#[test]
fn by_default_a_user_gets_mail_and_in_app() {
    let routed = router(
        live_incident(),
        vec![],
        vec![],
        MockNotificationStore::new(),
    )
    .route(&assigned())
    .unwrap();
    assert_eq!(routed.notifications.len(), 1);
    assert_eq!(routed.deliveries.len(), 1);
    assert_eq!(routed.deliveries[0].target, AGENT.to_string());
    assert_eq!(
        routed.deliveries[0].payload,
        DeliveryPayload::Email { mail: mail() }
    );
}

#[test]
fn a_deleted_ticket_reaches_webhooks_but_no_person() {
    let mut incidents = MockIncidentStore::new();
    incidents.expect_get().returning(|_, _| {
        let mut i = incident(IncidentState::Open);
        i.deleted_at = Some(t0());
        Ok(i)
    });
    let deleted = DomainEvent {
        payload: EventPayload::IncidentDeleted {
            incident_id: INCIDENT,
        },
        ..assigned()
    };
    let hooks = vec![hook(&["incident.deleted"], true)];
    let routed = router(incidents, vec![], hooks, MockNotificationStore::new())
        .route(&deleted)
        .unwrap();
    assert!(routed.notifications.is_empty());
    assert_eq!(routed.deliveries.len(), 1);
    assert!(matches!(
        routed.deliveries[0].payload,
        DeliveryPayload::Webhook { .. }
    ));
}

#[test]
fn a_store_failure_asks_the_dispatcher_to_retry() {
    let mut store = MockNotificationStore::new();
    store
        .expect_save_routed()
        .returning(|_, _| Err(StoreError::Unavailable("down".into())));
    let handler = router(live_incident(), vec![], vec![], store);
    assert!(matches!(
        crate::ports::EventHandler::handle(&handler, &assigned()),
        Err(DeliveryError::Retry(_))
    ));
}

fn delivery(n: u128, attempts: u32, payload: DeliveryPayload) -> Delivery {
    Delivery {
        id: DeliveryId(uuid::Uuid::from_u128(n)),
        org_id: ORG,
        payload,
        attempts,
        lease_until: t0() + TimeDelta::minutes(2),
    }
}

fn webhook_payload(id: WebhookId) -> DeliveryPayload {
    DeliveryPayload::Webhook {
        webhook_id: id,
        message: WebhookMessage {
            delivery_id: "d".into(),
            event: "sla.breached".into(),
            event_id: "e".into(),
            org_id: ORG.to_string(),
            occurred_at: t0(),
            summary: "s".into(),
            link: None,
            data: serde_json::json!({}),
        },
    }
}

#[test]
fn each_delivery_is_settled_by_its_own_outcome() {
    let live = hook(&["*"], true);
    let paused = hook(&["*"], false);
    let gone = WebhookId(uuid::Uuid::from_u128(404));
    let claimed = vec![
        delivery(1, 0, DeliveryPayload::Email { mail: mail() }),
        delivery(2, 0, webhook_payload(live.id)),
        delivery(3, 2, webhook_payload(live.id)),
        delivery(4, 0, webhook_payload(paused.id)),
        delivery(5, 0, webhook_payload(gone)),
    ];
    let lost = delivery(6, 0, DeliveryPayload::Email { mail: mail() });
    let mut claimed = claimed;
    claimed.push(lost);
    let mut queue = MockDeliveryQueue::new();
    queue
        .expect_claim()
        .times(1)
        .returning(move |_, _, _, _| Ok(claimed.clone()));
    // Delivery 6's lease went to another courier meanwhile: it is not sent (the mailer
    // expects exactly one mail) and not settled.
    queue
        .expect_hold()
        .withf(|_, held, new| {
            *held == t0() + TimeDelta::minutes(2) && *new == t0() + TimeDelta::minutes(2)
        })
        .returning(|id, _, _| Ok(id.0.as_u128() != 6));
    queue
        .expect_delivered()
        .withf(|id, held, _| id.0.as_u128() == 1 && *held == t0() + TimeDelta::minutes(2))
        .times(1)
        .returning(|_, _, _| Ok(true));
    // A transient webhook failure: retried after the first backoff step.
    queue
        .expect_failed()
        .withf(|id, _, err, at, retry, dead| {
            id.0.as_u128() == 2
                && !dead
                && err.contains("503")
                && *retry - *at == TimeDelta::seconds(5)
        })
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(true));
    // The third failure of three allowed: dead.
    queue
        .expect_failed()
        .withf(|id, _, _, _, _, dead| id.0.as_u128() == 3 && *dead)
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(true));
    queue
        .expect_failed()
        .withf(|id, _, err, _, _, dead| id.0.as_u128() == 4 && *dead && err.contains("paused"))
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(true));
    queue
        .expect_failed()
        .withf(|id, _, err, _, _, dead| id.0.as_u128() == 5 && *dead && err.contains("deleted"))
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(true));
    let mut webhooks = MockWebhookStore::new();
    let (l, p) = (live.clone(), paused.clone());
    webhooks.expect_webhook().returning(move |_, id| {
        if id == l.id {
            Ok(l.clone())
        } else if id == p.id {
            Ok(p.clone())
        } else {
            Err(StoreError::NotFound("webhook"))
        }
    });
    let mut mailer = MockMailer::new();
    mailer.expect_send().times(1).returning(|_| Ok(()));
    let mut sender = MockWebhookSender::new();
    sender
        .expect_send()
        .withf(|endpoint, _, _| endpoint.secret == "s3cret")
        .times(2)
        .returning(|_, _, _| Err(DeliveryError::Retry("HTTP 503".into())));
    let mut secrets = MockSecretBox::new();
    secrets.expect_open().returning(|sealed| {
        if sealed == "sealed" {
            Ok("s3cret".into())
        } else {
            Err(CryptoError("bad".into()))
        }
    });
    let courier = Courier::new(
        CourierPorts {
            queue: Arc::new(queue),
            webhooks: Arc::new(webhooks),
            mailer: Arc::new(mailer),
            sender: Arc::new(sender),
            secrets: Arc::new(secrets),
            clock: Arc::new(FixedClock::new(t0())),
        },
        RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        },
    );
    assert_eq!(
        courier.run_once().unwrap(),
        Round {
            delivered: 1,
            retried: 1,
            dead: 3,
            lost: 1,
        }
    );
}

#[test]
fn a_delivery_in_flight_rides_out_a_database_outage_and_is_sent_once() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let live = hook(&["*"], true);
    let claimed = delivery(1, 0, webhook_payload(live.id));
    let mut queue = MockDeliveryQueue::new();
    // The database is away for the lease check, the endpoint lookup and the settlement,
    // once each; it answers the second time.
    let holds = AtomicU32::new(0);
    queue.expect_hold().times(2).returning(move |_, _, _| {
        if holds.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(StoreError::Busy("no connection to the server".into()))
        } else {
            Ok(true)
        }
    });
    let settles = AtomicU32::new(0);
    queue.expect_delivered().times(2).returning(move |_, _, _| {
        if settles.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(StoreError::Busy("timed out waiting for connection".into()))
        } else {
            Ok(true)
        }
    });
    let mut webhooks = MockWebhookStore::new();
    let lookups = AtomicU32::new(0);
    let l = live.clone();
    webhooks.expect_webhook().times(2).returning(move |_, _| {
        if lookups.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(StoreError::Busy("server closed the connection".into()))
        } else {
            Ok(l.clone())
        }
    });
    let mut sender = MockWebhookSender::new();
    sender.expect_send().times(1).returning(|_, _, _| Ok(()));
    let mut secrets = MockSecretBox::new();
    secrets.expect_open().returning(|_| Ok("s3cret".into()));
    let courier = Courier::new(
        CourierPorts {
            queue: Arc::new(queue),
            webhooks: Arc::new(webhooks),
            mailer: Arc::new(MockMailer::new()),
            sender: Arc::new(sender),
            secrets: Arc::new(secrets),
            clock: Arc::new(FixedClock::new(t0())),
        },
        RetryPolicy::default(),
    );
    let waits = AtomicU32::new(0);
    let again = || {
        waits.fetch_add(1, Ordering::SeqCst);
        true
    };
    assert_eq!(
        courier.deliver_riding_out(&claimed, &again).unwrap(),
        Settled::Delivered
    );
    assert_eq!(waits.load(Ordering::SeqCst), 3);
}

#[test]
fn without_riding_out_a_database_outage_ends_the_delivery_with_an_error() {
    let claimed = delivery(1, 0, webhook_payload(hook(&["*"], true).id));
    let mut queue = MockDeliveryQueue::new();
    queue
        .expect_hold()
        .times(1)
        .returning(|_, _, _| Err(StoreError::Busy("down".into())));
    let courier = Courier::new(
        CourierPorts {
            queue: Arc::new(queue),
            webhooks: Arc::new(MockWebhookStore::new()),
            mailer: Arc::new(MockMailer::new()),
            sender: Arc::new(MockWebhookSender::new()),
            secrets: Arc::new(MockSecretBox::new()),
            clock: Arc::new(FixedClock::new(t0())),
        },
        RetryPolicy::default(),
    );
    assert!(courier.deliver(&claimed).is_err());
}

/// A comment event on the fixture incident (assigned to AGENT) and the store holding it.
fn commented(internal: bool) -> (DomainEvent, MockIncidentStore) {
    let comment = crate::entities::Comment {
        id: crate::ids::CommentId(uuid::Uuid::from_u128(0x77)),
        org_id: ORG,
        ticket_id: INCIDENT,
        author_id: crate::usecases::tests::fixture::ADMIN,
        body: "the root cause is our firewall".into(),
        internal,
        created_at: t0(),
    };
    let event = DomainEvent {
        id: EventId(uuid::Uuid::from_u128(98)),
        org_id: ORG,
        occurred_at: t0(),
        actor_id: Some(crate::usecases::tests::fixture::ADMIN),
        payload: EventPayload::CommentAdded {
            incident_id: INCIDENT,
            comment_id: comment.id,
            internal,
            ticket_kind: None,
        },
    };
    let mut incidents = live_incident();
    incidents
        .expect_comment()
        .returning(move |_, _, _| Ok(comment.clone()));
    (event, incidents)
}

#[test]
fn a_work_note_never_reaches_a_requester_even_as_the_assignee() {
    // AGENT is the fixture incident's assignee but now holds only the requester role.
    let (note, incidents) = commented(true);
    let routed = router_as(
        incidents,
        Vec::new(),
        Vec::new(),
        MockNotificationStore::new(),
        &["requester"],
    )
    .route(&note)
    .unwrap();
    assert!(
        routed.notifications.is_empty(),
        "{:?}",
        routed.notifications
    );
    assert!(routed.deliveries.is_empty(), "{:?}", routed.deliveries);

    // A public reply still reaches them: they may read the ticket they are assigned to.
    let (reply, incidents) = commented(false);
    let routed = router_as(
        incidents,
        Vec::new(),
        Vec::new(),
        MockNotificationStore::new(),
        &["requester"],
    )
    .route(&reply)
    .unwrap();
    assert!(routed.notifications.iter().any(|n| n.user_id == AGENT));

    // Staff get the work note.
    let (note, incidents) = commented(true);
    let routed = router(
        incidents,
        Vec::new(),
        Vec::new(),
        MockNotificationStore::new(),
    )
    .route(&note)
    .unwrap();
    assert!(routed.notifications.iter().any(|n| n.user_id == AGENT));
}

#[test]
fn internal_work_is_not_routed_to_someone_who_is_not_staff() {
    // An assignment notice to a user who lost their staff role.
    let routed = router_as(
        live_incident(),
        Vec::new(),
        Vec::new(),
        MockNotificationStore::new(),
        &["requester"],
    )
    .route(&assigned())
    .unwrap();
    assert!(routed.notifications.is_empty());
    assert!(routed.deliveries.is_empty());
}

/// The kernel's view of the mocked incidents: `ticket` answers what `get` does; every other
/// method fails, so a router that started to call one would fail these tests.
struct TicketsOf(Arc<MockIncidentStore>);

impl crate::tickets::TicketStore for TicketsOf {
    fn ticket(
        &self,
        org: crate::ids::OrgId,
        id: crate::ids::TicketId,
    ) -> Result<crate::tickets::AnyTicket, crate::ports::StoreError> {
        crate::ports::IncidentStore::get(&*self.0, org, id).map(|i| i.erased())
    }
    fn ticket_by_ref(
        &self,
        _: crate::ids::OrgId,
        _: crate::tickets::TicketRef,
    ) -> Result<crate::tickets::AnyTicket, crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router reads tickets by id".into(),
        ))
    }
    fn list_tickets(
        &self,
        _: crate::ids::OrgId,
        _: &crate::tickets::TicketQuery,
    ) -> Result<crate::ports::Page<crate::tickets::AnyTicket>, crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router lists nothing".into(),
        ))
    }
    fn update_ticket(
        &self,
        _: crate::ids::OrgId,
        _: &crate::tickets::AnyTicket,
        _: i64,
        _: &crate::ports::WriteSet,
    ) -> Result<crate::tickets::AnyTicket, crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router writes no ticket".into(),
        ))
    }
    fn due_tickets(
        &self,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::DateTime<chrono::Utc>,
        _: u32,
    ) -> Result<Vec<crate::tickets::AnyTicket>, crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router claims nothing".into(),
        ))
    }
    fn links(
        &self,
        _: crate::ids::OrgId,
        _: crate::ids::TicketId,
    ) -> Result<Vec<crate::tickets::TicketLink>, crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router reads no links".into(),
        ))
    }
    fn link_targets(
        &self,
        _: crate::ids::OrgId,
        _: crate::ids::TicketId,
        _: &str,
    ) -> Result<Vec<crate::ids::TicketId>, crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router reads no links".into(),
        ))
    }
    fn add_link(
        &self,
        _: crate::ids::OrgId,
        _: &crate::tickets::TicketLink,
        _: &crate::ports::WriteSet,
    ) -> Result<(), crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router writes no links".into(),
        ))
    }
    fn remove_link(
        &self,
        _: crate::ids::OrgId,
        _: crate::ids::LinkId,
        _: &crate::ports::WriteSet,
    ) -> Result<(), crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router writes no links".into(),
        ))
    }
    fn list_tasks(
        &self,
        _: crate::ids::OrgId,
        _: &crate::tickets::TaskQuery,
    ) -> Result<crate::ports::Page<crate::entities::Task>, crate::ports::StoreError> {
        Err(crate::ports::StoreError::Unavailable(
            "the router lists no tasks".into(),
        ))
    }
}

fn feed_publisher(feed: crate::ports::MockLiveFeed) -> crate::notify::FeedPublisher {
    let mut incidents = MockIncidentStore::new();
    incidents
        .expect_get()
        .times(1)
        .returning(|_, _| Ok(incident(IncidentState::Open)));
    crate::notify::FeedPublisher::new(Arc::new(TicketsOf(Arc::new(incidents))), Arc::new(feed))
}

fn feed_round() -> [DomainEvent; 2] {
    let second = DomainEvent {
        id: EventId(uuid::Uuid::from_u128(100)),
        ..assigned()
    };
    [assigned(), second]
}

#[test]
fn a_feed_round_reads_once_and_publishes_once_in_order() {
    let round = feed_round();
    let ids = [round[0].id, round[1].id];
    let mut feed = crate::ports::MockLiveFeed::new();
    feed.expect_publish_all()
        .times(1)
        .withf(move |items| items.iter().map(|i| i.event_id).collect::<Vec<_>>() == ids)
        .returning(|_| Ok(()));
    feed.expect_publish().times(0);
    let handler = feed_publisher(feed);
    crate::ports::EventHandler::prepare(&handler, &round);
    for event in &round {
        crate::ports::EventHandler::handle(&handler, event).unwrap();
    }
    crate::ports::EventHandler::finish(&handler, &round);
}

#[test]
fn a_failed_feed_round_publishes_each_item_when_handled() {
    let round = feed_round();
    let mut feed = crate::ports::MockLiveFeed::new();
    feed.expect_publish_all()
        .times(1)
        .returning(|_| Err(DeliveryError::Retry("bus down".into())));
    let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sent.clone();
    feed.expect_publish().times(2).returning(move |item| {
        seen.lock().unwrap().push(item.event_id);
        Ok(())
    });
    let handler = feed_publisher(feed);
    crate::ports::EventHandler::prepare(&handler, &round);
    for event in &round {
        crate::ports::EventHandler::handle(&handler, event).unwrap();
    }
    assert_eq!(*sent.lock().unwrap(), vec![round[0].id, round[1].id]);
}
