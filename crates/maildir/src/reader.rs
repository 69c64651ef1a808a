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
/// Names are decoded as [`crate::name`] says.
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

/// True if `dir` holds `cur/` or `new/` (Maildir's `tmp/` is optional for
/// reading).
fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
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
        let plus_plus: Vec<&(String, PathBuf)> =
            entries.iter().filter(|(n, p)| n.len() > 1 && n.starts_with('.') && n != ".." && is_maildir(p)).collect();
        // path -> maildir directory (None: only implied by a child).
        let mut found: BTreeMap<Vec<String>, Option<PathBuf>> = BTreeMap::new();
        let layout = if !plus_plus.is_empty() {
            for (name, dir) in plus_plus {
                // Maildir++: ".A.B" is folder B inside A; escaped dots (`\2e`)
                // are part of a name.
                let comps: Vec<&str> = name[1..].split('.').collect();
                if comps.iter().any(|c| c.is_empty()) {
                    problems.push(Problem {
                        severity: Severity::Unreadable,
                        path: dir.display().to_string(),
                        structure: "Maildir++ folder name".into(),
                        offset: None,
                        message: "empty name between dots; folder left out".into(),
                    });
                    continue;
                }
                let folder_path = comps.iter().map(|c| decode_name(c, dir, &mut problems)).collect();
                found.insert(folder_path, Some(dir.clone()));
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
        // Missing parents appear as folders without a directory.
        let keys: Vec<Vec<String>> = found.keys().cloned().collect();
        for k in keys {
            for n in 1..k.len() {
                found.entry(k[..n].to_vec()).or_insert(None);
            }
        }
        let root_dir = path.to_path_buf();
        let mut folders = vec![FolderDir {
            folder: Folder {
                id: FolderId(0),
                parent: None,
                path: Vec::new(),
                name: "INBOX".into(),
                kind: FolderKind::Mail,
                role: FolderRole::Inbox,
            },
            dir: Some(root_dir),
        }];
        // BTreeMap order puts every parent before its children.
        let mut ids: HashMap<Vec<String>, FolderId> = HashMap::new();
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
                Err(e) => return Err(Error::io(&d, e)),
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
            Err(e) => {
                self.problem(Problem {
                    severity: Severity::Damaged,
                    path: dir.join(KEYWORDS_FILE).display().to_string(),
                    structure: "dovecot-keywords".into(),
                    offset: None,
                    message: format!("cannot read ({e}); keywords of this folder are left out"),
                });
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
        if is_maildir(&path) {
            found.insert(fpath.clone(), Some(path.clone()));
        }
        walk_fs(&path, &fpath, depth + 1, visited, found, problems);
    }
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
        let raw = std::fs::read(&entry.path).map_err(|e| Error::io(&entry.path, e))?;
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
        let received = std::fs::metadata(&entry.path)
            .ok()
            .and_then(|m| m.modified().ok())
            .map(unix_secs)
            .or_else(|| leading_timestamp(&name).and_then(|t| i64::try_from(t).ok()));
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
