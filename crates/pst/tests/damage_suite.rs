//! The damage suite of issue 11: damaged copies of bench.pst and of a few
//! fixtures, made here deterministically (never committed), read by
//! mailshift, readpst and pffexport.
//!
//! For every case the suite counts:
//! - mailshift: items read (every kind), each compared with the same item
//!   read from the intact file: byte-identical, or marked partial (a
//!   `damaged` problem of the reader names its NID);
//! - readpst (`-D -S`: item files) and pffexport (item directories);
//! - untouched: the intact file's items none of whose own blocks (data
//!   tree, subnode tree, every subnode's, recursively) has a damaged byte;
//! - reachable: those of them whose NBT leaf page (the only record of
//!   where their blocks are) is undamaged as well.
//!
//! mailshift must read at least as many as readpst and pffexport, and at
//! least 98% of the reachable ones. The table goes to stderr (the README
//! has it). `cargo test -p mailshift-pst --test damage_suite -- --nocapture`
//! shows it; the long variants:
//! `cargo test --release -p mailshift-pst --test damage_suite -- --ignored --nocapture`.

#[path = "common/views.rs"]
mod views;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mailshift_core::{Item, Severity, StoreReader};
use mailshift_pst::ndb::page::{BtPage, PTYPE_BBT, PTYPE_NBT};
use mailshift_pst::raw::{Bid, PageTrailer, SiEntry, SlEntry, SubnodeBlockHeader};
use mailshift_pst::{Pst, PstOptions, PstReader, Store};
use mailshift_testkit::XorShift;
use sha2::{Digest, Sha256};

/// Byte ranges `[start, end)` that a case damaged.
type Ranges = Vec<(u64, u64)>;

struct Case {
    name: String,
    bytes: Vec<u8>,
    damaged: Ranges,
}

/// What the intact file gives.
struct Intact {
    /// Item digests by NID.
    items: HashMap<u32, [u8; 32]>,
    /// Each item's own blocks, as byte ranges.
    footprint: HashMap<u32, Ranges>,
    /// The offset of the NBT leaf page that lists each item.
    leaf: HashMap<u32, u64>,
    /// Every B-tree page: (offset, ptype).
    pages: Vec<(u64, u8)>,
    page_size: u64,
}

fn digest(item: &Item<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    match item {
        Item::Mail(m) => h.update(&m.raw),
        other => h.update(format!("{other:?}").as_bytes()),
    }
    h.finalize().into()
}

/// Reads every item of every folder: (NID -> digest, NIDs marked partial,
/// items that failed).
fn read_all(reader: &PstReader) -> (HashMap<u32, [u8; 32]>, HashSet<u32>, usize) {
    let mut items = HashMap::new();
    let mut failed = 0;
    for f in reader.folders().unwrap_or_default() {
        let Ok(list) = reader.items(f.id) else { continue };
        for m in list {
            let Ok(nid) = u32::try_from(m.id.0) else { continue };
            match reader.read(m.id) {
                Ok(item) => {
                    items.insert(nid, digest(&item));
                }
                Err(_) => failed += 1,
            }
        }
    }
    let mut partial = HashSet::new();
    for p in reader.problems() {
        if p.severity < Severity::Damaged || p.structure != "message" {
            continue;
        }
        if let Some(at) = p.message.find("NID 0x") {
            let hex: String = p.message[at + 6..].chars().take_while(char::is_ascii_hexdigit).collect();
            if let Ok(n) = u32::from_str_radix(&hex, 16) {
                partial.insert(n);
            }
        }
    }
    (items, partial, failed)
}

fn block_range(pst: &Pst, bid: u64) -> Option<(u64, u64)> {
    let e = pst.ndb().bbt(bid).ok()??;
    let size = pst.header().format.block_size(usize::from(e.cb)) as u64;
    Some((e.ib, e.ib + size))
}

/// The blocks of the data tree at `bid`.
fn data_tree(pst: &Pst, bid: u64, depth: usize, out: &mut Ranges) {
    if bid == 0 || depth > 4 {
        return;
    }
    out.extend(block_range(pst, bid));
    if !Bid(bid).is_internal() {
        return;
    }
    let Ok(data) = pst.ndb().block(bid) else { return };
    // XBLOCK / XXBLOCK: btype 1, cLevel, cEnt, lcbTotal, then BIDs.
    if data.first() != Some(&1) || data.len() < 8 {
        return;
    }
    let n = usize::from(u16::from_le_bytes([data[2], data[3]]));
    let w = pst.header().format.id_size();
    for i in 0..n {
        let Some(b) = data.get(8 + i * w..8 + (i + 1) * w) else { break };
        let mut v = [0u8; 8];
        v[..w].copy_from_slice(b);
        data_tree(pst, u64::from_le_bytes(v), depth + 1, out);
    }
}

/// The blocks of the subnode tree at `bid` and of every subnode in it.
fn subnode_tree(pst: &Pst, bid: u64, depth: usize, out: &mut Ranges) {
    if bid == 0 || depth > 8 {
        return;
    }
    out.extend(block_range(pst, bid));
    let Ok(data) = pst.ndb().block(bid) else { return };
    let Some(h) = SubnodeBlockHeader::parse(&data) else { return };
    let format = pst.header().format;
    for i in 0..usize::from(h.c_ent) {
        let Some(e) = data.get(SubnodeBlockHeader::entry_at(i, format, h.c_level)..) else { break };
        if h.c_level == 0 {
            if let Some(s) = SlEntry::parse(e, format) {
                data_tree(pst, s.bid_data, 0, out);
                subnode_tree(pst, s.bid_sub, depth + 1, out);
            }
        } else if let Some(s) = SiEntry::parse(e, format) {
            subnode_tree(pst, s.bid, depth + 1, out);
        }
    }
}

fn intact(bytes: &[u8]) -> Intact {
    let pst = Pst::from_bytes("intact.pst", bytes.to_vec()).expect("the intact file opens");
    let format = pst.header().format;
    let ps = format.page_size() as u64;
    let mut pages = Vec::new();
    let mut leaf = HashMap::new();
    let live: HashMap<u32, u64> = pst.all_nodes().expect("walk").iter().map(|n| (n.nid, n.bid_data)).collect();
    let mut ib = ps;
    while ib + ps <= bytes.len() as u64 {
        let page = &bytes[ib as usize..(ib + ps) as usize];
        if let Some(t) = PageTrailer::parse_page(page, format) {
            if (t.ptype == PTYPE_NBT || t.ptype == PTYPE_BBT) && t.ptype_repeat == t.ptype {
                let bref = mailshift_pst::ndb::header::Bref { bid: t.bid, ib };
                if let Ok(p) = BtPage::read(bytes, format, bref, t.ptype) {
                    pages.push((ib, t.ptype));
                    if t.ptype == PTYPE_NBT && p.c_level == 0 {
                        for i in 0..p.c_ent {
                            let Some(e) = p.entry(i).and_then(|e| mailshift_pst::raw::NbtEntry::parse(e, format))
                            else {
                                continue;
                            };
                            if live.get(&e.nid) == Some(&e.bid_data) {
                                leaf.insert(e.nid, ib);
                            }
                        }
                    }
                }
            }
        }
        ib += ps;
    }
    let reader = PstReader::from_store(Store::new(pst), PstOptions::default());
    let (items, _, _) = read_all(&reader);
    let pst = reader.store().pst();
    let mut footprint = HashMap::new();
    for &nid in items.keys() {
        let Ok(Some(node)) = pst.node(nid) else { continue };
        let mut r = Ranges::new();
        data_tree(pst, node.bid_data, 0, &mut r);
        subnode_tree(pst, node.bid_sub, 0, &mut r);
        footprint.insert(nid, r);
    }
    Intact { items, footprint, leaf, pages, page_size: ps }
}

fn hits(damaged: &Ranges, r: (u64, u64)) -> bool {
    damaged.iter().any(|&(s, e)| s < r.1 && r.0 < e)
}

fn zero(bytes: &[u8], ranges: &[(u64, u64)]) -> (Vec<u8>, Ranges) {
    let mut b = bytes.to_vec();
    let mut done = Ranges::new();
    for &(s, e) in ranges {
        let e = e.min(b.len() as u64);
        if s < e {
            b[s as usize..e as usize].fill(0);
            done.push((s, e));
        }
    }
    (b, done)
}

/// The damage cases for one file.
fn cases(bytes: &[u8], info: &Intact, big: bool, long: bool) -> Vec<Case> {
    let len = bytes.len() as u64;
    let mib = 1u64 << 20;
    let mut out = Vec::new();
    let mut zeroed = |name: String, ranges: Vec<(u64, u64)>| {
        let (b, d) = zero(bytes, &ranges);
        out.push(Case { name, bytes: b, damaged: d });
    };
    if big {
        zeroed("2 MiB zeroed at 20 MiB".into(), vec![(20 * mib, 22 * mib)]);
        zeroed("64 KiB zeroed at 1 MiB".into(), vec![(mib, mib + 65536)]);
        zeroed("8 MiB zeroed at 60 MiB".into(), vec![(60 * mib, 68 * mib)]);
        if long {
            zeroed("4 KiB zeroed at 40 MiB".into(), vec![(40 * mib, 40 * mib + 4096)]);
            zeroed("16 MiB zeroed at 30 MiB".into(), vec![(30 * mib, 46 * mib)]);
        }
    } else {
        let at = (len / 2) / 4096 * 4096;
        zeroed("16 KiB zeroed in the middle".into(), vec![(at, at + 16384)]);
        zeroed("the last 25% zeroed".into(), vec![(len * 3 / 4 / 512 * 512, len)]);
    }
    let of = |t: u8| -> Vec<(u64, u64)> {
        info.pages.iter().filter(|p| p.1 == t).map(|p| (p.0, p.0 + info.page_size)).collect()
    };
    zeroed("every BBT page zeroed".into(), of(PTYPE_BBT));
    zeroed("every NBT page zeroed".into(), of(PTYPE_NBT));
    // Random pages overwritten with random bytes.
    let counts: &[usize] = if big {
        if long {
            &[200, 2000]
        } else {
            &[200]
        }
    } else {
        &[20]
    };
    for &n in counts {
        let mut rng = XorShift(0x5A1_7A6E ^ n as u64);
        let mut b = bytes.to_vec();
        let mut d = Ranges::new();
        let pages = (len / 512) as usize;
        for _ in 0..n {
            let p = 1 + rng.below(pages - 1);
            let at = p * 512;
            for x in &mut b[at..at + 512] {
                *x = rng.next() as u8;
            }
            d.push((at as u64, at as u64 + 512));
        }
        out.push(Case { name: format!("{n} random 512-byte pages overwritten"), bytes: b, damaged: d });
    }
    let cuts: &[u64] = if long { &[90, 50, 10] } else { &[50] };
    for &pct in cuts {
        let at = len * pct / 100;
        out.push(Case {
            name: format!("truncated at {pct}%"),
            bytes: bytes[..at as usize].to_vec(),
            damaged: vec![(at, len)],
        });
    }
    let mut b = bytes.to_vec();
    b[4] ^= 0xFF;
    out.push(Case { name: "header dwCRCPartial wrong".into(), bytes: b, damaged: vec![(4, 5)] });
    // The ROOT's BREFs zeroed: only the scan can find the trees' content.
    let mut b = bytes.to_vec();
    let (root, n) = match mailshift_pst::ndb::header::Format::from_wver(u16::from_le_bytes([bytes[10], bytes[11]])) {
        Some(mailshift_pst::ndb::header::Format::Ansi) => (0xBC, 16usize),
        _ => (0xD8, 32usize),
    };
    b[root..root + n].fill(0);
    out.push(Case {
        name: "header's root BREFs zeroed".into(),
        bytes: b,
        damaged: vec![(root as u64, (root + n) as u64)],
    });
    out
}

/// Runs `cmd` with a time limit; the exit code does not matter.
fn run_limited(cmd: &mut Command) {
    let _ = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).status();
}

fn count_files(dir: &Path, pred: &dyn Fn(&str, bool) -> bool, skip_dir: &str) -> usize {
    let mut n = 0;
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.path().is_dir();
        if pred(&name, is_dir) {
            n += 1;
        }
        if is_dir && name != skip_dir {
            n += count_files(&e.path(), pred, skip_dir);
        }
    }
    n
}

fn readpst(tool: &Path, file: &Path, scratch: &Path) -> usize {
    let out = scratch.join("readpst");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("scratch");
    run_limited(
        Command::new("timeout")
            .arg("600")
            .arg(tool)
            .args(["-q", "-D", "-j", "0", "-b", "-S", "-o"])
            .arg(&out)
            .arg(file),
    );
    let n = count_files(&out, &|name, dir| !dir && !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()), "");
    let _ = std::fs::remove_dir_all(&out);
    n
}

fn pffexport(tool: &Path, file: &Path, scratch: &Path) -> usize {
    let target = scratch.join("pff");
    let root = scratch.join("pff.export");
    let _ = std::fs::remove_dir_all(&root);
    run_limited(Command::new("timeout").arg("600").arg(tool).arg("-q").arg("-t").arg(&target).arg(file));
    let is_item = |name: &str, dir: bool| {
        let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count();
        dir && digits == 5
            && name.len() > 5
            && name[..name.len() - 5].chars().all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '-')
    };
    // Embedded messages are directories under Attachments: not items.
    let n = count_files(&root, &is_item, "Attachments");
    let _ = std::fs::remove_dir_all(&root);
    n
}

#[derive(Default)]
struct Row {
    file: String,
    damage: String,
    ours: usize,
    partial: usize,
    readpst: usize,
    pffexport: usize,
    untouched: usize,
    reachable: usize,
    millis: u128,
}

fn suite(files: &[(PathBuf, bool)], long: bool) {
    let readpst_tool = mailshift_testkit::tool("readpst");
    let pff_tool = mailshift_testkit::tool("pffexport");
    if readpst_tool.is_none() || pff_tool.is_none() {
        mailshift_testkit::skip("readpst and pffexport are needed for the damage suite");
        return;
    }
    let (readpst_tool, pff_tool) = (readpst_tool.unwrap(), pff_tool.unwrap());
    let scratch = tempfile::tempdir().expect("scratch");
    let mut rows = Vec::new();
    let mut wrong = Vec::new();
    for (file, big) in files {
        let bytes = std::fs::read(file).expect("read the intact file");
        let short = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let info = intact(&bytes);
        let t = Instant::now();
        let _ = read_all(&PstReader::from_store(
            Store::new(Pst::from_bytes("x.pst", bytes.clone()).unwrap()),
            PstOptions::default(),
        ));
        let normal = t.elapsed().as_millis();
        rows.push(Row {
            file: short.clone(),
            damage: "none".into(),
            ours: info.items.len(),
            readpst: readpst(&readpst_tool, file, scratch.path()),
            pffexport: pffexport(&pff_tool, file, scratch.path()),
            untouched: info.items.len(),
            reachable: info.items.len(),
            millis: normal,
            ..Row::default()
        });
        let none = rows.last().expect("just pushed");
        // A tool that did not run would count 0 everywhere.
        assert!(
            none.readpst > 0 && none.pffexport > 0,
            "{short}: readpst or pffexport read nothing of the intact file"
        );
        for case in cases(&bytes, &info, *big, long) {
            let path = scratch.path().join("damaged.pst");
            std::fs::write(&path, &case.bytes).expect("write the damaged copy");
            let untouched: HashSet<u32> = info
                .footprint
                .iter()
                .filter(|(_, r)| !r.iter().any(|&x| hits(&case.damaged, x)))
                .map(|(n, _)| *n)
                .collect();
            let reachable = untouched
                .iter()
                .filter(|n| info.leaf.get(n).is_some_and(|&ib| !hits(&case.damaged, (ib, ib + info.page_size))))
                .count();
            let t = Instant::now();
            let (ours, partial) = match Pst::from_bytes("damaged.pst", case.bytes.clone()) {
                Ok(pst) => {
                    let reader = PstReader::from_store(Store::new(pst), PstOptions::default());
                    let (items, partial, _) = read_all(&reader);
                    for (nid, d) in &items {
                        let same = info.items.get(nid) == Some(d);
                        if !same && !partial.contains(nid) {
                            wrong.push(format!(
                                "{short}, {}: item {nid:#x} differs and is not marked partial",
                                case.name
                            ));
                        }
                    }
                    // Items found without their node (NIDs with bit 31 set): how many are
                    // byte-identical to some item of the intact file.
                    let digests: HashSet<&[u8; 32]> = info.items.values().collect();
                    let lost: Vec<&[u8; 32]> =
                        items.iter().filter(|(n, _)| **n & 0x8000_0000 != 0).map(|(_, d)| d).collect();
                    if !lost.is_empty() {
                        let same = lost.iter().filter(|d| digests.contains(*d)).count();
                        eprintln!(
                            "{short}: {}: {} items found without their node, {same} byte-identical to an intact item",
                            case.name,
                            lost.len()
                        );
                    }
                    (items.len(), items.keys().filter(|n| partial.contains(n)).count())
                }
                Err(_) => (0, 0),
            };
            let millis = t.elapsed().as_millis();
            let row = Row {
                file: short.clone(),
                damage: case.name.clone(),
                ours,
                partial,
                readpst: readpst(&readpst_tool, &path, scratch.path()),
                pffexport: pffexport(&pff_tool, &path, scratch.path()),
                untouched: untouched.len(),
                reachable,
                millis,
            };
            eprintln!(
                "{short}: {}: mailshift {} ({} partial), readpst {}, pffexport {}, untouched {}, reachable {}, {} ms",
                row.damage, row.ours, row.partial, row.readpst, row.pffexport, row.untouched, row.reachable, row.millis
            );
            if row.ours < row.readpst || row.ours < row.pffexport {
                wrong.push(format!(
                    "{short}, {}: mailshift {} < readpst {} / pffexport {}",
                    row.damage, row.ours, row.readpst, row.pffexport
                ));
            }
            if (row.ours as f64) < 0.98 * row.reachable as f64 {
                wrong.push(format!(
                    "{short}, {}: mailshift {} < 98% of {} reachable",
                    row.damage, row.ours, row.reachable
                ));
            }
            rows.push(row);
        }
    }
    eprintln!("\n| file | damage | mailshift (partial) | readpst | pffexport | untouched | reachable | ms |");
    eprintln!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        eprintln!(
            "| {} | {} | {} ({}) | {} | {} | {} | {} | {} |",
            r.file, r.damage, r.ours, r.partial, r.readpst, r.pffexport, r.untouched, r.reachable, r.millis
        );
    }
    assert!(wrong.is_empty(), "{} failures:\n{}", wrong.len(), wrong.join("\n"));
}

fn bench_pst() -> Option<PathBuf> {
    let p = std::env::var_os("MAILSHIFT_BENCH_PST")
        .map(PathBuf::from)
        .unwrap_or_else(|| mailshift_testkit::workspace_root().join("../shared/bench/bench.pst"));
    if p.is_file() {
        return Some(p);
    }
    mailshift_testkit::skip(&format!("{} is missing", p.display()));
    None
}

/// The fixtures the suite damages: the three largest PSTs and OSTs under
/// 8 MiB with at least 20 items, by size, then name.
fn fixtures() -> Vec<PathBuf> {
    let Some(mut files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else { return Vec::new() };
    files.retain(|f| {
        let len = std::fs::metadata(f).map_or(0, |m| m.len());
        (100_000..8 << 20).contains(&len) && Pst::open(f).is_ok_and(|p| !p.is_salvaged())
    });
    let mut sized: Vec<(u64, PathBuf)> =
        files.into_iter().map(|f| (std::fs::metadata(&f).map_or(0, |m| m.len()), f)).collect();
    sized.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::new();
    for (_, f) in sized {
        if out.len() == 3 {
            break;
        }
        let Ok(bytes) = std::fs::read(&f) else { continue };
        if intact(&bytes).items.len() >= 20 {
            out.push(f);
        }
    }
    out
}

#[test]
fn damaged_bench_and_fixtures_give_more_than_readpst_and_pffexport() {
    let mut files: Vec<(PathBuf, bool)> = bench_pst().into_iter().map(|p| (p, true)).collect();
    files.extend(fixtures().into_iter().map(|p| (p, false)));
    // The 4K layout (Outlook 2013+ OSTs): the OST fixture copied into it.
    let scratch = tempfile::tempdir().expect("scratch");
    if let Some(dir) = mailshift_testkit::fixtures_dir() {
        let ost = dir.join("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost");
        if ost.is_file() {
            let dst = scratch.path().join("SampleOstFile-4k.ost");
            let opts = mailshift_pst::PstWriteOptions {
                ndb: mailshift_pst::ndb::write::WriteOptions {
                    format: mailshift_pst::ndb::header::Format::Unicode4k,
                    crypt: mailshift_pst::ndb::crypt::CryptMethod::Permute,
                    fsync: false,
                },
            };
            let report = views::copy_store(&ost, &dst, opts);
            assert_eq!(report.total.failed, 0, "{:?}", report.folders);
            files.push((dst, false));
        }
    }
    // MAILSHIFT_DAMAGE_ONLY=NAME: only the files whose name holds NAME.
    if let Some(only) = std::env::var_os("MAILSHIFT_DAMAGE_ONLY") {
        files.retain(|(f, _)| f.to_string_lossy().contains(&*only.to_string_lossy()));
    }
    if files.is_empty() {
        return;
    }
    suite(&files, false);
}

/// The long variants: more zeroed ranges, 2,000 random pages, three cuts.
#[test]
#[ignore = "long: cargo test --release -p mailshift-pst --test damage_suite -- --ignored --nocapture"]
fn damaged_bench_long_variants() {
    let Some(bench) = bench_pst() else { return };
    suite(&[(bench, true)], true);
}

/// Folders whose parent chain is broken: bench.pst with the NBT leaf page
/// that lists the Inbox and the IPM subtree's hierarchy table zeroed. The
/// Inbox's node is gone (its messages go to "Recovered/folder 0x..."), and
/// its subfolder, whose own node survives, is reached by no walk (its
/// messages go to "Recovered/<its name>"); every message is still read.
#[test]
fn messages_of_lost_folders_go_to_recovered_under_their_names() {
    let Some(bench) = bench_pst() else { return };
    let bytes = std::fs::read(&bench).expect("read bench.pst");
    let info = intact(&bytes);
    let reader = PstReader::open(&bench).expect("intact");
    let tree = reader.tree().expect("folder tree");
    let inbox = tree.visible().find(|f| f.path == ["Inbox"]).expect("an Inbox").nid;
    let sub = tree.visible().find(|f| f.path.len() == 2 && f.path[0] == "Inbox").expect("a subfolder of the Inbox");
    let (sub_nid, sub_name) = (sub.nid, sub.name.clone());
    let in_sub = reader.store().contents(sub_nid).expect("contents").len();
    let in_inbox = reader.store().contents(inbox).expect("contents").len();
    let pst = reader.store().pst();
    let ht = pst
        .node(mailshift_pst::nid_with_type(tree.ipm_subtree, mailshift_pst::NID_TYPE_HIERARCHY_TABLE))
        .expect("lookup")
        .expect("the IPM subtree's hierarchy table");
    let mut ranges = Ranges::new();
    data_tree(pst, ht.bid_data, 0, &mut ranges);
    let leaf = info.leaf[&inbox];
    assert_ne!(Some(&leaf), info.leaf.get(&sub_nid), "the subfolder is listed in another leaf page");
    ranges.push((leaf, leaf + info.page_size));
    let (damaged, ranges) = zero(&bytes, &ranges);
    let lost_messages = info.leaf.iter().filter(|(n, &ib)| info.items.contains_key(n) && ib == leaf).count();

    let pst = Pst::from_bytes("lost-folders.pst", damaged).expect("opens");
    let reader = PstReader::from_store(Store::new(pst), PstOptions::default());
    let folders = reader.folders().expect("folders");
    let by_path = |p: &[String]| folders.iter().find(|f| f.path == p).map(|f| f.id);
    assert!(by_path(&["Inbox".to_string()]).is_none(), "the Inbox is lost");
    let sub_id = by_path(&["Recovered".into(), sub_name.clone()]).expect("Recovered/<subfolder name>");
    assert_eq!(reader.items(sub_id).expect("items").len(), in_sub);
    let inbox_id = by_path(&["Recovered".into(), format!("folder {inbox:#x}")]).expect("Recovered/folder 0x...");
    assert_eq!(reader.items(inbox_id).expect("items").len() + lost_messages, in_inbox);
    let (items, partial, failed) = read_all(&reader);
    assert_eq!(failed, 0);
    assert_eq!(items.len() + lost_messages, info.items.len(), "{ranges:?}");
    for (nid, d) in &items {
        assert!(info.items.get(nid) == Some(d) || partial.contains(nid), "item {nid:#x} differs, not marked");
    }
    let problems = reader.problems();
    assert!(
        problems.iter().any(|p| p.structure == "salvage" && p.message.contains(&format!("{in_sub} messages") as &str)
            || p.message.contains("under Recovered/")),
        "{problems:?}"
    );
    // The conversion report counts what only the salvage gave apart: at
    // least the subfolder's messages, reached by no walk.
    let out = tempfile::tempdir().expect("tempdir");
    let mut target =
        mailshift_pst::PstWriter::create(&out.path().join("copy.pst"), Default::default()).expect("a PST writer");
    let report = mailshift_core::convert(
        &reader,
        &mut target,
        None,
        &mailshift_core::Options::default(),
        &mailshift_core::NoProgress,
    )
    .expect("converts");
    assert_eq!(report.total.failed, 0);
    assert!(
        report.total.salvaged >= in_sub as u64 && report.total.salvaged <= report.total.copied,
        "salvaged {} of {} copied",
        report.total.salvaged,
        report.total.copied
    );
    assert!(report.to_table().contains(&format!("salvaged {} of the copied items", report.total.salvaged)));
    eprintln!(
        "lost folders: {} items read ({} in Recovered/{sub_name}), {lost_messages} lost with the leaf page",
        items.len(),
        in_sub
    );
}

/// An NBT leaf page that lists only messages, zeroed in bench.pst whose
/// folder tables are intact: the damage is found when the folders are
/// listed (no item read meets it first), the messages it listed are found
/// by their property contexts and put back into their folders by their
/// contents-table rows (subject, time, size), marked as damaged.
#[test]
fn messages_of_a_lost_leaf_page_are_put_back_into_their_folders() {
    let Some(bench) = bench_pst() else { return };
    let bytes = std::fs::read(&bench).expect("read bench.pst");
    let info = intact(&bytes);
    let mut by_leaf: HashMap<u64, usize> = HashMap::new();
    for (nid, ib) in &info.leaf {
        *by_leaf.entry(*ib).or_default() += usize::from(info.items.contains_key(nid));
    }
    let only_messages = |ib: u64| info.leaf.iter().filter(|(_, &p)| p == ib).all(|(n, _)| n & 0x1F == 0x04);
    let (&leaf, &listed) =
        by_leaf.iter().filter(|(&ib, &n)| n > 0 && only_messages(ib)).max_by_key(|(&ib, &n)| (n, ib)).expect("a leaf");
    let there: Vec<u32> = info.leaf.iter().filter(|(_, &p)| p == leaf).map(|(n, _)| *n).collect();
    let (damaged, _) = zero(&bytes, &[(leaf, leaf + info.page_size)]);
    let pst = Pst::from_bytes("lost-leaf.pst", damaged).expect("opens");
    let reader = PstReader::from_store(Store::new(pst), PstOptions::default());
    let (items, partial, failed) = read_all(&reader);
    let same = there.iter().filter(|n| items.get(n).is_some_and(|d| info.items.get(n) == Some(d))).count();
    eprintln!("lost leaf: {listed} messages listed there; {same} byte-identical, {failed} failed");
    assert_eq!(failed, 0);
    assert_eq!(reader.placed_lost().len(), listed, "all put back");
    assert_eq!(items.len(), info.items.len());
    for n in &there {
        assert!(partial.contains(n), "{n:#x} is marked");
    }
    for (nid, d) in &items {
        assert!(info.items.get(nid) == Some(d) || partial.contains(nid), "item {nid:#x} differs, not marked");
    }
}
