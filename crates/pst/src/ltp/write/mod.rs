//! The write half of the LTP layer (MS-PST 2.3): in-memory builders that
//! turn properties and rows into a node's data blocks plus the subnodes the
//! node needs. Nothing here touches a file; the messaging writer hands a
//! [`BuiltNode`] to the NDB writer (`add_data_blocks` for
//! [`NodeData::Blocks`], `add_data` for [`NodeData::Stream`], then
//! `add_subnode_tree` and `add_node`), and [`MemSource::add_built`] lets the
//! readers of [`super`] read it back before any file exists.
//!
//! - [`HeapBuilder`]: the heap-on-node (MS-PST 2.3.1).
//! - [`build_bth`] and [`BthLayout`]: BTree-on-heap of any depth (MS-PST 2.3.2).
//! - [`PcBuilder`]: property contexts (MS-PST 2.3.3).
//! - [`TcBuilder`]: table contexts (MS-PST 2.3.4).
//! - [`encode`]: a [`PropValue`](super::prop::PropValue) as stored, the
//!   inverse of [`super::prop::decode`].
//!
//! A writer stores a [`BuiltNode`] depth first: each subnode's data (and,
//! recursively, its own subnode tree) first, then the node's subnode tree
//! of `(nid, bidData, bidSub)` entries, then the node's data; a top-level
//! node then goes into the NBT with its NID and parent.
//!
//! Where MS-PST leaves a choice, the builders do what Outlook does in the
//! fixtures (`test_unicode.pst` of pstsdk, `bench.pst`): the BTH header
//! is the first allocation, then the client's root; non-final heap blocks
//! are padded to the full block size; large values and row matrices go to
//! subnodes of `nidType` `NID_TYPE_LTP`.

mod bth;
mod heap;
mod pc;
mod tc;
mod value;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use bth::{build_bth, BthLayout};
pub use heap::{encode_hid, fill_level, HeapBuilder};
pub use pc::PcBuilder;
pub use tc::TcBuilder;
pub use value::encode;

use super::source::{MemSource, NodeSource};
use crate::ndb::NodeRef;

/// The largest heap allocation (MS-PST 2.3.1.1: "the maximum size of a heap
/// allocation is 3580 bytes"); larger values go to a subnode.
pub const MAX_ALLOC: usize = 3580;

/// `NID_TYPE_LTP` (MS-PST 2.2.2.1): the `nidType` of the subnodes holding
/// large values and row matrices, as Outlook numbers them.
pub const NID_TYPE_LTP: u8 = 0x1F;

/// A node's content, built in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltNode {
    /// The node's data.
    pub data: NodeData,
    /// The subnodes the data refers to (the node's subnode tree), in no
    /// particular order; each may have subnodes of its own.
    pub subnodes: Vec<BuiltSubnode>,
}

/// How a [`BuiltNode`]'s data is to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeData {
    /// One entry per data block, in order (a heap, whose HIDs name blocks,
    /// or a row matrix, whose rows never span blocks). Every block but the
    /// last is exactly
    /// [`Format::max_block_data`](crate::raw::Format::max_block_data) bytes
    /// (8,176 in Unicode files, 65,512 in 4K files): for `add_data_blocks`.
    Blocks(Vec<Vec<u8>>),
    /// A plain byte stream (a large property value): for `add_data`, which
    /// cuts it into blocks as it likes.
    Stream(Vec<u8>),
    /// Blocks as for `Blocks`, some of them written already by a streaming
    /// builder (a large table's heap and row matrix, written as they fill
    /// so that memory does not grow with the rows): the rest are written
    /// in order, then the data tree over all of them (`add_leaf`,
    /// `add_data_tree`).
    Leaves(Vec<Leaf>),
}

impl NodeData {
    /// Writes the data through `ndb` (`add_data_blocks`, `add_data`, or
    /// `add_leaf` and `add_data_tree`) and returns the node's `bidData`.
    pub fn write_to(self, ndb: &mut crate::ndb::write::NdbWriter) -> mailshift_core::Result<crate::raw::Bid> {
        match self {
            NodeData::Blocks(b) => ndb.add_data_blocks_owned(b),
            NodeData::Stream(s) => ndb.add_data_owned(s),
            NodeData::Leaves(l) => {
                let mut bids = Vec::with_capacity(l.len());
                for leaf in l {
                    bids.push(match leaf {
                        Leaf::Written { bid, .. } => crate::raw::Bid(bid),
                        Leaf::Data(d) => ndb.add_leaf_owned(d)?,
                    });
                }
                ndb.add_data_tree(&bids)
            }
        }
    }
}

/// One block of [`NodeData::Leaves`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// Written through a [`BlockSink`], which gave it this BID.
    Written {
        /// Its BID.
        bid: u64,
        /// Its bytes.
        len: usize,
    },
    /// Not written yet.
    Data(Vec<u8>),
}

/// Where a streaming builder writes the blocks it has finished: each a
/// leaf of a data tree built later, over all the node's blocks in order
/// (the NDB writer; [`MemSource`] for tests).
pub trait BlockSink {
    /// Writes one data-tree leaf and returns its BID.
    fn put_leaf(&mut self, data: Vec<u8>) -> WResult<u64>;
}

impl BlockSink for crate::ndb::write::NdbWriter {
    fn put_leaf(&mut self, data: Vec<u8>) -> WResult<u64> {
        self.add_leaf_owned(data).map(|b| b.0).map_err(|e| LtpWriteError::new("NDB", e.to_string()))
    }
}

impl BlockSink for MemSource {
    fn put_leaf(&mut self, data: Vec<u8>) -> WResult<u64> {
        self.written.push(data);
        Ok(self.written.len() as u64)
    }
}

impl NodeData {
    /// The total number of bytes.
    pub fn len(&self) -> usize {
        match self {
            NodeData::Blocks(b) => b.iter().map(Vec::len).sum(),
            NodeData::Stream(s) => s.len(),
            NodeData::Leaves(l) => l
                .iter()
                .map(|l| match l {
                    Leaf::Written { len, .. } => *len,
                    Leaf::Data(d) => d.len(),
                })
                .sum(),
        }
    }

    /// Whether there are no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A subnode of a [`BuiltNode`]: its local NID and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltSubnode {
    /// The subnode's NID (`SLENTRY.nid`).
    pub nid: u32,
    /// Its data and its own subnodes.
    pub node: BuiltNode,
}

impl BuiltNode {
    /// A node holding plain data and no subnodes.
    pub fn stream(data: Vec<u8>) -> BuiltNode {
        BuiltNode { data: NodeData::Stream(data), subnodes: Vec::new() }
    }

    /// The subnode `nid`, if the node has it.
    pub fn subnode(&self, nid: u32) -> Option<&BuiltNode> {
        self.subnodes.iter().find(|s| s.nid == nid).map(|s| &s.node)
    }
}

/// Hands out NIDs for the subnodes the builders create. MS-PST only needs a
/// subnode's NID to be unique within its parent's subnode tree (2.2.2.8.3.3),
/// but Outlook draws them from the file-wide counters of the header's
/// `rgnid` (2.2.2.6), and SCANPST checks that those counters cover every
/// subnode NID (OpenOutlook's design document, rules 17 and 22): a file
/// writer passes an allocator over its header counters; [`LocalNids`] is
/// for tests and in-memory use.
pub trait NidAllocator {
    /// A new NID of `nid_type` (5 bits).
    fn next_nid(&mut self, nid_type: u8) -> u32;
}

impl<F: FnMut(u8) -> u32> NidAllocator for F {
    fn next_nid(&mut self, nid_type: u8) -> u32 {
        self(nid_type)
    }
}

/// A [`NidAllocator`] with one counter per `nidType`, each starting at
/// `nidIndex` 0x400 as the `rgnid` counters of a new file do (MS-PST 2.2.2.6).
#[derive(Clone, Debug)]
pub struct LocalNids {
    next: [u32; 32],
}

impl Default for LocalNids {
    fn default() -> Self {
        LocalNids { next: [0x400; 32] }
    }
}

impl NidAllocator for LocalNids {
    fn next_nid(&mut self, nid_type: u8) -> u32 {
        let t = usize::from(nid_type & 0x1F);
        let index = self.next[t];
        self.next[t] += 1;
        crate::raw::Nid::new(nid_type & 0x1F, index).0
    }
}

/// What a builder could not build: input MS-PST cannot represent (too many
/// columns, a value too large ...) or that contradicts itself (two rows with
/// one id, a cell whose type is not its column's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{structure}: {reason}")]
pub struct LtpWriteError {
    /// The structure being built, named as in MS-PST (`"HNPAGEMAP"`, `"TCINFO"` ...).
    pub structure: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl LtpWriteError {
    pub(crate) fn new(structure: &'static str, reason: impl Into<String>) -> Self {
        LtpWriteError { structure, reason: reason.into() }
    }

    /// The core error for the file being written at `path`.
    pub fn at(self, path: &Path) -> mailshift_core::Error {
        mailshift_core::Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!("{}: {}", self.structure, self.reason),
        }
    }
}

/// Short for results of the builders.
pub type WResult<T> = std::result::Result<T, LtpWriteError>;

impl MemSource {
    /// Adds `node` as node `nid`, with all its subnodes (recursively), and
    /// returns it: the way to read a [`BuiltNode`] back with
    /// [`PropertyContext`](super::pc::PropertyContext) and
    /// [`TableContext`](super::tc::TableContext). Streams are cut into
    /// blocks of [`Format::max_block_data`](crate::raw::Format::max_block_data)
    /// bytes, as the NDB writer would.
    pub fn add_built(&mut self, nid: u32, node: &BuiltNode) -> NodeRef {
        let subs: Vec<NodeRef> = node.subnodes.iter().map(|s| self.add_built(s.nid, &s.node)).collect();
        let blocks = match &node.data {
            NodeData::Blocks(b) => b.clone(),
            NodeData::Stream(s) => s.chunks(self.format().max_block_data()).map(<[u8]>::to_vec).collect(),
            NodeData::Leaves(l) => l
                .iter()
                .map(|l| match l {
                    Leaf::Written { bid, .. } => {
                        usize::try_from(*bid).ok().and_then(|b| self.written.get(b - 1)).cloned().unwrap_or_default()
                    }
                    Leaf::Data(d) => d.clone(),
                })
                .collect(),
        };
        self.add(nid, blocks, subs)
    }
}
