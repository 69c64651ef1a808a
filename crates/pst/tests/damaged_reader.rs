//! The whole reader (folders, contents, messages, MIME, contacts and
//! calendar items with their vCard / iCalendar) over truncated and
//! bit-flipped copies of every PST/OST fixture: errors, never a panic, and
//! no case may run longer than 5 s (a hang or a runaway loop).

use std::sync::mpsc;
use std::time::Duration;

use mailshift_core::{Item, StoreReader};
use mailshift_pst::{Pst, PstOptions, PstReader, Store};

use mailshift_testkit::XorShift;

/// Reads everything the reader offers; returns (items read, errors).
fn read_all(bytes: Vec<u8>) -> (usize, usize) {
    let pst = match Pst::from_bytes("damaged.pst", bytes) {
        Ok(p) => p,
        Err(_) => return (0, 1),
    };
    let reader = PstReader::from_store(Store::new(pst), PstOptions { recover: true });
    let (mut read, mut errors) = (0, 0);
    let Ok(folders) = reader.folders() else { return (0, 1) };
    for f in folders {
        let Ok(items) = reader.items(f.id) else {
            errors += 1;
            continue;
        };
        for m in items {
            let _ = reader.item_class(m.id);
            match reader.read(m.id) {
                Ok(item) => {
                    read += 1;
                    // What the mappers made of damaged properties is written too.
                    use mailshift_core::pim::{ical, vcard, vcard::VCardVersion};
                    let _ = match &item {
                        Item::Contact(c) => vcard::write(c, VCardVersion::V3),
                        Item::DistList(d) => vcard::write_group(d, VCardVersion::V4),
                        Item::Event(e) => ical::event(e) + &e.timezones.iter().map(ical::timezone).collect::<String>(),
                        Item::Task(t) => ical::task(t),
                        _ => String::new(),
                    };
                }
                Err(_) => errors += 1,
            }
        }
    }
    let _ = reader.problems();
    (read, errors)
}

#[test]
fn damaged_fixtures_give_errors_never_panics_or_hangs() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else { return };
    let mut rng = XorShift(0x005E_ED0F_DA7A);
    let mut cases = 0;
    let mut failures = Vec::new();
    for file in &files {
        let Ok(original) = std::fs::read(file) else { continue };
        if original.len() > 1 << 20 || original.len() < 1024 {
            continue;
        }
        for k in 0..12 {
            let mut bytes = original.clone();
            let case = if k < 4 {
                let at = 512 + rng.below(bytes.len() - 512);
                bytes.truncate(at);
                format!("truncated at {at}")
            } else {
                let mut flips = Vec::new();
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(bytes.len());
                    let bit = 1u8 << rng.below(8);
                    bytes[at] ^= bit;
                    flips.push(format!("{at}^{bit:#04x}"));
                }
                format!("flipped {}", flips.join(","))
            };
            cases += 1;
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let outcome = std::panic::catch_unwind(move || read_all(bytes));
                let _ = tx.send(outcome.is_ok());
            });
            match rx.recv_timeout(Duration::from_secs(5)) {
                Ok(true) => {}
                Ok(false) => failures.push(format!("{} {case}: panicked", file.display())),
                Err(_) => failures.push(format!("{} {case}: still running after 5 s", file.display())),
            }
        }
    }
    assert!(cases > 1000, "only {cases} damaged cases were built");
    assert!(failures.is_empty(), "{} of {cases} damaged cases failed:\n{}", failures.len(), failures.join("\n"));
}
