//! Issue 10, `--split SIZE`: a PST target written as files of at most SIZE
//! bytes (`out.pst`, `out-2.pst` ...). A generated store is converted with
//! [`mailshift_core::convert`] into a [`SplitWriter`], as the CLI does;
//! then every part is at most SIZE, has the whole folder tree, passes
//! `check`, and is read by our reader and by pffexport with no error, and
//! the parts together hold every message exactly once (counts, subjects and
//! attachment sha256 per folder, against what the generator wrote).

#[path = "synth/mod.rs"]
mod synth;

#[path = "common/views.rs"]
mod views;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mailshift_core::{convert, NoProgress, Options};
use mailshift_pst::messaging::split::part_path;
use mailshift_pst::ndb::write::WriteOptions;
use mailshift_pst::{PstReader, PstWriteOptions, PstWriter, SplitWriter};
use mailshift_testkit::oracle::{self, FolderView, Oracle, StoreView};

fn opts() -> PstWriteOptions {
    PstWriteOptions { ndb: WriteOptions { fsync: false, ..WriteOptions::default() } }
}

/// The parts of the split at `base`, in order.
fn parts(base: &Path) -> Vec<PathBuf> {
    (1..).map(|n| part_path(base, n)).take_while(|p| p.exists()).collect()
}

/// The views of several stores as one: per folder, counts added, subjects
/// and attachments gathered.
fn merged(views: &[StoreView]) -> StoreView {
    let mut folders: BTreeMap<String, FolderView> = BTreeMap::new();
    for v in views {
        for (path, f) in &v.folders {
            let m = folders.entry(path.clone()).or_default();
            m.count += f.count;
            m.subjects.extend(f.subjects.iter().cloned());
            m.attachments.extend(f.attachments.iter().cloned());
        }
    }
    for f in folders.values_mut() {
        f.subjects.sort();
        f.attachments.sort();
    }
    StoreView { reader: views[0].reader, folders, errors: views.iter().flat_map(|v| v.errors.clone()).collect() }
}

/// Writes the store of `spec` at `dir/src.pst`, converts it into a split at
/// `limit`, and checks the parts; returns how many there are.
fn split_and_check(dir: &Path, spec: &synth::Spec, limit: u64, oracles: &[Oracle]) -> usize {
    let src = dir.join("src.pst");
    let mut w = PstWriter::create(&src, opts()).unwrap();
    let written = synth::write(spec, &mut w).unwrap();
    let source = PstReader::open(&src).unwrap();
    let base = dir.join("out.pst");
    let mut target = SplitWriter::create(&base, opts(), limit).unwrap();
    let report = convert(&source, &mut target, None, &Options::default(), &NoProgress).unwrap();
    assert_eq!(report.total.copied as usize, spec.messages, "{:?}", report.total);
    assert_eq!(report.total.failed, 0);
    let note = report.notes.iter().find(|n| n.starts_with("split at")).expect("the report names the parts");

    let parts = parts(&base);
    assert!(note.contains(&format!("{} files", parts.len())) || parts.len() == 1, "{note}");
    let tree: Vec<&String> = written.view.folders.keys().collect();
    let mut ours = Vec::new();
    for p in &parts {
        let size = std::fs::metadata(p).unwrap().len();
        assert!(size <= limit, "{} is {size} bytes, over the split size {limit}", p.display());
        let v = views::our_view(p);
        let n: usize = v.folders.values().map(|f| f.count).sum();
        eprintln!("{}: {size} bytes, {n} messages (our reader)", p.display());
        assert!(v.errors.is_empty(), "{}: {:?}", p.display(), v.errors);
        assert_eq!(v.folders.keys().collect::<Vec<_>>(), tree, "{} lacks folders", p.display());
        let check = mailshift_pst::check::check(p.as_path());
        assert!(check.is_clean(), "{}: {:?}", p.display(), check.problems());
        ours.push(v);
    }
    let d = oracle::compare(&written.view, &merged(&ours));
    assert!(
        d.is_empty(),
        "the parts differ from what was written:\n{}",
        d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
    );
    for &o in oracles {
        let mut theirs = Vec::new();
        for p in &parts {
            let Some(v) = oracle::view_or_skip(o, p) else { return parts.len() };
            assert!(v.errors.is_empty(), "{o} on {}: {:?}", p.display(), v.errors);
            eprintln!("{o}: {}: {} messages", p.display(), v.folders.values().map(|f| f.count).sum::<usize>());
            theirs.push(v);
        }
        let d = oracle::compare(&written.view, &merged(&theirs));
        assert!(
            d.is_empty(),
            "{o}: the parts differ from what was written:\n{}",
            d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
        );
    }
    parts.len()
}

#[test]
fn a_split_holds_every_message_once_in_files_within_the_size() {
    let dir = tempfile::tempdir().unwrap();
    // About 40 MB of 1 MiB attachments, split at 8 MiB: six parts or so.
    let n = split_and_check(dir.path(), &synth::Spec::large(40, 31), 8 << 20, &[Oracle::Pffexport, Oracle::Readpst]);
    assert!(n >= 5, "only {n} parts");
}

#[test]
fn a_split_larger_than_the_store_is_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let n = split_and_check(dir.path(), &synth::Spec::small(50, 3), 1 << 30, &[]);
    assert_eq!(n, 1);
    assert!(!dir.path().join("out-2.pst").exists());
}

/// Issue 10's figure: a generated 3 GB source split at 1 GB, the parts
/// counted by pffexport. By hand:
/// `cargo test --release -p mailshift-pst --test pst_split -- --ignored --nocapture`
#[test]
#[ignore = "writes 6 GB (minutes): cargo test --release -p mailshift-pst --test pst_split -- --ignored --nocapture"]
fn three_gigabytes_split_at_one() {
    let dir = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let n = split_and_check(dir.path(), &synth::Spec::large(2_900, 7), 1 << 30, &[Oracle::Pffexport]);
    eprintln!("3 GB split at 1 GiB: {n} parts, checked in {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(n, 3);
}
