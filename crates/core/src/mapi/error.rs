//! The error of the MAPI conversions that decode binary property values.

use std::path::Path;

/// A malformed binary property value (a recurrence blob, a time-zone
/// definition ...): the structure being read, named as in its
/// specification (`"RecurrencePattern"`, `"TZDEFINITION"`), and the byte
/// offset inside the value. The value knows no file: a format crate adds
/// the file ([`Malformed::at`], or its own error type through `From`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{structure} at offset {offset}: {reason}")]
pub struct Malformed {
    /// The structure being read.
    pub structure: &'static str,
    /// Byte offset inside the property value.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

impl Malformed {
    /// A new error about `structure` at `offset`.
    pub fn new(structure: &'static str, offset: u64, reason: impl Into<String>) -> Self {
        Malformed { structure, offset, reason: reason.into() }
    }

    /// The core error for a value read from the file at `path`.
    pub fn at(self, path: &Path) -> crate::Error {
        crate::Error::Format {
            path: path.to_path_buf(),
            structure: self.structure,
            offset: self.offset,
            reason: self.reason,
        }
    }
}
