//! The vCard and iCalendar readers (issue 10): the input as a vCard file
//! and as an iCalendar file (content lines, unfolding, quoted-printable,
//! charsets, nesting, every value mapper), and what was read written out
//! again by our writers and read back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_core::pim::read::{ical, vcard};

fuzz_target!(|data: &[u8]| {
    let (cards, _) = vcard::read(data);
    for c in &cards {
        let text = match c {
            vcard::Card::Contact(c) => mailshift_core::pim::vcard::write(c, Default::default()),
            vcard::Card::Group(g) => mailshift_core::pim::vcard::write_group(g, Default::default()),
        };
        let _ = vcard::read(text.as_bytes());
    }
    let (cal, _) = ical::read(data);
    for e in &cal.events {
        for z in &e.timezones {
            let _ = z.utc_from_local(&mailshift_core::pim::DateTime::new(2025, 3, 30, 2, 30, 0));
        }
    }
    let text = mailshift_core::pim::ical::write(&cal);
    let _ = ical::read(text.as_bytes());
});
