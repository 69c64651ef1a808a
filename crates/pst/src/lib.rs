//! mailshift-pst: reading Outlook PST and OST files.
//!
//! The crate follows the layers of [MS-PST]:
//!
//! - [`ndb`]: the node database. [`ndb::header::Header`] (ANSI, Unicode and
//!   the Unicode 4K-page OST of Outlook 2013+), B-tree pages, blocks with their
//!   permute / cyclic encodings and 4K zlib compression, NBT and BBT lookups,
//!   data trees and subnode trees.
//! - [`ltp`]: lists, tables and properties. The heap-on-node
//!   ([`ltp::heap::Heap`]), BTree-on-heap ([`ltp::bth::Bth`]), property
//!   contexts ([`PropertyContext`]) and table contexts ([`TableContext`]),
//!   reading nodes through [`ltp::NodeSource`] ([`Pst`] for a file,
//!   [`ltp::MemSource`] for nodes built in memory).
//!
//! - [`messaging`]: the message store, the folder tree (cut to the IPM
//!   subtree), messages with recipients, attachments and embedded messages,
//!   and the named property map, read into the owned model of [`mapi`]
//!   ([`Store`]).
//! - [`PstReader`]: mailshift's `StoreReader` over a [`Store`], turning
//!   mail into RFC 5322 bytes with [`mime::build`] and PIM items into
//!   core's contacts and events with [`pim`], whose UIDs it makes from the
//!   store ([`PstReader::pim_uids`], [`pim::contact::store_record_key`]).
//! - [`check`]: a read-only structural check of any PST or OST, layer by
//!   layer, in the spirit of scanpst (`mailshift check`).
//!
//! What knows no file format lives in [`mailshift_core::mapi`] and is
//! re-exported here under the crate's old paths: the MAPI model ([`mapi`]),
//! the property registry after [MS-OXPROPS] ([`tags`]), and the MAPI <->
//! Internet conversions, which the converter also runs for sources that
//! are not PST: [`mime`] (MAPI message -> RFC 5322, [MS-OXCMAIL]), [`rtf`]
//! (compressed and encapsulated RTF) and [`pim`] (MAPI contacts,
//! appointments, tasks, notes and journals -> core's PIM items).
//!
//! [`Pst`] ties them to a memory-mapped file. Nothing is walked at open
//! beyond the header and the two B-tree roots; every lookup goes from the
//! roots on demand, so a `Pst` is cheap to open and shareable (`Send + Sync`,
//! `&self` everywhere).
//!
//! ```no_run
//! use mailshift_pst::{tags, Pst, NID_MESSAGE_STORE};
//! # fn main() -> mailshift_core::Result<()> {
//! let pst = Pst::open(std::path::Path::new("Outlook.pst"))?;
//! let store = pst.node(NID_MESSAGE_STORE)?.expect("every PST has a message store");
//! let pc = pst.property_context(&store)?;
//! println!("{:?}", pc.string(tags::DISPLAY_NAME)?);
//! # Ok(()) }
//! ```
//!
//! [MS-PST]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/
//! [MS-OXPROPS]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxprops/
//! [MS-OXCMAIL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmail/
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod check;
mod error;
pub mod ltp;
pub mod mapi;
pub mod messaging;
pub mod mime;
pub mod ndb;
pub mod pim;
pub mod raw;
mod reader;
pub mod rtf;
#[cfg(test)]
mod synth_tests;
pub mod tags;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use mailshift_core::{Error, Mapped, Problem, Result};

pub use error::Corrupt;
pub use ltp::pc::PropertyContext;
pub use ltp::prop::PropValue;
pub use ltp::tc::TableContext;
pub use messaging::split::SplitWriter;
pub use messaging::write::{PstWriteOptions, PstWriter};
pub use messaging::Store;
use ndb::datatree::DataTree;
use ndb::header::Header;
use ndb::page::{BtPage, PTYPE_BBT, PTYPE_NBT};
use ndb::Ndb;
pub use ndb::NodeRef;
pub use reader::{
    PstOptions, PstReader, SalvageCounts, SalvagedFolder, SalvagedHow, RECOVERED_FOLDER, SALVAGED_FOLDER_BASE,
};

/// `NID_MESSAGE_STORE` (MS-PST 2.4.1): the store's property context.
pub const NID_MESSAGE_STORE: u32 = 0x21;
/// `NID_NAME_TO_ID_MAP` (MS-PST 2.4.1).
pub const NID_NAME_TO_ID_MAP: u32 = 0x61;
/// `NID_ROOT_FOLDER` (MS-PST 2.4.1): the folder at the top of the tree.
pub const NID_ROOT_FOLDER: u32 = 0x122;
/// [`tags::DISPLAY_NAME`] under its older name, for existing callers
/// (the fuzz crate, the synthetic tests); new code uses [`tags`].
pub use tags::DISPLAY_NAME as PR_DISPLAY_NAME;
/// [`tags::LTP_ROW_ID`] under its older name.
pub use tags::LTP_ROW_ID as PR_LTP_ROW_ID;

/// `NID_TYPE` of a hierarchy table (MS-PST 2.2.2.1).
pub const NID_TYPE_HIERARCHY_TABLE: u32 = 0x0D;
/// `NID_TYPE` of a contents table.
pub const NID_TYPE_CONTENTS_TABLE: u32 = 0x0E;
/// `NID_TYPE` of an associated contents table.
pub const NID_TYPE_ASSOC_CONTENTS_TABLE: u32 = 0x0F;

/// A message property context no node names ([`Pst::lost_messages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LostMessage {
    /// Its data block or data tree.
    pub bid_data: u64,
    /// The subnode tree matched to it, 0 if none was.
    pub bid_sub: u64,
}

/// The NID a message found by [`Pst::lost_messages`] (the `k`-th) is read
/// under: bit 31 set, which no NID Outlook allocates has, and the type of a
/// normal message.
pub fn lost_nid(k: usize) -> u32 {
    0x8000_0000 | ((k as u32 & 0x03FF_FFFF) << 5) | 0x04
}

/// `nid` with its 5-bit `nidType` replaced (MS-PST 2.2.2.1): a folder's
/// tables share its `nidIndex`.
pub fn nid_with_type(nid: u32, nid_type: u32) -> u32 {
    (nid & !0x1F) | (nid_type & 0x1F)
}

enum Bytes {
    Mapped(Mapped),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// An open PST or OST file.
pub struct Pst {
    path: PathBuf,
    bytes: Bytes,
    header: Header,
    /// The recovery scan, run on first use ([`Pst::recovery`]).
    recovery: std::sync::OnceLock<ndb::recover::Recovery>,
    /// The salvage scan, made when a B-tree page fails ([`ndb::salvage`]).
    salvage: ndb::salvage::SalvageCell,
    /// Every node, by parent, for finding a folder's items and subfolders
    /// by their NBT parent links when its tables fail ([`Pst::children`]).
    children: std::sync::OnceLock<std::collections::HashMap<u32, Vec<NodeRef>>>,
    /// Message property contexts no node names ([`Pst::lost_messages`]).
    lost: std::sync::OnceLock<Vec<LostMessage>>,
    /// B-tree pages checked already.
    pages: ndb::page::PageCache,
}

impl std::fmt::Debug for Pst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pst").field("path", &self.path).field("header", &self.header).finish()
    }
}

impl Pst {
    /// Opens `path` read-only (memory-mapped) and checks its header and the
    /// two B-tree root pages.
    pub fn open(path: &Path) -> Result<Pst> {
        let map = Mapped::open(path)?;
        Pst::with_bytes(path.to_path_buf(), Bytes::Mapped(map))
    }

    /// Reads a PST held in memory; `name` stands for the path in errors.
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Pst> {
        Pst::with_bytes(name.into(), Bytes::Owned(bytes))
    }

    /// Lets the kernel drop the map's resident pages ([`Mapped::release`]).
    pub fn release_memory(&self) {
        if let Bytes::Mapped(m) = &self.bytes {
            m.release();
        }
    }

    fn with_bytes(path: PathBuf, bytes: Bytes) -> Result<Pst> {
        let file = bytes.as_slice();
        let mut header = Header::parse(file).map_err(|e| e.at(&path))?;
        for p in &mut header.problems {
            p.path = path.display().to_string();
        }
        let pst = Pst {
            path,
            bytes,
            header,
            recovery: std::sync::OnceLock::new(),
            salvage: ndb::salvage::SalvageCell::default(),
            children: std::sync::OnceLock::new(),
            lost: std::sync::OnceLock::new(),
            pages: ndb::page::PageCache::default(),
        };
        // The roots must be usable, or else the salvage scan must find
        // nodes and blocks: with a bad header CRC this is what decides
        // whether the header can be trusted at all.
        let h = &pst.header;
        let file = pst.bytes.as_slice();
        let mut unusable = Vec::new();
        for (bref, ptype) in [(h.bref_nbt, PTYPE_NBT), (h.bref_bbt, PTYPE_BBT)] {
            if let Err(e) = BtPage::read(file, h.format, bref, ptype) {
                let mut reason = format!("root B-tree page unusable: {}", e.reason);
                if !h.problems.is_empty() {
                    let why: Vec<&str> = h.problems.iter().map(|p| p.message.as_str()).collect();
                    reason.push_str(&format!(" (header: {})", why.join("; ")));
                }
                unusable.push(Corrupt::new("HEADER.ROOT", bref.ib, reason));
            }
        }
        if let Some(first) = unusable.first().cloned() {
            for e in &unusable {
                pst.salvage.record(e);
            }
            let s = pst.salvage.get_or_build(pst.ndb());
            if s.block_count() == 0 {
                return Err(first.at(&pst.path));
            }
        }
        Ok(pst)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// What was wrong but did not stop reading (header CRC mismatches ...).
    pub fn problems(&self) -> &[Problem] {
        &self.header.problems
    }

    /// The node-database view, for lower-level access.
    pub fn ndb(&self) -> Ndb<'_> {
        Ndb {
            file: self.bytes.as_slice(),
            header: &self.header,
            recovered: self.recovery.get().map(|r| &r.blocks),
            salvage: Some(&self.salvage),
            pages: Some(&self.pages),
        }
    }

    /// Deleted nodes found in free space ([`ndb::recover`]): the scan runs
    /// once, on first call, and from then on blocks it recovered are readable
    /// through every lookup that misses the BBT. Linear in the file size.
    pub fn recovery(&self) -> &ndb::recover::Recovery {
        self.recovery.get_or_init(|| {
            let live = Ndb {
                file: self.bytes.as_slice(),
                header: &self.header,
                recovered: None,
                salvage: Some(&self.salvage),
                pages: Some(&self.pages),
            };
            ndb::recover::scan(live)
        })
    }

    /// The nodes [`Pst::recovery`] rebuilt, readable with
    /// [`Pst::property_context`] and friends although the NBT no longer
    /// lists them (`nid_parent` is the parent they had).
    pub fn recovered_nodes(&self) -> Vec<NodeRef> {
        self.recovery()
            .nodes
            .iter()
            .map(|e| NodeRef { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub, nid_parent: Some(e.nid_parent) })
            .collect()
    }

    /// Turns a lower layer's error into the crate's public error.
    pub(crate) fn err(&self, e: Corrupt) -> Error {
        e.at(&self.path)
    }

    /// The node `nid` from the node B-tree, if it exists.
    pub fn node(&self, nid: u32) -> Result<Option<NodeRef>> {
        let e = self.ndb().node(nid).map_err(|e| self.err(e))?;
        Ok(e.map(|e| NodeRef { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub, nid_parent: Some(e.nid_parent) }))
    }

    /// Every node of the NBT, in NID order. This walks the whole tree:
    /// for diagnostics and recovery, not for ordinary lookups. Subtrees
    /// whose pages fail are replaced by what the salvage scan found.
    pub fn all_nodes(&self) -> Result<Vec<NodeRef>> {
        let h = &self.header;
        let (mut list, errors) = ndb::btree::all_nbt_entries_tolerant(self.bytes.as_slice(), h.format, h.bref_nbt);
        if !errors.is_empty() {
            for e in &errors {
                self.salvage.record(e);
            }
            let s = self.salvage.get_or_build(self.ndb());
            let have: std::collections::HashSet<u32> = list.iter().map(|e| e.nid).collect();
            list.extend(s.nodes().filter(|e| !have.contains(&e.nid)).copied());
            list.sort_by_key(|e| e.nid);
        }
        Ok(list
            .into_iter()
            .map(|e| NodeRef { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub, nid_parent: Some(e.nid_parent) })
            .collect())
    }

    /// Walks the pages of both B-trees (no leaf entry is kept) and, if one
    /// fails its checks, records it and makes the salvage scan, so that
    /// what the damage hides is found before the folders are listed. Reads
    /// every B-tree page once: small beside the file.
    pub fn verify_trees(&self) {
        let h = &self.header;
        let file = self.bytes.as_slice();
        // The two trees on two threads: their pages are scattered over the
        // file, and this walk is the start of every run, before anything
        // else can go on in parallel.
        let (mut errors, bbt) = std::thread::scope(|s| {
            let bbt = s.spawn(|| ndb::btree::bbt_page_errors(file, h.format, h.bref_bbt));
            let nbt = ndb::btree::all_nbt_entries_tolerant(file, h.format, h.bref_nbt).1;
            (nbt, bbt.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        errors.extend(bbt);
        if !errors.is_empty() {
            for e in &errors {
                self.salvage.record(e);
            }
            self.salvage.get_or_build(self.ndb());
        }
    }

    /// The nodes whose NBT parent link (`nidParent`) names `parent`, in NID
    /// order (a folder's messages and subfolders; the root folder, its own
    /// parent, is not its own child). Built once from [`Pst::all_nodes`]:
    /// for reading past a folder's damaged tables, not for healthy files.
    pub fn children(&self, parent: u32) -> Vec<NodeRef> {
        let map = self.children.get_or_init(|| {
            let mut map: std::collections::HashMap<u32, Vec<NodeRef>> = std::collections::HashMap::new();
            for n in self.all_nodes().unwrap_or_default() {
                if let Some(p) = n.nid_parent.filter(|&p| p != n.nid) {
                    map.entry(p).or_default().push(n);
                }
            }
            map
        });
        map.get(&parent).cloned().unwrap_or_default()
    }

    /// In a file whose B-trees are damaged ([`Pst::is_salvaged`]), the data
    /// BIDs of message property contexts that no node names any more: the
    /// NBT entries that named them are lost, and with them their subnode
    /// trees (recipients, attachments, large values) and parent folders.
    /// A candidate is a block (or data tree) the salvage scan validated
    /// that lies in space the allocation map calls allocated (freed blocks
    /// are deleted messages), that no known node, data tree or subnode
    /// block names, and that reads as a property context with a message
    /// class and without `mfFAI`. Computed once; empty for a sound file.
    pub fn lost_messages(&self) -> &[LostMessage] {
        self.lost.get_or_init(|| self.find_lost_messages())
    }

    fn find_lost_messages(&self) -> Vec<LostMessage> {
        use std::collections::HashSet;
        let Some(s) = self.salvage.get().filter(|_| self.salvage.is_damaged()) else {
            return Vec::new();
        };
        let ndb = self.ndb();
        let h = &self.header;
        let key = |b: u64| raw::Bid(b).key();
        let mut named: HashSet<u64> = HashSet::new();
        for n in self.all_nodes().unwrap_or_default() {
            named.insert(key(n.bid_data));
            named.insert(key(n.bid_sub));
        }
        // Every BID an internal block names: data tree children, subnodes;
        // and the subnode NIDs of every subnode block.
        let id = h.format.id_size();
        let read_id = |b: &[u8], at: usize| raw::read_id(b, at, h.format);
        let mut subnode_blocks: std::collections::HashMap<u64, (u8, Vec<u32>, Vec<u64>)> = Default::default();
        for b in s.blocks().filter(|b| raw::Bid(b.bid).is_internal()) {
            let Ok(data) = ndb::block::read_block(self.bytes.as_slice(), h.format, h.crypt_method, b) else {
                continue;
            };
            match data.first() {
                Some(&raw::BTYPE_XBLOCK) => {
                    let n = usize::from(raw::XBlockHeader::parse(&data).map_or(0, |x| x.c_ent));
                    named.extend((0..n).filter_map(|i| read_id(&data, 8 + i * id)).map(key));
                }
                Some(&raw::BTYPE_SUBNODE) => {
                    let Some(sh) = raw::SubnodeBlockHeader::parse(&data) else { continue };
                    let (mut nids, mut children) = (Vec::new(), Vec::new());
                    for i in 0..usize::from(sh.c_ent) {
                        let Some(e) = data.get(raw::SubnodeBlockHeader::entry_at(i, h.format, sh.c_level)..) else {
                            break;
                        };
                        if sh.c_level == 0 {
                            if let Some(sl) = raw::SlEntry::parse(e, h.format) {
                                named.insert(key(sl.bid_data));
                                named.insert(key(sl.bid_sub));
                                nids.push(sl.nid);
                            }
                        } else if let Some(si) = raw::SiEntry::parse(e, h.format) {
                            named.insert(key(si.bid));
                            children.push(key(si.bid));
                        }
                    }
                    subnode_blocks.insert(key(b.bid), (sh.c_level, nids, children));
                }
                _ => {}
            }
        }
        let free = ndb::recover::free_ranges(ndb, false);
        let allocated = |b: &&ndb::btree::BbtEntry| {
            let end = b.ib + h.format.block_size(usize::from(b.cb)) as u64;
            !ndb::recover::covered(&free, b.ib, end)
        };
        // Subnode trees no one names: (BID key, the subnode NIDs in them).
        let mut trees: Vec<(u64, std::collections::HashSet<u32>)> = Vec::new();
        for b in s.blocks().filter(allocated) {
            let k = key(b.bid);
            if named.contains(&k) || !subnode_blocks.contains_key(&k) {
                continue;
            }
            let mut nids = std::collections::HashSet::new();
            let mut stack = vec![(k, 0usize)];
            while let Some((at, depth)) = stack.pop() {
                let Some((_, n, c)) = subnode_blocks.get(&at).filter(|_| depth < 8) else { continue };
                nids.extend(n.iter().copied());
                stack.extend(c.iter().map(|&c| (c, depth + 1)));
            }
            trees.push((k, nids));
        }
        // (bid_data, NIDs the PC's values point at, has attachments).
        let mut found: Vec<(u64, Vec<u32>, bool)> = Vec::new();
        for b in s.blocks().filter(allocated).filter(|b| !named.contains(&key(b.bid))) {
            // Internal blocks only as the top of a data tree.
            let node = NodeRef { nid: lost_nid(0), bid_data: b.bid, bid_sub: 0, nid_parent: None };
            let Ok(pc) = self.property_context(&node) else { continue };
            let class = pc.string(tags::MESSAGE_CLASS).ok().flatten().unwrap_or_default();
            let flags = pc.get(tags::MESSAGE_FLAGS).ok().flatten().and_then(|v| v.as_i64()).unwrap_or(0);
            if class.is_empty() || flags & 0x40 != 0 {
                continue;
            }
            // Values kept in subnodes: an HNID whose low 5 bits (a NID's
            // type) are not 0, for types not held in the 4 bytes.
            let inline = |t: u16| matches!(t, 0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B);
            let refs = pc
                .entries()
                .iter()
                .filter(|e| !inline(e.prop_type) && e.value_hnid & 0x1F != 0)
                .map(|e| e.value_hnid)
                .collect();
            found.push((b.bid, refs, flags & 0x10 != 0));
        }
        found.sort_unstable_by_key(|f| f.0);
        // A subnode tree goes with a property context only when their
        // BIDs are neighbours (a writer that allocates them together),
        // every subnode the PC names is in it, and it holds an attachment
        // table exactly when the message says it has attachments; each
        // tree once, nearest first.
        let mut pairs: Vec<(u64, usize, usize)> = Vec::new();
        for (i, (bid, refs, attach)) in found.iter().enumerate() {
            for (j, (t, nids)) in trees.iter().enumerate() {
                let d = key(*bid).abs_diff(*t);
                if d <= 8 * raw::Bid::STEP
                    && refs.iter().all(|r| nids.contains(r))
                    && nids.contains(&messaging::NID_ATTACHMENT_TABLE) == *attach
                {
                    pairs.push((d, i, j));
                }
            }
        }
        pairs.sort_unstable();
        let mut sub: Vec<u64> = vec![0; found.len()];
        let mut used = vec![false; trees.len()];
        for (_, i, j) in pairs {
            if sub[i] == 0 && !used[j] {
                sub[i] = trees[j].0;
                used[j] = true;
            }
        }
        found.into_iter().zip(sub).map(|((bid, _, _), bid_sub)| LostMessage { bid_data: bid, bid_sub }).collect()
    }

    /// True when a B-tree page failed its checks and the salvage scan
    /// stands in for it.
    pub fn is_salvaged(&self) -> bool {
        self.salvage.is_damaged()
    }

    /// True if the salvage scan gave node `nid` where the NBT could not.
    pub fn salvaged_node(&self, nid: u32) -> bool {
        self.salvage.was_answered(nid)
    }

    /// The salvage scan, if one was made.
    pub fn salvage(&self) -> Option<&ndb::salvage::Salvage> {
        self.salvage.get()
    }

    /// The B-tree damage met so far (pages that failed their checks), and
    /// what the salvage scan found in their stead, as problems.
    pub fn salvage_problems(&self) -> Vec<Problem> {
        let (damage, more) = self.salvage.damage();
        let path = self.path.display().to_string();
        let mut out: Vec<Problem> = damage
            .iter()
            .map(|e| {
                Problem::new(
                    mailshift_core::Severity::Damaged,
                    path.clone(),
                    e.structure,
                    Some(e.offset),
                    format!("{}; read past with the salvage scan", e.reason),
                )
            })
            .collect();
        if more > 0 {
            out.push(Problem::new(
                mailshift_core::Severity::Damaged,
                path.clone(),
                "B-tree",
                None,
                format!("{more} more damaged B-tree pages"),
            ));
        }
        if let Some(s) = self.salvage.get().filter(|_| !damage.is_empty()) {
            out.push(Problem::new(
                mailshift_core::Severity::Damaged,
                path,
                "salvage",
                None,
                format!(
                    "the B-trees are damaged: a scan of the file found {} blocks and {} nodes in {} node B-tree pages \
                     ({} free pages with old entries left out)",
                    s.block_count(),
                    s.node_count(),
                    s.nbt_pages,
                    s.free_nbt_pages
                ),
            ));
        }
        out
    }

    /// The subnode `nid` of `parent`, if it exists.
    pub fn subnode(&self, parent: &NodeRef, nid: u32) -> Result<Option<NodeRef>> {
        let e = ndb::subnode::lookup_subnode(self.ndb(), parent.bid_sub, nid).map_err(|e| self.err(e))?;
        Ok(e.map(|e| NodeRef { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub, nid_parent: None }))
    }

    /// Every subnode of `parent`.
    pub fn subnodes(&self, parent: &NodeRef) -> Result<Vec<NodeRef>> {
        let list = ndb::subnode::list_subnodes(self.ndb(), parent.bid_sub).map_err(|e| self.err(e))?;
        Ok(list
            .into_iter()
            .map(|e| NodeRef { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub, nid_parent: None })
            .collect())
    }

    /// The node's data tree, whose blocks are read on demand.
    pub fn data_tree(&self, node: &NodeRef) -> Result<DataTree<'_>> {
        DataTree::open(self.ndb(), node.bid_data).map_err(|e| self.err(e))
    }

    /// All of the node's data, concatenated (borrowed when it is one plain block).
    pub fn read_node_data(&self, node: &NodeRef) -> Result<Cow<'_, [u8]>> {
        self.data_tree(node)?.read_all().map_err(|e| self.err(e))
    }

    /// The node's data read as a property context (MS-PST 2.3.3).
    pub fn property_context(&self, node: &NodeRef) -> Result<PropertyContext<'_>> {
        PropertyContext::new(self, *node)
    }

    /// The node's data read as a table context (MS-PST 2.3.4).
    pub fn table_context(&self, node: &NodeRef) -> Result<TableContext<'_>> {
        TableContext::new(self, *node)
    }
}

impl ltp::NodeSource for Pst {
    fn format(&self) -> raw::Format {
        self.header.format
    }

    fn data_blocks(&self, node: &NodeRef) -> Result<Vec<Cow<'_, [u8]>>> {
        let tree = self.data_tree(node)?;
        let mut blocks = Vec::with_capacity(tree.block_count());
        for i in 0..tree.block_count() {
            blocks.push(tree.block(i).map_err(|e| self.err(e))?);
        }
        Ok(blocks)
    }

    fn block_source(&self, node: &NodeRef) -> Result<Option<Box<dyn ltp::BlockSource<'_> + '_>>> {
        Ok(Some(Box::new(self.data_tree(node)?)))
    }

    fn read_node_data(&self, node: &NodeRef) -> Result<Cow<'_, [u8]>> {
        Pst::read_node_data(self, node)
    }

    fn subnode(&self, parent: &NodeRef, nid: u32) -> Result<Option<NodeRef>> {
        Pst::subnode(self, parent, nid)
    }

    fn node_offset(&self, node: &NodeRef) -> u64 {
        self.ndb().bbt(node.bid_data).ok().flatten().map_or(0, |e| e.ib)
    }

    fn err(&self, e: Corrupt) -> Error {
        Pst::err(self, e)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pst_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Pst>();
        check::<super::PropertyContext<'static>>();
        check::<super::TableContext<'static>>();
    }
}
