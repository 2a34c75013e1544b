//! A `LISTEN` connection of its own, on a thread of its own: the live feed and the cache
//! invalidation each run one. It polls for notifications at its own pace, reconnects with
//! backoff (200 ms doubling to 10 s) when the connection drops, and probes an idle
//! connection so that a silent drop is noticed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;

/// The step of a pause between reconnects (how soon a stop is noticed there).
const PAUSE_STEP: Duration = Duration::from_millis(100);
/// The first and the longest wait before reconnecting.
const BACKOFF_FIRST: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// What a listener hears.
pub(crate) enum Heard<'a> {
    /// The connection listens (the first time, or again after a loss): notifications
    /// from now on are heard; those sent while it was away were not.
    Listening,
    /// The connection is gone; notifications are missed until the next `Listening`.
    Lost,
    /// A notification on the channel.
    Notification {
        /// Its payload.
        payload: &'a str,
        /// The backend process that sent it.
        from_pid: i32,
    },
}

/// A listener's settings.
pub(crate) struct Listener {
    /// The thread's name.
    pub name: &'static str,
    /// The channel (an SQL identifier of ours, never user input).
    pub channel: &'static str,
    /// How long an idle connection goes before a `SELECT 1` checks it.
    pub probe_every: Duration,
    /// How often it looks for notifications (each look is one non-blocking read).
    pub poll_every: Duration,
}

impl Listener {
    /// Makes the first connection (so what is sent after this returns is heard), then
    /// runs on a thread until `stop` is set, telling `on` what it hears. An unreachable
    /// database is logged and retried.
    pub(crate) fn spawn(
        self,
        url: &str,
        stop: Arc<AtomicBool>,
        on: impl Fn(Heard<'_>) + Send + 'static,
    ) -> std::io::Result<JoinHandle<()>> {
        let url = url.to_owned();
        let first = self
            .listen(&url)
            .inspect_err(|e| tracing::warn!(error = %e, listener = self.name, "cannot connect yet"))
            .ok();
        if first.is_some() {
            on(Heard::Listening);
        }
        std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                let mut next = first.map(|c| (c, true));
                let mut backoff = BACKOFF_FIRST;
                while !stop.load(Ordering::SeqCst) {
                    let conn = match next.take() {
                        Some(ready) => Ok(ready),
                        None => self.listen(&url).map(|c| (c, false)),
                    };
                    match conn {
                        Ok((mut conn, announced)) => {
                            backoff = BACKOFF_FIRST;
                            if !announced {
                                on(Heard::Listening);
                            }
                            let ended = self.pump(&mut conn, &stop, &on);
                            on(Heard::Lost);
                            match ended {
                                Ok(()) => return,
                                Err(e) => tracing::warn!(
                                    error = %e,
                                    listener = self.name,
                                    "lost its connection; reconnecting"
                                ),
                            }
                        }
                        Err(e) => tracing::warn!(
                            error = %e,
                            listener = self.name,
                            retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                            "cannot connect"
                        ),
                    }
                    pause(backoff, &stop);
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            })
    }

    /// A new connection listening on the channel.
    fn listen(&self, url: &str) -> Result<PgConnection, String> {
        let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
        conn.batch_execute(&format!("LISTEN {}", self.channel))
            .map_err(|e| e.to_string())?;
        Ok(conn)
    }

    /// Hands notifications to `on` until `stop` (`Ok`) or a connection error (`Err`).
    fn pump(
        &self,
        conn: &mut PgConnection,
        stop: &AtomicBool,
        on: &impl Fn(Heard<'_>),
    ) -> Result<(), diesel::result::Error> {
        let mut probed = Instant::now();
        while !stop.load(Ordering::SeqCst) {
            let mut heard = false;
            for notification in conn.notifications_iter() {
                let notification = notification?;
                heard = true;
                if notification.channel == self.channel {
                    on(Heard::Notification {
                        payload: &notification.payload,
                        from_pid: notification.process_id,
                    });
                }
            }
            if heard {
                probed = Instant::now();
            } else if probed.elapsed() >= self.probe_every {
                conn.batch_execute("SELECT 1")?;
                probed = Instant::now();
            }
            std::thread::sleep(self.poll_every);
        }
        Ok(())
    }
}

/// Sleeps `total` in short steps, returning early when `stop` is set.
fn pause(total: Duration, stop: &AtomicBool) {
    let until = Instant::now() + total;
    while !stop.load(Ordering::SeqCst) && Instant::now() < until {
        std::thread::sleep(PAUSE_STEP.min(until.saturating_duration_since(Instant::now())));
    }
}
