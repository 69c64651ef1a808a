//! [`EmlWriter`]: a folder tree of `.eml` files.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailshift_core::{fsio, Error, Flags, Folder, Item, ItemId, Prepared, Result, StoreWriter, Written};
use tempfile::TempPath;

use crate::name;
use crate::reader::recorded_name;

/// How [`EmlWriter`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmlWriteOptions {
    /// `fsync` every file before it gets its final name, each folder's
    /// directory when the folder is closed, and the parent of every
    /// directory made.
    pub fsync: bool,
}

/// Writes messages as `.eml` files, one directory per folder.
///
/// Folder `[A, B]` becomes `DST/A/B/`, the root folder `DST/` itself, each
/// name made safe by [`name::folder_name`]. Folders whose names come out
/// the same (`a:b`, `a?b` and `a_b` all give `a_b`) get directories of
/// their own: a name that is safe already keeps it, the others are
/// numbered in name order (`a_b (2)`, `a_b (3)`), and a directory named
/// otherwise than its folder records the folder's name in a
/// [`name::FOLDER_NAME_FILE`], which [`crate::EmlReader`] reads. A
/// directory already in the target belongs to the folder it records (or
/// is named after): a later run puts each folder back into its own
/// directory and never into another folder's. The renames are listed by
/// [`notes`](StoreWriter::notes).
///
/// Each message is written to a temporary file
/// (`.mailshift-<pid>-….tmp`, mode 0600) in its target directory and then
/// linked to its final name, which never replaces an existing file: a
/// crash leaves whole messages only, plus at worst a temporary file that
/// the next run into that directory removes. New directories are 0700.
///
/// With `fsync`, the temporary files are made durable in batches
/// ([`fsio::SyncBatch`]) before any of them is given its name, in the
/// order written: the writer takes each message
/// [`pending`](Written::pending) and says how it went in
/// [`settled`](StoreWriter::settled). One fsync per file waited on the
/// disk once per message (10,000 messages: 5.8 s against 2.7 s without).
#[derive(Debug)]
pub struct EmlWriter {
    root: PathBuf,
    opts: EmlWriteOptions,
    /// The open folder's directory.
    dir: Option<PathBuf>,
    /// Next collision number to try per file stem that has collided, in
    /// the open folder, so that many messages with one subject and second
    /// do not cost N² tries.
    next: HashMap<String, u32>,
    /// The folder names [`begin`](StoreWriter::begin) announced, by the
    /// path of their parent folder.
    announced: HashMap<Vec<String>, BTreeSet<String>>,
    /// The directory names given out, by the path of the parent folder.
    levels: HashMap<Vec<String>, Level>,
    /// Folder path prefixes already listed as renamed.
    renamed_seen: HashSet<Vec<String>>,
    renamed: Vec<String>,
    /// Directories already swept of stale temporary files.
    swept_dirs: HashSet<PathBuf>,
    swept: Vec<PathBuf>,
    sweep_errors: Vec<String>,
    /// With fsync: messages written to temporary files, not yet durable
    /// nor named.
    unsynced: fsio::SyncBatch<Unsynced>,
    /// Outcomes of messages taken pending, not yet asked for.
    done: Vec<(ItemId, Result<Written>)>,
}

/// A message in a temporary file, waiting for its batch to be made durable.
#[derive(Debug)]
struct Unsynced {
    id: ItemId,
    tmp: TempPath,
    dir: PathBuf,
    stem: String,
    written: Written,
}

/// The subdirectories of one folder's directory, and which child folder
/// each is for.
#[derive(Debug, Default)]
struct Level {
    /// The directories there were before this run, by name, with the
    /// folder name each stands for ([`name::folder_of_dir`]).
    existing: HashMap<String, String>,
    /// Child folder name -> directory name, given out in this run.
    assigned: HashMap<String, String>,
    /// The directory names given out in this run.
    taken: HashSet<String>,
}

impl Level {
    /// Lists directory `dir` (missing: nothing there yet).
    fn scan(dir: &Path) -> Result<Level> {
        let mut level = Level::default();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(level),
            Err(e) => return Err(Error::io(dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let Ok(dir_name) = entry.file_name().into_string() else { continue };
            if dir_name.starts_with('.') {
                continue;
            }
            // Follows symbolic links: a link to a directory is written into.
            let p = entry.path();
            if p.is_dir() {
                let folder = name::folder_of_dir(&dir_name, recorded_name(&p).as_deref());
                level.existing.insert(dir_name, folder);
            }
        }
        Ok(level)
    }

    /// Gives each of `names` (in this order) a directory in `dir`, in three
    /// rounds so that the result depends on the names and the target, not
    /// on the order folders come in: first every name that has a directory
    /// from an earlier run takes it back; then a name that is a safe
    /// directory name as it is takes it, if free; then the others take the
    /// first free numbered name.
    fn assign<'a>(&mut self, dir: &Path, names: impl IntoIterator<Item = &'a String>) -> Result<()> {
        let mut todo: Vec<&String> = names.into_iter().filter(|n| !self.assigned.contains_key(*n)).collect();
        todo.sort();
        todo.dedup();
        let wanted: HashSet<&String> = todo.iter().copied().collect();
        let mut own: Vec<(String, String)> = self
            .existing
            .iter()
            .filter(|(d, f)| wanted.contains(f) && !self.taken.contains(*d))
            .map(|(d, f)| (f.clone(), d.clone()))
            .collect();
        // A folder with two directories (one made by hand) takes the first by name.
        own.sort();
        for (folder, d) in own {
            if !self.assigned.contains_key(&folder) {
                self.give(&folder, d);
            }
        }
        todo.retain(|n| !self.assigned.contains_key(*n));
        for n in &todo {
            let base = name::folder_name(n);
            if base == **n && self.free(dir, &base) {
                self.give(n, base);
            }
        }
        for n in todo {
            if self.assigned.contains_key(n) {
                continue;
            }
            let mut k = 1u32;
            let d = loop {
                let d = name::folder_dir_name(n, k);
                if self.free(dir, &d) {
                    break d;
                }
                k = k.checked_add(1).ok_or_else(|| Error::Unsupported {
                    path: dir.to_path_buf(),
                    reason: format!("too many folders named like {n}"),
                })?;
            };
            self.give(n, d);
        }
        Ok(())
    }

    fn give(&mut self, folder: &str, d: String) {
        self.taken.insert(d.clone());
        self.assigned.insert(folder.to_string(), d);
    }

    /// True if directory name `d` is neither given out in this run nor
    /// taken in `dir` by a directory or anything else.
    fn free(&self, dir: &Path, d: &str) -> bool {
        !self.taken.contains(d)
            && !self.existing.contains_key(d)
            && matches!(std::fs::symlink_metadata(dir.join(d)), Err(e) if e.kind() == ErrorKind::NotFound)
    }
}

impl EmlWriter {
    /// Prepares to write into the directory `path` (created if missing).
    pub fn create(path: &Path, opts: EmlWriteOptions) -> Result<EmlWriter> {
        if path.exists() && !path.is_dir() {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: "EML target exists and is not a directory".into(),
            });
        }
        Ok(EmlWriter {
            root: path.to_path_buf(),
            opts,
            dir: None,
            next: HashMap::new(),
            announced: HashMap::new(),
            levels: HashMap::new(),
            renamed_seen: HashSet::new(),
            renamed: Vec::new(),
            swept_dirs: HashSet::new(),
            swept: Vec::new(),
            sweep_errors: Vec::new(),
            unsynced: fsio::SyncBatch::default(),
            done: Vec::new(),
        })
    }

    /// Makes the batch of temporary files durable, then gives each its
    /// name in the order written; the outcomes go to `done`. A batch that
    /// cannot be made durable fails whole, its files removed.
    fn commit(&mut self) {
        let batch = match self.unsynced.sync(|u| u.tmp.as_ref()) {
            Ok(batch) => batch,
            Err((batch, why)) => {
                for u in batch {
                    // Dropping the TempPath removes the file.
                    self.done.push((u.id, Err(why.error())));
                }
                return;
            }
        };
        for u in batch {
            let result = self.publish(&u.dir, u.tmp, &u.stem).map(|_| u.written);
            self.done.push((u.id, result));
        }
    }

    /// The directory the files of `folder` go to, once it has been opened
    /// in this run (see the type's documentation for how it is named).
    pub fn folder_dir(&self, folder: &Folder) -> Option<PathBuf> {
        let mut p = self.root.clone();
        for i in 0..folder.path.len() {
            let level = self.levels.get(&folder.path[..i])?;
            p.push(level.assigned.get(&folder.path[i])?);
        }
        Some(p)
    }

    /// Finds (and makes, where missing) the directory of the folder at
    /// `path`, one level at a time, noting each renamed level once.
    fn make_folder_dir(&mut self, path: &[String]) -> Result<PathBuf> {
        let mut dir = self.root.clone();
        self.sweep(&dir);
        for i in 0..path.len() {
            let parent = &path[..i];
            if !self.levels.contains_key(parent) {
                let mut level = Level::scan(&dir)?;
                if let Some(names) = self.announced.get(parent) {
                    level.assign(&dir, names)?;
                }
                self.levels.insert(parent.to_vec(), level);
            }
            let level = self
                .levels
                .get_mut(parent)
                .ok_or_else(|| Error::Invalid { what: "EML writer", reason: "folder level not listed".into() })?;
            let child = &path[i];
            if !level.assigned.contains_key(child) {
                // A folder begin() did not announce.
                level.assign(&dir, [child])?;
            }
            let d = level
                .assigned
                .get(child)
                .cloned()
                .ok_or_else(|| Error::Invalid { what: "EML writer", reason: "folder directory not assigned".into() })?;
            dir.push(&d);
            self.ensure_dir(&dir, child, &d)?;
            if d != *child && self.renamed_seen.insert(path[..=i].to_vec()) {
                let mut written: Vec<&str> = Vec::with_capacity(i + 1);
                for (j, part) in path[..=i].iter().enumerate() {
                    let level = self.levels.get(&path[..j]);
                    written.push(level.and_then(|l| l.assigned.get(part)).map_or(part.as_str(), |s| s.as_str()));
                }
                self.renamed.push(format!("folder {} written as {}", path[..=i].join("/"), written.join("/")));
            }
            self.sweep(&dir);
        }
        Ok(dir)
    }

    /// Makes directory `dir` (named `d`) for the folder named `folder` if
    /// it is not there, recording the folder's name in it when `d` is not
    /// that name.
    fn ensure_dir(&mut self, dir: &Path, folder: &str, d: &str) -> Result<()> {
        match std::fs::symlink_metadata(dir) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(dir, e)),
        }
        fsio::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if d != folder {
            let mut tmp = fsio::temp_file_in(dir).map_err(|e| Error::io(dir, e))?;
            tmp.write_all(folder.as_bytes()).map_err(|e| Error::io(tmp.path(), e))?;
            if self.opts.fsync {
                tmp.as_file().sync_all().map_err(|e| Error::io(tmp.path(), e))?;
            }
            let record = dir.join(name::FOLDER_NAME_FILE);
            tmp.persist_noclobber(&record).map_err(|e| Error::io(&record, e.error))?;
        }
        if self.opts.fsync {
            if d != folder {
                fsio::sync_dir(dir).map_err(|e| Error::io(dir, e))?;
            }
            let parent = fsio::parent_dir(dir);
            fsio::sync_dir(parent).map_err(|e| Error::io(parent, e))?;
        }
        Ok(())
    }

    /// Removes, once per directory, the temporary files a killed run left.
    fn sweep(&mut self, dir: &Path) {
        if !self.swept_dirs.insert(dir.to_path_buf()) {
            return;
        }
        match fsio::sweep_stale(dir) {
            Ok(removed) => self.swept.extend(removed),
            Err(e) => self
                .sweep_errors
                .push(format!("could not look for stale temporary files of an earlier run in {}: {e}", dir.display())),
        }
    }

    /// Records `n` as the next number to try for `stem`, once the stem has
    /// collided: a stem that took its first name is not kept (a folder of
    /// 100,000 messages, nearly all named apart, kept 10 MB of them); its
    /// next message costs one failed link, and is then recorded.
    fn note_next(&mut self, stem: &str, n: u32) {
        if n > 2 || self.next.contains_key(stem) {
            self.next.insert(stem.to_string(), n);
        }
    }

    /// Gives `tmp` its final name in `dir` without ever replacing a file,
    /// trying `stem.eml`, `stem_2.eml` ... Returns the final path.
    fn publish(&mut self, dir: &Path, tmp: TempPath, stem: &str) -> Result<PathBuf> {
        let mut n = self.next.get(stem).copied().unwrap_or(1);
        loop {
            let target = dir.join(name::file_name(stem, n));
            n = n.checked_add(1).ok_or_else(|| Error::Unsupported {
                path: dir.to_path_buf(),
                reason: format!("too many files named {stem}"),
            })?;
            // Fails with AlreadyExists instead of replacing, so the check
            // and the naming are one atomic step.
            match fsio::rename_noreplace(&tmp, &target) {
                Ok(()) => {
                    // Renamed away: nothing left to remove.
                    let _ = tmp.keep();
                    self.note_next(stem, n);
                    return Ok(target);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&target, e)),
            }
        }
    }
}

/// What of `mail` an EML file has no place for (its flags and keywords),
/// as [`Written::not_kept`] says it: "not kept by eml", counted per flag,
/// not a failure. (Also what `convert --dry-run` says of an EML target.)
pub fn not_kept(mail: &mailshift_core::MailItem<'_>) -> Vec<String> {
    let mut out: Vec<String> = flag_names(mail.flags).iter().map(|f| format!("flag {f} (EML has no flags)")).collect();
    if !mail.keywords.is_empty() {
        out.push("keywords (EML has no keywords)".to_string());
    }
    out
}

/// The flag names EML cannot keep, IMAP spelling.
fn flag_names(flags: Flags) -> Vec<&'static str> {
    [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DRAFT, "\\Draft"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::FORWARDED, "$Forwarded"),
    ]
    .into_iter()
    .filter(|(f, _)| flags.contains(*f))
    .map(|(_, n)| n)
    .collect()
}

fn to_system_time(t: i64) -> Option<SystemTime> {
    if t >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(t as u64))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(t.unsigned_abs()))
    }
}

impl StoreWriter for EmlWriter {
    fn format_name(&self) -> &'static str {
        "eml"
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        for f in folders {
            for i in 0..f.path.len() {
                self.announced.entry(f.path[..i].to_vec()).or_default().insert(f.path[i].clone());
            }
        }
        let made = !self.root.exists();
        fsio::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        if made && self.opts.fsync {
            let parent = fsio::parent_dir(&self.root);
            fsio::sync_dir(parent).map_err(|e| Error::io(parent, e))?;
        }
        Ok(())
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        self.close_folder()?;
        let dir = self.make_folder_dir(&folder.path)?;
        self.dir = Some(dir);
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let Some(dir) = self.dir.clone() else {
            return Err(Error::Invalid {
                what: "EML writer call order",
                reason: "write() before open_folder()".into(),
            });
        };
        let Item::Mail(mail) = &item.item else {
            return Err(Error::Unsupported { path: dir, reason: "EML holds mail messages only".into() });
        };
        let stem = name::file_stem(item.date(), item.info.subject.as_deref());
        // The temporary file is removed on every path that does not give
        // it its final name (dropping the TempPath removes it).
        let (mut f, tmp) = fsio::temp_file_in(&dir).map_err(|e| Error::io(&dir, e))?.into_parts();
        f.write_all(&mail.raw).map_err(|e| Error::io(&tmp, e))?;
        if let Some(t) = item.received().and_then(to_system_time) {
            f.set_modified(t).map_err(|e| Error::io(&tmp, e))?;
        }
        drop(f);
        let written =
            Written { bytes: mail.raw.len() as u64, lost: Vec::new(), not_kept: not_kept(mail), ..Written::default() };
        if self.opts.fsync {
            if self.unsynced.push(Unsynced { id: item.meta.id, tmp, dir, stem, written }, mail.raw.len() as u64) {
                self.commit();
            }
            return Ok(Written { pending: true, ..Written::default() });
        }
        self.publish(&dir, tmp, &stem)?;
        Ok(written)
    }

    fn settled(&mut self, wait: bool) -> Vec<(ItemId, Result<Written>)> {
        if wait {
            self.commit();
        }
        std::mem::take(&mut self.done)
    }

    fn close_folder(&mut self) -> Result<()> {
        // The converter settles before it closes; a batch left is named
        // now, and its outcomes wait for the next `settled`.
        self.commit();
        if let Some(dir) = self.dir.take() {
            if self.opts.fsync {
                // Makes the new directory entries durable (POSIX: fsync on
                // the directory). Not possible on every platform; an error
                // opening a directory there is not a lost message.
                if let Ok(d) = std::fs::File::open(&dir) {
                    d.sync_all().map_err(|e| Error::io(&dir, e))?;
                }
            }
        }
        self.next.clear();
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.close_folder()
    }

    fn notes(&self) -> Vec<String> {
        let mut out = self.renamed.clone();
        out.extend(self.sweep_errors.iter().cloned());
        out
    }

    fn swept(&self) -> Vec<PathBuf> {
        self.swept.clone()
    }
}
