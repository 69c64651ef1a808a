//! The PIM export end to end over every fixture that has PIM items: each
//! folder's contacts, lists, appointments, tasks, notes and journal entries
//! go through `convert` (beside a mail writer that only counts) into one
//! .vcf / .ics file per folder. Per folder, the count exported equals the
//! count pffexport exports, and the components in the file written equal
//! the folder's items of PIM classes, wherever they are filed (Aspose's
//! fixtures keep 66 contacts in a mail folder).

#[path = "common/oracle.rs"]
mod oracle;

use std::collections::BTreeMap;

use mailshift_core::pim::files::{PimOptions, WithPimFiles};
use mailshift_core::{convert, Folder, NoProgress, Options, Prepared, StoreReader, StoreWriter, Written};
use mailshift_pst::PstReader;

use oracle::{count_exempt, ipm_prefix, is_rejected};

/// A folder's file name as PimFiles gives it (path joined with " - ").
fn file_name(path: &str, ext: &str) -> String {
    format!("{}.{ext}", path.split('/').map(|p| p.replace(['/', '\\', ':', '*', '?', '"', '<', '>', '|'], "_")).collect::<Vec<_>>().join(" - "))
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
    let c = class.to_ascii_lowercase();
    ["ipm.contact", "ipm.abchperson", "ipm.distlist", "ipm.appointment", "ipm.task", "ipm.stickynote", "ipm.activity"]
        .iter()
        .any(|p| c == *p || c.starts_with(&format!("{p}.")))
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
    let (mut stores, mut folders, mut items) = (0, 0, 0u64);
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
        let mut target = WithPimFiles::new(Box::new(NoMail), &out, PimOptions { fsync: false, ..PimOptions::default() });
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
            for ext in ["vcf", "ics"] {
                if let Ok(text) = std::fs::read_to_string(out.join(file_name(&fr.path, ext))) {
                    written += items_in(&text);
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
    eprintln!("pffexport agreement on PIM folders: {stores} stores, {folders} folders, {items} items {by_kind:?}");
    assert!(stores >= 20, "compared only {stores} stores");
    assert!(folders >= 40 && items >= 200, "exported only {items} items in {folders} folders");
}
