//! The neutral PIM items of [`crate::pim`] as MAPI messages: the inverse of
//! the mappers beside this module ([MS-OXOCNTC], [MS-OXOCAL], [MS-OXOTASK]).

use crate::mapi::inbound::Converted;
use crate::pim::{Contact, DistList, Event, Journal, Note, Task};

fn not_yet(what: &str) -> Result<Converted, String> {
    Err(format!("{what} that are not MAPI messages cannot be written into a PST yet"))
}

/// A contact as IPM.Contact.
pub fn contact(_c: &Contact) -> Result<Converted, String> {
    not_yet("contacts")
}

/// A distribution list as IPM.DistList.
pub fn dist_list(_d: &DistList) -> Result<Converted, String> {
    not_yet("distribution lists")
}

/// An event as IPM.Appointment.
pub fn event(_e: &Event) -> Result<Converted, String> {
    not_yet("events")
}

/// A task as IPM.Task.
pub fn task(_t: &Task) -> Result<Converted, String> {
    not_yet("tasks")
}

/// A sticky note as IPM.StickyNote.
pub fn note(_n: &Note) -> Result<Converted, String> {
    not_yet("notes")
}

/// A journal entry as IPM.Activity.
pub fn journal(_j: &Journal) -> Result<Converted, String> {
    not_yet("journal entries")
}
