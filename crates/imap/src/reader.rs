//! Download: a [`StoreReader`] over a mailbox on a server, read-only.
//!
//! Mailboxes are opened with EXAMINE and messages fetched with
//! `BODY.PEEK[]`, so that nothing on the server changes (no `\Seen` set).
//! The converter's producer thread asks for each batch through
//! [`StoreReader::prefetch`]: one `UID FETCH` for the batch, kept in
//! memory until [`read`](StoreReader::read) takes each message, so that
//! rayon's threads never wait on the network. Listing a folder fetches
//! each message's size and Message-ID only, so that `--dedup` passes over
//! what the target holds without fetching it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_imap::types::Flag;
use futures_util::StreamExt;
use mailshift_core::{
    DedupKey, Error, Flags, Folder, FolderId, FolderKind, Item, ItemId, ItemMeta, MailInfo, MailItem, Result,
    StoreReader,
};

use crate::conn::{quote, Capabilities, Endpoint, Listed};
use crate::error::ImapError;
use crate::link::Link;
use crate::names::{role_of, Layout};
use crate::writer::uid_set;

/// A message fetched and not yet read.
struct Fetched {
    raw: Vec<u8>,
    flags: Flags,
    keywords: Vec<String>,
    received: Option<i64>,
}

struct Mailbox {
    folder: Folder,
    name: String,
    selectable: bool,
}

/// Reads an IMAP mailbox.
pub struct ImapReader {
    link: Mutex<Link>,
    path: PathBuf,
    caps: Capabilities,
    boxes: Vec<Mailbox>,
    uidvalidity: Mutex<HashMap<u64, u32>>,
    cache: Mutex<HashMap<ItemId, Fetched>>,
    keys: Mutex<HashMap<ItemId, DedupKey>>,
}

fn remote(store: &Path, e: ImapError) -> Error {
    Error::Remote { store: store.display().to_string(), reason: e.to_string() }
}

impl ImapReader {
    /// Connects, logs in and lists the mailboxes.
    pub fn open(ep: Endpoint, retries: u32) -> Result<ImapReader> {
        let path = PathBuf::from(ep.address.to_string());
        let prefix = ep.address.prefix.clone();
        let mut link = Link::new(ep, retries).map_err(|e| remote(&path, e))?;
        let listed: Vec<Listed> = link.call(|rt, c| rt.block_on(c.list())).map_err(|e| remote(&path, e))?;
        let caps = link.conn.as_ref().map(|c| c.caps.clone()).unwrap_or_default();
        let layout = Layout::from_list(&listed);
        let mut entries: Vec<(Vec<String>, &Listed)> = listed
            .iter()
            .filter(|l| !l.has("\\NonExistent"))
            .filter_map(|l| {
                let path = layout.decode(&l.name);
                if prefix.is_empty() {
                    return Some((path, l));
                }
                // Under a prefix: that mailbox and what is below it.
                let n = prefix.len();
                (path.len() >= n && path[..n].iter().zip(&prefix).all(|(a, b)| a == b)).then(|| (path[n..].to_vec(), l))
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut boxes: Vec<Mailbox> = Vec::new();
        let mut by_path: HashMap<Vec<String>, FolderId> = HashMap::new();
        for (i, (p, l)) in entries.iter().enumerate() {
            let id = FolderId(i as u64 + 1);
            let parent = if p.len() > 1 { by_path.get(&p[..p.len() - 1]).copied() } else { None };
            by_path.insert(p.clone(), id);
            let name = p.last().cloned().unwrap_or_default();
            boxes.push(Mailbox {
                folder: Folder {
                    id,
                    parent,
                    path: p.clone(),
                    name,
                    kind: FolderKind::Mail,
                    role: if p.is_empty() { mailshift_core::FolderRole::Inbox } else { role_of(l, &layout) },
                },
                name: l.name.clone(),
                selectable: !l.has("\\Noselect"),
            });
        }
        Ok(ImapReader {
            link: Mutex::new(link),
            path,
            caps,
            boxes,
            uidvalidity: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
        })
    }

    /// The server's capabilities, as it gave them after login.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// The storage quota of INBOX's quota root (GETQUOTAROOT, where the
    /// server has QUOTA): (root, bytes used, bytes allowed).
    pub fn quota(&self) -> Option<(String, u64, u64)> {
        if !self.caps.has("QUOTA") {
            return None;
        }
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        let (_, quotas) = link
            .call(|rt, c| {
                let t = c.timeout();
                rt.block_on(crate::conn::within(t, "GETQUOTAROOT", async {
                    c.session.get_quota_root("INBOX").await.map_err(|e| ImapError::from_async("GETQUOTAROOT", e))
                }))
            })
            .ok()?;
        quotas.into_iter().find_map(|q| {
            q.resources
                .iter()
                .find(|r| r.name == async_imap::types::QuotaResourceName::Storage)
                .map(|r| (q.root_name.clone(), r.usage.saturating_mul(1024), r.limit.saturating_mul(1024)))
        })
    }

    fn mailbox(&self, folder: u64) -> Option<&Mailbox> {
        self.boxes.iter().find(|b| b.folder.id.0 == folder)
    }

    /// EXAMINEs `name` (if it is not the one examined), checking that its
    /// UIDVALIDITY is still the one listed.
    fn examine(&self, link: &mut Link, folder: u64, name: &str) -> std::result::Result<u32, ImapError> {
        if link.selected.as_ref().is_some_and(|(n, _)| n == name) && link.conn.is_some() {
            return Ok(self.uidvalidity.lock().unwrap_or_else(|e| e.into_inner()).get(&folder).copied().unwrap_or(0));
        }
        let mut v = 0;
        let cmd = format!("EXAMINE {}", quote(name));
        link.call(|rt, c| {
            rt.block_on(c.command(&cmd, |r| {
                if let async_imap::imap_proto::Response::Data {
                    outcome:
                        async_imap::imap_proto::Outcome {
                            code: Some(async_imap::imap_proto::ResponseCode::UidValidity(u)),
                            ..
                        },
                    ..
                } = r
                {
                    v = *u;
                }
            }))
        })?;
        link.selected = Some((name.to_string(), true));
        let mut known = self.uidvalidity.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = known.insert(folder, v) {
            if old != v {
                return Err(ImapError::Protocol(format!("{name}: UIDVALIDITY changed during the run ({old} -> {v})")));
            }
        }
        Ok(v)
    }

    fn fetch(&self, ids: &[ItemMeta]) -> std::result::Result<(), ImapError> {
        let mut by_folder: Vec<(u64, Vec<u32>)> = Vec::new();
        for m in ids {
            let uid = m.id.1 as u32;
            match by_folder.last_mut() {
                Some((f, v)) if *f == m.id.0 => v.push(uid),
                _ => by_folder.push((m.id.0, vec![uid])),
            }
        }
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        for (folder, mut uids) in by_folder {
            let Some(mb) = self.mailbox(folder) else { continue };
            self.examine(&mut link, folder, &mb.name)?;
            uids.sort_unstable();
            uids.dedup();
            for chunk in uids.chunks(500) {
                let set = uid_set(chunk);
                let got = link.call(|rt, c| {
                    let t = c.timeout();
                    rt.block_on(crate::conn::within(t, "UID FETCH", async {
                        let mut out = Vec::new();
                        let mut s = c
                            .session
                            .uid_fetch(&set, "(UID FLAGS INTERNALDATE BODY.PEEK[])")
                            .await
                            .map_err(|e| ImapError::from_async("UID FETCH", e))?;
                        while let Some(f) = s.next().await {
                            let f = f.map_err(|e| ImapError::from_async("UID FETCH", e))?;
                            let Some(uid) = f.uid else { continue };
                            let mut flags = Flags::empty();
                            let mut keywords = Vec::new();
                            for fl in f.flags() {
                                match fl {
                                    Flag::Seen => flags |= Flags::SEEN,
                                    Flag::Answered => flags |= Flags::ANSWERED,
                                    Flag::Flagged => flags |= Flags::FLAGGED,
                                    Flag::Deleted => flags |= Flags::DELETED,
                                    Flag::Draft => flags |= Flags::DRAFT,
                                    Flag::Recent | Flag::MayCreate => {}
                                    Flag::Custom(k) if k.eq_ignore_ascii_case("$Forwarded") => {
                                        flags |= Flags::FORWARDED
                                    }
                                    Flag::Custom(k) => keywords.push(k.to_string()),
                                }
                            }
                            let raw = f.body().map(<[u8]>::to_vec).unwrap_or_default();
                            let received = f.internal_date().map(|d| d.timestamp());
                            out.push((uid, Fetched { raw, flags, keywords, received }));
                        }
                        Ok::<_, ImapError>(out)
                    }))
                })?;
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                for (uid, f) in got {
                    cache.insert(ItemId(folder, u64::from(uid)), f);
                }
            }
        }
        Ok(())
    }
}

impl StoreReader for ImapReader {
    fn format_name(&self) -> &'static str {
        "imap"
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn folders(&self) -> Result<Vec<Folder>> {
        Ok(self.boxes.iter().map(|b| b.folder.clone()).collect())
    }

    fn items(&self, folder: FolderId) -> Result<Vec<ItemMeta>> {
        let Some(mb) = self.mailbox(folder.0) else {
            return Err(Error::UnknownItem { path: self.path.clone(), id: format!("folder {}", folder.0) });
        };
        if !mb.selectable {
            return Ok(Vec::new());
        }
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        self.examine(&mut link, folder.0, &mb.name).map_err(|e| remote(&self.path, e))?;
        let listed = link
            .call(|rt, c| {
                let t = c.timeout();
                rt.block_on(crate::conn::within(t, "UID FETCH", async {
                    let mut out = Vec::new();
                    let mut s = c
                        .session
                        .uid_fetch("1:*", "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                        .await
                        .map_err(|e| ImapError::from_async("UID FETCH", e))?;
                    while let Some(f) = s.next().await {
                        let f = f.map_err(|e| ImapError::from_async("UID FETCH", e))?;
                        let Some(uid) = f.uid else { continue };
                        let id = MailInfo::parse(f.header().unwrap_or(b"")).message_id;
                        out.push((uid, f.size.map(u64::from), id));
                    }
                    Ok::<_, ImapError>(out)
                }))
            })
            .map_err(|e| remote(&self.path, e))?;
        drop(link);
        let mut listed = listed;
        listed.sort_by_key(|(uid, _, _)| *uid);
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(listed.len());
        for (uid, size, mid) in listed {
            let id = ItemId(folder.0, u64::from(uid));
            if let Some(mid) = mid {
                let info = MailInfo { message_id: Some(mid), ..MailInfo::default() };
                keys.insert(id, DedupKey::of_mail(&info, b""));
            }
            out.push(ItemMeta { id, size });
        }
        Ok(out)
    }

    fn prefetch(&self, items: &[ItemMeta]) {
        // A failure here is seen again, item by item, in read().
        let _ = self.fetch(items);
    }

    fn read(&self, id: ItemId) -> Result<Item<'_>> {
        let cached = self.cache.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        let f = match cached {
            Some(f) => f,
            None => {
                self.fetch(&[ItemMeta { id, size: None }]).map_err(|e| remote(&self.path, e))?;
                self.cache.lock().unwrap_or_else(|e| e.into_inner()).remove(&id).ok_or_else(|| Error::Remote {
                    store: self.path.display().to_string(),
                    reason: format!("{}: the server did not send it (expunged meanwhile?)", self.describe(id)),
                })?
            }
        };
        let mut m = MailItem::new(f.raw);
        m.flags = f.flags;
        m.keywords = f.keywords;
        m.received = f.received;
        Ok(Item::Mail(m))
    }

    fn dedup_key(&self, id: ItemId) -> Option<DedupKey> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner()).get(&id).copied()
    }

    fn describe(&self, id: ItemId) -> String {
        match self.mailbox(id.0) {
            Some(mb) => format!("{} UID {}", mb.name, id.1),
            None => format!("UID {}", id.1),
        }
    }

    fn facts(&self) -> Vec<(String, String)> {
        let mut out = vec![("capabilities".to_string(), self.caps.sorted().join(" "))];
        let link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        let s = link.stats;
        if s.reconnects > 0 {
            out.push(("reconnects".to_string(), s.reconnects.to_string()));
        }
        out
    }
}

impl Drop for ImapReader {
    fn drop(&mut self) {
        self.link.lock().unwrap_or_else(|e| e.into_inner()).close();
    }
}
