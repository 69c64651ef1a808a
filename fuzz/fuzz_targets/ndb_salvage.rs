//! The salvage scan of issue 11 over a whole file (every block trailer and
//! B-tree page it can find), then the reader's lookups and folder walk
//! with the scan standing in for whatever B-tree pages fail, and the
//! messages found by their property context alone.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_pst::ndb::header::Header;
use mailshift_pst::ndb::{salvage, Ndb};
use mailshift_pst::Pst;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = Header::parse(data) else {
        return;
    };
    let s = salvage::scan(Ndb { file: data, header: &header, recovered: None, salvage: None, pages: None });
    for n in s.nodes().take(64) {
        let _ = s.bbt(n.bid_data);
        let _ = s.bbt(n.bid_sub);
    }
    let Ok(pst) = Pst::from_bytes("fuzz.pst", data.to_vec()) else {
        return;
    };
    mailshift_fuzz::walk(&pst);
    let _ = pst.all_nodes();
    let _ = pst.children(mailshift_pst::NID_ROOT_FOLDER);
    let _ = pst.salvage_problems();
    for l in pst.lost_messages().iter().take(16) {
        let node = mailshift_pst::NodeRef {
            nid: mailshift_pst::lost_nid(0),
            bid_data: l.bid_data,
            bid_sub: l.bid_sub,
            nid_parent: None,
        };
        let _ = pst.property_context(&node);
        let _ = pst.subnodes(&node);
    }
});
