//! Issue 8 at the library level: where the inbox's children go, private
//! modes, temporary files (named, swept, never left behind), and reading
//! that leaves the source as it was.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

mod common;

use common::{folder, mail};
use mailshift_core::{convert, Flags, Folder, FolderId, FolderRole, Item, Options, Progress, StoreReader, StoreWriter};
use mailshift_maildir::{Layout, MaildirReader, MaildirWriteOptions, MaildirWriter};

fn writer(dir: &Path, layout: Layout, fsync: bool) -> MaildirWriter {
    MaildirWriter::create(dir, MaildirWriteOptions { fsync, layout }).expect("create")
}

/// Writes `folders`, one message each (flagged and with a keyword, so that
/// `cur/` and `dovecot-keywords` are written too); returns the notes.
fn write_all(dir: &Path, layout: Layout, folders: &[Folder]) -> Vec<String> {
    let mut w = writer(dir, layout, false);
    w.begin(folders).expect("begin");
    for f in folders {
        w.open_folder(f).expect("open");
        w.write(&mail(&format!("in {}", f.display_path()), Flags::SEEN, &["Work"], None)).expect("write");
        w.write(&mail(&format!("new in {}", f.display_path()), Flags::empty(), &[], None)).expect("write");
        w.close_folder().expect("close");
    }
    w.finish().expect("finish");
    // As the converter reports them: the sweep as one note, then the rest.
    let swept = w.swept();
    let mut notes = w.notes();
    if !swept.is_empty() {
        notes.insert(0, mailshift_core::fsio::stale_note(&swept));
    }
    notes
}

/// A Maildir at `dir` whose inbox holds `messages` (a conversion's source).
fn inbox_source<'a>(dir: &Path, messages: impl IntoIterator<Item = mailshift_core::Prepared<'a>>) {
    let mut w = writer(dir, Layout::MaildirPlusPlus, false);
    let root = folder(0, &[], FolderRole::Inbox);
    w.begin(std::slice::from_ref(&root)).expect("begin");
    w.open_folder(&root).expect("open");
    for m in messages {
        w.write(&m).expect("write");
    }
    w.finish().expect("finish");
}

/// Names of the files in `dir` that are temporary files of ours.
fn our_temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| mailshift_core::fsio::temp_owner(n).is_some())
        .collect()
}

/// PST `Inbox/sub1` was written as `.Inbox.sub1`, which Dovecot lists as
/// `INBOX/sub1` and cannot open; a second top-level `INBOX` was merged into
/// the inbox without a word.
#[test]
fn inbox_children_are_written_where_dovecot_keeps_them() {
    let folders = [
        folder(1, &["Inbox"], FolderRole::Inbox),
        folder(2, &["Inbox", "sub1"], FolderRole::None),
        folder(3, &["Inbox", "sub1", "grand"], FolderRole::None),
        folder(4, &["INBOX"], FolderRole::None),
        folder(5, &["Sent"], FolderRole::Sent),
    ];
    for (layout, dirs) in [
        (Layout::MaildirPlusPlus, [".INBOX.sub1", ".INBOX.sub1.grand", ".INBOX (2)", ".Sent"]),
        (Layout::Fs, ["INBOX/sub1", "INBOX/sub1/grand", "INBOX (2)", "Sent"]),
    ] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let notes = write_all(tmp.path(), layout, &folders);
        for d in dirs {
            assert!(tmp.path().join(d).join("cur").is_dir(), "{layout:?}: {d}");
        }
        assert!(!tmp.path().join(".Inbox.sub1").exists() && !tmp.path().join("Inbox").exists());
        assert_eq!(
            notes,
            ["folder \"INBOX\" written as \"INBOX (2)\": Dovecot takes a top-level folder of that name, in any case, \
              for the inbox"]
        );
        // Read back: the inbox (the root maildir) is `Inbox`, as clients
        // name it, the parent of its children.
        let r = MaildirReader::open(tmp.path()).expect("open");
        let read = r.folders().expect("folders");
        let paths: Vec<String> = read.iter().map(|f| f.display_path()).collect();
        assert_eq!(paths, ["Inbox", "Inbox/sub1", "Inbox/sub1/grand", "INBOX (2)", "Sent"], "{layout:?}");
        assert_eq!(read[0].role, FolderRole::Inbox);
        assert_eq!(read[1].parent, Some(read[0].id));
        assert_eq!(read[2].parent, Some(read[1].id));
        assert_eq!(r.items(read[0].id).expect("items").len(), 2);
        assert!(r.problems().is_empty(), "{:?}", r.problems());
    }
}

/// A tree whose inbox has no children reads as before: the root folder.
#[test]
fn an_inbox_without_children_is_still_the_root() {
    let tmp = tempfile::tempdir().expect("temp dir");
    write_all(
        tmp.path(),
        Layout::MaildirPlusPlus,
        &[folder(0, &[], FolderRole::Inbox), folder(1, &["A"], FolderRole::None)],
    );
    let r = MaildirReader::open(tmp.path()).expect("open");
    let paths: Vec<String> = r.folders().expect("folders").iter().map(|f| f.display_path()).collect();
    assert_eq!(paths, ["", "A"]);
}

/// Our old `.Inbox.sub` reads as a child of the inbox too (Dovecot lists
/// it so); where it would clash with Dovecot's own `.INBOX.sub` it keeps
/// its own name, and two directories that decode to one name are both read.
#[test]
fn other_spellings_of_inbox_children_and_name_clashes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    for (dir, n) in [("", 1), (".Inbox.old", 2), (".&AOk-", 3), (".\u{e9}", 4)] {
        for k in 0..n {
            let p = d.join(dir).join("new").join(format!("{k}.x"));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, format!("Subject: {dir} {k}\n\n")).unwrap();
        }
    }
    let r = MaildirReader::open(d).expect("open");
    let folders = r.folders().expect("folders");
    let got: Vec<(String, usize)> =
        folders.iter().map(|f| (f.display_path(), r.items(f.id).expect("items").len())).collect();
    let want = [("Inbox", 1), ("Inbox/old", 2), ("é", 3), ("é (2)", 4)];
    assert_eq!(got, want.map(|(p, n)| (p.to_string(), n)));

    // Both spellings: Dovecot's wins the name, ours keeps its own.
    let p = d.join(".INBOX.old/cur/9.x");
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, "Subject: dovecot's\n\n").unwrap();
    let r = MaildirReader::open(d).expect("open");
    let folders = r.folders().expect("folders");
    let got: Vec<(String, usize)> =
        folders.iter().map(|f| (f.display_path(), r.items(f.id).expect("items").len())).collect();
    let want = [("INBOX", 1), ("INBOX/old", 1), ("Inbox", 0), ("Inbox/old", 2), ("é", 3), ("é (2)", 4)];
    assert_eq!(got, want.map(|(p, n)| (p.to_string(), n)));
}

/// Every file the writer makes is 0600 and every directory 0700; a
/// directory that was there keeps its mode, and so does a `dovecot-keywords`
/// it rewrites.
#[test]
fn new_files_and_directories_are_private() {
    for layout in [Layout::MaildirPlusPlus, Layout::Fs] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("target");
        fs::create_dir(&dir).expect("mkdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        let folders = [
            folder(0, &[], FolderRole::Inbox),
            folder(1, &["A", "B"], FolderRole::None),
            folder(2, &["Inbox", "c"], FolderRole::None),
        ];
        write_all(&dir, layout, &folders);
        let mut seen = (0, 0);
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            let mode = fs::metadata(&d).expect("stat").permissions().mode() & 0o7777;
            assert_eq!(mode, if d == dir { 0o755 } else { 0o700 }, "{}", d.display());
            seen.1 += 1;
            for e in fs::read_dir(&d).expect("list") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    assert_eq!(fs::metadata(&p).expect("stat").permissions().mode() & 0o7777, 0o600, "{}", p.display());
                    seen.0 += 1;
                }
            }
        }
        // 6 messages, 3 keyword maps (+ 2 maildirfolder markers in Maildir++).
        assert!(seen.0 >= 9 && seen.1 >= 10, "{seen:?}");
        // A keyword map of another mode (Dovecot's) keeps it when rewritten.
        let kw = dir.join("dovecot-keywords");
        fs::set_permissions(&kw, fs::Permissions::from_mode(0o640)).expect("chmod");
        let mut w = writer(&dir, layout, false);
        w.begin(&folders[..1]).expect("begin");
        w.open_folder(&folders[0]).expect("open");
        w.write(&mail("another", Flags::SEEN, &["Other"], None)).expect("write");
        w.finish().expect("finish");
        assert_eq!(fs::read_to_string(&kw).expect("read"), "0 Work\n1 Other\n");
        assert_eq!(fs::metadata(&kw).expect("stat").permissions().mode() & 0o7777, 0o640);
    }
}

/// Temporary files of a run that is gone (`.mailshift-<dead pid>-….tmp`)
/// are removed from each `tmp/` the writer writes to, and noted; a live
/// process's and other names are left alone.
#[test]
fn stale_temp_files_of_a_dead_run_are_swept_and_noted() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    for sub in ["tmp", ".A/tmp", ".B/tmp"] {
        fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    // No process has a pid this large (pid_max is at most 2^22).
    let dead = [d.join("tmp/.mailshift-4999999-1.tmp"), d.join(".A/tmp/.mailshift-4999998-keywords-2.tmp")];
    let live = d.join(format!("tmp/.mailshift-{}-1.tmp", std::process::id()));
    let other = d.join("tmp/1700000000.M1P4999999Q1.host");
    // In a folder this run does not write to: not touched.
    let elsewhere = d.join(".B/tmp/.mailshift-4999999-3.tmp");
    for p in dead.iter().chain([&live, &other, &elsewhere]) {
        fs::write(p, b"partial").expect("plant");
    }
    let notes = write_all(
        d,
        Layout::MaildirPlusPlus,
        &[folder(0, &[], FolderRole::Inbox), folder(1, &["A"], FolderRole::None)],
    );
    for p in &dead {
        assert!(!p.exists(), "{}", p.display());
    }
    assert!(live.exists() && other.exists() && elsewhere.exists());
    let list = dead.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    assert_eq!(notes, [format!("removed 2 stale temporary files of an earlier run: {list}")]);
    // What this run wrote is all in place.
    assert_eq!(our_temp_files(&d.join(".A/tmp")), Vec::<String>::new());
}

/// Counts items and cancels the run after `after` of them.
struct CancelAfter {
    flag: Arc<AtomicBool>,
    done: AtomicU64,
    after: u64,
}

impl Progress for CancelAfter {
    fn advance(&self, n: u64) {
        if self.done.fetch_add(n, Ordering::Relaxed) + n >= self.after {
            self.flag.store(true, Ordering::Relaxed);
        }
    }
}

/// A conversion cancelled in the middle of a folder (with fsync, so that
/// messages wait in `tmp/` for their batch): what was counted as copied is
/// in place, whole, and nothing of ours is left in `tmp/`.
#[test]
fn cancelled_conversion_leaves_no_temp_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let src = tmp.path().join("src");
    inbox_source(
        &src,
        (0..40).map(|i| mail(&format!("m{i}"), if i % 2 == 0 { Flags::SEEN } else { Flags::empty() }, &[], None)),
    );

    let source = MaildirReader::open(&src).expect("open");
    let dst = tmp.path().join("dst");
    let mut target = writer(&dst, Layout::MaildirPlusPlus, true);
    let flag = Arc::new(AtomicBool::new(false));
    let opts = Options { cancel: Some(flag.clone()), ..Options::default() };
    let progress = CancelAfter { flag, done: AtomicU64::new(0), after: 7 };
    let report = convert(&source, &mut target, None, &opts, &progress).expect("convert");
    assert!(report.interrupted);
    let copied = report.total.copied;
    assert!((7..40).contains(&copied), "{copied}");
    assert_eq!(our_temp_files(&dst.join("tmp")), Vec::<String>::new());
    let r = MaildirReader::open(&dst).expect("open");
    let items = r.items(FolderId(0)).expect("items");
    assert_eq!(items.len() as u64, copied);
    for it in items {
        let Item::Mail(m) = r.read(it.id).expect("read") else { panic!("not mail") };
        assert!(m.raw.ends_with(b"\r\n") && m.raw.starts_with(b"Subject: m"));
    }
}

/// A batch that cannot be moved into place is removed from `tmp/` and each
/// of its messages fails (none is counted as copied); a writer dropped
/// without `finish` places what it holds.
#[test]
fn unplaceable_batch_and_dropped_writer_leave_no_temp_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let root = folder(0, &[], FolderRole::Inbox);
    let mut w = writer(d, Layout::MaildirPlusPlus, true);
    w.begin(std::slice::from_ref(&root)).expect("begin");
    w.open_folder(&root).expect("open");
    for i in 0..3 {
        w.write(&mail(&format!("m{i}"), Flags::SEEN, &[], None)).expect("write");
    }
    assert_eq!(our_temp_files(&d.join("tmp")).len(), 3, "waiting for their batch");
    // cur/ gone: link(2) fails.
    fs::rename(d.join("cur"), d.join("cur.away")).expect("rename");
    let settled = w.settled(true);
    assert_eq!(settled.len(), 3);
    for (_, r) in &settled {
        let err = r.as_ref().expect_err("the batch cannot be placed").to_string();
        assert!(err.contains("cur"), "{err}");
    }
    assert_eq!(our_temp_files(&d.join("tmp")), Vec::<String>::new());
    fs::rename(d.join("cur.away"), d.join("cur")).expect("rename");
    w.close_folder().expect("nothing left to place");
    drop(w);

    let mut w = writer(d, Layout::MaildirPlusPlus, true);
    w.begin(std::slice::from_ref(&root)).expect("begin");
    w.open_folder(&root).expect("open");
    w.write(&mail("kept", Flags::SEEN, &[], None)).expect("write");
    w.write(&mail("kept too", Flags::empty(), &[], None)).expect("write");
    drop(w);
    assert_eq!(our_temp_files(&d.join("tmp")), Vec::<String>::new());
    assert_eq!(fs::read_dir(d.join("cur")).expect("list").count(), 1);
    assert_eq!(fs::read_dir(d.join("new")).expect("list").count(), 1);
}

fn atime(p: &Path) -> i64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(p).expect("stat").atime()
}

fn set_atime(p: &Path, secs: u64) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    fs::File::options()
        .write(true)
        .open(p)
        .expect("open")
        .set_times(fs::FileTimes::new().set_accessed(t))
        .expect("set atime");
}

/// Reading a message (and the keyword map) leaves its access time as it was
/// (`O_NOATIME` through `fsio::open_source`).
#[test]
fn reading_leaves_access_times_alone() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    write_all(d, Layout::MaildirPlusPlus, &[folder(0, &[], FolderRole::Inbox)]);
    let msg = fs::read_dir(d.join("cur")).expect("list").next().expect("a message").expect("entry").path();
    let kw = d.join("dovecot-keywords");
    // An access time two days old, before the mtime: relatime updates it
    // on a plain read.
    let old = 1_000_000_000;
    let control = d.join("control");
    fs::write(&control, b"x").expect("write");
    for p in [&msg, &kw, &control] {
        set_atime(p, old);
    }
    let _ = fs::read(&control).expect("read");
    if atime(&control) == old as i64 {
        mailshift_testkit::skip("this file system does not update access times (noatime): nothing to test");
        return;
    }
    let r = MaildirReader::open(d).expect("open");
    let items = r.items(FolderId(0)).expect("items");
    let Item::Mail(m) = r.read(items[0].id).expect("read") else { panic!("not mail") };
    assert_eq!(m.keywords, ["Work"]);
    assert_eq!(atime(&msg), old as i64, "the message's access time");
    assert_eq!(atime(&kw), old as i64, "dovecot-keywords' access time");
}

/// Outlook categories are not IMAP atoms ("Green Category", "Geschäftlich"):
/// they are written as atoms the way Thunderbird makes tag keys, listed as
/// not kept in their spelling, and never a loss (exit 1 on every Outlook
/// export with categories, before).
#[test]
fn outlook_categories_become_imap_keywords() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut w = writer(tmp.path(), Layout::MaildirPlusPlus, false);
    let root = folder(0, &[], FolderRole::Inbox);
    w.begin(std::slice::from_ref(&root)).expect("begin");
    w.open_folder(&root).expect("open");
    let written =
        w.write(&mail("cats", Flags::SEEN, &["Green Category", "Geschäftlich", "Work"], None)).expect("write");
    w.close_folder().expect("close");
    w.finish().expect("finish");
    assert!(written.lost.is_empty(), "{:?}", written.lost);
    assert_eq!(
        written.not_kept,
        [
            "keyword \"Green Category\" written as \"Green_Category\" (IMAP keywords are ASCII atoms)",
            "keyword \"Geschäftlich\" written as \"Gesch&AOQ-ftlich\" (IMAP keywords are ASCII atoms)"
        ]
    );
    let r = MaildirReader::open(tmp.path()).expect("open");
    let f = &r.folders().expect("folders")[0];
    let items = r.items(f.id).expect("items");
    let Item::Mail(m) = r.read(items[0].id).expect("read") else { panic!("mail") };
    assert_eq!(m.keywords, ["Green_Category", "Gesch&AOQ-ftlich", "Work"]);
}

/// With fsync, a message that cannot be moved into place when its batch is
/// settled fails alone, by its id: the others of the batch are placed, and
/// nothing is left in `tmp/`. (Earlier the whole folder failed, so that
/// messages already in place were counted as failed.)
#[test]
fn a_message_that_cannot_be_placed_fails_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("out");
    let folders = [folder(1, &["Inbox"], FolderRole::Inbox)];
    let mut w = writer(&root, Layout::MaildirPlusPlus, true);
    w.begin(&folders).expect("begin");
    w.open_folder(&folders[0]).expect("open");
    let mut items = [
        mail("new one", Flags::empty(), &[], None),
        mail("seen", Flags::SEEN, &[], None),
        mail("new two", Flags::empty(), &[], None),
    ];
    for (i, it) in items.iter_mut().enumerate() {
        it.meta.id = mailshift_core::ItemId(1, i as u64);
        assert!(w.write(it).expect("write").pending, "with fsync, placed once its batch is durable");
    }
    // Nothing is in place before the batch is settled.
    assert_eq!(fs::read_dir(root.join("new")).expect("new").count(), 0);
    // cur/ is gone: the seen message has nowhere to go.
    fs::remove_dir(root.join("cur")).expect("rmdir cur");
    fs::write(root.join("cur"), b"not a directory").expect("file in its place");
    let settled = w.settled(true);
    let outcome: Vec<(u64, bool)> = settled.iter().map(|(id, r)| (id.1, r.is_ok())).collect();
    assert_eq!(outcome, [(0, true), (1, false), (2, true)]);
    let err = settled[1].1.as_ref().expect_err("the seen message").to_string();
    assert!(err.contains("cur"), "the error names where it could not go: {err}");
    assert_eq!(fs::read_dir(root.join("new")).expect("new").count(), 2);
    assert!(our_temp_files(&root.join("tmp")).is_empty(), "nothing left in tmp/");
    fs::remove_file(root.join("cur")).expect("rm");
    fs::create_dir(root.join("cur")).expect("mkdir");
    w.close_folder().expect("close");
    w.finish().expect("finish");
    assert!(w.settled(true).is_empty());
}

/// With --dedup and fsync (messages taken pending until their batch is
/// durable), a message's second copy in the same batch is a duplicate:
/// its key is claimed when the first is taken, not when that one settles.
/// (The batch test's rerun found a message twice in its target.)
#[test]
fn dedup_with_fsync_writes_each_message_once() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let src = tmp.path().join("src");
    // m0..m9, each twice (the same Message-ID), m0 a third time.
    inbox_source(&src, (0..10).chain(0..10).chain(0..1).map(|i| mail(&format!("m{i}"), Flags::empty(), &[], None)));

    let source = MaildirReader::open(&src).expect("open");
    let dst = tmp.path().join("dst");
    let mut target = writer(&dst, Layout::MaildirPlusPlus, true);
    let opts = Options { dedup: true, ..Options::default() };
    let report = convert(&source, &mut target, None, &opts, &mailshift_core::NoProgress).expect("convert");
    drop(target);
    assert_eq!((report.total.copied, report.total.skipped_duplicate), (10, 11));
    let r = MaildirReader::open(&dst).expect("open");
    let mut subjects: Vec<String> = r
        .items(FolderId(0))
        .expect("items")
        .into_iter()
        .map(|it| {
            let Item::Mail(m) = r.read(it.id).expect("read") else { panic!("not mail") };
            String::from_utf8_lossy(&m.raw).lines().next().expect("line").to_string()
        })
        .collect();
    subjects.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("Subject: m{i}")).collect();
    want.sort();
    assert_eq!(subjects, want);
}
