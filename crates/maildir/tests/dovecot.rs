//! Dovecot as the oracle: what `MaildirWriter` writes, `doveadm` must list
//! with the same folder names, message counts, flags, keywords and received
//! dates as `MaildirReader` reads back.
//!
//! doveadm refuses to run as root, so as root the test runs it as a system
//! user `mailshift-test` (created if missing) through `runuser`. Dovecot
//! runs with a config file of its own in the temp dir (no server, no
//! /etc/dovecot), in-memory indexes, and the listescape plugin with `/` as
//! the separator, so that a folder name holding a `.` reads back.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use mailshift_core::{
    Flags, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, Prepared, StoreReader,
    StoreWriter,
};
use mailshift_maildir::{Layout, MaildirReader, MaildirWriteOptions, MaildirWriter};

const TEST_USER: &str = "mailshift-test";

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// As root: makes sure the unprivileged user exists, and gives it `dir`.
fn prepare_user(dir: &Path) -> bool {
    let exists = Command::new("id").arg(TEST_USER).output().is_ok_and(|o| o.status.success());
    if !exists {
        let made = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER])
            .status()
            .is_ok_and(|s| s.success());
        // Another test process may have created it meanwhile.
        let exists = Command::new("id").arg(TEST_USER).output().is_ok_and(|o| o.status.success());
        if !made && !exists {
            return false;
        }
    }
    Command::new("chown").args(["-R", TEST_USER]).arg(dir).status().is_ok_and(|s| s.success())
}

struct Doveadm {
    dir: std::path::PathBuf,
    as_user: bool,
}

impl Doveadm {
    /// Runs doveadm with `args` (and `input` on its standard input);
    /// panics, with its output, if it fails.
    fn run(&self, args: &[&str], input: Option<&str>) -> String {
        let conf = self.dir.join("dovecot.conf");
        let mut cmd = if self.as_user {
            let mut c = Command::new("runuser");
            c.args(["-u", TEST_USER, "--", "env", "-i"]);
            c
        } else {
            let mut c = Command::new("env");
            c.arg("-i");
            c
        };
        let user = if self.as_user {
            TEST_USER.to_string()
        } else {
            std::env::var("USER").unwrap_or_else(|_| "nobody".into())
        };
        cmd.arg(format!("HOME={}", self.dir.display()))
            .arg(format!("USER={user}"))
            .arg("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .arg("doveadm")
            .arg("-c")
            .arg(&conf)
            .args(args);
        cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run doveadm");
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(text.as_bytes()).expect("feed doveadm");
        }
        let out = child.wait_with_output().expect("wait for doveadm");
        assert!(
            out.status.success(),
            "doveadm {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("doveadm prints UTF-8")
    }
}

fn folder(id: u64, path: &[&str], role: FolderRole) -> Folder {
    Folder {
        id: FolderId(id),
        parent: None,
        path: path.iter().map(|s| s.to_string()).collect(),
        name: path.last().map(|s| s.to_string()).unwrap_or_else(|| "INBOX".into()),
        kind: FolderKind::Mail,
        role,
    }
}

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
    for f in reader.folders().expect("folders") {
        let name = if f.is_root() { "INBOX".to_string() } else { f.display_path() };
        v.names.insert(name.clone());
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
    let mut counts = BTreeMap::new();
    for line in dove.run(&["mailbox", "status", "messages", "*"], None).lines() {
        let (name, n) = line.rsplit_once(" messages=").unwrap_or_else(|| panic!("status line {line:?}"));
        counts.insert(name.to_string(), n.parse::<usize>().expect("count"));
    }
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

/// Writes a Dovecot config for `maildir` in `home` and, as root, hands
/// `home` to the test user. `None` after a skip.
fn dovecot(home: &Path, maildir: &Path, layout: Layout) -> Option<Doveadm> {
    mailshift_testkit::tool("doveadm")?;
    std::fs::write(
        home.join("dovecot.conf"),
        format!(
            "mail_location = maildir:{m}:INDEX=MEMORY{l}\n\
             mail_home = {h}\n\
             mail_plugins = listescape\n\
             log_path = /dev/stderr\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n",
            m = maildir.display(),
            l = if layout == Layout::Fs { ":LAYOUT=fs" } else { "" },
            h = home.display()
        ),
    )
    .expect("write dovecot.conf");
    let as_user = is_root();
    if as_user && !prepare_user(home) {
        mailshift_testkit::skip("running as root and cannot create or use the user mailshift-test for doveadm");
        return None;
    }
    Some(Doveadm { dir: home.to_path_buf(), as_user })
}

fn check_with_doveadm(layout: Layout) {
    if mailshift_testkit::tool("doveadm").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().to_path_buf();
    let maildir = home.join("Maildir");

    let folders = vec![
        folder(0, &[], FolderRole::Inbox),
        folder(1, &["Entwürfe"], FolderRole::Drafts),
        folder(2, &["Ünïcödé", "Sub"], FolderRole::None),
        folder(3, &["Sent"], FolderRole::Sent),
        folder(4, &["日本語", "Café & Co"], FolderRole::None),
        folder(5, &["v1.2"], FolderRole::None),
    ];
    let mut w = MaildirWriter::create(&maildir, MaildirWriteOptions { fsync: false, layout }).expect("create");
    w.begin(&folders).expect("begin");
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

    let reader = MaildirReader::open(&maildir).expect("open");
    assert_eq!(reader.layout(), layout);
    let ours = our_view(&reader);
    assert!(ours.names.contains("Ünïcödé/Sub") && ours.names.contains("v1.2"), "{:?}", ours.names);
    assert!(ours.names.contains("日本語/Café & Co"), "{:?}", ours.names);
    assert!(ours.msgs.iter().any(|(_, _, f, _)| f.contains("Project-X")), "keywords are tested");

    let Some(dove) = dovecot(&home, &maildir, layout) else { return };
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
}

/// The other direction: a Maildir that Dovecot wrote (folders, messages,
/// flags, keywords) reads the same with `MaildirReader`.
fn check_dovecot_written(layout: Layout) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().to_path_buf();
    let maildir = home.join("Maildir");
    let Some(dove) = dovecot(&home, &maildir, layout) else { return };
    for name in ["Entwürfe", "Ünïcödé/Sub", "a.b", "日本語", "Sent"] {
        dove.run(&["mailbox", "create", name], None);
    }
    for (i, name) in ["INBOX", "Entwürfe", "Ünïcödé/Sub", "a.b", "日本語"].iter().enumerate() {
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
    assert_eq!(ours.names, theirs.names, "folder names");
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
