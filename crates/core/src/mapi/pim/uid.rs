//! The UIDs of a store's contacts, lists, events, tasks, notes and journal
//! entries, chosen to survive a copy of the store.
//!
//! A vCard or iCalendar UID must be the same every time the item is
//! exported: from the same file, and from a copy of it made property by
//! property into another PST (issue 9). Such a copy is another store: its
//! message store has another PidTagRecordKey, and its messages have other
//! NIDs, so neither can be part of the UID. What the copy keeps is every
//! property value, the folder paths, and the order of each folder's
//! contents table (the copy writes the rows in the order it reads them).
//!
//! **The rule**, in order of preference:
//!
//! 1. An appointment or meeting with a PidLidCleanGlobalObjectId or
//!    PidLidGlobalObjectId takes the UID Outlook exports from it
//!    ([`crate::mapi::pim::appointment::event`], [MS-OXCICAL] 2.1.3.1.1.20.26);
//!    what this module gives is only its fallback.
//! 2. Otherwise the item's *identity* is its PidTagSearchKey (0x300B): "a
//!    unique binary-comparable key ... Whenever a copy of an object is
//!    created, the key is also copied from the original object"
//!    ([MS-OXCPRPT] 2.2.1.9). Outlook sets one on every message it makes.
//! 3. Without one, the identity is [`fallback_search_key`]: 16 bytes hashed
//!    from the store's PidTagRecordKey and the NID, the two values of the
//!    item's ENTRYID (MS-PST 2.4.3.2). A copy does not keep them, so a
//!    writer that wants a copy's UIDs to equal the original's gives each
//!    copied message without a search key this value as its
//!    PidTagSearchKey (which [MS-OXCPRPT] lets a client create); rule 2
//!    then yields the same identity in the copy.
//!
//! The UID is `stable_uid("pst-item", identity)` ([`identity_uid`]),
//! except for an item written from the neutral model (a vCard, an
//! iCalendar file, or a PST read as neutral items): its UID is already
//! chosen and cannot be derived again from a hash, so
//! [`crate::mapi::pim::write`] gives it the search key [`uid_search_key`]
//! (a marker and the UID's UTF-8), which [`identity_uid`] reads back as
//! that UID. Such a key is still a unique binary-comparable value, as
//! [MS-OXCPRPT] asks, and a copy of the item keeps it.
//!
//! **Collisions.** A copy made inside Outlook keeps the search key, so one
//! store can hold several items with one identity (Inbox and Deleted
//! Items; in the fixtures, Aspose's Test_part1.pst holds the same contact
//! nine times and the same appointment nine times, with equal
//! PidTagCreationTime too, so the creation time cannot tell them apart).
//! Items sharing an identity are ordered by folder path, then by their row
//! position in the folder's contents table (the folder's place in the
//! hierarchy is not used: a writer may order folders differently, e.g.
//! create the default folders first, while paths and row order survive).
//! The first keeps the plain UID; the k-th after it gets
//! `identity_uid(identity, k)`. The original and a copy order them alike,
//! so each gets the same UID in both.
//!
//! Distribution-list members name their contacts by ENTRYID (store uid and
//! NID, [MS-OXOCNTC] 2.2.2.2.4.1.1): a member naming this store gets the
//! UID of the item with that NID ([`StoreUids::member_uid`]), one naming
//! another store the UID that store's item would get without a search key.
//! A copy must therefore retarget the members' ENTRYIDs to its own store
//! and NIDs ([`crate::mapi::pim::contact::retarget_dist_list`]), as Outlook
//! needs anyway to resolve them.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::mapi::{tags, PropBag};
use crate::pim::stable_uid;

/// The namespace of [`stable_uid`] for PST items.
const NAMESPACE: &str = "pst-item";

/// The message's PidTagSearchKey, `None` when absent or empty.
pub fn search_key(p: &PropBag) -> Option<&[u8]> {
    p.bin(tags::SEARCH_KEY).filter(|b| !b.is_empty())
}

/// The identity of a message without a PidTagSearchKey: the first 16
/// bytes of SHA-256 of "mailshift pst item", a NUL, the store's
/// PidTagRecordKey and the NID (little-endian). 16 bytes, the size of the
/// search keys Outlook writes, so that a copy can carry it as one.
pub fn fallback_search_key(store_identity: &[u8], nid: u32) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"mailshift pst item\0");
    h.update(store_identity);
    h.update(nid.to_le_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

/// The PidTagSearchKey a copy of message `nid` of the store `store_identity`
/// is given when it has none ([`fallback_search_key`]); `None` when it has
/// one, or is not a stored message (NID 0). The PST writer adds it to what
/// it writes, and the converter to what it keys --dedup by, so that both
/// agree: one rule, here.
pub fn missing_search_key(p: &PropBag, store_identity: &[u8], nid: u32) -> Option<[u8; 16]> {
    (nid != 0 && search_key(p).is_none()).then(|| fallback_search_key(store_identity, nid))
}

/// What begins a search key that carries its item's UID ([`uid_search_key`]).
pub const UID_KEY_MARKER: &[u8] = b"mailshift uid\0";

/// The PidTagSearchKey of an item written from the neutral model with UID
/// `uid`: [`UID_KEY_MARKER`] and the UID's UTF-8.
pub fn uid_search_key(uid: &str) -> Vec<u8> {
    let mut k = UID_KEY_MARKER.to_vec();
    k.extend_from_slice(uid.as_bytes());
    k
}

/// The UID a search key made by [`uid_search_key`] carries.
pub fn uid_of_search_key(key: &[u8]) -> Option<String> {
    let rest = key.strip_prefix(UID_KEY_MARKER)?;
    let s = std::str::from_utf8(rest).ok()?;
    (!s.is_empty()).then(|| s.to_string())
}

/// The UID of the `occurrence`-th item (from 0, see the module notes) with
/// `identity`: `stable_uid("pst-item", identity)` for the first (the UID
/// itself when the identity is a [`uid_search_key`]), the identity
/// followed by a NUL, `#` and the occurrence (u32 LE) for the others.
pub fn identity_uid(identity: &[u8], occurrence: u32) -> String {
    if occurrence == 0 {
        return uid_of_search_key(identity).unwrap_or_else(|| stable_uid(NAMESPACE, identity));
    }
    let mut id = Vec::with_capacity(identity.len() + 6);
    id.extend_from_slice(identity);
    id.extend_from_slice(b"\0#");
    id.extend_from_slice(&occurrence.to_le_bytes());
    stable_uid(NAMESPACE, &id)
}

/// The UID of the item `nid` of the store whose PidTagRecordKey is
/// `store_identity` when it has no search key and no other item shares its
/// identity: `identity_uid(&fallback_search_key(store_identity, nid), 0)`.
pub fn item_uid(store_identity: &[u8], nid: u32) -> String {
    identity_uid(&fallback_search_key(store_identity, nid), 0)
}

/// Where an item of the store is listed, and its search key: the input of
/// [`StoreUids::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The folder's path (folder names from the top of the IPM subtree).
    pub folder: Vec<String>,
    /// The row of the item in the folder's contents table, from 0.
    pub position: usize,
    /// The message's NID.
    pub nid: u32,
    /// Its PidTagSearchKey (see [`search_key`]).
    pub search_key: Option<Vec<u8>>,
}

/// The UIDs of a store's PIM items by the rule of the module notes.
#[derive(Debug, Clone, Default)]
pub struct StoreUids {
    store: Vec<u8>,
    by_nid: HashMap<u32, String>,
}

impl StoreUids {
    /// The UIDs of `items`, the PIM items of the store whose
    /// PidTagRecordKey is `store_identity`, in the order they are walked
    /// (which breaks ties between folders with one path). A NID listed
    /// twice keeps its first place.
    pub fn new(store_identity: Vec<u8>, items: Vec<Placed>) -> StoreUids {
        let mut items: Vec<(usize, Placed)> = items.into_iter().enumerate().collect();
        // Path, then row; the walk order only between folders of one path.
        items.sort_by(|(ia, a), (ib, b)| a.folder.cmp(&b.folder).then(a.position.cmp(&b.position)).then(ia.cmp(ib)));
        let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut by_nid = HashMap::with_capacity(items.len());
        for (_, p) in items {
            if by_nid.contains_key(&p.nid) {
                continue;
            }
            let identity = p.search_key.unwrap_or_else(|| fallback_search_key(&store_identity, p.nid).to_vec());
            let n = seen.entry(identity.clone()).or_insert(0);
            by_nid.insert(p.nid, identity_uid(&identity, *n));
            *n += 1;
        }
        StoreUids { store: store_identity, by_nid }
    }

    /// The store's PidTagRecordKey the UIDs were made with.
    pub fn store_identity(&self) -> &[u8] {
        &self.store
    }

    /// The UID of the listed item `nid`, `None` for one not listed.
    pub fn get(&self, nid: u32) -> Option<&str> {
        self.by_nid.get(&nid).map(String::as_str)
    }

    /// The UID of item `nid`: its listed one, else [`item_uid`].
    pub fn uid(&self, nid: u32) -> String {
        self.get(nid).map_or_else(|| item_uid(&self.store, nid), str::to_string)
    }

    /// The UID a list member naming item `nid` of the store `store_uid`
    /// (the ENTRYID's `uid`) points at: [`StoreUids::uid`] when that is this
    /// store, else [`item_uid`] in the other store.
    pub fn member_uid(&self, store_uid: &[u8], nid: u32) -> String {
        if !self.store.is_empty() && store_uid == self.store.as_slice() {
            self.uid(nid)
        } else {
            item_uid(store_uid, nid)
        }
    }

    /// How many items are listed.
    pub fn len(&self) -> usize {
        self.by_nid.len()
    }

    /// True when no item is listed.
    pub fn is_empty(&self) -> bool {
        self.by_nid.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(folder: &str, position: usize, nid: u32, sk: Option<&[u8]>) -> Placed {
        Placed { folder: vec![folder.to_string()], position, nid, search_key: sk.map(<[u8]>::to_vec) }
    }

    #[test]
    fn search_keys_win_over_store_and_nid() {
        let a = StoreUids::new(vec![1; 16], vec![placed("Contacts", 0, 0x200024, Some(b"k1"))]);
        let b = StoreUids::new(vec![2; 16], vec![placed("Contacts", 0, 0x10004, Some(b"k1"))]);
        assert_eq!(a.uid(0x200024), b.uid(0x10004));
        assert_eq!(a.uid(0x200024), identity_uid(b"k1", 0));
        // Without a search key the store and NID decide.
        let c = StoreUids::new(vec![1; 16], vec![placed("Contacts", 0, 0x200044, None)]);
        assert_eq!(c.uid(0x200044), item_uid(&[1; 16], 0x200044));
        assert_ne!(c.uid(0x200044), item_uid(&[2; 16], 0x200044));
        // ... unless a copy carries the fallback identity as its search key.
        let fb = fallback_search_key(&[1; 16], 0x200044);
        let d = StoreUids::new(vec![2; 16], vec![placed("Contacts", 0, 0x10004, Some(&fb))]);
        assert_eq!(d.uid(0x10004), c.uid(0x200044));
    }

    #[test]
    fn shared_identities_are_numbered_by_path_then_row() {
        // Walked Inbox first, Deleted Items second; paths sort the other way.
        let orig = StoreUids::new(
            vec![1; 16],
            vec![
                placed("Inbox", 0, 0x24, Some(b"k")),
                placed("Inbox", 1, 0x44, Some(b"k")),
                placed("Deleted Items", 0, 0x64, Some(b"k")),
            ],
        );
        assert_eq!(orig.uid(0x64), identity_uid(b"k", 0));
        assert_eq!(orig.uid(0x24), identity_uid(b"k", 1));
        assert_eq!(orig.uid(0x44), identity_uid(b"k", 2));
        // A copy walking the folders in another order, with other NIDs.
        let copy = StoreUids::new(
            vec![9; 16],
            vec![
                placed("Deleted Items", 0, 0x104, Some(b"k")),
                placed("Inbox", 0, 0x124, Some(b"k")),
                placed("Inbox", 1, 0x144, Some(b"k")),
            ],
        );
        assert_eq!(
            (copy.uid(0x104), copy.uid(0x124), copy.uid(0x144)),
            (orig.uid(0x64), orig.uid(0x24), orig.uid(0x44))
        );
    }

    #[test]
    fn uid_search_keys_give_back_their_uid() {
        let k = uid_search_key("urn:uuid:5f0c-ü");
        assert_eq!(&k[..UID_KEY_MARKER.len()], UID_KEY_MARKER);
        assert_eq!(identity_uid(&k, 0), "urn:uuid:5f0c-ü");
        let u = StoreUids::new(vec![1; 16], vec![placed("Contacts", 0, 0x24, Some(&k))]);
        assert_eq!(u.uid(0x24), "urn:uuid:5f0c-ü");
        assert_eq!(u.member_uid(&[1; 16], 0x24), "urn:uuid:5f0c-ü");
        // A second item with the same key is numbered as any other.
        assert_ne!(identity_uid(&k, 1), "urn:uuid:5f0c-ü");
        // Not UTF-8, or empty: an ordinary identity.
        assert_eq!(identity_uid(UID_KEY_MARKER, 0), stable_uid(NAMESPACE, UID_KEY_MARKER));
        let mut bad = UID_KEY_MARKER.to_vec();
        bad.push(0xFF);
        assert_eq!(uid_of_search_key(&bad), None);
    }

    #[test]
    fn members_resolve_in_this_store_only() {
        let u = StoreUids::new(vec![1; 16], vec![placed("Contacts", 0, 0x24, Some(b"k"))]);
        assert_eq!(u.member_uid(&[1; 16], 0x24), identity_uid(b"k", 0));
        assert_eq!(u.member_uid(&[3; 16], 0x24), item_uid(&[3; 16], 0x24));
        // A store without a record key resolves nothing by NID.
        let e = StoreUids::new(Vec::new(), vec![placed("Contacts", 0, 0x24, Some(b"k"))]);
        assert_eq!(e.member_uid(&[], 0x24), item_uid(&[], 0x24));
    }
}
