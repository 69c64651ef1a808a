//! Writing with `MaildirWriter` and reading back with `MaildirReader`;
//! reading hand-built trees; corrupt inputs.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

mod common;

use common::{folder, mail};
use mailshift_core::{Flags, Folder, FolderId, FolderRole, Item, ItemId, Severity, StoreReader, StoreWriter};
use mailshift_maildir::{Layout, MaildirReader, MaildirWriteOptions, MaildirWriter};

/// What a reader holds: folder path -> [(subject, flags, keywords, received)].
type Dump = BTreeMap<Vec<String>, Vec<(String, Flags, Vec<String>, Option<i64>)>>;

fn dump(r: &MaildirReader) -> Dump {
    let mut out = Dump::new();
    for f in r.folders().unwrap() {
        let mut v = Vec::new();
        for meta in r.items(f.id).unwrap() {
            let Item::Mail(m) = r.read(meta.id).unwrap() else { panic!("not mail") };
            assert_eq!(meta.size, Some(m.raw.len() as u64), "size hint of {}", r.describe(meta.id));
            let info = mailshift_core::MailInfo::parse(&m.raw);
            let mut kw = m.keywords.clone();
            kw.sort();
            v.push((info.subject.unwrap_or_default(), m.flags, kw, m.received));
        }
        out.insert(f.path.clone(), v);
    }
    out
}

/// Writes a store with nested, non-ASCII and escaped names, flags and keywords.
fn write_sample(dir: &Path, layout: Layout) -> Vec<Folder> {
    let folders = vec![
        folder(0, &[], FolderRole::Inbox),
        folder(1, &["Entwürfe"], FolderRole::Drafts),
        folder(2, &["Ünïcödé", "Sub"], FolderRole::None),
        folder(3, &["a.b", "c/d"], FolderRole::None),
        folder(4, &["日本語"], FolderRole::None),
        folder(5, &["cur"], FolderRole::None),
    ];
    let mut w = MaildirWriter::create(dir, MaildirWriteOptions { fsync: true, layout }).unwrap();
    w.begin(&folders).unwrap();
    for f in &folders {
        w.open_folder(f).unwrap();
        let p = if f.is_root() { "INBOX".to_string() } else { f.display_path() };
        let items = [
            mail(&format!("{p} one"), Flags::SEEN, &[], Some(1_000_000_000)),
            mail(&format!("{p} two"), Flags::empty(), &[], Some(1_100_000_000)),
            mail(
                &format!("{p} three"),
                Flags::SEEN | Flags::ANSWERED | Flags::FLAGGED | Flags::DRAFT | Flags::DELETED | Flags::FORWARDED,
                &["Junk", "$Label1"],
                Some(1_200_000_000),
            ),
            mail(&format!("{p} four"), Flags::empty(), &["$Label1"], Some(-86_400)),
        ];
        for it in &items {
            // With fsync each message is taken pending and settled after
            // its batch is durable and in place.
            assert!(w.write(it).unwrap().pending);
        }
        let settled = w.settled(true);
        assert_eq!(settled.len(), items.len());
        for ((_, written), it) in settled.into_iter().zip(&items) {
            let written = written.unwrap();
            assert!(written.lost.is_empty());
            assert_eq!(written.bytes, it.size());
        }
        w.close_folder().unwrap();
    }
    w.finish().unwrap();
    folders
}

fn expected(folders: &[Folder]) -> Dump {
    let mut out = Dump::new();
    for f in folders {
        let p = if f.is_root() { "INBOX".to_string() } else { f.display_path() };
        out.insert(
            f.path.clone(),
            vec![
                (format!("{p} one"), Flags::SEEN, vec![], Some(1_000_000_000)),
                (format!("{p} two"), Flags::empty(), vec![], Some(1_100_000_000)),
                (
                    format!("{p} three"),
                    Flags::SEEN | Flags::ANSWERED | Flags::FLAGGED | Flags::DRAFT | Flags::DELETED | Flags::FORWARDED,
                    vec!["$Label1".to_string(), "Junk".to_string()],
                    Some(1_200_000_000),
                ),
                (format!("{p} four"), Flags::empty(), vec!["$Label1".to_string()], Some(-86_400)),
            ],
        );
    }
    out
}

fn check_round_trip(layout: Layout) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("Maildir");
    let folders = write_sample(&dir, layout);
    let r = MaildirReader::open(&dir).unwrap();
    assert_eq!(r.layout(), layout);
    let mut want = expected(&folders);
    // Parents that only exist through their children.
    want.insert(vec!["Ünïcödé".into()], vec![]);
    want.insert(vec!["a.b".into()], vec![]);
    let got = dump(&r);
    // Items within a folder are ordered by file name time, which is the
    // write time here (same second): compare as sets.
    let sorted = |d: Dump| -> Dump {
        d.into_iter()
            .map(|(k, mut v)| {
                v.sort_by(|a, b| a.0.cmp(&b.0));
                (k, v)
            })
            .collect()
    };
    assert_eq!(sorted(got), sorted(want));

    let fs_list = r.folders().unwrap();
    assert_eq!(fs_list[0].path, Vec::<String>::new());
    assert_eq!(fs_list[0].name, "INBOX");
    assert_eq!(fs_list[0].role, FolderRole::Inbox);
    for f in &fs_list {
        if let Some(p) = f.parent {
            let parent = &fs_list[p.0 as usize];
            assert!(parent.id < f.id, "parents before children");
            assert_eq!(parent.path[..], f.path[..f.path.len() - 1]);
        } else {
            assert!(f.path.len() <= 1);
        }
    }
    let drafts = fs_list.iter().find(|f| f.path == ["Entwürfe"]).unwrap();
    assert_eq!(drafts.name, "Entwürfe");
    assert!(r.problems().is_empty(), "{:?}", r.problems());
}

#[test]
fn round_trip_maildir_plus_plus() {
    check_round_trip(Layout::MaildirPlusPlus);
}

#[test]
fn round_trip_layout_fs() {
    check_round_trip(Layout::Fs);
}

#[test]
fn on_disk_form_maildir_plus_plus() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_sample(dir, Layout::MaildirPlusPlus);
    for d in [".Entw&APw-rfe", ".&ANw-n&AO8-c&APY-d&AOk-.Sub", ".a\\2eb.c\\2fd", ".&ZeVnLIqe-", ".cur"] {
        assert!(dir.join(d).join("cur").is_dir(), "{d}");
        assert!(dir.join(d).join("tmp").is_dir(), "{d}");
        assert!(dir.join(d).join("maildirfolder").is_file(), "{d}");
    }
    assert!(!dir.join("maildirfolder").exists(), "the root is no subfolder");
    // Flags sorted, keywords after them; unflagged mail in new/ without info.
    let cur: Vec<String> =
        fs::read_dir(dir.join("cur")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(cur.len(), 3, "{cur:?}");
    assert!(cur.iter().any(|n| n.ends_with(":2,DFPRSTab")), "{cur:?}");
    assert!(cur.iter().any(|n| n.ends_with(":2,S")), "{cur:?}");
    let four = cur.iter().find(|n| n.ends_with(":2,b")).expect("keyword-only mail in cur/");
    let new: Vec<String> =
        fs::read_dir(dir.join("new")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(new.len(), 1);
    assert!(!new[0].contains(':'));
    let re_ok = |n: &str| {
        let (stamp, rest) = n.split_once(".M").unwrap();
        stamp.parse::<u64>().unwrap();
        assert!(rest.contains('P') && rest.contains('Q') && rest.contains(",S="), "{n}");
    };
    cur.iter().chain(&new).for_each(|n| re_ok(n));
    assert_eq!(fs::read_to_string(dir.join("dovecot-keywords")).unwrap(), "0 Junk\n1 $Label1\n");
    assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0, "tmp/ is left empty");
    // mtime is the received time.
    let unflagged = dir.join("new").join(&new[0]);
    let mtime = fs::metadata(unflagged).unwrap().modified().unwrap();
    assert_eq!(mtime, UNIX_EPOCH + Duration::from_secs(1_100_000_000));
    let mtime = fs::metadata(dir.join("cur").join(four)).unwrap().modified().unwrap();
    assert_eq!(mtime, UNIX_EPOCH.checked_sub(Duration::from_secs(86_400)).unwrap());
}

#[test]
fn inbox_role_goes_to_the_root_and_existing_files_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A second run into the same Maildir appends; keyword numbering is kept.
    for run in 0..2 {
        let inbox = folder(7, &["Inbox"], FolderRole::Inbox);
        let mut w =
            MaildirWriter::create(dir, MaildirWriteOptions { fsync: false, layout: Layout::MaildirPlusPlus }).unwrap();
        w.begin(std::slice::from_ref(&inbox)).unwrap();
        w.open_folder(&inbox).unwrap();
        let kw: &[&str] = if run == 0 { &["first"] } else { &["second", "first"] };
        w.write(&mail(&format!("run {run}"), Flags::SEEN, kw, None)).unwrap();
        w.close_folder().unwrap();
        w.finish().unwrap();
    }
    let r = MaildirReader::open(dir).unwrap();
    let folders = r.folders().unwrap();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let d = dump(&r);
    let items = &d[&Vec::<String>::new()];
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().find(|i| i.0 == "run 1").unwrap().2, ["first", "second"]);
    assert_eq!(fs::read_to_string(dir.join("dovecot-keywords")).unwrap(), "0 first\n1 second\n");
}

#[test]
fn more_than_26_keywords_are_reported_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let root = folder(0, &[], FolderRole::Inbox);
    let mut w =
        MaildirWriter::create(tmp.path(), MaildirWriteOptions { fsync: false, layout: Layout::MaildirPlusPlus })
            .unwrap();
    w.begin(std::slice::from_ref(&root)).unwrap();
    w.open_folder(&root).unwrap();
    let names: Vec<String> = (0..30).map(|i| format!("kw{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).chain(["bad keyword"]).collect();
    let written = w.write(&mail("many", Flags::SEEN, &refs, None)).unwrap();
    assert_eq!(written.lost.len(), 5, "{:?}", written.lost);
    assert!(written.lost.iter().any(|l| l.contains("kw29")));
    assert!(written.lost.iter().any(|l| l.contains("bad keyword")));
    w.close_folder().unwrap();
    w.finish().unwrap();
    let r = MaildirReader::open(tmp.path()).unwrap();
    let items = r.items(FolderId(0)).unwrap();
    let Item::Mail(m) = r.read(items[0].id).unwrap() else { panic!() };
    assert_eq!(m.keywords, names[..26]);
    assert_eq!(m.flags, Flags::SEEN);
}

fn touch(path: &Path, content: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

#[test]
fn hand_built_maildir_plus_plus() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(d.join(sub)).unwrap();
    }
    // Out of order on purpose: items sort by leading timestamp, then name.
    touch(&d.join("cur/1700000300.M1P1.host,S=30:2,RS"), "Subject: c\n\nthird message.\n");
    touch(&d.join("cur/1700000100.M1P1.host:2,Fc"), "Subject: a\n\nfirst\n");
    touch(&d.join("new/1700000200.M1P1.host"), "Subject: b\n\nsecond\n");
    touch(&d.join("tmp/1700000000.M1P1.host"), "Subject: in tmp\n\n");
    touch(&d.join("cur/.hidden"), "Subject: hidden\n\n");
    touch(&d.join("dovecot-keywords"), "0 Junk\nnot a line\n2 $Important\n99 too far\n");
    touch(&d.join(".Sent/cur/1.x:2,S"), "Subject: sent\n\n");
    touch(&d.join(".Sent/maildirfolder"), "");
    touch(&d.join(".Archive.2023/new/5.x"), "Subject: archived\n\n");
    touch(&d.join(".Caf&AOk-.&ZeVnLIqe-/new/6.x"), "Subject: nested\n\n");
    fs::create_dir_all(d.join(".notmuch/xapian")).unwrap(); // not a maildir
    fs::create_dir_all(d.join("courierimapkeywords")).unwrap();

    assert!(MaildirReader::probe(d));
    let r = MaildirReader::open(d).unwrap();
    assert_eq!(r.layout(), Layout::MaildirPlusPlus);
    let folders = r.folders().unwrap();
    let paths: Vec<String> = folders.iter().map(|f| f.display_path()).collect();
    assert_eq!(paths, ["", "Archive", "Archive/2023", "Café", "Café/日本語", "Sent"]);
    assert_eq!(folders[5].role, FolderRole::Sent);
    assert_eq!(folders[2].parent, Some(folders[1].id));
    assert!(r.items(folders[1].id).unwrap().is_empty(), "implied parent is empty");

    let items = r.items(FolderId(0)).unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[2].size, Some(30), "from ,S=");
    assert_eq!(items[0].size, Some(18), "from the file's length");
    let read = |i: usize| match r.read(items[i].id).unwrap() {
        Item::Mail(m) => m,
        _ => panic!(),
    };
    let (a, b, c) = (read(0), read(1), read(2));
    assert_eq!(&a.raw[..], b"Subject: a\n\nfirst\n");
    assert_eq!(a.flags, Flags::FLAGGED);
    assert_eq!(a.keywords, ["$Important"]);
    assert_eq!(b.flags, Flags::empty(), "new/ is unseen");
    assert_eq!(c.flags, Flags::ANSWERED | Flags::SEEN);
    assert!(a.received.is_some());
    assert_eq!(r.describe(items[1].id), "new/1700000200.M1P1.host");
    let nested = r.items(folders[4].id).unwrap();
    assert_eq!(r.describe(nested[0].id), ".Caf&AOk-.&ZeVnLIqe-/new/6.x");
}

#[test]
fn hand_built_layout_fs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    touch(&d.join("cur/1.x:2,S"), "Subject: inbox\n\n");
    fs::create_dir_all(d.join("new")).unwrap();
    touch(&d.join("Work/cur/2.x:2,T"), "Subject: work\n\n");
    touch(&d.join("Work/Projects/new/3.x"), "Subject: project\n\n");
    touch(&d.join("Entw&APw-rfe/cur/4.x:2,DS"), "Subject: draft\n\n");
    touch(&d.join("Deep/er/Still/cur/5.x:2,"), "Subject: deep\n\n");
    let r = MaildirReader::open(d).unwrap();
    assert_eq!(r.layout(), Layout::Fs);
    let d = dump(&r);
    let keys: Vec<String> = d.keys().map(|k| k.join("/")).collect();
    assert_eq!(keys, ["", "Deep", "Deep/er", "Deep/er/Still", "Entwürfe", "Work", "Work/Projects"]);
    assert_eq!(d[&vec!["Entwürfe".to_string()]][0].1, Flags::DRAFT | Flags::SEEN);
    assert_eq!(d[&vec!["Work".to_string()]][0].1, Flags::DELETED);
    assert_eq!(d[&vec!["Deep".to_string(), "er".to_string(), "Still".to_string()]][0].0, "deep");
}

#[test]
fn fs_layout_without_root_maildir_probes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir_all(d.join("INBOX/cur")).unwrap();
    fs::create_dir_all(d.join("INBOX/new")).unwrap();
    assert!(MaildirReader::probe(d));
    assert!(!MaildirReader::probe(&d.join("missing")));
    let empty = tempfile::tempdir().unwrap();
    assert!(!MaildirReader::probe(empty.path()));
}

#[test]
fn vanished_file_is_an_error_for_that_item_only() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    touch(&d.join("cur/1.a:2,S"), "Subject: one\n\n");
    touch(&d.join("cur/2.b:2,S"), "Subject: two\n\n");
    fs::create_dir_all(d.join("new")).unwrap();
    let r = MaildirReader::open(d).unwrap();
    let items = r.items(FolderId(0)).unwrap();
    fs::remove_file(d.join("cur/1.a:2,S")).unwrap();
    let err = r.read(items[0].id).unwrap_err().to_string();
    assert!(err.contains("1.a:2,S"), "{err}");
    assert!(r.read(items[1].id).is_ok());
    // Ids it never handed out are errors, not panics.
    assert!(r.read(ItemId(0, 99)).is_err());
    assert!(r.read(ItemId(42, 0)).is_err());
    assert!(r.items(FolderId(42)).is_err());
    assert_eq!(r.describe(ItemId(42, 1)), "folder 42 item 1");
}

#[test]
fn junk_names_do_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir_all(d.join("new")).unwrap();
    let long = "9".repeat(200);
    let names = [
        format!("{long}.x,S=99999999999999999999999:2,SSSzzz\u{fffd}"),
        "nodigits:2,".into(),
        ":2,S".into(),
        "1.x,S=:2,S".into(),
        "1.x:2,\u{e9}\u{1F600}Q".into(),
        "&".repeat(250),
    ];
    for n in &names {
        touch(&d.join("cur").join(n), "Subject: junk\n\n");
    }
    // Junk folder names: bad mUTF-7, empty components, a file named like a folder.
    touch(&d.join(".&bad/cur/1.x"), "Subject: x\n\n");
    touch(&d.join("..empty/cur/1.x"), "Subject: x\n\n");
    touch(&d.join(".file"), "not a dir");
    let r = MaildirReader::open(d).unwrap();
    let items = r.items(FolderId(0)).unwrap();
    assert_eq!(items.len(), names.len());
    for it in &items {
        let Item::Mail(m) = r.read(it.id).unwrap() else { panic!() };
        assert_eq!(&m.raw[..], b"Subject: junk\n\n");
    }
    // `..empty` has no hierarchy to be had, but its mail is not left out.
    let folders = r.folders().unwrap();
    let paths: Vec<String> = folders.iter().map(|f| f.display_path()).collect();
    assert_eq!(paths, ["", "&bad", ".empty"]);
    assert_eq!(r.items(folders[2].id).unwrap().len(), 1);
    let problems = r.problems();
    assert!(
        problems.iter().any(|p| p.message.contains("modified UTF-7") && p.severity == Severity::Note),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.message.contains("empty name") && p.severity == Severity::Damaged),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.message.contains("keyword letter 'z'")), "{problems:?}");
}

#[cfg(unix)]
#[test]
fn unreadable_directory_fails_that_folder_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    touch(&d.join("cur/1.x:2,S"), "Subject: ok\n\n");
    fs::create_dir_all(d.join("new")).unwrap();
    touch(&d.join(".Locked/cur/1.x:2,S"), "Subject: locked\n\n");
    fs::set_permissions(d.join(".Locked/cur"), fs::Permissions::from_mode(0o000)).unwrap();
    // root ignores permissions: then there is nothing to test.
    let unreadable = fs::read_dir(d.join(".Locked/cur")).is_err();
    let r = MaildirReader::open(d).unwrap();
    let folders = r.folders().unwrap();
    assert_eq!(folders.len(), 2);
    if unreadable {
        let err = r.items(folders[1].id).unwrap_err().to_string();
        assert!(err.contains(".Locked"), "{err}");
    }
    assert_eq!(r.items(folders[0].id).unwrap().len(), 1);
    fs::set_permissions(d.join(".Locked/cur"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn unlistable_cur_fails_that_folder_only() {
    // Works as root too: `cur` is a file, so it cannot be listed.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    touch(&d.join("cur/1.x:2,S"), "Subject: ok\n\n");
    fs::create_dir_all(d.join("new")).unwrap();
    touch(&d.join(".Broken/new/1.x"), "Subject: new\n\n");
    touch(&d.join(".Broken/cur"), "not a directory");
    let r = MaildirReader::open(d).unwrap();
    let folders = r.folders().unwrap();
    assert_eq!(folders[1].path, ["Broken"]);
    let err = r.items(folders[1].id).unwrap_err().to_string();
    assert!(err.contains(".Broken/cur"), "{err}");
    assert_eq!(r.items(folders[0].id).unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn symlink_loop_in_fs_layout_terminates() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    touch(&d.join("cur/1.x:2,S"), "Subject: ok\n\n");
    touch(&d.join("A/cur/1.x:2,S"), "Subject: a\n\n");
    std::os::unix::fs::symlink(d, d.join("A/loop")).unwrap();
    let r = MaildirReader::open(d).unwrap();
    let paths: Vec<String> = r.folders().unwrap().iter().map(|f| f.display_path()).collect();
    assert_eq!(paths, ["", "A"]);
}

#[test]
fn writer_rejects_empty_names_and_non_mail() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = MaildirWriter::create(tmp.path(), MaildirWriteOptions::default()).unwrap();
    let bad = folder(1, &["a", ""], FolderRole::None);
    w.begin(std::slice::from_ref(&bad)).unwrap();
    assert!(w.open_folder(&bad).is_err());
    assert!(w.write(&mail("x", Flags::SEEN, &[], None)).is_err(), "no folder open");
    let long = "x".repeat(300);
    assert!(w.folder_dir(&folder(2, &[&long], FolderRole::None)).is_err());
}

/// With fsync on, messages are made durable and moved into place in
/// batches: every message of a folder larger than a batch must be in
/// `cur/`/`new/` after `close_folder`, in order, with nothing left in `tmp/`.
#[test]
fn fsync_batches_place_every_message() {
    use mailshift_core::{Flags, Item, ItemId, ItemMeta, MailItem, Prepared, StoreReader, StoreWriter};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("md");
    let mut w =
        mailshift_maildir::MaildirWriter::create(&root, mailshift_maildir::MaildirWriteOptions::default()).unwrap();
    let folder = mailshift_core::Folder {
        id: mailshift_core::FolderId(0),
        parent: None,
        path: vec![],
        name: "INBOX".into(),
        kind: mailshift_core::FolderKind::Mail,
        role: mailshift_core::FolderRole::Inbox,
    };
    w.begin(std::slice::from_ref(&folder)).unwrap();
    w.open_folder(&folder).unwrap();
    let n = 1300u64;
    for i in 0..n {
        let mut m = MailItem::new(format!("Subject: {i}\r\n\r\nbody {i}\r\n").into_bytes());
        if i % 2 == 0 {
            m.flags = Flags::SEEN;
        }
        w.write(&Prepared::new(Item::Mail(m), ItemMeta { id: ItemId(i, 0), size: None })).unwrap();
    }
    w.close_folder().unwrap();
    w.finish().unwrap();
    assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    let r = mailshift_maildir::MaildirReader::open(&root).unwrap();
    let f = &r.folders().unwrap()[0];
    let items = r.items(f.id).unwrap();
    assert_eq!(items.len() as u64, n);
    // Reading gives them back in the order written.
    let subjects: Vec<String> = items
        .iter()
        .map(|m| match r.read(m.id).unwrap() {
            Item::Mail(mail) => String::from_utf8_lossy(&mail.raw).lines().next().unwrap().to_string(),
            _ => unreachable!(),
        })
        .collect();
    let expected: Vec<String> = (0..n).map(|i| format!("Subject: {i}")).collect();
    assert_eq!(subjects, expected);
}
