//! Issue 8 for Maildir, through the binary: relative targets, Dovecot
//! opening every folder we write (the inbox's children above all), reading
//! what Dovecot made, no silent loss from an unreadable source, private
//! modes, and the sweep of a killed run's temporary files.

mod common;
#[path = "../../maildir/tests/support/doveadm.rs"]
mod doveadm;

use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use doveadm::{dovecot_name, Doveadm};
use mailshift_core::StoreReader;
use mailshift_maildir::{Layout, MaildirReader};
use mailshift_testkit::files::chmod;
use mailshift_testkit::user::{self, Unprivileged};

const LAYOUTS: [(&str, Layout); 2] = [("maildir++", Layout::MaildirPlusPlus), ("fs", Layout::Fs)];

/// Message count per folder of a Maildir as we read it, under the names
/// Dovecot gives them (the root is `INBOX`).
fn our_counts(maildir: &Path) -> BTreeMap<String, usize> {
    let r = MaildirReader::open(maildir).expect("open the Maildir");
    let mut out = BTreeMap::new();
    let folders = r.folders().expect("folders");
    let inbox = mailshift_core::inbox_name(&folders);
    for f in folders {
        let name = dovecot_name(&f, inbox.as_deref());
        let n = r.items(f.id).unwrap_or_else(|e| panic!("items of {name} in {}: {e}", maildir.display())).len();
        assert!(out.insert(name.clone(), n).is_none(), "two folders of {} read as {name:?}", maildir.display());
    }
    out
}

/// Compares doveadm's per-folder counts with ours: every folder we hold
/// mail in is there with the same count (parents that exist only through
/// their children are \NoSelect for Dovecot and missing from its status),
/// nothing else is, and doveadm printed no error.
fn same_as_dovecot(what: &str, ours: &BTreeMap<String, usize>, theirs: &BTreeMap<String, usize>, errors: &[String]) {
    assert!(errors.is_empty(), "{what}: doveadm: {errors:#?}");
    for (name, n) in ours {
        assert_eq!(theirs.get(name).copied().unwrap_or(0), *n, "{what}: messages in {name:?} (doveadm: {theirs:?})");
    }
    for name in theirs.keys() {
        assert!(ours.contains_key(name), "{what}: doveadm has {name:?}, we have {ours:?}");
    }
}

/// `mailshift convert SRC TARGET --to maildir --maildir-layout LAYOUT
/// --report r.json EXTRA` in `cwd`, with fsync (the default): (exit code,
/// stderr).
fn convert_in(cwd: &Path, src: &str, target: &str, layout_name: &str, extra: &[&str]) -> (i32, String) {
    let mut args =
        vec!["convert", src, target, "--to", "maildir", "--maildir-layout", layout_name, "--report", "r.json"];
    args.extend(extra);
    let (code, _, err) = common::mailshift_in(cwd, &args);
    (code, err)
}

/// `rescued`, `./rescued`, `rescued/`, `../x/rescued`, an absolute path and
/// a path through a symlinked directory, run from a working directory: the
/// Maildir writer synced the parent of a bare relative name as `""` and
/// reported the whole inbox failed ("cannot finish target folder: : No such
/// file or directory") after writing it.
#[test]
fn relative_targets_of_every_form_work() {
    let src = common::sample("sample.mbox");
    let src_arg = src.to_str().expect("a UTF-8 path");
    let tmp = tempfile::tempdir().expect("temp dir");
    let base = tmp.path().canonicalize().expect("canonical temp dir");
    let mut n = 0;
    for (layout_name, _) in LAYOUTS {
        let forms = ["rescued", "./rescued", "rescued/", "../x/rescued", "ABS", "link/rescued"];
        for form in forms {
            n += 1;
            let case = base.join(format!("case{n}"));
            let cwd = case.join("x");
            std::fs::create_dir_all(&cwd).expect("mkdir");
            std::fs::create_dir_all(case.join("real")).expect("mkdir");
            symlink("../real", cwd.join("link")).expect("symlink");
            let abs = cwd.join("rescued");
            let target = if form == "ABS" { abs.display().to_string() } else { form.to_string() };
            let written = if form.starts_with("link/") { case.join("real/rescued") } else { abs.clone() };
            // With fsync (the default): the failure was in syncing the parent.
            let (code, err) = convert_in(&cwd, src_arg, &target, layout_name, &[]);
            assert_eq!(code, 0, "{layout_name} {form}: {err}");
            let report = common::read_json(&cwd.join("r.json"));
            assert_eq!(common::total(&report, "copied"), 60, "{layout_name} {form}: {report}");
            assert_eq!(common::total(&report, "failed"), 0, "{layout_name} {form}: {report}");
            assert_eq!(our_counts(&written)["INBOX"], 60, "{layout_name} {form}");
            let files =
                ["new", "cur"].iter().map(|d| std::fs::read_dir(written.join(d)).expect("list").count()).sum::<usize>();
            assert_eq!(files, 60, "{layout_name} {form}");
        }
    }
    // An mbox with no messages: the empty root folder is still finished.
    let cwd = base.join("empty");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    std::fs::write(cwd.join("empty.mbox"), b"").expect("write");
    for (layout_name, _) in LAYOUTS {
        let target = format!("rescued-{layout_name}");
        let (code, _, err) = common::mailshift_in(
            &cwd,
            &["convert", "empty.mbox", &target, "--from", "mbox", "--to", "maildir", "--maildir-layout", layout_name],
        );
        assert_eq!(code, 0, "{layout_name}: {err}");
        assert!(cwd.join(&target).join("cur").is_dir() && cwd.join(&target).join("new").is_dir());
    }
}

/// The issue's own command: `cd /tmp/x && mailshift convert
/// SampleOstFile.ost rescued --to maildir`, both layouts; the calendar file
/// core writes beside the mail lands in `rescued/` too.
#[test]
fn sample_ost_into_a_relative_target() {
    let Some(ost) = common::sample_ost() else { return };
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&ost, tmp.path().join("SampleOstFile.ost")).expect("copy the fixture into the temp dir");
    for (layout_name, _) in LAYOUTS {
        let target = format!("rescued-{layout_name}");
        let (code, err) = convert_in(tmp.path(), "SampleOstFile.ost", &target, layout_name, &["-q"]);
        assert_eq!(code, 0, "{layout_name}: {err}");
        let report = common::read_json(&tmp.path().join("r.json"));
        assert_eq!(common::total(&report, "failed"), 0, "{report}");
        let counts = our_counts(&tmp.path().join(&target));
        assert_eq!(counts.values().sum::<usize>(), 87, "{counts:?}");
        assert_eq!(counts["INBOX"], 12, "{counts:?}");
        assert_eq!(counts["INBOX/sub1"], 25, "{counts:?}");
        assert_eq!(counts["INBOX/sub2"], 29, "{counts:?}");
        let ics = std::fs::read_to_string(tmp.path().join(&target).join("Calendar.ics")).expect("Calendar.ics");
        assert!(ics.starts_with("BEGIN:VCALENDAR") && ics.contains("BEGIN:VEVENT"), "{ics}");
        assert!(!tmp.path().join("Calendar.ics").exists());
    }
}

/// Converts `src` with the binary into a Maildir of `layout` (no fsync);
/// false if mailshift could not read it (exit 2).
fn convert_quietly(src: &Path, dst: &Path, layout_name: &str) -> bool {
    let (code, _, err) = common::mailshift(&[
        &"convert",
        &src,
        &dst,
        &"--to",
        &"maildir",
        &"--maildir-layout",
        &layout_name,
        &"--no-fsync",
        &"-q",
    ]);
    assert!(code == 0 || code == 1 || code == 2, "{}: exit {code}: {err}", src.display());
    code != 2
}

/// Every PST and OST fixture, written as Maildir++ (and, where it has
/// nested folders, as `LAYOUT=fs` too): doveadm sees every folder with the
/// count we read, and prints no error. Before the fix Dovecot listed
/// `Inbox/sub1` as `INBOX/sub1` and could not open it ("Mailbox doesn't
/// exist"), or (fs) did not list it: SampleOstFile.ost showed 33 of its 87
/// messages.
#[test]
fn dovecot_opens_every_folder_of_every_pst_fixture() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else { return };
    if mailshift_testkit::tool("doveadm").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().to_path_buf();
    // (fixture, Maildir, layout) of every store written.
    let stores = std::sync::Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(src) = files.get(i) else { break };
                let pp = home.join(format!("pp{i}"));
                if !convert_quietly(src, &pp, "maildir++") {
                    continue;
                }
                let nested = our_counts(&pp).keys().any(|k| k.contains('/'));
                let mut mine = vec![(src.clone(), pp, Layout::MaildirPlusPlus)];
                if nested {
                    let fs = home.join(format!("fs{i}"));
                    assert!(convert_quietly(src, &fs, "fs"));
                    mine.push((src.clone(), fs, Layout::Fs));
                }
                stores.lock().expect("lock").extend(mine);
            });
        }
    });
    let mut stores = stores.into_inner().expect("lock");
    stores.sort_by(|a, b| (&a.0, &a.1, a.2 == Layout::Fs).cmp(&(&b.0, &b.1, b.2 == Layout::Fs)));
    let Some(dove) = Doveadm::new(&home, &home.join("unused"), Layout::MaildirPlusPlus) else { return };
    let (mut messages, mut inbox_children) = (0, 0);
    let results = std::sync::Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((src, maildir, layout)) = stores.get(i) else { break };
                let (theirs, errors) = dove.status(maildir, *layout);
                results.lock().expect("lock").push((src.clone(), *layout, our_counts(maildir), theirs, errors));
            });
        }
    });
    for (src, layout, ours, theirs, errors) in results.into_inner().expect("lock") {
        same_as_dovecot(&format!("{} ({layout:?})", src.display()), &ours, &theirs, &errors);
        messages += ours.values().sum::<usize>();
        inbox_children += usize::from(ours.keys().any(|k| k.starts_with("INBOX/")));
    }
    eprintln!(
        "{} stores of {} fixtures, {messages} messages, {inbox_children} with inbox children",
        stores.len(),
        files.len()
    );
    assert!(inbox_children >= 2 * 20, "the fixtures have inbox children in both layouts ({inbox_children})");
    assert!(stores.iter().any(|(s, _, l)| s.ends_with("SampleOstFile.ost") && *l == Layout::Fs));
}

/// A Thunderbird tree whose Inbox has children and grandchildren
/// (`Inbox.sbd/Sub`, `Inbox.sbd/Sub.sbd/Deeper`): Dovecot opens them as
/// `INBOX/Sub` and `INBOX/Sub/Deeper`, in both layouts.
#[test]
fn dovecot_opens_thunderbird_inbox_children() {
    if mailshift_testkit::tool("doveadm").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let tree = tmp.path().join("tree");
    copy_tree(&common::sample("tree"), &tree);
    let mbox = |subjects: &[&str]| -> String {
        subjects
            .iter()
            .map(|s| {
                format!("From a@example.org Mon Jan  1 00:00:00 2001\nSubject: {s}\nMessage-ID: <{s}@x>\n\nbody\n\n")
            })
            .collect()
    };
    std::fs::create_dir_all(tree.join("Inbox.sbd/Sub.sbd")).expect("mkdir");
    std::fs::write(tree.join("Inbox.sbd/Sub"), mbox(&["sub-1", "sub-2"])).expect("write");
    std::fs::write(tree.join("Inbox.sbd/Sub.sbd/Deeper"), mbox(&["deep-1", "deep-2", "deep-3"])).expect("write");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    let mut written = Vec::new();
    for (layout_name, layout) in LAYOUTS {
        let dst = home.join(layout_name);
        let (code, report) = common::convert(&tree, &dst, &["--to", "maildir", "--maildir-layout", layout_name]);
        assert_eq!(code, 0, "{report}");
        let ours = our_counts(&dst);
        assert_eq!(ours["INBOX"], 22);
        assert_eq!(ours["INBOX/Sub"], 2);
        assert_eq!(ours["INBOX/Sub/Deeper"], 3);
        written.push((dst, layout, ours));
    }
    let Some(dove) = Doveadm::new(&home, &home.join("unused"), Layout::MaildirPlusPlus) else { return };
    for (dst, layout, ours) in written {
        let (theirs, errors) = dove.status(&dst, layout);
        same_as_dovecot(&format!("{layout:?}"), &ours, &theirs, &errors);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).expect("copy");
        }
    }
}

/// A tree Dovecot made, with mail in INBOX's child and grandchild: we read
/// them as children of the inbox (not of a second, empty folder "INBOX"
/// beside it), and what we write of it Dovecot reads with the same counts.
#[test]
fn we_read_the_inbox_children_dovecot_makes() {
    if mailshift_testkit::tool("doveadm").is_none() {
        return;
    }
    for (layout_name, layout) in LAYOUTS {
        let tmp = tempfile::tempdir().expect("temp dir");
        let home = tmp.path().to_path_buf();
        let maildir = home.join("Maildir");
        let Some(dove) = Doveadm::new(&home, &maildir, layout) else { return };
        for name in ["INBOX/child", "INBOX/child/grand", "Other"] {
            dove.run(&["mailbox", "create", name], None);
        }
        for (name, n) in [("INBOX", 1), ("INBOX/child", 2), ("INBOX/child/grand", 3), ("Other", 4)] {
            for k in 0..n {
                let msg = format!("From: d@example.org\nSubject: {name} {k}\nMessage-ID: <{k}.{name}@x>\n\nbody\n");
                dove.run(&["save", "-m", name], Some(&msg));
            }
        }
        let (code, out, err) = common::mailshift(&[&"info", &maildir, &"--json"]);
        assert_eq!(code, 0, "{err}");
        let info: serde_json::Value = serde_json::from_str(&out).expect("info JSON");
        let folders: Vec<(String, String, u64)> = info["folders"]
            .as_array()
            .expect("folders")
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().expect("path").to_string(),
                    f["role"].as_str().expect("role").to_string(),
                    f["items"].as_u64().expect("items"),
                )
            })
            .collect();
        let want =
            [("Inbox", "inbox", 1), ("Inbox/child", "none", 2), ("Inbox/child/grand", "none", 3), ("Other", "none", 4)];
        let want: Vec<(String, String, u64)> =
            want.iter().map(|(p, r, n)| (p.to_string(), r.to_string(), *n)).collect();
        assert_eq!(folders, want, "{layout_name}");
        // And back: what we write of it, Dovecot reads the same.
        let copy = home.join("copy");
        let (code, report) = common::convert(&maildir, &copy, &["--to", "maildir", "--maildir-layout", layout_name]);
        assert_eq!(code, 0, "{report}");
        assert!(user::prepare_user(&home) || !user::is_root());
        let (theirs, errors) = dove.status(&copy, layout);
        same_as_dovecot(layout_name, &our_counts(&copy), &theirs, &errors);
        assert_eq!(theirs["INBOX/child/grand"], 3);
    }
}

/// A Maildir source with a part nobody may read: the folder's directory,
/// its `cur/` or `new/`, or one message file. Each is a failed row naming
/// the path and the reason, exit 1, in `convert` and in `info`. (A folder
/// directory of mode 000 was left out with exit 0, in neither report.)
#[test]
fn unreadable_parts_of_a_maildir_source_are_failures() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().to_path_buf();
    // The source: the generated tree, in both layouts.
    for (layout_name, _) in LAYOUTS {
        let (code, report) = common::convert(
            &common::sample("tree"),
            &dir.join(format!("src-{layout_name}")),
            &["--to", "maildir", "--maildir-layout", layout_name],
        );
        assert_eq!(code, 0, "{report}");
    }
    // (case, layout, path made unreadable, relative to the copy)
    let sent_file = |layout: &str| -> String {
        let sub = if layout == "fs" { "Sent" } else { ".Sent" };
        let d = dir.join(format!("src-{layout}")).join(sub);
        let mut names: Vec<String> = ["cur", "new"]
            .iter()
            .flat_map(|c| {
                std::fs::read_dir(d.join(c))
                    .expect("list")
                    .map(move |e| format!("{sub}/{c}/{}", e.expect("entry").file_name().to_string_lossy()))
            })
            .collect();
        names.sort();
        names[0].clone()
    };
    let cases = [
        ("dir", "maildir++", ".Sent".to_string()),
        ("cur", "maildir++", ".Sent/cur".to_string()),
        ("new", "maildir++", ".Sent/new".to_string()),
        ("file", "maildir++", sent_file("maildir++")),
        ("dir", "fs", "Sent".to_string()),
        ("cur", "fs", "Sent/cur".to_string()),
        ("file", "fs", sent_file("fs")),
    ];
    for (case, layout, locked) in &cases {
        let name = format!("{case}-{layout}");
        let src = dir.join(&name);
        copy_tree(&dir.join(format!("src-{layout}")), &src);
        chmod(&src.join(locked), 0o000);
    }
    let Some(user) = Unprivileged::new(env!("CARGO_BIN_EXE_mailshift"), &dir) else { return };
    chmod(&dir, 0o755);
    for (case, layout, locked) in &cases {
        let name = format!("{case}-{layout}");
        let report_path = format!("{name}.json");
        let out_name = format!("out-{name}");
        let (code, _, err) = user.run(&[
            &"convert",
            &name,
            &out_name,
            &"--to",
            &"mbox",
            &"--no-fsync",
            &"-q",
            &"--report",
            &report_path,
        ]);
        assert_eq!(code, 1, "{name}: {err}");
        let report = common::read_json(&dir.join(&report_path));
        let sent = report["folders"]
            .as_array()
            .expect("folders")
            .iter()
            .find(|f| f["path"] == "Sent")
            .unwrap_or_else(|| panic!("{name}: no row for Sent: {report}"));
        let failures = sent["failures"].to_string();
        assert_eq!(sent["counts"]["failed"], 1, "{name}: {sent}");
        let shown = if *case == "file" { locked.clone() } else { format!("{name}/{locked}") };
        assert!(failures.contains(&shown) && failures.contains("Permission denied"), "{name}: {shown} in {failures}");
        // The other folders are copied whole.
        assert_eq!(common::total(&report, "copied"), if *case == "file" { 39 } else { 37 }, "{name}: {report}");
        let (code, out, err) = user.run(&[&"info", &name]);
        assert_eq!(code, 1, "{name}: info: {out}{err}");
        assert!(out.contains("Permission denied"), "{name}: info gives the reason: {out}");
        // info names what it cannot read: the folder's path, or the message
        // file's name.
        let file_name = std::path::Path::new(locked.as_str()).file_name().unwrap().to_string_lossy().into_owned();
        let named = if *case == "file" { file_name } else { format!("{name}/{locked}") };
        assert!(out.contains(&named), "{name}: info names {named}: {out}");
    }
    for (case, layout, locked) in &cases {
        let src = dir.join(format!("{case}-{layout}"));
        chmod(&src.join(locked), 0o700);
    }
}

/// Every file mailshift writes into a Maildir is 0600, every directory it
/// makes 0700 (they were 0644 and 0755); an existing directory keeps its mode.
#[test]
fn maildir_files_are_private() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (layout_name, _) in LAYOUTS {
        for src in [common::sample("tree"), common::sample("sample.mbox")] {
            let dst = tmp.path().join(format!("{layout_name}-{}", src.file_name().expect("name").to_string_lossy()));
            let (code, report) = common::convert(&src, &dst, &["--to", "maildir", "--maildir-layout", layout_name]);
            assert_eq!(code, 0, "{report}");
            let (mut files, mut dirs) = (0, 0);
            let mut stack = vec![dst.clone()];
            while let Some(d) = stack.pop() {
                let mode = std::fs::metadata(&d).expect("stat").permissions().mode() & 0o7777;
                assert_eq!(mode, 0o700, "{}", d.display());
                dirs += 1;
                for e in std::fs::read_dir(&d).expect("list") {
                    let p = e.expect("entry").path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        let mode = std::fs::metadata(&p).expect("stat").permissions().mode() & 0o7777;
                        assert_eq!(mode, 0o600, "{}", p.display());
                        files += 1;
                    }
                }
            }
            assert!(files >= 40 && dirs >= 3, "{files} files, {dirs} directories in {}", dst.display());
        }
    }
    // The keyword map and the Maildir++ folder markers too.
    let pp = tmp.path().join("maildir++-sample.mbox");
    assert!(pp.join("dovecot-keywords").is_file());
    assert!(tmp.path().join("maildir++-tree/.Sent/maildirfolder").is_file());
    // An existing target directory keeps its mode; what is made in it is private.
    let dst = tmp.path().join("existing");
    std::fs::create_dir(&dst).expect("mkdir");
    chmod(&dst, 0o750);
    let (code, report) = common::convert(&common::sample("tree"), &dst, &["--to", "maildir"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(std::fs::metadata(&dst).expect("stat").permissions().mode() & 0o7777, 0o750);
    assert_eq!(std::fs::metadata(dst.join(".Sent")).expect("stat").permissions().mode() & 0o7777, 0o700);
}

/// A killed run leaves its temporary files in `tmp/`; the next run into
/// that Maildir removes ours (named `.mailshift-<pid>-….tmp`, of a pid that
/// is gone) from every `tmp/` it writes to, says so in the report's notes,
/// and leaves a live process's files and everybody else's alone.
#[test]
fn stale_temp_files_of_a_dead_run_are_removed_and_noted() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (layout_name, _) in LAYOUTS {
        let dst = tmp.path().join(layout_name);
        let (code, report) =
            common::convert(&common::sample("tree"), &dst, &["--to", "maildir", "--maildir-layout", layout_name]);
        assert_eq!(code, 0, "{report}");
        let sent = if layout_name == "fs" { dst.join("Sent/tmp") } else { dst.join(".Sent/tmp") };
        // No process has a pid this large (pid_max is at most 2^22).
        let dead = [dst.join("tmp/.mailshift-4999999-x.tmp"), sent.join(".mailshift-4999998-y.tmp")];
        let kept = [
            dst.join(format!("tmp/.mailshift-{}-x.tmp", std::process::id())),
            dst.join("tmp/1700000000.M1P4999999Q1.otherhost"),
            sent.join(".mailshift-notes.tmp"),
        ];
        for p in dead.iter().chain(&kept) {
            std::fs::write(p, b"partial").expect("plant");
        }
        let (code, report) =
            common::convert(&common::sample("tree"), &dst, &["--to", "maildir", "--maildir-layout", layout_name]);
        assert_eq!(code, 0, "{report}");
        for p in &dead {
            assert!(!p.exists(), "{} is left", p.display());
        }
        for p in &kept {
            assert!(p.exists(), "{} was removed", p.display());
        }
        let notes = report["notes"].as_array().unwrap_or_else(|| panic!("report has notes: {report}"));
        let note = notes.iter().filter_map(|n| n.as_str()).find(|n| n.contains("stale temporary file"));
        let note = note.unwrap_or_else(|| panic!("no note of the removal: {notes:?}"));
        assert!(note.starts_with("removed 2 stale temporary files"), "{note}");
        for p in &dead {
            assert!(note.contains(&p.display().to_string()), "{note}");
        }
        // And nothing of ours is left in any tmp/ after the run.
        for t in [dst.join("tmp"), sent] {
            for e in std::fs::read_dir(&t).expect("list tmp") {
                let name = e.expect("entry").file_name().to_string_lossy().into_owned();
                let ours = mailshift_core::fsio::temp_owner(&name);
                assert!(ours.is_none() || ours == Some(std::process::id()), "{name} left in {}", t.display());
            }
        }
    }
}

/// `--dedup` into a Maildir that holds the inbox's children: they read
/// back as `INBOX/sub1` while the source calls them `Inbox/sub1`, and the
/// converter keys dedup scopes by path, so the second run copied them
/// again. Needs core's `dedup_scope` to treat the inbox's children as one
/// scope whatever the inbox is called (see the Maildir report of issue 8).
#[test]
fn dedup_into_a_maildir_with_inbox_children_copies_nothing_twice() {
    let Some(ost) = common::sample_ost() else { return };
    let tmp = tempfile::tempdir().expect("temp dir");
    for (layout_name, _) in LAYOUTS {
        let dst = tmp.path().join(layout_name);
        let args = ["--to", "maildir", "--maildir-layout", layout_name, "--dedup"];
        let (code, first) = common::convert(&ost, &dst, &args);
        assert_eq!(code, 0, "{first}");
        let (code, second) = common::convert(&ost, &dst, &args);
        assert_eq!(code, 0, "{second}");
        assert_eq!(common::total(&second, "copied"), 0, "{second}");
        assert_eq!(our_counts(&dst).values().sum::<usize>(), 87);
    }
}
