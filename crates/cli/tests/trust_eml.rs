//! Issue 8 on the EML side, through the binary as a new user would meet it:
//! folders whose names differ only by characters a file name cannot hold
//! stay apart (and a second run finds them again), unreadable parts of an
//! EML tree are failures and not silently left out, targets given in every
//! spelling work, new files and directories are private, a killed run's
//! temporary files are swept, and flags EML cannot hold are "not kept",
//! not a loss.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use mailshift_testkit::files::{chmod, mode};
use mailshift_testkit::user::Unprivileged;

const DATE: &str = "Date: Tue, 14 Nov 2023 22:13:20 +0000";

/// A message that says which folder it was written for.
fn msg(tag: &str) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: mail of {tag}\r\nMessage-ID: <{tag}@example.org>\r\n{DATE}\r\n\r\nbody of {tag}\r\n")
        .into_bytes()
}

/// An EML tree: one file per (directory, tag) under `root`.
fn eml_tree(root: &Path, entries: &[(&str, &str)]) {
    for (dir, tag) in entries {
        let d = root.join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("{}.eml", tag.replace(['/', ':', '?'], "-"))), msg(tag)).unwrap();
    }
}

/// The visible `.eml` files directly in `dir`, by name, with their bytes.
fn eml_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

/// The names of the visible subdirectories of `dir`, sorted.
fn subdirs(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Asserts that `dir` holds exactly one message, the one written for `tag`.
#[track_caller]
fn holds_only(dir: &Path, tag: &str) {
    let files = eml_files(dir);
    let bodies: Vec<&Vec<u8>> = files.values().collect();
    assert_eq!(bodies, [&msg(tag)], "{} should hold only the mail of {tag}: {:?}", dir.display(), files.keys());
}

fn notes(report: &serde_json::Value) -> Vec<String> {
    report["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
}

/// The row of folder `path` in a report's or info's `folders`.
fn folder<'a>(report: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no folder {path:?} in {report}"))
}

/// The source of the collision tests, `TMP/src`: `a:b`, `a?b` and `a_b`,
/// which all sanitize to `a_b`, two with a child, one message each;
/// converted to EML in `TMP/out` (exit 0). Returns (source, target, report).
fn convert_colliding_source(tmp: &Path) -> (PathBuf, PathBuf, serde_json::Value) {
    let src = tmp.join("src");
    eml_tree(
        &src,
        &[("a:b", "a:b"), ("a?b", "a?b"), ("a_b", "a_b"), ("a:b/child", "a:b/child"), ("a?b/child", "a?b/child")],
    );
    let out = tmp.join("out");
    let (code, report) = convert(&src, &out, &["--to", "eml"]);
    assert_eq!(code, 0, "{report}");
    (src, out, report)
}

#[test]
fn folders_differing_only_in_unsafe_characters_get_their_own_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, out, report) = convert_colliding_source(tmp.path());
    assert_eq!(total(&report, "copied"), 5, "{report}");
    // The folder whose name is already safe keeps it; the others are
    // numbered in name order, as .vcf/.ics files of colliding folders are.
    assert_eq!(subdirs(&out), ["a_b", "a_b (2)", "a_b (3)"]);
    holds_only(&out.join("a_b"), "a_b");
    holds_only(&out.join("a_b (2)"), "a:b");
    holds_only(&out.join("a_b (3)"), "a?b");
    holds_only(&out.join("a_b (2)/child"), "a:b/child");
    holds_only(&out.join("a_b (3)/child"), "a?b/child");
    assert!(subdirs(&out.join("a_b")).is_empty());

    // Read back, the tree has the source's folder names again, so a second
    // run with --dedup finds every message where it belongs.
    let (code, info, _) = mailshift(&[&"info", &out, &"--json"]);
    assert_eq!(code, 0);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    let paths: Vec<&str> = info["folders"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["", "a:b", "a:b/child", "a?b", "a?b/child", "a_b"]);

    let (code, again) = convert(&src, &out, &["--to", "eml", "--dedup"]);
    assert_eq!(code, 0, "{again}");
    assert_eq!(total(&again, "copied"), 0, "{again}");
    assert_eq!(total(&again, "skipped_duplicate"), 5, "{again}");
    assert_eq!(subdirs(&out), ["a_b", "a_b (2)", "a_b (3)"]);
    holds_only(&out.join("a_b (2)"), "a:b");
    holds_only(&out.join("a_b (3)"), "a?b");
}

/// Needs core's `WithPimFiles` (which the CLI wraps every mail writer in)
/// to pass its inner writer's `notes()` on; see the report to the lead.
#[test]
fn folder_renames_are_noted_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, report) = convert_colliding_source(tmp.path());
    assert_eq!(notes(&report), ["folder a:b written as a_b (2)", "folder a?b written as a_b (3)"]);
    let (_, _, table) = mailshift_in(tmp.path(), &["convert", "src", "out2", "--to", "eml", "--no-fsync"]);
    assert!(table.contains("note     folder a?b written as a_b (3)\n"), "{table}");
}

#[test]
fn a_directory_an_earlier_run_made_for_another_folder_is_not_shared() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let second = tmp.path().join("second");
    eml_tree(&first, &[("a?b", "a?b")]);
    eml_tree(&second, &[("a_b", "a_b")]);
    let out = tmp.path().join("out");

    let (code, r1) = convert(&first, &out, &["--to", "eml"]);
    assert_eq!(code, 0, "{r1}");
    assert_eq!(subdirs(&out), ["a_b"]);
    // A later run of another store: its `a_b` is not the `a_b` directory,
    // which holds the mail of `a?b`.
    let (code, r2) = convert(&second, &out, &["--to", "eml"]);
    assert_eq!(code, 0, "{r2}");
    assert_eq!(subdirs(&out), ["a_b", "a_b (2)"]);
    holds_only(&out.join("a_b"), "a?b");
    holds_only(&out.join("a_b (2)"), "a_b");

    // Either run again with --dedup copies nothing and makes nothing.
    for src in [&second, &first] {
        let (code, again) = convert(src, &out, &["--to", "eml", "--dedup"]);
        assert_eq!(code, 0, "{again}");
        assert_eq!(total(&again, "copied"), 0, "{again}");
        assert_eq!(total(&again, "skipped_duplicate"), 1, "{again}");
    }
    assert_eq!(subdirs(&out), ["a_b", "a_b (2)"]);
    holds_only(&out.join("a_b"), "a?b");
    holds_only(&out.join("a_b (2)"), "a_b");
}

// ---- unreadable parts of the source ---------------------------------------

/// `convert SRC DST --to eml` as `user`, with a JSON report: (exit code, report).
fn convert_as(user: &Unprivileged, src: &Path, dst: &Path) -> (i32, serde_json::Value) {
    let report = dst.with_extension("report.json");
    let (code, _, err) =
        user.run(&[&"convert", &src, &dst, &"--to", &"eml", &"--no-fsync", &"-q", &"--report", &report]);
    assert!(code == 0 || code == 1, "convert failed ({code}): {err}");
    (code, read_json(&report))
}

/// `info SRC --json` as `user`: (exit code, info).
fn info_as(user: &Unprivileged, src: &Path) -> (i32, serde_json::Value) {
    let (code, out, err) = user.run(&[&"info", &src, &"--json"]);
    assert!(code == 0 || code == 1, "info failed ({code}): {err}");
    (code, serde_json::from_str(&out).unwrap())
}

#[test]
fn an_unreadable_eml_directory_is_a_failed_folder_not_an_empty_one() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    eml_tree(&src, &[("ok", "ok"), ("locked", "locked"), ("locked/inner", "inner")]);
    let Some(user) = Unprivileged::new(env!("CARGO_BIN_EXE_mailshift"), tmp.path()) else { return };
    chmod(&src.join("locked"), 0o000);

    let (code, report) = convert_as(&user, &src, &tmp.path().join("out"));
    chmod(&src.join("locked"), 0o755);
    assert_eq!(code, 1, "{report}");
    assert_eq!(folder(&report, "ok")["counts"]["copied"], 1, "{report}");
    let locked = folder(&report, "locked");
    assert_eq!(locked["counts"]["failed"], 1, "{report}");
    let reason = locked["failures"][0]["reason"].as_str().unwrap();
    let locked_path = src.join("locked").display().to_string();
    assert!(reason.contains(&locked_path) && reason.contains("Permission denied"), "{reason}");

    chmod(&src.join("locked"), 0o000);
    let (code, info) = info_as(&user, &src);
    chmod(&src.join("locked"), 0o755);
    assert_eq!(code, 1, "{info}");
    let error = folder(&info, "locked")["error"].as_str().unwrap_or_else(|| panic!("no error: {info}"));
    assert!(error.contains(&locked_path) && error.contains("Permission denied"), "{error}");
}

#[test]
fn unreadable_eml_files_are_failed_items_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    eml_tree(&src, &[("", "top"), ("box", "ok"), ("box", "secret"), ("listonly", "l1"), ("listonly", "l2")]);
    let Some(user) = Unprivileged::new(env!("CARGO_BIN_EXE_mailshift"), tmp.path()) else { return };
    let secret = src.join("box/secret.eml");
    // A file that cannot be opened, and a directory whose names can be
    // listed but whose files cannot even be looked at (r--).
    chmod(&secret, 0o000);
    chmod(&src.join("listonly"), 0o444);

    let (code, report) = convert_as(&user, &src, &tmp.path().join("out"));
    let (icode, info) = info_as(&user, &src);
    chmod(&src.join("listonly"), 0o755);
    chmod(&secret, 0o644);

    assert_eq!(code, 1, "{report}");
    let b = folder(&report, "box");
    assert_eq!((b["counts"]["copied"].as_u64(), b["counts"]["failed"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(b["failures"][0]["item"], "box/secret.eml", "{report}");
    let reason = b["failures"][0]["reason"].as_str().unwrap();
    assert!(reason.contains(&secret.display().to_string()) && reason.contains("Permission denied"), "{reason}");
    let l = folder(&report, "listonly");
    assert_eq!(l["counts"]["failed"], 2, "{report}");
    let items: Vec<&str> = l["failures"].as_array().unwrap().iter().map(|f| f["item"].as_str().unwrap()).collect();
    assert_eq!(items, ["listonly/l1.eml", "listonly/l2.eml"], "{report}");

    assert_eq!(icode, 1, "{info}");
    assert_eq!(folder(&info, "box")["unreadable"], 1, "{info}");
    assert_eq!(folder(&info, "listonly")["unreadable"], 2, "{info}");
}

// ---- targets, modes, temporary files ----------------------------------------

#[test]
fn relative_absolute_and_symlinked_eml_targets() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    eml_tree(&src, &[("", "top"), ("Sub", "sub")]);
    let cwd = tmp.path().join("work");
    std::fs::create_dir_all(cwd.join("real")).unwrap();
    std::fs::create_dir_all(tmp.path().join("x")).unwrap();
    std::os::unix::fs::symlink("real", cwd.join("link")).unwrap();
    let abs = tmp.path().join("abs").display().to_string();
    let src_arg = src.display().to_string();
    let cases: [(&str, PathBuf); 6] = [
        ("out", cwd.join("out")),
        ("./dot", cwd.join("dot")),
        ("slash/", cwd.join("slash")),
        ("../x/out", tmp.path().join("x/out")),
        (&abs, tmp.path().join("abs")),
        ("link/out", cwd.join("real/out")),
    ];
    for (target, where_) in &cases {
        // With fsync, so that the directories' parents are synced too.
        let (code, _, err) = mailshift_in(&cwd, &["convert", &src_arg, target, "--to", "eml", "-q"]);
        assert_eq!(code, 0, "target {target}: {err}");
        holds_only(where_, "top");
        holds_only(&where_.join("Sub"), "sub");
    }
}

#[test]
fn new_eml_files_are_0600_and_new_directories_0700() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    eml_tree(&src, &[("", "top"), ("Sub", "sub"), ("Sub/Deeper", "deep"), ("a?b", "renamed")]);
    let out = tmp.path().join("out");
    let (code, report) = convert(&src, &out, &["--to", "eml"]);
    assert_eq!(code, 0, "{report}");
    for d in [&out, &out.join("Sub"), &out.join("Sub/Deeper"), &out.join("a_b")] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
    }
    let mut files = 0;
    for d in [&out, &out.join("Sub"), &out.join("Sub/Deeper"), &out.join("a_b")] {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                assert_eq!(mode(&p), 0o600, "{}", p.display());
                files += 1;
            }
        }
    }
    // Four messages and the record of a_b's real name.
    assert_eq!(files, 5);

    // An existing target directory keeps its mode.
    let existing = tmp.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    chmod(&existing, 0o751);
    let (code, _) = convert(&src, &existing, &["--to", "eml"]);
    assert_eq!(code, 0);
    assert_eq!(mode(&existing), 0o751);
    assert_eq!(mode(&existing.join("Sub")), 0o700);
}

/// A pid no process has (pid_max is at most 2^22).
const DEAD: &str = ".mailshift-4999999-x.tmp";

#[test]
fn a_killed_runs_temporary_files_are_swept_and_others_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    eml_tree(&src, &[("", "top"), ("Sub", "sub")]);
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("Sub")).unwrap();
    // pid 1 is alive; the others are not of our form. (Only hidden ones in
    // both directories, or the tree would no longer look like EML and
    // --dedup below would not read it.)
    let keep = [".mailshift-1-x.tmp", ".mailshift-notes.tmp", ".tmp-mailshift-4999999-1.eml"];
    for d in [out.clone(), out.join("Sub")] {
        std::fs::write(d.join(DEAD), b"half a message").unwrap();
        for k in keep {
            std::fs::write(d.join(k), b"not ours to remove").unwrap();
        }
    }
    std::fs::write(out.join("mailshift-4999999-x.tmp"), b"not ours either").unwrap();
    let (code, report) = convert(&src, &out, &["--to", "eml"]);
    assert_eq!(code, 0, "{report}");
    for d in [out.clone(), out.join("Sub")] {
        assert!(!d.join(DEAD).exists(), "{} is still there", d.join(DEAD).display());
        for k in keep {
            assert!(d.join(k).exists(), "{} was removed", d.join(k).display());
        }
        assert_eq!(eml_files(&d).len(), 1);
    }
    assert!(out.join("mailshift-4999999-x.tmp").exists());
    // The reader ignores temporary and hidden files: a second run with
    // --dedup sees exactly the two messages.
    let (code, again) = convert(&src, &out, &["--to", "eml", "--dedup"]);
    assert_eq!(code, 0, "{again}");
    assert_eq!((total(&again, "copied"), total(&again, "skipped_duplicate")), (0, 2), "{again}");
    let (code, info, _) = mailshift(&[&"info", &out, &"--json"]);
    assert_eq!(code, 0, "{info}");
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["items"], 2, "{info}");
}

/// As above, for the report; needs core's `WithPimFiles` to forward notes().
#[test]
fn the_sweep_is_noted_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    eml_tree(&src, &[("", "top"), ("Sub", "sub")]);
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("Sub")).unwrap();
    std::fs::write(out.join(DEAD), b"x").unwrap();
    std::fs::write(out.join("Sub").join(DEAD), b"x").unwrap();
    let (code, report) = convert(&src, &out, &["--to", "eml"]);
    assert_eq!(code, 0, "{report}");
    let want = format!(
        "removed 2 stale temporary files of an earlier run: {}, {}",
        out.join(DEAD).display(),
        out.join("Sub").join(DEAD).display()
    );
    assert_eq!(notes(&report), [want]);
}

// ---- exit codes ---------------------------------------------------------------

#[test]
fn maildir_flags_are_not_kept_by_eml_exit_0_and_1_with_strict() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("md");
    for d in ["cur", "new", "tmp", ".Sub/cur", ".Sub/new", ".Sub/tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    std::fs::write(md.join(".Sub/maildirfolder"), b"").unwrap();
    std::fs::write(md.join("cur/1.host:2,S"), msg("one")).unwrap();
    std::fs::write(md.join("cur/2.host:2,FRS"), msg("two")).unwrap();
    std::fs::write(md.join("new/3.host"), msg("three")).unwrap();
    std::fs::write(md.join(".Sub/cur/4.host:2,S"), msg("four")).unwrap();

    let out = tmp.path().join("out");
    let (code, report) = convert(&md, &out, &["--to", "eml"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(total(&report, "copied"), 4, "{report}");
    let not_kept = |path: &str| -> BTreeMap<String, u64> {
        folder(&report, path)["not_kept"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["what"].as_str().unwrap().to_string(), n["items"].as_u64().unwrap()))
            .collect()
    };
    let root = not_kept("");
    assert_eq!(root.get("flag \\Seen (EML has no flags)"), Some(&2), "{report}");
    assert_eq!(root.get("flag \\Flagged (EML has no flags)"), Some(&1), "{report}");
    assert_eq!(root.get("flag \\Answered (EML has no flags)"), Some(&1), "{report}");
    assert_eq!(root.len(), 3, "{report}");
    assert_eq!(not_kept("Sub"), BTreeMap::from([("flag \\Seen (EML has no flags)".to_string(), 1)]), "{report}");
    assert!(report["folders"].as_array().unwrap().iter().all(|f| f["losses"].as_array().unwrap().is_empty()));

    let (code, strict) = convert(&md, &tmp.path().join("strict"), &["--to", "eml", "--strict"]);
    assert_eq!(code, 1, "{strict}");
    assert_eq!(total(&strict, "copied"), 4, "{strict}");
}
