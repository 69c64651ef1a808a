//! mailshift-eml: messages as individual `.eml` files (RFC 5322 bytes, one
//! message per file), in a directory tree whose directories are folders.
//!
//! - [`EmlReader`] reads one `.eml` file or a directory tree of them, and
//!   [`EmlReader::probe`] tells whether a path looks like EML.
//! - [`EmlWriter`] writes a tree of `.eml` files with safe, unique names
//!   (`YYYY-MM-DD_HHMMSS_<subject>.eml`), atomically, with the file time set
//!   to the received time, files 0600 and directories 0700. Folders whose
//!   names make the same directory name (`a:b`, `a?b`, `a_b`) get
//!   directories of their own (`a_b`, `a_b (2)`, `a_b (3)`), which record
//!   the folder's name for the reader. EML keeps no flags or keywords:
//!   each write reports those as not kept by the format (not a loss).
//!
//! ```
//! use mailshift_core::{convert, NoProgress, Options, StoreReader};
//! use mailshift_eml::{EmlReader, EmlWriteOptions, EmlWriter};
//!
//! # fn main() -> mailshift_core::Result<()> {
//! let dir = std::env::temp_dir().join(format!("mailshift-eml-doc-{}", std::process::id()));
//! let src = dir.join("in");
//! # let io = |e| mailshift_core::Error::io("doc", e);
//! std::fs::create_dir_all(src.join("Archive")).map_err(io)?;
//! std::fs::write(src.join("Archive/a.eml"), "Subject: Hello\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nHi\r\n").map_err(io)?;
//!
//! let reader = EmlReader::open(&src)?;
//! let mut writer = EmlWriter::create(&dir.join("out"), EmlWriteOptions { fsync: false })?;
//! let report = convert(&reader, &mut writer, None, &Options::default(), &NoProgress)?;
//! assert_eq!(report.total.copied, 1);
//! assert!(dir.join("out/Archive/2023-11-14_221320_Hello.eml").is_file());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod name;
mod reader;
mod writer;

pub use reader::{looks_like_header, EmlReader};
pub use writer::{not_kept, EmlWriteOptions, EmlWriter};

/// True if `path` looks like an EML file or a tree of them (see [`EmlReader::probe`]).
pub fn probe(path: &std::path::Path) -> bool {
    EmlReader::probe(path)
}
