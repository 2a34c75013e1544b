//! The HTTP adapter of the core's [`WebhookSender`] port, over ureq's blocking client.
//!
//! Every connection goes through the agent's resolver, [`Guard`]: it looks the host up
//! through the [`HostResolver`] port, keeps only the addresses the operator's
//! [`WebhookAllowList`] permits (public ones unless listed), and hands exactly those to
//! the connector, so the address that was checked is the one connected to (no second
//! lookup, no DNS-rebinding window).

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use servicedesk_core::notify::WebhookAllowList;
use servicedesk_core::ports::{DeliveryError, WebhookEndpoint, WebhookMessage, WebhookSender};
use ureq::config::Config;
use ureq::http::{StatusCode, Uri};
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Proxy};

use crate::error::InvalidProxy;
use crate::render::render;
use crate::resolver::{HostResolver, SystemResolver};
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

/// The error class of a delivery refused because its host is (or resolves only to)
/// non-public addresses the allow-list does not permit.
pub const REFUSED_NON_PUBLIC: &str = "refused: non-public address";

/// Timeouts, proxy and address policy of an [`HttpWebhookSender`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Resolving the host, connecting and the TLS handshake together. Default 5 s.
    pub connect_timeout: Duration,
    /// The whole delivery: resolving, connecting, sending, and receiving the answer's
    /// status line and headers. Default 10 s.
    pub request_timeout: Duration,
    /// An HTTP(S) proxy to send every delivery through (`http://host:port`), or `None`
    /// (the default) to connect directly. The proxy environment variables (`HTTPS_PROXY`,
    /// …) are never read. Through a proxy the target's name is still resolved and checked
    /// here, but the proxy makes the connection: it should enforce its own egress rules.
    pub proxy: Option<String>,
    /// Which non-public targets are permitted (`SERVICEDESK_WEBHOOK_ALLOW`); the default
    /// permits public addresses only.
    pub allow: WebhookAllowList,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            proxy: None,
            allow: WebhookAllowList::default(),
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
/// Before connecting, the host is resolved through the [`HostResolver`] and every address
/// the [`WebhookAllowList`] does not permit is dropped; the connection goes to one of the
/// checked addresses. A host with no permitted address is a
/// [`DeliveryError::Permanent`] naming [`REFUSED_NON_PUBLIC`].
///
/// Outcomes: a 2xx answer is success; 408, 425, 429 and 5xx, and a failure to connect,
/// resolve, complete TLS or get an answer in time are [`DeliveryError::Retry`]; every other
/// answer (3xx, 4xx), an unusable URL and a refused address are
/// [`DeliveryError::Permanent`]. Error texts are the endpoint's `scheme://host[:port]` and
/// an error class (`answered HTTP 500 Internal Server Error`, `timeout (global)`,
/// `connect failed`, …): never the answer's body, the URL's path (often a credential, as
/// with Slack's), the secret, or the addresses a name resolved to. The answer's body is
/// never read.
pub struct HttpWebhookSender {
    agent: Agent,
    guard: Arc<Guard>,
    settings: WebhookSettings,
}

impl HttpWebhookSender {
    /// A sender with `settings`, resolving names with the system resolver. Nothing is
    /// contacted yet.
    ///
    /// # Errors
    /// [`InvalidProxy`] when `settings.proxy` is not a usable proxy URL.
    pub fn new(settings: WebhookSettings) -> Result<Self, InvalidProxy> {
        Self::with_resolver(settings, Arc::new(SystemResolver))
    }

    /// A sender looking names up through `resolver` (tests inject a fake one).
    ///
    /// # Errors
    /// [`InvalidProxy`] when `settings.proxy` is not a usable proxy URL.
    pub fn with_resolver(
        settings: WebhookSettings,
        resolver: Arc<dyn HostResolver>,
    ) -> Result<Self, InvalidProxy> {
        let proxy = match &settings.proxy {
            None => None,
            Some(url) => Some(Proxy::new(url).map_err(|_| InvalidProxy)?),
        };
        Ok(Self::build(settings, resolver, proxy))
    }

    fn build(
        settings: WebhookSettings,
        resolver: Arc<dyn HostResolver>,
        proxy: Option<Proxy>,
    ) -> Self {
        let guard = Arc::new(Guard {
            lookup: resolver,
            allow: settings.allow.clone(),
            proxy: proxy
                .as_ref()
                .map(|p| (p.host().to_ascii_lowercase(), p.port())),
        });
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.request_timeout))
            .proxy(proxy)
            .build();
        let agent = Agent::with_parts(
            config,
            DefaultConnector::default(),
            SharedGuard(guard.clone()),
        );
        Self {
            agent,
            guard,
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
        Self::build(WebhookSettings::default(), Arc::new(SystemResolver), None)
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
        if self.guard.proxy.is_some() {
            // The proxy connects, not us: check the target's addresses beforehand.
            self.guard
                .checked(&target.host, target.port, self.settings.connect_timeout)
                .map_err(|e| transport_error(&target, &e))?;
        }
        let body = render(endpoint.format, message);
        let signature = sign(endpoint.secret.as_bytes(), now.timestamp(), body.as_bytes());
        let response = self
            .agent
            .post(target.uri.clone())
            .header("Content-Type", "application/json")
            .header(HEADER_EVENT, message.event.as_str())
            .header(HEADER_DELIVERY, message.delivery_id.as_str())
            .header(HEADER_SIGNATURE, signature.as_str())
            .send(body.as_bytes())
            .map_err(|e| transport_error(&target, &e))?;
        // The body is never read: neither stored nor shown, whatever the target answers.
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(status_error(&target, status))
    }
}

/// How many addresses ureq keeps from a resolver.
const MAX_ADDRS: usize = 16;

/// The checked name resolution of every connection the agent makes.
struct Guard {
    lookup: Arc<dyn HostResolver>,
    allow: WebhookAllowList,
    /// The configured proxy's host and port: resolved without the address policy (the
    /// operator chose it).
    proxy: Option<(String, u16)>,
}

/// The marker inside the `io::Error` of a refused address.
#[derive(Debug)]
struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REFUSED_NON_PUBLIC)
    }
}

impl std::error::Error for Refused {}

impl Guard {
    /// The permitted addresses of `host` (as in a URI: brackets around IPv6).
    fn checked(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Vec<SocketAddr>, ureq::Error> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let found: Vec<IpAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => self
                .lookup
                .lookup(bare, port, timeout)
                .map_err(|e| match e.kind() {
                    io::ErrorKind::TimedOut => ureq::Error::Timeout(ureq::Timeout::Resolve),
                    _ => ureq::Error::HostNotFound,
                })?,
        };
        if found.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        let permitted: Vec<SocketAddr> = found
            .into_iter()
            .filter(|ip| self.allow.permits(bare, *ip))
            .map(|ip| SocketAddr::new(ip.to_canonical(), port))
            .collect();
        if permitted.is_empty() {
            return Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                Refused,
            )));
        }
        Ok(permitted)
    }

    /// The proxy's own addresses (no policy: the operator configured it).
    fn proxy_addrs(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Vec<SocketAddr>, ureq::Error> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ips = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => self
                .lookup
                .lookup(bare, port, timeout)
                .map_err(|_| ureq::Error::HostNotFound)?,
        };
        Ok(ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect())
    }
}

/// The [`Guard`] as ureq's resolver (shared with the sender's own pre-check).
struct SharedGuard(Arc<Guard>);

impl fmt::Debug for SharedGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("allow", &self.0.allow)
            .finish_non_exhaustive()
    }
}

impl Resolver for SharedGuard {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| ureq::Error::BadUri("no host".into()))?;
        let port = uri
            .port_u16()
            .or_else(|| match uri.scheme_str() {
                Some(s) if s.eq_ignore_ascii_case("https") => Some(443),
                Some(s) if s.eq_ignore_ascii_case("http") => Some(80),
                _ => None,
            })
            .ok_or_else(|| ureq::Error::BadUri("no port".into()))?;
        let guard = &self.0;
        let addrs = match &guard.proxy {
            Some((h, p)) if h.eq_ignore_ascii_case(host) && *p == port => {
                guard.proxy_addrs(host, port, *timeout.after)?
            }
            _ => guard.checked(host, port, *timeout.after)?,
        };
        let mut result = self.empty();
        for addr in addrs.into_iter().take(MAX_ADDRS) {
            result.push(addr);
        }
        if result.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(result)
    }
}

/// A usable endpoint URL, and how errors name it.
struct Target {
    uri: Uri,
    /// As in the URI (IPv6 in brackets).
    host: String,
    port: u16,
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
            .ok_or_else(|| DeliveryError::Permanent("unusable webhook URL: no host".to_owned()))?
            .to_owned();
        let name = match uri.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        Ok(Self {
            uri,
            host,
            port,
            name,
        })
    }
}

/// The answer's status as a delivery error: 408, 425, 429 and 5xx are worth retrying.
/// Only the status code (and its standard phrase) is kept, never the body.
fn status_error(target: &Target, status: StatusCode) -> DeliveryError {
    let code = status.as_u16();
    let mut text = format!("{} answered HTTP {code}", target.name);
    if let Some(phrase) = status.canonical_reason() {
        text = format!("{text} {phrase}");
    }
    if status.is_redirection() {
        text.push_str(" (redirects are not followed: point the endpoint at the final URL)");
    }
    if matches!(code, 408 | 425 | 429) || status.is_server_error() {
        DeliveryError::Retry(text)
    } else {
        DeliveryError::Permanent(text)
    }
}

/// A failure before any answer, as an error class: a request that cannot be built (bad URL
/// or header value) and a refused address are permanent; everything else (DNS, refused or
/// reset connection, timeout, TLS, garbled answer, proxy trouble) may pass and is retried.
fn transport_error(target: &Target, e: &ureq::Error) -> DeliveryError {
    let name = &target.name;
    match e {
        ureq::Error::BadUri(_) => DeliveryError::Permanent(format!("{name}: unusable URL")),
        ureq::Error::Http(_) => {
            DeliveryError::Permanent(format!("{name}: cannot build the request"))
        }
        ureq::Error::RequireHttpsOnly(_) => {
            DeliveryError::Permanent(format!("{name}: only https is allowed"))
        }
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            DeliveryError::Permanent(format!("{name}: redirected (redirects are not followed)"))
        }
        ureq::Error::Io(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<Refused>().is_some()) =>
        {
            DeliveryError::Permanent(format!("{name}: {REFUSED_NON_PUBLIC}"))
        }
        ureq::Error::Timeout(which) => DeliveryError::Retry(format!("{name}: timeout ({which})")),
        ureq::Error::HostNotFound => DeliveryError::Retry(format!("{name}: host not found")),
        ureq::Error::Io(io) => DeliveryError::Retry(format!("{name}: {}", io_class(io.kind()))),
        ureq::Error::ConnectionFailed => DeliveryError::Retry(format!("{name}: connect failed")),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            DeliveryError::Retry(format!("{name}: TLS failed"))
        }
        ureq::Error::Protocol(_) => DeliveryError::Retry(format!("{name}: not an HTTP answer")),
        ureq::Error::InvalidProxyUrl | ureq::Error::ConnectProxyFailed(_) => {
            DeliveryError::Retry(format!("{name}: proxy failed"))
        }
        _ => DeliveryError::Retry(format!("{name}: request failed")),
    }
}

/// An I/O failure's class, without the operating system's text.
fn io_class(kind: io::ErrorKind) -> &'static str {
    match kind {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timeout",
        io::ErrorKind::ConnectionRefused => "connect failed (refused)",
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => "connection closed",
        io::ErrorKind::InvalidData => "not an HTTP answer",
        _ => "connect failed",
    }
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
                matches!(status_error(&t, status), DeliveryError::Retry(_)),
                "{code}"
            );
        }
        for code in permanent {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(status_error(&t, status), DeliveryError::Permanent(_)),
                "{code}"
            );
        }
        assert_eq!(
            status_error(&t, StatusCode::NOT_FOUND),
            DeliveryError::Permanent("http://h answered HTTP 404 Not Found".into())
        );
    }

    #[test]
    fn defaults_are_five_and_ten_seconds() {
        let sender = HttpWebhookSender::default();
        assert_eq!(sender.settings().connect_timeout, Duration::from_secs(5));
        assert_eq!(sender.settings().request_timeout, Duration::from_secs(10));
        assert_eq!(sender.settings().proxy, None);
        assert!(sender.settings().allow.is_empty());
        assert!(USER_AGENT.starts_with("Servicedesk-Webhook/"));
        assert!(format!("{sender:?}").contains("HttpWebhookSender"));
    }
}
