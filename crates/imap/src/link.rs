//! A connection that comes back: the runtime the store hides, the
//! endpoint, and the reconnect-and-retry rule shared by the reader and the
//! writer. A command that fails in a way a retry can cure (the connection
//! dropped, a timeout, the server throttling or unavailable) is tried
//! again on a new connection, after a wait that doubles each time (or the
//! one the server suggested), at most `retries` times.

use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::conn::{Conn, Endpoint};
use crate::error::ImapError;

/// Counts of what the link went through, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Connections opened again after one was lost.
    pub reconnects: u32,
    /// Waits before a retry (throttling, or a lost connection).
    pub waits: u32,
    /// Their total length.
    pub waited: Duration,
}

pub(crate) struct Link {
    pub rt: Runtime,
    pub ep: Endpoint,
    pub conn: Option<Conn>,
    /// The mailbox to select again after a reconnect, and how (EXAMINE).
    pub selected: Option<(String, bool)>,
    pub retries: u32,
    pub stats: LinkStats,
    opened_once: bool,
    /// The server was reached (by this link or another): connection
    /// failures are retried.
    reachable: bool,
}

impl Link {
    pub fn new(ep: Endpoint, retries: u32) -> Result<Link, ImapError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ImapError::Setup(format!("cannot start the network runtime: {e}")))?;
        Ok(Link {
            rt,
            ep,
            conn: None,
            selected: None,
            retries,
            stats: LinkStats::default(),
            opened_once: false,
            reachable: false,
        })
    }

    /// Takes the server as reached already (another connection logged in):
    /// a failure to connect is then retried like a lost connection.
    pub fn reached(&mut self) {
        self.reachable = true;
    }

    /// The open connection, opened (and its mailbox selected again) if
    /// there is none.
    pub fn connected(&mut self) -> Result<&mut Conn, ImapError> {
        if self.conn.is_none() {
            let mut conn = self.rt.block_on(Conn::open(&self.ep))?;
            if self.opened_once {
                self.stats.reconnects += 1;
            }
            self.opened_once = true;
            self.reachable = true;
            if let Some((mb, read_only)) = &self.selected {
                let verb = if *read_only { "EXAMINE" } else { "SELECT" };
                self.rt.block_on(conn.command(&format!("{verb} {}", crate::conn::quote(mb)), |_| {}))?;
            }
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("set above"))
    }

    /// Drops the connection (after an error that leaves it unusable).
    pub fn drop_conn(&mut self) {
        self.conn = None;
    }

    /// Sleeps before retry `attempt` (1-based): the server's suggestion,
    /// else 1 s, 2 s, 4 s ... up to a minute.
    pub fn back_off(&mut self, attempt: u32, suggested: Option<Duration>) {
        let wait = suggested.unwrap_or_else(|| Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6)));
        let wait = wait.min(Duration::from_secs(60));
        self.stats.waits += 1;
        self.stats.waited += wait;
        std::thread::sleep(wait);
    }

    /// Runs `f` on the connection, again on a new one where a retry can
    /// cure the failure.
    pub fn call<T>(&mut self, mut f: impl FnMut(&Runtime, &mut Conn) -> Result<T, ImapError>) -> Result<T, ImapError> {
        let mut attempt = 0;
        loop {
            let result = match self.connected() {
                Ok(_) => {
                    let conn = self.conn.as_mut().expect("connected");
                    f(&self.rt, conn)
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(v) => return Ok(v),
                // A server never reached is a wrong address or a server
                // that is down: said at once, not after a minute of retries.
                Err(e) if !self.reachable => return Err(e),
                Err(e) => match e.retry_after() {
                    Some(wait) if attempt < self.retries => {
                        attempt += 1;
                        self.drop_conn();
                        self.back_off(attempt, wait);
                    }
                    _ => return Err(e),
                },
            }
        }
    }

    /// Logs out, if connected.
    pub fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            self.rt.block_on(c.logout());
        }
    }
}

/// Paces the items written to `max_per_sec` messages and `max_bytes` bytes
/// a second (`--max-rate`).
#[derive(Debug)]
pub struct Pace {
    /// Messages a second, if limited.
    pub messages: Option<f64>,
    /// Bytes a second, if limited.
    pub bytes: Option<u64>,
    start: Instant,
    sent_messages: u64,
    sent_bytes: u64,
}

impl Pace {
    /// A pace with these limits.
    pub fn new(messages: Option<f64>, bytes: Option<u64>) -> Pace {
        Pace { messages, bytes, start: Instant::now(), sent_messages: 0, sent_bytes: 0 }
    }

    /// Waits as long as needed before sending a message of `size` bytes.
    pub fn wait(&mut self, size: u64) {
        let mut due = Duration::ZERO;
        if let Some(m) = self.messages.filter(|m| *m > 0.0) {
            due = due.max(Duration::from_secs_f64(self.sent_messages as f64 / m));
        }
        if let Some(b) = self.bytes.filter(|b| *b > 0) {
            due = due.max(Duration::from_secs_f64(self.sent_bytes as f64 / b as f64));
        }
        let elapsed = self.start.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
        self.sent_messages += 1;
        self.sent_bytes += size;
    }
}
