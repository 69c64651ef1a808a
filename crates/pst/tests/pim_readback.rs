//! pim-rich.pst -> .vcf / .ics (our writers) -> our vCard and iCalendar
//! readers: every contact, list, event (with its overrides and zones),
//! task, note and journal entry reads back equal, value for value, to what
//! PstReader reads from the PST, for every field vCard and iCalendar carry.
//! What they cannot carry is normalized away in [`carried`], each with the
//! reason.
//!
//! Twice: item by item through the writers and `pim::read::{vcard, ical}`
//! (vCard 4.0 and 3.0), and store to store: `convert` into one file per
//! folder, then [`PimReader`] on that directory, folder by folder; what
//! it reads, written again, gives the same files byte for byte.

use mailshift_core::pim::files::{PimFiles, PimOptions};
use mailshift_core::pim::ical::{self, Calendar};
use mailshift_core::pim::read::store::PimReader;
use mailshift_core::pim::read::{ical as read_ical, vcard as read_vcard};
use mailshift_core::pim::vcard::{self, VCardVersion};
use mailshift_core::pim::{Event, When};
use mailshift_core::{convert, FolderKind, Item, NoProgress, Options, StoreReader};
use mailshift_pst::PstReader;

fn pim_rich() -> Option<PstReader> {
    let p = mailshift_testkit::fixtures_dir()?.join("pim/pim-rich.pst");
    assert!(p.is_file(), "fixture {} is missing", p.display());
    Some(PstReader::open(&p).expect("pim-rich.pst opens"))
}

/// Every PIM item of the store, by folder path, in order.
fn pim_items(r: &dyn StoreReader) -> Vec<(String, Item<'static>)> {
    let mut out = Vec::new();
    for f in r.folders().unwrap() {
        for m in r.items(f.id).unwrap() {
            let item = r.read(m.id).unwrap();
            let owned = match item {
                Item::Contact(c) => Item::Contact(c),
                Item::DistList(d) => Item::DistList(d),
                Item::Event(e) => Item::Event(e),
                Item::Task(t) => Item::Task(t),
                Item::Note(n) => Item::Note(n),
                Item::Journal(j) => Item::Journal(j),
                _ => continue,
            };
            out.push((f.display_path(), owned));
        }
    }
    out
}

/// What the file formats carry of an item (the PST reader's model of it,
/// less what vCard / iCalendar cannot hold):
/// - an all-day event's times are written as dates (`VALUE=DATE`, RFC
///   5545 3.6.1), so they read back as [`When::Date`] of their day;
/// - a recurrence rule is written in its canonical form (a single
///   BYSETPOS over a single weekday as a positioned BYDAY), so rules are
///   compared by their written value;
/// - a task's or journal entry's zoned time is read as the UTC instant
///   (the model keeps zones on events only);
/// - a number of no kind and one of kind Other are both written without
///   a TYPE, and read as Other;
/// - vCard parameters cannot hold `"` (written as `'`);
/// - TEXT values carry one kind of line break (`\n`, RFC 5545 3.3.11,
///   RFC 6350 3.4): CRLF and CR read back as LF (see [`same`]).
fn carried(item: &Item<'_>) -> Item<'static> {
    fn event(e: &Event) -> Event {
        let mut e = e.clone();
        if e.all_day {
            let day = |w: &mut When| *w = When::Date(w.date());
            e.start.iter_mut().for_each(day);
            e.end.iter_mut().for_each(day);
            e.recurrence_id.iter_mut().for_each(day);
            e.exdates.iter_mut().for_each(day);
            e.rdates.iter_mut().for_each(day);
        }
        e.overrides = e.overrides.iter().map(event).collect();
        e
    }
    match item {
        Item::Contact(c) => {
            let mut c = c.clone();
            for p in c.phones.iter_mut().filter(|p| p.kinds.is_empty()) {
                p.kinds.push(mailshift_core::pim::PhoneKind::Other);
            }
            for e in &mut c.emails {
                e.display_name = e.display_name.as_ref().map(|n| n.replace('"', "'"));
            }
            Item::Contact(c)
        }
        Item::DistList(d) => {
            let mut d = d.clone();
            for m in &mut d.members {
                if let mailshift_core::pim::Member::OneOff { name, .. } = m {
                    *name = name.replace('"', "'");
                }
            }
            Item::DistList(d)
        }
        Item::Event(e) => Item::Event(Box::new(event(e))),
        Item::Task(t) => Item::Task(t.clone()),
        Item::Note(n) => Item::Note(n.clone()),
        Item::Journal(j) => Item::Journal(j.clone()),
        _ => unreachable!("PIM items only"),
    }
}

/// Rules compared by their written form (see [`carried`]).
fn rules_written(item: &mut Item<'_>) {
    fn ev(e: &mut Event) {
        if let Some(r) = &e.rrule {
            let v = ical::rrule_value(r, e.all_day);
            let (cal, _) = read_ical::read(
                format!("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250101T000000Z\r\nRRULE:{v}\r\nEND:VEVENT\r\n").as_bytes(),
            );
            e.rrule = cal.events[0].rrule.clone();
        }
        e.overrides.iter_mut().for_each(ev);
    }
    match item {
        Item::Event(e) => ev(e),
        Item::Task(t) => {
            if let Some(r) = &t.rrule {
                let as_date = matches!(t.start.as_ref().or(t.due.as_ref()), Some(When::Date(_)));
                let v = ical::rrule_value(r, as_date);
                let (cal, _) =
                    read_ical::read(format!("BEGIN:VTODO\r\nUID:x\r\nRRULE:{v}\r\nEND:VTODO\r\n").as_bytes());
                t.rrule = cal.tasks[0].rrule.clone();
            }
        }
        _ => {}
    }
}

/// The two items are equal but for line breaks (see [`carried`]).
fn same(got: &Item<'_>, want: &Item<'_>) -> bool {
    let norm = |i: &Item<'_>| format!("{i:?}").replace("\\r\\n", "\\n").replace("\\r", "\\n");
    norm(got) == norm(want)
}

fn expected(item: &Item<'_>) -> Item<'static> {
    let mut want = carried(item);
    rules_written(&mut want);
    want
}

#[test]
fn every_pim_item_of_pim_rich_reads_back_as_the_pst_holds_it() {
    let Some(pst) = pim_rich() else { return };
    let items = pim_items(&pst);
    let count = |k: FolderKind| items.iter().filter(|(_, i)| i.kind() == k).count();
    // pim-rich.expected.json: 11 events, 10 contacts and a list, 5 tasks,
    // 3 notes, 2 journal entries.
    assert_eq!(
        [FolderKind::Calendar, FolderKind::Contacts, FolderKind::Tasks, FolderKind::Notes, FolderKind::Journal]
            .map(count),
        [11, 11, 5, 3, 2]
    );
    let mut overrides = 0;
    for (folder, item) in &items {
        let want = expected(item);
        let got: Vec<Item<'static>> = match item {
            Item::Contact(c) => [VCardVersion::V4, VCardVersion::V3]
                .into_iter()
                .map(|v| {
                    let (cards, problems) = read_vcard::read(vcard::write(c, v).as_bytes());
                    assert!(problems.is_empty(), "{folder}: {problems:?}");
                    match cards.into_iter().next() {
                        Some(read_vcard::Card::Contact(c)) => Item::Contact(Box::new(c)),
                        other => panic!("{folder}: {other:?}"),
                    }
                })
                .collect(),
            Item::DistList(d) => [VCardVersion::V4, VCardVersion::V3]
                .into_iter()
                .map(|v| {
                    let (cards, problems) = read_vcard::read(vcard::write_group(d, v).as_bytes());
                    assert!(problems.is_empty(), "{folder}: {problems:?}");
                    match cards.into_iter().next() {
                        Some(read_vcard::Card::Group(g)) => Item::DistList(Box::new(g)),
                        other => panic!("{folder}: {other:?}"),
                    }
                })
                .collect(),
            _ => {
                let mut cal = Calendar::default();
                match item {
                    Item::Event(e) => {
                        overrides += e.overrides.len();
                        cal.events.push((**e).clone());
                    }
                    Item::Task(t) => cal.tasks.push((**t).clone()),
                    Item::Note(j) | Item::Journal(j) => cal.journals.push((**j).clone()),
                    _ => unreachable!(),
                }
                let text = ical::write(&cal);
                let (back, problems) = read_ical::read(text.as_bytes());
                assert!(problems.is_empty(), "{folder}: {problems:?}\n{text}");
                let one = match item {
                    Item::Event(_) => Item::Event(Box::new(back.events.into_iter().next().expect("one event"))),
                    Item::Task(_) => Item::Task(Box::new(back.tasks.into_iter().next().expect("one task"))),
                    Item::Note(_) => Item::Note(Box::new(back.journals.into_iter().next().expect("one note"))),
                    _ => Item::Journal(Box::new(back.journals.into_iter().next().expect("one journal entry"))),
                };
                vec![one]
            }
        };
        for g in got {
            assert!(same(&g, &want), "{folder}: read back differs from the PST's item:\n{g:?}\n{want:?}");
        }
    }
    assert!(overrides >= 2, "pim-rich has modified occurrences ({overrides})");
}

#[test]
fn pim_rich_through_files_and_pim_reader_equals_the_pst() {
    let Some(pst) = pim_rich() else { return };
    let dir = tempfile::tempdir().unwrap();
    for v in [VCardVersion::V4, VCardVersion::V3] {
        let out = dir.path().join(format!("{v:?}"));
        let mut w = PimFiles::per_folder(&out, PimOptions { vcard_version: v, fsync: false, ..PimOptions::default() });
        let kinds =
            vec![FolderKind::Contacts, FolderKind::Calendar, FolderKind::Tasks, FolderKind::Notes, FolderKind::Journal];
        let report = convert(&pst, &mut w, None, &Options { kinds, ..Options::default() }, &NoProgress).unwrap();
        assert_eq!(report.exit_code(false), 0, "{}", report.to_table());
        let back = PimReader::open(&out, None).unwrap();
        assert_eq!(back.problems(), [], "{v:?}");
        assert_eq!(back.format_name(), "vcf/ics");
        let mut want: Vec<(String, Item<'static>)> =
            pim_items(&pst).iter().map(|(f, i)| (f.clone(), expected(i))).collect();
        let mut got = pim_items(&back);
        // Folders come in path order from the files, in tree order from the PST.
        want.sort_by(|a, b| a.0.cmp(&b.0));
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got.len(), want.len());
        for ((gf, g), (wf, w)) in got.iter().zip(&want) {
            assert_eq!(gf, wf);
            assert!(same(g, w), "{gf}:\n{g:?}\n{w:?}");
            assert_eq!(g.kind(), w.kind(), "{gf}: notes stay notes, journal entries journal entries");
        }
        // And written again from what was read: the same files, byte for byte.
        let again = dir.path().join(format!("{v:?}-again"));
        let mut w =
            PimFiles::per_folder(&again, PimOptions { vcard_version: v, fsync: false, ..PimOptions::default() });
        let report = convert(&back, &mut w, None, &Options::default(), &NoProgress).unwrap();
        assert_eq!(report.exit_code(false), 0, "{}", report.to_table());
        let mut names: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names.len(), 5);
        for n in names {
            let (a, b) = (std::fs::read(out.join(&n)).unwrap(), std::fs::read(again.join(&n)).unwrap());
            assert!(a == b, "{n:?} differs after .vcf/.ics -> .vcf/.ics");
        }
    }
}
