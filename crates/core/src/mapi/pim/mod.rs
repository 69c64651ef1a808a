//! Personal-information items: the MAPI side of contacts, calendars, tasks,
//! notes and journals, mapped onto the neutral PIM model of [`crate::pim`].
//!
//! - [`contact`]: contacts and distribution lists onto `Contact` / `DistList`
//!   (vCard).
//! - [`uid`]: the UIDs of a store's PIM items, from what a copy of the store
//!   keeps (the search key), and their collisions.
//! - [`recur`]: the recurrence blobs of appointments (PidLidAppointmentRecur,
//!   [MS-OXOCAL] 2.2.1.44) and tasks (PidLidTaskRecurrence, [MS-OXOTASK]
//!   2.2.2.2.15), and their mapping onto RFC 5545 RRULE parts.
//! - [`task`]: tasks, sticky notes and journal entries mapped onto core's
//!   `Task`, `Note` and `Journal` (VTODO / VJOURNAL).
//! - [`appointment`]: appointments and meetings mapped onto core's `Event`
//!   (VEVENT), with [`tz`] decoding their time-zone blobs.
//!
//! The mappers never fail: what is missing or undecodable leaves a field
//! empty, and the item is still exported.
//!
//! Nothing here reads a file: what only the store can tell (its
//! PidTagRecordKey, the UIDs of the items a list's members name) comes in
//! as arguments ([`uid::StoreUids::new`], [`contact::dist_list_with`]'s
//! closure); mailshift-pst's `pim::contact::store_record_key` and
//! `PstReader::pim_uids` fetch it from a PST.

pub mod appointment;
pub mod contact;
pub mod recur;
pub mod task;
pub mod tz;
pub mod uid;
pub mod write;

pub use recur::{
    AppointmentRecurrencePattern, EndType, ExceptionInfo, Freq, LocalTime, Occurrence, PatternSpecific, PatternType,
    RecurFrequency, RecurrencePattern, RuleParts, Weekday,
};

use crate::pim::Class;

use crate::mapi::tags::{self, lid};
use crate::mapi::{string8_lossy, Malformed, Message, PropBag, PropValue};

/// The message's PidLidAppointmentRecur decoded, `None` when it has none
/// (a single appointment). String8 fields of exceptions are decoded as
/// Windows-1252; the Unicode copies of the extended exceptions win when
/// present.
pub fn appointment_recurrence(msg: &Message) -> Option<Result<AppointmentRecurrencePattern, Malformed>> {
    let b = msg.props.lid(lid::APPOINTMENT_RECUR)?.as_bytes()?;
    (!b.is_empty()).then(|| AppointmentRecurrencePattern::parse(b))
}

/// The message's PidLidTaskRecurrence decoded, `None` when it has none.
pub fn task_recurrence(msg: &Message) -> Option<Result<RecurrencePattern, Malformed>> {
    let b = msg.props.lid(lid::TASK_RECURRENCE)?.as_bytes()?;
    (!b.is_empty()).then(|| RecurrencePattern::parse(b))
}

// ------------------------------------------- properties every mapper reads

/// CLASS from PidTagSensitivity: normal PUBLIC, personal and private
/// PRIVATE, confidential CONFIDENTIAL.
pub(crate) fn class(p: &PropBag) -> Option<Class> {
    match p.int(tags::SENSITIVITY)? {
        0 => Some(Class::Public),
        1 | 2 => Some(Class::Private),
        3 => Some(Class::Confidential),
        _ => None,
    }
}

/// PS_PUBLIC_STRINGS "Keywords" (the categories, [MS-OXCMSG] 2.2.1.17),
/// trimmed, empty ones dropped.
pub(crate) fn categories(p: &PropBag) -> Vec<String> {
    let v: Vec<String> = match p.name(tags::name::KEYWORDS) {
        Some(PropValue::MvUnicode(v)) => v.clone(),
        Some(PropValue::MvString8(v)) => v.iter().map(|b| string8_lossy(b)).collect(),
        Some(PropValue::Unicode(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    v.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// The plain body: PidTagBody, else the text of PidTagRtfCompressed.
pub(crate) fn body(p: &PropBag) -> Option<String> {
    if let Some(b) = p.str(tags::BODY) {
        return non_empty(Some(b));
    }
    let rtf = crate::mapi::rtf::decompress(p.bin(tags::RTF_COMPRESSED)?).ok()?;
    non_empty(Some(&crate::mapi::rtf::to_text(&rtf)))
}

/// A string value (Unicode, or String8 read as Windows-1252).
pub(crate) fn text(v: &PropValue<'_>) -> Option<String> {
    match v {
        PropValue::Unicode(s) => Some(s.clone()),
        PropValue::String8(b) => Some(string8_lossy(b)),
        _ => None,
    }
}

/// `s` when it holds more than white space.
pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty()).map(str::to_string)
}
