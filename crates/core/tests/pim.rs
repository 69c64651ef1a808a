//! vCard and iCalendar output: exact text for representative items, folding
//! and escaping edge cases, and the same output read back by two independent
//! parsers (Python's `vobject` and `icalendar`, with `dateutil` expanding the
//! recurrence rules).

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use mailshift_core::pim::ical::{self, Calendar};
use mailshift_core::pim::vcard::{self, VCardVersion};
use mailshift_core::pim::*;

const CONTACT_UID: &str = "0b6c6a3e-2f55-8d1e-9a7b-3c1d2e4f5a6b";

fn contact() -> Contact {
    Contact {
        uid: CONTACT_UID.into(),
        full_name: "Dr. Jörg Müller-Smith, Jr.".into(),
        name: StructuredName {
            family: "Müller-Smith".into(),
            given: "Jörg".into(),
            middle: "Peter".into(),
            prefix: "Dr.".into(),
            suffix: "Jr.".into(),
        },
        nickname: Some("Jo".into()),
        emails: vec![
            Email {
                address: "joerg@example.org".into(),
                display_name: Some("Jörg Müller (joerg@example.org)".into()),
                kind: AddressKind::Work,
                pref: true,
            },
            Email { address: "jo@home.example".into(), display_name: None, kind: AddressKind::Home, pref: false },
        ],
        phones: vec![
            Phone { number: "+1 555 0100".into(), kinds: vec![PhoneKind::Work, PhoneKind::Voice], pref: true },
            Phone { number: "+1 555 0101".into(), kinds: vec![PhoneKind::Cell], pref: false },
            Phone { number: "+1 555 0102".into(), kinds: vec![PhoneKind::Work, PhoneKind::Fax], pref: false },
            Phone { number: "+1 555 0103".into(), kinds: vec![PhoneKind::Car], pref: false },
        ],
        addresses: vec![
            PostalAddress {
                kind: AddressKind::Work,
                street: "1 Main St\nSuite 5".into(),
                city: "Springfield".into(),
                region: "IL".into(),
                postal_code: "62701".into(),
                country: "USA".into(),
                is_mailing: true,
            },
            PostalAddress {
                kind: AddressKind::Home,
                street: "Hauptstraße 7".into(),
                city: "München".into(),
                region: "".into(),
                postal_code: "80331".into(),
                country: "Germany".into(),
                is_mailing: false,
            },
        ],
        organization: Some("Acme, Inc.".into()),
        title: Some("Chief Tester".into()),
        department: Some("R&D".into()),
        birthday: Some(Date::new(1980, 3, 15)),
        anniversary: Some(Date::new(2005, 6, 20)),
        urls: vec!["https://example.org/~jo".into()],
        im: vec!["jo@im.example.org".into()],
        note: Some("Line 1\nLine 2; with, punctuation \\ done".into()),
        categories: vec!["Friends".into(), "Work, Team".into()],
        photo: Some(Photo { data: vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00], media_type: "image/jpeg".into() }),
    }
}

fn group() -> DistList {
    DistList {
        uid: "5e0f2a1b-7c3d-8e4f-a5b6-c7d8e9f0a1b2".into(),
        name: "Team; Core".into(),
        members: vec![
            Member::OneOff { name: "Alice".into(), email: "alice@example.org".into() },
            Member::Contact(CONTACT_UID.into()),
        ],
        note: None,
        categories: vec![],
    }
}

const TZ: &str = "Eastern Standard Time";

fn local(y: i32, mo: u8, d: u8, h: u8, mi: u8) -> When {
    When::Local { time: DateTime::new(y, mo, d, h, mi, 0), tzid: TZ.into() }
}

fn eastern() -> TimeZone {
    TimeZone {
        tzid: TZ.into(),
        standard: ZoneRule {
            offset_from: -240,
            offset_to: -300,
            start: DateTime::new(1601, 11, 4, 2, 0, 0),
            transition: Some(Transition { month: 11, nth: 1, weekday: Weekday::Sunday }),
        },
        daylight: Some(ZoneRule {
            offset_from: -300,
            offset_to: -240,
            start: DateTime::new(1601, 3, 11, 2, 0, 0),
            transition: Some(Transition { month: 3, nth: 2, weekday: Weekday::Sunday }),
        }),
    }
}

const EVENT_UID: &str = "3d1f0c2b-4a5e-8f60-9b7c-1d2e3f405162";

fn calendar() -> Calendar {
    let mut weekly = RRule::new(Frequency::Weekly);
    weekly.count = Some(10);
    weekly.by_day = vec![(None, Weekday::Monday), (None, Weekday::Friday)];
    let master = Event {
        uid: EVENT_UID.into(),
        summary: Some("Team sync, weekly".into()),
        location: Some("Room 1; 2nd floor".into()),
        description: Some("Agenda:\n- status\n- plans".into()),
        start: Some(local(2024, 1, 5, 9, 0)),
        end: Some(local(2024, 1, 5, 10, 0)),
        organizer: Some(Person { name: Some("Boss, The".into()), email: "boss@example.org".into() }),
        attendees: vec![
            Attendee {
                name: Some("Smith, John".into()),
                email: "john@example.org".into(),
                role: Role::Required,
                partstat: PartStat::Accepted,
            },
            Attendee {
                name: Some("Ann".into()),
                email: "ann@example.org".into(),
                role: Role::Optional,
                partstat: PartStat::Tentative,
            },
        ],
        busy: Some(BusyStatus::Busy),
        reminder_minutes: Some(15),
        categories: vec!["Work".into()],
        class: Some(Class::Private),
        rrule: Some(weekly),
        exdates: vec![local(2024, 1, 12, 9, 0)],
        sequence: Some(2),
        created: Some(1_704_067_200),       // 2024-01-01T00:00:00Z
        last_modified: Some(1_704_153_600), // 2024-01-02T00:00:00Z
        ..Event::default()
    };
    let moved = Event {
        uid: EVENT_UID.into(),
        summary: Some("Team sync (moved)".into()),
        location: Some("Room 2".into()),
        start: Some(local(2024, 1, 19, 11, 0)),
        end: Some(local(2024, 1, 19, 12, 0)),
        recurrence_id: Some(local(2024, 1, 19, 9, 0)),
        busy: Some(BusyStatus::Tentative),
        sequence: Some(3),
        last_modified: Some(1_704_240_000), // 2024-01-03T00:00:00Z
        ..Event::default()
    };
    let mut last_friday = RRule::new(Frequency::Monthly);
    last_friday.by_day = vec![(None, Weekday::Friday)];
    last_friday.by_set_pos = vec![-1];
    last_friday.until = Some(When::Utc(1_735_689_599)); // 2024-12-31T23:59:59Z
    let monthly = Event {
        uid: "7a8b9c0d-1e2f-8a3b-8c4d-5e6f7a8b9c0d".into(),
        summary: Some("Payday drinks".into()),
        start: Some(local(2024, 1, 26, 17, 30)),
        end: Some(local(2024, 1, 26, 19, 0)),
        rrule: Some(last_friday),
        busy: Some(BusyStatus::Free),
        ..Event::default()
    };
    let mut yearly = RRule::new(Frequency::Yearly);
    yearly.until = Some(When::Date(Date::new(2026, 7, 4)));
    let all_day = Event {
        uid: "9f8e7d6c-5b4a-8392-a1b0-c9d8e7f6a5b4".into(),
        summary: Some("Independence Day".into()),
        start: Some(When::Date(Date::new(2024, 7, 4))),
        end: Some(When::Date(Date::new(2024, 7, 5))),
        all_day: true,
        rrule: Some(yearly),
        busy: Some(BusyStatus::OutOfOffice),
        class: Some(Class::Public),
        ..Event::default()
    };
    let task = Task {
        uid: "1a2b3c4d-5e6f-8a7b-9c8d-0e1f2a3b4c5d".into(),
        summary: Some("File taxes".into()),
        description: Some("Forms: 1040, W-2".into()),
        start: Some(When::Date(Date::new(2024, 2, 1))),
        due: Some(When::Date(Date::new(2024, 4, 15))),
        completed: Some(1_712_750_400), // 2024-04-10T12:00:00Z
        status: Some(TaskStatus::Completed),
        percent_complete: Some(100),
        priority: Some(1),
        categories: vec!["Home".into()],
        class: Some(Class::Confidential),
        ..Task::default()
    };
    let task2 = Task {
        uid: "2b3c4d5e-6f70-8b8c-9d0e-1f2a3b4c5d6e".into(),
        summary: Some("Write report".into()),
        due: Some(local(2024, 3, 1, 17, 0)),
        status: Some(TaskStatus::InProcess),
        percent_complete: Some(50),
        priority: Some(5),
        ..Task::default()
    };
    let journal = Journal {
        uid: "4c5d6e7f-8091-8a2b-b3c4-d5e6f7a8b9c0".into(),
        summary: Some("Phone call with Jörg".into()),
        description: Some("Talked about Q1.\nFollow up, Monday.".into()),
        dtstart: Some(When::Utc(1_704_279_600)), // 2024-01-03T11:00:00Z
        categories: vec!["Calls".into()],
        created: Some(1_704_279_600),
        ..Journal::default()
    };
    let note = Note {
        uid: "6e7f8091-a2b3-8c4d-85e6-f7a8b9c0d1e2".into(),
        summary: Some("Groceries".into()),
        description: Some("Groceries\nmilk, eggs".into()),
        ..Note::default()
    };
    Calendar {
        prodid: "-//mailshift//test//EN".into(),
        timezones: vec![eastern()],
        events: vec![master, moved, monthly, all_day],
        tasks: vec![task, task2],
        journals: vec![journal, note],
    }
}

/// Turns the expected text (written with `\n`) into CRLF lines.
fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

const CONTACT_V4: &str = r#"BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:0b6c6a3e-2f55-8d1e-9a7b-3c1d2e4f5a6b
FN:Dr. Jörg Müller-Smith\, Jr.
N:Müller-Smith;Jörg;Peter;Dr.;Jr.
NICKNAME:Jo
EMAIL;TYPE=work;PREF=1;X-CN=Jörg Müller (joerg@example.org):joerg@example
 .org
EMAIL;TYPE=home:jo@home.example
TEL;TYPE=work,voice;PREF=1:+1 555 0100
TEL;TYPE=cell:+1 555 0101
TEL;TYPE=work,fax:+1 555 0102
TEL;TYPE=car:+1 555 0103
ADR;TYPE=work;PREF=1:;;1 Main St\nSuite 5;Springfield;IL;62701;USA
ADR;TYPE=home:;;Hauptstraße 7;München;;80331;Germany
ORG:Acme\, Inc.;R&D
TITLE:Chief Tester
BDAY:19800315
ANNIVERSARY:20050620
URL:https://example.org/~jo
IMPP:sip:jo@im.example.org
NOTE:Line 1\nLine 2\; with\, punctuation \\ done
CATEGORIES:Friends,Work\, Team
PHOTO:data:image/jpeg;base64,/9j/4AA=
END:VCARD
"#;

const CONTACT_V3: &str = r#"BEGIN:VCARD
VERSION:3.0
UID:0b6c6a3e-2f55-8d1e-9a7b-3c1d2e4f5a6b
FN:Dr. Jörg Müller-Smith\, Jr.
N:Müller-Smith;Jörg;Peter;Dr.;Jr.
NICKNAME:Jo
EMAIL;TYPE=INTERNET,WORK,PREF;X-CN=Jörg Müller (joerg@example.org):joerg@
 example.org
EMAIL;TYPE=INTERNET,HOME:jo@home.example
TEL;TYPE=WORK,VOICE,PREF:+1 555 0100
TEL;TYPE=CELL:+1 555 0101
TEL;TYPE=WORK,FAX:+1 555 0102
TEL;TYPE=CAR:+1 555 0103
ADR;TYPE=WORK,PREF:;;1 Main St\nSuite 5;Springfield;IL;62701;USA
ADR;TYPE=HOME:;;Hauptstraße 7;München;;80331;Germany
ORG:Acme\, Inc.;R&D
TITLE:Chief Tester
BDAY:1980-03-15
X-ANNIVERSARY:2005-06-20
URL:https://example.org/~jo
IMPP:sip:jo@im.example.org
NOTE:Line 1\nLine 2\; with\, punctuation \\ done
CATEGORIES:Friends,Work\, Team
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AA=
END:VCARD
"#;

const GROUP_V4: &str = r#"BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:5e0f2a1b-7c3d-8e4f-a5b6-c7d8e9f0a1b2
KIND:group
FN:Team\; Core
MEMBER;X-CN=Alice:mailto:alice@example.org
MEMBER:urn:uuid:0b6c6a3e-2f55-8d1e-9a7b-3c1d2e4f5a6b
END:VCARD
"#;

const GROUP_V3: &str = r#"BEGIN:VCARD
VERSION:3.0
UID:5e0f2a1b-7c3d-8e4f-a5b6-c7d8e9f0a1b2
X-ADDRESSBOOKSERVER-KIND:group
FN:Team\; Core
N:Team\; Core;;;;
X-ADDRESSBOOKSERVER-MEMBER;X-CN=Alice:mailto:alice@example.org
X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:0b6c6a3e-2f55-8d1e-9a7b-3c1d2e4f5a6b
END:VCARD
"#;

const CALENDAR: &str = r#"BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//mailshift//test//EN
BEGIN:VTIMEZONE
TZID:Eastern Standard Time
BEGIN:STANDARD
DTSTART:16011104T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010311T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:3d1f0c2b-4a5e-8f60-9b7c-1d2e3f405162
DTSTAMP:20240102T000000Z
CREATED:20240101T000000Z
LAST-MODIFIED:20240102T000000Z
DTSTART;TZID=Eastern Standard Time:20240105T090000
DTEND;TZID=Eastern Standard Time:20240105T100000
RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,FR
EXDATE;TZID=Eastern Standard Time:20240112T090000
SUMMARY:Team sync\, weekly
LOCATION:Room 1\; 2nd floor
DESCRIPTION:Agenda:\n- status\n- plans
ORGANIZER;CN="Boss, The":mailto:boss@example.org
ATTENDEE;CN="Smith, John";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:joh
 n@example.org
ATTENDEE;CN=Ann;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:ann@example.
 org
TRANSP:OPAQUE
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
CATEGORIES:Work
CLASS:PRIVATE
SEQUENCE:2
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER:-PT15M
DESCRIPTION:Team sync\, weekly
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:3d1f0c2b-4a5e-8f60-9b7c-1d2e3f405162
DTSTAMP:20240103T000000Z
LAST-MODIFIED:20240103T000000Z
DTSTART;TZID=Eastern Standard Time:20240119T110000
DTEND;TZID=Eastern Standard Time:20240119T120000
RECURRENCE-ID;TZID=Eastern Standard Time:20240119T090000
SUMMARY:Team sync (moved)
LOCATION:Room 2
TRANSP:OPAQUE
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
SEQUENCE:3
END:VEVENT
BEGIN:VEVENT
UID:7a8b9c0d-1e2f-8a3b-8c4d-5e6f7a8b9c0d
DTSTAMP:19700101T000000Z
DTSTART;TZID=Eastern Standard Time:20240126T173000
DTEND;TZID=Eastern Standard Time:20240126T190000
RRULE:FREQ=MONTHLY;UNTIL=20241231T235959Z;BYDAY=-1FR
SUMMARY:Payday drinks
TRANSP:TRANSPARENT
X-MICROSOFT-CDO-BUSYSTATUS:FREE
END:VEVENT
BEGIN:VEVENT
UID:9f8e7d6c-5b4a-8392-a1b0-c9d8e7f6a5b4
DTSTAMP:19700101T000000Z
DTSTART;VALUE=DATE:20240704
DTEND;VALUE=DATE:20240705
RRULE:FREQ=YEARLY;UNTIL=20260704
SUMMARY:Independence Day
TRANSP:OPAQUE
X-MICROSOFT-CDO-BUSYSTATUS:OOF
CLASS:PUBLIC
END:VEVENT
BEGIN:VTODO
UID:1a2b3c4d-5e6f-8a7b-9c8d-0e1f2a3b4c5d
DTSTAMP:19700101T000000Z
DTSTART;VALUE=DATE:20240201
DUE;VALUE=DATE:20240415
COMPLETED:20240410T120000Z
SUMMARY:File taxes
DESCRIPTION:Forms: 1040\, W-2
STATUS:COMPLETED
PERCENT-COMPLETE:100
PRIORITY:1
CATEGORIES:Home
CLASS:CONFIDENTIAL
END:VTODO
BEGIN:VTODO
UID:2b3c4d5e-6f70-8b8c-9d0e-1f2a3b4c5d6e
DTSTAMP:19700101T000000Z
DUE;TZID=Eastern Standard Time:20240301T170000
SUMMARY:Write report
STATUS:IN-PROCESS
PERCENT-COMPLETE:50
PRIORITY:5
END:VTODO
BEGIN:VJOURNAL
UID:4c5d6e7f-8091-8a2b-b3c4-d5e6f7a8b9c0
DTSTAMP:20240103T110000Z
CREATED:20240103T110000Z
DTSTART:20240103T110000Z
SUMMARY:Phone call with Jörg
DESCRIPTION:Talked about Q1.\nFollow up\, Monday.
CATEGORIES:Calls
END:VJOURNAL
BEGIN:VJOURNAL
UID:6e7f8091-a2b3-8c4d-85e6-f7a8b9c0d1e2
DTSTAMP:19700101T000000Z
SUMMARY:Groceries
DESCRIPTION:Groceries\nmilk\, eggs
END:VJOURNAL
END:VCALENDAR
"#;

#[test]
fn contact_v4_exact() {
    assert_eq!(vcard::write(&contact(), VCardVersion::V4), crlf(CONTACT_V4));
}

#[test]
fn contact_v3_exact() {
    assert_eq!(vcard::write(&contact(), VCardVersion::V3), crlf(CONTACT_V3));
}

#[test]
fn group_exact() {
    assert_eq!(vcard::write_group(&group(), VCardVersion::V4), crlf(GROUP_V4));
    assert_eq!(vcard::write_group(&group(), VCardVersion::V3), crlf(GROUP_V3));
}

#[test]
fn calendar_exact_and_deterministic() {
    let text = ical::write(&calendar());
    assert_eq!(text, crlf(CALENDAR));
    assert_eq!(text, ical::write(&calendar()));
}

/// Every physical line of `text` is at most 75 octets and ends in CRLF.
fn assert_folded(text: &str) {
    assert!(text.ends_with("\r\n"));
    for line in text[..text.len() - 2].split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.contains(['\r', '\n']), "bare line break in {line:?}");
    }
}

/// Undoes folding (RFC 5545 3.1) and returns the logical lines.
fn unfold(text: &str) -> Vec<String> {
    text.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

const AWKWARD: &str = "a,b;c\\d\r\ne\nf\\,;";
const AWKWARD_ESCAPED: &str = "a\\,b\\;c\\\\d\\ne\\nf\\\\\\,\\;";

fn edge_contact() -> Contact {
    Contact {
        uid: "edge".into(),
        full_name: AWKWARD.into(),
        note: Some("日本語テキスト".repeat(29).chars().take(200).collect()),
        ..Contact::default()
    }
}

fn edge_calendar() -> Calendar {
    let long: String = "é€😀".repeat(67).chars().take(200).collect();
    Calendar {
        prodid: "-//mailshift//edge//EN".into(),
        events: vec![Event {
            uid: "edge".into(),
            summary: Some(AWKWARD.into()),
            description: Some(long),
            start: Some(When::Utc(0)),
            ..Event::default()
        }],
        ..Calendar::default()
    }
}

#[test]
fn folding_and_escaping_edges() {
    for v in [VCardVersion::V4, VCardVersion::V3] {
        let text = vcard::write(&edge_contact(), v);
        assert_folded(&text);
        let lines = unfold(&text);
        assert!(lines.contains(&format!("FN:{AWKWARD_ESCAPED}")), "{lines:?}");
        let note = edge_contact().note.unwrap();
        assert_eq!(note.chars().count(), 200);
        assert!(lines.contains(&format!("NOTE:{note}")));
        // A 3-octet character per position: the note's line needs folding many times.
        assert!(text.matches("\r\n ").count() >= 8);
    }
    let text = ical::write(&edge_calendar());
    assert_folded(&text);
    let lines = unfold(&text);
    assert!(lines.contains(&format!("SUMMARY:{AWKWARD_ESCAPED}")), "{lines:?}");
    let long = edge_calendar().events[0].description.clone().unwrap();
    assert!(lines.contains(&format!("DESCRIPTION:{long}")));
    assert!(lines.contains(&"DTSTART:19700101T000000Z".to_string()));
}

#[test]
fn stable_uids() {
    let a = stable_uid("pst-contact", &[1, 2, 3]);
    assert_eq!(a, stable_uid("pst-contact", &[1, 2, 3]));
    assert_ne!(a, stable_uid("pst-contact", &[1, 2, 4]));
    assert_eq!(a.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
}

/// Runs `script` under python3 with `files` as arguments and reads its JSON.
fn python(script: &str, files: &[&Path]) -> Value {
    let out = Command::new("python3").arg("-c").arg(script).args(files).output().expect("run python3");
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

fn write_tmp(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temp file");
    p
}

const VCF_READER: &str = r#"import json, sys, vobject
out = []
for path in sys.argv[1:]:
    for card in vobject.readComponents(open(path, encoding="utf-8").read()):
        c = card.contents
        def vals(name):
            return [p.value for p in c.get(name, [])]
        def params(name):
            return [{k: v for k, v in p.params.items()} for p in c.get(name, [])]
        n = c["n"][0].value if "n" in c else None
        o = {
            "version": card.version.value,
            "uid": card.uid.value if "uid" in c else None,
            "fn": card.fn.value,
            "n": None if n is None else [n.family, n.given, n.additional, n.prefix, n.suffix],
            "email": vals("email"), "email_params": params("email"),
            "tel": vals("tel"), "tel_params": params("tel"),
            "adr": [[a.street, a.city, a.region, a.code, a.country] for a in vals("adr")],
            "adr_params": params("adr"),
            "org": vals("org"), "title": vals("title"), "bday": vals("bday"),
            "note": vals("note"), "categories": vals("categories"), "url": vals("url"),
            "impp": vals("impp"), "nickname": vals("nickname"),
            # vobject applies 3.0 rules to every card and cuts a 4.0 data:
            # URI at its comma, so for 4.0 take the value its line parser read.
            "photo": [list(p) for p in vals("photo")] if card.version.value == "3.0" else
                     [vobject.base.parseLine(l)[2] for l, _ in vobject.base.getLogicalLines(open(path, encoding="utf-8", newline="")) if l.upper().startswith("PHOTO")],
            "member": vals("member") + vals("x-addressbookserver-member"),
            "member_params": params("member") + params("x-addressbookserver-member"),
            "kind": vals("kind") + vals("x-addressbookserver-kind"),
        }
        out.append(o)
print(json.dumps(out, ensure_ascii=False, default=str))
"#;

const ICS_READER: &str = r#"import json, sys
from datetime import datetime, date
import icalendar
from dateutil.rrule import rrulestr, rruleset

def fmt(v):
    d = v.dt if hasattr(v, "dt") else v
    if isinstance(d, datetime):
        tz = d.tzinfo
        return {"value": d.replace(tzinfo=None).isoformat(), "offset": None if tz is None else int(d.utcoffset().total_seconds() // 60)}
    return {"value": d.isoformat()}

cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
out = {"prodid": str(cal["PRODID"]), "timezones": [], "events": [], "todos": [], "journals": []}
for tz in cal.walk("VTIMEZONE"):
    out["timezones"].append({"tzid": str(tz["TZID"]), "parts": [
        {"name": p.name, "from": p["TZOFFSETFROM"].td.total_seconds() / 60, "to": p["TZOFFSETTO"].td.total_seconds() / 60,
         "rrule": p["RRULE"].to_ical().decode()} for p in tz.subcomponents]})
for ev in cal.walk("VEVENT"):
    e = {k: str(ev[k]) for k in ("UID", "SUMMARY", "LOCATION", "DESCRIPTION", "TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS", "CLASS") if k in ev}
    e["DTSTART"] = fmt(ev["DTSTART"])
    e["DTSTART_TZID"] = ev["DTSTART"].params.get("TZID")
    if "DTEND" in ev: e["DTEND"] = fmt(ev["DTEND"])
    if "RECURRENCE-ID" in ev: e["RECURRENCE-ID"] = fmt(ev["RECURRENCE-ID"])
    if "RRULE" in ev:
        r = ev["RRULE"]
        e["RRULE"] = {k: [x.isoformat() if hasattr(x, "isoformat") else x for x in v] for k, v in r.items()}
    ex = ev.get("EXDATE")
    if ex is not None:
        ex = ex if isinstance(ex, list) else [ex]
        e["EXDATE"] = [fmt(d) for x in ex for d in x.dts]
        e["EXDATE_TZID"] = [x.params.get("TZID") for x in ex]
    if "ORGANIZER" in ev:
        o = ev["ORGANIZER"]; e["ORGANIZER"] = [str(o), o.params.get("CN")]
    att = ev.get("ATTENDEE")
    if att is not None:
        att = att if isinstance(att, list) else [att]
        e["ATTENDEE"] = [[str(a), a.params.get("CN"), a.params.get("ROLE"), a.params.get("PARTSTAT")] for a in att]
    if "CATEGORIES" in ev:
        e["CATEGORIES"] = [str(c) for c in ev["CATEGORIES"].cats]
    alarms = [[str(a["ACTION"]), int(a["TRIGGER"].dt.total_seconds() // 60), str(a["DESCRIPTION"])] for a in ev.walk("VALARM")]
    if alarms: e["VALARM"] = alarms
    # Expansion with dateutil: the rule from its text, DTSTART as icalendar read it.
    if "RRULE" in ev:
        start = ev["DTSTART"].dt
        if not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day)
        rs = rruleset()
        rs.rrule(rrulestr(ev["RRULE"].to_ical().decode(), dtstart=start))
        if ex is not None:
            for x in ex:
                for d in x.dts:
                    rs.exdate(d.dt)
        stop = start.replace(year=start.year + 4)
        occ = rs.between(start, stop, inc=True)
        e["OCCURRENCES"] = [d.replace(tzinfo=None).isoformat() for d in occ]
        e["OCCURRENCE_OFFSETS"] = [None if d.tzinfo is None else int(d.utcoffset().total_seconds() // 60) for d in occ]
    out["events"].append(e)
for td in cal.walk("VTODO"):
    t = {k: str(td[k]) for k in ("UID", "SUMMARY", "DESCRIPTION", "STATUS", "PERCENT-COMPLETE", "PRIORITY", "CLASS") if k in td}
    for k in ("DTSTART", "DUE", "COMPLETED"):
        if k in td: t[k] = fmt(td[k])
    out["todos"].append(t)
for j in cal.walk("VJOURNAL"):
    d = {k: str(j[k]) for k in ("UID", "SUMMARY", "DESCRIPTION") if k in j}
    if "DTSTART" in j: d["DTSTART"] = fmt(j["DTSTART"])
    out["journals"].append(d)
print(json.dumps(out, ensure_ascii=False))
"#;

const ICS_VOBJECT_READER: &str = r#"import json, sys
from datetime import datetime, timedelta
import vobject
cal = vobject.readOne(open(sys.argv[1], encoding="utf-8").read())
def fmt(d):
    if isinstance(d, datetime):
        return [d.replace(tzinfo=None).isoformat(), None if d.tzinfo is None else int(d.utcoffset().total_seconds() // 60)]
    return [d.isoformat(), None]
out = {"events": [], "todos": [], "journals": []}
for ev in cal.contents.get("vevent", []):
    e = {"uid": ev.uid.value, "summary": ev.summary.value, "dtstart": fmt(ev.dtstart.value),
         "dtstart_tzid": getattr(ev.dtstart.value, "tzinfo", None) and getattr(ev.dtstart.value.tzinfo, "_tzid", None)}
    if "recurrence-id" in ev.contents:
        e["recurrence_id"] = fmt(ev.contents["recurrence-id"][0].value)
    if "rrule" in ev.contents:
        e["rrule"] = ev.rrule.value
        rs = ev.getrruleset(addRDate=True)
        start = ev.dtstart.value
        if not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day)
        e["occurrences"] = [d.replace(tzinfo=None).isoformat() for d in rs.between(start, start.replace(year=start.year + 4), inc=True)]
    if "exdate" in ev.contents:
        e["exdate"] = [fmt(d) for x in ev.contents["exdate"] for d in x.value]
    out["events"].append(e)
for t in cal.contents.get("vtodo", []):
    out["todos"].append({"uid": t.uid.value, "status": t.status.value, "percent": t.contents["percent-complete"][0].value,
                         "due": fmt(t.due.value)})
for j in cal.contents.get("vjournal", []):
    out["journals"].append({"uid": j.uid.value, "summary": j.summary.value, "description": j.description.value})
print(json.dumps(out, ensure_ascii=False))
"#;

#[test]
fn vobject_reads_vcards() {
    if !mailshift_testkit::python_module("vobject") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        write_tmp(dir.path(), "v4.vcf", &vcard::write(&contact(), VCardVersion::V4)),
        write_tmp(dir.path(), "v3.vcf", &vcard::write(&contact(), VCardVersion::V3)),
        write_tmp(dir.path(), "g4.vcf", &vcard::write_group(&group(), VCardVersion::V4)),
        write_tmp(dir.path(), "g3.vcf", &vcard::write_group(&group(), VCardVersion::V3)),
    ];
    let got = python(VCF_READER, &files.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    let cards = got.as_array().expect("array");
    assert_eq!(cards.len(), 4);
    let adr = json!([
        ["1 Main St\nSuite 5", "Springfield", "IL", "62701", "USA"],
        ["Hauptstraße 7", "München", "", "80331", "Germany"]
    ]);
    for (c, v4) in [(&cards[0], true), (&cards[1], false)] {
        assert_eq!(c["version"], if v4 { "4.0" } else { "3.0" });
        let uid = if v4 { format!("urn:uuid:{CONTACT_UID}") } else { CONTACT_UID.to_string() };
        assert_eq!(c["uid"], json!(uid));
        assert_eq!(c["fn"], "Dr. Jörg Müller-Smith, Jr.");
        assert_eq!(c["n"], json!(["Müller-Smith", "Jörg", "Peter", "Dr.", "Jr."]));
        assert_eq!(c["nickname"], json!(["Jo"]));
        assert_eq!(c["email"], json!(["joerg@example.org", "jo@home.example"]));
        assert_eq!(c["email_params"][0]["X-CN"], json!(["Jörg Müller (joerg@example.org)"]));
        assert_eq!(c["tel"], json!(["+1 555 0100", "+1 555 0101", "+1 555 0102", "+1 555 0103"]));
        assert_eq!(c["adr"], adr);
        assert_eq!(c["org"], json!([["Acme, Inc.", "R&D"]]));
        assert_eq!(c["title"], json!(["Chief Tester"]));
        assert_eq!(c["note"], json!(["Line 1\nLine 2; with, punctuation \\ done"]));
        assert_eq!(c["categories"], json!([["Friends", "Work, Team"]]));
        assert_eq!(c["url"], json!(["https://example.org/~jo"]));
        assert_eq!(c["impp"], json!(["sip:jo@im.example.org"]));
        if v4 {
            assert_eq!(c["email_params"][0]["TYPE"], json!(["work"]));
            assert_eq!(c["email_params"][0]["PREF"], json!(["1"]));
            assert_eq!(c["tel_params"][0], json!({"TYPE": ["work", "voice"], "PREF": ["1"]}));
            assert_eq!(c["tel_params"][2], json!({"TYPE": ["work", "fax"]}));
            assert_eq!(c["adr_params"], json!([{"TYPE": ["work"], "PREF": ["1"]}, {"TYPE": ["home"]}]));
            assert_eq!(c["bday"], json!(["19800315"]));
            assert_eq!(c["photo"], json!(["data:image/jpeg;base64,/9j/4AA="]));
        } else {
            assert_eq!(c["email_params"][0]["TYPE"], json!(["INTERNET", "WORK", "PREF"]));
            assert_eq!(c["tel_params"][0], json!({"TYPE": ["WORK", "VOICE", "PREF"]}));
            assert_eq!(c["tel_params"][1], json!({"TYPE": ["CELL"]}));
            assert_eq!(c["adr_params"], json!([{"TYPE": ["WORK", "PREF"]}, {"TYPE": ["HOME"]}]));
            assert_eq!(c["bday"], json!(["1980-03-15"]));
            // vobject decoded ENCODING=b itself.
            assert_eq!(c["photo"], json!([[0xFF, 0xD8, 0xFF, 0xE0, 0x00]]));
        }
    }
    for g in &cards[2..] {
        assert_eq!(g["fn"], "Team; Core");
        assert_eq!(g["kind"], json!(["group"]));
        assert_eq!(g["member"], json!(["mailto:alice@example.org", format!("urn:uuid:{CONTACT_UID}")]));
        assert_eq!(g["member_params"][0]["X-CN"], json!(["Alice"]));
    }
}

#[test]
fn icalendar_reads_calendar_and_dateutil_expands_it() {
    if !mailshift_testkit::python_module("icalendar") || !mailshift_testkit::python_module("dateutil") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ics = write_tmp(dir.path(), "cal.ics", &ical::write(&calendar()));
    let got = python(ICS_READER, &[&ics]);
    assert_eq!(got["prodid"], "-//mailshift//test//EN");
    assert_eq!(got["timezones"][0]["tzid"], TZ);
    assert_eq!(got["timezones"][0]["parts"][0]["rrule"], "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11");
    assert_eq!(got["timezones"][0]["parts"][1]["from"], json!(-300.0));
    assert_eq!(got["timezones"][0]["parts"][1]["to"], json!(-240.0));
    let ev = &got["events"];
    let master = &ev[0];
    assert_eq!(master["UID"], EVENT_UID);
    assert_eq!(master["SUMMARY"], "Team sync, weekly");
    assert_eq!(master["LOCATION"], "Room 1; 2nd floor");
    assert_eq!(master["DESCRIPTION"], "Agenda:\n- status\n- plans");
    // icalendar built a zone from our VTIMEZONE: EST (-5h) in January.
    assert_eq!(master["DTSTART"], json!({"value": "2024-01-05T09:00:00", "offset": -300}));
    assert_eq!(master["DTSTART_TZID"], TZ);
    assert_eq!(master["DTEND"], json!({"value": "2024-01-05T10:00:00", "offset": -300}));
    assert_eq!(master["RRULE"], json!({"FREQ": ["WEEKLY"], "COUNT": [10], "BYDAY": ["MO", "FR"]}));
    assert_eq!(master["EXDATE"], json!([{"value": "2024-01-12T09:00:00", "offset": -300}]));
    assert_eq!(master["EXDATE_TZID"], json!([TZ]));
    assert_eq!(master["ORGANIZER"], json!(["mailto:boss@example.org", "Boss, The"]));
    assert_eq!(
        master["ATTENDEE"],
        json!([
            ["mailto:john@example.org", "Smith, John", "REQ-PARTICIPANT", "ACCEPTED"],
            ["mailto:ann@example.org", "Ann", "OPT-PARTICIPANT", "TENTATIVE"]
        ])
    );
    assert_eq!(master["TRANSP"], "OPAQUE");
    assert_eq!(master["X-MICROSOFT-CDO-BUSYSTATUS"], "BUSY");
    assert_eq!(master["CLASS"], "PRIVATE");
    assert_eq!(master["CATEGORIES"], json!(["Work"]));
    assert_eq!(master["VALARM"], json!([["DISPLAY", -15, "Team sync, weekly"]]));
    // Ten by COUNT, less the EXDATE of the 12th.
    let weekly = [
        "2024-01-05",
        "2024-01-08",
        "2024-01-15",
        "2024-01-19",
        "2024-01-22",
        "2024-01-26",
        "2024-01-29",
        "2024-02-02",
        "2024-02-05",
    ];
    let want: Vec<String> = weekly.iter().map(|d| format!("{d}T09:00:00")).collect();
    assert_eq!(master["OCCURRENCES"], json!(want));

    let moved = &ev[1];
    assert_eq!(moved["UID"], EVENT_UID);
    assert_eq!(moved["SUMMARY"], "Team sync (moved)");
    assert_eq!(moved["RECURRENCE-ID"], json!({"value": "2024-01-19T09:00:00", "offset": -300}));
    assert_eq!(moved["DTSTART"], json!({"value": "2024-01-19T11:00:00", "offset": -300}));

    let monthly = &ev[2];
    assert_eq!(
        monthly["RRULE"],
        json!({"FREQ": ["MONTHLY"], "UNTIL": ["2024-12-31T23:59:59+00:00"], "BYDAY": ["-1FR"]})
    );
    let last_fridays =
        ["01-26", "02-23", "03-29", "04-26", "05-31", "06-28", "07-26", "08-30", "09-27", "10-25", "11-29", "12-27"];
    let want: Vec<String> = last_fridays.iter().map(|d| format!("2024-{d}T17:30:00")).collect();
    assert_eq!(monthly["OCCURRENCES"], json!(want));
    // The VTIMEZONE's daylight rule: EDT from the 2nd Sunday of March to the 1st of November.
    assert_eq!(
        monthly["OCCURRENCE_OFFSETS"],
        json!([-300, -300, -240, -240, -240, -240, -240, -240, -240, -240, -300, -300])
    );
    assert_eq!(monthly["TRANSP"], "TRANSPARENT");

    let all_day = &ev[3];
    assert_eq!(all_day["DTSTART"], json!({"value": "2024-07-04"}));
    assert_eq!(all_day["DTEND"], json!({"value": "2024-07-05"}));
    assert_eq!(all_day["X-MICROSOFT-CDO-BUSYSTATUS"], "OOF");
    assert_eq!(all_day["OCCURRENCES"], json!(["2024-07-04T00:00:00", "2025-07-04T00:00:00", "2026-07-04T00:00:00"]));

    let todos = &got["todos"];
    assert_eq!(todos[0]["SUMMARY"], "File taxes");
    assert_eq!(todos[0]["DESCRIPTION"], "Forms: 1040, W-2");
    assert_eq!(todos[0]["STATUS"], "COMPLETED");
    assert_eq!(todos[0]["PERCENT-COMPLETE"], "100");
    assert_eq!(todos[0]["PRIORITY"], "1");
    assert_eq!(todos[0]["DTSTART"], json!({"value": "2024-02-01"}));
    assert_eq!(todos[0]["DUE"], json!({"value": "2024-04-15"}));
    assert_eq!(todos[0]["COMPLETED"], json!({"value": "2024-04-10T12:00:00", "offset": 0}));
    assert_eq!(todos[1]["STATUS"], "IN-PROCESS");
    assert_eq!(todos[1]["PERCENT-COMPLETE"], "50");
    assert_eq!(todos[1]["DUE"], json!({"value": "2024-03-01T17:00:00", "offset": -300}));

    let j = &got["journals"];
    assert_eq!(j[0]["SUMMARY"], "Phone call with Jörg");
    assert_eq!(j[0]["DESCRIPTION"], "Talked about Q1.\nFollow up, Monday.");
    assert_eq!(j[0]["DTSTART"], json!({"value": "2024-01-03T11:00:00", "offset": 0}));
    assert_eq!(j[1]["DESCRIPTION"], "Groceries\nmilk, eggs");
}

#[test]
fn vobject_reads_calendar_and_expands_it() {
    if !mailshift_testkit::python_module("vobject") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ics = write_tmp(dir.path(), "cal.ics", &ical::write(&calendar()));
    let got = python(ICS_VOBJECT_READER, &[&ics]);
    let ev = &got["events"];
    assert_eq!(ev[0]["dtstart"], json!(["2024-01-05T09:00:00", -300]));
    assert_eq!(ev[0]["dtstart_tzid"], TZ);
    assert_eq!(ev[0]["rrule"], "FREQ=WEEKLY;COUNT=10;BYDAY=MO,FR");
    assert_eq!(ev[0]["exdate"], json!([["2024-01-12T09:00:00", -300]]));
    assert_eq!(ev[0]["occurrences"].as_array().map(Vec::len), Some(9));
    assert!(!ev[0]["occurrences"].as_array().expect("list").contains(&json!("2024-01-12T09:00:00")));
    assert_eq!(ev[1]["recurrence_id"], json!(["2024-01-19T09:00:00", -300]));
    assert_eq!(ev[1]["dtstart"], json!(["2024-01-19T11:00:00", -300]));
    assert_eq!(ev[2]["occurrences"].as_array().map(Vec::len), Some(12));
    assert_eq!(ev[2]["occurrences"][4], "2024-05-31T17:30:00");
    assert_eq!(ev[3]["dtstart"], json!(["2024-07-04", null]));
    assert_eq!(ev[3]["occurrences"], json!(["2024-07-04T00:00:00", "2025-07-04T00:00:00", "2026-07-04T00:00:00"]));
    let t = &got["todos"];
    assert_eq!(t[0]["status"], "COMPLETED");
    assert_eq!(t[0]["percent"], "100");
    assert_eq!(t[0]["due"], json!(["2024-04-15", null]));
    assert_eq!(t[1]["status"], "IN-PROCESS");
    assert_eq!(t[1]["due"], json!(["2024-03-01T17:00:00", -300]));
    assert_eq!(got["journals"][0]["summary"], "Phone call with Jörg");
}

const EDGE_READER: &str = r#"
import json, sys, vobject, icalendar
card = vobject.readOne(open(sys.argv[1], encoding="utf-8").read())
card3 = vobject.readOne(open(sys.argv[2], encoding="utf-8").read())
cal = icalendar.Calendar.from_ical(open(sys.argv[3], "rb").read())
ev = next(iter(cal.walk("VEVENT")))
vcal = vobject.readOne(open(sys.argv[3], encoding="utf-8").read())
print(json.dumps({"fn": [card.fn.value, card3.fn.value], "note": [card.note.value, card3.note.value],
                  "summary": [str(ev["SUMMARY"]), vcal.vevent.summary.value],
                  "description": [str(ev["DESCRIPTION"]), vcal.vevent.description.value]}, ensure_ascii=False))
"#;

#[test]
fn parsers_read_folded_and_escaped_values_back() {
    if !mailshift_testkit::python_module("vobject") || !mailshift_testkit::python_module("icalendar") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let v4 = write_tmp(dir.path(), "e4.vcf", &vcard::write(&edge_contact(), VCardVersion::V4));
    let v3 = write_tmp(dir.path(), "e3.vcf", &vcard::write(&edge_contact(), VCardVersion::V3));
    let ics = write_tmp(dir.path(), "e.ics", &ical::write(&edge_calendar()));
    let got = python(EDGE_READER, &[&v4, &v3, &ics]);
    // Line breaks come back as `\n` whatever the source had (`\r\n` included).
    let awkward = AWKWARD.replace("\r\n", "\n");
    assert_eq!(got["fn"], json!([awkward, awkward]));
    let note = edge_contact().note.unwrap();
    assert_eq!(got["note"], json!([note, note]));
    assert_eq!(got["summary"], json!([awkward, awkward]));
    let long = edge_calendar().events[0].description.clone().unwrap();
    assert_eq!(got["description"], json!([long, long]));
}
