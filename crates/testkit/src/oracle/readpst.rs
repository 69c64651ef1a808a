//! readpst (libpst) as an oracle: `readpst -S` writes one directory per
//! folder of the IPM subtree, each item as a file named by its number
//! (`1`, `2`, ...: RFC 822 mail, a vCard or an iCalendar object) and each
//! attachment it has bytes for beside it as `N-filename`.
//!
//! Options: `-q` quiet (errors only), `-D` include the Deleted Items folder
//! (left out by default), `-j 0` no child processes (output that cannot
//! depend on scheduling), `-b` no `rtf-body.rtf` made up from
//! PidTagRtfCompressed (not an attachment of the PST), `-S` separate files.
//! The top directory is the store's display name: the IPM subtree.

use std::path::Path;
use std::process::Command;

use super::{find_program, run, sha256_hex, stderr_lines, OracleError, RawError, RawFolder, RawView, MAX_DEPTH};

pub(super) fn raw(pst: &Path) -> Result<RawView, OracleError> {
    let tool = find_program("readpst", "Debian package pst-utils")?;
    let scratch = tempfile::tempdir().map_err(|e| OracleError::Failed(format!("scratch directory: {e}")))?;
    let ran = run(Command::new(tool).args(["-q", "-D", "-j", "0", "-b", "-S", "-o"]).arg(scratch.path()).arg(pst))?;
    if ran.code != 0 {
        return Err(OracleError::Failed(format!("readpst exited with {}: {}", ran.code, ran.stderr.trim())));
    }
    let stores: Vec<_> = std::fs::read_dir(scratch.path())
        .map_err(|e| OracleError::Failed(format!("readpst's output: {e}")))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    let [store] = stores.as_slice() else {
        return Err(OracleError::Failed(format!(
            "readpst wrote {} store directories, not one: {}",
            stores.len(),
            ran.stderr.trim()
        )));
    };
    let mut view = RawView { folders: Vec::new(), ipm_subtree: Some(Vec::new()), errors: stderr_lines(&ran.stderr) };
    walk(&store.path(), Vec::new(), &mut view);
    Ok(view)
}

/// One folder directory and those below it.
fn walk(dir: &Path, path: Vec<String>, view: &mut RawView) {
    let mut folder = RawFolder { path: path.clone(), ..RawFolder::default() };
    let mut subdirs = Vec::new();
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().collect(),
        Err(e) => {
            view.errors.push(RawError::global(format!("{}: {e}", dir.display())));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let p = e.path();
        if p.is_dir() {
            subdirs.push((p, name));
            continue;
        }
        let data = match std::fs::read(&p) {
            Ok(d) => d,
            Err(err) => {
                view.errors.push(RawError::global(format!("{}: {err}", p.display())));
                continue;
            }
        };
        let digits = name.bytes().take_while(u8::is_ascii_digit).count();
        if digits == name.len() && digits > 0 {
            folder.count += 1;
            folder.subjects.push(subject(&data));
            if let Some(f) = mail_fact(&data) {
                folder.facts.push(f);
            }
        } else if digits > 0 && name.as_bytes()[digits] == b'-' {
            folder.attachments.push(sha256_hex(&data));
        } else {
            view.errors
                .push(RawError::global(format!("readpst wrote a file this oracle does not know: {}", p.display())));
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

/// The subject of one item file: the `Subject:` header of mail, `FN` of a
/// vCard (readpst writes no subject for contacts), `SUMMARY` of an
/// iCalendar object (readpst's PidTagSubject for appointments, tasks and
/// journal entries).
fn subject(data: &[u8]) -> String {
    if data.starts_with(b"BEGIN:VCARD") {
        return content_line(data, "FN").unwrap_or_default();
    }
    if data.starts_with(b"BEGIN:VCALENDAR") {
        return content_line(data, "SUMMARY").unwrap_or_default();
    }
    mail_parser::MessageParser::default()
        .parse_headers(data)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default()
}

/// The [`super::fact`] of a mail item file, from its header (readpst
/// writes the message's transport headers when it has them).
fn mail_fact(data: &[u8]) -> Option<String> {
    if data.starts_with(b"BEGIN:") {
        return None;
    }
    let m = mail_parser::MessageParser::default().parse_headers(data)?;
    // Every To and Cc field (a message may have two).
    let list = |n: mail_parser::HeaderName<'_>| -> Vec<String> {
        m.header_values(n)
            .filter_map(|v| v.as_address())
            .flat_map(|a| a.iter().filter_map(|x| x.address.as_deref().map(str::to_string)))
            .collect()
    };
    let from = m.from().and_then(|a| a.first()).and_then(|a| a.address.as_deref().map(str::to_string));
    Some(super::fact(
        m.message_id(),
        from.as_deref(),
        &list(mail_parser::HeaderName::To),
        &list(mail_parser::HeaderName::Cc),
        m.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp()),
    ))
}

/// The value of the first content line `name` (RFC 6350 3.2 / RFC 5545
/// 3.1: unfolded, parameters skipped, backslash escapes undone).
fn content_line(data: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let mut unfolded: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match (line.strip_prefix(' ').or_else(|| line.strip_prefix('\t')), unfolded.last_mut()) {
            (Some(cont), Some(last)) => last.push_str(cont),
            _ => unfolded.push(line.to_string()),
        }
    }
    let line = unfolded.iter().find(|l| {
        l.len() > name.len()
            && l[..name.len()].eq_ignore_ascii_case(name)
            && matches!(l.as_bytes()[name.len()], b':' | b';')
    })?;
    let value = &line[line.find(':')? + 1..];
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_of_each_kind_of_file() {
        assert_eq!(subject(b"BEGIN:VCARD\nFN:Razzaq\\, Saqib\nN:Razzaq;Saqib;;;\nEND:VCARD\n"), "Razzaq, Saqib");
        assert_eq!(
            subject(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY;LANGUAGE=en:Weekly\r\n  meeting\\; room 5\r\nEND:VEVENT\r\n"),
            "Weekly meeting; room 5"
        );
        assert_eq!(subject(b"From: a@b\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nbody"), "Grüße");
        assert_eq!(subject(b"From: a@b\r\n\r\nno subject"), "");
    }
}
