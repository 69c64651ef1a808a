//! Thunderbird trees, both ways, and appending.

mod common;

use std::path::Path;

use common::{mbox, read_all, write_file, D1};
use mailshift_core::{convert, FolderRole, MailItem, NoProgress, Options, StoreReader, StoreWriter};
use mailshift_mbox::{MboxFormat, MboxReader, MboxWriteOptions, MboxWriter};
use mailshift_testkit::files::put;

#[test]
fn reads_thunderbird_tree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    put(d, "Inbox", mbox(&["i1", "i2"]));
    put(d, "Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->");
    put(d, "Inbox.sbd/Child", mbox(&["c1"]));
    put(d, "Inbox.sbd/Child.msf", "");
    put(d, "Foo.mbox", mbox(&["f1"]));
    put(d, "Foo.mbox.sbd/Bar.mbox", mbox(&["b1", "b2", "b3"]));
    put(d, "Orphan.sbd/Kid", mbox(&["k1"]));
    put(d, "Trash", "");
    put(d, "Trash.msf", "");
    put(d, "filterlog.html", "<html>From a@x Mon Jan  1 00:00:00 2001</html>");
    put(d, "popstate.dat", "# POP3 State File");
    put(d, "notes.txt", mbox(&["not a folder"]));

    let r = MboxReader::open(d).unwrap();
    let folders = r.folders().unwrap();
    let paths: Vec<String> = folders.iter().map(|f| f.display_path()).collect();
    assert_eq!(paths, ["Foo", "Foo/Bar", "Inbox", "Inbox/Child", "Orphan", "Orphan/Kid", "Trash"]);
    for f in &folders {
        if let Some(p) = f.parent {
            let parent = folders.iter().position(|x| x.id == p).unwrap();
            let me = folders.iter().position(|x| x.id == f.id).unwrap();
            assert!(parent < me, "parents before children");
            assert_eq!(folders[parent].path[..], f.path[..f.path.len() - 1]);
        } else {
            assert_eq!(f.path.len(), 1);
        }
    }
    let count = |path: &str| {
        let f = folders.iter().find(|f| f.display_path() == path).unwrap();
        r.items(f.id).unwrap().len()
    };
    assert_eq!(
        ["Foo", "Foo/Bar", "Inbox", "Inbox/Child", "Orphan", "Orphan/Kid", "Trash"].map(count),
        [1, 3, 2, 1, 0, 1, 0]
    );
    assert_eq!(folders.iter().find(|f| f.name == "Inbox").unwrap().role, FolderRole::Inbox);
    assert_eq!(folders.iter().find(|f| f.name == "Trash").unwrap().role, FolderRole::Trash);
    let msgs = read_all(&r);
    assert_eq!(msgs.len(), 8);
    assert!(msgs.iter().any(|m| m.raw == b"Subject: b3\n\nbody b3\n"));
}

#[test]
fn writes_thunderbird_tree_and_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    put(&src, "INBOX", mbox(&["i1"]));
    put(&src, "A", mbox(&["a1", "a2"]));
    put(&src, "A.sbd/B", mbox(&["b1"]));
    put(&src, "Only.sbd/Deep", mbox(&["d1"]));
    let reader = MboxReader::open(&src).unwrap();
    let dst = dir.path().join("dst");
    let mut w = MboxWriter::create(&dst, MboxWriteOptions { format: MboxFormat::Mboxrd, fsync: false }).unwrap();
    let report = convert(&reader, &mut w, None, &Options::default(), &NoProgress).unwrap();
    assert_eq!(report.total.copied, 5);
    for rel in ["INBOX", "A", "A.sbd/B", "Only", "Only.sbd/Deep"] {
        assert!(dst.join(rel).is_file(), "{rel}");
    }
    assert_eq!(std::fs::read(dst.join("A.sbd/B")).unwrap(), mbox(&["b1"]).as_bytes());
    assert_eq!(std::fs::read(dst.join("A")).unwrap(), mbox(&["a1", "a2"]).as_bytes());
    // No temporary files left behind.
    let leftovers: Vec<_> = walk(&dst).into_iter().filter(|p| p.contains(".mailshift-")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let back = MboxReader::open(&dst).unwrap();
    let paths: Vec<String> = back.folders().unwrap().iter().map(|f| f.display_path()).collect();
    assert_eq!(paths, ["A", "A/B", "INBOX", "Only", "Only/Deep"]);
    assert_eq!(read_all(&back).len(), 5);
}

fn walk(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[test]
fn root_goes_to_inbox_and_names_are_made_safe() {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("dst");
    let folder = |path: &[&str], id: u64| mailshift_core::Folder {
        id: mailshift_core::FolderId(id),
        parent: None,
        path: path.iter().map(|s| s.to_string()).collect(),
        name: path.last().copied().unwrap_or("root").to_string(),
        kind: mailshift_core::FolderKind::Mail,
        role: FolderRole::guess(path.last().copied().unwrap_or("")),
    };
    let folders = [folder(&[], 0), folder(&["a/b"], 1), folder(&["a_b"], 2), folder(&[".."], 3), folder(&["x.msf"], 4)];
    let mut w = MboxWriter::create(&dst, MboxWriteOptions { format: MboxFormat::Mboxrd, fsync: true }).unwrap();
    w.begin(&folders).unwrap();
    for f in &folders {
        w.open_folder(f).unwrap();
        let raw = format!("Subject: {}\n\nx\n", f.display_path());
        let p = mailshift_core::Prepared::new(
            mailshift_core::Item::Mail(MailItem::new(raw.into_bytes())),
            mailshift_core::ItemMeta { id: mailshift_core::ItemId(0, 0), size: None },
        );
        w.write(&p).unwrap();
        w.close_folder().unwrap();
    }
    w.finish().unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(&dst).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["Inbox", "_..", "a_b", "a_b~2", "x.msf_"]);
    let inbox = std::fs::read_to_string(dst.join("Inbox")).unwrap();
    // No flags and no Status field: the message is written untouched.
    assert_eq!(inbox, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: \n\nx\n\n");
}

#[test]
fn appends_to_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.mbox");
    // An existing file whose last message lacks the framing empty line.
    std::fs::write(&p, format!("From old@x {D1}\nSubject: old\n\nold")).unwrap();
    let item = || {
        let mut m = MailItem::new(&b"Subject: new\n\nFrom me\n"[..]);
        m.mbox_from_line = Some(format!("new@x {D1}").into_bytes().into());
        m
    };
    write_file(&p, vec![item()], MboxWriteOptions::default());
    write_file(&p, vec![item()], MboxWriteOptions { format: MboxFormat::Mboxo, fsync: false });
    let text = std::fs::read_to_string(&p).unwrap();
    let new = format!("From new@x {D1}\nSubject: new\n\n>From me\n\n");
    assert_eq!(text, format!("From old@x {D1}\nSubject: old\n\nold\n\n{new}{new}"));
    let r = MboxReader::open(&p).unwrap();
    let msgs = read_all(&r);
    assert_eq!(msgs.len(), 3);
    // Completing the old last message's line is the one change to the old bytes.
    assert_eq!(msgs[0].raw, b"Subject: old\n\nold\n");
    assert_eq!(msgs[2].raw, b"Subject: new\n\nFrom me\n");
}

#[test]
fn mboxo_loses_literal_gt_from_and_mboxrd_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let raw = &b"Subject: q\n\nFrom a\n>From b\n>>From c\n"[..];
    for (fmt, expect) in [
        (MboxFormat::Mboxrd, &b"Subject: q\n\nFrom a\n>From b\n>>From c\n"[..]),
        (MboxFormat::Mboxo, &b"Subject: q\n\nFrom a\nFrom b\n>From c\n"[..]),
    ] {
        let p = dir.path().join(format!("{fmt:?}"));
        write_file(&p, vec![MailItem::new(raw)], MboxWriteOptions { format: fmt, fsync: false });
        let msgs = read_all(&MboxReader::open(&p).unwrap());
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].raw, expect, "{fmt:?}");
    }
}

#[test]
fn crlf_messages_get_crlf_framing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crlf.mbox");
    let mut m = MailItem::new(&b"Subject: c\r\n\r\nno final newline"[..]);
    m.received = Some(978_307_200);
    write_file(&p, vec![m], MboxWriteOptions::default());
    assert_eq!(
        std::fs::read(&p).unwrap(),
        format!("From MAILER-DAEMON {D1}\r\nSubject: c\r\n\r\nno final newline\r\n\r\n").as_bytes()
    );
}
