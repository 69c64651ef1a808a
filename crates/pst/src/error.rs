//! Errors of the PST layers before they learn the file's path.

use std::path::Path;

/// A malformed structure found at a byte offset. The lower layers work over
/// `&[u8]` without knowing the file name; [`crate::Pst`] turns this into
/// [`mailshift_core::Error::Format`] with the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{structure} at offset {offset}: {reason}")]
pub struct Corrupt {
    /// The structure being read, named as in MS-PST (`"BTPAGE"`, `"HNHDR"` ...).
    pub structure: &'static str,
    /// Byte offset in the file (for heap and table structures, the offset
    /// of the block holding them).
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

impl Corrupt {
    /// A new error about `structure` at `offset`.
    pub fn new(structure: &'static str, offset: u64, reason: impl Into<String>) -> Self {
        Corrupt { structure, offset, reason: reason.into() }
    }

    /// The core error for the file at `path`.
    pub fn at(self, path: &Path) -> mailshift_core::Error {
        mailshift_core::Error::Format {
            path: path.to_path_buf(),
            structure: self.structure,
            offset: self.offset,
            reason: self.reason,
        }
    }
}

/// A malformed property value (the recurrence and time-zone blobs of
/// [`mailshift_core::mapi::pim`]): the offset is inside the value.
impl From<mailshift_core::mapi::Malformed> for Corrupt {
    fn from(e: mailshift_core::mapi::Malformed) -> Self {
        Corrupt { structure: e.structure, offset: e.offset, reason: e.reason }
    }
}

/// Short for results of the lower layers.
pub type CResult<T> = std::result::Result<T, Corrupt>;

/// Little-endian readers that check bounds: `None` when `at..at+N` is not
/// inside `data`.
pub(crate) fn u8_at(data: &[u8], at: usize) -> Option<u8> {
    data.get(at).copied()
}

pub(crate) fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

pub(crate) fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub(crate) fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    let b = data.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}
