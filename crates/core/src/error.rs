//! The one error type of the core layer and of the format crates' public API.

use std::path::PathBuf;

/// What went wrong, with enough context to find it: the file, the
/// structure being read and the byte offset where it was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O call on `path` failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory being read or written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes of `path` do not hold what `structure` requires.
    #[error("{}: {structure} at offset {offset}: {reason}", path.display())]
    Format {
        /// The file being read.
        path: PathBuf,
        /// The structure being read (`"mbox From_ line"`, `"Maildir file name"` ...).
        structure: &'static str,
        /// Byte offset in the file where the problem was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The source or target is of a form this build cannot handle.
    #[error("{}: {reason}", path.display())]
    Unsupported {
        /// The file or directory concerned.
        path: PathBuf,
        /// Why it cannot be handled.
        reason: String,
    },
    /// An item id was not one the reader handed out (a programming error in
    /// the caller, or a source that changed under the reader).
    #[error("{}: unknown item {id}", path.display())]
    UnknownItem {
        /// The store.
        path: PathBuf,
        /// The id, as text.
        id: String,
    },
    /// A store on a server (an IMAP mailbox) failed: the connection, the
    /// login, or a command the server refused.
    #[error("{store}: {reason}")]
    Remote {
        /// The store, as the user named it (never with a secret).
        store: String,
        /// What went wrong, in the server's words where it gave some.
        reason: String,
    },
    /// The target cannot take any more (a mailbox over its quota): the
    /// converter stops the run there, since every further item would fail
    /// the same way, and the report says why (exit code 3).
    #[error("{store}: {reason}")]
    TargetFull {
        /// The target.
        store: String,
        /// What the target said.
        reason: String,
    },
    /// A value the user gave (an option, a filter) is not valid.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which option or value.
        what: &'static str,
        /// Why it is not valid.
        reason: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

/// Short for `std::result::Result<T, mailshift_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
