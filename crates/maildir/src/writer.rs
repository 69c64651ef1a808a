//! Writing a Maildir tree (Maildir++ or Dovecot `LAYOUT=fs`).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailshift_core::{Error, Folder, FolderKind, FolderRole, Prepared, Result, StoreWriter, Written};

use crate::info::{flag_letters, read_keywords, valid_keyword, MAX_KEYWORDS};
use crate::name::encode_component;
use crate::reader::KEYWORDS_FILE;
use crate::Layout;

/// How a [`MaildirWriter`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaildirWriteOptions {
    /// `fsync` each message file before it is moved into place, and the
    /// folder's directories when the folder is closed (default `true`).
    pub fsync: bool,
    /// Where subfolders go (default [`Layout::MaildirPlusPlus`]).
    pub layout: Layout,
}

impl Default for MaildirWriteOptions {
    fn default() -> Self {
        MaildirWriteOptions { fsync: true, layout: Layout::MaildirPlusPlus }
    }
}

/// The folder being written.
#[derive(Debug)]
struct OpenFolder {
    dir: PathBuf,
    /// `dovecot-keywords`: index -> name (`None`: a gap in the file's numbering).
    keywords: Vec<Option<String>>,
}

/// Writes a Maildir that Dovecot and Courier read.
///
/// - The root folder (empty path), and a top-level folder with role
///   [`FolderRole::Inbox`] or named `INBOX` (any case), go to the top-level
///   maildir; other folders to `.A.B` (Maildir++, with a `maildirfolder`
///   marker file) or `A/B` (`LAYOUT=fs`), names encoded as in
///   [`crate::name`].
/// - Each message is written to `tmp/` under a unique name
///   (`<secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>`), given the received time
///   as its mtime (Dovecot's received date), made durable, then linked into
///   place, never replacing an existing file. With `fsync`, messages are
///   made durable in batches (up to 512 files or 64 MiB): on Linux one
///   `syncfs(2)` flushes the whole batch, elsewhere each file is fsynced;
///   only then are the batch's files moved into place, so a crash leaves
///   whole messages in `cur/`/`new/` and at most a batch of files in `tmp/`
///   (which Maildir readers ignore). A message with any flag or
///   keyword goes to `cur/` with `:2,<letters>`; one with neither goes to
///   `new/` without info, as a mail delivery agent would leave it (Dovecot
///   shows it as `\Recent`).
/// - Keywords are numbered in the folder's `dovecot-keywords` (existing
///   entries kept), written atomically before the first message that uses a
///   new one. A folder holds at most 26; further ones, and names that are
///   not IMAP atoms, are reported in [`Written::lost`].
/// - `cur/`, `new/` and the folder's directory are fsynced once, in
///   [`close_folder`](StoreWriter::close_folder), not after every message.
#[derive(Debug)]
pub struct MaildirWriter {
    root: PathBuf,
    opts: MaildirWriteOptions,
    hostname: String,
    pid: u32,
    counter: u64,
    open: Option<OpenFolder>,
    /// Messages written to `tmp/` and waiting to be made durable and moved
    /// into place (with `fsync` only; see [`MaildirWriter::commit`]).
    pending: Vec<Pending>,
    /// Bytes of the pending messages.
    pending_bytes: u64,
}

/// A message in `tmp/` waiting for its move to `cur/` or `new/`.
#[derive(Debug)]
struct Pending {
    tmp: PathBuf,
    dest: PathBuf,
}

/// With `fsync`, messages are made durable in batches of this many files ...
const BATCH_FILES: usize = 512;
/// ... or of this many bytes, whichever comes first.
const BATCH_BYTES: u64 = 64 << 20;

/// The host name as Maildir file names carry it: `/` and `:` written as
/// `\057` and `\072` (the Maildir specification; Dovecot does the same).
fn maildir_hostname() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_string());
    let mut out = String::new();
    for c in raw.chars() {
        match c {
            '/' => out.push_str("\\057"),
            ':' => out.push_str("\\072"),
            // A comma would start a field (`,S=`), and control characters
            // and white space have no place in a file name.
            ',' => out.push_str("\\054"),
            c if c.is_control() || c.is_whitespace() => out.push('_'),
            c => out.push(c),
        }
    }
    out
}

fn create_dirs(dir: &Path) -> Result<()> {
    for sub in ["cur", "new", "tmp"] {
        let d = dir.join(sub);
        fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
    }
    Ok(())
}

/// Makes the files of a batch durable: one `syncfs(2)` of their file
/// system on Linux, one fsync per file elsewhere.
fn durable(batch: &[Pending]) -> std::result::Result<(), (PathBuf, std::io::Error)> {
    #[cfg(target_os = "linux")]
    if let Some(first) = batch.first() {
        let f = File::open(&first.tmp).map_err(|e| (first.tmp.clone(), e))?;
        return rustix::fs::syncfs(&f).map_err(|e| (first.tmp.clone(), std::io::Error::from(e)));
    }
    for p in batch {
        File::open(&p.tmp).and_then(|f| f.sync_all()).map_err(|e| (p.tmp.clone(), e))?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(|e| Error::io(dir, e))
}

impl MaildirWriter {
    /// Creates (or opens, to add to it) the Maildir at `path`, with its
    /// root maildir's `cur/`, `new/` and `tmp/`.
    pub fn create(path: &Path, opts: MaildirWriteOptions) -> Result<MaildirWriter> {
        create_dirs(path)?;
        Ok(MaildirWriter {
            root: path.to_path_buf(),
            opts,
            hostname: maildir_hostname(),
            pid: std::process::id(),
            counter: 0,
            open: None,
            pending: Vec::new(),
            pending_bytes: 0,
        })
    }

    /// The maildir directory `folder` is written to.
    pub fn folder_dir(&self, folder: &Folder) -> Result<PathBuf> {
        let p = &folder.path;
        let inbox = p.len() == 1 && (folder.role == FolderRole::Inbox || p[0].eq_ignore_ascii_case("INBOX"));
        if p.is_empty() || inbox {
            return Ok(self.root.clone());
        }
        if p.iter().any(|n| n.is_empty()) {
            return Err(Error::Unsupported {
                path: self.root.clone(),
                reason: format!("folder {:?} has an empty name, which Maildir cannot store", folder.display_path()),
            });
        }
        let comps: Vec<String> = p.iter().map(|n| encode_component(n, self.opts.layout)).collect();
        let dir = match self.opts.layout {
            Layout::MaildirPlusPlus => self.root.join(format!(".{}", comps.join("."))),
            Layout::Fs => comps.iter().fold(self.root.clone(), |d, c| d.join(c)),
        };
        // Most file systems allow 255 bytes per name; say so here rather
        // than with an obscure "File name too long" later.
        if dir.file_name().is_some_and(|n| n.len() > 255) {
            return Err(Error::Unsupported {
                path: dir,
                reason: "folder name longer than 255 bytes once encoded".into(),
            });
        }
        Ok(dir)
    }

    fn write_keywords(&mut self) -> Result<()> {
        let Some(open) = &self.open else { return Ok(()) };
        let mut text = String::new();
        for (i, k) in open.keywords.iter().enumerate() {
            if let Some(k) = k {
                text.push_str(&format!("{i} {k}\n"));
            }
        }
        let target = open.dir.join(KEYWORDS_FILE);
        let tmp = open.dir.join("tmp").join(format!("{KEYWORDS_FILE}.{}.{}", self.pid, self.counter));
        self.counter += 1;
        // A private name in our own tmp/: a leftover from a crashed run may be replaced.
        let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(text.as_bytes()).map_err(|e| Error::io(&tmp, e))?;
        if self.opts.fsync {
            f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        }
        drop(f);
        fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))?;
        Ok(())
    }

    /// Makes the pending messages durable and moves them into place.
    ///
    /// On an error, the messages not yet placed stay in `tmp/` and the error
    /// says how many: the converter then counts the folder's messages as
    /// failed rather than copied.
    fn commit(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let n = pending.len();
        let fail = |path: &Path, e: std::io::Error| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(e.kind(), format!("{e}; {n} messages of this batch were not moved into place")),
        };
        durable(&pending).map_err(|(p, e)| fail(&p, e))?;
        for p in &pending {
            // A name taken since the message was written (another writer
            // in the same Maildir): the next free variant of it.
            let mut dest = p.dest.clone();
            let mut k = 1;
            loop {
                match Self::place(&p.tmp, &dest) {
                    Ok(()) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k < 100 => {
                        let name = p.dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        let (base, info) = name.split_once(':').map_or((name.as_str(), ""), |(b, i)| (b, i));
                        let sep = if info.is_empty() { "" } else { ":" };
                        dest = p.dest.with_file_name(format!("{base}.{k}{sep}{info}"));
                        k += 1;
                    }
                    Err(e) => return Err(fail(&dest, e)),
                }
            }
        }
        Ok(())
    }

    /// Moves `tmp` to `dest` without replacing an existing file: link(2)
    /// then unlink(2), as the Maildir specification does; where links are
    /// not supported, a rename after checking that `dest` is free.
    fn place(tmp: &Path, dest: &Path) -> std::io::Result<()> {
        match fs::hard_link(tmp, dest) {
            Ok(()) => fs::remove_file(tmp),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
            Err(_) => {
                if dest.exists() {
                    return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "target exists"));
                }
                fs::rename(tmp, dest)
            }
        }
    }
}

impl StoreWriter for MaildirWriter {
    fn format_name(&self) -> &'static str {
        "maildir"
    }

    fn accepts(&self, kind: FolderKind) -> bool {
        kind == FolderKind::Mail
    }

    fn begin(&mut self, _folders: &[Folder]) -> Result<()> {
        // Folders are created as they are opened, so that one whose name
        // cannot be stored fails alone (in `open_folder`).
        Ok(())
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        let dir = self.folder_dir(folder)?;
        create_dirs(&dir)?;
        if self.opts.layout == Layout::MaildirPlusPlus && dir != self.root {
            // Courier's and Dovecot's marker of a Maildir++ subfolder.
            let marker = dir.join("maildirfolder");
            if !marker.exists() {
                File::create(&marker).map_err(|e| Error::io(&marker, e))?;
            }
        }
        let keywords = read_keywords(&dir.join(KEYWORDS_FILE))?;
        self.open = Some(OpenFolder { dir, keywords });
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let Some(open) = self.open.as_mut() else {
            return Err(Error::Invalid { what: "maildir write", reason: "no folder is open".into() });
        };
        let Some(mail) = item.mail() else {
            return Err(Error::Unsupported {
                path: open.dir.clone(),
                reason: format!("Maildir holds mail only, not {} items", item.item.kind().as_str()),
            });
        };
        let mut lost = Vec::new();
        let mut letters = flag_letters(mail.flags);
        let mut new_keyword = false;
        for kw in &mail.keywords {
            if !valid_keyword(kw) {
                lost.push(format!("keyword {kw:?}: not a valid IMAP keyword"));
                continue;
            }
            let idx = match open.keywords.iter().position(|k| k.as_deref() == Some(kw.as_str())) {
                Some(i) => i,
                None => match open.keywords.iter().position(Option::is_none) {
                    Some(gap) => {
                        open.keywords[gap] = Some(kw.clone());
                        new_keyword = true;
                        gap
                    }
                    None if open.keywords.len() < MAX_KEYWORDS => {
                        open.keywords.push(Some(kw.clone()));
                        new_keyword = true;
                        open.keywords.len() - 1
                    }
                    None => {
                        lost.push(format!("keyword {kw:?}: the folder already has {MAX_KEYWORDS} keywords"));
                        continue;
                    }
                },
            };
            let letter = char::from(b'a' + idx as u8);
            if !letters.contains(letter) {
                letters.push(letter);
            }
        }
        let mut sorted: Vec<char> = letters.chars().collect();
        sorted.sort_unstable();
        let letters: String = sorted.into_iter().collect();
        if new_keyword {
            // The map is in place before any file uses its new letters.
            self.write_keywords()?;
        }
        let open = self.open.as_ref().expect("checked above and not cleared since");
        let raw: &[u8] = &mail.raw;

        for _attempt in 0..100 {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
            let base = format!(
                "{}.M{}P{}Q{}.{},S={}",
                now.as_secs(),
                now.subsec_micros(),
                self.pid,
                self.counter,
                self.hostname,
                raw.len()
            );
            self.counter += 1;
            let tmp = open.dir.join("tmp").join(&base);
            let mut f = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&tmp, e)),
            };
            let result = (|| {
                f.write_all(raw)?;
                if let Some(t) = item.received() {
                    let when = if t >= 0 {
                        UNIX_EPOCH + Duration::from_secs(t as u64)
                    } else {
                        UNIX_EPOCH.checked_sub(Duration::from_secs(t.unsigned_abs())).unwrap_or(UNIX_EPOCH)
                    };
                    f.set_modified(when)?;
                }
                Ok::<(), std::io::Error>(())
            })();
            drop(f);
            if let Err(e) = result {
                let _ = fs::remove_file(&tmp);
                return Err(Error::io(&tmp, e));
            }
            let dest = if letters.is_empty() {
                open.dir.join("new").join(&base)
            } else {
                open.dir.join("cur").join(format!("{base}:2,{letters}"))
            };
            if self.opts.fsync {
                if dest.exists() {
                    let _ = fs::remove_file(&tmp);
                    continue;
                }
                self.pending.push(Pending { tmp, dest });
                self.pending_bytes += raw.len() as u64;
                if self.pending.len() >= BATCH_FILES || self.pending_bytes >= BATCH_BYTES {
                    self.commit()?;
                }
                return Ok(Written { bytes: raw.len() as u64, lost, not_kept: Vec::new(), duplicate: None });
            }
            match Self::place(&tmp, &dest) {
                Ok(()) => return Ok(Written { bytes: raw.len() as u64, lost, not_kept: Vec::new(), duplicate: None }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let _ = fs::remove_file(&tmp);
                    continue;
                }
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(Error::io(&dest, e));
                }
            }
        }
        Err(Error::Unsupported { path: open.dir.clone(), reason: "could not find a free unique file name".into() })
    }

    fn close_folder(&mut self) -> Result<()> {
        let committed = self.commit();
        let Some(open) = self.open.take() else { return committed };
        committed?;
        if self.opts.fsync {
            sync_dir(&open.dir.join("cur"))?;
            sync_dir(&open.dir.join("new"))?;
            sync_dir(&open.dir)?;
            if let Some(parent) = open.dir.parent() {
                sync_dir(parent)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.close_folder()?;
        if self.opts.fsync {
            sync_dir(&self.root)?;
        }
        Ok(())
    }
}
