//! A webhook receiver for the tests: a small HTTP/1.1 server on 127.0.0.1 recording every
//! request and answering a status the test can change.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hook {
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Hook {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1 answering `status` to every request.
pub struct Receiver {
    /// Where to post.
    pub url: String,
    got: Arc<Mutex<Vec<Hook>>>,
    /// The status it answers.
    pub status: Arc<AtomicU16>,
}

impl Receiver {
    /// Starts answering `status`.
    pub fn start(status: u16) -> Self {
        Self::start_with_body(status, "")
    }

    /// Starts answering `status` with `answer` as a text/plain body.
    pub fn start_with_body(status: u16, answer: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(status));
        let (g, s) = (got.clone(), status.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (name, value) = h.split_once(':').unwrap();
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap();
                    }
                    headers.push((name.to_owned(), value.trim().to_owned()));
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                g.lock().unwrap().push(Hook {
                    headers,
                    body: String::from_utf8(body).unwrap(),
                });
                let code = s.load(Ordering::SeqCst);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        Self { url, got, status }
    }

    /// Everything received so far.
    pub fn hooks(&self) -> Vec<Hook> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (`secs` at most).
    #[track_caller]
    pub fn wait_for(&self, n: usize, secs: u64) -> Vec<Hook> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let hooks = self.hooks();
            if hooks.len() >= n {
                return hooks;
            }
            assert!(
                Instant::now() < deadline,
                "{n} webhook posts expected within {secs} s, got {}",
                hooks.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
