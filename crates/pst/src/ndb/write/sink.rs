//! Where the writer's bytes go: a temporary file beside the target, or
//! memory. Writes land at absolute offsets; runs of them that follow each
//! other are gathered into one `pwrite` of up to [`CHUNK`] bytes.

use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use mailshift_core::{fsio, Error, Result};

/// Bytes gathered before one `pwrite`.
const CHUNK: usize = 1 << 20;

/// The name memory writers give in errors.
pub(super) const MEMORY: &str = "<in-memory PST>";

pub(super) enum Sink {
    Memory(Vec<u8>),
    File(FileSink),
}

pub(super) struct FileSink {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    /// Bytes not yet written, which belong at `at`.
    pending: Vec<u8>,
    at: u64,
}

impl Sink {
    /// A temporary file in the target's directory (`fsio::temp_file_in`),
    /// renamed over `target` by [`Sink::finish`] and removed if dropped.
    pub(super) fn file(target: &Path) -> Result<Sink> {
        let tmp = fsio::temp_file_in(fsio::parent_dir(target)).map_err(|e| Error::io(target, e))?;
        Ok(Sink::File(FileSink { tmp, target: target.to_path_buf(), pending: Vec::with_capacity(CHUNK), at: 0 }))
    }

    /// The path errors name: the target.
    pub(super) fn path(&self) -> &Path {
        match self {
            Sink::Memory(_) => Path::new(MEMORY),
            Sink::File(f) => &f.target,
        }
    }

    /// Puts `data` at offset `at`.
    pub(super) fn write_at(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        match self {
            Sink::Memory(v) => {
                let at = usize::try_from(at).map_err(|_| io::Error::other("offset beyond the address space"))?;
                let end = at + data.len();
                if v.len() < end {
                    v.resize(end, 0);
                }
                v[at..end].copy_from_slice(data);
                Ok(())
            }
            Sink::File(f) => {
                let follows = f.at + f.pending.len() as u64 == at;
                if !(follows && f.pending.len() + data.len() <= CHUNK) {
                    f.flush()?;
                    f.at = at;
                }
                if data.len() >= CHUNK {
                    return f.tmp.as_file().write_all_at(data, at);
                }
                f.pending.extend_from_slice(data);
                Ok(())
            }
        }
    }

    /// Memory: the bytes, cut or padded to `len`.
    pub(super) fn into_vec(self, len: u64) -> Option<Vec<u8>> {
        match self {
            Sink::Memory(mut v) => {
                v.resize(usize::try_from(len).ok()?, 0);
                Some(v)
            }
            Sink::File(_) => None,
        }
    }

    /// File: sets the length, syncs (if `fsync`), renames the temporary file
    /// over the target and syncs the directory. An error leaves the target
    /// as it was; the temporary file goes when `self` is dropped.
    pub(super) fn persist(self, len: u64, fsync: bool) -> Result<()> {
        let Sink::File(mut f) = self else {
            return Err(Error::Invalid {
                what: "PST writer",
                reason: "finish() is for a writer made by NdbWriter::create; use finish_to_vec()".into(),
            });
        };
        let target = f.target.clone();
        let io = |e| Error::io(&target, e);
        f.flush().map_err(io)?;
        let file = f.tmp.as_file();
        file.set_len(len).map_err(io)?;
        if fsync {
            file.sync_all().map_err(io)?;
        }
        f.tmp.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        if fsync {
            fsio::sync_dir(fsio::parent_dir(&target)).map_err(io)?;
        }
        Ok(())
    }
}

impl FileSink {
    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.tmp.as_file().write_all_at(&self.pending, self.at)?;
            self.at += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(())
    }
}
