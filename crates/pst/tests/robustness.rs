//! Truncated and bit-flipped PST fixtures give errors, never panics or
//! hangs: every structure on the way is checked before it is used.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use mailshift_pst::{
    nid_with_type, Pst, NID_MESSAGE_STORE, NID_ROOT_FOLDER, NID_TYPE_CONTENTS_TABLE, NID_TYPE_HIERARCHY_TABLE,
};

use mailshift_testkit::XorShift;

/// Byte ranges the walk reads: the header, both B-tree roots and the data
/// blocks of the store, root folder and its tables. Flips there reach the
/// parsers; flips anywhere else mostly hit free space.
fn hot_ranges(pst: &Pst) -> Vec<(usize, usize)> {
    let h = pst.header();
    let page = h.format.page_size();
    let mut r = vec![(0, 564), (h.bref_nbt.ib as usize, page), (h.bref_bbt.ib as usize, page)];
    let ndb = pst.ndb();
    let nids = [
        NID_MESSAGE_STORE,
        NID_ROOT_FOLDER,
        nid_with_type(NID_ROOT_FOLDER, NID_TYPE_HIERARCHY_TABLE),
        nid_with_type(NID_ROOT_FOLDER, NID_TYPE_CONTENTS_TABLE),
    ];
    for nid in nids {
        if let Ok(Some(n)) = ndb.node(nid) {
            for bid in [n.bid_data, n.bid_sub] {
                if let Ok(Some(b)) = ndb.bbt(bid) {
                    r.push((b.ib as usize, h.format.block_size(usize::from(b.cb))));
                }
            }
        }
    }
    r
}

/// Everything the engine offers, over possibly damaged bytes. Errors are
/// fine; the point is that this returns.
fn exercise(pst: &Pst) -> (usize, bool) {
    let mut touched = 0;
    let mut noticed = false;
    touched += pst.all_nodes().map(|n| n.len()).unwrap_or(0);
    match common::walk(pst) {
        Ok(w) => {
            touched += w.folders.len();
            noticed |= !w.errors.is_empty();
        }
        Err(_) => noticed = true,
    }
    let Ok(Some(ct)) = pst.node(nid_with_type(NID_ROOT_FOLDER, NID_TYPE_CONTENTS_TABLE)) else {
        return (touched, noticed);
    };
    if let Ok(tc) = pst.table_context(&ct) {
        for i in 0..tc.row_count().min(50) {
            for c in tc.columns() {
                touched += usize::from(tc.cell(i, c).is_ok());
            }
            if let Some(Ok(Some(msg))) = tc.row_id(i).map(|id| pst.node(id)) {
                if let Ok(pc) = pst.property_context(&msg) {
                    touched += pc.entries().iter().filter(|e| pc.value(e).is_ok()).count();
                }
                touched += pst.subnodes(&msg).map(|s| s.len()).unwrap_or(0);
            }
        }
    }
    (touched, noticed)
}

/// Runs [`exercise`] and says whether the damage was noticed (an error at
/// open or during the walk).
fn check(name: &str, case: &str, bytes: Vec<u8>) -> bool {
    let outcome = catch_unwind(AssertUnwindSafe(|| match Pst::from_bytes(name, bytes) {
        Ok(pst) => exercise(&pst).1,
        Err(e) => {
            // The error names the file, like every error of the engine.
            assert!(e.to_string().contains(name), "{e}");
            true
        }
    }));
    match outcome {
        Ok(noticed) => noticed,
        Err(_) => panic!("{name}: {case} panicked"),
    }
}

#[test]
fn truncated_and_flipped_fixtures_never_panic() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut tried, mut noticed) = (0, 0);
    for f in files {
        let Ok(original) = std::fs::read(&f) else {
            continue;
        };
        if original.len() >= 1 << 20 {
            continue;
        }
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let hot = match Pst::from_bytes(name.as_str(), original.clone()) {
            Ok(p) => hot_ranges(&p),
            Err(_) => vec![(0, original.len())],
        };
        for k in 0..30 {
            // Evenly spread cut points, jittered, from 0 to just short of the end.
            let base = original.len() * k / 30;
            let len = (base + rng.below(original.len() / 30 + 1)).min(original.len() - 1);
            noticed += usize::from(check(&name, &format!("truncation to {len}"), original[..len].to_vec()));
            tried += 1;
        }
        for k in 0..30 {
            let mut bytes = original.clone();
            let flips = 1 + rng.below(4);
            let mut at = Vec::new();
            for _ in 0..flips {
                let (start, size) = if k % 3 == 2 { (0, bytes.len()) } else { hot[rng.below(hot.len())] };
                let pos = (start + rng.below(size)).min(bytes.len() - 1);
                bytes[pos] ^= (rng.next() as u8) | 1;
                at.push(pos);
            }
            noticed += usize::from(check(&name, &format!("flips at {at:?} (case {k})"), bytes));
            tried += 1;
        }
    }
    assert!(tried > 5000, "only {tried} damaged variants tried");
    // Damage is noticed through CRCs, BIDs and bounds; what is not noticed
    // fell outside anything the walk reads (free space, later items).
    eprintln!("{noticed} of {tried} damaged variants gave an error");
    assert!(noticed * 3 > tried, "only {noticed} of {tried} damaged variants were noticed");
}
