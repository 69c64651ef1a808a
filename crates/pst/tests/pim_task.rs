//! Tasks, sticky notes and journal entries (`mailshift_pst::pim::task`)
//! over the fixtures: `pim/pim-rich.pst` field by field against what its
//! generator was given (`pim-rich.expected.json`), and every IPM.Task,
//! IPM.StickyNote and IPM.Activity of three fixtures written as iCalendar
//! and read back by Python's `icalendar`.

#[path = "common/pim.rs"]
mod pim_common;

use std::path::Path;
use std::process::Command;

use mailshift_core::pim::ical::{self, Calendar};
use mailshift_core::pim::{stable_uid, Date, Journal, Note, Task, TaskStatus, When};
use mailshift_pst::mapi::Message;
use mailshift_pst::pim::task::{journal, note, task};
use mailshift_pst::{tags, Store};
use pim_common::{folder_messages, strs, without_eval_suffix, EVAL_BANNER};
use serde_json::Value;

/// The tasks, notes and journal entries of a store, mapped.
struct Pim {
    tasks: Vec<(Message, Task)>,
    notes: Vec<Note>,
    journals: Vec<Journal>,
}

fn pim(path: &Path) -> Pim {
    let store = Store::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Pim { tasks: Vec::new(), notes: Vec::new(), journals: Vec::new() };
    for (_, m) in folder_messages(&store) {
        let class = m.class().to_ascii_lowercase();
        let id = m.nid.to_le_bytes();
        // Message classes are case-insensitive and may carry a suffix
        // ("IPM.Task.Custom"), [MS-OXCMSG] 2.2.1.3.
        let is = |c: &str| class == c || class.starts_with(&format!("{c}."));
        if is("ipm.task") {
            let t = task(&m, stable_uid("pst-task", &id));
            out.tasks.push((m, t));
        } else if is("ipm.stickynote") {
            out.notes.push(note(&m, stable_uid("pst-note", &id)));
        } else if is("ipm.activity") {
            out.journals.push(journal(&m, stable_uid("pst-journal", &id)));
        }
    }
    out
}

/// The body without the banner the generator's evaluation mode puts first,
/// line breaks as `\n`, without the trailing one.
fn eval_body(s: &str) -> String {
    let mut s = s;
    if s.trim_start().starts_with(EVAL_BANNER) {
        let rule = "________________________________\r\n";
        if let Some(i) = s.find(rule) {
            s = &s[i + rule.len()..];
        }
    }
    s.replace("\r\n", "\n").trim_end_matches('\n').to_string()
}

/// "2025-03-10T09:00:00" as (date, Unix seconds were it UTC).
fn parse_iso(s: &str) -> (Date, i64) {
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (y, mo, d) = (n(0..4), n(5..7), n(8..10));
    let secs = n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    let days = mailshift_core::time::days_from_civil(y, mo as u32, d as u32);
    (Date::new(y as i32, mo as u8, d as u8), days * 86_400 + secs)
}

#[test]
fn pim_rich_tasks_notes_and_journal_match_expected_json() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let json = std::fs::read_to_string(dir.join("pim/pim-rich.expected.json")).expect("expected json");
    let want: Value = serde_json::from_str(&json).expect("json parses");
    check_pim_rich_tasks(&dir.join("pim/pim-rich.pst"), &want);
}

/// Issue 10: the same checks on pim-rich.pst's items read as neutral items
/// and written into a new PST (`to_mapi`, `PstWriter`).
#[test]
fn pim_rich_written_back_tasks_notes_and_journal_match_expected_json() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let json = std::fs::read_to_string(dir.join("pim/pim-rich.expected.json")).expect("expected json");
    let want: Value = serde_json::from_str(&json).expect("json parses");
    let tmp = tempfile::tempdir().expect("temp dir");
    let written = tmp.path().join("written.pst");
    let report = pim_common::write_back(&dir.join("pim/pim-rich.pst"), &written);
    assert_eq!(report.total.failed, 0, "{:?}", report.folders);
    check_pim_rich_tasks(&written, &want);
}

fn check_pim_rich_tasks(pst: &Path, want: &Value) {
    let got = pim(pst);

    // Tasks.
    let tasks = want["tasks"].as_array().expect("tasks");
    assert_eq!(got.tasks.len(), tasks.len(), "task count");
    let mut priorities_checked = 0;
    for w in tasks {
        let subject = w["subject"].as_str().unwrap();
        let (m, t) = got
            .tasks
            .iter()
            .find(|(_, t)| t.summary.as_deref().map(without_eval_suffix) == Some(subject))
            .unwrap_or_else(|| panic!("no task {subject:?}"));
        let status = match w["status"].as_str().unwrap() {
            "not_started" | "waiting" | "deferred" => TaskStatus::NeedsAction,
            "in_progress" => TaskStatus::InProcess,
            "complete" => TaskStatus::Completed,
            s => panic!("status {s}"),
        };
        assert_eq!(t.status, Some(status), "{subject}: status");
        assert_eq!(t.percent_complete.map(u64::from), w["percent_complete"].as_u64(), "{subject}: percent");
        let date = |k: &str| w[k].as_str().map(|s| When::Date(parse_iso(s).0));
        assert_eq!(t.start, date("start_date"), "{subject}: start");
        assert_eq!(t.due, date("due_date"), "{subject}: due");
        assert_eq!(t.completed, w["date_completed"].as_str().map(|s| parse_iso(s).1), "{subject}: completed");
        assert_eq!(t.categories, strs(&w["categories"]), "{subject}: categories");
        assert_eq!(
            t.description.as_deref().map(eval_body).filter(|b| !b.is_empty()),
            w["body"].as_str().map(str::to_string),
            "{subject}: body"
        );
        // The generator wrote no PidTagImportance for these tasks (the
        // expected priority was not stored): PRIORITY is then absent, never
        // invented; where it is stored, low/normal/high give 9/5/1.
        match m.props.int(tags::IMPORTANCE) {
            Some(_) => {
                let p = match w["priority"].as_str().unwrap() {
                    "low" => 9,
                    "normal" => 5,
                    "high" => 1,
                    p => panic!("priority {p}"),
                };
                assert_eq!(t.priority, Some(p), "{subject}: priority");
                priorities_checked += 1;
            }
            None => assert_eq!(t.priority, None, "{subject}: priority without PidTagImportance"),
        }
        match w.get("recurrence") {
            Some(r) => {
                let rule = t.rrule.as_ref().unwrap_or_else(|| panic!("{subject}: no RRULE"));
                // Part order is free (RFC 5545 3.3.10).
                assert_eq!(
                    sorted_parts(&ical::rrule_value(rule, true)),
                    sorted_parts(r["rrule"].as_str().unwrap()),
                    "{subject}: rrule"
                );
                let days: Vec<&str> = rule.by_day.iter().map(|(_, d)| d.as_ical()).collect();
                assert_eq!(days, strs(&r["byday"]), "{subject}: byday");
                assert_eq!(u64::from(rule.interval), r["interval"].as_u64().unwrap());
                assert_eq!(rule.count.map(u64::from), r["count"].as_u64());
            }
            None => assert_eq!(t.rrule, None, "{subject}: rrule"),
        }
    }
    eprintln!(
        "pim-rich: {} tasks, priority checked on {priorities_checked} (others have no PidTagImportance)",
        tasks.len()
    );

    // Sticky notes.
    let notes = want["notes"].as_array().expect("notes");
    assert_eq!(got.notes.len(), notes.len(), "note count");
    for w in notes {
        let subject = w["subject"].as_str().unwrap();
        let n = got
            .notes
            .iter()
            .find(|n| n.summary.as_deref().map(without_eval_suffix) == Some(subject))
            .unwrap_or_else(|| panic!("no note {subject:?}"));
        assert_eq!(n.description.as_deref().map(eval_body).as_deref(), w["body"].as_str(), "{subject}: body");
        assert_eq!(n.categories, strs(&w["categories"]), "{subject}: categories");
        assert!(matches!(n.dtstart, Some(When::Utc(_))), "{subject}: dtstart");
        assert_eq!(n.dtstart, n.created.map(When::Utc));
    }

    // Journal entries: the type follows the user's categories.
    let entries = want["journal"].as_array().expect("journal");
    assert_eq!(got.journals.len(), entries.len(), "journal count");
    for w in entries {
        let subject = w["subject"].as_str().unwrap();
        let j = got
            .journals
            .iter()
            .find(|j| j.summary.as_deref().map(without_eval_suffix) == Some(subject))
            .unwrap_or_else(|| panic!("no journal entry {subject:?}"));
        assert_eq!(j.description.as_deref().map(eval_body).as_deref(), w["body"].as_str(), "{subject}: body");
        assert_eq!(j.dtstart, Some(When::Utc(parse_iso(w["start_utc"].as_str().unwrap()).1)), "{subject}: start");
        let mut cats = strs(&w["categories"]);
        cats.push(w["type"].as_str().unwrap().to_string());
        assert_eq!(j.categories, cats, "{subject}: categories");
    }
}

/// What Python's `icalendar` reads back from one VTODO / VJOURNAL.
#[derive(Debug, PartialEq)]
struct ReadBack {
    kind: String,
    uid: String,
    summary: Option<String>,
    status: Option<String>,
    percent: Option<String>,
    priority: Option<String>,
    due: Option<String>,
    dtstart: Option<String>,
    completed: Option<String>,
    rrule: Option<String>,
}

const READ_BACK: &str = r#"
import sys, json, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
out = []
errors = []
for c in cal.walk():
    errors += [str(e) for e in getattr(c, 'errors', [])]
    if c.name not in ('VTODO', 'VJOURNAL'):
        continue
    d = {'kind': c.name, 'uid': str(c.get('UID'))}
    for k in ('SUMMARY', 'STATUS', 'PERCENT-COMPLETE', 'PRIORITY'):
        v = c.get(k)
        d[k] = None if v is None else str(v)
    for k in ('DUE', 'DTSTART', 'COMPLETED'):
        v = c.get(k)
        d[k] = None if v is None else v.dt.isoformat()
    r = c.get('RRULE')
    d['RRULE'] = None if r is None else r.to_ical().decode()
    out.append(d)
print(json.dumps({'items': out, 'errors': errors}))
"#;

fn iso(w: &When) -> String {
    match w {
        When::Date(d) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        When::Utc(t) => {
            let c = mailshift_core::time::Civil::from_unix(*t);
            format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00", c.year, c.month, c.day, c.hour, c.minute, c.second)
        }
        When::Local { .. } => panic!("tasks and journals here have no local times"),
    }
}

fn sorted_parts(s: &str) -> String {
    let mut v: Vec<&str> = s.split(';').collect();
    v.sort_unstable();
    v.join(";")
}

#[test]
fn fixture_tasks_notes_and_journals_read_back_in_python_icalendar() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    if !mailshift_testkit::python_module("icalendar") {
        return;
    }
    // (file, tasks, notes, journal entries) each must hold.
    let cases = [
        ("pim/pim-rich.pst", 5, 3, 2),
        ("aspose-email__Aspose.Email-for-Java/MapiNoteToPST_out.pst", 0, 3, 0),
        ("hughbe__PstReader/hughbe_hughbe_Outlook.pst", 1, 0, 1),
    ];
    let tmp = tempfile::tempdir().expect("tempdir");
    for (file, nt, nn, nj) in cases {
        let got = pim(&dir.join(file));
        assert_eq!(
            (got.tasks.len(), got.notes.len(), got.journals.len()),
            (nt, nn, nj),
            "{file}: tasks, notes, journal entries"
        );
        let cal = Calendar {
            prodid: "-//mailshift//test//EN".into(),
            tasks: got.tasks.iter().map(|(_, t)| t.clone()).collect(),
            journals: got.notes.iter().chain(got.journals.iter()).cloned().collect(),
            ..Calendar::default()
        };
        let text = ical::write(&cal);
        let path = tmp.path().join("out.ics");
        std::fs::write(&path, &text).expect("write ics");
        let out = Command::new("python3").arg("-c").arg(READ_BACK).arg(&path).output().expect("python3 runs");
        assert!(out.status.success(), "{file}: icalendar failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("python output is json");
        assert_eq!(v["errors"].as_array().map(Vec::len), Some(0), "{file}: parse errors {}", v["errors"]);
        let s = |d: &Value, k: &str| d[k].as_str().map(str::to_string);
        let read: Vec<ReadBack> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|d| ReadBack {
                kind: s(d, "kind").unwrap(),
                uid: s(d, "uid").unwrap(),
                summary: s(d, "SUMMARY"),
                status: s(d, "STATUS"),
                percent: s(d, "PERCENT-COMPLETE"),
                priority: s(d, "PRIORITY"),
                due: s(d, "DUE"),
                dtstart: s(d, "DTSTART"),
                completed: s(d, "COMPLETED"),
                rrule: s(d, "RRULE").map(|r| sorted_parts(&r)),
            })
            .collect();
        let mut meant: Vec<ReadBack> = cal
            .tasks
            .iter()
            .map(|t| ReadBack {
                kind: "VTODO".into(),
                uid: t.uid.clone(),
                summary: t.summary.clone(),
                status: t.status.map(|s| {
                    match s {
                        TaskStatus::NeedsAction => "NEEDS-ACTION",
                        TaskStatus::InProcess => "IN-PROCESS",
                        TaskStatus::Completed => "COMPLETED",
                        TaskStatus::Cancelled => "CANCELLED",
                    }
                    .to_string()
                }),
                percent: t.percent_complete.map(|p| p.to_string()),
                priority: t.priority.map(|p| p.to_string()),
                due: t.due.as_ref().map(iso),
                dtstart: t.start.as_ref().map(iso),
                completed: t.completed.map(|c| iso(&When::Utc(c))),
                rrule: t.rrule.as_ref().map(|r| sorted_parts(&ical::rrule_value(r, true))),
            })
            .collect();
        meant.extend(cal.journals.iter().map(|j| ReadBack {
            kind: "VJOURNAL".into(),
            uid: j.uid.clone(),
            summary: j.summary.clone(),
            status: None,
            percent: None,
            priority: None,
            due: None,
            dtstart: j.dtstart.as_ref().map(iso),
            completed: None,
            rrule: None,
        }));
        assert_eq!(read, meant, "{file}");
        // Real content, not just agreement: every item has a summary.
        assert!(read.iter().all(|r| r.summary.as_deref().is_some_and(|s| !s.is_empty())), "{file}");
    }
}

#[test]
fn hughbe_task_and_journal_fields() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let got = pim(&dir.join("hughbe__PstReader/hughbe_hughbe_Outlook.pst"));
    let [(_, t)] = got.tasks.as_slice() else { panic!("one task, got {}", got.tasks.len()) };
    assert_eq!(t.summary.as_deref(), Some("Task"));
    assert_eq!(t.status, Some(TaskStatus::Completed));
    assert_eq!(t.percent_complete, Some(100));
    // PidTagImportance 1 (normal) and PidTagSensitivity 0 (normal).
    assert_eq!(t.priority, Some(5));
    assert_eq!(t.class, Some(mailshift_core::pim::Class::Public));
    // PidLidTaskDateCompleted: 2021-02-04.
    assert_eq!(t.completed.map(|c| When::Utc(c).date()), Some(Date::new(2021, 2, 4)));
    let [j] = got.journals.as_slice() else { panic!("one journal entry") };
    assert_eq!(j.summary.as_deref(), Some("Journal Entry"));
    assert_eq!(j.categories, vec!["Phone call".to_string()]);
    assert_eq!(j.dtstart.as_ref().map(When::date), Some(Date::new(2021, 2, 4)));
    let got = pim(&dir.join("aspose-email__Aspose.Email-for-Java/MapiNoteToPST_out.pst"));
    for n in &got.notes {
        assert_eq!(n.summary.as_deref(), Some("Blue color note"));
        assert_eq!(n.description.as_deref(), Some("This is a blue color note"));
    }
}
