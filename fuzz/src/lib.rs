//! Shared pieces of the fuzz targets: a small PST writer that wraps
//! fuzzer-chosen node data in a well-formed file (so the LTP targets reach
//! the heap and table code instead of failing on CRCs), the decoding of
//! those inputs, and a bounded walk of a whole store.
#![forbid(unsafe_code)]

use std::io::Write;

use mailshift_pst::ndb::crypt::CryptMethod;
use mailshift_pst::raw::{
    BbtEntry, Bid, Bref, BtEntry, BtPageMeta, Format, HeaderFields, NbtEntry, PageTrailer, SlEntry, SubnodeBlockHeader,
    XBlockHeader, MAGIC_CLIENT_PST, PTYPE_BBT, PTYPE_NBT, W_VER_CLIENT,
};
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
    let max = format.max_block_size() - format.block_trailer_size();
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

/// Writes a PST (MS-PST 2.2.2) holding the given blocks and nodes, with
/// correct trailers, CRCs and signatures, and B-trees of as many levels as
/// the entries need.
pub struct Builder {
    format: Format,
    crypt: CryptMethod,
    /// (bid, plain data)
    blocks: Vec<(u64, Vec<u8>)>,
    /// (nid, bid_data, bid_sub, nid_parent)
    nodes: Vec<(u32, u64, u64, u32)>,
    next_bid: u64,
}

impl Builder {
    /// An empty file of `format`, external blocks encoded with `crypt`.
    pub fn new(format: Format, crypt: CryptMethod) -> Self {
        Builder { format, crypt, blocks: Vec::new(), nodes: Vec::new(), next_bid: 0x100 }
    }

    /// Adds one block; internal blocks (XBLOCK, SLBLOCK) get the BID's
    /// internal bit (MS-PST 2.2.2.2).
    pub fn block(&mut self, data: Vec<u8>, internal: bool) -> u64 {
        let bid = self.next_bid | if internal { Bid::INTERNAL } else { 0 };
        self.next_bid += Bid::STEP;
        self.blocks.push((bid, data));
        bid
    }

    /// A data tree over `leaves`: the block itself, or an XBLOCK
    /// (MS-PST 2.2.2.8.3.2.1) over them.
    pub fn tree(&mut self, leaves: &[&[u8]]) -> u64 {
        if let [one] = leaves {
            return self.block(one.to_vec(), false);
        }
        let total: usize = leaves.iter().map(|l| l.len()).sum();
        let bids: Vec<u64> = leaves.iter().map(|l| self.block(l.to_vec(), false)).collect();
        let x = XBlockHeader::build(self.format, 1, total as u32, &bids);
        self.block(x, true)
    }

    /// A data tree for `bytes`, cut into the largest blocks.
    pub fn data(&mut self, bytes: &[u8]) -> u64 {
        let max = self.format.max_block_size() - self.format.block_trailer_size();
        let max = max.min(8176);
        let leaves: Vec<&[u8]> = if bytes.is_empty() { vec![bytes] } else { bytes.chunks(max).collect() };
        self.tree(&leaves)
    }

    /// An SLBLOCK (MS-PST 2.2.2.8.3.3.1) of (nid, bidData); entries sorted here.
    pub fn subnodes(&mut self, entries: &[(u32, u64)]) -> u64 {
        let mut entries = entries.to_vec();
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        let entries: Vec<SlEntry> =
            entries.into_iter().map(|(nid, bid_data)| SlEntry { nid, bid_data, bid_sub: 0 }).collect();
        let s = SubnodeBlockHeader::build_leaf(self.format, &entries);
        self.block(s, true)
    }

    /// Adds an NBT entry.
    pub fn node(&mut self, nid: u32, bid_data: u64, bid_sub: u64, parent: u32) {
        self.nodes.push((nid, bid_data, bid_sub, parent));
    }

    /// Adds the node `nid` from a decoded input: its data tree and subnodes.
    pub fn node_from_input(&mut self, nid: u32, input: &NodeInput<'_>) {
        let data = self.tree(&input.blocks);
        let sub = if input.subnodes.is_empty() {
            0
        } else {
            let subs: Vec<(u32, u64)> = input.subnodes.iter().map(|(nid, d)| (*nid, self.data(d))).collect();
            self.subnodes(&subs)
        };
        self.node(nid, data, sub, NID_ROOT_FOLDER);
    }

    fn block_bytes(&self, ib: u64, bid: u64, plain: &[u8]) -> (Vec<u8>, u16) {
        let f = self.format;
        let mut stored = plain.to_vec();
        if !Bid(bid).is_internal() {
            self.crypt.encode(&mut stored, bid);
        }
        let inflated = stored.len() as u16;
        if f == Format::Unicode4k && stored.len() > 64 {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            if z.write_all(&stored).is_ok() {
                if let Ok(c) = z.finish() {
                    if c.len() < stored.len() {
                        stored = c;
                    }
                }
            }
        }
        let b = mailshift_pst::raw::BlockTrailer::build_block(f, ib, bid, &stored, inflated);
        (b, stored.len() as u16)
    }

    /// Lays out B-tree pages over `entries` (sorted by key, each `cb_ent`
    /// bytes), appending them to `file`; returns the root BREF.
    fn btree(
        &self,
        file: &mut Vec<u8>,
        ptype: u8,
        next_page_bid: &mut u64,
        keyed: Vec<(u64, Vec<u8>)>,
        cb_ent: usize,
    ) -> (u64, u64) {
        let f = self.format;
        let area = f.page().bt_entries;
        let mut level = 0u8;
        let mut current = keyed;
        let mut this_ent = cb_ent;
        loop {
            let per_page = (area / this_ent).max(1);
            let mut parents = Vec::new();
            let chunks: Vec<Vec<(u64, Vec<u8>)>> = if current.is_empty() {
                vec![Vec::new()]
            } else {
                current.chunks(per_page).map(<[_]>::to_vec).collect()
            };
            for chunk in &chunks {
                let ib = file.len() as u64;
                let bid = *next_page_bid;
                *next_page_bid += 4;
                let mut p = vec![0u8; f.page_size()];
                for (i, (_, e)) in chunk.iter().enumerate() {
                    p[i * this_ent..i * this_ent + e.len()].copy_from_slice(e);
                }
                let meta = BtPageMeta {
                    c_ent: chunk.len() as u16,
                    c_ent_max: (area / this_ent) as u16,
                    cb_ent: this_ent as u8,
                    c_level: level,
                };
                meta.write(&mut p, f);
                PageTrailer::seal(&mut p, f, ptype, ib, bid);
                file.extend_from_slice(&p);
                let key = chunk.first().map_or(0, |e| e.0);
                // BTENTRY (MS-PST 2.2.2.7.7.2): btkey, BREF.
                let mut e = vec![0u8; f.bt_entry_size()];
                BtEntry { btkey: key, bref: Bref { bid, ib } }.write(&mut e, f);
                parents.push((key, e));
            }
            if parents.len() == 1 {
                let ib = file.len() as u64 - f.page_size() as u64;
                return (*next_page_bid - 4, ib);
            }
            current = parents;
            this_ent = f.bt_entry_size();
            level += 1;
        }
    }

    /// The whole file.
    pub fn build(&self) -> Vec<u8> {
        let f = self.format;
        let ps = f.page_size();
        // Header area, padded to a page so that pages stay aligned.
        let mut file = vec![0u8; ps.max(1024)];
        let mut bbt = Vec::new();
        for (bid, plain) in &self.blocks {
            let ib = file.len() as u64;
            let (b, cb) = self.block_bytes(ib, *bid, plain);
            file.extend_from_slice(&b);
            let mut e = vec![0u8; f.bbt_entry_size()];
            BbtEntry { bid: *bid, ib, cb, c_ref: 1 }.write(&mut e, f);
            bbt.push((*bid, e));
        }
        // Pages are page-aligned (MS-PST 2.2.2.7).
        let pad = (ps - file.len() % ps) % ps;
        file.extend(std::iter::repeat_n(0u8, pad));
        bbt.sort_by_key(|e| e.0);
        let mut nodes = self.nodes.clone();
        nodes.sort_by_key(|n| n.0);
        nodes.dedup_by_key(|n| n.0);
        let nbt: Vec<(u64, Vec<u8>)> = nodes
            .iter()
            .map(|&(nid, bid_data, bid_sub, nid_parent)| {
                let mut e = vec![0u8; f.nbt_entry_size()];
                NbtEntry { nid, bid_data, bid_sub, nid_parent }.write(&mut e, f);
                (u64::from(nid), e)
            })
            .collect();
        let mut page_bid = self.next_bid + 0x1000;
        let nbt_root = self.btree(&mut file, PTYPE_NBT, &mut page_bid, nbt, f.nbt_entry_size());
        let bbt_root = self.btree(&mut file, PTYPE_BBT, &mut page_bid, bbt, f.bbt_entry_size());
        let eof = file.len() as u64;
        let crypt = match self.crypt {
            CryptMethod::None => 0,
            CryptMethod::Permute => 1,
            CryptMethod::Cyclic => 2,
        };
        let h = header(f, crypt, nbt_root, bbt_root, eof);
        file[..h.len()].copy_from_slice(&h);
        file
    }
}

/// A HEADER (MS-PST 2.2.2.6) with correct CRCs; roots are (bid, ib).
pub fn header(f: Format, crypt: u8, nbt: (u64, u64), bbt: (u64, u64), eof: u64) -> Vec<u8> {
    HeaderFields {
        magic_client: MAGIC_CLIENT_PST,
        w_ver: f.w_ver(),
        w_ver_client: W_VER_CLIENT,
        ib_file_eof: eof,
        bref_nbt: Bref { bid: nbt.0, ib: nbt.1 },
        bref_bbt: Bref { bid: bbt.0, ib: bbt.1 },
        b_crypt_method: crypt,
    }
    .encode()
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
    /// its layouts come from `mailshift_pst::raw`, as the reader's do.
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
}
