//! Upload: a [`StoreWriter`] that appends every message to a mailbox on a
//! server, and can be run again (or after a kill) without duplicating any.
//!
//! - Folders get the server's delimiter, its personal prefix and modified
//!   UTF-7 names; the inbox is INBOX; a source's Sent, Drafts, Trash, Junk
//!   and Archive go to the server's special-use mailboxes (RFC 6154), else
//!   to one of the usual names in several languages; `folder_map`
//!   overrides. Missing mailboxes are created and subscribed.
//! - APPEND carries the flags (keywords only where PERMANENTFLAGS takes
//!   them) and the received time as INTERNALDATE; LITERAL+ where offered;
//!   APPENDUID feeds the journal.
//! - Before a folder is written, the keys of what it holds are read
//!   (Message-ID, else Date, From, Subject and size: header fields only,
//!   and only for UIDs the journal does not know); the n-th copy of a key
//!   in the source is written only if the mailbox holds fewer than n.
//! - A dropped connection or a throttling server is retried on a new
//!   connection; before an APPEND is sent again, the mailbox is asked
//!   whether the first one landed. A full mailbox stops the run.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use mailshift_core::{
    Error, Flags, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, Prepared, Result, StoreWriter, Written,
};

use crate::conn::{quote, Conn, Endpoint};
use crate::error::ImapError;
use crate::journal::Journal;
use crate::keys::{self, Key};
use crate::link::{Link, LinkStats, Pace};
use crate::names::{special_mailboxes, Layout};
use crate::pool::{ErrorKind, Job, Pool, Queued};

/// At most this many bytes of messages are sent and not yet answered.
const MAX_IN_FLIGHT: u64 = 24 << 20;

/// How to upload.
#[derive(Debug, Clone)]
pub struct ImapWriteOptions {
    /// `SRC=DST` folder overrides: the source folder SRC (a `/`-joined
    /// path, case-insensitive; its subfolders follow) is written as DST
    /// (`/`-joined, `INBOX` for the inbox).
    pub folder_map: Vec<(String, String)>,
    /// The journal file; `None` for none (every run asks the server about
    /// every message).
    pub journal: Option<PathBuf>,
    /// Sync the journal after each confirmed APPEND.
    pub fsync: bool,
    /// Retries of a command after a lost connection or throttling.
    pub retries: u32,
    /// At most this many messages a second.
    pub max_messages_per_sec: Option<f64>,
    /// At most this many bytes a second.
    pub max_bytes_per_sec: Option<u64>,
    /// Upload connections besides the one that creates and scans folders.
    pub connections: usize,
    /// Messages per MULTIAPPEND batch, at most.
    pub batch_messages: usize,
    /// Bytes per batch, at most (a message larger than this goes alone).
    pub batch_bytes: u64,
    /// Write nothing (`convert --dry-run`): LIST, and EXAMINE and read
    /// what each existing mailbox holds as a real run would, but no
    /// CREATE, SUBSCRIBE or APPEND, and the journal is read, never
    /// written. A mailbox that does not exist yet holds nothing; a message
    /// that would be appended is counted as copied. Which keywords would
    /// be lost is judged by EXAMINE's PERMANENTFLAGS where it names any
    /// (a read-only mailbox may name none: then every keyword is taken).
    pub dry_run: bool,
}

impl Default for ImapWriteOptions {
    fn default() -> Self {
        ImapWriteOptions {
            folder_map: Vec::new(),
            journal: None,
            fsync: true,
            retries: 5,
            max_messages_per_sec: None,
            max_bytes_per_sec: None,
            connections: 3,
            batch_messages: 64,
            batch_bytes: 4 << 20,
            dry_run: false,
        }
    }
}

/// The folder being written.
struct Open {
    name: String,
    /// The name as people read it (decoded from modified UTF-7).
    shown: String,
    uidvalidity: u32,
    /// What the mailbox holds, by UID.
    uids: HashMap<u32, Key>,
    /// Copies of each key in the mailbox.
    have: HashMap<Key, u32>,
    /// Copies of each key written or passed over in this run, in this folder.
    seen: HashMap<Key, u32>,
    /// PERMANENTFLAGS: `\*` (any keyword) and the flags named.
    any_keyword: bool,
    permanent: HashSet<String>,
    before: usize,
}

/// Writes into an IMAP mailbox.
pub struct ImapWriter {
    link: Link,
    opts: ImapWriteOptions,
    layout: Layout,
    specials: HashMap<FolderRole, String>,
    mailboxes: HashSet<String>,
    names: HashMap<FolderId, String>,
    /// The roles of the source's top-level folders, by name.
    top_roles: HashMap<String, FolderRole>,
    cur: Option<Open>,
    journal: Option<Journal>,
    pace: Pace,
    notes: Vec<String>,
    /// (mailbox, count before, count after), per folder written.
    tallies: Vec<(String, usize, usize)>,
    target: String,
    pool: Option<Pool>,
    /// The batch being filled, and its bytes.
    batch: Vec<Queued>,
    batch_size: u64,
    /// Keys sent and not yet settled, with their copies in flight.
    inflight: HashMap<Key, u32>,
    /// Bytes sent and not yet settled.
    inflight_bytes: u64,
    /// Outcomes known, not yet handed to the converter.
    ready: Vec<(ItemId, Result<Written>)>,
    pool_stats: LinkStats,
}

fn remote(target: &str, e: ImapError) -> Error {
    if e.is_over_quota() {
        return Error::TargetFull { store: target.to_string(), reason: e.to_string() };
    }
    Error::Remote { store: target.to_string(), reason: e.to_string() }
}

impl ImapWriter {
    /// Connects and logs in (so that a wrong password or certificate
    /// stops the run before anything is read).
    pub fn connect(ep: Endpoint, opts: ImapWriteOptions) -> Result<ImapWriter> {
        let target = ep.address.to_string();
        let mut link = Link::new(ep, opts.retries).map_err(|e| remote(&target, e))?;
        link.connected().map_err(|e| remote(&target, e))?;
        let journal = match &opts.journal {
            Some(p) if opts.dry_run => Some(Journal::read_only(p)),
            Some(p) => Some(Journal::open(p, opts.fsync).map_err(|e| Error::io(p, e))?),
            None => None,
        };
        let pace = Pace::new(opts.max_messages_per_sec, opts.max_bytes_per_sec);
        Ok(ImapWriter {
            link,
            opts,
            layout: Layout { delimiter: Some('/'), prefix: String::new() },
            specials: HashMap::new(),
            mailboxes: HashSet::new(),
            names: HashMap::new(),
            top_roles: HashMap::new(),
            cur: None,
            journal,
            pace,
            notes: Vec::new(),
            tallies: Vec::new(),
            target,
            pool: None,
            batch: Vec::new(),
            batch_size: 0,
            inflight: HashMap::new(),
            inflight_bytes: 0,
            ready: Vec::new(),
            pool_stats: LinkStats::default(),
        })
    }

    /// Reconnects and waits so far, over every connection.
    pub fn link_stats(&self) -> LinkStats {
        let (a, b) = (self.link.stats, self.pool_stats);
        LinkStats { reconnects: a.reconnects + b.reconnects, waits: a.waits + b.waits, waited: a.waited + b.waited }
    }

    /// Sends the batch being filled to the upload connections.
    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let Some(name) = self.cur.as_ref().map(|o| o.name.clone()) else { return Ok(()) };
        // Memory stays bounded whatever the message sizes: no more than
        // MAX_IN_FLIGHT bytes sent and not yet answered (a batch larger
        // than that goes alone).
        while self.inflight_bytes > 0 && self.inflight_bytes + self.batch_size > MAX_IN_FLIGHT {
            if !self.collect_one() {
                break;
            }
        }
        let items = std::mem::take(&mut self.batch);
        self.inflight_bytes += self.batch_size;
        self.batch_size = 0;
        for q in &items {
            *self.inflight.entry(q.key).or_default() += 1;
        }
        let pool = match &mut self.pool {
            Some(p) => p,
            None => self.pool.insert(Pool::start(&self.link.ep, self.opts.connections, self.opts.retries)),
        };
        let job = Job { mailbox: name, items };
        if let Err(e) = pool.send(job) {
            return Err(Error::Remote { store: self.target.clone(), reason: e });
        }
        // Take what has come back meanwhile.
        self.collect(false);
        Ok(())
    }

    /// Waits for one job and takes its outcomes; false if none was out.
    fn collect_one(&mut self) -> bool {
        let Some(pool) = &mut self.pool else { return false };
        let Some(done) = pool.next(true) else { return false };
        self.take(done);
        true
    }

    /// Turns finished jobs into outcomes; with `wait`, all of them.
    fn collect(&mut self, wait: bool) {
        loop {
            let Some(pool) = &mut self.pool else { return };
            let Some(done) = pool.next(wait) else { return };
            self.take(done);
        }
    }

    fn take(&mut self, done: crate::pool::JobDone) {
        {
            self.pool_stats.reconnects += done.stats.reconnects;
            self.pool_stats.waits += done.stats.waits;
            self.pool_stats.waited += done.stats.waited;
            let mut journal_entries = Vec::new();
            for (q, result, kind) in done.items {
                self.inflight_bytes = self.inflight_bytes.saturating_sub(q.body.len() as u64);
                if let Some(n) = self.inflight.get_mut(&q.key) {
                    *n -= 1;
                    if *n == 0 {
                        self.inflight.remove(&q.key);
                    }
                }
                let size = q.body.len() as u64;
                let outcome = match result {
                    Ok(uid) => {
                        if let (Some(uid), Some(o)) = (uid, self.cur.as_mut()) {
                            o.uids.insert(uid, q.key);
                            journal_entries.push((uid, q.key));
                        }
                        Ok(Written { bytes: size, lost: q.lost, ..Written::default() })
                    }
                    Err(reason) => {
                        if let Some(o) = self.cur.as_mut() {
                            if let Some(n) = o.have.get_mut(&q.key) {
                                *n = n.saturating_sub(1);
                            }
                        }
                        Err(match kind {
                            ErrorKind::OverQuota => Error::TargetFull { store: self.target.clone(), reason },
                            ErrorKind::TooBig => Error::Unsupported { path: PathBuf::from(&self.target), reason },
                            _ => Error::Remote { store: self.target.clone(), reason },
                        })
                    }
                };
                self.ready.push((q.id, outcome));
            }
            if let (Some(j), Some(o)) = (&mut self.journal, self.cur.as_ref()) {
                if let Err(e) = j.record(&o.name, o.uidvalidity, &journal_entries) {
                    let note = format!("journal {}: {e}", j.path().display());
                    if !self.notes.contains(&note) {
                        self.notes.push(note);
                    }
                }
            }
        }
    }

    /// The server's name for a source folder.
    fn target_name(&self, f: &Folder) -> (String, Vec<String>) {
        let prefix = &self.link.ep.address.prefix;
        // --folder-map first: by path components, case-insensitively.
        for (src, dst) in &self.opts.folder_map {
            let from: Vec<&str> = src.split('/').filter(|p| !p.is_empty()).collect();
            let hit = !from.is_empty()
                && f.path.len() >= from.len()
                && from.iter().zip(&f.path).all(|(a, b)| a.to_lowercase() == b.to_lowercase());
            if hit {
                let mut path: Vec<String> = dst.split('/').filter(|p| !p.is_empty()).map(str::to_string).collect();
                path.extend(f.path[from.len()..].iter().cloned());
                return self.layout.encode(&with_prefix(prefix, path));
            }
        }
        let path: Vec<String> = match f.path.split_first() {
            None => vec!["INBOX".to_string()],
            Some((top, rest)) if prefix.is_empty() => {
                // A child follows its top-level folder.
                let top_role = if f.path.len() == 1 {
                    f.role
                } else {
                    self.top_roles.get(top).copied().unwrap_or(FolderRole::None)
                };
                let top_role = if top_role == FolderRole::None { FolderRole::guess(top) } else { top_role };
                match top_role {
                    FolderRole::Inbox => std::iter::once("INBOX".to_string()).chain(rest.iter().cloned()).collect(),
                    r => match self.specials.get(&r) {
                        Some(name) => {
                            let mut p = self.layout.decode(name);
                            p.extend(rest.iter().cloned());
                            p
                        }
                        None => f.path.clone(),
                    },
                }
            }
            Some(_) => f.path.clone(),
        };
        self.layout.encode(&with_prefix(prefix, path))
    }

    fn create(&mut self, name: &str) -> Result<()> {
        // Parents first, where the server has a hierarchy.
        let mut wanted = Vec::new();
        if let Some(d) = self.layout.delimiter {
            let mut at = 0;
            while let Some(i) = name[at..].find(d) {
                let parent = &name[..at + i];
                if !parent.is_empty() && parent.len() > self.layout.prefix.trim_end_matches(d).len() {
                    wanted.push(parent.to_string());
                }
                at += i + d.len_utf8();
            }
        }
        wanted.push(name.to_string());
        for mb in wanted {
            if self.mailboxes.contains(&mb) || mb.eq_ignore_ascii_case("INBOX") {
                continue;
            }
            let target = self.target.clone();
            let r = self.link.call(|rt, c| rt.block_on(c.command(&format!("CREATE {}", quote(&mb)), |_| {})));
            match r {
                Ok(()) => {}
                // Created meanwhile by someone else, or by our last run.
                Err(e) if e.code() == Some("ALREADYEXISTS") => {}
                Err(e) => return Err(remote(&target, e)),
            }
            let _ = self.link.call(|rt, c| rt.block_on(c.command(&format!("SUBSCRIBE {}", quote(&mb)), |_| {})));
            self.mailboxes.insert(mb);
        }
        Ok(())
    }

    /// UID SEARCH ALL, then the header fields of the UIDs not known yet.
    fn scan(&mut self) -> Result<()> {
        let target = self.target.clone();
        let Some(open) = self.cur.as_mut() else { return Ok(()) };
        let known: HashSet<u32> = open.uids.keys().copied().collect();
        let (uids, fresh) = self
            .link
            .call(|rt, c| {
                let t = c.timeout();
                rt.block_on(crate::conn::within(t, "UID SEARCH", scan(c, &known)))
            })
            .map_err(|e| remote(&target, e))?;
        open.uids.retain(|u, _| uids.contains(u));
        for (u, k) in &fresh {
            open.uids.insert(*u, *k);
        }
        open.have.clear();
        for k in open.uids.values() {
            *open.have.entry(*k).or_default() += 1;
        }
        if let Some(j) = &mut self.journal {
            if let Err(e) = j.record(&open.name, open.uidvalidity, &fresh) {
                self.notes.push(format!("journal {}: {e}", j.path().display()));
            }
        }
        Ok(())
    }
}

fn with_prefix(prefix: &[String], path: Vec<String>) -> Vec<String> {
    if prefix.is_empty() {
        return path;
    }
    // Under a prefix the inbox is one more folder.
    let path: Vec<String> =
        if path.first().is_some_and(|p| p == "INBOX") && path.len() == 1 { Vec::new() } else { path };
    prefix.iter().cloned().chain(path).collect()
}

async fn scan(c: &mut Conn, known: &HashSet<u32>) -> std::result::Result<(HashSet<u32>, Vec<(u32, Key)>), ImapError> {
    use futures_util::StreamExt;
    let uids: HashSet<u32> = c.session.uid_search("ALL").await.map_err(|e| ImapError::from_async("UID SEARCH", e))?;
    let mut missing: Vec<u32> = uids.iter().filter(|u| !known.contains(u)).copied().collect();
    missing.sort_unstable();
    let mut fresh = Vec::with_capacity(missing.len());
    for chunk in missing.chunks(500) {
        let set = uid_set(chunk);
        let mut stream = c
            .session
            .uid_fetch(&set, "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT)])")
            .await
            .map_err(|e| ImapError::from_async("UID FETCH", e))?;
        while let Some(f) = stream.next().await {
            let f = f.map_err(|e| ImapError::from_async("UID FETCH", e))?;
            let Some(uid) = f.uid else { continue };
            let key = Key::of(f.header().unwrap_or(b""), u64::from(f.size.unwrap_or(0)));
            fresh.push((uid, key));
        }
    }
    Ok((uids, fresh))
}

/// `1:5,7,9:10` from sorted UIDs.
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            end += 1;
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end > start {
            out.push_str(&format!("{start}:{end}"));
        } else {
            out.push_str(&start.to_string());
        }
        i += 1;
    }
    out
}

/// The flags of a message as APPEND takes them, what could not go, and the
/// keywords written under another name (an Outlook category with a space).
fn flag_list(flags: Flags, keywords: &[String], open: &Open) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut lost = Vec::new();
    let mut renamed = Vec::new();
    for (f, name) in [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DRAFT, "\\Draft"),
        (Flags::DELETED, "\\Deleted"),
    ] {
        if flags.contains(f) {
            out.push(name.to_string());
        }
    }
    let mut kws: Vec<String> = keywords.to_vec();
    if flags.contains(Flags::FORWARDED) {
        kws.push("$Forwarded".to_string());
    }
    for kw in kws {
        let atom = mailshift_core::mutf7::keyword_atom(&kw);
        if atom.is_empty() || atom.starts_with('\\') {
            lost.push(format!("keyword {kw:?} (no IMAP keyword can hold it)"));
            continue;
        }
        let allowed = open.any_keyword || open.permanent.iter().any(|p| p.eq_ignore_ascii_case(&atom));
        if !allowed {
            lost.push(format!("keyword {kw} (the server keeps no new keywords in {})", open.shown));
        } else if !out.iter().any(|o| o.eq_ignore_ascii_case(&atom)) {
            if atom != kw {
                renamed.push((kw, atom.clone()));
            }
            out.push(atom);
        }
    }
    (out, lost, renamed)
}

impl StoreWriter for ImapWriter {
    fn format_name(&self) -> &'static str {
        "imap"
    }

    fn accepts(&self, kind: FolderKind) -> bool {
        kind == FolderKind::Mail
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        let target = self.target.clone();
        let listed = self.link.call(|rt, c| rt.block_on(c.list())).map_err(|e| remote(&target, e))?;
        self.layout = Layout::from_list(&listed);
        self.specials = special_mailboxes(&listed, &self.layout);
        self.mailboxes = listed.iter().filter(|l| !l.has("\\NonExistent")).map(|l| l.name.clone()).collect();
        self.top_roles = folders
            .iter()
            .filter(|f| f.path.len() == 1 && f.role != FolderRole::None)
            .map(|f| (f.path[0].clone(), f.role))
            .collect();
        let mut taken: HashMap<String, String> = HashMap::new();
        for f in folders {
            let (name, notes) = self.target_name(f);
            for n in notes {
                if !self.notes.contains(&n) {
                    self.notes.push(n);
                }
            }
            if let Some(other) = taken.get(&name) {
                if *other != f.display_path() {
                    self.notes.push(format!("folders {other:?} and {:?} both written to {name}", f.display_path()));
                }
            } else {
                taken.insert(name.clone(), f.display_path());
            }
            self.names.insert(f.id, name);
        }
        Ok(())
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        let target = self.target.clone();
        let name = match self.names.get(&folder.id) {
            Some(n) => n.clone(),
            None => self.target_name(folder).0,
        };
        let dry = self.opts.dry_run;
        if dry && !self.mailboxes.contains(&name) && !name.eq_ignore_ascii_case("INBOX") {
            // Not there yet: a real run would create it empty.
            let shown = self.layout.decode(&name).join("/");
            self.cur = Some(Open {
                shown,
                name,
                uidvalidity: 0,
                uids: HashMap::new(),
                have: HashMap::new(),
                seen: HashMap::new(),
                any_keyword: true,
                permanent: HashSet::new(),
                before: 0,
            });
            return Ok(());
        }
        if !dry {
            self.create(&name)?;
        }
        // SELECT (not EXAMINE): its PERMANENTFLAGS say which keywords
        // stay. A dry run only looks: EXAMINE.
        let mut uidvalidity = 0u32;
        let mut permanent: Vec<String> = Vec::new();
        let cmd = format!("{} {}", if dry { "EXAMINE" } else { "SELECT" }, quote(&name));
        self.link
            .call(|rt, c| {
                rt.block_on(c.command(&cmd, |r| {
                    use async_imap::imap_proto::{Response, ResponseCode};
                    if let Response::Data { outcome, .. } = r {
                        match &outcome.code {
                            Some(ResponseCode::UidValidity(v)) => uidvalidity = *v,
                            Some(ResponseCode::PermanentFlags(f)) => {
                                permanent = f.iter().map(|s| s.to_string()).collect()
                            }
                            _ => {}
                        }
                    }
                }))
            })
            .map_err(|e| remote(&target, e))?;
        self.link.selected = Some((name.clone(), dry));
        let uids = match &mut self.journal {
            Some(j) => j.take(&name, uidvalidity),
            None => HashMap::new(),
        };
        let shown = self.layout.decode(&name).join("/");
        self.cur = Some(Open {
            shown,
            name,
            uidvalidity,
            uids,
            have: HashMap::new(),
            seen: HashMap::new(),
            any_keyword: permanent.iter().any(|p| p == "\\*") || (dry && permanent.is_empty()),
            permanent: permanent.into_iter().collect(),
            before: 0,
        });
        self.scan()?;
        if let Some(o) = self.cur.as_mut() {
            o.before = o.uids.len();
        }
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let Item::Mail(m) = &item.item else {
            return Err(Error::Unsupported {
                path: PathBuf::from(&self.target),
                reason: format!("an IMAP mailbox holds mail only, not {} items", item.item.kind().as_str()),
            });
        };
        let body = keys::crlf(&m.raw);
        let size = body.len() as u64;
        if let Some(limit) = self.link.conn.as_ref().and_then(|c| c.caps.append_limit()) {
            if size > limit {
                return Err(Error::Unsupported {
                    path: PathBuf::from(&self.target),
                    reason: format!("{size} bytes, over the server's APPENDLIMIT of {limit}"),
                });
            }
        }
        let key = Key::of(keys::header(&body), size);
        let Some(open) = self.cur.as_mut() else {
            return Err(Error::Invalid { what: "IMAP write", reason: "no folder open".into() });
        };
        let nth = {
            let n = open.seen.entry(key).or_default();
            *n += 1;
            *n
        };
        if open.have.get(&key).copied().unwrap_or(0) >= nth {
            // Counted as a duplicate, not listed one by one.
            return Ok(Written { duplicate: Some(String::new()), ..Written::default() });
        }
        let (flags, lost, renamed) = flag_list(m.flags, &m.keywords, open);
        for (kw, atom) in renamed {
            let note = format!("keyword {kw:?} written as {atom} (what an IMAP keyword can hold)");
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        let have_before = open.have.get(&key).copied().unwrap_or(0);
        // Counted now, taken back if the append fails.
        *open.have.entry(key).or_default() += 1;
        if self.opts.dry_run {
            return Ok(Written { bytes: size, lost, ..Written::default() });
        }
        let date = item.received().and_then(crate::conn::internal_date);
        // Two copies of one key are never in flight at once (the check
        // after a lost connection counts copies).
        if self.inflight.contains_key(&key) || self.batch.iter().any(|q| q.key == key) {
            self.flush()?;
            self.collect(true);
        }
        self.pace.wait(size);
        if !self.batch.is_empty()
            && (self.batch.len() >= self.opts.batch_messages.max(1) || self.batch_size + size > self.opts.batch_bytes)
        {
            self.flush()?;
        }
        self.batch.push(Queued { id: item.meta.id, body: body.into_owned(), flags, date, key, have_before, lost });
        self.batch_size += size;
        Ok(Written { pending: true, ..Written::default() })
    }

    fn settled(&mut self, wait: bool) -> Vec<(ItemId, Result<Written>)> {
        if wait {
            if let Err(e) = self.flush() {
                for q in std::mem::take(&mut self.batch) {
                    self.ready.push((q.id, Err(Error::Remote { store: self.target.clone(), reason: e.to_string() })));
                }
            }
            self.collect(true);
        } else {
            self.collect(false);
        }
        std::mem::take(&mut self.ready)
    }

    fn close_folder(&mut self) -> Result<()> {
        if let Some(o) = self.cur.take() {
            let after = o.have.values().map(|n| *n as usize).sum();
            self.tallies.push((o.shown, o.before, after));
        }
        self.link.selected = None;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(mut p) = self.pool.take() {
            p.close();
        }
        self.link.close();
        Ok(())
    }

    fn dry_run(&self) -> bool {
        self.opts.dry_run
    }

    fn notes(&self) -> Vec<String> {
        let mut out = self.notes.clone();
        for (name, before, after) in &self.tallies {
            out.push(if self.opts.dry_run {
                format!("mailbox {name}: {before} messages now, {after} after a real run")
            } else {
                format!("mailbox {name}: {before} messages before, {after} after")
            });
        }
        let s = self.link_stats();
        if s.reconnects > 0 || s.waits > 0 {
            out.push(format!(
                "{} reconnect{}, {} wait{} before a retry ({:.1} s in all)",
                s.reconnects,
                if s.reconnects == 1 { "" } else { "s" },
                s.waits,
                if s.waits == 1 { "" } else { "s" },
                s.waited.as_secs_f64()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uid_sets() {
        assert_eq!(super::uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(super::uid_set(&[4]), "4");
        assert_eq!(super::uid_set(&[]), "");
    }
}
