//! The outgoing-webhook adapter of Servicedesk (F-NTF NTF-2).
//!
//! - [`HttpWebhookSender`] implements the core's
//!   [`WebhookSender`](servicedesk_core::ports::WebhookSender) port over HTTP (ureq,
//!   blocking; rustls with ring and compiled-in root certificates), mapping the outcome to
//!   [`DeliveryError`](servicedesk_core::ports::DeliveryError): 2xx is delivered; 408, 425,
//!   429, 5xx and network failures are `Retry`; other answers and unusable URLs are
//!   `Permanent`. Redirects are not followed. Names are resolved through the
//!   [`HostResolver`] port and only addresses the operator's allow-list permits (public
//!   ones by default) are connected to, the very addresses that were checked; the
//!   target's answer body is never read, stored or shown.
//! - [`render`] builds the body for each
//!   [`WebhookFormat`](servicedesk_core::ports::WebhookFormat): Servicedesk's JSON
//!   envelope, a Slack incoming-webhook message or a Teams `MessageCard`.
//! - [`sign`] and [`verify`] are the `X-Servicedesk-Signature` scheme,
//!   `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, usable by receivers
//!   written in Rust and by tests.
//!
//! Nothing here reads the clock: the signing time is the `now` the caller passes.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use servicedesk_core::ports::{WebhookFormat, WebhookMessage};
//! use servicedesk_webhook::{DEFAULT_TOLERANCE, render, sign, verify};
//!
//! let message = WebhookMessage {
//!     delivery_id: "d-1".into(),
//!     event: "sla.breached".into(),
//!     event_id: "e-1".into(),
//!     org_id: "o-1".into(),
//!     occurred_at: Utc.with_ymd_and_hms(2026, 11, 3, 9, 30, 0).unwrap(),
//!     summary: "INC-42 \"Mail down\": resolution SLA breached".into(),
//!     link: Some("https://desk.example.org/incidents/INC-42".into()),
//!     data: serde_json::json!({}),
//! };
//! let body = render(WebhookFormat::Slack, &message);
//! let header = sign(b"s3cret", 1_793_700_000, body.as_bytes());
//! // What a receiver does with the header and the raw body it got:
//! assert!(verify(b"s3cret", &header, body.as_bytes(), 1_793_700_010, DEFAULT_TOLERANCE).is_ok());
//! ```

mod error;
mod render;
mod resolver;
mod sender;
mod signature;
mod text;

pub use error::{InvalidProxy, SignatureError};
pub use render::render;
pub use resolver::{HostResolver, SystemResolver};
pub use sender::{
    HEADER_DELIVERY, HEADER_EVENT, HEADER_SIGNATURE, HttpWebhookSender, REFUSED_NON_PUBLIC,
    USER_AGENT, WebhookSettings,
};
pub use signature::{DEFAULT_TOLERANCE, sign, verify};
