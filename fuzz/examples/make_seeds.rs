//! Seed inputs for the structure-level targets, cut out of real PST files:
//! `make_seeds CORPUS_DIR FILE.pst...` writes B-tree pages (ndb_page),
//! stored blocks (ndb_block), property-context nodes (ltp_heap), table
//! nodes with their subnodes (ltp_table) and compressed RTF bodies
//! (rtf_decompress) under CORPUS_DIR/<target>/.
use std::path::{Path, PathBuf};

use mailshift_fuzz::{encode_node_input, selector, NodeInput};
use mailshift_pst::ndb::crypt::CryptMethod;
use mailshift_pst::{nid_with_type, NodeRef, PropValue, Pst, NID_MESSAGE_STORE, NID_ROOT_FOLDER};

/// PidTagRtfCompressed.
const PR_RTF_COMPRESSED: u16 = 0x1009;

fn save(dir: &Path, target: &str, name: &str, data: &[u8]) {
    let d = dir.join(target);
    if std::fs::create_dir_all(&d).is_ok() {
        let _ = std::fs::write(d.join(name), data);
    }
}

/// A node's decoded data blocks, and its subnodes' (nid, data).
type Parts = (Vec<Vec<u8>>, Vec<(u32, Vec<u8>)>);

/// A node's data blocks and subnodes, as decoded blocks.
fn node_input(pst: &Pst, node: &NodeRef) -> Option<Parts> {
    let tree = pst.data_tree(node).ok()?;
    let blocks: Vec<Vec<u8>> =
        (0..tree.block_count().min(8)).filter_map(|i| tree.block(i).ok().map(|b| b.into_owned())).collect();
    let subs = pst
        .subnodes(node)
        .unwrap_or_default()
        .into_iter()
        .take(8)
        .filter_map(|s| Some((s.nid, pst.read_node_data(&s).ok()?.into_owned())))
        .filter(|(_, d)| d.len() <= 32 * 1024)
        .collect();
    Some((blocks, subs))
}

fn encode(pst: &Pst, node: &NodeRef, crypt: CryptMethod) -> Option<Vec<u8>> {
    let (blocks, subs) = node_input(pst, node)?;
    let input = NodeInput {
        blocks: blocks.iter().map(Vec::as_slice).collect(),
        subnodes: subs.iter().map(|(n, d)| (*n, d.as_slice())).collect(),
    };
    Some(encode_node_input(pst.header().format, crypt, &input))
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some((out, files)) = args.split_first() else {
        eprintln!("usage: make_seeds CORPUS_DIR FILE.pst...");
        std::process::exit(2);
    };
    for (fi, f) in files.iter().enumerate() {
        let Ok(bytes) = std::fs::read(f) else { continue };
        let Ok(pst) = Pst::from_bytes(f.clone(), bytes.clone()) else {
            eprintln!("skipping {}: does not open", f.display());
            continue;
        };
        let h = pst.header().clone();
        let fmt = h.format;
        let sel = selector(fmt, h.crypt_method);
        // Root pages of both B-trees, trailers fixed up by the target.
        let ps = fmt.page_size();
        for (i, bref, flags) in [(0, h.bref_nbt, 1u8), (1, h.bref_bbt, 3u8)] {
            let at = bref.ib as usize;
            if let Some(page) = bytes.get(at..at + ps) {
                let mut s = vec![sel, flags];
                s.extend_from_slice(page);
                save(out, "ndb_page", &format!("f{fi}_root{i}"), &s);
            }
        }
        // Stored blocks of a few nodes.
        let mut picked = Vec::new();
        for nid in [NID_MESSAGE_STORE, NID_ROOT_FOLDER, nid_with_type(NID_ROOT_FOLDER, 0x0D)] {
            if let Ok(Some(n)) = pst.node(nid) {
                picked.push(n);
            }
        }
        let all = pst.all_nodes().unwrap_or_default();
        picked.extend(all.iter().filter(|n| n.nid & 0x1F == 0x04).take(4).copied());
        picked.extend(all.iter().filter(|n| n.nid & 0x1F == 0x0E).take(2).copied());
        for (k, n) in picked.iter().enumerate() {
            if let Ok(Some(e)) = pst.ndb().bbt(n.bid_data) {
                let at = e.ib as usize;
                if let Some(stored) = bytes.get(at..at + usize::from(e.cb)) {
                    let mut s = vec![sel, 0];
                    s.extend_from_slice(&e.cb.to_le_bytes());
                    s.extend_from_slice(stored);
                    save(out, "ndb_block", &format!("f{fi}_n{k}"), &s);
                }
            }
            let target = match n.nid & 0x1F {
                0x0D..=0x0F => "ltp_table",
                _ => "ltp_heap",
            };
            for (c, crypt) in [CryptMethod::None, CryptMethod::Permute].into_iter().enumerate() {
                if let Some(s) = encode(&pst, n, crypt) {
                    save(out, target, &format!("f{fi}_n{k}_c{c}"), &s);
                }
            }
            // Messages: their recipient / attachment tables and compressed RTF.
            if n.nid & 0x1F == 0x04 {
                for sub in pst.subnodes(n).unwrap_or_default() {
                    let target = match sub.nid & 0x1F {
                        0x11 | 0x12 => "ltp_table",
                        0x05 => "ltp_heap",
                        _ => continue,
                    };
                    if let Some(s) = encode(&pst, &sub, CryptMethod::None) {
                        save(out, target, &format!("f{fi}_n{k}_s{:x}", sub.nid), &s);
                    }
                }
                if let Ok(pc) = pst.property_context(n) {
                    if let Some(rtf) = pc.get(PR_RTF_COMPRESSED).ok().flatten().and_then(PropValue::into_bytes) {
                        save(out, "rtf_decompress", &format!("f{fi}_n{k}"), &rtf);
                    }
                }
            }
        }
    }
}
