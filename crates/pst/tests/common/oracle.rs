//! What libpff's `pffexport` sees in a PST: folders and item counts, read
//! back from the directory tree `pffexport -t OUT` writes, and where it is
//! known to be wrong.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mailshift_pst::messaging::FolderTree;
use mailshift_pst::NID_ROOT_FOLDER;

/// Files MANIFEST.md says every tool rejects: they must give an error, or
/// open only on the salvage scan (issue 11), as damaged.
pub const REJECTED: &[&str] = &[
    // Header CRC mismatch and root BREFs pointing at the wrong pages.
    "AddingBulkMessagesWithImprovedPerformance.pst",
    // An mbox named .pst.
    "Examples_Data_SMTP__Outlook.pst",
];

/// True for a file every tool rejects.
pub fn is_rejected(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| REJECTED.contains(&n))
}

/// A fixture by its path under the fixtures directory (`None` after a
/// skip when the fixtures are missing; a panic when this one is).
pub fn fixture(rel: &str) -> Option<PathBuf> {
    let p = mailshift_testkit::fixtures_dir()?.join(rel);
    assert!(p.is_file(), "fixture {} is missing", p.display());
    Some(p)
}

/// Item directories pffexport writes: a type word and five digits
/// ("Message00001", "Contact00002", "Distribution list00001" ...).
fn is_item_dir(name: &str) -> bool {
    let digits = name.chars().rev().take_while(|c| c.is_ascii_digit()).count();
    digits == 5
        && name.len() > 5
        && name[..name.len() - 5].chars().all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '-')
}

/// Runs `pffexport -q -t SCRATCH/out PST`; the directory it exported to
/// (`SCRATCH/out.export`), `None` if it failed.
pub fn pffexport(tool: &Path, pst: &Path, scratch: &Path) -> Option<PathBuf> {
    let status = Command::new(tool).arg("-q").arg("-t").arg(scratch.join("out")).arg(pst).output().ok()?;
    status.status.success().then(|| scratch.join("out.export"))
}

/// Folder path (display names joined by '/') -> number of items exported,
/// or `None` if pffexport failed.
pub fn pffexport_tree(tool: &Path, pst: &Path, scratch: &Path) -> Option<BTreeMap<String, usize>> {
    let root = pffexport(tool, pst, scratch)?;
    let mut out = BTreeMap::new();
    collect(&root, "", &mut out);
    Some(out)
}

fn collect(dir: &Path, path: &str, out: &mut BTreeMap<String, usize>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut items = 0;
    for e in rd.flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if is_item_dir(&name) {
            items += 1;
            continue;
        }
        let p = if path.is_empty() { name.clone() } else { format!("{path}/{name}") };
        out.entry(p.clone()).or_insert(0);
        collect(&e.path(), &p, out);
    }
    if !path.is_empty() {
        *out.entry(path.to_string()).or_insert(0) = items;
    }
}

/// Item counts where libpff is wrong, as in tests/fixtures.rs (MANIFEST.md
/// "Tool disagreements"): Aspose chunks holding PtypUnspecified values,
/// whose items libpff drops; Test_part1, whose items libpff places by NBT
/// parent; Freebusy Data and pstsdk's test files, where libpff leaves single
/// items out.
pub fn count_exempt(name: &str, folder: &str) -> bool {
    name.contains("Personal_folders")
        || folder == "Freebusy Data"
        || name.ends_with("Test_part1.pst")
        || name.ends_with("test_ansi.pst")
        || name.ends_with("test_unicode.pst")
        || name.ends_with("hughbe_backup_with_rules.pst")
}

/// The IPM subtree's path from the root folder, as pffexport names its
/// directory ("" when the walk fell back to the root itself).
pub fn ipm_prefix(tree: &FolderTree) -> String {
    if tree.ipm_subtree == NID_ROOT_FOLDER {
        return String::new();
    }
    let Some(ipm) = tree.get(tree.ipm_subtree) else {
        return String::new();
    };
    let mut p: Vec<String> = match ipm.parent.and_then(|n| tree.get(n)) {
        Some(parent) if parent.nid != NID_ROOT_FOLDER => parent.path.clone(),
        _ => Vec::new(),
    };
    p.push(ipm.name.clone());
    p.join("/")
}
