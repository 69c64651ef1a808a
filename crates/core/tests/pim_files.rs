//! `.vcf` / `.ics` output files ([`mailshift_core::pim::files`]): names
//! beside the mail folders, merging into an existing file without
//! duplicating UIDs, zones before components, one-file targets, and mail and
//! PIM items of one folder going to their own writers.

use std::path::Path;
use std::sync::{Arc, Mutex};

use mailshift_core::pim::files::{PimFileKind, PimFiles, PimOptions, WithPimFiles};
use mailshift_core::pim::{Contact, DateTime, Event, Task, TimeZone, Transition, Weekday, When, ZoneRule};
use mailshift_core::{
    Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, Prepared, Result, StoreWriter, Written,
};

fn folder(id: u64, path: &[&str], kind: FolderKind) -> Folder {
    Folder {
        id: FolderId(id),
        parent: None,
        path: path.iter().map(|s| s.to_string()).collect(),
        name: path.last().unwrap_or(&"").to_string(),
        kind,
        role: FolderRole::None,
    }
}

fn prepared(item: Item<'static>) -> Prepared<'static> {
    Prepared::new(item, ItemMeta { id: ItemId(1, 0), size: None })
}

fn contact(uid: &str, name: &str) -> Item<'static> {
    Item::Contact(Box::new(Contact { uid: uid.into(), full_name: name.into(), ..Contact::default() }))
}

fn berlin() -> TimeZone {
    TimeZone {
        tzid: "W. Europe Standard Time".into(),
        standard: ZoneRule {
            offset_from: 120,
            offset_to: 60,
            start: DateTime::new(1601, 10, 28, 3, 0, 0),
            transition: Some(Transition { month: 10, nth: -1, weekday: Weekday::Sunday }),
        },
        daylight: Some(ZoneRule {
            offset_from: 60,
            offset_to: 120,
            start: DateTime::new(1601, 3, 25, 2, 0, 0),
            transition: Some(Transition { month: 3, nth: -1, weekday: Weekday::Sunday }),
        }),
    }
}

fn event(uid: &str, summary: &str) -> Item<'static> {
    let tzid = "W. Europe Standard Time".to_string();
    Item::Event(Box::new(Event {
        uid: uid.into(),
        summary: Some(summary.into()),
        start: Some(When::Local { time: DateTime::new(2025, 3, 12, 8, 30, 0), tzid: tzid.clone() }),
        end: Some(When::Local { time: DateTime::new(2025, 3, 12, 9, 15, 0), tzid }),
        timezones: vec![berlin()],
        ..Event::default()
    }))
}

fn opts() -> PimOptions {
    PimOptions { fsync: false, ..PimOptions::default() }
}

/// Writes `items` into `folder` of a per-folder writer at `root`.
fn run(root: &Path, batches: &[(Folder, Vec<Item<'static>>)]) -> Vec<Written> {
    let mut w = PimFiles::per_folder(root, opts());
    let folders: Vec<Folder> = batches.iter().map(|(f, _)| f.clone()).collect();
    w.begin(&folders).unwrap();
    let mut out = Vec::new();
    for (f, items) in batches {
        w.open_folder(f).unwrap();
        for i in items {
            out.push(w.write(&prepared(i.clone())).unwrap());
        }
        w.close_folder().unwrap();
    }
    w.finish().unwrap();
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn files_are_named_after_folders_and_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        &[
            (folder(1, &["Contacts (This computer only)"], FolderKind::Contacts), vec![contact("a", "Ann")]),
            (folder(2, &["Contacts", "Old/Stuff"], FolderKind::Contacts), vec![contact("b", "Bob")]),
            (folder(3, &["A - B"], FolderKind::Contacts), vec![contact("c", "Cy")]),
            (folder(4, &["A", "B"], FolderKind::Contacts), vec![contact("d", "Di")]),
            (folder(5, &[".hidden"], FolderKind::Calendar), vec![event("e", "Meet")]),
        ],
    );
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        ["A - B (2).vcf", "A - B.vcf", "Contacts (This computer only).vcf", "Contacts - Old_Stuff.vcf", "_hidden.ics"]
    );
    assert!(read(&dir.path().join("A - B.vcf")).contains("FN:Cy\r\n"));
    assert!(read(&dir.path().join("A - B (2).vcf")).contains("FN:Di\r\n"));
}

#[test]
fn a_second_export_changes_nothing_and_a_new_item_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let cal = folder(1, &["Calendar"], FolderKind::Calendar);
    let first = run(dir.path(), &[(cal.clone(), vec![event("e1", "One"), event("e2", "Two")])]);
    assert!(first.iter().all(|w| w.duplicate.is_none() && w.bytes > 0));
    let path = dir.path().join("Calendar.ics");
    let before = read(&path);
    // Zones come before the components that name them, once.
    assert_eq!(before.matches("BEGIN:VTIMEZONE").count(), 1);
    assert!(before.find("BEGIN:VTIMEZONE").unwrap() < before.find("BEGIN:VEVENT").unwrap());
    assert!(before.starts_with("BEGIN:VCALENDAR\r\n") && before.ends_with("END:VCALENDAR\r\n"));

    let second = run(dir.path(), &[(cal.clone(), vec![event("e1", "One"), event("e2", "Two")])]);
    assert!(second.iter().all(|w| w.duplicate.as_deref().is_some_and(|r| r.contains("already in"))), "{second:?}");
    assert_eq!(read(&path), before, "exporting twice gives the same file");

    let third = run(dir.path(), &[(cal, vec![event("E1", "One again"), event("e3", "Three")])]);
    assert!(third[0].duplicate.is_some(), "UIDs compare without case");
    assert!(third[1].duplicate.is_none());
    let after = read(&path);
    assert_eq!(after.matches("BEGIN:VEVENT").count(), 3);
    assert_eq!(after.matches("BEGIN:VTIMEZONE").count(), 1);
    assert_eq!(after.matches("BEGIN:VCALENDAR").count(), 1);
    for s in ["SUMMARY:One\r\n", "SUMMARY:Two\r\n", "SUMMARY:Three\r\n"] {
        assert!(after.contains(s), "{s} in {after}");
    }
}

#[test]
fn vcard_merge_knows_urn_uuid_uids_and_keeps_foreign_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Contacts.vcf");
    // A file from elsewhere, LF line endings, a folded UID.
    std::fs::write(&path, "BEGIN:VCARD\nVERSION:4.0\nUID:urn:uuid:1234\n 5678\nFN:Old Friend\nEND:VCARD\n").unwrap();
    let w = run(
        dir.path(),
        &[(folder(1, &["Contacts"], FolderKind::Contacts), vec![contact("12345678", "Same"), contact("x", "New")])],
    );
    assert!(w[0].duplicate.is_some());
    assert!(w[1].duplicate.is_none());
    let text = read(&path);
    assert!(text.contains("FN:Old Friend\r\n"));
    assert!(text.contains("FN:New\r\n"));
    assert!(!text.contains("FN:Same"));
    assert_eq!(text.matches("BEGIN:VCARD").count(), 2);
}

#[test]
fn a_single_file_target_takes_its_kind_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/all.ics");
    assert_eq!(PimFileKind::of_path(&path), Some(PimFileKind::Ics));
    assert_eq!(PimFileKind::of_path(Path::new("x.VCF")), Some(PimFileKind::Vcf));
    assert_eq!(PimFileKind::of_path(Path::new("x.mbox")), None);
    let mut w = PimFiles::single(&path, PimFileKind::Ics, opts());
    assert!(w.accepts(FolderKind::Calendar) && w.accepts(FolderKind::Tasks) && !w.accepts(FolderKind::Contacts));
    assert!(!w.accepts(FolderKind::Mail));
    let cal = folder(1, &["Calendar"], FolderKind::Calendar);
    let tasks = folder(2, &["Tasks"], FolderKind::Tasks);
    w.begin(&[cal.clone(), tasks.clone()]).unwrap();
    w.open_folder(&cal).unwrap();
    w.write(&prepared(event("e1", "One"))).unwrap();
    assert!(w.write(&prepared(contact("c", "C"))).is_err(), "a contact has no place in an .ics file");
    w.close_folder().unwrap();
    assert!(!path.exists(), "the one file is completed at the end");
    w.open_folder(&tasks).unwrap();
    w.write(&prepared(Item::Task(Box::new(Task { uid: "t1".into(), summary: Some("Do".into()), ..Task::default() }))))
        .unwrap();
    w.close_folder().unwrap();
    w.finish().unwrap();
    let text = read(&path);
    assert_eq!(text.matches("BEGIN:VCALENDAR").count(), 1);
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 1);
    assert_eq!(text.matches("BEGIN:VTODO").count(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

/// A mail writer that records its calls.
struct Recorder(Arc<Mutex<Vec<String>>>);

impl StoreWriter for Recorder {
    fn format_name(&self) -> &'static str {
        "recorder"
    }
    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        self.0
            .lock()
            .unwrap()
            .push(format!("begin {}", folders.iter().map(|f| f.display_path()).collect::<Vec<_>>().join(",")));
        Ok(())
    }
    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        self.0.lock().unwrap().push(format!("open {}", folder.display_path()));
        Ok(())
    }
    fn write(&mut self, _item: &Prepared<'_>) -> Result<Written> {
        self.0.lock().unwrap().push("write".into());
        Ok(Written { bytes: 1, ..Written::default() })
    }
    fn close_folder(&mut self) -> Result<()> {
        self.0.lock().unwrap().push("close".into());
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        self.0.lock().unwrap().push("finish".into());
        Ok(())
    }
}

#[test]
fn mail_and_pim_items_of_one_folder_go_to_their_own_writers() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut w = WithPimFiles::new(Box::new(Recorder(log.clone())), dir.path(), opts());
    let inbox = folder(1, &["Inbox"], FolderKind::Mail);
    let cal = folder(2, &["Calendar"], FolderKind::Calendar);
    let empty_cal = folder(3, &["Birthdays"], FolderKind::Calendar);
    assert!(w.accepts(FolderKind::Contacts) && w.accepts(FolderKind::Mail));
    w.begin(&[inbox.clone(), cal.clone(), empty_cal.clone()]).unwrap();
    w.open_folder(&inbox).unwrap();
    w.write(&prepared(Item::Mail(MailItem::new(&b"Subject: x\r\n\r\nbody\r\n"[..])))).unwrap();
    // A contact filed among mail: kept, in a file named after the folder.
    w.write(&prepared(contact("c1", "Filed In Inbox"))).unwrap();
    w.close_folder().unwrap();
    w.open_folder(&cal).unwrap();
    w.write(&prepared(event("e1", "One"))).unwrap();
    // Mail in a calendar folder: the mail folder is made when it comes.
    w.write(&prepared(Item::Mail(MailItem::new(&b"Subject: y\r\n\r\nbody\r\n"[..])))).unwrap();
    w.close_folder().unwrap();
    w.open_folder(&empty_cal).unwrap();
    w.close_folder().unwrap();
    w.finish().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["begin Inbox", "open Inbox", "write", "close", "open Calendar", "write", "close", "finish"]
    );
    assert!(read(&dir.path().join("Inbox.vcf")).contains("FN:Filed In Inbox"));
    assert!(read(&dir.path().join("Calendar.ics")).contains("SUMMARY:One"));
    assert!(!dir.path().join("Birthdays.ics").exists(), "an empty folder makes no file");
}

#[test]
fn two_items_with_one_uid_are_both_kept_and_a_rerun_adds_neither() {
    let dir = tempfile::tempdir().unwrap();
    let cal = folder(1, &["Deleted Items"], FolderKind::Calendar);
    // Two copies of one meeting (same global object id), as an OST keeps them.
    let items = vec![event("040000008200E000", "Meeting"), event("040000008200E000", "Meeting (moved)")];
    let first = run(dir.path(), &[(cal.clone(), items.clone())]);
    assert!(first.iter().all(|w| w.duplicate.is_none()), "{first:?}");
    let path = dir.path().join("Deleted Items.ics");
    let text = read(&path);
    let uids: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with("UID:")).collect();
    assert_eq!(uids.len(), 2);
    assert_ne!(uids[0], uids[1]);
    assert_eq!(uids[0], "UID:040000008200E000");
    let second = run(dir.path(), &[(cal, items)]);
    assert!(second.iter().all(|w| w.duplicate.is_some()), "{second:?}");
    assert_eq!(read(&path), text);
}
