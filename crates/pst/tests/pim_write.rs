//! Issue 10, part 2: neutral PIM items made here (what pim-rich.pst does
//! not have: attendees with roles and answers, overrides with their own
//! attendees and text, lists naming contacts by UID, a zone without
//! daylight time, a UID that is no Global Object ID) written by
//! `PstWriter` through `convert` and `to_mapi`, read back by our reader
//! value for value, by readpst and pffexport without errors.

use mailshift_core::pim::{
    Attendee, BusyStatus, Class, Contact, Date, DateTime, DistList, Email, Event, Frequency, Journal, Member, PartStat,
    Person, Phone, PhoneKind, RRule, Role, StructuredName, Task, TaskStatus, TimeZone, Transition, Weekday, When,
    ZoneRule,
};
use mailshift_core::{
    convert, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, NoProgress, Options, StoreReader,
};
use mailshift_pst::ndb::write::WriteOptions;
use mailshift_pst::{PstReader, PstWriteOptions, PstWriter};
use mailshift_testkit::oracle::{self, Oracle};

/// A store of neutral items made in memory: one folder per kind.
struct Made {
    folders: Vec<(Folder, Vec<Item<'static>>)>,
}

impl StoreReader for Made {
    fn format_name(&self) -> &'static str {
        "made"
    }
    fn path(&self) -> &std::path::Path {
        std::path::Path::new("(made)")
    }
    fn folders(&self) -> mailshift_core::Result<Vec<Folder>> {
        Ok(self.folders.iter().map(|(f, _)| f.clone()).collect())
    }
    fn items(&self, f: FolderId) -> mailshift_core::Result<Vec<ItemMeta>> {
        let items = &self.folders[f.0 as usize].1;
        Ok((0..items.len()).map(|i| ItemMeta { id: ItemId(f.0, i as u64), size: None }).collect())
    }
    fn read(&self, id: ItemId) -> mailshift_core::Result<Item<'_>> {
        Ok(self.folders[id.0 as usize].1[id.1 as usize].clone())
    }
    fn describe(&self, id: ItemId) -> String {
        format!("{id:?}")
    }
}

fn folder(i: u64, name: &str, kind: FolderKind) -> Folder {
    Folder { id: FolderId(i), parent: None, path: vec![name.into()], name: name.into(), kind, role: FolderRole::None }
}

fn tz(tzid: &str, std: i32, dst: Option<i32>) -> TimeZone {
    match dst {
        None => TimeZone {
            tzid: tzid.into(),
            standard: ZoneRule {
                offset_from: std,
                offset_to: std,
                start: DateTime::new(1601, 1, 1, 0, 0, 0),
                transition: None,
            },
            daylight: None,
        },
        // Central European rules, as the reader gives them (1601 onsets).
        Some(dst) => TimeZone {
            tzid: tzid.into(),
            standard: ZoneRule {
                offset_from: dst,
                offset_to: std,
                start: DateTime::new(1601, 10, 28, 3, 0, 0),
                transition: Some(Transition { month: 10, nth: -1, weekday: Weekday::Sunday }),
            },
            daylight: Some(ZoneRule {
                offset_from: std,
                offset_to: dst,
                start: DateTime::new(1601, 3, 25, 2, 0, 0),
                transition: Some(Transition { month: 3, nth: -1, weekday: Weekday::Sunday }),
            }),
        },
    }
}

fn local(tzid: &str, y: i32, mo: u8, d: u8, h: u8, mi: u8) -> When {
    When::Local { time: DateTime::new(y, mo, d, h, mi, 0), tzid: tzid.into() }
}

fn items() -> Vec<(Folder, Vec<Item<'static>>)> {
    let ann = Contact {
        uid: "urn:uuid:0b8e1c2a-1111-4a4a-9c9c-000000000001".into(),
        full_name: "Ann Example".into(),
        name: StructuredName { family: "Example".into(), given: "Ann".into(), ..StructuredName::default() },
        emails: vec![Email { address: "ann@example.org".into(), ..Email::default() }],
        phones: vec![Phone { number: "+1 555 0100".into(), kinds: vec![PhoneKind::Cell], pref: false }],
        categories: vec!["Friends".into()],
        ..Contact::default()
    };
    let bob = Contact {
        uid: "bob-2@example.org".into(),
        full_name: "Bob Beispiel".into(),
        emails: vec![Email {
            address: "bob@example.org".into(),
            display_name: Some("Bob (work)".into()),
            ..Email::default()
        }],
        birthday: Some(Date::new(1980, 2, 29)),
        note: Some("Mag Kaffee.".into()),
        ..Contact::default()
    };
    let list = DistList {
        uid: "list-1".into(),
        name: "Freunde".into(),
        members: vec![
            Member::Contact(ann.uid.clone()),
            Member::OneOff { name: "Zoë".into(), email: "zoe@example.fr".into() },
            Member::Contact(bob.uid.clone()),
            // A contact this store does not hold.
            Member::Contact("elsewhere-9".into()),
        ],
        note: None,
        categories: vec!["Team".into()],
    };

    let berlin = "W. Europe Standard Time";
    let mut rule = RRule::new(Frequency::Weekly);
    rule.interval = 2;
    rule.by_day = vec![(None, Weekday::Tuesday), (None, Weekday::Thursday)];
    rule.wkst = Some(Weekday::Sunday);
    rule.count = Some(8);
    let master = Event {
        uid: "meeting-7@example.org".into(),
        summary: Some("Planung".into()),
        location: Some("Raum 1".into()),
        description: Some("Agenda folgt.".into()),
        start: Some(local(berlin, 2025, 3, 4, 10, 0)),
        end: Some(local(berlin, 2025, 3, 4, 11, 0)),
        organizer: Some(Person { name: Some("Ann Example".into()), email: "ann@example.org".into() }),
        attendees: vec![
            Attendee {
                name: Some("Bob Beispiel".into()),
                email: "bob@example.org".into(),
                role: Role::Required,
                partstat: PartStat::Accepted,
            },
            Attendee {
                name: Some("Zoë".into()),
                email: "zoe@example.fr".into(),
                role: Role::Optional,
                partstat: PartStat::Tentative,
            },
            Attendee {
                name: None,
                email: "raum1@example.org".into(),
                role: Role::NonParticipant,
                partstat: PartStat::Declined,
            },
        ],
        busy: Some(BusyStatus::Busy),
        reminder_minutes: Some(15),
        categories: vec!["Projekt".into()],
        class: Some(Class::Confidential),
        rrule: Some(rule),
        exdates: vec![local(berlin, 2025, 3, 18, 10, 0)],
        sequence: Some(3),
        created: Some(1_740_000_000),
        last_modified: Some(1_740_500_000),
        timezones: vec![tz(berlin, 60, Some(120))],
        ..Event::default()
    };
    let mut moved = Event {
        timezones: Vec::new(),
        rrule: None,
        exdates: Vec::new(),
        recurrence_id: Some(local(berlin, 2025, 3, 6, 10, 0)),
        start: Some(local(berlin, 2025, 3, 7, 14, 0)),
        end: Some(local(berlin, 2025, 3, 7, 15, 30)),
        summary: Some("Planung (Freitag)".into()),
        description: Some("Nur mit Bob.".into()),
        ..master.clone()
    };
    moved.attendees.truncate(1);
    moved.attendees[0].partstat = PartStat::Declined;
    let master = Event { overrides: vec![moved], ..master };
    let india = "India Standard Time";
    let single = Event {
        uid: "single-3".into(),
        summary: Some("Call".into()),
        start: Some(local(india, 2025, 7, 1, 9, 30)),
        end: Some(local(india, 2025, 7, 1, 10, 0)),
        busy: Some(BusyStatus::WorkingElsewhere),
        class: Some(Class::Private),
        timezones: vec![tz(india, 330, None)],
        ..Event::default()
    };
    let holiday = Event {
        uid: "holiday-4".into(),
        summary: Some("Urlaub".into()),
        start: Some(When::Date(Date::new(2025, 8, 4))),
        end: Some(When::Date(Date::new(2025, 8, 16))),
        all_day: true,
        busy: Some(BusyStatus::OutOfOffice),
        // Local days in Berlin: 22:00 UTC the evening before.
        timezones: vec![tz(berlin, 60, Some(120))],
        ..Event::default()
    };
    let utc = Event {
        uid: "utc-5".into(),
        summary: Some("Release".into()),
        start: Some(When::Utc(1_750_000_000)),
        end: Some(When::Utc(1_750_003_600)),
        reminder_minutes: Some(0),
        ..Event::default()
    };

    let mut task_rule = RRule::new(Frequency::Weekly);
    task_rule.by_day = vec![(None, Weekday::Friday)];
    task_rule.until = Some(When::Date(Date::new(2025, 6, 27)));
    let task = Task {
        uid: "task-1".into(),
        summary: Some("Wochenbericht".into()),
        description: Some("Zahlen.".into()),
        start: Some(When::Date(Date::new(2025, 3, 7))),
        due: Some(When::Date(Date::new(2025, 3, 7))),
        status: Some(TaskStatus::InProcess),
        percent_complete: Some(25),
        priority: Some(9),
        rrule: Some(task_rule),
        created: Some(1_741_000_000),
        last_modified: Some(1_741_000_000),
        ..Task::default()
    };
    let done = Task {
        uid: "task-2".into(),
        summary: Some("Erledigt".into()),
        completed: Some(1_741_100_000),
        status: Some(TaskStatus::Completed),
        percent_complete: Some(100),
        priority: Some(5),
        ..Task::default()
    };
    let note = Journal {
        uid: "note-1".into(),
        summary: Some("Idee".into()),
        description: Some("Idee\r\nMehr später.".into()),
        dtstart: Some(When::Utc(1_741_200_000)),
        created: Some(1_741_200_000),
        ..Journal::default()
    };
    let entry = Journal {
        uid: "journal-1".into(),
        summary: Some("Anruf Bob".into()),
        description: Some("Termin bestätigt.".into()),
        dtstart: Some(When::Utc(1_741_300_000)),
        categories: vec!["Kunden".into(), "Phone call".into()],
        created: Some(1_741_300_100),
        last_modified: Some(1_741_300_200),
    };
    vec![
        (
            folder(0, "Kontakte", FolderKind::Contacts),
            vec![Item::Contact(Box::new(ann)), Item::Contact(Box::new(bob)), Item::DistList(Box::new(list))],
        ),
        (
            folder(1, "Kalender", FolderKind::Calendar),
            vec![
                Item::Event(Box::new(master)),
                Item::Event(Box::new(single)),
                Item::Event(Box::new(holiday)),
                Item::Event(Box::new(utc)),
            ],
        ),
        (folder(2, "Aufgaben", FolderKind::Tasks), vec![Item::Task(Box::new(task)), Item::Task(Box::new(done))]),
        (folder(3, "Notizen", FolderKind::Notes), vec![Item::Note(Box::new(note))]),
        (folder(4, "Journal", FolderKind::Journal), vec![Item::Journal(Box::new(entry))]),
    ]
}

#[test]
fn made_items_read_back_value_for_value_and_lists_name_their_contacts() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("made.pst");
    let src = Made { folders: items() };
    let opts = PstWriteOptions { ndb: WriteOptions { fsync: false, ..WriteOptions::default() } };
    let mut w = PstWriter::create(&dst, opts).unwrap();
    let report = convert(&src, &mut w, None, &Options::default(), &NoProgress).unwrap();
    assert_eq!(report.total.failed, 0, "{:?}", report.folders);
    assert_eq!(report.total.copied, 11, "{:?}", report.folders);
    let not_kept: Vec<_> = report.folders.iter().flat_map(|f| f.not_kept.clone()).collect();
    assert!(not_kept.is_empty(), "{not_kept:?}");

    let r = PstReader::open(&dst).unwrap();
    let folders = r.folders().unwrap();
    for (f, want) in &src.folders {
        let back = folders.iter().find(|x| x.name == f.name).unwrap_or_else(|| panic!("no folder {}", f.name));
        assert_eq!(back.kind, f.kind, "{}: kind", f.name);
        let got: Vec<Item<'_>> = r.items(back.id).unwrap().into_iter().map(|m| r.read(m.id).unwrap()).collect();
        assert_eq!(got.len(), want.len(), "{}: items", f.name);
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "{}: an item read back differs", f.name);
        }
    }
    // The list's contact members are entries of this store (Outlook
    // resolves them); the one whose contact is elsewhere stays by UID.
    let store = mailshift_pst::Store::open(&dst).unwrap();
    let key = mailshift_pst::pim::contact::store_record_key(&store).expect("record key");
    let contacts = folders.iter().find(|f| f.name == "Kontakte").unwrap();
    let list_nid = r.items(contacts.id).unwrap()[2].id.0 as u32;
    let m = store.message(list_nid).unwrap();
    let Some(mailshift_core::mapi::PropValue::MvBinary(members)) =
        m.props.lid(mailshift_core::mapi::tags::lid::DISTRIBUTION_LIST_MEMBERS)
    else {
        panic!("members")
    };
    let targets: Vec<Option<([u8; 16], u32)>> =
        members.iter().map(|e| mailshift_pst::pim::contact::member_target(e)).collect();
    let first_two: Vec<u32> = r.items(contacts.id).unwrap()[..2].iter().map(|m| m.id.0 as u32).collect();
    assert_eq!(targets[0].map(|t| (t.0.to_vec(), t.1)), Some((key.clone(), first_two[0])));
    assert_eq!(targets[2].map(|t| (t.0.to_vec(), t.1)), Some((key, first_two[1])));
    assert_eq!((targets[1], targets[3]), (None, None));

    let checked = mailshift_pst::check::check(&dst);
    let problems: Vec<String> = checked.problems().iter().take(5).map(|p| format!("{p:?}")).collect();
    assert!(problems.is_empty(), "mailshift check: {}", problems.join("\n"));
    for o in [Oracle::Readpst, Oracle::Pffexport] {
        let Some(v) = oracle::view_or_skip(o, &dst) else { continue };
        assert!(v.errors.is_empty(), "{o}: {:?}", v.errors);
        let n = |name: &str| v.folders.get(name).map_or(0, |f| f.count);
        println!("{o}: Kontakte {}, Kalender {}, Aufgaben {}", n("Kontakte"), n("Kalender"), n("Aufgaben"));
        assert_eq!(n("Kalender"), 4, "{o}: appointments");
        assert!(n("Kontakte") >= 2, "{o}: contacts");
    }
}

/// `--since` judges converted items by their own dates (an event by its
/// start, a task by its due date) and leaves contacts and lists alone, as
/// it does for .ics/.vcf targets: the MAPI message has no delivery time.
#[test]
fn date_filters_judge_converted_items_by_their_own_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("since.pst");
    let src = Made { folders: items() };
    let opts = PstWriteOptions { ndb: WriteOptions { fsync: false, ..WriteOptions::default() } };
    let mut w = PstWriter::create(&dst, opts).unwrap();
    let since = DateTime::new(2025, 7, 1, 0, 0, 0).unix_if_utc();
    let o = Options { since: Some(since), ..Options::default() };
    let report = convert(&src, &mut w, None, &o, &NoProgress).unwrap();
    let by: Vec<(String, u64, u64)> =
        report.folders.iter().map(|f| (f.path.clone(), f.counts.copied, f.counts.skipped_filtered)).collect();
    // Contacts and the list; the two events of July and August.
    assert_eq!(report.total.copied, 5, "{by:?}");
    assert_eq!(report.total.skipped_filtered, 6, "{by:?}");
    let r = PstReader::open(&dst).unwrap();
    let cal = r.folders().unwrap().into_iter().find(|f| f.name == "Kalender").unwrap();
    let uids: Vec<Option<String>> =
        r.items(cal.id).unwrap().iter().map(|m| r.read(m.id).unwrap().uid().map(str::to_string)).collect();
    assert_eq!(uids, [Some("single-3".to_string()), Some("holiday-4".to_string())]);
}

/// A second run into the same PST with `--dedup` copies nothing: each
/// converted item's search key carries its UID, which the dedup key of a
/// MAPI message is made of.
#[test]
fn a_second_run_with_dedup_copies_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("twice.pst");
    let src = Made { folders: items() };
    let opts = PstWriteOptions { ndb: WriteOptions { fsync: false, ..WriteOptions::default() } };
    let o = Options { dedup: true, ..Options::default() };
    let mut w = PstWriter::create(&dst, opts).unwrap();
    assert_eq!(convert(&src, &mut w, None, &o, &NoProgress).unwrap().total.copied, 11);
    let existing = PstReader::open(&dst).unwrap();
    let mut w = PstWriter::create_adding(&dst, opts, Box::new(PstReader::open(&dst).unwrap())).unwrap();
    let report = convert(&src, &mut w, Some(&existing), &o, &NoProgress).unwrap();
    assert_eq!((report.total.copied, report.total.skipped_duplicate), (0, 11), "{:?}", report.folders);
    drop(existing);
    let r = PstReader::open(&dst).unwrap();
    let n: usize = r.folders().unwrap().iter().map(|f| r.items(f.id).unwrap().len()).sum();
    assert_eq!(n, 11, "items in the file after two runs");
}
