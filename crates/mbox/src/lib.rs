//! mailshift-mbox: reads and writes mbox mail stores.
//!
//! - [`MboxReader`] reads one mbox file (a store with one root folder) or a
//!   directory of them in Thunderbird's layout (`Inbox`, `Inbox.sbd/Child`).
//!   It accepts mboxo, mboxrd, mboxcl and mboxcl2, CRLF files, and files
//!   whose first From_ line is missing. A From_ line separates messages
//!   only after an empty line and before a header field (or the end of the
//!   file). What it reads past, what it passes over in a tree (`.msf`
//!   indexes, hidden files ...) and what it cannot read are listed in
//!   [`problems`](mailshift_core::StoreReader::problems).
//! - [`MboxWriter`] writes mboxrd (or mboxo) to one file or to a Thunderbird
//!   tree, keeping each message's bytes and its From_ line, and storing
//!   flags in `Status` / `X-Status` / `X-Keywords` (Forwarded as
//!   `$Forwarded`, or in `X-Mozilla-Status` where the message has it). It
//!   never appends to a file that is not mbox.
//! - [`probe`] tells mbox from other stores by the bytes, not the name.
//!
//! An mboxrd file copied to mbox comes out byte-identical.
//!
//! ```
//! use mailshift_core::{convert, NoProgress, Options, StoreReader};
//! use mailshift_mbox::{probe, MboxReader, MboxWriteOptions, MboxWriter};
//!
//! # fn main() -> mailshift_core::Result<()> {
//! let dir = tempfile::tempdir().expect("temp dir");
//! let src = dir.path().join("in.mbox");
//! std::fs::write(&src, "From a@example.org Thu Jan  1 00:00:00 1970\nSubject: hi\n\n>From here\n\n")
//!     .expect("write");
//! assert!(probe(&src));
//!
//! let reader = MboxReader::open(&src)?;
//! let root = &reader.folders()?[0];
//! assert_eq!(reader.items(root.id)?.len(), 1);
//!
//! let dst = dir.path().join("out.mbox");
//! let mut writer = MboxWriter::create(&dst, MboxWriteOptions::default())?;
//! let report = convert(&reader, &mut writer, None, &Options::default(), &NoProgress)?;
//! assert_eq!(report.total.copied, 1);
//! assert_eq!(std::fs::read(&dst).expect("read"), std::fs::read(&src).expect("read"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod flags;
mod reader;
mod scan;
mod writer;

pub use reader::{probe, MboxReader};
pub use writer::{MboxFormat, MboxWriteOptions, MboxWriter};
