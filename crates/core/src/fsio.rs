//! Files the way every mailshift format reads and writes them.
//!
//! - Sources are opened read-only, with `O_NOATIME` where the kernel allows
//!   it (the file's owner or a process with `CAP_FOWNER`), so reading a
//!   store for forensic work leaves even its access times as they were.
//! - Mail is private: new files are created `0600` ([`FILE_MODE`]) and new
//!   directories `0700` ([`DIR_MODE`]) in every target. Existing ones keep
//!   their modes.
//! - Temporary files are named `.mailshift-<pid>-<anything>.tmp`
//!   ([`temp_prefix`]), so that a later run can tell the leftovers of a
//!   killed run of ours ([`sweep_stale`]) from anybody else's files.
//! - [`parent_dir`] turns the empty parent of a relative name (`"rescued"`)
//!   into `"."`, so that syncing or creating beside it works from any
//!   working directory.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Mode of every file mailshift creates: readable and writable by the owner only.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every directory mailshift creates: the owner only.
pub const DIR_MODE: u32 = 0o700;

/// Opens a source file read-only, without updating its access time where
/// the kernel allows that.
pub fn open_source(path: &Path) -> io::Result<File> {
    let noatime = rustix::fs::OFlags::NOATIME.bits() as i32;
    match OpenOptions::new().read(true).custom_flags(noatime).open(path) {
        // O_NOATIME is refused (EPERM) on files of another owner; it is a
        // nicety, not a condition.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => File::open(path),
        r => r,
    }
}

/// Reads a whole source file (see [`open_source`]).
pub fn read_source(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = open_source(path)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// Creates `path` and its missing parents as directories of mode [`DIR_MODE`].
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(path)
}

/// Creates a new file of mode [`FILE_MODE`] for writing; fails if it exists.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path)
}

/// The directory that holds `path`: its parent, or `.` for a bare relative
/// name (whose parent `Path::parent` gives as the empty path).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes the entries of directory `dir` durable (fsync of the directory).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Gives the file at `from` the name `to`, never replacing a file there:
/// fails with [`io::ErrorKind::AlreadyExists`] if `to` exists. On Linux one
/// `renameat2(RENAME_NOREPLACE)`; where that is refused (a file system or
/// kernel without it), and elsewhere, a hard link then the removal of
/// `from`, and on file systems without hard links a check then a rename
/// (only another writer racing on the same name could slip in between).
/// One rename is half the directory updates of link + unlink: Maildir and
/// EML name every message this way.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::EXIST => return Err(io::Error::from(e)),
            Err(e) if e != rustix::io::Errno::INVAL && e != rustix::io::Errno::NOSYS => return Err(io::Error::from(e)),
            Err(_) => {}
        }
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            if to.exists() {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "target exists"));
            }
            std::fs::rename(from, to)
        }
    }
}

/// Writers that make files durable with [`sync_files`] do it in batches of
/// this many files ...
pub const SYNC_BATCH_FILES: usize = 512;
/// ... or of this many bytes, whichever comes first: few enough that a
/// message waits little for its name, many enough that one flush of the
/// device serves hundreds of files.
pub const SYNC_BATCH_BYTES: u64 = 64 << 20;

/// Files written and waiting to be made durable together by
/// [`sync_files`], with what the writer keeps of each (`T`), in the order
/// written. [`push`](Self::push) says when the batch is full
/// ([`SYNC_BATCH_FILES`] files or [`SYNC_BATCH_BYTES`]).
#[derive(Debug)]
pub struct SyncBatch<T> {
    items: Vec<T>,
    bytes: u64,
}

impl<T> Default for SyncBatch<T> {
    fn default() -> Self {
        SyncBatch { items: Vec::new(), bytes: 0 }
    }
}

impl<T> SyncBatch<T> {
    /// Adds a file of `bytes` bytes; true when the batch is now full.
    pub fn push(&mut self, item: T, bytes: u64) -> bool {
        self.items.push(item);
        self.bytes += bytes;
        self.items.len() >= SYNC_BATCH_FILES || self.bytes >= SYNC_BATCH_BYTES
    }

    /// Empties the batch and makes its files (`path` of each) durable:
    /// `Ok` with them, in the order pushed, or `Err` with them and why
    /// each one fails. An empty batch is `Ok` without a system call.
    pub fn sync(&mut self, path: impl Fn(&T) -> &Path) -> std::result::Result<Vec<T>, (Vec<T>, SyncFailure)> {
        let items = std::mem::take(&mut self.items);
        self.bytes = 0;
        if items.is_empty() {
            return Ok(items);
        }
        let paths: Vec<&Path> = items.iter().map(&path).collect();
        match sync_files(&paths) {
            Ok(()) => Ok(items),
            Err((at, e)) => {
                let why = format!("{e} (making a batch of {} messages durable)", items.len());
                Err((items, SyncFailure { path: at, kind: e.kind(), why }))
            }
        }
    }
}

/// Why a [`SyncBatch`] could not be made durable: the file the error was
/// met on, and the error with the batch's size.
#[derive(Debug, Clone)]
pub struct SyncFailure {
    path: PathBuf,
    kind: io::ErrorKind,
    why: String,
}

impl SyncFailure {
    /// The error for one file of the batch (each fails with its own).
    pub fn error(&self) -> crate::Error {
        crate::Error::io(&self.path, io::Error::new(self.kind, self.why.clone()))
    }
}

/// Makes the files at `paths` durable together: one `syncfs(2)` of their
/// file system on Linux (one system call and one flush of the device for
/// a batch of hundreds of files, where an fsync each waits on the disk
/// once per file), one fsync per file elsewhere. The error names the
/// file it was met on.
pub fn sync_files(paths: &[&Path]) -> Result<(), (PathBuf, io::Error)> {
    #[cfg(target_os = "linux")]
    if let Some(first) = paths.first() {
        let f = File::open(first).map_err(|e| (first.to_path_buf(), e))?;
        return rustix::fs::syncfs(&f).map_err(|e| (first.to_path_buf(), io::Error::from(e)));
    }
    for p in paths {
        File::open(p).and_then(|f| f.sync_all()).map_err(|e| (p.to_path_buf(), e))?;
    }
    Ok(())
}

/// Starts the writeback of `len` bytes of `file` from `offset` without
/// waiting for it (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`), so that
/// a writer that will fsync the file at the end has the disk working while
/// it goes on, instead of all at once then. A hint: not durability (the
/// fsync gives that) and failures are ignored; elsewhere it does nothing.
#[allow(unsafe_code)]
pub fn start_writeback(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
        // SAFETY: a plain system call on a descriptor `file` owns for the
        // call's duration; it reads no memory of ours.
        let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// The prefix of this process's temporary files: `.mailshift-<pid>-`.
pub fn temp_prefix() -> String {
    format!(".mailshift-{}-", std::process::id())
}

/// The suffix of every mailshift temporary file.
pub const TEMP_SUFFIX: &str = ".tmp";

/// A new temporary file in `dir`, named `.mailshift-<pid>-XXXXXX.tmp`, mode
/// [`FILE_MODE`], removed when dropped unless persisted.
pub fn temp_file_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new().prefix(&temp_prefix()).suffix(TEMP_SUFFIX).tempfile_in(dir)
}

/// The process id in a name of our temporary-file form
/// (`.mailshift-<pid>-….tmp`), or `None` for any other name.
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".mailshift-")?;
    if !rest.ends_with(TEMP_SUFFIX) {
        return None;
    }
    let (pid, tail) = rest.split_once('-')?;
    if tail.len() <= TEMP_SUFFIX.len() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// True while process `pid` exists. Where that cannot be told (no `/proc`),
/// every process is taken to be alive, so nothing is removed by mistake.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// The report's note on the stale temporary files a run removed.
pub fn stale_note(removed: &[PathBuf]) -> String {
    let list: Vec<String> = removed.iter().map(|p| p.display().to_string()).collect();
    format!(
        "removed {} stale temporary file{} of an earlier run: {}",
        removed.len(),
        if removed.len() == 1 { "" } else { "s" },
        list.join(", ")
    )
}

/// Removes from `dir` (not below it) the temporary files that a mailshift
/// run now gone left behind (killed before it could clean up), and returns
/// their paths. Files of a running process, and every name not of our form,
/// are left alone. A missing directory, or a path that is a file, has none.
pub fn sweep_stale(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        // A missing directory, or a file (an mbox target), holds none.
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else { continue };
        if alive(pid) || !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sync_batch_fills_by_files_or_bytes_and_keeps_the_order() {
        let d = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..3).map(|i| d.path().join(format!("f{i}"))).collect();
        let mut batch = SyncBatch::default();
        for (i, p) in paths.iter().enumerate() {
            std::fs::write(p, b"x").unwrap();
            assert!(!batch.push((i, p.clone()), 1), "not full after {} files", i + 1);
        }
        assert!(batch.push((3, paths[0].clone()), SYNC_BATCH_BYTES), "full by bytes");
        let synced = batch.sync(|(_, p)| p.as_path()).unwrap();
        assert_eq!(synced.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert!(batch.sync(|(_, p): &(usize, PathBuf)| p.as_path()).unwrap().is_empty(), "emptied");
        let mut full = SyncBatch::default();
        let filled = (0..SYNC_BATCH_FILES).map(|_| full.push((), 0)).collect::<Vec<_>>();
        assert_eq!(filled.iter().filter(|f| **f).count(), 1, "full at the last file only");
        assert!(filled[SYNC_BATCH_FILES - 1]);
    }

    #[test]
    fn rename_noreplace_never_replaces() {
        let d = tempfile::tempdir().unwrap();
        let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
        std::fs::write(&a, b"one").unwrap();
        std::fs::write(&b, b"two").unwrap();
        let e = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&a).unwrap(), b"one");
        assert_eq!(std::fs::read(&b).unwrap(), b"two");
        rename_noreplace(&a, &c).unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read(&c).unwrap(), b"one");
    }

    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn temp_names() {
        assert_eq!(temp_owner(".mailshift-123-abc.tmp"), Some(123));
        assert_eq!(temp_owner(".mailshift-123-.tmp"), None);
        assert_eq!(temp_owner(".mailshift-x1-abc.tmp"), None);
        assert_eq!(temp_owner(".mailshift-123-abc"), None);
        assert_eq!(temp_owner("mailshift-123-abc.tmp"), None);
        let ours = temp_file_in(&std::env::temp_dir()).unwrap();
        let name = ours.path().file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(temp_owner(&name), Some(std::process::id()));
        assert_eq!(std::fs::metadata(ours.path()).unwrap().permissions().mode() & 0o777, FILE_MODE);
    }

    #[test]
    fn sweep_removes_only_dead_processes_files_of_our_form() {
        let dir = tempfile::tempdir().unwrap();
        // No process has a pid this large (pid_max is at most 2^22).
        let dead = dir.path().join(".mailshift-4999999-x.tmp");
        let live = dir.path().join(format!(".mailshift-{}-x.tmp", std::process::id()));
        let other = dir.path().join(".mailshift-notes.tmp");
        let sub = dir.path().join(".mailshift-4999998-d.tmp");
        for p in [&dead, &live, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(sweep_stale(dir.path()).unwrap(), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && other.exists() && sub.exists());
        assert!(sweep_stale(&dir.path().join("missing")).unwrap().is_empty());
        assert!(sweep_stale(&live).unwrap().is_empty());
    }

    #[test]
    fn private_modes_and_relative_parents() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("a/b");
        create_dir_all(&d).unwrap();
        assert_eq!(std::fs::metadata(&d).unwrap().permissions().mode() & 0o777, DIR_MODE);
        let f = d.join("f");
        drop(create_new(&f).unwrap());
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, FILE_MODE);
        assert!(create_new(&f).is_err());
        assert_eq!(parent_dir(Path::new("rescued")), Path::new("."));
        assert_eq!(parent_dir(Path::new("x/rescued")), Path::new("x"));
        assert_eq!(parent_dir(Path::new("/")), Path::new("."));
        assert_eq!(read_source(&f).unwrap(), b"");
    }
}
