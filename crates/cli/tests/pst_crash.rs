//! Issue 9: kill -9 while `mailshift convert SRC DST.pst` writes. At 20
//! seeded random points of the run, the binary is killed with SIGKILL;
//! after each there is no file at the target path, or (killed after the
//! rename) the complete file, byte-identical to an unbroken run's; the
//! only other file is the killed run's temporary file, named
//! `.mailshift-<its pid>-….tmp`, which the next run removes and names in
//! its report. An existing file at the target that is not a PST is
//! refused (exit 2) and left as it was, also when that run is killed; an
//! existing PST is added to, and a run killed at any point leaves it as it
//! was or (killed after the rename) the whole new file.
//!
//! SRC is the shared `bench.pst` (`MAILSHIFT_BENCH_PST`, default
//! `../shared/bench/bench.pst`) without its folder `Inbox/Sub*` and the
//! Inbox's second half (`--until 2015-01-18`): a quarter of the store,
//! about 2 s of writing in a debug build, so that 20 kills stay well under
//! a minute; without it, a generated store of the same size
//! (`crates/pst/tests/synth`).

#[path = "../../pst/tests/synth/mod.rs"]
mod synth;

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailshift_testkit::XorShift;

/// Kills of a run that writes into an empty target.
const KILLS: usize = 20;
/// Kills of a run refused because the target exists.
const KILLS_EXISTING: usize = 3;

/// The source and the arguments that pick what of it is copied.
fn source(scratch: &Path) -> (PathBuf, Vec<String>) {
    let bench = std::env::var_os("MAILSHIFT_BENCH_PST")
        .map(PathBuf::from)
        .unwrap_or_else(|| mailshift_testkit::workspace_root().join("../shared/bench/bench.pst"));
    if bench.is_file() {
        let args = ["--exclude", "Inbox/Sub*", "--until", "2015-01-18"];
        return (bench, args.iter().map(|a| a.to_string()).collect());
    }
    eprintln!("{} is missing: a generated store stands in for it", bench.display());
    let src = scratch.join("generated.pst");
    let opts = mailshift_pst::PstWriteOptions {
        ndb: mailshift_pst::ndb::write::WriteOptions { fsync: false, ..Default::default() },
    };
    let mut w = mailshift_pst::PstWriter::create(&src, opts).expect("create the source");
    synth::write(&synth::Spec::bench(400, 9), &mut w).expect("write the source");
    (src, Vec::new())
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// `mailshift convert SRC DST ARGS --report REPORT -q` (fsync on, as a
/// user runs it), its stdout and stderr discarded.
fn spawn(src: &Path, dst: &Path, args: &[String], report: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mailshift"))
        .arg("convert")
        .arg(src)
        .arg(dst)
        .args(args)
        .arg("--report")
        .arg(report)
        .arg("-q")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mailshift")
}

/// When to kill a run.
#[derive(Clone, Copy, Debug)]
enum When {
    /// Once its temporary file holds this many bytes.
    Bytes(u64),
    /// This long after its temporary file reached the complete file's
    /// length (the writer is finishing: maps, header, fsync, rename).
    Finishing(Duration),
    /// This long after it started.
    After(Duration),
}

/// The size of the temporary file of process `pid` in `dir`, if there is one.
fn temp_size(dir: &Path, pid: u32) -> Option<u64> {
    std::fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        let name = e.file_name();
        (temp_pid(&name.to_string_lossy()) == Some(pid)).then(|| e.metadata().map_or(0, |m| m.len()))
    })
}

/// Kills `child` with SIGKILL at `when` (polling every millisecond), or
/// as soon as the target exists; returns (killed, exit code), the code
/// `None` for a kill.
fn kill_at(child: &mut std::process::Child, dir: &Path, dst: &Path, complete: u64, when: When) -> (bool, Option<i32>) {
    kill_when(child, dir, Some(dst), complete, when)
}

/// [`kill_at`], watching the target only when `dst` is given (a run that
/// adds to an existing PST finds it there from the start).
fn kill_when(
    child: &mut std::process::Child,
    dir: &Path,
    dst: Option<&Path>,
    complete: u64,
    when: When,
) -> (bool, Option<i32>) {
    let started = Instant::now();
    let pid = child.id();
    let mut finishing: Option<Instant> = None;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (false, status.code());
        }
        let size = temp_size(dir, pid);
        if size.is_some_and(|s| s >= complete) && finishing.is_none() {
            finishing = Some(Instant::now());
        }
        let now = match when {
            When::Bytes(b) => size.is_some_and(|s| s >= b),
            When::Finishing(d) => finishing.is_some_and(|t| t.elapsed() >= d),
            When::After(d) => started.elapsed() >= d,
        };
        if now || dst.is_some_and(Path::exists) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // Child::kill sends SIGKILL on Unix; it fails only if the child is gone.
    let killed = child.kill().is_ok();
    let status = child.wait().expect("wait");
    (killed && status.code().is_none(), status.code())
}

/// The pid in one of our temporary files' names, `None` for other names.
fn temp_pid(name: &str) -> Option<u32> {
    mailshift_core::fsio::temp_owner(name)
}

#[test]
fn kill_9_while_writing_leaves_no_file_or_a_complete_one() {
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    let (src, args) = source(scratch.path());
    let dir = scratch.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let dst = dir.join("copy.pst");
    // Reports go elsewhere: the target's directory holds only what the
    // writer puts there.
    let report = scratch.path().join("report.json");

    // An unbroken run: what a complete file is, and how long a run takes.
    let t0 = Instant::now();
    let mut child = spawn(&src, &dst, &args, &report);
    let status = child.wait().unwrap();
    let whole = t0.elapsed();
    assert_eq!(status.code(), Some(0), "the unbroken run");
    let complete = std::fs::read(&dst).unwrap();
    let r = common::read_json(&report);
    let copied = common::total(&r, "copied");
    assert!(copied > 100, "only {copied} items copied");
    eprintln!("{}: {copied} items, {} bytes written in {:.2} s", src.display(), complete.len(), whole.as_secs_f64());
    std::fs::remove_file(&dst).unwrap();
    assert!(names(&dir).is_empty(), "an unbroken run leaves only its target: {:?}", names(&dir));

    // SIGKILL at seeded random points of the run: while it writes
    // messages (one point in each of 17 equal parts of the file's bytes),
    // and while it finishes (up to 150 ms after the file reached its
    // length, when the maps and the header go in, the file is synced and
    // renamed).
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let len = complete.len() as u64;
    let mut leftovers: Vec<String> = Vec::new();
    let (mut killed, mut finished, mut renamed) = (0, 0, 0);
    for k in 0..KILLS {
        let parts = KILLS as u64 - 3;
        let when = if (k as u64) < parts {
            When::Bytes(len * k as u64 / parts + rng.next() % (len / parts))
        } else {
            When::Finishing(Duration::from_millis(rng.below(150) as u64))
        };
        let mut child = spawn(&src, &dst, &args, &report);
        let pid = child.id();
        let (was_killed, code) = kill_at(&mut child, &dir, &dst, len, when);
        let at = when;
        let now = names(&dir);
        let renamed_now = dst.exists();
        let left = temp_size(&dir, pid);
        eprintln!(
            "kill {k:2} at {at:?}: {}",
            match (was_killed, renamed_now, left) {
                (false, _, _) => "the run had ended".to_string(),
                (true, true, _) => "killed after the rename".to_string(),
                (true, false, Some(b)) => format!("killed with {b} bytes in its temporary file"),
                (true, false, None) => "killed before it made its temporary file".to_string(),
            }
        );
        if was_killed {
            killed += 1;
        } else {
            finished += 1;
            assert_eq!(code, Some(0), "kill {k} at {at:?}: the run ended on its own, but not well");
        }
        // The target: absent, or complete and whole.
        if dst.exists() {
            let got = std::fs::read(&dst).unwrap();
            assert!(got == complete, "kill {k} at {at:?}: the file at the target is not the complete file");
            if was_killed {
                renamed += 1;
            }
            std::fs::remove_file(&dst).unwrap();
        } else {
            assert!(was_killed, "kill {k} at {at:?}: the run ended without a target");
        }
        // Every other name is a temporary file of ours: the killed run's
        // own (if it got to create one), or ones earlier killed runs left
        // that this run was killed too early to sweep. A run that reached
        // its writer (it has a temporary file, or renamed it) swept those.
        let temps: Vec<String> = now.into_iter().filter(|n| n != "copy.pst").collect();
        let mut own = 0;
        for t in &temps {
            let owner = temp_pid(t).unwrap_or_else(|| panic!("kill {k}: {t} is not one of our temporary files"));
            if owner == pid {
                own += 1;
            } else {
                assert!(
                    leftovers.contains(t),
                    "kill {k}: {t} is of pid {owner}, neither this run's ({pid}) nor left before"
                );
            }
        }
        assert!(own <= 1, "kill {k}: {own} temporary files of one run: {temps:?}");
        assert!(was_killed || own == 0, "kill {k}: a finished run left its temporary file: {temps:?}");
        if own == 1 || !was_killed || renamed_now {
            assert_eq!(temps.len(), own, "kill {k}: a run that wrote did not sweep what earlier runs left: {temps:?}");
        }
        leftovers = temps;
    }
    assert!(killed >= KILLS / 2, "only {killed} of {KILLS} runs were killed mid-write");

    // The next run removes what the killed ones left, says so, and writes
    // the same complete file.
    let mut child = spawn(&src, &dst, &args, &report);
    assert_eq!(child.wait().unwrap().code(), Some(0), "the run after the kills");
    assert_eq!(names(&dir), vec!["copy.pst".to_string()], "the run after the kills left only its target");
    assert!(std::fs::read(&dst).unwrap() == complete, "the run after the kills wrote another file");
    let r = common::read_json(&report);
    let notes: Vec<String> =
        r["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap_or_default().to_string()).collect();
    if leftovers.is_empty() {
        assert!(!notes.iter().any(|n| n.contains("stale temporary")), "{notes:?}");
    } else {
        let note = notes
            .iter()
            .find(|n| n.contains("stale temporary"))
            .unwrap_or_else(|| panic!("no note on the {} temporary files removed: {notes:?}", leftovers.len()));
        for t in &leftovers {
            assert!(note.contains(t.as_str()), "the note does not name {t}: {note}");
        }
    }

    // An existing file at the target: refused (exit 2) and left as it
    // was, also when the refused run is killed at any point.
    let previous = b"a previous file at the target path, not a PST".to_vec();
    std::fs::write(&dst, &previous).unwrap();
    let mut child = spawn(&src, &dst, &args, &report);
    assert_eq!(child.wait().unwrap().code(), Some(2), "an existing target is refused");
    assert_eq!(std::fs::read(&dst).unwrap(), previous, "the refused run changed the existing file");
    for k in 0..KILLS_EXISTING {
        let at = Duration::from_millis(rng.below(whole.as_millis() as usize / 4 + 1) as u64);
        let mut child = spawn(&src, &dst, &args, &report);
        let (_, code) = kill_at(&mut child, &dir, &dst, len, When::After(at));
        assert!(matches!(code, None | Some(2)), "existing target, kill {k} at {at:?}: exit {code:?}");
        assert_eq!(std::fs::read(&dst).unwrap(), previous, "existing target, kill {k}: the file changed");
    }
    let temps: Vec<String> = names(&dir).into_iter().filter(|n| n != "copy.pst").collect();
    assert!(temps.is_empty(), "refused runs left temporary files: {temps:?}");

    // An existing PST at the target is added to: a run killed at any point
    // leaves it byte-identical, or (killed after the rename) the whole new
    // file, which holds its items and the new ones.
    std::fs::write(&dst, &complete).unwrap();
    for k in 0..KILLS_EXISTING {
        let mut child = spawn(&src, &dst, &args, &report);
        let when = When::Bytes(len * (k as u64 + 1) / (KILLS_EXISTING as u64 + 1));
        let (_, code) = kill_when(&mut child, &dir, None, 2 * len, when);
        let now = std::fs::read(&dst).unwrap();
        match code {
            None => assert!(now == complete || now.len() as u64 > len, "adding, kill {k}: the file is torn"),
            Some(0) => assert!(now.len() as u64 > len, "adding, run {k} finished but wrote no larger file"),
            Some(c) => panic!("adding, run {k}: exit {c}"),
        }
        if now != complete {
            // Killed after the rename: the new file holds twice the items.
            let r = mailshift_pst::PstReader::open(&dst).expect("a whole PST");
            drop(r);
            assert!(mailshift_pst::check::check(&dst).is_clean(), "adding, kill {k}: the new file is not clean");
            std::fs::write(&dst, &complete).unwrap();
        }
    }
    eprintln!(
        "{KILLS} kills: {killed} killed mid-run ({renamed} of them after the rename), {finished} found the run done; \
         {} s in all",
        started.elapsed().as_secs()
    );
}
