//! Why a signature was refused.
//!
//! Delivery failures are not here: [`HttpWebhookSender`](crate::HttpWebhookSender) reports
//! those as the core's [`DeliveryError`](servicedesk_core::ports::DeliveryError) so the
//! outbox dispatcher can retry or dead-letter them.

/// Why [`verify`](crate::verify) refused an `X-Servicedesk-Signature` header.
///
/// None of the texts contains the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<unix seconds>,v1=<64 hex digits>[,…]`.
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    /// The signed timestamp is further from `now` than the tolerance (a replay, or clocks
    /// far apart).
    #[error(
        "signature timestamp {timestamp} is {age} s away from now ({now}), beyond the tolerance"
    )]
    Stale {
        /// The `t=` value of the header (unix seconds).
        timestamp: i64,
        /// The receiver's time (unix seconds).
        now: i64,
        /// `|now - timestamp|` in seconds.
        age: u64,
    },
    /// No `v1=` value is the HMAC-SHA256 of `"<t>.<body>"` under the secret: the body, the
    /// timestamp or the secret differs.
    #[error("signature does not match the body")]
    Mismatch,
}

/// The configured webhook proxy (`SERVICEDESK_WEBHOOK_PROXY`) is not a usable proxy URL
/// (`http://host:port`, optionally with credentials). The URL itself is not repeated: it
/// may hold a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the webhook proxy is not a usable proxy URL (http://host:port)")]
pub struct InvalidProxy;
