//! Issue 8 on the mbox side, end to end through the binary: a From_ line in
//! a body stays there, Forwarded survives mbox, unreadable parts of an mbox
//! tree fail the run, what a tree passes over is said, relative and
//! symlinked targets work, new directories are private, appended files
//! keep their mode, and a killed run's temporary files are swept.
//!
//! The unreadable-part tests need a user that mode 000 stops: as root they
//! run the binary as the system user `mailshift-test` (created if missing)
//! through `runuser` (`mailshift_testkit::user`), as
//! crates/maildir/tests/dovecot.rs runs doveadm.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use mailshift_testkit::files::{chmod, mode, put};
use mailshift_testkit::user::Unprivileged;

const D1: &str = "Mon Jan  1 00:00:00 2001";

fn mbox(subjects: &[&str]) -> String {
    subjects.iter().map(|s| format!("From a@x {D1}\nSubject: {s}\nMessage-ID: <{s}@x>\n\nbody {s}\n\n")).collect()
}

// Item 12: mbox separators.

#[test]
fn from_line_in_a_body_not_followed_by_a_header_stays_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "From a@x {D1}\nSubject: quoted letter\nMessage-ID: <one@x>\n\nHe wrote:\n\n\
         From alice@example.org {D1}\nplease find the figures below.\n\n\
         From b@x {D1}\nSubject: two\nMessage-ID: <two@x>\n\nbye\n\n"
    );
    let src = put(dir.path(), "in.mbox", text.as_bytes());
    let md = dir.path().join("md");
    let (code, report) = convert(&src, &md, &["--to", "maildir"]);
    assert_eq!(code, 0, "a note, nothing lost: {report}");
    assert_eq!(total(&report, "copied"), 2, "{report}");
    let at = text.find("From alice").unwrap() as u64;
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["offset"].as_u64() == Some(at)
            && p["severity"] == "note"
            && p["message"].as_str().unwrap().contains("not followed by a header field")),
        "{report}"
    );
    let msgs = messages(&mailshift_maildir::MaildirReader::open(&md).unwrap());
    assert_eq!(msgs.len(), 2);
    let first = msgs.iter().find(|(_, m)| m.windows(13).any(|w| w == b"quoted letter")).unwrap();
    assert!(
        String::from_utf8_lossy(&first.1).ends_with("please find the figures below.\n"),
        "{}",
        String::from_utf8_lossy(&first.1)
    );
}

// Item 5: Forwarded in mbox.

#[test]
fn forwarded_messages_go_to_mbox_with_exit_0_and_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("md");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    put(&md, "cur/1000000001.1.host:2,PS", b"Subject: fwd seen\nMessage-ID: <f1@x>\n\nx\n");
    put(&md, "cur/1000000002.2.host:2,P", b"Subject: fwd\nMessage-ID: <f2@x>\n\ny\n");
    put(&md, "cur/1000000003.3.host:2,S", b"Subject: plain\nMessage-ID: <p@x>\n\nz\n");
    let out = dir.path().join("out.mbox");
    let (code, report) = convert(&md, &out, &["--to", "mbox"]);
    assert_eq!(code, 0, "Forwarded is kept, not lost: {report}");
    assert_eq!(total(&report, "copied"), 3);
    let folders = report["folders"].as_array().unwrap();
    assert!(folders.iter().all(|f| f["losses"].as_array().unwrap().is_empty()), "{report}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.matches("X-Keywords: $Forwarded\n").count(), 2, "{text}");

    let back = dir.path().join("back");
    let (code, report) = convert(&out, &back, &["--to", "maildir"]);
    assert_eq!(code, 0, "{report}");
    let mut infos: Vec<String> = std::fs::read_dir(back.join("cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().rsplit_once(":2,").unwrap().1.to_string())
        .collect();
    infos.sort();
    assert_eq!(infos, ["P", "PS", "S"]);
}

// Item 3: no silent loss.

/// A tree with a readable Inbox and one part `spoil` makes unreadable;
/// returns (convert's exit code and report, info's exit code and JSON).
fn run_on_spoiled_tree(spoil: impl FnOnce(&Path)) -> Option<((i32, serde_json::Value), (i32, serde_json::Value))> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("Mail");
    put(&src, "Inbox", mbox(&["i1", "i2"]).as_bytes());
    put(&src, "Inbox.sbd/Child", mbox(&["c1"]).as_bytes());
    spoil(&src);
    let as_user = Unprivileged::new(env!("CARGO_BIN_EXE_mailshift"), dir.path())?;
    let out = dir.path().join("out");
    let report = dir.path().join("report.json");
    let (code, _, err) =
        as_user.run(&[&"convert", &src, &out, &"--to", &"mbox", &"--report", &report, &"--no-fsync", &"-q"]);
    assert!(code == 0 || code == 1, "{err}");
    let converted = (code, read_json(&report));
    let (code, stdout, err) = as_user.run(&[&"info", &src, &"--json"]);
    assert!(code == 0 || code == 1, "{err}");
    let info = (code, serde_json::from_str(&stdout).expect("info JSON"));
    // Whatever was readable was copied.
    assert!(out.join("Inbox").is_file() && out.join("Inbox.sbd/Child").is_file());
    // So that the temporary directory can be removed when not root.
    let _ = Command::new("chmod").args(["-R", "u+rwx"]).arg(dir.path()).status();
    Some((converted, info))
}

fn has_unreadable(problems: &serde_json::Value, path: &Path, needle: &str) -> bool {
    problems.as_array().unwrap().iter().any(|p| {
        p["severity"] == "unreadable"
            && p["path"].as_str() == Some(&*path.display().to_string())
            && p["message"].as_str().unwrap().contains(needle)
    })
}

#[test]
fn unreadable_mbox_file_of_a_tree_is_a_failed_row_and_exit_1() {
    let mut secret = PathBuf::new();
    let Some(((code, report), (icode, info))) = run_on_spoiled_tree(|src| {
        // With and without Thunderbird's .msf beside it.
        secret = put(src, "Secret", mbox(&["s1"]).as_bytes());
        put(src, "Secret.msf", b"");
        chmod(&secret, 0o000);
        chmod(&put(src, "Inbox.sbd/Locked", mbox(&["l1"]).as_bytes()), 0o000);
    }) else {
        return;
    };
    assert_eq!(code, 1, "{report}");
    let folders = report["folders"].as_array().unwrap();
    for path in ["Secret", "Inbox/Locked"] {
        let f = folders.iter().find(|f| f["path"] == path).unwrap_or_else(|| panic!("no row {path}: {report}"));
        assert_eq!(f["counts"]["failed"], 1, "{f}");
        let reason = f["failures"][0]["reason"].as_str().unwrap();
        assert!(reason.starts_with("cannot list items: ") && reason.contains("ermission denied"), "{reason}");
    }
    assert_eq!(total(&report, "copied"), 3);
    assert_eq!(icode, 1, "{info}");
    let folders = info["folders"].as_array().unwrap();
    for path in ["Secret", "Inbox/Locked"] {
        let f = folders.iter().find(|f| f["path"] == path).unwrap_or_else(|| panic!("no folder {path}: {info}"));
        assert!(f["error"].as_str().unwrap().contains("ermission denied"), "{f}");
    }
    assert!(secret.ends_with("Secret"));
}

#[test]
fn unreadable_sbd_directory_is_an_unreadable_problem_and_exit_1() {
    let mut sbd = PathBuf::new();
    let Some(((code, report), (icode, info))) = run_on_spoiled_tree(|src| {
        put(src, "Archive", mbox(&["a1"]).as_bytes());
        put(src, "Archive.sbd/2019", mbox(&["y1"]).as_bytes());
        sbd = src.join("Archive.sbd");
        chmod(&sbd, 0o000);
    }) else {
        return;
    };
    assert_eq!(code, 1, "{report}");
    assert!(has_unreadable(&report["problems"], &sbd, "cannot list directory"), "{report}");
    assert_eq!(total(&report, "copied"), 4);
    assert_eq!(icode, 1, "{info}");
    assert!(has_unreadable(&info["problems"], &sbd, "cannot list directory"), "{info}");
}

#[test]
fn unlistable_subdirectories_are_unreadable_problems_and_exit_1() {
    let (mut closed, mut unsearchable) = (PathBuf::new(), PathBuf::new());
    let Some(((code, report), (icode, info))) = run_on_spoiled_tree(|src| {
        // A plain directory of mbox files that cannot be listed, and one
        // that can be listed but not entered (r without x).
        put(src, "Old/Box", mbox(&["o1"]).as_bytes());
        closed = src.join("Old");
        chmod(&closed, 0o000);
        put(src, "Odd/Box", mbox(&["d1"]).as_bytes());
        unsearchable = src.join("Odd");
        chmod(&unsearchable, 0o600);
    }) else {
        return;
    };
    assert_eq!(code, 1, "{report}");
    assert_eq!(icode, 1, "{info}");
    for problems in [&report["problems"], &info["problems"]] {
        assert!(has_unreadable(problems, &closed, "cannot list directory"), "{problems}");
        assert!(has_unreadable(problems, &unsearchable.join("Box"), "cannot look at"), "{problems}");
    }
}

#[test]
fn entries_a_tree_passes_over_are_notes_in_info_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("Mail");
    put(&src, "Inbox", mbox(&["i1"]).as_bytes());
    put(&src, "Inbox.msf", b"");
    put(&src, "Contacts.vcf", b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n");
    let out = dir.path().join("out");
    let (code, report) = convert(&src, &out, &["--to", "mbox"]);
    assert_eq!(code, 0, "notes, nothing lost: {report}");
    let (_, stdout, _) = mailshift(&[&"info", &src, &"--json"]);
    let info: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for problems in [&report["problems"], &info["problems"]] {
        let problems = problems.as_array().unwrap();
        let note = |name: &str, needle: &str| {
            problems.iter().any(|p| {
                p["severity"] == "note"
                    && p["path"].as_str() == Some(&*src.join(name).display().to_string())
                    && p["message"].as_str().unwrap().contains(needle)
            })
        };
        assert!(
            note("Inbox.msf", "skipped .msf index file Inbox.msf: Thunderbird's summary, not mail"),
            "{problems:?}"
        );
        assert!(note("Contacts.vcf", "skipped Contacts.vcf"), "{problems:?}");
    }
}

#[test]
fn info_exits_0_on_a_tree_whose_problems_are_notes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("Mail");
    put(&src, "Inbox", mbox(&["i1"]).as_bytes());
    put(&src, "Inbox.msf", b"");
    let (code, stdout, err) = mailshift(&[&"info", &src, &"--json"]);
    assert_eq!(code, 0, "{err}{stdout}");
}

// Item 1: relative targets.

#[test]
fn relative_and_symlinked_targets_work_from_any_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("work");
    for (real, link) in [("real1", "link1"), ("real2", "link2")] {
        std::fs::create_dir_all(cwd.join(real)).unwrap();
        std::os::unix::fs::symlink(cwd.join(real), cwd.join(link)).unwrap();
    }
    let single = sample("sample.mbox");
    let tree = sample("tree");
    let want_single = messages(&mailshift_mbox::MboxReader::open(&single).unwrap()).len();
    let want_tree = messages(&mailshift_mbox::MboxReader::open(&tree).unwrap()).len();
    let (s, t) = (single.to_str().unwrap(), tree.to_str().unwrap());
    for (src, target, to_mbox, want) in [
        (s, "x.mbox", false, want_single),
        (s, "./y.mbox", false, want_single),
        (s, "sub/../z.mbox", false, want_single),
        (s, "link1/w.mbox", false, want_single),
        (s, "bare", true, want_single),
        (t, "tree", true, want_tree),
        (t, "tree2/", true, want_tree),
        (t, "link2", true, want_tree),
        (t, "link2/nested", true, want_tree),
    ] {
        let mut args = vec!["convert", src, target, "-q"];
        if to_mbox {
            args.extend(["--to", "mbox"]);
        }
        let (code, _, err) = mailshift_in(&cwd, &args);
        assert_eq!(code, 0, "{target}: {err}");
        let got = messages(&mailshift_mbox::MboxReader::open(&cwd.join(target)).unwrap()).len();
        assert_eq!(got, want, "{target}");
    }
    assert!(cwd.join("real1/w.mbox").is_file() && cwd.join("real2/Inbox").is_file());
    assert!(cwd.join("real2/nested/Inbox").is_file());
    // A single-file source into `dir/` makes a tree: the root goes to its Inbox.
    let (code, _, err) = mailshift_in(&cwd, &["convert", s, "one/", "--to", "mbox", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(messages(&mailshift_mbox::MboxReader::open(&cwd.join("one/Inbox")).unwrap()).len(), want_single);
    let leftovers: Vec<_> = walk(&cwd).into_iter().filter(|p| p.contains(".mailshift-")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        }
        out.push(e.path().display().to_string());
    }
    out
}

// Item 11: permissions.

#[test]
fn new_mbox_directories_are_0700_and_an_appended_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new/out");
    let (code, report) = convert(&sample("tree"), &out, &["--to", "mbox"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!((mode(&dir.path().join("new")), mode(&out), mode(&out.join("Archiv.sbd"))), (0o700, 0o700, 0o700));
    for f in ["Inbox", "Archiv", "Archiv.sbd/2019"] {
        assert_eq!(mode(&out.join(f)), 0o600, "{f}");
    }

    let shared = put(dir.path(), "shared.mbox", mbox(&["old"]).as_bytes());
    chmod(&shared, 0o644);
    let (code, report) = convert(&sample("sample.mbox"), &shared, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(mode(&shared), 0o644);
    assert!(total(&report, "copied") > 1);
}

// Item 9: temporary files of a killed run.

/// Plants a dead run's temporary file, a live one's and two of other forms
/// beside `out.mbox`, converts, and returns (the dead one, the others, the
/// report).
fn convert_beside_stale_temp_files(d: &Path) -> (PathBuf, [PathBuf; 3], serde_json::Value) {
    // No process has a pid this large (pid_max is at most 2^22); this test's
    // own pid is alive while the binary runs.
    let dead = put(d, ".mailshift-4999999-x.tmp", b"half a message");
    let live = put(d, &format!(".mailshift-{}-x.tmp", std::process::id()), b"a running run's");
    let other = put(d, ".mailshift-notes.tmp", b"somebody's");
    let plain = put(d, "x.tmp", b"somebody's");
    let (code, report) = convert(&sample("sample.mbox"), &d.join("out.mbox"), &[]);
    assert_eq!(code, 0, "{report}");
    (dead, [live, other, plain], report)
}

#[test]
fn stale_temp_files_beside_the_target_are_removed_and_others_left() {
    let dir = tempfile::tempdir().unwrap();
    let (dead, others, _) = convert_beside_stale_temp_files(dir.path());
    assert!(!dead.exists(), "the dead run's temporary file is removed");
    for p in &others {
        assert!(p.exists(), "{} left alone", p.display());
    }
}

#[test]
fn stale_temp_files_removed_are_noted_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let (dead, _, report) = convert_beside_stale_temp_files(dir.path());
    let notes: Vec<&str> = report["notes"].as_array().unwrap().iter().filter_map(|n| n.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.starts_with("removed 1 stale temporary file of an earlier run: ")
            && n.contains(&*dead.display().to_string())),
        "{report}"
    );
}
