//! Notifications (NTF-1..NTF-5) from domain events, all through the outbox:
//!
//! - [`NotificationRouter`] consumes outbox events and decides who hears about each
//!   (assignee, team, requester, manager, by the event and the SLA escalation rules), by
//!   which channel (each user's preferences), and which webhooks receive it; it writes the
//!   in-app rows and the delivery queue in one idempotent transaction.
//! - [`FeedPublisher`] pushes ticket events to the live feed.
//! - [`AccountMails`] queues account mails (verification, reset, …) as deliveries.
//! - [`Courier`] sends the queued mails and webhook posts, each with its own exponential
//!   backoff and dead letter, so one failing channel never repeats another.
//! - [`Retention`] deletes delivered mails and posts, and read notifications, after a
//!   while.
//! - [`Notifications`] is what the API offers: the inbox, preferences, webhook endpoints,
//!   and the delivery list with the admin's retry of dead letters.

mod account;
mod address;
mod courier;
mod feed;
mod manage;
mod notice;
mod prefetch;
mod recipients;
mod retention;
mod router;

#[cfg(any(test, feature = "mock"))]
pub use account::MockAccountMailComposer;
pub use account::{AccountMailComposer, AccountMails};
pub use address::{AllowListError, WebhookAllowList, is_public};
pub use courier::{Courier, CourierPorts, Settled};
pub use feed::FeedPublisher;
pub use manage::{
    ManagePorts, NewWebhook, Notifications, PREFERENCE_EVENTS, WEBHOOK_EVENTS, WebhookChange,
};
pub use notice::notice_for;
pub use recipients::recipients;
pub use retention::{Retention, RetentionPolicy};
pub use router::{NotificationRouter, RouterPorts};
#[cfg(test)]
mod tests;
