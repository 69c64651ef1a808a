//! [`EmlWriter`]: a folder tree of `.eml` files.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailshift_core::{Error, Flags, Folder, Item, Prepared, Result, StoreWriter, Written};

use crate::name;

/// How [`EmlWriter`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmlWriteOptions {
    /// `fsync` every file before it gets its final name, and each folder's
    /// directory when the folder is closed.
    pub fsync: bool,
}

/// Writes messages as `.eml` files, one directory per folder.
///
/// Folder `[A, B]` becomes `DST/A/B/`, the root folder `DST/` itself. Each
/// message is written to a temporary file in its target directory and then
/// linked to its final name, which never replaces an existing file: a
/// crash leaves whole messages only (plus at worst a `.tmp-` file).
#[derive(Debug)]
pub struct EmlWriter {
    root: PathBuf,
    opts: EmlWriteOptions,
    /// The open folder's directory.
    dir: Option<PathBuf>,
    /// Next collision number to try per file stem, in the open folder, so
    /// that many messages with one subject and second do not cost N² tries.
    next: HashMap<String, u32>,
    tmp_counter: u64,
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
        Ok(EmlWriter { root: path.to_path_buf(), opts, dir: None, next: HashMap::new(), tmp_counter: 0 })
    }

    /// The directory a folder's files go to: one sanitized component per
    /// path element, so no folder name can lead outside the target.
    pub fn folder_dir(&self, folder: &Folder) -> PathBuf {
        let mut p = self.root.clone();
        for part in &folder.path {
            p.push(name::folder_name(part));
        }
        p
    }

    fn tmp_path(&mut self, dir: &Path) -> PathBuf {
        self.tmp_counter += 1;
        dir.join(format!(".tmp-mailshift-{}-{}.eml", std::process::id(), self.tmp_counter))
    }

    /// Gives `tmp` its final name in `dir` without ever replacing a file,
    /// trying `stem.eml`, `stem_2.eml` ... Returns the final path.
    fn publish(&mut self, dir: &Path, tmp: &Path, stem: &str) -> Result<PathBuf> {
        let mut n = self.next.get(stem).copied().unwrap_or(1);
        loop {
            let target = dir.join(name::file_name(stem, n));
            n = n.checked_add(1).ok_or_else(|| Error::Unsupported {
                path: dir.to_path_buf(),
                reason: format!("too many files named {stem}"),
            })?;
            // A hard link fails with AlreadyExists instead of replacing, so
            // the check and the naming are one atomic step.
            match std::fs::hard_link(tmp, &target) {
                Ok(()) => {
                    std::fs::remove_file(tmp).map_err(|e| Error::io(tmp, e))?;
                    self.next.insert(stem.to_string(), n);
                    return Ok(target);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(_) => {
                    // File systems without hard links (FAT, some network
                    // shares): check, then rename. Only another writer racing
                    // on the same name could slip in between.
                    if target.exists() {
                        continue;
                    }
                    std::fs::rename(tmp, &target).map_err(|e| Error::io(&target, e))?;
                    self.next.insert(stem.to_string(), n);
                    return Ok(target);
                }
            }
        }
    }
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

    fn begin(&mut self, _folders: &[Folder]) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        let dir = self.folder_dir(folder);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        self.next.clear();
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
        let tmp = self.tmp_path(&dir);
        let result = (|| -> Result<PathBuf> {
            let mut f: File =
                OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(|e| Error::io(&tmp, e))?;
            f.write_all(&mail.raw).map_err(|e| Error::io(&tmp, e))?;
            if let Some(t) = item.received().and_then(to_system_time) {
                f.set_modified(t).map_err(|e| Error::io(&tmp, e))?;
            }
            if self.opts.fsync {
                f.sync_all().map_err(|e| Error::io(&tmp, e))?;
            }
            drop(f);
            self.publish(&dir, &tmp, &stem)
        })();
        if result.is_err() {
            // Leave no temporary file behind; the error reported is the first one.
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
        // EML files have no place for flags or keywords: "not kept by eml",
        // counted per flag, not a failure.
        let mut not_kept: Vec<String> =
            flag_names(mail.flags).iter().map(|f| format!("flag {f} (EML has no flags)")).collect();
        if !mail.keywords.is_empty() {
            not_kept.push("keywords (EML has no keywords)".to_string());
        }
        Ok(Written { bytes: mail.raw.len() as u64, lost: Vec::new(), not_kept, duplicate: None })
    }

    fn close_folder(&mut self) -> Result<()> {
        if let Some(dir) = self.dir.take() {
            if self.opts.fsync {
                // Makes the new directory entries durable (POSIX: fsync on
                // the directory). Not possible on every platform; an error
                // opening a directory there is not a lost message.
                if let Ok(d) = File::open(&dir) {
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
}
