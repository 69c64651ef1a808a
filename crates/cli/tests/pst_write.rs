//! Issue 9: PST/OST -> PST through the binary: every fixture -> PST ->
//! mbox (with its .vcf/.ics) is byte-identical to fixture -> mbox; an
//! existing PST is added to; what is not a PST is never replaced. (The
//! independent readers' view of the copies is in crates/pst/tests/pst_write.rs.)

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::mailshift;

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
        out.insert(rel, std::fs::read(e.path()).unwrap());
    }
    out
}

/// The PST/OST fixtures our reader opens (the ones every tool rejects are
/// left out: nothing to copy).
fn stores() -> Option<Vec<PathBuf>> {
    let files = mailshift_testkit::fixture_files(&["pst", "ost"])?;
    Some(files.into_iter().filter(|f| mailshift_pst::PstReader::open(f).is_ok()).collect())
}

fn copy(src: &Path, dst: &Path) -> (i32, String) {
    let (code, _, err) = mailshift(&[&"convert", &src, &dst, &"--no-fsync", &"--quiet"]);
    (code, err)
}

#[test]
fn every_fixture_through_pst_gives_the_same_mbox_and_pim_files() {
    let Some(files) = stores() else { return mailshift_testkit::skip("no fixtures") };
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut differ = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let dir = tmp.path().join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let pst = dir.join("copy.pst");
        let (code, err) = copy(f, &pst);
        assert!(code == 0 || code == 1, "{}: exit {code}: {err}", f.display());
        assert!(pst.is_file(), "{}: no PST written: {err}", f.display());
        let (a, b) = (dir.join("a"), dir.join("b"));
        let (ca, _, ea) = mailshift(&[&"convert", &f, &a, &"--to", &"mbox", &"--no-fsync", &"--quiet"]);
        let (cb, _, eb) = mailshift(&[&"convert", &pst, &b, &"--to", &"mbox", &"--no-fsync", &"--quiet"]);
        assert!(cb <= ca.max(1), "{}: the copy reads worse (exit {cb} vs {ca}): {eb}\n{ea}", f.display());
        let (ta, tb) = (tree(&a), tree(&b));
        if ta != tb {
            let only_a: Vec<_> = ta.keys().filter(|k| !tb.contains_key(*k)).take(5).collect();
            let only_b: Vec<_> = tb.keys().filter(|k| !ta.contains_key(*k)).take(5).collect();
            let changed: Vec<_> = ta.keys().filter(|k| tb.get(*k).is_some_and(|v| v != &ta[*k])).take(5).collect();
            differ.push(format!(
                "{}: only in original {only_a:?}, only in copy {only_b:?}, changed {changed:?}",
                f.display()
            ));
        }
        compared += 1;
    }
    assert!(compared > 100, "only {compared} fixtures compared");
    assert!(differ.is_empty(), "{} of {compared} differ:\n{}", differ.len(), differ.join("\n"));
}

#[test]
fn an_ost_target_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let src = common::sample("sample.mbox");
    let (code, _, err) = mailshift(&[&"convert", &src, &tmp.path().join("out.ost")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("writes PST, not OST"), "{err}");
    assert!(!tmp.path().join("out.ost").exists());
}

/// The number of items of every folder of a PST, by our reader.
fn items_in(pst: &Path) -> u64 {
    use mailshift_core::StoreReader;
    let r = mailshift_pst::PstReader::open(pst).unwrap();
    r.folders().unwrap().iter().map(|f| r.items(f.id).unwrap().len() as u64).sum()
}

fn record_key(pst: &Path) -> Vec<u8> {
    use mailshift_core::StoreReader;
    let r = mailshift_pst::PstReader::open(pst).unwrap();
    r.store_mapi().unwrap().bin(mailshift_pst::tags::RECORD_KEY).unwrap().to_vec()
}

#[test]
fn an_existing_pst_is_added_to_and_a_second_run_with_dedup_copies_nothing() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return mailshift_testkit::skip("no fixtures") };
    let (a, b) = (dir.join("farnulfo__pst-exp/test_unicode.pst"), dir.join("apache__tika/testPST.pst"));
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("archive.pst");
    let (code, r) = common::convert(&a, &dst, &[]);
    assert_eq!(code, 0, "{r}");
    let first = common::total(&r, "copied");
    assert_eq!(items_in(&dst), first);
    let key = record_key(&dst);

    // A second source goes into the same file: its items and the new ones.
    let (code, r) = common::convert(&b, &dst, &[]);
    assert_eq!(code, 0, "{r}");
    let second = common::total(&r, "copied");
    assert!(second >= 7, "{r}");
    assert_eq!(items_in(&dst), first + second);
    assert!(r["notes"].to_string().contains(&format!("kept the {first} items")), "{r}");
    // The store being added to keeps its identity (entry ids stay valid).
    assert_eq!(record_key(&dst), key);

    // Again with --dedup: nothing new, nothing lost.
    let (code, r) = common::convert(&b, &dst, &["--dedup"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(common::total(&r, "copied"), 0, "{r}");
    assert_eq!(common::total(&r, "skipped_duplicate"), second, "{r}");
    assert_eq!(items_in(&dst), first + second);

    // What the file holds reads out as the two sources' mail.
    let (out_a, out_b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("all"));
    for (src, out) in [(&a, &out_a), (&b, &out_b), (&dst, &out)] {
        let (code, _, err) = mailshift(&[&"convert", src, out, &"--to", &"eml", &"--no-fsync", &"-q"]);
        assert_eq!(code, 0, "{err}");
    }
    let emls = |d: &Path| -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = tree(d).into_iter().filter(|(k, _)| k.ends_with(".eml")).map(|(_, b)| b).collect();
        v.sort();
        v
    };
    let mut both = emls(&out_a);
    both.extend(emls(&out_b));
    both.sort();
    assert_eq!(emls(&out), both);
}

#[test]
fn what_is_not_a_pst_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return mailshift_testkit::skip("no fixtures") };
    let src = dir.join("farnulfo__pst-exp/sample1.pst");
    let dst = tmp.path().join("notes.pst");
    std::fs::write(&dst, b"my notes, not a PST").unwrap();
    let (code, _, err) = mailshift(&[&"convert", &src, &dst]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a PST file mailshift can add to"), "{err}");
    assert_eq!(std::fs::read(&dst).unwrap(), b"my notes, not a PST");
    // An OST is not ours to replace either.
    let ost = tmp.path().join("copy.pst");
    std::fs::copy(dir.join("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost"), &ost).unwrap();
    let before = std::fs::read(&ost).unwrap();
    let (code, _, err) = mailshift(&[&"convert", &src, &ost]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read(&ost).unwrap(), before);
}

/// Issue 10: `--split` and `--target m365` through the binary (the parts'
/// contents are checked in crates/pst/tests/pst_split.rs).
#[test]
fn split_and_m365_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.pst");
    let opts = mailshift_pst::PstWriteOptions {
        ndb: mailshift_pst::ndb::write::WriteOptions { fsync: false, ..Default::default() },
    };
    let mut w = mailshift_pst::PstWriter::create(&src, opts).unwrap();
    mailshift_core::StoreWriter::begin(&mut w, &[]).unwrap();
    mailshift_core::StoreWriter::finish(&mut w).unwrap();
    // An empty store: one part, and the note says so.
    let out = tmp.path().join("out.pst");
    let report = tmp.path().join("r.json");
    let (code, _, err) =
        mailshift(&[&"convert", &src, &out, &"--target", &"m365", &"--report", &report, &"-q", &"--no-fsync"]);
    assert_eq!(code, 0, "{err}");
    let notes = common::read_json(&report)["notes"].to_string();
    assert!(notes.contains("split at 20.0 GB: 1 file: out.pst"), "{notes}");
    assert!(!tmp.path().join("out-2.pst").exists());
    // A split into an existing file, or into a name one of whose parts
    // exists, is refused and changes nothing; so is a split of mbox.
    let (code, _, err) = mailshift(&[&"convert", &src, &out, &"--split", &"1G"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--split writes new files only"), "{err}");
    let other = tmp.path().join("other.pst");
    std::fs::write(tmp.path().join("other-2.pst"), b"mine").unwrap();
    let (code, _, err) = mailshift(&[&"convert", &src, &other, &"--split", &"1G"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("other-2.pst exists"), "{err}");
    assert_eq!(std::fs::read(tmp.path().join("other-2.pst")).unwrap(), b"mine");
    assert!(!other.exists());
    let (code, _, err) = mailshift(&[&"convert", &src, &tmp.path().join("x.mbox"), &"--split", &"1G"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--split is for a PST target"), "{err}");
}
