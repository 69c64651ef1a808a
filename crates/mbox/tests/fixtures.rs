//! The gathered mbox fixtures: counts against Python's `mailbox` and the
//! MANIFEST, byte-identical mbox -> mbox copies, and robustness against
//! truncated and corrupted copies.

mod common;

use std::path::{Path, PathBuf};

use common::{count_problems, read_all};
use mailshift_core::{convert, NoProgress, Options, StoreReader};
use mailshift_mbox::{probe, MboxReader, MboxWriteOptions, MboxWriter};

fn fixtures() -> Option<Vec<PathBuf>> {
    mailshift_testkit::fixture_files(&["mbox"])
}

/// The message count MANIFEST.md gives for a fixture (Python mailbox column).
fn manifest_count(manifest: &str, file: &Path) -> Option<usize> {
    let rel = format!("`{}/{}`", file.parent()?.file_name()?.to_str()?, file.file_name()?.to_str()?);
    let line = manifest.lines().find(|l| l.starts_with(&format!("| {rel} |")))?;
    let col = line.split('|').nth(4)?.trim();
    col.split('/').next()?.trim().parse().ok()
}

#[test]
fn counts_match_python_mailbox_and_manifest() {
    let Some(files) = fixtures() else { return };
    if mailshift_testkit::tool("python3").is_none() || !mailshift_testkit::python_module("mailbox") {
        return;
    }
    let manifest =
        std::fs::read_to_string(mailshift_testkit::fixtures_dir().unwrap().join("MANIFEST.md")).unwrap_or_default();
    for f in &files {
        let out = std::process::Command::new("python3")
            .args(["-c", "import mailbox,sys; print(len(mailbox.mbox(sys.argv[1], create=False)))"])
            .arg(f)
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "{}: {}", f.display(), String::from_utf8_lossy(&out.stderr));
        let python: usize = String::from_utf8_lossy(&out.stdout).trim().parse().expect("a count");
        let r = MboxReader::open(f).unwrap();
        let ours = read_all(&r).len();
        let problems = r.problems();
        // Python splits at every line starting with `From ` and drops text
        // before the first one; we split only at From_ separators. Every
        // difference must be one of the problems we report.
        let extra_splits = count_problems(&problems, "does not follow an empty line")
            + count_problems(&problems, "carries no asctime date; kept")
            + count_problems(&problems, "not followed by a header field");
        let leading = count_problems(&problems, "does not start with a From_ line");
        assert_eq!(
            python + leading,
            ours + extra_splits,
            "{}: python {python}, ours {ours}, {problems:?}",
            f.display()
        );
        if let Some(m) = manifest_count(&manifest, f) {
            assert_eq!(m, ours, "{}: MANIFEST says {m}", f.display());
        } else {
            panic!("{} is not listed in MANIFEST.md", f.display());
        }
    }
}

/// What a copy of `input` must be: the input itself, except for the
/// documented normalizations of inputs that are not well-formed mboxrd:
/// - a final message without its framing empty line gets one (and its
///   missing final newline), with the message's line ending (CRLF files
///   get `\r\n`);
fn expected_copy(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 2);
    let mut pos = 0;
    while pos < input.len() {
        let end = input[pos..].iter().position(|&b| b == b'\n').map_or(input.len(), |i| pos + i + 1);
        let line = &input[pos..end];
        out.extend_from_slice(line);
        pos = end;
    }
    // The framing uses the message's line ending.
    let first = input.iter().position(|&b| b == b'\n').unwrap_or(0);
    let eol: &[u8] = if first > 0 && input[first - 1] == b'\r' { b"\r\n" } else { b"\n" };
    if !out.ends_with(b"\n") {
        out.extend_from_slice(eol);
    }
    if !out.ends_with(b"\n\n") && !out.ends_with(b"\n\r\n") {
        out.extend_from_slice(eol);
    }
    out
}

#[test]
fn mbox_to_mbox_is_byte_identical() {
    let Some(files) = fixtures() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut identical = 0;
    for (i, f) in files.iter().enumerate() {
        let input = std::fs::read(f).unwrap();
        let r = MboxReader::open(f).unwrap();
        let dst = dir.path().join(format!("{i}.mbox"));
        let mut w = MboxWriter::create(&dst, MboxWriteOptions { fsync: false, ..MboxWriteOptions::default() }).unwrap();
        let report = convert(&r, &mut w, None, &Options::default(), &NoProgress).unwrap();
        assert_eq!(report.total.failed, 0, "{}", f.display());
        assert!(!report.has_losses(), "{}: {:?}", f.display(), report.folders);
        let output = std::fs::read(&dst).unwrap();
        let expected = expected_copy(&input);
        if output != expected {
            let _ = std::fs::write(format!("/tmp/mbox-diff-{i}.out"), &output);
            let _ = std::fs::write(format!("/tmp/mbox-diff-{i}.exp"), &expected);
        }
        assert!(
            output == expected,
            "{}: copy differs from the documented expectation (/tmp/mbox-diff-{i}.*)",
            f.display()
        );
        if output == input {
            identical += 1;
        }
        // And the copy reads back as the same messages.
        let a = read_all(&r);
        let b = read_all(&MboxReader::open(&dst).unwrap());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.raw, x.flags, &x.keywords, x.received),
                (&y.raw, y.flags, &y.keywords, y.received),
                "{}",
                f.display()
            );
        }
    }
    // Half the fixtures end with their framing empty line and have UTF-8
    // From_ lines: those copy byte for byte (7 of 14 when this was written).
    let well_formed = files.iter().filter(|f| {
        let input = std::fs::read(f).unwrap();
        expected_copy(&input) == input
    });
    assert_eq!(identical, well_formed.count());
    assert!(identical >= 5, "only {identical} of {} identical", files.len());
}

#[test]
fn misnamed_pst_is_sniffed_as_mbox() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst"]) else { return };
    let mboxes: Vec<&PathBuf> = files.iter().filter(|f| probe(f)).collect();
    assert_eq!(mboxes.len(), 1, "{mboxes:?}");
    assert!(mboxes[0].ends_with("Examples_Data_SMTP__Outlook.pst"));
    let r = MboxReader::open(mboxes[0]).unwrap();
    let msgs = read_all(&r);
    assert!(!msgs.is_empty());
    assert_eq!(msgs[0].from_line.as_deref(), Some(&b"- Mon Jan 01 12:00:00 0001"[..]));
    let text = String::from_utf8_lossy(&msgs[0].raw);
    assert!(text.starts_with("X-Unsent: 1\r\nFrom: from@domain.com\r\n"), "{}", &text[..80.min(text.len())]);
}

/// xorshift64: a fixed-seed pseudo-random sequence, no crate needed.
use mailshift_testkit::XorShift as Rng;

/// Reads every item of `path`; checks the ids are ordered, disjoint and
/// inside the file. Returns the messages.
fn read_checked(path: &Path, len: usize) -> (Vec<common::Msg>, Vec<mailshift_core::Problem>) {
    let r = MboxReader::open(path).unwrap();
    let msgs = read_all(&r);
    let mut last_end = 0u64;
    for m in &msgs {
        assert!(m.id.0 >= last_end && m.id.0 <= m.id.1 && m.id.1 <= len as u64, "{}: {:?}", path.display(), m.id);
        last_end = m.id.1;
        assert!(!r.describe(m.id).is_empty());
    }
    (msgs, r.problems())
}

#[test]
fn truncated_and_corrupted_fixtures() {
    let Some(files) = fixtures() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let p = dir.path().join("bad.mbox");
    for f in &files {
        let input = std::fs::read(f).unwrap();
        let r = MboxReader::open(f).unwrap();
        let original = read_all(&r);
        for _ in 0..20 {
            // Truncation: every message that ended (with its framing empty
            // line) before the cut is read exactly as before.
            let cut = rng.below(input.len() + 1);
            std::fs::write(&p, &input[..cut]).unwrap();
            let (msgs, problems) = read_checked(&p, cut);
            // (A message is complete once the next From_ line is whole.)
            let complete = original.windows(2).filter(|w| (w[1].id.0 as usize) <= cut).map(|w| &w[0]);
            for o in complete {
                let m = msgs.iter().find(|m| m.id == o.id);
                assert_eq!(m.map(|m| &m.raw), Some(&o.raw), "{} cut at {cut}", f.display());
            }
            // A cut inside the first From_ line leaves a line without a date.
            let first_line_end = input.iter().position(|&b| b == b'\n').unwrap_or(input.len());
            if (5..first_line_end.saturating_sub(4)).contains(&cut) {
                assert!(count_problems(&problems, "carries no asctime date") > 0, "{} cut at {cut}", f.display());
            }

            // Corruption: flip 1-8 random bytes; anything may come out but
            // a panic or a hang.
            let mut bad = input.clone();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(bad.len());
                bad[i] ^= 1 << rng.below(8);
            }
            std::fs::write(&p, &bad).unwrap();
            read_checked(&p, bad.len());
        }
        // A broken separator merges two messages and is reported.
        if original.len() >= 2 {
            let at = original[1].id.0 as usize;
            let from = input[..at - 1].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let mut bad = input.clone();
            // Break the date: `From a@x Mon Jan ...` -> `From a@x M0n J0n ...`.
            for b in &mut bad[from + 5..at] {
                if b.is_ascii_alphabetic() || *b == b':' {
                    *b = b'0';
                }
            }
            std::fs::write(&p, &bad).unwrap();
            let (msgs, problems) = read_checked(&p, bad.len());
            assert_eq!(msgs.len(), original.len() - 1, "{}", f.display());
            assert!(
                problems.iter().any(|q| q.offset == Some(from as u64) && q.message.contains("carries no asctime date")),
                "{}: {problems:?}",
                f.display()
            );
        }
    }
}
