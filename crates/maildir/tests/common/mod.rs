//! Builders shared by the Maildir integration tests.
#![allow(dead_code)]

use mailshift_core::{Flags, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, Prepared};

/// A mail folder with `path` (the root when empty, named `INBOX`).
pub fn folder(id: u64, path: &[&str], role: FolderRole) -> Folder {
    Folder {
        id: FolderId(id),
        parent: None,
        path: path.iter().map(|s| s.to_string()).collect(),
        name: path.last().map(|s| s.to_string()).unwrap_or_else(|| "INBOX".into()),
        kind: FolderKind::Mail,
        role,
    }
}

/// A message with `subject` (its Message-ID and body say it too), ready to
/// write.
pub fn mail(subject: &str, flags: Flags, keywords: &[&str], received: Option<i64>) -> Prepared<'static> {
    let raw = format!("Subject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\r\nbody of {subject}\r\n");
    let mut m = MailItem::new(raw.into_bytes());
    m.flags = flags;
    m.keywords = keywords.iter().map(|s| s.to_string()).collect();
    m.received = received;
    Prepared::new(Item::Mail(m), ItemMeta { id: ItemId(0, 0), size: None })
}
