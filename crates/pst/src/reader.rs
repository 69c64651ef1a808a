//! [`PstReader`]: the [`StoreReader`] over a PST or OST file.
//!
//! - Folders are those under the IPM subtree (see [`crate::messaging`]);
//!   [`FolderId`] is the folder's NID. The IPM subtree itself is listed
//!   as the root folder (empty path) only when it holds items.
//! - Items are contents-table rows; [`ItemId`]`(nid, 0)`.
//! - Mail-like classes become [`Item::Mail`] built by [`crate::mime::build`].
//!   Contacts, distribution lists, appointments, tasks, sticky notes and
//!   journal entries become [`Item::Contact`], [`Item::DistList`],
//!   [`Item::Event`], [`Item::Task`], [`Item::Note`] and [`Item::Journal`]
//!   through [`crate::pim`].
//! - Per-item notes (what [`crate::mime::build`] could not carry, properties
//!   that could not be read) have no channel in [`StoreReader::read`]; the
//!   reader keeps them, keyed by NID, and [`StoreReader::problems`] returns
//!   them after the store's own problems and the folder walk's notes.
//! - With [`PstOptions::recover`], an extra top-level folder "Recovered"
//!   offers the messages no folder reaches: message nodes of the NBT that
//!   no contents table lists (`ItemId(nid, 0)`), and deleted message nodes
//!   rebuilt from free space by [`crate::ndb::recover`] (`ItemId(nid, k)`,
//!   `k` counting from 1 in [`Pst::recovered_nodes`](crate::Pst::recovered_nodes)
//!   order). A deleted older copy of a live message is such an item too.
//! - A damaged store (issue 11): listing the folders first walks the pages
//!   of both B-trees ([`crate::Pst::verify_trees`]); past a page that fails,
//!   the salvage scan ([`crate::ndb::salvage`]) stands in. Messages whose
//!   folder is lost are offered under `Recovered/<folder name>`
//!   ([`PstReader::salvaged_folders`]), messages whose node entry is lost
//!   back in their folder when a contents-table row matches them
//!   ([`PstReader::placed_lost`]), else under "Recovered/(node lost)"
//!   (`ItemId(lost_nid(k), bid)`); [`PstReader::salvage_counts`] says how
//!   many items only the salvage gave.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use mailshift_core::{
    Error, Flags, Folder, FolderId, FolderKind, FolderRole, Glance, Item, ItemId, ItemMeta, MailItem, Problem, Result,
    Severity, StoreReader,
};

use crate::ltp::prop::PropValue;
use crate::mapi::Message;
use crate::messaging::{msgflag, FolderTree, Store, NID_TYPE_NORMAL_MESSAGE};
use crate::ndb::header::Client;
use crate::{pim, tags, NodeRef};

/// The folder id of the "Recovered" folder: above every 32-bit NID.
pub const RECOVERED_FOLDER: FolderId = FolderId(1 << 32);

/// The first folder id of the folders under "Recovered" that hold
/// messages whose own folder is gone: `SALVAGED_FOLDER_BASE | parent NID`.
pub const SALVAGED_FOLDER_BASE: u64 = 2 << 32;

/// The folder id of "Recovered/(node lost)": messages found by their
/// property context alone ([`crate::Pst::lost_messages`]).
pub const LOST_FOLDER: FolderId = FolderId(3 << 32);

/// The name of that folder under "Recovered".
pub const LOST_FOLDER_NAME: &str = "(node lost)";

/// Messages of a damaged store whose folder the walk did not reach.
#[derive(Debug, Clone)]
pub struct SalvagedFolder {
    /// The NID their parent link names.
    pub parent: u32,
    /// That folder's display name from its own node, when it reads;
    /// else "folder 0x...".
    pub name: String,
    /// The messages, in NID order.
    pub nids: Vec<u32>,
}

/// How an item was read that a reader without salvage would not give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SalvagedHow {
    /// Its node came from the salvage scan, the NBT page listing it failing.
    Scan,
    /// Listed by its parent link, its folder's contents table failing.
    ParentLink,
    /// Its folder is lost: offered under `Recovered/<folder name>`.
    Recovered,
    /// Blocks of it fail their CRC and were read as they are.
    Crc,
    /// Its node entry is lost: found by its property context alone.
    Lost,
}

/// Items read only thanks to the salvage (issue 11), by how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalvageCounts {
    /// [`SalvagedHow::Scan`].
    pub scan: usize,
    /// [`SalvagedHow::ParentLink`].
    pub parent_link: usize,
    /// [`SalvagedHow::Recovered`].
    pub recovered: usize,
    /// [`SalvagedHow::Crc`].
    pub crc: usize,
    /// [`SalvagedHow::Lost`].
    pub lost: usize,
}

impl SalvageCounts {
    /// All of them.
    pub fn total(&self) -> usize {
        self.scan + self.parent_link + self.recovered + self.crc + self.lost
    }
}

/// Options of [`PstReader::open_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PstOptions {
    /// Also offer message nodes no folder lists, in a folder "Recovered".
    pub recover: bool,
}

/// Reads a PST or OST file.
pub struct PstReader {
    store: Store,
    opts: PstOptions,
    path: PathBuf,
    tree: OnceLock<std::result::Result<FolderTree, String>>,
    recovered: OnceLock<Vec<ItemId>>,
    /// Messages whose folder the walk did not reach, by that folder
    /// ([`PstReader::salvaged_folders`]).
    salvaged: OnceLock<Vec<SalvagedFolder>>,
    /// Items read only thanks to the salvage, by how ([`PstReader::salvage_counts`]).
    salvage_log: Mutex<BTreeMap<u32, SalvagedHow>>,
    /// Lost messages put back into their folders ([`PstReader::placed_lost`]).
    placed: OnceLock<std::collections::HashMap<u32, (usize, u32)>>,
    notes: Mutex<BTreeMap<u32, Vec<String>>>,
    /// The UIDs of the PIM items ([`pim::uid`]), made at the first one read.
    uids: OnceLock<pim::uid::StoreUids>,
}

impl std::fmt::Debug for PstReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PstReader").field("store", &self.store).field("opts", &self.opts).finish()
    }
}

/// The PIM item a message class becomes (`None` from [`classify`]: mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pim {
    Contact,
    DistList,
    Appointment,
    Task,
    Note,
    Journal,
}

/// Mail-like classes are everything but the PIM ones ([MS-OXCMSG]
/// 2.2.1.3; IPM.Note, IPM.Schedule.Meeting.*, IPM.Post, REPORT.*,
/// IPM.Outlook.Recall, IPM.TaskRequest.* ...): messages someone sent, which
/// MIME carries. Classes are case-insensitive and may carry a suffix.
fn classify(class: &str) -> Option<Pim> {
    let is = |p: &str| crate::mapi::class_is(class, p);
    // IPM.AbchPerson: the address book's person records (Outlook 2013+ "PersonMetadata").
    if is("ipm.contact") || is("ipm.abchperson") {
        Some(Pim::Contact)
    } else if is("ipm.distlist") {
        Some(Pim::DistList)
    } else if is("ipm.appointment") {
        Some(Pim::Appointment)
    } else if is("ipm.task") {
        Some(Pim::Task)
    } else if is("ipm.stickynote") {
        Some(Pim::Note)
    } else if is("ipm.activity") {
        Some(Pim::Journal)
    } else {
        None
    }
}

/// `IPM.Schedule.Meeting.Request` and `.Canceled` (with any suffix): the
/// meeting objects that hold a whole appointment ([MS-OXOCAL] 2.2.6.1).
fn is_meeting_request(class: &str) -> bool {
    ["ipm.schedule.meeting.request", "ipm.schedule.meeting.canceled"].iter().any(|p| crate::mapi::class_is(class, p))
}

impl PstReader {
    /// Opens `path` with default options.
    pub fn open(path: &Path) -> Result<PstReader> {
        PstReader::open_with(path, PstOptions::default())
    }

    /// Opens `path`.
    pub fn open_with(path: &Path, opts: PstOptions) -> Result<PstReader> {
        Ok(PstReader::from_store(Store::open(path)?, opts))
    }

    /// A reader over an already open store.
    pub fn from_store(store: Store, opts: PstOptions) -> PstReader {
        PstReader {
            path: store.pst().path().to_path_buf(),
            store,
            opts,
            tree: OnceLock::new(),
            recovered: OnceLock::new(),
            salvaged: OnceLock::new(),
            salvage_log: Mutex::new(BTreeMap::new()),
            placed: OnceLock::new(),
            notes: Mutex::new(BTreeMap::new()),
            uids: OnceLock::new(),
        }
    }

    /// True if `path` starts with the PST magic `!BDN` (MS-PST 2.2.2.6 `dwMagic`).
    pub fn probe(path: &Path) -> bool {
        use std::io::Read;
        let mut b = [0u8; 4];
        mailshift_core::fsio::open_source(path).and_then(|mut f| f.read_exact(&mut b)).is_ok() && &b == b"!BDN"
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The folder walk, done once.
    pub fn tree(&self) -> Result<&FolderTree> {
        let walk = || {
            // Damage anywhere in the B-trees is found before the folders
            // are listed, so that what it hides is listed with them.
            self.store.pst().verify_trees();
            self.store.folders().map_err(|e| e.to_string())
        };
        match self.tree.get_or_init(walk) {
            Ok(t) => Ok(t),
            Err(e) => Err(Error::Format {
                path: self.path.clone(),
                structure: "folder hierarchy",
                offset: 0,
                reason: e.clone(),
            }),
        }
    }

    /// True when the store is damaged in a way that can hide messages: a
    /// B-tree page failed (the salvage scan stands in), or a folder's
    /// hierarchy or contents table could not be read.
    pub fn damaged(&self) -> bool {
        self.store.pst().is_salvaged()
            || self.tree().is_ok_and(|t| t.notes.iter().any(|n| folder_note_severity(n) == Severity::Unreadable))
    }

    /// In a damaged store ([`PstReader::damaged`]), the messages whose
    /// parent link names a folder the walk did not reach (its parent's
    /// hierarchy table lost, or the folder's node itself), grouped by that
    /// folder: they are offered under `Recovered/<folder name>`. Empty for
    /// an undamaged store.
    pub fn salvaged_folders(&self) -> &[SalvagedFolder] {
        self.salvaged.get_or_init(|| {
            if !self.damaged() {
                return Vec::new();
            }
            let Ok(tree) = self.tree() else { return Vec::new() };
            let reached: HashSet<u32> = tree.all.iter().map(|f| f.nid).collect();
            let pst = self.store.pst();
            let mut by_parent: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
            for n in pst.all_nodes().unwrap_or_default() {
                let Some(parent) = n.nid_parent else { continue };
                if n.nid & 0x1F == NID_TYPE_NORMAL_MESSAGE && !reached.contains(&parent) {
                    by_parent.entry(parent).or_default().push(n.nid);
                }
            }
            let mut out: Vec<SalvagedFolder> = Vec::new();
            for (parent, nids) in by_parent {
                let name = pst
                    .node(parent)
                    .ok()
                    .flatten()
                    .and_then(|n| pst.property_context(&n).ok()?.string(tags::DISPLAY_NAME).ok().flatten())
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && !s.contains('/'))
                    .unwrap_or_else(|| format!("folder {parent:#x}"));
                let name = if out.iter().any(|f| f.name == name) { format!("{name} ({parent:#x})") } else { name };
                out.push(SalvagedFolder { parent, name, nids });
            }
            out
        })
    }

    /// True if `id` is a contents-table row read through [`PstReader::placed_lost`].
    fn is_placed(&self, id: ItemId) -> bool {
        id.1 == 0
            && u32::try_from(id.0).is_ok_and(|n| {
                self.placed.get().is_some_and(|m| m.contains_key(&n)) && matches!(self.store.pst().node(n), Ok(None))
            })
    }

    /// Lost messages ([`crate::Pst::lost_messages`]) put back where they
    /// belong: a contents-table row whose message node is gone, matched to
    /// the one lost property context with the same subject, delivery (or
    /// submit) time and size. By row NID: (index among the lost, folder).
    pub fn placed_lost(&self) -> &std::collections::HashMap<u32, (usize, u32)> {
        self.placed.get_or_init(|| {
            let pst = self.store.pst();
            let lost = pst.lost_messages();
            let mut out = std::collections::HashMap::new();
            let Ok(tree) = self.tree() else { return out };
            if lost.is_empty() {
                return out;
            }
            let tags = [tags::SUBJECT, tags::MESSAGE_DELIVERY_TIME, tags::CLIENT_SUBMIT_TIME, tags::MESSAGE_SIZE];
            let mut by_key: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
            for (k, l) in lost.iter().enumerate() {
                let node = NodeRef { nid: crate::lost_nid(k), bid_data: l.bid_data, bid_sub: 0, nid_parent: None };
                let Ok(pc) = pst.property_context(&node) else { continue };
                let key: Vec<String> = tags.iter().map(|&t| format!("{:?}", pc.get(t).ok().flatten())).collect();
                by_key.entry(key.join("\u{1}")).or_default().push(k);
            }
            let mut taken: HashSet<usize> = HashSet::new();
            for f in &tree.all {
                let ct = pst.node(crate::nid_with_type(f.nid, crate::NID_TYPE_CONTENTS_TABLE));
                let Some(tc) = ct.ok().flatten().and_then(|n| pst.table_context(&n).ok()) else { continue };
                for i in 0..tc.row_count() {
                    let Some(nid) = tc.row_id(i) else { continue };
                    if !matches!(pst.node(nid), Ok(None)) {
                        continue;
                    }
                    let key: Vec<String> = tags.iter().map(|&t| format!("{:?}", tc.get(i, t).ok().flatten())).collect();
                    if let Some([k]) = by_key.get(&key.join("\u{1}")).map(Vec::as_slice) {
                        if taken.insert(*k) {
                            out.insert(nid, (*k, f.nid));
                        }
                    }
                }
            }
            out
        })
    }

    /// Notes how item `nid`, just read with `notes`, owes itself to the
    /// salvage, if it does (the first reason that applies).
    fn log_salvage(&self, nid: u32, notes: &[String]) {
        let pst = self.store.pst();
        let how = if notes.first().is_some_and(|n| n.starts_with(LOST_NOTE)) {
            Some(SalvagedHow::Lost)
        } else if notes.first().is_some_and(|n| n.contains("fail their CRC and were read as they are")) {
            Some(SalvagedHow::Crc)
        } else if self.salvaged.get().is_some_and(|l| l.iter().any(|f| f.nids.contains(&nid))) {
            Some(SalvagedHow::Recovered)
        } else if self.store.is_linked(nid) {
            Some(SalvagedHow::ParentLink)
        } else if pst.salvaged_node(nid) {
            Some(SalvagedHow::Scan)
        } else {
            None
        };
        if let (Some(how), Ok(mut log)) = (how, self.salvage_log.lock()) {
            log.insert(nid, how);
        }
    }

    /// The items read so far that only the salvage gave (issue 11), by how;
    /// each counted once, by the first of crc, recovered, parent link, scan.
    pub fn salvage_counts(&self) -> SalvageCounts {
        let mut c = SalvageCounts::default();
        if let Ok(log) = self.salvage_log.lock() {
            for how in log.values() {
                match how {
                    SalvagedHow::Scan => c.scan += 1,
                    SalvagedHow::ParentLink => c.parent_link += 1,
                    SalvagedHow::Recovered => c.recovered += 1,
                    SalvagedHow::Crc => c.crc += 1,
                    SalvagedHow::Lost => c.lost += 1,
                }
            }
        }
        c
    }

    /// The items of the "Recovered" folder: message nodes (NID type 0x04)
    /// of the NBT that no folder's contents table lists, in NID order
    /// (`ItemId(nid, 0)`), then deleted message nodes rebuilt from free
    /// space (`ItemId(nid, k)`, see the module notes). Walks the whole NBT,
    /// every contents table and the file's free space once.
    pub fn recovered_items(&self) -> Result<Vec<ItemId>> {
        if let Some(r) = self.recovered.get() {
            return Ok(r.clone());
        }
        let tree = self.tree()?;
        let mut listed: HashSet<u32> = HashSet::new();
        for f in &tree.all {
            if let Ok(rows) = self.store.contents(f.nid) {
                listed.extend(rows.iter().map(|r| r.nid));
            }
        }
        if let Ok(rows) = self.store.contents(crate::NID_ROOT_FOLDER) {
            listed.extend(rows.iter().map(|r| r.nid));
        }
        for f in self.salvaged_folders() {
            listed.extend(f.nids.iter().copied());
        }
        let mut items: Vec<ItemId> = self
            .store
            .pst()
            .all_nodes()?
            .into_iter()
            .filter(|n| n.nid & 0x1F == NID_TYPE_NORMAL_MESSAGE && !listed.contains(&n.nid))
            .map(|n| ItemId(u64::from(n.nid), 0))
            .collect();
        items.extend(
            self.store
                .pst()
                .recovered_nodes()
                .iter()
                .enumerate()
                .filter(|(_, n)| n.nid & 0x1F == NID_TYPE_NORMAL_MESSAGE)
                .map(|(k, n)| ItemId(u64::from(n.nid), k as u64 + 1)),
        );
        Ok(self.recovered.get_or_init(|| items).clone())
    }

    /// The node behind an item id: the NBT's for `(nid, 0)`, the recovered
    /// one for `(nid, k)`.
    fn node_of(&self, id: ItemId) -> Result<Option<NodeRef>> {
        let Ok(nid) = u32::try_from(id.0) else {
            return Ok(None);
        };
        if id.1 == 0 {
            return Ok(match self.store.pst().node(nid)? {
                Some(n) => Some(n),
                None => self.placed_lost().get(&nid).map(|&(k, folder)| {
                    let l = self.store.pst().lost_messages()[k];
                    NodeRef { nid, bid_data: l.bid_data, bid_sub: l.bid_sub, nid_parent: Some(folder) }
                }),
            });
        }
        if let Some(bid) = lost_bid(id) {
            let lost = self.store.pst().lost_messages();
            let known = lost.binary_search_by_key(&bid, |l| l.bid_data).ok();
            return Ok(known.filter(|&k| crate::lost_nid(k) == nid).map(|k| NodeRef {
                nid,
                bid_data: bid,
                bid_sub: lost[k].bid_sub,
                nid_parent: None,
            }));
        }
        let k = usize::try_from(id.1 - 1).unwrap_or(usize::MAX);
        Ok(self.store.pst().recovery().nodes.get(k).filter(|n| n.nid == nid).map(|e| NodeRef {
            nid: e.nid,
            bid_data: e.bid_data,
            bid_sub: e.bid_sub,
            nid_parent: Some(e.nid_parent),
        }))
    }

    /// The UIDs this reader gives the store's PIM items, by the rule of
    /// [`pim::uid`]: made once, at the first call, from every PIM item the
    /// folders (and, with [`PstOptions::recover`], the "Recovered" folder)
    /// list, each read for its class and PidTagSearchKey. Items the
    /// folders do not list get [`pim::uid::item_uid`].
    pub fn pim_uids(&self) -> &pim::uid::StoreUids {
        self.uids.get_or_init(|| {
            let key = pim::contact::store_record_key(&self.store).unwrap_or_default();
            let mut placed = Vec::new();
            for f in self.folders().unwrap_or_default() {
                for (position, m) in self.items(f.id).unwrap_or_default().into_iter().enumerate() {
                    // Rebuilt deleted copies keep their own UIDs (pim_item);
                    // messages found without their node are placed as read.
                    if m.id.1 != 0 && lost_bid(m.id).is_none() {
                        continue;
                    }
                    let Ok(nid) = u32::try_from(m.id.0) else { continue };
                    let Some((class, parent, search_key)) =
                        self.node_of(m.id).ok().flatten().and_then(|n| self.class_and_search_key_at(n))
                    else {
                        continue;
                    };
                    if self.pim_kind(&class, parent).is_some() {
                        placed.push(pim::uid::Placed { folder: f.path.clone(), position, nid, search_key });
                    }
                }
            }
            pim::uid::StoreUids::new(key, placed)
        })
    }

    /// The message class, parent folder and PidTagSearchKey of message
    /// `nid`, from its property context alone.
    fn class_and_search_key(&self, nid: u32) -> Option<(String, Option<u32>, Option<Vec<u8>>)> {
        self.class_and_search_key_at(self.store.pst().node(nid).ok()??)
    }

    /// [`PstReader::class_and_search_key`] of a node already found.
    fn class_and_search_key_at(&self, node: NodeRef) -> Option<(String, Option<u32>, Option<Vec<u8>>)> {
        let pc = self.store.pst().property_context(&node).ok()?;
        let class = pc.string(tags::MESSAGE_CLASS).ok().flatten().unwrap_or_default();
        let key = pc.get(tags::SEARCH_KEY).ok().flatten().and_then(PropValue::into_bytes).filter(|b| !b.is_empty());
        Some((class, node.nid_parent, key.map(|b| b.into_owned())))
    }

    /// The UID a list member naming `nid` in the store `store_uid` points
    /// at: the UID of the listed item; for an unlisted message of this
    /// store, the UID its search key gives (else [`pim::uid::item_uid`]).
    fn member_uid(&self, store_uid: &[u8], nid: u32) -> String {
        let uids = self.pim_uids();
        if store_uid != uids.store_identity() || uids.get(nid).is_some() {
            return uids.member_uid(store_uid, nid);
        }
        match self.class_and_search_key(nid).and_then(|(_, _, k)| k) {
            Some(k) => pim::uid::identity_uid(&k, 0),
            None => uids.uid(nid),
        }
    }

    /// A contact, list, event, task, note or journal entry, with the UID of
    /// [`PstReader::pim_uids`] (an event's Global Object ID first, see
    /// [`pim::appointment::event`]): the same in every export of the store
    /// and of a copy of it, list members pointing at their contacts. A
    /// recovered deleted copy (`id.1 > 0`) gets its own, from the store's
    /// record key, its place among the recovered nodes and its NID.
    fn pim_item(&self, msg: &Message, id: ItemId, kind: Pim) -> Item<'static> {
        let uids = self.pim_uids();
        let uid = if id.1 == 0 || lost_bid(id).is_some() {
            uids.uid(msg.nid)
        } else {
            let mut k = uids.store_identity().to_vec();
            k.extend_from_slice(&id.1.to_le_bytes());
            pim::uid::item_uid(&k, msg.nid)
        };
        match kind {
            Pim::Contact => Item::Contact(Box::new(pim::contact::contact(msg, uid))),
            Pim::DistList => {
                Item::DistList(Box::new(pim::contact::dist_list_with(msg, uid, &|s, n| self.member_uid(s, n))))
            }
            Pim::Appointment => Item::Event(Box::new(pim::appointment::event(msg, uid))),
            Pim::Task => Item::Task(Box::new(pim::task::task(msg, uid))),
            Pim::Note => Item::Note(Box::new(pim::task::note(msg, uid))),
            Pim::Journal => Item::Journal(Box::new(pim::task::journal(msg, uid))),
        }
    }

    /// The PIM item a message of `class` in folder `parent` becomes, `None`
    /// for mail.
    /// The kind of an item of `class` in folder `parent`.
    fn kind_of(&self, class: &str, parent: Option<u32>) -> FolderKind {
        match self.pim_kind(class, parent) {
            None => FolderKind::Mail,
            Some(Pim::Contact | Pim::DistList) => FolderKind::Contacts,
            Some(Pim::Appointment) => FolderKind::Calendar,
            Some(Pim::Task) => FolderKind::Tasks,
            Some(Pim::Note) => FolderKind::Notes,
            Some(Pim::Journal) => FolderKind::Journal,
        }
    }

    fn pim_kind(&self, class: &str, parent: Option<u32>) -> Option<Pim> {
        classify(class).or_else(|| {
            // A meeting request filed in a calendar stands for the meeting:
            // it carries the appointment's properties ([MS-OXOCAL] 2.2.6.1)
            // and belongs in the .ics with the rest. In the Inbox it is mail.
            let in_calendar = || {
                parent.and_then(|p| self.tree().ok()?.get(p).map(|f| f.kind)).is_some_and(|k| k == FolderKind::Calendar)
            };
            (is_meeting_request(class) && in_calendar()).then_some(Pim::Appointment)
        })
    }

    fn note(&self, nid: u32, notes: Vec<String>) {
        if notes.is_empty() {
            return;
        }
        if let Ok(mut m) = self.notes.lock() {
            m.insert(nid, notes);
        }
    }

    fn mail(&self, msg: &Message) -> (Flags, Vec<String>, Option<i64>) {
        let p = &msg.props;
        let mut flags = Flags::empty();
        let mf = p.int(tags::MESSAGE_FLAGS).unwrap_or(0);
        flags.set(Flags::SEEN, mf & msgflag::READ != 0);
        flags.set(Flags::DRAFT, mf & msgflag::UNSENT != 0);
        // PidTagFlagStatus: followupFlagged = 2 ([MS-OXOFLAG] 2.2.1.1).
        flags.set(Flags::FLAGGED, p.int(tags::FLAG_STATUS) == Some(2));
        // PidTagLastVerbExecuted ([MS-OXOMSG] 2.2.1.56): 102 reply to
        // sender, 103 reply to all, 104 forward.
        match p.int(tags::LAST_VERB_EXECUTED) {
            Some(102 | 103) => flags |= Flags::ANSWERED,
            Some(104) => flags |= Flags::FORWARDED,
            _ => match p.int(tags::ICON_INDEX) {
                // PidTagIconIndex 0x105 replied, 0x106 forwarded ([MS-OXOMSG] 2.2.1.10).
                Some(261) => flags |= Flags::ANSWERED,
                Some(262) => flags |= Flags::FORWARDED,
                _ => {}
            },
        }
        let keywords = match p.name(tags::name::KEYWORDS) {
            Some(PropValue::MvUnicode(v)) => v.iter().filter(|s| !s.is_empty()).cloned().collect(),
            Some(PropValue::Unicode(s)) if !s.is_empty() => vec![s.clone()],
            _ => Vec::new(),
        };
        let received = p
            .time(tags::MESSAGE_DELIVERY_TIME)
            .or_else(|| p.time(tags::CLIENT_SUBMIT_TIME))
            .or_else(|| p.time(tags::CREATION_TIME));
        (flags, keywords, received)
    }
}

impl StoreReader for PstReader {
    fn format_name(&self) -> &'static str {
        match self.store.pst().header().client {
            Client::Ost => "ost",
            _ => "pst",
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn folders(&self) -> Result<Vec<Folder>> {
        let tree = self.tree()?;
        let mut out = Vec::new();
        let ipm = tree.ipm_subtree;
        if let Some(root) = tree.get(ipm).filter(|r| r.content_count > 0) {
            out.push(Folder {
                id: FolderId(u64::from(root.nid)),
                parent: None,
                path: Vec::new(),
                name: self.store.display_name().unwrap_or("").to_string(),
                kind: FolderKind::Mail,
                role: FolderRole::None,
            });
        }
        for f in tree.visible() {
            out.push(Folder {
                id: FolderId(u64::from(f.nid)),
                parent: f.parent.filter(|p| *p != ipm).map(|p| FolderId(u64::from(p))),
                path: f.path.clone(),
                name: f.path.last().cloned().unwrap_or_default(),
                kind: f.kind,
                role: f.role,
            });
        }
        let salvaged = self.salvaged_folders();
        let lost = self.store.pst().lost_messages().len() > self.placed_lost().len();
        if (self.opts.recover && !self.recovered_items()?.is_empty()) || !salvaged.is_empty() || lost {
            let mut name = "Recovered".to_string();
            while out.iter().any(|f| f.path.len() == 1 && f.path[0] == name) {
                name.push('_');
            }
            out.push(Folder {
                id: RECOVERED_FOLDER,
                parent: None,
                path: vec![name.clone()],
                name: name.clone(),
                kind: FolderKind::Mail,
                role: FolderRole::None,
            });
            if lost {
                out.push(Folder {
                    id: LOST_FOLDER,
                    parent: Some(RECOVERED_FOLDER),
                    path: vec![name.clone(), LOST_FOLDER_NAME.to_string()],
                    name: LOST_FOLDER_NAME.to_string(),
                    kind: FolderKind::Mail,
                    role: FolderRole::None,
                });
            }
            for f in salvaged {
                out.push(Folder {
                    id: FolderId(SALVAGED_FOLDER_BASE | u64::from(f.parent)),
                    parent: Some(RECOVERED_FOLDER),
                    path: vec![name.clone(), f.name.clone()],
                    name: f.name.clone(),
                    kind: FolderKind::Mail,
                    role: FolderRole::None,
                });
            }
        }
        Ok(out)
    }

    fn items(&self, folder: FolderId) -> Result<Vec<ItemMeta>> {
        if folder == RECOVERED_FOLDER {
            if !self.opts.recover {
                return Ok(Vec::new());
            }
            return Ok(self.recovered_items()?.into_iter().map(|id| ItemMeta { id, size: None }).collect());
        }
        if folder == LOST_FOLDER {
            let lost = self.store.pst().lost_messages();
            let placed: HashSet<usize> = self.placed_lost().values().map(|p| p.0).collect();
            return Ok(lost
                .iter()
                .enumerate()
                .filter(|(k, _)| !placed.contains(k))
                .map(|(k, l)| ItemMeta { id: ItemId(u64::from(crate::lost_nid(k)), l.bid_data), size: None })
                .collect());
        }
        if folder.0 & !0xFFFF_FFFF == SALVAGED_FOLDER_BASE {
            let parent = (folder.0 & 0xFFFF_FFFF) as u32;
            if let Some(f) = self.salvaged_folders().iter().find(|f| f.parent == parent) {
                return Ok(f.nids.iter().map(|&n| ItemMeta { id: ItemId(u64::from(n), 0), size: None }).collect());
            }
        }
        let tree = self.tree()?;
        let known = u32::try_from(folder.0).ok().and_then(|n| tree.get(n)).filter(|f| f.in_ipm_subtree);
        let Some(f) = known else {
            return Err(Error::Invalid {
                what: "folder id",
                reason: format!("{} has no folder {}", self.path.display(), folder.0),
            });
        };
        Ok(self
            .store
            .contents(f.nid)?
            .into_iter()
            .map(|r| ItemMeta { id: ItemId(u64::from(r.nid), 0), size: r.size })
            .collect())
    }

    fn read(&self, id: ItemId) -> Result<Item<'_>> {
        let node = self.node_of(id)?.ok_or_else(|| Error::UnknownItem {
            path: self.path.clone(),
            id: if id.1 == 0 { format!("message NID {:#x}", id.0) } else { format!("{id:?}") },
        })?;
        let nid = node.nid;
        let parent = node.nid_parent;
        let (msg, mut notes) = self.store.message_at(node)?;
        if lost_bid(id).is_some() || self.is_placed(id) {
            notes.insert(0, lost_note(node.bid_sub != 0));
        }
        if id.1 == 0 || lost_bid(id).is_some() {
            self.log_salvage(nid, &notes);
        }
        if let Some(kind) = self.pim_kind(msg.class(), parent) {
            self.note(nid, notes);
            return Ok(self.pim_item(&msg, id, kind));
        }
        let built = crate::mime::build(&msg);
        notes.extend(built.notes);
        self.note(nid, notes);
        let (flags, keywords, received) = self.mail(&msg);
        let mut item = MailItem::new(built.bytes);
        item.flags = flags;
        item.keywords = keywords;
        item.received = received;
        Ok(Item::Mail(item))
    }

    fn release_memory(&self) {
        self.store.pst().release_memory();
    }

    fn facts(&self) -> Vec<(String, String)> {
        use crate::ndb::crypt::CryptMethod;
        use crate::ndb::header::Format;
        let h = self.store.pst().header();
        let layout = match h.format {
            Format::Ansi => "ANSI (32-bit, 512-byte pages)",
            Format::Unicode => "Unicode (64-bit, 512-byte pages)",
            Format::Unicode4k => "Unicode 4K (Outlook 2013+ OST: 4 KiB pages, zlib blocks)",
        };
        let crypt = match h.crypt_method {
            CryptMethod::None => "none",
            CryptMethod::Permute => "permute (NDB_CRYPT_PERMUTE)",
            CryptMethod::Cyclic => "cyclic (NDB_CRYPT_CYCLIC)",
        };
        let mut facts = vec![
            ("store".to_string(), if h.client == Client::Ost { "OST" } else { "PST" }.to_string()),
            ("version".to_string(), format!("{layout}, wVer {}", h.w_ver)),
            ("encryption".to_string(), crypt.to_string()),
        ];
        if let Some(name) = self.store.display_name().filter(|n| !n.is_empty()) {
            facts.push(("display name".to_string(), name.to_string()));
        }
        facts
    }

    fn read_mapi(&self, id: ItemId) -> Result<crate::mapi::Message> {
        let node = self.node_of(id)?.ok_or_else(|| Error::UnknownItem {
            path: self.path.clone(),
            id: if id.1 == 0 { format!("message NID {:#x}", id.0) } else { format!("{id:?}") },
        })?;
        let nid = node.nid;
        let (msg, mut notes) = self.store.message_at(node)?;
        if lost_bid(id).is_some() || self.is_placed(id) {
            notes.insert(0, lost_note(node.bid_sub != 0));
        }
        if id.1 == 0 || lost_bid(id).is_some() {
            self.log_salvage(nid, &notes);
        }
        self.note(nid, notes);
        Ok(msg)
    }

    fn associated_items(&self, folder: FolderId) -> Result<Vec<ItemMeta>> {
        if folder == RECOVERED_FOLDER {
            return Ok(Vec::new());
        }
        let Ok(nid) = u32::try_from(folder.0) else {
            return Ok(Vec::new());
        };
        Ok(self
            .store
            .associated_contents(nid)?
            .into_iter()
            .map(|r| ItemMeta { id: ItemId(u64::from(r.nid), 0), size: r.size })
            .collect())
    }

    fn folder_mapi(&self, folder: FolderId) -> Option<crate::mapi::PropBag> {
        let nid = u32::try_from(folder.0).ok()?;
        let node = self.store.pst().node(nid).ok()??;
        self.store.property_bag(&node).ok()
    }

    fn store_mapi(&self) -> Option<crate::mapi::PropBag> {
        let node = self.store.pst().node(crate::NID_MESSAGE_STORE).ok()??;
        self.store.property_bag(&node).ok()
    }

    fn item_class(&self, id: ItemId) -> Option<String> {
        // PidTagMessageClass from the message's own property context: one
        // node read, no recipients, attachments or body.
        let node = self.node_of(id).ok()??;
        let pst = self.store.pst();
        pst.property_context(&node).ok()?.string(tags::MESSAGE_CLASS).ok()?
    }

    fn item_kind(&self, id: ItemId) -> Option<FolderKind> {
        let node = self.node_of(id).ok()??;
        let class = self.store.pst().property_context(&node).ok()?.string(tags::MESSAGE_CLASS).ok()??;
        Some(self.kind_of(&class, node.nid_parent))
    }

    fn item_glance(&self, id: ItemId) -> Option<Glance> {
        // Items found by salvage are read whole (what their read notes).
        if id.1 != 0 || lost_bid(id).is_some() || self.is_placed(id) {
            return None;
        }
        let node = self.node_of(id).ok()??;
        let pc = self.store.pst().property_context(&node).ok()?;
        let class = pc.string(tags::MESSAGE_CLASS).ok()?;
        let kind = class.as_deref().map(|c| self.kind_of(c, node.nid_parent));
        let int = |id: u16| pc.get(id).ok().flatten().and_then(|v| v.as_i64());
        let size = int(tags::MESSAGE_SIZE).and_then(|s| u64::try_from(s).ok());
        let header = pc.string(tags::TRANSPORT_MESSAGE_HEADERS).ok().flatten().filter(|h| h.contains(':'));
        let date = header.and_then(|h| mailshift_core::prepare::header_date(h.as_bytes())).or_else(|| {
            [tags::CLIENT_SUBMIT_TIME, tags::MESSAGE_DELIVERY_TIME, tags::LAST_MODIFICATION_TIME, tags::CREATION_TIME]
                .iter()
                .find_map(|&id| match pc.get(id).ok().flatten()? {
                    PropValue::Time(ft) => mailshift_core::mapi::filetime_to_unix(ft),
                    _ => None,
                })
        });
        Some(Glance { class, kind, size, date })
    }

    fn describe(&self, id: ItemId) -> String {
        let Ok(nid) = u32::try_from(id.0) else {
            return format!("item {id:?}");
        };
        let subject = self
            .node_of(id)
            .ok()
            .flatten()
            .and_then(|n| self.store.pst().property_context(&n).ok())
            .and_then(|pc| pc.string(tags::SUBJECT).ok().flatten());
        let what = if id.1 == 0 {
            "message"
        } else if lost_bid(id).is_some() {
            "message found without its node"
        } else {
            "recovered deleted message"
        };
        match subject {
            Some(s) if !s.is_empty() => format!("{what} NID {nid:#x} ({})", s.trim_start_matches(|c: char| c < ' ')),
            _ => format!("{what} NID {nid:#x}"),
        }
    }

    fn salvaged(&self, id: ItemId) -> bool {
        if self.salvage_log.lock().map_or(true, |l| l.is_empty()) {
            return false;
        }
        let Ok(Some(node)) = self.node_of(id) else { return false };
        self.salvage_log.lock().is_ok_and(|l| l.contains_key(&node.nid))
    }

    fn problems(&self) -> Vec<Problem> {
        let path = self.path.display().to_string();
        let mut out: Vec<Problem> = self.store.pst().problems().to_vec();
        out.extend(self.store.pst().salvage_problems());
        let p = |severity: Severity, structure: &str, message: String| Problem {
            severity,
            path: path.clone(),
            structure: structure.into(),
            offset: None,
            message,
        };
        for s in self.store.problems() {
            out.push(p(Severity::Damaged, "message store", s));
        }
        if let Some(Ok(t)) = self.tree.get() {
            for n in &t.notes {
                out.push(p(folder_note_severity(n), "folder hierarchy", n.clone()));
            }
        }
        let c = self.salvage_counts();
        if c.total() > 0 {
            out.push(p(
                Severity::Damaged,
                "salvage",
                format!(
                    "{} items read only thanks to the salvage: {} through the block and node scan, {} by their \
                     parent links, {} under Recovered/, {} read past a CRC, {} by their property context alone \
                     (Recovered/{LOST_FOLDER_NAME})",
                    c.total(),
                    c.scan,
                    c.parent_link,
                    c.recovered,
                    c.crc,
                    c.lost
                ),
            ));
        }
        if let Some(list) = self.salvaged.get().filter(|l| !l.is_empty()) {
            let n: usize = list.iter().map(|f| f.nids.len()).sum();
            let names: Vec<&str> = list.iter().take(8).map(|f| f.name.as_str()).collect();
            out.push(p(
                Severity::Damaged,
                "salvage",
                format!(
                    "{n} messages whose folder is lost were found by their parent links, under Recovered/ ({}{})",
                    names.join(", "),
                    if list.len() > 8 { ", ..." } else { "" }
                ),
            ));
        }
        if self.opts.recover && self.recovered.get().is_some() {
            let r = self.store.pst().recovery();
            if r.skipped > 0 {
                out.push(p(
                    Severity::Note,
                    "recovery",
                    format!(
                        "{} deleted node entries found in free space were not recovered: \
                         their blocks are gone or fail their checks",
                        r.skipped
                    ),
                ));
            }
        }
        let notes: Vec<(u32, Vec<String>)> = match self.notes.lock() {
            Ok(m) => m.iter().map(|(k, v)| (*k, v.clone())).collect(),
            Err(_) => Vec::new(),
        };
        for (nid, list) in notes {
            // Named by folder and subject as well as NID, so a person can
            // find the message in Outlook.
            let id = ItemId(u64::from(nid), 0);
            let folder = self
                .node_of(id)
                .ok()
                .flatten()
                .and_then(|n| n.nid_parent)
                .and_then(|p| Some(self.tree().ok()?.get(p)?.path.join("/")))
                .filter(|f| !f.is_empty());
            let who = match folder {
                Some(f) => format!("{f}: {}", self.describe(id)),
                None => self.describe(id),
            };
            for n in list {
                out.push(p(message_note_severity(&n), "message", format!("{who}: {n}")));
            }
        }
        out
    }
}

/// The start of the note on a message found by its property context alone.
const LOST_NOTE: &str = "its node entry is lost with the node B-tree";

/// The whole note: what was lost with the node entry.
fn lost_note(with_subnodes: bool) -> String {
    if with_subnodes {
        format!(
            "{LOST_NOTE}: read from its property context and the subnode tree whose BID neighbours it \
             (recipients and attachments as that tree holds them); its folder lost"
        )
    } else {
        format!("{LOST_NOTE}: read from its property context alone; recipients, attachments and its folder lost")
    }
}

/// The data BID of a message found by its property context alone: ids
/// `(lost_nid(k), bid)` ([`crate::lost_nid`], bit 31 set).
fn lost_bid(id: ItemId) -> Option<u64> {
    (id.1 != 0 && id.0 & 0x8000_0000 != 0 && id.0 <= u64::from(u32::MAX)).then_some(id.1)
}

/// How much a note of the folder walk matters: a search folder passed over
/// or a folder listed twice is a note; a table that cannot be read hides
/// what it lists.
fn folder_note_severity(note: &str) -> Severity {
    if note.starts_with("search folder ") || note.contains("is listed twice") {
        Severity::Note
    } else if note.contains("contents table") || note.contains("hierarchy table") || note.contains("not read") {
        Severity::Unreadable
    } else {
        Severity::Damaged
    }
}

/// How much a per-message note matters: what could not be read, or had to
/// be left out, is damage; the rest (an RTF body kept as an attachment, an
/// OLE object kept as bytes, a long header line folded) says how something
/// was carried.
fn message_note_severity(note: &str) -> Severity {
    // Named properties whose ids the store's map does not know (Aspose's
    // split stores): inconsistent, but what they meant is unknowable, so no
    // target could carry them and nothing readable was lost.
    if note.contains("not in the store's name-to-id map") {
        return Severity::Note;
    }
    const DAMAGE: [&str; 5] = ["unreadable", "lost", "data missing", "left out", "dropped"];
    if DAMAGE.iter().any(|w| note.contains(w)) {
        Severity::Damaged
    } else {
        Severity::Note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify("IPM.Note"), None);
        assert_eq!(classify("IPM.Note.SMIME.MultipartSigned"), None);
        assert_eq!(classify("IPM.Schedule.Meeting.Request"), None);
        assert_eq!(classify("REPORT.IPM.Note.NDR"), None);
        assert_eq!(classify("IPM.Post"), None);
        assert_eq!(classify("IPM.TaskRequest.Accept"), None);
        assert_eq!(classify("IPM.Contact"), Some(Pim::Contact));
        assert_eq!(classify("IPM.AbchPerson"), Some(Pim::Contact));
        assert_eq!(classify("ipm.appointment"), Some(Pim::Appointment));
        assert_eq!(classify("IPM.Appointment.Live Meeting Request"), Some(Pim::Appointment));
        assert_eq!(classify("IPM.DistList"), Some(Pim::DistList));
        assert_eq!(classify("IPM.Task"), Some(Pim::Task));
        assert_eq!(classify("IPM.StickyNote"), Some(Pim::Note));
        assert_eq!(classify("IPM.Activity"), Some(Pim::Journal));
        assert_eq!(classify("IPM.Contacts"), None);
        assert_eq!(classify("IPM"), None);
        assert_eq!(classify("IPM.Contäct"), None);
        assert!(crate::mapi::class_is("ipm.contact.Custom", "IPM.Contact"));
        assert!(is_meeting_request("IPM.Schedule.Meeting.Request"));
        assert!(is_meeting_request("ipm.schedule.meeting.canceled"));
        assert!(!is_meeting_request("IPM.Schedule.Meeting.Resp.Pos"));
    }

    #[test]
    fn reader_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PstReader>();
    }
}
