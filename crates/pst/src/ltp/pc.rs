//! Property contexts (PC, MS-PST 2.3.3): a node's properties, a BTH keyed
//! by property id over the node's heap.

use std::borrow::Cow;

use mailshift_core::Result;

use super::bth::Bth;
use super::heap::{Heap, BTYPE_PC};
use super::prop::{decode, fixed_size, PropValue, MV_FLAG, PT_UNSPECIFIED};
use super::{resolve_hnid, NodeSource};
use crate::error::{u16_at, u32_at, Corrupt};
use crate::ndb::NodeRef;

/// `PC BTH Record` (MS-PST 2.3.3.3): one property as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcEntry {
    /// `wPropId`.
    pub prop_id: u16,
    /// `wPropType`.
    pub prop_type: u16,
    /// `dwValueHnid`: the value itself when it fits in 4 bytes, else an HNID.
    pub value_hnid: u32,
}

/// Loads a node's heap: all its data blocks, whose count and size the file
/// bounds.
pub(crate) fn load_heap<'a>(src: &'a dyn NodeSource, node: &NodeRef) -> Result<Heap<'a>> {
    let blocks = src.data_blocks(node)?;
    Heap::new(blocks, src.format(), src.node_offset(node)).map_err(|e| src.err(e))
}

/// A node's property context.
#[derive(Debug)]
pub struct PropertyContext<'a> {
    src: &'a dyn NodeSource,
    node: NodeRef,
    heap: Heap<'a>,
    entries: Vec<PcEntry>,
}

impl<'a> PropertyContext<'a> {
    /// Reads the PC of `node` (its heap's `bClientSig` must be 0xBC).
    pub fn new(src: &'a dyn NodeSource, node: NodeRef) -> Result<PropertyContext<'a>> {
        let heap = load_heap(src, &node)?;
        let off = src.node_offset(&node);
        if heap.client_sig != BTYPE_PC {
            return Err(src.err(Corrupt::new(
                "HNHDR",
                off,
                format!("node {:#x}: bClientSig {:#04x}, not a property context (0xBC)", node.nid, heap.client_sig),
            )));
        }
        let entries = {
            let bth = Bth::new(&heap, heap.hid_user_root).map_err(|e| src.err(e))?;
            if bth.cb_key != 2 || bth.cb_ent != 6 {
                return Err(src.err(Corrupt::new(
                    "BTHHEADER",
                    off,
                    format!("PC with cbKey {} and cbEnt {} (2 and 6 expected)", bth.cb_key, bth.cb_ent),
                )));
            }
            let recs = bth.records().map_err(|e| src.err(e))?;
            recs.iter()
                .filter_map(|(k, d)| {
                    Some(PcEntry { prop_id: u16_at(k, 0)?, prop_type: u16_at(d, 0)?, value_hnid: u32_at(d, 2)? })
                })
                .collect()
        };
        Ok(PropertyContext { src, node, heap, entries })
    }

    /// The node this PC belongs to.
    pub fn node(&self) -> &NodeRef {
        &self.node
    }

    /// Every property as stored, in id order.
    pub fn entries(&self) -> &[PcEntry] {
        &self.entries
    }

    /// The stored entry for `prop_id`.
    pub fn entry(&self, prop_id: u16) -> Option<&PcEntry> {
        self.entries.iter().find(|e| e.prop_id == prop_id)
    }

    /// The value of `prop_id`, if the node has it.
    pub fn get(&self, prop_id: u16) -> Result<Option<PropValue<'_>>> {
        match self.entry(prop_id) {
            Some(e) => self.value(e).map(Some),
            None => Ok(None),
        }
    }

    /// The value of `prop_id` as text, for string properties.
    pub fn string(&self, prop_id: u16) -> Result<Option<String>> {
        Ok(self.get(prop_id)?.and_then(|v| v.as_text()))
    }

    /// The value of one entry (MS-PST 2.3.3.3: inline when its type's size
    /// is at most 4 bytes, else behind the HNID).
    pub fn value(&self, e: &PcEntry) -> Result<PropValue<'_>> {
        let inline = || Cow::Owned(e.value_hnid.to_le_bytes().to_vec());
        let bytes: Cow<'_, [u8]> = match fixed_size(e.prop_type) {
            Some(n) if n <= 4 && e.prop_type & MV_FLAG == 0 => inline(),
            // Unspecified and unknown types: an HNID when it resolves, else
            // the inline bytes (readpst's reading of type 0x0000).
            None if e.prop_type == PT_UNSPECIFIED || !known_variable(e.prop_type) => {
                resolve_hnid(self.src, &self.node, &self.heap, e.value_hnid).unwrap_or_else(|_| inline())
            }
            _ => resolve_hnid(self.src, &self.node, &self.heap, e.value_hnid)?,
        };
        decode(e.prop_type, bytes).map_err(|err| {
            self.src.err(Corrupt::new(
                "PC value",
                err.offset,
                format!("node {:#x} property {:#06x}{:04x}: {}", self.node.nid, e.prop_id, e.prop_type, err.reason),
            ))
        })
    }

    /// The heap under this PC.
    pub fn heap(&self) -> &Heap<'a> {
        &self.heap
    }
}

/// Variable-size types MS-PST stores behind an HNID.
pub(crate) fn known_variable(ptype: u16) -> bool {
    use super::prop::*;
    matches!(ptype, PT_STRING8 | PT_UNICODE | PT_BINARY | PT_SVREID | PT_SRESTRICT | PT_ACTIONS | PT_OBJECT)
        || ptype == MV_FLAG | PT_STRING8
        || ptype == MV_FLAG | PT_UNICODE
        || ptype == MV_FLAG | PT_BINARY
}
