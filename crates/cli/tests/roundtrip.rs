//! mbox -> Maildir -> mbox, end to end through the binary: every message
//! comes back, byte for byte apart from the state headers, and Python's
//! `mailbox` reads every output with the same count and Message-IDs.

mod common;

use std::path::Path;

use common::*;
use mailshift_mbox::MboxReader;

fn round_trip(input: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("md");
    let back = dir.path().join("back.mbox");

    let (code, r1) = convert(input, &md, &["--to", "maildir"]);
    let (code2, r2) = convert(&md, &back, &["--to", "mbox"]);

    let original = messages(&MboxReader::open(input).unwrap());
    let returned = messages(&MboxReader::open(&back).unwrap());
    assert_eq!(total(&r1, "copied") as usize, original.len(), "{}: first leg copied all: {r1}", input.display());
    assert_eq!(total(&r2, "copied") as usize, original.len(), "{}: second leg copied all: {r2}", input.display());
    assert_eq!(total(&r1, "failed") + total(&r2, "failed"), 0);
    assert_eq!((code, code2), (0, 0), "{}: no losses: {r1} {r2}", input.display());
    assert_eq!(returned.len(), original.len(), "{}", input.display());

    // Folder by folder, the same messages in the same order. The root of a
    // single mbox becomes the Maildir's INBOX and comes back as the root.
    for (i, ((f1, m1), (f2, m2))) in original.iter().zip(&returned).enumerate() {
        let norm =
            |f: &str| if f.is_empty() || f.eq_ignore_ascii_case("inbox") { String::new() } else { f.to_string() };
        assert_eq!(norm(f1), norm(f2), "{}: message {i} folder", input.display());
        assert!(
            without_state_headers(m1) == without_state_headers(m2),
            "{}: message {i} differs beyond state headers:\n--- before\n{}\n--- after\n{}",
            input.display(),
            String::from_utf8_lossy(m1),
            String::from_utf8_lossy(m2)
        );
    }

    // An independent reader agrees on what each output holds.
    if input.is_file() {
        let Some((n_in, ids_in)) = python_mailbox("mbox", input) else { return };
        let (n_md, ids_md) = python_mailbox("maildir", &md).unwrap();
        let (n_back, ids_back) = python_mailbox("mbox", &back).unwrap();
        assert_eq!(n_md, original.len(), "{}: python reads our Maildir", input.display());
        assert_eq!(ids_md, ids_back, "{}: python sees the same Message-IDs in Maildir and mbox", input.display());
        assert_eq!(n_back, n_md, "{}", input.display());
        // Python splits at every line starting "From " (mboxo), so it can see
        // more messages than there are in a file whose bodies hold such lines
        // unquoted; where it agrees on the count it must agree on the ids.
        if n_in == original.len() {
            assert_eq!(ids_in, ids_back, "{}: same Message-IDs as the input", input.display());
        }
    } else {
        // A tree: Python reads our Maildir's folders and every message in them.
        let Some((n_md, ids_md)) = python_mailbox("maildir", &md) else { return };
        assert_eq!(n_md, original.len(), "{}", input.display());
        let mut ids_in: Vec<String> =
            original.iter().map(|(_, m)| mailshift_core::MailInfo::parse(m).message_id.unwrap_or_default()).collect();
        ids_in.sort();
        assert_eq!(ids_md, ids_in, "{}", input.display());
    }
}

#[test]
fn generated_sample_round_trips() {
    round_trip(&sample("sample.mbox"));
}

#[test]
fn generated_tree_round_trips() {
    round_trip(&sample("tree"));
}

#[test]
fn every_mbox_fixture_round_trips() {
    let Some(files) = mailshift_testkit::fixture_files(&["mbox"]) else { return };
    for f in files {
        round_trip(&f);
    }
}
