//! `convert --dry-run` (issue 14): everything is read and planned,
//! nothing is written. For each target format, new and existing: the
//! target's directory (every path, size and mtime) is the same before and
//! after the dry run, and its counts are those of the real run that
//! follows; after the real run a dry run with `--dedup` says 0 would be
//! copied. An IMAP target is only listed and examined: doveadm's mailbox
//! list and counts do not change, and no journal is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use mailshift_core::StoreReader;
use mailshift_testkit::dovecot::{Dovecot, DovecotOptions};

mod common;

/// Every path under `root` (itself included), with whether it is a
/// directory, its size and its mtime.
fn tree(root: &Path) -> BTreeMap<PathBuf, (bool, u64, SystemTime)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| {
            let e = e.expect("walk");
            let m = e.metadata().expect("metadata");
            (e.path().to_path_buf(), (m.is_dir(), m.len(), m.modified().expect("mtime")))
        })
        .collect()
}

const COUNTS: [&str; 6] =
    ["copied", "skipped_duplicate", "skipped_filtered", "skipped_too_large", "skipped_unsupported", "failed"];

/// The item counts of a report, total and per folder.
fn counts(report: &serde_json::Value) -> Vec<(String, Vec<u64>)> {
    let row = |c: &serde_json::Value| COUNTS.iter().map(|f| c[f].as_u64().expect("count")).collect::<Vec<u64>>();
    let mut out = vec![("TOTAL".to_string(), row(&report["total"]))];
    for f in report["folders"].as_array().expect("folders") {
        out.push((f["path"].as_str().expect("path").to_string(), row(&f["counts"])));
    }
    out
}

/// `mailshift convert SRC DST ARGS --report R -q`: (exit code, report, stderr).
fn run(src: &Path, dst: &Path, report: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"convert", &src, &dst, &"--report", &report, &"-q"];
    for a in args {
        all.push(a);
    }
    let (code, _, err) = common::mailshift(&all);
    assert!(code == 0 || code == 1, "mailshift convert {} {}: exit {code}: {err}", src.display(), dst.display());
    (code, common::read_json(report), err)
}

/// A dry run into `dst` (under `work`) leaves `work` as it was, and says
/// so; the real run that follows counts the same; a second dry run after
/// it counts as the real rerun, and copies nothing.
fn dry_then_real(src: &Path, work: &Path, dst: &Path, args: &[&str]) {
    let reports = tempfile::tempdir().expect("tempdir");
    let r = |n: &str| reports.path().join(n);
    let what = format!("{} -> {} {args:?}", src.display(), dst.display());
    let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();

    let before = tree(work);
    let (dry_code, dry_report, err) = run(src, dst, &r("dry.json"), &dry);
    assert_eq!(tree(work), before, "{what}: the dry run changed the target: {err}");
    assert_eq!(dry_report["dry_run"], true, "{what}");
    let (code, real, err) = run(src, dst, &r("real.json"), args);
    assert_eq!(real["dry_run"], false, "{what}");
    assert_eq!(code, dry_code, "{what}: exit codes differ: {err}");
    assert_eq!(counts(&dry_report), counts(&real), "{what}: the dry run's counts are not the real run's");
    assert!(common::total(&real, "copied") > 0, "{what}: nothing copied: {real}");

    // Existing target: nothing more would be copied, nothing is.
    let before = tree(work);
    let (dry_code, again, err) = run(src, dst, &r("dry2.json"), &dry);
    assert_eq!(tree(work), before, "{what}: the second dry run changed the target: {err}");
    assert_eq!(common::total(&again, "copied"), 0, "{what}: {again}");
    let held = common::total(&real, "copied") + common::total(&real, "skipped_duplicate");
    assert_eq!(common::total(&again, "skipped_duplicate"), held, "{what}: {again}");
    let (code, rerun, err) = run(src, dst, &r("rerun.json"), args);
    assert_eq!(code, dry_code, "{what}: {err}");
    assert_eq!(counts(&again), counts(&rerun), "{what}: the second dry run's counts are not the rerun's");
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

#[test]
fn dry_run_into_mbox_maildir_eml_and_pst_writes_nothing_and_counts_as_the_real_run() {
    let tree_src = common::sample("tree");
    for (to, name) in [("mbox", "out"), ("maildir", "out"), ("eml", "out"), ("pst", "out.pst")] {
        let work = tempfile::tempdir().expect("tempdir");
        let dst = work.path().join(name);
        dry_then_real(&tree_src, work.path(), &dst, &["--to", to, "--dedup", "--no-fsync"]);
    }
    // With filters and a size limit: what they skip is counted alike.
    let work = tempfile::tempdir().expect("tempdir");
    let args = ["--to", "mbox", "--dedup", "--max-size", "5K", "--exclude", "Sent", "--until", "2030-01-01"];
    dry_then_real(&tree_src, work.path(), &work.path().join("out"), &args);
    let work = tempfile::tempdir().expect("tempdir");
    dry_then_real(&common::sample("sample.mbox"), work.path(), &work.path().join("one.mbox"), &["--dedup"]);
}

/// A PST with contacts and calendars: into mbox, Maildir and EML the PIM
/// items go to .vcf / .ics files beside the mail, whose duplicates only
/// their own writer knows (by UID); into a PST, as MAPI messages; into a
/// single .vcf.
#[test]
fn dry_run_of_a_pst_with_contacts_and_calendars() {
    let Some(pst) = fixture("pim/pim-rich.pst") else { return };
    for (to, name) in [("mbox", "out"), ("maildir", "out"), ("eml", "out")] {
        let work = tempfile::tempdir().expect("tempdir");
        dry_then_real(&pst, work.path(), &work.path().join(name), &["--to", to, "--dedup", "--no-fsync"]);
    }
    // PST -> existing PST with --dedup: the contacts, calendar items and
    // journal entries (no PidTagSearchKey in this store: the writer gives
    // them one) are found again too, and nothing is copied twice.
    let work = tempfile::tempdir().expect("tempdir");
    let args = ["--to", "pst", "--dedup", "--no-fsync"];
    dry_then_real(&pst, work.path(), &work.path().join("out.pst"), &args);
    let work = tempfile::tempdir().expect("tempdir");
    dry_then_real(&pst, work.path(), &work.path().join("contacts.vcf"), &["--no-fsync"]);
}

/// Without --report a dry run writes no file at all and says on stderr
/// that it is one; what a real run refuses it refuses (exit 2).
#[test]
fn dry_run_without_report_says_so_and_refuses_what_a_real_run_refuses() {
    let work = tempfile::tempdir().expect("tempdir");
    let before = tree(work.path());
    let dst = work.path().join("out");
    let (code, _, err) = common::mailshift(&[&"convert", &common::sample("tree"), &dst, &"--to", &"eml", &"--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("dry run: nothing was written; copied means would be copied"), "{err}");
    assert!(err.contains("TOTAL") && err.contains("40"), "{err}");
    assert_eq!(tree(work.path()), before);

    // --split over an existing file, as without --dry-run.
    let pst = work.path().join("x.pst");
    let (code, _, err) = common::mailshift(&[&"convert", &common::sample("tree"), &pst, &"--no-fsync", &"-q"]);
    assert_eq!(code, 0, "{err}");
    let before = tree(work.path());
    let (code, _, err) =
        common::mailshift(&[&"convert", &common::sample("tree"), &pst, &"--split", &"10M", &"--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists"), "{err}");
    // An existing target of another format.
    let (code, _, err) =
        common::mailshift(&[&"convert", &common::sample("tree"), &pst, &"--to", &"mbox", &"--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(tree(work.path()), before);
}

const PASSWORD: &str = "Pw-dry-run-s3cr3t";

/// `mailshift convert SRC imaps://USER@... ARGS` with the test server's CA
/// and password, `$XDG_STATE_HOME` at `state` (where the default journal
/// would go): (exit code, report, stderr).
fn upload(dv: &Dovecot, dir: &Path, src: &Path, user: &str, args: &[&str]) -> (i32, serde_json::Value, String) {
    let report = dir.join(format!("report-{}.json", args.len() + dir.read_dir().map_or(0, |d| d.count())));
    let pw = dir.join("password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("password file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailshift"));
    cmd.arg("convert")
        .arg(src)
        .arg(format!("imaps://{user}@{}:{}", dv.host(), dv.imaps_port()))
        .arg("--tls-ca")
        .arg(dv.ca_pem())
        .arg("--password-file")
        .arg(&pw)
        .arg("--report")
        .arg(&report)
        .arg("--no-fsync")
        .args(args)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env_remove("MAILSHIFT_PASSWORD");
    let (code, _, err) = mailshift_testkit::run(&mut cmd);
    assert!(code == 0 || code == 1, "upload {}: exit {code}: {err}", src.display());
    (code, common::read_json(&report), err)
}

/// Against a real Dovecot: a dry upload into a mailbox that holds one of
/// the source's messages already lists and examines, creates no mailbox,
/// appends nothing and writes no journal (neither the one named nor the
/// default one); the real upload counts the same; a dry run after it says
/// 0 would be copied, with the journal and without.
#[test]
fn dry_run_into_an_imap_mailbox_changes_nothing_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = dir.path().join("server");
    std::fs::create_dir(&server).expect("server dir");
    let users = vec![("d1".to_string(), PASSWORD.to_string())];
    let Some(dv) = Dovecot::start(&server, &DovecotOptions { users, ..DovecotOptions::default() }) else { return };
    let runs = dir.path().join("runs");
    std::fs::create_dir(&runs).expect("runs dir");
    let src = common::sample("tree");
    let reader = mailshift_mbox::MboxReader::open(&src).expect("open tree");
    let all = common::messages(&reader as &dyn StoreReader);
    let (_, first) = all.iter().find(|(f, _)| f == "Inbox").expect("an Inbox message");
    dv.append("d1", "INBOX", first, &["\\Seen"], None);

    let journal = dir.path().join("d1.journal");
    let journal_arg = journal.display().to_string();
    let mailboxes = dv.mailboxes("d1");
    let before = dv.counts("d1");
    let (dry_code, dry, err) = upload(&dv, &runs, &src, "d1", &["--dry-run", "--journal", &journal_arg]);
    assert_eq!(dv.mailboxes("d1"), mailboxes, "the dry run made mailboxes: {err}");
    assert_eq!(dv.counts("d1"), before, "the dry run appended: {err}");
    assert!(!journal.exists(), "the dry run wrote the journal");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(common::total(&dry, "skipped_duplicate"), 1, "{dry}");
    assert_eq!(common::total(&dry, "copied") as usize, all.len() - 1, "{dry}");
    // The default journal, under $XDG_STATE_HOME.
    let (_, dry2, err) = upload(&dv, &runs, &src, "d1", &["--dry-run"]);
    assert!(!runs.join("state").exists(), "the dry run made the default journal: {err}");
    assert_eq!(counts(&dry2), counts(&dry));

    let (code, real, err) = upload(&dv, &runs, &src, "d1", &["--journal", &journal_arg]);
    assert_eq!(code, dry_code, "{err}");
    assert_eq!(counts(&real), counts(&dry), "the dry run's counts are not the upload's: {err}");
    assert_eq!(dv.messages("d1").len(), all.len(), "{err}");
    assert!(journal.exists());

    // After the upload: nothing would be copied, with the journal or without.
    let mailboxes = dv.mailboxes("d1");
    let before = dv.counts("d1");
    let journal_len = std::fs::metadata(&journal).expect("journal").len();
    for extra in [vec!["--journal", journal_arg.as_str()], vec!["--no-journal"]] {
        let (_, again, err) = upload(&dv, &runs, &src, "d1", &[&["--dry-run"], &extra[..]].concat());
        assert_eq!(common::total(&again, "copied"), 0, "{extra:?}: {again}\n{err}");
        assert_eq!(common::total(&again, "skipped_duplicate") as usize, all.len(), "{again}");
        assert_eq!(dv.mailboxes("d1"), mailboxes);
        assert_eq!(dv.counts("d1"), before);
    }
    assert_eq!(std::fs::metadata(&journal).expect("journal").len(), journal_len, "the dry run wrote the journal");
}
