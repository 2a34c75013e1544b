//! The e-mail adapter of Servicedesk (F-NTF NTF-1, AUTH-5, AUTH-6).
//!
//! - [`SmtpMailer`] implements the core's [`Mailer`](servicedesk_core::ports::Mailer) port
//!   over SMTP (lettre, blocking, rustls for STARTTLS / implicit TLS), mapping failures to
//!   [`DeliveryError`](servicedesk_core::ports::DeliveryError): unreachable server, timeout
//!   or 4xx → `Retry`, 5xx → `Permanent`.
//! - [`Templates`] renders the subject, plain-text and HTML bodies of each [`MailKind`]
//!   from templates embedded in the binary (minijinja; HTML auto-escaped).
//! - [`MailNotifier`] is the outbox consumer
//!   ([`EventHandler`](servicedesk_core::ports::EventHandler)) that mails verification and
//!   password-reset links; it ignores every other event.
//!
//! Nothing here reads the clock: token lifetimes come from [`MailSettings`].
//!
//! ```
//! use servicedesk_mail::{MailContext, MailKind, PublicBaseUrl, Templates};
//!
//! let base = PublicBaseUrl::parse("https://desk.example.org").unwrap();
//! let link = base.link(MailKind::PasswordReset, "t0ken");
//! assert_eq!(link, "https://desk.example.org/reset-password?token=t0ken");
//! let ctx = MailContext {
//!     name: "Ada".into(),
//!     link,
//!     expires_in: "1 hour".into(),
//!     product: "Servicedesk".into(),
//! };
//! let mail = Templates::new().unwrap().render(MailKind::PasswordReset, &ctx).unwrap();
//! assert_eq!(mail.subject, "Reset your Servicedesk password");
//! ```

mod error;
mod notifier;
mod smtp;
mod templates;

pub use error::MailError;
pub use notifier::{MailNotifier, MailSettings};
pub use smtp::{DEFAULT_TIMEOUT, MailFrom, SmtpMailer};
pub use templates::{MailContext, MailKind, PublicBaseUrl, RenderedMail, Templates, describe_ttl};
