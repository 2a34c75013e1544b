//! The outbox consumer that turns account events into e-mail.

use std::sync::Arc;

use chrono::TimeDelta;
use servicedesk_core::events::{AccountNoticeKind, DomainEvent, EventPayload};
use servicedesk_core::identity::AuthSettings;
use servicedesk_core::ids::IncidentId;
use servicedesk_core::notify::AccountMailComposer;
use servicedesk_core::ports::{
    DeliveryError, EventHandler, Mail, MailComposer, Mailer, TicketNotice,
};

use crate::error::MailError;
use crate::templates::{MailContext, MailKind, PublicBaseUrl, Templates, describe_ttl};

/// What the notifier puts into every mail besides the event's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Where the web UI is; links in mails start with it.
    pub public_base_url: PublicBaseUrl,
    /// The product name in subjects and signatures.
    pub product_name: String,
    /// How long a verification link lives (shown as "expires in …"); keep it equal to
    /// [`AuthSettings::verification_ttl`].
    pub verification_ttl: TimeDelta,
    /// How long a reset link lives; keep it equal to [`AuthSettings::reset_ttl`].
    pub reset_ttl: TimeDelta,
}

impl MailSettings {
    /// Settings with the lifetimes of [`AuthSettings::default`].
    pub fn new(public_base_url: PublicBaseUrl, product_name: impl Into<String>) -> Self {
        let auth = AuthSettings::default();
        Self {
            public_base_url,
            product_name: product_name.into(),
            verification_ttl: auth.verification_ttl,
            reset_ttl: auth.reset_ttl,
        }
    }

    /// Takes the token lifetimes from the authentication settings actually in use, so the
    /// mail states what the server enforces.
    #[must_use]
    pub fn with_ttls_of(mut self, auth: &AuthSettings) -> Self {
        self.verification_ttl = auth.verification_ttl;
        self.reset_ttl = auth.reset_ttl;
        self
    }
}

/// Sends the verification mail for `EmailVerificationRequested` (AUTH-6) and the reset
/// mail for `PasswordResetRequested` (AUTH-5) through any [`Mailer`]; every other event is
/// ignored.
///
/// Redelivery of the same event sends the mail again: harmless for these mails (the
/// token is the same), so no de-duplication is done here.
pub struct MailNotifier {
    mailer: Arc<dyn Mailer>,
    templates: Templates,
    settings: MailSettings,
}

impl MailNotifier {
    /// A notifier sending through `mailer`.
    ///
    /// # Errors
    /// [`MailError::Template`] when the embedded templates do not compile (a bug).
    pub fn new(mailer: Arc<dyn Mailer>, settings: MailSettings) -> Result<Self, MailError> {
        Ok(Self {
            mailer,
            templates: Templates::new()?,
            settings,
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// Renders the mail of `kind` for one recipient.
    ///
    /// # Errors
    /// [`MailError::Template`] when rendering fails.
    pub fn compose(
        &self,
        kind: MailKind,
        email: &str,
        name: &str,
        token: &str,
    ) -> Result<Mail, MailError> {
        let ttl = match kind {
            MailKind::EmailVerification => self.settings.verification_ttl,
            MailKind::PasswordReset => self.settings.reset_ttl,
        };
        let ctx = MailContext {
            name: name.to_owned(),
            link: self.settings.public_base_url.link(kind, token),
            expires_in: describe_ttl(ttl),
            product: self.settings.product_name.clone(),
        };
        let rendered = self.templates.render(kind, &ctx)?;
        Ok(Mail {
            to: email.to_owned(),
            to_name: name.to_owned(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        })
    }
}

impl MailNotifier {
    /// Renders the security notice `notice` for one account holder.
    ///
    /// # Errors
    /// [`MailError::Template`] when rendering fails.
    pub fn compose_notice(
        &self,
        notice: AccountNoticeKind,
        email: &str,
        name: &str,
    ) -> Result<Mail, MailError> {
        let (headline, details) = match notice {
            AccountNoticeKind::RegistrationAttempted => (
                "Someone tried to register with your address",
                "Your address already has an account, so nothing was changed. If this was you,                  sign in instead (or reset your password). Otherwise you can ignore this message.",
            ),
            AccountNoticeKind::MfaDisabled => (
                "Two-factor sign-in was turned off",
                "Your account now signs in with the password alone. If you did not do this,                  reset your password and turn two-factor sign-in back on.",
            ),
            AccountNoticeKind::MfaResetByAdmin => (
                "An administrator reset your two-factor sign-in",
                "You were signed out everywhere. Sign in with your password and set up                  two-factor sign-in again. If you did not ask for this, contact your administrator.",
            ),
            AccountNoticeKind::PasswordChanged => (
                "Your password was changed",
                "You were signed out everywhere. If you did not do this, reset your password                  now and contact your administrator.",
            ),
        };
        let rendered = self.templates.render_account_notice(
            name,
            headline,
            details,
            &self.settings.product_name,
        )?;
        Ok(Mail {
            to: email.to_owned(),
            to_name: name.to_owned(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        })
    }
}

impl std::fmt::Debug for MailNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailNotifier")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AccountMailComposer for MailNotifier {
    fn account_mail(&self, event: &DomainEvent) -> Option<Result<Mail, DeliveryError>> {
        if let EventPayload::AccountNotice {
            email,
            name,
            notice,
            ..
        } = &event.payload
        {
            return Some(
                self.compose_notice(*notice, email, name)
                    .map_err(|e| DeliveryError::Permanent(e.to_string())),
            );
        }
        let (kind, email, name, token) = match &event.payload {
            EventPayload::EmailVerificationRequested {
                email, name, token, ..
            } => (MailKind::EmailVerification, email, name, token),
            EventPayload::PasswordResetRequested {
                email, name, token, ..
            } => (MailKind::PasswordReset, email, name, token),
            _ => return None,
        };
        Some(
            self.compose(kind, email, name, token)
                .map_err(|e| DeliveryError::Permanent(e.to_string())),
        )
    }
}

/// Sends account mails at once through the mailer. The `serve` binary queues them as
/// deliveries instead ([`AccountMails`](servicedesk_core::notify::AccountMails) over this
/// notifier as the [`AccountMailComposer`]), so a slow SMTP server never holds up the
/// outbox dispatcher.
impl EventHandler for MailNotifier {
    fn name(&self) -> &str {
        "mail"
    }

    fn handle(&self, event: &DomainEvent) -> Result<(), DeliveryError> {
        match self.account_mail(event) {
            None => Ok(()),
            Some(mail) => self.mailer.send(&mail?),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use servicedesk_core::ids::{EventId, IncidentId, OrgId, UserId};
    use servicedesk_core::ports::MockMailer;
    use servicedesk_core::priority::Priority;

    use super::*;

    fn event(payload: EventPayload) -> DomainEvent {
        DomainEvent {
            id: EventId(Default::default()),
            org_id: OrgId(Default::default()),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
            actor_id: None,
            payload,
        }
    }

    fn verification() -> DomainEvent {
        event(EventPayload::EmailVerificationRequested {
            user_id: UserId(Default::default()),
            email: "ada@example.org".into(),
            name: "Ada <Lovelace>".into(),
            token: "v3rify+me".into(),
        })
    }

    fn reset() -> DomainEvent {
        event(EventPayload::PasswordResetRequested {
            user_id: UserId(Default::default()),
            email: "bob@example.org".into(),
            name: "Bob".into(),
            token: "r3set".into(),
        })
    }

    fn settings() -> MailSettings {
        MailSettings::new(
            PublicBaseUrl::parse("https://desk.example.org").unwrap(),
            "Servicedesk",
        )
    }

    fn notifier(mailer: MockMailer) -> MailNotifier {
        MailNotifier::new(Arc::new(mailer), settings()).unwrap()
    }

    #[test]
    fn is_called_mail() {
        assert_eq!(notifier(MockMailer::new()).name(), "mail");
    }

    #[test]
    fn a_verification_request_sends_one_verification_mail() {
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .withf(|m: &Mail| {
                m.to == "ada@example.org"
                    && m.to_name == "Ada <Lovelace>"
                    && m.subject == "Confirm your e-mail address for Servicedesk"
                    && m.text
                        .contains("https://desk.example.org/verify-email?token=v3rify%2Bme\n")
                    && m.text.contains("expires in 2 days")
                    && m.html.contains("Ada &lt;Lovelace&gt;")
                    && m.html.contains(
                        "href=\"https://desk.example.org/verify-email?token=v3rify%2Bme\"",
                    )
            })
            .times(1)
            .returning(|_| Ok(()));
        notifier(mailer).handle(&verification()).unwrap();
    }

    #[test]
    fn a_reset_request_sends_one_reset_mail() {
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .withf(|m: &Mail| {
                m.to == "bob@example.org"
                    && m.subject == "Reset your Servicedesk password"
                    && m.text
                        .contains("https://desk.example.org/reset-password?token=r3set\n")
                    && m.text.contains("expires in 1 hour")
                    && m.html.contains("reset-password?token=r3set")
            })
            .times(1)
            .returning(|_| Ok(()));
        notifier(mailer).handle(&reset()).unwrap();
    }

    #[test]
    fn lifetimes_follow_the_auth_settings() {
        let auth = AuthSettings {
            reset_ttl: TimeDelta::minutes(30),
            ..AuthSettings::default()
        };
        let n =
            MailNotifier::new(Arc::new(MockMailer::new()), settings().with_ttls_of(&auth)).unwrap();
        let mail = n
            .compose(MailKind::PasswordReset, "a@example.org", "A", "t")
            .unwrap();
        assert!(mail.text.contains("expires in 30 minutes"), "{}", mail.text);
    }

    #[test]
    fn other_events_send_nothing() {
        let mut mailer = MockMailer::new();
        mailer.expect_send().never();
        let n = notifier(mailer);
        let others = [
            EventPayload::IncidentCreated {
                incident_id: IncidentId(Default::default()),
                priority: Priority::High,
                requester_id: UserId(Default::default()),
            },
            EventPayload::IncidentDeleted {
                incident_id: IncidentId(Default::default()),
            },
            EventPayload::IncidentStatusChanged {
                incident_id: IncidentId(Default::default()),
                from: "new".into(),
                to: "in_progress".into(),
                action: "start".into(),
            },
        ];
        for payload in others {
            n.handle(&event(payload)).unwrap();
        }
    }

    #[test]
    fn delivery_errors_propagate_unchanged() {
        for err in [
            DeliveryError::Retry("451 try later".into()),
            DeliveryError::Permanent("550 no such user".into()),
        ] {
            let mut mailer = MockMailer::new();
            let returned = err.clone();
            mailer
                .expect_send()
                .times(1)
                .returning(move |_| Err(returned.clone()));
            assert_eq!(notifier(mailer).handle(&verification()), Err(err.clone()));

            let mut mailer = MockMailer::new();
            let returned = err.clone();
            mailer
                .expect_send()
                .times(1)
                .returning(move |_| Err(returned.clone()));
            assert_eq!(notifier(mailer).handle(&reset()), Err(err));
        }
    }
}

impl MailNotifier {
    /// The console's page of ticket `id` (any kind: `/tickets/{id}`; mails sent before the
    /// console linked `/incidents/{id}`, which the console still redirects).
    pub fn incident_link(&self, id: IncidentId) -> String {
        format!("{}/tickets/{id}", self.settings.public_base_url.as_str())
    }
}

impl MailComposer for MailNotifier {
    fn compose(
        &self,
        to_email: &str,
        to_name: &str,
        notice: &TicketNotice,
    ) -> Result<Mail, DeliveryError> {
        let link = self.incident_link(notice.incident_id);
        let rendered = self
            .templates
            .render_ticket(to_name, notice, &link, &self.settings.product_name)
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        Ok(Mail {
            to: to_email.to_owned(),
            to_name: to_name.to_owned(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        })
    }

    fn ticket_link(&self, incident: IncidentId) -> String {
        self.incident_link(incident)
    }
}

#[cfg(test)]
mod ticket_mail_tests {
    use super::*;
    use crate::templates::PublicBaseUrl;

    const INCIDENT: &str = "00000000-0000-0000-0000-000000000007";

    fn notifier() -> MailNotifier {
        let mailer: Arc<dyn Mailer> = Arc::new(servicedesk_core::ports::MockMailer::new());
        MailNotifier::new(
            mailer,
            MailSettings::new(
                PublicBaseUrl::parse("https://desk.example").unwrap(),
                "Desk",
            ),
        )
        .unwrap()
    }

    fn notice(comment: Option<&str>) -> TicketNotice {
        TicketNotice {
            kind: "incident.comment_added".into(),
            incident_id: INCIDENT.parse().unwrap(),
            reference: "INC-42".into(),
            title: "Mail <down> & out".into(),
            headline: "New comment on INC-42".into(),
            details: vec!["Priority: high".into(), "Status: in progress".into()],
            comment: comment.map(str::to_owned),
        }
    }

    #[test]
    fn a_ticket_mail_has_subject_text_html_and_link() {
        let n = notifier();
        let mail = MailComposer::compose(
            &n,
            "ada@example.test",
            "Ada",
            &notice(Some("Try <b>again</b>")),
        )
        .unwrap();
        assert_eq!(
            mail.subject,
            "[INC-42] New comment on INC-42: Mail <down> & out"
        );
        assert!(mail.text.contains("Try <b>again</b>"));
        assert!(mail.text.contains("Priority: high"));
        let link = format!("https://desk.example/tickets/{INCIDENT}");
        assert!(mail.text.contains(&link));
        assert!(mail.html.contains(&link));
        // HTML escapes what users wrote.
        assert!(mail.html.contains("Try &lt;b&gt;again&lt;/b&gt;"));
        assert!(mail.html.contains("Mail &lt;down&gt; &amp; out"));
        assert!(!mail.html.contains("<b>again"));
        let plain = MailComposer::compose(&n, "ada@example.test", "Ada", &notice(None)).unwrap();
        assert!(!plain.text.contains("Try"));
    }
}
