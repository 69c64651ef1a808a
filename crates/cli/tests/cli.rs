//! The command line: detection, dedup, filters, info, exit codes.

mod common;

use common::*;

#[test]
fn second_run_with_dedup_copies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("md");
    let src = sample("sample.mbox");
    let (_, first) = convert(&src, &md, &["--to", "maildir", "--dedup"]);
    let copied = total(&first, "copied");
    assert!(copied > 0);
    let (code, second) = convert(&src, &md, &["--to", "maildir", "--dedup"]);
    assert_eq!(code, 0);
    assert_eq!(total(&second, "copied"), 0, "{second}");
    assert_eq!(total(&second, "skipped_duplicate"), copied + total(&first, "skipped_duplicate"), "{second}");
}

#[test]
fn dedup_into_mbox_target_reads_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mbox");
    let src = sample("sample.mbox");
    let (_, first) = convert(&src, &out, &["--dedup"]);
    let (_, second) = convert(&src, &out, &["--dedup"]);
    assert_eq!(total(&second, "copied"), 0, "{second}");
    assert_eq!(total(&second, "skipped_duplicate"), total(&first, "copied") + total(&first, "skipped_duplicate"));
}

#[test]
fn mbox_named_pst_is_read_as_mbox() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return };
    let f = dir.join("aspose-email__Aspose.Email-for-.NET/Examples_Data_SMTP__Outlook.pst");
    let (code, out, err) = mailshift(&[&"info", &f, &"--json"]);
    assert!(code == 0 || code == 1, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["format"], "mbox", "{info}");
    assert!(info["items"].as_u64().unwrap() >= 1, "{info}");
}

#[test]
fn info_reports_folders_counts_and_dates() {
    let (code, out, err) = mailshift(&[&"info", &sample("tree"), &"--json"]);
    assert!(code == 0 || code == 1, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["format"], "mbox");
    let folders = info["folders"].as_array().unwrap();
    assert!(folders.len() >= 3, "{info}");
    assert!(folders.iter().any(|f| f["path"].as_str().unwrap().contains("Entwürfe")), "{info}");
    let sum: u64 = folders.iter().map(|f| f["items"].as_u64().unwrap()).sum();
    assert_eq!(sum, info["items"].as_u64().unwrap());
    assert!(info["oldest"].is_string() && info["newest"].is_string(), "{info}");
    let (code, table, _) = mailshift(&[&"info", &sample("tree")]);
    assert!(code == 0 || code == 1);
    assert!(table.contains("TOTAL"), "{table}");
}

#[test]
fn filters_and_max_size_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let src = sample("sample.mbox");
    let (_, all) = convert(&src, &dir.path().join("all"), &["--to", "eml"]);
    let n = total(&all, "copied");
    let (_, small) = convert(&src, &dir.path().join("small"), &["--to", "eml", "--max-size", "4K"]);
    assert!(total(&small, "skipped_too_large") > 0, "{small}");
    assert_eq!(total(&small, "copied") + total(&small, "skipped_too_large"), n);
    let skips = small["folders"][0]["skips"].as_array().unwrap();
    assert_eq!(skips.len() as u64, total(&small, "skipped_too_large"), "each large message is listed");
    let (_, dated) = convert(&src, &dir.path().join("dated"), &["--to", "eml", "--since", "2100-01-01"]);
    assert_eq!(total(&dated, "copied"), 0);
    assert_eq!(total(&dated, "skipped_filtered"), n);
}

#[test]
fn unknown_source_exits_2_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, [0u8, 1, 2, 3, 255]).unwrap();
    let (code, _, err) = mailshift(&[&"convert", &junk, &dir.path().join("o"), &"--to", &"maildir"]);
    assert_eq!(code, 2);
    assert!(err.contains("junk.bin"), "{err}");
}

#[test]
fn a_file_named_pst_that_is_not_one_gets_the_pst_readers_reason() {
    let dir = tempfile::tempdir().unwrap();
    // Not a PST's magic, and not mail: neither "From " nor a header line.
    let junk = dir.path().join("Archive.PST");
    std::fs::write(&junk, [0xD0u8, 0xCF, 0x11, 0xE0, 0, 0, 0, 0]).unwrap();
    let (code, _, err) = mailshift(&[&"convert", &junk, &dir.path().join("o"), &"--to", &"mbox"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Archive.PST") && err.contains("HEADER at offset 0"), "{err}");
    assert!(err.contains("not a PST or OST file"), "{err}");
    let (code, _, err) = mailshift(&[&"info", &junk]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dwMagic"), "{err}");
    // Cut before its magic ends: an OST name, the same reason.
    let short = dir.path().join("cut.ost");
    std::fs::write(&short, b"!BD").unwrap();
    let (code, _, err) = mailshift(&[&"info", &short]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.ost") && err.contains("HEADER at offset 0"), "{err}");
}

#[test]
fn missing_target_format_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = mailshift(&[&"convert", &sample("sample.mbox"), &dir.path().join("out")]);
    assert_eq!(code, 2);
    assert!(err.contains("--to"), "{err}");
}

#[test]
fn damaged_mbox_is_converted_with_problems_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(sample("sample.mbox")).unwrap();
    // Break the date of the second From_ line and cut the file mid-message.
    let second = bytes.windows(6).enumerate().skip(1).find(|(_, w)| *w == b"\nFrom ").map(|(i, _)| i + 1).unwrap();
    let eol = second + bytes[second..].iter().position(|b| *b == b'\n').unwrap();
    for b in &mut bytes[second + 5..eol] {
        *b = b'x';
    }
    bytes.truncate(bytes.len() - 1000);
    let src = dir.path().join("damaged");
    std::fs::write(&src, &bytes).unwrap();
    let (_, report) = convert(&src, &dir.path().join("out"), &["--to", "maildir"]);
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["offset"].as_u64() == Some(second as u64)),
        "the broken separator at {second} is reported: {report}"
    );
    assert_eq!(total(&report, "failed"), 0);
    assert!(total(&report, "copied") > 50);
}

/// A PST every other tool rejects (stale header CRCs, a root page with the
/// wrong BID) opens on the salvage scan (issue 11): exit 1, the damage
/// named by structure and offset.
#[test]
fn pst_every_tool_rejects_is_salvaged_exits_1_naming_structure_and_offset() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return };
    let f = dir.join("aspose-email__Aspose.Email-for-.NET/AddingBulkMessagesWithImprovedPerformance.pst");
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) = mailshift(&[&"convert", &f, &out.path().join("o"), &"--to", &"mbox"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("AddingBulkMessagesWithImprovedPerformance.pst") && err.contains("offset 32256"), "{err}");
    assert!(err.contains("root B-tree page unusable") && err.contains("salvage"), "{err}");
}

/// The real OST of the fixtures: every mail and meeting request comes out
/// as mail, the appointments as an .ics file beside the mail folders.
#[test]
fn sample_ost_gives_all_its_mail_meeting_and_calendar_items() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return };
    let ost = dir.join("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost");
    let out = tempfile::tempdir().unwrap();
    let md = out.path().join("md");
    let (code, report) = convert(&ost, &md, &["--to", "maildir"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(total(&report, "failed"), 0, "{report}");
    // 81 mails, 6 meeting requests and 5 appointments (MANIFEST.md; pffexport agrees).
    assert_eq!(total(&report, "copied"), 92, "{report}");
    // One appointment in Calendar, four (two copies of one meeting among
    // them, which share a UID) in Deleted Items, each in an .ics beside the mail.
    let n_items = |name: &str| {
        let ics = std::fs::read_to_string(md.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let uids: std::collections::BTreeSet<&str> = ics.split("\r\n").filter(|l| l.starts_with("UID:")).collect();
        (ics.matches("BEGIN:VEVENT").count() - ics.matches("RECURRENCE-ID").count(), uids.len())
    };
    assert_eq!(n_items("Calendar.ics"), (1, 1));
    assert_eq!(n_items("Deleted Items.ics"), (4, 4));
    // What we wrote is mail another program reads.
    if let Some((n, ids)) = python_mailbox("maildir", &md) {
        assert_eq!(n, 87);
        assert!(ids.iter().filter(|i| !i.is_empty()).count() > 40, "{ids:?}");
    }
}

/// `info` reads PST/OST messages' properties without converting them: the
/// same folders, counts, classes and dates as `info --exact`; only the
/// sizes are the store's own, and the conversion notes are left out.
#[test]
fn info_gives_the_counts_classes_and_dates_of_info_exact() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else { return };
    let mut compared = 0;
    for f in files.iter().filter(|f| std::fs::metadata(f).is_ok_and(|m| m.len() < 20 << 20)).take(25) {
        let (code, full, _) = mailshift(&[&"info", f, &"--json", &"--exact"]);
        if code == 2 {
            continue;
        }
        let (qcode, quick, err) = mailshift(&[&"info", f, &"--json"]);
        assert!(qcode == 0 || qcode == 1, "{}: {err}", f.display());
        let (full, quick): (serde_json::Value, serde_json::Value) =
            (serde_json::from_str(&full).unwrap(), serde_json::from_str(&quick).unwrap());
        assert_eq!(full["items"], quick["items"], "{}", f.display());
        for (a, b) in full["folders"].as_array().unwrap().iter().zip(quick["folders"].as_array().unwrap()) {
            for k in ["path", "items", "classes", "oldest", "newest", "unreadable"] {
                assert_eq!(a[k], b[k], "{}: {} {k}", f.display(), a["path"]);
            }
        }
        compared += 1;
    }
    assert!(compared >= 10, "{compared} stores compared");
}
