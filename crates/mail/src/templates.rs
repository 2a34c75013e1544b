//! E-mail templates: a subject, a plain-text and an HTML body per kind of mail, embedded in
//! the binary and rendered with minijinja. HTML templates escape every value; text and
//! subject templates do not (they are not HTML).

use std::fmt::Write as _;

use chrono::TimeDelta;
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior, Value};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::MailError;

/// The templates, by file name. `_layout.html` is the frame the HTML bodies extend.
const SOURCES: &[(&str, &str)] = &[
    ("_layout.html", include_str!("../templates/_layout.html")),
    (
        "email_verification.subject.txt",
        include_str!("../templates/email_verification.subject.txt"),
    ),
    (
        "email_verification.txt",
        include_str!("../templates/email_verification.txt"),
    ),
    (
        "email_verification.html",
        include_str!("../templates/email_verification.html"),
    ),
    (
        "password_reset.subject.txt",
        include_str!("../templates/password_reset.subject.txt"),
    ),
    (
        "password_reset.txt",
        include_str!("../templates/password_reset.txt"),
    ),
    (
        "password_reset.html",
        include_str!("../templates/password_reset.html"),
    ),
    (
        "account_notice.subject.txt",
        include_str!("../templates/account_notice.subject.txt"),
    ),
    (
        "account_notice.txt",
        include_str!("../templates/account_notice.txt"),
    ),
    (
        "account_notice.html",
        include_str!("../templates/account_notice.html"),
    ),
    (
        "ticket_event.subject.txt",
        include_str!("../templates/ticket_event.subject.txt"),
    ),
    (
        "ticket_event.txt",
        include_str!("../templates/ticket_event.txt"),
    ),
    (
        "ticket_event.html",
        include_str!("../templates/ticket_event.html"),
    ),
];

/// Characters left as they are in a token placed in a query string: RFC 3986 "unreserved".
const TOKEN_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Which mail to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// Confirm the address of a self-registered requester (AUTH-6).
    EmailVerification,
    /// Reset a forgotten password (AUTH-5).
    PasswordReset,
}

impl MailKind {
    /// Every kind, for tests and tooling.
    pub const ALL: [Self; 2] = [Self::EmailVerification, Self::PasswordReset];

    /// The templates' base name: `email_verification` or `password_reset`.
    pub fn template_name(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
        }
    }

    /// The path of the web page that consumes the token, below the public base URL.
    pub fn link_path(self) -> &'static str {
        match self {
            Self::EmailVerification => "/verify-email",
            Self::PasswordReset => "/reset-password",
        }
    }
}

/// The absolute `http(s)://` URL at which people reach the web UI; links in mails start
/// with it. Validated on construction; a trailing `/` is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    /// Checks and normalizes `url`, e.g. `https://desk.example.org` or
    /// `https://example.org/desk/`.
    ///
    /// # Errors
    /// [`MailError::InvalidBaseUrl`] unless `url` is `http://` or `https://` followed by a
    /// host, with no whitespace, control characters, query or fragment.
    pub fn parse(url: &str) -> Result<Self, MailError> {
        let invalid = || MailError::InvalidBaseUrl(url.to_owned());
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(invalid)?;
        let host = rest.split('/').next().unwrap_or_default();
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#');
        if host.is_empty() || host.contains('@') || url.chars().any(bad_char) {
            return Err(invalid());
        }
        Ok(Self(url.trim_end_matches('/').to_owned()))
    }

    /// The URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The link a mail of `kind` carries: `{base}/verify-email?token=…` or
    /// `{base}/reset-password?token=…`, the token percent-encoded. It always ends in
    /// `?token=` followed by the encoded token.
    pub fn link(&self, kind: MailKind, token: &str) -> String {
        format!(
            "{}{}?token={}",
            self.0,
            kind.link_path(),
            utf8_percent_encode(token, TOKEN_SAFE)
        )
    }
}

impl std::fmt::Display for PublicBaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The values a template sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailContext {
    /// The recipient's display name (`{{ name }}`).
    pub name: String,
    /// The action link (`{{ link }}`), see [`PublicBaseUrl::link`].
    pub link: String,
    /// How long the link stays valid, as text: "2 days", "1 hour" (`{{ expires_in }}`).
    /// See [`describe_ttl`].
    pub expires_in: String,
    /// The product name shown in the subject and the signature (`{{ product }}`).
    pub product: String,
}

/// A rendered mail, ready to be addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// One line, whitespace collapsed.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (every value escaped).
    pub html: String,
}

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Compiles the embedded templates. Undefined variables are errors, so a template that
    /// names a value the context lacks fails loudly instead of rendering an empty string.
    ///
    /// # Errors
    /// [`MailError::Template`] when an embedded template does not compile (a bug, caught by
    /// the crate's tests).
    pub fn new() -> Result<Self, MailError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(html_formatter);
        for (name, source) in SOURCES {
            env.add_template(name, source)
                .map_err(|e| template_error(name, &e))?;
        }
        Ok(Self { env })
    }

    /// Renders the subject, text and HTML of `kind` with `ctx`.
    ///
    /// # Errors
    /// [`MailError::Template`] when rendering fails.
    pub fn render(&self, kind: MailKind, ctx: &MailContext) -> Result<RenderedMail, MailError> {
        let base = kind.template_name();
        let subject = self.render_one(&format!("{base}.subject.txt"), ctx)?;
        let text = self.render_one(&format!("{base}.txt"), ctx)?;
        let html = self.render_one(&format!("{base}.html"), ctx)?;
        Ok(RenderedMail {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: ensure_trailing_newline(text),
            html: ensure_trailing_newline(html),
        })
    }

    /// Renders the ticket notification `notice` for `name`, linking to `link`.
    ///
    /// # Errors
    /// [`MailError::Template`] when a template fails (a bug).
    pub fn render_ticket(
        &self,
        name: &str,
        notice: &servicedesk_core::ports::TicketNotice,
        link: &str,
        product: &str,
    ) -> Result<RenderedMail, MailError> {
        let ctx = minijinja::context! {
            name => name,
            reference => notice.reference.as_str(),
            title => notice.title.as_str(),
            headline => notice.headline.as_str(),
            details => notice.details.clone(),
            comment => notice.comment.clone(),
            link => link,
            product => product,
        };
        let one = |template: &str| {
            self.env
                .get_template(template)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| template_error(template, &e))
        };
        let subject = one("ticket_event.subject.txt")?;
        Ok(RenderedMail {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: ensure_trailing_newline(one("ticket_event.txt")?),
            html: ensure_trailing_newline(one("ticket_event.html")?),
        })
    }

    /// Renders an account security notice (no link, no token): a headline and a sentence.
    ///
    /// # Errors
    /// [`MailError::Template`] when a template fails (a bug).
    pub fn render_account_notice(
        &self,
        name: &str,
        headline: &str,
        details: &str,
        product: &str,
    ) -> Result<RenderedMail, MailError> {
        let ctx = minijinja::context! {
            name => name,
            headline => headline,
            details => details,
            product => product,
        };
        let one = |template: &str| {
            self.env
                .get_template(template)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| template_error(template, &e))
        };
        let subject = one("account_notice.subject.txt")?;
        Ok(RenderedMail {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: ensure_trailing_newline(one("account_notice.txt")?),
            html: ensure_trailing_newline(one("account_notice.html")?),
        })
    }

    fn render_one(&self, name: &str, ctx: &MailContext) -> Result<String, MailError> {
        self.env
            .get_template(name)
            .and_then(|t| {
                t.render(minijinja::context! {
                    name => ctx.name.as_str(),
                    link => ctx.link.as_str(),
                    expires_in => ctx.expires_in.as_str(),
                    product => ctx.product.as_str(),
                })
            })
            .map_err(|e| template_error(name, &e))
    }
}

/// Describes a token lifetime for people: "2 days", "1 hour", "90 minutes". Whole days or
/// hours when the lifetime is a multiple of them, else minutes (rounded up).
pub fn describe_ttl(ttl: TimeDelta) -> String {
    let seconds = ttl.num_seconds().max(0);
    let (n, unit) = if seconds > 0 && seconds % 86_400 == 0 {
        (seconds / 86_400, "day")
    } else if seconds > 0 && seconds % 3_600 == 0 {
        (seconds / 3_600, "hour")
    } else {
        ((seconds + 59) / 60, "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn template_error(name: &str, e: &minijinja::Error) -> MailError {
    MailError::Template {
        template: name.to_owned(),
        reason: e.to_string(),
    }
}

fn ensure_trailing_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Escapes strings in HTML templates like minijinja does, except `/`: links stay readable
/// (`https://…`) in the HTML source, which `/` cannot break out of in text or a quoted
/// attribute.
fn html_formatter(
    out: &mut Output,
    state: &mut State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(s)) if !value.is_safe() => out
            .write_str(&escape_html(s))
            .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "formatting failed")),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn escape_html(s: &str) -> String {
    let mut escaped = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => {
                let _ = escaped.write_char(c);
            }
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(name: &str, link: &str) -> MailContext {
        MailContext {
            name: name.into(),
            link: link.into(),
            expires_in: "2 days".into(),
            product: "Servicedesk".into(),
        }
    }

    fn base() -> PublicBaseUrl {
        PublicBaseUrl::parse("https://desk.example.org/").unwrap()
    }

    #[test]
    fn every_kind_renders_subject_text_and_html() {
        let templates = Templates::new().unwrap();
        for kind in MailKind::ALL {
            let link = base().link(kind, "tok123");
            let mail = templates.render(kind, &ctx("Ada", &link)).unwrap();
            assert!(!mail.subject.is_empty(), "{kind:?}");
            assert!(mail.subject.contains("Servicedesk"), "{kind:?}");
            assert!(!mail.subject.contains('\n'), "{kind:?}");
            assert!(mail.text.contains("Hello Ada,"), "{kind:?}");
            assert!(mail.text.contains("2 days"), "{kind:?}");
            assert!(mail.html.starts_with("<!DOCTYPE html>"), "{kind:?}");
            assert!(mail.html.contains("Hello Ada,"), "{kind:?}");
            assert!(mail.html.contains(&format!("href=\"{link}\"")), "{kind:?}");
            assert!(mail.html.contains("2 days"), "{kind:?}");
        }
    }

    #[test]
    fn subjects_say_what_the_mail_is_about() {
        let templates = Templates::new().unwrap();
        let c = ctx("Ada", "https://x.test/l?token=t");
        let verify = templates.render(MailKind::EmailVerification, &c).unwrap();
        assert_eq!(
            verify.subject,
            "Confirm your e-mail address for Servicedesk"
        );
        let reset = templates.render(MailKind::PasswordReset, &c).unwrap();
        assert_eq!(reset.subject, "Reset your Servicedesk password");
    }

    #[test]
    fn text_carries_the_link_on_its_own_line_ending_in_the_token() {
        let templates = Templates::new().unwrap();
        let link = base().link(MailKind::EmailVerification, "abc-DEF_123");
        assert_eq!(
            link,
            "https://desk.example.org/verify-email?token=abc-DEF_123"
        );
        let mail = templates
            .render(MailKind::EmailVerification, &ctx("Ada", &link))
            .unwrap();
        assert!(mail.text.lines().any(|l| l == link), "{}", mail.text);
        assert!(mail.text.lines().any(|l| l.ends_with("?token=abc-DEF_123")));
    }

    #[test]
    fn html_escapes_the_name_but_text_keeps_it() {
        let templates = Templates::new().unwrap();
        let name = "<script>alert('x')</script> & \"Bob\"";
        let mail = templates
            .render(
                MailKind::PasswordReset,
                &ctx(name, "https://x.test/reset-password?token=t"),
            )
            .unwrap();
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(
            mail.html.contains(
                "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Bob&quot;"
            )
        );
        assert!(mail.text.contains(name));
    }

    #[test]
    fn html_escapes_a_hostile_link_and_product() {
        let templates = Templates::new().unwrap();
        let mut c = ctx("Ada", "https://x.test/\"><img src=x>");
        c.product = "<b>Desk</b>".into();
        let mail = templates.render(MailKind::EmailVerification, &c).unwrap();
        assert!(!mail.html.contains("\"><img"), "{}", mail.html);
        assert!(!mail.html.contains("<b>Desk</b>"));
        assert!(mail.html.contains("&lt;b&gt;Desk&lt;/b&gt;"));
    }

    #[test]
    fn links_percent_encode_the_token() {
        let link = base().link(MailKind::PasswordReset, "a+b/c=d&e f");
        assert_eq!(
            link,
            "https://desk.example.org/reset-password?token=a%2Bb%2Fc%3Dd%26e%20f"
        );
    }

    #[test]
    fn base_urls_are_checked_and_normalized() {
        let with_path = PublicBaseUrl::parse("http://localhost:8080/desk//").unwrap();
        assert_eq!(with_path.as_str(), "http://localhost:8080/desk");
        assert_eq!(
            with_path.link(MailKind::EmailVerification, "t"),
            "http://localhost:8080/desk/verify-email?token=t"
        );
        for bad in [
            "",
            "desk.example.org",
            "ftp://desk.example.org",
            "https://",
            "https:///path",
            "https://desk.example.org/?x=1",
            "https://desk.example.org/#top",
            "https://desk example.org",
            "https://user@desk.example.org",
        ] {
            assert!(PublicBaseUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ttls_read_naturally() {
        assert_eq!(describe_ttl(TimeDelta::days(2)), "2 days");
        assert_eq!(describe_ttl(TimeDelta::days(1)), "1 day");
        assert_eq!(describe_ttl(TimeDelta::hours(1)), "1 hour");
        assert_eq!(describe_ttl(TimeDelta::hours(36)), "36 hours");
        assert_eq!(describe_ttl(TimeDelta::minutes(90)), "90 minutes");
        assert_eq!(describe_ttl(TimeDelta::minutes(1)), "1 minute");
        assert_eq!(describe_ttl(TimeDelta::seconds(61)), "2 minutes");
        assert_eq!(describe_ttl(TimeDelta::zero()), "0 minutes");
    }

    #[test]
    fn a_missing_value_is_an_error_not_an_empty_string() {
        let templates = Templates::new().unwrap();
        let err = templates
            .env
            .render_str("{{ nope }}", minijinja::context! { name => "a" })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UndefinedError);
    }
}
