//! [`EmlReader`]: one `.eml` file, or a directory tree of them.

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use mailshift_core::{
    fsio, Error, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, Problem, Result, Severity,
    StoreReader,
};

use crate::name;

/// Directories deeper than this are not entered: a guard against
/// pathological trees (symbolic links to directories are never followed).
const MAX_DEPTH: usize = 64;

/// How many bytes of a file [`EmlReader::probe`] looks at.
const PROBE_BYTES: usize = 4096;

/// The longest folder name a [`name::FOLDER_NAME_FILE`] may record.
const MAX_RECORDED_NAME: u64 = 4096;

#[derive(Debug)]
struct FileEntry {
    path: PathBuf,
    /// `None` when the file could not even be looked at (a directory whose
    /// names can be listed but not searched): reading it reports why.
    size: Option<u64>,
}

#[derive(Debug)]
struct FolderEntry {
    folder: Folder,
    files: Vec<FileEntry>,
    /// Why the directory could not be listed: [`StoreReader::items`] fails
    /// with it, so the folder is a failure in every report, not an empty
    /// folder.
    unlisted: Option<(PathBuf, io::ErrorKind, String)>,
}

/// The folder name recorded in directory `dir` by the writer
/// ([`name::FOLDER_NAME_FILE`]), if there is one that can be read.
pub(crate) fn recorded_name(dir: &Path) -> Option<String> {
    let f = fsio::open_source(&dir.join(name::FOLDER_NAME_FILE)).ok()?;
    let mut buf = Vec::new();
    f.take(MAX_RECORDED_NAME + 1).read_to_end(&mut buf).ok()?;
    if buf.len() as u64 > MAX_RECORDED_NAME {
        return None;
    }
    String::from_utf8(buf).ok()
}

/// Reads `.eml` files.
///
/// A single file is a store with one root folder holding one message. A
/// directory is a tree: each directory a folder (the top one the root),
/// its `*.eml` files the items, sorted by name. Hidden files and
/// directories (leading `.`, such as the writer's temporary files
/// `.mailshift-<pid>-….tmp`) are not items or folders. A directory the
/// writer had to name otherwise (`a_b (2)` for `a?b`) is read under the
/// name it records. The tree is listed once, at [`open`](EmlReader::open);
/// messages are read on demand. A directory that cannot be listed is a
/// folder whose [`items`](StoreReader::items) fail with the reason, and a
/// file that cannot be read fails its [`read`](StoreReader::read).
#[derive(Debug)]
pub struct EmlReader {
    path: PathBuf,
    folders: Vec<FolderEntry>,
    problems: Vec<Problem>,
}

fn is_eml_name(name: &str) -> bool {
    !name.starts_with('.')
        && name.len() > 4
        && name.is_char_boundary(name.len() - 4)
        && name[name.len() - 4..].eq_ignore_ascii_case(".eml")
}

impl EmlReader {
    /// Opens a `.eml` file or a directory of them.
    pub fn open(path: &Path) -> Result<EmlReader> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let root_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let root = Folder {
            id: FolderId(0),
            parent: None,
            path: Vec::new(),
            name: root_name,
            kind: FolderKind::Mail,
            role: FolderRole::None,
        };
        let mut reader = EmlReader { path: path.to_path_buf(), folders: Vec::new(), problems: Vec::new() };
        if meta.is_file() {
            reader.folders.push(FolderEntry {
                folder: root,
                files: vec![FileEntry { path: path.to_path_buf(), size: Some(meta.len()) }],
                unlisted: None,
            });
            return Ok(reader);
        }
        if !meta.is_dir() {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: "neither a file nor a directory".into(),
            });
        }
        reader.folders.push(FolderEntry { folder: root, files: Vec::new(), unlisted: None });
        // Depth-first, children in name order, so parents precede children
        // and the order is the same on every run.
        let mut stack = vec![(0usize, path.to_path_buf(), 0usize)];
        while let Some((idx, dir, depth)) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) => {
                    if idx == 0 {
                        return Err(Error::io(&dir, e));
                    }
                    let why = format!("cannot list the directory (its messages and subfolders are not read): {e}");
                    reader.folders[idx].unlisted = Some((dir, e.kind(), why));
                    continue;
                }
            };
            let mut subdirs: Vec<(String, PathBuf)> = Vec::new();
            let mut files: Vec<(String, FileEntry)> = Vec::new();
            for entry in entries {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        reader.problem(&dir, format!("cannot read directory entry: {e}"));
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                let p = entry.path();
                let ft = match entry.file_type() {
                    Ok(ft) => ft,
                    Err(e) => {
                        if is_eml_name(&name) {
                            // Read (and fail, saying why) like any message.
                            files.push((name, FileEntry { path: p, size: None }));
                        } else if !name.starts_with('.') {
                            reader.problem(&p, format!("cannot tell whether this is a file or a folder: {e}"));
                        }
                        continue;
                    }
                };
                if ft.is_dir() {
                    if !name.starts_with('.') {
                        subdirs.push((name, p));
                    }
                } else if is_eml_name(&name) {
                    // Follows a symbolic link to a file, never to a directory.
                    match std::fs::metadata(&p) {
                        Ok(m) if m.is_file() => files.push((name, FileEntry { path: p, size: Some(m.len()) })),
                        Ok(_) => {}
                        // Not even its size can be had (a directory that
                        // can be listed but not searched): an item all the
                        // same, whose read says why it fails.
                        Err(_) => files.push((name, FileEntry { path: p, size: None })),
                    }
                }
            }
            files.sort_by(|a, b| a.0.cmp(&b.0));
            reader.folders[idx].files = files.into_iter().map(|(_, f)| f).collect();
            subdirs.sort();
            if depth >= MAX_DEPTH {
                if !subdirs.is_empty() {
                    reader.problem(&dir, format!("deeper than {MAX_DEPTH} levels, subfolders not read"));
                }
                continue;
            }
            let parent = reader.folders[idx].folder.clone();
            let mut children = Vec::new();
            for (dir_name, p) in subdirs {
                let name = name::folder_of_dir(&dir_name, recorded_name(&p).as_deref());
                let id = FolderId(reader.folders.len() as u64);
                let mut fpath = parent.path.clone();
                fpath.push(name.clone());
                reader.folders.push(FolderEntry {
                    folder: Folder {
                        id,
                        parent: if parent.is_root() { None } else { Some(parent.id) },
                        path: fpath,
                        role: FolderRole::guess(&name),
                        name,
                        kind: FolderKind::Mail,
                    },
                    files: Vec::new(),
                    unlisted: None,
                });
                children.push((id.0 as usize, p, depth + 1));
            }
            // Reversed so the first child is listed (and numbered) next.
            stack.extend(children.into_iter().rev());
        }
        // Ids were handed out as directories were found; renumber so that
        // folders come parents-first in path order and id = index.
        reader.folders.sort_by(|a, b| a.folder.path.cmp(&b.folder.path));
        let mut new_id = vec![0u64; reader.folders.len()];
        for (i, f) in reader.folders.iter().enumerate() {
            new_id[f.folder.id.0 as usize] = i as u64;
        }
        for f in &mut reader.folders {
            f.folder.id = FolderId(new_id[f.folder.id.0 as usize]);
            f.folder.parent = f.folder.parent.map(|p| FolderId(new_id[p.0 as usize]));
        }
        Ok(reader)
    }

    fn problem(&mut self, path: &Path, message: String) {
        self.problems.push(Problem {
            severity: Severity::Unreadable,
            path: path.display().to_string(),
            structure: "EML directory".into(),
            offset: None,
            message,
        });
    }

    /// True if `path` looks like EML: a file that starts with an RFC 5322
    /// header block (and not with an mbox `From ` line), or a directory
    /// (not a Maildir) whose files are mostly `*.eml`.
    pub fn probe(path: &Path) -> bool {
        if path.is_file() {
            return probe_file(path);
        }
        if !path.is_dir() || path.join("cur").is_dir() || path.join("new").is_dir() {
            return false;
        }
        // Count files in the tree, up to a bound, without following links.
        let (mut eml, mut other) = (0u32, 0u32);
        let mut stack = vec![(path.to_path_buf(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else { continue };
            for e in rd.flatten() {
                if eml + other >= 1000 {
                    break;
                }
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    if depth < 8 {
                        stack.push((e.path(), depth + 1));
                    }
                } else if is_eml_name(&name) {
                    eml += 1;
                } else {
                    other += 1;
                }
            }
        }
        eml > 0 && eml > other
    }
}

fn probe_file(path: &Path) -> bool {
    let Ok(f) = fsio::open_source(path) else { return false };
    let mut buf = Vec::with_capacity(PROBE_BYTES);
    if f.take(PROBE_BYTES as u64).read_to_end(&mut buf).is_err() {
        return false;
    }
    looks_like_header(&buf)
}

/// True if `buf` starts with RFC 5322 header fields (RFC 5322 3.6:
/// `field-name ":"`, field-name printable ASCII but ':'; continuation
/// lines start with white space) up to the blank line or the end of `buf`.
/// An mbox starts with `From ` (no colon after the name), so it fails.
pub fn looks_like_header(buf: &[u8]) -> bool {
    if buf.starts_with(b"From ") {
        return false;
    }
    let mut fields = 0;
    let mut lines = buf.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            // The blank line ends the header; the last piece of a cut buffer
            // is not a line.
            return fields > 0;
        }
        if lines.peek().is_none() && buf.len() >= PROBE_BYTES {
            break; // cut off mid-line by the probe's limit
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if fields == 0 {
                return false;
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { return false };
        if !mailshift_core::mapi::mime::is_field_name(&line[..colon]) {
            return false;
        }
        fields += 1;
    }
    fields > 0
}

impl StoreReader for EmlReader {
    fn format_name(&self) -> &'static str {
        "eml"
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn folders(&self) -> Result<Vec<Folder>> {
        Ok(self.folders.iter().map(|f| f.folder.clone()).collect())
    }

    fn items(&self, folder: FolderId) -> Result<Vec<ItemMeta>> {
        let entry = usize::try_from(folder.0)
            .ok()
            .and_then(|i| self.folders.get(i))
            .ok_or_else(|| Error::UnknownItem { path: self.path.clone(), id: format!("folder {}", folder.0) })?;
        if let Some((dir, kind, why)) = &entry.unlisted {
            return Err(Error::io(dir, io::Error::new(*kind, why.clone())));
        }
        Ok(entry
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| ItemMeta { id: ItemId(folder.0, i as u64), size: f.size })
            .collect())
    }

    fn read(&self, id: ItemId) -> Result<Item<'_>> {
        let file = self.file(id)?;
        let path = &file.path;
        let mut f = fsio::open_source(path).map_err(|e| Error::io(path, e))?;
        let meta = f.metadata().map_err(|e| Error::io(path, e))?;
        // The size read at open() is a hint; the file may have changed since.
        let mut raw = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(64 << 20));
        f.read_to_end(&mut raw).map_err(|e| Error::io(path, e))?;
        let received = meta.modified().ok().and_then(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok(),
            Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
        });
        let mut item = MailItem::new(Cow::Owned(raw));
        item.received = received;
        Ok(Item::Mail(item))
    }

    fn describe(&self, id: ItemId) -> String {
        match self.file(id) {
            Ok(f) => f
                .path
                .strip_prefix(&self.path)
                .ok()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(&f.path)
                .display()
                .to_string(),
            Err(_) => format!("item {}/{}", id.0, id.1),
        }
    }

    fn problems(&self) -> Vec<Problem> {
        self.problems.clone()
    }
}

impl EmlReader {
    fn file(&self, id: ItemId) -> Result<&FileEntry> {
        usize::try_from(id.0)
            .ok()
            .and_then(|i| self.folders.get(i))
            .and_then(|f| usize::try_from(id.1).ok().and_then(|i| f.files.get(i)))
            .ok_or_else(|| Error::UnknownItem { path: self.path.clone(), id: format!("{}/{}", id.0, id.1) })
    }
}
