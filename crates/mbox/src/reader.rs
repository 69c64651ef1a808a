//! [`MboxReader`]: one mbox file, or a directory tree of them (Thunderbird).

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use mailshift_core::{
    Error, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, Mapped, Problem, Result,
    Severity, StoreReader,
};
use memchr::memmem;

use crate::flags::parse_state;
use crate::scan::{probe_bytes, scan, separator_date, Scan};

/// How many bytes of a file [`probe`] looks at.
const PROBE_BYTES: u64 = 64 << 10;
/// Deepest `.sbd` nesting followed; deeper trees are reported, not read.
const MAX_DEPTH: usize = 32;
/// Item ids keep the file's index in their top 16 bits.
const FILE_SHIFT: u32 = 48;
const OFFSET_MASK: u64 = (1 << FILE_SHIFT) - 1;

/// Files that live beside Thunderbird's mbox files and are never mail.
/// (`vcf` and `ics`: the contacts and calendars mailshift writes beside the mail.)
const NOT_MBOX_EXT: [&str; 14] =
    ["msf", "dat", "html", "htm", "json", "sqlite", "db", "js", "txt", "log", "xml", "eml", "vcf", "ics"];

/// One mbox file of the store.
#[derive(Debug)]
struct MboxFile {
    path: PathBuf,
    map: std::result::Result<Mapped, (std::io::ErrorKind, String)>,
    scan: OnceLock<Scan>,
}

/// Reads an mbox file, or a directory of mbox files in Thunderbird's layout.
///
/// The files are memory-mapped; [`items`](StoreReader::items) scans a file
/// once (the scan is kept), and [`read`](StoreReader::read) touches only the
/// message's bytes. Messages are returned borrowed from the map unless
/// mboxrd quoting had to be undone.
///
/// Every input is read as mboxrd: one `>` is removed from each line matching
/// `^>+From `. That is also right for mboxo, except for a line that really
/// began with `>From ` (mboxo could not tell those apart either).
#[derive(Debug)]
pub struct MboxReader {
    path: PathBuf,
    folders: Vec<Folder>,
    /// For each folder (by index = id), its file's index in `files`.
    folder_file: Vec<Option<usize>>,
    files: Vec<MboxFile>,
    problems: Mutex<Vec<Problem>>,
}

/// True if `path` looks like mbox by its bytes: a file starting with a
/// From_ line (after an optional BOM and empty lines), or with a header
/// block followed by a From_ separator; or a directory (not a Maildir)
/// holding such files. The file name's extension plays no part.
pub fn probe(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    if meta.is_dir() {
        if ["cur", "new", "tmp"].iter().any(|d| path.join(d).is_dir()) {
            return false;
        }
        let mut nodes = Vec::new();
        let mut problems = Vec::new();
        discover(path, 0, &mut nodes, &mut problems);
        return has_file(&nodes);
    }
    probe_file(path)
}

fn probe_file(path: &Path) -> bool {
    looks_like_mbox(path).unwrap_or(false)
}

/// Whether the first bytes of the file at `path` look like mbox (see
/// [`probe`]), or the error met reading them. The file is opened as every
/// source is ([`fsio::open_source`](mailshift_core::fsio::open_source):
/// read-only, its access time left alone).
pub(crate) fn looks_like_mbox(path: &Path) -> std::io::Result<bool> {
    let f = mailshift_core::fsio::open_source(path)?;
    let mut buf = Vec::new();
    f.take(PROBE_BYTES).read_to_end(&mut buf)?;
    Ok(probe_bytes(&buf))
}

/// A folder found in a directory tree, before ids are given out.
#[derive(Debug)]
struct Node {
    name: String,
    file: Option<PathBuf>,
    children: Vec<Node>,
}

fn has_file(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| n.file.is_some() || has_file(&n.children))
}

/// Lists the mbox folders of `dir`: `NAME` / `NAME.mbox` files hold a
/// folder's messages, `NAME.sbd` / `NAME.mbox.sbd` directories its children
/// (Thunderbird's layout). Other directories are read as folders of their
/// own if they hold mbox files.
///
/// Nothing is left out unsaid: an entry passed over on purpose (a hidden
/// file, Thunderbird's `.msf` index, a `.vcf`/`.ics` file written beside
/// the mail, a file that is not mbox, a link to a directory) is a note, and
/// a directory or entry that cannot be looked at is unreadable. A file that
/// cannot be opened is still a folder, whose items are the error.
fn discover(dir: &Path, depth: usize, out: &mut Vec<Node>, problems: &mut Vec<Problem>) {
    const TREE: &str = "mbox folder tree";
    let note = |problems: &mut Vec<Problem>, path: &Path, message: String| {
        problems.push(Problem::new(Severity::Note, path.display().to_string(), TREE, None, message));
    };
    let unreadable = |problems: &mut Vec<Problem>, path: &Path, message: String| {
        problems.push(Problem::new(Severity::Unreadable, path.display().to_string(), TREE, None, message));
    };
    if depth > MAX_DEPTH {
        unreadable(problems, dir, format!("more than {MAX_DEPTH} levels of subfolders; not read further"));
        return;
    }
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            unreadable(problems, dir, format!("cannot list directory: {e}"));
            return;
        }
    };
    let mut entries: Vec<(String, PathBuf)> = Vec::new();
    for e in rd {
        match e {
            // A name that is not UTF-8 is shown with U+FFFD; its path stays exact.
            Ok(e) => entries.push((e.file_name().to_string_lossy().into_owned(), e.path())),
            Err(e) => unreadable(problems, dir, format!("cannot read the directory's entries: {e}")),
        }
    }
    entries.sort();
    let names: std::collections::HashSet<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut dirs: Vec<(String, PathBuf, bool)> = Vec::new();
    for (name, path) in &entries {
        if name.starts_with('.') {
            note(problems, path, format!("skipped hidden entry {name}"));
            continue;
        }
        let lmeta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                unreadable(problems, path, format!("cannot look at this entry: {e}"));
                continue;
            }
        };
        if lmeta.is_dir() {
            if let Some(base) = strip_suffix_ci(name, ".sbd") {
                let base = strip_suffix_ci(base, ".mbox").unwrap_or(base);
                dirs.push((base.to_string(), path.clone(), true));
            } else if let Some(base) = strip_suffix_ci(name, ".mbox").filter(|_| path.join("mbox").is_file()) {
                // Apple Mail's export: `NAME.mbox/mbox`.
                files.push((base.to_string(), path.join("mbox")));
            } else {
                dirs.push((name.clone(), path.clone(), false));
            }
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                note(problems, path, format!("skipped {name}: a symbolic link to nothing"));
                continue;
            }
            Err(e) => {
                unreadable(problems, path, format!("cannot look at this entry: {e}"));
                continue;
            }
        };
        if meta.is_dir() {
            // Symbolic links to directories are not followed: a link cycle
            // would make the walk endless.
            note(problems, path, format!("skipped {name}: a symbolic link to a directory, not followed"));
            continue;
        }
        if !meta.is_file() {
            note(problems, path, format!("skipped {name}: not a regular file"));
            continue;
        }
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let has_msf = names.contains(format!("{name}.msf").as_str());
        // Whether the file's bytes are mbox; a file that cannot be read is
        // taken as a folder, so that its error is reported, not hidden.
        let probed = || meta.len() == 0 || looks_like_mbox(path).unwrap_or(true);
        let not_mbox = |problems: &mut Vec<Problem>| {
            note(problems, path, format!("skipped {name}: not an mbox file (it does not start with a From_ line)"));
        };
        let folder_name = if let Some(base) = strip_suffix_ci(name, ".mbox") {
            Some(base.to_string())
        } else if has_msf {
            // Thunderbird keeps a `.msf` index beside every folder file.
            if probed() {
                Some(name.clone())
            } else {
                not_mbox(problems);
                None
            }
        } else if let Some(e) = ext.as_deref().filter(|e| NOT_MBOX_EXT.contains(e)) {
            let why = match e {
                "msf" => format!("skipped .msf index file {name}: Thunderbird's summary, not mail"),
                "vcf" => format!("skipped {name}: a vCard file (contacts), not an mbox folder"),
                "ics" => format!("skipped {name}: an iCalendar file (calendar, tasks), not an mbox folder"),
                _ => format!("skipped {name}: .{e} files are not mail folders"),
            };
            note(problems, path, why);
            None
        } else if meta.len() == 0 {
            if ext.is_none() {
                Some(name.clone())
            } else {
                note(problems, path, format!("skipped {name}: an empty file whose name is not a folder's"));
                None
            }
        } else if probed() {
            Some(name.clone())
        } else {
            not_mbox(problems);
            None
        };
        if let Some(n) = folder_name {
            files.push((n, path.clone()));
        }
    }
    let mut nodes: Vec<Node> = Vec::new();
    for (name, path) in files {
        if nodes.iter().any(|n| n.name == name) {
            // `Foo` and `Foo.mbox` side by side: keep both, the second under
            // its file name.
            let alt = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| name.clone());
            nodes.push(Node { name: alt, file: Some(path), children: Vec::new() });
        } else {
            nodes.push(Node { name, file: Some(path), children: Vec::new() });
        }
    }
    for (name, path, sbd) in dirs {
        let mut children = Vec::new();
        let known = problems.len();
        discover(&path, depth + 1, &mut children, problems);
        if !sbd && !has_file(&children) {
            // Said only if nothing inside it was said already.
            if problems.len() == known {
                note(problems, &path, format!("skipped directory {name}: it holds no mbox file"));
            }
            continue;
        }
        match nodes.iter_mut().find(|n| n.name == name) {
            Some(n) => n.children.extend(children),
            None => nodes.push(Node { name, file: None, children }),
        }
    }
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(nodes);
}

fn strip_suffix_ci<'s>(name: &'s str, suffix: &str) -> Option<&'s str> {
    let n = name.len().checked_sub(suffix.len())?;
    (n > 0 && name.is_char_boundary(n) && name[n..].eq_ignore_ascii_case(suffix)).then(|| &name[..n])
}

impl MboxReader {
    /// Opens a single mbox file (one root folder, named after the file's
    /// stem) or a directory of mbox files (one folder per file, Thunderbird's
    /// `.sbd` directories giving subfolders).
    pub fn open(path: &Path) -> Result<MboxReader> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let mut reader = MboxReader {
            path: path.to_path_buf(),
            folders: Vec::new(),
            folder_file: Vec::new(),
            files: Vec::new(),
            problems: Mutex::new(Vec::new()),
        };
        if meta.is_dir() {
            let mut nodes = Vec::new();
            let mut problems = Vec::new();
            discover(path, 0, &mut nodes, &mut problems);
            reader.add_nodes(nodes, None, &[])?;
            reader.problems = Mutex::new(problems);
        } else {
            let map = Mapped::open(path)?;
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            reader.folders.push(Folder {
                id: FolderId(0),
                parent: None,
                path: Vec::new(),
                role: FolderRole::guess(&name),
                name,
                kind: FolderKind::Mail,
            });
            reader.folder_file.push(Some(0));
            reader.files.push(MboxFile { path: path.to_path_buf(), map: Ok(map), scan: OnceLock::new() });
        }
        Ok(reader)
    }

    fn add_nodes(&mut self, nodes: Vec<Node>, parent: Option<FolderId>, prefix: &[String]) -> Result<()> {
        for node in nodes {
            let id = FolderId(self.folders.len() as u64);
            let mut path = prefix.to_vec();
            path.push(node.name.clone());
            let file = match node.file {
                Some(p) => {
                    if self.files.len() as u64 > (u64::MAX >> FILE_SHIFT) {
                        return Err(Error::Unsupported {
                            path: self.path.clone(),
                            reason: format!("more than {} mbox files", u64::MAX >> FILE_SHIFT),
                        });
                    }
                    let map = Mapped::open(&p).map_err(|e| match e {
                        Error::Io { source, .. } => (source.kind(), source.to_string()),
                        other => (std::io::ErrorKind::Other, other.to_string()),
                    });
                    self.files.push(MboxFile { path: p, map, scan: OnceLock::new() });
                    Some(self.files.len() - 1)
                }
                None => None,
            };
            self.folders.push(Folder {
                id,
                parent,
                role: FolderRole::guess(&node.name),
                name: node.name,
                path: path.clone(),
                kind: FolderKind::Mail,
            });
            self.folder_file.push(file);
            self.add_nodes(node.children, Some(id), &path)?;
        }
        Ok(())
    }

    /// The bytes of file `i`, or the error met mapping it.
    fn data(&self, i: usize) -> Result<&[u8]> {
        let f =
            self.files.get(i).ok_or_else(|| Error::UnknownItem { path: self.path.clone(), id: format!("file {i}") })?;
        match &f.map {
            Ok(m) => Ok(m),
            Err((kind, msg)) => Err(Error::io(&f.path, std::io::Error::new(*kind, msg.clone()))),
        }
    }

    /// The scan of file `i`, made on first use (its problems recorded then).
    fn scan(&self, i: usize) -> Result<&Scan> {
        let data = self.data(i)?;
        let f = &self.files[i];
        Ok(f.scan.get_or_init(|| {
            let s = scan(data);
            if !s.problems.is_empty() {
                let mut p = self.problems.lock().unwrap_or_else(|e| e.into_inner());
                p.extend(s.problems.iter().map(|(severity, offset, structure, message)| Problem {
                    severity: *severity,
                    path: f.path.display().to_string(),
                    structure: (*structure).to_string(),
                    offset: Some(*offset),
                    message: message.clone(),
                }));
            }
            s
        }))
    }

    /// The file and message an id names, if it is one this reader gave out.
    fn lookup(&self, id: ItemId) -> Result<(usize, &crate::scan::Msg)> {
        let unknown = || Error::UnknownItem { path: self.path.clone(), id: format!("{:?}", id) };
        let file = usize::try_from(id.0 >> FILE_SHIFT).map_err(|_| unknown())?;
        let start = usize::try_from(id.0 & OFFSET_MASK).map_err(|_| unknown())?;
        if file >= self.files.len() {
            return Err(unknown());
        }
        let s = self.scan(file)?;
        let i = s.msgs.binary_search_by_key(&start, |m| m.start).map_err(|_| unknown())?;
        let m = &s.msgs[i];
        if m.end as u64 != id.1 {
            return Err(unknown());
        }
        Ok((file, m))
    }
}

/// The message with one `>` removed from every line matching `^>+From `
/// (mboxrd), borrowed if there is none.
pub(crate) fn unquote(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut drop: Vec<usize> = Vec::new();
    for h in memmem::find_iter(raw, b"From ") {
        let mut k = h;
        while k > 0 && raw[k - 1] == b'>' {
            k -= 1;
        }
        if k < h && (k == 0 || raw[k - 1] == b'\n') {
            drop.push(k);
        }
    }
    if drop.is_empty() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut cursor = 0;
    for k in drop {
        out.extend_from_slice(&raw[cursor..k]);
        cursor = k + 1;
    }
    out.extend_from_slice(&raw[cursor..]);
    Cow::Owned(out)
}

impl StoreReader for MboxReader {
    fn format_name(&self) -> &'static str {
        "mbox"
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn folders(&self) -> Result<Vec<Folder>> {
        Ok(self.folders.clone())
    }

    fn items(&self, folder: FolderId) -> Result<Vec<ItemMeta>> {
        let idx = usize::try_from(folder.0).ok().filter(|&i| i < self.folders.len());
        let Some(idx) = idx else {
            return Err(Error::UnknownItem { path: self.path.clone(), id: format!("folder {}", folder.0) });
        };
        let Some(file) = self.folder_file[idx] else { return Ok(Vec::new()) };
        if self.data(file)?.len() as u64 > OFFSET_MASK {
            return Err(Error::Unsupported {
                path: self.files[file].path.clone(),
                reason: format!("mbox files over {OFFSET_MASK} bytes are not supported"),
            });
        }
        let s = self.scan(file)?;
        Ok(s.msgs
            .iter()
            .map(|m| ItemMeta {
                id: ItemId(((file as u64) << FILE_SHIFT) | m.start as u64, m.end as u64),
                size: Some((m.end - m.start) as u64),
            })
            .collect())
    }

    fn read(&self, id: ItemId) -> Result<Item<'_>> {
        let (file, m) = self.lookup(id)?;
        let data = self.data(file)?;
        let raw = unquote(&data[m.start..m.end]);
        let state = parse_state(&raw);
        let (from_line, received) = match m.from_line {
            Some((s, e)) => {
                let text = &data[s + 5..e];
                (Some(Cow::Borrowed(text)), separator_date(text))
            }
            None => (None, None),
        };
        Ok(Item::Mail(MailItem {
            raw,
            flags: state.flags,
            keywords: state.keywords,
            received,
            mbox_from_line: from_line,
        }))
    }

    fn describe(&self, id: ItemId) -> String {
        let file = (id.0 >> FILE_SHIFT) as usize;
        let name =
            self.files.get(file).map_or_else(|| self.path.display().to_string(), |f| f.path.display().to_string());
        let offset = match self.lookup(id) {
            Ok((_, m)) => m.from_line.map_or(m.start, |(s, _)| s),
            Err(_) => (id.0 & OFFSET_MASK) as usize,
        };
        format!("{name} offset {offset}")
    }

    fn problems(&self) -> Vec<Problem> {
        self.problems.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
