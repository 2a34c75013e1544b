//! The ports: traits the use cases need and the adapters implement.
//!
//! Every store method takes the [`OrgId`](crate::ids::OrgId) it works in; there is no
//! lookup without it. Each trait carries a mockall mock (`MockIncidentStore`, …) when
//! compiled for tests or with the `mock` feature, so other crates' tests can use them.

mod accounts;
mod admin;
mod audit_log;
mod clock;
mod delivery;
mod directory;
mod feed;
mod ids;
mod incident_store;
pub mod inline;
mod notifications;
mod outbox;
mod security;
mod sla_admin;
mod sla_catalog;
mod store_error;
mod webhook;

pub use accounts::{
    Account, AccountStore, AttemptCounter, AttemptKey, AttemptPolicy, AttemptStore, FailedLogin,
    MfaState, Rotation, SessionStore, Settle, TokenKind,
};
pub use admin::{AdminStore, RoleDeletion};
pub use audit_log::{AuditCheck, AuditEntry, AuditLog, AuditQuery};
pub use clock::{Clock, FixedClock, SystemClock};
pub use delivery::{DeliveryError, EventHandler, Mail, MailComposer, Mailer, TicketNotice};
pub use directory::Directory;
pub use feed::LiveFeed;
pub use ids::{IdGenerator, UuidV7Generator, random_v7};
pub use incident_store::{
    ChildQuery, Created, IdempotencyKey, IncidentQuery, IncidentSort, IncidentStore, NewTask, Page,
    SortDirection, Visibility, WriteSet,
};
pub use notifications::{
    Channel, Delivery, DeliveryFilter, DeliveryPayload, DeliveryQueue, DeliveryRecord,
    DeliveryState, InAppNotification, NewDelivery, NotificationStore, Preference, Routed, Webhook,
    WebhookStore,
};
pub use outbox::{Outbox, OutboxMessage};
pub use security::{
    Claims, CryptoError, HashFailure, IssuedToken, OpaqueTokens, PasswordHasher, SecretBox,
    TokenError, TokenIssuer, TokenPurpose, Totp,
};
pub use sla_admin::{SlaAdminStore, StoredCalendar, StoredPolicy};
pub use sla_catalog::{SlaCatalog, SlaPolicyRecord};
pub use store_error::StoreError;
pub use webhook::{WebhookEndpoint, WebhookFormat, WebhookMessage, WebhookSender, url_origin};

#[cfg(any(test, feature = "mock"))]
pub use accounts::{MockAccountStore, MockAttemptStore, MockSessionStore};
#[cfg(any(test, feature = "mock"))]
pub use admin::MockAdminStore;
#[cfg(any(test, feature = "mock"))]
pub use audit_log::MockAuditLog;
#[cfg(any(test, feature = "mock"))]
pub use clock::MockClock;
#[cfg(any(test, feature = "mock"))]
pub use delivery::{MockEventHandler, MockMailComposer, MockMailer};
#[cfg(any(test, feature = "mock"))]
pub use directory::MockDirectory;
#[cfg(any(test, feature = "mock"))]
pub use feed::MockLiveFeed;
#[cfg(any(test, feature = "mock"))]
pub use ids::MockIdGenerator;
#[cfg(any(test, feature = "mock"))]
pub use incident_store::MockIncidentStore;
#[cfg(any(test, feature = "mock"))]
pub use notifications::{MockDeliveryQueue, MockNotificationStore, MockWebhookStore};
#[cfg(any(test, feature = "mock"))]
pub use outbox::MockOutbox;
#[cfg(any(test, feature = "mock"))]
pub use security::{
    MockOpaqueTokens, MockPasswordHasher, MockSecretBox, MockTokenIssuer, MockTotp,
};
#[cfg(any(test, feature = "mock"))]
pub use sla_admin::MockSlaAdminStore;
#[cfg(any(test, feature = "mock"))]
pub use sla_catalog::MockSlaCatalog;
#[cfg(any(test, feature = "mock"))]
pub use webhook::MockWebhookSender;
