//! The development mailer used when no SMTP server is configured.

use servicedesk_core::ports::{DeliveryError, Mail, Mailer};

/// Writes mails to the log instead of sending them, so a fresh install without SMTP can
/// still complete registration and password reset. Links carry tokens: do not use it in
/// production (the server warns at start).
pub struct LogMailer;

impl Mailer for LogMailer {
    fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.text, "mail (no SMTP configured)");
        Ok(())
    }
}
