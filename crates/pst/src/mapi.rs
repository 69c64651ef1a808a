//! An owned MAPI message: what the messaging layer reads out of a store and
//! what [`crate::mime`] and (later) the PIM mappers turn into output.
//!
//! Every `PtypString8` value has already been decoded to Unicode with the
//! message's code page by the time it is in a [`PropBag`], and named
//! properties (ids 0x8000 and up, which differ per store) are resolved to
//! their [`NamedId`], so consumers never see store-specific ids.

use std::collections::BTreeMap;

use crate::ltp::prop::PropValue;
use crate::tags::{self, Lid, Name};

/// A named property's identity (MS-OXPROPS: property set GUID plus a
/// numeric LID or a string name). The ones the crate knows by name are
/// [`tags::lid`] and [`tags::name`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamedId {
    /// `MNID_ID`: property set and long id.
    Lid([u8; 16], u32),
    /// `MNID_STRING`: property set and name.
    Name([u8; 16], String),
}

/// The properties of one object (message, recipient, attachment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropBag {
    /// Properties with ids below 0x8000, by id (the type is in the value).
    pub tagged: BTreeMap<u16, PropValue<'static>>,
    /// Named properties, resolved through the store's name-to-id map.
    pub named: BTreeMap<NamedId, PropValue<'static>>,
}

impl PropBag {
    /// A tagged property.
    pub fn get(&self, id: u16) -> Option<&PropValue<'static>> {
        self.tagged.get(&id)
    }

    /// A tagged property as text (`PtypString`; String8 was decoded on reading).
    pub fn str(&self, id: u16) -> Option<&str> {
        match self.tagged.get(&id)? {
            PropValue::Unicode(s) => Some(s),
            _ => None,
        }
    }

    /// A tagged integer property (16, 32 or 64 bits), widened.
    pub fn int(&self, id: u16) -> Option<i64> {
        self.tagged.get(&id)?.as_i64()
    }

    /// A tagged boolean property.
    pub fn bool(&self, id: u16) -> Option<bool> {
        match self.tagged.get(&id)? {
            PropValue::Bool(b) => Some(*b),
            v => v.as_i64().map(|i| i != 0),
        }
    }

    /// A tagged `PtypTime` property as seconds since the Unix epoch.
    pub fn time(&self, id: u16) -> Option<i64> {
        match self.tagged.get(&id)? {
            PropValue::Time(ft) => filetime_to_unix(*ft),
            _ => None,
        }
    }

    /// A tagged binary property.
    pub fn bin(&self, id: u16) -> Option<&[u8]> {
        self.tagged.get(&id)?.as_bytes()
    }

    /// A named property.
    pub fn named(&self, id: &NamedId) -> Option<&PropValue<'static>> {
        self.named.get(id)
    }

    /// A named property with a numeric name ([`tags::lid`]).
    pub fn lid(&self, p: Lid) -> Option<&PropValue<'static>> {
        self.named.get(&NamedId::Lid(p.set, p.lid))
    }

    /// A named property with a string name ([`tags::name`]).
    pub fn name(&self, p: Name) -> Option<&PropValue<'static>> {
        self.named.get(&NamedId::Name(p.set, p.name.to_string()))
    }
}

/// FILETIME (100 ns ticks since 1601-01-01 UTC) to Unix seconds; `None`
/// for the "no date" values Outlook writes (0 and the far future 0x0CB34557...).
pub fn filetime_to_unix(ft: i64) -> Option<i64> {
    const EPOCH_DIFF: i64 = 11_644_473_600;
    if ft <= 0 {
        return None;
    }
    let secs = ft / 10_000_000 - EPOCH_DIFF;
    // 4501-01-01 and later is Outlook's "none".
    (secs < 79_443_360_000).then_some(secs)
}

/// What an attachment holds ([MS-OXCMSG] 2.2.2.9 PidTagAttachMethod).
#[derive(Debug, Clone, PartialEq)]
pub enum AttachContent {
    /// `afByValue`: the bytes (PidTagAttachDataBinary).
    Bytes(Vec<u8>),
    /// `afEmbeddedMessage`: a whole message.
    Embedded(Box<Message>),
    /// `afStorage` (OLE compound file) or other object data, as stored.
    Ole(Vec<u8>),
    /// `afByReference` / `afByReferenceOnly`: a path or URL, no bytes
    /// (PidTagAttachLongPathname / PidTagAttachPathname).
    Reference(String),
    /// The attachment's data could not be found or read; the reason.
    Missing(String),
}

/// One attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// Its properties (PidTagAttachLongFilename, PidTagAttachMimeTag,
    /// PidTagAttachContentId, PidTagAttachFlags, PidTagAttachmentHidden ...).
    pub props: PropBag,
    /// Its content.
    pub content: AttachContent,
}

/// True when the message or container class `class` is `base` or one of its
/// subclasses (`IPM.Contact.Custom`, `IPF.Contact.MOC.QuickContacts`):
/// classes compare case-insensitively, and a subclass adds a `.` part
/// ([MS-OXCMSG] 2.2.1.3, [MS-OXOSFLD] 2.2.7).
pub fn class_is(class: &str, base: &str) -> bool {
    class.len() >= base.len()
        && class.is_char_boundary(base.len())
        && class[..base.len()].eq_ignore_ascii_case(base)
        && matches!(class.as_bytes().get(base.len()), None | Some(b'.'))
}

impl Message {
    /// `PidTagSubject` without the prefix marker some writers keep in the
    /// stored value (0x01 and a length character before the text).
    pub fn subject(&self) -> Option<&str> {
        self.props.str(tags::SUBJECT).map(without_subject_marker)
    }

    /// `PidTagMessageClass`, `IPM.Note` when absent (its default, [MS-OXCMSG] 2.2.1.3).
    pub fn class(&self) -> &str {
        self.props.str(tags::MESSAGE_CLASS).unwrap_or("IPM.Note")
    }
}

/// A stored PidTagSubject without its prefix marker: PST writers may keep
/// 0x01 and a character giving the length of the subject prefix ("RE: ")
/// before the text. [MS-OXCMSG] does not know it; libpff and java-libpst
/// (`PSTMessage.getSubject`) drop those two characters, and readpst's
/// output shows the subject without them.
pub(crate) fn without_subject_marker(s: &str) -> &str {
    let mut c = s.chars();
    if c.next() == Some('\u{1}') {
        c.next();
        return c.as_str();
    }
    s
}

/// A message with its recipients and attachments, all owned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// The node id of the message in its store (0 for an embedded message).
    pub nid: u32,
    /// The message's properties.
    pub props: PropBag,
    /// One property bag per recipient row (PidTagRecipientType,
    /// PidTagDisplayName, PidTagEmailAddress, PidTagSmtpAddress, PidTagAddressType ...).
    pub recipients: Vec<PropBag>,
    /// The attachments, in attachment-table order.
    pub attachments: Vec<Attachment>,
}
