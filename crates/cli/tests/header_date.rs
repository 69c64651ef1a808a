//! `info` reads only the Date field of each message
//! (`prepare::header_date`); it must read what the full header parse reads,
//! for every message of the mbox and PST fixtures and the shipped samples.

use std::path::Path;

use mailshift_core::prepare::{header_date, MailInfo};
use mailshift_core::{Item, StoreReader};

fn check(reader: &dyn StoreReader, what: &Path) -> usize {
    let mut n = 0;
    for f in reader.folders().unwrap_or_default() {
        for m in reader.items(f.id).unwrap_or_default() {
            if let Ok(Item::Mail(mail)) = reader.read(m.id) {
                assert_eq!(
                    header_date(&mail.raw),
                    MailInfo::parse(&mail.raw).date,
                    "{}: {}",
                    what.display(),
                    reader.describe(m.id)
                );
                n += 1;
            }
        }
    }
    n
}

#[test]
fn the_date_alone_is_the_date_of_the_full_parse() {
    let root = mailshift_testkit::workspace_root();
    let mut n =
        check(&mailshift_mbox::MboxReader::open(&root.join("fixtures/generated/tree")).unwrap(), Path::new("tree"));
    let Some(files) = mailshift_testkit::fixture_files(&["mbox", "pst", "ost"]) else { return };
    for f in &files {
        let reader: Box<dyn StoreReader> = if f.extension().is_some_and(|e| e == "mbox") {
            match mailshift_mbox::MboxReader::open(f) {
                Ok(r) => Box::new(r),
                Err(_) => continue,
            }
        } else {
            match mailshift_pst::PstReader::open(f) {
                Ok(r) => Box::new(r),
                Err(_) => continue,
            }
        };
        n += check(reader.as_ref(), f);
    }
    assert!(n > 1000, "{n} messages");
    eprintln!("{n} messages of {} stores", files.len() + 1);
}
