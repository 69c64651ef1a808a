//! The one place where mailshift maps files into memory.
#![allow(unsafe_code)]

use std::fs::File;
use std::ops::Deref;
use std::path::Path;

use crate::{Error, Result};

/// A read-only view of a whole file.
///
/// Empty files are represented without a mapping, since mapping zero bytes
/// fails on some platforms.
#[derive(Debug)]
pub struct Mapped(Option<memmap2::Mmap>);

impl Mapped {
    /// Opens `path` read-only (without touching its access time where the
    /// kernel allows: [`crate::fsio::open_source`]) and maps it.
    pub fn open(path: &Path) -> Result<Self> {
        let file: File = crate::fsio::open_source(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len == 0 {
            return Ok(Mapped(None));
        }
        // SAFETY: the map is read-only and private to this process. Another
        // process truncating or rewriting the file while it is mapped could
        // change the bytes under us (or raise SIGBUS on truncation); sources
        // are user files that mailshift itself never modifies, and every
        // reader treats the bytes as untrusted input, so changed bytes can
        // cause wrong output or errors but never memory unsafety in our code.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        Ok(Mapped(Some(map)))
    }
}

impl Mapped {
    /// Lets the kernel drop this process's pages of the map (`MADV_DONTNEED`):
    /// the file's pages stay in the page cache, and what is read again is
    /// faulted back in, so a reader that has moved on does not keep the
    /// whole input counted in its resident set. A hint: failures are
    /// ignored.
    pub fn release(&self) {
        if let Some(m) = &self.0 {
            // SAFETY: MADV_DONTNEED is destructive only for private pages a
            // process wrote; this map is read-only and never written, so the
            // pages come back from the file unchanged, and every slice of
            // the map stays valid (the addresses do not move).
            let _ = unsafe { m.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }
}

impl Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            Some(m) => m,
            None => &[],
        }
    }
}
