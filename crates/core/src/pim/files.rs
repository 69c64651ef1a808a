//! Writing contacts, calendars, tasks, notes and journals to `.vcf` and
//! `.ics` files: [`PimFiles`] (one file per folder, beside the mail folders
//! of a Maildir, mbox or EML target, through [`WithPimFiles`]) and
//! [`PimFiles::single`] (every selected item in one file, for
//! `mailshift convert old.ost contacts.vcf`).
//!
//! Each file is written to a temporary file in the same directory and
//! renamed into place when complete, so a crash leaves the old file or the
//! new one, never half of one. A file that is already there is merged, not
//! replaced: its entries are kept, and an item whose UID (with its
//! RECURRENCE-ID, for a modified occurrence) is already in the file is not
//! written again but reported as a duplicate. Exporting the same store
//! twice therefore leaves the file as it was, and exporting two stores into
//! one target keeps both.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::ical;
use super::vcard::{self, VCardVersion};
use crate::model::{Folder, FolderId, FolderKind, Item};
use crate::prepare::Prepared;
use crate::store::{StoreWriter, Written};
use crate::{Error, Result};

/// The two kinds of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PimFileKind {
    /// vCard (`.vcf`): contacts and distribution lists.
    Vcf,
    /// iCalendar (`.ics`): events, tasks, notes and journal entries.
    Ics,
}

impl PimFileKind {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            PimFileKind::Vcf => "vcf",
            PimFileKind::Ics => "ics",
        }
    }

    /// The kind of file an item goes to (`None` for mail).
    pub fn of_item(item: &Item<'_>) -> Option<PimFileKind> {
        match item {
            Item::Mail(_) | Item::Mapi(_) => None,
            Item::Contact(_) | Item::DistList(_) => Some(PimFileKind::Vcf),
            Item::Event(_) | Item::Task(_) | Item::Note(_) | Item::Journal(_) => Some(PimFileKind::Ics),
        }
    }

    /// The kind of file for a target path ending in `.vcf` / `.vcard` or
    /// `.ics` / `.ical` / `.ifb` (case-insensitive), `None` otherwise.
    pub fn of_path(path: &Path) -> Option<PimFileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "vcf" | "vcard" => Some(PimFileKind::Vcf),
            "ics" | "ical" | "icalendar" => Some(PimFileKind::Ics),
            _ => None,
        }
    }

    /// The folder kinds whose items go to this kind of file.
    pub fn folder_kinds(self) -> &'static [FolderKind] {
        match self {
            PimFileKind::Vcf => &[FolderKind::Contacts],
            PimFileKind::Ics => &[FolderKind::Calendar, FolderKind::Tasks, FolderKind::Notes, FolderKind::Journal],
        }
    }
}

/// How the files are written.
#[derive(Debug, Clone)]
pub struct PimOptions {
    /// vCard version.
    pub vcard_version: VCardVersion,
    /// The calendars' `PRODID`.
    pub prodid: String,
    /// fsync each file before it is renamed into place.
    pub fsync: bool,
    /// Write nothing (`convert --dry-run`): existing files are read for
    /// their UIDs, so that what would be a duplicate is one, and no file,
    /// directory or temporary file is made, no stale one removed.
    pub dry_run: bool,
}

impl Default for PimOptions {
    fn default() -> Self {
        PimOptions {
            vcard_version: VCardVersion::V4,
            prodid: concat!("-//mailshift//mailshift ", env!("CARGO_PKG_VERSION"), "//EN").to_string(),
            fsync: true,
            dry_run: false,
        }
    }
}

/// One file being written.
struct OpenFile {
    kind: PimFileKind,
    target: PathBuf,
    /// The components (vCards, or the calendar's components without the
    /// zones), streamed to a temporary file in the target's directory;
    /// `None` in a dry run.
    body: Option<BufWriter<tempfile::NamedTempFile>>,
    /// Identity keys in the file: those it held before this run, and those
    /// written in it (see [`item_key`]).
    keys: HashSet<String>,
    /// Identity keys the file held before this run.
    existing: HashSet<String>,
    /// Calendar zones already written, by TZID, with their text.
    zones: Vec<(String, String)>,
}

enum Mode {
    /// One file per folder and kind, under `root`.
    PerFolder { root: PathBuf },
    /// Every item in one file.
    Single { path: PathBuf, kind: PimFileKind },
}

/// Writes PIM items to `.vcf` / `.ics` files. As a [`StoreWriter`] on its
/// own (made by [`PimFiles::single`]) it writes one file; inside
/// [`WithPimFiles`] it writes one file per folder.
pub struct PimFiles {
    mode: Mode,
    opts: PimOptions,
    /// Open files by (folder, kind); a folder with contacts and events has two.
    open: BTreeMap<(Option<FolderId>, PimFileKind), OpenFile>,
    /// File names given out in this run, so that two folders whose names
    /// flatten to the same file get different files.
    names: BTreeMap<PathBuf, Option<FolderId>>,
    current: Option<Folder>,
    /// Items written in this run.
    written: u64,
    /// What the report should say (a single file not written for want of
    /// items).
    notes: Vec<String>,
    /// Stale temporary files removed, once `swept_dir` is set.
    swept: Vec<PathBuf>,
    swept_dir: bool,
}

impl PimFiles {
    /// One file per non-mail folder, under `root` (the target directory of
    /// the mail), named after the folder's path (`Calendar (This computer
    /// only).ics`; a subfolder `Contacts/Old` gives `Contacts - Old.vcf`).
    pub fn per_folder(root: &Path, opts: PimOptions) -> PimFiles {
        PimFiles {
            mode: Mode::PerFolder { root: root.to_path_buf() },
            opts,
            open: BTreeMap::new(),
            names: BTreeMap::new(),
            current: None,
            written: 0,
            notes: Vec::new(),
            swept: Vec::new(),
            swept_dir: false,
        }
    }

    /// Every item of `kind` in one file at `path`.
    pub fn single(path: &Path, kind: PimFileKind, opts: PimOptions) -> PimFiles {
        PimFiles {
            mode: Mode::Single { path: path.to_path_buf(), kind },
            opts,
            open: BTreeMap::new(),
            names: BTreeMap::new(),
            current: None,
            written: 0,
            notes: Vec::new(),
            swept: Vec::new(),
            swept_dir: false,
        }
    }

    /// The directory the files go to.
    fn dir(&self) -> PathBuf {
        match &self.mode {
            Mode::Single { path, .. } => crate::fsio::parent_dir(path).to_path_buf(),
            Mode::PerFolder { root } => root.clone(),
        }
    }

    /// Removes the temporary files a killed earlier run of ours left in the
    /// files' directory, once, and notes how many.
    fn sweep(&mut self) -> Result<()> {
        if self.swept_dir || self.opts.dry_run {
            return Ok(());
        }
        self.swept_dir = true;
        let dir = self.dir();
        self.swept = crate::fsio::sweep_stale(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(())
    }

    /// The file for the current folder and `kind`: where it goes.
    fn target_for(&mut self, kind: PimFileKind) -> PathBuf {
        let folder = self.current.as_ref();
        match &self.mode {
            Mode::Single { path, .. } => path.clone(),
            Mode::PerFolder { root } => {
                let base = file_stem(folder);
                let id = folder.map(|f| f.id);
                let mut n = 1;
                loop {
                    let name = if n == 1 {
                        format!("{base}.{}", kind.extension())
                    } else {
                        format!("{base} ({n}).{}", kind.extension())
                    };
                    let path = root.join(name);
                    match self.names.get(&path) {
                        Some(owner) if *owner != id => n += 1,
                        _ => {
                            self.names.insert(path.clone(), id);
                            return path;
                        }
                    }
                }
            }
        }
    }

    fn file(&mut self, kind: PimFileKind) -> Result<&mut OpenFile> {
        let key = match self.mode {
            Mode::Single { .. } => (None, kind),
            Mode::PerFolder { .. } => (self.current.as_ref().map(|f| f.id), kind),
        };
        if !self.open.contains_key(&key) {
            let target = self.target_for(kind);
            let f = OpenFile::open(kind, target, self.opts.dry_run)?;
            self.open.insert(key, f);
        }
        self.open.get_mut(&key).ok_or_else(|| Error::Invalid { what: "PIM file", reason: "not open".into() })
    }

    /// Writes one PIM item (mail is refused).
    pub fn write_item(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let Some(kind) = PimFileKind::of_item(&item.item) else {
            return Err(Error::Invalid { what: "PIM file", reason: "mail items go to the mail writer".into() });
        };
        if let Mode::Single { path, kind: want } = &self.mode {
            if kind != *want {
                return Err(Error::Unsupported {
                    path: path.clone(),
                    reason: format!(".{} cannot hold {} items", want.extension(), item.item.kind().as_str()),
                });
            }
        }
        let vcard_version = self.opts.vcard_version;
        let f = self.file(kind)?;
        let mut key = item_key(&item.item);
        // Already in the file before this run: the same item exported again.
        if f.existing.contains(&key) {
            return Ok(Written {
                duplicate: Some(format!("UID {key} is already in {}", f.target.display())),
                ..Written::default()
            });
        }
        // Another item of this run has the UID (two copies of one meeting,
        // say, one of them deleted): both are kept, this one under a UID
        // derived from the first, the same on every run.
        let renamed;
        let item = if f.keys.contains(&key) {
            let uid = item.item.uid().unwrap_or_default().to_string();
            let mut n = 2u32;
            let new_uid = loop {
                let candidate = super::stable_uid("mailshift-same-uid", format!("{uid}\0{n}").as_bytes());
                if !f.keys.contains(&normalize_uid(&candidate)) {
                    break candidate;
                }
                n += 1;
            };
            key = normalize_uid(&new_uid);
            renamed = {
                let mut copy = item.item.clone();
                set_uid(&mut copy, new_uid);
                copy
            };
            &renamed
        } else {
            &item.item
        };
        let text = match item {
            Item::Mail(_) | Item::Mapi(_) => {
                return Err(Error::Invalid { what: "PIM file", reason: "mail items go to the mail writer".into() })
            }
            Item::Contact(c) => vcard::write(c, vcard_version),
            Item::DistList(d) => vcard::write_group(d, vcard_version),
            Item::Event(e) => {
                for tz in &e.timezones {
                    if !f.zones.iter().any(|(id, _)| *id == tz.tzid) {
                        f.zones.push((tz.tzid.clone(), ical::timezone(tz)));
                    }
                }
                ical::event(e)
            }
            Item::Task(t) => ical::task(t),
            Item::Note(j) | Item::Journal(j) => ical::journal(j),
        };
        if let Some(body) = f.body.as_mut() {
            body.write_all(text.as_bytes()).map_err(|e| Error::io(&f.target, e))?;
        }
        f.keys.insert(key);
        self.written += 1;
        Ok(Written { bytes: text.len() as u64, ..Written::default() })
    }

    /// Makes `folder` current (its files are opened when an item needs them).
    pub fn open_folder_pim(&mut self, folder: &Folder) {
        self.current = Some(folder.clone());
    }

    /// Completes and renames into place the files of the current folder
    /// (per-folder mode; a single file is completed by [`finish`](StoreWriter::finish)).
    pub fn close_folder_pim(&mut self) -> Result<()> {
        if let Mode::PerFolder { .. } = self.mode {
            let id = self.current.as_ref().map(|f| f.id);
            let keys: Vec<_> = self.open.keys().filter(|(f, _)| *f == id).copied().collect();
            self.close(&keys)?;
        }
        Ok(())
    }

    fn close(&mut self, keys: &[(Option<FolderId>, PimFileKind)]) -> Result<()> {
        let mut first_err = None;
        for k in keys {
            if let Some(f) = self.open.remove(k) {
                if let Err(e) = f.complete(&self.opts) {
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl StoreWriter for PimFiles {
    fn format_name(&self) -> &'static str {
        match &self.mode {
            Mode::Single { kind: PimFileKind::Vcf, .. } => "vcf",
            Mode::Single { kind: PimFileKind::Ics, .. } => "ics",
            Mode::PerFolder { .. } => "vcf/ics",
        }
    }

    fn accepts(&self, kind: FolderKind) -> bool {
        match &self.mode {
            Mode::Single { kind: k, .. } => k.folder_kinds().contains(&kind),
            Mode::PerFolder { .. } => kind != FolderKind::Mail,
        }
    }

    fn begin(&mut self, _folders: &[Folder]) -> Result<()> {
        if self.opts.dry_run {
            return Ok(());
        }
        let dir = self.dir();
        crate::fsio::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        self.sweep()
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        self.open_folder_pim(folder);
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        self.write_item(item)
    }

    fn close_folder(&mut self) -> Result<()> {
        self.close_folder_pim()
    }

    fn finish(&mut self) -> Result<()> {
        let keys: Vec<_> = self.open.keys().copied().collect();
        let closed = self.close(&keys);
        if let Mode::Single { path, kind } = &self.mode {
            if self.written == 0 {
                let what = match kind {
                    PimFileKind::Vcf => "contacts or lists",
                    PimFileKind::Ics => "events, tasks, notes or journal entries",
                };
                let note = if path.exists() {
                    format!("no new {what} to write; {} left as it was", path.display())
                } else {
                    format!("the source has no {what} (of those selected); {} not written", path.display())
                };
                self.notes.push(note);
            }
        }
        closed
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn swept(&self) -> Vec<PathBuf> {
        self.swept.clone()
    }

    fn dry_run(&self) -> bool {
        self.opts.dry_run
    }
}

/// The file name (without extension) for a folder: its path joined with
/// `" - "`, each part made safe as a file name.
fn file_stem(folder: Option<&Folder>) -> String {
    let parts: Vec<String> = match folder {
        Some(f) if !f.path.is_empty() => f.path.iter().map(|p| safe_name(p)).collect(),
        Some(f) if !f.name.is_empty() => vec![safe_name(&f.name)],
        _ => vec!["Root".to_string()],
    };
    let mut stem = parts.join(" - ");
    // Keep room for " (n).ics" within the usual 255-byte limit.
    if stem.len() > 200 {
        let mut cut = 200;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    stem
}

/// A folder name as a file name: no path separators, controls or
/// characters Windows refuses, no leading dot (which would hide the file,
/// and which Maildir++ reserves for folders), never empty.
fn safe_name(name: &str) -> String {
    let mut s: String =
        name.chars()
            .map(|c| {
                if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
    s = s.trim().to_string();
    if s.starts_with('.') {
        s.replace_range(..1, "_");
    }
    if s.is_empty() {
        s = "_".to_string();
    }
    s
}

/// An item's identity in a file: its UID, and for a modified occurrence
/// its RECURRENCE-ID too (RFC 5545 3.8.4.4). A vCard 4 UID's `urn:uuid:`
/// prefix is dropped so that both versions compare equal.
fn item_key(item: &Item<'_>) -> String {
    let uid = item.uid().unwrap_or("");
    normalize_uid(uid)
}

/// Gives a PIM item another UID (an event's overrides too).
fn set_uid(item: &mut Item<'_>, uid: String) {
    match item {
        Item::Mail(_) | Item::Mapi(_) => {}
        Item::Contact(c) => c.uid = uid,
        Item::DistList(d) => d.uid = uid,
        Item::Event(e) => {
            for o in &mut e.overrides {
                o.uid = uid.clone();
            }
            e.uid = uid;
        }
        Item::Task(t) => t.uid = uid,
        Item::Note(j) | Item::Journal(j) => j.uid = uid,
    }
}

fn normalize_uid(uid: &str) -> String {
    let u = uid.trim();
    let u = u.strip_prefix("urn:uuid:").unwrap_or(u);
    u.to_ascii_lowercase()
}

impl OpenFile {
    /// Starts a file; if the target exists, its entries are copied into the
    /// new body and their keys noted, so they are kept and not duplicated.
    /// With `dry_run` only the existing file's keys are read: nothing is
    /// made.
    fn open(kind: PimFileKind, target: PathBuf, dry_run: bool) -> Result<OpenFile> {
        let body = if dry_run {
            None
        } else {
            let dir = crate::fsio::parent_dir(&target).to_path_buf();
            crate::fsio::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            Some(BufWriter::new(crate::fsio::temp_file_in(&dir).map_err(|e| Error::io(&dir, e))?))
        };
        let mut f = OpenFile { kind, target, body, keys: HashSet::new(), existing: HashSet::new(), zones: Vec::new() };
        if f.target.exists() {
            f.merge_existing()?;
        }
        Ok(f)
    }

    /// Reads the existing file's top-level components.
    fn merge_existing(&mut self) -> Result<()> {
        let mut raw = Vec::new();
        File::open(&self.target).and_then(|mut h| h.read_to_end(&mut raw)).map_err(|e| Error::io(&self.target, e))?;
        let text = String::from_utf8_lossy(&raw);
        let (outer, inner) = match self.kind {
            PimFileKind::Vcf => ("", "VCARD"),
            PimFileKind::Ics => ("VCALENDAR", ""),
        };
        for block in components(&text, outer) {
            let name = block.name.to_ascii_uppercase();
            if self.kind == PimFileKind::Vcf && name != inner {
                continue;
            }
            if self.kind == PimFileKind::Ics && name == "VTIMEZONE" {
                let tzid = block.value("TZID").unwrap_or_default();
                if !self.zones.iter().any(|(id, _)| *id == tzid) {
                    self.zones.push((tzid, block.text.clone()));
                }
                continue;
            }
            if let Some(uid) = block.value("UID") {
                let mut key = normalize_uid(&uid);
                // A modified occurrence is only a duplicate of itself.
                if block.value("RECURRENCE-ID").is_some() {
                    key.push('\0');
                    key.push_str("recurrence");
                }
                self.keys.insert(key.clone());
                self.existing.insert(key);
            }
            if let Some(body) = self.body.as_mut() {
                body.write_all(block.text.as_bytes()).map_err(|e| Error::io(&self.target, e))?;
            }
        }
        Ok(())
    }

    /// Writes the whole file (for a calendar: header, zones, body, end) and
    /// renames it into place.
    fn complete(self, opts: &PimOptions) -> Result<()> {
        let OpenFile { kind, target, body, zones, .. } = self;
        // A dry run's file: nothing to complete.
        let Some(body) = body else { return Ok(()) };
        let mut body = body.into_inner().map_err(|e| Error::io(&target, e.into_error()))?;
        let dir = crate::fsio::parent_dir(&target).to_path_buf();
        let out = match kind {
            PimFileKind::Vcf => body,
            PimFileKind::Ics => {
                let whole = crate::fsio::temp_file_in(&dir).map_err(|e| Error::io(&dir, e))?;
                let mut w = BufWriter::new(whole);
                let io = |e| Error::io(&target, e);
                w.write_all(ical::begin(&opts.prodid).as_bytes()).map_err(io)?;
                for (_, z) in &zones {
                    w.write_all(z.as_bytes()).map_err(io)?;
                }
                let f = body.as_file_mut();
                f.seek(SeekFrom::Start(0)).map_err(io)?;
                std::io::copy(f, &mut w).map_err(io)?;
                w.write_all(ical::END.as_bytes()).map_err(io)?;
                w.into_inner().map_err(|e| Error::io(&target, e.into_error()))?
            }
        };
        // A file that was there keeps its own mode (the temp file is 0600,
        // as every new file of ours).
        if let Ok(meta) = std::fs::metadata(&target) {
            std::fs::set_permissions(out.path(), meta.permissions()).map_err(|e| Error::io(out.path(), e))?;
        }
        if opts.fsync {
            out.as_file().sync_all().map_err(|e| Error::io(out.path(), e))?;
        }
        out.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        if opts.fsync {
            crate::fsio::sync_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        Ok(())
    }
}

/// A top-level component of a vCard or iCalendar file.
struct Block {
    name: String,
    /// Its lines, as in the file, CRLF-terminated.
    text: String,
    /// Its own properties (not those of nested components), unfolded.
    props: Vec<(String, String)>,
}

impl Block {
    /// The value of the first property called `name` (case-insensitive).
    fn value(&self, name: &str) -> Option<String> {
        self.props.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    }
}

/// The components directly inside `outer` (or at the top level when
/// `outer` is empty), tolerant of LF endings and junk between them.
fn components(text: &str, outer: &str) -> Vec<Block> {
    // Unfold (RFC 5545 3.1, RFC 6350 3.2) while keeping each logical line's
    // physical text, so a kept component is copied exactly.
    let mut logical: Vec<(String, String)> = Vec::new();
    for phys in text.split_inclusive('\n') {
        let content = phys.trim_end_matches(['\r', '\n']);
        let phys_crlf = format!("{content}\r\n");
        if let Some(cont) = content.strip_prefix([' ', '\t']) {
            if let Some(last) = logical.last_mut() {
                last.0.push_str(cont);
                last.1.push_str(&phys_crlf);
                continue;
            }
        }
        logical.push((content.to_string(), phys_crlf));
    }
    let top = if outer.is_empty() { 0 } else { 1 };
    let mut depth = 0usize;
    let mut out = Vec::new();
    let mut cur: Option<Block> = None;
    for (line, phys) in logical {
        let (name_params, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let name = name_params.split(';').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("BEGIN") {
            if depth == top {
                cur = Some(Block { name: value.trim().to_string(), text: String::new(), props: Vec::new() });
            }
            depth += 1;
            if let Some(b) = cur.as_mut() {
                b.text.push_str(&phys);
            }
            continue;
        }
        if name.eq_ignore_ascii_case("END") {
            if let Some(b) = cur.as_mut() {
                b.text.push_str(&phys);
            }
            depth = depth.saturating_sub(1);
            if depth == top {
                if let Some(b) = cur.take() {
                    out.push(b);
                }
            }
            continue;
        }
        if let Some(b) = cur.as_mut() {
            b.text.push_str(&phys);
            if depth == top + 1 {
                b.props.push((name.to_string(), value.to_string()));
            }
        }
    }
    out
}

/// A [`StoreWriter`] that sends mail to `inner` (Maildir, mbox, EML) and
/// contacts, events, tasks, notes and journal entries to one `.vcf` / `.ics`
/// file per folder beside the mail folders.
pub struct WithPimFiles {
    inner: Box<dyn StoreWriter>,
    pim: PimFiles,
    current: Option<Folder>,
    inner_open: bool,
}

impl WithPimFiles {
    /// Mail to `inner`; PIM files under `root` (the same directory `inner`
    /// writes to).
    pub fn new(inner: Box<dyn StoreWriter>, root: &Path, opts: PimOptions) -> WithPimFiles {
        WithPimFiles { inner, pim: PimFiles::per_folder(root, opts), current: None, inner_open: false }
    }
}

impl StoreWriter for WithPimFiles {
    fn format_name(&self) -> &'static str {
        self.inner.format_name()
    }

    fn accepts(&self, kind: FolderKind) -> bool {
        kind != FolderKind::Mail || self.inner.accepts(kind)
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        // Leftovers of a killed run of ours beside the files, made or not.
        self.pim.sweep()?;
        let (mail, pim): (Vec<Folder>, Vec<Folder>) = folders.iter().cloned().partition(|f| f.kind == FolderKind::Mail);
        if !pim.is_empty() {
            // The files need a directory; made first, so that a mail writer
            // that could write a single file writes a directory of folders.
            self.pim.begin(&pim)?;
        }
        if !mail.is_empty() || pim.is_empty() {
            self.inner.begin(&mail)?;
        }
        Ok(())
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        self.current = Some(folder.clone());
        self.pim.open_folder_pim(folder);
        self.inner_open = false;
        if folder.kind == FolderKind::Mail {
            self.inner.open_folder(folder)?;
            self.inner_open = true;
        }
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        if PimFileKind::of_item(&item.item).is_some() {
            return self.pim.write_item(item);
        }
        // Mail in a calendar or contacts folder: the mail folder is made
        // when its first message comes.
        if !self.inner_open {
            let Some(folder) = self.current.clone() else {
                return Err(Error::Invalid {
                    what: "writer call order",
                    reason: "write() before open_folder()".into(),
                });
            };
            self.inner.open_folder(&folder)?;
            self.inner_open = true;
        }
        self.inner.write(item)
    }

    fn settled(&mut self, wait: bool) -> Vec<(crate::model::ItemId, Result<Written>)> {
        // Only the mail writer ever leaves items pending.
        self.inner.settled(wait)
    }

    fn close_folder(&mut self) -> Result<()> {
        let pim = self.pim.close_folder_pim();
        if self.inner_open {
            self.inner_open = false;
            self.inner.close_folder()?;
        }
        pim
    }

    fn finish(&mut self) -> Result<()> {
        let pim = self.pim.finish();
        self.inner.finish()?;
        pim
    }

    fn notes(&self) -> Vec<String> {
        let mut out = self.pim.notes();
        out.extend(self.inner.notes());
        out
    }

    fn swept(&self) -> Vec<PathBuf> {
        let mut out = self.pim.swept();
        out.extend(self.inner.swept());
        out
    }

    fn dry_run(&self) -> bool {
        self.inner.dry_run()
    }
}
