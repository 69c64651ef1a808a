//! Golden dumps: for every PST/OST fixture, what we read, as stable text
//! (folders; per mail item: class, subject, from, date, Message-ID,
//! attachment names with sha256; per contact, event, task, note or journal
//! entry: the vCard or iCalendar we write for it, unfolded, photos by
//! hash), compared with `tests/golden/<fixture>.txt`.
//!
//! `MAILSHIFT_GOLDEN_ACCEPT=1 cargo test -p mailshift-pst --test golden`
//! rewrites the files; review the diff before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mail_parser::{MessageParser, MimeHeaders};
use mailshift_core::{Item, StoreReader};
use mailshift_pst::PstReader;
use sha2::{Digest, Sha256};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn golden_name(fixtures: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(fixtures).unwrap_or(file);
    format!("{}.txt", rel.to_string_lossy().replace(['/', '\\'], "__"))
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// One message's summary, recursing into attached messages.
fn describe_mail(out: &mut String, raw: &[u8], indent: &str, depth: usize) {
    let Some(msg) = MessageParser::default().parse(raw) else {
        let _ = writeln!(out, "{indent}unparsable MIME, {} bytes, sha {}", raw.len(), sha(raw));
        return;
    };
    let _ = writeln!(out, "{indent}subject: {}", msg.subject().unwrap_or("-"));
    let from = msg
        .from()
        .and_then(|a| a.first())
        .map(|a| format!("{} <{}>", a.name().unwrap_or(""), a.address().unwrap_or("")))
        .unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "{indent}from: {from}");
    let _ = writeln!(out, "{indent}date: {}", msg.date().map(|d| d.to_rfc3339()).unwrap_or_else(|| "-".into()));
    let _ = writeln!(out, "{indent}message-id: {}", msg.message_id().unwrap_or("-"));
    let _ = writeln!(out, "{indent}bodies: text {} html {}", msg.text_body.len(), msg.html_body.len());
    for att in msg.attachments() {
        let name = att.attachment_name().unwrap_or("-");
        match att.message() {
            Some(inner) if depth < 4 => {
                let _ = writeln!(out, "{indent}attached message: {name}");
                describe_mail(out, inner.raw_message(), &format!("{indent}  "), depth + 1);
            }
            _ => {
                let _ = writeln!(
                    out,
                    "{indent}attachment: {name} {} bytes sha {}",
                    att.contents().len(),
                    sha(att.contents())
                );
            }
        }
    }
}

/// A PIM item as the vCard / iCalendar text we write (photos by size and
/// hash), indented.
fn describe_pim(out: &mut String, item: &Item<'_>) {
    use mailshift_core::pim::{ical, vcard, vcard::VCardVersion};
    let text = match item {
        Item::Contact(c) => {
            let mut c = (**c).clone();
            if let Some(p) = c.photo.take() {
                let _ = writeln!(out, "    photo: {} {} bytes sha {}", p.media_type, p.data.len(), sha(&p.data));
            }
            vcard::write(&c, VCardVersion::V4)
        }
        Item::DistList(d) => vcard::write_group(d, VCardVersion::V4),
        Item::Event(e) => e.timezones.iter().map(ical::timezone).collect::<String>() + &ical::event(e),
        Item::Task(t) => ical::task(t),
        Item::Note(j) | Item::Journal(j) => ical::journal(j),
        _ => return,
    };
    for line in text.replace("\r\n ", "").lines() {
        let _ = writeln!(out, "    {line}");
    }
}

fn dump(reader: &PstReader) -> String {
    let mut out = String::new();
    for (k, v) in reader.facts() {
        let _ = writeln!(out, "{k}: {v}");
    }
    let folders = match reader.folders() {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(out, "cannot list folders: {e}");
            return out;
        }
    };
    for folder in folders {
        let items = reader.items(folder.id);
        let _ = writeln!(
            out,
            "\nfolder {:?} kind {} role {:?} items {}",
            folder.display_path(),
            folder.kind.as_str(),
            folder.role,
            items.as_ref().map_or(0, |i| i.len())
        );
        let items = match items {
            Ok(i) => i,
            Err(e) => {
                let _ = writeln!(out, "  cannot list items: {e}");
                continue;
            }
        };
        for m in items {
            let class = reader.item_class(m.id).unwrap_or_else(|| "-".into());
            let _ = writeln!(out, "  item {} class {class}", reader.describe(m.id));
            match reader.read(m.id) {
                Ok(Item::Mail(mail)) => {
                    let _ = writeln!(out, "    flags {:?} keywords {:?}", mail.flags, mail.keywords);
                    describe_mail(&mut out, &mail.raw, "    ", 0);
                }
                Ok(item) => describe_pim(&mut out, &item),
                Err(e) => {
                    let _ = writeln!(out, "    error: {e}");
                }
            }
        }
    }
    out
}

#[test]
fn golden_dumps_of_every_pst_and_ost_fixture() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else { return };
    let fixtures = mailshift_testkit::fixtures_dir().expect("found above");
    let accept = std::env::var("MAILSHIFT_GOLDEN_ACCEPT").is_ok_and(|v| v == "1");
    let dir = golden_dir();
    let mut mismatched = Vec::new();
    let mut compared = 0;
    for file in &files {
        let text = match PstReader::open(file) {
            Ok(r) => dump(&r),
            Err(e) => format!("cannot open: {e}\n"),
        };
        // Paths in error messages depend on where the fixtures are.
        let text = text.replace(&fixtures.display().to_string(), "$FIXTURES");
        let golden = dir.join(golden_name(&fixtures, file));
        if accept {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&golden, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == text => compared += 1,
            Ok(_) => mismatched.push(format!("{} differs from {}", file.display(), golden.display())),
            Err(_) => mismatched.push(format!("{} has no golden file {}", file.display(), golden.display())),
        }
    }
    assert!(
        mismatched.is_empty(),
        "{} of {} fixtures differ from their golden dumps (MAILSHIFT_GOLDEN_ACCEPT=1 rewrites them):\n{}",
        mismatched.len(),
        files.len(),
        mismatched.join("\n")
    );
    assert!(accept || compared == files.len());
}
