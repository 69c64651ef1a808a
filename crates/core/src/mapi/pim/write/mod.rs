//! The neutral PIM items of [`crate::pim`] as MAPI messages: the inverse of
//! the mappers beside this module ([MS-OXOCNTC], [MS-OXOCAL], [MS-OXOTASK],
//! [MS-OXONOTE], [MS-OXOJRNL]).
//!
//! **The rule.** What [`super::contact`], [`super::appointment`] and
//! [`super::task`] read from a message written here is the item it was
//! written from, field for field, wherever MAPI has room for the field;
//! every field it has none for is named in [`Converted::not_kept`]. The
//! tests read PST items, write them back through these functions and a PST
//! writer, and compare.
//!
//! **UIDs.** A contact, list, task, note or journal entry gets the search
//! key [`super::uid::uid_search_key`], from which the reader takes its UID
//! back; an event gets the Global Object ID its UID came from (the
//! upper-case hex of one), else one that carries the UID ("vCal-Uid",
//! [MS-OXCICAL] 2.1.3.1.1.20.26), as Outlook does for iCalendar imports.
//!
//! - [`contact`]: `Contact` and `DistList`;
//! - [`event`]: `Event`, with its time zones, recurrence blob and
//!   exception attachments;
//! - [`task`]: `Task`, `Note` and `Journal`.

mod contact;
mod event;
mod task;

pub use contact::{contact, dist_list};
pub use event::event;
pub use task::{journal, note, task};

use crate::mapi::inbound::Converted;
use crate::mapi::tags::{self, Lid, Name};
use crate::mapi::{Message, NamedId, PropBag, PropValue};
use crate::pim::{Class, Date, DateTime};

/// FILETIME of Unix seconds.
pub(crate) fn filetime(unix: i64) -> PropValue<'static> {
    PropValue::Time(unix.saturating_add(11_644_473_600).saturating_mul(10_000_000))
}

/// Unix seconds of midnight UTC of `d`.
pub(crate) fn midnight(d: Date) -> i64 {
    DateTime { date: d, ..DateTime::default() }.unix_if_utc()
}

/// PidTagSensitivity of CLASS: PUBLIC normal, PRIVATE private,
/// CONFIDENTIAL confidential ([MS-OXCMSG] 2.2.1.13).
fn sensitivity(c: Class) -> i32 {
    match c {
        Class::Public => 0,
        Class::Private => 2,
        Class::Confidential => 3,
    }
}

/// A message being built, and what it could not carry.
pub(crate) struct Out {
    pub msg: Message,
    pub not_kept: Vec<String>,
    pub lost: Vec<String>,
}

impl Out {
    /// A message of `class` with the UID search key of `uid`, marked read
    /// (Outlook's PIM items are).
    pub fn new(class: &str, uid: &str) -> Out {
        let mut o = Out { msg: Message::default(), not_kept: Vec::new(), lost: Vec::new() };
        o.tag(tags::MESSAGE_CLASS, PropValue::Unicode(class.into()));
        o.tag(tags::MESSAGE_FLAGS, PropValue::I32(1));
        if !uid.is_empty() {
            o.tag(tags::SEARCH_KEY, PropValue::Binary(super::uid::uid_search_key(uid).into()));
        }
        o
    }

    pub fn tag(&mut self, id: u16, v: PropValue<'static>) {
        self.msg.props.tagged.insert(id, v);
    }

    pub fn lid(&mut self, id: Lid, v: PropValue<'static>) {
        self.msg.props.named.insert(id.into(), v);
    }

    pub fn name(&mut self, id: Name, v: PropValue<'static>) {
        self.msg.props.named.insert(NamedId::from(id), v);
    }

    /// A tagged string, when there is one and it is not empty.
    pub fn text(&mut self, id: u16, s: Option<&str>) {
        if let Some(s) = s.filter(|s| !s.is_empty()) {
            self.tag(id, PropValue::Unicode(s.to_string()));
        }
    }

    /// A named string, when there is one and it is not empty.
    pub fn lid_text(&mut self, id: Lid, s: Option<&str>) {
        if let Some(s) = s.filter(|s| !s.is_empty()) {
            self.lid(id, PropValue::Unicode(s.to_string()));
        }
    }

    /// PidTagSubject and PidTagNormalizedSubject (no prefix). A subject
    /// that begins with a character beyond ASCII is stored after the marker
    /// Outlook and Aspose put before a subject with an empty prefix (0x01,
    /// 0x01, which every reader drops, ours by `without_subject_marker`):
    /// libpff (pffexport, pypff) takes a first UTF-8 byte above 0x7F for
    /// that marker when there is none and drops two bytes of the subject.
    pub fn subject(&mut self, s: Option<&str>) {
        let Some(s) = s.filter(|s| !s.is_empty()) else { return };
        let stored = if s.starts_with(|c: char| !c.is_ascii()) { format!("\u{1}\u{1}{s}") } else { s.to_string() };
        self.tag(tags::SUBJECT, PropValue::Unicode(stored));
        self.tag(tags::SUBJECT_PREFIX, PropValue::Unicode(String::new()));
        self.tag(tags::NORMALIZED_SUBJECT, PropValue::Unicode(s.to_string()));
        self.tag(tags::CONVERSATION_TOPIC, PropValue::Unicode(s.to_string()));
    }

    /// The Keywords (categories), CLASS as PidTagSensitivity, and the
    /// creation and modification times, which every kind shares.
    pub fn common(&mut self, categories: &[String], class: Option<Class>, created: Option<i64>, modified: Option<i64>) {
        if !categories.is_empty() {
            self.name(tags::name::KEYWORDS, PropValue::MvUnicode(categories.to_vec()));
        }
        if let Some(c) = class {
            self.tag(tags::SENSITIVITY, PropValue::I32(sensitivity(c)));
        }
        if let Some(t) = created {
            self.tag(tags::CREATION_TIME, filetime(t));
        }
        if let Some(t) = modified {
            self.tag(tags::LAST_MODIFICATION_TIME, filetime(t));
        }
    }

    pub fn not_kept(&mut self, what: impl Into<String>) {
        self.not_kept.push(what.into());
    }

    pub fn done(self) -> Converted {
        Converted { message: self.msg, not_kept: self.not_kept, lost: self.lost }
    }
}

/// A recipient row for `name` <`email`> (an SMTP address, or whatever the
/// item holds): display name, address type, address, SMTP address, its
/// one-off EntryID ([MS-OXCDATA] 2.2.5.1) and search key, as Outlook
/// fills a row it resolved to a one-off address.
pub(crate) fn recipient(name: Option<&str>, email: &str, kind: i32) -> PropBag {
    // PidTagObjectType MAPI_MAILUSER, PidTagDisplayType DT_MAILUSER,
    // PidTagSendRichInfo, PidTagResponsibility.
    const OBJECT_TYPE: u16 = 0x0FFE;
    const DISPLAY_TYPE: u16 = 0x3900;
    const SEND_RICH_INFO: u16 = 0x3A40;
    const RESPONSIBILITY: u16 = 0x0E0F;
    let mut r = PropBag::default();
    let shown = name.filter(|n| !n.is_empty()).unwrap_or(email);
    r.tagged.insert(tags::RECIPIENT_TYPE, PropValue::I32(kind));
    r.tagged.insert(OBJECT_TYPE, PropValue::I32(6));
    r.tagged.insert(DISPLAY_TYPE, PropValue::I32(0));
    r.tagged.insert(SEND_RICH_INFO, PropValue::Bool(false));
    r.tagged.insert(RESPONSIBILITY, PropValue::Bool(false));
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        r.tagged.insert(tags::DISPLAY_NAME, PropValue::Unicode(n.to_string()));
        r.tagged.insert(tags::RECIPIENT_DISPLAY_NAME, PropValue::Unicode(n.to_string()));
    }
    if !email.is_empty() {
        r.tagged.insert(tags::ADDRESS_TYPE, PropValue::Unicode("SMTP".into()));
        r.tagged.insert(tags::EMAIL_ADDRESS, PropValue::Unicode(email.to_string()));
        r.tagged.insert(tags::SMTP_ADDRESS, PropValue::Unicode(email.to_string()));
        let entry = super::contact::one_off_entry_id(shown, "SMTP", email);
        r.tagged.insert(tags::ENTRY_ID, PropValue::Binary(entry.clone().into()));
        r.tagged.insert(tags::RECIPIENT_ENTRY_ID, PropValue::Binary(entry.into()));
        let key = format!("SMTP:{}\0", email.to_ascii_uppercase());
        r.tagged.insert(tags::SEARCH_KEY, PropValue::Binary(key.into_bytes().into()));
    }
    r
}
