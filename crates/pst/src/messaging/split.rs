//! `--split SIZE`: a PST target written as several files of at most SIZE
//! bytes each (`out.pst`, `out-2.pst`, `out-3.pst` ...), as Microsoft 365's
//! PST Import Service advises (20 GB or less a file).
//!
//! Every file is a complete store with the same folder tree; no message is
//! split across files. Before each message the writer asks the file in hand
//! how large it would be if finished now ([`PstWriter::size_if_finished`])
//! and, when the message would take it past the limit, finishes it (synced
//! and renamed into place like any PST we write) and starts the next one,
//! reopening the folder being written. A message larger than the limit
//! goes alone into a file of its own, which the report notes. Each part
//! gets a record key of its own ([`PstWriter::set_part`]).

use std::path::{Path, PathBuf};

use mailshift_core::mapi::{AttachContent, Message, PropBag, PropValue};
use mailshift_core::{Error, Folder, FolderId, FolderKind, Item, Prepared, Result, StoreWriter, Written};

use super::write::{value_size, PstWriteOptions, PstWriter};

/// A [`StoreWriter`] that writes a PST target as files of at most `limit`
/// bytes each.
pub struct SplitWriter {
    base: PathBuf,
    opts: PstWriteOptions,
    limit: u64,
    /// The file being written, and its number (1 for `base` itself).
    current: PstWriter,
    part: u32,
    messages_in_part: u64,
    /// What every part is given: the source's store and folder properties
    /// and the folder tree.
    store: Option<PropBag>,
    folder_props: Vec<(FolderId, PropBag)>,
    folders: Vec<Folder>,
    open: Option<Folder>,
    /// Finished parts: path, size, messages.
    done: Vec<(PathBuf, u64, u64)>,
    oversized: u64,
    notes: Vec<String>,
    swept: Vec<PathBuf>,
}

impl std::fmt::Debug for SplitWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplitWriter").field("base", &self.base).field("part", &self.part).finish()
    }
}

/// The path of part `n` of a split written at `base`: `base` itself for
/// the first, `out-2.pst`, `out-3.pst` ... for the others.
pub fn part_path(base: &Path, n: u32) -> PathBuf {
    if n <= 1 {
        return base.to_path_buf();
    }
    let stem = base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    base.with_file_name(name)
}

impl SplitWriter {
    /// What [`create`](Self::create) refuses, without making anything (a
    /// split size under 1 MiB, an existing `base` or part of the split):
    /// `convert --dry-run` asks it.
    pub fn check(base: &Path, limit: u64) -> Result<()> {
        let invalid = |reason: String| Error::Invalid { what: "PST split", reason };
        if limit < 1 << 20 {
            return Err(invalid(format!("a split size of {limit} bytes is too small (1 MiB at least)")));
        }
        if base.exists() {
            return Err(invalid(format!(
                "{} exists: --split writes new files only (convert into a new name, or without --split to add to it)",
                base.display()
            )));
        }
        if let Some(other) = existing_parts(base).first() {
            return Err(invalid(format!(
                "{} exists: it would be a part of this split; move it away first",
                other.display()
            )));
        }
        Ok(())
    }

    /// A split target at `base`, files of at most `limit` bytes. Refused
    /// when `base` or a file named as one of its parts (`out-2.pst` ...)
    /// exists already: a split is written anew, and nothing we did not
    /// write is replaced.
    pub fn create(base: &Path, opts: PstWriteOptions, limit: u64) -> Result<SplitWriter> {
        SplitWriter::check(base, limit)?;
        let current = PstWriter::create(base, opts)?;
        Ok(SplitWriter {
            base: base.to_path_buf(),
            opts,
            limit,
            current,
            part: 1,
            messages_in_part: 0,
            store: None,
            folder_props: Vec::new(),
            folders: Vec::new(),
            open: None,
            done: Vec::new(),
            oversized: 0,
            notes: Vec::new(),
            swept: Vec::new(),
        })
    }

    /// Finishes the part in hand and starts the next one, with the same
    /// folders, the open folder reopened.
    fn next_part(&mut self) -> Result<()> {
        self.current.close_folder()?;
        let next = PstWriter::create(&part_path(&self.base, self.part + 1), self.opts)?;
        let mut done = std::mem::replace(&mut self.current, next);
        done.finish()?;
        self.collect(&done);
        self.part += 1;
        self.messages_in_part = 0;
        self.current.set_part(self.part);
        self.current.mapi_props(self.store.clone(), self.folder_props.clone())?;
        self.current.begin(&self.folders)?;
        if let Some(f) = &self.open {
            self.current.open_folder(f)?;
        }
        Ok(())
    }

    /// Takes what a finished part has to say.
    fn collect(&mut self, w: &PstWriter) {
        let path = part_path(&self.base, self.part);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        self.done.push((path, size, self.messages_in_part));
        self.notes.extend(w.notes());
        self.swept.extend(w.swept());
    }
}

/// The files beside `base` named as its parts would be (`out-2.pst` ...).
fn existing_parts(base: &Path) -> Vec<PathBuf> {
    let dir = mailshift_core::fsio::parent_dir(base);
    let stem = base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = base.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let prefix = format!("{stem}-");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(&ext))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// What a message will take in a PST, at most: its values, recipients and
/// attachments, embedded messages included, with room for block trailers
/// and the node's own structures.
fn stored_estimate(m: &Message) -> u64 {
    fn bag(b: &PropBag) -> u64 {
        let values = |v: &PropValue<'_>| value_size(v) + 8;
        b.tagged.values().map(values).sum::<u64>() + b.named.values().map(values).sum::<u64>()
    }
    fn message(m: &Message, depth: u32) -> u64 {
        let mut n = bag(&m.props) + m.recipients.iter().map(bag).sum::<u64>();
        for a in &m.attachments {
            n += bag(&a.props) + 1024;
            n += match &a.content {
                AttachContent::Bytes(b) | AttachContent::Ole(b) => b.len() as u64,
                AttachContent::Embedded(e) if depth < 64 => message(e, depth + 1),
                AttachContent::Reference(s) | AttachContent::Missing(s) => s.len() as u64 * 2,
                AttachContent::Embedded(_) => 0,
            };
        }
        n
    }
    let n = message(m, 0);
    n + n / 32 + 16 * 1024
}

impl StoreWriter for SplitWriter {
    fn format_name(&self) -> &'static str {
        "pst"
    }

    fn accepts(&self, kind: FolderKind) -> bool {
        self.current.accepts(kind)
    }

    fn wants_mapi(&self) -> bool {
        true
    }

    fn mapi_props(&mut self, store: Option<PropBag>, folders: Vec<(FolderId, PropBag)>) -> Result<()> {
        self.store = store.clone();
        self.folder_props = folders.clone();
        self.current.mapi_props(store, folders)
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        self.folders = folders.to_vec();
        self.current.begin(folders)
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        self.open = Some(folder.clone());
        self.current.open_folder(folder)
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let need = match &item.item {
            Item::Mapi(m) => stored_estimate(m).max(item.size()),
            _ => item.size(),
        };
        if self.messages_in_part > 0 && self.current.size_if_finished().saturating_add(need) > self.limit {
            self.next_part()?;
        }
        if need > self.limit {
            self.oversized += 1;
        }
        let w = self.current.write(item)?;
        self.messages_in_part += 1;
        Ok(w)
    }

    fn close_folder(&mut self) -> Result<()> {
        self.open = None;
        self.current.close_folder()
    }

    fn finish(&mut self) -> Result<()> {
        self.current.finish()?;
        let last = std::mem::replace(&mut self.current, PstWriter::in_memory(self.opts));
        self.collect(&last);
        Ok(())
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        let gib = mailshift_core::text::human_bytes;
        let parts: Vec<String> = self
            .done
            .iter()
            .map(|(p, size, n)| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                format!("{name} ({}, {n} items)", gib(*size))
            })
            .collect();
        notes.push(format!(
            "split at {}: {} file{}: {}",
            gib(self.limit),
            self.done.len(),
            if self.done.len() == 1 { "" } else { "s" },
            parts.join(", ")
        ));
        if self.oversized > 0 {
            notes.push(format!(
                "{} item{} larger than the split size, each in a file of its own",
                self.oversized,
                if self.oversized == 1 { " is" } else { "s are" }
            ));
        }
        notes
    }

    fn swept(&self) -> Vec<PathBuf> {
        self.swept.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_named_after_the_first() {
        let base = Path::new("/x/out.pst");
        assert_eq!(part_path(base, 1), PathBuf::from("/x/out.pst"));
        assert_eq!(part_path(base, 2), PathBuf::from("/x/out-2.pst"));
        assert_eq!(part_path(Path::new("box"), 12), PathBuf::from("box-12"));
    }

    #[test]
    fn an_existing_part_refuses_the_split() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("out.pst");
        std::fs::write(dir.path().join("out-x.pst"), b"").unwrap();
        std::fs::write(dir.path().join("other-2.pst"), b"").unwrap();
        assert!(existing_parts(&base).is_empty());
        std::fs::write(dir.path().join("out-3.pst"), b"not ours").unwrap();
        let err = SplitWriter::create(&base, PstWriteOptions::default(), 1 << 30).unwrap_err().to_string();
        assert!(err.contains("out-3.pst exists"), "{err}");
        assert_eq!(std::fs::read(dir.path().join("out-3.pst")).unwrap(), b"not ours");
        assert!(!base.exists());
    }
}
