//! The vCard and iCalendar files mailshift writes, read back by parsers that
//! are not ours: Rust's `calcard`/`ical` (`mailshift_testkit::pim::rust_*`)
//! and Python's `vobject` and `icalendar`, with `dateutil` expanding every
//! recurring series over five years (`mailshift_testkit::pim::python_pim`).
//! Each test states the values we meant, by hand, and checks that every
//! parser reads exactly those; the expected occurrence lists are worked out
//! from the calendar (weekdays, DST dates) in the comments beside them.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use mailshift_core::pim::ical::{self, Calendar};
use mailshift_core::pim::vcard::{self, VCardVersion};
use mailshift_core::pim::*;
use mailshift_testkit::pim::{
    python_pim, rust_ics, rust_vcf, IcsAlarm, IcsComponent, IcsDate, IcsObservance, IcsRule, IcsSummary, VcfAdr,
    VcfPhoto, VcfSummary, VcfValue,
};

// ------------------------------------------------------------------ items

const CONTACT_UID: &str = "6f1c2d3e-4a5b-8c6d-9e7f-0a1b2c3d4e5f";
const GROUP_UID: &str = "7a2b3c4d-5e6f-8071-8293-a4b5c6d7e8f9";
/// A PNG signature and a few bytes that base64 pads with one `=`.
const PHOTO: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0x10];

fn contact() -> Contact {
    Contact {
        uid: CONTACT_UID.into(),
        full_name: "Zoë Ångström-Øberg".into(),
        name: StructuredName {
            family: "Ångström-Øberg".into(),
            given: "Zoë".into(),
            middle: "Ľudmila".into(),
            prefix: "Prof.".into(),
            suffix: "PhD".into(),
        },
        nickname: Some("Zo".into()),
        emails: vec![
            Email {
                address: "zoe@example.se".into(),
                display_name: Some("Zoë (work)".into()),
                kind: AddressKind::Work,
                pref: true,
            },
            Email { address: "zoe.home@example.net".into(), display_name: None, kind: AddressKind::Home, pref: false },
            Email { address: "z@other.example".into(), display_name: None, kind: AddressKind::Other, pref: false },
        ],
        phones: vec![
            Phone { number: "+46 8 555 010".into(), kinds: vec![PhoneKind::Work, PhoneKind::Voice], pref: true },
            Phone { number: "+46 70 555 011".into(), kinds: vec![PhoneKind::Cell], pref: false },
            Phone { number: "+46 8 555 012".into(), kinds: vec![PhoneKind::Home, PhoneKind::Fax], pref: false },
            Phone { number: "+46 8 555 013".into(), kinds: vec![PhoneKind::Pager], pref: false },
        ],
        addresses: vec![
            PostalAddress {
                kind: AddressKind::Work,
                street: "Drottninggatan 1\nPlan 3".into(),
                city: "Stockholm".into(),
                region: "".into(),
                postal_code: "111 51".into(),
                country: "Sverige".into(),
                is_mailing: true,
            },
            PostalAddress {
                kind: AddressKind::Home,
                street: "Łąkowa 5; m. 2".into(),
                city: "Kraków".into(),
                region: "Małopolska".into(),
                postal_code: "30-001".into(),
                country: "Polska".into(),
                is_mailing: false,
            },
        ],
        organization: Some("Ångström, AB".into()),
        title: Some("Överingenjör".into()),
        department: Some("FoU".into()),
        birthday: Some(Date::new(1984, 2, 29)),
        anniversary: Some(Date::new(2010, 8, 7)),
        urls: vec!["https://example.se/zoe".into()],
        im: vec!["zoe@im.example.se".into()],
        note: Some("Första raden\nandra; med, skiljetecken \\ slut".into()),
        categories: vec!["Kollegor".into(), "VIP, extern".into()],
        photo: Some(Photo { data: PHOTO.to_vec(), media_type: "image/png".into() }),
    }
}

fn group() -> DistList {
    DistList {
        uid: GROUP_UID.into(),
        name: "Projekt Ö".into(),
        members: vec![
            Member::OneOff { name: "Bob Builder".into(), email: "bob@example.org".into() },
            Member::Contact(CONTACT_UID.into()),
            Member::OneOff { name: String::new(), email: "carol@example.org".into() },
        ],
        note: None,
        categories: vec!["Team".into()],
    }
}

const BERLIN: &str = "W. Europe Standard Time";
const LA: &str = "Pacific Standard Time";

/// Windows' "W. Europe Standard Time" as Outlook states it: CET (+1) from
/// the last Sunday of October 03:00, CEST (+2) from the last Sunday of
/// March 02:00.
fn berlin() -> TimeZone {
    TimeZone {
        tzid: BERLIN.into(),
        standard: ZoneRule {
            offset_from: 120,
            offset_to: 60,
            start: DateTime::new(1601, 10, 28, 3, 0, 0),
            transition: Some(Transition { month: 10, nth: -1, weekday: Weekday::Sunday }),
        },
        daylight: Some(ZoneRule {
            offset_from: 60,
            offset_to: 120,
            start: DateTime::new(1601, 3, 25, 2, 0, 0),
            transition: Some(Transition { month: 3, nth: -1, weekday: Weekday::Sunday }),
        }),
    }
}

/// "Pacific Standard Time": PST (-8) from the first Sunday of November,
/// PDT (-7) from the second Sunday of March, both at 02:00.
fn los_angeles() -> TimeZone {
    TimeZone {
        tzid: LA.into(),
        standard: ZoneRule {
            offset_from: -420,
            offset_to: -480,
            start: DateTime::new(1601, 11, 4, 2, 0, 0),
            transition: Some(Transition { month: 11, nth: 1, weekday: Weekday::Sunday }),
        },
        daylight: Some(ZoneRule {
            offset_from: -480,
            offset_to: -420,
            start: DateTime::new(1601, 3, 11, 2, 0, 0),
            transition: Some(Transition { month: 3, nth: 2, weekday: Weekday::Sunday }),
        }),
    }
}

fn at(tzid: &str, y: i32, mo: u8, d: u8, h: u8, mi: u8) -> When {
    When::Local { time: DateTime::new(y, mo, d, h, mi, 0), tzid: tzid.into() }
}

const WEEKLY_UID: &str = "a1b2c3d4-e5f6-8a7b-8c9d-0e1f2a3b4c5d";
const YEARLY_UID: &str = "b2c3d4e5-f6a7-8b8c-9d0e-1f2a3b4c5d6e";
const MONTHLY_UID: &str = "c3d4e5f6-a7b8-8c9d-ae0f-2a3b4c5d6e7f";
const DAILY_UID: &str = "d4e5f6a7-b8c9-8dae-bf10-3b4c5d6e7f80";
const TASK_UID: &str = "e5f6a7b8-c9da-8ebf-8011-4c5d6e7f8091";
const TASK2_UID: &str = "f6a7b8c9-daeb-8fc0-9122-5d6e7f8091a2";
const JOURNAL_UID: &str = "0718293a-4b5c-8d6e-af80-91a2b3c4d5e6";

/// 2025-04-30T07:00:00Z: the last Wednesday's 09:00 CEST, so UNTIL is
/// inclusive of it.
const WEEKLY_UNTIL: i64 = 1_745_996_400;

fn calendar() -> Calendar {
    // Mon/Wed/Fri 09:00 Berlin from Mon 2025-03-03 until 2025-04-30,
    // without Fri 03-14, and Wed 03-26 moved to Thu 03-27 14:00.
    let mut weekly_rule = RRule::new(Frequency::Weekly);
    weekly_rule.until = Some(When::Utc(WEEKLY_UNTIL));
    weekly_rule.by_day = vec![(None, Weekday::Monday), (None, Weekday::Wednesday), (None, Weekday::Friday)];
    let moved = Event {
        uid: WEEKLY_UID.into(),
        summary: Some("Stand-up (verschoben)".into()),
        start: Some(at(BERLIN, 2025, 3, 27, 14, 0)),
        end: Some(at(BERLIN, 2025, 3, 27, 15, 0)),
        recurrence_id: Some(at(BERLIN, 2025, 3, 26, 9, 0)),
        sequence: Some(1),
        ..Event::default()
    };
    let weekly = Event {
        uid: WEEKLY_UID.into(),
        summary: Some("Stand-up, Büro; Raum 3".into()),
        location: Some("Raum 3".into()),
        start: Some(at(BERLIN, 2025, 3, 3, 9, 0)),
        end: Some(at(BERLIN, 2025, 3, 3, 9, 30)),
        rrule: Some(weekly_rule),
        exdates: vec![at(BERLIN, 2025, 3, 14, 9, 0)],
        reminder_minutes: Some(10),
        categories: vec!["Arbeit".into()],
        overrides: vec![moved],
        timezones: vec![berlin()],
        created: Some(1_740_000_000),
        ..Event::default()
    };
    // Every 4 July, all day, no end.
    let yearly = Event {
        uid: YEARLY_UID.into(),
        summary: Some("Independence Day".into()),
        start: Some(When::Date(Date::new(2025, 7, 4))),
        end: Some(When::Date(Date::new(2025, 7, 5))),
        all_day: true,
        rrule: Some(RRule::new(Frequency::Yearly)),
        ..Event::default()
    };
    // The last Friday of the month, 16:00 Los Angeles, six times.
    let mut last_friday = RRule::new(Frequency::Monthly);
    last_friday.count = Some(6);
    last_friday.by_day = vec![(None, Weekday::Friday)];
    last_friday.by_set_pos = vec![-1];
    let monthly = Event {
        uid: MONTHLY_UID.into(),
        summary: Some("Month-end review".into()),
        start: Some(at(LA, 2025, 1, 31, 16, 0)),
        end: Some(at(LA, 2025, 1, 31, 17, 0)),
        rrule: Some(last_friday),
        timezones: vec![los_angeles()],
        ..Event::default()
    };
    // Daily 07:30 Berlin, five times, across the end of DST (Sun 2025-10-26).
    let mut daily_rule = RRule::new(Frequency::Daily);
    daily_rule.count = Some(5);
    let daily = Event {
        uid: DAILY_UID.into(),
        summary: Some("Morgenlauf".into()),
        start: Some(at(BERLIN, 2025, 10, 24, 7, 30)),
        end: Some(at(BERLIN, 2025, 10, 24, 8, 0)),
        rrule: Some(daily_rule),
        timezones: vec![berlin()],
        ..Event::default()
    };
    let task = Task {
        uid: TASK_UID.into(),
        summary: Some("Steuererklärung".into()),
        start: Some(When::Date(Date::new(2025, 4, 1))),
        due: Some(When::Date(Date::new(2025, 7, 31))),
        status: Some(TaskStatus::NeedsAction),
        priority: Some(1),
        categories: vec!["Privat".into(), "Finanzen".into()],
        ..Task::default()
    };
    let task2 = Task {
        uid: TASK2_UID.into(),
        summary: Some("Bericht".into()),
        due: Some(at(BERLIN, 2025, 5, 2, 17, 0)),
        status: Some(TaskStatus::InProcess),
        percent_complete: Some(40),
        ..Task::default()
    };
    let journal = Journal {
        uid: JOURNAL_UID.into(),
        summary: Some("Telefonat mit Zoë".into()),
        description: Some("Q2 besprochen.\nNächster Schritt: Angebot.".into()),
        dtstart: Some(When::Utc(1_741_600_800)), // 2025-03-10T10:00:00Z
        ..Journal::default()
    };
    Calendar {
        prodid: "-//mailshift//oracle test//EN".into(),
        timezones: vec![berlin()],
        events: vec![weekly, yearly, monthly, daily],
        tasks: vec![task, task2],
        journals: vec![journal],
    }
}

// --------------------------------------------------------------- expected

fn typed(value: &str, types: &[&str], pref: bool, cn: Option<&str>) -> VcfValue {
    VcfValue {
        value: value.into(),
        types: types.iter().map(|s| s.to_string()).collect(),
        pref,
        cn: cn.map(str::to_string),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// What the contact means, as any reader should see it. vCard 3 adds the
/// `internet` type to e-mail addresses (RFC 2426 3.3.2), and has no URI UID.
fn expected_contact(v4: bool) -> VcfSummary {
    let inet: &[&'static str] = if v4 { &[] } else { &["internet"] };
    fn with(a: &[&'static str], b: &[&'static str]) -> Vec<&'static str> {
        a.iter().chain(b).copied().collect()
    }
    let email_types = |k: &[&'static str]| with(inet, k);
    VcfSummary {
        version: Some(if v4 { "4.0" } else { "3.0" }.into()),
        uid: Some(if v4 { format!("urn:uuid:{CONTACT_UID}") } else { CONTACT_UID.to_string() }),
        kind: None,
        full_name: Some("Zoë Ångström-Øberg".into()),
        n: Some(strings(&["Ångström-Øberg", "Zoë", "Ľudmila", "Prof.", "PhD"])),
        nicknames: strings(&["Zo"]),
        emails: vec![
            typed("zoe@example.se", &email_types(&["work"]), true, Some("Zoë (work)")),
            typed("zoe.home@example.net", &email_types(&["home"]), false, None),
            typed("z@other.example", &email_types(&[]), false, None),
        ],
        tels: vec![
            typed("+46 8 555 010", &["work", "voice"], true, None),
            typed("+46 70 555 011", &["cell"], false, None),
            typed("+46 8 555 012", &["home", "fax"], false, None),
            typed("+46 8 555 013", &["pager"], false, None),
        ],
        adrs: vec![
            VcfAdr {
                types: strings(&["work"]),
                pref: true,
                parts: strings(&["", "", "Drottninggatan 1\nPlan 3", "Stockholm", "", "111 51", "Sverige"]),
            },
            VcfAdr {
                types: strings(&["home"]),
                pref: false,
                parts: strings(&["", "", "Łąkowa 5; m. 2", "Kraków", "Małopolska", "30-001", "Polska"]),
            },
        ],
        org: strings(&["Ångström, AB", "FoU"]),
        title: Some("Överingenjör".into()),
        bday: Some("1984-02-29".into()),
        anniversary: Some("2010-08-07".into()),
        categories: strings(&["Kollegor", "VIP, extern"]),
        note: Some("Första raden\nandra; med, skiljetecken \\ slut".into()),
        urls: strings(&["https://example.se/zoe"]),
        impps: strings(&["sip:zoe@im.example.se"]),
        photo: Some(VcfPhoto { media_type: Some("image/png".into()), data: PHOTO.to_vec() }),
        members: vec![],
    }
}

fn expected_group(v4: bool) -> VcfSummary {
    VcfSummary {
        version: Some(if v4 { "4.0" } else { "3.0" }.into()),
        uid: Some(if v4 { format!("urn:uuid:{GROUP_UID}") } else { GROUP_UID.to_string() }),
        kind: Some("group".into()),
        full_name: Some("Projekt Ö".into()),
        // vCard 3 requires N; the writer puts the list's name as the family name.
        n: if v4 { None } else { Some(strings(&["Projekt Ö", "", "", "", ""])) },
        nicknames: vec![],
        emails: vec![],
        tels: vec![],
        adrs: vec![],
        org: vec![],
        title: None,
        bday: None,
        anniversary: None,
        categories: strings(&["Team"]),
        note: None,
        urls: vec![],
        impps: vec![],
        photo: None,
        members: vec![
            typed("mailto:bob@example.org", &[], false, Some("Bob Builder")),
            typed(&format!("urn:uuid:{CONTACT_UID}"), &[], false, None),
            typed("mailto:carol@example.org", &[], false, None),
        ],
    }
}

fn berlin_summary() -> IcsComponent {
    let yearly = |month: u32| IcsRule {
        freq: "YEARLY".into(),
        interval: 1,
        count: None,
        until: None,
        by_day: strings(&["-1SU"]),
        by_month_day: vec![],
        by_month: vec![month],
        by_set_pos: vec![],
        wkst: None,
    };
    IcsComponent {
        tzid: Some(BERLIN.into()),
        observances: vec![
            IcsObservance {
                kind: "STANDARD".into(),
                dtstart: "1601-10-28T03:00:00".into(),
                offset_from: 120,
                offset_to: 60,
                rrule: Some(yearly(10)),
            },
            IcsObservance {
                kind: "DAYLIGHT".into(),
                dtstart: "1601-03-25T02:00:00".into(),
                offset_from: 60,
                offset_to: 120,
                rrule: Some(yearly(3)),
            },
        ],
        ..component("VTIMEZONE", None)
    }
}

fn la_summary() -> IcsComponent {
    let yearly = |month: u32, day: &str| IcsRule {
        freq: "YEARLY".into(),
        interval: 1,
        count: None,
        until: None,
        by_day: strings(&[day]),
        by_month_day: vec![],
        by_month: vec![month],
        by_set_pos: vec![],
        wkst: None,
    };
    IcsComponent {
        tzid: Some(LA.into()),
        observances: vec![
            IcsObservance {
                kind: "STANDARD".into(),
                dtstart: "1601-11-04T02:00:00".into(),
                offset_from: -420,
                offset_to: -480,
                rrule: Some(yearly(11, "1SU")),
            },
            IcsObservance {
                kind: "DAYLIGHT".into(),
                dtstart: "1601-03-11T02:00:00".into(),
                offset_from: -480,
                offset_to: -420,
                rrule: Some(yearly(3, "2SU")),
            },
        ],
        ..component("VTIMEZONE", None)
    }
}

fn component(kind: &str, uid: Option<&str>) -> IcsComponent {
    IcsComponent {
        kind: kind.into(),
        uid: uid.map(str::to_string),
        tzid: None,
        summary: None,
        description: None,
        location: None,
        dtstart: None,
        dtend: None,
        due: None,
        recurrence_id: None,
        rrule: None,
        exdates: vec![],
        rdates: vec![],
        categories: vec![],
        status: None,
        alarms: vec![],
        observances: vec![],
    }
}

fn rule(freq: &str) -> IcsRule {
    IcsRule {
        freq: freq.into(),
        interval: 1,
        count: None,
        until: None,
        by_day: vec![],
        by_month_day: vec![],
        by_month: vec![],
        by_set_pos: vec![],
        wkst: None,
    }
}

fn berlin_at(t: &str) -> Option<IcsDate> {
    Some(IcsDate::local(t, BERLIN))
}

/// The calendar as every reader should see it: each zone once (Berlin is
/// in the calendar and in two events), overrides right after their master.
fn expected_calendar() -> IcsSummary {
    let some = |s: &str| Some(s.to_string());
    let weekly = IcsComponent {
        summary: some("Stand-up, Büro; Raum 3"),
        location: some("Raum 3"),
        dtstart: berlin_at("2025-03-03T09:00:00"),
        dtend: berlin_at("2025-03-03T09:30:00"),
        rrule: Some(IcsRule {
            until: Some(IcsDate::Utc("2025-04-30T07:00:00".into())),
            by_day: strings(&["MO", "WE", "FR"]),
            ..rule("WEEKLY")
        }),
        exdates: vec![IcsDate::local("2025-03-14T09:00:00", BERLIN)],
        categories: strings(&["Arbeit"]),
        alarms: vec![IcsAlarm { action: some("DISPLAY"), trigger_minutes: Some(-10) }],
        ..component("VEVENT", Some(WEEKLY_UID))
    };
    let moved = IcsComponent {
        summary: some("Stand-up (verschoben)"),
        dtstart: berlin_at("2025-03-27T14:00:00"),
        dtend: berlin_at("2025-03-27T15:00:00"),
        recurrence_id: berlin_at("2025-03-26T09:00:00"),
        ..component("VEVENT", Some(WEEKLY_UID))
    };
    let yearly = IcsComponent {
        summary: some("Independence Day"),
        dtstart: Some(IcsDate::Date("2025-07-04".into())),
        dtend: Some(IcsDate::Date("2025-07-05".into())),
        rrule: Some(rule("YEARLY")),
        ..component("VEVENT", Some(YEARLY_UID))
    };
    let monthly = IcsComponent {
        summary: some("Month-end review"),
        dtstart: Some(IcsDate::local("2025-01-31T16:00:00", LA)),
        dtend: Some(IcsDate::local("2025-01-31T17:00:00", LA)),
        // BYSETPOS=-1 over one weekday is written as the weekday's position.
        rrule: Some(IcsRule { count: Some(6), by_day: strings(&["-1FR"]), ..rule("MONTHLY") }),
        ..component("VEVENT", Some(MONTHLY_UID))
    };
    let daily = IcsComponent {
        summary: some("Morgenlauf"),
        dtstart: berlin_at("2025-10-24T07:30:00"),
        dtend: berlin_at("2025-10-24T08:00:00"),
        rrule: Some(IcsRule { count: Some(5), ..rule("DAILY") }),
        ..component("VEVENT", Some(DAILY_UID))
    };
    let task = IcsComponent {
        summary: some("Steuererklärung"),
        dtstart: Some(IcsDate::Date("2025-04-01".into())),
        due: Some(IcsDate::Date("2025-07-31".into())),
        categories: strings(&["Privat", "Finanzen"]),
        status: some("NEEDS-ACTION"),
        ..component("VTODO", Some(TASK_UID))
    };
    let task2 = IcsComponent {
        summary: some("Bericht"),
        due: berlin_at("2025-05-02T17:00:00"),
        status: some("IN-PROCESS"),
        ..component("VTODO", Some(TASK2_UID))
    };
    let journal = IcsComponent {
        summary: some("Telefonat mit Zoë"),
        description: some("Q2 besprochen.\nNächster Schritt: Angebot."),
        dtstart: Some(IcsDate::Utc("2025-03-10T10:00:00".into())),
        ..component("VJOURNAL", Some(JOURNAL_UID))
    };
    IcsSummary {
        prodid: some("-//mailshift//oracle test//EN"),
        version: some("2.0"),
        components: vec![berlin_summary(), la_summary(), weekly, moved, yearly, monthly, daily, task, task2, journal],
    }
}

/// Local starts with their offsets, and the same instants in UTC.
struct Occ {
    local: Vec<String>,
    utc: Vec<Option<String>>,
}

/// The weekly Berlin series: every Mon/Wed/Fri from Mon 03-03 to Wed 04-30
/// (UNTIL is 04-30 09:00 CEST exactly, inclusive), at 09:00 local: CET
/// (+01:00, 08:00Z) up to Fri 03-28, CEST (+02:00, 07:00Z) from Mon 03-31,
/// after DST began on Sun 03-30. Fri 03-14 is an EXDATE; Wed 03-26 is
/// replaced by its override on Thu 03-27 at 14:00 CET (13:00Z).
fn expected_weekly() -> Occ {
    let cet = ["03-03", "03-05", "03-07", "03-10", "03-12", "03-17", "03-19", "03-21", "03-24"];
    let cest = [
        "03-31", "04-02", "04-04", "04-07", "04-09", "04-11", "04-14", "04-16", "04-18", "04-21", "04-23", "04-25",
        "04-28", "04-30",
    ];
    let mut o = Occ { local: vec![], utc: vec![] };
    for d in cet {
        o.local.push(format!("2025-{d}T09:00:00+01:00"));
        o.utc.push(Some(format!("2025-{d}T08:00:00Z")));
    }
    o.local.push("2025-03-27T14:00:00+01:00".into());
    o.utc.push(Some("2025-03-27T13:00:00Z".into()));
    o.local.push("2025-03-28T09:00:00+01:00".into());
    o.utc.push(Some("2025-03-28T08:00:00Z".into()));
    for d in cest {
        o.local.push(format!("2025-{d}T09:00:00+02:00"));
        o.utc.push(Some(format!("2025-{d}T07:00:00Z")));
    }
    o
}

/// All day every 4 July with no end: five in the five years from
/// 2025-07-04 (2030-07-04 is the window's exclusive end).
fn expected_yearly() -> Occ {
    let local: Vec<String> = (2025..2030).map(|y| format!("{y}-07-04")).collect();
    Occ { utc: vec![None; local.len()], local }
}

/// Last Fridays of 2025 from January, six: 01-31 and 02-28 in PST (-08:00,
/// 16:00 local is 00:00Z the next day), then 03-28, 04-25, 05-30, 06-27 in
/// PDT (-07:00, 23:00Z), DST having begun on Sun 03-09.
fn expected_monthly() -> Occ {
    Occ {
        local: strings(&[
            "2025-01-31T16:00:00-08:00",
            "2025-02-28T16:00:00-08:00",
            "2025-03-28T16:00:00-07:00",
            "2025-04-25T16:00:00-07:00",
            "2025-05-30T16:00:00-07:00",
            "2025-06-27T16:00:00-07:00",
        ]),
        utc: [
            "2025-02-01T00:00:00Z",
            "2025-03-01T00:00:00Z",
            "2025-03-28T23:00:00Z",
            "2025-04-25T23:00:00Z",
            "2025-05-30T23:00:00Z",
            "2025-06-27T23:00:00Z",
        ]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect(),
    }
}

/// Daily 07:30 Berlin from Fri 10-24, five: CEST (05:30Z) on the 24th and
/// 25th, CET (06:30Z) from Sun 10-26, when DST ended at 03:00.
fn expected_daily() -> Occ {
    let mut o = Occ { local: vec![], utc: vec![] };
    for (d, off, z) in [(24, 2, 5), (25, 2, 5), (26, 1, 6), (27, 1, 6), (28, 1, 6)] {
        o.local.push(format!("2025-10-{d}T07:30:00+0{off}:00"));
        o.utc.push(Some(format!("2025-10-{d}T0{z}:30:00Z")));
    }
    o
}

// ---------------------------------------------------------------- helpers

fn write_tmp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temp file");
    p
}

fn no_errors(py: &Value) {
    assert_eq!(py["errors"], json!([]), "the Python parsers found errors");
}

fn as_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("summary serializes")
}

fn check_occurrences(py: &Value, key: &str, uid: &str, want: &Occ) {
    let got = &py[key][uid];
    assert_eq!(got["local"], json!(want.local), "{key} {uid}: local starts");
    assert_eq!(got["utc"], json!(want.utc), "{key} {uid}: UTC starts");
    assert_eq!(got["unmatched_recurrence_ids"], json!([]), "{key} {uid}: every RECURRENCE-ID names an instance");
}

// ------------------------------------------------------------------ tests

#[test]
fn rust_parser_reads_contacts_as_meant() {
    for (v, v4) in [(VCardVersion::V4, true), (VCardVersion::V3, false)] {
        let got = rust_vcf(&vcard::write(&contact(), v)).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        assert_eq!(got, vec![expected_contact(v4)], "{v:?}");
        let got = rust_vcf(&vcard::write_group(&group(), v)).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        assert_eq!(got, vec![expected_group(v4)], "{v:?} group");
    }
}

#[test]
fn rust_parser_reads_a_multi_card_file() {
    let text = vcard::write(&contact(), VCardVersion::V4) + &vcard::write_group(&group(), VCardVersion::V4);
    let got = rust_vcf(&text).expect("parses");
    assert_eq!(got, vec![expected_contact(true), expected_group(true)]);
}

#[test]
fn vobject_reads_contacts_as_meant() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (v, v4) in [(VCardVersion::V4, true), (VCardVersion::V3, false)] {
        let text = vcard::write(&contact(), v) + &vcard::write_group(&group(), v);
        let path = write_tmp(dir.path(), &format!("cards-{v:?}.vcf"), &text);
        let Some(py) = python_pim(&path) else { return };
        no_errors(&py);
        assert_eq!(py["vobject"], json!([as_json(&expected_contact(v4)), as_json(&expected_group(v4))]), "{v:?}");
    }
}

#[test]
fn rust_parser_reads_the_calendar_as_meant() {
    let text = ical::write(&calendar());
    let got = rust_ics(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let want = expected_calendar();
    for (g, w) in got.components.iter().zip(&want.components) {
        assert_eq!(g, w);
    }
    assert_eq!(got, want);
    assert_eq!(got.by_uid("VEVENT", WEEKLY_UID).count(), 2);
}

#[test]
fn python_parsers_read_the_calendar_as_meant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_tmp(dir.path(), "cal.ics", &ical::write(&calendar()));
    let Some(py) = python_pim(&path) else { return };
    no_errors(&py);
    let want = as_json(&expected_calendar());
    for parser in ["icalendar", "vobject"] {
        let got = &py[parser];
        let n = want["components"].as_array().map_or(0, Vec::len);
        for i in 0..n {
            assert_eq!(got["components"][i], want["components"][i], "{parser}: component {i}");
        }
        assert_eq!(got, &want, "{parser}");
    }
}

#[test]
fn five_year_expansion_matches_the_intended_instants() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_tmp(dir.path(), "cal.ics", &ical::write(&calendar()));
    let Some(py) = python_pim(&path) else { return };
    no_errors(&py);
    for key in ["occurrences", "vobject_occurrences"] {
        check_occurrences(&py, key, WEEKLY_UID, &expected_weekly());
        check_occurrences(&py, key, YEARLY_UID, &expected_yearly());
        check_occurrences(&py, key, MONTHLY_UID, &expected_monthly());
        check_occurrences(&py, key, DAILY_UID, &expected_daily());
        // Only the recurring masters are expanded.
        assert_eq!(py[key].as_object().map(|m| m.len()), Some(4), "{key}");
    }
}

#[test]
fn python_oracle_reports_broken_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = ical::write(&calendar());
    // A zone named but not defined (RFC 5545 3.2.19).
    let undefined = text.replace(&format!("TZID:{LA}\r\n"), "TZID:Somewhere Else\r\n");
    let path = write_tmp(dir.path(), "nozone.ics", &undefined);
    let Some(py) = python_pim(&path) else { return };
    let errors = py["errors"].to_string();
    assert!(errors.contains(LA), "{errors}");
    assert!(rust_ics(&undefined).is_err());
    // An override whose RECURRENCE-ID is no instance of the series.
    let stray = text.replace(
        "RECURRENCE-ID;TZID=W. Europe Standard Time:20250326T090000",
        "RECURRENCE-ID;TZID=W. Europe Standard Time:20250325T090000",
    );
    assert_ne!(stray, text);
    let path = write_tmp(dir.path(), "stray.ics", &stray);
    let py = python_pim(&path).expect("modules present");
    assert_eq!(py["occurrences"][WEEKLY_UID]["unmatched_recurrence_ids"], json!(["2025-03-25T09:00:00+01:00"]));
    // A card cut short.
    let card = vcard::write(&contact(), VCardVersion::V4);
    let cut = &card[..card.len() - "END:VCARD\r\n".len()];
    let path = write_tmp(dir.path(), "cut.vcf", cut);
    let py = python_pim(&path).expect("modules present");
    assert_ne!(py["errors"], json!([]), "vobject accepted an unterminated card");
    assert!(rust_vcf(cut).is_err());
}
