//! Sending outgoing webhooks (NTF-2). The core decides what to send and to whom; the
//! adapter formats the body for the endpoint's format, signs it with HMAC-SHA256 and posts
//! it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::DeliveryError;

/// The body format an endpoint expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Servicedesk's own JSON envelope ([`WebhookMessage`] as JSON).
    Json,
    /// A Slack incoming-webhook message (`{"text": …}`).
    Slack,
    /// A Microsoft Teams incoming-webhook message card.
    Teams,
}

impl WebhookFormat {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }

    /// Parses [`as_str`](Self::as_str) output.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "json" => Some(Self::Json),
            "slack" => Some(Self::Slack),
            "teams" => Some(Self::Teams),
            _ => None,
        }
    }
}

/// The endpoint a delivery goes to, with its secret in clear (unsealed just before use).
/// Its `Debug` shows neither the secret nor the URL's path (often a credential).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// `http://` or `https://` URL.
    pub url: String,
    /// The shared secret the body is signed with.
    pub secret: String,
    /// The body format.
    pub format: WebhookFormat,
}

/// `scheme://host[:port]` of a URL, without credentials, path or query: how logs, audit
/// records and `Debug` name a webhook endpoint (a Slack or Teams URL's path is the
/// credential).
pub fn url_origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("url_origin", &url_origin(&self.url))
            .field("secret", &"***")
            .field("format", &self.format)
            .finish()
    }
}

/// What a webhook delivery says: the envelope of [`WebhookFormat::Json`], from which the
/// Slack and Teams bodies are derived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookMessage {
    /// The delivery id: stable across retries, so receivers can de-duplicate.
    pub delivery_id: String,
    /// The event type, e.g. `sla.breached`.
    pub event: String,
    /// The domain event's id.
    pub event_id: String,
    /// The organization.
    pub org_id: String,
    /// When the event happened.
    pub occurred_at: DateTime<Utc>,
    /// One human line, e.g. `INC-42: the resolution target was breached (Mail down)`.
    pub summary: String,
    /// A link to the ticket in the web UI, if any.
    pub link: Option<String>,
    /// The event's data (the domain event payload) and the ticket as it is now.
    pub data: serde_json::Value,
}

/// Posts webhook deliveries.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait WebhookSender: Send + Sync {
    /// Formats `message` for `endpoint.format`, signs the exact body bytes with
    /// `endpoint.secret` at `now`, and posts it.
    ///
    /// # Errors
    /// `Retry` for network failures, timeouts, 408, 429 and 5xx answers; `Permanent` for
    /// other 4xx answers and URLs that cannot be used.
    fn send(
        &self,
        endpoint: &WebhookEndpoint,
        message: &WebhookMessage,
        now: DateTime<Utc>,
    ) -> Result<(), DeliveryError>;
}
