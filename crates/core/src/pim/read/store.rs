//! [`PimReader`]: a `.vcf` or `.ics` file, or a directory tree of them, as
//! a store.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{ical, vcard, Component, ParseProblem, Parser};
use crate::mmap::Mapped;
use crate::model::{Folder, FolderId, FolderKind, FolderRole, Item, ItemId, Problem, Severity};
use crate::pim::files::PimFileKind;
use crate::pim::TimeZone;
use crate::store::{ItemMeta, StoreReader};
use crate::{Error, Result};

/// Directories deeper than this are not entered.
const MAX_DEPTH: usize = 64;

/// How many bytes of a file the probe looks at.
const PROBE_BYTES: u64 = 4096;

/// What kind of file `bytes` (its beginning) is: the first line that is
/// not blank is `BEGIN:VCARD` or `BEGIN:VCALENDAR` (case-insensitive; a
/// UTF-8 byte-order mark before it is allowed).
pub fn sniff(bytes: &[u8]) -> Option<PimFileKind> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b.iter().position(|c| !c.is_ascii_whitespace())?;
    let rest = &b[start..];
    let line = rest.split(|&c| c == b'\n').next().unwrap_or(rest);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line: Vec<u8> = line.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    if line.eq_ignore_ascii_case(b"BEGIN:VCARD") {
        Some(PimFileKind::Vcf)
    } else if line.eq_ignore_ascii_case(b"BEGIN:VCALENDAR") {
        Some(PimFileKind::Ics)
    } else {
        None
    }
}

fn sniff_file(path: &Path) -> Option<PimFileKind> {
    let f = crate::fsio::open_source(path).ok()?;
    let mut buf = Vec::with_capacity(PROBE_BYTES as usize);
    f.take(PROBE_BYTES).read_to_end(&mut buf).ok()?;
    sniff(&buf)
}

/// Properties not read, by name: how many entries had them, and the
/// offset of the first.
type Unread = std::collections::BTreeMap<String, (usize, usize)>;

fn note_unread(c: &Component, unread: &mut Unread) {
    for n in super::unread(c) {
        let e = unread.entry(n).or_insert((0, c.start));
        e.0 += 1;
    }
}

/// A file's items by the kind of folder they go to.
type KindGroups = Vec<(FolderKind, Vec<usize>)>;

/// What kind of item an entry gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Card,
    Event,
    Task,
    Journal,
    Note,
}

#[derive(Debug)]
struct Entry {
    file: usize,
    /// Index into [`PimReader::zones`].
    zones: usize,
    kind: Kind,
    /// Byte ranges in the file: the entry, then (for a recurring event)
    /// its overrides.
    ranges: Vec<(usize, usize)>,
    uid: String,
}

#[derive(Debug)]
struct FolderEntry {
    folder: Folder,
    items: Vec<usize>,
}

#[derive(Debug)]
struct FileEntry {
    path: PathBuf,
    map: Mapped,
}

/// Reads vCard and iCalendar files.
///
/// A single file is a store of one folder named after it (`contacts.vcf`
/// is the folder `contacts`); a directory is read recursively, each file a
/// folder under the path of its directory. File names that our writer
/// ([`crate::pim::files::PimFiles`]) gives subfolders are read back as
/// them: `Calendar - Team.ics` is the folder `Calendar/Team`. A `.vcf` is
/// a Contacts folder; an `.ics` is a Calendar, Tasks or Journal folder by
/// what it holds, and when it holds several kinds, the first (events,
/// then tasks, then journal entries) is the file's folder and the others
/// its subfolders `Tasks`, `Journal`, `Notes`. `VJOURNAL`s are notes in a
/// file whose folder is called Notes (as Outlook's notes folder, which our
/// writer exports as VJOURNALs), journal entries elsewhere. A directory
/// whose every file holds one entry and is named after its UID
/// (`<uid>.vcf`, as vdirsyncer, Radicale and DAVx5 keep collections) is
/// one folder named after the directory instead.
///
/// Each file is mapped and read once at [`open`](PimReader::open), which
/// reports every problem (a component never closed is skipped, a value
/// that cannot be read is left out) and keeps the entries' byte ranges;
/// [`read`](StoreReader::read) parses one entry again. A modified
/// occurrence (`RECURRENCE-ID`) is read with its master, in the master's
/// [`crate::pim::Event::overrides`].
#[derive(Debug)]
pub struct PimReader {
    path: PathBuf,
    files: Vec<FileEntry>,
    zones: Vec<Vec<TimeZone>>,
    entries: Vec<Entry>,
    folders: Vec<FolderEntry>,
    problems: Vec<Problem>,
    format: &'static str,
    facts: Vec<(String, String)>,
}

impl PimReader {
    /// True if `path` is a vCard or iCalendar file, or a directory that
    /// holds such files and no other (hidden files aside), by content.
    pub fn probe(path: &Path) -> bool {
        if path.is_file() {
            return sniff_file(path).is_some();
        }
        if !path.is_dir() {
            return false;
        }
        let (mut pim, mut other, mut seen) = (0u32, 0u32, 0u32);
        let mut stack = vec![(path.to_path_buf(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else { continue };
            for e in rd.flatten() {
                seen += 1;
                if seen > 1000 {
                    return pim > 0 && other == 0;
                }
                if e.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    if depth < 8 {
                        stack.push((e.path(), depth + 1));
                    }
                } else if sniff_file(&e.path()).is_some() {
                    pim += 1;
                } else {
                    other += 1;
                }
            }
        }
        pim > 0 && other == 0
    }

    /// Opens a file or a directory. `kind` forces a single file to be read
    /// as vCard or iCalendar whatever its first line (`--from vcf`); in a
    /// directory, every vCard and iCalendar file is read.
    pub fn open(path: &Path, kind: Option<PimFileKind>) -> Result<PimReader> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let mut r = PimReader {
            path: path.to_path_buf(),
            files: Vec::new(),
            zones: Vec::new(),
            entries: Vec::new(),
            folders: Vec::new(),
            problems: Vec::new(),
            format: "vcf",
            facts: Vec::new(),
        };
        // (relative folder path of the file's directory, file path, kind)
        let mut found: Vec<(Vec<String>, PathBuf, PimFileKind)> = Vec::new();
        if meta.is_file() {
            let k = match kind.or_else(|| sniff_file(path)) {
                Some(k) => k,
                None => {
                    return Err(Error::Format {
                        path: path.to_path_buf(),
                        structure: "vCard/iCalendar file",
                        offset: 0,
                        reason: "does not begin with BEGIN:VCARD or BEGIN:VCALENDAR".into(),
                    })
                }
            };
            found.push((Vec::new(), path.to_path_buf(), k));
        } else if meta.is_dir() {
            r.walk(path, &mut found)?;
        } else {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: "neither a file nor a directory".into(),
            });
        }
        found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut planned: Vec<(Vec<String>, FolderKind, Vec<usize>)> = Vec::new();
        // Per file: its directory's path, its own folder path, its items by
        // kind, and whether it is one entry of a collection (see below).
        let mut per_file: Vec<(Vec<String>, Vec<String>, KindGroups, bool)> = Vec::new();
        let from_dir = meta.is_dir();
        let (mut vcf, mut ics) = (0, 0);
        let mut versions: Vec<(String, usize)> = Vec::new();
        let mut prodids: Vec<String> = Vec::new();
        for (dir_path, file, k) in found {
            let map = match Mapped::open(&file) {
                Ok(m) => m,
                Err(e) => {
                    r.problems.push(Problem::new(
                        Severity::Unreadable,
                        file.display().to_string(),
                        "file",
                        None,
                        e.to_string(),
                    ));
                    continue;
                }
            };
            let idx = r.files.len();
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let mut base = dir_path.clone();
            base.extend(stem.split(" - ").map(str::to_string).filter(|s| !s.is_empty()));
            if base.is_empty() {
                base.push(stem.clone());
            }
            let mut problems = Vec::new();
            let mut unread = Unread::new();
            let groups = match k {
                PimFileKind::Vcf => {
                    vcf += 1;
                    let items = r.index_vcf(idx, &map, &mut problems, &mut versions, &mut unread);
                    vec![(FolderKind::Contacts, items)]
                }
                PimFileKind::Ics => {
                    ics += 1;
                    let notes = is_notes_folder(base.last().map(String::as_str).unwrap_or(""));
                    r.index_ics(idx, &map, notes, &mut problems, &mut prodids, &mut unread)
                }
            };
            let what = match k {
                PimFileKind::Vcf => "vCard",
                PimFileKind::Ics => "iCalendar",
            };
            for p in problems {
                r.problems.push(Problem::new(
                    p.severity,
                    file.display().to_string(),
                    format!("{what} {}", p.structure),
                    Some(p.offset),
                    p.message,
                ));
            }
            if let Some(&(_, first)) = unread.values().next() {
                let first = unread.values().map(|(_, o)| *o).min().unwrap_or(first);
                let list: Vec<String> = unread.iter().map(|(n, (count, _))| format!("{n} ({count})")).collect();
                r.problems.push(Problem::new(
                    Severity::Note,
                    file.display().to_string(),
                    format!("{what} properties"),
                    Some(first as u64),
                    format!("not read, the model has no place for them: {}", list.join(", ")),
                ));
            }
            r.files.push(FileEntry { path: file, map });
            let entries: Vec<usize> = groups.iter().flat_map(|(_, i)| i.iter().copied()).collect();
            let member = from_dir && entries.len() == 1 && is_uid_name(&stem, &r.entries[entries[0]].uid);
            per_file.push((dir_path, base, groups, member));
        }
        // A directory whose every file holds one entry named after its UID
        // is a collection as CardDAV/CalDAV tools keep them (vdirsyncer,
        // Radicale, DAVx5 backups: `<uid>.vcf`): one folder, named after
        // the directory, whose items are the files' entries.
        let mut i = 0;
        while i < per_file.len() {
            let dir = per_file[i].0.clone();
            let n = per_file[i..].iter().take_while(|f| f.0 == dir).count();
            let files = &per_file[i..i + n];
            let mut add = |path: Vec<String>, groups: KindGroups| {
                let mut first = true;
                for (fk, items) in groups {
                    let mut p = path.clone();
                    if !first {
                        p.push(kind_folder_name(fk).to_string());
                    }
                    first = false;
                    planned.push((p, fk, items));
                }
            };
            if files.iter().all(|f| f.3) {
                let mut path = dir.clone();
                if path.is_empty() {
                    path.push(path_name(&r.path));
                }
                let notes = is_notes_folder(path.last().map(String::as_str).unwrap_or(""));
                let mut merged: KindGroups = Vec::new();
                for (_, _, groups, _) in files {
                    for (fk, items) in groups {
                        let fk = if notes && *fk == FolderKind::Journal { FolderKind::Notes } else { *fk };
                        match merged.iter_mut().find(|(k, _)| *k == fk) {
                            Some((_, v)) => v.extend(items),
                            None => merged.push((fk, items.clone())),
                        }
                    }
                }
                for (fk, items) in &merged {
                    if *fk == FolderKind::Notes {
                        for &e in items {
                            r.entries[e].kind = Kind::Note;
                        }
                    }
                }
                let order = |k: &FolderKind| match k {
                    FolderKind::Contacts => 0,
                    FolderKind::Calendar => 1,
                    FolderKind::Tasks => 2,
                    _ => 3,
                };
                merged.sort_by_key(|(k, _)| order(k));
                add(path, merged);
            } else {
                for (_, base, groups, _) in files {
                    add(base.clone(), groups.clone());
                }
            }
            i += n;
        }
        r.format = match (vcf, ics) {
            (_, 0) => "vcf",
            (0, _) => "ics",
            _ => "vcf/ics",
        };
        r.facts.push(("files".into(), format!("{vcf} vCard, {ics} iCalendar")));
        if !versions.is_empty() {
            let v: Vec<String> = versions.iter().map(|(v, n)| format!("{v} ({n})")).collect();
            r.facts.push(("vCard versions".into(), v.join(", ")));
        }
        if !prodids.is_empty() {
            r.facts.push(("PRODID".into(), prodids.join("; ")));
        }
        r.build_folders(planned);
        Ok(r)
    }

    fn walk(&mut self, root: &Path, found: &mut Vec<(Vec<String>, PathBuf, PimFileKind)>) -> Result<()> {
        let mut stack = vec![(root.to_path_buf(), Vec::<String>::new())];
        while let Some((dir, rel)) = stack.pop() {
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) if dir == root => return Err(Error::io(&dir, e)),
                Err(e) => {
                    self.problems.push(Problem::new(
                        Severity::Unreadable,
                        dir.display().to_string(),
                        "directory",
                        None,
                        format!("cannot list the directory (its files are not read): {e}"),
                    ));
                    continue;
                }
            };
            for e in rd {
                let e = match e {
                    Ok(e) => e,
                    Err(err) => {
                        self.problems.push(Problem::new(
                            Severity::Unreadable,
                            dir.display().to_string(),
                            "directory",
                            None,
                            format!("cannot read a directory entry: {err}"),
                        ));
                        continue;
                    }
                };
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let p = e.path();
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    if rel.len() >= MAX_DEPTH {
                        self.problems.push(Problem::new(
                            Severity::Note,
                            p.display().to_string(),
                            "directory",
                            None,
                            format!("deeper than {MAX_DEPTH} levels; not read"),
                        ));
                        continue;
                    }
                    let mut r = rel.clone();
                    r.push(name);
                    stack.push((p, r));
                } else if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                    match sniff_file(&p) {
                        Some(k) => found.push((rel.clone(), p, k)),
                        None => self.problems.push(Problem::new(
                            Severity::Note,
                            p.display().to_string(),
                            "file",
                            None,
                            "not a vCard or iCalendar file; skipped",
                        )),
                    }
                }
            }
        }
        Ok(())
    }

    fn index_vcf(
        &mut self,
        file: usize,
        text: &[u8],
        problems: &mut Vec<ParseProblem>,
        versions: &mut Vec<(String, usize)>,
        unread: &mut Unread,
    ) -> Vec<usize> {
        let mut p = Parser::new(text);
        let mut items = Vec::new();
        while let Some((_, c)) = p.next_entry() {
            if c.name != "VCARD" {
                problems.push(ParseProblem::note(c.start, &c.name, format!("{} in a vCard file; skipped", c.name)));
                continue;
            }
            let v = c.prop("VERSION").map(|p| p.value.trim().to_string()).unwrap_or_else(|| "?".into());
            match versions.iter_mut().find(|(x, _)| *x == v) {
                Some((_, n)) => *n += 1,
                None => versions.push((v, 1)),
            }
            note_unread(&c, unread);
            let card = vcard::card(&c, &text[c.start..c.end], problems);
            items.push(self.entries.len());
            self.entries.push(Entry {
                file,
                zones: 0,
                kind: Kind::Card,
                ranges: vec![(c.start, c.end)],
                uid: card.uid().to_string(),
            });
        }
        problems.extend(std::mem::take(&mut p.problems));
        items
    }

    /// Indexes an iCalendar file: its items by kind, in kind order.
    fn index_ics(
        &mut self,
        file: usize,
        text: &[u8],
        notes: bool,
        problems: &mut Vec<ParseProblem>,
        prodids: &mut Vec<String>,
        unread: &mut Unread,
    ) -> KindGroups {
        let mut p = Parser::new(text);
        let mut comps: Vec<(usize, Component)> = Vec::new();
        while let Some(e) = p.next_entry() {
            comps.push(e);
        }
        problems.extend(std::mem::take(&mut p.problems));
        for (_, prop) in p.calendar_props.iter().filter(|(_, p)| p.name == "PRODID") {
            let v = prop.text();
            if !prodids.contains(&v) && prodids.len() < 4 {
                prodids.push(v);
            }
        }
        let zone_base = self.zones.len();
        let mut zones: Vec<Vec<TimeZone>> = vec![Vec::new(); p.calendars.max(1)];
        for (cal, c) in &comps {
            if c.name == "VTIMEZONE" {
                if let Some(z) = ical::timezone(c, problems) {
                    zones[*cal].push(z);
                }
            }
        }
        let (mut events, mut tasks, mut journals) = (Vec::new(), Vec::new(), Vec::new());
        // Masters first, so that overrides find them wherever they stand.
        let mut overrides: Vec<(usize, String, (usize, usize))> = Vec::new();
        for (cal, c) in &comps {
            let z = &zones[*cal];
            let raw = &text[c.start..c.end];
            let zi = zone_base + cal;
            note_unread(c, unread);
            match c.name.as_str() {
                "VTIMEZONE" => {}
                "VEVENT" => {
                    let e = ical::event(c, raw, z, problems);
                    if e.recurrence_id.is_some() {
                        overrides.push((zi, e.uid, (c.start, c.end)));
                    } else {
                        events.push(self.entries.len());
                        self.entries.push(Entry {
                            file,
                            zones: zi,
                            kind: Kind::Event,
                            ranges: vec![(c.start, c.end)],
                            uid: e.uid,
                        });
                    }
                }
                "VTODO" => {
                    let t = ical::task(c, raw, z, problems);
                    tasks.push(self.entries.len());
                    self.entries.push(Entry {
                        file,
                        zones: zi,
                        kind: Kind::Task,
                        ranges: vec![(c.start, c.end)],
                        uid: t.uid,
                    });
                }
                "VJOURNAL" => {
                    let j = ical::journal(c, raw, z, problems);
                    journals.push(self.entries.len());
                    let kind = if notes { Kind::Note } else { Kind::Journal };
                    self.entries.push(Entry { file, zones: zi, kind, ranges: vec![(c.start, c.end)], uid: j.uid });
                }
                other => problems.push(ParseProblem::note(c.start, other, format!("{other} is not read; skipped"))),
            }
        }
        // Overrides join the first master of their UID in the file (as
        // `ical::read` groups them).
        let mut masters: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for &i in &events {
            masters.entry(self.entries[i].uid.clone()).or_insert(i);
        }
        for (zi, uid, range) in overrides {
            match masters.get(&uid).copied() {
                Some(i) => self.entries[i].ranges.push(range),
                None => {
                    // A modified occurrence whose master is not in the
                    // file: an event of its own.
                    events.push(self.entries.len());
                    self.entries.push(Entry { file, zones: zi, kind: Kind::Event, ranges: vec![range], uid });
                }
            }
        }
        self.zones.extend(zones);
        let mut out = Vec::new();
        for (k, items) in [
            (FolderKind::Calendar, events),
            (FolderKind::Tasks, tasks),
            (if notes { FolderKind::Notes } else { FolderKind::Journal }, journals),
        ] {
            if !items.is_empty() {
                out.push((k, items));
            }
        }
        if out.is_empty() {
            out.push((FolderKind::Calendar, Vec::new()));
        }
        out
    }

    /// Makes the folder list: paths unique, every parent present, parents
    /// before children, id = index.
    fn build_folders(&mut self, planned: Vec<(Vec<String>, FolderKind, Vec<usize>)>) {
        let mut list: Vec<(Vec<String>, FolderKind, Vec<usize>)> = Vec::new();
        for (mut path, kind, items) in planned {
            let last = path.len() - 1;
            let name = path[last].clone();
            let mut n = 2;
            while list.iter().any(|(p, _, _)| *p == path) {
                path[last] = format!("{name} ({n})");
                n += 1;
            }
            list.push((path, kind, items));
        }
        let mut i = 0;
        while i < list.len() {
            let (path, kind) = (list[i].0.clone(), list[i].1);
            for len in 1..path.len() {
                let prefix = path[..len].to_vec();
                if !list.iter().any(|(p, _, _)| *p == prefix) {
                    list.push((prefix, kind, Vec::new()));
                }
            }
            i += 1;
        }
        list.sort_by(|a, b| a.0.cmp(&b.0));
        let paths: Vec<Vec<String>> = list.iter().map(|(p, _, _)| p.clone()).collect();
        for (i, (path, kind, items)) in list.into_iter().enumerate() {
            let parent = if path.len() > 1 {
                paths.iter().position(|p| *p == path[..path.len() - 1]).map(|i| FolderId(i as u64))
            } else {
                None
            };
            let name = path.last().cloned().unwrap_or_default();
            self.folders.push(FolderEntry {
                folder: Folder { id: FolderId(i as u64), parent, path, name, kind, role: FolderRole::None },
                items,
            });
        }
    }

    fn entry(&self, id: ItemId) -> Result<&Entry> {
        usize::try_from(id.0)
            .ok()
            .and_then(|f| self.folders.get(f))
            .and_then(|f| usize::try_from(id.1).ok().and_then(|i| f.items.get(i)))
            .and_then(|&e| self.entries.get(e))
            .ok_or_else(|| Error::UnknownItem { path: self.path.clone(), id: format!("{}/{}", id.0, id.1) })
    }

    fn component(&self, file: &FileEntry, (start, end): (usize, usize)) -> Result<Component> {
        let text = file.map.get(start..end).unwrap_or(&[]);
        Parser::new(text).next_entry().map(|(_, c)| c).ok_or_else(|| Error::Format {
            path: file.path.clone(),
            structure: "vCard/iCalendar component",
            offset: start as u64,
            reason: "the entry no longer reads (the file changed since it was opened?)".into(),
        })
    }
}

/// True if a file's name (without extension) is its one entry's UID, as
/// collection tools name them (characters a file name cannot hold
/// replaced, case aside).
fn is_uid_name(stem: &str, uid: &str) -> bool {
    let safe: String = uid.chars().map(|c| if c.is_alphanumeric() || "-_.@+=".contains(c) { c } else { '_' }).collect();
    let stem_safe: String =
        stem.chars().map(|c| if c.is_alphanumeric() || "-_.@+=".contains(c) { c } else { '_' }).collect();
    !uid.is_empty() && (stem.eq_ignore_ascii_case(uid) || stem_safe.eq_ignore_ascii_case(&safe))
}

/// The last component of a path, for a folder name.
fn path_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).filter(|n| !n.is_empty()).unwrap_or_else(|| "PIM".into())
}

/// A folder name that says notes (Outlook's notes folder, in the languages
/// its default folders are most often named in, with or without "(This
/// computer only)").
fn is_notes_folder(name: &str) -> bool {
    let n = name.trim();
    let n = n.strip_suffix("(This computer only)").unwrap_or(n).trim().to_lowercase();
    matches!(n.as_str(), "notes" | "notizen" | "notas" | "note" | "memos" | "notities" | "anteckningar")
}

fn kind_folder_name(k: FolderKind) -> &'static str {
    match k {
        FolderKind::Calendar => "Calendar",
        FolderKind::Tasks => "Tasks",
        FolderKind::Notes => "Notes",
        FolderKind::Journal => "Journal",
        FolderKind::Contacts => "Contacts",
        FolderKind::Mail => "Mail",
    }
}

impl StoreReader for PimReader {
    fn format_name(&self) -> &'static str {
        self.format
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn folders(&self) -> Result<Vec<Folder>> {
        Ok(self.folders.iter().map(|f| f.folder.clone()).collect())
    }

    fn items(&self, folder: FolderId) -> Result<Vec<ItemMeta>> {
        let f = usize::try_from(folder.0)
            .ok()
            .and_then(|i| self.folders.get(i))
            .ok_or_else(|| Error::UnknownItem { path: self.path.clone(), id: format!("folder {}", folder.0) })?;
        Ok(f.items
            .iter()
            .enumerate()
            .map(|(i, &e)| {
                let size: usize = self.entries[e].ranges.iter().map(|(s, t)| t - s).sum();
                ItemMeta { id: ItemId(folder.0, i as u64), size: Some(size as u64) }
            })
            .collect())
    }

    fn read(&self, id: ItemId) -> Result<Item<'_>> {
        let e = self.entry(id)?;
        let file = &self.files[e.file];
        let zones = self.zones.get(e.zones).map(Vec::as_slice).unwrap_or(&[]);
        let mut sink = Vec::new();
        let first = self.component(file, e.ranges[0])?;
        let raw = file.map.get(e.ranges[0].0..e.ranges[0].1).unwrap_or(&[]);
        Ok(match e.kind {
            Kind::Card => match vcard::card(&first, raw, &mut sink) {
                vcard::Card::Contact(c) => Item::Contact(Box::new(c)),
                vcard::Card::Group(g) => Item::DistList(Box::new(g)),
            },
            Kind::Event => {
                let mut ev = ical::event(&first, raw, zones, &mut sink);
                for &r in &e.ranges[1..] {
                    let c = self.component(file, r)?;
                    let o = ical::event(&c, file.map.get(r.0..r.1).unwrap_or(&[]), zones, &mut sink);
                    ev.overrides.push(o);
                }
                ev.timezones = ical::zones_of(&ev, zones);
                Item::Event(Box::new(ev))
            }
            Kind::Task => Item::Task(Box::new(ical::task(&first, raw, zones, &mut sink))),
            Kind::Journal => Item::Journal(Box::new(ical::journal(&first, raw, zones, &mut sink))),
            Kind::Note => Item::Note(Box::new(ical::journal(&first, raw, zones, &mut sink))),
        })
    }

    fn describe(&self, id: ItemId) -> String {
        match self.entry(id) {
            Ok(e) => {
                let f = &self.files[e.file];
                // Relative to the directory read; a single file by its name.
                let rel = f
                    .path
                    .strip_prefix(&self.path)
                    .ok()
                    .filter(|p| !p.as_os_str().is_empty())
                    .or_else(|| f.path.file_name().map(Path::new))
                    .unwrap_or(&f.path);
                format!("{}: UID {} at offset {}", rel.display(), e.uid, e.ranges[0].0)
            }
            Err(_) => format!("item {}/{}", id.0, id.1),
        }
    }

    fn problems(&self) -> Vec<Problem> {
        self.problems.clone()
    }

    fn facts(&self) -> Vec<(String, String)> {
        self.facts.clone()
    }

    fn item_kind(&self, id: ItemId) -> Option<FolderKind> {
        let e = self.entry(id).ok()?;
        Some(match e.kind {
            Kind::Card => FolderKind::Contacts,
            Kind::Event => FolderKind::Calendar,
            Kind::Task => FolderKind::Tasks,
            Kind::Journal => FolderKind::Journal,
            Kind::Note => FolderKind::Notes,
        })
    }
}
