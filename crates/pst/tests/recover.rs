//! `--recover` against libpff's `pffexport -m recovered` on every fixture:
//! the recovered message nodes, by NID and subject.
//!
//! pffexport writes each recovered item into `<target>.recovered/` as a
//! directory named by kind and running number (`Message00004`,
//! `Appointment00090` ...), and with `-l LOG` it logs, for every item,
//! `Processing <kind>: <n> (identifier: <NID>) in path: <dir>/`, followed
//! by the directory it creates. That NID is what the comparison keys on,
//! because what pffexport exports is not what a reader of deleted mail
//! wants, in two ways found by running libpff 20180714 on the fixtures:
//!
//! - libpff recovers every deleted node whose blocks it can find, of any
//!   NID type, and pffexport exports any of them whose first record reads
//!   like a message: a deleted contents table (NID type 0x0E, MS-PST
//!   2.4.4.5) or search-folder contents table (0x10) is exported as a
//!   "Message"/"Appointment" made of the table's first row. Those are not
//!   messages; our "Recovered" folder offers message nodes (NID type 0x04)
//!   only. They are counted and checked to be table NIDs, not compared.
//! - pffexport skips items whose message class it has no exporter for,
//!   logging `Skipped export of item: I out of: N of type: CLASS`; the
//!   deleted `IPM.Microsoft.ScheduleData.FreeBusy` ('LocalFreebusy') copy
//!   that libpff recovers in the Aspose-made stores is one. Ours of such a
//!   class must be matched by a skip of that class in pffexport's log.
//!
//! Every other recovered message must match: same NIDs, same subjects.
//! Where we still differ, [`EXPECTED_DIFFERENCES`] says so for that
//! fixture, with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mailshift_core::{FolderId, StoreReader};
use mailshift_pst::{tags, PstOptions, PstReader, RECOVERED_FOLDER};

/// `NID_TYPE_NORMAL_MESSAGE` (MS-PST 2.2.2.1).
const NID_TYPE_MESSAGE: u32 = 0x04;
/// `NID_TYPE_CONTENTS_TABLE`, `NID_TYPE_ASSOC_CONTENTS_TABLE`,
/// `NID_TYPE_SEARCH_CONTENTS_TABLE`: what pffexport exports as messages
/// besides message nodes.
const TABLE_NID_TYPES: [u32; 3] = [0x0E, 0x0F, 0x10];

/// Fixtures where our recovered message nodes are not pffexport's, by
/// file name, with (our count, pffexport's count of message nodes) and
/// why. Nothing is listed without a reason found by looking at the file.
///
/// Keys are the fixture's last two path components. Entries marked
/// "NOT YET EXPLAINED" record a measured difference whose cause was not
/// found in the time available; they are open work, not accepted behaviour.
///
/// The bool says pffexport's recovery itself fails on the file (its
/// stderr says `unable to recover items`); the test checks that it still
/// does, so the reason stays true.
const EXPECTED_DIFFERENCES: &[(&str, usize, usize, bool, &str)] = &[(
    "aspose-email__Aspose.Email-for-.NET/Outlook.pst",
    1,
    0,
    true,
    "libpff gives up before recovering anything: reading the NBT it finds the branch entry \
     for the page at 0x17e00 naming BID 0x1622 while the page's trailer says 0x1623 \
     (`libpff_index_read_node: back pointer mismatch (entry: 5666, node: 5667)`), and that \
     error aborts `libpff_recover_index_nodes` and so the whole `-m recovered` run. We read \
     the page (the BIDs differ only in the reserved low bit) and recover the deleted \
     'LocalFreebusy' copy (0x200024) its Aspose-made siblings hold, which pffexport skips \
     there by class.",
)];

/// A subject as compared: the `PidTagSubject` prefix marker (a control
/// character and a length, MS-OXCMSG 2.2.1.46) and surrounding space cut.
fn norm(s: &str) -> String {
    let s = s.strip_prefix('\u{1}').map_or(s, |r| r.get(1..).unwrap_or(""));
    s.trim_start_matches(|c: char| c < ' ').trim().to_string()
}

/// One recovered item: NID, subject, message class.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rec {
    nid: u32,
    subject: Option<String>,
    class: Option<String>,
}

/// What pffexport did with the recovered items of a file.
#[derive(Debug, Default)]
struct Export {
    /// Top-level exported items other than folders (class not known).
    items: Vec<Rec>,
    /// The message classes of the items it skipped.
    skipped: Vec<String>,
    /// libpff's recovery failed as a whole.
    failed: bool,
}

/// The subject pffexport wrote for the item in `dir`: the `Subject:` line
/// of its headers file (`OutlookHeaders.txt`, or `Appointment.txt` and the
/// like for other kinds).
fn exported_subject(dir: &Path) -> Option<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files.iter().find_map(|f| {
        let text = String::from_utf8_lossy(&std::fs::read(f).ok()?).to_string();
        text.lines().find_map(|l| l.strip_prefix("Subject:")).map(norm)
    })
}

/// Runs `pffexport -m recovered -l LOG` on `file` and reads its log.
fn pffexport_recovered(tool: &Path, file: &Path, tmp: &Path) -> Option<Export> {
    let target = tmp.join("x");
    let log = tmp.join("log.txt");
    let run = Command::new(tool)
        .args(["-q", "-m", "recovered", "-l"])
        .arg(&log)
        .arg("-t")
        .arg(&target)
        .arg(file)
        .output()
        .ok()?;
    let mut out = Export {
        failed: String::from_utf8_lossy(&run.stderr).contains("unable to recover items"),
        ..Export::default()
    };
    // pffexport writes no log when it cannot open the file.
    let Ok(text) = std::fs::read(&log) else {
        return Some(out);
    };
    let text = String::from_utf8_lossy(&text).to_string();
    let top: Vec<String> = ["recovered", "orphans"].iter().map(|s| format!("{}.{s}/", target.display())).collect();
    let mut pending: Option<(String, u32)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Processing ") {
            pending = None;
            let (Some((kind, rest)), Some(path)) = (rest.split_once(':'), rest.split(" in path: ").nth(1)) else {
                continue;
            };
            let nid = rest
                .split("(identifier: ")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .and_then(|n| n.parse::<u32>().ok());
            if let (Some(nid), true) = (nid, top.iter().any(|t| t == path)) {
                pending = Some((kind.to_string(), nid));
            }
        } else if let Some(dir) = line.strip_prefix("Created directory: ") {
            if let Some((kind, nid)) = pending.take() {
                if kind != "folder" {
                    let dir = Path::new(dir.strip_suffix('.').unwrap_or(dir));
                    out.items.push(Rec { nid, subject: exported_subject(dir), class: None });
                }
            }
        } else if let Some(rest) = line.strip_prefix("Skipped export of item: ") {
            if let Some(class) = rest.split(" of type: ").nth(1).map(|c| c.rsplit_once(" (0x").map_or(c, |(c, _)| c)) {
                out.skipped.push(class.trim_end_matches('.').to_string());
            }
        }
    }
    out.items.sort();
    Some(out)
}

/// Our recovered items of `file`.
fn ours(file: &Path) -> Vec<Rec> {
    let r = PstReader::open_with(file, PstOptions { recover: true }).expect("open");
    let ids = r.recovered_items().expect("recovered items");
    let pst = r.store().pst();
    let nodes = pst.recovered_nodes();
    let mut out: Vec<Rec> = ids
        .iter()
        .map(|id| {
            let node = if id.1 == 0 {
                pst.node(id.0 as u32).expect("nbt").expect("listed node")
            } else {
                nodes[(id.1 - 1) as usize]
            };
            let pc = pst.property_context(&node).ok();
            let get = |tag| pc.as_ref().and_then(|pc| pc.string(tag).ok().flatten());
            Rec { nid: node.nid, subject: get(tags::SUBJECT).map(|s| norm(&s)), class: get(tags::MESSAGE_CLASS) }
        })
        .collect();
    out.sort();
    out
}

fn keys(list: &[Rec]) -> BTreeMap<(u32, Option<String>), usize> {
    let mut m = BTreeMap::new();
    for r in list {
        *m.entry((r.nid, r.subject.clone())).or_insert(0) += 1;
    }
    m
}

#[test]
fn recovered_items_match_pffexport() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let Some(tool) = mailshift_testkit::tool("pffexport") else {
        return;
    };
    let mut failures = Vec::new();
    let mut totals = [0usize; 4];
    for file in &files {
        let tmp = tempfile::tempdir().expect("tempdir");
        let Some(theirs) = pffexport_recovered(&tool, file, tmp.path()) else {
            continue;
        };
        // Files we cannot open (pffexport cannot either) have nothing to compare.
        let ours = match PstReader::open_with(file, PstOptions { recover: true }) {
            Ok(_) => ours(file),
            Err(_) => Vec::new(),
        };
        let (their_msgs, their_other): (Vec<Rec>, Vec<Rec>) =
            theirs.items.iter().cloned().partition(|r| r.nid & 0x1F == NID_TYPE_MESSAGE);
        for t in &their_other {
            if !TABLE_NID_TYPES.contains(&(t.nid & 0x1F)) {
                failures.push(format!(
                    "{}: pffexport exports recovered node {:#x}, neither a message nor a table",
                    file.display(),
                    t.nid
                ));
            }
        }
        // Ours of a class pffexport skipped: each needs a skip of that class.
        let mut skips = theirs.skipped.clone();
        let mut compared = Vec::new();
        let mut skipped = Vec::new();
        for r in &ours {
            let pos = r.class.as_ref().and_then(|c| skips.iter().position(|s| s == c));
            match pos {
                Some(i) => {
                    skips.swap_remove(i);
                    skipped.push(r.nid);
                }
                None => compared.push(r.clone()),
            }
        }
        totals[0] += compared.len();
        totals[1] += their_msgs.len();
        totals[2] += skipped.len();
        totals[3] += their_other.len();
        if !ours.is_empty() || !theirs.items.is_empty() {
            println!(
                "{}: ours {:x?} (of a class pffexport skips: {skipped:x?}) | pffexport messages {:x?}, tables {:x?}",
                file.display(),
                keys(&compared),
                keys(&their_msgs),
                their_other.iter().map(|r| r.nid).collect::<Vec<_>>(),
            );
        }
        let expected = EXPECTED_DIFFERENCES.iter().find(|d| file.ends_with(d.0));
        match expected {
            Some(&(_, o, t, fails, _)) => {
                if theirs.failed != fails {
                    failures.push(format!(
                        "{}: pffexport's recovery {} now",
                        file.display(),
                        if theirs.failed { "fails" } else { "works" }
                    ));
                }
                if (compared.len(), their_msgs.len()) != (o, t) {
                    failures.push(format!(
                        "{}: expected difference ours {o} / pffexport {t}, now {} / {}",
                        file.display(),
                        compared.len(),
                        their_msgs.len()
                    ));
                }
            }
            None => {
                if theirs.failed {
                    failures.push(format!("{}: pffexport's recovery fails", file.display()));
                }
                if keys(&compared) != keys(&their_msgs) {
                    failures.push(format!(
                        "{}: ours {:x?}, pffexport {:x?}",
                        file.display(),
                        keys(&compared),
                        keys(&their_msgs)
                    ));
                }
            }
        }
    }
    println!(
        "recovered messages: ours {} (+{} of classes pffexport skips), pffexport {} (+{} tables)",
        totals[0], totals[2], totals[1], totals[3]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The recovered items are offered through the `StoreReader` API in the
/// "Recovered" folder and read as mail.
#[test]
fn recovered_items_are_readable() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let Some(file) = files
        .iter()
        .find(|f| f.ends_with("farnulfo__pst-exp/sample1.pst"))
        .cloned()
        .or_else(|| files.iter().find(|f| f.file_name().is_some_and(|n| n == "sample1.pst")).cloned())
    else {
        mailshift_testkit::skip("sample1.pst fixture missing");
        return;
    };
    let r = PstReader::open_with(&file, PstOptions { recover: true }).expect("open");
    let folders = r.folders().expect("folders");
    let rec = folders.iter().find(|f| f.id == RECOVERED_FOLDER).expect("a Recovered folder");
    assert_eq!(rec.path, vec!["Recovered".to_string()]);
    let items = r.items(RECOVERED_FOLDER).expect("items");
    assert!(!items.is_empty());
    let mut read = 0;
    for m in &items {
        if let Ok(mailshift_core::Item::Mail(mail)) = r.read(m.id) {
            let text = String::from_utf8_lossy(&mail.raw).to_string();
            assert!(text.contains("Subject:"), "{text}");
            read += 1;
        }
        assert!(r.describe(m.id).contains("NID"));
    }
    assert!(read > 0, "no recovered item of {} reads as mail", file.display());
    // Without the option there is no such folder.
    let plain = PstReader::open(&file).expect("open");
    assert!(plain.folders().expect("folders").iter().all(|f| f.id != RECOVERED_FOLDER));
    let _ = FolderId(0);
    let _: PathBuf = file;
}
