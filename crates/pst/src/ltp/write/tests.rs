//! The builders, read back through the readers of `crate::ltp` over a
//! [`MemSource`].

use std::borrow::Cow;

use super::*;
use crate::ltp::bth::Bth;
use crate::ltp::heap::{Heap, BTYPE_BTH, BTYPE_PC, BTYPE_TC};
use crate::ltp::pc::PropertyContext;
use crate::ltp::prop::*;
use crate::ltp::tc::TableContext;
use crate::ltp::NodeSource;
use crate::raw::Format;
use crate::tags;

const U: Format = Format::Unicode;

/// xorshift64*: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Fewer than `max` random bytes.
    fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }
}

fn blocks(node: &BuiltNode) -> &[Vec<u8>] {
    match &node.data {
        NodeData::Blocks(b) => b,
        NodeData::Stream(_) | NodeData::Leaves(_) => panic!("a heap node built in memory is stored as blocks"),
    }
}

/// Every non-final block is exactly the data tree's block size.
fn assert_block_sizes(node: &BuiltNode, format: Format) {
    let b = blocks(node);
    for (i, blk) in b.iter().enumerate() {
        if i + 1 < b.len() {
            assert_eq!(blk.len(), format.max_block_data(), "block {i} of {}", b.len());
        } else {
            assert!(blk.len() <= format.max_block_data(), "last block {} bytes", blk.len());
        }
    }
}

fn mem(format: Format, nid: u32, node: &BuiltNode) -> (MemSource, crate::ndb::NodeRef) {
    let mut m = MemSource::new("memory.pst", format);
    let r = m.add_built(nid, node);
    (m, r)
}

/// A value's stored form: compares NaN-holding floats and all.
fn stored(v: &PropValue<'_>) -> (u16, Vec<u8>) {
    encode(v)
}

// ------------------------------------------------------------------ heap

#[test]
fn fill_levels_follow_the_spec_table() {
    // MS-PST 2.3.1.2: the boundaries of each level, and Outlook's values
    // seen in the fixtures (366 free -> 9, 1244 -> 6, 70 -> 0xB, 18 -> 0xD).
    for (free, level) in [
        (8176, 0),
        (3584, 0),
        (3583, 1),
        (2560, 1),
        (2559, 2),
        (2048, 2),
        (1792, 3),
        (1536, 4),
        (1280, 5),
        (1244, 6),
        (1024, 6),
        (768, 7),
        (512, 8),
        (366, 9),
        (256, 9),
        (128, 10),
        (70, 11),
        (64, 11),
        (32, 12),
        (18, 13),
        (16, 13),
        (8, 14),
        (7, 15),
        (0, 15),
    ] {
        assert_eq!(fill_level(free), level, "{free} bytes free");
    }
}

#[test]
fn heap_over_many_blocks_reads_back() {
    // 300 allocations of 3000..3580 bytes: two per block, ~150 blocks, so
    // the HNBITMAPHDRs of blocks 8 and 136 are there.
    let mut rng = Rng(7);
    let mut h = HeapBuilder::new(U, BTYPE_BTH);
    let mut items = Vec::new();
    for i in 0..300 {
        let n = 3000 + rng.below(581);
        let data = rng.bytes(n);
        let hid = h.alloc(&data).expect("alloc");
        items.push((hid, data));
        if i == 0 {
            h.set_user_root(hid);
        }
    }
    let tiny = h.alloc(b"x").expect("one byte");
    let empty = h.alloc(b"").expect("zero bytes");
    let built = h.finish();
    assert!(built.len() > 140, "{} blocks", built.len());
    let node = BuiltNode { data: NodeData::Blocks(built.clone()), subnodes: vec![] };
    assert_block_sizes(&node, U);

    let heap = Heap::new(built.iter().map(|b| Cow::Borrowed(&b[..])).collect(), U, 0).expect("heap");
    assert_eq!(heap.client_sig, BTYPE_BTH);
    assert_eq!(heap.hid_user_root, items[0].0);
    for (hid, data) in &items {
        assert_eq!(heap.get(*hid).expect("get"), &data[..], "HID {hid:#x}");
    }
    assert_eq!(heap.get(tiny).expect("tiny"), b"x");
    assert_eq!(heap.get(empty).expect("empty"), b"");

    // The headers and fill levels of MS-PST 2.3.1.2 to 2.3.1.5, checked
    // against the page maps themselves.
    let free = |i: usize| {
        let b = &built[i];
        let ib = usize::from(u16::from_le_bytes([b[0], b[1]]));
        assert_eq!(ib % 2, 0, "block {i}: HNPAGEMAP is 2-byte aligned");
        let c_alloc = usize::from(u16::from_le_bytes([b[ib], b[ib + 1]]));
        assert_eq!(&b[ib + 2..ib + 4], &[0, 0], "cFree");
        let first = u16::from_le_bytes([b[ib + 4], b[ib + 5]]);
        let want_first = match i {
            0 => 12,
            8 | 136 => 66,
            _ => 2,
        };
        assert_eq!(first, want_first, "block {i}: allocations start after its header");
        8176 - (ib + 4 + 2 * (c_alloc + 1))
    };
    let nibble = |bytes: &[u8], k: usize| (bytes[k / 2] >> (4 * (k % 2))) & 0xF;
    assert_eq!(built[0][2], 0xEC);
    for i in 0..8 {
        assert_eq!(nibble(&built[0][8..12], i), fill_level(free(i)), "rgbFillLevel of block {i}");
    }
    for base in [8usize, 136] {
        for k in 0..128 {
            let want = if base + k < built.len() { fill_level(free(base + k)) } else { 0 };
            assert_eq!(nibble(&built[base][2..66], k), want, "HNBITMAPHDR of block {base}, block {}", base + k);
        }
    }
    for i in (1..built.len()).filter(|i| ![8, 136].contains(i)) {
        free(i);
    }
}

#[test]
fn heap_limits() {
    let mut h = HeapBuilder::new(U, BTYPE_PC);
    assert!(h.alloc(&[0; MAX_ALLOC]).is_ok());
    assert!(h.alloc(&[0; MAX_ALLOC + 1]).is_err(), "3581 bytes is not an allocation");
    let hid = h.alloc(b"abc").expect("alloc");
    assert!(h.replace(hid, b"abcd").is_err(), "replace keeps the length");
    assert!(h.replace(0x12345, b"abc").is_err(), "not a HID of this heap");
    h.replace(hid, b"xyz").expect("same length");
    assert_eq!(h.get(hid), Some(&b"xyz"[..]));

    // More one-byte allocations than an 11-bit hidIndex counts: a block
    // stops at 2047, the rest go on.
    let mut h = HeapBuilder::new(U, BTYPE_PC);
    let hids: Vec<u32> = (0..3000u32).map(|i| h.alloc(&[i as u8]).expect("alloc")).collect();
    let built = h.finish();
    assert!(built.len() >= 2);
    let heap = Heap::new(built.iter().map(|b| Cow::Borrowed(&b[..])).collect(), U, 0).expect("heap");
    for (i, hid) in hids.iter().enumerate() {
        assert_eq!(heap.get(*hid).expect("get"), &[i as u8]);
    }
}

// ------------------------------------------------------------------- BTH

fn bth_round_trip(cb_key: u8, cb_ent: u8, n: usize, seed: u64) -> (usize, u8) {
    let mut rng = Rng(seed);
    let mut keys = std::collections::BTreeSet::new();
    while keys.len() < n {
        keys.insert(rng.bytes(usize::from(cb_key)));
    }
    let records: Vec<(Vec<u8>, Vec<u8>)> = keys.iter().map(|k| (k.clone(), rng.bytes(usize::from(cb_ent)))).collect();
    let mut h = HeapBuilder::new(U, BTYPE_BTH);
    let hid = build_bth(&mut h, cb_key, cb_ent, records.clone()).expect("bth");
    h.set_user_root(hid);
    let built = h.finish();
    let heap = Heap::new(built.iter().map(|b| Cow::Borrowed(&b[..])).collect(), U, 0).expect("heap");
    let bth = Bth::new(&heap, heap.hid_user_root).expect("BTHHEADER");
    assert_eq!((bth.cb_key, bth.cb_ent), (usize::from(cb_key), usize::from(cb_ent)));
    let mut sorted = records.clone();
    sorted.sort_by(|a, b| a.0.iter().rev().cmp(b.0.iter().rev()));
    let got: Vec<(Vec<u8>, Vec<u8>)> =
        bth.records().expect("records").into_iter().map(|(k, d)| (k.to_vec(), d.to_vec())).collect();
    assert_eq!(got, sorted, "leaf records in key order");
    for (k, d) in records.iter().step_by(7) {
        assert_eq!(bth.find(k).expect("find"), Some(&d[..]));
    }
    for _ in 0..50 {
        let k = rng.bytes(usize::from(cb_key));
        if !keys.contains(&k) {
            assert_eq!(bth.find(&k).expect("find"), None);
        }
    }
    (built.len(), bth.idx_levels)
}

#[test]
fn bth_of_two_and_more_index_levels() {
    // 48-byte records: 74 per leaf, 179 index records per allocation, so
    // 14000 records need two index levels.
    let (blocks, levels) = bth_round_trip(16, 32, 14_000, 1);
    assert_eq!(levels, 2, "{blocks} blocks");
    assert!(blocks > 80);
    assert_eq!(bth_round_trip(4, 4, 2_000, 2).1, 1);
    assert_eq!(bth_round_trip(2, 6, 447, 3).1, 0, "447 PC records fill one leaf");
    assert_eq!(bth_round_trip(2, 6, 448, 4).1, 1);
    assert_eq!(bth_round_trip(8, 1, 1, 5).1, 0);
}

#[test]
fn empty_bth_and_bad_input() {
    let mut h = HeapBuilder::new(U, BTYPE_BTH);
    let hid = build_bth(&mut h, 4, 4, vec![]).expect("empty");
    assert_eq!(hid, 0x20);
    assert_eq!(h.get(hid), Some(&[BTYPE_BTH, 4, 4, 0, 0, 0, 0, 0][..]), "hidRoot 0 when empty");
    assert!(build_bth(&mut h, 3, 4, vec![]).is_err(), "cbKey 3");
    assert!(build_bth(&mut h, 4, 33, vec![]).is_err(), "cbEnt 33");
    assert!(build_bth(&mut h, 2, 1, vec![(vec![1, 0], vec![1]), (vec![1, 0], vec![2])]).is_err(), "duplicate key");
    assert!(build_bth(&mut h, 2, 1, vec![(vec![1], vec![1])]).is_err(), "short key");
    assert!(build_bth(&mut h, 2, 1, vec![(vec![1, 0], vec![1, 2])]).is_err(), "long data");
}

// -------------------------------------------------------------------- PC

/// Builds a PC of `props`, reads it back and checks every value, the
/// block sizes and that nothing else is there.
fn pc_round_trip(format: Format, props: &[(u16, PropValue<'_>)]) -> BuiltNode {
    let mut b = PcBuilder::new(format);
    for (id, v) in props {
        b.set(*id, v).expect("set");
    }
    let node = b.build(&mut LocalNids::default()).expect("build");
    assert_block_sizes(&node, format);
    let (m, r) = mem(format, 0x2004, &node);
    let pc = PropertyContext::new(&m, r).expect("PC reads back");
    assert_eq!(pc.entries().len(), props.len());
    let mut ids: Vec<u16> = pc.entries().iter().map(|e| e.prop_id).collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort_unstable();
        s
    };
    assert_eq!(ids, sorted, "entries in id order");
    ids.dedup();
    assert_eq!(ids.len(), props.len());
    for (id, v) in props {
        let got = pc.get(*id).expect("value").unwrap_or_else(|| panic!("property {id:#06x} missing"));
        assert_eq!(stored(&got), stored(v), "property {id:#06x}");
    }
    node
}

fn text(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    (0..n).map(|_| char::from(b'a' + rng.below(26) as u8)).collect()
}

#[test]
fn pc_of_0_1_50_and_2000_properties() {
    let node = pc_round_trip(U, &[]);
    assert_eq!(blocks(&node).len(), 1);
    assert!(node.subnodes.is_empty());

    pc_round_trip(U, &[(0x3001, PropValue::Unicode("Inbox".into()))]);

    let mut rng = Rng(11);
    let fifty: Vec<(u16, PropValue)> = (0..50u16)
        .map(|i| {
            let v = match i % 5 {
                0 => PropValue::I32(rng.next() as i32),
                1 => PropValue::Unicode(text(rng.below(100), i.into())),
                2 => PropValue::Time(rng.next() as i64),
                3 => PropValue::Binary(Cow::Owned(rng.some_bytes(300))),
                _ => PropValue::Bool(i % 2 == 0),
            };
            (0x3000 + i * 3, v)
        })
        .collect();
    pc_round_trip(U, &fifty);

    let many: Vec<(u16, PropValue)> = (0..2000u16)
        .map(|i| {
            let v = if i % 2 == 0 {
                PropValue::I64(i64::from(i) << 40)
            } else {
                PropValue::Unicode(format!("value {i} {}", text(usize::from(i % 40), i.into())))
            };
            (0x8000 + i, v)
        })
        .collect();
    let node = pc_round_trip(U, &many);
    assert!(blocks(&node).len() > 10, "2000 properties over {} blocks", blocks(&node).len());
    let (m, r) = mem(U, 0x2004, &node);
    let heap = crate::ltp::pc::load_heap(&m, &r).expect("heap");
    let bth = Bth::new(&heap, heap.hid_user_root).expect("bth");
    assert_eq!(bth.idx_levels, 1, "2000 records need an index level (447 per leaf)");
    assert_eq!(heap.hid_user_root, 0x20, "the BTHHEADER is the first allocation");
}

#[test]
fn pc_values_at_the_heap_limit_and_beyond() {
    let props = vec![
        (0x1000, PropValue::Binary(Cow::Owned(vec![0xA5; MAX_ALLOC]))),
        (0x1001, PropValue::Binary(Cow::Owned(vec![0x5A; MAX_ALLOC + 1]))),
        (0x1002, PropValue::Binary(Cow::Owned(Rng(3).bytes(100_000)))),
        (0x1003, PropValue::Unicode(text(50_000, 4))),
        (0x1004, PropValue::Binary(Cow::Borrowed(&[]))),
        (0x1005, PropValue::Unicode(String::new())),
    ];
    let node = pc_round_trip(U, &props);
    let (m, r) = mem(U, 0x2004, &node);
    let pc = PropertyContext::new(&m, r).expect("pc");
    let hnid = |id: u16| pc.entry(id).expect("entry").value_hnid;
    assert_eq!(hnid(0x1000) & 0x1F, 0, "3580 bytes: a HID");
    for id in [0x1001, 0x1002, 0x1003] {
        assert_eq!(hnid(id) & 0x1F, u32::from(NID_TYPE_LTP), "{id:#x}: a subnode NID");
        let sub = node.subnode(hnid(id)).expect("subnode");
        assert!(sub.subnodes.is_empty());
        assert!(matches!(sub.data, NodeData::Stream(_)));
    }
    assert_eq!(node.subnode(hnid(0x1002)).expect("sub").data.len(), 100_000);
    assert_eq!((hnid(0x1004), hnid(0x1005)), (0, 0), "empty values are HNID 0, as Outlook writes them");
    assert_eq!(node.subnodes.len(), 3);
    // LocalNids numbers from index 0x400: 0x801F, 0x803F, 0x805F.
    let mut nids: Vec<u32> = node.subnodes.iter().map(|s| s.nid).collect();
    nids.sort_unstable();
    assert_eq!(nids, [0x801F, 0x803F, 0x805F]);
}

#[test]
fn pc_every_type_round_trips() {
    let values = [
        PropValue::Null,
        PropValue::I16(-3),
        PropValue::I32(i32::MIN),
        PropValue::F32(f32::NAN),
        PropValue::F64(6.5),
        PropValue::Currency(-99),
        PropValue::AppTime(2.5),
        PropValue::Error(0x8004_0102),
        PropValue::Bool(true),
        PropValue::Bool(false),
        PropValue::I64(-1),
        PropValue::Time(0x01D9_0000_0000_0000),
        PropValue::Guid([3; 16]),
        PropValue::String8(Cow::Borrowed(b"caf\xe9")),
        PropValue::Unicode("Gelöschte Elemente".into()),
        PropValue::Binary(Cow::Borrowed(b"\x00\x01")),
        PropValue::ServerId(Cow::Borrowed(b"\x01\x02\x03")),
        PropValue::Restriction(Cow::Borrowed(b"\x08")),
        PropValue::RuleAction(Cow::Borrowed(b"\x01\x00\x00\x00")),
        PropValue::Object { nid: 0x0020_0104, size: 1234 },
        PropValue::Unspecified(Cow::Borrowed(b"\x09\x08\x07\x06\x05")),
        PropValue::MvI16(vec![1, 2, 3]),
        PropValue::MvI32(vec![-1]),
        PropValue::MvError(vec![5, 6]),
        PropValue::MvF32(vec![1.0]),
        PropValue::MvF64(vec![2.0, 3.0]),
        PropValue::MvAppTime(vec![4.0]),
        PropValue::MvI64(vec![7, 8]),
        PropValue::MvCurrency(vec![9]),
        PropValue::MvTime(vec![10, 11]),
        PropValue::MvGuid(vec![[1; 16]]),
        PropValue::MvString8(vec![b"one".to_vec(), b"two".to_vec()]),
        PropValue::MvUnicode(vec!["drei".into(), "vier".into()]),
        PropValue::MvUnicode(vec![]),
        PropValue::MvBinary(vec![vec![], vec![0xFF; 5000]]),
        PropValue::Unknown { ptype: 0x0049, raw: Cow::Borrowed(b"\x01\x02\x03\x04\x05\x06") },
    ];
    let props: Vec<(u16, PropValue)> = values.iter().enumerate().map(|(i, v)| (0x6000 + i as u16, v.clone())).collect();
    let node = pc_round_trip(U, &props);
    // Inline values (MS-PST 2.3.3.3): a boolean is 1 in the low byte of dwValueHnid.
    let (m, r) = mem(U, 0x2004, &node);
    let pc = PropertyContext::new(&m, r).expect("pc");
    assert_eq!(pc.entry(0x6008).expect("bool").value_hnid, 1);
    assert_eq!(pc.entry(0x6001).expect("i16").value_hnid, 0xFFFD);
    assert_eq!(pc.entry(0x6002).expect("i32").value_hnid, 0x8000_0000);
    // A PtypObject is an 8-byte heap allocation (MS-PST 2.3.3.5).
    let obj = pc.entry(0x6013).expect("object").value_hnid;
    assert_eq!(pc.heap().get(obj).expect("alloc"), &[0x04, 0x01, 0x20, 0, 0xD2, 0x04, 0, 0]);
    // MV binary of 5000+ bytes went to a subnode.
    assert_eq!(pc.entry(0x6022).expect("mv").value_hnid & 0x1F, 0x1F);
}

#[test]
fn pc_with_the_subnodes_of_its_objects() {
    // An attachment PC whose PtypObject value is an embedded message: the
    // message's own PC (with a large value) nests as a subnode.
    let mut inner = PcBuilder::new(U);
    inner.set(0x0037, &PropValue::Unicode("inner subject".into())).expect("set");
    inner.set(0x1000, &PropValue::Unicode(text(5000, 9))).expect("set");
    let mut nids = LocalNids::default();
    let inner = inner.build(&mut nids).expect("inner");
    assert_eq!(inner.subnodes.len(), 1, "the inner body is the inner node's subnode");

    let mut outer = PcBuilder::new(U);
    let embedded = 0x0020_0104;
    outer.set(0x3701, &PropValue::Object { nid: embedded, size: inner.data.len() as u32 }).expect("set");
    outer.set(0x3705, &PropValue::I32(5)).expect("set");
    outer.add_subnode(embedded, inner);
    let outer = outer.build(&mut nids).expect("outer");

    let (m, r) = mem(U, 0x8025, &outer);
    let pc = PropertyContext::new(&m, r).expect("outer pc");
    let Some(PropValue::Object { nid, .. }) = pc.get(0x3701).expect("get") else { panic!("no object") };
    let sub = m.subnode(&r, nid).expect("lookup").expect("the object's subnode");
    let inner_pc = PropertyContext::new(&m, sub).expect("inner pc");
    assert_eq!(inner_pc.string(0x0037).expect("subject").as_deref(), Some("inner subject"));
    assert_eq!(inner_pc.string(0x1000).expect("body"), Some(text(5000, 9)));

    // A caller's subnode colliding with an allocated one is refused.
    let mut b = PcBuilder::new(U);
    b.set(0x1000, &PropValue::Binary(Cow::Owned(vec![1; 4000]))).expect("set");
    b.add_subnode(0x801F, BuiltNode::stream(vec![1]));
    assert!(b.build(&mut LocalNids::default()).is_err());
}

#[test]
fn pc_rejects_malformed_stored_values() {
    let mut b = PcBuilder::new(U);
    assert!(b.set_raw(1, PT_LONG, vec![1, 2]).is_err());
    assert!(b.set_raw(1, PT_SYSTIME, vec![0; 7]).is_err());
    assert!(b.set_raw(1, MV_FLAG | PT_LONG, vec![0; 6]).is_err());
    assert!(b.set_raw(1, PT_OBJECT, vec![0; 4]).is_err());
    assert!(b.set_raw(1, PT_UNICODE, vec![0; 3]).is_ok(), "variable types take any bytes");
    b.set(1, &PropValue::I32(1)).expect("replace");
    assert_eq!(b.len(), 1);
}

// -------------------------------------------------------------------- TC

fn tc_read<'m>(m: &'m MemSource, r: crate::ndb::NodeRef) -> TableContext<'m> {
    TableContext::new(m, r).expect("TC reads back")
}

/// Builds a TC, reads it back and checks every row id and cell.
fn tc_round_trip(format: Format, columns: &[u32], rows: &[(u32, Vec<Option<PropValue<'_>>>)]) -> BuiltNode {
    let mut b = TcBuilder::new(format, columns).expect("columns");
    for (id, cells) in rows {
        b.add_row(*id, cells).expect("row");
    }
    let node = b.build(&mut LocalNids::default()).expect("build");
    assert_block_sizes(&node, format);
    let (m, r) = mem(format, 0x802E, &node);
    let tc = tc_read(&m, r);
    assert_eq!(tc.row_count(), rows.len());
    assert_eq!(tc.columns().len(), columns.len() + 2);
    let mut ids = std::collections::HashMap::new();
    for i in 0..tc.row_count() {
        ids.insert(tc.row_id(i).expect("id"), i);
    }
    for (n, (id, cells)) in rows.iter().enumerate() {
        let i = ids[id];
        assert_eq!(i, n, "dwRowIndex is the order rows were added");
        assert_eq!(tc.get(i, tags::LTP_ROW_ID).expect("row id"), Some(PropValue::I32(*id as i32)));
        assert_eq!(tc.get(i, tags::LTP_ROW_VER).expect("row ver"), Some(PropValue::I32(1)));
        for (c, want) in columns.iter().zip(cells) {
            let col = *tc.columns().iter().find(|x| x.tag == *c).expect("column");
            let got = tc.cell(i, &col).expect("cell");
            assert_eq!(got.as_ref().map(stored), want.as_ref().map(stored), "row {id:#x} column {c:#010x}");
        }
    }
    node
}

const TAG_ROW_ID: u32 = 0x67F2_0003;
const SUBJECT: u32 = 0x0037_001F;
const SIZE: u32 = 0x0E08_0003;
const DELIVERY: u32 = 0x0E06_0040;
const READ: u32 = 0x0E69_000B;
const IMPORTANCE_I2: u32 = 0x0017_0002;
const KEYWORDS: u32 = 0x8012_101F;
const ENTRY: u32 = 0x0FFF_0102;
const GUID: u32 = 0x8013_0048;

fn mail_columns() -> Vec<u32> {
    vec![SUBJECT, SIZE, DELIVERY, READ, IMPORTANCE_I2, KEYWORDS, ENTRY, GUID]
}

fn mail_row(i: u32, rng: &mut Rng) -> Vec<Option<PropValue<'static>>> {
    let n = rng.below(60);
    let kws = rng.below(3);
    let values = vec![
        PropValue::Unicode(format!("message {i}: {}", text(n, i.into()))),
        PropValue::I32(rng.next() as i32),
        PropValue::Time(rng.next() as i64),
        PropValue::Bool(rng.below(2) == 1),
        PropValue::I16(rng.next() as i16),
        PropValue::MvUnicode((0..kws).map(|k| format!("kw{k}")).collect()),
        PropValue::Binary(Cow::Owned(rng.bytes(24))),
        PropValue::Guid([i as u8; 16]),
    ];
    values.into_iter().map(|v| if rng.below(5) == 0 { None } else { Some(v) }).collect()
}

#[test]
fn tc_of_0_1_1000_and_20000_rows() {
    let cols = mail_columns();
    let mut rng = Rng(21);
    let node = tc_round_trip(U, &cols, &[]);
    assert!(node.subnodes.is_empty());
    let (m, r) = mem(U, 0x802E, &node);
    let tc = tc_read(&m, r);
    assert_eq!(tc.row_count(), 0);

    let one = vec![(0x0020_0024, mail_row(1, &mut rng))];
    let node = tc_round_trip(U, &cols, &one);
    assert!(node.subnodes.is_empty(), "one row: the row matrix is in the heap");

    for n in [1000u32, 20_000] {
        // Row ids out of order, as NIDs of messages added in any order.
        let rows: Vec<(u32, Vec<Option<PropValue>>)> =
            (0..n).map(|i| (((i * 7919) % n + 1) << 5 | 4, mail_row(i, &mut rng))).collect();
        let node = tc_round_trip(U, &cols, &rows);
        let (m, r) = mem(U, 0x802E, &node);
        let heap = crate::ltp::pc::load_heap(&m, &r).expect("heap");
        let info = heap.get(heap.hid_user_root).expect("TCINFO");
        let hnid_rows = u32::from_le_bytes([info[14], info[15], info[16], info[17]]);
        assert_eq!(hnid_rows & 0x1F, u32::from(NID_TYPE_LTP), "{n} rows: the row matrix is a subnode");
        let matrix = node.subnode(hnid_rows).expect("row matrix");
        let NodeData::Blocks(mb) = &matrix.data else { panic!("the row matrix is in blocks") };
        let row_size = usize::from(u16::from_le_bytes([info[8], info[9]]));
        let per_block = 8176 / row_size;
        assert_eq!(mb.len(), (n as usize).div_ceil(per_block));
        assert_eq!(mb.last().expect("last").len(), (n as usize - (mb.len() - 1) * per_block) * row_size);
        let bth = Bth::new(&heap, u32::from_le_bytes([info[10], info[11], info[12], info[13]])).expect("row index");
        assert_eq!((bth.cb_key, bth.cb_ent), (4, 4));
        assert!(bth.idx_levels >= 1, "{n} rows need an index level");
        assert!(blocks(&node).len() > 10, "{n} rows: the heap spans {} blocks", blocks(&node).len());

        // 20,000 rows: the heap (300 blocks) and the row matrix (250) are
        // read as they are used; rows read backwards and at random out of
        // the one block a lazy matrix holds are the rows read in order.
        let tc = tc_read(&m, r);
        let lazy = n == 20_000;
        assert_eq!(
            tc.lazy_parts(),
            (lazy, lazy),
            "{n} rows: {} heap blocks, {} matrix blocks",
            blocks(&node).len(),
            mb.len()
        );
        let subject = *tc.column(0x0037).expect("subject column");
        let forward: Vec<_> =
            (0..tc.row_count()).map(|i| tc.cell(i, &subject).expect("cell").map(|v| stored(&v))).collect();
        for i in (0..tc.row_count()).rev().step_by(7).chain([0, n as usize - 1, 5, n as usize / 2]) {
            assert_eq!(tc.cell(i, &subject).expect("cell").map(|v| stored(&v)), forward[i], "row {i}");
            assert_eq!(tc.row_bytes(i).expect("row").len(), row_size);
        }
        assert!(tc.row_bytes(n as usize).is_err(), "no row past the last");
    }
}

#[test]
fn tc_streamed_reads_as_built() {
    // A table whose rows go to the file as they come (a folder's contents)
    // reads back cell for cell as the same table built in memory, in every
    // format; past one heap allocation of rows its heap and row matrix
    // blocks are written before the build, all but a few.
    let cols = mail_columns();
    for format in [Format::Ansi, U, Format::Unicode4k] {
        for n in [1u32, 5, 300, 20_000] {
            let mut rng = Rng(u64::from(n));
            let rows: Vec<(u32, Vec<Option<PropValue>>)> =
                (0..n).map(|i| (((i * 7919) % n + 1) << 5 | 4, mail_row(i, &mut rng))).collect();
            let mut m = MemSource::new("memory.pst", format);
            let mut nids = LocalNids::default();
            let mut streamed = TcBuilder::new(format, &cols).expect("columns");
            let mut built = TcBuilder::new(format, &cols).expect("columns");
            for (id, cells) in &rows {
                streamed.add_row_streaming(*id, 1, cells, &mut m, &mut nids).expect("row");
                built.add_row(*id, cells).expect("row");
            }
            assert_eq!(streamed.row_count(), n as usize);
            let s = streamed.build(&mut nids).expect("build");
            let b = built.build(&mut LocalNids::default()).expect("build");
            let written = |node: &BuiltNode| match &node.data {
                NodeData::Leaves(l) => l.iter().filter(|l| matches!(l, Leaf::Written { .. })).count(),
                _ => 0,
            };
            if n >= 20_000 {
                let heap = written(&s);
                let matrix = s.subnodes.iter().map(|sub| written(&sub.node)).sum::<usize>();
                let NodeData::Leaves(all) = &s.data else { panic!("{format:?}: a streamed heap is leaves") };
                assert!(heap + 3 >= all.len() * 9 / 10, "{format:?}: {heap} of {} heap blocks written", all.len());
                assert!(matrix > 10, "{format:?}: {matrix} row matrix blocks written");
            }
            let rs = m.add_built(0x802E, &s);
            let (mb, rb) = mem(format, 0x802E, &b);
            let (ts, tb) = (tc_read(&m, rs), tc_read(&mb, rb));
            assert_eq!(ts.row_count(), n as usize);
            for i in 0..ts.row_count() {
                assert_eq!(ts.row_id(i), tb.row_id(i), "{format:?} {n}: row {i}");
                for c in std::iter::once(&TAG_ROW_ID).chain(&cols) {
                    let (cs, cb) = (
                        *ts.columns().iter().find(|x| x.tag == *c).expect("column"),
                        *tb.columns().iter().find(|x| x.tag == *c).expect("column"),
                    );
                    let (vs, vb) = (ts.cell(i, &cs).expect("cell"), tb.cell(i, &cb).expect("cell"));
                    assert_eq!(vs.as_ref().map(stored), vb.as_ref().map(stored), "{format:?} {n}: row {i} {c:#x}");
                }
            }
        }
    }
}

#[test]
fn tc_with_wide_rows() {
    // 200 columns of every width: rows of ~900 bytes, 9 to a block.
    let mut cols = Vec::new();
    for i in 0..200u32 {
        let t = [PT_LONG, PT_I8, PT_I2, PT_BOOLEAN, PT_UNICODE, PT_SYSTIME, PT_BINARY, PT_DOUBLE][i as usize % 8];
        cols.push((0x6000 + i) << 16 | u32::from(t));
    }
    let mut rng = Rng(5);
    let rows: Vec<(u32, Vec<Option<PropValue>>)> = (0..100u32)
        .map(|r| {
            let cells = cols
                .iter()
                .map(|&c| {
                    if rng.below(4) == 0 {
                        return None;
                    }
                    Some(match c as u16 {
                        PT_LONG => PropValue::I32(rng.next() as i32),
                        PT_I8 => PropValue::I64(rng.next() as i64),
                        PT_I2 => PropValue::I16(rng.next() as i16),
                        PT_BOOLEAN => PropValue::Bool(rng.below(2) == 0),
                        PT_UNICODE => PropValue::Unicode(text(rng.below(10), rng.next())),
                        PT_SYSTIME => PropValue::Time(rng.next() as i64),
                        PT_BINARY => PropValue::Binary(Cow::Owned(rng.some_bytes(8))),
                        _ => PropValue::F64(rng.next() as f64),
                    })
                })
                .collect();
            (r + 1, cells)
        })
        .collect();
    tc_round_trip(U, &cols, &rows);
}

#[test]
fn tc_layout_is_outlooks() {
    // The search folder table of test_unicode.pst (node 0x12D), columns in
    // the order of their cell existence bits; the offsets Outlook gave them
    // were 0e300102@20 0e330014@24 0e340102@32 0e380003@36 3001001f@8
    // 36020003@12 36030003@16 360a000b@52 3613001f@40 66350003@44
    // 66360003@48, rgib [52, 52, 53, 55].
    let cols = [
        0x3001_001F,
        0x3602_0003,
        0x3603_0003,
        0x360A_000B,
        0x0E30_0102,
        0x0E33_0014,
        0x0E34_0102,
        0x0E38_0003,
        0x3613_001F,
        0x6635_0003,
        0x6636_0003,
    ];
    let node = TcBuilder::new(U, &cols).expect("cols").build(&mut LocalNids::default()).expect("build");
    let (m, r) = mem(U, 0x12D, &node);
    let tc = tc_read(&m, r);
    let got: Vec<(u32, u16, u8, u8)> = tc.columns().iter().map(|c| (c.tag, c.ib_data, c.cb_data, c.i_bit)).collect();
    assert_eq!(
        got,
        [
            (0x0E30_0102, 20, 4, 6),
            (0x0E33_0014, 24, 8, 7),
            (0x0E34_0102, 32, 4, 8),
            (0x0E38_0003, 36, 4, 9),
            (0x3001_001F, 8, 4, 2),
            (0x3602_0003, 12, 4, 3),
            (0x3603_0003, 16, 4, 4),
            (0x360A_000B, 52, 1, 5),
            (0x3613_001F, 40, 4, 10),
            (0x6635_0003, 44, 4, 11),
            (0x6636_0003, 48, 4, 12),
            (0x67F2_0003, 0, 4, 0),
            (0x67F3_0003, 4, 4, 1),
        ]
    );
    // TCINFO of an empty table: rgib, hidRowIndex 0x20 (the first
    // allocation), hnidRows 0, hidIndex 0; TCINFO is hidUserRoot 0x40.
    let heap = crate::ltp::pc::load_heap(&m, &r).expect("heap");
    assert_eq!(heap.client_sig, BTYPE_TC);
    assert_eq!(heap.hid_user_root, 0x40);
    let info = heap.get(0x40).expect("TCINFO");
    assert_eq!(&info[..22], &[0x7C, 13, 52, 0, 52, 0, 53, 0, 55, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(heap.get(0x20).expect("BTHHEADER"), &[0xB5, 4, 4, 0, 0, 0, 0, 0]);
}

#[test]
fn tc_large_cells_and_the_cell_existence_bitmap() {
    let cols = [0x1000_0102, 0x1001_001F, 0x1002_0003];
    let rows = vec![
        (1, vec![Some(PropValue::Binary(Cow::Owned(vec![7; 10_000]))), None, Some(PropValue::I32(0))]),
        (2, vec![Some(PropValue::Binary(Cow::Borrowed(&[]))), Some(PropValue::Unicode(String::new())), None]),
        (3, vec![None, Some(PropValue::Unicode(text(4000, 1))), Some(PropValue::I32(-1))]),
    ];
    let node = tc_round_trip(U, &cols, &rows);
    assert_eq!(node.subnodes.len(), 2, "two cells above 3580 bytes");
    let (m, r) = mem(U, 0x692, &node);
    let tc = tc_read(&m, r);
    // MS-PST 2.3.4.4.1: iBit 0 is the MSB of rgCEB[0]; the row id and
    // version bits are always set, unused low bits are 0.
    let ceb = |i: usize| {
        let row = tc.row_bytes(i).expect("row");
        row[row.len() - 1]
    };
    assert_eq!(ceb(0), 0b1110_1000);
    assert_eq!(ceb(1), 0b1111_0000);
    assert_eq!(ceb(2), 0b1101_1000);
}

#[test]
fn tc_rejects_what_it_cannot_represent() {
    assert!(TcBuilder::new(U, &[0x67F2_0003]).is_err(), "the row id column is implicit");
    assert!(TcBuilder::new(U, &[0x67F3_0003]).is_err(), "so is the row version");
    assert!(TcBuilder::new(U, &[SUBJECT, SUBJECT]).is_err(), "a column twice");
    let many: Vec<u32> = (0..254u32).map(|i| (0x6000 + i) << 16 | 3).collect();
    assert!(TcBuilder::new(U, &many).is_err(), "256 columns");
    assert!(TcBuilder::new(U, &many[..253]).is_ok(), "255 columns");

    let mut b = TcBuilder::new(U, &[SUBJECT, SIZE]).expect("cols");
    assert!(b.add_row(1, &[Some(PropValue::I32(1)), None]).is_err(), "an I32 in a string column");
    assert!(b.add_row(1, &[None]).is_err(), "a cell missing");
    assert!(b.add_row_raw(1, 1, vec![None, Some(vec![1, 2])]).is_err(), "a 2-byte PtypInteger32");
    b.add_row(1, &[None, None]).expect("row");
    b.add_row(1, &[None, None]).expect("row");
    assert!(b.build(&mut LocalNids::default()).is_err(), "two rows with one id");
}

// ----------------------------------------------------------- other formats

#[test]
fn ansi_and_4k_layouts_read_back() {
    for format in [Format::Ansi, Format::Unicode4k] {
        let props: Vec<(u16, PropValue)> =
            (0..600u16).map(|i| (0x4000 + i, PropValue::Unicode(format!("{i}: {}", text(30, i.into()))))).collect();
        let node = pc_round_trip(format, &props);
        if format == Format::Ansi {
            assert!(blocks(&node).len() > 1, "600 strings span blocks");
        }
        let mut rng = Rng(8);
        let rows: Vec<(u32, Vec<Option<PropValue>>)> = (0..3000u32).map(|i| (i + 100, mail_row(i, &mut rng))).collect();
        let node = tc_round_trip(format, &mail_columns(), &rows);
        let (m, r) = mem(format, 0x802E, &node);
        let heap = crate::ltp::pc::load_heap(&m, &r).expect("heap");
        let info = heap.get(heap.hid_user_root).expect("TCINFO");
        let bth = Bth::new(&heap, u32::from_le_bytes([info[10], info[11], info[12], info[13]])).expect("row index");
        assert_eq!(bth.cb_ent, if format == Format::Ansi { 2 } else { 4 }, "{format:?}: dwRowIndex width");
    }
    assert_eq!(encode_hid(Format::Unicode4k, 0x7FF, 3), (3 << 19) | (0x7FF << 5));
    assert_eq!(encode_hid(Format::Unicode, 5, 3), 0x0003_00A0);
}

// ---------------------------------------------------------------- random

fn random_value(rng: &mut Rng) -> PropValue<'static> {
    let big = |rng: &mut Rng| match rng.below(10) {
        0 => 3570 + rng.below(20),
        1 => rng.below(20_000),
        _ => rng.below(200),
    };
    match rng.below(16) {
        0 => PropValue::I16(rng.next() as i16),
        1 => PropValue::I32(rng.next() as i32),
        2 => PropValue::Bool(rng.below(2) == 0),
        3 => PropValue::F64(f64::from_bits(rng.next())),
        4 => PropValue::I64(rng.next() as i64),
        5 => PropValue::Time(rng.next() as i64),
        6 => PropValue::Guid(rng.bytes(16).try_into().expect("16")),
        7 => {
            let n = big(rng) / 2;
            PropValue::Unicode(text(n, rng.next()))
        }
        8 => {
            let n = big(rng);
            PropValue::Binary(Cow::Owned(rng.bytes(n)))
        }
        9 => {
            let n = big(rng);
            PropValue::String8(Cow::Owned(rng.bytes(n)))
        }
        10 => PropValue::MvI32((0..rng.below(20)).map(|_| rng.next() as i32).collect()),
        11 => PropValue::MvUnicode((0..rng.below(5)).map(|_| text(rng.below(30), rng.next())).collect()),
        12 => PropValue::MvBinary((0..rng.below(5)).map(|_| rng.some_bytes(1000)).collect()),
        13 => PropValue::Error(rng.next() as u32),
        14 => PropValue::Currency(rng.next() as i64),
        _ => PropValue::F32(f32::from_bits(rng.next() as u32)),
    }
}

#[test]
fn random_pcs_round_trip() {
    let mut rng = Rng(0x5EED);
    for _ in 0..60 {
        let n = rng.below(120);
        let mut props = std::collections::BTreeMap::new();
        while props.len() < n {
            props.insert(rng.next() as u16, random_value(&mut rng));
        }
        let props: Vec<(u16, PropValue)> = props.into_iter().collect();
        pc_round_trip(U, &props);
    }
}

#[test]
fn random_tcs_round_trip() {
    let mut rng = Rng(0xC0FFEE);
    for _ in 0..25 {
        // Columns of random types; a prototype value fixes each one's type.
        let ncols = rng.below(30);
        let mut cols = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while cols.len() < ncols {
            let id = 0x1000 + rng.below(0x5000) as u32;
            let t = random_value(&mut rng).prop_type();
            if seen.insert(id) {
                cols.push(id << 16 | u32::from(t));
            }
        }
        let nrows = [0, 1, 5, 40, 700][rng.below(5)];
        let mut ids = std::collections::HashSet::new();
        let mut rows = Vec::new();
        while rows.len() < nrows {
            let id = rng.next() as u32;
            if !ids.insert(id) {
                continue;
            }
            let cells = cols
                .iter()
                .map(|&c| {
                    if rng.below(3) == 0 {
                        return None;
                    }
                    // Draw until the type matches the column.
                    loop {
                        let v = random_value(&mut rng);
                        if u32::from(v.prop_type()) == c & 0xFFFF {
                            return Some(v);
                        }
                    }
                })
                .collect();
            rows.push((id, cells));
        }
        tc_round_trip(U, &cols, &rows);
    }
}

/// 4K heaps: blocks of 65,512 bytes ([`Format::max_block_data`]), every
/// `hidIndex` within 11 bits and bits 16-18 clear, so that libpff (14-bit
/// `hidIndex`) and libpst (11 bits and 3 flag bits) read each HID alike.
#[test]
fn four_k_heap_blocks_and_hids() {
    let f = Format::Unicode4k;
    let mut h = HeapBuilder::new(f, BTYPE_PC);
    let mut hids = Vec::new();
    for i in 0..5000u32 {
        hids.push((h.alloc(&i.to_le_bytes()[..2]).expect("small"), i));
    }
    for i in 0..60u32 {
        hids.push((h.alloc(&vec![i as u8; 3000]).expect("large"), 1_000_000 + i));
    }
    for &(hid, _) in &hids {
        assert_eq!((hid >> 16) & 7, 0, "{hid:#x}: bits 16-18 clear");
        assert!((1..=0x7FF).contains(&((hid >> 5) & 0x3FFF)), "{hid:#x}: an 11-bit hidIndex");
    }
    for &(hid, i) in &hids {
        let want: Vec<u8> = if i < 5000 { i.to_le_bytes()[..2].to_vec() } else { vec![(i - 1_000_000) as u8; 3000] };
        assert_eq!(h.get(hid), Some(&want[..]), "{hid:#x}");
    }
    let blocks = h.finish();
    // 5,000 two-byte allocations need three blocks at 2,047 a block; the
    // 180,000 bytes of large ones fill those and two more.
    assert!(blocks.len() >= 4, "{} blocks", blocks.len());
    let (last, init) = blocks.split_last().expect("blocks");
    assert!(init.iter().all(|b| b.len() == 0xFFE8), "{:?}", init.iter().map(Vec::len).collect::<Vec<_>>());
    assert!(last.len() <= 0xFFE8);
    // Read back through the heap reader, as a node of these blocks.
    let node = BuiltNode { data: NodeData::Blocks(blocks), subnodes: Vec::new() };
    let (m, r) = mem(f, 0x8022, &node);
    let heap = crate::ltp::pc::load_heap(&m, &r).expect("heap");
    for &(hid, i) in hids.iter().step_by(97) {
        let want: Vec<u8> = if i < 5000 { i.to_le_bytes()[..2].to_vec() } else { vec![(i - 1_000_000) as u8; 3000] };
        assert_eq!(heap.get(hid).expect("allocation"), &want[..], "{hid:#x}");
    }
}
