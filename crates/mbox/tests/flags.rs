//! Flags and keywords, read from and written to mbox header fields.

mod common;

use common::{read_all, read_bytes, write_file, D1};
use mailshift_core::{Flags, MailItem};
use mailshift_mbox::{MboxReader, MboxWriteOptions};

#[test]
fn reads_status_fields() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "From a@x {D1}\nStatus: RO\nX-Status: AFTD\nX-Keywords: $Label1 Junk\n\nx\n\n\
         From b@x {D1}\nX-Mozilla-Status: 1003\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys: $label2 later     \n\ny\n\n\
         From c@x {D1}\nStatus: O\nX-Mozilla-Status: 000c\nX-Keywords: Red Category, work\n\nz\n\n\
         From d@x {D1}\nSubject: none\n\nStatus: RO\n\n"
    );
    let (msgs, problems) = read_bytes(dir.path(), "f.mbox", text.as_bytes());
    assert!(problems.is_empty());
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[0].flags, Flags::SEEN | Flags::ANSWERED | Flags::FLAGGED | Flags::DRAFT | Flags::DELETED);
    assert_eq!(msgs[0].keywords, ["$Label1", "Junk"]);
    assert_eq!(msgs[1].flags, Flags::SEEN | Flags::ANSWERED | Flags::FORWARDED);
    assert_eq!(msgs[1].keywords, ["$label2", "later"]);
    assert_eq!(msgs[2].flags, Flags::FLAGGED | Flags::DELETED);
    assert_eq!(msgs[2].keywords, ["Red Category", "work"]);
    // A Status line in the body is not a header field.
    assert_eq!(msgs[3].flags, Flags::empty());
    // The fields stay in the message bytes.
    assert!(msgs[0].raw.starts_with(b"Status: RO\nX-Status: AFTD\n"));
}

fn mail(raw: &'static [u8], flags: Flags, keywords: &[&str]) -> MailItem<'static> {
    let mut m = MailItem::new(raw);
    m.flags = flags;
    m.keywords = keywords.iter().map(|s| s.to_string()).collect();
    m.mbox_from_line = Some(format!("a@x {D1}").into_bytes().into());
    m
}

#[test]
fn writes_status_fields_and_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.mbox");
    let all = Flags::SEEN | Flags::ANSWERED | Flags::FLAGGED | Flags::DRAFT | Flags::DELETED;
    let items = vec![
        // 0: nothing to say, nothing said: untouched.
        mail(b"Subject: 0\n\nx\n", Flags::empty(), &[]),
        // 1: inserted before the end of the header.
        mail(b"Subject: 1\n\nx\n", all, &["$Label1", "Junk"]),
        // 2: replaced in place, duplicates dropped, stale keywords removed.
        mail(b"Status: O\nSubject: 2\nStatus: RO\nX-Keywords: old\nX-Status: A\n\nx\n", Flags::SEEN, &[]),
        // 3: already right: untouched.
        mail(b"Subject: 3\nStatus: RO\nX-Status: F\n\nx\n", Flags::SEEN | Flags::FLAGGED, &[]),
        // 4: Forwarded has no Status letter: `$Forwarded` in X-Keywords.
        mail(b"Subject: 4\n\nx\n", Flags::SEEN | Flags::FORWARDED, &[]),
        // 5: ... unless X-Mozilla-Status can carry it; keep its other bits.
        mail(b"Subject: 5\nX-Mozilla-Status: 8000\n\nx\n", Flags::SEEN | Flags::FORWARDED, &["Red Category"]),
        // 6: a header without an ending empty line.
        mail(b"Subject: 6", Flags::SEEN, &[]),
    ];
    let lost = write_file(&p, items, MboxWriteOptions::default());
    for (i, l) in lost.iter().enumerate() {
        assert!(l.is_empty(), "{i}: {l:?}");
    }
    let msgs = read_all(&MboxReader::open(&p).unwrap());
    let raws: Vec<String> = msgs.iter().map(|m| String::from_utf8(m.raw.clone()).unwrap()).collect();
    assert_eq!(
        raws,
        [
            "Subject: 0\n\nx\n",
            "Subject: 1\nStatus: RO\nX-Status: AFTD\nX-Keywords: $Label1 Junk\n\nx\n",
            "Status: RO\nSubject: 2\n\nx\n",
            "Subject: 3\nStatus: RO\nX-Status: F\n\nx\n",
            "Subject: 4\nStatus: RO\nX-Keywords: $Forwarded\n\nx\n",
            "Subject: 5\nX-Mozilla-Status: 9001\nStatus: RO\nX-Keywords: Red Category,\n\nx\n",
            "Subject: 6\nStatus: RO\n",
        ]
    );
    assert_eq!(msgs[1].flags, all);
    assert_eq!(msgs[1].keywords, ["$Label1", "Junk"]);
    assert_eq!(msgs[2].flags, Flags::SEEN);
    assert!(msgs[2].keywords.is_empty());
    assert_eq!(msgs[4].flags, Flags::SEEN | Flags::FORWARDED);
    assert!(msgs[4].keywords.is_empty(), "$Forwarded is the flag, not a keyword");
    assert_eq!(msgs[5].flags, Flags::SEEN | Flags::FORWARDED);
    assert_eq!(msgs[5].keywords, ["Red Category"]);
}

#[test]
fn thunderbird_fields_are_rewritten_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tb.mbox");
    let raw: &'static [u8] = b"X-Mozilla-Status: 0001\nX-Mozilla-Keys: $label1                \nSubject: t\n\nx\n";
    write_file(&p, vec![mail(raw, Flags::FLAGGED, &["todo"])], MboxWriteOptions::default());
    let msgs = read_all(&MboxReader::open(&p).unwrap());
    assert_eq!(msgs[0].flags, Flags::FLAGGED);
    assert_eq!(msgs[0].keywords, ["todo"]);
    let text = String::from_utf8(msgs[0].raw.clone()).unwrap();
    assert!(text.starts_with("X-Mozilla-Status: 0004\nX-Mozilla-Keys: todo"), "{text}");
    // The padding width Thunderbird reserved is kept.
    let keys_line = text.lines().nth(1).unwrap();
    assert_eq!(keys_line.len(), "X-Mozilla-Keys: $label1                ".len());
}

#[test]
fn forwarded_is_kept_in_x_keywords_or_x_mozilla_status() {
    let dir = tempfile::tempdir().unwrap();
    // Read: `$Forwarded` (any case) in X-Keywords or X-Mozilla-Keys is the
    // flag; so is X-Mozilla-Status bit 0x1000.
    let text = format!(
        "From a@x {D1}\nX-Keywords: work $Forwarded\n\nx\n\n\
         From b@x {D1}\nX-Mozilla-Status: 1000\n\ny\n\n\
         From c@x {D1}\nX-Mozilla-Keys: $forwarded\n\nz\n\n"
    );
    let (msgs, _) = read_bytes(dir.path(), "r.mbox", text.as_bytes());
    assert_eq!(msgs.iter().map(|m| m.flags).collect::<Vec<_>>(), [Flags::FORWARDED; 3]);
    assert_eq!(msgs[0].keywords, ["work"]);
    assert!(msgs[1].keywords.is_empty() && msgs[2].keywords.is_empty());

    // Write: kept, not lost, and read back the same; clearing it removes
    // it from wherever it was.
    let p = dir.path().join("w.mbox");
    let items = vec![
        mail(b"Subject: 0\n\nx\n", Flags::FORWARDED, &["work"]),
        mail(b"Subject: 1\nX-Keywords: $Forwarded work\n\nx\n", Flags::SEEN, &["work"]),
        mail(b"Subject: 2\nX-Mozilla-Status: 1001\n\nx\n", Flags::SEEN, &[]),
        // Already right: untouched.
        mail(b"Subject: 3\nStatus: O\nX-Keywords: $Forwarded\n\nx\n", Flags::FORWARDED, &[]),
    ];
    let lost = write_file(&p, items, MboxWriteOptions::default());
    assert!(lost.iter().all(|l| l.is_empty()), "{lost:?}");
    let msgs = read_all(&MboxReader::open(&p).unwrap());
    let raws: Vec<String> = msgs.iter().map(|m| String::from_utf8(m.raw.clone()).unwrap()).collect();
    assert_eq!(
        raws,
        [
            "Subject: 0\nStatus: O\nX-Keywords: work $Forwarded\n\nx\n",
            "Subject: 1\nX-Keywords: work\nStatus: RO\n\nx\n",
            "Subject: 2\nX-Mozilla-Status: 0001\nStatus: RO\n\nx\n",
            "Subject: 3\nStatus: O\nX-Keywords: $Forwarded\n\nx\n",
        ]
    );
    assert_eq!(msgs[0].flags, Flags::FORWARDED);
    assert_eq!(msgs[0].keywords, ["work"]);
    assert_eq!(msgs[1].flags, Flags::SEEN);
    assert_eq!(msgs[1].keywords, ["work"]);
    assert_eq!(msgs[2].flags, Flags::SEEN);
    assert_eq!(msgs[3].flags, Flags::FORWARDED);
}
