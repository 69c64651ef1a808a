//! Shared pieces of the fuzz targets: a small PST builder over the
//! crate's own writer (`mailshift_pst::ndb::write::NdbWriter`) that wraps
//! fuzzer-chosen node data in a well-formed file (so the LTP targets reach
//! the heap and table code instead of failing on CRCs), the decoding of
//! those inputs, and a bounded walk of a whole store.
#![forbid(unsafe_code)]

use mailshift_pst::ndb::crypt::CryptMethod;
use mailshift_pst::ndb::subnode::SubnodeEntry;
use mailshift_pst::ndb::write::{NdbWriter, WriteOptions};
use mailshift_pst::raw::{Bid, Format};
use mailshift_pst::{
    nid_with_type, Pst, NID_MESSAGE_STORE, NID_ROOT_FOLDER, NID_TYPE_ASSOC_CONTENTS_TABLE, NID_TYPE_CONTENTS_TABLE,
    NID_TYPE_HIERARCHY_TABLE, PR_DISPLAY_NAME,
};

/// The NID the LTP targets give the node built from their input.
pub const FUZZ_NID: u32 = 0x0020_0024;

/// Format and encoding from the low bits of a selector byte.
pub fn format_and_crypt(b: u8) -> (Format, CryptMethod) {
    let format = match b & 3 {
        0 => Format::Ansi,
        2 => Format::Unicode4k,
        _ => Format::Unicode,
    };
    let crypt = match (b >> 2) & 3 {
        1 => CryptMethod::Permute,
        2 => CryptMethod::Cyclic,
        _ => CryptMethod::None,
    };
    (format, crypt)
}

/// The selector byte for `format_and_crypt`.
pub fn selector(format: Format, crypt: CryptMethod) -> u8 {
    let f = match format {
        Format::Ansi => 0,
        Format::Unicode => 1,
        Format::Unicode4k => 2,
    };
    let c = match crypt {
        CryptMethod::None => 0,
        CryptMethod::Permute => 1,
        CryptMethod::Cyclic => 2,
    };
    f | (c << 2)
}

/// A node's data as the LTP targets take it.
#[derive(Debug, Default)]
pub struct NodeInput<'a> {
    /// The data blocks of the node's data tree (one or an XBLOCK over several).
    pub blocks: Vec<&'a [u8]>,
    /// Subnodes: (nid, data).
    pub subnodes: Vec<(u32, &'a [u8])>,
}

/// Most records an input is cut into.
const MAX_RECORDS: usize = 16;

/// Decodes `[selector] [n data blocks] then records (u32 nid, u16 len, bytes)`:
/// the first `n % 8 + 1` records are data blocks (nid ignored), the rest
/// subnodes. The last record may be short.
pub fn decode_node_input(data: &[u8]) -> Option<(Format, CryptMethod, NodeInput<'_>)> {
    let (&sel, rest) = data.split_first()?;
    let (&n, mut rest) = rest.split_first()?;
    let (format, crypt) = format_and_crypt(sel);
    let n_blocks = usize::from(n % 8) + 1;
    let max = format.max_block_data();
    let mut out = NodeInput::default();
    while rest.len() >= 6 && out.blocks.len() + out.subnodes.len() < MAX_RECORDS {
        let nid = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let len = usize::from(u16::from_le_bytes([rest[4], rest[5]]));
        let body = &rest[6..];
        let take = len.min(body.len());
        let (chunk, tail) = body.split_at(take);
        rest = tail;
        if out.blocks.len() < n_blocks {
            out.blocks.push(&chunk[..chunk.len().min(max)]);
        } else {
            out.subnodes.push((nid, chunk));
        }
    }
    if out.blocks.is_empty() {
        return None;
    }
    Some((format, crypt, out))
}

/// Encodes what `decode_node_input` decodes (for seeds).
pub fn encode_node_input(format: Format, crypt: CryptMethod, node: &NodeInput<'_>) -> Vec<u8> {
    let mut out = vec![selector(format, crypt), (node.blocks.len().max(1) - 1) as u8];
    let records = node.blocks.iter().map(|b| (0u32, *b)).chain(node.subnodes.iter().copied());
    for (nid, b) in records.take(MAX_RECORDS) {
        let b = &b[..b.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&nid.to_le_bytes());
        out.extend_from_slice(&(b.len() as u16).to_le_bytes());
        out.extend_from_slice(b);
    }
    out
}

/// A PST (MS-PST 2.2.2) holding the given blocks and nodes, written by
/// [`NdbWriter`]: correct trailers, CRCs, signatures and maps, B-trees of
/// as many levels as the entries need, in any layout and encoding. Data
/// trees may have leaves of any size ([`NdbWriter::add_raw_data_tree`]),
/// which is what the LTP targets feed the readers.
///
/// The harness's inputs are within the writer's limits (blocks of at most
/// [`Format::max_block_data`] bytes, a few of them): a call the writer
/// refuses is a bug of the harness, and panics.
#[derive(Debug)]
pub struct Builder {
    writer: NdbWriter,
}

impl Builder {
    /// An empty file of `format`, external blocks encoded with `crypt`.
    pub fn new(format: Format, crypt: CryptMethod) -> Self {
        Builder { writer: NdbWriter::in_memory(WriteOptions { format, crypt, fsync: false }) }
    }

    /// The layout being written.
    pub fn format(&self) -> Format {
        self.writer.format()
    }

    /// A data tree over `leaves` as given: no BID for none, the block
    /// itself for one (empty or not), else an XBLOCK over them
    /// (MS-PST 2.2.2.8.3.2.1), whatever their sizes.
    pub fn tree(&mut self, leaves: &[&[u8]]) -> u64 {
        self.writer.add_raw_data_tree(leaves).expect("the harness's leaves fit in blocks").0
    }

    /// One data block holding `data` (0 to [`Format::max_block_data`] bytes).
    pub fn block(&mut self, data: &[u8]) -> u64 {
        self.tree(&[data])
    }

    /// A data tree for `bytes` as a real writer makes it: one block, or full
    /// blocks under an XBLOCK; no block (BID 0) for no bytes.
    pub fn data(&mut self, bytes: &[u8]) -> u64 {
        self.writer.add_data(bytes).expect("the harness's data fits in a data tree").0
    }

    /// A subnode tree (MS-PST 2.2.2.8.3.3) of (nid, bidData), any order;
    /// the NIDs must differ.
    pub fn subnodes(&mut self, entries: &[(u32, u64)]) -> u64 {
        let entries: Vec<SubnodeEntry> =
            entries.iter().map(|&(nid, bid_data)| SubnodeEntry { nid, bid_data, bid_sub: 0 }).collect();
        self.writer.add_subnode_tree(&entries).expect("the harness's subnodes are distinct").0
    }

    /// Adds an NBT entry; `bid_data` and `bid_sub` come from this builder
    /// (or are 0), and each NID is added once.
    pub fn node(&mut self, nid: u32, bid_data: u64, bid_sub: u64, parent: u32) {
        self.writer.add_node(nid, Bid(bid_data), Bid(bid_sub), parent).expect("the harness's BIDs are its own");
    }

    /// Adds the node `nid` from a decoded input: its data tree over the
    /// input's blocks as they are, and its subnodes (the first of a
    /// repeated NID kept).
    pub fn node_from_input(&mut self, nid: u32, input: &NodeInput<'_>) {
        let data = self.tree(&input.blocks);
        let mut subs: Vec<(u32, &[u8])> = Vec::with_capacity(input.subnodes.len());
        for &(n, d) in &input.subnodes {
            if !subs.iter().any(|s| s.0 == n) {
                subs.push((n, d));
            }
        }
        let sub = if subs.is_empty() {
            0
        } else {
            let entries: Vec<(u32, u64)> = subs.iter().map(|&(n, d)| (n, self.data(d))).collect();
            self.subnodes(&entries)
        };
        self.node(nid, data, sub, NID_ROOT_FOLDER);
    }

    /// The whole file: B-trees, maps and header written at the end.
    pub fn build(self) -> Vec<u8> {
        self.writer.finish_to_vec().expect("the harness adds every block it writes to a node or tree")
    }
}

/// Limits of [`walk`]: enough to reach every structure, small enough that
/// one input stays fast.
const MAX_FOLDERS: usize = 64;
const MAX_ROWS: usize = 256;

/// Reads everything a converter would from `pst`, bounded: the store PC,
/// the folder tree through hierarchy tables, each contents table's rows and
/// cells, each message's PC values and subnodes. Errors are ignored (they
/// are the expected outcome for most inputs); only panics, hangs and huge
/// allocations matter here.
pub fn walk(pst: &Pst) {
    if let Ok(Some(store)) = pst.node(NID_MESSAGE_STORE) {
        if let Ok(pc) = pst.property_context(&store) {
            let _ = pc.string(PR_DISPLAY_NAME);
            for e in pc.entries() {
                let _ = pc.value(e);
            }
        }
    }
    let mut stack = vec![NID_ROOT_FOLDER];
    let mut seen = Vec::new();
    while let Some(folder) = stack.pop() {
        if seen.contains(&folder) || seen.len() >= MAX_FOLDERS {
            continue;
        }
        seen.push(folder);
        if let Ok(Some(n)) = pst.node(folder) {
            if let Ok(pc) = pst.property_context(&n) {
                let _ = pc.string(PR_DISPLAY_NAME);
            }
        }
        if let Ok(Some(ht)) = pst.node(nid_with_type(folder, NID_TYPE_HIERARCHY_TABLE)) {
            if let Ok(tc) = pst.table_context(&ht) {
                for i in 0..tc.row_count().min(MAX_ROWS) {
                    let _ = tc.get(i, PR_DISPLAY_NAME);
                    if let Some(id) = tc.row_id(i) {
                        stack.push(id);
                    }
                }
            }
        }
        for t in [NID_TYPE_CONTENTS_TABLE, NID_TYPE_ASSOC_CONTENTS_TABLE] {
            let Ok(Some(ct)) = pst.node(nid_with_type(folder, t)) else {
                continue;
            };
            let Ok(tc) = pst.table_context(&ct) else {
                continue;
            };
            for i in 0..tc.row_count().min(MAX_ROWS) {
                for c in tc.columns() {
                    let _ = tc.cell(i, c);
                }
                let Some(Ok(Some(msg))) = tc.row_id(i).map(|id| pst.node(id)) else {
                    continue;
                };
                read_message(pst, &msg);
            }
        }
    }
}

/// A message's PC values, then its subnodes' data and, for those that hold
/// a PC or TC (attachments, recipients), their values.
pub fn read_message(pst: &Pst, msg: &mailshift_pst::NodeRef) {
    if let Ok(pc) = pst.property_context(msg) {
        for e in pc.entries() {
            let _ = pc.value(e);
        }
    }
    let Ok(subs) = pst.subnodes(msg) else { return };
    for sub in subs.iter().take(MAX_ROWS) {
        if let Ok(tree) = pst.data_tree(sub) {
            let _ = tree.read_all();
            let mut sink = Vec::new();
            let _ = std::io::Read::read_to_end(&mut tree.reader(), &mut sink);
        }
        match mailshift_pst::raw::Nid(sub.nid).nid_type() {
            // Attachment PCs (NID_TYPE_ATTACHMENT).
            0x05 => {
                if let Ok(pc) = pst.property_context(sub) {
                    for e in pc.entries() {
                        let _ = pc.value(e);
                    }
                }
            }
            // Recipient and attachment tables.
            0x12 | 0x11 => {
                if let Ok(tc) = pst.table_context(sub) {
                    for i in 0..tc.row_count().min(MAX_ROWS) {
                        for c in tc.columns() {
                            let _ = tc.cell(i, c);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The builder's files open and read back in every layout and encoding:
    /// it writes through the crate's writer, as PstWriter does.
    #[test]
    fn built_files_read_back() {
        for format in [Format::Ansi, Format::Unicode, Format::Unicode4k] {
            for crypt in [CryptMethod::None, CryptMethod::Permute, CryptMethod::Cyclic] {
                let mut b = Builder::new(format, crypt);
                let text: Vec<u8> = b"node data that compresses well ".repeat(700);
                let data = b.data(&text);
                let sub_data = b.data(b"subnode");
                let sub = b.subnodes(&[(0x8025, sub_data)]);
                b.node(FUZZ_NID, data, sub, NID_ROOT_FOLDER);
                for i in 0..200u32 {
                    let d = b.data(&i.to_le_bytes());
                    b.node(0x0040_0000 + (i << 5) + 4, d, 0, NID_ROOT_FOLDER);
                }
                let pst = Pst::from_bytes("built.pst", b.build()).expect("opens");
                assert!(pst.problems().is_empty(), "{format:?}/{crypt:?}: {:?}", pst.problems());
                let node = pst.node(FUZZ_NID).expect("NBT").expect("node");
                assert_eq!(&pst.read_node_data(&node).expect("data")[..], &text[..], "{format:?}/{crypt:?}");
                let s = pst.subnode(&node, 0x8025).expect("SLBLOCK").expect("subnode");
                assert_eq!(&pst.read_node_data(&s).expect("data")[..], b"subnode");
                let last = pst.node(0x0040_0000 + (199 << 5) + 4).expect("NBT").expect("node");
                assert_eq!(&pst.read_node_data(&last).expect("data")[..], &199u32.to_le_bytes());
            }
        }
    }

    /// What the LTP targets build: a decoded input's blocks as they are
    /// (short, empty, several), its subnodes with a repeated NID and empty
    /// data, in every layout; the file opens and the node's data tree has
    /// the input's blocks.
    #[test]
    fn inputs_become_files_with_their_blocks() {
        let blocks: [&[u8]; 3] = [b"short first block", b"", b"last"];
        let subnodes: Vec<(u32, &[u8])> = vec![(0x8025, b"one"), (0x0, b""), (0x8025, b"again"), (0x1F, &[7u8; 9000])];
        let node = NodeInput { blocks: blocks.to_vec(), subnodes };
        for format in [Format::Ansi, Format::Unicode, Format::Unicode4k] {
            for crypt in [CryptMethod::None, CryptMethod::Permute] {
                let encoded = encode_node_input(format, crypt, &node);
                let (f, c, input) = decode_node_input(&encoded).expect("decodes");
                assert_eq!((f, c), (format, crypt));
                let mut b = Builder::new(f, c);
                b.node_from_input(FUZZ_NID, &input);
                let pst = Pst::from_bytes("fuzz.pst", b.build()).expect("opens");
                let n = pst.node(FUZZ_NID).expect("NBT").expect("node");
                let tree = pst.data_tree(&n).expect("tree");
                assert_eq!(tree.block_count(), 3, "{format:?}");
                assert_eq!(tree.declared_len(), 21);
                assert_eq!(&tree.read_all().expect("data")[..], b"short first blocklast");
                let subs: Vec<u32> = pst.subnodes(&n).expect("subnodes").iter().map(|s| s.nid).collect();
                assert_eq!(subs, vec![0x0, 0x1F, 0x8025]);
                let s = pst.subnode(&n, 0x8025).expect("SLBLOCK").expect("subnode");
                assert_eq!(&pst.read_node_data(&s).expect("data")[..], b"one", "the first of a repeated NID");
                read_message(&pst, &n);
            }
        }
        // One empty block is a block of its own.
        let mut b = Builder::new(Format::Unicode, CryptMethod::None);
        let e = b.block(b"");
        assert_ne!(e, 0);
        b.node(FUZZ_NID, e, 0, NID_ROOT_FOLDER);
        let pst = Pst::from_bytes("fuzz.pst", b.build()).expect("opens");
        let n = pst.node(FUZZ_NID).expect("NBT").expect("node");
        assert_eq!(pst.ndb().bbt(n.bid_data).expect("BBT").expect("entry").cb, 0);
    }
}
