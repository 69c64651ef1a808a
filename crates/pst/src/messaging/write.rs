//! Writing a PST: the messaging layer (MS-PST 2.4 and 2.7) over the LTP
//! builders ([`crate::ltp::write`]) and the NDB writer
//! ([`crate::ndb::write`]).
//!
//! [`PstWriter`] is mailshift's `StoreWriter` for PST targets. It asks for
//! MAPI messages ([`StoreWriter::wants_mapi`]) and writes each one, with its
//! recipients, attachments and embedded messages, as it arrives; a
//! folder's contents tables are written when the folder is closed, and the
//! folder objects, hierarchy tables, the message store, the name-to-id map
//! and the store's fixed nodes at [`StoreWriter::finish`], before the NDB
//! writer's B-trees, maps and header. Nothing is at the target path until
//! the header is written and the file renamed over it.
//!
//! The node set is the one Outlook makes for a new store (observed on an
//! Outlook-made empty PST, and [MS-PST] 2.7.1's minimum): the message
//! store, the name-to-id map, the root folder with its three tables, the
//! IPM subtree ("Top of Outlook data file"), Search Root, Deleted Items,
//! the table templates (0x60D-0x610, 0x671, 0x692, 0x6B6, 0x6D7, 0x6F8),
//! the receive-folder table (0x62B) and the outgoing queue (0x64C); plus
//! the default folders Outlook otherwise creates when it first opens a
//! store (Inbox, Outbox, Sent Items, Drafts, Calendar, Contacts, Journal,
//! Notes, Tasks, Junk E-mail), with the entry ids it finds them by.
//!
//! Derived values are computed in one place from what is serialized:
//! PidTagMessageSize and PidTagAttachSize from the encoded values
//! ([`value_size`]), content and unread counts from the rows written,
//! PidTagLtpRowVer from one counter, rgnid by the NDB writer from the
//! nodes placed.
//!
//! [MS-PST]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use mailshift_core::mapi::{tags, AttachContent, Message, NamedId, PropBag, PropValue};
use mailshift_core::{Error, Folder, FolderId, FolderKind, FolderRole, Item, Prepared, Result, StoreWriter, Written};
use sha2::{Digest, Sha256};

use crate::ltp::prop::{fixed_size, MV_FLAG};
use crate::ltp::write::{self as ltpw, BuiltNode, NodeData};
use crate::ndb::write::{NdbWriter, WriteOptions};
use crate::raw::Bid;

// ----------------------------------------------------------------- NIDs

/// `NID_TYPE`s (MS-PST 2.2.2.1).
mod nt {
    pub const NORMAL_FOLDER: u32 = 0x02;
    pub const NORMAL_MESSAGE: u32 = 0x04;
    pub const ATTACHMENT: u32 = 0x05;
    pub const ASSOC_MESSAGE: u32 = 0x08;
    pub const HIERARCHY_TABLE: u32 = 0x0D;
    pub const CONTENTS_TABLE: u32 = 0x0E;
    pub const ASSOC_CONTENTS_TABLE: u32 = 0x0F;
}

const fn nid(nid_type: u32, index: u32) -> u32 {
    (index << 5) | nid_type
}

/// The fixed NIDs of MS-PST 2.4.1 a new store holds.
mod fixed {
    pub const MESSAGE_STORE: u32 = 0x21;
    pub const NAME_TO_ID_MAP: u32 = 0x61;
    pub const ROOT_FOLDER: u32 = 0x122;
    pub const SEARCH_MANAGEMENT_QUEUE: u32 = 0x1E1;
    pub const SEARCH_ACTIVITY_LIST: u32 = 0x201;
    pub const SEARCH_DOMAIN_OBJECT: u32 = 0x261;
    pub const HIERARCHY_TABLE_TEMPLATE: u32 = 0x60D;
    pub const CONTENTS_TABLE_TEMPLATE: u32 = 0x60E;
    pub const ASSOC_CONTENTS_TABLE_TEMPLATE: u32 = 0x60F;
    pub const SEARCH_CONTENTS_TABLE_TEMPLATE: u32 = 0x610;
    pub const RECEIVE_FOLDER_TABLE: u32 = 0x62B;
    pub const OUTGOING_QUEUE_TABLE: u32 = 0x64C;
    pub const ATTACHMENT_TABLE: u32 = 0x671;
    pub const RECIPIENT_TABLE: u32 = 0x692;
    pub const CHANGE_HISTORY_TABLE: u32 = 0x6B6;
    pub const TOMBSTONE_TABLE: u32 = 0x6D7;
    pub const TOMBSTONE_DATE_TABLE: u32 = 0x6F8;
    /// The IPM subtree, Search Root and Deleted Items: the first normal
    /// folders of a new store (nidIndex 0x401-0x403), as Outlook numbers them.
    pub const IPM_SUBTREE: u32 = 0x8022;
    pub const SEARCH_ROOT: u32 = 0x8042;
    pub const DELETED_ITEMS: u32 = 0x8062;
}

/// The first nidIndex of the folders a writer adds (after the three above).
const FIRST_FOLDER_INDEX: u32 = 0x404;
/// The first nidIndex of messages: Outlook starts them at 0x10000
/// (rgnid[NID_TYPE_NORMAL_MESSAGE] of a new store).
const FIRST_MESSAGE_INDEX: u32 = 0x10000;
/// The first nidIndex of a message's attachments (Outlook: 0x8025, 0x8045 ...).
const FIRST_ATTACHMENT_INDEX: u32 = 0x401;

// --------------------------------------------------------- table columns

/// Column sets of the tables, as Outlook's templates define them
/// (observed in Outlook-made stores; MS-PST 2.4.4.4.1, 2.4.4.5.1,
/// 2.4.4.6.1, 2.4.5.3.1, 2.4.6.1.1, 2.4.8).
mod cols {
    pub const HIERARCHY: &[u32] = &[
        0x0E30_0102,
        0x0E33_0014,
        0x0E34_0102,
        0x0E38_0003,
        0x3001_001F,
        0x3602_0003,
        0x3603_0003,
        0x360A_000B,
        0x3613_001F,
        0x6635_0003,
        0x6636_0003,
        0x67F2_0003,
        0x67F3_0003,
    ];
    pub const CONTENTS: &[u32] = &[
        0x0017_0003,
        0x001A_001F,
        0x0036_0003,
        0x0037_001F,
        0x0039_0040,
        0x0042_001F,
        0x0057_000B,
        0x0058_000B,
        0x0070_001F,
        0x0071_0102,
        0x0E03_001F,
        0x0E04_001F,
        0x0E06_0040,
        0x0E07_0003,
        0x0E08_0003,
        0x0E17_0003,
        0x0E30_0102,
        0x0E33_0014,
        0x0E34_0102,
        0x0E38_0003,
        0x0E3C_0102,
        0x0E3D_0102,
        0x1097_0003,
        0x3008_0040,
        0x3013_0102,
        0x65C6_0003,
        0x67F2_0003,
        0x67F3_0003,
    ];
    pub const ASSOC_CONTENTS: &[u32] = &[
        0x001A_001F,
        0x0E07_0003,
        0x0E17_0003,
        0x3001_001F,
        0x67F2_0003,
        0x67F3_0003,
        0x6800_001F,
        0x6803_000B,
        0x6805_1003,
        0x682F_001F,
        0x7003_0003,
        0x7004_0102,
        0x7005_0102,
        0x7006_001F,
        0x7007_0003,
    ];
    pub const SEARCH_CONTENTS: &[u32] = &[
        0x0017_0003,
        0x001A_001F,
        0x0036_0003,
        0x0037_001F,
        0x0042_001F,
        0x0057_000B,
        0x0058_000B,
        0x0E03_001F,
        0x0E04_001F,
        0x0E05_001F,
        0x0E06_0040,
        0x0E07_0003,
        0x0E08_0003,
        0x0E17_0003,
        0x0E2A_000B,
        0x3008_0040,
        0x67F1_0003,
        0x67F2_0003,
        0x67F3_0003,
    ];
    pub const ATTACHMENTS: &[u32] = &[0x0E20_0003, 0x3704_001F, 0x3705_0003, 0x370B_0003, 0x67F2_0003, 0x67F3_0003];
    pub const RECIPIENTS: &[u32] = &[
        0x0C15_0003,
        0x0E0F_000B,
        0x0FF9_0102,
        0x0FFE_0003,
        0x0FFF_0102,
        0x3001_001F,
        0x3002_001F,
        0x3003_001F,
        0x300B_0102,
        0x3900_0003,
        0x39FF_001F,
        0x3A40_000B,
        0x67F2_0003,
        0x67F3_0003,
    ];
    pub const CHANGE_HISTORY: &[u32] = &[0x0E33_0014, 0x0E37_0102, 0x0E38_0003, 0x67F2_0003, 0x67F3_0003];
    pub const TOMBSTONE: &[u32] = &[
        0x001A_001F,
        0x0E30_0102,
        0x0E31_0102,
        0x0E33_0014,
        0x0E34_0102,
        0x0E38_0003,
        0x0E3E_0102,
        0x67F2_0003,
        0x67F3_0003,
    ];
    pub const TOMBSTONE_DATE: &[u32] = &[0x0E33_0014, 0x3007_0040, 0x67F2_0003, 0x67F3_0003];
    pub const RECEIVE_FOLDER: &[u32] = &[0x001A_001F, 0x6605_0003, 0x67F2_0003, 0x67F3_0003];
    pub const OUTGOING_QUEUE: &[u32] = &[0x0039_0040, 0x0E10_0003, 0x0E14_0003, 0x67F2_0003, 0x67F3_0003];
}

// ------------------------------------------------------------- objects

/// A table being filled: its columns (`tag` = id << 16 | type, in the
/// order given; the row id and version columns are implicit) and rows of
/// (row id, row version, one cell per column).
#[derive(Debug, Default)]
struct Table {
    cols: Vec<u32>,
    rows: Vec<(u32, u32, Vec<Option<PropValue<'static>>>)>,
}

impl Table {
    fn new(cols: &[u32]) -> Table {
        let cols = cols.iter().copied().filter(|t| !matches!((t >> 16) as u16, tags::LTP_ROW_ID | tags::LTP_ROW_VER));
        Table { cols: cols.collect(), rows: Vec::new() }
    }

    fn build(self, format: crate::raw::Format) -> Result<BuiltNode> {
        let mut tc = ltpw::TcBuilder::new(format, &self.cols).map_err(lerr)?;
        for (id, ver, cells) in &self.rows {
            tc.add_row_with_version(*id, *ver, cells).map_err(lerr)?;
        }
        tc.build(&mut ltpw::LocalNids::default()).map_err(lerr)
    }

    /// A row whose cells are the values of `props` for the columns, where
    /// the type matches; the row id and version columns from `row_id` and `ver`.
    fn push(&mut self, row_id: u32, ver: u32, props: &[(u16, PropValue<'static>)]) {
        let by_id: HashMap<u16, &PropValue<'static>> = props.iter().map(|(id, v)| (*id, v)).collect();
        let cells = self
            .cols
            .iter()
            .map(|&tag| {
                let (id, ptype) = ((tag >> 16) as u16, tag as u16);
                by_id.get(&id).filter(|v| v.prop_type() == ptype).map(|v| (*v).clone())
            })
            .collect();
        self.rows.push((row_id, ver, cells));
    }
}

/// The named-property map being built (MS-PST 2.4.7): every named property
/// written gets the next id from 0x8000, in order of first use.
#[derive(Debug, Default)]
struct NameIds {
    ids: HashMap<NamedId, u16>,
    order: Vec<NamedId>,
}

impl NameIds {
    /// The property id `n` is written under; `None` when the map is full
    /// (0x7FFF names).
    fn id(&mut self, n: &NamedId) -> Option<u16> {
        // PS_MAPI names with a LID below 0x8000 are tagged properties by
        // another name ([MS-OXPROPS] 1.3.2).
        if let NamedId::Lid(set, lid) = n {
            if *set == tags::PS_MAPI && *lid < 0x8000 {
                return Some(*lid as u16);
            }
        }
        if let Some(id) = self.ids.get(n) {
            return Some(*id);
        }
        let index = u16::try_from(self.order.len()).ok().filter(|i| *i < 0x7FFF)?;
        let id = 0x8000 + index;
        self.ids.insert(n.clone(), id);
        self.order.push(n.clone());
        Some(id)
    }

    /// The map's PC properties: the bucket count, the GUID, entry and
    /// string streams and the hash buckets (MS-PST 2.4.7.1-2.4.7.5).
    fn props(&self) -> Vec<(u16, PropValue<'static>)> {
        const BUCKETS: u32 = 251;
        let mut guids: Vec<[u8; 16]> = Vec::new();
        let mut entries = Vec::with_capacity(self.order.len() * 8);
        let mut strings = Vec::new();
        let mut buckets: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
        for (i, n) in self.order.iter().enumerate() {
            let (set, is_string) = match n {
                NamedId::Lid(s, _) => (*s, false),
                NamedId::Name(s, _) => (*s, true),
            };
            // wGuid: 1 PS_MAPI, 2 PS_PUBLIC_STRINGS, 3 + index in the GUID stream.
            let w_guid: u16 = if set == tags::PS_MAPI {
                1
            } else if set == tags::PS_PUBLIC_STRINGS {
                2
            } else {
                let at = guids.iter().position(|g| *g == set).unwrap_or_else(|| {
                    guids.push(set);
                    guids.len() - 1
                });
                3 + at as u16
            };
            let (dw, hash) = match n {
                NamedId::Lid(_, lid) => (*lid, *lid),
                NamedId::Name(_, name) => {
                    let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
                    let offset = strings.len() as u32;
                    strings.extend_from_slice(&(utf16.len() as u32).to_le_bytes());
                    strings.extend_from_slice(&utf16);
                    while strings.len() % 4 != 0 {
                        strings.push(0);
                    }
                    (offset, crate::ndb::crc::crc32(&utf16))
                }
            };
            let flags = (w_guid << 1) | u16::from(is_string);
            let idx = i as u16;
            entries.extend_from_slice(&dw.to_le_bytes());
            entries.extend_from_slice(&flags.to_le_bytes());
            entries.extend_from_slice(&idx.to_le_bytes());
            // MS-PST 2.4.7.5: bucket = (dwPropertyID-or-hash XOR (wGuid << 1 | N)) mod count.
            let bucket = ((hash ^ u32::from(flags)) % BUCKETS) as u16;
            let b = buckets.entry(bucket).or_default();
            b.extend_from_slice(&hash.to_le_bytes());
            b.extend_from_slice(&flags.to_le_bytes());
            b.extend_from_slice(&idx.to_le_bytes());
        }
        let mut props = vec![
            (tags::NAMEID_BUCKET_COUNT, PropValue::I32(BUCKETS as i32)),
            (tags::NAMEID_STREAM_GUID, PropValue::Binary(guids.concat().into())),
            (tags::NAMEID_STREAM_ENTRY, PropValue::Binary(entries.into())),
            (tags::NAMEID_STREAM_STRING, PropValue::Binary(strings.into())),
        ];
        for b in 0..BUCKETS as u16 {
            let data = buckets.remove(&b).unwrap_or_default();
            props.push((0x1000 + b, PropValue::Binary(data.into())));
        }
        props
    }
}

/// An LTP builder's error as the crate's.
fn lerr(e: ltpw::LtpWriteError) -> Error {
    Error::Invalid { what: "PST writer", reason: e.to_string() }
}

/// A PC node of `props` with `subs` as its subnodes.
fn pc(
    format: crate::raw::Format,
    props: &[(u16, PropValue<'static>)],
    subs: Vec<(u32, BuiltNode)>,
) -> Result<BuiltNode> {
    let mut b = ltpw::PcBuilder::new(format);
    for (id, v) in props {
        b.set(*id, v).map_err(lerr)?;
    }
    for (n, node) in subs {
        b.add_subnode(n, node);
    }
    b.build(&mut ltpw::LocalNids::default()).map_err(lerr)
}

/// The stored size of a value, for PidTagMessageSize and PidTagAttachSize:
/// its encoded bytes (MS-PST 2.3.3.4) plus the 8 bytes of its PC entry.
pub fn value_size(v: &PropValue<'_>) -> u64 {
    let ptype = v.prop_type();
    // The lengths `ltpw::encode` gives, without encoding (a copy of every
    // body and attachment only to measure it was a tenth of a PST -> PST
    // run): UTF-16 code units, plus the NUL a string ending in NUL gets.
    let data = match (fixed_size(ptype), v) {
        (Some(n), _) => n as u64,
        (None, PropValue::Unicode(s)) => 2 * (s.encode_utf16().count() as u64 + u64::from(s.ends_with('\0'))),
        (None, PropValue::Binary(b) | PropValue::String8(b)) => b.len() as u64,
        (None, _) => ltpw::encode(v).1.len() as u64,
    };
    8 + if data <= 4 && ptype & MV_FLAG == 0 { 0 } else { data }
}

fn bag_size(props: &[(u16, PropValue<'static>)]) -> u64 {
    props.iter().map(|(_, v)| value_size(v)).sum()
}

/// An `ENTRYID` naming `nid` in the store `uid` (MS-PST 2.4.3.2).
fn entry_id(uid: &[u8; 16], nid: u32) -> Vec<u8> {
    let mut e = vec![0u8; 4];
    e.extend_from_slice(uid);
    e.extend_from_slice(&nid.to_le_bytes());
    e
}

// ------------------------------------------------------------- folders

/// The default folders a new store gets, with what finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum DefaultFolder {
    Inbox,
    Outbox,
    Sent,
    Drafts,
    Calendar,
    Contacts,
    Journal,
    Notes,
    Tasks,
    Junk,
}

impl DefaultFolder {
    const ALL: [DefaultFolder; 10] = [
        DefaultFolder::Inbox,
        DefaultFolder::Outbox,
        DefaultFolder::Sent,
        DefaultFolder::Drafts,
        DefaultFolder::Calendar,
        DefaultFolder::Contacts,
        DefaultFolder::Journal,
        DefaultFolder::Notes,
        DefaultFolder::Tasks,
        DefaultFolder::Junk,
    ];

    fn name(self) -> &'static str {
        match self {
            DefaultFolder::Inbox => "Inbox",
            DefaultFolder::Outbox => "Outbox",
            DefaultFolder::Sent => "Sent Items",
            DefaultFolder::Drafts => "Drafts",
            DefaultFolder::Calendar => "Calendar",
            DefaultFolder::Contacts => "Contacts",
            DefaultFolder::Journal => "Journal",
            DefaultFolder::Notes => "Notes",
            DefaultFolder::Tasks => "Tasks",
            DefaultFolder::Junk => "Junk E-mail",
        }
    }

    /// The source folder role or kind that maps onto this default folder.
    fn matches(self, f: &Folder) -> bool {
        match self {
            DefaultFolder::Inbox => f.role == FolderRole::Inbox,
            DefaultFolder::Outbox => f.role == FolderRole::Outbox,
            DefaultFolder::Sent => f.role == FolderRole::Sent,
            DefaultFolder::Drafts => f.role == FolderRole::Drafts,
            DefaultFolder::Junk => f.role == FolderRole::Junk,
            DefaultFolder::Calendar => f.kind == FolderKind::Calendar,
            DefaultFolder::Contacts => f.kind == FolderKind::Contacts,
            DefaultFolder::Journal => f.kind == FolderKind::Journal,
            DefaultFolder::Notes => f.kind == FolderKind::Notes,
            DefaultFolder::Tasks => f.kind == FolderKind::Tasks,
        }
    }
}

fn class_of_kind(kind: FolderKind) -> &'static str {
    match kind {
        FolderKind::Mail => "IPF.Note",
        FolderKind::Contacts => "IPF.Contact",
        FolderKind::Calendar => "IPF.Appointment",
        FolderKind::Tasks => "IPF.Task",
        FolderKind::Notes => "IPF.StickyNote",
        FolderKind::Journal => "IPF.Journal",
    }
}

/// One folder of the store being written.
#[derive(Debug)]
struct FolderNode {
    nid: u32,
    parent: u32,
    name: String,
    /// Properties from the source folder (or ours, for a default folder).
    props: Vec<(u16, PropValue<'static>)>,
    /// Messages and unread ones, from the rows written.
    count: u32,
    unread: u32,
    assoc: u32,
    /// Its contents tables, once written (at close).
    tables_written: bool,
    children: Vec<u32>,
}

/// Folder properties that are the writer's to set, not the source's.
fn derived_folder_prop(id: u16) -> bool {
    matches!(
        id,
        tags::DISPLAY_NAME
            | tags::CONTENT_COUNT
            | tags::CONTENT_UNREAD_COUNT
            | tags::SUBFOLDERS
            | tags::ASSOCIATED_CONTENT_COUNT
            | tags::LTP_ROW_ID
            | tags::LTP_ROW_VER
            | tags::ENTRY_ID
            | tags::RECORD_KEY
            | tags::IPM_APPOINTMENT_ENTRY_ID
            | tags::IPM_CONTACT_ENTRY_ID
            | tags::IPM_JOURNAL_ENTRY_ID
            | tags::IPM_NOTE_ENTRY_ID
            | tags::IPM_TASK_ENTRY_ID
            | tags::IPM_DRAFTS_ENTRY_ID
            | tags::ADDITIONAL_REN_ENTRY_IDS
    ) || (0x0E30..=0x0E3F).contains(&id)
        || (0x6600..=0x67FF).contains(&id)
}

/// Message properties that are derived from what is written.
fn derived_message_prop(id: u16) -> bool {
    matches!(id, tags::MESSAGE_SIZE | tags::HAS_ATTACHMENTS | tags::LTP_ROW_ID | tags::LTP_ROW_VER | tags::ENTRY_ID)
}

// -------------------------------------------------------------- writer

/// What [`Written::not_kept`] says of PtypUnspecified values left out.
const UNTYPED: &str = "untyped (PtypUnspecified) properties";

/// Options of [`PstWriter`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PstWriteOptions {
    /// The NDB layout and encoding.
    pub ndb: WriteOptions,
}

/// mailshift's `StoreWriter` for a new PST file.
pub struct PstWriter {
    target: PathBuf,
    ndb: Option<NdbWriter>,
    names: NameIds,
    uid: [u8; 16],
    store_props: Vec<(u16, PropValue<'static>)>,
    source_folders: HashMap<FolderId, PropBag>,
    folders: BTreeMap<u32, FolderNode>,
    /// Source folder -> the NID written for it.
    map: HashMap<FolderId, u32>,
    defaults: BTreeMap<DefaultFolder, u32>,
    next_folder: u32,
    next_message: u32,
    row_ver: u32,
    open: Option<OpenFolder>,
    notes: Vec<String>,
    /// Temporary files of killed runs removed from the target's directory.
    swept: Vec<PathBuf>,
}

/// The folder being written: its contents and associated contents rows.
struct OpenFolder {
    nid: u32,
    contents: Table,
    assoc: Table,
}

impl std::fmt::Debug for PstWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PstWriter").field("target", &self.target).finish()
    }
}

impl PstWriter {
    /// A writer of a new PST at `target` (written to a temporary file
    /// beside it, renamed over it at [`StoreWriter::finish`]).
    pub fn create(target: &Path, opts: PstWriteOptions) -> Result<PstWriter> {
        // The temporary files a killed run of ours left beside the target
        // (`.mailshift-<pid>-*.tmp` of a dead pid) go first, as the other
        // writers do: a crash leaves nothing behind for long.
        let dir = mailshift_core::fsio::parent_dir(target);
        let (swept, note) = match mailshift_core::fsio::sweep_stale(dir) {
            Ok(removed) => (removed, None),
            Err(e) => (Vec::new(), Some(format!("could not look for stale temporary files in {}: {e}", dir.display()))),
        };
        let ndb = NdbWriter::create(target, opts.ndb)?;
        let mut w = PstWriter::with(target.to_path_buf(), ndb);
        w.swept = swept;
        w.notes.extend(note);
        Ok(w)
    }

    /// The same, in memory: [`PstWriter::finish_to_vec`] returns the file.
    pub fn in_memory(opts: PstWriteOptions) -> PstWriter {
        PstWriter::with(PathBuf::from("(memory)"), NdbWriter::in_memory(opts.ndb))
    }

    fn with(target: PathBuf, ndb: NdbWriter) -> PstWriter {
        // A store's map is never empty: Outlook registers names at once, and
        // libpff refuses a map without entries. These come first.
        let mut names = NameIds::default();
        for n in [tags::name::KEYWORDS.into(), tags::lid::REMINDER_DELTA.into(), tags::lid::REMINDER_SET.into()] {
            names.id(&n);
        }
        PstWriter {
            target,
            ndb: Some(ndb),
            names,
            uid: [0; 16],
            store_props: Vec::new(),
            source_folders: HashMap::new(),
            folders: BTreeMap::new(),
            map: HashMap::new(),
            defaults: BTreeMap::new(),
            next_folder: FIRST_FOLDER_INDEX,
            next_message: FIRST_MESSAGE_INDEX,
            row_ver: 0,
            open: None,
            notes: Vec::new(),
            swept: Vec::new(),
        }
    }

    fn ndb(&mut self) -> Result<&mut NdbWriter> {
        let target = &self.target;
        self.ndb.as_mut().ok_or_else(|| Error::Invalid {
            what: "PST writer",
            reason: format!("{} is already finished", target.display()),
        })
    }

    fn next_ver(&mut self) -> u32 {
        self.row_ver += 1;
        self.row_ver
    }

    /// A bag's properties with named ones under this store's ids; those
    /// the map cannot take (0x7FFF names in use) are left out, by name.
    fn tagged(
        &mut self,
        bag: &PropBag,
        skip: impl Fn(u16) -> bool,
        lost: &mut Vec<String>,
    ) -> Vec<(u16, PropValue<'static>)> {
        let mut out: Vec<(u16, PropValue<'static>)> =
            bag.tagged.iter().filter(|(id, _)| !skip(**id)).map(|(id, v)| (*id, v.clone())).collect();
        for (n, v) in &bag.named {
            match self.names.id(n) {
                Some(id) if !skip(id) => out.push((id, v.clone())),
                Some(_) => {}
                None => lost.push(format!("named property {n:?}: the store's name-to-id map is full")),
            }
        }
        out.retain(|(_, v)| !matches!(v, PropValue::Object { .. }));
        // PtypUnspecified is a request type, not a stored one ([MS-OXCDATA]
        // 2.11.1): some writers store it, Outlook does not, and libpff and
        // outlook-pst refuse the items that hold it. Its bytes have no type
        // to be written under.
        let before = out.len();
        out.retain(|(_, v)| !matches!(v, PropValue::Unspecified(_)));
        if out.len() < before {
            let what = UNTYPED.to_string();
            if !lost.contains(&what) {
                lost.push(what);
            }
        }
        out.sort_by_key(|(id, _)| *id);
        out.dedup_by_key(|(id, _)| *id);
        out
    }

    fn new_folder(&mut self, parent: u32, name: String, props: Vec<(u16, PropValue<'static>)>) -> u32 {
        let n = nid(nt::NORMAL_FOLDER, self.next_folder);
        self.next_folder += 1;
        self.add_folder(n, parent, name, props);
        n
    }

    fn add_folder(&mut self, n: u32, parent: u32, name: String, props: Vec<(u16, PropValue<'static>)>) {
        self.folders.insert(
            n,
            FolderNode {
                nid: n,
                parent,
                name,
                props,
                count: 0,
                unread: 0,
                assoc: 0,
                tables_written: false,
                children: Vec::new(),
            },
        );
        if let Some(p) = self.folders.get_mut(&parent).filter(|_| parent != n) {
            p.children.push(n);
        }
    }

    /// The skeleton of a new store: root folder, IPM subtree, Search Root
    /// and Deleted Items, as Outlook makes it. The other default folders
    /// are made when a source folder maps onto one ([`DefaultFolder::matches`]);
    /// Outlook creates those still missing when it opens the store.
    fn skeleton(&mut self) {
        self.add_folder(fixed::ROOT_FOLDER, fixed::ROOT_FOLDER, String::new(), Vec::new());
        self.add_folder(fixed::IPM_SUBTREE, fixed::ROOT_FOLDER, "Top of Outlook data file".into(), Vec::new());
        self.add_folder(fixed::SEARCH_ROOT, fixed::ROOT_FOLDER, "Search Root".into(), Vec::new());
        self.add_folder(
            fixed::DELETED_ITEMS,
            fixed::IPM_SUBTREE,
            "Deleted Items".into(),
            vec![(tags::CONTAINER_CLASS, PropValue::Unicode("IPF.Note".into()))],
        );
    }

    /// The default folder a top-level source folder `f` stands for, if any
    /// not yet taken: by role (Inbox, Sent ...), else by kind (the first
    /// calendar, contacts ... folder), else by Outlook's English name.
    fn default_for(&self, f: &Folder) -> Option<DefaultFolder> {
        let free = |d: &DefaultFolder| !self.defaults.contains_key(d);
        DefaultFolder::ALL.into_iter().filter(free).find(|d| d.matches(f)).or_else(|| {
            DefaultFolder::ALL.into_iter().filter(free).find(|d| d.name().eq_ignore_ascii_case(f.name.trim()))
        })
    }

    /// Turns a message into the node that holds it, with its size.
    fn message_obj(
        &mut self,
        m: &Message,
        depth: usize,
        lost: &mut Vec<String>,
    ) -> Result<(BuiltNode, Vec<(u16, PropValue<'static>)>)> {
        let format = self.ndb()?.format();
        let mut props = self.tagged(&m.props, derived_message_prop, lost);
        let mut subs = Vec::new();
        let mut size = bag_size(&props);

        // Recipients (MS-PST 2.4.5.3): the template's columns and every
        // property a recipient has.
        let mut rcols: BTreeSet<u32> = cols::RECIPIENTS.iter().copied().collect();
        let mut rrows = Vec::new();
        for r in &m.recipients {
            let rp = self.tagged(r, |id| matches!(id, tags::LTP_ROW_ID | tags::LTP_ROW_VER), lost);
            for (id, v) in &rp {
                rcols.insert(u32::from(*id) << 16 | u32::from(v.prop_type()));
            }
            size += bag_size(&rp);
            rrows.push(rp);
        }
        let mut rtable = Table::new(&rcols.into_iter().collect::<Vec<_>>());
        for (i, rp) in rrows.iter().enumerate() {
            let ver = self.next_ver();
            rtable.push(i as u32, ver, rp);
        }
        subs.push((fixed::RECIPIENT_TABLE, rtable.build(format)?));

        // Attachments (MS-PST 2.4.6): the table, and one PC subnode each.
        if !m.attachments.is_empty() {
            let mut atable = Table::new(cols::ATTACHMENTS);
            for (i, a) in m.attachments.iter().enumerate() {
                let anid = nid(nt::ATTACHMENT, FIRST_ATTACHMENT_INDEX + i as u32);
                let mut ap = self.tagged(
                    &a.props,
                    |id| {
                        matches!(
                            id,
                            tags::ATTACH_SIZE | tags::ATTACH_DATA_BINARY | tags::LTP_ROW_ID | tags::LTP_ROW_VER
                        )
                    },
                    lost,
                );
                let mut asubs = Vec::new();
                let mut asize = bag_size(&ap);
                match &a.content {
                    AttachContent::Bytes(b) | AttachContent::Ole(b) => {
                        let v = PropValue::Binary(b.clone().into());
                        asize += value_size(&v);
                        ap.push((tags::ATTACH_DATA_BINARY, v));
                    }
                    AttachContent::Embedded(inner) => {
                        if depth >= crate::messaging::message::MAX_EMBEDDING_DEPTH {
                            lost.push(format!(
                                "an embedded message nested deeper than {}",
                                crate::messaging::message::MAX_EMBEDDING_DEPTH
                            ));
                        } else {
                            let (obj, inner_props) = self.message_obj(inner, depth + 1, lost)?;
                            let inner_size = message_size_of(&inner_props);
                            let enid = nid(nt::NORMAL_MESSAGE, self.next_message);
                            self.next_message += 1;
                            asize += inner_size;
                            ap.push((
                                tags::ATTACH_DATA_OBJECT,
                                PropValue::Object { nid: enid, size: inner_size as u32 },
                            ));
                            asubs.push((enid, obj));
                        }
                    }
                    AttachContent::Reference(_) => {}
                    AttachContent::Missing(why) => lost.push(format!("an attachment the source could not give: {why}")),
                }
                let asize32 = i32::try_from(asize).unwrap_or(i32::MAX);
                ap.push((tags::ATTACH_SIZE, PropValue::I32(asize32)));
                ap.sort_by_key(|(id, _)| *id);
                let ver = self.next_ver();
                atable.push(anid, ver, &ap);
                size += asize;
                subs.push((anid, pc(format, &ap, asubs)?));
            }
            subs.push((fixed::ATTACHMENT_TABLE, atable.build(format)?));
        }

        // mfHasAttach follows the attachments written ([MS-OXCMSG] 2.2.1.6).
        let flags =
            props.iter().find(|(id, _)| *id == tags::MESSAGE_FLAGS).and_then(|(_, v)| v.as_i64()).unwrap_or(0) as i32;
        let flags = if m.attachments.is_empty() { flags & !0x10 } else { flags | 0x10 };
        props.retain(|(id, _)| *id != tags::MESSAGE_FLAGS);
        props.push((tags::MESSAGE_FLAGS, PropValue::I32(flags)));
        props.push((tags::HAS_ATTACHMENTS, PropValue::Bool(!m.attachments.is_empty())));
        size += 16;
        props.push((tags::MESSAGE_SIZE, PropValue::I32(i32::try_from(size + 8).unwrap_or(i32::MAX))));
        props.sort_by_key(|(id, _)| *id);
        subs.sort_by_key(|(n, _)| *n);
        Ok((pc(format, &props, subs)?, props))
    }

    /// Writes a built node through the NDB writer: its subnodes first,
    /// then its data. Returns (bidData, bidSub).
    fn emit(&mut self, node: BuiltNode) -> Result<(Bid, Bid)> {
        let BuiltNode { data, subnodes } = node;
        let mut entries = Vec::with_capacity(subnodes.len());
        for s in subnodes {
            let (d, sub) = self.emit(s.node)?;
            entries.push(crate::ndb::subnode::SubnodeEntry { nid: s.nid, bid_data: d.0, bid_sub: sub.0 });
        }
        let ndb = self.ndb()?;
        let bid = match &data {
            NodeData::Blocks(b) => ndb.add_data_blocks(b)?,
            NodeData::Stream(s) => ndb.add_data(s)?,
        };
        if entries.is_empty() {
            return Ok((bid, Bid(0)));
        }
        entries.sort_by_key(|e| e.nid);
        let sub = ndb.add_subnode_tree(&entries)?;
        Ok((bid, sub))
    }

    fn node(&mut self, n: u32, parent: u32, node: BuiltNode) -> Result<()> {
        let (d, s) = self.emit(node)?;
        self.ndb()?.add_node(n, d, s, parent)
    }

    fn table(&mut self, n: u32, t: Table) -> Result<()> {
        let format = self.ndb()?.format();
        let built = t.build(format)?;
        self.node(n, 0, built)
    }

    fn pc_node(&mut self, n: u32, parent: u32, props: &[(u16, PropValue<'static>)]) -> Result<()> {
        let format = self.ndb()?.format();
        let built = pc(format, props, Vec::new())?;
        self.node(n, parent, built)
    }

    /// The folder objects, their hierarchy tables and the tables of the
    /// folders no item was written to.
    fn write_folders(&mut self) -> Result<()> {
        let nids: Vec<u32> = self.folders.keys().copied().collect();
        for n in &nids {
            if !self.folders[n].tables_written {
                let idx = n >> 5;
                self.table(nid(nt::CONTENTS_TABLE, idx), Table::new(cols::CONTENTS))?;
                self.table(nid(nt::ASSOC_CONTENTS_TABLE, idx), Table::new(cols::ASSOC_CONTENTS))?;
            }
        }
        // Each folder's PC and its parent's hierarchy row hold the same
        // values: computed once here.
        let mut pcs: BTreeMap<u32, Vec<(u16, PropValue<'static>)>> = BTreeMap::new();
        for f in self.folders.values() {
            let mut p: Vec<(u16, PropValue<'static>)> =
                f.props.iter().filter(|(id, _)| !derived_folder_prop(*id)).cloned().collect();
            p.push((tags::DISPLAY_NAME, PropValue::Unicode(f.name.clone())));
            p.push((tags::CONTENT_COUNT, PropValue::I32(f.count as i32)));
            p.push((tags::CONTENT_UNREAD_COUNT, PropValue::I32(f.unread as i32)));
            p.push((tags::SUBFOLDERS, PropValue::Bool(!f.children.is_empty())));
            if f.assoc > 0 {
                p.push((tags::ASSOCIATED_CONTENT_COUNT, PropValue::I32(f.assoc as i32)));
            }
            pcs.insert(f.nid, p);
        }
        // The default folders' entry ids, on the root folder and the Inbox
        // ([MS-OXOSFLD] 2.2.1, 2.2.4).
        let ids = self.default_entry_ids();
        for on in [Some(fixed::ROOT_FOLDER), self.defaults.get(&DefaultFolder::Inbox).copied()].into_iter().flatten() {
            if let Some(p) = pcs.get_mut(&on) {
                p.extend(ids.iter().cloned());
            }
        }
        for n in &nids {
            let f = &self.folders[n];
            let mut rows = Table::new(cols::HIERARCHY);
            let children = f.children.clone();
            let parent = f.parent;
            for c in children {
                let ver = self.next_ver();
                rows.push(c, ver, &pcs[&c]);
            }
            self.table(nid(nt::HIERARCHY_TABLE, n >> 5), rows)?;
            let mut p = pcs.remove(n).unwrap_or_default();
            p.sort_by_key(|(id, _)| *id);
            p.dedup_by_key(|(id, _)| *id);
            self.pc_node(*n, parent, &p)?;
        }
        Ok(())
    }

    fn default_entry_ids(&self) -> Vec<(u16, PropValue<'static>)> {
        let e = |d: DefaultFolder| self.defaults.get(&d).map(|n| entry_id(&self.uid, *n));
        let mut out: Vec<(u16, PropValue<'static>)> = [
            (tags::IPM_APPOINTMENT_ENTRY_ID, DefaultFolder::Calendar),
            (tags::IPM_CONTACT_ENTRY_ID, DefaultFolder::Contacts),
            (tags::IPM_JOURNAL_ENTRY_ID, DefaultFolder::Journal),
            (tags::IPM_NOTE_ENTRY_ID, DefaultFolder::Notes),
            (tags::IPM_TASK_ENTRY_ID, DefaultFolder::Tasks),
            (tags::IPM_DRAFTS_ENTRY_ID, DefaultFolder::Drafts),
        ]
        .into_iter()
        .filter_map(|(tag, d)| e(d).map(|id| (tag, PropValue::Binary(id.into()))))
        .collect();
        // Conflicts, Sync Issues, Local Failures, Server Failures, Junk E-mail.
        if let Some(junk) = e(DefaultFolder::Junk) {
            out.push((
                tags::ADDITIONAL_REN_ENTRY_IDS,
                PropValue::MvBinary(vec![Vec::new(), Vec::new(), Vec::new(), Vec::new(), junk]),
            ));
        }
        out
    }

    /// The message store PC (MS-PST 2.4.3).
    fn store_pc(&self) -> Vec<(u16, PropValue<'static>)> {
        let eid = |n: u32| PropValue::Binary(entry_id(&self.uid, n).into());
        let mut p: Vec<(u16, PropValue<'static>)> = self
            .store_props
            .iter()
            .filter(|(id, _)| {
                !matches!(
                    *id,
                    tags::RECORD_KEY
                        | tags::ENTRY_ID
                        | tags::VALID_FOLDER_MASK
                        | tags::REPLICA_VERSION
                        | tags::PST_PASSWORD
                        | tags::LATEST_PST_ENSURE
                        | tags::PST_LR_NO_RESTRICTIONS
                ) && !(0x35D0..=0x35FF).contains(id)
                    && !(0x0E30..=0x0E3F).contains(id)
            })
            .cloned()
            .collect();
        if !p.iter().any(|(id, _)| *id == tags::DISPLAY_NAME) {
            p.push((tags::DISPLAY_NAME, PropValue::Unicode("Outlook Data File".into())));
        }
        // PidTagValidFolderMask (MS-PST 2.4.3.1): FOLDER_IPM_SUBTREE_VALID 0x01,
        // INBOX 0x02, OUTBOX 0x04, WASTEBASKET 0x08, SENTMAIL 0x10, FINDER 0x80.
        let mut mask = 0x01 | 0x08 | 0x80;
        if self.defaults.contains_key(&DefaultFolder::Inbox) {
            mask |= 0x02;
        }
        p.extend([
            (tags::RECORD_KEY, PropValue::Binary(self.uid.to_vec().into())),
            (tags::IPM_SUBTREE_ENTRY_ID, eid(fixed::IPM_SUBTREE)),
            (tags::IPM_WASTEBASKET_ENTRY_ID, eid(fixed::DELETED_ITEMS)),
            (tags::FINDER_ENTRY_ID, eid(fixed::SEARCH_ROOT)),
            (tags::PST_PASSWORD, PropValue::I32(0)),
            (tags::PST_LR_NO_RESTRICTIONS, PropValue::Bool(true)),
        ]);
        if let Some(n) = self.defaults.get(&DefaultFolder::Outbox) {
            mask |= 0x04;
            p.push((tags::IPM_OUTBOX_ENTRY_ID, eid(*n)));
        }
        if let Some(n) = self.defaults.get(&DefaultFolder::Sent) {
            mask |= 0x10;
            p.push((tags::IPM_SENT_MAIL_ENTRY_ID, eid(*n)));
        }
        p.push((tags::VALID_FOLDER_MASK, PropValue::I32(mask)));
        p.sort_by_key(|(id, _)| *id);
        p.dedup_by_key(|(id, _)| *id);
        p
    }

    /// Everything at finish but the NDB's own structures.
    fn write_store(&mut self) -> Result<()> {
        if let Some(open) = self.open.take() {
            self.close(open)?;
        }
        self.write_folders()?;
        let store = self.store_pc();
        self.pc_node(fixed::MESSAGE_STORE, 0, &store)?;
        let names = self.names.props();
        self.pc_node(fixed::NAME_TO_ID_MAP, 0, &names)?;
        for (n, c) in [
            (fixed::HIERARCHY_TABLE_TEMPLATE, cols::HIERARCHY),
            (fixed::CONTENTS_TABLE_TEMPLATE, cols::CONTENTS),
            (fixed::ASSOC_CONTENTS_TABLE_TEMPLATE, cols::ASSOC_CONTENTS),
            (fixed::SEARCH_CONTENTS_TABLE_TEMPLATE, cols::SEARCH_CONTENTS),
            (fixed::ATTACHMENT_TABLE, cols::ATTACHMENTS),
            (fixed::RECIPIENT_TABLE, cols::RECIPIENTS),
            (fixed::CHANGE_HISTORY_TABLE, cols::CHANGE_HISTORY),
            (fixed::TOMBSTONE_TABLE, cols::TOMBSTONE),
            (fixed::TOMBSTONE_DATE_TABLE, cols::TOMBSTONE_DATE),
            (fixed::OUTGOING_QUEUE_TABLE, cols::OUTGOING_QUEUE),
        ] {
            self.table(n, Table::new(c))?;
        }
        // The receive folder table (MS-PST 2.4.8): every message class ("")
        // is received in the Inbox.
        let mut rf = Table::new(cols::RECEIVE_FOLDER);
        // Without an Inbox, the root folder receives, as in a new store.
        let inbox = self.defaults.get(&DefaultFolder::Inbox).copied().unwrap_or(fixed::ROOT_FOLDER);
        let ver = self.next_ver();
        rf.push(
            1,
            ver,
            &[
                (tags::MESSAGE_CLASS, PropValue::Unicode(String::new())),
                (tags::PST_RECEIVE_FOLDER_NID, PropValue::I32(inbox as i32)),
            ],
        );
        self.table(fixed::RECEIVE_FOLDER_TABLE, rf)?;
        for n in [fixed::SEARCH_MANAGEMENT_QUEUE, fixed::SEARCH_DOMAIN_OBJECT] {
            self.ndb()?.add_node(n, Bid(0), Bid(0), 0)?;
        }
        // The search activity list: the NIDs of the search folders (none).
        let bid = self.ndb()?.add_data(&[])?;
        self.ndb()?.add_node(fixed::SEARCH_ACTIVITY_LIST, bid, Bid(0), 0)?;
        Ok(())
    }

    /// Writes the open folder's contents tables.
    fn close(&mut self, open: OpenFolder) -> Result<()> {
        let idx = open.nid >> 5;
        let (count, assoc) = (open.contents.rows.len() as u32, open.assoc.rows.len() as u32);
        let unread = {
            let at = open.contents.cols.iter().position(|t| *t == 0x0E07_0003);
            at.map(|i| {
                open.contents
                    .rows
                    .iter()
                    .filter(|(_, _, c)| c[i].as_ref().and_then(|v| v.as_i64()).map_or(true, |f| f & 1 == 0))
                    .count()
            })
            .unwrap_or(0) as u32
        };
        self.table(nid(nt::CONTENTS_TABLE, idx), open.contents)?;
        self.table(nid(nt::ASSOC_CONTENTS_TABLE, idx), open.assoc)?;
        if let Some(f) = self.folders.get_mut(&open.nid) {
            f.count += count;
            f.unread += unread;
            f.assoc += assoc;
            f.tables_written = true;
        }
        Ok(())
    }

    /// Ends the file: what [`StoreWriter::finish`] does, returning the
    /// bytes of an in-memory writer.
    pub fn finish_to_vec(mut self) -> Result<Vec<u8>> {
        self.write_store()?;
        self.ndb.take().expect("not finished twice").finish_to_vec()
    }
}

fn message_size_of(props: &[(u16, PropValue<'static>)]) -> u64 {
    props
        .iter()
        .find(|(id, _)| *id == tags::MESSAGE_SIZE)
        .and_then(|(_, v)| v.as_i64())
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(0)
}

impl StoreWriter for PstWriter {
    fn format_name(&self) -> &'static str {
        "pst"
    }

    fn accepts(&self, _kind: FolderKind) -> bool {
        true
    }

    fn wants_mapi(&self) -> bool {
        true
    }

    fn mapi_props(&mut self, store: Option<PropBag>, folders: Vec<(FolderId, PropBag)>) -> Result<()> {
        let mut lost = Vec::new();
        if let Some(s) = store {
            // A record key stable for the same source, not the source's
            // own: the copy is another store.
            let mut h = Sha256::new();
            h.update(b"mailshift pst store\0");
            h.update(s.bin(tags::RECORD_KEY).unwrap_or_default());
            h.update(s.str(tags::DISPLAY_NAME).unwrap_or_default().as_bytes());
            self.uid.copy_from_slice(&h.finalize()[..16]);
            self.store_props = self.tagged(&s, |_| false, &mut lost);
        }
        self.source_folders = folders.into_iter().collect();
        Ok(())
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        if self.uid == [0; 16] {
            let mut h = Sha256::new();
            h.update(b"mailshift pst store\0");
            h.update(self.target.as_os_str().as_encoded_bytes());
            self.uid.copy_from_slice(&h.finalize()[..16]);
        }
        self.skeleton();
        for f in folders {
            let mut lost = Vec::new();
            let props = match self.source_folders.get(&f.id).cloned() {
                Some(bag) => self.tagged(&bag, derived_folder_prop, &mut lost),
                None => vec![(tags::CONTAINER_CLASS, PropValue::Unicode(class_of_kind(f.kind).into()))],
            };
            if f.is_root() {
                self.map.insert(f.id, fixed::IPM_SUBTREE);
                continue;
            }
            let parent = match f.parent {
                Some(p) => self.map.get(&p).copied().unwrap_or(fixed::IPM_SUBTREE),
                None => fixed::IPM_SUBTREE,
            };
            let top = parent == fixed::IPM_SUBTREE;
            let deleted = top
                && (f.role == FolderRole::Trash || f.name.trim().eq_ignore_ascii_case("Deleted Items"))
                && !self.map.values().any(|n| *n == fixed::DELETED_ITEMS);
            let n = if deleted {
                let node = self.folders.get_mut(&fixed::DELETED_ITEMS).expect("in the skeleton");
                node.name = f.name.clone();
                node.props = props;
                fixed::DELETED_ITEMS
            } else if let Some(d) = if top { self.default_for(f) } else { None } {
                // Names are kept as the source has them, siblings of one
                // name included (Outlook reads them; a copy changes nothing).
                let n = self.new_folder(parent, f.name.clone(), props);
                self.defaults.insert(d, n);
                n
            } else {
                self.new_folder(parent, f.name.clone(), props)
            };
            self.map.insert(f.id, n);
        }
        Ok(())
    }

    fn open_folder(&mut self, folder: &Folder) -> Result<()> {
        if let Some(open) = self.open.take() {
            self.close(open)?;
        }
        let n = *self.map.get(&folder.id).ok_or_else(|| Error::Invalid {
            what: "folder",
            reason: format!("{} was not announced to begin()", folder.display_path()),
        })?;
        if self.folders.get(&n).is_some_and(|f| f.tables_written) {
            return Err(Error::Invalid {
                what: "folder",
                reason: format!("{} opened twice: a PST folder's tables are written once", folder.display_path()),
            });
        }
        self.open =
            Some(OpenFolder { nid: n, contents: Table::new(cols::CONTENTS), assoc: Table::new(cols::ASSOC_CONTENTS) });
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let Item::Mapi(m) = &item.item else {
            return Err(Error::Unsupported {
                path: self.target.clone(),
                reason: format!(
                    "{} items of this source cannot be written into a PST yet (they are not MAPI messages)",
                    item.item.kind().as_str()
                ),
            });
        };
        let folder = self
            .open
            .as_ref()
            .map(|o| o.nid)
            .ok_or_else(|| Error::Invalid { what: "PST writer", reason: "write() before open_folder()".into() })?;
        let mut lost = Vec::new();
        let (obj, props) = self.message_obj(m, 0, &mut lost)?;
        let (nt_type, _) = if m.associated { (nt::ASSOC_MESSAGE, ()) } else { (nt::NORMAL_MESSAGE, ()) };
        let n = nid(nt_type, self.next_message);
        self.next_message += 1;
        let before = self.ndb()?.len();
        self.node(n, folder, obj)?;
        let bytes = self.ndb()?.len() - before;
        let ver = self.next_ver();
        let open = self.open.as_mut().expect("checked above");
        if m.associated {
            open.assoc.push(n, ver, &props);
        } else {
            open.contents.push(n, ver, &props);
        }
        // Untyped values are not a loss of the copy: no PST holds them.
        let not_kept: Vec<String> = lost.iter().filter(|l| *l == UNTYPED).cloned().collect();
        lost.retain(|l| l != UNTYPED);
        Ok(Written { bytes, lost, not_kept, ..Written::default() })
    }

    fn close_folder(&mut self) -> Result<()> {
        match self.open.take() {
            Some(open) => self.close(open),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<()> {
        self.write_store()?;
        match self.ndb.take() {
            Some(ndb) => ndb.finish(),
            None => Ok(()),
        }
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn swept(&self) -> Vec<PathBuf> {
        self.swept.clone()
    }
}
