//! Where the LTP layer gets its nodes from: [`NodeSource`], implemented by
//! [`crate::Pst`] (the NDB of an open file) and by [`MemSource`] (nodes
//! held in memory, such as the output of [`super::write`] before any file
//! exists).

use std::borrow::Cow;
use std::path::PathBuf;

use mailshift_core::{Error, Result};

use crate::error::{CResult, Corrupt};
use crate::ndb::datatree::DataTree;
use crate::ndb::NodeRef;
use crate::raw::Format;

/// The node access the LTP layer needs (MS-PST 2.3 sits on 2.2 only
/// through this): a node's data, block by block, and its subnodes.
pub trait NodeSource: Sync + std::fmt::Debug {
    /// The layout of the file (HIDs differ in 4K files).
    fn format(&self) -> Format;

    /// The node's data tree, one entry per data block in order: a heap is
    /// addressed per block (MS-PST 2.3.1.1 `hidBlockIndex`), a row matrix
    /// keeps whole rows per block (MS-PST 2.3.4.4).
    fn data_blocks(&self, node: &NodeRef) -> Result<Vec<Cow<'_, [u8]>>>;

    /// The node's data blocks to be read one at a time, when they are
    /// asked for, rather than all at once ([`Self::data_blocks`]): a large
    /// table is read this way, so that only the blocks a reader uses are
    /// decoded and held. `None` where every block is at hand anyway.
    fn block_source(&self, node: &NodeRef) -> Result<Option<Box<dyn BlockSource<'_> + '_>>> {
        let _ = node;
        Ok(None)
    }

    /// All of the node's data, concatenated.
    fn read_node_data(&self, node: &NodeRef) -> Result<Cow<'_, [u8]>>;

    /// The subnode `nid` of `parent`, if it exists.
    fn subnode(&self, parent: &NodeRef, nid: u32) -> Result<Option<NodeRef>>;

    /// Where the node's first data block is, for error messages (0 when
    /// unknown).
    fn node_offset(&self, node: &NodeRef) -> u64 {
        let _ = node;
        0
    }

    /// A lower layer's error as the crate's public error, naming the source.
    fn err(&self, e: Corrupt) -> Error;
}

/// A node's data blocks, read on demand ([`NodeSource::block_source`]).
pub trait BlockSource<'a>: Send + Sync + std::fmt::Debug {
    /// Number of data blocks.
    fn count(&self) -> usize;
    /// The decoded data of block `i` (each call reads it again).
    fn block(&self, i: usize) -> CResult<Cow<'a, [u8]>>;
}

impl<'a> BlockSource<'a> for DataTree<'a> {
    fn count(&self) -> usize {
        self.block_count()
    }
    fn block(&self, i: usize) -> CResult<Cow<'a, [u8]>> {
        DataTree::block(self, i)
    }
}

/// Nodes held in memory: each one a list of data blocks and a list of
/// subnodes (themselves nodes of the same source). The `bid_data` and
/// `bid_sub` of the [`NodeRef`]s it hands out are its own indexes, not BIDs
/// of any file.
#[derive(Debug)]
pub struct MemSource {
    name: PathBuf,
    format: Format,
    nodes: Vec<MemNode>,
    /// Blocks a streaming builder wrote (`BlockSink`), by the key it got.
    pub(crate) written: Vec<Vec<u8>>,
}

#[derive(Debug)]
struct MemNode {
    blocks: Vec<Vec<u8>>,
    subnodes: Vec<NodeRef>,
}

impl MemSource {
    /// An empty source of `format`; `name` stands for the path in errors.
    pub fn new(name: impl Into<PathBuf>, format: Format) -> MemSource {
        MemSource { name: name.into(), format, nodes: Vec::new(), written: Vec::new() }
    }

    /// Adds a node `nid` with these data blocks and these subnodes (nodes
    /// added before, each under its subnode NID) and returns it.
    pub fn add(&mut self, nid: u32, blocks: Vec<Vec<u8>>, subnodes: Vec<NodeRef>) -> NodeRef {
        let key = self.nodes.len() as u64 + 1;
        let bid_sub = if subnodes.is_empty() { 0 } else { key };
        self.nodes.push(MemNode { blocks, subnodes });
        NodeRef { nid, bid_data: key, bid_sub, nid_parent: None }
    }

    fn get(&self, key: u64) -> Result<&MemNode> {
        usize::try_from(key)
            .ok()
            .and_then(|k| k.checked_sub(1))
            .and_then(|k| self.nodes.get(k))
            .ok_or_else(|| self.err(Corrupt::new("memory node", 0, format!("no node {key:#x}"))))
    }
}

impl NodeSource for MemSource {
    fn format(&self) -> Format {
        self.format
    }

    fn data_blocks(&self, node: &NodeRef) -> Result<Vec<Cow<'_, [u8]>>> {
        if node.bid_data == 0 {
            return Ok(Vec::new());
        }
        Ok(self.get(node.bid_data)?.blocks.iter().map(|b| Cow::Borrowed(&b[..])).collect())
    }

    fn block_source(&self, node: &NodeRef) -> Result<Option<Box<dyn BlockSource<'_> + '_>>> {
        if node.bid_data == 0 {
            return Ok(None);
        }
        Ok(Some(Box::new(MemBlocks(&self.get(node.bid_data)?.blocks))))
    }

    fn read_node_data(&self, node: &NodeRef) -> Result<Cow<'_, [u8]>> {
        let mut blocks = self.data_blocks(node)?;
        Ok(match blocks.len() {
            0 => Cow::Borrowed(&[]),
            1 => blocks.remove(0),
            _ => Cow::Owned(blocks.concat()),
        })
    }

    fn subnode(&self, parent: &NodeRef, nid: u32) -> Result<Option<NodeRef>> {
        if parent.bid_sub == 0 {
            return Ok(None);
        }
        Ok(self.get(parent.bid_sub)?.subnodes.iter().find(|s| s.nid == nid).copied())
    }

    fn err(&self, e: Corrupt) -> Error {
        e.at(&self.name)
    }
}

/// A memory node's blocks, as a [`BlockSource`].
#[derive(Debug)]
struct MemBlocks<'a>(&'a [Vec<u8>]);

impl<'a> BlockSource<'a> for MemBlocks<'a> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn block(&self, i: usize) -> CResult<Cow<'a, [u8]>> {
        let b = self.0.get(i).ok_or_else(|| Corrupt::new("memory node", 0, format!("no block {i}")))?;
        Ok(Cow::Borrowed(&b[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_nodes_and_subnodes() {
        let mut m = MemSource::new("mem", Format::Unicode);
        let a = m.add(0x1F, vec![b"ab".to_vec(), b"cd".to_vec()], vec![]);
        let top = m.add(0x21, vec![b"x".to_vec()], vec![a]);
        assert_eq!(m.read_node_data(&a).expect("data").as_ref(), b"abcd");
        assert_eq!(m.data_blocks(&a).expect("blocks").len(), 2);
        assert_eq!(m.subnode(&top, 0x1F).expect("lookup"), Some(a));
        assert_eq!(m.subnode(&top, 0x3F).expect("lookup"), None);
        assert_eq!(m.subnode(&a, 0x1F).expect("no subnodes"), None);
        let bogus = NodeRef { nid: 1, bid_data: 99, bid_sub: 0, nid_parent: None };
        assert!(m.data_blocks(&bogus).is_err());
    }
}
