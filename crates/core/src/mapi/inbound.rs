//! Items a source holds in their own form (RFC 5322 mail, the neutral PIM
//! items of [`crate::pim`]) as MAPI messages, for a writer that stores MAPI
//! (PST): the inverse of [`super::mime`] and [`super::pim`].
//!
//! The converter calls [`to_mapi`] in its parallel stage for every item
//! that is not MAPI already, so the writer only lays out properties. What a
//! conversion could not carry comes back beside the message, for the report.

use super::Message;
use crate::model::Item;

/// An item as a MAPI message, and what the conversion could not carry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    /// The message, with every property a PST needs to show it.
    pub message: Message,
    /// What MAPI has no place for, in words that name the thing (reported
    /// as "not kept by pst", exit 0).
    pub not_kept: Vec<String>,
    /// What could have been kept and was not (a part that could not be
    /// decoded): a loss, exit 1.
    pub lost: Vec<String>,
}

impl Converted {
    /// A message that lost nothing.
    pub fn whole(message: Message) -> Converted {
        Converted { message, ..Converted::default() }
    }
}

/// `item` as a MAPI message. `Err` carries the reason an item of its kind
/// cannot be converted: the converter counts it as skipped, unsupported.
pub fn to_mapi(item: Item<'_>) -> Result<Converted, String> {
    match item {
        Item::Mapi(m) => Ok(Converted::whole(*m)),
        Item::Mail(m) => Ok(super::mime::inbound::message(&m)),
        Item::Contact(c) => super::pim::write::contact(&c),
        Item::DistList(d) => super::pim::write::dist_list(&d),
        Item::Event(e) => super::pim::write::event(&e),
        Item::Task(t) => super::pim::write::task(&t),
        Item::Note(n) => super::pim::write::note(&n),
        Item::Journal(j) => super::pim::write::journal(&j),
    }
}
