//! The neutral model every format maps into and out of.
//!
//! A store is a tree of [`Folder`]s; a folder holds items ([`Item`]). Mail
//! keeps its RFC 5322 bytes, borrowed from the source's memory map when the
//! source holds them.

use std::borrow::Cow;

use serde::Serialize;

/// Identifies a folder within one reader. Opaque to everyone but that reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FolderId(pub u64);

/// Identifies an item within one reader. The two numbers mean whatever the
/// reader that handed them out wants (a byte range, an index, a node id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ItemId(pub u64, pub u64);

/// What a folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FolderKind {
    /// Mail messages (the default).
    #[default]
    Mail,
    /// Contacts and distribution lists.
    Contacts,
    /// Appointments and meetings.
    Calendar,
    /// Tasks.
    Tasks,
    /// Sticky notes.
    Notes,
    /// Journal entries.
    Journal,
}

impl FolderKind {
    /// Every kind.
    pub const ALL: [FolderKind; 6] = [
        FolderKind::Mail,
        FolderKind::Contacts,
        FolderKind::Calendar,
        FolderKind::Tasks,
        FolderKind::Notes,
        FolderKind::Journal,
    ];

    /// The lower-case name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FolderKind::Mail => "mail",
            FolderKind::Contacts => "contacts",
            FolderKind::Calendar => "calendar",
            FolderKind::Tasks => "tasks",
            FolderKind::Notes => "notes",
            FolderKind::Journal => "journal",
        }
    }
}

/// The special purpose of a folder, where it has one (RFC 6154 special-use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FolderRole {
    /// No special purpose.
    #[default]
    None,
    /// The inbox.
    Inbox,
    /// Sent mail.
    Sent,
    /// Drafts.
    Drafts,
    /// Deleted items.
    Trash,
    /// Junk / spam.
    Junk,
    /// Outbox.
    Outbox,
    /// Archive.
    Archive,
}

impl FolderRole {
    /// Guesses a role from a folder's display name, as clients name them in
    /// English and in the common Maildir++/Thunderbird spellings.
    pub fn guess(name: &str) -> FolderRole {
        let n = name.trim().to_ascii_lowercase();
        match n.as_str() {
            "inbox" => FolderRole::Inbox,
            "sent" | "sent items" | "sent messages" | "sent mail" => FolderRole::Sent,
            "drafts" | "draft" => FolderRole::Drafts,
            "trash" | "deleted items" | "deleted messages" | "deleted" => FolderRole::Trash,
            "junk" | "spam" | "junk e-mail" | "junk email" | "junk mail" => FolderRole::Junk,
            "outbox" | "unsent messages" => FolderRole::Outbox,
            "archive" | "archives" => FolderRole::Archive,
            _ => FolderRole::None,
        }
    }
}

/// One folder of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Folder {
    /// The reader's id for it.
    pub id: FolderId,
    /// The parent folder, `None` for top-level folders and the root.
    pub parent: Option<FolderId>,
    /// Names from the top of the store down to this folder. The store's root
    /// folder (a single mbox file, a Maildir's INBOX at its top level) has an
    /// empty path.
    pub path: Vec<String>,
    /// The display name (the last element of `path`, or the root's name).
    pub name: String,
    /// What it holds.
    pub kind: FolderKind,
    /// Its special purpose, if any.
    pub role: FolderRole,
}

impl Folder {
    /// The path joined with `/`, as filters and reports show it; the root is `""`.
    pub fn display_path(&self) -> String {
        self.path.join("/")
    }

    /// True for the store's root folder.
    pub fn is_root(&self) -> bool {
        self.path.is_empty()
    }
}

/// Message state flags (the IMAP system flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Flags(u8);

impl Flags {
    /// `\Seen`: the message has been read.
    pub const SEEN: Flags = Flags(1);
    /// `\Answered`: the message has been replied to.
    pub const ANSWERED: Flags = Flags(2);
    /// `\Flagged`: marked for attention.
    pub const FLAGGED: Flags = Flags(4);
    /// `\Draft`: not yet sent.
    pub const DRAFT: Flags = Flags(8);
    /// `\Deleted`: marked for removal.
    pub const DELETED: Flags = Flags(16);
    /// Forwarded (`$Forwarded`; Maildir's `P`).
    pub const FORWARDED: Flags = Flags(32);

    /// No flag set.
    pub const fn empty() -> Flags {
        Flags(0)
    }
    /// True if every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    /// Sets or clears the flags of `other`.
    pub fn set(&mut self, other: Flags, on: bool) {
        if on {
            self.0 |= other.0
        } else {
            self.0 &= !other.0
        }
    }
    /// True if no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0
    }
}

/// A mail message as RFC 5322 bytes plus the state a store keeps beside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailItem<'a> {
    /// The message, byte for byte as the source holds it (mbox quoting
    /// undone, line endings untouched).
    pub raw: Cow<'a, [u8]>,
    /// Read, answered, flagged... state.
    pub flags: Flags,
    /// Keywords / categories (IMAP keywords, Outlook categories).
    pub keywords: Vec<String>,
    /// When the store received it, seconds since the Unix epoch (UTC), if known
    /// (mbox From_ line date, Maildir file time, PST delivery time).
    pub received: Option<i64>,
    /// The text after `From ` of the mbox From_ line the source had (envelope
    /// sender and date, byte for byte, without the line ending), so that
    /// mbox -> mbox keeps it unchanged.
    pub mbox_from_line: Option<Cow<'a, [u8]>>,
}

impl<'a> MailItem<'a> {
    /// A message with no flags, keywords or dates.
    pub fn new(raw: impl Into<Cow<'a, [u8]>>) -> Self {
        MailItem { raw: raw.into(), flags: Flags::empty(), keywords: Vec::new(), received: None, mbox_from_line: None }
    }
}

pub use crate::pim::{Contact, DistList, Event, Journal, Note, Task};

/// An item of any kind. The personal-information items are boxed so that
/// an `Item` (and every mail item moving through the converter) stays the
/// size of a [`MailItem`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Item<'a> {
    /// A mail message.
    Mail(MailItem<'a>),
    /// A contact.
    Contact(Box<Contact>),
    /// A distribution list.
    DistList(Box<DistList>),
    /// An appointment or meeting (or a modified occurrence of one).
    Event(Box<Event>),
    /// A task.
    Task(Box<Task>),
    /// A sticky note.
    Note(Box<Note>),
    /// A journal entry.
    Journal(Box<Journal>),
    /// A MAPI message of any class, as PST, OST and MSG hold it: handed
    /// over only to writers that ask for it ([`crate::StoreWriter::wants_mapi`]).
    Mapi(Box<crate::mapi::Message>),
}

impl Item<'_> {
    /// What kind of folder normally holds this item.
    pub fn kind(&self) -> FolderKind {
        match self {
            Item::Mail(_) => FolderKind::Mail,
            Item::Contact(_) | Item::DistList(_) => FolderKind::Contacts,
            Item::Event(_) => FolderKind::Calendar,
            Item::Task(_) => FolderKind::Tasks,
            Item::Note(_) => FolderKind::Notes,
            Item::Journal(_) => FolderKind::Journal,
            Item::Mapi(m) => m.kind(),
        }
    }

    /// The stable identifier of a non-mail item (`None` for mail).
    pub fn uid(&self) -> Option<&str> {
        match self {
            Item::Mail(_) | Item::Mapi(_) => None,
            Item::Contact(c) => Some(&c.uid),
            Item::DistList(d) => Some(&d.uid),
            Item::Event(e) => Some(&e.uid),
            Item::Task(t) => Some(&t.uid),
            Item::Note(n) => Some(&n.uid),
            Item::Journal(j) => Some(&j.uid),
        }
    }
}

/// How much a [`Problem`] matters to what was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing lost: an RTF body kept as an attachment, a
    /// search folder passed over, a `From ` line in a body read as text.
    Note,
    /// The source is malformed here and the reader read past it: what it
    /// could read it read, but the source is damaged (a bad CRC, a broken
    /// separator, an item whose parts are unreadable).
    #[default]
    Damaged,
    /// A part of the source could not be read at all (permission denied, a
    /// structure every path to is broken): whatever it holds is missing.
    Unreadable,
}

impl Severity {
    /// The lower-case name reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Damaged => "damaged",
            Severity::Unreadable => "unreadable",
        }
    }
}

/// A problem a reader found in its source that did not stop it: a malformed
/// separator it read past, a file it could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// How much it matters: notes are notes; damage and unreadable parts
    /// make `info` and `convert` exit 1.
    pub severity: Severity,
    /// The file concerned.
    pub path: String,
    /// The structure being read.
    pub structure: String,
    /// Byte offset, where it makes sense.
    pub offset: Option<u64>,
    /// What was wrong and what the reader did about it.
    pub message: String,
}

impl Problem {
    /// A problem of `severity` in `structure` of the file `path`.
    pub fn new(
        severity: Severity,
        path: impl Into<String>,
        structure: impl Into<String>,
        offset: Option<u64>,
        message: impl Into<String>,
    ) -> Problem {
        Problem { severity, path: path.into(), structure: structure.into(), offset, message: message.into() }
    }

    /// The problem as one line for people, with every string from the
    /// source escaped for the terminal.
    pub fn to_line(&self) -> String {
        use crate::text::for_terminal as t;
        let head = match self.offset {
            Some(o) => format!("{}: {} at offset {o}", t(&self.path), t(&self.structure)),
            None => format!("{}: {}", t(&self.path), t(&self.structure)),
        };
        format!("{:<10} {head}: {}", self.severity.as_str(), t(&self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_stays_small() {
        // Boxing the PIM variants keeps mail items cheap to move in batches.
        assert!(std::mem::size_of::<Item<'_>>() <= std::mem::size_of::<MailItem<'_>>() + 8);
    }

    #[test]
    fn kinds_and_uids() {
        let e = Item::Event(Box::new(Event { uid: "u1".into(), ..Event::default() }));
        assert_eq!(e.kind(), FolderKind::Calendar);
        assert_eq!(e.uid(), Some("u1"));
        assert_eq!(Item::DistList(Box::default()).kind(), FolderKind::Contacts);
        assert_eq!(Item::Note(Box::default()).kind(), FolderKind::Notes);
        assert_eq!(Item::Mail(MailItem::new(&b"x"[..])).uid(), None);
    }
}
