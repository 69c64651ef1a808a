//! End-to-end tests over small stores made by the writers, in all three
//! layouts (ANSI, Unicode, the 4K OST layout with its zlib blocks) and the
//! three encodings: a store PC with values inline, in the heap and in a
//! subnode (a data tree of several blocks), and a hierarchy table, built by
//! the LTP builders (`ltp::write`), written by `ndb::write::NdbWriter`,
//! read back through the readers.

use std::borrow::Cow;

use crate::ltp::write::{BuiltNode, LocalNids, PcBuilder, TcBuilder, NID_TYPE_LTP};
use crate::ndb::crypt::CryptMethod;
use crate::ndb::subnode::SubnodeEntry;
use crate::ndb::write::{NdbWriter, WriteOptions};
use crate::raw::{Bid, Format, Nid};
use crate::{nid_with_type, PropValue, Pst, NID_MESSAGE_STORE, NID_ROOT_FOLDER, PR_DISPLAY_NAME};

const PR_BIG: u16 = 0x1000; // a binary value too large for the heap: a subnode
const PR_COMMENT: u16 = 0x3004; // a long string in the heap
const PR_COUNT: u16 = 0x3602;
const PR_TIME: u16 = 0x3007;

/// The subnode the PC builder gives the large value (the first NID of
/// `NID_TYPE_LTP` that [`LocalNids`] hands out).
const BIG_NID: u32 = Nid::new(NID_TYPE_LTP, 0x400).0;

/// More than one block in every layout (65,512 bytes in 4K files).
fn big_value() -> Vec<u8> {
    (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// Text that deflates: makes the 4K store block smaller on disk than in memory.
fn comment() -> String {
    "a synthetic store, ".repeat(70)
}

/// Writes a built node as a store writer does: subnodes first, then the
/// node's data; returns (bidData, bidSub).
fn emit(w: &mut NdbWriter, node: BuiltNode) -> (Bid, Bid) {
    let mut entries = Vec::new();
    for s in node.subnodes {
        let (d, sub) = emit(w, s.node);
        entries.push(SubnodeEntry { nid: s.nid, bid_data: d.0, bid_sub: sub.0 });
    }
    let data = node.data.write_to(w).expect("node data");
    let sub = if entries.is_empty() { Bid(0) } else { w.add_subnode_tree(&entries).expect("subnode tree") };
    (data, sub)
}

/// A store PC (NID 0x21) and the root folder's hierarchy table (0x12D)
/// with two folders, in `format` and `crypt`.
fn synth_pst(format: Format, crypt: CryptMethod) -> Vec<u8> {
    let mut nids = LocalNids::default();
    let mut pc = PcBuilder::new(format);
    pc.set(PR_BIG, &PropValue::Binary(Cow::Owned(big_value()))).expect("binary");
    pc.set(PR_DISPLAY_NAME, &PropValue::Unicode("Synth store".into())).expect("string");
    pc.set(PR_COMMENT, &PropValue::Unicode(comment())).expect("string");
    pc.set(PR_TIME, &PropValue::Time(0x01D9_0000_0000_0000)).expect("time");
    pc.set(0x340D, &PropValue::I32(0xE79)).expect("i32");
    pc.set(0x6633, &PropValue::Bool(true)).expect("bool");
    let store = pc.build(&mut nids).expect("store PC");
    assert_eq!(store.subnodes.iter().map(|s| s.nid).collect::<Vec<_>>(), vec![BIG_NID]);

    let mut tc = TcBuilder::new(format, &[0x3001_001F, 0x3602_0003]).expect("columns");
    tc.add_row(0x8022, &[Some(PropValue::Unicode("Inbox".into())), Some(PropValue::I32(5))]).expect("row");
    tc.add_row(0x8042, &[Some(PropValue::Unicode("Drafts".into())), None]).expect("row");
    let hierarchy = tc.build(&mut nids).expect("hierarchy TC");

    let mut w = NdbWriter::in_memory(WriteOptions { format, crypt, fsync: false });
    let (d, s) = emit(&mut w, store);
    w.add_node(NID_MESSAGE_STORE, d, s, 0).expect("store node");
    let (d, s) = emit(&mut w, hierarchy);
    w.add_node(nid_with_type(NID_ROOT_FOLDER, 0x0D), d, s, 0).expect("table node");
    w.finish_to_vec().expect("finish")
}

fn check(format: Format, crypt: CryptMethod) {
    let bytes = synth_pst(format, crypt);
    let pst = Pst::from_bytes("synth.pst", bytes).unwrap_or_else(|e| panic!("{format:?}/{crypt:?}: {e}"));
    assert_eq!(pst.header().format, format);
    assert_eq!(pst.header().crypt_method, crypt);
    assert!(pst.problems().is_empty(), "{:?}", pst.problems());

    let store = pst.node(NID_MESSAGE_STORE).expect("NBT").expect("store node");
    let pc = pst.property_context(&store).expect("store PC");
    assert_eq!(pc.entries().len(), 6);
    assert_eq!(pc.string(PR_DISPLAY_NAME).expect("name").as_deref(), Some("Synth store"));
    assert_eq!(pc.string(PR_COMMENT).expect("comment"), Some(comment()));
    assert_eq!(pc.get(0x340D).expect("inline"), Some(PropValue::I32(0xE79)));
    assert_eq!(pc.get(0x6633).expect("bool"), Some(PropValue::Bool(true)));
    assert_eq!(pc.get(PR_TIME).expect("time"), Some(PropValue::Time(0x01D9_0000_0000_0000)));
    match pc.get(PR_BIG).expect("big") {
        Some(PropValue::Binary(b)) => {
            assert_eq!(&b[..], &big_value()[..], "value through subnode and XBLOCK")
        }
        other => panic!("{other:?}"),
    }
    let sub = pst.subnode(&store, BIG_NID).expect("SLBLOCK").expect("subnode");
    let leaves = big_value().len().div_ceil(format.max_block_data());
    assert!(leaves > 1);
    assert_eq!(pst.data_tree(&sub).expect("tree").block_count(), leaves);
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
fn ansi_cyclic() {
    check(Format::Ansi, CryptMethod::Cyclic);
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
    // is stored smaller than its data, in both encodings (a node's only
    // block is deflated whatever the encoding).
    for crypt in [CryptMethod::None, CryptMethod::Permute] {
        let pst = Pst::from_bytes("synth.ost", synth_pst(Format::Unicode4k, crypt)).expect("opens");
        let store = pst.node(NID_MESSAGE_STORE).expect("NBT").expect("store");
        let entry = pst.ndb().bbt(store.bid_data).expect("BBT").expect("entry");
        let data = pst.read_node_data(&store).expect("data");
        assert!(usize::from(entry.cb) < data.len(), "{crypt:?}: stored {} vs inflated {}", entry.cb, data.len());
        assert_eq!(entry.ib % 512, 0);
    }
}
