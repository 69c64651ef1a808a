//! Reading a Maildir tree (Maildir++ or Dovecot `LAYOUT=fs`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use mailshift_core::{
    Error, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, Problem, Result, Severity,
    StoreReader,
};

use crate::info::{leading_timestamp, order_key, parse_flags, read_keywords, size_field};
use crate::name::decode_component;
use crate::Layout;

/// How deep a `LAYOUT=fs` tree is walked; deeper directories are reported
/// as a problem and left out.
const MAX_DEPTH: usize = 64;

/// The name of Dovecot's keyword map inside each maildir.
pub(crate) const KEYWORDS_FILE: &str = "dovecot-keywords";

/// One folder as found on disk.
#[derive(Debug)]
struct FolderDir {
    folder: Folder,
    /// The folder's maildir; `None` for a Maildir++ parent that only exists
    /// through its children (`.A.B` without `.A`).
    dir: Option<PathBuf>,
}

/// One message file.
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    /// Relative to the Maildir root, for reports.
    rel: String,
    size: Option<u64>,
}

/// A folder's files, listed once by `items()`.
#[derive(Debug)]
struct Listing {
    entries: Vec<Entry>,
    /// `dovecot-keywords`: index -> name.
    keywords: Vec<Option<String>>,
}

/// Reads a Maildir: the top-level maildir is the root folder (`INBOX`),
/// Maildir++ `.A.B` directories or `LAYOUT=fs` `A/B` directories are its
/// subfolders (Maildir++ when any `.A` maildir exists, else `LAYOUT=fs`
/// when a subdirectory holds a maildir). A Maildir++ parent that exists
/// only through its children (`.A.B` without `.A`) is an empty folder.
/// Names are decoded as [`crate::name`] says; two directories whose names
/// decode to one folder name are both read, the second as `name (2)`.
///
/// The inbox's children, as Dovecot keeps them (`.INBOX.sub`, `INBOX/sub`
/// with `INBOX` a plain directory), are children of the inbox: when there
/// are any, the root maildir is the top-level folder `Inbox` (role inbox;
/// named as clients show it, `INBOX` only if a folder `Inbox` exists too)
/// and they are `Inbox/sub`, not children of a second, empty folder
/// "INBOX". Other spellings (`.Inbox.sub`, as mailshift wrote it before)
/// are taken the same way where no name clashes.
///
/// Nothing is left out in silence: a folder directory that cannot be looked
/// into is listed all the same, and its `items` fails naming it; a
/// `LAYOUT=fs` directory that cannot be listed is a problem of severity
/// [`Severity::Unreadable`]; a Maildir++ name with an empty part (`.A..B`)
/// is read as one top-level folder, with a problem of severity
/// [`Severity::Damaged`]. Every file is opened read-only, without updating
/// its access time where the kernel allows (`mailshift_core::fsio`).
///
/// Items are the files of `new/` and `cur/` (not `tmp/`, not dotfiles),
/// ordered by the timestamp their names start with, then by name.
/// - Flags: the letters after `:2,` (`D` draft, `F` flagged, `P` forwarded,
///   `R` answered, `S` seen, `T` deleted); `a`..`z` are keywords named in
///   the folder's `dovecot-keywords`. A file in `new/` normally has no
///   such info and so is unseen; if its name does carry info, it is used.
/// - Received time: the file's mtime, as Dovecot takes it, else the
///   timestamp of the name.
/// - Size hint: the name's `,S=` field, else the file's length.
///
/// Item ids are `(folder index, file index)` into a per-folder file list
/// built by the first [`items`](StoreReader::items) call for that folder and
/// kept, so ids stay valid while other processes deliver into the maildir.
/// A file that cannot be read is an error for that item; a folder whose
/// `cur/` or `new/` cannot be listed is an error for that folder's `items`.
#[derive(Debug)]
pub struct MaildirReader {
    root: PathBuf,
    layout: Layout,
    folders: Vec<FolderDir>,
    listings: Mutex<HashMap<u64, Arc<Listing>>>,
    problems: Mutex<Vec<Problem>>,
}

/// Whether `dir` is a maildir (holds `cur/` or `new/`; Maildir's `tmp/` is
/// optional for reading), or `Err` when that cannot be told (`dir`
/// cannot be searched: permission denied ...). A folder whose state cannot
/// be told is listed all the same, so that reading it fails loudly, in
/// `items`, instead of the folder being left out in silence.
fn maildir_state(dir: &Path) -> std::io::Result<bool> {
    let mut unknown = None;
    for sub in ["cur", "new"] {
        match std::fs::metadata(dir.join(sub)) {
            Ok(m) if m.is_dir() => return Ok(true),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {}
            Err(e) => unknown = Some(e),
        }
    }
    match unknown {
        Some(e) => Err(e),
        None => Ok(false),
    }
}

/// The name of the inbox as Dovecot spells it, and the first component of
/// its children's directories (`.INBOX.sub`, `INBOX/sub`).
pub(crate) const INBOX: &str = "INBOX";

/// The inbox's name in the model when it has children: as clients show it.
pub(crate) const INBOX_NAME: &str = "Inbox";

/// Adds folder `path` at `dir`; a path that another directory already
/// gave (two spellings that decode to one name) gets " (2)", " (3)" ...
/// on its last name, so that neither is hidden.
fn add_folder(
    found: &mut BTreeMap<Vec<String>, Option<PathBuf>>,
    mut path: Vec<String>,
    dir: &Path,
    problems: &mut Vec<Problem>,
) {
    if found.contains_key(&path) {
        let last = path.last().cloned().unwrap_or_default();
        let mut n = 2;
        while found.contains_key(&path) {
            if let Some(l) = path.last_mut() {
                *l = format!("{last} ({n})");
            }
            n += 1;
        }
        problems.push(Problem::new(
            Severity::Note,
            dir.display().to_string(),
            "folder name",
            None,
            format!("another directory has the same folder name; read as {:?}", path.join("/")),
        ));
    }
    found.insert(path, Some(dir.to_path_buf()));
}

/// Dovecot keeps the inbox's children in `.INBOX.child` (Maildir++) and
/// `INBOX/child` (`LAYOUT=fs`, `INBOX` a plain directory), while the inbox
/// itself is the root maildir. Makes such folders children of the inbox
/// (path `INBOX/child`), and takes other spellings of a top-level `inbox`
/// (`.Inbox.child`, which Dovecot lists as `INBOX/child` but cannot open)
/// the same way where that gives no name twice. Not done when a real
/// maildir `INBOX` exists at the top: then `INBOX/child` is its child.
/// Returns true if the inbox has children.
fn fold_inbox_children(found: &mut BTreeMap<Vec<String>, Option<PathBuf>>) -> bool {
    if found.contains_key(&vec![INBOX.to_string()]) {
        return false;
    }
    let mut spellings: Vec<String> =
        found.keys().filter(|k| k.len() > 1 && k[0].eq_ignore_ascii_case(INBOX)).map(|k| k[0].clone()).collect();
    spellings.dedup();
    // Dovecot's own spelling first: it wins a clash.
    spellings.sort_by_key(|s| (s != INBOX, s.clone()));
    let mut any = false;
    for s in spellings {
        if found.contains_key(&vec![s.clone()]) {
            // A maildir of that name of its own: its children are its.
            continue;
        }
        let keys: Vec<Vec<String>> = found.keys().filter(|k| k.len() > 1 && k[0] == s).cloned().collect();
        let moved: Vec<Vec<String>> =
            keys.iter().map(|k| std::iter::once(INBOX.to_string()).chain(k[1..].iter().cloned()).collect()).collect();
        if s != INBOX && moved.iter().any(|m| found.contains_key(m)) {
            continue;
        }
        for (k, m) in keys.into_iter().zip(moved) {
            if let Some(dir) = found.remove(&k) {
                found.insert(m, dir);
            }
        }
        any = true;
    }
    any
}

/// Directory names that belong to a maildir itself, not to subfolders.
fn is_maildir_part(name: &OsStr) -> bool {
    name == "cur" || name == "new" || name == "tmp"
}

fn subdirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let path = e.path();
        // Follows symlinks: shared folders are often linked in.
        if path.is_dir() {
            out.push((e.file_name().to_string_lossy().into_owned(), path));
        }
    }
    out.sort();
    Ok(out)
}

impl MaildirReader {
    /// True if `path` looks like a Maildir: a directory with `cur/` and
    /// `new/`, or a Dovecot `LAYOUT=fs` tree with a maildir among its
    /// immediate subdirectories.
    pub fn probe(path: &Path) -> bool {
        if path.join("cur").is_dir() && path.join("new").is_dir() {
            return true;
        }
        if !path.is_dir() {
            return false;
        }
        let Ok(rd) = std::fs::read_dir(path) else { return false };
        rd.flatten().take(10_000).any(|e| {
            let name = e.file_name();
            !name.to_string_lossy().starts_with('.') && !is_maildir_part(&name) && {
                let p = e.path();
                p.join("cur").is_dir() && p.join("new").is_dir()
            }
        })
    }

    /// Opens the Maildir at `path` and finds its folders. Fails if `path`
    /// is not a directory that can be listed.
    pub fn open(path: &Path) -> Result<MaildirReader> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_dir() {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: "not a directory, so not a Maildir".into(),
            });
        }
        let mut problems = Vec::new();
        let entries = subdirs(path)?;
        let plus_plus: Vec<&(String, PathBuf)> = entries
            .iter()
            .filter(|(n, p)| n.len() > 1 && n.starts_with('.') && n != ".." && maildir_state(p).unwrap_or(true))
            .collect();
        // path -> maildir directory (None: only implied by a child).
        let mut found: BTreeMap<Vec<String>, Option<PathBuf>> = BTreeMap::new();
        let layout = if !plus_plus.is_empty() {
            for (name, dir) in plus_plus {
                // Maildir++: ".A.B" is folder B inside A; escaped dots (`\2e`)
                // are part of a name.
                let comps: Vec<&str> = name[1..].split('.').collect();
                let folder_path = if comps.iter().any(|c| c.is_empty()) {
                    // `..A`, `.A..B`, `.A.`: no hierarchy to be had from it,
                    // but its mail is read, under the whole name.
                    let whole = decode_name(&name[1..], dir, &mut problems);
                    problems.push(Problem::new(
                        Severity::Damaged,
                        dir.display().to_string(),
                        "Maildir++ folder name",
                        None,
                        format!("empty name between dots; read as the top-level folder {whole:?}"),
                    ));
                    vec![whole]
                } else {
                    comps.iter().map(|c| decode_name(c, dir, &mut problems)).collect()
                };
                add_folder(&mut found, folder_path, dir, &mut problems);
            }
            Layout::MaildirPlusPlus
        } else {
            // No `.Folder` maildirs: look for Dovecot LAYOUT=fs subfolders.
            let mut visited = HashSet::new();
            if let Ok(c) = path.canonicalize() {
                visited.insert(c);
            }
            walk_fs(path, &[], 0, &mut visited, &mut found, &mut problems);
            if found.is_empty() {
                Layout::MaildirPlusPlus
            } else {
                Layout::Fs
            }
        };
        let inbox_children = fold_inbox_children(&mut found);
        // Missing parents appear as folders without a directory.
        let keys: Vec<Vec<String>> = found.keys().cloned().collect();
        for k in keys {
            for n in 1..k.len() {
                found.entry(k[..n].to_vec()).or_insert(None);
            }
        }
        let root_dir = path.to_path_buf();
        // The root maildir is the inbox: the store's root folder, or, when
        // it has children, the top-level folder `INBOX` they are under.
        let root_path = if inbox_children { vec![INBOX.to_string()] } else { Vec::new() };
        let mut ids: HashMap<Vec<String>, FolderId> = HashMap::new();
        ids.insert(root_path.clone(), FolderId(0));
        found.remove(&root_path);
        let mut folders = vec![FolderDir {
            folder: Folder {
                id: FolderId(0),
                parent: None,
                path: root_path,
                name: INBOX.into(),
                kind: FolderKind::Mail,
                role: FolderRole::Inbox,
            },
            dir: Some(root_dir),
        }];
        // BTreeMap order puts every parent before its children.
        for (fpath, dir) in found {
            let id = FolderId(folders.len() as u64);
            let parent = if fpath.len() > 1 { ids.get(&fpath[..fpath.len() - 1]).copied() } else { None };
            let name = fpath.last().cloned().unwrap_or_default();
            // A top-level folder is not the inbox: the root is.
            let role = match (fpath.len(), FolderRole::guess(&name)) {
                (1, FolderRole::Inbox) | (2.., _) => FolderRole::None,
                (_, r) => r,
            };
            ids.insert(fpath.clone(), id);
            folders.push(FolderDir {
                folder: Folder { id, parent, path: fpath, name, kind: FolderKind::Mail, role },
                dir,
            });
        }
        // On disk Dovecot's `INBOX`; in the model the name mail clients show
        // (Thunderbird's `Inbox` file, Outlook's folder), unless a folder of
        // that very name exists beside it.
        if inbox_children && !folders.iter().any(|f| f.folder.path.first().is_some_and(|p| p == INBOX_NAME)) {
            for f in &mut folders {
                if f.folder.path.first().is_some_and(|p| p == INBOX) {
                    f.folder.path[0] = INBOX_NAME.to_string();
                    if f.folder.path.len() == 1 {
                        f.folder.name = INBOX_NAME.to_string();
                    }
                }
            }
        }
        Ok(MaildirReader {
            root: path.to_path_buf(),
            layout,
            folders,
            listings: Mutex::new(HashMap::new()),
            problems: Mutex::new(problems),
        })
    }

    /// The directory layout found.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    fn problem(&self, p: Problem) {
        if let Ok(mut v) = self.problems.lock() {
            v.push(p);
        }
    }

    fn folder_dir(&self, id: FolderId) -> Result<&FolderDir> {
        usize::try_from(id.0)
            .ok()
            .and_then(|i| self.folders.get(i))
            .ok_or_else(|| Error::UnknownItem { path: self.root.clone(), id: format!("folder {}", id.0) })
    }

    /// The folder's file list, built on first use.
    fn listing(&self, id: FolderId) -> Result<Arc<Listing>> {
        if let Some(l) = self.listings.lock().ok().and_then(|m| m.get(&id.0).cloned()) {
            return Ok(l);
        }
        let fd = self.folder_dir(id)?;
        let listing = Arc::new(match &fd.dir {
            None => Listing { entries: Vec::new(), keywords: Vec::new() },
            Some(dir) => self.list_dir(dir)?,
        });
        if let Ok(mut m) = self.listings.lock() {
            // Another thread may have listed it meanwhile: keep the first,
            // so ids handed out stay valid.
            return Ok(m.entry(id.0).or_insert(listing).clone());
        }
        Ok(listing)
    }

    fn list_dir(&self, dir: &Path) -> Result<Listing> {
        let mut files: Vec<((u64, u64, u64), String, Entry)> = Vec::new();
        for sub in ["new", "cur"] {
            let d = dir.join(sub);
            let rd = match std::fs::read_dir(&d) {
                Ok(rd) => rd,
                // A parent folder in LAYOUT=fs may have no maildir of its own.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                // The folder's own directory, if that is what cannot be read.
                Err(e) => match std::fs::read_dir(dir) {
                    Err(de) if de.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(dir, de)),
                    _ => return Err(Error::io(&d, e)),
                },
            };
            for e in rd {
                let e = e.map_err(|e| Error::io(&d, e))?;
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    continue;
                }
                let path = e.path();
                let size = size_field(&name).or_else(|| std::fs::metadata(&path).ok().map(|m| m.len()));
                let rel = path.strip_prefix(&self.root).unwrap_or(&path).display().to_string();
                files.push((order_key(&name), name, Entry { path, rel, size }));
            }
        }
        files.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let keywords = match read_keywords(&dir.join(KEYWORDS_FILE)) {
            Ok(k) => k,
            // Only an I/O error gets here (bad lines are skipped): the
            // names of this folder's keywords could not be read at all.
            Err(e) => {
                self.problem(Problem::new(
                    Severity::Unreadable,
                    dir.join(KEYWORDS_FILE).display().to_string(),
                    "dovecot-keywords",
                    None,
                    format!("cannot read ({e}); keywords of this folder are left out"),
                ));
                Vec::new()
            }
        };
        Ok(Listing { entries: files.into_iter().map(|f| f.2).collect(), keywords })
    }

    fn entry(&self, id: ItemId) -> Result<(Arc<Listing>, usize)> {
        let listing = self.listing(FolderId(id.0))?;
        let idx = usize::try_from(id.1).ok().filter(|&i| i < listing.entries.len());
        match idx {
            Some(i) => Ok((listing, i)),
            None => Err(Error::UnknownItem { path: self.root.clone(), id: format!("{}:{}", id.0, id.1) }),
        }
    }
}

fn decode_name(comp: &str, dir: &Path, problems: &mut Vec<Problem>) -> String {
    let (name, valid) = decode_component(comp);
    if !valid {
        problems.push(Problem {
            severity: Severity::Note,
            path: dir.display().to_string(),
            structure: "folder name".into(),
            offset: None,
            message: "not valid modified UTF-7; name taken as it is".into(),
        });
    }
    name
}

/// Collects the maildirs below `dir` (Dovecot `LAYOUT=fs`).
fn walk_fs(
    dir: &Path,
    prefix: &[String],
    depth: usize,
    visited: &mut HashSet<PathBuf>,
    found: &mut BTreeMap<Vec<String>, Option<PathBuf>>,
    problems: &mut Vec<Problem>,
) {
    let entries = match subdirs(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem {
                severity: Severity::Unreadable,
                path: dir.display().to_string(),
                structure: "LAYOUT=fs folder".into(),
                offset: None,
                message: format!("cannot list subfolders: {e}"),
            });
            return;
        }
    };
    for (name, path) in entries {
        if name.starts_with('.') || is_maildir_part(OsStr::new(&name)) {
            continue;
        }
        // A symlink back up the tree must not loop.
        if let Ok(c) = path.canonicalize() {
            if !visited.insert(c) {
                continue;
            }
        }
        if depth >= MAX_DEPTH {
            problems.push(Problem {
                severity: Severity::Unreadable,
                path: path.display().to_string(),
                structure: "LAYOUT=fs folder".into(),
                offset: None,
                message: format!("deeper than {MAX_DEPTH} levels; left out"),
            });
            continue;
        }
        let mut fpath = prefix.to_vec();
        fpath.push(decode_name(&name, &path, problems));
        // One that cannot be looked into may be a maildir: listed, so that
        // its `items` fails, naming it.
        if maildir_state(&path).unwrap_or(true) {
            add_folder(found, fpath.clone(), &path, problems);
        }
        walk_fs(&path, &fpath, depth + 1, visited, found, problems);
    }
}

/// A message file's bytes and mtime, read through one read-only handle
/// (`O_NOATIME` where allowed: reading leaves even the access time).
fn read_message(path: &Path) -> std::io::Result<(Vec<u8>, Option<SystemTime>)> {
    use std::io::Read;
    let mut f = mailshift_core::fsio::open_source(path)?;
    let meta = f.metadata()?;
    let mut raw = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(1 << 30));
    f.read_to_end(&mut raw)?;
    Ok((raw, meta.modified().ok()))
}

fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

impl StoreReader for MaildirReader {
    fn format_name(&self) -> &'static str {
        "maildir"
    }

    fn path(&self) -> &Path {
        &self.root
    }

    fn folders(&self) -> Result<Vec<Folder>> {
        Ok(self.folders.iter().map(|f| f.folder.clone()).collect())
    }

    fn items(&self, folder: FolderId) -> Result<Vec<ItemMeta>> {
        let listing = self.listing(folder)?;
        Ok(listing
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| ItemMeta { id: ItemId(folder.0, i as u64), size: e.size })
            .collect())
    }

    fn read(&self, id: ItemId) -> Result<Item<'_>> {
        let (listing, idx) = self.entry(id)?;
        let entry = &listing.entries[idx];
        let (raw, mtime) = read_message(&entry.path).map_err(|e| Error::io(&entry.path, e))?;
        let name = entry.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (flags, letters) = parse_flags(&name);
        let mut keywords = Vec::new();
        for l in letters {
            match listing.keywords.get(l as usize).and_then(|k| k.as_ref()) {
                Some(k) => keywords.push(k.clone()),
                None => self.problem(Problem {
                    severity: Severity::Damaged,
                    path: entry.rel.clone(),
                    structure: "Maildir file name".into(),
                    offset: None,
                    message: format!(
                        "keyword letter '{}' has no name in {KEYWORDS_FILE}; left out",
                        char::from(b'a' + l)
                    ),
                }),
            }
        }
        // Dovecot takes a message's received date from the file's mtime.
        let received = mtime.map(unix_secs).or_else(|| leading_timestamp(&name).and_then(|t| i64::try_from(t).ok()));
        Ok(Item::Mail(MailItem { raw: Cow::Owned(raw), flags, keywords, received, mbox_from_line: None }))
    }

    fn describe(&self, id: ItemId) -> String {
        match self.entry(id) {
            Ok((l, i)) => l.entries[i].rel.clone(),
            Err(_) => format!("folder {} item {}", id.0, id.1),
        }
    }

    fn problems(&self) -> Vec<Problem> {
        self.problems.lock().map(|p| p.clone()).unwrap_or_default()
    }
}
