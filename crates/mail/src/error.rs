//! Configuration and rendering errors of the mail adapter.
//!
//! Delivery failures are not here: [`SmtpMailer`](crate::SmtpMailer) reports those as the
//! core's [`DeliveryError`](servicedesk_core::ports::DeliveryError) so the outbox dispatcher
//! can retry or dead-letter them.

/// What can go wrong while configuring the adapter or rendering a mail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL cannot be used (`smtp://[user:pass@]host[:port]`, `smtps://…`).
    #[error("invalid SMTP URL: {0}")]
    InvalidSmtpUrl(String),
    /// A sender or recipient address cannot be parsed.
    #[error("invalid mail address {address:?}: {reason}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The public base URL for links is not an absolute `http(s)://` URL without query.
    #[error(
        "invalid public base URL {0:?}: expected http(s)://host[/path] without query or fragment"
    )]
    InvalidBaseUrl(String),
    /// A template failed to render (a bug in a template or a missing context value).
    #[error("template {template} failed: {reason}")]
    Template {
        /// The template's name.
        template: String,
        /// The engine's message.
        reason: String,
    },
}
