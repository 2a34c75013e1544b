//! The HTTP adapter of the core's [`WebhookSender`] port, over ureq's blocking client.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use chrono::{DateTime, Utc};
use servicedesk_core::ports::{DeliveryError, WebhookEndpoint, WebhookMessage, WebhookSender};
use ureq::http::{StatusCode, Uri};
use ureq::{Agent, Proxy};

use crate::render::render;
use crate::signature::sign;
use crate::text::truncate;

/// The `User-Agent` of every delivery: `Servicedesk-Webhook/<crate version>`.
pub const USER_AGENT: &str = concat!("Servicedesk-Webhook/", env!("CARGO_PKG_VERSION"));

/// Header naming the event type, e.g. `sla.breached`.
pub const HEADER_EVENT: &str = "X-Servicedesk-Event";
/// Header carrying the delivery id (stable across retries: receivers de-duplicate on it).
pub const HEADER_DELIVERY: &str = "X-Servicedesk-Delivery";
/// Header carrying the signature, `t=<unix seconds>,v1=<hex HMAC-SHA256>` (see
/// [`sign`](crate::sign)).
pub const HEADER_SIGNATURE: &str = "X-Servicedesk-Signature";

/// At most this many bytes of an error response are read (to quote its start in the
/// error); a successful response's body is not read at all.
pub const MAX_RESPONSE_BODY: u64 = 4096;

/// How many characters of an error response's body are quoted in a [`DeliveryError`].
const REASON_CHARS: usize = 200;

/// Timeouts and proxy use of an [`HttpWebhookSender`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Resolving the host, connecting and the TLS handshake together. Default 5 s.
    pub connect_timeout: Duration,
    /// The whole delivery: resolving, connecting, sending, and receiving the answer (and
    /// the start of an error answer's body). Default 10 s.
    pub request_timeout: Duration,
    /// Send through the proxy named by `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (and
    /// their lowercase forms), honouring `NO_PROXY`. Default `true`; with `false` every
    /// delivery connects directly.
    pub use_env_proxy: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            use_env_proxy: true,
        }
    }
}

/// Posts webhook deliveries over HTTP/1.1 (ureq; TLS by rustls with the Mozilla root
/// certificates compiled in).
///
/// Each delivery is one `POST` of [`render`](crate::render)'s body with the headers
/// `Content-Type: application/json`, [`HEADER_EVENT`], [`HEADER_DELIVERY`],
/// [`HEADER_SIGNATURE`] and `User-Agent:` [`USER_AGENT`]. Redirects are not followed.
///
/// Outcomes: a 2xx answer is success; 408, 425, 429 and 5xx, and a failure to connect,
/// resolve, complete TLS or get an answer in time are [`DeliveryError::Retry`]; every other
/// answer (3xx, 4xx) and an unusable URL are [`DeliveryError::Permanent`]. Error texts name
/// the endpoint by scheme, host and port only (a webhook URL's path often is a credential,
/// as with Slack's) and never contain the secret.
pub struct HttpWebhookSender {
    agent: Agent,
    settings: WebhookSettings,
}

impl HttpWebhookSender {
    /// A sender with `settings`. Nothing is contacted yet.
    pub fn new(settings: WebhookSettings) -> Self {
        let proxy = if settings.use_env_proxy {
            Proxy::try_from_env()
        } else {
            None
        };
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.request_timeout))
            .proxy(proxy)
            .build();
        Self {
            agent: Agent::new_with_config(config),
            settings,
        }
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }
}

impl Default for HttpWebhookSender {
    fn default() -> Self {
        Self::new(WebhookSettings::default())
    }
}

impl fmt::Debug for HttpWebhookSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpWebhookSender")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl WebhookSender for HttpWebhookSender {
    fn send(
        &self,
        endpoint: &WebhookEndpoint,
        message: &WebhookMessage,
        now: DateTime<Utc>,
    ) -> Result<(), DeliveryError> {
        let target = Target::parse(&endpoint.url)?;
        let body = render(endpoint.format, message);
        let signature = sign(endpoint.secret.as_bytes(), now.timestamp(), body.as_bytes());
        let mut response = self
            .agent
            .post(target.uri.clone())
            .header("Content-Type", "application/json")
            .header(HEADER_EVENT, message.event.as_str())
            .header(HEADER_DELIVERY, message.delivery_id.as_str())
            .header(HEADER_SIGNATURE, signature.as_str())
            .send(body.as_bytes())
            .map_err(|e| transport_error(&target, &e))?;

        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let mut start = Vec::new();
        // The body only explains the failure: a read error leaves the explanation shorter.
        let _ = response
            .body_mut()
            .as_reader()
            .take(MAX_RESPONSE_BODY)
            .read_to_end(&mut start);
        let reason = reason(&start, &endpoint.secret);
        Err(status_error(&target, status, &reason))
    }
}

/// A usable endpoint URL, and how errors name it.
struct Target {
    uri: Uri,
    /// `scheme://host[:port]`: no path, query or credentials.
    name: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, DeliveryError> {
        let uri: Uri = url.parse().map_err(|_| {
            DeliveryError::Permanent(format!(
                "unusable webhook URL: not a URL ({} characters)",
                url.chars().count()
            ))
        })?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
        let Some(scheme @ ("http" | "https")) = scheme.as_deref() else {
            let shown = scheme.map_or_else(|| "none".to_owned(), |s| format!("{s}://"));
            return Err(DeliveryError::Permanent(format!(
                "unusable webhook URL: scheme must be http:// or https://, not {}",
                truncate(&shown, 20)
            )));
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| DeliveryError::Permanent("unusable webhook URL: no host".to_owned()))?;
        let name = match uri.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };
        Ok(Self { uri, name })
    }
}

/// The answer's status as a delivery error: 408, 425, 429 and 5xx are worth retrying.
fn status_error(target: &Target, status: StatusCode, reason: &str) -> DeliveryError {
    let code = status.as_u16();
    let mut text = format!("{} answered HTTP {code}", target.name);
    if let Some(phrase) = status.canonical_reason() {
        text = format!("{text} {phrase}");
    }
    if status.is_redirection() {
        text.push_str(" (redirects are not followed: point the endpoint at the final URL)");
    }
    if !reason.is_empty() {
        text = format!("{text}: {reason}");
    }
    if matches!(code, 408 | 425 | 429) || status.is_server_error() {
        DeliveryError::Retry(text)
    } else {
        DeliveryError::Permanent(text)
    }
}

/// A failure before any answer: the request itself cannot be built (bad URL or header
/// value) is permanent; everything else (DNS, refused or reset connection, timeout, TLS,
/// garbled answer, proxy trouble) may pass and is retried.
fn transport_error(target: &Target, e: &ureq::Error) -> DeliveryError {
    let name = &target.name;
    match e {
        ureq::Error::BadUri(_) => DeliveryError::Permanent(format!("{name}: unusable URL")),
        ureq::Error::Http(e) => {
            DeliveryError::Permanent(format!("{name}: cannot build the request: {e}"))
        }
        ureq::Error::RequireHttpsOnly(_) => {
            DeliveryError::Permanent(format!("{name}: only https is allowed"))
        }
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            DeliveryError::Permanent(format!("{name}: redirected (redirects are not followed)"))
        }
        ureq::Error::Timeout(which) => DeliveryError::Retry(format!("{name}: timed out ({which})")),
        ureq::Error::HostNotFound => DeliveryError::Retry(format!("{name}: host not found")),
        ureq::Error::Io(io) => DeliveryError::Retry(format!(
            "{name}: {}",
            truncate(&io.to_string(), REASON_CHARS)
        )),
        other => DeliveryError::Retry(format!(
            "{name}: {}",
            truncate(&other.to_string(), REASON_CHARS)
        )),
    }
}

/// The start of an error answer's body as one short line: control characters and runs of
/// whitespace become one space, the secret (should a receiver echo it) is masked.
fn reason(body: &[u8], secret: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let text = if secret.is_empty() {
        text.into_owned()
    } else {
        text.replace(secret, "***")
    };
    let line = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    truncate(&line, REASON_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        for ok in [
            "http://127.0.0.1:8080/hook",
            "https://hooks.slack.com/services/T0/B0/XYZ",
            "HTTPS://Example.org",
        ] {
            assert!(Target::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://example.org/hook",
            "file:///etc/passwd",
            "example.org/hook",
            "/relative",
            "",
            "http://",
            "http://exa mple.org/",
            "mailto:ops@example.org",
        ] {
            assert!(
                matches!(Target::parse(bad), Err(DeliveryError::Permanent(_))),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn errors_name_the_endpoint_without_path_query_or_credentials() {
        let t =
            Target::parse("https://user:pw@hooks.example.org:8443/services/SECRET?k=v").unwrap();
        assert_eq!(t.name, "https://hooks.example.org:8443");
        let t = Target::parse("https://hooks.example.org/services/SECRET").unwrap();
        assert_eq!(t.name, "https://hooks.example.org");
        let Err(DeliveryError::Permanent(text)) = Target::parse("gopher://x/SECRET") else {
            panic!("accepted");
        };
        assert!(!text.contains("SECRET"), "{text}");
        let Err(DeliveryError::Permanent(text)) = Target::parse("not a url SECRET") else {
            panic!("accepted");
        };
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn statuses_map_to_retry_or_permanent() {
        let t = Target::parse("http://h").unwrap();
        let retry = [408, 425, 429, 500, 502, 503, 504, 599];
        let permanent = [
            300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 410, 422,
        ];
        for code in retry {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(status_error(&t, status, ""), DeliveryError::Retry(_)),
                "{code}"
            );
        }
        for code in permanent {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(status_error(&t, status, ""), DeliveryError::Permanent(_)),
                "{code}"
            );
        }
        assert_eq!(
            status_error(&t, StatusCode::NOT_FOUND, "no such hook"),
            DeliveryError::Permanent("http://h answered HTTP 404 Not Found: no such hook".into())
        );
    }

    #[test]
    fn reasons_are_one_short_line_without_the_secret() {
        assert_eq!(
            reason(b"  invalid_payload\r\n\tmore ", "s"),
            "invalid_payload more"
        );
        assert_eq!(
            reason(b"token=hunter2 rejected", "hunter2"),
            "token=*** rejected"
        );
        let long = reason(&[b'x'; 4096], "");
        assert_eq!(long.chars().count(), REASON_CHARS + 1);
        assert!(long.ends_with('…'));
        assert_eq!(reason(&[0xff, b'a'], ""), "\u{fffd}a");
    }

    #[test]
    fn defaults_are_five_and_ten_seconds() {
        let sender = HttpWebhookSender::default();
        assert_eq!(sender.settings().connect_timeout, Duration::from_secs(5));
        assert_eq!(sender.settings().request_timeout, Duration::from_secs(10));
        assert!(USER_AGENT.starts_with("Servicedesk-Webhook/"));
        assert!(format!("{sender:?}").contains("HttpWebhookSender"));
    }
}
