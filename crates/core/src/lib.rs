//! mailshift-core: the neutral model, the reader and writer traits, and the
//! parallel converter that every mailshift format plugs into.
//!
//! - [`model`]: a store is a tree of [`Folder`]s holding [`Item`]s; mail
//!   keeps its RFC 5322 bytes ([`MailItem`]).
//! - [`pim`]: contacts, events, tasks, notes and journal entries, their
//!   vCard and iCalendar writers, and their readers ([`pim::read`]: vCard
//!   2.1/3.0/4.0 and iCalendar files, and `.vcf` / `.ics` files or
//!   directories as a store, [`pim::read::store::PimReader`]).
//! - [`mapi`]: the MAPI message model shared by PST, OST, MSG and Exchange
//!   ([`mapi::Message`], [`mapi::PropBag`], the tag registry
//!   [`mapi::tags`]), and the conversions between MAPI and the Internet
//!   formats, here so that a format crate and the converter's parallel
//!   stage can run them without knowing a container: [`mapi::mime`]
//!   (MAPI message -> RFC 5322, [MS-OXCMAIL]), [`mapi::rtf`] (compressed
//!   RTF, [MS-OXRTFCP], and the HTML or text encapsulated in it,
//!   [MS-OXRTFEX]), [`mapi::pim`] (MAPI contacts, appointments, tasks,
//!   notes and journals -> [`pim`] items, with their recurrence and
//!   time-zone blobs), [`mapi::codepage`] (Windows code pages).
//! - [`StoreReader`] (`&self`, `Send + Sync`) and [`StoreWriter`] (`&mut self`):
//!   what each format implements.
//! - [`dry::DryRun`]: a writer that stands for a target and writes
//!   nothing, for `convert --dry-run`.
//! - [`convert()`]: reads and prepares items in parallel with rayon, writes
//!   them in order through one writer, and returns a [`Report`] of what was
//!   copied, skipped and failed.
//!
//! ```
//! use mailshift_core::{convert, NoProgress, Options};
//! # fn run(src: &dyn mailshift_core::StoreReader, dst: &mut dyn mailshift_core::StoreWriter) -> mailshift_core::Result<()> {
//! let report = convert(src, dst, None, &Options::default(), &NoProgress)?;
//! println!("{}", report.to_table());
//! # Ok(()) }
//! ```
//!
//! [MS-OXCMAIL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmail/
//! [MS-OXRTFCP]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfcp/
//! [MS-OXRTFEX]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfex/
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod convert;
pub mod dry;
mod error;
pub mod fsio;
pub mod mapi;
pub mod mmap;
pub mod model;
pub mod mutf7;
pub mod pim;
pub mod prepare;
pub mod report;
pub mod store;
pub mod text;
pub mod time;

pub use convert::{convert, dedup_scope, existing_keys, inbox_name, NoProgress, Options, Progress};
pub use dry::DryRun;
pub use error::{Error, Result};
pub use mmap::Mapped;
pub use model::{
    Contact, DistList, Event, Flags, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, Journal, MailItem, Note,
    Problem, Severity, Task,
};
pub use prepare::{DedupKey, MailInfo, Prepared};
pub use report::{Counts, Failure, FolderReport, NotKept, Report};
pub use store::{Glance, ItemMeta, StoreReader, StoreWriter, Written};
