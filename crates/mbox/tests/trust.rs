//! Issue 8 on the mbox side, at the library level: what the tree reader
//! passes over is said, new files and directories are private, appending
//! keeps a file's mode, temporary files have our names and a killed run's
//! are swept, a cancelled run leaves whole messages and no temporary file,
//! and a file that is not mbox is never appended to.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{mbox, read_all, root, write_file, D1};
use mailshift_core::{
    convert, Error, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, NoProgress, Options,
    Prepared, Progress, Severity, StoreReader, StoreWriter,
};
use mailshift_mbox::{MboxReader, MboxWriteOptions, MboxWriter};
use mailshift_testkit::files::{chmod, mode, put};

fn no_fsync() -> MboxWriteOptions {
    MboxWriteOptions { fsync: false, ..MboxWriteOptions::default() }
}

/// Every file name under `d`, recursively, relative to `d`.
fn walk(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![d.to_path_buf()];
    while let Some(x) = stack.pop() {
        for e in std::fs::read_dir(&x).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
            out.push(e.path().strip_prefix(d).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

fn temp_leftovers(d: &Path) -> Vec<String> {
    walk(d).into_iter().filter(|p| p.contains(".mailshift-")).collect()
}

#[test]
fn entries_a_tree_passes_over_are_notes_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    put(d, "Inbox", mbox(&["i1"]).as_bytes());
    put(d, "Inbox.msf", b"// <!-- <mdb:mork:z v=\"1.4\"/> -->");
    put(d, "Contacts.vcf", b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n");
    put(d, "Calendar.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    put(d, ".parentlock", b"");
    put(d, "filterlog.html", b"<html></html>");
    put(d, "blob", b"\x89PNG\r\n\x1a\n not mail");
    std::os::unix::fs::symlink(d.join("Inbox"), d.join("Linked")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    put(elsewhere.path(), "Other", mbox(&["o1"]).as_bytes());
    std::os::unix::fs::symlink(elsewhere.path(), d.join("linkdir")).unwrap();

    let r = MboxReader::open(d).unwrap();
    let paths: Vec<String> = r.folders().unwrap().iter().map(|f| f.display_path()).collect();
    // A symbolic link to a file is read through; one to a directory is not followed.
    assert_eq!(paths, ["Inbox", "Linked"]);
    assert_eq!(read_all(&r).len(), 2);
    let problems = r.problems();
    assert!(problems.iter().all(|p| p.severity == Severity::Note), "{problems:#?}");
    let note = |name: &str, needle: &str| {
        let path = d.join(name).display().to_string();
        assert!(
            problems.iter().any(|p| p.path == path && p.message.contains(needle)),
            "no note on {name} saying {needle:?}: {problems:#?}"
        );
    };
    note("Inbox.msf", "skipped .msf index file Inbox.msf: Thunderbird's summary, not mail");
    note("Contacts.vcf", "skipped Contacts.vcf: a vCard file");
    note("Calendar.ics", "skipped Calendar.ics: an iCalendar file");
    note(".parentlock", "skipped hidden entry .parentlock");
    note("filterlog.html", "skipped filterlog.html: .html files are not mail folders");
    note("blob", "skipped blob: not an mbox file");
    note("linkdir", "skipped linkdir: a symbolic link to a directory, not followed");
    assert_eq!(problems.len(), 7, "{problems:#?}");
}

#[test]
fn new_directories_are_0700_and_new_files_0600() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    put(&src, "A", mbox(&["a1"]).as_bytes());
    put(&src, "A.sbd/B", mbox(&["b1"]).as_bytes());
    put(&src, "Only.sbd/Deep", mbox(&["d1"]).as_bytes());
    let reader = MboxReader::open(&src).unwrap();
    let dst = dir.path().join("new/parent/dst");
    let mut w = MboxWriter::create(&dst, no_fsync()).unwrap();
    let report = convert(&reader, &mut w, None, &Options::default(), &NoProgress).unwrap();
    assert_eq!(report.total.copied, 3);
    for d in
        [dir.path().join("new"), dir.path().join("new/parent"), dst.clone(), dst.join("A.sbd"), dst.join("Only.sbd")]
    {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    // `Only` is the empty file Thunderbird wants beside `Only.sbd`.
    for f in ["A", "A.sbd/B", "Only", "Only.sbd/Deep"] {
        assert_eq!(mode(&dst.join(f)), 0o600, "{f}");
    }

    // A single file in a directory that does not exist yet.
    let single = dir.path().join("x/y/out.mbox");
    write_file(&single, vec![MailItem::new(&b"Subject: s\n\nx\n"[..])], no_fsync());
    assert_eq!((mode(&dir.path().join("x")), mode(&dir.path().join("x/y")), mode(&single)), (0o700, 0o700, 0o600));
}

#[test]
fn appending_keeps_the_mode_of_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "shared.mbox", mbox(&["old"]).as_bytes());
    chmod(&p, 0o640);
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&p).unwrap());
    write_file(&p, vec![MailItem::new(&b"Subject: new\n\nx\n"[..])], MboxWriteOptions::default());
    assert_eq!(mode(&p), 0o640);
    assert_eq!(std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&p).unwrap()), inode, "appended in place");
    assert_eq!(read_all(&MboxReader::open(&p).unwrap()).len(), 2);
}

#[test]
fn temp_files_have_our_names_and_a_dead_runs_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    put(&src, "Inbox", mbox(&["i1"]).as_bytes());
    put(&src, "A", mbox(&["a1"]).as_bytes());
    put(&src, "A.sbd/B", mbox(&["b1"]).as_bytes());
    let dst = dir.path().join("dst");
    // No process has a pid this large (pid_max is at most 2^22).
    let dead = [put(&dst, ".mailshift-4999999-x.tmp", b"half"), put(&dst, "A.sbd/.mailshift-4999998-y.tmp", b"half")];
    let kept = [
        put(&dst, &format!(".mailshift-{}-live.tmp", std::process::id()), b"ours, running"),
        put(&dst, ".mailshift-notes.tmp", b"not our form"),
        put(&dst, "A.sbd/x.tmp", b"somebody else's"),
    ];
    let reader = MboxReader::open(&src).unwrap();
    let mut w = MboxWriter::create(&dst, no_fsync()).unwrap();
    let report = convert(&reader, &mut w, None, &Options::default(), &NoProgress).unwrap();
    assert_eq!(report.total.copied, 3);
    for p in &dead {
        assert!(!p.exists(), "{} left", p.display());
    }
    for p in &kept {
        assert!(p.exists(), "{} removed", p.display());
    }
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    let note = &report.notes[0];
    assert!(note.starts_with("removed 2 stale temporary files of an earlier run: "), "{note}");
    for p in &dead {
        assert!(note.contains(&p.display().to_string()), "{note}");
    }

    // While a folder is open its new messages are in `.mailshift-<pid>-*.tmp`
    // beside the target; closing it leaves none.
    let single = dir.path().join("one.mbox");
    let mut w = MboxWriter::create(&single, no_fsync()).unwrap();
    w.begin(&[root()]).unwrap();
    w.open_folder(&root()).unwrap();
    let item =
        Prepared::new(Item::Mail(MailItem::new(&b"Subject: t\n\nx\n"[..])), ItemMeta { id: ItemId(0, 0), size: None });
    w.write(&item).unwrap();
    let prefix = format!(".mailshift-{}-", std::process::id());
    let temps: Vec<String> =
        walk(dir.path()).into_iter().filter(|n| !n.contains('/') && n.starts_with(&prefix)).collect();
    assert_eq!(temps.len(), 1, "{temps:?}");
    assert!(temps[0].ends_with(".tmp"));
    w.close_folder().unwrap();
    w.finish().unwrap();
    assert!(w.notes().is_empty(), "{:?}", w.notes());
    assert!(temp_leftovers(dir.path()).iter().all(|n| n.contains("live") || n.contains("notes")));
}

/// Stops the run after the first item.
struct CancelAfterOne(Arc<AtomicBool>);
impl Progress for CancelAfterOne {
    fn advance(&self, _n: u64) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn a_cancelled_run_leaves_whole_messages_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    put(&src, "A", mbox(&["a1", "a2", "a3"]).as_bytes());
    put(&src, "B", mbox(&["b1"]).as_bytes());
    let reader = MboxReader::open(&src).unwrap();
    for existing in [false, true] {
        let dst = dir.path().join(format!("dst-{existing}"));
        if existing {
            put(&dst, "A", mbox(&["old"]).as_bytes());
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let opts = Options { cancel: Some(cancel.clone()), batch_bytes: 1, ..Options::default() };
        let mut w = MboxWriter::create(&dst, no_fsync()).unwrap();
        let report = convert(&reader, &mut w, None, &opts, &CancelAfterOne(cancel)).unwrap();
        assert!(report.interrupted);
        assert_eq!(report.total.copied, 1, "{report:?}");
        assert!(temp_leftovers(&dst).is_empty(), "{:?}", temp_leftovers(&dst));
        let back = read_all(&MboxReader::open(&dst.join("A")).unwrap());
        let subjects: Vec<String> = back.iter().map(|m| String::from_utf8_lossy(&m.raw).into_owned()).collect();
        let mut want = vec!["Subject: a1\n\nbody a1\n".to_string()];
        if existing {
            want.insert(0, "Subject: old\n\nbody old\n".into());
        }
        assert_eq!(subjects, want);
        assert!(!dst.join("B").exists());
    }
}

fn folder(path: &[&str], id: u64) -> Folder {
    Folder {
        id: FolderId(id),
        parent: None,
        path: path.iter().map(|s| s.to_string()).collect(),
        name: path.last().copied().unwrap_or("").to_string(),
        kind: FolderKind::Mail,
        role: FolderRole::None,
    }
}

#[test]
fn a_file_that_is_not_mbox_is_never_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    // A PST (its magic), a PDF, a text file: refused, untouched.
    for (name, bytes) in [
        ("archive.pst", &b"!BDN\x0e\x03\x00\x00SM\x17\x00\x01\x01"[..]),
        ("paper.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
        ("notes", b"From here on it is prose.\nNot mail.\n"),
    ] {
        let p = put(dir.path(), name, bytes);
        match MboxWriter::create(&p, no_fsync()) {
            Err(Error::Unsupported { path, reason }) => {
                assert_eq!(path, p);
                assert!(reason.contains("not an mbox file"), "{reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{name} changed");
    }

    // In a tree: the folder's file is checked when the folder is opened.
    let dst = dir.path().join("tree");
    let pdf = put(&dst, "Work", b"%PDF-1.4\n");
    let mut w = MboxWriter::create(&dst, no_fsync()).unwrap();
    let folders = [folder(&["Work"], 1), folder(&["Fine"], 2)];
    w.begin(&folders).unwrap();
    match w.open_folder(&folders[0]) {
        Err(Error::Unsupported { path, reason }) => {
            assert_eq!(path, pdf);
            assert!(reason.contains("not an mbox file"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    w.open_folder(&folders[1]).unwrap();
    w.finish().unwrap();
    assert_eq!(std::fs::read(&pdf).unwrap(), b"%PDF-1.4\n");
    assert!(temp_leftovers(&dst).is_empty());

    // Empty files and mbox files are appended to.
    let empty = put(dir.path(), "empty.mbox", b"");
    write_file(&empty, vec![MailItem::new(&b"Subject: e\n\nx\n"[..])], no_fsync());
    assert_eq!(read_all(&MboxReader::open(&empty).unwrap()).len(), 1);
    let headless =
        put(dir.path(), "headless", format!("Subject: h\n\nx\n\nFrom a@x {D1}\nSubject: i\n\ny\n\n").as_bytes());
    write_file(&headless, vec![MailItem::new(&b"Subject: e\n\nx\n"[..])], no_fsync());
    assert_eq!(read_all(&MboxReader::open(&headless).unwrap()).len(), 3);
}
