//! The lists, tables and properties layer (MS-PST 2.3): a heap inside a
//! node's data, B-trees on that heap, and the property and table contexts
//! built from them.

pub mod bth;
pub mod heap;
pub mod pc;
pub mod prop;
pub mod source;
pub mod tc;
pub mod write;

use std::borrow::Cow;

use crate::error::Corrupt;
use crate::ndb::NodeRef;
use heap::Heap;
use mailshift_core::Result;
pub use source::{BlockSource, MemSource, NodeSource};

/// `HNID` (MS-PST 2.3.3.2): a value in the heap (HID, `nidType` 0) or in a
/// subnode of the node (NID). 0 means no value.
pub(crate) fn resolve_hnid<'p, 'a: 'p>(
    src: &'p dyn NodeSource,
    node: &NodeRef,
    heap: &'p Heap<'a>,
    hnid: u32,
) -> Result<Cow<'p, [u8]>> {
    if hnid == 0 {
        return Ok(Cow::Borrowed(&[]));
    }
    if hnid & 0x1F == 0 {
        return heap.get(hnid).map(Cow::Borrowed).map_err(|e| src.err(e));
    }
    let sub = src.subnode(node, hnid)?.ok_or_else(|| {
        src.err(Corrupt::new("HNID", 0, format!("subnode {hnid:#x} of node {:#x} does not exist", node.nid)))
    })?;
    src.read_node_data(&sub)
}
