//! mailshift-maildir: reads and writes Maildir stores as Dovecot and
//! Courier keep them.
//!
//! - [`MaildirReader`] ([`StoreReader`](mailshift_core::StoreReader)): the
//!   top-level maildir is the root folder (`INBOX`; the folder `INBOX` when
//!   it has children, `.INBOX.sub` or `INBOX/sub`); subfolders are
//!   Maildir++ `.A.B` directories or Dovecot `LAYOUT=fs` `A/B` directories
//!   (see [`Layout`]). Flags come from the `:2,` info of file names,
//!   keywords through `dovecot-keywords`, the received time from the file's
//!   mtime.
//! - [`MaildirWriter`] ([`StoreWriter`](mailshift_core::StoreWriter)):
//!   writes each message through `tmp/` into `cur/` or `new/` under a unique
//!   name, never replacing a file; the inbox's children where Dovecot looks
//!   for them; files `0600`, directories `0700`.
//! - [`mutf7`] and [`name`]: how folder names become directory names
//!   (modified UTF-7, then Dovecot listescape-style `\NN` escapes).
//!
//! ```
//! use mailshift_core::{Folder, FolderId, FolderKind, FolderRole, Item, ItemMeta, ItemId, MailItem, Flags,
//!     Prepared, StoreReader, StoreWriter};
//! use mailshift_maildir::{MaildirReader, MaildirWriteOptions, MaildirWriter};
//! # fn main() -> mailshift_core::Result<()> {
//! let dir = std::env::temp_dir().join(format!("mailshift-maildir-doc-{}", std::process::id()));
//! let folder = Folder { id: FolderId(1), parent: None, path: vec!["Entwürfe".into()], name: "Entwürfe".into(),
//!     kind: FolderKind::Mail, role: FolderRole::Drafts };
//! let mut w = MaildirWriter::create(&dir, MaildirWriteOptions::default())?;
//! w.begin(std::slice::from_ref(&folder))?;
//! w.open_folder(&folder)?;
//! let mut mail = MailItem::new(&b"Subject: hi\r\n\r\nbody\r\n"[..]);
//! mail.flags = Flags::SEEN | Flags::DRAFT;
//! w.write(&Prepared::new(Item::Mail(mail), ItemMeta { id: ItemId(0, 0), size: None }))?;
//! w.close_folder()?;
//! w.finish()?;
//! assert!(dir.join(".Entw&APw-rfe/cur").is_dir());
//!
//! let r = MaildirReader::open(&dir)?;
//! let folders = r.folders()?;
//! assert_eq!(folders[1].path, ["Entwürfe"]);
//! let items = r.items(folders[1].id)?;
//! let item = r.read(items[0].id)?;
//! assert!(matches!(item, Item::Mail(m) if m.flags == Flags::SEEN | Flags::DRAFT));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod info;
/// Modified UTF-7 ([`mailshift_core::mutf7`], shared with the IMAP store).
pub use mailshift_core::mutf7;
pub mod name;
mod reader;
mod writer;

pub use reader::MaildirReader;
pub use writer::{MaildirWriteOptions, MaildirWriter};

/// Where a Maildir keeps its subfolders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// Maildir++ (Courier's, and Dovecot's default): every folder is a
    /// directory `.A.B` directly inside the root maildir.
    #[default]
    MaildirPlusPlus,
    /// Dovecot `LAYOUT=fs`: folder `A/B` is the directory `A/B` below the
    /// root maildir.
    Fs,
}

/// True if `path` is a Maildir (see [`MaildirReader::probe`]).
pub fn probe(path: &std::path::Path) -> bool {
    MaildirReader::probe(path)
}
