//! `HttpWebhookSender` against a real HTTP/1.1 receiver: a small server on `127.0.0.1:0` in
//! a thread (`std::net::TcpListener`) that reads the request line, the headers and a
//! `Content-Length` body, records them and answers with a scripted status, or never answers.
//! Bare listeners stand in for a closed port, a redirect target and a non-TLS server.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use servicedesk_core::notify::WebhookAllowList;
use servicedesk_core::ports::{
    DeliveryError, WebhookEndpoint, WebhookFormat, WebhookMessage, WebhookSender,
};
use servicedesk_webhook::{
    DEFAULT_TOLERANCE, HostResolver, HttpWebhookSender, REFUSED_NON_PUBLIC, SignatureError,
    USER_AGENT, WebhookSettings, render, sign, verify,
};

const SECRET: &str = "whsec_7Hq2-receiver-and-sender-share-this";

/// What the receiver does with a request.
#[derive(Clone)]
enum Answer {
    /// Answer this status, with extra header lines and a body.
    Status(u16, Vec<String>, Vec<u8>),
    /// Read the request, then say nothing until the client gives up.
    Silent,
    /// Answer bytes that are not HTTP.
    Garbage,
}

fn status(code: u16) -> Answer {
    Answer::Status(code, Vec::new(), Vec::new())
}

/// A request as the receiver saw it.
#[derive(Debug)]
struct Received {
    method: String,
    target: String,
    version: String,
    /// Names lowercased, in arrival order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let mut values = self.headers.iter().filter(|(n, _)| *n == name);
        let first = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "header {name} sent twice");
        first
    }
}

/// A one-connection-per-answer HTTP/1.1 server.
struct Receiver {
    addr: SocketAddr,
    requests: mpsc::Receiver<Received>,
    thread: JoinHandle<()>,
}

impl Receiver {
    fn start(answers: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, requests) = mpsc::channel();
        let thread = thread::spawn(move || {
            for answer in answers {
                let (stream, _) = listener.accept().unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream);
                let request = read_request(&mut reader);
                let mut stream = reader.into_inner();
                let _ = tx.send(request);
                match answer {
                    Answer::Status(code, headers, body) => {
                        let mut head = format!(
                            "HTTP/1.1 {code} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
                            body.len()
                        );
                        for h in headers {
                            head.push_str(&h);
                            head.push_str("\r\n");
                        }
                        head.push_str("\r\n");
                        // The client may stop reading a long body: ignore write errors.
                        let _ = stream.write_all(head.as_bytes());
                        let _ = stream.write_all(&body);
                    }
                    Answer::Silent => {
                        // Hold the connection open until the client closes it.
                        let mut sink = [0u8; 64];
                        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
                    }
                    Answer::Garbage => {
                        let _ = stream.write_all(b"SMTP READY, NOT HTTP\r\n\r\n");
                    }
                }
            }
        });
        Self {
            addr,
            requests,
            thread,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next recorded request (waits for the server thread).
    fn next(&self) -> Received {
        self.requests.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    fn finish(self) {
        self.thread.join().unwrap();
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Received {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next().unwrap().to_owned();
    let target = parts.next().unwrap().to_owned();
    let version = parts.next().unwrap().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    Received {
        method,
        target,
        version,
        headers,
        body,
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 9, 31, 7).unwrap()
}

fn message() -> WebhookMessage {
    WebhookMessage {
        delivery_id: "0193f1c2-7a4e-7c1d-9b7e-2f1d5c9a0e11".into(),
        event: "sla.breached".into(),
        event_id: "0193f1c2-79d0-7b2a-8c44-6a2e1f0b9d3c".into(),
        org_id: "0193a0b4-1c2d-7e3f-8a9b-0c1d2e3f4a5b".into(),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 3, 9, 30, 0).unwrap(),
        summary: "INC-42 \"Mail down\" <ops & infra>: résolution SLA breached".into(),
        link: Some("https://desk.example.org/incidents/INC-42?tab=sla&x=1".into()),
        data: serde_json::json!({ "target": "resolution", "incident": { "number": "INC-42" } }),
    }
}

fn endpoint(url: &str, format: WebhookFormat) -> WebhookEndpoint {
    WebhookEndpoint {
        url: url.into(),
        secret: SECRET.into(),
        format,
    }
}

/// Short timeouts, and the allow-list letting the receivers on 127.0.0.1 through.
fn settings(allow: &str) -> WebhookSettings {
    WebhookSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(800),
        proxy: None,
        allow: WebhookAllowList::parse(allow).unwrap(),
    }
}

fn sender() -> HttpWebhookSender {
    HttpWebhookSender::new(settings("127.0.0.1")).unwrap()
}

/// One delivery to a receiver answering `answer`; the outcome and the request it saw.
fn deliver(answer: Answer) -> (Result<(), DeliveryError>, Received) {
    let receiver = Receiver::start(vec![answer]);
    let outcome = sender().send(
        &endpoint(&receiver.url("/hooks/T0/SECRETPATH"), WebhookFormat::Json),
        &message(),
        now(),
    );
    let request = receiver.next();
    receiver.finish();
    (outcome, request)
}

fn error_text(e: &DeliveryError) -> &str {
    match e {
        DeliveryError::Retry(t) | DeliveryError::Permanent(t) => t,
    }
}

/// Error texts stay short and carry neither the secret nor the URL's path.
fn assert_clean(e: &DeliveryError) {
    let text = error_text(e);
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("SECRETPATH"), "{text}");
    assert!(text.chars().count() < 400, "{text}");
}

#[test]
fn a_delivery_arrives_signed_with_the_right_headers_and_the_rendered_body() {
    for format in [
        WebhookFormat::Json,
        WebhookFormat::Slack,
        WebhookFormat::Teams,
    ] {
        let receiver = Receiver::start(vec![status(204)]);
        let m = message();
        sender()
            .send(
                &endpoint(&receiver.url("/hooks/abc?team=ops"), format),
                &m,
                now(),
            )
            .unwrap();
        let request = receiver.next();
        receiver.finish();

        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/hooks/abc?team=ops");
        assert_eq!(request.version, "HTTP/1.1");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("user-agent"), Some(USER_AGENT));
        assert_eq!(USER_AGENT, "Servicedesk-Webhook/0.1.0");
        assert_eq!(request.header("x-servicedesk-event"), Some("sla.breached"));
        assert_eq!(
            request.header("x-servicedesk-delivery"),
            Some("0193f1c2-7a4e-7c1d-9b7e-2f1d5c9a0e11")
        );
        assert_eq!(
            request.header("content-length"),
            Some(request.body.len().to_string().as_str())
        );

        // Byte for byte what `render` produces.
        assert_eq!(request.body, render(format, &m).into_bytes(), "{format:?}");

        // The receiver's own copy of the secret accepts the signature.
        let signature = request.header("x-servicedesk-signature").unwrap();
        let t = now().timestamp();
        assert!(signature.starts_with(&format!("t={t},v1=")), "{signature}");
        assert_eq!(signature, sign(SECRET.as_bytes(), t, &request.body));
        let receiver_secret = String::from("whsec_7Hq2-receiver-and-sender-share-this");
        assert_eq!(
            verify(
                receiver_secret.as_bytes(),
                signature,
                &request.body,
                t + 3,
                DEFAULT_TOLERANCE
            ),
            Ok(())
        );

        // A tampered body, a wrong secret and an old or future timestamp fail.
        let mut tampered = request.body.clone();
        tampered[10] ^= 0x01;
        assert_eq!(
            verify(
                SECRET.as_bytes(),
                signature,
                &tampered,
                t,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Mismatch)
        );
        let mut longer = request.body.clone();
        longer.push(b' ');
        assert_eq!(
            verify(SECRET.as_bytes(), signature, &longer, t, DEFAULT_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"whsec_wrong",
                signature,
                &request.body,
                t,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(
                SECRET.as_bytes(),
                signature,
                &request.body,
                t + 301,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Stale { age: 301, .. })
        ));
        assert!(matches!(
            verify(
                SECRET.as_bytes(),
                signature,
                &request.body,
                t - 3600,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Stale { .. })
        ));
        // Replaying the body under a fresh timestamp with the old MAC fails too.
        let replayed = signature.replacen(&format!("t={t}"), &format!("t={}", t + 600), 1);
        assert_eq!(
            verify(
                SECRET.as_bytes(),
                &replayed,
                &request.body,
                t + 600,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Mismatch)
        );
    }
}

#[test]
fn a_retry_is_signed_anew_over_the_same_body() {
    let receiver = Receiver::start(vec![status(503), status(200)]);
    let ep = endpoint(&receiver.url("/h"), WebhookFormat::Json);
    let first = sender().send(&ep, &message(), now());
    assert!(matches!(first, Err(DeliveryError::Retry(_))), "{first:?}");
    let later = now() + chrono::TimeDelta::seconds(40);
    sender().send(&ep, &message(), later).unwrap();
    let (a, b) = (receiver.next(), receiver.next());
    receiver.finish();
    assert_eq!(a.body, b.body);
    assert_eq!(
        a.header("x-servicedesk-delivery"),
        b.header("x-servicedesk-delivery")
    );
    let sig = b.header("x-servicedesk-signature").unwrap();
    assert!(
        sig.starts_with(&format!("t={},", later.timestamp())),
        "{sig}"
    );
    assert_ne!(a.header("x-servicedesk-signature"), Some(sig));
    assert_eq!(
        verify(
            SECRET.as_bytes(),
            sig,
            &b.body,
            later.timestamp(),
            DEFAULT_TOLERANCE
        ),
        Ok(())
    );
}

#[test]
fn every_2xx_is_delivered() {
    for code in [200, 201, 202, 204, 299] {
        let (outcome, _) = deliver(status(code));
        assert_eq!(outcome, Ok(()), "{code}");
    }
    // A success's body is not read: a large one changes nothing.
    let (outcome, _) = deliver(Answer::Status(200, Vec::new(), vec![b'x'; 1 << 20]));
    assert_eq!(outcome, Ok(()));
}

#[test]
fn busy_or_failing_receivers_are_retried() {
    for code in [500, 502, 503, 504, 408, 425, 429] {
        let (outcome, _) = deliver(Answer::Status(
            code,
            vec!["Retry-After: 30".into()],
            format!("busy, try later (secret was {SECRET})").into_bytes(),
        ));
        let Err(e @ DeliveryError::Retry(_)) = &outcome else {
            panic!("{code}: {outcome:?}");
        };
        assert_clean(e);
        let text = error_text(e);
        assert!(text.contains(&format!("HTTP {code}")), "{text}");
        // The answer's body is never quoted (it could be an internal service's data).
        assert!(!text.contains("busy"), "{text}");
        assert!(text.starts_with("http://127.0.0.1:"), "{text}");
    }
}

#[test]
fn rejections_are_permanent_and_never_quote_the_body() {
    for code in [400, 401, 403, 404, 410, 422] {
        let (outcome, _) = deliver(Answer::Status(
            code,
            Vec::new(),
            b"invalid_payload\n".to_vec(),
        ));
        let Err(e @ DeliveryError::Permanent(_)) = &outcome else {
            panic!("{code}: {outcome:?}");
        };
        assert_clean(e);
        let text = error_text(e);
        assert!(text.contains(&format!("HTTP {code}")), "{text}");
        assert!(!text.contains("invalid_payload"), "{text}");
    }
    let (outcome, _) = deliver(Answer::Status(404, Vec::new(), b"Not Found".to_vec()));
    assert!(
        error_text(&outcome.unwrap_err()).contains("HTTP 404 Not Found"),
        "reason phrase"
    );

    // A long error body is not read at all.
    let (outcome, _) = deliver(Answer::Status(500, Vec::new(), vec![b'z'; 1 << 20]));
    let e = outcome.unwrap_err();
    assert_clean(&e);
    assert!(!error_text(&e).contains('z'), "{e}");
}

#[test]
fn redirects_are_permanent_and_not_followed() {
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let elsewhere = format!("http://{}/elsewhere", trap.local_addr().unwrap());
    for code in [301, 302, 303, 307, 308] {
        let (outcome, request) = deliver(Answer::Status(
            code,
            vec![format!("Location: {elsewhere}")],
            Vec::new(),
        ));
        assert_eq!(request.method, "POST");
        let Err(e @ DeliveryError::Permanent(_)) = &outcome else {
            panic!("{code}: {outcome:?}");
        };
        assert_clean(e);
        assert!(error_text(e).contains("not followed"), "{e}");
        assert!(error_text(e).contains(&format!("HTTP {code}")), "{e}");
        // Nobody connected to the redirect target (`send` has returned, so a followed
        // redirect would already sit in the listen queue).
        assert_eq!(
            trap.accept().map(|_| ()).unwrap_err().kind(),
            ErrorKind::WouldBlock,
            "{code} followed"
        );
    }
}

#[test]
fn a_closed_port_is_retried() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // The listener is dropped: nothing accepts on `addr` any more.
    let outcome = sender().send(
        &endpoint(
            &format!("http://{addr}/hooks/SECRETPATH"),
            WebhookFormat::Json,
        ),
        &message(),
        now(),
    );
    let Err(e @ DeliveryError::Retry(_)) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_clean(e);
    assert!(
        error_text(e).starts_with(&format!("http://{addr}: ")),
        "{e}"
    );
}

#[test]
fn a_receiver_that_never_answers_is_retried_after_the_timeout() {
    let receiver = Receiver::start(vec![Answer::Silent]);
    let started = Instant::now();
    let outcome = sender().send(
        &endpoint(&receiver.url("/hooks/SECRETPATH"), WebhookFormat::Json),
        &message(),
        now(),
    );
    let elapsed = started.elapsed();
    let Err(e @ DeliveryError::Retry(_)) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_clean(e);
    assert!(error_text(e).contains("timeout"), "{e}");
    // The request timeout is 800 ms in these tests.
    assert!(elapsed >= Duration::from_millis(700), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(receiver.next().method, "POST");
    receiver.finish();
}

#[test]
fn an_answer_that_is_not_http_is_retried() {
    let (outcome, _) = deliver(Answer::Garbage);
    let Err(e @ DeliveryError::Retry(_)) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_clean(e);
}

#[test]
fn a_tls_failure_is_retried() {
    // A plain-HTTP server on an https:// URL: the TLS handshake fails (this also shows the
    // rustls provider is present: without one ureq would panic here).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    let outcome = sender().send(
        &endpoint(
            &format!("https://{addr}/hooks/SECRETPATH"),
            WebhookFormat::Json,
        ),
        &message(),
        now(),
    );
    server.join().unwrap();
    let Err(e @ DeliveryError::Retry(_)) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_clean(e);
    assert!(
        error_text(e).starts_with(&format!("https://{addr}: ")),
        "{e}"
    );
}

#[test]
fn unusable_urls_are_permanent_and_nothing_is_sent() {
    for url in [
        "ftp://127.0.0.1/hooks/SECRETPATH",
        "file:///hooks/SECRETPATH",
        "127.0.0.1/hooks/SECRETPATH",
        "http:///hooks/SECRETPATH",
        "not a url SECRETPATH",
        "",
    ] {
        let outcome = sender().send(&endpoint(url, WebhookFormat::Json), &message(), now());
        let Err(e @ DeliveryError::Permanent(_)) = &outcome else {
            panic!("{url:?}: {outcome:?}");
        };
        assert_clean(e);
        assert!(error_text(e).starts_with("unusable webhook URL"), "{e}");
    }
}

#[test]
fn a_header_value_that_cannot_be_sent_is_permanent() {
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let mut m = message();
    m.event = "sla.breached\r\nX-Injected: 1".into();
    let outcome = sender().send(
        &endpoint(
            &format!("http://{}/h", trap.local_addr().unwrap()),
            WebhookFormat::Json,
        ),
        &m,
        now(),
    );
    let Err(e @ DeliveryError::Permanent(_)) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_clean(e);
    assert_eq!(
        trap.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "a request went out"
    );
}

/// A resolver without DNS: a fixed table, counting lookups.
struct FakeResolver {
    table: Vec<(&'static str, Vec<std::net::IpAddr>)>,
    lookups: std::sync::atomic::AtomicUsize,
}

impl FakeResolver {
    fn new(table: &[(&'static str, &[&str])]) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            table: table
                .iter()
                .map(|(name, ips)| (*name, ips.iter().map(|ip| ip.parse().unwrap()).collect()))
                .collect(),
            lookups: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn lookups(&self) -> usize {
        self.lookups.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl HostResolver for FakeResolver {
    fn lookup(
        &self,
        host: &str,
        _port: u16,
        _timeout: Duration,
    ) -> std::io::Result<Vec<std::net::IpAddr>> {
        self.lookups
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.table
            .iter()
            .find(|(name, _)| *name == host)
            .map(|(_, ips)| ips.clone())
            .ok_or_else(|| std::io::Error::from(ErrorKind::NotFound))
    }
}

#[test]
fn names_resolving_to_non_public_addresses_are_refused_before_connecting() {
    // A receiver on 127.0.0.1 that must never see a connection.
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let port = trap.local_addr().unwrap().port();
    let resolver = FakeResolver::new(&[
        ("internal.test", &["10.0.0.5"]),
        ("metadata.test", &["169.254.169.254"]),
        ("six.test", &["::1"]),
        ("mapped.test", &["::ffff:127.0.0.1"]),
        ("loop.test", &["127.0.0.1"]),
        ("mixed.test", &["fd00::7", "192.168.0.10", "127.0.0.1"]),
    ]);
    let strict = HttpWebhookSender::with_resolver(settings(""), resolver.clone()).unwrap();
    for url in [
        format!("http://internal.test:{port}/hooks/SECRETPATH"),
        format!("http://metadata.test:{port}/latest/meta-data/SECRETPATH"),
        format!("https://six.test:{port}/SECRETPATH"),
        format!("http://mapped.test:{port}/SECRETPATH"),
        format!("http://loop.test:{port}/SECRETPATH"),
        format!("http://mixed.test:{port}/SECRETPATH"),
        // Literal addresses are refused without a lookup.
        format!("http://127.0.0.1:{port}/SECRETPATH"),
        format!("http://[::ffff:127.0.0.1]:{port}/SECRETPATH"),
        format!("http://[::1]:{port}/SECRETPATH"),
        format!("http://169.254.169.254:{port}/SECRETPATH"),
    ] {
        let outcome = strict.send(&endpoint(&url, WebhookFormat::Json), &message(), now());
        let Err(e @ DeliveryError::Permanent(_)) = &outcome else {
            panic!("{url}: {outcome:?}");
        };
        assert_clean(e);
        let text = error_text(e);
        assert!(text.ends_with(REFUSED_NON_PUBLIC), "{url}: {text}");
        // The refusal does not tell which addresses the name has (no internal DNS oracle).
        for ip in ["10.0.0.5", "169.254", "::1", "192.168", "fd00"] {
            assert!(!text.contains(ip) || url.contains(ip), "{url}: {text}");
        }
    }
    assert_eq!(
        resolver.lookups(),
        6,
        "one lookup per name, none for literals"
    );
    assert_eq!(
        trap.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "a refused target was connected to"
    );

    // A name that does not resolve is retried (DNS may come back), not refused.
    let outcome = strict.send(
        &endpoint("http://nowhere.test/h", WebhookFormat::Json),
        &message(),
        now(),
    );
    assert!(
        matches!(&outcome, Err(DeliveryError::Retry(t)) if t.ends_with("host not found")),
        "{outcome:?}"
    );
}

#[test]
fn the_checked_address_is_the_one_connected_to() {
    let receiver = Receiver::start(vec![status(204), status(204)]);
    let port = receiver.addr.port();
    // The name has a private address the allow-list does not cover, and the allowed one:
    // only the allowed one is used, from the one lookup that was checked.
    let resolver = FakeResolver::new(&[
        ("hooks.test", &["10.0.0.5", "127.0.0.1"]),
        ("onprem.corp.test", &["127.0.0.1"]),
    ]);
    let sender =
        HttpWebhookSender::with_resolver(settings("127.0.0.1/32"), resolver.clone()).unwrap();
    sender
        .send(
            &endpoint(&format!("http://hooks.test:{port}/h"), WebhookFormat::Json),
            &message(),
            now(),
        )
        .unwrap();
    assert_eq!(receiver.next().target, "/h");
    assert_eq!(resolver.lookups(), 1, "no second lookup");

    // An allow-listed host name may resolve to any address.
    let by_name =
        HttpWebhookSender::with_resolver(settings("onprem.corp.test"), resolver.clone()).unwrap();
    by_name
        .send(
            &endpoint(
                &format!("http://onprem.corp.test:{port}/p"),
                WebhookFormat::Json,
            ),
            &message(),
            now(),
        )
        .unwrap();
    assert_eq!(receiver.next().target, "/p");
    receiver.finish();
}

#[test]
fn a_proxy_url_that_cannot_be_used_is_refused_at_start() {
    let mut s = settings("");
    s.proxy = Some("not a proxy url :::".into());
    assert!(HttpWebhookSender::new(s).is_err());
}
