//! End-to-end tests over PST files built here, byte by byte, in all three
//! layouts: the only way to exercise the 4K OST layout (wVer 36, zlib
//! blocks), of which no sample file is available.

use std::io::Write;

use crate::ltp::heap::tests::build_heap_block;
use crate::ltp::heap::{BTYPE_PC, BTYPE_TC};
use crate::ndb::block::tests::build_block;
use crate::ndb::crypt::CryptMethod;
use crate::ndb::header::tests::header;
use crate::ndb::header::{Bref, Format};
use crate::ndb::page::tests::build_bt_page;
use crate::raw::{BbtEntry, Bid, Hid, NbtEntry, SlEntry, SubnodeBlockHeader, XBlockHeader, PTYPE_BBT, PTYPE_NBT};
use crate::{nid_with_type, PropValue, Pst, NID_MESSAGE_STORE, NID_ROOT_FOLDER, PR_DISPLAY_NAME};

struct Synth {
    format: Format,
    crypt: CryptMethod,
    /// (bid, plain data, compress in 4K files)
    blocks: Vec<(u64, Vec<u8>, bool)>,
    nodes: Vec<(u32, u64, u64)>,
    next_bid: u64,
}

impl Synth {
    fn new(format: Format, crypt: CryptMethod) -> Self {
        Synth { format, crypt, blocks: Vec::new(), nodes: Vec::new(), next_bid: 0x100 }
    }

    fn block(&mut self, data: Vec<u8>, internal: bool, compress: bool) -> u64 {
        let bid = self.next_bid | if internal { Bid::INTERNAL } else { 0 };
        self.next_bid += Bid::STEP;
        self.blocks.push((bid, data, compress));
        bid
    }

    /// An XBLOCK over `leaves` (MS-PST 2.2.2.8.3.2.1).
    fn xblock(&mut self, leaves: &[Vec<u8>]) -> u64 {
        let total: usize = leaves.iter().map(Vec::len).sum();
        let bids: Vec<u64> = leaves.iter().map(|l| self.block(l.clone(), false, true)).collect();
        let x = XBlockHeader::build(self.format, 1, total as u32, &bids);
        self.block(x, true, false)
    }

    /// An SLBLOCK (MS-PST 2.2.2.8.3.3.1) of (nid, bidData).
    fn slblock(&mut self, entries: &[(u32, u64)]) -> u64 {
        let entries: Vec<SlEntry> =
            entries.iter().map(|&(nid, bid_data)| SlEntry { nid, bid_data, bid_sub: 0 }).collect();
        let s = SubnodeBlockHeader::build_leaf(self.format, &entries);
        self.block(s, true, false)
    }

    fn build(&self) -> Vec<u8> {
        let f = self.format;
        let ps = f.page_size() as u64;
        let (nbt_ib, bbt_ib) = (ps * 2, ps * 3);
        let (nbt_bid, bbt_bid) = (0x24u64, 0x28u64);
        let mut file = vec![0u8; (ps * 4) as usize];
        let mut bbt = Vec::new();
        for (bid, plain, compress) in &self.blocks {
            let mut stored = plain.clone();
            let mut inflated = stored.len() as u16;
            if !Bid(*bid).is_internal() {
                self.crypt.encode(&mut stored, *bid);
            }
            if f == Format::Unicode4k && *compress {
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
                z.write_all(&stored).expect("in memory");
                stored = z.finish().expect("in memory");
            } else {
                inflated = stored.len() as u16;
            }
            let ib = file.len() as u64;
            file.extend(build_block(f, ib, *bid, &stored, inflated));
            let mut e = vec![0u8; f.bbt_entry_size()];
            BbtEntry { bid: *bid, ib, cb: stored.len() as u16, c_ref: 1 }.write(&mut e, f);
            bbt.push((*bid, e));
        }
        bbt.sort_by_key(|e| e.0);
        let mut nodes = self.nodes.clone();
        nodes.sort_by_key(|n| n.0);
        let nbt: Vec<Vec<u8>> = nodes
            .iter()
            .map(|&(nid, bid_data, bid_sub)| {
                let mut e = vec![0u8; f.nbt_entry_size()];
                NbtEntry { nid, bid_data, bid_sub, nid_parent: NID_ROOT_FOLDER }.write(&mut e, f);
                e
            })
            .collect();
        let nbt_page = build_bt_page(f, PTYPE_NBT, nbt_ib, nbt_bid, 0, f.nbt_entry_size(), &nbt);
        let bbt_entries: Vec<Vec<u8>> = bbt.into_iter().map(|e| e.1).collect();
        let bbt_page = build_bt_page(f, PTYPE_BBT, bbt_ib, bbt_bid, 0, f.bbt_entry_size(), &bbt_entries);
        file[nbt_ib as usize..(nbt_ib + ps) as usize].copy_from_slice(&nbt_page);
        file[bbt_ib as usize..(bbt_ib + ps) as usize].copy_from_slice(&bbt_page);
        let eof = file.len() as u64;
        let crypt = match self.crypt {
            CryptMethod::None => 0,
            CryptMethod::Permute => 1,
            CryptMethod::Cyclic => 2,
        };
        let header =
            header(f.w_ver(), crypt, Bref { bid: nbt_bid, ib: nbt_ib }, Bref { bid: bbt_bid, ib: bbt_ib }, eof);
        file[..header.len()].copy_from_slice(&header);
        file
    }
}

/// The HID of allocation `index` in heap block `block` (MS-PST 2.3.1.1).
fn hid(index: u16, block: u16) -> u32 {
    Hid::new(index, block).into()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

const SUB_NID: u32 = 0x0000_8025; // a subnode holding a large binary value
const PR_BIG: u16 = 0x1000; // stored in that subnode
const PR_COUNT: u16 = 0x3602;
const PR_TIME: u16 = 0x3007;

fn big_value() -> Vec<u8> {
    (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// A store PC (NID 0x21) and the root folder's hierarchy table (0x12D)
/// with two folders, in `format` and `crypt`.
fn synth_pst(format: Format, crypt: CryptMethod) -> Vec<u8> {
    let mut s = Synth::new(format, crypt);

    // Store PC (MS-PST 2.3.3): BTH header, records, then the values.
    let pc_rec = |id: u16, t: u16, v: u32| {
        let mut r = id.to_le_bytes().to_vec();
        r.extend_from_slice(&t.to_le_bytes());
        r.extend_from_slice(&v.to_le_bytes());
        r
    };
    let records = [
        pc_rec(PR_BIG, 0x0102, SUB_NID),
        pc_rec(PR_DISPLAY_NAME, 0x001F, hid(3, 0)),
        pc_rec(PR_TIME, 0x0040, hid(4, 0)),
        pc_rec(0x340D, 0x0003, 0x0000_0E79),
        pc_rec(0x6633, 0x000B, 1),
    ]
    .concat();
    let mut bth = vec![0xB5, 2, 6, 0];
    bth.extend_from_slice(&hid(2, 0).to_le_bytes());
    let ft = 0x01D9_0000_0000_0000i64.to_le_bytes().to_vec();
    let heap = build_heap_block(Some((BTYPE_PC, hid(1, 0))), &[bth, records, utf16("Synth store"), ft]);
    let store_data = s.block(heap, false, true);
    let big = big_value();
    let big_tree = s.xblock(&[big[..6000].to_vec(), big[6000..].to_vec()]);
    let store_sub = s.slblock(&[(SUB_NID, big_tree)]);
    s.nodes.push((NID_MESSAGE_STORE, store_data, store_sub));

    // Hierarchy table TC (MS-PST 2.3.4): columns name (HNID), content
    // count, row id; rows of 13 bytes (12 of 4-byte cells, 1 of CEB).
    let coldesc = |tag: u32, ib: u16, cb: u8, bit: u8| {
        let mut c = tag.to_le_bytes().to_vec();
        c.extend_from_slice(&ib.to_le_bytes());
        c.push(cb);
        c.push(bit);
        c
    };
    let mut tcinfo = vec![0x7C, 3];
    for r in [12u16, 12, 12, 13] {
        tcinfo.extend_from_slice(&r.to_le_bytes());
    }
    tcinfo.extend_from_slice(&hid(2, 0).to_le_bytes()); // hidRowIndex
    tcinfo.extend_from_slice(&hid(4, 0).to_le_bytes()); // hnidRows
    tcinfo.extend_from_slice(&0u32.to_le_bytes()); // hidIndex
    tcinfo.extend(coldesc(0x3001_001F, 4, 4, 1));
    tcinfo.extend(coldesc(0x3602_0003, 8, 4, 2));
    tcinfo.extend(coldesc(0x67F2_0003, 0, 4, 0));
    let row_index_cb: u8 = if format.is_unicode() { 4 } else { 2 };
    let mut rbth = vec![0xB5, 4, row_index_cb, 0];
    rbth.extend_from_slice(&hid(3, 0).to_le_bytes());
    let mut rindex = Vec::new();
    for (id, idx) in [(0x8022u32, 0u32), (0x8042, 1)] {
        rindex.extend_from_slice(&id.to_le_bytes());
        rindex.extend_from_slice(&idx.to_le_bytes()[..row_index_cb as usize]);
    }
    let mut rows = Vec::new();
    for (id, name_hid, count, ceb) in [(0x8022u32, hid(5, 0), 5u32, 0xE0u8), (0x8042, hid(6, 0), 0, 0xC0)] {
        rows.extend_from_slice(&id.to_le_bytes());
        rows.extend_from_slice(&name_hid.to_le_bytes());
        rows.extend_from_slice(&count.to_le_bytes());
        rows.push(ceb);
    }
    let heap =
        build_heap_block(Some((BTYPE_TC, hid(1, 0))), &[tcinfo, rbth, rindex, rows, utf16("Inbox"), utf16("Drafts")]);
    let ht = s.block(heap, false, true);
    s.nodes.push((nid_with_type(NID_ROOT_FOLDER, 0x0D), ht, 0));
    s.build()
}

fn check(format: Format, crypt: CryptMethod) {
    let bytes = synth_pst(format, crypt);
    let pst = Pst::from_bytes("synth.pst", bytes).unwrap_or_else(|e| panic!("{format:?}/{crypt:?}: {e}"));
    assert_eq!(pst.header().format, format);
    assert!(pst.problems().is_empty(), "{:?}", pst.problems());

    let store = pst.node(NID_MESSAGE_STORE).expect("NBT").expect("store node");
    let pc = pst.property_context(&store).expect("store PC");
    assert_eq!(pc.entries().len(), 5);
    assert_eq!(pc.string(PR_DISPLAY_NAME).expect("name").as_deref(), Some("Synth store"));
    assert_eq!(pc.get(0x340D).expect("inline"), Some(PropValue::I32(0xE79)));
    assert_eq!(pc.get(0x6633).expect("bool"), Some(PropValue::Bool(true)));
    assert_eq!(pc.get(PR_TIME).expect("time"), Some(PropValue::Time(0x01D9_0000_0000_0000)));
    match pc.get(PR_BIG).expect("big") {
        Some(PropValue::Binary(b)) => {
            assert_eq!(&b[..], &big_value()[..], "value through subnode and XBLOCK")
        }
        other => panic!("{other:?}"),
    }
    let sub = pst.subnode(&store, SUB_NID).expect("SLBLOCK").expect("subnode");
    assert_eq!(pst.data_tree(&sub).expect("tree").block_count(), 2);
    assert!(pst.subnode(&store, 0x9999).expect("SLBLOCK").is_none());

    let ht = pst.node(nid_with_type(NID_ROOT_FOLDER, 0x0D)).expect("NBT").expect("hierarchy node");
    let tc = pst.table_context(&ht).expect("TC");
    assert_eq!(tc.row_count(), 2);
    assert_eq!(tc.row_id(0), Some(0x8022));
    assert_eq!(tc.get(0, PR_DISPLAY_NAME).expect("cell").and_then(|v| v.as_text()).as_deref(), Some("Inbox"));
    assert_eq!(tc.get(1, PR_DISPLAY_NAME).expect("cell").and_then(|v| v.as_text()).as_deref(), Some("Drafts"));
    assert_eq!(tc.get(0, PR_COUNT).expect("cell"), Some(PropValue::I32(5)));
    assert_eq!(tc.get(1, PR_COUNT).expect("cell"), None, "CEB bit clear");
    assert!(pst.node(0x42).expect("NBT").is_none());
}

#[test]
fn ansi_permute() {
    check(Format::Ansi, CryptMethod::Permute);
}

#[test]
fn unicode_cyclic() {
    check(Format::Unicode, CryptMethod::Cyclic);
}

#[test]
fn unicode_none() {
    check(Format::Unicode, CryptMethod::None);
}

#[test]
fn four_k_zlib_blocks() {
    check(Format::Unicode4k, CryptMethod::None);
}

#[test]
fn four_k_zlib_and_permute() {
    check(Format::Unicode4k, CryptMethod::Permute);
}

#[test]
fn synthesized_4k_blocks_are_compressed() {
    // Guard that the 4K test really goes through inflate: the store block
    // is stored smaller than its data.
    let pst = Pst::from_bytes("synth.ost", synth_pst(Format::Unicode4k, CryptMethod::None)).expect("opens");
    let store = pst.node(NID_MESSAGE_STORE).expect("NBT").expect("store");
    let entry = pst.ndb().bbt(store.bid_data).expect("BBT").expect("entry");
    let data = pst.read_node_data(&store).expect("data");
    assert!(usize::from(entry.cb) < data.len(), "stored {} vs inflated {}", entry.cb, data.len());
    assert_eq!(entry.ib % 512, 0);
}
