//! Appointments and meetings (`mailshift_pst::pim::appointment::event`)
//! over the fixtures: the 11 events of `pim/pim-rich.pst` field by field
//! against what its generator was given (`pim-rich.expected.json`), their
//! calendar written by `ical::write` and read back by Python's `icalendar`
//! (an independent parser that also resolves the VTIMEZONEs), and every
//! appointment and meeting item of every fixture written and read back.
//!
//! The generator (Aspose.Email in evaluation mode) appends
//! "(Aspose.Email Evaluation)" to every subject and puts a banner ending
//! in a rule of underscores before every body; both are allowed here
//! explicitly ([`same_subject`], [`body_matches`]) and nowhere else.

#[path = "common/pim.rs"]
mod pim_common;

use std::io::Write;
use std::process::{Command, Stdio};

use mailshift_core::pim::ical::{self, Calendar};
use mailshift_core::pim::{BusyStatus, Class, DateTime, Event, Frequency, Role, When};
use mailshift_pst::mapi::Message;
use mailshift_pst::pim::appointment::event;
use mailshift_pst::pim::contact::{item_uid, store_record_key};
use mailshift_pst::Store;
use pim_common::{body_matches, is_calendar_item, messages, pim_rich, same_subject, strs};
use serde_json::Value;

/// "2025-03-12T08:30:00" as a DateTime.
fn dt(s: &str) -> DateTime {
    let p = |a: usize, b: usize| s[a..b].parse::<u32>().expect("number in date");
    DateTime::new(p(0, 4) as i32, p(5, 7) as u8, p(8, 10) as u8, p(11, 13) as u8, p(14, 16) as u8, p(17, 19) as u8)
}

fn unix(s: &str) -> i64 {
    let t = dt(s);
    mailshift_core::time::days_from_civil(i64::from(t.date.year), u32::from(t.date.month), u32::from(t.date.day))
        * 86_400
        + i64::from(t.hour) * 3600
        + i64::from(t.minute) * 60
}

/// A local time of the expected JSON in the form DTSTART has: zoned when
/// the event has a Windows zone, else UTC.
fn expected_when(tzid: Option<&str>, local: &str) -> When {
    match tzid {
        Some(t) => When::Local { time: dt(local), tzid: t.to_string() },
        None => When::Utc(unix(local)),
    }
}

/// pim-rich's events, each with its message and its expected object.
fn pim_rich_events(store: &Store, exp: &Value) -> Vec<(Message, Event, Value)> {
    let key = store_record_key(store).unwrap_or_default();
    let msgs: Vec<Message> = messages(store).into_iter().filter(is_calendar_item).collect();
    let want = exp["events"].as_array().expect("events");
    assert_eq!(msgs.len(), want.len(), "calendar items in pim-rich.pst");
    want.iter()
        .map(|w| {
            let subject = w["subject"].as_str().unwrap();
            let hits: Vec<&Message> = msgs.iter().filter(|m| same_subject(m.subject(), subject)).collect();
            assert_eq!(hits.len(), 1, "items with subject {subject:?}");
            let m = hits[0].clone();
            let e = event(&m, item_uid(&key, m.nid));
            (m, e, w.clone())
        })
        .collect()
}

#[test]
fn pim_rich_events_match_expected() {
    let Some((store, exp)) = pim_rich() else {
        return;
    };
    check_pim_rich_events(&store, &exp);
}

/// Issue 10: the same checks on pim-rich.pst's items read as neutral items
/// and written into a new PST (`to_mapi`, `PstWriter`).
#[test]
fn pim_rich_written_back_events_match_expected() {
    let Some((_, exp)) = pim_rich() else {
        return;
    };
    let dir = mailshift_testkit::fixtures_dir().expect("fixtures");
    let tmp = tempfile::tempdir().expect("temp dir");
    let written = tmp.path().join("written.pst");
    let report = pim_common::write_back(&dir.join("pim/pim-rich.pst"), &written);
    assert_eq!(report.total.failed, 0, "{:?}", report.folders);
    check_pim_rich_events(&Store::open(&written).expect("opens"), &exp);
}

fn check_pim_rich_events(store: &Store, exp: &Value) {
    let events = pim_rich_events(store, exp);
    let (mut zoned, mut all_day, mut recurring, mut overrides, mut exdates) = (0, 0, 0, 0, 0);
    let mut attendees_missing_from_file = 0;
    for (m, e, w) in &events {
        let subject = w["subject"].as_str().unwrap();
        assert!(same_subject(e.summary.as_deref(), subject), "{subject}: SUMMARY {:?}", e.summary);
        // Outlook's own UID form: upper-case hex of the clean global id.
        assert!(e.uid.starts_with("040000008200E00074C5B7101A82E008"), "{subject}: UID {}", e.uid);
        assert!(e.uid.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()), "{subject}: UID {}", e.uid);

        let tzid = w["timezone_windows"].as_str();
        let (start_local, end_local) = (w["start_local"].as_str().unwrap(), w["end_local"].as_str().unwrap());
        if w["all_day"].as_bool() == Some(true) {
            all_day += 1;
            assert!(e.all_day, "{subject}: all-day");
            assert_eq!(e.start, Some(When::Date(dt(start_local).date)), "{subject}: DTSTART");
            assert_eq!(e.end, Some(When::Date(dt(end_local).date)), "{subject}: DTEND (exclusive)");
        } else {
            assert!(!e.all_day, "{subject}: all-day");
            assert_eq!(e.start, Some(expected_when(tzid, start_local)), "{subject}: DTSTART");
            assert_eq!(e.end, Some(expected_when(tzid, end_local)), "{subject}: DTEND");
        }
        match tzid {
            Some(t) => {
                zoned += 1;
                assert_eq!(e.timezones.len(), 1, "{subject}: zones");
                let z = &e.timezones[0];
                assert_eq!(z.tzid, t, "{subject}: TZID");
                // The zone puts the local times on the expected instants.
                assert_eq!(
                    z.utc_from_local(&dt(start_local)),
                    unix(w["start_utc"].as_str().unwrap()),
                    "{subject}: start UTC"
                );
                assert_eq!(
                    z.utc_from_local(&dt(end_local)),
                    unix(w["end_utc"].as_str().unwrap()),
                    "{subject}: end UTC"
                );
            }
            None => assert!(e.timezones.is_empty(), "{subject}: zones {:?}", e.timezones),
        }
        assert_eq!(e.location.as_deref(), w["location"].as_str(), "{subject}: LOCATION");
        match w["body"].as_str() {
            Some(b) => assert!(
                e.description.as_deref().is_some_and(|d| body_matches(d, b)),
                "{subject}: DESCRIPTION {:?}",
                e.description
            ),
            None => assert!(e.description.as_deref().is_none_or(|d| body_matches(d, "")), "{subject}: DESCRIPTION"),
        }
        assert_eq!(e.reminder_minutes, w["reminder_minutes"].as_i64(), "{subject}: reminder");
        assert_eq!(e.categories, strs(&w["categories"]), "{subject}: CATEGORIES");
        let busy = match w["busy_status"].as_str() {
            Some("free") => Some(BusyStatus::Free),
            Some("tentative") => Some(BusyStatus::Tentative),
            Some("busy") => Some(BusyStatus::Busy),
            Some("oof") => Some(BusyStatus::OutOfOffice),
            Some(s) => panic!("{subject}: busy status {s}"),
            // Not given: the generator writes no PidLidBusyStatus.
            None => None,
        };
        assert_eq!(e.busy, busy, "{subject}: busy status");
        let class = match w["sensitivity"].as_str() {
            Some("private") | Some("personal") => Some(Class::Private),
            Some("confidential") => Some(Class::Confidential),
            Some("normal") => Some(Class::Public),
            Some(s) => panic!("{subject}: sensitivity {s}"),
            None => None,
        };
        assert_eq!(e.class, class, "{subject}: CLASS");

        // Organizer and attendees.
        match w.get("organizer") {
            Some(o) => {
                let org = e.organizer.as_ref().unwrap_or_else(|| panic!("{subject}: no ORGANIZER"));
                assert_eq!(org.name.as_deref(), o["display_name"].as_str(), "{subject}: organizer name");
                assert_eq!(Some(org.email.as_str()), o["address"].as_str(), "{subject}: organizer address");
            }
            None => assert_eq!(e.organizer, None, "{subject}: ORGANIZER"),
        }
        // The generator stored only the organizer's recipient row (pffexport
        // lists the same single row): the attendees it was given are not in
        // the file. Every attendee that is there must map with its role, and
        // every non-organizer row must become an attendee.
        assert_eq!(
            e.attendees.len(),
            m.recipients.len().saturating_sub(usize::from(e.organizer.is_some())),
            "{subject}: ATTENDEE count"
        );
        for a in w["attendees"].as_array().into_iter().flatten() {
            let addr = a["address"].as_str().unwrap();
            match e.attendees.iter().find(|x| x.email == addr) {
                Some(x) => {
                    let role = if a["role"] == "optional" { Role::Optional } else { Role::Required };
                    assert_eq!(x.role, role, "{subject}: role of {addr}");
                    assert_eq!(x.name.as_deref(), a["display_name"].as_str(), "{subject}: name of {addr}");
                }
                None => attendees_missing_from_file += 1,
            }
        }

        // Recurrence.
        let Some(rec) = w.get("recurrence") else {
            assert!(
                e.rrule.is_none() && e.exdates.is_empty() && e.overrides.is_empty(),
                "{subject}: single event has a series"
            );
            continue;
        };
        recurring += 1;
        let r = e.rrule.as_ref().unwrap_or_else(|| panic!("{subject}: no RRULE"));
        let freq = match rec["kind"].as_str().unwrap() {
            "daily" => Frequency::Daily,
            "weekly" => Frequency::Weekly,
            "monthly" | "monthly_nth" => Frequency::Monthly,
            "yearly" => Frequency::Yearly,
            k => panic!("{subject}: kind {k}"),
        };
        assert_eq!(
            (r.freq, u64::from(r.interval)),
            (freq, rec["interval"].as_u64().unwrap()),
            "{subject}: FREQ/INTERVAL"
        );
        assert_eq!(r.count.map(u64::from), rec["count"].as_u64(), "{subject}: COUNT");
        assert_eq!(
            r.by_day.iter().map(|(_, d)| d.as_ical().to_string()).collect::<Vec<_>>(),
            strs(&rec["byday"]),
            "{subject}: BYDAY"
        );
        if let Some(pos) = rec["bysetpos"].as_i64() {
            let ours = r
                .by_set_pos
                .first()
                .map(|p| i64::from(*p))
                .or_else(|| r.by_day.first().and_then(|(n, _)| n.map(i64::from)));
            assert_eq!(ours, Some(pos), "{subject}: position");
        }
        assert_eq!(r.by_month_day.first().map(|d| i64::from(*d)), rec["bymonthday"].as_i64(), "{subject}: BYMONTHDAY");
        if freq == Frequency::Yearly {
            assert_eq!(r.by_month, vec![dt(start_local).date.month], "{subject}: BYMONTH");
        }
        match rec["until"].as_str() {
            Some(u) => {
                // UNTIL: the last day at the series' start time, in UTC
                // (DTSTART is zoned). The generator stored EndDate a day
                // early (2025-04-29 for "until 2025-04-30" in Berlin); its
                // OccurrenceCount gives the last day back (recur.rs).
                let z = &e.timezones[0];
                let mut last = dt(u);
                let start = dt(start_local);
                (last.hour, last.minute) = (start.hour, start.minute);
                let exact = z.utc_from_local(&last);
                match r.until {
                    Some(When::Utc(t)) => assert_eq!(t, exact, "{subject}: UNTIL"),
                    ref other => panic!("{subject}: UNTIL {other:?}"),
                }
            }
            None => assert_eq!(r.until, None, "{subject}: UNTIL"),
        }
        let want_ex: Vec<When> =
            strs(&rec["deleted_occurrences_local"]).iter().map(|l| expected_when(tzid, l)).collect();
        assert_eq!(e.exdates, want_ex, "{subject}: EXDATE");
        exdates += e.exdates.len();
        let mods = rec["modified_occurrences"].as_array().cloned().unwrap_or_default();
        assert_eq!(e.overrides.len(), mods.len(), "{subject}: overrides");
        for (o, x) in e.overrides.iter().zip(&mods) {
            overrides += 1;
            assert_eq!(o.uid, e.uid, "{subject}: override UID");
            assert_eq!(
                o.recurrence_id,
                Some(expected_when(tzid, x["original_start_local"].as_str().unwrap())),
                "{subject}: RECURRENCE-ID"
            );
            assert_eq!(
                o.start,
                Some(expected_when(tzid, x["new_start_local"].as_str().unwrap())),
                "{subject}: override start"
            );
            assert_eq!(
                o.end,
                Some(expected_when(tzid, x["new_end_local"].as_str().unwrap())),
                "{subject}: override end"
            );
            assert!(
                same_subject(o.summary.as_deref(), x["subject"].as_str().unwrap()),
                "{subject}: override SUMMARY {:?}",
                o.summary
            );
            let loc = x["location"].as_str().or(w["location"].as_str());
            assert_eq!(o.location.as_deref(), loc, "{subject}: override LOCATION");
            assert_eq!(o.busy, e.busy, "{subject}: override busy status");
            assert!(o.rrule.is_none() && o.overrides.is_empty(), "{subject}: override has a series");
        }
    }
    println!(
        "{} events: {zoned} zoned, {all_day} all-day, {recurring} recurring, {exdates} EXDATEs, {overrides} overrides; \
         {attendees_missing_from_file} expected attendees are not in the file",
        events.len()
    );
    assert_eq!((events.len(), zoned, all_day, recurring, exdates, overrides), (11, 6, 3, 6, 2, 2));
    // 张伟, Zoë and Bob were given to the generator and are not in the file.
    assert_eq!(attendees_missing_from_file, 3);
}

/// Python reads an iCalendar file from stdin and prints one JSON object
/// per VEVENT: its UID, summary, DTSTART/DTEND (ISO, plus the UTC instant
/// for zoned or UTC values), RECURRENCE-ID, RRULE and EXDATEs, and the
/// VTIMEZONE ids.
const PY_READ: &str = r#"
import sys, json, datetime, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
def iso(v):
    if v is None: return None
    d = v.dt
    out = {"iso": d.isoformat(), "date": not isinstance(d, datetime.datetime)}
    if isinstance(d, datetime.datetime) and d.tzinfo is not None:
        out["utc"] = d.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return out
evs = []
for ev in cal.walk("VEVENT"):
    ex = []
    for e in (ev.get("EXDATE") if isinstance(ev.get("EXDATE"), list) else [ev.get("EXDATE")] if ev.get("EXDATE") else []):
        ex += [iso(x) for x in e.dts]
    evs.append({"uid": str(ev.get("UID")), "summary": str(ev.get("SUMMARY")),
                "start": iso(ev.get("DTSTART")), "end": iso(ev.get("DTEND")),
                "rid": iso(ev.get("RECURRENCE-ID")),
                "rrule": ev.get("RRULE").to_ical().decode() if ev.get("RRULE") else None,
                "exdates": ex})
print(json.dumps({"events": evs, "zones": [str(z.get("TZID")) for z in cal.walk("VTIMEZONE")]}))
"#;

/// The calendar as Python's icalendar reads it, `None` when Python or the
/// module is missing (reported by testkit).
fn python_read(ics: &str) -> Option<Value> {
    if !mailshift_testkit::python_module("icalendar") {
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", PY_READ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().expect("stdin").write_all(ics.as_bytes()).expect("write ics");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "icalendar could not read the calendar: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("python prints JSON"))
}

fn calendar(events: Vec<Event>) -> String {
    ical::write(&Calendar { prodid: "-//mailshift//tests//EN".into(), events, ..Calendar::default() })
}

#[test]
fn pim_rich_calendar_reads_back_in_python_icalendar() {
    let Some((store, exp)) = pim_rich() else {
        return;
    };
    let events = pim_rich_events(&store, &exp);
    let ics = calendar(events.iter().map(|(_, e, _)| e.clone()).collect());
    // MAILSHIFT_ICS_OUT=path keeps the calendar for a look.
    if let Some(p) = std::env::var_os("MAILSHIFT_ICS_OUT") {
        std::fs::write(p, &ics).expect("write MAILSHIFT_ICS_OUT");
    }
    let Some(py) = python_read(&ics) else {
        return;
    };
    let got = py["events"].as_array().expect("events");
    // 11 masters and the 2 overrides.
    assert_eq!(got.len(), 13, "VEVENTs read back");
    let mut zones = strs(&py["zones"]);
    zones.sort();
    assert_eq!(zones, vec!["Pacific Standard Time", "W. Europe Standard Time"], "VTIMEZONEs");
    let mut checked_utc = 0;
    for (_, e, w) in &events {
        let subject = w["subject"].as_str().unwrap();
        let master = got
            .iter()
            .find(|v| v["uid"] == e.uid.as_str() && v["rid"].is_null())
            .unwrap_or_else(|| panic!("{subject}: no VEVENT with its UID"));
        assert!(same_subject(master["summary"].as_str(), subject), "{subject}: SUMMARY read back");
        if w["all_day"].as_bool() == Some(true) {
            let date = |s: &str| s[..10].to_string();
            assert_eq!(master["start"]["date"], true, "{subject}: DTSTART is a DATE");
            assert_eq!(
                master["start"]["iso"].as_str(),
                Some(date(w["start_local"].as_str().unwrap()).as_str()),
                "{subject}: DTSTART"
            );
            assert_eq!(
                master["end"]["iso"].as_str(),
                Some(date(w["end_local"].as_str().unwrap()).as_str()),
                "{subject}: DTEND"
            );
        } else {
            // Python resolved TZID (or Z) to the instant the generator meant.
            assert_eq!(master["start"]["utc"].as_str(), w["start_utc"].as_str(), "{subject}: DTSTART instant");
            assert_eq!(master["end"]["utc"].as_str(), w["end_utc"].as_str(), "{subject}: DTEND instant");
            assert!(
                master["start"]["iso"].as_str().unwrap().starts_with(w["start_local"].as_str().unwrap()),
                "{subject}: DTSTART wall time"
            );
            checked_utc += 1;
        }
        let rec = w.get("recurrence");
        assert_eq!(master["rrule"].is_null(), rec.is_none(), "{subject}: RRULE read back");
        if let Some(rec) = rec {
            let n = strs(&rec["deleted_occurrences_local"]).len();
            assert_eq!(master["exdates"].as_array().map_or(0, Vec::len), n, "{subject}: EXDATEs read back");
            for (i, x) in rec["modified_occurrences"].as_array().into_iter().flatten().enumerate() {
                let o = got
                    .iter()
                    .filter(|v| v["uid"] == e.uid.as_str() && !v["rid"].is_null())
                    .nth(i)
                    .unwrap_or_else(|| panic!("{subject}: override {i} not read back"));
                assert!(
                    o["rid"]["iso"].as_str().unwrap().starts_with(x["original_start_local"].as_str().unwrap()),
                    "{subject}: RECURRENCE-ID read back"
                );
                assert!(
                    o["start"]["iso"].as_str().unwrap().starts_with(x["new_start_local"].as_str().unwrap()),
                    "{subject}: override DTSTART read back"
                );
            }
        }
    }
    assert_eq!(checked_utc, 8, "timed events checked against their UTC instants");
}

#[test]
fn every_fixture_calendar_item_writes_a_readable_calendar() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let (mut items, mut vevents, mut files_with, mut zoned, mut series) = (0usize, 0usize, 0usize, 0usize, 0usize);
    for path in &files {
        let Ok(store) = Store::open(path) else {
            continue;
        };
        let key = store_record_key(&store).unwrap_or_default();
        let events: Vec<Event> =
            messages(&store).iter().filter(|m| is_calendar_item(m)).map(|m| event(m, item_uid(&key, m.nid))).collect();
        if events.is_empty() {
            continue;
        }
        files_with += 1;
        items += events.len();
        zoned += events.iter().filter(|e| !e.timezones.is_empty()).count();
        series += events.iter().filter(|e| e.rrule.is_some()).count();
        let want = events.iter().map(|e| 1 + e.overrides.len()).sum::<usize>();
        for e in &events {
            assert!(!e.uid.is_empty(), "{}: empty UID", path.display());
            // Every zone an event names is among its zones.
            for w in e.start.iter().chain(e.end.iter()).chain(e.exdates.iter()) {
                if let When::Local { tzid, .. } = w {
                    assert!(
                        e.timezones.iter().any(|z| &z.tzid == tzid),
                        "{}: TZID {tzid} without its zone",
                        path.display()
                    );
                }
            }
        }
        let ics = calendar(events);
        let Some(py) = python_read(&ics) else {
            return;
        };
        let got = py["events"].as_array().map_or(0, Vec::len);
        assert_eq!(got, want, "{}: VEVENTs read back", path.display());
        for v in py["events"].as_array().into_iter().flatten() {
            assert!(!v["start"].is_null() || v["rid"].is_null(), "{}: override without DTSTART", path.display());
        }
        vevents += got;
        println!("{}: {} VEVENTs", path.file_name().and_then(|n| n.to_str()).unwrap_or("?"), got);
    }
    println!(
        "total: {items} calendar items ({zoned} zoned, {series} recurring) -> {vevents} VEVENTs in {files_with} files"
    );
    // pim-rich alone has 11 items; SampleOstFile.ost 5 appointments and 6 meetings.
    assert!(items >= 22 && files_with >= 2, "{items} items in {files_with} files");
}

/// An Outlook-made series (java-libpst's dist-list.pst, Pacific time):
/// weekly on Tuesday at 08:00, 9 August deleted, 23 and 30 August moved to
/// 09:00 and 10:00. Outlook keeps each moved occurrence's own text in an
/// exception attachment ([MS-OXOCAL] 2.2.10.1), which the recurrence blob
/// has no room for: the overrides carry it.
#[test]
fn outlook_exception_attachments_give_the_overrides_their_own_body() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return };
    let path = dir.join("rjohnsondev__java-libpst/dist-list.pst");
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let series: Vec<Event> = messages(&store)
        .iter()
        .filter(|m| is_calendar_item(m))
        .map(|m| event(m, String::new()))
        .filter(|e| e.rrule.is_some())
        .collect();
    assert_eq!(series.len(), 1);
    let e = &series[0];
    let tz = "Pacific Standard Time".to_string();
    let at = |d: u8, h: u8| When::Local { time: DateTime::new(2016, 8, d, h, 0, 0), tzid: tz.clone() };
    assert_eq!(e.start, Some(at(2, 8)));
    assert_eq!(e.exdates, vec![at(9, 8)]);
    assert_eq!(e.description.as_deref().map(str::trim_end), Some("This is a complete test"));
    let overrides: Vec<(Option<When>, Option<When>, Option<&str>)> = e
        .overrides
        .iter()
        .map(|o| (o.recurrence_id.clone(), o.start.clone(), o.description.as_deref().map(str::trim_end)))
        .collect();
    assert_eq!(
        overrides,
        vec![
            (Some(at(23, 8)), Some(at(23, 9)), Some("This is the appointment at 9")),
            (Some(at(30, 8)), Some(at(30, 10)), Some("This is the one at 10")),
        ]
    );
}
