//! pffexport (libpff) as an oracle: `pffexport -q -t OUT FILE` writes
//! `OUT.export/`, one directory per folder from the root folder down (the
//! IPM subtree is one of them, found by [`super::find_ipm_subtree`]:
//! pffexport does not say which), one directory per item named by its
//! kind and a five-digit number (`Message00001`, `Contact00002`,
//! `DistributionList00001` ...), holding a text file with the item's
//! `Subject:` (`OutlookHeaders.txt`, `Contact.txt`, `Appointment.txt` ...)
//! and its attachments as files in `Attachments/` (embedded messages as
//! directories there, not compared).

use std::path::Path;
use std::process::Command;

use super::{find_program, run, sha256_hex, stderr_lines, OracleError, RawError, RawFolder, RawView, MAX_DEPTH};

/// Files of an item directory that hold no `Subject:` line of the item (the
/// body, recipients, headers as sent).
const NOT_HEADERS: [&str; 6] = [
    "Message.txt",
    "Recipients.txt",
    "RecipientsItemValues.txt",
    "ItemValues.txt",
    "ConversationIndex.txt",
    "InternetHeaders.txt",
];

pub(super) fn raw(pst: &Path) -> Result<RawView, OracleError> {
    let tool = find_program("pffexport", "Debian package pff-tools")?;
    let scratch = tempfile::tempdir().map_err(|e| OracleError::Failed(format!("scratch directory: {e}")))?;
    let target = scratch.path().join("out");
    let ran = run(Command::new(tool).arg("-q").arg("-t").arg(&target).arg(pst))?;
    let root = scratch.path().join("out.export");
    if !root.is_dir() {
        return Err(OracleError::Failed(format!(
            "pffexport exited with {} and exported nothing: {}",
            ran.code,
            ran.stderr.trim()
        )));
    }
    let mut view = RawView { folders: Vec::new(), ipm_subtree: None, errors: stderr_lines(&ran.stderr) };
    if ran.code != 0 {
        view.errors.push(RawError::global(format!("pffexport exited with {}", ran.code)));
    }
    walk(&root, Vec::new(), &mut view);
    Ok(view)
}

/// An item directory: a kind (letters and spaces) and five digits.
fn is_item_dir(name: &str) -> bool {
    let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count();
    digits == 5
        && name.len() > 5
        && name[..name.len() - 5].chars().all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '-')
}

fn walk(dir: &Path, path: Vec<String>, view: &mut RawView) {
    let mut folder = RawFolder { path: path.clone(), ..RawFolder::default() };
    let mut subdirs = Vec::new();
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().filter(|e| e.path().is_dir()).collect(),
        Err(e) => {
            view.errors.push(RawError::global(format!("{}: {e}", dir.display())));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_item_dir(&name) {
            folder.count += 1;
            folder.subjects.push(item_subject(&e.path()));
            attachments(&e.path().join("Attachments"), &mut folder.attachments, view);
        } else {
            subdirs.push((e.path(), name));
        }
    }
    view.folders.push(folder);
    if path.len() >= MAX_DEPTH {
        return;
    }
    for (p, name) in subdirs {
        let mut sub = path.clone();
        sub.push(name);
        walk(&p, sub, view);
    }
}

/// The first `Subject:` line of the item's header files, `""` for none.
fn item_subject(item: &Path) -> String {
    let Ok(rd) = std::fs::read_dir(item) else { return String::new() };
    let mut files: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| x == "txt")
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !NOT_HEADERS.contains(&n))
        })
        .collect();
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read(&f) else { continue };
        let text = String::from_utf8_lossy(&text);
        if let Some(v) = text.lines().find_map(|l| l.strip_prefix("Subject:")) {
            return v.trim_start_matches('\t').to_string();
        }
    }
    String::new()
}

/// sha256 of each file in an item's `Attachments/` (directories there are
/// embedded messages).
fn attachments(dir: &Path, out: &mut Vec<String>, view: &mut RawView) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if !p.is_file() {
            continue;
        }
        match std::fs::read(&p) {
            Ok(data) => out.push(sha256_hex(&data)),
            Err(err) => view.errors.push(RawError::global(format!("{}: {err}", p.display()))),
        }
    }
}
