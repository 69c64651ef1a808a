//! `mailshift verify SRC DST` (issue 14), end to end through the binary:
//! what mailshift converts verifies clean; a target with a message
//! deleted, one added, one altered and one moved is reported with exactly
//! those, by Message-ID; an IMAP target against a real Dovecot.

use std::path::{Path, PathBuf};
use std::process::Command;

use mailshift_testkit::dovecot::{Dovecot, DovecotOptions};

mod common;

fn repo(rel: &str) -> PathBuf {
    mailshift_testkit::workspace_root().join(rel)
}

fn fixture(rel: &str) -> Option<PathBuf> {
    let p = mailshift_testkit::fixtures_dir()?.join(rel);
    if p.exists() {
        Some(p)
    } else {
        mailshift_testkit::skip(&format!("fixture {rel} is missing"));
        None
    }
}

/// `mailshift verify SRC DST --json EXTRA`: (exit code, the report, stderr).
fn verify(src: &Path, dst: &dyn AsRef<std::ffi::OsStr>, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify", &src, dst, &"--json"];
    for e in extra {
        args.push(e);
    }
    let (code, out, err) = common::mailshift(&args);
    let json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("verify printed no JSON ({e}): {out}\n{err}"));
    (code, json, err)
}

fn total(report: &serde_json::Value, field: &str) -> u64 {
    report["total"][field].as_u64().unwrap_or_else(|| panic!("report has total.{field}: {report}"))
}

/// The Message-IDs listed under `list` (`missing_items` ...) in every folder.
fn listed(report: &serde_json::Value, list: &str) -> Vec<String> {
    let mut out: Vec<String> = report["folders"]
        .as_array()
        .expect("folders")
        .iter()
        .flat_map(|f| f[list].as_array().expect("list").iter())
        .map(|m| m["message_id"].as_str().expect("a Message-ID").to_string())
        .collect();
    out.sort();
    out
}

/// The mail messages our reader reads from a store.
fn mail_count(p: &Path) -> usize {
    let reader: Box<dyn mailshift_core::StoreReader> = match p.extension().and_then(|e| e.to_str()) {
        Some("pst" | "ost") => Box::new(mailshift_pst::PstReader::open(p).expect("open PST")),
        _ => Box::new(mailshift_mbox::MboxReader::open(p).expect("open mbox")),
    };
    common::messages(reader.as_ref()).len()
}

/// mbox and PST sources converted by mailshift into Maildir and mbox verify
/// clean: exit 0, every message in its folder, none altered, equal counts.
/// The PST's contacts and calendars are not compared, and the report says so.
#[test]
fn what_mailshift_converts_to_maildir_and_mbox_verifies_clean() {
    let mut sources = vec![repo("fixtures/generated/tree"), repo("fixtures/generated/sample.mbox")];
    for rel in
        ["pim/pim-rich.pst", "farnulfo__pst-exp/sample1.pst", "aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost"]
    {
        let Some(p) = fixture(rel) else { return };
        sources.push(p);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, src) in sources.iter().enumerate() {
        let n = mail_count(src) as u64;
        assert!(n > 0, "{}: no mail to verify", src.display());
        for to in ["maildir", "mbox"] {
            let dst = dir.path().join(format!("{i}-{to}"));
            let (code, report) = common::convert(src, &dst, &["--to", to]);
            assert_eq!(code, 0, "{} -> {to}: {report}", src.display());
            let (code, v, err) = verify(src, &dst, &[]);
            let what = format!("{} -> {to}", src.display());
            assert_eq!(code, 0, "{what}: {v}\n{err}");
            assert_eq!(v["ok"], true, "{what}");
            assert_eq!(total(&v, "source"), n, "{what}: {v}");
            assert_eq!(total(&v, "target"), n, "{what}: {v}");
            for field in ["missing", "altered", "extra", "in_other_folder", "unreadable"] {
                assert_eq!(total(&v, field), 0, "{what}: {field}: {v}");
            }
            for f in v["folders"].as_array().expect("folders") {
                if f["compared"] == "messages" {
                    assert_eq!(f["source_count"], f["target_count"], "{what}: {f}");
                    assert!(
                        f["source"].is_string() && f["target"].is_string() || f["source_count"] == 0,
                        "{what}: {f}"
                    );
                }
            }
            if src.ends_with("pim-rich.pst") {
                assert!(total(&v, "not_compared") >= 30, "{what}: {v}");
                let skipped = v["folders"].as_array().unwrap().iter().filter(|f| f["compared"] == "skipped").count();
                assert_eq!(skipped, 5, "{what}: contacts, calendar, tasks, notes, journal: {v}");
                assert!(v["notes"].to_string().contains("not compared"), "{what}: {v}");
            }
        }
    }
    // PST -> PST: the contacts, calendars, tasks, notes and journals are
    // in folders of their kind, compared by count.
    if let Some(pst) = sources.iter().find(|p| p.ends_with("pim-rich.pst")) {
        let dst = dir.path().join("pim-rich-copy.pst");
        let (code, report) = common::convert(pst, &dst, &[]);
        assert_eq!(code, 0, "{report}");
        let (code, v, err) = verify(pst, &dst, &[]);
        assert_eq!(code, 0, "{v}\n{err}");
        assert_eq!(total(&v, "source"), 3, "{v}");
        assert_eq!(total(&v, "target"), 3, "{v}");
        assert_eq!(total(&v, "by_count_source"), 32, "{v}");
        assert_eq!(total(&v, "by_count_target"), 32, "{v}");
        let counted = v["folders"].as_array().unwrap().iter().filter(|f| f["compared"] == "count").count();
        assert_eq!(counted, 5, "{v}");
    }
    // The table: one line per folder, the verdict last.
    let dst = dir.path().join("0-maildir");
    let (code, out, _) = common::mailshift(&[&"verify", &sources[0], &dst]);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().any(|l| l.starts_with("Sent ") && l.contains(" 3 ")), "{out}");
    assert!(out.trim_end().ends_with("verified: the target holds every source message unaltered"), "{out}");
}

/// Every message file of a Maildir tree (cur/ and new/ of every folder).
fn maildir_files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "cur" || n == "new"))
        .collect();
    out.sort();
    out
}

fn message_id_of(p: &Path) -> Option<String> {
    let raw = std::fs::read(p).ok()?;
    mailshift_core::MailInfo::parse(&raw).message_id
}

/// In the Maildir target of the generated tree: one message file deleted,
/// one new message added, one message's body altered, one moved from Sent
/// to Archiv. verify exits 1 and names exactly those, by Message-ID, in
/// their folders; the moved one counts as present, "in another folder".
#[test]
fn a_deleted_an_added_an_altered_and_a_moved_message_are_named() {
    let src = repo("fixtures/generated/tree");
    let dir = tempfile::tempdir().expect("tempdir");
    let dst = dir.path().join("md");
    let (code, report) = common::convert(&src, &dst, &["--to", "maildir"]);
    assert_eq!(code, 0, "{report}");
    let (code, v, _) = verify(&src, &dst, &[]);
    assert_eq!(code, 0, "{v}");

    // The inbox is the Maildir's top: its files are in dst/cur, dst/new.
    let inbox: Vec<PathBuf> =
        maildir_files(&dst).into_iter().filter(|p| p.parent().unwrap().parent().unwrap() == dst).collect();
    assert!(inbox.len() >= 3, "{inbox:?}");
    let deleted = &inbox[0];
    let deleted_id = message_id_of(deleted).expect("the deleted message has a Message-ID");
    std::fs::remove_file(deleted).expect("delete");
    let altered = &inbox[1];
    let altered_id = message_id_of(altered).expect("the altered message has a Message-ID");
    let mut raw = std::fs::read(altered).expect("read");
    raw.extend_from_slice(b"\nA line that was not there.\n");
    std::fs::write(altered, raw).expect("alter");
    let added_id = "verify-added-1@example.org";
    std::fs::write(
        dst.join("new/1700000000.M1P1.verify"),
        format!("From: a@example.org\nTo: b@example.org\nSubject: added\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <{added_id}>\n\nNot in the source.\n"),
    )
    .expect("add");
    let sent = maildir_files(&dst.join(".Sent"));
    let moved = &sent[0];
    let moved_id = message_id_of(moved).expect("the moved message has a Message-ID");
    let into = dst.join(".Archiv/new").join(moved.file_name().unwrap());
    std::fs::rename(moved, &into).expect("move");

    let (code, v, err) = verify(&src, &dst, &[]);
    assert_eq!(code, 1, "{v}\n{err}");
    assert_eq!(v["ok"], false);
    assert_eq!(total(&v, "missing"), 1, "{v}");
    assert_eq!(total(&v, "extra"), 1, "{v}");
    assert_eq!(total(&v, "altered"), 1, "{v}");
    assert_eq!(total(&v, "in_other_folder"), 1, "{v}");
    assert_eq!(total(&v, "source"), 40, "{v}");
    assert_eq!(total(&v, "target"), 40, "{v}");
    assert_eq!(listed(&v, "missing_items"), vec![deleted_id.clone()]);
    assert_eq!(listed(&v, "extra_items"), vec![added_id.to_string()]);
    assert_eq!(listed(&v, "altered_items"), vec![altered_id.clone()]);
    assert_eq!(listed(&v, "in_other_folder_items"), vec![moved_id.clone()]);
    let folders = v["folders"].as_array().expect("folders");
    let row = |src: &str| folders.iter().find(|f| f["source"] == src).unwrap_or_else(|| panic!("no row {src}: {v}"));
    assert_eq!(row("Inbox")["missing"], 1);
    assert_eq!(row("Inbox")["target"], "");
    assert_eq!(row("Sent")["in_other_folder_items"][0]["found_in"], "Archiv", "{v}");
    assert_eq!(row("Sent")["target_count"], 2);
    assert_eq!(row("Archiv")["target_count"], 6);
    assert_eq!(row("Archiv")["extra"], 0, "the moved message is not an extra: {v}");

    // The table names the same, and --limit 0 keeps the counts whole.
    let (code, out, _) = common::mailshift(&[&"verify", &src, &dst]);
    assert_eq!(code, 1);
    for (what, id) in [("missing", &deleted_id), ("altered", &altered_id), ("extra", &added_id.to_string())] {
        assert!(out.contains(&format!("  {what}: <{id}>")), "{what} {id}: {out}");
    }
    assert!(out.contains(&format!("  in another folder: <{moved_id}> (in Archiv)")), "{out}");
    assert!(out.contains("NOT verified: 1 missing, 1 altered"), "{out}");
    let (code, v, _) = verify(&src, &dst, &["--limit", "0"]);
    assert_eq!(code, 1);
    assert_eq!(total(&v, "missing"), 1);
    assert!(listed(&v, "missing_items").is_empty(), "{v}");
    let (code, out, _) = common::mailshift(&[&"verify", &src, &dst, &"--limit", &"0"]);
    assert_eq!(code, 1);
    assert!(out.contains("... and 1 more missing"), "{out}");

    // Extras alone do not fail: with the deleted and altered ones put back
    // (the moved one is present), exit 0.
    let (code, report) = common::convert(&src, &dir.path().join("md-fresh"), &["--to", "maildir"]);
    assert_eq!(code, 0, "{report}");
    for p in maildir_files(&dir.path().join("md-fresh")) {
        let id = message_id_of(&p);
        if id.as_deref() == Some(deleted_id.as_str()) {
            std::fs::copy(&p, dst.join("cur").join(p.file_name().unwrap())).expect("restore deleted");
        }
        if id.as_deref() == Some(altered_id.as_str()) {
            std::fs::copy(&p, altered).expect("restore altered");
        }
    }
    let (code, v, _) = verify(&src, &dst, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(total(&v, "extra"), 1, "{v}");
    assert_eq!(total(&v, "in_other_folder"), 1, "{v}");
}

/// A source holding a message twice, converted with --dedup: the target
/// holds it once, and verify says so without failing.
#[test]
fn a_duplicate_the_target_holds_once_does_not_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read(repo("fixtures/generated/sample.mbox")).expect("sample");
    let cut = text.windows(7).position(|w| w == b"\n\nFrom ").expect("a second message") + 2;
    let mut dup = text.clone();
    dup.extend_from_slice(&text[..cut]);
    let src = dir.path().join("dup.mbox");
    std::fs::write(&src, &dup).expect("write");
    let id = mailshift_core::MailInfo::parse(&text[text.iter().position(|&b| b == b'\n').unwrap() + 1..cut])
        .message_id
        .expect("a Message-ID");
    let dst = dir.path().join("md");
    let (code, report) = common::convert(&src, &dst, &["--to", "maildir", "--dedup"]);
    assert_eq!(code, 0, "{report}");
    // The sample holds one Message-ID twice already.
    assert_eq!(common::total(&report, "skipped_duplicate"), 2, "{report}");
    let (code, v, _) = verify(&src, &dst, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(total(&v, "duplicates"), 2, "{v}");
    assert_eq!(total(&v, "missing"), 0, "{v}");
    assert!(listed(&v, "duplicate_items").contains(&id), "{v}");
    assert_eq!(total(&v, "source"), total(&v, "target") + 2, "{v}");
    // Without --dedup both copies are written, and none is held once.
    let all = dir.path().join("md2");
    let (code, report) = common::convert(&src, &all, &["--to", "maildir"]);
    assert_eq!(code, 0, "{report}");
    let (code, v, _) = verify(&src, &all, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(total(&v, "duplicates"), 0, "{v}");
    assert_eq!(total(&v, "source"), total(&v, "target"), "{v}");
}

/// A store that cannot be opened: exit 2, and the reason.
#[test]
fn a_source_that_cannot_be_opened_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = common::mailshift(&[&"verify", &dir.path().join("nothing"), &dir.path()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such file"), "{err}");
}

const PASSWORD: &str = "Pw-v3r1fy-s3cr3t";

/// mailshift with the server's CA and the password file: (exit code, stdout, stderr).
fn run_imap(dv: &Dovecot, pw: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailshift"));
    cmd.args(args).arg("--tls-ca").arg(dv.ca_pem()).arg("--password-file").arg(pw);
    cmd.env_remove("MAILSHIFT_PASSWORD");
    mailshift_testkit::run(&mut cmd)
}

/// The generated tree uploaded into a Dovecot mailbox by convert (Archiv
/// mapped to Old), then verified against it: clean, with the same
/// --folder-map; without it, Archiv's messages are found in another
/// folder. One message expunged with doveadm: missing 1, exit 1. The
/// password is in no output.
#[test]
fn an_imap_target_verifies_and_an_expunged_message_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = dir.path().join("server");
    std::fs::create_dir(&server).expect("server dir");
    let opts = DovecotOptions { users: vec![("v1".to_string(), PASSWORD.to_string())], ..DovecotOptions::default() };
    let Some(dv) = Dovecot::start(&server, &opts) else { return };
    let pw = dir.path().join("password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("password file");
    let url = format!("imaps://v1@{}:{}", dv.host(), dv.imaps_port());
    let src = repo("fixtures/generated/tree");
    let (code, _, err) =
        run_imap(&dv, &pw, &[&"convert", &src, &url, &"--no-journal", &"-q", &"--folder-map", &"Archiv=Old"]);
    assert_eq!(code, 0, "upload: {err}");
    let counts = dv.counts("v1");
    assert_eq!(counts.get("Old/2019"), Some(&5), "{counts:?}");

    let check = |extra: &[&str]| -> (i32, serde_json::Value, String) {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify", &src, &url, &"--json"];
        for e in extra {
            args.push(e);
        }
        let (code, out, err) = run_imap(&dv, &pw, &args);
        assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD), "the password was printed");
        let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("no JSON ({e}): {out}\n{err}"));
        (code, v, err)
    };
    let (code, v, err) = check(&["--folder-map", "Archiv=Old"]);
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["target_format"], "imap");
    assert_eq!(total(&v, "source"), 40, "{v}");
    assert_eq!(total(&v, "target"), 40, "{v}");
    for field in ["missing", "altered", "extra", "in_other_folder"] {
        assert_eq!(total(&v, field), 0, "{field}: {v}");
    }
    let folders = v["folders"].as_array().expect("folders");
    let target_of = |s: &str| folders.iter().find(|f| f["source"] == s).map(|f| f["target"].clone());
    assert_eq!(target_of("Inbox"), Some("INBOX".into()), "{v}");
    assert_eq!(target_of("Sent"), Some("Sent".into()), "{v}");
    assert_eq!(target_of("Archiv/2019"), Some("Old/2019".into()), "{v}");

    // Without the map: present, in another folder; still exit 0.
    let (code, v, _) = check(&[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(total(&v, "missing"), 0, "{v}");
    assert_eq!(total(&v, "in_other_folder"), 10, "{v}");

    // The mailbox as a source: backed up by convert, the backup verifies.
    let backup = dir.path().join("backup");
    let (code, _, err) = run_imap(&dv, &pw, &[&"convert", &url, &backup, &"--to", &"maildir", &"-q", &"--no-fsync"]);
    assert_eq!(code, 0, "backup: {err}");
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"verify", &url, &backup, &"--json"];
    args.push(&"--limit");
    args.push(&"5");
    let (code, out, err) = run_imap(&dv, &pw, &args);
    assert_eq!(code, 0, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["source_format"], "imap");
    assert_eq!(total(&v, "source"), 40, "{v}");
    assert_eq!(total(&v, "target"), 40, "{v}");
    assert_eq!(total(&v, "in_other_folder"), 0, "{v}");

    // One message of INBOX expunged on the server.
    let reader = mailshift_mbox::MboxReader::open(&src.join("Inbox")).expect("open Inbox");
    let (_, raw) = common::messages(&reader).into_iter().next().expect("a message");
    let id = mailshift_core::MailInfo::parse(&raw).message_id.expect("a Message-ID");
    let before = dv.counts("v1")["INBOX"];
    dv.doveadm(&["expunge", "-u", "v1", "mailbox", "INBOX", "header", "Message-ID", &id]);
    assert_eq!(dv.counts("v1")["INBOX"], before - 1);
    let (code, v, err) = check(&["--folder-map", "Archiv=Old"]);
    assert_eq!(code, 1, "{v}\n{err}");
    assert_eq!(total(&v, "missing"), 1, "{v}");
    assert_eq!(total(&v, "altered"), 0, "{v}");
    assert_eq!(listed(&v, "missing_items"), vec![id]);
    // Read-only: the server holds what it held.
    assert_eq!(dv.counts("v1")["INBOX"], before - 1);
}
