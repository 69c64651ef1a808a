//! Building a property context (MS-PST 2.3.3): a BTH of property id ->
//! (type, `dwValueHnid`) over a heap, large values in subnodes.

use std::collections::BTreeMap;

use super::bth::BthLayout;
use super::heap::HeapBuilder;
use super::value::encode;
use super::{BuiltNode, BuiltSubnode, LtpWriteError, NidAllocator, NodeData, WResult, MAX_ALLOC, NID_TYPE_LTP};
use crate::ltp::heap::BTYPE_PC;
use crate::ltp::prop::{fixed_size, PropValue, MV_FLAG, PT_OBJECT};
use crate::raw::Format;

/// Checks that `bytes` can be a stored value of `ptype`: fixed-size types
/// at their size, multi-valued fixed types a whole number of values,
/// `PtypObject` its 8-byte (NID, size).
pub(crate) fn check_stored(structure: &'static str, ptype: u16, bytes: &[u8]) -> WResult<()> {
    let ok = match fixed_size(ptype) {
        Some(n) if ptype & MV_FLAG == 0 => bytes.len() == n,
        Some(n) => n != 0 && bytes.len().is_multiple_of(n),
        None if ptype == PT_OBJECT => bytes.len() == 8,
        None => true,
    };
    if ok {
        Ok(())
    } else {
        Err(LtpWriteError::new(structure, format!("{} bytes cannot be a value of type {ptype:#06x}", bytes.len())))
    }
}

/// Where a variable-size (or wide fixed-size) value goes (MS-PST 2.3.3.3,
/// 2.3.4.4.1): nowhere when empty (HNID 0), the heap when it fits one
/// allocation, else a subnode of its own.
pub(crate) fn store_hnid(
    heap: &mut HeapBuilder,
    subnodes: &mut Vec<BuiltSubnode>,
    nids: &mut dyn NidAllocator,
    bytes: Vec<u8>,
) -> WResult<u32> {
    if bytes.is_empty() {
        Ok(0)
    } else if bytes.len() <= MAX_ALLOC {
        heap.alloc(&bytes)
    } else {
        if u32::try_from(bytes.len()).is_err() {
            return Err(LtpWriteError::new("HNID", format!("a value of {} bytes", bytes.len())));
        }
        let nid = nids.next_nid(NID_TYPE_LTP);
        subnodes.push(BuiltSubnode { nid, node: BuiltNode::stream(bytes) });
        Ok(nid)
    }
}

/// Fails when two subnodes share a NID (the allocator and the caller's
/// own subnodes must not collide).
pub(crate) fn check_subnodes(structure: &'static str, subnodes: &[BuiltSubnode]) -> WResult<()> {
    let mut seen = std::collections::HashSet::with_capacity(subnodes.len());
    match subnodes.iter().find(|s| !seen.insert(s.nid)) {
        Some(s) => Err(LtpWriteError::new(structure, format!("two subnodes with NID {:#x}", s.nid))),
        None => Ok(()),
    }
}

/// A property context under construction.
///
/// ```
/// use mailshift_pst::ltp::write::{LocalNids, PcBuilder};
/// use mailshift_pst::ltp::{MemSource, NodeSource};
/// use mailshift_pst::raw::Format;
/// use mailshift_pst::{tags, PropValue, PropertyContext};
///
/// let mut pc = PcBuilder::new(Format::Unicode);
/// pc.set(tags::DISPLAY_NAME, &PropValue::Unicode("Inbox".into())).unwrap();
/// let node = pc.build(&mut LocalNids::default()).unwrap();
///
/// let mut mem = MemSource::new("memory", Format::Unicode);
/// let r = mem.add_built(0x2022, &node);
/// let read = PropertyContext::new(&mem, r).unwrap();
/// assert_eq!(read.string(tags::DISPLAY_NAME).unwrap().as_deref(), Some("Inbox"));
/// ```
#[derive(Clone, Debug)]
pub struct PcBuilder {
    format: Format,
    props: BTreeMap<u16, (u16, Vec<u8>)>,
    /// Property ids in the order they were first set: the order of their
    /// values in the heap.
    order: Vec<u16>,
    subnodes: Vec<BuiltSubnode>,
}

impl PcBuilder {
    /// An empty PC for a file of `format`.
    pub fn new(format: Format) -> PcBuilder {
        PcBuilder { format, props: BTreeMap::new(), order: Vec::new(), subnodes: Vec::new() }
    }

    /// Sets property `prop_id` to `value` (replacing any value it had).
    pub fn set(&mut self, prop_id: u16, value: &PropValue<'_>) -> WResult<()> {
        let (ptype, bytes) = encode(value);
        self.set_raw(prop_id, ptype, bytes)
    }

    /// Sets property `prop_id` of type `prop_type` to `stored`, the value as
    /// [`encode`] gives it (replacing any value it had).
    pub fn set_raw(&mut self, prop_id: u16, prop_type: u16, stored: Vec<u8>) -> WResult<()> {
        check_stored("PC value", prop_type, &stored)?;
        if self.props.insert(prop_id, (prop_type, stored)).is_none() {
            self.order.push(prop_id);
        }
        Ok(())
    }

    /// Adds a subnode the properties refer to: the data of a `PtypObject`
    /// value (an embedded message's PC, an OLE object's stream), or a
    /// message's recipient and attachment tables and attachment PCs
    /// (MS-PST 2.4.5, 2.4.6). Its NID must not collide with those the
    /// allocator hands out for large values.
    pub fn add_subnode(&mut self, nid: u32, node: BuiltNode) {
        self.subnodes.push(BuiltSubnode { nid, node });
    }

    /// Number of properties set.
    pub fn len(&self) -> usize {
        self.props.len()
    }

    /// Whether no property is set.
    pub fn is_empty(&self) -> bool {
        self.props.is_empty()
    }

    /// Builds the node (MS-PST 2.3.3): the heap's first allocation is the
    /// `BTHHEADER` (`hidUserRoot`), then the BTH of `PC BTH Record`s
    /// (cbKey 2, cbEnt 6) sorted by property id, then the values in the
    /// order the properties were first set (as Outlook's heaps have them).
    /// Values of at most 4 bytes are inline in
    /// `dwValueHnid` (MS-PST 2.3.3.3); larger ones are in the heap, or in a
    /// subnode of `nidType` [`NID_TYPE_LTP`] when above
    /// [`MAX_ALLOC`](super::MAX_ALLOC) bytes; empty ones are HNID 0.
    pub fn build(self, nids: &mut dyn NidAllocator) -> WResult<BuiltNode> {
        let mut heap = HeapBuilder::new(self.format, BTYPE_PC);
        let mut subnodes = self.subnodes;
        let keys = self.props.keys().map(|id| id.to_le_bytes().to_vec()).collect();
        let layout = BthLayout::reserve(&mut heap, None, 2, 6, keys)?;
        heap.set_user_root(layout.header());
        let mut props = self.props;
        let mut hnids = std::collections::HashMap::with_capacity(props.len());
        for id in self.order {
            let Some((ptype, bytes)) = props.get_mut(&id) else { continue };
            let hnid = match fixed_size(*ptype) {
                Some(n) if n <= 4 && *ptype & MV_FLAG == 0 => {
                    let mut inline = [0u8; 4];
                    inline[..bytes.len()].copy_from_slice(bytes);
                    u32::from_le_bytes(inline)
                }
                _ => store_hnid(&mut heap, &mut subnodes, nids, std::mem::take(bytes))?,
            };
            hnids.insert(id, hnid);
        }
        let records: Vec<Vec<u8>> = props
            .iter()
            .map(|(id, (ptype, _))| {
                let mut rec = ptype.to_le_bytes().to_vec();
                rec.extend_from_slice(&hnids[id].to_le_bytes());
                rec
            })
            .collect();
        layout.fill(&mut heap, &records)?;
        check_subnodes("PC", &subnodes)?;
        Ok(BuiltNode { data: NodeData::Blocks(heap.finish()), subnodes })
    }
}
