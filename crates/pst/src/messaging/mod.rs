//! The messaging layer (MS-PST 2.4): the message store, the folder tree,
//! messages with their recipients and attachments, and the named property
//! map, read into the owned model of [`crate::mapi`].
//!
//! [`Store`] owns a [`Pst`] and is `Send + Sync`; every method takes
//! `&self`. The named property map is read once, on first use.
//!
//! What is exported: the folders under the IPM subtree (MS-PST 2.4.3,
//! `PidTagIpmSubtreeEntryId`), with paths relative to it ("Inbox",
//! "Inbox/Sub"). Folders beside it (the search root / finder, "Freebusy
//! Data", IPM_COMMON_VIEWS ...) hold Outlook's own bookkeeping and are not
//! listed. Search folders (`NID_TYPE_SEARCH_FOLDER`) hold references to
//! messages that live in ordinary folders: they are skipped, and each skip
//! is a note in [`FolderTree::notes`] (the reader reports these as
//! problems, so that nobody wonders where a folder went).

mod folders;
pub(crate) mod message;
pub mod nameid;
pub mod split;
pub mod write;

use std::path::Path;
use std::sync::OnceLock;

use mailshift_core::{Error, Result};

use crate::ltp::prop::PropValue;
use crate::{tags, Pst, NID_MESSAGE_STORE};

pub use folders::{FolderInfo, FolderTree};
pub use mailshift_core::mapi::codepage::{decode_string8, encoding_for};
pub use message::ContentsRow;
pub use nameid::NameMap;

/// `NID_TYPE_NORMAL_FOLDER` (MS-PST 2.2.2.1).
pub const NID_TYPE_NORMAL_FOLDER: u32 = 0x02;
/// `NID_TYPE_SEARCH_FOLDER`.
pub const NID_TYPE_SEARCH_FOLDER: u32 = 0x03;
/// `NID_TYPE_NORMAL_MESSAGE`.
pub const NID_TYPE_NORMAL_MESSAGE: u32 = 0x04;
/// `NID_TYPE_ASSOC_MESSAGE`: a folder-associated (FAI) message.
pub const NID_TYPE_ASSOC_MESSAGE: u32 = 0x08;
/// `NID_TYPE_ATTACHMENT`.
pub const NID_TYPE_ATTACHMENT: u32 = 0x05;
/// `NID_ATTACHMENT_TABLE` (MS-PST 2.4.6.1): a message's attachment table subnode.
pub const NID_ATTACHMENT_TABLE: u32 = 0x671;
/// `NID_RECIPIENT_TABLE` (MS-PST 2.4.5.3): a message's recipient table subnode.
pub const NID_RECIPIENT_TABLE: u32 = 0x692;

/// `PidTagMessageFlags` bits ([MS-OXCMSG] 2.2.1.6).
pub mod msgflag {
    /// `mfRead`.
    pub const READ: i64 = 0x01;
    /// `mfUnsent`.
    pub const UNSENT: i64 = 0x08;
    /// `mfHasAttach`.
    pub const HAS_ATTACH: i64 = 0x10;
}

/// A folder the store or a folder names by entry id (MS-PST 2.4.3,
/// [MS-OXOSFLD] 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Special {
    /// `PidTagIpmSubtreeEntryId` (0x35E0): the top of the visible tree.
    IpmSubtree,
    /// `PidTagIpmOutboxEntryId` (0x35E2).
    Outbox,
    /// `PidTagIpmWastebasketEntryId` (0x35E3): Deleted Items.
    Wastebasket,
    /// `PidTagIpmSentMailEntryId` (0x35E4).
    SentMail,
    /// `PidTagFinderEntryId` (0x35E7): the search root.
    Finder,
    /// `PidTagIpmAppointmentEntryId` (0x36D0).
    Calendar,
    /// `PidTagIpmContactEntryId` (0x36D1).
    Contacts,
    /// `PidTagIpmJournalEntryId` (0x36D2).
    Journal,
    /// `PidTagIpmNoteEntryId` (0x36D3).
    Notes,
    /// `PidTagIpmTaskEntryId` (0x36D4).
    Tasks,
    /// `PidTagIpmDraftsEntryId` (0x36D7).
    Drafts,
    /// `PidTagAdditionalRenEntryIds` (0x36D8) [0]: Conflicts.
    Conflicts,
    /// [1]: Sync Issues.
    SyncIssues,
    /// [2]: Local Failures.
    LocalFailures,
    /// [3]: Server Failures.
    ServerFailures,
    /// [4]: Junk E-mail.
    Junk,
}

/// Entry ids on the message store PC.
const STORE_ENTRY_IDS: [(u16, Special); 5] = [
    (tags::IPM_SUBTREE_ENTRY_ID, Special::IpmSubtree),
    (tags::IPM_OUTBOX_ENTRY_ID, Special::Outbox),
    (tags::IPM_WASTEBASKET_ENTRY_ID, Special::Wastebasket),
    (tags::IPM_SENT_MAIL_ENTRY_ID, Special::SentMail),
    (tags::FINDER_ENTRY_ID, Special::Finder),
];

/// Entry ids Outlook keeps on the root folder, the IPM subtree and the Inbox.
const FOLDER_ENTRY_IDS: [(u16, Special); 6] = [
    (tags::IPM_APPOINTMENT_ENTRY_ID, Special::Calendar),
    (tags::IPM_CONTACT_ENTRY_ID, Special::Contacts),
    (tags::IPM_JOURNAL_ENTRY_ID, Special::Journal),
    (tags::IPM_NOTE_ENTRY_ID, Special::Notes),
    (tags::IPM_TASK_ENTRY_ID, Special::Tasks),
    (tags::IPM_DRAFTS_ENTRY_ID, Special::Drafts),
];

/// The folders `PidTagAdditionalRenEntryIds` (a multi-valued binary) names, in order.
const ADDITIONAL_REN_ORDER: [Special; 5] =
    [Special::Conflicts, Special::SyncIssues, Special::LocalFailures, Special::ServerFailures, Special::Junk];

/// The NID an `ENTRYID` names (MS-PST 2.4.3.2: `rgbFlags` (4), `uid` (16),
/// `nid` (4)); `None` when the bytes are too short or name NID 0.
pub fn entry_id_nid(entry_id: &[u8]) -> Option<u32> {
    let b = entry_id.get(20..24)?;
    let nid = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    (nid != 0).then_some(nid)
}

/// An open store: the PST plus what its message store PC says.
pub struct Store {
    pst: Pst,
    display_name: Option<String>,
    special: Vec<(Special, u32)>,
    problems: Vec<String>,
    names: OnceLock<NameMap>,
    /// Messages listed by their parent links because their folder's
    /// contents table failed ([`Store::contents`]).
    linked: std::sync::Mutex<std::collections::HashSet<u32>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("pst", &self.pst)
            .field("display_name", &self.display_name)
            .field("special", &self.special)
            .finish()
    }
}

impl Store {
    /// Opens the PST or OST at `path` and reads its message store.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store::new(Pst::open(path)?))
    }

    /// Reads the message store PC (NID 0x21) of `pst`. A store without a
    /// readable one is still usable: the folder walk then starts at the
    /// root folder, and the reason is in [`Store::problems`].
    pub fn new(pst: Pst) -> Store {
        let mut s = Store {
            pst,
            display_name: None,
            special: Vec::new(),
            problems: Vec::new(),
            names: OnceLock::new(),
            linked: Default::default(),
        };
        match s.pst.node(NID_MESSAGE_STORE) {
            Ok(Some(node)) => match s.pst.property_context(&node) {
                Ok(pc) => {
                    s.display_name = pc.string(tags::DISPLAY_NAME).ok().flatten();
                    for (tag, which) in STORE_ENTRY_IDS {
                        if let Some(b) = pc.get(tag).ok().flatten().and_then(PropValue::into_bytes) {
                            if let Some(nid) = entry_id_nid(&b) {
                                s.special.push((which, nid));
                            }
                        }
                    }
                }
                Err(e) => s.problems.push(format!("message store: {e}")),
            },
            Ok(None) => s.problems.push("the file has no message store node (NID 0x21)".into()),
            Err(e) => s.problems.push(format!("message store: {e}")),
        }
        for nid in [crate::NID_ROOT_FOLDER, s.ipm_subtree().unwrap_or(0)] {
            if nid != 0 {
                s.read_folder_entry_ids(nid);
            }
        }
        s
    }

    /// Adds the special-folder entry ids kept on folder `nid`'s PC.
    pub(crate) fn read_folder_entry_ids(&mut self, nid: u32) {
        let found = folder_entry_ids(&self.pst, nid);
        for (which, target) in found {
            if !self.special.iter().any(|(w, _)| *w == which) {
                self.special.push((which, target));
            }
        }
    }

    /// True if message `nid` was listed by its parent link, its folder's
    /// contents table failing.
    pub fn is_linked(&self, nid: u32) -> bool {
        self.linked.lock().is_ok_and(|l| l.contains(&nid))
    }

    /// The underlying file.
    pub fn pst(&self) -> &Pst {
        &self.pst
    }

    /// The store's `PidTagDisplayName`.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// The special folders found by entry id, as (which, folder NID).
    pub fn special_folders(&self) -> &[(Special, u32)] {
        &self.special
    }

    /// The folder NID of one special folder.
    pub fn special(&self, which: Special) -> Option<u32> {
        self.special.iter().find(|(w, _)| *w == which).map(|(_, n)| *n)
    }

    /// The IPM subtree's NID, from `PidTagIpmSubtreeEntryId`.
    pub fn ipm_subtree(&self) -> Option<u32> {
        self.special(Special::IpmSubtree)
    }

    /// What was wrong in the store's own structures.
    pub fn problems(&self) -> Vec<String> {
        let mut p = self.problems.clone();
        if let Some(m) = self.names.get() {
            p.extend(m.problems.iter().cloned());
        }
        p
    }

    /// The named property map, read on first use.
    pub fn names(&self) -> &NameMap {
        self.names.get_or_init(|| NameMap::read(&self.pst))
    }

    /// A `Format` error about `structure` in this store.
    pub(crate) fn format_err(&self, structure: &'static str, reason: String) -> Error {
        Error::Format { path: self.pst.path().to_path_buf(), structure, offset: 0, reason }
    }
}

/// The entry ids of [`FOLDER_ENTRY_IDS`] and `PidTagAdditionalRenEntryIds` on folder `nid`.
fn folder_entry_ids(pst: &Pst, nid: u32) -> Vec<(Special, u32)> {
    let mut out = Vec::new();
    let Ok(Some(node)) = pst.node(nid) else {
        return out;
    };
    let Ok(pc) = pst.property_context(&node) else {
        return out;
    };
    for (tag, which) in FOLDER_ENTRY_IDS {
        if let Some(b) = pc.get(tag).ok().flatten().and_then(PropValue::into_bytes) {
            if let Some(n) = entry_id_nid(&b) {
                out.push((which, n));
            }
        }
    }
    if let Ok(Some(PropValue::MvBinary(list))) = pc.get(tags::ADDITIONAL_REN_ENTRY_IDS) {
        for (b, which) in list.iter().zip(ADDITIONAL_REN_ORDER) {
            if let Some(n) = entry_id_nid(b) {
                out.push((which, n));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_id_names_its_nid() {
        let mut e = vec![0u8; 24];
        e[20..24].copy_from_slice(&0x8022u32.to_le_bytes());
        assert_eq!(entry_id_nid(&e), Some(0x8022));
        assert_eq!(entry_id_nid(&e[..23]), None);
        assert_eq!(entry_id_nid(&[0u8; 24]), None);
    }

    #[test]
    fn store_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Store>();
    }
}
