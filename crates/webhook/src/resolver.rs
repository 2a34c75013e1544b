//! The name-resolution port of the sender, so tests can inject names without DNS and the
//! address policy sees exactly what the connector will use.

use std::io;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

/// Looks host names up. The sender checks every address it returns against the
/// allow-list and connects only to those that pass.
pub trait HostResolver: Send + Sync {
    /// The addresses of `host` (a name, never an address literal), for a connection to
    /// `port`, within `timeout`.
    ///
    /// # Errors
    /// `TimedOut` when the lookup takes longer than `timeout`; any other error when the
    /// name cannot be resolved.
    fn lookup(&self, host: &str, port: u16, timeout: Duration) -> io::Result<Vec<IpAddr>>;
}

/// The operating system's resolver (`getaddrinfo`), bounded by the timeout: the lookup
/// runs on a helper thread that is abandoned when it takes too long.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    fn lookup(&self, host: &str, port: u16, timeout: Duration) -> io::Result<Vec<IpAddr>> {
        let (tx, rx) = mpsc::sync_channel(1);
        let name = host.to_owned();
        std::thread::Builder::new()
            .name("webhook-dns".into())
            .spawn(move || {
                let found = (name.as_str(), port)
                    .to_socket_addrs()
                    .map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<_>>());
                let _ = tx.send(found);
            })?;
        match rx.recv_timeout(timeout) {
            Ok(found) => found,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(io::Error::from(io::ErrorKind::TimedOut)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(io::Error::other(
                "the lookup thread ended without an answer",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_resolver_answers_numeric_names_without_dns() {
        let found = SystemResolver
            .lookup("127.0.0.1", 80, Duration::from_secs(5))
            .unwrap();
        assert_eq!(found, vec![IpAddr::from([127, 0, 0, 1])]);
    }
}
