//! Dovecot as the oracle: what `MaildirWriter` writes, `doveadm` must list
//! with the same folder names, message counts, flags, keywords and received
//! dates as `MaildirReader` reads back.
//!
//! How doveadm is run (own config, unprivileged user, listescape) is in
//! `support/doveadm.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mailshift_core::{Flags, Folder, FolderRole, Item, ItemId, ItemMeta, MailItem, Prepared, StoreReader, StoreWriter};
use mailshift_maildir::{Layout, MaildirReader, MaildirWriteOptions, MaildirWriter};

mod common;
#[path = "support/doveadm.rs"]
mod support;

use common::folder;
use support::{dovecot_name, Doveadm};

fn mail(subject: &str, flags: Flags, keywords: &[&str], received: i64) -> Prepared<'static> {
    let raw = format!(
        "From: a@example.org\r\nSubject: {subject}\r\nMessage-ID: <{n}@example.org>\r\n\r\nbody\r\n",
        n = subject.replace(' ', ".")
    );
    let mut m = MailItem::new(raw.into_bytes());
    m.flags = flags;
    m.keywords = keywords.iter().map(|s| s.to_string()).collect();
    m.received = Some(received);
    Prepared::new(Item::Mail(m), ItemMeta { id: ItemId(0, 0), size: None })
}

/// IMAP names for our flags, as doveadm prints them.
fn imap_flags(flags: Flags, keywords: &[String]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = keywords.iter().cloned().collect();
    for (f, name) in [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::DRAFT, "\\Draft"),
    ] {
        if flags.contains(f) {
            out.insert(name.to_string());
        }
    }
    out
}

#[test]
fn doveadm_reads_our_maildir_plus_plus() {
    check_with_doveadm(Layout::MaildirPlusPlus);
}

#[test]
fn doveadm_reads_our_layout_fs() {
    check_with_doveadm(Layout::Fs);
}

/// A store as seen by one reader: folder names (`/`-joined, the root as
/// `INBOX`), message counts, and (folder, subject, sorted flags, received
/// Unix time) per message.
#[derive(Debug, PartialEq)]
struct View {
    names: BTreeSet<String>,
    counts: BTreeMap<String, usize>,
    msgs: BTreeSet<(String, String, String, String)>,
}

fn our_view(reader: &MaildirReader) -> View {
    let mut v = View { names: BTreeSet::new(), counts: BTreeMap::new(), msgs: BTreeSet::new() };
    let folders = reader.folders().expect("folders");
    let inbox = mailshift_core::inbox_name(&folders);
    for f in folders {
        let name = dovecot_name(&f, inbox.as_deref());
        // Two folders Dovecot would see as one (the root and a separate
        // "INBOX") would hide each other's mail.
        assert!(v.names.insert(name.clone()), "two folders read as {name:?}");
        let items = reader.items(f.id).expect("items");
        v.counts.insert(name.clone(), items.len());
        for m in items {
            let Item::Mail(mail) = reader.read(m.id).expect("read") else { panic!("not mail") };
            let subject = mailshift_core::MailInfo::parse(&mail.raw).subject.expect("subject");
            let flags: Vec<String> = imap_flags(mail.flags, &mail.keywords).into_iter().collect();
            let received = mail.received.expect("received").to_string();
            v.msgs.insert((name.clone(), subject, flags.join(" "), received));
        }
    }
    v
}

fn dovecot_view(dove: &Doveadm) -> View {
    let names: BTreeSet<String> = dove.run(&["mailbox", "list"], None).lines().map(str::to_string).collect();
    let (counts, errors) = dove.status(&dove.maildir, dove.layout);
    assert!(errors.is_empty(), "doveadm mailbox status: {errors:#?}");
    let fetched =
        dove.run(&["-f", "tab", "fetch", "mailbox hdr.subject flags date.received.unixtime", "mailbox", "*"], None);
    let mut lines = fetched.lines();
    assert_eq!(lines.next(), Some("mailbox\thdr.subject\tflags\tdate.received.unixtime"));
    let mut msgs = BTreeSet::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "{line:?}");
        // \Recent is session state Dovecot adds to new mail. (Maildir's `P`,
        // forwarded, has no IMAP flag in Dovecot: it shows nothing for it.)
        let flags: BTreeSet<&str> = cols[2].split(' ').filter(|f| !f.is_empty() && *f != "\\Recent").collect();
        let flags: Vec<&str> = flags.into_iter().collect();
        msgs.insert((cols[0].to_string(), cols[1].to_string(), flags.join(" "), cols[3].to_string()));
    }
    View { names, counts, msgs }
}

fn dovecot(home: &Path, maildir: &Path, layout: Layout) -> Option<Doveadm> {
    Doveadm::new(home, maildir, layout)
}

fn check_with_doveadm(layout: Layout) {
    let folders = vec![
        folder(0, &[], FolderRole::Inbox),
        folder(1, &["Entwürfe"], FolderRole::Drafts),
        folder(2, &["Ünïcödé", "Sub"], FolderRole::None),
        folder(3, &["Sent"], FolderRole::Sent),
        folder(4, &["日本語", "Café & Co"], FolderRole::None),
        folder(5, &["v1.2"], FolderRole::None),
    ];
    let Some(ours) = write_and_compare(layout, &folders) else { return };
    assert!(ours.names.contains("Ünïcödé/Sub") && ours.names.contains("v1.2"), "{:?}", ours.names);
    assert!(ours.names.contains("日本語/Café & Co"), "{:?}", ours.names);
    assert!(ours.msgs.iter().any(|(_, _, f, _)| f.contains("Project-X")), "keywords are tested");
}

/// Writes `folders` (a few messages each, with flags and keywords), reads
/// them back, and requires doveadm to see the same folders, counts and
/// messages, with no error. Returns our view, `None` after a skip.
fn write_and_compare(layout: Layout, folders: &[Folder]) -> Option<View> {
    mailshift_testkit::tool("doveadm")?;
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().to_path_buf();
    let maildir = home.join("Maildir");

    let mut w = MaildirWriter::create(&maildir, MaildirWriteOptions { fsync: false, layout }).expect("create");
    w.begin(folders).expect("begin");
    let mut t = 1_500_000_000i64;
    for (i, f) in folders.iter().enumerate() {
        w.open_folder(f).expect("open folder");
        let p = if f.is_root() { "INBOX".to_string() } else { f.display_path() };
        let mut items = vec![
            mail(&format!("{p} seen"), Flags::SEEN, &[], t),
            mail(&format!("{p} unseen"), Flags::empty(), &[], t + 1),
            mail(&format!("{p} replied"), Flags::SEEN | Flags::ANSWERED, &["$Label1"], t + 2),
            mail(
                &format!("{p} all"),
                Flags::SEEN | Flags::ANSWERED | Flags::FLAGGED | Flags::DRAFT | Flags::DELETED | Flags::FORWARDED,
                &["Junk", "$Label1", "Project-X"],
                t + 3,
            ),
        ];
        // Folders of different sizes, keyword-only messages.
        for k in 0..i {
            items.push(mail(&format!("{p} extra {k}"), Flags::empty(), &["NonJunk"], t + 10 + k as i64));
        }
        for it in &items {
            assert!(w.write(it).expect("write").lost.is_empty());
        }
        w.close_folder().expect("close");
        t += 100_000;
    }
    w.finish().expect("finish");
    NOTES.with(|n| *n.borrow_mut() = w.notes());

    let reader = MaildirReader::open(&maildir).expect("open");
    assert_eq!(reader.layout(), layout);
    let ours = our_view(&reader);
    assert_eq!(ours.counts.values().sum::<usize>(), folders.iter().enumerate().map(|(i, _)| 4 + i).sum::<usize>());

    let dove = dovecot(&home, &maildir, layout)?;
    let theirs = dovecot_view(&dove);
    assert_eq!(theirs.names, ours.names, "folder names");
    // Dovecot's status leaves out parents that exist only through their
    // children (\NoSelect); ours are empty folders.
    for (name, n) in &ours.counts {
        match theirs.counts.get(name) {
            Some(d) => assert_eq!(d, n, "message count of {name}"),
            None => assert_eq!(*n, 0, "{name} missing from doveadm's status"),
        }
    }
    assert_eq!(theirs.counts.values().sum::<usize>(), ours.counts.values().sum::<usize>());
    assert_eq!(theirs.msgs, ours.msgs, "messages, flags, keywords and received dates");
    Some(ours)
}

thread_local! {
    /// The writer's notes of the last [`write_and_compare`] on this thread.
    static NOTES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// PST `Inbox/sub1` and Thunderbird `Inbox.sbd/Sub`: children (and
/// grandchildren) of the inbox must be where Dovecot looks for INBOX's
/// children (`.INBOX.sub1`, `INBOX/sub1`), or it lists them and cannot open
/// them (Maildir++) or does not list them at all (`LAYOUT=fs`). A second
/// top-level folder called INBOX in another case is not merged into it.
fn check_inbox_children(layout: Layout) {
    // The inbox by role (PST), with a name Dovecot would not take for INBOX.
    let by_role = vec![
        folder(1, &["Posteingang"], FolderRole::Inbox),
        folder(2, &["Posteingang", "sub1"], FolderRole::None),
        folder(3, &["Posteingang", "sub1", "grand"], FolderRole::None),
        folder(4, &["Posteingang", "b.c"], FolderRole::None),
        folder(5, &["INBOX"], FolderRole::None),
        folder(6, &["inbox", "kid"], FolderRole::None),
        folder(7, &["Sent"], FolderRole::Sent),
    ];
    let Some(ours) = write_and_compare(layout, &by_role) else { return };
    let want =
        ["INBOX", "INBOX/sub1", "INBOX/sub1/grand", "INBOX/b.c", "INBOX (2)", "inbox (3)", "inbox (3)/kid", "Sent"];
    assert_eq!(ours.names, want.iter().map(|s| s.to_string()).collect(), "{layout:?}");
    let notes = NOTES.with(|n| n.borrow().clone());
    assert!(notes.iter().any(|n| n.contains("\"INBOX\"") && n.contains("INBOX (2)")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("inbox (3)")), "{notes:?}");
    // The inbox by name (Thunderbird's `Inbox`, `Inbox.sbd/Sub`), with the root too.
    let by_name = vec![
        folder(0, &[], FolderRole::Inbox),
        folder(1, &["Inbox"], FolderRole::Inbox),
        folder(2, &["Inbox", "Sub"], FolderRole::None),
        folder(3, &["Inbox", "Sub", "Deeper"], FolderRole::None),
    ];
    let Some(ours) = write_and_compare(layout, &by_name) else { return };
    assert_eq!(ours.counts["INBOX"], 4 + 5, "the root and the inbox are one");
    assert_eq!(ours.counts["INBOX/Sub/Deeper"], 4 + 3);
}

#[test]
fn doveadm_opens_children_of_the_inbox_maildir_plus_plus() {
    check_inbox_children(Layout::MaildirPlusPlus);
}

#[test]
fn doveadm_opens_children_of_the_inbox_layout_fs() {
    check_inbox_children(Layout::Fs);
}

/// The other direction: a Maildir that Dovecot wrote (folders, messages,
/// flags, keywords) reads the same with `MaildirReader`.
fn check_dovecot_written(layout: Layout) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().to_path_buf();
    let maildir = home.join("Maildir");
    let Some(dove) = dovecot(&home, &maildir, layout) else { return };
    // INBOX's children are `.INBOX.child` (Maildir++) and `INBOX/child`
    // (LAYOUT=fs, where `INBOX` is a plain directory): children of the
    // inbox for us too, not of a second folder "INBOX".
    for name in ["Entwürfe", "Ünïcödé/Sub", "a.b", "日本語", "Sent", "INBOX/child", "INBOX/child/grand"] {
        dove.run(&["mailbox", "create", name], None);
    }
    let filled = ["INBOX", "Entwürfe", "Ünïcödé/Sub", "a.b", "日本語", "INBOX/child", "INBOX/child/grand"];
    for (i, name) in filled.iter().enumerate() {
        for k in 0..=i {
            let msg = format!("From: d@example.org\nSubject: {name} {k}\nMessage-ID: <{i}.{k}@x>\n\nbody\n");
            dove.run(&["save", "-m", name], Some(&msg));
        }
        dove.run(&["flags", "add", "\\Seen $Label1 Work", "mailbox", name, "1"], None);
        if i > 0 {
            dove.run(&["flags", "add", "\\Answered \\Flagged \\Draft \\Deleted Later", "mailbox", name, "2"], None);
        }
    }
    let theirs = dovecot_view(&dove);
    let reader = MaildirReader::open(&maildir).expect("open");
    assert_eq!(reader.layout(), layout);
    let ours = our_view(&reader);
    assert!(ours.names.contains("a.b") && ours.names.contains("Ünïcödé/Sub"), "{:?}", ours.names);
    assert!(ours.names.contains("INBOX/child/grand"), "{:?}", ours.names);
    assert_eq!(ours.names, theirs.names, "folder names");
    assert_eq!(ours.counts["INBOX"], 1);
    assert_eq!(ours.counts["INBOX/child"], 6);
    assert_eq!(ours.counts["INBOX/child/grand"], 7);
    let folders = reader.folders().expect("folders");
    let inbox = folders.iter().find(|f| f.role == FolderRole::Inbox).expect("an inbox");
    let child = folders.iter().find(|f| f.display_path() == "Inbox/child").expect("Inbox/child");
    assert_eq!(child.parent, Some(inbox.id), "{folders:#?}");
    assert_eq!(ours.msgs, theirs.msgs, "messages, flags, keywords and received dates");
    assert!(ours.msgs.iter().any(|(_, _, f, _)| f == "$Label1 Work \\Seen"), "{:?}", ours.msgs);
    assert!(reader.problems().is_empty(), "{:?}", reader.problems());
}

#[test]
fn we_read_what_doveadm_writes_maildir_plus_plus() {
    check_dovecot_written(Layout::MaildirPlusPlus);
}

#[test]
fn we_read_what_doveadm_writes_layout_fs() {
    check_dovecot_written(Layout::Fs);
}
