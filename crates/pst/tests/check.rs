//! `mailshift_pst::check` (our scanpst) against the real world and against
//! faults:
//!
//! - every PST/OST fixture gives exactly the rules the table below expects:
//!   none for the files Outlook made, the damage named for the others;
//! - faults injected one at a time into a good Unicode and a good ANSI file
//!   (each repaired around so that only the intended rule breaks: CRCs
//!   recomputed, maps and counters kept in step) are each reported under
//!   their own rule, and only that rule;
//! - truncated and bit-flipped fixtures give exit 1 or 2, never a panic.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use mailshift_pst::check::{self, CheckReport, Severity};
use mailshift_pst::ndb::crc::crc32;
use mailshift_pst::ndb::crypt::CryptMethod;
use mailshift_pst::raw::{
    compute_sig, read_id, write_id, BbtEntry, Bid, BlockTrailer, Bref, BtEntry, BtPageMeta, Format, NbtEntry, Nid,
    PageTrailer, SlEntry, SubnodeBlockHeader, XBlockHeader, PTYPE_BBT, PTYPE_NBT,
};
use mailshift_pst::{tags, Pst};
use mailshift_testkit::XorShift;

// ---------------------------------------------------------------------------
// The fixtures and what check must say about each
// ---------------------------------------------------------------------------

/// Aspose.Email's writer (most of the Aspose example files): it stores the
/// DList page at 0x4200 with dwCRC 0, and leaves out two nodes every
/// Outlook-made store has (0x261, the search domain object, and 0x64C, the
/// outgoing queue table).
const ASPOSE_NEW: &[&str] = &[
    "aspose-email__Aspose.Email-Python-Dotnet/DestinationPst.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage.17defa4f.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage.24e3366d.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage.37086a38.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage.d529c786.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage.f6f4ed5b.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage1.3c1f012e.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage1.8eb2e224.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage1.a3f37e72.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage1.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage2.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage3.pst",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorageFile.ost",
    "aspose-email__Aspose.Email-for-.NET/PersonalStorage_New.pst",
    "aspose-email__Aspose.Email-for-.NET/Personal_folders_part0.pst",
    "aspose-email__Aspose.Email-for-.NET/Personal_folders_part1.pst",
    "aspose-email__Aspose.Email-for-.NET/SampleContacts.pst",
    "aspose-email__Aspose.Email-for-.NET/destination.pst",
    "aspose-email__Aspose.Email-for-Java/1.pst",
    "aspose-email__Aspose.Email-for-Java/2.pst",
    "aspose-email__Aspose.Email-for-Java/AddFile1.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_outlook__PersonalStorage.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_outlook__Personal_folders_part0.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_outlook__Personal_folders_part1.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_programmersguide_programmingoutlook_managemessagefiles_newpstaddsubfolders_data__PersonalStorage.pst",
    "aspose-email__Aspose.Email-for-Java/JournalPST.pst",
    "aspose-email__Aspose.Email-for-Java/MapiContactToPST1.pst",
    "aspose-email__Aspose.Email-for-Java/MapiNoteToPST.pst",
    "aspose-email__Aspose.Email-for-Java/MapiNoteToPST_out.pst",
    "aspose-email__Aspose.Email-for-Java/PersonalStorage.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part0.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part1.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part20.pst",
    "aspose-email__Aspose.Email-for-Java/Plugins_Aspose-Email-Java-for-Jython_data_ProgrammingOutlook_WorkingWithOutlookPersonalStorage_SearchMessagesAndFoldersInPST__sample1.pst",
    "aspose-email__Aspose.Email-for-Java/Plugins_Aspose_Email_Java_for_PHP_tests_data_ProgrammingOutlook_WorkingWithOutlookPersonalStorage_StringSearchInPST__search.pst",
    "aspose-email__Aspose.Email-for-Java/SampleContacts.pst",
    "aspose-email__Aspose.Email-for-Java/TaskPST.pst",
    "aspose-email__Aspose.Email-for-Java/sample1.pst",
    "aspose-email__Aspose.Email-for-Java/search.pst",
];

/// Aspose's split chunks ("Personal folders_partN"), and its PIM test file:
/// as [`ASPOSE_NEW`], and a PC whose BTH holds the same property twice
/// (key 0x1000 in the chunks: PidTagBody written twice).
const ASPOSE_DUPLICATE_PROPERTY: &[&str] = &[
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_outlook_chunks__Personal_folders_part0.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_outlook_chunks__Personal_folders_part1.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part10.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part11.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part12.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part13.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part14.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part15.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part16.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part17.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part18.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part19.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part2.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part3.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part4.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part5.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part6.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part7.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part8.pst",
    "aspose-email__Aspose.Email-for-Java/Personal_folders_part9.pst",
    "pim/pim-rich.pst",
];

/// Aspose's "Outlook_partN" chunks: as [`ASPOSE_NEW`], and an empty table
/// whose BTH root is a 0-byte allocation (Outlook writes hidRoot 0).
const ASPOSE_EMPTY_BTH_PAGE: &[&str] = &[
    "aspose-email__Aspose.Email-for-.NET/Examples_CSharp_Outlook_Data_Chunks__Outlook_part0.pst",
    "aspose-email__Aspose.Email-for-.NET/Examples_CSharp_Outlook_Data_Chunks__Outlook_part1.pst",
    "aspose-email__Aspose.Email-for-.NET/Examples_CSharp_Outlook_Data_Chunks__Outlook_part2.pst",
    "aspose-email__Aspose.Email-for-.NET/Examples_VisualBasic_Outlook_Data_Chunks-Split__Outlook_part0.pst",
    "aspose-email__Aspose.Email-for-.NET/Examples_VisualBasic_Outlook_Data_Chunks-Split__Outlook_part1.pst",
    "aspose-email__Aspose.Email-for-.NET/Examples_VisualBasic_Outlook_Data_Chunks-Split__Outlook_part2.pst",
    "aspose-email__Aspose.Email-for-.NET/Outlook_part0.pst",
    "aspose-email__Aspose.Email-for-.NET/Outlook_part1.pst",
    "aspose-email__Aspose.Email-for-.NET/Outlook_part2.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_com_aspose_email_examples_outlook_pst_SplitPST_chunks__Outlook_part0.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_com_aspose_email_examples_outlook_pst_SplitPST_chunks__Outlook_part1.pst",
    "aspose-email__Aspose.Email-for-Java/Examples_src_main_resources_com_aspose_email_examples_outlook_pst_SplitPST_chunks__Outlook_part2.pst",
];

/// Copies of an Outlook store cut down by Aspose's examples to 5 AMaps whose
/// DList still lists AMaps 6 to 9 of the larger original.
const STALE_DLIST: &[&str] = &[
    "aspose-email__Aspose.Email-for-.NET/Outlook.9640fd4d.pst",
    "aspose-email__Aspose.Email-for-.NET/Outlook.fb33321b.pst",
    "aspose-email__Aspose.Email-for-.NET/Outlook_1.pst",
    "aspose-email__Aspose.Email-for-.NET/source.pst",
];

/// Aspose's "Test_part" chunks: as [`ASPOSE_NEW`], and the Inbox's
/// PidTagSubfolders is false although it has a subfolder.
const ASPOSE_SUBFOLDERS: &[&str] = &[
    "aspose-email__Aspose.Email-for-Java/Test_part0.7283e3f3.pst",
    "aspose-email__Aspose.Email-for-Java/Test_part0.930fffa7.pst",
    "aspose-email__Aspose.Email-for-Java/Test_part0.pst",
    "aspose-email__Aspose.Email-for-Java/Test_part1.pst",
    "aspose-email__Aspose.Email-for-Java/chunksTest_part0.pst",
];

/// Aspose's "add subfolders" example: as [`ASPOSE_NEW`], cbAMapFree off,
/// a PC with a repeated key and a name-to-id map whose records name GUIDs
/// that are not there.
const ASPOSE_ADD_SUBFOLDERS: &[&str] = &[
    "aspose-email__Aspose.Email-for-.NET/ProgrammersGuide_ProgrammingOutlook_ManageMessageFiles_NewPSTAddSubfolders_Data__PersonalStorage.pst",
    "aspose-email__Aspose.Email-for-Java/src_programmersguide_programmingoutlook_managemessagefiles_newpstaddsubfolders_data__PersonalStorage.pst",
];

/// Each group of files and the rules (warnings and errors) check must
/// report for them, with the reason. Every fixture not listed must be clean:
/// all the files Outlook made are.
const EXPECTED: &[(&[&str], &[&str], &str)] = &[
    (ASPOSE_NEW, &["dlist.page", "msg.required"], "Aspose.Email's writer"),
    (ASPOSE_DUPLICATE_PROPERTY, &["bth.order", "dlist.page", "msg.required"], "Aspose, a property stored twice"),
    (ASPOSE_EMPTY_BTH_PAGE, &["bth.size", "dlist.page", "msg.required"], "Aspose, a 0-byte BTH page"),
    (STALE_DLIST, &["dlist.entry"], "cut down from a larger store, the DList kept"),
    (ASPOSE_SUBFOLDERS, &["dlist.page", "msg.required", "msg.subfolders"], "Aspose, PidTagSubfolders false"),
    (
        ASPOSE_ADD_SUBFOLDERS,
        &["amap.free", "bth.order", "dlist.page", "msg.nameid", "msg.required"],
        "Aspose, a store edited in place",
    ),
    (
        &["aspose-email__Aspose.Email-for-.NET/Outlook.pst"],
        &["dlist.entry", "page.bid"],
        // What makes readpst ("Could not get root record") and libpff (no
        // message store) refuse it: the trailers of both root pages carry
        // BID 0x1623 / 0x162F (the reserved bit set) where the header's
        // BREFs say 0x1622 / 0x162E, and both compare exactly. Cut down
        // from a larger store like STALE_DLIST.
        "root pages whose BIDs differ from the header's BREFs in the reserved bit",
    ),
    (
        &["aspose-email__Aspose.Email-Python-Dotnet/test.pst"],
        &["dlist.entry", "msg.count"],
        // Deleted Items says 4 messages, its contents table has 3; the DList
        // gives AMaps free counts the maps do not have.
        "an Outlook store Aspose's example deleted from in place",
    ),
    (
        &["aspose-email__Aspose.Email-for-.NET/AddingBulkMessagesWithImprovedPerformance.pst"],
        &["dlist.page", "header.crc_full", "header.crc_partial", "msg.required", "page.crc"],
        // An unfinished write: both header CRCs are stale and the BBT root
        // page's CRC does not match (other tools refuse it; mailshift opens
        // it on the salvage scan, issue 11, and the messaging layer then
        // finds two of the nodes Outlook makes missing).
        "an unfinished Aspose write",
    ),
    (
        &["aspose-email__Aspose.Email-for-.NET/Examples_Data_SMTP__Outlook.pst"],
        &["header.magic"],
        "not a PST: an RFC 822 message in mbox framing named .pst",
    ),
    (
        &["aspose-email__Aspose.Email-for-.NET/Test_part1.pst"],
        &["bth.order", "dlist.page", "msg.required", "msg.subfolders", "tc.columns", "tc.overlap"],
        // libpff drops half its contacts: 41 tables whose columns are not
        // sorted by tag and overlap.
        "Aspose's split, with tables whose columns overlap",
    ),
];

/// Notes a fixture may carry and still be clean (check exits 0).
const NOTES_ALLOWED: &[&str] =
    &["amap.extra", "hn.fill", "ref.leak", "header.amap_invalid", "msg.skipped", "salvage.found"];

fn fixtures_dir() -> Option<PathBuf> {
    mailshift_testkit::fixtures_dir()
}

fn run(bytes: &[u8], name: &str) -> CheckReport {
    match catch_unwind(AssertUnwindSafe(|| check::check_bytes(name, bytes))) {
        Ok(r) => r,
        Err(_) => panic!("check panicked on {name}"),
    }
}

#[test]
fn every_fixture_has_exactly_its_expected_rules() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else { return };
    let dir = fixtures_dir().expect("fixture_files found some");
    let mut listed: BTreeSet<&str> = EXPECTED.iter().flat_map(|(f, _, _)| f.iter().copied()).collect();
    let mut wrong = Vec::new();
    let mut clean = 0;
    for path in &files {
        let rel = path.strip_prefix(&dir).expect("under the fixtures").to_string_lossy().replace('\\', "/");
        let report = check::check(path.as_path());
        let want: BTreeSet<&str> = EXPECTED
            .iter()
            .find(|(f, _, _)| f.contains(&rel.as_str()))
            .map(|(_, r, _)| r.iter().copied().collect())
            .unwrap_or_default();
        listed.remove(rel.as_str());
        let got = report.failed_rules();
        if got != want {
            let first: Vec<String> = report
                .problems()
                .iter()
                .filter(|p| p.severity >= Severity::Warning && !want.contains(p.rule))
                .take(3)
                .map(|p| format!("{} at {:?}: {}", p.rule, p.offset, p.message))
                .collect();
            wrong.push(format!("{rel}: expected {want:?}, got {got:?} {first:?}"));
        }
        let notes: Vec<&str> = report.rules(Severity::Note).difference(&got).copied().collect();
        for n in notes {
            assert!(NOTES_ALLOWED.contains(&n), "{rel}: unexpected note {n}");
        }
        assert_eq!(
            report.exit_code(),
            match (want.is_empty(), want.contains("header.magic")) {
                (true, _) => 0,
                (false, true) => 2,
                (false, false) => 1,
            },
            "{rel}"
        );
        clean += usize::from(want.is_empty());
    }
    assert!(wrong.is_empty(), "{} fixtures disagree with the table:\n{}", wrong.len(), wrong.join("\n"));
    assert!(listed.is_empty(), "the table names fixtures that are not there: {listed:?}");
    // The Outlook-made ones, at least (tika, pstsdk, hughbe, java-libpst, go-pst, outlook-pst-rs, the OST).
    assert!(clean >= 40, "only {clean} clean fixtures");
    eprintln!("{} fixtures checked, {clean} clean", files.len());
}

#[test]
fn known_findings_on_outlook_files() {
    let Some(dir) = fixtures_dir() else { return };
    // Outlook 98 left fAMapValid 0: a note, and the AMap bits are not compared.
    let r = check::check(dir.join("hughbe__PstReader/hughbe_Outlook98Backup.pst").as_path());
    assert_eq!((r.exit_code(), r.count("header.amap_invalid")), (0, 1));
    // Outlook's own OST: four blocks it replaced and did not free yet.
    let r = check::check(dir.join("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost").as_path());
    assert_eq!((r.exit_code(), r.count("ref.leak")), (0, 4), "{:?}", r.counts());
    assert_eq!(r.format.as_deref(), Some("OST Unicode (wVer 23)"));
    let r = check::check(dir.join("farnulfo__pst-exp/test_ansi.pst").as_path());
    assert_eq!(r.format.as_deref(), Some("PST ANSI (wVer 14)"));
    assert!(r.is_clean());
    for area in ["HEADER", "BTPAGE", "BLOCK", "AMAP", "HN", "PC", "TC", "FOLDER", "MESSAGE"] {
        assert!(r.areas.iter().any(|a| a.structure == area && a.checked > 0), "{area}: {:?}", r.areas);
    }
}

// ---------------------------------------------------------------------------
// A store in memory, with the edits faults need
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct F {
    b: Vec<u8>,
    format: Format,
    crypt: CryptMethod,
}

/// A B-tree page: where, its level and entries.
#[derive(Clone, Debug)]
struct Page {
    ib: u64,
    level: u8,
    c_ent: usize,
    cb_ent: usize,
    /// The branch page and entry index that lead here (`None` for the root).
    parent: Option<(u64, usize)>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl F {
    fn load(rel: &str) -> Option<F> {
        let path = fixtures_dir()?.join(rel);
        let b = std::fs::read(&path).ok()?;
        let format = Format::from_wver(u16_at(&b, 10)).expect("a PST");
        let crypt = CryptMethod::from_byte(b[format.header().b_crypt_method]).expect("known");
        Some(F { b, format, crypt })
    }

    fn check(&self) -> CheckReport {
        run(&self.b, "fault")
    }

    fn id(&self, at: usize) -> u64 {
        read_id(&self.b, at, self.format).expect("inside")
    }

    fn put_id(&mut self, at: usize, v: u64) {
        write_id(&mut self.b, at, self.format, v);
    }

    fn put_u16(&mut self, at: usize, v: u16) {
        self.b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u32(&mut self, at: usize, v: u32) {
        self.b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Recomputes dwCRCPartial and dwCRCFull (MS-PST 2.2.2.6).
    fn fix_header(&mut self) {
        let p = crc32(&self.b[8..8 + 471]);
        self.put_u32(4, p);
        if let Some(at) = self.format.header().dw_crc_full {
            let f = crc32(&self.b[8..8 + 516]);
            self.put_u32(at, f);
        }
    }

    fn root(&self, ptype: u8) -> Bref {
        let l = self.format.header();
        let at = if ptype == PTYPE_NBT { l.bref_nbt } else { l.bref_bbt };
        Bref::parse(&self.b[at..], self.format).expect("root")
    }

    /// Every page of a tree, parents before children.
    fn pages(&self, ptype: u8) -> Vec<Page> {
        let mut out = Vec::new();
        let mut work = vec![(self.root(ptype), None)];
        while let Some((bref, parent)) = work.pop() {
            let at = bref.ib as usize;
            let page = &self.b[at..at + self.format.page_size()];
            let m = BtPageMeta::parse(page, self.format).expect("counts");
            let (c_ent, cb_ent) = (usize::from(m.c_ent), usize::from(m.cb_ent));
            let p = Page { ib: bref.ib, level: m.c_level, c_ent, cb_ent, parent };
            if m.c_level > 0 {
                for i in 0..c_ent {
                    let e = BtEntry::parse(&page[i * cb_ent..], self.format).expect("entry");
                    work.push((e.bref, Some((bref.ib, i))));
                }
            }
            out.push(p);
        }
        out
    }

    /// The leaf holding the largest keys: the last entry of every branch down.
    fn rightmost_leaf(&self, ptype: u8) -> Page {
        let pages = self.pages(ptype);
        let mut p = pages.iter().find(|p| p.parent.is_none()).expect("root").clone();
        while p.level > 0 {
            let last = (p.ib, p.c_ent - 1);
            p = pages.iter().find(|c| c.parent == Some(last)).expect("child").clone();
        }
        p
    }

    fn leaves(&self, ptype: u8) -> Vec<Page> {
        self.pages(ptype).into_iter().filter(|p| p.level == 0).collect()
    }

    fn entry_at(&self, p: &Page, i: usize) -> usize {
        p.ib as usize + i * p.cb_ent
    }

    /// Recomputes the CRC of the page at `ib` (its trailer otherwise kept).
    fn reseal_page(&mut self, ib: u64) {
        let at = ib as usize;
        let size = self.format.page_size();
        let tr = self.format.page().trailer();
        let page = &mut self.b[at..at + size];
        let mut t = PageTrailer::parse_page(page, self.format).expect("trailer");
        t.dw_crc = crc32(&page[..tr]);
        t.write(&mut page[tr..], self.format);
    }

    fn bbt(&self) -> Vec<(Page, usize, BbtEntry)> {
        let mut out = Vec::new();
        for p in self.leaves(PTYPE_BBT) {
            for i in 0..p.c_ent {
                let e = BbtEntry::parse(&self.b[self.entry_at(&p, i)..], self.format).expect("entry");
                out.push((p.clone(), i, e));
            }
        }
        out
    }

    fn nbt(&self) -> Vec<(Page, usize, NbtEntry)> {
        let mut out = Vec::new();
        for p in self.leaves(PTYPE_NBT) {
            for i in 0..p.c_ent {
                let e = NbtEntry::parse(&self.b[self.entry_at(&p, i)..], self.format).expect("entry");
                out.push((p.clone(), i, e));
            }
        }
        out
    }

    fn block(&self, bid: u64) -> BbtEntry {
        self.bbt().into_iter().map(|x| x.2).find(|e| Bid(e.bid).key() == Bid(bid).key()).expect("in the BBT")
    }

    fn trailer_at(&self, e: &BbtEntry) -> usize {
        e.ib as usize + self.format.block_size(usize::from(e.cb)) - self.format.block_trailer_size()
    }

    /// Recomputes a block's dwCRC from its stored bytes.
    fn reseal_block(&mut self, bid: u64) {
        let e = self.block(bid);
        let at = self.trailer_at(&e);
        let mut t = BlockTrailer::parse(&self.b[at..], self.format).expect("trailer");
        t.dw_crc = crc32(&self.b[e.ib as usize..e.ib as usize + usize::from(e.cb)]);
        t.write(&mut self.b[at..], self.format);
    }

    /// A block's data, decoded.
    fn data(&self, bid: u64) -> Vec<u8> {
        let e = self.block(bid);
        let mut d = self.b[e.ib as usize..e.ib as usize + usize::from(e.cb)].to_vec();
        if !Bid(bid).is_internal() {
            self.crypt.decode(&mut d, e.bid);
        }
        d
    }

    /// Writes a block's data back (same length), encoded, with its CRC.
    fn set_data(&mut self, bid: u64, data: &[u8]) {
        let e = self.block(bid);
        assert_eq!(data.len(), usize::from(e.cb));
        let mut d = data.to_vec();
        if !Bid(bid).is_internal() {
            self.crypt.encode(&mut d, e.bid);
        }
        self.b[e.ib as usize..e.ib as usize + d.len()].copy_from_slice(&d);
        self.reseal_block(bid);
    }

    fn edit(&mut self, bid: u64, f: impl FnOnce(&mut Vec<u8>)) {
        let mut d = self.data(bid);
        f(&mut d);
        self.set_data(bid, &d);
    }

    /// The AMap bit of the 64-byte unit at `off` (Unicode and ANSI layouts).
    fn amap_bit(&self, off: u64) -> (usize, usize, u8) {
        let m = self.format.amap();
        let span = m.bits_len as u64 * 8 * m.unit;
        let page = m.first + (off - m.first) / span * span;
        let u = ((off - page) / m.unit) as usize;
        (page as usize, page as usize + m.bits_at + u / 8, 0x80 >> (u % 8))
    }

    /// Sets or clears that bit, keeps the map page's CRC, cbAMapFree and the
    /// DList's free slots in step.
    fn set_amap(&mut self, off: u64, on: bool) {
        let (page, at, mask) = self.amap_bit(off);
        let was = self.b[at] & mask != 0;
        assert_ne!(was, on, "unit at {off} already {on}");
        if on {
            self.b[at] |= mask;
        } else {
            self.b[at] &= !mask;
        }
        let tr = self.format.page().trailer();
        let crc = crc32(&self.b[page..page + tr]);
        let crc_at = page + tr + self.format.page().trailer_dw_crc;
        self.put_u32(crc_at, crc);
        let free_at = self.format.header().cb_amap_free;
        let free = self.id(free_at);
        let unit = self.format.amap().unit;
        self.put_id(free_at, if on { free - unit } else { free + unit });
        self.fix_header();
        // The DList (where there is one) counts free slots per AMap.
        let dl = 0x4200usize;
        if self.b[dl + tr] == 0x86 {
            let n = usize::from(self.b[dl + 1]);
            let amap =
                ((page as u64 - self.format.amap().first) / (self.format.amap().bits_len as u64 * 8 * unit)) as u32;
            for i in 0..n {
                let e = u32_at(&self.b, dl + 8 + 4 * i);
                if e & 0xF_FFFF == amap {
                    let slots = e >> 20;
                    let slots = if on { slots - 1 } else { slots + 1 };
                    self.put_u32(dl + 8 + 4 * i, (e & 0xF_FFFF) | (slots << 20));
                }
            }
            let crc = crc32(&self.b[dl..dl + tr]);
            self.put_u32(dl + tr + self.format.page().trailer_dw_crc, crc);
        }
    }

    fn pst(&self) -> Pst {
        Pst::from_bytes("fault", self.b.clone()).expect("the good file opens")
    }
}

/// A heap block: the allocations' offsets (MS-PST 2.3.1.5).
fn allocs(d: &[u8]) -> Vec<(usize, usize)> {
    let hnpm = usize::from(u16_at(d, 0));
    let n = usize::from(u16_at(d, hnpm));
    (0..n).map(|k| (usize::from(u16_at(d, hnpm + 4 + 2 * k)), usize::from(u16_at(d, hnpm + 6 + 2 * k)))).collect()
}

/// The allocation of `hid` in a one-block heap.
fn alloc(d: &[u8], hid: u32) -> (usize, usize) {
    assert_eq!(hid >> 16, 0, "one-block heaps only");
    allocs(d)[((hid >> 5) & 0x7FF) as usize - 1]
}

/// The leaf records of a one-level PC: (offset of the record area, count).
fn pc_records(d: &[u8]) -> (usize, usize) {
    let (s, _) = alloc(d, u32_at(d, 4));
    assert_eq!((d[s], d[s + 1], d[s + 2], d[s + 3]), (0xB5, 2, 6, 0), "a one-level PC");
    let (r, e) = alloc(d, u32_at(d, s + 4));
    (r, (e - r) / 8)
}

/// The offset of property `id`'s record in a one-level PC.
fn pc_record(d: &[u8], id: u16) -> Option<usize> {
    let (r, n) = pc_records(d);
    (0..n).map(|i| r + 8 * i).find(|&at| u16_at(d, at) == id)
}

/// Nodes of the NBT with a one-block, one-level PC of the node's kind.
fn pc_nodes(f: &F, nid_type: u8) -> Vec<NbtEntry> {
    f.nbt()
        .into_iter()
        .map(|x| x.2)
        .filter(|e| Nid(e.nid).nid_type() == nid_type && !Bid(e.bid_data).is_internal() && e.bid_data != 0)
        .filter(|e| {
            let d = f.data(e.bid_data);
            d.len() > 12 && d[2] == 0xEC && d[3] == 0xBC && {
                let (s, _) = alloc(&d, u32_at(&d, 4));
                d[s + 3] == 0
            }
        })
        .collect()
}

/// A normal folder with messages (its contents table has rows), a one-block PC,
/// and a row in its parent's hierarchy table.
fn folder_with_messages(f: &F) -> NbtEntry {
    let pst = f.pst();
    pc_nodes(f, 0x02)
        .into_iter()
        .find(|e| {
            let ct = Nid(e.nid).with_type(0x0E).0;
            let rows =
                pst.node(ct).ok().flatten().and_then(|n| pst.table_context(&n).ok()).map_or(0, |t| t.row_count());
            rows > 0 && e.nid != e.nid_parent
        })
        .expect("a folder with messages")
}

/// A node's subnodes (an SLBLOCK, or an SIBLOCK over SLBLOCKs).
fn subnodes(f: &F, bid_sub: u64) -> Vec<SlEntry> {
    if bid_sub == 0 {
        return Vec::new();
    }
    let d = f.data(bid_sub);
    let h = SubnodeBlockHeader::parse(&d).expect("header");
    let n = usize::from(h.c_ent);
    if h.c_level == 1 {
        let child =
            |i| mailshift_pst::raw::SiEntry::parse(&d[SubnodeBlockHeader::entry_at(i, f.format, 1)..], f.format);
        return (0..n).flat_map(|i| subnodes(f, child(i).expect("entry").bid)).collect();
    }
    (0..n)
        .map(|i| SlEntry::parse(&d[SubnodeBlockHeader::entry_at(i, f.format, 0)..], f.format).expect("entry"))
        .collect()
}

/// A data block nothing but its owner reads: the data of a large property
/// value (NID_TYPE_LTP subnode) of some message, one external block.
fn value_block(f: &F) -> u64 {
    for (_, _, e) in f.nbt() {
        for s in subnodes(f, e.bid_sub) {
            if Nid(s.nid).nid_type() == 0x1F && s.bid_data != 0 && !Bid(s.bid_data).is_internal() {
                return s.bid_data;
            }
        }
    }
    panic!("no NID_TYPE_LTP subnode")
}

// ---------------------------------------------------------------------------
// The faults
// ---------------------------------------------------------------------------

type Fault = (&'static str, &'static [&'static str], fn(&mut F));

/// Faults that work on both layouts.
const COMMON: &[Fault] = &[
    ("dwCRCPartial wrong", &["header.crc_partial"], |f| {
        let v = u32_at(&f.b, 4) ^ 0x8000_0001;
        f.put_u32(4, v);
    }),
    ("ibFileEof wrong", &["header.eof"], |f| {
        let at = f.format.header().ib_file_eof;
        let v = f.id(at);
        f.put_id(at, v - 64);
        f.fix_header();
    }),
    ("ibAMapLast wrong", &["header.amap_last"], |f| {
        let at = f.format.header().ib_amap_last;
        f.put_id(at, 0x4400 + 253_952);
        f.fix_header();
    }),
    ("cbAMapFree wrong", &["amap.free"], |f| {
        let at = f.format.header().cb_amap_free;
        let v = f.id(at);
        f.put_id(at, v + 64);
        f.fix_header();
    }),
    ("rgnid too small", &["header.rgnid"], |f| {
        let max = f.nbt().iter().filter(|x| Nid(x.2.nid).nid_type() == 0x04).map(|x| Nid(x.2.nid).index()).max();
        let at = f.format.header().rgnid + 4 * 4;
        f.put_u32(at, max.expect("messages") - 1);
        f.fix_header();
    }),
    ("bidNextB too small", &["header.bid_next"], |f| {
        let max = f.bbt().iter().map(|x| Bid(x.2.bid).key()).max().expect("blocks");
        f.put_id(f.format.header().bid_next_b, max);
        f.fix_header();
    }),
    ("BBT root page CRC wrong", &["page.crc"], |f| {
        let ib = f.root(PTYPE_BBT).ib as usize;
        f.b[ib + 3] ^= 0x10;
    }),
    ("NBT leaf page wSig wrong", &["page.sig"], |f| {
        let p = f.leaves(PTYPE_NBT).pop().expect("a leaf");
        let at = p.ib as usize + f.format.page().trailer() + 2;
        let v = u16_at(&f.b, at) ^ 0x0101;
        f.put_u16(at, v);
    }),
    ("BBT leaf page trailer bid wrong", &["page.bid"], |f| {
        let p = f.leaves(PTYPE_BBT).pop().expect("a leaf");
        let tr = p.ib as usize + f.format.page().trailer();
        let mut t = PageTrailer::parse(&f.b[tr..], f.format).expect("trailer");
        t.bid -= 4;
        t.w_sig = compute_sig(p.ib, t.bid);
        t.write(&mut f.b[tr..], f.format);
    }),
    ("cEnt above cEntMax", &["bt.cent"], |f| {
        let p = f.leaves(PTYPE_BBT).into_iter().find(|p| p.c_ent > 1).expect("a leaf");
        let mut m = BtPageMeta::parse(&f.b[p.ib as usize..], f.format).expect("counts");
        m.c_ent_max = m.c_ent - 1;
        let at = p.ib as usize;
        let size = f.format.page_size();
        m.write(&mut f.b[at..at + size], f.format);
        f.reseal_page(p.ib);
    }),
    ("swapped keys in a BBT leaf", &["bt.order"], |f| {
        let p = f.leaves(PTYPE_BBT).into_iter().find(|p| p.c_ent > 3).expect("a leaf");
        let (a, b) = (f.entry_at(&p, 1), f.entry_at(&p, 2));
        let n = f.format.bbt_entry_size();
        let (x, y) = (f.b[a..a + n].to_vec(), f.b[b..b + n].to_vec());
        f.b[a..a + n].copy_from_slice(&y);
        f.b[b..b + n].copy_from_slice(&x);
        f.reseal_page(p.ib);
    }),
    ("a BBT entry removed: its block is gone", &["ref.dangling"], |f| {
        // A message's PC block, not the first entry of its leaf (the parent's key stays).
        let pcs: Vec<u64> = pc_nodes(f, 0x04).iter().map(|e| Bid(e.bid_data).key()).collect();
        let (p, i, _) =
            f.bbt().into_iter().find(|x| x.1 > 0 && pcs.contains(&Bid(x.2.bid).key())).expect("a message PC block");
        let n = p.cb_ent;
        let (from, end) = (f.entry_at(&p, i + 1), f.entry_at(&p, p.c_ent));
        f.b.copy_within(from..end, from - n);
        let mut m = BtPageMeta::parse(&f.b[p.ib as usize..], f.format).expect("counts");
        m.c_ent -= 1;
        let at = p.ib as usize;
        let size = f.format.page_size();
        m.write(&mut f.b[at..at + size], f.format);
        f.reseal_page(p.ib);
    }),
    ("cRef wrong", &["ref.count"], |f| {
        let (p, i, mut e) = f.bbt().into_iter().nth(3).expect("blocks");
        e.c_ref += 1;
        let at = f.entry_at(&p, i);
        e.write(&mut f.b[at..], f.format);
        f.reseal_page(p.ib);
    }),
    ("AMap bit cleared under a block", &["amap.unmarked"], |f| {
        let e = f.block(value_block(f));
        f.set_amap(e.ib, false);
    }),
    ("AMap page CRC wrong", &["amap.crc"], |f| {
        f.b[0x4400 + f.format.amap().bits_at + 100] ^= 0x01;
    }),
    ("PMap page CRC wrong", &["pmap.page"], |f| {
        f.b[0x4600 + 10] ^= 0x01;
    }),
    ("a data block's CRC wrong", &["block.crc"], |f| {
        let e = f.block(value_block(f));
        f.b[e.ib as usize + 1] ^= 0x40;
    }),
    ("a block's wSig wrong", &["block.sig"], |f| {
        let e = f.block(value_block(f));
        let at = f.trailer_at(&e) + 2;
        let v = u16_at(&f.b, at) ^ 0x0110;
        f.put_u16(at, v);
    }),
    ("a block's trailer cb wrong", &["block.trailer"], |f| {
        let e = f.block(value_block(f));
        let at = f.trailer_at(&e);
        let v = u16_at(&f.b, at) - 1;
        f.put_u16(at, v);
    }),
    ("a block moved outside the file", &["block.outside"], |f| {
        let bid = value_block(f);
        let (p, i, mut e) = f.bbt().into_iter().find(|x| Bid(x.2.bid).key() == Bid(bid).key()).expect("listed");
        e.ib = f.b.len() as u64 + 4096;
        let at = f.entry_at(&p, i);
        e.write(&mut f.b[at..], f.format);
        f.reseal_page(p.ib);
    }),
    ("a leaked block (in the BBT, referenced by nothing)", &[], |f| {
        // A new 16-byte block in the first free unit, listed at the end of the
        // last BBT leaf with cRef 1, marked in the AMap: nothing else changes.
        let unit = f.format.amap().unit;
        let mut off = 0x4400 + 512;
        while {
            let (_, at, mask) = f.amap_bit(off);
            f.b[at] & mask != 0
        } {
            off += unit;
        }
        let max = f.bbt().iter().map(|x| Bid(x.2.bid).key()).max().expect("blocks");
        // The next multiple of 4: an external block's BID (fInternal clear).
        let bid = (max / 4 + 1) * 4;
        let next_at = f.format.header().bid_next_b;
        if f.id(next_at) <= bid {
            f.put_id(next_at, bid + 4);
        }
        let mut data = b"leaked block!!!!".to_vec();
        f.crypt.encode(&mut data, bid);
        let block = BlockTrailer::build_block(f.format, off, bid, &data, 16);
        f.b[off as usize..off as usize + block.len()].copy_from_slice(&block);
        let p = f.rightmost_leaf(PTYPE_BBT);
        let mut m = BtPageMeta::parse(&f.b[p.ib as usize..], f.format).expect("counts");
        assert!(m.c_ent < m.c_ent_max, "room in the last BBT leaf");
        let at = f.entry_at(&p, p.c_ent);
        BbtEntry { bid, ib: off, cb: 16, c_ref: 1 }.write(&mut f.b[at..], f.format);
        m.c_ent += 1;
        let pat = p.ib as usize;
        let size = f.format.page_size();
        m.write(&mut f.b[pat..pat + size], f.format);
        f.reseal_page(p.ib);
        f.set_amap(off, true);
    }),
    ("a missing required node (0x1E1 removed from the NBT)", &["msg.required"], |f| {
        let (p, i, e) = f.nbt().into_iter().find(|x| x.2.nid == 0x1E1).expect("0x1E1");
        assert!(i > 0 && e.bid_data == 0 && e.bid_sub == 0, "0x1E1: first in its page or with data");
        let n = p.cb_ent;
        let (from, end) = (f.entry_at(&p, i + 1), f.entry_at(&p, p.c_ent));
        f.b.copy_within(from..end, from - n);
        let mut m = BtPageMeta::parse(&f.b[p.ib as usize..], f.format).expect("counts");
        m.c_ent -= 1;
        let at = p.ib as usize;
        let size = f.format.page_size();
        m.write(&mut f.b[at..at + size], f.format);
        f.reseal_page(p.ib);
    }),
    ("HN page map offset out of range", &["hn.pagemap"], |f| {
        let bid = pc_nodes(f, 0x04)[0].bid_data;
        f.edit(bid, |d| {
            let n = d.len() as u16;
            d[0..2].copy_from_slice(&(n + 2).to_le_bytes());
        });
    }),
    ("BTH key order broken (two PC records swapped)", &["bth.order"], |f| {
        let bid = pc_nodes(f, 0x04)[0].bid_data;
        f.edit(bid, |d| {
            let (r, n) = pc_records(d);
            assert!(n > 3);
            let (a, b) = (r + 8, r + 16);
            let x = d[a..a + 8].to_vec();
            d.copy_within(b..b + 8, a);
            d[b..b + 8].copy_from_slice(&x);
        });
    }),
    ("a PC value's HNID names no allocation", &["pc.value"], |f| {
        let bid = pc_nodes(f, 0x04)[0].bid_data;
        f.edit(bid, |d| {
            let (r, n) = pc_records(d);
            let count = allocs(d).len() as u32;
            // The first binary or string value held in the heap.
            let at = (0..n)
                .map(|i| r + 8 * i)
                .find(|&at| matches!(u16_at(d, at + 2), 0x0102 | 0x001F | 0x001E) && u32_at(d, at + 4) & 0x1F == 0)
                .expect("a heap value");
            d[at + 4..at + 8].copy_from_slice(&((count + 1) << 5).to_le_bytes());
        });
    }),
    ("PidTagContentCount disagrees with the contents table", &["msg.count"], |f| {
        let e = folder_with_messages(f);
        f.edit(e.bid_data, |d| {
            let at = pc_record(d, tags::CONTENT_COUNT).expect("PidTagContentCount");
            let v = u32_at(d, at + 4) + 1;
            d[at + 4..at + 8].copy_from_slice(&v.to_le_bytes());
        });
    }),
    ("PidTagContentUnreadCount disagrees with the messages", &["msg.unread"], |f| {
        let e = folder_with_messages(f);
        f.edit(e.bid_data, |d| {
            let at = pc_record(d, tags::CONTENT_UNREAD_COUNT).expect("PidTagContentUnreadCount");
            let v = u32_at(d, at + 4) + 1;
            d[at + 4..at + 8].copy_from_slice(&v.to_le_bytes());
        });
    }),
    ("a message without PidTagMessageSize", &["msg.message_size"], |f| {
        let bid = pc_nodes(f, 0x04)[0].bid_data;
        f.edit(bid, |d| {
            let at = pc_record(d, tags::MESSAGE_SIZE).expect("PidTagMessageSize");
            assert!(pc_record(d, 0x0E09).is_none());
            let next = u16_at(d, at + 8);
            assert!(next > 0x0E09, "the next property sorts after the renamed one");
            d[at..at + 2].copy_from_slice(&0x0E09u16.to_le_bytes());
        });
    }),
    ("a message PC that is not a PC (bClientSig)", &["pc.kind"], |f| {
        let bid = pc_nodes(f, 0x04)[0].bid_data;
        f.edit(bid, |d| d[3] = 0x7C);
    }),
    ("a BTHHEADER with a wrong bType", &["bth.header"], |f| {
        let bid = pc_nodes(f, 0x04)[0].bid_data;
        f.edit(bid, |d| {
            let (s, _) = alloc(d, u32_at(d, 4));
            d[s] = 0xB6;
        });
    }),
    ("the store's IPM subtree entry id names no folder", &["msg.store"], |f| {
        let e = f.nbt().into_iter().map(|x| x.2).find(|e| e.nid == 0x21).expect("store");
        f.edit(e.bid_data, |d| {
            let at = pc_record(d, tags::IPM_SUBTREE_ENTRY_ID).expect("PidTagIpmSubtreeEntryId");
            let (s, _) = alloc(d, u32_at(d, at + 4));
            d[s + 20..s + 24].copy_from_slice(&0x7FFF_FFE2u32.to_le_bytes());
        });
    }),
    ("a message whose nidParent is another folder", &["msg.contents"], |f| {
        let folder = folder_with_messages(f);
        let (p, i, mut e) = f
            .nbt()
            .into_iter()
            .find(|x| Nid(x.2.nid).nid_type() == 0x04 && x.2.nid_parent == folder.nid)
            .expect("a message of the folder");
        e.nid_parent = folder.nid_parent;
        let at = f.entry_at(&p, i);
        e.write(&mut f.b[at..], f.format);
        f.reseal_page(p.ib);
    }),
    ("DList page CRC wrong", &["dlist.page"], |f| {
        assert_eq!(f.b[0x4200 + f.format.page().trailer()], 0x86, "a DList");
        f.b[0x4200 + 9] ^= 0x01;
    }),
    ("swapped entries in an SLBLOCK", &["sub.order"], |f| {
        let bid = f
            .nbt()
            .into_iter()
            .map(|x| x.2.bid_sub)
            .find(|&b| b != 0 && subnodes(f, b).len() > 1)
            .expect("an SLBLOCK with two entries");
        let size = SubnodeBlockHeader::entry_size(f.format, 0);
        let fmt = f.format;
        f.edit(bid, |d| {
            let (a, b) = (SubnodeBlockHeader::entry_at(0, fmt, 0), SubnodeBlockHeader::entry_at(1, fmt, 0));
            let x = d[a..a + size].to_vec();
            d.copy_within(b..b + size, a);
            d[b..b + size].copy_from_slice(&x);
        });
    }),
];

/// Faults for fixtures with attachments.
const ATTACHMENTS: &[Fault] = &[("PidTagAttachSize smaller than the attachment's data", &["msg.attach_size"], |f| {
    let att = f
        .nbt()
        .into_iter()
        .filter(|x| Nid(x.2.nid).nid_type() == 0x04)
        .find_map(|x| {
            subnodes(f, x.2.bid_sub)
                .into_iter()
                .find(|s| Nid(s.nid).nid_type() == 0x05 && !Bid(s.bid_data).is_internal())
        })
        .expect("an attachment");
    f.edit(att.bid_data, |d| {
        let at = pc_record(d, tags::ATTACH_SIZE).expect("PidTagAttachSize");
        d[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
    });
})];

/// Faults for the Unicode fixture (structures the ANSI one lacks, or the
/// dwCRCFull only Unicode has).
const UNICODE_ONLY: &[Fault] = &[
    ("dwCRCFull wrong", &["header.crc_full"], |f| {
        let at = f.format.header().dw_crc_full.expect("Unicode");
        let v = u32_at(&f.b, at) ^ 1;
        f.put_u32(at, v);
    }),
    ("cLevel wrong in an NBT leaf", &["bt.level"], |f| {
        let p = f.leaves(PTYPE_NBT).into_iter().find(|p| p.parent.is_some()).expect("a two-level NBT");
        let at = p.ib as usize + f.format.page().bt_entries + 3;
        f.b[at] = 1;
        f.reseal_page(p.ib);
    }),
    ("a parent key that is not its child's first key", &["bt.parent_key"], |f| {
        let p = f.pages(PTYPE_BBT).into_iter().find(|p| p.level > 0 && p.c_ent > 1).expect("a BBT branch");
        let at = f.entry_at(&p, 1);
        let e = BtEntry::parse(&f.b[at..], f.format).expect("entry");
        let prev = BtEntry::parse(&f.b[f.entry_at(&p, 0)..], f.format).expect("entry");
        assert!(e.btkey - 4 > prev.btkey);
        f.put_id(at, e.btkey - 4);
        f.reseal_page(p.ib);
    }),
    ("XBLOCK lcbTotal wrong", &["xblock.total"], |f| {
        let bid = f
            .bbt()
            .into_iter()
            .map(|x| x.2)
            .find(|e| Bid(e.bid).is_internal() && f.data(e.bid)[0] == 0x01)
            .expect("an XBLOCK")
            .bid;
        f.edit(bid, |d| {
            let mut h = XBlockHeader::parse(d).expect("header");
            h.lcb_total += 1;
            h.write(d);
        });
    }),
    ("a TC column overlapping another", &["tc.overlap"], |f| {
        // The contents table template (0x60E): a table no folder reads.
        let e = f.nbt().into_iter().map(|x| x.2).find(|e| e.nid == 0x60E).expect("0x60E");
        f.edit(e.bid_data, |d| {
            let (s, _) = alloc(d, u32_at(d, 4));
            let cols = usize::from(d[s + 1]);
            // Two 4-byte columns: the second moves onto the first.
            let four: Vec<usize> = (0..cols).map(|i| s + 22 + 8 * i).filter(|&c| d[c + 6] == 4).collect();
            let (a, b) = (four[2], four[3]);
            let ib = u16_at(d, a + 4);
            d[b + 4..b + 6].copy_from_slice(&ib.to_le_bytes());
        });
    }),
    ("a hierarchy row whose display name differs from the folder's", &["msg.hierarchy_row"], |f| {
        let e = folder_with_messages(f);
        let ht = f.nbt().into_iter().map(|x| x.2).find(|x| x.nid == Nid(e.nid_parent).with_type(0x0D).0).expect("HT");
        f.edit(ht.bid_data, |d| {
            let (s, _) = alloc(d, u32_at(d, 4));
            let cols = usize::from(d[s + 1]);
            let rgib_1b = usize::from(u16_at(d, s + 6));
            let row = usize::from(u16_at(d, s + 8));
            let col = (0..cols).map(|i| s + 22 + 8 * i).find(|&c| u32_at(d, c) == 0x3001_001F).expect("name");
            let (ib, bit) = (usize::from(u16_at(d, col + 4)), usize::from(d[col + 7]));
            let rows = u32_at(d, s + 14);
            let (m, end) = alloc(d, rows);
            let r = (0..(end - m) / row).map(|i| m + i * row).find(|&r| u32_at(d, r) == e.nid).expect("its row");
            assert!(d[r + rgib_1b + bit / 8] & (0x80 >> (bit % 8)) != 0, "the name cell exists");
            let (vs, ve) = alloc(d, u32_at(d, r + ib));
            assert!(ve > vs);
            d[vs] ^= 0x01;
        });
    }),
    ("a row whose dwRowID differs from its row index key", &["tc.rowindex"], |f| {
        let e = folder_with_messages(f);
        let ht = f.nbt().into_iter().map(|x| x.2).find(|x| x.nid == Nid(e.nid_parent).with_type(0x0D).0).expect("HT");
        f.edit(ht.bid_data, |d| {
            let (s, _) = alloc(d, u32_at(d, 4));
            let (m, _) = alloc(d, u32_at(d, s + 14));
            let v = u32_at(d, m) + 0x20;
            d[m..m + 4].copy_from_slice(&v.to_le_bytes());
        });
    }),
];

fn inject(file: &str, faults: &[Fault]) {
    let Some(good) = F::load(file) else {
        mailshift_testkit::skip(&format!("fixture {file} missing"));
        return;
    };
    let base = good.check();
    assert!(base.failed_rules().is_empty(), "{file} is not clean to start with: {:?}", base.counts());
    let base_notes = base.counts().clone();
    let mut failures = Vec::new();
    for (what, want, fault) in faults {
        let mut f = good.clone();
        fault(&mut f);
        assert_ne!(f.b, good.b, "{what}: the fault changed nothing");
        let r = f.check();
        let got = r.failed_rules();
        let want: BTreeSet<&str> = want.iter().copied().collect();
        if got != want {
            let shown: Vec<String> = r
                .problems()
                .iter()
                .filter(|p| p.severity >= Severity::Warning)
                .take(4)
                .map(|p| format!("{} {}", p.rule, p.message))
                .collect();
            failures.push(format!("{what}: expected {want:?}, got {got:?}: {shown:?}"));
            continue;
        }
        eprintln!("  {what}: {:?}", r.counts());
        assert_eq!(r.exit_code(), if want.is_empty() { 0 } else { 1 }, "{what}");
        if want.is_empty() {
            // The leak: one block more that nothing references, a note.
            assert_eq!(
                r.count("ref.leak"),
                base_notes.get("ref.leak").copied().unwrap_or(0) + 1,
                "{what}: {:?}",
                r.counts()
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{file}: {} of {} faults misreported:\n{}",
        failures.len(),
        faults.len(),
        failures.join("\n")
    );
    eprintln!("{file}: {} faults, each found under its own rule", faults.len());
}

/// A small Outlook-made Unicode PST (Apache Tika's test store: two-level
/// B-trees, XBLOCKs, subnode trees, six messages in folders).
const UNICODE_FIXTURE: &str = "apache__tika/testPST.tika-test-resources.pst";
/// An Outlook-made ANSI PST (Microsoft's pstsdk test store).
const ANSI_FIXTURE: &str = "farnulfo__pst-exp/sample2.pst";

#[test]
fn faults_in_a_unicode_pst_are_each_found_under_their_rule() {
    let all: Vec<Fault> = COMMON.iter().chain(UNICODE_ONLY).copied().collect();
    assert!(all.len() >= 20);
    inject(UNICODE_FIXTURE, &all);
}

#[test]
fn faults_in_an_ansi_pst_are_each_found_under_their_rule() {
    let all: Vec<Fault> = COMMON.iter().chain(ATTACHMENTS).copied().collect();
    inject(ANSI_FIXTURE, &all);
    // The same store in the Unicode layout (pstsdk's sample1), for its attachment.
    inject("farnulfo__pst-exp/sample1.pst", ATTACHMENTS);
}

#[test]
fn not_a_store_and_empty_inputs() {
    for (bytes, rule) in [
        (b"From someone@example.com Mon Jan 1 00:00:00 2024\n".to_vec(), "header.magic"),
        (b"!BDN".to_vec(), "header.size"),
        (Vec::new(), "header.magic"),
    ] {
        let r = run(&bytes, "junk");
        assert_eq!((r.exit_code(), r.failed_rules().into_iter().collect::<Vec<_>>()), (2, vec![rule]));
        assert!(r.format.is_none());
    }
    let mut h = vec![0u8; 600];
    h[..4].copy_from_slice(b"!BDN");
    h[10] = 99;
    assert_eq!(run(&h, "junk").failed_rules().into_iter().collect::<Vec<_>>(), vec!["header.version"]);
    let r = check::check(std::path::Path::new("/nonexistent/store.pst"));
    assert_eq!((r.exit_code(), r.problems()[0].rule), (2, "header.unreadable"));
}

// ---------------------------------------------------------------------------
// Damage anywhere CRCs, BIDs or bounds cover: exit 1 or 2, never a panic
// ---------------------------------------------------------------------------

/// Byte ranges whose every byte some rule covers: the header's CRC-covered
/// bytes, every B-tree page, every block's data and trailer, the AMap pages.
fn covered(f: &F) -> Vec<(usize, usize)> {
    let mut r = vec![(0, 8 + 471)];
    let page = f.format.page_size();
    for t in [PTYPE_NBT, PTYPE_BBT] {
        r.extend(f.pages(t).iter().map(|p| (p.ib as usize, page)));
    }
    for (_, _, e) in f.bbt() {
        r.push((e.ib as usize, usize::from(e.cb).max(1)));
        r.push((f.trailer_at(&e), f.format.block_trailer_size()));
    }
    r.push((0x4400, page));
    r
}

#[test]
fn truncated_and_flipped_stores_give_exit_1_or_2_never_a_panic() {
    let Some(dir) = fixtures_dir() else { return };
    let names = [
        UNICODE_FIXTURE,
        ANSI_FIXTURE,
        "farnulfo__pst-exp/test_ansi.pst",
        "mooijtech__go-pst/32-bit.pst",
        "microsoft__outlook-pst-rs/Empty.pst",
        "hughbe__PstReader/aranetic_process-pst_flags_jane_doe.pst",
        "hughbe__PstReader/simiden_pst2john_2003_no-encryption_quickquick.pst",
        "hughbe__PstReader/simiden_pst2john_2003_high-encryption_quickquick.pst",
        "aspose-email__Aspose.Email-for-.NET/Test_part1.pst",
    ];
    let mut rng = XorShift(0x5EED_C0DE_2026);
    let mut tried = 0;
    for name in names {
        let Some(f) = F::load(name) else {
            mailshift_testkit::skip(&format!("fixture {} missing", dir.join(name).display()));
            continue;
        };
        let ranges = covered(&f);
        for k in 0..20 {
            let len = (f.b.len() * k / 20 + rng.below(f.b.len() / 20)).min(f.b.len() - 1);
            let r = run(&f.b[..len], name);
            assert!(matches!(r.exit_code(), 1 | 2), "{name} cut to {len}: exit {}", r.exit_code());
            tried += 1;
        }
        for k in 0..40 {
            let mut b = f.b.clone();
            let mut at = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let (s, n) = ranges[rng.below(ranges.len())];
                let pos = s + rng.below(n);
                b[pos] ^= 1 << rng.below(8);
                at.push(pos);
            }
            let r = run(&b, name);
            assert!(matches!(r.exit_code(), 1 | 2), "{name} flipped at {at:?} (case {k}): exit 0 {:?}", r.counts());
            tried += 1;
        }
    }
    assert!(tried >= 500, "only {tried} variants");
}

/// Damage the CRCs cannot see: bytes changed inside blocks and B-tree
/// pages, the CRCs then recomputed, so that every parser above sees garbage
/// it must survive (heaps, BTHs, tables, data and subnode trees, the B-tree
/// walk). Whatever check says, it says it without panicking.
#[test]
fn garbage_under_valid_crcs_never_panics() {
    let names = [
        UNICODE_FIXTURE,
        ANSI_FIXTURE,
        "hughbe__PstReader/hughbe_backup_with_rules.pst",
        "farnulfo__pst-exp/sample1.pst",
    ];
    let mut rng = XorShift(0x0BAD_C0C0_A5A5);
    let mut tried = 0;
    for name in names {
        let Some(good) = F::load(name) else {
            mailshift_testkit::skip(&format!("fixture {name} missing"));
            continue;
        };
        let blocks: Vec<BbtEntry> = good.bbt().into_iter().map(|x| x.2).filter(|e| e.cb > 0).collect();
        let pages: Vec<u64> = [PTYPE_NBT, PTYPE_BBT].iter().flat_map(|&t| good.pages(t)).map(|p| p.ib).collect();
        for k in 0..60 {
            let mut f = good.clone();
            for _ in 0..1 + rng.below(4) {
                if k % 3 == 0 {
                    let ib = pages[rng.below(pages.len())];
                    let at = ib as usize + rng.below(f.format.page().trailer());
                    f.b[at] ^= (rng.next() as u8) | 1;
                    f.reseal_page(ib);
                } else {
                    let e = blocks[rng.below(blocks.len())];
                    let at = e.ib as usize + rng.below(usize::from(e.cb));
                    f.b[at] = [0x00, 0xFF, 0x7F, 0x80, f.b[at] ^ 0x10][rng.below(5)];
                    f.reseal_block(e.bid);
                }
            }
            let _ = run(&f.b, &format!("{name} resealed case {k}"));
            tried += 1;
        }
    }
    assert!(tried >= 200 || !mailshift_testkit::require_all(), "only {tried} variants");
}
