//! [`MboxWriter`]: appends messages to an mbox file or a Thunderbird tree.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use mailshift_core::{fsio, Error, Folder, FolderRole, Item, Prepared, Result, StoreWriter, Written};
use memchr::memmem;

use crate::flags::{apply_state_parts, first_line_crlf};

/// How lines starting with `From ` are quoted in message bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MboxFormat {
    /// mboxrd: `>` is added to every line matching `^>*From `, so reading
    /// undoes it exactly (the default).
    #[default]
    Mboxrd,
    /// mboxo: `>` is added to lines matching `^From ` only; a line that
    /// really began with `>From ` reads back as `From `.
    Mboxo,
}

/// How [`MboxWriter`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MboxWriteOptions {
    /// Body quoting.
    pub format: MboxFormat,
    /// `fsync` files and directories when a folder is closed.
    pub fsync: bool,
}

impl Default for MboxWriteOptions {
    fn default() -> Self {
        MboxWriteOptions { format: MboxFormat::Mboxrd, fsync: true }
    }
}

/// The folder being written.
struct Open {
    target: PathBuf,
    temp: BufWriter<tempfile::NamedTempFile>,
    /// Bytes given to `temp`, and those of them whose writeback was started.
    written: u64,
    started: u64,
}

/// With fsync on, the writeback of a temporary file is started every so
/// many bytes ([`fsio::start_writeback`]), so that the fsync at the close
/// of the folder finds little left to write.
const WRITEBACK_EVERY: u64 = 8 << 20;

/// Writes mbox: a single file when the source has only a root folder and
/// the target is not a directory (an existing one, or a path ending in
/// `/`), otherwise a directory in Thunderbird's layout (`A`, `A.sbd/B`; the
/// root folder goes to `Inbox`, or to the top-level folder with the Inbox
/// role).
///
/// Appending is atomic per folder, as far as mbox allows: a folder's
/// messages are first written to a temporary file beside the target
/// (`.mailshift-<pid>-XXXXXX.tmp`, mode 0600). On
/// [`close_folder`](StoreWriter::close_folder), a new target is created by
/// renaming the temporary file into place; an existing target gets the
/// temporary file's bytes appended in place (then `fsync`), so it keeps its
/// inode, mode and owner, and if that fails it is truncated back to its old
/// length. The bytes already in an existing target are never rewritten. A
/// crash in the middle of an append can leave part of the new messages at
/// its end; mbox has no way to mark them. The temporary files a killed run
/// left in a directory written to are removed when the writer first uses
/// that directory, and said in [`notes`](StoreWriter::notes).
///
/// New directories are made mode 0700 and new files 0600. An existing
/// non-empty file that is not mbox (by its bytes, as [`probe`](crate::probe)
/// tells) is never appended to: [`create`](MboxWriter::create) or
/// [`open_folder`](StoreWriter::open_folder) refuse it.
pub struct MboxWriter {
    dst: PathBuf,
    opts: MboxWriteOptions,
    single_file: bool,
    targets: HashMap<Vec<String>, PathBuf>,
    open: Option<Open>,
    /// Directories already swept for a dead run's temporary files.
    swept: HashSet<PathBuf>,
    /// What the sweeps removed.
    stale: Vec<PathBuf>,
    /// Sweeps that could not be made, as notes.
    sweep_errors: Vec<String>,
    /// Directories a file was renamed into, made durable once at the end
    /// (each file is synced before its rename, which is atomic either way).
    dirty_dirs: std::collections::BTreeSet<PathBuf>,
}

impl std::fmt::Debug for MboxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MboxWriter").field("dst", &self.dst).field("single_file", &self.single_file).finish()
    }
}

impl MboxWriter {
    /// A writer to `path`. Nothing is created until [`begin`](StoreWriter::begin)
    /// knows whether `path` is to be one file or a directory.
    ///
    /// Fails with [`Error::Unsupported`] if `path` is an existing non-empty
    /// file that is not mbox (a PST, a PDF ...): it is left untouched.
    pub fn create(path: &Path, opts: MboxWriteOptions) -> Result<MboxWriter> {
        check_appendable(path)?;
        Ok(MboxWriter {
            dst: path.to_path_buf(),
            opts,
            single_file: true,
            targets: HashMap::new(),
            open: None,
            swept: HashSet::new(),
            stale: Vec::new(),
            sweep_errors: Vec::new(),
            dirty_dirs: Default::default(),
        })
    }

    /// Removes, once per directory, the temporary files a killed run of
    /// ours left in `dir`.
    fn sweep(&mut self, dir: &Path) {
        if !self.swept.insert(dir.to_path_buf()) {
            return;
        }
        match fsio::sweep_stale(dir) {
            Ok(removed) => self.stale.extend(removed),
            Err(e) => {
                self.sweep_errors.push(format!("could not look for stale temporary files in {}: {e}", dir.display()))
            }
        }
    }

    /// The file a folder is written to.
    fn target_for(&mut self, folder: &Folder) -> PathBuf {
        if self.single_file {
            return self.dst.clone();
        }
        if let Some(t) = self.targets.get(&folder.path) {
            return t.clone();
        }
        // A folder not announced to `begin`: place it now.
        let t = self.place(&folder.path);
        self.targets.insert(folder.path.clone(), t.clone());
        t
    }

    /// Picks a file for a folder path in the Thunderbird layout, avoiding
    /// names already given to other folders.
    fn place(&self, path: &[String]) -> PathBuf {
        let mut dir = self.dst.clone();
        let mut prefix: Vec<String> = Vec::new();
        for (i, name) in path.iter().enumerate() {
            prefix.push(name.clone());
            let file = match self.targets.get(&prefix) {
                Some(t) => t.clone(),
                None => {
                    let base = safe_name(name);
                    let taken = |p: &Path| self.targets.iter().any(|(k, v)| v == p && k != &prefix);
                    let mut cand = dir.join(&base);
                    let mut n = 2;
                    while taken(&cand) {
                        cand = dir.join(format!("{base}~{n}"));
                        n += 1;
                    }
                    cand
                }
            };
            if i + 1 == path.len() {
                return file;
            }
            let mut sbd = file.into_os_string();
            sbd.push(".sbd");
            dir = PathBuf::from(sbd);
        }
        dir
    }

    fn fsync_dir(&self, dir: &Path) -> Result<()> {
        if self.opts.fsync {
            fsio::sync_dir(dir).map_err(|e| Error::io(dir, e))?;
        }
        Ok(())
    }
}

/// Refuses an existing non-empty file that is not mbox by its bytes.
fn check_appendable(path: &Path) -> Result<()> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    if !meta.is_file() || meta.len() == 0 {
        return Ok(());
    }
    if crate::reader::looks_like_mbox(path).map_err(|e| Error::io(path, e))? {
        return Ok(());
    }
    Err(Error::Unsupported {
        path: path.to_path_buf(),
        reason: "the file exists and is not an mbox file (it does not start with a From_ line); \
                 mbox messages are only appended to mbox files"
            .into(),
    })
}

/// True if `path` is written with a trailing `/` (`out/`): a directory.
fn names_a_directory(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().ends_with(b"/")
}

/// A folder name as a file name: no `/`, `\`, NUL or control characters,
/// not `.`/`..` or hidden, and not ending in `.msf`/`.sbd` (Thunderbird's
/// index and subfolder suffixes).
pub(crate) fn safe_name(name: &str) -> String {
    let mut s: String = name.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    if s.trim().is_empty() {
        s = "_".into();
    }
    if s.starts_with('.') {
        s.insert(0, '_');
    }
    let lower = s.to_ascii_lowercase();
    if lower.ends_with(".msf") || lower.ends_with(".sbd") {
        s.push('_');
    }
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// The envelope sender for a From_ line: one token, no white space.
fn sender_token(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.chars().map(|c| if c.is_whitespace() || c.is_control() { '_' } else { c }).collect())
}

/// The From_ line's text (after `From `) for an item.
fn from_line(p: &Prepared<'_>, mail: &mailshift_core::MailItem<'_>) -> Vec<u8> {
    if let Some(l) = &mail.mbox_from_line {
        // Kept as the source had it, but never with a line break in it.
        return l.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect();
    }
    let sender = p
        .info
        .return_path
        .as_deref()
        .and_then(sender_token)
        .or_else(|| p.info.from.as_deref().and_then(sender_token))
        .unwrap_or_else(|| "MAILER-DAEMON".to_string());
    format!("{sender} {}", mailshift_core::time::asctime(p.received().unwrap_or(0))).into_bytes()
}

/// Writes `msg` to `out` with `From ` lines quoted; returns the bytes written.
fn quote_to(msg: &[u8], format: MboxFormat, out: &mut impl Write) -> std::io::Result<u64> {
    let mut cursor = 0;
    let mut n = 0u64;
    for h in memmem::find_iter(msg, b"From ") {
        let mut k = h;
        if format == MboxFormat::Mboxrd {
            while k > 0 && msg[k - 1] == b'>' {
                k -= 1;
            }
        }
        if k == 0 || msg[k - 1] == b'\n' {
            out.write_all(&msg[cursor..k])?;
            out.write_all(b">")?;
            n += (k - cursor) as u64 + 1;
            cursor = k;
        }
    }
    out.write_all(&msg[cursor..])?;
    Ok(n + (msg.len() - cursor) as u64)
}

/// One message as it stands in an mbox file: From_ line, quoted message,
/// final line ending, framing empty line, written to `out` piece by piece
/// (the message is not copied into a buffer of its own). The message is
/// `head` then `rest`, `rest` starting at a line (the header rewritten, the
/// body as it was). Returns the bytes written.
pub(crate) fn frame_to(
    from: &[u8],
    head: &[u8],
    rest: &[u8],
    format: MboxFormat,
    out: &mut impl Write,
) -> std::io::Result<u64> {
    let eol: &[u8] = if first_line_crlf(head) { b"\r\n" } else { b"\n" };
    out.write_all(b"From ")?;
    out.write_all(from)?;
    out.write_all(eol)?;
    let mut n = 5 + (from.len() + eol.len()) as u64;
    n += quote_to(head, format, out)?;
    n += quote_to(rest, format, out)?;
    let last = if rest.is_empty() { head } else { rest };
    if !last.is_empty() && !last.ends_with(b"\n") {
        out.write_all(eol)?;
        n += eol.len() as u64;
    }
    out.write_all(eol)?;
    Ok(n + eol.len() as u64)
}

impl StoreWriter for MboxWriter {
    fn format_name(&self) -> &'static str {
        "mbox"
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        self.single_file = folders.iter().all(|f| f.is_root()) && !self.dst.is_dir() && !names_a_directory(&self.dst);
        if self.single_file {
            let parent = fsio::parent_dir(&self.dst).to_path_buf();
            fsio::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
            self.sweep(&parent);
            return Ok(());
        }
        fsio::create_dir_all(&self.dst).map_err(|e| Error::io(&self.dst, e))?;
        self.sweep(&self.dst.clone());
        // The root folder shares the inbox's file: a top-level folder with
        // the Inbox role among those written, else an inbox already in the
        // target, else `Inbox`.
        let inbox_name = folders
            .iter()
            .find(|f| f.path.len() == 1 && f.role == FolderRole::Inbox)
            .map(|f| f.path.clone())
            .or_else(|| {
                let rd = std::fs::read_dir(&self.dst).ok()?;
                let mut names: Vec<String> = rd
                    .flatten()
                    .filter(|e| e.path().is_file())
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| FolderRole::guess(n) == FolderRole::Inbox)
                    .collect();
                names.sort();
                names.into_iter().next().map(|n| vec![n])
            })
            .unwrap_or_else(|| vec!["Inbox".to_string()]);
        for f in folders {
            let key = if f.is_root() { inbox_name.clone() } else { f.path.clone() };
            let t = match self.targets.get(&key) {
                Some(t) => t.clone(),
                None => {
                    let t = self.place(&key);
                    self.targets.insert(key, t.clone());
                    t
                }
            };
            self.targets.insert(f.path.clone(), t);
        }
        Ok(())
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        if self.open.is_some() {
            self.close_folder()?;
        }
        let target = self.target_for(folder);
        check_appendable(&target)?;
        let dir = fsio::parent_dir(&target).to_path_buf();
        fsio::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        self.sweep(&dir);
        if !self.single_file {
            // Thunderbird expects a file for every folder that has a `.sbd`.
            let mut d = dir.clone();
            while d != self.dst && d.starts_with(&self.dst) {
                if let (Some(parent), Some(name)) = (d.parent(), d.file_name().and_then(|n| n.to_str())) {
                    if let Some(base) = name.strip_suffix(".sbd") {
                        let file = parent.join(base);
                        match fsio::create_new(&file) {
                            Ok(_) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                            Err(e) => return Err(Error::io(&file, e)),
                        }
                    }
                    d = parent.to_path_buf();
                } else {
                    break;
                }
            }
        }
        let temp = fsio::temp_file_in(&dir).map_err(|e| Error::io(&dir, e))?;
        // Small messages and the pieces of framing go out together; a piece
        // of 64 KiB or more (BufWriter's rule: at least its capacity) is
        // written from the message itself, not copied into the buffer first.
        self.open = Some(Open { target, temp: BufWriter::with_capacity(64 << 10, temp), written: 0, started: 0 });
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let Some(open) = self.open.as_mut() else {
            return Err(Error::Invalid { what: "mbox write", reason: "write() before open_folder()".into() });
        };
        let Item::Mail(mail) = &item.item else {
            return Err(Error::Unsupported {
                path: open.target.clone(),
                reason: format!("mbox cannot hold {} items", item.item.kind().as_str()),
            });
        };
        let (head, rest, not_kept) = apply_state_parts(&mail.raw, mail.flags, &mail.keywords);
        let bytes = frame_to(&from_line(item, mail), &head, rest, self.opts.format, &mut open.temp)
            .map_err(|e| Error::io(open.temp.get_ref().path(), e))?;
        open.written += bytes;
        if self.opts.fsync {
            // What has reached the file: all but what the buffer holds.
            let in_file = open.written - open.temp.buffer().len() as u64;
            if in_file - open.started >= WRITEBACK_EVERY {
                fsio::start_writeback(open.temp.get_ref().as_file(), open.started, in_file - open.started);
                open.started = in_file;
            }
        }
        Ok(Written { bytes, lost: Vec::new(), not_kept, ..Written::default() })
    }

    fn close_folder(&mut self) -> Result<()> {
        let Some(open) = self.open.take() else { return Ok(()) };
        let Open { target, temp, .. } = open;
        let temp = temp.into_inner().map_err(|e| Error::io(&target, e.into_error()))?;
        if self.opts.fsync {
            temp.as_file().sync_all().map_err(|e| Error::io(temp.path(), e))?;
        }
        let dir = fsio::parent_dir(&target).to_path_buf();
        if !target.exists() {
            match temp.persist_noclobber(&target) {
                Ok(_) => {
                    self.dirty_dirs.insert(dir);
                    return Ok(());
                }
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                    // Created meanwhile: append to it instead.
                    return append(&target, e.file, self.opts.fsync);
                }
                Err(e) => return Err(Error::io(&target, e.error)),
            }
        }
        append(&target, temp, self.opts.fsync)
    }

    fn finish(&mut self) -> Result<()> {
        self.close_folder()?;
        // Every directory a file went into, and those between it and DST
        // (a new `.sbd` directory's entry is in its parent), deepest first.
        let mut dirs = std::mem::take(&mut self.dirty_dirs);
        for d in dirs.clone() {
            let mut p = d.parent();
            while let Some(up) = p.filter(|u| u.starts_with(&self.dst) && *u != self.dst.as_path()) {
                dirs.insert(up.to_path_buf());
                p = up.parent();
            }
        }
        for d in dirs.iter().rev() {
            self.fsync_dir(d)?;
        }
        if !self.single_file && self.dst.is_dir() {
            self.fsync_dir(&self.dst.clone())?;
        }
        Ok(())
    }

    fn notes(&self) -> Vec<String> {
        self.sweep_errors.clone()
    }

    fn swept(&self) -> Vec<PathBuf> {
        self.stale.clone()
    }
}

/// Appends the temporary file's bytes to `target`; on failure truncates
/// `target` back to its old length.
fn append(target: &Path, temp: tempfile::NamedTempFile, fsync: bool) -> Result<()> {
    let mut f = OpenOptions::new().read(true).write(true).open(target).map_err(|e| Error::io(target, e))?;
    let old_len = f.metadata().map_err(|e| Error::io(target, e))?.len();
    let mut src = temp.reopen().map_err(|e| Error::io(temp.path(), e))?;
    if src.metadata().map_err(|e| Error::io(temp.path(), e))?.len() == 0 {
        return Ok(());
    }
    let result = (|| -> std::io::Result<()> {
        // The From_ line must follow an empty line: complete the file's
        // last message if it ends without one.
        let mut tail = [0u8; 3];
        let n = old_len.min(3);
        if n > 0 {
            f.seek(SeekFrom::Start(old_len - n))?;
            f.read_exact(&mut tail[..n as usize])?;
        }
        let tail = &tail[..n as usize];
        let pad: &[u8] = if n == 0 || tail.ends_with(b"\n\n") || tail.ends_with(b"\n\r\n") {
            b""
        } else if tail.ends_with(b"\r\n") {
            b"\r\n"
        } else if tail.ends_with(b"\n") {
            b"\n"
        } else {
            b"\n\n"
        };
        f.seek(SeekFrom::End(0))?;
        f.write_all(pad)?;
        std::io::copy(&mut src, &mut f)?;
        if fsync {
            f.sync_all()?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = f.set_len(old_len);
        if fsync {
            let _ = f.sync_all();
        }
        return Err(Error::io(target, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let mut o = Vec::new();
        let n = quote_to(b"From a\n>From b\nx From c\n>>From d\n", MboxFormat::Mboxrd, &mut o).unwrap();
        assert_eq!(o, b">From a\n>>From b\nx From c\n>>>From d\n");
        assert_eq!(n as usize, o.len());
        let mut o = Vec::new();
        quote_to(b"From a\n>From b\n", MboxFormat::Mboxo, &mut o).unwrap();
        assert_eq!(o, b">From a\n>From b\n");
        // The framing counts what it writes.
        let mut o = Vec::new();
        let n = frame_to(b"x 1", b"Subject: a\r\n\r\n", b"From here", MboxFormat::Mboxrd, &mut o).unwrap();
        assert_eq!(o, b"From x 1\r\nSubject: a\r\n\r\n>From here\r\n\r\n");
        assert_eq!(n as usize, o.len());
    }

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("a/b"), "a_b");
        assert_eq!(safe_name(".."), "_..");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("x.msf"), "x.msf_");
        assert_eq!(safe_name("a\0b\n"), "a_b_");
    }
}
