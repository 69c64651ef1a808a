//! Every PST/OST fixture, read through the NDB and LTP layers and compared
//! with what libpff (`pffexport`) and libpst (`lspst`) read from it.

mod common;
#[path = "common/oracle.rs"]
mod oracle;

use std::collections::BTreeMap;
use std::io::Read;

use mailshift_pst::ndb::crypt::CryptMethod;
use mailshift_pst::ndb::header::Format;
use mailshift_pst::{nid_with_type, PropValue, Pst, NID_TYPE_CONTENTS_TABLE};

use oracle::{fixture, is_rejected};

fn folders(w: &common::Walk) -> BTreeMap<String, usize> {
    w.folders.iter().map(|(p, c)| (p.clone(), c.expect("contents table read"))).collect()
}

#[test]
fn every_fixture_opens_and_walks_or_is_rejected() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let mut read = 0;
    for f in &files {
        let opened = Pst::open(f);
        if is_rejected(f) {
            // An error naming the file, or (a B-tree root that fails) the
            // salvage scan of issue 11 standing in, said as damage.
            match opened {
                Err(err) => {
                    let msg = err.to_string();
                    assert!(msg.contains(&*f.display().to_string()), "error names the file: {msg}");
                }
                Ok(pst) => assert!(pst.is_salvaged(), "{}: a file every tool rejects opened as sound", f.display()),
            }
            continue;
        }
        let pst = opened.unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let w = common::walk(&pst).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(w.errors.is_empty(), "{}: {:?}", f.display(), w.errors);
        assert!(w.store_name.is_some(), "{}: message store has no display name", f.display());
        assert!(!w.folders.is_empty(), "{}: no folders under the root", f.display());
        assert!(pst.problems().is_empty(), "{}: {:?}", f.display(), pst.problems());
        // The full NBT walk finds every node the lookups found, in order.
        let all = pst.all_nodes().unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(all.windows(2).all(|p| p[0].nid < p[1].nid), "{}: NBT out of order", f.display());
        for nid in [mailshift_pst::NID_MESSAGE_STORE, mailshift_pst::NID_ROOT_FOLDER] {
            let found = pst.node(nid).expect("lookup");
            assert_eq!(found, all.iter().find(|n| n.nid == nid).copied(), "{}: {nid:#x}", f.display());
        }
        read += 1;
    }
    assert!(read >= 133, "only {read} fixtures read");
}

#[test]
fn rejected_header_crc_is_explained() {
    let Some(f) = fixture("aspose-email__Aspose.Email-for-.NET/AddingBulkMessagesWithImprovedPerformance.pst") else {
        return;
    };
    // Opened on the salvage scan (issue 11), the damage said.
    let pst = Pst::open(&f).expect("salvaged");
    let msg: Vec<String> = pst.salvage_problems().iter().map(|p| p.message.clone()).collect();
    let msg = msg.join("\n");
    assert!(msg.contains("dwCRCPartial"), "{msg}");
    assert!(msg.contains("root B-tree page"), "{msg}");
    let Some(f) = fixture("aspose-email__Aspose.Email-for-.NET/Examples_Data_SMTP__Outlook.pst") else {
        return;
    };
    assert!(Pst::open(&f).expect_err("an mbox").to_string().contains("!BDN"));
}

#[test]
fn unicode_permute_sample() {
    let Some(f) = fixture("farnulfo__pst-exp/sample1.pst") else {
        return;
    };
    let pst = Pst::open(&f).expect("opens");
    assert_eq!(pst.header().format, Format::Unicode);
    assert_eq!(pst.header().crypt_method, CryptMethod::Permute);
    let w = common::walk(&pst).expect("walk");
    assert_eq!(w.store_name.as_deref(), Some("sample1"));
    let f = folders(&w);
    assert_eq!(f.get("Top of Outlook data file/Sample1"), Some(&1));
    assert_eq!(f.get("Top of Outlook data file/Deleted Items"), Some(&0));
    assert_eq!(f.len(), 6);
}

#[test]
fn ansi_sample() {
    let Some(f) = fixture("farnulfo__pst-exp/sample2.pst") else {
        return;
    };
    let pst = Pst::open(&f).expect("opens");
    assert_eq!(pst.header().format, Format::Ansi);
    assert_eq!(pst.header().w_ver, 14);
    let w = common::walk(&pst).expect("walk");
    assert_eq!(w.store_name.as_deref(), Some("sample2"));
    assert_eq!(folders(&w).get("Top of Outlook data file/Sample2"), Some(&1));
}

#[test]
fn cyclic_and_unencoded_stores() {
    let Some(cyc) = fixture("hughbe__PstReader/simiden_pst2john_2003_high-encryption_quickquick.pst") else {
        return;
    };
    let pst = Pst::open(&cyc).expect("opens");
    assert_eq!(pst.header().crypt_method, CryptMethod::Cyclic);
    let w = common::walk(&pst).expect("walk");
    assert_eq!(w.store_name.as_deref(), Some("quickquick"));
    assert_eq!(folders(&w).get("Top of Personal Folders/Deleted Items"), Some(&36));
    // Search folders may leave the name out of the hierarchy row; the
    // folder's own PC supplies it.
    assert!(folders(&w).contains_key("Content.Filter"));

    let Some(plain) = fixture("hughbe__PstReader/simiden_pst2john_2003_no-encryption_quickquick.pst") else {
        return;
    };
    let pst = Pst::open(&plain).expect("opens");
    assert_eq!(pst.header().crypt_method, CryptMethod::None);
    let w = common::walk(&pst).expect("walk");
    assert_eq!(folders(&w).get("Top of Personal Folders/Deleted Items"), Some(&20));
}

#[test]
fn ost_store() {
    let Some(f) = fixture("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost") else {
        return;
    };
    let pst = Pst::open(&f).expect("opens");
    assert_eq!(pst.header().client, mailshift_pst::ndb::header::Client::Ost);
    let w = common::walk(&pst).expect("walk");
    let f = folders(&w);
    assert_eq!(f.len(), 44);
    assert_eq!(f.values().sum::<usize>(), 92);
    assert!(f.contains_key("Root - Mailbox/Finder/To-Do Search"));
}

/// Folder trees agree with pffexport for every fixture it exports, and the
/// contents-table counts agree wherever libpff exports every item. Where
/// they differ, MANIFEST.md or this comment says why.
#[test]
fn folders_agree_with_pffexport() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let Some(tool) = mailshift_testkit::tool("pffexport") else {
        return;
    };
    // Count differences that are libpff's, not ours: oracle::count_exempt.
    let scratch_root = std::env::temp_dir().join(format!("mailshift-pst-oracle-{}", std::process::id()));
    let (mut compared, mut counts_compared) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        if is_rejected(f) {
            continue;
        }
        let name = f.display().to_string();
        let scratch = scratch_root.join(i.to_string());
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let theirs = oracle::pffexport_tree(&tool, f, &scratch);
        let _ = std::fs::remove_dir_all(&scratch);
        let Some(theirs) = theirs.filter(|t| !t.is_empty()) else {
            // aspose .NET Outlook.pst: pffexport exports nothing (and readpst
            // fails on its root), while we read 24 folders.
            eprintln!("pffexport exported nothing from {name}");
            continue;
        };
        let pst = Pst::open(f).expect("opens");
        let w = common::walk(&pst).expect("walk");
        // pffexport writes '~' as '_' in directory names.
        let ours: BTreeMap<String, usize> = folders(&w).into_iter().map(|(k, v)| (k.replace('~', "_"), v)).collect();
        assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>(), "folder tree of {name}");
        compared += 1;
        for (folder, n) in &ours {
            if !oracle::count_exempt(&name, folder) {
                assert_eq!(Some(n), theirs.get(folder), "{name}: items in {folder}");
                counts_compared += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch_root);
    assert!(compared >= 130, "compared only {compared} fixtures");
    assert!(counts_compared >= 1000, "compared only {counts_compared} folder counts");
}

/// Every folder lspst names is one of ours (lspst lists folders that hold items).
#[test]
fn folders_agree_with_lspst() {
    let Some(tool) = mailshift_testkit::tool("lspst") else {
        return;
    };
    for rel in [
        "farnulfo__pst-exp/sample1.pst",
        "farnulfo__pst-exp/sample2.pst",
        "hughbe__PstReader/simiden_pst2john_2003_high-encryption_quickquick.pst",
    ] {
        let Some(f) = fixture(rel) else { return };
        let out = std::process::Command::new(&tool).arg(&f).output().expect("lspst runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let named: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("Folder \"")?.strip_suffix('"')).collect();
        assert!(!named.is_empty(), "lspst named no folder in {rel}");
        let w = common::walk(&Pst::open(&f).expect("opens")).expect("walk");
        let leaves: Vec<&str> = w.folders.iter().map(|(p, _)| p.rsplit('/').next().unwrap_or(p)).collect();
        for n in named {
            assert!(leaves.contains(&n), "{rel}: lspst folder {n:?} not among {leaves:?}");
        }
    }
}

/// Every property of every message in the fixtures decodes, and multi-block
/// data trees read the same through `read_all` and the lazy reader.
#[test]
fn message_properties_and_data_trees() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let (mut props, mut multi_block, mut subnodes) = (0usize, 0usize, 0usize);
    for f in files.iter().filter(|f| !is_rejected(f)) {
        let pst = Pst::open(f).expect("opens");
        let w = common::walk(&pst).expect("walk");
        let _ = w;
        // Messages: rows of every contents table reachable from the NBT.
        let mut stack = vec![mailshift_pst::NID_ROOT_FOLDER];
        let mut seen = Vec::new();
        while let Some(folder) = stack.pop() {
            if seen.contains(&folder) || seen.len() > 500 {
                continue;
            }
            seen.push(folder);
            if let Some(ht) = pst.node(nid_with_type(folder, 0x0D)).expect("NBT") {
                let tc = pst.table_context(&ht).expect("hierarchy table");
                stack.extend((0..tc.row_count()).filter_map(|i| tc.row_id(i)));
            }
            let Some(ct) = pst.node(nid_with_type(folder, NID_TYPE_CONTENTS_TABLE)).expect("NBT") else {
                continue;
            };
            let tc = pst.table_context(&ct).expect("contents table");
            for i in 0..tc.row_count() {
                for c in tc.columns() {
                    tc.cell(i, c).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                }
                let Some(msg) = pst.node(tc.row_id(i).expect("row id")).expect("NBT") else {
                    continue;
                };
                let pc = pst.property_context(&msg).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                for e in pc.entries() {
                    let v = pc.value(e).unwrap_or_else(|err| panic!("{}: {err}", f.display()));
                    if let PropValue::Unknown { ptype, .. } = v {
                        panic!("{}: unknown property type {ptype:#06x}", f.display());
                    }
                    props += 1;
                }
                for sub in pst.subnodes(&msg).expect("subnodes") {
                    subnodes += 1;
                    let tree = pst.data_tree(&sub).expect("data tree");
                    if tree.block_count() > 1 {
                        multi_block += 1;
                        let all = tree.read_all().expect("read_all");
                        assert_eq!(all.len() as u64, tree.declared_len());
                        let mut streamed = Vec::new();
                        tree.reader().read_to_end(&mut streamed).expect("reader");
                        assert_eq!(&streamed[..], &all[..]);
                    }
                }
            }
        }
    }
    assert!(props > 5000, "only {props} message properties decoded");
    assert!(subnodes > 100, "only {subnodes} subnodes");
    assert!(multi_block > 0, "no multi-block data tree in the fixtures");
}
