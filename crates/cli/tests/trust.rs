//! Issue 8, tried as a new user would, through the binary: the source and
//! files that are not ours are never modified (item 4), exit codes a script
//! can trust (5), a single .ics/.vcf target takes every folder (6), terminal
//! safety (7), selections that select nothing (8), interrupts (9), private
//! modes (11) and the smaller promises (13).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{mailshift, mailshift_in, sample_ost, total};
use sha2::{Digest, Sha256};

/// sha256 of every file under `path` (or of the file), with the relative names.
fn digest(path: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(path).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(path).unwrap().display().to_string();
            out.push((rel, format!("{:x}", Sha256::digest(std::fs::read(e.path()).unwrap()))));
        }
    }
    out
}

fn mbox_of(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        out.extend_from_slice(
            format!(
                "From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nSubject: m{i}\n\
                 Message-ID: <m{i}@example.com>\n\nbody {i}\n\n"
            )
            .as_bytes(),
        );
    }
    out
}

#[test]
fn target_that_is_the_source_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("same.mbox"), mbox_of(3)).unwrap();
    std::fs::hard_link(d.join("same.mbox"), d.join("hard.mbox")).unwrap();
    std::os::unix::fs::symlink(d.join("same.mbox"), d.join("sym.mbox")).unwrap();
    let before = digest(d);
    for target in ["same.mbox", "./same.mbox", "hard.mbox", "sym.mbox", "../*/same.mbox"] {
        let target = if target.contains('*') {
            format!("../{}/same.mbox", d.file_name().unwrap().to_str().unwrap())
        } else {
            target.to_string()
        };
        let (code, _, err) = mailshift_in(d, &["convert", "same.mbox", &target, "--to", "mbox"]);
        assert_eq!(code, 2, "{target}: {err}");
        assert!(err.contains("is the source"), "{target}: {err}");
    }
    assert_eq!(digest(d), before, "the source was modified");
}

#[test]
fn target_inside_the_source_or_holding_it_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let src = common::sample("tree");
    let copy = d.join("tree");
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        let to = copy.join(e.path().strip_prefix(&src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    std::os::unix::fs::symlink(&copy, d.join("link")).unwrap();
    let before = digest(&copy);
    for (target, says) in [
        ("tree/out", "lies inside the source"),
        ("link/out", "lies inside the source"),
        (".", "lies inside the target"),
        ("tree", "is the source"),
    ] {
        let (code, _, err) = mailshift_in(d, &["convert", "tree", target, "--to", "maildir"]);
        assert_eq!(code, 2, "{target}: {err}");
        assert!(err.contains(says), "{target}: {err}");
    }
    // The report file is checked too.
    let (code, _, err) = mailshift_in(d, &["convert", "tree", "out", "--to", "maildir", "--report", "tree/r.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("report file lies inside the source"), "{err}");
    assert_eq!(digest(&copy), before, "the source was modified");
}

#[test]
fn existing_target_not_of_the_target_format_is_refused() {
    let Some(ost) = sample_ost() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::copy(&ost, d.join("store.pst")).unwrap();
    std::fs::write(d.join("notes.txt"), b"my notes, not mail\n").unwrap();
    std::fs::write(d.join("cal.ics"), b"not a calendar\n").unwrap();
    std::fs::write(d.join("a.mbox"), mbox_of(2)).unwrap();
    let before = digest(d);
    for (args, says) in [
        (vec!["convert", "a.mbox", "store.pst", "--to", "mbox"], "is a PST/OST file"),
        (vec!["convert", "a.mbox", "notes.txt", "--to", "mbox"], "not an mbox"),
        (vec!["convert", "a.mbox", "notes.txt", "--to", "maildir"], "is a file"),
        (vec!["convert", "store.pst", "cal.ics"], "not a iCalendar file"),
    ] {
        let (code, _, err) = mailshift_in(d, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(digest(d), before, "a file that is not ours was modified");
    // A Maildir named as an EML target would mix formats.
    let (code, _, err) = mailshift_in(d, &["convert", "a.mbox", "md", "--to", "maildir", "--no-fsync"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = mailshift_in(d, &["convert", "a.mbox", "md", "--to", "eml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a Maildir store"), "{err}");
}

/// The source is opened read-only and, where the kernel allows, without
/// updating its access time (forensic use).
#[test]
fn reading_leaves_the_source_access_time_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("a.mbox"), mbox_of(3)).unwrap();
    let mut sources = vec![d.join("a.mbox")];
    if let Some(ost) = sample_ost() {
        std::fs::copy(ost, d.join("s.ost")).unwrap();
        sources.push(d.join("s.ost"));
    }
    for src in sources {
        // An access time far in the past: a plain read would update it
        // even under relatime.
        let status = Command::new("touch").args(["-a", "-d", "2001-02-03 04:05:06"]).arg(&src).status().unwrap();
        assert!(status.success());
        let before = std::fs::metadata(&src).unwrap();
        for args in [vec!["info"], vec!["convert"]] {
            let mut a: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_ref()).collect();
            a.push(src.as_os_str());
            let out = d.join("out");
            if args[0] == "convert" {
                a.extend([out.as_os_str(), "--to".as_ref(), "maildir".as_ref(), "--no-fsync".as_ref()]);
            }
            let o = Command::new(env!("CARGO_BIN_EXE_mailshift")).args(&a).output().unwrap();
            assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
            let _ = std::fs::remove_dir_all(&out);
        }
        let after = std::fs::metadata(&src).unwrap();
        assert_eq!(after.atime(), before.atime(), "{}: access time changed", src.display());
        assert_eq!(after.mtime(), before.mtime());
    }
}

#[test]
fn info_exit_codes_notes_are_notes() {
    let Some(ost) = sample_ost() else { return };
    // SampleOstFile.ost has notes only (OLE objects kept as bytes), which
    // converting its messages shows (--exact).
    let (code, out, err) = mailshift(&[&"info", &ost, &"--exact"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("readable: no damage found"), "{out}");
    assert!(out.contains("note "), "{out}");
    // A problem line names the message by folder and subject, not only NID.
    assert!(out.contains("message: Inbox: message NID 0x214f04 (RTF newsletter copy): attachment"), "{out}");
    // A truncated copy is damaged: exit 1, and it does not say "no problems".
    let tmp = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&ost).unwrap();
    let cut = tmp.path().join("cut.ost");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let (code, out, err) = mailshift(&[&"info", &cut]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("damaged:") && !out.contains("no problems found"), "{out}");
    // Not a store at all: exit 2.
    let junk = tmp.path().join("junk.bin");
    std::fs::write(&junk, [0u8; 100]).unwrap();
    let (code, _, err) = mailshift(&[&"info", &junk]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn eml_output_exits_0_with_flags_not_kept_and_1_with_strict() {
    let tmp = tempfile::tempdir().unwrap();
    let src = common::sample("sample.mbox");
    let (code, report) = common::convert(&src, &tmp.path().join("eml"), &["--to", "eml"]);
    assert_eq!(code, 0, "{report}");
    let not_kept: u64 = report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["not_kept"].as_array().unwrap().iter())
        .map(|n| n["items"].as_u64().unwrap())
        .sum();
    assert!(not_kept > 0, "the sample has flagged messages: {report}");
    let (code, report) = common::convert(&src, &tmp.path().join("eml2"), &["--to", "eml", "--strict"]);
    assert_eq!(code, 1, "{report}");
}

#[test]
fn a_single_ics_target_takes_every_folder() {
    let Some(ost) = sample_ost() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // 1 appointment in Calendar, 4 in Deleted Items.
    let ics = tmp.path().join("cal.ics");
    let (code, report) = common::convert(&ost, &ics, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(total(&report, "copied"), 5, "{report}");
    assert_eq!(std::fs::read_to_string(&ics).unwrap().matches("BEGIN:VEVENT").count(), 5);
    let ics = tmp.path().join("cal2.ics");
    let (code, report) = common::convert(&ost, &ics, &["--exclude", "deleted items"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(total(&report, "copied"), 1, "{report}");
    // A kind with nothing to write says so instead of writing no file silently.
    let vcf = tmp.path().join("none.vcf");
    let (code, report) = common::convert(&common::sample("sample.mbox"), &vcf, &[]);
    assert_eq!(code, 0, "{report}");
    assert!(!vcf.exists());
    let notes = report["notes"].to_string();
    assert!(notes.contains("no contacts or lists") && notes.contains("not written"), "{report}");
}

#[test]
fn folder_globs_ignore_case_and_a_glob_matching_nothing_is_an_error() {
    let Some(ost) = sample_ost() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (code, report) = common::convert(&ost, &tmp.path().join("a"), &["--to", "mbox", "--folder", "inbox"]);
    assert!(code < 2, "{report}");
    // Inbox 12, sub1 25, sub2 29.
    assert_eq!(total(&report, "copied"), 66, "{report}");
    let (code, _, err) = mailshift(&[&"convert", &ost, &tmp.path().join("b"), &"--to", &"mbox", &"--folder", &"Inbx"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"Inbx\" matches no folder") && err.contains("\n  Inbox/sub1\n"), "{err}");
    let (code, _, err) =
        mailshift(&[&"convert", &ost, &tmp.path().join("c"), &"--to", &"mbox", &"--exclude", &"Nope/*"]);
    assert_eq!(code, 2, "{err}");
    assert!(!tmp.path().join("b").exists() && !tmp.path().join("c").exists(), "nothing is written");
}

#[test]
fn control_characters_from_the_source_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    let evil = "evil\x1b]0;pwned\x07\u{202e}gpj";
    std::fs::write(tree.join(evil), mbox_of(1)).unwrap();
    std::fs::write(tree.join("日本語のフォルダ"), mbox_of(2)).unwrap();
    let report = tmp.path().join("r.json");
    let (code, out, err) =
        mailshift(&[&"convert", &tree, &tmp.path().join("out"), &"--to", &"eml", &"--report", &report]);
    assert!(code < 2, "{err}");
    let (icode, info, ierr) = mailshift(&[&"info", &tree]);
    assert!(icode < 2, "{ierr}");
    for text in [&out, &err, &info, &ierr] {
        assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'), "{text:?}");
    }
    assert!(err.contains("evil\\x1b]0;pwned\\x07\\u{202e}gpj"), "{err}");
    assert!(info.contains("evil\\x1b]0;pwned\\x07"), "{info}");
    // The JSON report keeps the real name.
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(json["folders"].as_array().unwrap().iter().any(|f| f["path"] == evil), "{json}");
    // Columns line up by display width: the counts start in the same column.
    let col = |line: &str| mailshift_core::text::width(line.split("  ").next().unwrap_or(""));
    let lines: Vec<&str> =
        err.lines().filter(|l| l.starts_with("evil") || l.starts_with("日本語") || l.starts_with("TOTAL")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    let w: Vec<usize> = lines.iter().map(|l| mailshift_core::text::width(l)).collect();
    assert!(w.windows(2).all(|p| p[0] == p[1]), "rows of different widths: {lines:?}");
    let _ = col;
}

#[test]
fn sigint_stops_cleanly_with_the_report_and_130() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("big.mbox");
    std::fs::write(&src, mbox_of(40_000)).unwrap();
    let dst = tmp.path().join("md");
    let report = tmp.path().join("r.json");
    // With fsync (the default) the run takes long enough to be interrupted.
    let child = Command::new(env!("CARGO_BIN_EXE_mailshift"))
        .args(["convert".as_ref(), src.as_os_str(), dst.as_os_str(), "--to".as_ref(), "maildir".as_ref()])
        .args(["--report".as_ref(), report.as_os_str()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        if std::fs::read_dir(dst.join("cur")).map(|d| d.count() > 0).unwrap_or(false)
            || std::fs::read_dir(dst.join("new")).map(|d| d.count() > 0).unwrap_or(false)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    // 40,000 fsynced files take seconds; the signal came after the first.
    assert_eq!(json["interrupted"], true, "the run finished before the signal: {err}");
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let copied = total(&json, "copied");
    assert!(copied < 40_000, "{json}");
    // What was written is whole and counted; no temporary file is left.
    let files: usize = ["cur", "new"].iter().map(|d| std::fs::read_dir(dst.join(d)).map_or(0, |r| r.count())).sum();
    assert_eq!(files as u64, copied, "{json}");
    let leftovers: Vec<PathBuf> = walkdir::WalkDir::new(tmp.path())
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .filter(|p| {
            p.starts_with(dst.join("tmp")) || p.file_name().unwrap().to_string_lossy().starts_with(".mailshift-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A second run with --dedup completes the target.
    let (code, again) = common::convert(&src, &dst, &["--to", "maildir", "--dedup"]);
    assert_eq!(code, 0, "{again}");
    assert_eq!(total(&again, "copied") + copied, 40_000, "{again}");
}

#[test]
fn stale_temp_files_of_a_killed_run_are_removed_and_counted() {
    let Some(ost) = sample_ost() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let stale = tmp.path().join(".mailshift-4999999-abc.tmp");
    let live = tmp.path().join(format!(".mailshift-{}-abc.tmp", std::process::id()));
    let other = tmp.path().join(".other.tmp");
    for p in [&stale, &live, &other] {
        std::fs::write(p, b"x").unwrap();
    }
    let (code, report) = common::convert(&ost, &tmp.path().join("cal.ics"), &[]);
    assert_eq!(code, 0, "{report}");
    assert!(!stale.exists() && live.exists() && other.exists());
    assert!(report["notes"].to_string().contains("removed 1 stale temporary file"), "{report}");
}

#[test]
fn new_files_are_private() {
    let Some(ost) = sample_ost() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("new/rescued");
    let report = tmp.path().join("r.json");
    let (code, _, err) =
        mailshift(&[&"convert", &ost, &dst, &"--to", &"maildir", &"--no-fsync", &"-q", &"--report", &report]);
    assert!(code < 2, "{err}");
    let mut checked = 0;
    for e in walkdir::WalkDir::new(tmp.path().join("new")).into_iter().chain(walkdir::WalkDir::new(&report)) {
        let e = e.unwrap();
        let mode = e.metadata().unwrap().permissions().mode() & 0o777;
        let want = if e.file_type().is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", e.path().display());
        checked += 1;
    }
    assert!(std::fs::read_dir(&dst).unwrap().flatten().any(|e| e.path().extension().is_some_and(|x| x == "ics")));
    assert!(checked > 10);
}

#[test]
fn smaller_promises() {
    let tmp = tempfile::tempdir().unwrap();
    // --help offers PST.
    let (_, help, _) = mailshift(&[&"convert", &"--help"]);
    let to = help.lines().skip_while(|l| !l.contains("--to")).take(12).collect::<Vec<_>>().join("\n");
    assert!(to.contains("- mbox") && to.contains("- pst"), "{to}");
    let src = common::sample("sample.mbox");
    // An error's cause is not repeated.
    let file = tmp.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let (code, _, err) = mailshift(&[&"convert", &src, &file.join("sub"), &"--to", &"maildir"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.matches("Not a directory").count(), 1, "{err}");
}
