//! Table context (MS-PST 2.3.4) over a node whose data tree and subnodes
//! (row matrix, large values) come from the input, wrapped in a
//! well-formed file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_fuzz::{decode_node_input, Builder, FUZZ_NID};
use mailshift_pst::Pst;

fuzz_target!(|data: &[u8]| {
    let Some((format, crypt, input)) = decode_node_input(data) else { return };
    let mut b = Builder::new(format, crypt);
    b.node_from_input(FUZZ_NID, &input);
    let Ok(pst) = Pst::from_bytes("fuzz.pst", b.build()) else {
        panic!("the harness built a file that does not open");
    };
    let Ok(Some(node)) = pst.node(FUZZ_NID) else {
        panic!("the harness's node is not in the NBT");
    };
    let Ok(tc) = pst.table_context(&node) else { return };
    for i in 0..tc.row_count().min(512) {
        let _ = tc.row_id(i);
        let _ = tc.row_bytes(i);
        for c in tc.columns() {
            let _ = tc.cell(i, c);
            let _ = (c.prop_id(), c.prop_type());
        }
        let _ = tc.get(i, mailshift_pst::PR_DISPLAY_NAME);
    }
    let _ = tc.row_id(tc.row_count());
    let _ = tc.row_bytes(tc.row_count());
});
