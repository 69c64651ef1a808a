//! Framing edge cases of the mbox reader.

mod common;

use common::{count_problems, read_bytes, D1};
use mailshift_core::{ItemId, StoreReader};
use mailshift_mbox::{probe, MboxReader};

const T1: i64 = 978_307_200;

#[test]
fn from_lines_in_body_are_not_separators() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "From a@x {D1}\nSubject: one\n\nhello\nFrom here on it is body\n\nFrom the start, too\n\nFrom b@x {D1}\nSubject: two\n\nbye\n\n"
    );
    let (msgs, problems) = read_bytes(dir.path(), "a.mbox", text.as_bytes());
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].raw, b"Subject: one\n\nhello\nFrom here on it is body\n\nFrom the start, too\n");
    assert_eq!(msgs[1].raw, b"Subject: two\n\nbye\n");
    // One report for the `From ` line after a non-empty line, one for the
    // dateless one after an empty line: the two places where a reader that
    // splits at every `From ` line would see extra messages.
    assert_eq!(count_problems(&problems, "does not follow an empty line"), 1);
    assert_eq!(count_problems(&problems, "carries no asctime date"), 1);
    let at = text.find("From the start").unwrap() as u64;
    assert!(problems.iter().any(|p| p.offset == Some(at) && p.structure == "mbox From_ line"));
}

#[test]
fn mboxrd_quoting_is_undone_by_one_level() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("From a@x {D1}\nSubject: q\n\n>From x\n>>From y\n> From z\nx >From w\n\n");
    let (msgs, problems) = read_bytes(dir.path(), "q.mbox", text.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].raw, b"Subject: q\n\nFrom x\n>From y\n> From z\nx >From w\n");
    assert!(!msgs[0].borrowed, "un-quoted message must be owned");

    let (msgs, _) = read_bytes(dir.path(), "p.mbox", format!("From a@x {D1}\nSubject: p\n\nplain\n\n").as_bytes());
    assert!(msgs[0].borrowed, "message without quoting must borrow the map");
}

#[test]
fn crlf_files() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("From a@x {D1}\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom b@x {D1}\r\nSubject: two\r\n\r\nbody2\r\n\r\n");
    let (msgs, problems) = read_bytes(dir.path(), "crlf.mbox", text.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].raw, b"Subject: one\r\n\r\nbody\r\n");
    assert_eq!(msgs[1].raw, b"Subject: two\r\n\r\nbody2\r\n");
    assert_eq!(msgs[0].from_line.as_deref(), Some(format!("a@x {D1}").as_bytes()));
    assert_eq!(msgs[1].received, Some(T1));
}

#[test]
fn content_length_is_trusted_when_it_lands_on_a_separator() {
    let dir = tempfile::tempdir().unwrap();
    // mboxcl2: the body holds an unquoted From_ line after an empty line.
    let body = format!("line\n\nFrom c@x {D1}\nnot a message\n");
    let text = format!(
        "From a@x {D1}\nContent-Length: {}\nSubject: cl\n\n{body}\nFrom b@x {D1}\nSubject: two\n\nx\n\n",
        body.len()
    );
    let (msgs, problems) = read_bytes(dir.path(), "cl.mbox", text.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].raw, format!("Content-Length: {}\nSubject: cl\n\n{body}", body.len()).as_bytes());
    assert_eq!(msgs[1].raw, b"Subject: two\n\nx\n");

    // A wrong Content-Length is reported and the separators decide.
    let text = format!("From a@x {D1}\nContent-Length: 3\nSubject: cl\n\n{body}\nFrom b@x {D1}\nSubject: two\n\nx\n\n");
    // (The From_ line in the body is followed by prose, not a header, so
    // it does not split the message either: issue 8, item 12.)
    let (msgs, problems) = read_bytes(dir.path(), "cl2.mbox", text.as_bytes());
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].raw, format!("Content-Length: 3\nSubject: cl\n\n{body}").as_bytes());
    let at = text.find("Content-Length").unwrap() as u64;
    assert!(problems.iter().any(|p| p.structure == "mbox Content-Length" && p.offset == Some(at)), "{problems:?}");
    let at = text.find("From c@x").unwrap() as u64;
    assert!(
        problems.iter().any(|p| p.offset == Some(at) && p.message.contains("not followed by a header field")),
        "{problems:?}"
    );

    // Content-Length to the end of the file.
    let text = format!("From a@x {D1}\nContent-Length: 5\n\nabcde");
    let (msgs, problems) = read_bytes(dir.path(), "cl3.mbox", text.as_bytes());
    assert!(problems.is_empty());
    assert_eq!(msgs[0].raw, b"Content-Length: 5\n\nabcde");
}

#[test]
fn missing_first_from_line_is_a_message_and_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("Subject: orphan\n\nbody\n\nFrom b@x {D1}\nSubject: two\n\nx\n\n");
    let (msgs, problems) = read_bytes(dir.path(), "m.mbox", text.as_bytes());
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].raw, b"Subject: orphan\n\nbody\n");
    assert_eq!(msgs[0].from_line, None);
    assert_eq!(msgs[0].received, None);
    assert_eq!(msgs[1].raw, b"Subject: two\n\nx\n");
    assert_eq!(count_problems(&problems, "does not start with a From_ line"), 1);
    assert_eq!(problems[0].offset, Some(0));
}

#[test]
fn empty_and_degenerate_files() {
    let dir = tempfile::tempdir().unwrap();
    let (msgs, problems) = read_bytes(dir.path(), "empty.mbox", b"");
    assert!(msgs.is_empty() && problems.is_empty());
    let (msgs, problems) = read_bytes(dir.path(), "blank.mbox", b"\n\r\n\n");
    assert!(msgs.is_empty() && problems.is_empty());

    for text in [format!("From a@x {D1}\n"), format!("From a@x {D1}"), format!("From a@x {D1}\n\n")] {
        let (msgs, problems) = read_bytes(dir.path(), "only.mbox", text.as_bytes());
        assert!(problems.is_empty(), "{text:?}: {problems:?}");
        assert_eq!(msgs.len(), 1, "{text:?}");
        assert!(msgs[0].raw.is_empty(), "{text:?}");
        assert_eq!(msgs[0].received, Some(T1));
    }

    // BOM and empty lines before the first From_ line.
    let text = format!("\u{feff}\n\nFrom a@x {D1}\nSubject: b\n\nx\n\n");
    let (msgs, problems) = read_bytes(dir.path(), "bom.mbox", text.as_bytes());
    assert!(problems.is_empty());
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].raw, b"Subject: b\n\nx\n");
}

#[test]
fn last_message_without_trailing_newline_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("From a@x {D1}\nSubject: one\n\nx\n\nFrom b@x {D1}\nSubject: two\n\nno newline");
    let (msgs, _) = read_bytes(dir.path(), "t.mbox", text.as_bytes());
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].raw, b"Subject: two\n\nno newline");
    // With one newline but no framing empty line.
    let (msgs, _) = read_bytes(dir.path(), "t2.mbox", format!("{text}\n").as_bytes());
    assert_eq!(msgs[1].raw, b"Subject: two\n\nno newline\n");
}

#[test]
fn from_line_forms_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let text = "From - Fri Aug 05 10:57:20 2016\nSubject: tb\n\nx\n\n\
                From goran at domain.com  Wed Dec  1 08:26:40 2010\nSubject: pipermail\n\ny\n\n\
                From 1563685564519032849@xxx Mon Apr 03 19:12:41 +0000 2017\nSubject: gmail\n\nz\n\n";
    let (msgs, problems) = read_bytes(dir.path(), "f.mbox", text.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].from_line.as_deref(), Some(&b"- Fri Aug 05 10:57:20 2016"[..]));
    assert_eq!(msgs[0].received, Some(1_470_394_640));
    assert_eq!(msgs[1].received, Some(1_291_192_000));
    assert_eq!(msgs[2].received, Some(1_491_246_761));
}

#[test]
fn ids_and_descriptions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.mbox");
    let text = format!("From a@x {D1}\nSubject: one\n\nx\n\nFrom b@x {D1}\nSubject: two\n\ny\n\n");
    std::fs::write(&p, &text).unwrap();
    let r = MboxReader::open(&p).unwrap();
    let root = &r.folders().unwrap()[0];
    assert!(root.is_root());
    assert_eq!(root.name, "d");
    let items = r.items(root.id).unwrap();
    assert_eq!(items.len(), 2);
    let second = text.rfind("From b").unwrap();
    assert_eq!(r.describe(items[1].id), format!("{} offset {second}", p.display()));
    assert!(r.read(ItemId(items[1].id.0 + 1, items[1].id.1)).is_err());
    assert!(r.read(ItemId(items[1].id.0, items[1].id.1 + 1)).is_err());
    assert!(r.read(ItemId(7 << 48, 0)).is_err());
}

#[test]
fn probe_by_bytes_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("x.pst"), format!("From - {D1}\nSubject: s\n\nx\n\n")).unwrap();
    assert!(probe(&d.join("x.pst")));
    std::fs::write(d.join("y.mbox"), b"!BDN\x00\x00\x00\x00SMbinary").unwrap();
    assert!(!probe(&d.join("y.mbox")));
    std::fs::write(d.join("z"), format!("Subject: s\n\nx\n\nFrom a@x {D1}\nSubject: t\n\ny\n")).unwrap();
    assert!(probe(&d.join("z")));
    std::fs::write(d.join("prose"), "From here on we go.\nThe end.\n").unwrap();
    assert!(!probe(&d.join("prose")));
    assert!(probe(d), "directory holding mbox files");
    std::fs::create_dir(d.join("cur")).unwrap();
    assert!(!probe(d), "a Maildir is not mbox");
    let empty = tempfile::tempdir().unwrap();
    assert!(!probe(empty.path()));
}

#[test]
fn dated_from_line_in_body_not_followed_by_a_header_is_body() {
    let dir = tempfile::tempdir().unwrap();
    // Unquoted by the writer that made the file: after an empty line, a
    // well-formed From_ line, then prose, not a header block.
    let text = format!(
        "From a@x {D1}\nSubject: one\n\nhello\n\nFrom b@x {D1}\nthis is still the body of one\n\n\
         From c@x {D1}\nSubject: two\n\nbye\n\n"
    );
    let (msgs, problems) = read_bytes(dir.path(), "body.mbox", text.as_bytes());
    assert_eq!(msgs.len(), 2, "{problems:?}");
    assert_eq!(
        msgs[0].raw,
        format!("Subject: one\n\nhello\n\nFrom b@x {D1}\nthis is still the body of one\n").as_bytes()
    );
    assert_eq!(msgs[1].raw, b"Subject: two\n\nbye\n");
    let at = text.find("From b@x").unwrap() as u64;
    let notes: Vec<_> =
        problems.iter().filter(|p| p.message.contains("a From_ line not followed by a header field")).collect();
    assert_eq!(notes.len(), 1, "{problems:?}");
    assert_eq!(notes[0].offset, Some(at));
    assert_eq!(notes[0].severity, mailshift_core::Severity::Note);
    assert!(notes[0].message.contains("kept in the message body"), "{:?}", notes[0]);

    // The same in a CRLF file, and with the prose line being a `Name :`-less
    // line that merely holds a colon late: still body.
    let text = format!(
        "From a@x {D1}\r\nSubject: one\r\n\r\nhi\r\n\r\nFrom b@x {D1}\r\nDear all, note: this\r\n\r\n\
         From c@x {D1}\r\nSubject: two\r\n\r\nbye\r\n\r\n"
    );
    let (msgs, problems) = read_bytes(dir.path(), "crlf.mbox", text.as_bytes());
    assert_eq!(msgs.len(), 2, "{problems:?}");
    assert_eq!(count_problems(&problems, "not followed by a header field"), 1);
}

#[test]
fn from_line_followed_by_a_header_the_end_or_an_empty_message_separates() {
    let dir = tempfile::tempdir().unwrap();
    // Header fields of every tolerated shape after a From_ line: a long
    // name, obsolete white space before the colon, an empty value.
    let long = "X-".to_string() + &"a".repeat(150);
    let text = format!(
        "From a@x {D1}\nSubject: one\n\nx\n\nFrom b@x {D1}\n{long}: v\n\ny\n\n\
         From c@x {D1}\nSubject : obsolete\n\nz\n\nFrom d@x {D1}\nX-Empty:\n\nw\n\n\
         From e@x {D1}\n\nFrom f@x {D1}\nSubject: after an empty message\n\nv\n\nFrom g@x {D1}\n"
    );
    let (msgs, problems) = read_bytes(dir.path(), "sep.mbox", text.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    let raws: Vec<&[u8]> = msgs.iter().map(|m| &m.raw[..]).collect();
    assert_eq!(
        raws,
        [
            &b"Subject: one\n\nx\n"[..],
            format!("{long}: v\n\ny\n").as_bytes(),
            b"Subject : obsolete\n\nz\n",
            b"X-Empty:\n\nw\n",
            b"",
            b"Subject: after an empty message\n\nv\n",
            b"",
        ]
    );
}
