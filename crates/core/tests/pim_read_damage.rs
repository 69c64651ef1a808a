//! The vCard and iCalendar readers on damaged input: every export of
//! `mailshift_testkit::pim_exports` cut short at every few bytes and with
//! bytes flipped. Never a panic; every entry wholly before a cut is read;
//! a cut inside an entry is reported; pathological nesting and lines end
//! quickly.

use mailshift_core::pim::read::{ical, vcard};
use mailshift_testkit::pim_exports as exports;

fn ics_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![("thunderbird", exports::thunderbird_ics().into_bytes()), ("google", exports::google_ics().into_bytes())]
}

fn vcf_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("thunderbird4", exports::thunderbird_vcf4().into_bytes()),
        ("thunderbird-old", exports::thunderbird_vcf_old().into_bytes()),
        ("google", exports::google_vcf().into_bytes()),
        ("outlook21", exports::outlook_vcf21()),
    ]
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| w.eq_ignore_ascii_case(needle)).count()
}

#[test]
fn truncated_vcards_keep_every_whole_card_and_report_the_cut_one() {
    for (name, text) in vcf_inputs() {
        let (all, problems) = vcard::read(&text);
        // (Google's photo by URL is a note.)
        assert!(problems.iter().all(|p| p.severity == mailshift_core::Severity::Note), "{name}: {problems:?}");
        for cut in (0..text.len()).step_by(3) {
            let part = &text[..cut];
            let (cards, problems) = vcard::read(part);
            let closed = count(part, b"END:VCARD");
            assert_eq!(cards.len(), closed, "{name} cut at {cut}");
            assert_eq!(cards[..], all[..closed], "{name} cut at {cut}: a whole card reads as in the whole file");
            if count(part, b"BEGIN:VCARD") > closed {
                assert!(!problems.is_empty(), "{name} cut at {cut}: the cut card is reported");
            }
        }
    }
}

#[test]
fn truncated_calendars_keep_every_whole_component_and_report_the_cut_one() {
    for (name, text) in ics_inputs() {
        let (_, problems) = ical::read(&text);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        for cut in (0..text.len()).step_by(5) {
            let part = &text[..cut];
            let (cal, problems) = ical::read(part);
            let read =
                cal.events.iter().map(|e| 1 + e.overrides.len()).sum::<usize>() + cal.tasks.len() + cal.journals.len();
            let closed = count(part, b"END:VEVENT") + count(part, b"END:VTODO") + count(part, b"END:VJOURNAL");
            assert_eq!(read, closed, "{name} cut at {cut}");
            let opened = count(part, b"BEGIN:VEVENT") + count(part, b"BEGIN:VTODO") + count(part, b"BEGIN:VTIMEZONE");
            let closed_all = closed + count(part, b"END:VTIMEZONE");
            if opened > closed_all {
                assert!(!problems.is_empty(), "{name} cut at {cut}: the cut component is reported");
            }
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let mut inputs = ics_inputs();
    inputs.extend(vcf_inputs());
    for (name, text) in inputs {
        for at in (0..text.len()).step_by(7) {
            for flip in [0x01u8, 0x20, 0x80, 0xff] {
                let mut t = text.clone();
                t[at] ^= flip;
                let (cards, _) = vcard::read(&t);
                let (cal, _) = ical::read(&t);
                // What was read can be written and read again.
                for c in &cards {
                    if let vcard::Card::Contact(c) = c {
                        let _ = vcard::read(mailshift_core::pim::vcard::write(c, Default::default()).as_bytes());
                    }
                }
                let again = mailshift_core::pim::ical::write(&cal);
                let (back, _) = ical::read(again.as_bytes());
                assert_eq!(back.events.len(), cal.events.len(), "{name} flip {flip:#x} at {at}");
            }
        }
    }
}

#[test]
fn pathological_nesting_and_lines_end_quickly() {
    let deep =
        "BEGIN:VCALENDAR\r\n".to_string() + &"BEGIN:X\r\n".repeat(200_000) + "BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n";
    let t = std::time::Instant::now();
    let (cal, problems) = ical::read(deep.as_bytes());
    assert!(!problems.is_empty());
    assert!(cal.events.len() <= 1);
    let long = format!("BEGIN:VCARD\r\nFN:{}\r\nNOTE:{}\r\nEND:VCARD\r\n", "a".repeat(1 << 20), " \\".repeat(1 << 18));
    let (cards, _) = vcard::read(long.as_bytes());
    assert_eq!(cards.len(), 1);
    let folded = "BEGIN:VCARD\r\nFN:x".to_string() + &"\r\n y".repeat(100_000) + "\r\nEND:VCARD\r\n";
    let (cards, _) = vcard::read(folded.as_bytes());
    let vcard::Card::Contact(c) = &cards[0] else { panic!() };
    assert_eq!(c.full_name.len(), 100_001);
    let qp =
        "BEGIN:VCARD\r\nNOTE;ENCODING=QUOTED-PRINTABLE:".to_string() + &"=\r\n".repeat(100_000) + "x\r\nEND:VCARD\r\n";
    assert_eq!(vcard::read(qp.as_bytes()).0.len(), 1);
    // Nothing here may take long (generous for a debug build on a shared machine).
    assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
}
