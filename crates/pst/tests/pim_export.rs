//! The PIM export end to end over every fixture that has PIM items: each
//! folder's contacts, lists, appointments, tasks, notes and journal entries
//! go through `convert` (beside a mail writer that only counts) into one
//! .vcf / .ics file per folder. Per folder, the count exported equals the
//! count pffexport exports, and the components in the file written equal
//! the folder's items of PIM classes, wherever they are filed (Aspose's
//! fixtures keep 66 contacts in a mail folder). Every file written is read
//! back by two parsers that are not ours, a Rust one (`calcard` + `ical`)
//! and Python's (`icalendar` and `vobject`): neither reports an error, the
//! Python readings equal the Rust one value for value, and the Rust one
//! holds, item for item, the names, summaries, start and due times and
//! e-mail addresses of the items we meant to write.

#[path = "common/oracle.rs"]
mod oracle;

use std::collections::BTreeMap;

use mailshift_core::pim::files::{PimOptions, WithPimFiles};
use mailshift_core::pim::When;
use mailshift_core::{convert, Folder, Item, NoProgress, Options, Prepared, StoreReader, StoreWriter, Written};
use mailshift_pst::PstReader;
use mailshift_testkit::pim::{python_pim, rust_ics, rust_vcf, IcsDate};

use oracle::{count_exempt, ipm_prefix, is_rejected};

// (Python is optional for a newcomer: python_pim skips without it.)

/// A folder's file name as PimFiles gives it (path joined with " - ").
fn file_name(path: &str, ext: &str) -> String {
    format!(
        "{}.{ext}",
        path.split('/')
            .map(|p| p.replace(['/', '\\', ':', '*', '?', '"', '<', '>', '|'], "_"))
            .collect::<Vec<_>>()
            .join(" - ")
    )
}

/// Top-level components of a written file that stand for one source item:
/// vCards, and the VEVENTs (masters only: a modified occurrence has a
/// RECURRENCE-ID), VTODOs and VJOURNALs of a calendar.
fn items_in(text: &str) -> usize {
    let unfolded = text.replace("\r\n ", "");
    let mut n = 0;
    let mut in_event = false;
    let mut override_ = false;
    for line in unfolded.split("\r\n") {
        match line {
            "BEGIN:VCARD" | "BEGIN:VTODO" | "BEGIN:VJOURNAL" => n += 1,
            "BEGIN:VEVENT" => {
                in_event = true;
                override_ = false;
            }
            "END:VEVENT" => {
                in_event = false;
                if !override_ {
                    n += 1;
                }
            }
            l if in_event && l.starts_with("RECURRENCE-ID") => override_ = true,
            _ => {}
        }
    }
    n
}

/// A mail writer that keeps nothing.
struct NoMail;

impl StoreWriter for NoMail {
    fn format_name(&self) -> &'static str {
        "none"
    }
    fn begin(&mut self, _: &[Folder]) -> mailshift_core::Result<()> {
        Ok(())
    }
    fn open_folder(&mut self, _: &Folder) -> mailshift_core::Result<()> {
        Ok(())
    }
    fn write(&mut self, _: &Prepared<'_>) -> mailshift_core::Result<Written> {
        Ok(Written::default())
    }
    fn close_folder(&mut self) -> mailshift_core::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> mailshift_core::Result<()> {
        Ok(())
    }
}

/// The PIM classes ([MS-OXCMSG] 2.2.1.3: case-insensitive, with suffixes).
fn is_pim_class(class: &str) -> bool {
    ["ipm.contact", "ipm.abchperson", "ipm.distlist", "ipm.appointment", "ipm.task", "ipm.stickynote", "ipm.activity"]
        .iter()
        .any(|p| mailshift_pst::mapi::class_is(class, p))
}

/// vobject reads a time in a VTIMEZONE named "UTC" (Outlook's name for
/// the zone) as a UTC time; the others keep the zone. The same instant:
/// both forms are made the UTC one before comparing.
fn utc_zone_as_utc(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(local)) = map.get("local") {
                if local.get("tzid").and_then(|t| t.as_str()) == Some("UTC") {
                    let time = local.get("time").cloned().unwrap_or_default();
                    map.remove("local");
                    map.insert("utc".into(), time);
                    return;
                }
            }
            for x in map.values_mut() {
                utc_zone_as_utc(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(utc_zone_as_utc),
        _ => {}
    }
}

/// An item's start (events), due (tasks) or date as the parsers report it.
fn ics_date(w: &When, all_day: bool) -> IcsDate {
    let ymd = |d: mailshift_core::pim::Date| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day);
    if all_day {
        return IcsDate::Date(ymd(w.date()));
    }
    match w {
        When::Date(d) => IcsDate::Date(ymd(*d)),
        When::Utc(t) => {
            let c = mailshift_core::time::Civil::from_unix(*t);
            IcsDate::Utc(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            ))
        }
        When::Local { time, tzid } => IcsDate::Local {
            time: format!("{}T{:02}:{:02}:{:02}", ymd(time.date), time.hour, time.minute, time.second),
            tzid: (!tzid.is_empty()).then(|| tzid.clone()),
        },
    }
}

/// What we meant to write for the PIM items of one folder: per file
/// extension, sorted (kind, summary or name, start/due, e-mail addresses).
type Meant = BTreeMap<&'static str, Vec<(String, String, String, String)>>;

fn meant(reader: &PstReader, folder: &Folder) -> Meant {
    let mut out = Meant::new();
    let text = |s: &Option<String>| s.clone().unwrap_or_default().replace('\r', "");
    for m in reader.items(folder.id).unwrap_or_default() {
        let Ok(item) = reader.read(m.id) else { continue };
        let (ext, row) = match &item {
            Item::Contact(c) => (
                "vcf",
                (
                    "contact".into(),
                    c.full_name.clone(),
                    String::new(),
                    c.emails.iter().map(|e| e.address.clone()).collect::<Vec<_>>().join(","),
                ),
            ),
            Item::DistList(d) => ("vcf", ("group".into(), d.name.clone(), String::new(), d.members.len().to_string())),
            Item::Event(e) => {
                for o in &e.overrides {
                    let start = o.start.as_ref().map(|w| format!("{:?}", ics_date(w, o.all_day))).unwrap_or_default();
                    out.entry("ics").or_default().push((
                        "VEVENT override".into(),
                        text(&o.summary),
                        start,
                        String::new(),
                    ));
                }
                let start = e.start.as_ref().map(|w| format!("{:?}", ics_date(w, e.all_day))).unwrap_or_default();
                ("ics", ("VEVENT".into(), text(&e.summary), start, String::new()))
            }
            Item::Task(t) => {
                let due = t.due.as_ref().map(|w| format!("{:?}", ics_date(w, false))).unwrap_or_default();
                ("ics", ("VTODO".into(), text(&t.summary), due, String::new()))
            }
            Item::Note(j) | Item::Journal(j) => {
                ("ics", ("VJOURNAL".into(), text(&j.summary), String::new(), String::new()))
            }
            _ => continue,
        };
        out.entry(ext).or_default().push(row);
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// The same rows, from what the Rust parser read in a written file.
fn read_back(ext: &str, text: &str, what: &str) -> Vec<(String, String, String, String)> {
    let mut rows = Vec::new();
    if ext == "vcf" {
        let cards = rust_vcf(text).unwrap_or_else(|e| panic!("{what}: the Rust parser rejects it: {e}"));
        for c in cards {
            let name = c.full_name.clone().unwrap_or_default();
            if c.kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("group")) || !c.members.is_empty() {
                rows.push(("group".into(), name, String::new(), c.members.len().to_string()));
            } else {
                let emails = c.emails.iter().map(|e| e.value.clone()).collect::<Vec<_>>().join(",");
                rows.push(("contact".into(), name, String::new(), emails));
            }
        }
    } else {
        let cal = rust_ics(text).unwrap_or_else(|e| panic!("{what}: the Rust parser rejects it: {e}"));
        for c in cal.components {
            let summary = c.summary.clone().unwrap_or_default();
            let row = match c.kind.as_str() {
                "VEVENT" => {
                    let kind = if c.recurrence_id.is_some() { "VEVENT override" } else { "VEVENT" };
                    (
                        kind.into(),
                        summary,
                        c.dtstart.as_ref().map(|d| format!("{d:?}")).unwrap_or_default(),
                        String::new(),
                    )
                }
                "VTODO" => (
                    "VTODO".into(),
                    summary,
                    c.due.as_ref().map(|d| format!("{d:?}")).unwrap_or_default(),
                    String::new(),
                ),
                "VJOURNAL" => ("VJOURNAL".into(), summary, String::new(), String::new()),
                _ => continue,
            };
            rows.push(row);
        }
    }
    rows.sort();
    rows
}

#[test]
fn every_pim_folder_exports_as_many_items_as_pffexport() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let Some(tool) = mailshift_testkit::tool("pffexport") else {
        return;
    };
    let scratch_root = tempfile::tempdir().expect("scratch");
    let (mut stores, mut folders, mut items, mut files_checked) = (0, 0, 0u64, 0);
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if is_rejected(f) {
            continue;
        }
        let name = f.display().to_string();
        let Ok(reader) = PstReader::open(f) else { continue };
        let Ok(all) = reader.folders() else { continue };
        // Items of PIM classes, by folder.
        let mut expected: BTreeMap<String, usize> = BTreeMap::new();
        for folder in &all {
            let n = reader
                .items(folder.id)
                .unwrap_or_default()
                .iter()
                .filter(|m| reader.item_class(m.id).is_some_and(|c| is_pim_class(&c)))
                .count();
            if n > 0 {
                *expected.entry(folder.display_path()).or_default() += n;
            }
        }
        if expected.is_empty() {
            continue;
        }
        let scratch = scratch_root.path().join(i.to_string());
        std::fs::create_dir_all(&scratch).unwrap();
        let Some(theirs) = oracle::pffexport_tree(&tool, f, &scratch).filter(|t| !t.is_empty()) else {
            continue;
        };
        let prefix = ipm_prefix(reader.tree().expect("walk"));
        let theirs: BTreeMap<String, usize> = theirs
            .into_iter()
            .filter_map(|(k, v)| {
                if prefix.is_empty() {
                    Some((k, v))
                } else {
                    k.strip_prefix(&format!("{prefix}/")).map(|k| (k.to_string(), v))
                }
            })
            .collect();
        let out = scratch.join("pim");
        let mut target =
            WithPimFiles::new(Box::new(NoMail), &out, PimOptions { fsync: false, ..PimOptions::default() });
        let report = convert(&reader, &mut target, None, &Options::default(), &NoProgress)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        stores += 1;
        for fr in &report.folders {
            let same_name = all.iter().filter(|f| f.display_path() == fr.path).count();
            assert_eq!(fr.counts.failed, 0, "{name}: {}: {:?}", fr.path, fr.failures);
            assert_eq!(fr.counts.skipped_duplicate, 0, "{name}: {}: {:?}", fr.path, fr.skips);
            if same_name > 1 || count_exempt(&name, &fr.path) {
                continue;
            }
            assert_eq!(
                Some(fr.counts.copied as usize),
                theirs.get(&fr.path.replace('~', "_")).copied(),
                "{name}: items in {} ({:?})",
                fr.path,
                fr.skips
            );
            let want = expected.get(&fr.path).copied().unwrap_or(0);
            let mut written = 0;
            let folder = all.iter().find(|f| f.display_path() == fr.path).expect("folder");
            let meant = if want > 0 { meant(&reader, folder) } else { Meant::new() };
            for ext in ["vcf", "ics"] {
                let path = out.join(file_name(&fr.path, ext));
                let Ok(text) = std::fs::read_to_string(&path) else { continue };
                written += items_in(&text);
                let what = format!("{name}: {}", path.display());
                // Two parsers that are not ours read what we meant.
                assert_eq!(read_back(ext, &text, &what), meant.get(ext).cloned().unwrap_or_default(), "{what}");
                let rust = if ext == "vcf" {
                    serde_json::to_value(rust_vcf(&text).expect("checked above")).unwrap()
                } else {
                    serde_json::to_value(rust_ics(&text).expect("checked above")).unwrap()
                };
                if let Some(py) = python_pim(&path) {
                    assert_eq!(py["errors"], serde_json::json!([]), "{what}: Python reports errors");
                    let readers: &[&str] = if ext == "vcf" { &["vobject"] } else { &["icalendar", "vobject"] };
                    for r in readers {
                        let mut theirs = py[*r].clone();
                        if *r == "vobject" {
                            utc_zone_as_utc(&mut theirs);
                            let mut ours = rust.clone();
                            utc_zone_as_utc(&mut ours);
                            assert_eq!(theirs, ours, "{what}: Python {r} reads other values than the Rust parser");
                        } else {
                            assert_eq!(theirs, rust, "{what}: Python {r} reads other values than the Rust parser");
                        }
                    }
                    files_checked += 1;
                }
            }
            assert_eq!(written, want, "{name}: components written for {}", fr.path);
            if want > 0 {
                folders += 1;
                items += want as u64;
                *by_kind.entry(fr.kind.as_str()).or_default() += want as u64;
            }
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
    eprintln!(
        "pffexport agreement on PIM folders: {stores} stores, {folders} folders, {items} items {by_kind:?}; \
         {files_checked} files read back by calcard/ical, icalendar and vobject"
    );
    assert!(stores >= 20, "compared only {stores} stores");
    assert!(folders >= 40 && items >= 200, "exported only {items} items in {folders} folders");
}
