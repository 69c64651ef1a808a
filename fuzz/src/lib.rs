//! Shared pieces of the fuzz targets: a small PST writer that wraps
//! fuzzer-chosen node data in a well-formed file (so the LTP targets reach
//! the heap and table code instead of failing on CRCs), the decoding of
//! those inputs, and a bounded walk of a whole store.
#![forbid(unsafe_code)]

use std::io::Write;

use mailshift_pst::ndb::crc::crc32;
use mailshift_pst::ndb::crypt::CryptMethod;
use mailshift_pst::ndb::header::Format;
use mailshift_pst::ndb::page::{compute_sig, PTYPE_BBT, PTYPE_NBT};
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

    fn put_id(&self, out: &mut Vec<u8>, v: u64) {
        if self.format.is_unicode() {
            out.extend_from_slice(&v.to_le_bytes());
        } else {
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
    }

    /// Adds one block; internal blocks (XBLOCK, SLBLOCK) get the BID's
    /// internal bit (MS-PST 2.2.2.2).
    pub fn block(&mut self, data: Vec<u8>, internal: bool) -> u64 {
        let bid = self.next_bid | if internal { 2 } else { 0 };
        self.next_bid += 4;
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
        let mut x = vec![0x01, 0x01];
        x.extend_from_slice(&(bids.len() as u16).to_le_bytes());
        x.extend_from_slice(&(total as u32).to_le_bytes());
        for b in bids {
            self.put_id(&mut x, b);
        }
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
        let mut s = vec![0x02, 0x00];
        s.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        if self.format.is_unicode() {
            s.extend_from_slice(&[0; 4]);
        }
        for (nid, bid) in entries {
            self.put_id(&mut s, u64::from(nid));
            self.put_id(&mut s, bid);
            self.put_id(&mut s, 0);
        }
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
        if bid & 2 == 0 {
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
        let size = f.block_size(stored.len());
        let mut b = vec![0u8; size];
        b[..stored.len()].copy_from_slice(&stored);
        let t = size - f.block_trailer_size();
        b[t..t + 2].copy_from_slice(&(stored.len() as u16).to_le_bytes());
        b[t + 2..t + 4].copy_from_slice(&compute_sig(ib, bid).to_le_bytes());
        let crc = crc32(&stored);
        match f {
            Format::Ansi => {
                b[t + 4..t + 8].copy_from_slice(&(bid as u32).to_le_bytes());
                b[t + 8..t + 12].copy_from_slice(&crc.to_le_bytes());
            }
            _ => {
                b[t + 4..t + 8].copy_from_slice(&crc.to_le_bytes());
                b[t + 8..t + 16].copy_from_slice(&bid.to_le_bytes());
            }
        }
        if f == Format::Unicode4k {
            b[t + 18..t + 20].copy_from_slice(&inflated.to_le_bytes());
        }
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
        let area = match f {
            Format::Ansi => 496,
            Format::Unicode => 488,
            Format::Unicode4k => 4056,
        };
        let w = f.bid_size();
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
                let n = chunk.len();
                let max = area / this_ent;
                match f {
                    Format::Ansi => {
                        p[496] = n as u8;
                        p[497] = max as u8;
                        p[498] = this_ent as u8;
                        p[499] = level;
                    }
                    Format::Unicode => {
                        p[488] = n as u8;
                        p[489] = max as u8;
                        p[490] = this_ent as u8;
                        p[491] = level;
                    }
                    Format::Unicode4k => {
                        p[4056..4058].copy_from_slice(&(n as u16).to_le_bytes());
                        p[4058..4060].copy_from_slice(&(max as u16).to_le_bytes());
                        p[4060] = this_ent as u8;
                        p[4061] = level;
                    }
                }
                let t = f.page_size() - f.page_trailer_size();
                p[t] = ptype;
                p[t + 1] = ptype;
                p[t + 2..t + 4].copy_from_slice(&compute_sig(ib, bid).to_le_bytes());
                let crc = crc32(&p[..t]);
                match f {
                    Format::Ansi => {
                        p[t + 4..t + 8].copy_from_slice(&(bid as u32).to_le_bytes());
                        p[t + 8..t + 12].copy_from_slice(&crc.to_le_bytes());
                    }
                    _ => {
                        p[t + 4..t + 8].copy_from_slice(&crc.to_le_bytes());
                        p[t + 8..t + 16].copy_from_slice(&bid.to_le_bytes());
                    }
                }
                file.extend_from_slice(&p);
                let key = chunk.first().map_or(0, |e| e.0);
                // BTENTRY (MS-PST 2.2.2.7.7.2): btkey, BREF.
                let mut e = Vec::new();
                self.put_id(&mut e, key);
                self.put_id(&mut e, bid);
                self.put_id(&mut e, ib);
                parents.push((key, e));
            }
            if parents.len() == 1 {
                let ib = file.len() as u64 - f.page_size() as u64;
                return (*next_page_bid - 4, ib);
            }
            current = parents;
            this_ent = 3 * w;
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
            let mut e = Vec::new();
            self.put_id(&mut e, *bid);
            self.put_id(&mut e, ib);
            e.extend_from_slice(&cb.to_le_bytes());
            e.extend_from_slice(&1u16.to_le_bytes());
            if f.is_unicode() {
                e.extend_from_slice(&[0; 4]);
            }
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
            .map(|&(nid, data, sub, parent)| {
                let mut e = Vec::new();
                self.put_id(&mut e, u64::from(nid));
                self.put_id(&mut e, data);
                self.put_id(&mut e, sub);
                e.extend_from_slice(&parent.to_le_bytes());
                if f.is_unicode() {
                    e.extend_from_slice(&[0; 4]);
                }
                (u64::from(nid), e)
            })
            .collect();
        let w = f.bid_size();
        let mut page_bid = self.next_bid + 0x1000;
        let nbt_ent = if f.is_unicode() { 32 } else { 16 };
        let bbt_ent = if f.is_unicode() { 24 } else { 12 };
        debug_assert_eq!(bbt_ent, 2 * w + 4 + if f.is_unicode() { 4 } else { 0 });
        let nbt_root = self.btree(&mut file, PTYPE_NBT, &mut page_bid, nbt, nbt_ent);
        let bbt_root = self.btree(&mut file, PTYPE_BBT, &mut page_bid, bbt, bbt_ent);
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
    if f == Format::Ansi {
        let mut h = vec![0u8; 512];
        h[..4].copy_from_slice(b"!BDN");
        h[8..10].copy_from_slice(b"SM");
        h[10..12].copy_from_slice(&14u16.to_le_bytes());
        h[12..14].copy_from_slice(&19u16.to_le_bytes());
        h[168..172].copy_from_slice(&(eof as u32).to_le_bytes());
        h[184..188].copy_from_slice(&(nbt.0 as u32).to_le_bytes());
        h[188..192].copy_from_slice(&(nbt.1 as u32).to_le_bytes());
        h[192..196].copy_from_slice(&(bbt.0 as u32).to_le_bytes());
        h[196..200].copy_from_slice(&(bbt.1 as u32).to_le_bytes());
        h[460] = 0x80;
        h[461] = crypt;
        let partial = crc32(&h[8..8 + 471]);
        h[4..8].copy_from_slice(&partial.to_le_bytes());
        return h;
    }
    let w_ver: u16 = if f == Format::Unicode4k { 36 } else { 23 };
    let mut h = vec![0u8; 564];
    h[..4].copy_from_slice(b"!BDN");
    h[8..10].copy_from_slice(b"SM");
    h[10..12].copy_from_slice(&w_ver.to_le_bytes());
    h[12..14].copy_from_slice(&19u16.to_le_bytes());
    h[184..192].copy_from_slice(&eof.to_le_bytes());
    h[216..224].copy_from_slice(&nbt.0.to_le_bytes());
    h[224..232].copy_from_slice(&nbt.1.to_le_bytes());
    h[232..240].copy_from_slice(&bbt.0.to_le_bytes());
    h[240..248].copy_from_slice(&bbt.1.to_le_bytes());
    h[512] = 0x80;
    h[513] = crypt;
    let partial = crc32(&h[8..8 + 471]);
    h[4..8].copy_from_slice(&partial.to_le_bytes());
    let full = crc32(&h[8..8 + 516]);
    h[524..528].copy_from_slice(&full.to_le_bytes());
    h
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
        match sub.nid & 0x1F {
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
