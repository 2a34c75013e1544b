//! The SMTP adapter of the core's [`Mailer`] port, over lettre's blocking client.
//!
//! One connection per mail (no pool): mail is sent by the outbox worker at low volume, and
//! a fresh connection never trips over one the server closed while idle.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message, SmtpTransport, Transport};
use servicedesk_core::ports::{DeliveryError, Mail, Mailer};

use crate::error::MailError;

/// How long connecting, and each step of the SMTP dialogue, may take before the attempt is
/// abandoned (and reported as [`DeliveryError::Retry`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The sender of every mail, e.g. `Servicedesk <noreply@example.org>` or a bare address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFrom(Mailbox);

impl MailFrom {
    /// Parses `Name <address>` or `address`.
    ///
    /// # Errors
    /// [`MailError::InvalidAddress`] when it is neither.
    pub fn parse(from: &str) -> Result<Self, MailError> {
        from.trim()
            .parse::<Mailbox>()
            .map(Self)
            .map_err(|e| MailError::InvalidAddress {
                address: from.to_owned(),
                reason: e.to_string(),
            })
    }

    /// The bare address, e.g. `noreply@example.org`.
    pub fn address(&self) -> String {
        self.0.email.to_string()
    }
}

impl FromStr for MailFrom {
    type Err = MailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for MailFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Sends [`Mail`] over SMTP as `multipart/alternative` (plain text + HTML).
///
/// Built from a URL:
/// - `smtp://host[:port]`: plain SMTP (port 25 by default), for a local relay or a test
///   server;
/// - `smtp://user:pass@host:port`: the same with AUTH (percent-encode special characters
///   in the user and password). Without TLS the password crosses the network in clear:
///   use it only towards a relay on the same host or network;
/// - `smtp://host[:port]?tls=required`: STARTTLS, refusing to go on without it (port 587 by
///   default); `?tls=opportunistic` upgrades when the server offers it;
/// - `smtps://host[:port]`: implicit TLS (port 465 by default).
///
/// TLS uses rustls with the Mozilla root certificates compiled in (webpki-roots).
/// An optional path names the host in `EHLO`: `smtp://relay:25/desk.example.org`.
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
    endpoint: String,
}

impl SmtpMailer {
    /// A mailer for `url` sending as `from`, with [`DEFAULT_TIMEOUT`].
    ///
    /// Nothing is contacted yet: a server that is down shows up as
    /// [`DeliveryError::Retry`] at the first [`Mailer::send`].
    ///
    /// # Errors
    /// [`MailError::InvalidSmtpUrl`] when `url` has no host, an unknown scheme or `tls`
    /// value, or does not parse.
    pub fn new(url: &str, from: MailFrom) -> Result<Self, MailError> {
        Self::with_timeout(url, from, DEFAULT_TIMEOUT)
    }

    /// Like [`SmtpMailer::new`] with another timeout for connecting and each SMTP step.
    ///
    /// # Errors
    /// As [`SmtpMailer::new`].
    pub fn with_timeout(url: &str, from: MailFrom, timeout: Duration) -> Result<Self, MailError> {
        let endpoint = redact(url);
        let transport = SmtpTransport::from_url(url)
            .map_err(|e| MailError::InvalidSmtpUrl(format!("{endpoint}: {e}")))?
            .timeout(Some(timeout))
            .build();
        Ok(Self {
            transport,
            from: from.0,
            endpoint,
        })
    }

    /// The URL without credentials, for logs.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Builds the MIME message for `mail`.
    fn message(&self, mail: &Mail) -> Result<Message, DeliveryError> {
        let address: Address = mail.to.trim().parse().map_err(|e| {
            DeliveryError::Permanent(format!("invalid recipient address {:?}: {e}", mail.to))
        })?;
        let name = mail.to_name.trim();
        let to = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address);
        let subject = mail
            .subject
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| DeliveryError::Permanent(format!("cannot build the message: {e}")))
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("endpoint", &self.endpoint)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let message = self.message(mail)?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| classify(&self.endpoint, &e))
    }
}

/// 5xx replies are permanent; 4xx replies, and everything that kept the dialogue from
/// completing (refused connection, timeout, TLS failure, garbled reply), may succeed later.
fn classify(endpoint: &str, e: &lettre::transport::smtp::Error) -> DeliveryError {
    if e.is_permanent() {
        DeliveryError::Permanent(format!("{endpoint}: {e}"))
    } else {
        DeliveryError::Retry(format!("{endpoint}: {e}"))
    }
}

/// `url` without the `user:pass@` part.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> MailFrom {
        MailFrom::parse("Servicedesk <noreply@example.org>").unwrap()
    }

    fn mail(to: &str) -> Mail {
        Mail {
            to: to.into(),
            to_name: "Ada Lovelace".into(),
            subject: "Hello\r\nBcc: evil@example.org".into(),
            text: "plain".into(),
            html: "<p>html</p>".into(),
        }
    }

    #[test]
    fn sender_parses_with_and_without_name() {
        let named = from();
        assert_eq!(named.address(), "noreply@example.org");
        assert_eq!(named.to_string(), "Servicedesk <noreply@example.org>");
        assert_eq!(
            "noreply@example.org".parse::<MailFrom>().unwrap().address(),
            "noreply@example.org"
        );
        assert!(matches!(
            MailFrom::parse("not an address"),
            Err(MailError::InvalidAddress { .. })
        ));
    }

    #[test]
    fn urls_are_checked_without_contacting_anyone() {
        for ok in [
            "smtp://localhost:2525",
            "smtp://user:p%40ss@mail.example.org:587",
            "smtp://mail.example.org?tls=required",
            "smtp://mail.example.org:587?tls=opportunistic",
            "smtps://mail.example.org",
            "smtp://relay:25/desk.example.org",
        ] {
            assert!(SmtpMailer::new(ok, from()).is_ok(), "{ok} rejected");
        }
        for bad in [
            "",
            "localhost:25",
            "http://mail.example.org",
            "smtp://",
            "smtp://host?tls=maybe",
        ] {
            assert!(
                matches!(
                    SmtpMailer::new(bad, from()),
                    Err(MailError::InvalidSmtpUrl(_))
                ),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn credentials_stay_out_of_logs_and_errors() {
        let mailer = SmtpMailer::new("smtp://user:secret@mail.example.org:587", from()).unwrap();
        assert_eq!(mailer.endpoint(), "smtp://mail.example.org:587");
        assert!(!format!("{mailer:?}").contains("secret"));
        assert_eq!(redact("smtps://a:b@h/x?tls=1"), "smtps://h/x?tls=1");
        assert_eq!(redact("smtp://h:25"), "smtp://h:25");
        assert_eq!(redact("nonsense"), "nonsense");
        let Err(MailError::InvalidSmtpUrl(msg)) =
            SmtpMailer::new("smtp://u:secret@h?tls=no", from())
        else {
            panic!("accepted");
        };
        assert!(!msg.contains("secret"), "{msg}");
    }

    #[test]
    fn the_message_is_multipart_alternative_with_a_single_line_subject() {
        let mailer = SmtpMailer::new("smtp://localhost:2525", from()).unwrap();
        let message = mailer.message(&mail("ada@example.org")).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(
            raw.contains("From: Servicedesk <noreply@example.org>"),
            "{raw}"
        );
        assert!(
            raw.contains("To: \"Ada Lovelace\" <ada@example.org>"),
            "{raw}"
        );
        assert!(
            raw.contains("Subject: Hello Bcc: evil@example.org"),
            "{raw}"
        );
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
    }

    #[test]
    fn a_bad_recipient_is_permanent() {
        let mailer = SmtpMailer::new("smtp://localhost:2525", from()).unwrap();
        assert!(matches!(
            mailer.send(&mail("not an address")),
            Err(DeliveryError::Permanent(_))
        ));
    }
}
