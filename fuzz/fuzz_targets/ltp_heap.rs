//! Heap-on-node (MS-PST 2.3.1), BTH (2.3.2) and property context (2.3.3)
//! over a node whose data tree and subnodes come from the input (see
//! `mailshift_fuzz::decode_node_input`), wrapped in a well-formed file.
#![no_main]
use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use mailshift_fuzz::{decode_node_input, Builder, FUZZ_NID};
use mailshift_pst::ltp::bth::Bth;
use mailshift_pst::ltp::heap::Heap;
use mailshift_pst::Pst;

fuzz_target!(|data: &[u8]| {
    let Some((format, crypt, input)) = decode_node_input(data) else { return };
    // The heap straight from the blocks.
    let blocks: Vec<Cow<'_, [u8]>> = input.blocks.iter().map(|b| Cow::Borrowed(*b)).collect();
    if let Ok(heap) = Heap::new(blocks, format, 0) {
        for block in 0..heap.block_count() as u32 {
            for index in 0..8u32 {
                let _ = heap.get((block << 16) | (index << 5));
            }
        }
        if let Ok(bth) = Bth::new(&heap, heap.hid_user_root) {
            if let Ok(recs) = bth.records() {
                for (k, _) in recs.iter().take(64) {
                    let _ = bth.find(k);
                }
            }
            let _ = bth.find(&[0u8; 16][..bth.cb_key]);
        }
    }
    // The same node through the file: data tree, subnodes, PC values.
    let mut b = Builder::new(format, crypt);
    b.node_from_input(FUZZ_NID, &input);
    let Ok(pst) = Pst::from_bytes("fuzz.pst", b.build()) else {
        panic!("the harness built a file that does not open");
    };
    let Ok(Some(node)) = pst.node(FUZZ_NID) else {
        panic!("the harness's node is not in the NBT");
    };
    if let Ok(pc) = pst.property_context(&node) {
        for e in pc.entries() {
            let _ = pc.value(e);
        }
    }
    mailshift_fuzz::read_message(&pst, &node);
});
