//! The upload connections: `n` threads, each with a connection of its own,
//! taking batches of messages from one queue and appending each batch in
//! one MULTIAPPEND where the server has it (one transaction, one sync on
//! the server), else message by message.
//!
//! A batch whose connection drops, or that the server throttles, is sent
//! again on a new connection, but first the mailbox is asked which of its
//! messages landed (MULTIAPPEND is all or nothing while the server lives;
//! a server killed in the middle of its commit may have stored part of
//! it): the count of each message's key there against the count before
//! it was sent. Only those that did not land are sent again. The writer
//! never has two copies of one key in flight, so that count means what
//! it says.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use mailshift_core::ItemId;

use crate::conn::{quote, Conn, Endpoint, Outgoing};
use crate::error::ImapError;
use crate::keys::{self, Key};
use crate::link::{Link, LinkStats};

/// One message queued for a mailbox.
pub(crate) struct Queued {
    pub id: ItemId,
    pub body: Vec<u8>,
    pub flags: Vec<String>,
    pub date: Option<String>,
    pub key: Key,
    /// Copies of the key the mailbox held when this one was queued.
    pub have_before: u32,
    pub lost: Vec<String>,
}

pub(crate) struct Job {
    pub mailbox: String,
    pub items: Vec<Queued>,
}

/// What became of a job: each item with its UID (where the server said)
/// or the error.
pub(crate) struct JobDone {
    pub items: Vec<(Queued, Result<Option<u32>, String>, ErrorKind)>,
    pub stats: LinkStats,
}

/// How an item failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    None,
    OverQuota,
    TooBig,
    Other,
}

pub(crate) struct Pool {
    jobs: Option<SyncSender<Job>>,
    done: Receiver<JobDone>,
    threads: Vec<JoinHandle<()>>,
    pub outstanding: usize,
}

impl Pool {
    /// Starts `n` connections (lazily: each logs in at its first batch).
    pub fn start(ep: &Endpoint, n: usize, retries: u32) -> Pool {
        let n = n.max(1);
        let (jobs_tx, jobs_rx) = sync_channel::<Job>(n);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let (done_tx, done_rx) = channel::<JobDone>();
        let threads = (0..n)
            .map(|i| {
                let ep = ep.clone();
                let rx = Arc::clone(&jobs_rx);
                let tx = done_tx.clone();
                std::thread::Builder::new()
                    .name(format!("imap-append-{i}"))
                    .spawn(move || worker(ep, retries, rx, tx))
                    .expect("spawn an upload thread")
            })
            .collect();
        Pool { jobs: Some(jobs_tx), done: done_rx, threads, outstanding: 0 }
    }

    /// Queues a job (blocks while every connection is busy and one job waits).
    pub fn send(&mut self, job: Job) -> Result<(), String> {
        let Some(tx) = &self.jobs else { return Err("the upload connections are closed".into()) };
        tx.send(job).map_err(|_| "the upload connections ended".to_string())?;
        self.outstanding += 1;
        Ok(())
    }

    /// A finished job, waiting for one if `wait`.
    pub fn next(&mut self, wait: bool) -> Option<JobDone> {
        if self.outstanding == 0 {
            return None;
        }
        let r = if wait { self.done.recv().ok() } else { self.done.try_recv().ok() };
        if r.is_some() {
            self.outstanding -= 1;
        } else if wait {
            // Every worker is gone: nothing more will come.
            self.outstanding = 0;
        }
        r
    }

    /// Ends the connections (after the last job).
    pub fn close(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
    }
}

fn worker(ep: Endpoint, retries: u32, jobs: Arc<Mutex<Receiver<Job>>>, done: Sender<JobDone>) {
    let mut link = match Link::new(ep, retries) {
        Ok(l) => l,
        Err(_) => return,
    };
    // The writer's own connection logged in: this one's failures are retried.
    link.reached();
    loop {
        let job = {
            let rx = jobs.lock().unwrap_or_else(|e| e.into_inner());
            rx.recv()
        };
        let Ok(job) = job else { break };
        let before = link.stats;
        let items = run_job(&mut link, job);
        let s = link.stats;
        let stats = LinkStats {
            reconnects: s.reconnects - before.reconnects,
            waits: s.waits - before.waits,
            waited: s.waited - before.waited,
        };
        if done.send(JobDone { items, stats }).is_err() {
            break;
        }
    }
    link.close();
}

fn kind(e: &ImapError) -> ErrorKind {
    if e.is_over_quota() {
        ErrorKind::OverQuota
    } else if e.is_too_big() {
        ErrorKind::TooBig
    } else {
        ErrorKind::Other
    }
}

type Outcomes = Vec<(Queued, Result<Option<u32>, String>, ErrorKind)>;

fn run_job(link: &mut Link, job: Job) -> Outcomes {
    let multi = link.connected().map(|c| c.caps.has("MULTIAPPEND")).unwrap_or(false);
    if multi && job.items.len() > 1 {
        match send(link, &job.mailbox, &job.items) {
            Ok(uids) => return job.items.into_iter().zip(uids).map(|(q, u)| (q, Ok(u), ErrorKind::None)).collect(),
            // A full mailbox fails every message alike.
            Err(e) if e.is_over_quota() => {
                let text = e.to_string();
                return job.items.into_iter().map(|q| (q, Err(text.clone()), ErrorKind::OverQuota)).collect();
            }
            // Something in the batch was refused: one by one, so that one
            // bad message fails alone.
            Err(_) => {}
        }
    }
    let mut out = Vec::with_capacity(job.items.len());
    for q in job.items {
        match send(link, &job.mailbox, std::slice::from_ref(&q)) {
            Ok(mut u) => out.push((q, Ok(u.pop().flatten()), ErrorKind::None)),
            Err(e) => {
                let k = kind(&e);
                out.push((q, Err(e.to_string()), k));
            }
        }
    }
    out
}

/// Appends `items` (one command), again after a reconnect where that can
/// cure the failure, but only those that did not land the first time.
fn send(link: &mut Link, mailbox: &str, items: &[Queued]) -> Result<Vec<Option<u32>>, ImapError> {
    let mut out: Vec<Option<u32>> = vec![None; items.len()];
    // The indices of `items` still to send.
    let mut left: Vec<usize> = (0..items.len()).collect();
    let mut attempt = 0;
    loop {
        let result = match link.connected() {
            Ok(_) => {
                let Link { rt, conn, .. } = link;
                let c: &mut Conn = conn.as_mut().expect("connected");
                let msgs: Vec<Outgoing<'_>> = left
                    .iter()
                    .map(|&i| &items[i])
                    .map(|q| Outgoing { flags: &q.flags, date: q.date.as_deref(), body: &q.body })
                    .collect();
                rt.block_on(c.append(mailbox, &msgs))
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(uids) => {
                for (&i, uid) in left.iter().zip(uids) {
                    out[i] = uid;
                }
                return Ok(out);
            }
            Err(e) => match e.retry_after() {
                Some(wait) if attempt < link.retries => {
                    attempt += 1;
                    link.drop_conn();
                    link.back_off(attempt, wait);
                    // A MULTIAPPEND is all or nothing while the server
                    // lives, but a server killed while it commits may
                    // have stored some of the messages: each is asked
                    // after. (Not asked: sent again, as before.)
                    if let Ok(landed) = landed(link, mailbox, left.iter().map(|&i| &items[i])) {
                        left = left.into_iter().zip(landed).filter(|(_, l)| !l).map(|(i, _)| i).collect();
                    }
                    if left.is_empty() {
                        return Ok(out);
                    }
                }
                _ => return Err(e),
            },
        }
    }
}

/// For each of `items`, true if the mailbox holds more copies of its key
/// than it did when it was queued.
fn landed<'a>(link: &mut Link, mailbox: &str, items: impl Iterator<Item = &'a Queued>) -> Result<Vec<bool>, ImapError> {
    let items: Vec<&Queued> = items.collect();
    let examine = format!("EXAMINE {}", quote(mailbox));
    let counts = link.call(|rt, c| {
        rt.block_on(async {
            use futures_util::StreamExt;
            c.command(&examine, |_| {}).await?;
            let mut counts = Vec::with_capacity(items.len());
            for q in &items {
                let header = keys::header(&q.body);
                let search =
                    match keys::field(header, b"message-id").map(|v| keys::message_id(&v)).filter(|v| !v.is_empty()) {
                        Some(id) if !id.contains(['"', '\\']) => format!("HEADER MESSAGE-ID \"{id}\""),
                        _ => format!("LARGER {} SMALLER {}", q.body.len().saturating_sub(1), q.body.len() + 1),
                    };
                let uids = c.session.uid_search(&search).await.map_err(|e| ImapError::from_async("UID SEARCH", e))?;
                let mut n = 0u32;
                if !uids.is_empty() {
                    let mut v: Vec<u32> = uids.into_iter().collect();
                    v.sort_unstable();
                    let set = crate::writer::uid_set(&v);
                    let mut s = c
                        .session
                        .uid_fetch(&set, "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT)])")
                        .await
                        .map_err(|e| ImapError::from_async("UID FETCH", e))?;
                    while let Some(f) = s.next().await {
                        let f = f.map_err(|e| ImapError::from_async("UID FETCH", e))?;
                        if Key::of(f.header().unwrap_or(b""), u64::from(f.size.unwrap_or(0))) == q.key {
                            n += 1;
                        }
                    }
                }
                counts.push(n);
            }
            Ok(counts)
        })
    })?;
    link.selected = None;
    Ok(items.iter().zip(counts).map(|(q, n)| n > q.have_before).collect())
}
