//! Personal-information items: the mappers of MAPI contacts, appointments,
//! tasks, notes and journal entries onto core's neutral PIM model live in
//! [`mailshift_core::mapi::pim`] (a MAPI item knows no file format) and are
//! re-exported here for the crate's own paths. What needs the PST stays
//! here: [`contact::store_record_key`], and the UID table a
//! [`PstReader`](crate::PstReader) builds by walking the store
//! ([`crate::PstReader::pim_uids`]).

pub use mailshift_core::mapi::pim::*;

/// Contacts and distribution lists ([`mailshift_core::mapi::pim::contact`]),
/// and the store identity their UIDs are made with.
pub mod contact {
    pub use mailshift_core::mapi::pim::contact::*;

    use crate::{tags, Store, NID_MESSAGE_STORE};

    /// The store's PidTagRecordKey (on the message store, NID 0x21): the
    /// store identity of [`item_uid`] and [`super::uid::StoreUids`]. `None`
    /// when the store has none.
    pub fn store_record_key(store: &Store) -> Option<Vec<u8>> {
        let pst = store.pst();
        let node = pst.node(NID_MESSAGE_STORE).ok()??;
        let pc = pst.property_context(&node).ok()?;
        let b = pc.get(tags::RECORD_KEY).ok()??.into_bytes()?;
        (!b.is_empty()).then(|| b.into_owned())
    }
}
