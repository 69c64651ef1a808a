//! Issue 10, part 2: PIM items from the neutral model into a PST. pim-rich.pst
//! is read as neutral items (`StoreReader::read`: contacts, lists, events,
//! tasks, notes, journal entries), converted by `mapi::inbound::to_mapi`
//! and written by `PstWriter` through `convert`; the new file, read back
//! by our reader, gives the same items value for value, and the same
//! .vcf / .ics; readpst and pffexport read it with 0 errors and count what
//! they count in the original; `mailshift check` finds nothing.

#[path = "common/pim.rs"]
mod pim_common;

#[path = "common/views.rs"]
mod views;

use std::collections::BTreeMap;
use std::path::Path;

use mailshift_core::pim::ical::{self, Calendar};
use mailshift_core::pim::vcard::{self, VCardVersion};
use mailshift_core::pim::{Contact, DistList, Event, Journal, Task};
use mailshift_core::{Item, StoreReader};
use mailshift_pst::PstReader;
use mailshift_testkit::oracle::{self, Oracle};
use pim_common::write_back;

/// One PIM item, owned.
#[derive(Debug, Clone, PartialEq)]
enum Pim {
    Contact(Contact),
    DistList(DistList),
    Event(Event),
    Task(Task),
    Note(Journal),
    Journal(Journal),
}

/// Every PIM item of the store, by folder path, in folder order.
fn pim_items(path: &Path) -> BTreeMap<String, Vec<Pim>> {
    let r = PstReader::open(path).expect("opens");
    let mut out: BTreeMap<String, Vec<Pim>> = BTreeMap::new();
    for f in r.folders().expect("folders") {
        for m in r.items(f.id).expect("items") {
            let p = match r.read(m.id).expect("item reads") {
                Item::Contact(c) => Pim::Contact(*c),
                Item::DistList(d) => Pim::DistList(*d),
                Item::Event(e) => Pim::Event(*e),
                Item::Task(t) => Pim::Task(*t),
                Item::Note(n) => Pim::Note(*n),
                Item::Journal(j) => Pim::Journal(*j),
                _ => continue,
            };
            out.entry(f.display_path()).or_default().push(p);
        }
    }
    out
}

/// What our .vcf and .ics writers make of a folder's items.
fn files(items: &[Pim]) -> (String, String) {
    let mut vcf = String::new();
    let mut cal = Calendar { prodid: "-//mailshift//tests//EN".into(), ..Calendar::default() };
    for p in items {
        match p {
            Pim::Contact(c) => vcf.push_str(&vcard::write(c, VCardVersion::V4)),
            Pim::DistList(d) => vcf.push_str(&vcard::write_group(d, VCardVersion::V4)),
            Pim::Event(e) => cal.events.push(e.clone()),
            Pim::Task(t) => cal.tasks.push(t.clone()),
            Pim::Note(j) | Pim::Journal(j) => cal.journals.push(j.clone()),
        }
    }
    (vcf, ical::write(&cal))
}

/// pim-rich.pst written back from its neutral items into `dir`.
fn written(dir: &Path) -> Option<(std::path::PathBuf, std::path::PathBuf, mailshift_core::Report)> {
    let Some(pst) = mailshift_testkit::fixtures_dir().map(|d| d.join("pim/pim-rich.pst")) else {
        mailshift_testkit::skip("no fixtures");
        return None;
    };
    assert!(pst.is_file(), "pim-rich fixture is missing");
    let dst = dir.join("pim-rich-written.pst");
    let report = write_back(&pst, &dst);
    Some((pst, dst, report))
}

#[test]
fn pim_rich_written_from_neutral_items_reads_back_value_for_value() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((pst, dst, report)) = written(tmp.path()) else { return };
    let before = pim_items(&pst);
    let total: usize = before.values().map(Vec::len).sum();
    assert_eq!(report.total.failed, 0, "{:?}", report.folders);
    assert_eq!(report.total.skipped_unsupported, 0, "{:?}", report.folders);
    assert_eq!(report.total.copied as usize, total, "items copied");
    let mut not_kept: Vec<String> =
        report.folders.iter().flat_map(|f| f.not_kept.iter().map(|n| format!("{}: {n:?}", f.path))).collect();
    not_kept.sort();
    println!("not kept: {not_kept:#?}");
    assert!(report.folders.iter().all(|f| f.losses.is_empty()), "{:?}", report.folders);

    let after = pim_items(&dst);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "folders with PIM items");
    let mut compared = BTreeMap::new();
    for (folder, items) in &before {
        let back = &after[folder];
        assert_eq!(items.len(), back.len(), "{folder}: item count");
        for (a, b) in items.iter().zip(back) {
            assert_eq!(a, b, "{folder}: an item read back differs");
            let kind = format!("{a:?}").split('(').next().unwrap_or("").to_string();
            *compared.entry(kind).or_insert(0) += 1;
        }
        let (f1, f2) = (files(items), files(back));
        assert_eq!(f1.0, f2.0, "{folder}: .vcf");
        assert_eq!(f1.1, f2.1, "{folder}: .ics");
    }
    println!("compared value for value: {compared:?}");
    assert_eq!(compared.values().sum::<usize>(), total);
    // Overrides, EXDATEs, zones and attendees were there to compare.
    let events: Vec<&Event> =
        before.values().flatten().filter_map(|p| if let Pim::Event(e) = p { Some(e) } else { None }).collect();
    assert!(events.iter().any(|e| !e.overrides.is_empty()), "an event with overrides");
    assert!(events.iter().any(|e| !e.exdates.is_empty()), "an event with EXDATEs");
    assert!(events.iter().any(|e| !e.timezones.is_empty()), "an event with a zone");
    // (The generator kept the organizer's row only: attendees, and lists'
    // contact members, are compared in tests/pim_write.rs.)
    assert!(events.iter().any(|e| e.organizer.is_some()), "a meeting with its organizer");
    assert!(before.values().flatten().any(|p| matches!(p, Pim::Task(t) if t.rrule.is_some())), "a recurring task");

    // Our scanpst finds nothing in what we wrote.
    let checked = mailshift_pst::check::check(&dst);
    let problems: Vec<String> = checked.problems().iter().take(5).map(|p| format!("{p:?}")).collect();
    assert!(problems.is_empty(), "mailshift check: {}", problems.join("\n"));
}

/// readpst and pffexport read the written file with 0 errors and find in
/// each PIM folder as many items as they find in the original's.
#[test]
fn readpst_and_pffexport_count_in_the_written_file_what_they_count_in_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((pst, dst, _)) = written(tmp.path()) else { return };
    let pim_folders: Vec<String> = pim_items(&pst).keys().cloned().collect();
    for o in [Oracle::Readpst, Oracle::Pffexport] {
        let Some(theirs) = oracle::view_or_skip(o, &dst) else { continue };
        let Some(orig) = oracle::view_or_skip(o, &pst) else { continue };
        assert!(theirs.errors.is_empty(), "{o}: {:?}", theirs.errors);
        let mut counts = Vec::new();
        for f in &pim_folders {
            let got = theirs.folders.get(f).map_or(0, |v| v.count);
            let want = orig.folders.get(f).map_or(0, |v| v.count);
            assert_eq!(got, want, "{o}: items in {f}");
            counts.push(format!("{f}: {got}"));
        }
        println!("{o}: {}", counts.join(", "));
    }
}

/// Every one of the five independent readers sees in the written file what
/// our reader sees (folders, counts, subjects, attachment bytes), with 0
/// errors, but for what it already sees differently in the original (the
/// reader limits of tests/oracles.rs: readpst leaves out tasks, notes and
/// lists and reads no journal subject, libpff drops the first two bytes of a
/// subject whose UTF-8 begins with a byte above 0x7F).
#[test]
fn five_independent_readers_see_in_the_written_file_what_we_see() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((pst, dst, _)) = written(tmp.path()) else { return };
    let (ours, ours_orig) = (views::our_view(&dst), views::our_view(&pst));
    let mut problems = Vec::new();
    for o in Oracle::ALL {
        let Some(theirs) = oracle::view_or_skip(o, &dst) else { continue };
        assert!(theirs.errors.is_empty(), "{o}: {:?}", theirs.errors);
        let mut before: Vec<String> = match oracle::view(o, &pst) {
            Ok(v) => oracle::compare(&ours_orig, &v).iter().map(|d| d.to_string()).collect(),
            Err(_) => Vec::new(),
        };
        let mut new = Vec::new();
        for d in oracle::check(&ours, &theirs, &[]).unexpected.iter().map(|d| d.to_string()) {
            match before.iter().position(|b| *b == d) {
                Some(i) => {
                    before.swap_remove(i);
                }
                None => new.push(d),
            }
        }
        if !new.is_empty() {
            problems.push(format!("{o}: {}", new.join("; ")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What of pim-rich's MAPI items the neutral model does not carry: per
/// message class, the properties the original has and the written item
/// lacks (`cargo test -p mailshift-pst --test pim_roundtrip -- --ignored
/// --nocapture`).
#[test]
#[ignore]
fn list_properties_the_model_does_not_carry() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((pst, dst, _)) = written(tmp.path()) else { return };
    let (a, b) = (mailshift_pst::Store::open(&pst).unwrap(), mailshift_pst::Store::open(&dst).unwrap());
    let (fa, fb) = (pim_common::folder_messages(&a), pim_common::folder_messages(&b));
    let mut missing: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (folder, m) in &fa {
        let Some(i) = fa.iter().filter(|(f, _)| f == folder).position(|(_, x)| x.nid == m.nid) else { continue };
        let Some((_, w)) = fb.iter().filter(|(f, _)| f == folder).nth(i) else { continue };
        if !PIM_CLASSES.iter().any(|c| mailshift_core::mapi::class_is(m.class(), c)) {
            continue;
        }
        let e = missing.entry(m.class().to_string()).or_default();
        for id in m.props.tagged.keys().filter(|id| !w.props.tagged.contains_key(id)) {
            *e.entry(format!("tag 0x{id:04X}")).or_default() += 1;
        }
        for id in m.props.named.keys().filter(|id| !w.props.named.contains_key(id)) {
            *e.entry(format!("{id:?}")).or_default() += 1;
        }
    }
    for (class, props) in &missing {
        println!("{class}:");
        for (p, n) in props {
            println!("    {p} ({n})");
        }
    }
}

const PIM_CLASSES: [&str; 6] =
    ["IPM.Contact", "IPM.DistList", "IPM.Appointment", "IPM.Task", "IPM.StickyNote", "IPM.Activity"];

/// Every PIM item of every fixture (Outlook's, Aspose's, OSTs ...), read
/// as a neutral item, converted by `to_mapi` and mapped back by the
/// readers' mappers (no file in between), is the item it was, or its
/// conversion says what it did not keep.
#[test]
fn every_fixture_pim_item_maps_back_as_written() {
    use mailshift_pst::pim::{appointment, contact, task, uid};
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let (mut same, mut said, mut files_read) = (0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for path in &files {
        let Ok(r) = PstReader::open(path) else { continue };
        let Ok(folders) = r.folders() else { continue };
        files_read += 1;
        for f in folders {
            for m in r.items(f.id).unwrap_or_default() {
                let Ok(item) = r.read(m.id) else { continue };
                if matches!(item, Item::Mail(_) | Item::Mapi(_)) {
                    continue;
                }
                let before = format!("{item:?}");
                let conv = match mailshift_core::mapi::inbound::to_mapi(item.clone()) {
                    Ok(c) => c,
                    Err(e) => panic!("{}: {e}", path.display()),
                };
                let msg = &conv.message;
                let key_uid = uid::search_key(&msg.props).map(|k| uid::identity_uid(k, 0)).unwrap_or_default();
                let back = match &item {
                    Item::Contact(_) => Item::Contact(Box::new(contact::contact(msg, key_uid))),
                    Item::DistList(_) => {
                        Item::DistList(Box::new(contact::dist_list_with(msg, key_uid, &uid::item_uid)))
                    }
                    Item::Event(_) => Item::Event(Box::new(appointment::event(msg, key_uid))),
                    Item::Task(_) => Item::Task(Box::new(task::task(msg, key_uid))),
                    Item::Note(_) => Item::Note(Box::new(task::note(msg, key_uid))),
                    Item::Journal(_) => Item::Journal(Box::new(task::journal(msg, key_uid))),
                    _ => unreachable!(),
                };
                if back == item {
                    same += 1;
                } else if !conv.not_kept.is_empty() {
                    said += 1;
                } else {
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
                    wrong.push(format!("{name}: {before}\n  back: {back:?}"));
                }
            }
        }
    }
    println!("{files_read} files: {same} PIM items map back as they were, {said} with what was not kept said");
    for w in wrong.iter().take(5) {
        println!("DIFFERS: {w}");
    }
    assert!(wrong.is_empty(), "{} items differ silently", wrong.len());
    assert!(same > 100, "only {same} items compared");
}

/// Every fixture with PIM items, written back from its neutral items into
/// a new PST, reads back with the same items in every folder (lists naming
/// their contacts by UID through the new file's entries, copies of one
/// item keeping their distinct UIDs).
#[test]
fn every_fixture_written_back_reads_back_the_same() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (mut stores, mut items) = (0, 0);
    for (i, path) in files.iter().enumerate() {
        if PstReader::open(path).is_err() {
            continue;
        }
        let before = pim_items(path);
        if before.is_empty() {
            continue;
        }
        let dst = tmp.path().join(format!("{i}.pst"));
        let report = write_back(path, &dst);
        let name = path.display();
        assert_eq!(report.total.failed, 0, "{name}: {:?}", report.folders);
        let after = pim_items(&dst);
        for (folder, want) in &before {
            let got = after.get(folder).unwrap_or_else(|| panic!("{name}: no folder {folder} in the written file"));
            assert_eq!(got.len(), want.len(), "{name}: {folder}: items");
            for (g, w) in got.iter().zip(want) {
                assert_eq!(g, w, "{name}: {folder}: an item read back differs");
            }
            items += want.len();
        }
        stores += 1;
    }
    println!("{stores} stores written back, {items} PIM items read back the same");
    assert!(stores >= 5, "{stores} stores");
}
