//! Writing a Maildir tree (Maildir++ or Dovecot `LAYOUT=fs`).

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailshift_core::mutf7::keyword_atom;
use mailshift_core::{fsio, Error, Folder, FolderKind, FolderRole, ItemId, Prepared, Result, StoreWriter, Written};

use crate::info::{flag_letters, read_keywords, valid_keyword, MAX_KEYWORDS};
use crate::name::encode_component;
use crate::reader::{INBOX, KEYWORDS_FILE};
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
/// - The root folder (empty path) and the inbox go to the top-level
///   maildir. The inbox is the first top-level folder with role
///   [`FolderRole::Inbox`], else the first top-level folder named `inbox`
///   in any case (Thunderbird's `Inbox`). Its children go where Dovecot
///   keeps INBOX's children, whatever the inbox is called in the source:
///   `.INBOX.sub` (Maildir++) or `INBOX/sub` (`LAYOUT=fs`). Any other
///   top-level folder named `inbox` in any case, which Dovecot would take
///   for the inbox, is written as `<name> (2)` (the first free number),
///   and [`notes`](StoreWriter::notes) says so.
/// - Other folders go to `.A.B` (Maildir++, with a `maildirfolder` marker
///   file) or `A/B` (`LAYOUT=fs`), names encoded as in [`crate::name`].
/// - New files are `0600` and new directories `0700`
///   ([`fsio`](mailshift_core::fsio)); existing ones keep their modes.
/// - Each message is written to `tmp/` as `.mailshift-<pid>-<n>.tmp` (a
///   name no mail delivery agent uses, and one that tells whether the run
///   that wrote it is still alive), given the received time as its mtime
///   (Dovecot's received date), made durable, then moved into place
///   ([`fsio::rename_noreplace`]) under a unique name
///   (`<secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>`), never replacing an
///   existing file. When a folder is opened, such files of a run that is
///   gone (killed before it could clean up) are removed from its `tmp/`,
///   and `notes` lists them; files of other names are left to their
///   owners. With `fsync`, messages are made durable in batches
///   ([`fsio::SyncBatch`]): on Linux one `syncfs(2)` flushes the whole
///   batch, elsewhere each file is fsynced; only then are the
///   batch's files moved into place, in the order written, so a crash
///   leaves whole messages in `cur/`/`new/` and at most a batch of files in
///   `tmp/` (which Maildir readers ignore, and the next run removes). The
///   writer takes each such message [`pending`](Written::pending) and says
///   in [`settled`](StoreWriter::settled) how it went: a batch that cannot
///   be made durable fails each of its messages, a message that cannot be
///   moved into place fails alone, and neither is left in `tmp/`. A
///   message with any flag or keyword goes to `cur/` with `:2,<letters>`; one with neither goes to
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
    pending: fsio::SyncBatch<Pending>,
    /// Outcomes of messages taken pending, not yet asked for.
    done: Vec<(ItemId, Result<Written>)>,
    /// The source's name of the folder written as the inbox (see
    /// [`MaildirWriter::folder_dir`]).
    inbox: Option<String>,
    /// Other top-level names Dovecot would take for the inbox -> the names
    /// they are written under.
    renamed: BTreeMap<String, String>,
    /// Every top-level name of the folders given to `begin`.
    top_names: Vec<String>,
    /// `tmp/` directories already swept of a dead run's files.
    swept: HashSet<PathBuf>,
    /// Stale temporary files removed, and sweeps that failed.
    removed: Vec<PathBuf>,
    sweep_errors: Vec<String>,
}

/// A message in `tmp/` waiting for its move to `cur/` or `new/`.
#[derive(Debug)]
struct Pending {
    id: ItemId,
    tmp: PathBuf,
    dest: PathBuf,
    written: Written,
}

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
        fsio::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
    }
    Ok(())
}

/// A new file in `tmp` named `.mailshift-<pid>-<tag><n>.tmp`, `n` counted
/// up from `*counter` until the name is free.
fn new_temp(tmp: &Path, tag: &str, counter: &mut u64) -> Result<(PathBuf, File)> {
    for _ in 0..1000 {
        let path = tmp.join(format!("{}{tag}{}{}", fsio::temp_prefix(), *counter, fsio::TEMP_SUFFIX));
        *counter += 1;
        match fsio::create_new(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Err(Error::Unsupported { path: tmp.to_path_buf(), reason: "could not find a free temporary file name".into() })
}

fn sync_dir(dir: &Path) -> Result<()> {
    fsio::sync_dir(dir).map_err(|e| Error::io(dir, e))
}

/// Syncs the directory that holds `dir` (`.` for a bare relative name). A
/// parent the user may search but not read (mode 0711) cannot be opened to
/// be synced: that is no reason to fail a conversion whose own directories
/// are durable.
fn sync_parent(dir: &Path) -> Result<()> {
    let parent = fsio::parent_dir(dir);
    match fsio::sync_dir(parent) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
        r => r.map_err(|e| Error::io(parent, e)),
    }
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
            pending: fsio::SyncBatch::default(),
            done: Vec::new(),
            inbox: None,
            renamed: BTreeMap::new(),
            top_names: Vec::new(),
            swept: HashSet::new(),
            removed: Vec::new(),
            sweep_errors: Vec::new(),
        })
    }

    /// Chooses the inbox among `folders` (if not chosen yet) and the new
    /// names of other top-level folders Dovecot would take for it.
    fn plan_inbox(&mut self, folders: &[Folder]) {
        for f in folders {
            if let Some(top) = f.path.first() {
                if !self.top_names.contains(top) {
                    self.top_names.push(top.clone());
                }
            }
        }
        if self.inbox.is_none() {
            let top = |f: &&Folder| f.path.len() == 1;
            self.inbox = folders
                .iter()
                .filter(top)
                .find(|f| f.role == FolderRole::Inbox)
                .or_else(|| folders.iter().filter(top).find(|f| f.path[0].eq_ignore_ascii_case(INBOX)))
                .map(|f| f.path[0].clone())
                .or_else(|| {
                    // Only children of it (`Inbox.sbd/Sub` without `Inbox`).
                    folders.iter().filter_map(|f| f.path.first()).find(|n| n.eq_ignore_ascii_case(INBOX)).cloned()
                });
        }
        let clashing: Vec<String> = self
            .top_names
            .iter()
            .filter(|n| n.eq_ignore_ascii_case(INBOX) && Some(*n) != self.inbox.as_ref())
            .filter(|n| !self.renamed.contains_key(*n))
            .cloned()
            .collect();
        for name in clashing {
            let mut k = 2;
            let new = loop {
                let candidate = format!("{name} ({k})");
                let taken = |n: &String| n.eq_ignore_ascii_case(&candidate);
                if !self.top_names.iter().any(taken) && !self.renamed.values().any(taken) {
                    break candidate;
                }
                k += 1;
            };
            self.renamed.insert(name, new);
        }
    }

    /// The folder's path as written: the inbox's children under `INBOX`,
    /// renamed top-level folders under their new names. `None` for the
    /// root and the inbox (the top-level maildir).
    fn written_path(&self, folder: &Folder) -> Option<Vec<String>> {
        let (first, rest) = folder.path.split_first()?;
        if Some(first) == self.inbox.as_ref() {
            if rest.is_empty() {
                return None;
            }
            return Some(std::iter::once(INBOX.to_string()).chain(rest.iter().cloned()).collect());
        }
        let first = self.renamed.get(first).unwrap_or(first);
        Some(std::iter::once(first.clone()).chain(rest.iter().cloned()).collect())
    }

    /// Removes a dead run's temporary files from `dir/tmp`, once per run.
    fn sweep(&mut self, dir: &Path) {
        let tmp = dir.join("tmp");
        if !self.swept.insert(tmp.clone()) {
            return;
        }
        match fsio::sweep_stale(&tmp) {
            Ok(removed) => self.removed.extend(removed),
            Err(e) => {
                self.sweep_errors.push(format!("could not look for stale temporary files in {}: {e}", tmp.display()))
            }
        }
    }

    /// The maildir directory `folder` is written to (the inbox and its
    /// children as chosen by the folders given to
    /// [`begin`](StoreWriter::begin), see [`MaildirWriter`]).
    pub fn folder_dir(&self, folder: &Folder) -> Result<PathBuf> {
        let Some(p) = self.written_path(folder) else { return Ok(self.root.clone()) };
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
        let (tmp, mut f) = new_temp(&open.dir.join("tmp"), "keywords-", &mut self.counter)?;
        let result = (|| {
            f.write_all(text.as_bytes())?;
            // A map that was there (Dovecot's) keeps its mode.
            if let Ok(m) = fs::metadata(&target) {
                f.set_permissions(m.permissions())?;
            }
            if self.opts.fsync {
                f.sync_all()?;
            }
            Ok::<(), std::io::Error>(())
        })();
        drop(f);
        let result = result
            .map_err(|e| Error::io(&tmp, e))
            .and_then(|()| fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e)));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Makes the pending messages durable and moves them into place, in
    /// the order written, and notes each one's outcome for
    /// [`settled`](StoreWriter::settled). When the batch cannot be made
    /// durable, none of it is placed and each of its messages fails; a
    /// message that cannot be moved into place fails alone. What is not
    /// placed is not left half-way in `tmp/`.
    fn commit(&mut self) {
        let batch = match self.pending.sync(|p| &p.tmp) {
            Ok(batch) => batch,
            Err((batch, why)) => {
                for p in batch {
                    let _ = fs::remove_file(&p.tmp);
                    self.done.push((p.id, Err(why.error())));
                }
                return;
            }
        };
        for p in batch {
            let result = Self::place_free(&p.tmp, &p.dest).map(|()| p.written);
            if result.is_err() {
                let _ = fs::remove_file(&p.tmp);
            }
            self.done.push((p.id, result));
        }
    }

    /// Moves `tmp` to `dest` or, where another writer in the same Maildir
    /// took that name since the message was written, to the next free
    /// variant of it.
    fn place_free(tmp: &Path, dest: &Path) -> Result<()> {
        let mut to = dest.to_path_buf();
        let mut k = 1;
        loop {
            match fsio::rename_noreplace(tmp, &to) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k < 100 => {
                    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let (base, info) = name.split_once(':').map_or((name.as_str(), ""), |(b, i)| (b, i));
                    let sep = if info.is_empty() { "" } else { ":" };
                    to = dest.with_file_name(format!("{base}.{k}{sep}{info}"));
                    k += 1;
                }
                Err(e) => return Err(Error::io(&to, e)),
            }
        }
    }

    /// A new Maildir unique name: `<secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>`.
    fn unique_name(&mut self, size: usize) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let name = format!(
            "{}.M{}P{}Q{}.{},S={size}",
            now.as_secs(),
            now.subsec_micros(),
            self.pid,
            self.counter,
            self.hostname
        );
        self.counter += 1;
        name
    }
}

impl StoreWriter for MaildirWriter {
    fn format_name(&self) -> &'static str {
        "maildir"
    }

    fn accepts(&self, kind: FolderKind) -> bool {
        kind == FolderKind::Mail
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        // Folders are created as they are opened, so that one whose name
        // cannot be stored fails alone (in `open_folder`).
        self.plan_inbox(folders);
        Ok(())
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        // A folder `begin` was not told of.
        if folder.path.first().is_some_and(|top| !self.top_names.contains(top)) {
            self.plan_inbox(std::slice::from_ref(folder));
        }
        let dir = self.folder_dir(folder)?;
        create_dirs(&dir)?;
        self.sweep(&dir);
        if self.opts.layout == Layout::MaildirPlusPlus && dir != self.root {
            // Courier's and Dovecot's marker of a Maildir++ subfolder.
            let marker = dir.join("maildirfolder");
            match fsio::create_new(&marker) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io(&marker, e)),
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
        let mut not_kept = Vec::new();
        let mut letters = flag_letters(mail.flags);
        let mut new_keyword = false;
        for kw in &mail.keywords {
            // An IMAP keyword is an ASCII atom: an Outlook category such as
            // "Green Category" or "Geschäftlich" is written as one, the way
            // Thunderbird makes tag keys (modified UTF-7, other characters
            // an atom cannot hold as `_`), and the report says so.
            let atom = keyword_atom(kw);
            if !valid_keyword(&atom) {
                lost.push(format!("keyword {kw:?}: no IMAP keyword can stand for it"));
                continue;
            }
            let idx = match open.keywords.iter().position(|k| k.as_deref() == Some(atom.as_str())) {
                Some(i) => i,
                None => match open.keywords.iter().position(Option::is_none) {
                    Some(gap) => {
                        open.keywords[gap] = Some(atom.clone());
                        new_keyword = true;
                        gap
                    }
                    None if open.keywords.len() < MAX_KEYWORDS => {
                        open.keywords.push(Some(atom.clone()));
                        new_keyword = true;
                        open.keywords.len() - 1
                    }
                    None => {
                        lost.push(format!("keyword {kw:?}: the folder already has {MAX_KEYWORDS} keywords"));
                        continue;
                    }
                },
            };
            if atom != *kw {
                not_kept.push(format!("keyword {kw:?} written as {atom:?} (IMAP keywords are ASCII atoms)"));
            }
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

        let (tmp, mut f) = new_temp(&open.dir.join("tmp"), "", &mut self.counter)?;
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
        let written = Written { bytes: raw.len() as u64, lost, not_kept, duplicate: None, pending: false };
        let dir = open.dir.clone();
        for _attempt in 0..100 {
            let base = self.unique_name(raw.len());
            let dest = if letters.is_empty() {
                dir.join("new").join(&base)
            } else {
                dir.join("cur").join(format!("{base}:2,{letters}"))
            };
            if self.opts.fsync {
                if dest.exists() {
                    continue;
                }
                if self.pending.push(Pending { id: item.meta.id, tmp, dest, written }, raw.len() as u64) {
                    self.commit();
                }
                return Ok(Written { pending: true, ..Written::default() });
            }
            match fsio::rename_noreplace(&tmp, &dest) {
                Ok(()) => return Ok(written),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(Error::io(&dest, e));
                }
            }
        }
        let _ = fs::remove_file(&tmp);
        Err(Error::Unsupported { path: dir, reason: "could not find a free unique file name".into() })
    }

    fn settled(&mut self, wait: bool) -> Vec<(ItemId, Result<Written>)> {
        if wait {
            self.commit();
        }
        std::mem::take(&mut self.done)
    }

    fn close_folder(&mut self) -> Result<()> {
        // The converter settles before it closes; a batch left is placed
        // now, and its outcomes wait for the next `settled`.
        self.commit();
        let Some(open) = self.open.take() else { return Ok(()) };
        if self.opts.fsync {
            sync_dir(&open.dir.join("cur"))?;
            sync_dir(&open.dir.join("new"))?;
            sync_dir(&open.dir)?;
            // `rescued` has the parent `.`, not `` (which cannot be opened).
            sync_parent(&open.dir)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.close_folder()?;
        if self.opts.fsync {
            sync_dir(&self.root)?;
            sync_parent(&self.root)?;
        }
        Ok(())
    }

    fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .renamed
            .iter()
            .map(|(from, to)| {
                format!(
                    "folder {from:?} written as {to:?}: Dovecot takes a top-level folder of that name, \
                     in any case, for the inbox"
                )
            })
            .collect();
        out.extend(self.sweep_errors.iter().cloned());
        out
    }

    fn swept(&self) -> Vec<PathBuf> {
        self.removed.clone()
    }
}

impl Drop for MaildirWriter {
    /// Messages written but not yet moved into place (a writer dropped
    /// without `close_folder`/`finish`) are placed, or else removed: no
    /// temporary file of ours is left in `tmp/`.
    fn drop(&mut self) {
        self.commit();
    }
}
