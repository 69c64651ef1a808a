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
//! The node set is the one Outlook makes for a new store (microsoft/
//! outlook-pst-rs's `Empty.pst`, node for node but 0xEE1 and 0xF01, and
//! [MS-PST] 2.7's minimum): the message store, the name-to-id map, the
//! root folder with its three tables, the IPM subtree ("Top of Outlook
//! data file"), Search Root, the spam search folder (0x2223, with 0x2226,
//! 0x2227, 0x2230) named by the search activity list (0x201),
//! IPM_COMMON_VIEWS (0x8082), Deleted Items, the table templates
//! (0x60D-0x610, 0x671, 0x692, 0x6B6, 0x6D7, 0x6F8), the receive-folder
//! table (0x62B), the outgoing queue (0x64C), Outlook's ID map (0xC01,
//! empty) and message index (0xE01), and the nodes without data 0x1E1,
//! 0x261, 0xE41, 0xEC1, 0xF21; plus the default folders Outlook otherwise
//! creates when it first opens a store (Inbox, Outbox, Sent Items, Drafts,
//! Calendar, Contacts, Journal, Notes, Tasks, Junk E-mail), with the entry
//! ids it finds them by. The rules scanpst enforces on them, and the
//! evidence for each, are tabled in `tests/pst_write_rules.rs`.
//!
//! Derived values are computed in one place from what is serialized:
//! PidTagMessageSize from the bytes the message stores (its data and its
//! subnodes' data), PidTagAttachSize from the values ([`value_size`]),
//! content and unread counts from the rows written, PidTagLtpRowVer from
//! one counter (and dwUnique above it), the contents rows'
//! PidTagConversationId and the message index from [`conversation_id`],
//! subnode NIDs from store-wide counters, rgnid by the NDB writer from the
//! nodes placed.
//!
//! [MS-PST]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/

use std::borrow::Cow;
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
    pub const SEARCH_FOLDER: u32 = 0x03;
    pub const SEARCH_UPDATE_QUEUE: u32 = 0x06;
    pub const SEARCH_CRITERIA_OBJECT: u32 = 0x07;
    pub const SEARCH_CONTENTS_TABLE: u32 = 0x10;
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

const fn nid_type_of(n: u32) -> u32 {
    n & 0x1F
}

/// The fixed NIDs a new store holds: those of MS-PST 2.4.1, and the ones
/// an Outlook-made empty store has besides (microsoft/outlook-pst-rs's
/// `Empty.pst`; OpenOutlook's design document, rule 36).
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
    /// Outlook's ID map (heap client 0x9C: a BTH of 16-byte ids to NIDs),
    /// empty in a new store (OpenOutlook rules 3 and 25).
    pub const ID_MAP: u32 = 0xC01;
    /// Outlook's message index (heap client 0xCC: conversation keys to
    /// lists of message NIDs; OpenOutlook rules 14, 18, 32).
    pub const MESSAGE_INDEX: u32 = 0xE01;
    /// Nodes without data an Outlook-made empty store has (0xEC1: without
    /// it scanpst says "Search folder missing update queue").
    pub const EMPTY_E41: u32 = 0xE41;
    pub const EMPTY_EC1: u32 = 0xEC1;
    pub const EMPTY_F21: u32 = 0xF21;
    /// The spam search folder under the root (MS-PST 2.7.3.4.4), with its
    /// search update queue 0x2226, search criteria object 0x2227 and
    /// search contents table 0x2230 (its nidIndex with nidTypes 0x06, 0x07,
    /// 0x10: MS-PST 2.2.2.1), as Outlook makes them; the search activity
    /// list (0x201) names it.
    pub const SPAM_SEARCH_FOLDER: u32 = 0x2223;
    /// The IPM subtree, Search Root, Deleted Items and IPM_COMMON_VIEWS:
    /// the normal folders of a new store (nidIndex 0x401-0x404), as
    /// Outlook numbers them.
    pub const IPM_SUBTREE: u32 = 0x8022;
    pub const SEARCH_ROOT: u32 = 0x8042;
    pub const DELETED_ITEMS: u32 = 0x8062;
    pub const COMMON_VIEWS: u32 = 0x8082;
}

/// The first nidIndex of the folders a writer adds: after the four above
/// (IPM_COMMON_VIEWS is 0x404).
const FIRST_FOLDER_INDEX: u32 = 0x405;
/// The first nidIndex of messages: Outlook starts them at 0x10000
/// (rgnid[NID_TYPE_NORMAL_MESSAGE] of a new store).
const FIRST_MESSAGE_INDEX: u32 = 0x10000;

/// The store's counters of subnode NIDs (attachments, NID_TYPE_LTP values
/// and row matrices): Outlook draws them from the header's `rgnid` for the
/// whole store (its attachments are 0x8025, 0x8045 ... across messages),
/// and scanpst wants `rgnid` to cover every subnode (OpenOutlook rules 17,
/// 22; the NDB writer derives `rgnid` from the NIDs placed). Each counter
/// holds the last nidIndex handed out, from 0x400 as in a new file
/// (MS-PST 2.2.2.6), so the first is 0x401.
#[derive(Debug, Clone)]
struct StoreNids {
    last: [u32; 32],
}

impl Default for StoreNids {
    fn default() -> Self {
        StoreNids { last: [0x400; 32] }
    }
}

impl ltpw::NidAllocator for StoreNids {
    fn next_nid(&mut self, nid_type: u8) -> u32 {
        let t = usize::from(nid_type & 0x1F);
        self.last[t] += 1;
        nid(u32::from(nid_type & 0x1F), self.last[t])
    }
}

/// `bClientSig` of Outlook's ID map heap (node 0xC01).
const HN_CLIENT_ID_MAP: u8 = 0x9C;
/// `bClientSig` of Outlook's message index heap (node 0xE01).
const HN_CLIENT_MESSAGE_INDEX: u8 = 0xCC;

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
///
/// A folder's contents tables are [`Table::streaming`]: each row goes into
/// the TC builder as it is pushed (one copy of a row in memory, not two),
/// with the row and unread counts taken on the way.
#[derive(Debug, Default)]
struct Table {
    cols: Vec<u32>,
    rows: Vec<(u32, u32, Vec<Option<PropValue<'static>>>)>,
    /// The builder rows go straight into, for a streaming table.
    tc: Option<ltpw::TcBuilder>,
    /// The first row the builder refused, reported at build.
    refused: Option<ltpw::LtpWriteError>,
    /// Rows pushed, and those whose PidTagMessageFlags lack mfRead.
    count: u32,
    unread: u32,
}

impl Table {
    fn new(cols: &[u32]) -> Table {
        let cols = cols.iter().copied().filter(|t| !matches!((t >> 16) as u16, tags::LTP_ROW_ID | tags::LTP_ROW_VER));
        Table { cols: cols.collect(), ..Table::default() }
    }

    /// A table whose rows go into a TC builder for `format` as they come.
    fn streaming(format: crate::raw::Format, cols: &[u32]) -> Result<Table> {
        let mut t = Table::new(cols);
        t.tc = Some(ltpw::TcBuilder::new(format, &t.cols).map_err(lerr)?);
        Ok(t)
    }

    fn build(self, format: crate::raw::Format, nids: &mut StoreNids) -> Result<BuiltNode> {
        if let Some(e) = self.refused {
            return Err(lerr(e));
        }
        let mut tc = match self.tc {
            Some(tc) => tc,
            None => ltpw::TcBuilder::new(format, &self.cols).map_err(lerr)?,
        };
        for (id, ver, cells) in &self.rows {
            tc.add_row_with_version(*id, *ver, cells).map_err(lerr)?;
        }
        tc.build(nids).map_err(lerr)
    }

    /// A row whose cells are the values of `props` for the columns, where
    /// the type matches; the row id and version columns from `row_id` and `ver`.
    fn push(&mut self, row_id: u32, ver: u32, props: &[(u16, PropValue<'_>)]) {
        let sorted = props.is_sorted_by_key(|p| p.0);
        self.push_cells(row_id, ver, |id| find_prop(props, sorted, id), |_| true, None);
    }

    /// A message's row in a contents or FAI contents table: its values
    /// for the columns but empty strings, which are no cell (scanpst's
    /// rule: OpenOutlook rule 30), and the row-only cells Outlook writes
    /// for every message (rule 24): PidTagMessageStatus (0 unless the
    /// message has one) and, where the table has the column,
    /// PidTagConversationId computed as MS-PST 5.4 says. The replication
    /// cells (0x0E30-0x0E3F: item id, change number, version history ...)
    /// are the store's, not the message's: a row has them only in a store
    /// that keeps ID-map records (OpenOutlook rules 12, 25), which ours
    /// does not, though a message copied from such a store has them.
    fn push_message(
        &mut self,
        row_id: u32,
        ver: u32,
        props: &[(u16, PropValue<'_>)],
        sink: &mut dyn ltpw::BlockSink,
        nids: &mut dyn ltpw::NidAllocator,
    ) {
        let status = PropValue::I32(0);
        let conversation = conversation_id(props).map(|id| PropValue::Binary(Cow::Owned(id.to_vec())));
        let sorted = props.is_sorted_by_key(|p| p.0);
        let value = |id: u16| -> Option<&PropValue<'_>> {
            match id {
                // Computed, never the PC's own (the message index follows it).
                tags::CONVERSATION_ID => conversation.as_ref(),
                0x0E30..=0x0E3F => None,
                tags::MESSAGE_STATUS => find_prop(props, sorted, id).or(Some(&status)),
                _ => find_prop(props, sorted, id),
            }
        };
        let keep = |v: &PropValue<'_>| !matches!(v, PropValue::Unicode(s) if s.is_empty());
        self.push_cells(row_id, ver, value, keep, Some((sink, nids)));
    }

    fn push_cells<'p>(
        &mut self,
        row_id: u32,
        ver: u32,
        value: impl Fn(u16) -> Option<&'p PropValue<'p>>,
        keep: impl Fn(&PropValue<'_>) -> bool,
        out: Option<(&mut dyn ltpw::BlockSink, &mut dyn ltpw::NidAllocator)>,
    ) {
        let cells = self
            .cols
            .iter()
            .map(|&tag| {
                let (id, ptype) = ((tag >> 16) as u16, tag as u16);
                value(id).filter(|v| v.prop_type() == ptype && keep(v)).map(|v| v.clone().into_owned())
            })
            .collect::<Vec<Option<PropValue<'static>>>>();
        self.count += 1;
        if let Some(i) = self.cols.iter().position(|t| *t == 0x0E07_0003) {
            if cells[i].as_ref().and_then(|v| v.as_i64()).is_none_or(|f| f & 1 == 0) {
                self.unread += 1;
            }
        }
        match &mut self.tc {
            Some(tc) => {
                // A streaming table's blocks go to the file as they fill.
                let added = match out {
                    Some((sink, nids)) => tc.add_row_streaming(row_id, ver, &cells, sink, nids),
                    None => tc.add_row_with_version(row_id, ver, &cells),
                };
                if let Err(e) = added {
                    self.refused.get_or_insert(e);
                }
            }
            None => self.rows.push((row_id, ver, cells)),
        }
    }
}

/// The values with their bytes copied, to be kept.
fn owned(props: Vec<(u16, PropValue<'_>)>) -> Vec<(u16, PropValue<'static>)> {
    props.into_iter().map(|(id, v)| (id, v.into_owned())).collect()
}

/// The value of property `id` in `props` (the first, if it is there twice):
/// by binary search where they are `sorted` by id, as a message's are.
fn find_prop<'p>(props: &'p [(u16, PropValue<'p>)], sorted: bool, id: u16) -> Option<&'p PropValue<'p>> {
    if sorted {
        let i = props.partition_point(|p| p.0 < id);
        props.get(i).filter(|p| p.0 == id).map(|p| &p.1)
    } else {
        props.iter().find(|p| p.0 == id).map(|p| &p.1)
    }
}

/// PidTagConversationId of a message with `props` (MS-PST 5.4,
/// [MS-OXOMSG] 2.2.1.2): the GUID of PidTagConversationIndex when
/// PidTagConversationIndexTracking is set and the index is a 22-byte
/// header starting 0x01; else the MD5 of the upper-cased UTF-16LE
/// PidTagConversationTopic (its first 255 characters); else none. The
/// conversation ids of 335 messages in 26 fixtures with a message index
/// (Outlook's included) follow this, the index's buckets with them.
pub fn conversation_id(props: &[(u16, PropValue<'_>)]) -> Option<[u8; 16]> {
    let get = |id: u16| props.iter().find(|(i, _)| *i == id).map(|(_, v)| v);
    let tracking = matches!(get(tags::CONVERSATION_INDEX_TRACKING), Some(PropValue::Bool(true)));
    if let Some(PropValue::Binary(ci)) = get(tags::CONVERSATION_INDEX) {
        if tracking && ci.len() >= 22 && ci[0] == 0x01 {
            let mut g = [0u8; 16];
            g.copy_from_slice(&ci[6..22]);
            return Some(g);
        }
    }
    let topic = match get(tags::CONVERSATION_TOPIC) {
        Some(PropValue::Unicode(t)) => t.clone(),
        // An 8-bit topic (ANSI stores) is the text its code page makes of
        // it, as MAPI hands it to Outlook: the message's code page, else
        // Windows-1252 (the reader's default).
        Some(PropValue::String8(b)) => {
            let cp = [tags::MESSAGE_CODEPAGE, tags::INTERNET_CODEPAGE]
                .into_iter()
                .find_map(|id| get(id).and_then(|v| v.as_i64()).and_then(|c| u32::try_from(c).ok()))
                .and_then(crate::messaging::encoding_for)
                .unwrap_or(encoding_rs::WINDOWS_1252);
            crate::messaging::decode_string8(b, cp)
        }
        _ => return None,
    };
    // "mapping i to I regardless of the user's locale": one character to
    // one, as Windows upper-cases; a character whose upper case is longer
    // (German sharp s) stays as it is.
    let upper: String = topic
        .chars()
        .take_while(|c| *c != '\0')
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect();
    let bytes: Vec<u8> = upper.encode_utf16().take(255).flat_map(u16::to_le_bytes).collect();
    Some(md5(&bytes))
}

/// The message index key of a conversation id (OpenOutlook rule 14's
/// fold: 0xFFFF0000 xor the xor of byte j shifted left by 15 - j; the key
/// of every indexed message of 26 fixtures); messages without an id are
/// under 0xFFFFFFFF, as in Outlook's files.
pub fn message_index_key(conversation_id: Option<&[u8; 16]>) -> u32 {
    match conversation_id {
        Some(g) => 0xFFFF_0000 ^ g.iter().enumerate().fold(0u32, |k, (j, b)| k ^ (u32::from(*b) << (15 - j))),
        None => 0xFFFF_FFFF,
    }
}

/// MD5 ([RFC 1321]) of `data`, for PidTagConversationId (MS-PST 5.4).
///
/// [RFC 1321]: https://www.rfc-editor.org/rfc/rfc1321
fn md5(data: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14,
        20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6,
        10, 15, 21,
    ];
    // RFC 1321 3.4: T[i] = floor(2^32 * |sin(i + 1)|), i in radians.
    let k: Vec<u32> = (0..64).map(|i| ((f64::from(i) + 1.0).sin().abs() * 4_294_967_296.0) as u32).collect();
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_le_bytes());
    let mut h: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    for chunk in msg.chunks_exact(64) {
        let m: Vec<u32> = chunk.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
        let [mut a, mut b, mut c, mut d] = h;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let t = d;
            d = c;
            c = b;
            b = b.wrapping_add(a.wrapping_add(f).wrapping_add(k[i]).wrapping_add(m[g]).rotate_left(S[i]));
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 16];
    for (i, w) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
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
    props: &[(u16, PropValue<'_>)],
    subs: Vec<(u32, BuiltNode)>,
    nids: &mut StoreNids,
) -> Result<BuiltNode> {
    let mut b = ltpw::PcBuilder::new(format);
    for (id, v) in props {
        b.set(*id, v).map_err(lerr)?;
    }
    for (n, node) in subs {
        b.add_subnode(n, node);
    }
    b.build(nids).map_err(lerr)
}

/// The size of one value as PidTagAttachSize counts it (OpenOutlook rule
/// 21, which 39 attachments of Outlook's SampleOstFile.ost and 19 of
/// Outlook.d3621be9.pst follow exactly, methods 1, 5 and 6): a fixed-size
/// value its own size (a PtypBoolean 1, a PtypInteger32 4 ...), a string
/// or binary its bytes (UTF-16 without terminator), a PtypObject the size
/// it gives (the embedded message's PidTagMessageSize, the OLE stream's
/// length), a multi-valued one its stored bytes (MS-PST 2.3.3.4).
pub fn value_size(v: &PropValue<'_>) -> u64 {
    let ptype = v.prop_type();
    // The lengths `ltpw::encode` gives, without encoding (a copy of every
    // body and attachment only to measure it was a tenth of a PST -> PST
    // run): UTF-16 code units, plus the NUL a string ending in NUL gets.
    match (v, fixed_size(ptype)) {
        (PropValue::Object { size, .. }, _) => u64::from(*size),
        (_, Some(n)) if ptype & MV_FLAG == 0 => n as u64,
        (PropValue::Unicode(s), _) => 2 * (s.encode_utf16().count() as u64 + u64::from(s.ends_with('\0'))),
        (PropValue::Binary(b) | PropValue::String8(b), _) => b.len() as u64,
        _ => ltpw::encode(v).1.len() as u64,
    }
}

/// The bytes a built node stores: its data and its subnodes' data, to any
/// depth, the subnode trees themselves not counted. Outlook's
/// PidTagMessageSize is this (every message of Outlook's jane_doe and
/// john_doe stores, 97 of SampleOstFile.ost's 113; OpenOutlook rules 23
/// and 31 measure the same within their tolerance).
fn stored_len(node: &BuiltNode) -> u64 {
    node.data.len() as u64 + node.subnodes.iter().map(|s| stored_len(&s.node)).sum::<u64>()
}

/// Sets the inline 4-byte value of property `prop_id` in a PC built by
/// [`ltpw::PcBuilder`] (MS-PST 2.3.3.3: `dwValueHnid` of its BTH record),
/// which must hold one: a value that depends on the PC's own size
/// (PidTagMessageSize) is written after the PC is laid out, and being
/// inline it changes no length.
fn patch_inline(node: &mut BuiltNode, format: crate::raw::Format, prop_id: u16, value: u32) -> Result<()> {
    let bad =
        || Error::Invalid { what: "PST writer", reason: format!("property {prop_id:#06x} not inline in the PC built") };
    let NodeData::Blocks(blocks) = &mut node.data else { return Err(bad()) };
    // (block, start, end) of allocation `hid` (MS-PST 2.3.1.5: the page map
    // at ibHnpm, cAlloc, cFree, rgibAlloc).
    let item = |blocks: &[Vec<u8>], hid: u32| -> Option<(usize, usize, usize)> {
        let h = crate::ltp::heap::Hid::decode(hid, format)?;
        let b = blocks.get(h.block as usize)?;
        let u16_at = |at: usize| Some(usize::from(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?])));
        let hnpm = u16_at(0)?;
        let at = hnpm + 4 + 2 * (h.index as usize).checked_sub(1)?;
        let (start, end) = (u16_at(at)?, u16_at(at + 2)?);
        (start <= end && end <= b.len()).then_some((h.block as usize, start, end))
    };
    let root = blocks.first().and_then(|b| b.get(4..8)).map(|r| u32::from_le_bytes([r[0], r[1], r[2], r[3]]));
    let (hb, hs, _) = root.and_then(|r| item(blocks, r)).ok_or_else(bad)?;
    let header = blocks[hb].get(hs..hs + 8).ok_or_else(bad)?;
    let mut levels = header[3];
    let mut hid = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    // MS-PST 2.3.2: index records (key 2, hidNextLevel 4) down to the leaf
    // records (key 2, wPropType 2, dwValueHnid 4).
    loop {
        let (b, start, end) = item(blocks, hid).ok_or_else(bad)?;
        let recs = &blocks[b][start..end];
        if levels == 0 {
            let at = recs.chunks_exact(8).position(|r| u16::from_le_bytes([r[0], r[1]]) == prop_id).ok_or_else(bad)?;
            blocks[b][start + 8 * at + 4..start + 8 * at + 8].copy_from_slice(&value.to_le_bytes());
            return Ok(());
        }
        let next = recs
            .chunks_exact(6)
            .take_while(|r| u16::from_le_bytes([r[0], r[1]]) <= prop_id)
            .last()
            .map(|r| u32::from_le_bytes([r[2], r[3], r[4], r[5]]))
            .ok_or_else(bad)?;
        hid = next;
        levels -= 1;
    }
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
    /// A search folder (the spam search folder): its tables are a search
    /// update queue, a search criteria object and a search contents table.
    search: bool,
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
    /// The NDB layout and encoding: a Unicode PST by default;
    /// `format: Format::Unicode4k` writes the 4K layout of Outlook 2013+
    /// OSTs instead (`wVer` 36, client magic `SO`, 4 KiB pages, blocks of
    /// up to 65,512 bytes, zlib-compressed where that saves room), which
    /// libpff, libpst and our reader read (tests/pst_write_4k.rs).
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
    /// The counters of subnode NIDs, for the whole store.
    nids: StoreNids,
    /// The message index (node 0xE01): key -> the top-level normal
    /// messages written under it.
    /// (key, NID) of every top-level normal message (8 bytes each).
    index: Vec<(u32, u32)>,
    row_ver: u32,
    open: Option<OpenFolder>,
    notes: Vec<String>,
    /// The PST at the target path before this run, whose items the new
    /// file holds too ([`PstWriter::create_adding`]).
    existing: Option<Existing>,
    /// The existing file's folders by path (display names from the IPM
    /// subtree down), for the source's folders of the same path to join.
    by_path: HashMap<Vec<String>, u32>,
    /// Folder-associated items written from the source, for the report.
    associated_written: u64,
    /// The source store's PidTagRecordKey: what its messages' ids refer to.
    source_key: Vec<u8>,
    /// Per [`Origin`], the NIDs given to the messages of that reader, by
    /// their own NID (a list's members can name a contact not yet written).
    nid_maps: [HashMap<u32, u32>; 2],
    /// Contacts and lists written from the neutral model, by the UID their
    /// search key carries: their NID and one-off entry, for the lists
    /// written after them to name them ([`crate::pim::contact::resolve_uid_members`]).
    uid_members: HashMap<String, (u32, Option<Vec<u8>>)>,
    /// Which reader's folder went to Deleted Items (true: the existing file's).
    deleted_by: Option<bool>,
    /// The folders placed for the existing file's.
    from_existing: BTreeSet<u32>,
    /// Temporary files of killed runs removed from the target's directory.
    swept: Vec<PathBuf>,
    /// The NDB layout written.
    format: crate::raw::Format,
    /// Which file of a split this is (0: not split, else 2, 3 ...): mixed
    /// into the store's record key, so that the parts' entry ids differ.
    part: u32,
    /// Messages written (for the size estimate of the tables to come).
    messages: u64,
    /// The source's root folder is where its mail arrived (the converter
    /// gave no store properties: mbox, Maildir, EML), so it goes to the
    /// Inbox; else (a PST or OST source, or a caller that never said) it
    /// is the top of the store.
    root_is_inbox: bool,
}

/// The PST a run adds to: its folders, where they went, and which have
/// been carried over.
struct Existing {
    reader: Box<dyn mailshift_core::StoreReader>,
    folders: Vec<Folder>,
    /// Existing folder -> NID in the new file.
    map: HashMap<FolderId, u32>,
    done: BTreeSet<FolderId>,
    kept: u64,
    failed: u64,
}

/// Whose message a write is: the source's, or the file being added to's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Source = 0,
    Existing = 1,
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
        let format = ndb.format();
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
            nids: StoreNids::default(),
            index: Vec::new(),
            row_ver: 0,
            open: None,
            notes: Vec::new(),
            existing: None,
            by_path: HashMap::new(),
            deleted_by: None,
            source_key: Vec::new(),
            associated_written: 0,
            nid_maps: [HashMap::new(), HashMap::new()],
            uid_members: HashMap::new(),
            from_existing: BTreeSet::new(),
            swept: Vec::new(),
            format,
            part: 0,
            messages: 0,
            root_is_inbox: false,
        }
    }

    /// Makes this writer the `part`-th file of a split (2, 3 ...): its
    /// store gets a record key of its own, so that the entry ids of two
    /// parts never meet (Microsoft 365's import dedups by them). Call
    /// before [`StoreWriter::mapi_props`] and [`StoreWriter::begin`].
    pub fn set_part(&mut self, part: u32) {
        self.part = part;
    }

    /// The size the file would have if it were finished now: what has been
    /// placed, plus an upper bound of the B-tree pages, folder tables and
    /// message index [`StoreWriter::finish`] adds. Keeps a split's files
    /// within their limit.
    pub fn size_if_finished(&self) -> u64 {
        let tables = self.messages * 24 + self.folders.len() as u64 * 4096 + (1 << 20);
        self.ndb.as_ref().map_or(0, |n| n.size_if_finished()) + tables
    }

    /// A writer that replaces the PST at `target` by a new file holding its
    /// items and the new ones: the file is written beside it and renamed
    /// over it at [`StoreWriter::finish`], so the old one stays whole until
    /// then. `existing` reads the file as it is; its store identity
    /// (record key, display name) and folders are kept, and each of its
    /// folders receives its old items before the new ones.
    pub fn create_adding(
        target: &Path,
        opts: PstWriteOptions,
        existing: Box<dyn mailshift_core::StoreReader>,
    ) -> Result<PstWriter> {
        let mut w = PstWriter::create(target, opts)?;
        let folders = existing.folders()?;
        if let Some(store) = existing.store_mapi() {
            w.identity(&store, true);
        }
        w.existing = Some(Existing {
            reader: existing,
            folders,
            map: HashMap::new(),
            done: BTreeSet::new(),
            kept: 0,
            failed: 0,
        });
        Ok(w)
    }

    /// Takes the store's identity and properties from `store`'s bag. The
    /// store being added to (`keep_key`) keeps its record key, so that its
    /// entry ids stay valid (the Microsoft 365 import dedups by them); a
    /// copy gets a record key of its own, the same for the same source.
    fn identity(&mut self, store: &PropBag, keep_key: bool) {
        match store.bin(tags::RECORD_KEY).filter(|k| keep_key && k.len() == 16) {
            Some(k) => self.uid.copy_from_slice(k),
            None => {
                let mut h = Sha256::new();
                h.update(b"mailshift pst store\0");
                h.update(store.bin(tags::RECORD_KEY).unwrap_or_default());
                h.update(store.str(tags::DISPLAY_NAME).unwrap_or_default().as_bytes());
                if self.part > 0 {
                    h.update(self.part.to_le_bytes());
                }
                self.uid.copy_from_slice(&h.finalize()[..16]);
            }
        }
        let mut lost = Vec::new();
        self.store_props = owned(self.tagged(store, |_| false, &mut lost));
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
    fn tagged<'b>(
        &mut self,
        bag: &'b PropBag,
        skip: impl Fn(u16) -> bool,
        lost: &mut Vec<String>,
    ) -> Vec<(u16, PropValue<'b>)> {
        // Values borrowed, not copied: a message's bodies and attachments
        // are written from the source's model as they are.
        let mut out: Vec<(u16, PropValue<'b>)> =
            bag.tagged.iter().filter(|(id, _)| !skip(**id)).map(|(id, v)| (*id, v.borrowed())).collect();
        for (n, v) in &bag.named {
            match self.names.id(n) {
                Some(id) if !skip(id) => out.push((id, v.borrowed())),
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
                search: nid_type_of(n) == nt::SEARCH_FOLDER,
            },
        );
        if let Some(p) = self.folders.get_mut(&parent).filter(|_| parent != n) {
            p.children.push(n);
        }
    }

    /// The skeleton of a new store, as Outlook makes it (Empty.pst; MS-PST
    /// 2.7.3.4): the root folder, the IPM subtree, Search Root, the spam
    /// search folder and IPM_COMMON_VIEWS under it, in this order (the
    /// root's hierarchy rows), and Deleted Items in the IPM subtree, none
    /// with a container class. The other default folders are made when a
    /// source folder maps onto one ([`DefaultFolder::matches`]); Outlook
    /// creates those still missing when it opens the store.
    fn skeleton(&mut self) {
        self.add_folder(fixed::ROOT_FOLDER, fixed::ROOT_FOLDER, String::new(), Vec::new());
        self.add_folder(fixed::IPM_SUBTREE, fixed::ROOT_FOLDER, "Top of Outlook data file".into(), Vec::new());
        self.add_folder(fixed::SEARCH_ROOT, fixed::ROOT_FOLDER, "Search Root".into(), Vec::new());
        self.add_folder(fixed::SPAM_SEARCH_FOLDER, fixed::ROOT_FOLDER, "SPAM Search Folder 2".into(), Vec::new());
        self.add_folder(
            fixed::COMMON_VIEWS,
            fixed::ROOT_FOLDER,
            "IPM_COMMON_VIEWS".into(),
            vec![(tags::COMMENT, PropValue::Unicode(String::new()))],
        );
        self.add_folder(fixed::DELETED_ITEMS, fixed::IPM_SUBTREE, "Deleted Items".into(), Vec::new());
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

    /// Turns a message into the node that holds it, and the properties of
    /// its PC (PidTagMessageSize as stored).
    fn message_obj<'m>(
        &mut self,
        m: &'m Message,
        depth: usize,
        lost: &mut Vec<String>,
        extra: Option<(u16, PropValue<'static>)>,
    ) -> Result<(BuiltNode, Vec<(u16, PropValue<'m>)>)> {
        let format = self.ndb()?.format();
        let mut props = self.tagged(&m.props, derived_message_prop, lost);
        if let Some((id, v)) = extra {
            props.retain(|(i, _)| *i != id);
            props.push((id, v));
        }
        let mut subs = Vec::new();

        // Recipients (MS-PST 2.4.5.3): the template's columns and every
        // property a recipient has. Row ids from 1, as Outlook's are never
        // 0 (scanpst reads a row id 0 as a row without PidTagLtpRowId:
        // OpenOutlook rule 37).
        let mut rcols: BTreeSet<u32> = cols::RECIPIENTS.iter().copied().collect();
        let mut rrows = Vec::new();
        for r in &m.recipients {
            let rp = self.tagged(r, |id| matches!(id, tags::LTP_ROW_ID | tags::LTP_ROW_VER), lost);
            for (id, v) in &rp {
                rcols.insert(u32::from(*id) << 16 | u32::from(v.prop_type()));
            }
            rrows.push(rp);
        }
        let mut rtable = Table::new(&rcols.into_iter().collect::<Vec<_>>());
        for (i, rp) in rrows.iter().enumerate() {
            let ver = self.next_ver();
            rtable.push(i as u32 + 1, ver, rp);
        }
        subs.push((fixed::RECIPIENT_TABLE, rtable.build(format, &mut self.nids)?));

        // Attachments (MS-PST 2.4.6): the table, and one PC subnode each,
        // numbered from the store's counter as Outlook numbers them.
        if !m.attachments.is_empty() {
            let mut atable = Table::new(cols::ATTACHMENTS);
            for a in &m.attachments {
                let anid = ltpw::NidAllocator::next_nid(&mut self.nids, nt::ATTACHMENT as u8);
                let mut ap: Vec<(u16, PropValue<'_>)> = self.tagged(
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
                match &a.content {
                    AttachContent::Bytes(b) | AttachContent::Ole(b) => {
                        ap.push((tags::ATTACH_DATA_BINARY, PropValue::Binary(Cow::Borrowed(b))));
                    }
                    AttachContent::Embedded(inner) => {
                        if depth >= crate::messaging::message::MAX_EMBEDDING_DEPTH {
                            lost.push(format!(
                                "an embedded message nested deeper than {}",
                                crate::messaging::message::MAX_EMBEDDING_DEPTH
                            ));
                        } else {
                            let (obj, inner_props) = self.message_obj(inner, depth + 1, lost, None)?;
                            let inner_size = message_size_of(&inner_props);
                            let enid = nid(nt::NORMAL_MESSAGE, self.next_message);
                            self.next_message += 1;
                            // The object's size is the embedded message's
                            // PidTagMessageSize, as in Outlook's files.
                            let size = u32::try_from(inner_size).unwrap_or(u32::MAX);
                            ap.push((tags::ATTACH_DATA_OBJECT, PropValue::Object { nid: enid, size }));
                            asubs.push((enid, obj));
                        }
                    }
                    AttachContent::Reference(_) => {}
                    AttachContent::Missing(why) => lost.push(format!("an attachment the source could not give: {why}")),
                }
                // PidTagAttachSize: every value's size, its own 4 bytes
                // included (OpenOutlook rule 21).
                let asize = ap.iter().map(|(_, v)| value_size(v)).sum::<u64>() + 4;
                ap.push((tags::ATTACH_SIZE, PropValue::I32(i32::try_from(asize).unwrap_or(i32::MAX))));
                ap.sort_by_key(|(id, _)| *id);
                let ver = self.next_ver();
                atable.push(anid, ver, &ap);
                subs.push((anid, pc(format, &ap, asubs, &mut self.nids)?));
            }
            subs.push((fixed::ATTACHMENT_TABLE, atable.build(format, &mut self.nids)?));
        }

        // mfHasAttach follows the attachments written ([MS-OXCMSG] 2.2.1.6).
        let flags =
            props.iter().find(|(id, _)| *id == tags::MESSAGE_FLAGS).and_then(|(_, v)| v.as_i64()).unwrap_or(0) as i32;
        let flags = if m.attachments.is_empty() { flags & !0x10 } else { flags | 0x10 };
        props.retain(|(id, _)| *id != tags::MESSAGE_FLAGS);
        props.push((tags::MESSAGE_FLAGS, PropValue::I32(flags)));
        props.push((tags::HAS_ATTACHMENTS, PropValue::Bool(!m.attachments.is_empty())));
        // PidTagMessageSize is what the message stores ([`stored_len`]):
        // known once the PC is laid out, and inline, so set after.
        props.push((tags::MESSAGE_SIZE, PropValue::I32(0)));
        props.sort_by_key(|(id, _)| *id);
        subs.sort_by_key(|(n, _)| *n);
        let mut node = pc(format, &props, subs, &mut self.nids)?;
        let size = i32::try_from(stored_len(&node)).unwrap_or(i32::MAX);
        patch_inline(&mut node, format, tags::MESSAGE_SIZE, size as u32)?;
        if let Some((_, v)) = props.iter_mut().find(|(id, _)| *id == tags::MESSAGE_SIZE) {
            *v = PropValue::I32(size);
        }
        Ok((node, props))
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
        let bid = data.write_to(ndb)?;
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
        let built = t.build(format, &mut self.nids)?;
        self.node(n, 0, built)
    }

    fn pc_node(&mut self, n: u32, parent: u32, props: &[(u16, PropValue<'static>)]) -> Result<()> {
        let format = self.ndb()?.format();
        let built = pc(format, props, Vec::new(), &mut self.nids)?;
        self.node(n, parent, built)
    }

    /// The folder objects, their hierarchy tables and the tables of the
    /// folders no item was written to.
    fn write_folders(&mut self) -> Result<()> {
        let nids: Vec<u32> = self.folders.keys().copied().collect();
        for n in &nids {
            let idx = n >> 5;
            if self.folders[n].search {
                // A search folder's own nodes, as Outlook writes the spam
                // search folder's: an empty search update queue, the search
                // criteria object and the search contents table (MS-PST
                // 2.4.8.6), with the folder's nidIndex; no hierarchy,
                // contents or FAI tables.
                self.ndb()?.add_node(nid(nt::SEARCH_UPDATE_QUEUE, idx), Bid(0), Bid(0), 0)?;
                let criteria = [(tags::PST_SEARCH_CRITERIA_STATE, PropValue::I32(0))];
                self.pc_node(nid(nt::SEARCH_CRITERIA_OBJECT, idx), 0, &criteria)?;
                self.table(nid(nt::SEARCH_CONTENTS_TABLE, idx), Table::new(cols::SEARCH_CONTENTS))?;
            } else if !self.folders[n].tables_written {
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
            let (parent, search) = (f.parent, f.search);
            for c in children {
                let ver = self.next_ver();
                rows.push(c, ver, &pcs[&c]);
            }
            if !search {
                self.table(nid(nt::HIERARCHY_TABLE, n >> 5), rows)?;
            }
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
        // INBOX 0x02, OUTBOX 0x04, WASTEBASKET 0x08, SENTMAIL 0x10,
        // COMMON_VIEWS 0x40, FINDER 0x80 (Outlook's new store: 0xC9).
        let mut mask = 0x01 | 0x08 | 0x40 | 0x80;
        if self.defaults.contains_key(&DefaultFolder::Inbox) {
            mask |= 0x02;
        }
        // The store's replica blob (0x0E34: 1, a GUID of its own, 1) and
        // replica flags, as Outlook writes them on a new store's PC.
        let mut h = Sha256::new();
        h.update(b"mailshift pst replica\0");
        h.update(self.uid);
        let mut replica = vec![1, 0, 0, 0];
        replica.extend_from_slice(&h.finalize()[..16]);
        replica.extend_from_slice(&[1, 0, 0, 0]);
        p.extend([
            (tags::REPLICA_VERSION, PropValue::Binary(replica.into())),
            (tags::REPL_FLAGS, PropValue::I32(0)),
            (tags::RECORD_KEY, PropValue::Binary(self.uid.to_vec().into())),
            (tags::IPM_SUBTREE_ENTRY_ID, eid(fixed::IPM_SUBTREE)),
            (tags::IPM_WASTEBASKET_ENTRY_ID, eid(fixed::DELETED_ITEMS)),
            (tags::COMMON_VIEWS_ENTRY_ID, eid(fixed::COMMON_VIEWS)),
            (tags::FINDER_ENTRY_ID, eid(fixed::SEARCH_ROOT)),
            (tags::PST_PASSWORD, PropValue::I32(0)),
            (tags::PST_LR_NO_RESTRICTIONS, PropValue::Bool(true)),
            // PidTagLatestPstEnsure: 0x000E0011 in every Outlook-made store
            // seen (Empty.pst, jane_doe, Outlook.d3621be9).
            (tags::LATEST_PST_ENSURE, PropValue::I32(0x000E_0011)),
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
        self.carry_over_rest()?;
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
        // The nodes without data of a new store: the search management
        // queue and search domain object (MS-PST 2.4.8.4.1, 2.4.8.4.3) and
        // Outlook's 0xE41, 0xEC1 and 0xF21 (Empty.pst; without 0xEC1 or
        // 0x1E1 scanpst says "Search folder missing update queue").
        for n in [
            fixed::SEARCH_MANAGEMENT_QUEUE,
            fixed::SEARCH_DOMAIN_OBJECT,
            fixed::EMPTY_E41,
            fixed::EMPTY_EC1,
            fixed::EMPTY_F21,
        ] {
            self.ndb()?.add_node(n, Bid(0), Bid(0), 0)?;
        }
        // The search activity list (MS-PST 2.4.8.4.2): the NIDs of the
        // folders with search activity, the spam search folder's in a new
        // store (scanpst: "Search activity list missing" without it).
        let bid = self.ndb()?.add_data(&fixed::SPAM_SEARCH_FOLDER.to_le_bytes())?;
        self.ndb()?.add_node(fixed::SEARCH_ACTIVITY_LIST, bid, Bid(0), 0)?;
        self.write_id_map()?;
        self.write_message_index()?;
        // PidTagLtpRowVer comes from one store-wide counter, and scanpst
        // wants every row version unique and below the header's dwUnique
        // (OpenOutlook rule 13).
        let unique = self.row_ver + 1;
        self.ndb()?.set_dw_unique(unique);
        Ok(())
    }

    /// Outlook's ID map (node 0xC01, heap client 0x9C): the root item holds
    /// the HID of a BTH of 16-byte ids to NIDs. Empty, as in a new store
    /// and in Outlook-made stores whose rows carry no ID cells (jane_doe;
    /// OpenOutlook rule 25: only a store that keeps records carries the
    /// 0x0E30/0x0E33/0x0E34 cells, so no row of ours has them).
    fn write_id_map(&mut self) -> Result<()> {
        let format = self.ndb()?.format();
        let mut heap = ltpw::HeapBuilder::new(format, HN_CLIENT_ID_MAP);
        let root = heap.alloc(&[0; 4]).map_err(lerr)?;
        let bth = ltpw::BthLayout::reserve(&mut heap, None, 16, 4, Vec::new()).map_err(lerr)?;
        heap.replace(root, &bth.header().to_le_bytes()).map_err(lerr)?;
        heap.set_user_root(root);
        let node = BuiltNode { data: NodeData::Blocks(heap.finish()), subnodes: Vec::new() };
        self.node(fixed::ID_MAP, 0, node)
    }

    /// Outlook's message index (node 0xE01, heap client 0xCC; OpenOutlook
    /// rules 14, 18, 32): the root item (56 bytes) holds the HID of a BTH
    /// (cbKey 4, cbEnt 4) and the highest message NID; each record maps a
    /// key ([`message_index_key`]) to the HID of a list of the NIDs of the
    /// messages under it, ascending. The root's other fields are as in
    /// Outlook's Empty.pst (their meaning is unknown). A list holds at most
    /// one heap allocation's NIDs (895); messages beyond it are left out
    /// of the index (scanpst adds them back, a "minor" finding).
    fn write_message_index(&mut self) -> Result<()> {
        let format = self.ndb()?.format();
        let mut heap = ltpw::HeapBuilder::new(format, HN_CLIENT_MESSAGE_INDEX);
        let root = heap.alloc(&[0; 56]).map_err(lerr)?;
        let mut index = std::mem::take(&mut self.index);
        index.sort_unstable();
        let groups: Vec<&[(u32, u32)]> = index.chunk_by(|a, b| a.0 == b.0).collect();
        let keys: Vec<Vec<u8>> = groups.iter().map(|g| g[0].0.to_le_bytes().to_vec()).collect();
        let bth = ltpw::BthLayout::reserve(&mut heap, None, 4, 4, keys).map_err(lerr)?;
        let per_list = ltpw::MAX_ALLOC / 4;
        let mut data = Vec::with_capacity(groups.len());
        let mut left_out = 0;
        for g in &groups {
            left_out += g.len().saturating_sub(per_list);
            let list: Vec<u8> = g.iter().take(per_list).flat_map(|(_, n)| n.to_le_bytes()).collect();
            data.push(heap.alloc(&list).map_err(lerr)?.to_le_bytes().to_vec());
        }
        if left_out > 0 {
            self.notes.push(format!(
                "{left_out} messages are not in the message index (more than {per_list} of one conversation): \
                 scanpst adds them"
            ));
        }
        bth.fill(&mut heap, &data).map_err(lerr)?;
        let last = nid(nt::NORMAL_MESSAGE, self.next_message.saturating_sub(1).max(FIRST_MESSAGE_INDEX));
        let mut r = [0u32; 14];
        r[0] = bth.header();
        r[1] = 1;
        r[2] = last;
        r[4] = 3;
        r[6] = 0x10;
        r[8] = 0x48B3;
        r[13] = 0x1E2;
        let bytes: Vec<u8> = r.iter().flat_map(|w| w.to_le_bytes()).collect();
        heap.replace(root, &bytes).map_err(lerr)?;
        heap.set_user_root(root);
        let node = BuiltNode { data: NodeData::Blocks(heap.finish()), subnodes: Vec::new() };
        self.node(fixed::MESSAGE_INDEX, 0, node)
    }

    /// Writes the open folder's contents tables.
    fn close(&mut self, open: OpenFolder) -> Result<()> {
        let idx = open.nid >> 5;
        let (count, assoc, unread) = (open.contents.count, open.assoc.count, open.contents.unread);
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

    /// The NID folder `f` is written as: the folder of the same path if one
    /// is already placed, the IPM subtree for the source's root, Deleted
    /// Items or a default folder for a top-level folder that stands for
    /// one, else a new folder under its parent (`map` holds where the
    /// reader's folders went).
    fn place(&mut self, f: &Folder, props: Option<PropBag>, map: &HashMap<FolderId, u32>, existing: bool) -> u32 {
        if f.is_root() {
            // A PST's own root items stay at the top of the store. The
            // root of a store of another kind (a single mbox file, a
            // Maildir's top-level INBOX, a directory of .eml files) is
            // where its mail arrived: the Inbox, as the mbox and Maildir
            // writers take it (and as --dedup's scopes count it).
            if existing || !self.root_is_inbox {
                return fixed::IPM_SUBTREE;
            }
            let inbox = Folder {
                id: f.id,
                parent: None,
                path: vec![DefaultFolder::Inbox.name().to_string()],
                name: DefaultFolder::Inbox.name().to_string(),
                kind: f.kind,
                role: FolderRole::Inbox,
            };
            if let Some(n) = self.defaults.get(&DefaultFolder::Inbox) {
                return *n;
            }
            return self.place(&inbox, props, map, existing);
        }
        if let Some(n) = self.by_path.get(&f.path).filter(|_| !existing) {
            return *n;
        }
        let mut lost = Vec::new();
        let props = match props {
            Some(bag) => owned(self.tagged(&bag, derived_folder_prop, &mut lost)),
            None => vec![(tags::CONTAINER_CLASS, PropValue::Unicode(class_of_kind(f.kind).into()))],
        };
        let parent = f.parent.and_then(|p| map.get(&p).copied()).unwrap_or(fixed::IPM_SUBTREE);
        let top = parent == fixed::IPM_SUBTREE;
        // A source folder standing for a special folder the existing file
        // already has joins it (Trash-role "Éléments supprimés" into its
        // Deleted Items), keeping the existing name.
        let trash = top && (f.role == FolderRole::Trash || f.name.trim().eq_ignore_ascii_case("Deleted Items"));
        if trash && !existing && self.deleted_by == Some(true) {
            return fixed::DELETED_ITEMS;
        }
        if top && !existing {
            let joined = DefaultFolder::ALL
                .into_iter()
                .filter(|d| d.matches(f))
                .find_map(|d| self.defaults.get(&d).copied().filter(|n| self.from_existing.contains(n)));
            if let Some(n) = joined {
                return n;
            }
        }
        let n = if trash && self.deleted_by.is_none() {
            self.deleted_by = Some(existing);
            let node = self.folders.get_mut(&fixed::DELETED_ITEMS).expect("in the skeleton");
            node.name = f.name.clone();
            node.props = props;
            fixed::DELETED_ITEMS
        } else if let Some(d) = if top { self.default_for(f) } else { None } {
            // Names are kept as the source has them, siblings of one name
            // included (Outlook reads them; a copy changes nothing).
            let n = self.new_folder(parent, f.name.clone(), props);
            self.defaults.insert(d, n);
            n
        } else {
            self.new_folder(parent, f.name.clone(), props)
        };
        if existing {
            self.by_path.entry(f.path.clone()).or_insert(n);
            self.from_existing.insert(n);
        }
        n
    }

    /// Writes the items of the existing file's folders that went to `n`
    /// into the open folder, once each.
    fn carry_over(&mut self, n: u32) -> Result<()> {
        let Some(mut ex) = self.existing.take() else { return Ok(()) };
        let todo: Vec<FolderId> =
            ex.folders.iter().map(|f| f.id).filter(|id| ex.map.get(id) == Some(&n) && !ex.done.contains(id)).collect();
        let mut result = Ok(());
        'folders: for id in todo {
            ex.done.insert(id);
            let mut items = ex.reader.items(id).unwrap_or_default();
            items.extend(ex.reader.associated_items(id).unwrap_or_default());
            for meta in items {
                match ex.reader.read_mapi(meta.id) {
                    Ok(m) => {
                        let mut lost = Vec::new();
                        if let Err(e) = self.write_message(&m, &mut lost, Origin::Existing) {
                            result = Err(e);
                            break 'folders;
                        }
                        ex.kept += 1;
                    }
                    Err(_) => ex.failed += 1,
                }
            }
        }
        self.existing = Some(ex);
        result
    }

    /// Writes one message into the open folder; returns the bytes placed.
    /// `origin` says whose message it is: the source's ([`Origin::Source`])
    /// or the existing file's ([`Origin::Existing`]), whose store identity
    /// and NIDs it refers to.
    fn write_message(&mut self, m: &Message, lost: &mut Vec<String>, origin: Origin) -> Result<u64> {
        let folder = self
            .open
            .as_ref()
            .map(|o| o.nid)
            .ok_or_else(|| Error::Invalid { what: "PST writer", reason: "write() before open_folder()".into() })?;
        let member = ["IPM.Contact", "IPM.DistList"].iter().any(|c| mailshift_core::mapi::class_is(m.class(), c));
        let n = self.nid_for(origin, m.nid, m.associated, member);
        let from = match origin {
            Origin::Source => self.source_key.clone(),
            Origin::Existing => self.uid.to_vec(),
        };
        let mut m = std::borrow::Cow::Borrowed(m);
        // A message without PidTagSearchKey gets the identity its PIM UID
        // derives from in the source ([`crate::pim::uid`]), so that a copy
        // exports the same .vcf/.ics; Outlook sets one on every message.
        // (Added to what is written, not to a copy of the message.)
        let mut extra = None;
        if let Some(key) = crate::pim::uid::missing_search_key(&m.props, &from, m.nid) {
            extra = Some((tags::SEARCH_KEY, PropValue::Binary(key.to_vec().into())));
        }
        // A distribution list's members name contacts by store and NID: in
        // the copy, this store and the contacts' new NIDs.
        if mailshift_core::mapi::class_is(m.class(), "IPM.DistList") {
            let uid = self.uid;
            let mut bag = m.props.clone();
            let state =
                std::cell::RefCell::new((std::mem::take(&mut self.nid_maps[origin as usize]), self.next_message));
            crate::pim::contact::retarget_dist_list(&mut bag, &from, &uid, |src| {
                let mut st = state.borrow_mut();
                let (map, next) = &mut *st;
                Some(*map.entry(src).or_insert_with(|| {
                    *next += 1;
                    nid(nt::NORMAL_MESSAGE, *next - 1)
                }))
            });
            let (map, next) = state.into_inner();
            self.nid_maps[origin as usize] = map;
            self.next_message = next;
            m.to_mut().props = bag;
        }
        // Contacts and lists of the neutral model name each other by UID
        // (in their search keys): a list's members that are contacts
        // written before it get their entries in this store.
        let model_uid = if m.nid == 0 && member && !m.associated {
            crate::pim::uid::search_key(&m.props).and_then(crate::pim::uid::uid_of_search_key)
        } else {
            None
        };
        if model_uid.is_some() && mailshift_core::mapi::class_is(m.class(), "IPM.DistList") {
            let (uid, known) = (self.uid, &self.uid_members);
            let mut bag = m.props.clone();
            let n = crate::pim::contact::resolve_uid_members(
                &mut bag,
                &uid,
                |u| known.get(u).map(|k| k.0),
                |u| known.get(u).and_then(|k| k.1.clone()),
            );
            if n > 0 {
                m.to_mut().props = bag;
            }
        }
        if let Some(u) = model_uid {
            let email = m.props.lid(tags::lid::EMAIL1_EMAIL_ADDRESS).and_then(PropValue::as_text);
            let one_off = email.map(|e| {
                let name = m.props.str(tags::DISPLAY_NAME).unwrap_or(&e).to_string();
                crate::pim::contact::one_off_entry_id(&name, "SMTP", &e)
            });
            self.uid_members.insert(u, (n, one_off));
        }
        let m = m.as_ref();
        let (obj, props) = self.message_obj(m, 0, lost, extra)?;
        let before = self.ndb()?.len();
        self.node(n, folder, obj)?;
        let bytes = self.ndb()?.len() - before;
        let ver = self.next_ver();
        let open = self.open.as_mut().expect("checked above");
        let ndb = self.ndb.as_mut().expect("checked by self.ndb() above");
        if m.associated {
            open.assoc.push_message(n, ver, &props, ndb, &mut self.nids);
        } else {
            open.contents.push_message(n, ver, &props, ndb, &mut self.nids);
            // The message index lists every top-level normal message under
            // the key of its conversation id (as the row's 0x3013 cell).
            let key = message_index_key(conversation_id(&props).as_ref());
            self.index.push((key, n));
        }
        Ok(bytes)
    }

    /// The NID of `origin`'s message `src` (0 for a reader without ids): the
    /// one reserved for it already (as a list's member), else a new one.
    /// Only a contact's or a list's is remembered (`member`): what a list's
    /// members can be, so that a list written later finds them.
    fn nid_for(&mut self, origin: Origin, src: u32, associated: bool, member: bool) -> u32 {
        let t = if associated { nt::ASSOC_MESSAGE } else { nt::NORMAL_MESSAGE };
        if src != 0 && !associated {
            if let Some(n) = self.nid_maps[origin as usize].get(&src) {
                return *n;
            }
        }
        let n = nid(t, self.next_message);
        self.next_message += 1;
        if src != 0 && !associated && member {
            self.nid_maps[origin as usize].insert(src, n);
        }
        n
    }

    /// Carries over the existing file's folders no folder of the source
    /// opened, and says what was kept.
    fn carry_over_rest(&mut self) -> Result<()> {
        let Some(ex) = &self.existing else { return Ok(()) };
        let mut targets: Vec<u32> =
            ex.folders.iter().filter(|f| !ex.done.contains(&f.id)).filter_map(|f| ex.map.get(&f.id).copied()).collect();
        targets.sort_unstable();
        targets.dedup();
        for n in targets {
            if self.folders.get(&n).is_some_and(|f| f.tables_written) {
                continue;
            }
            self.open = Some(OpenFolder {
                nid: n,
                contents: Table::streaming(self.format, cols::CONTENTS)?,
                assoc: Table::streaming(self.format, cols::ASSOC_CONTENTS)?,
            });
            self.carry_over(n)?;
            if let Some(open) = self.open.take() {
                self.close(open)?;
            }
        }
        if let Some(ex) = &self.existing {
            self.notes.push(format!("kept the {} items {} held before", ex.kept, self.target.display()));
            if ex.failed > 0 {
                self.notes.push(format!(
                    "{} items of {} could not be read and are not in the new file",
                    ex.failed,
                    self.target.display()
                ));
            }
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

/// The size of an attachment of `m` (embedded messages' included) too
/// large for PidTagAttachSize, a signed 32-bit count, if there is one.
/// Why a PST cannot hold message `m` (an attachment of 2 GiB or more),
/// or `None`: what [`PstWriter`]'s `write` refuses as unsupported, and
/// what `convert --dry-run` says of a PST target without writing.
pub fn refusal(m: &Message) -> Option<String> {
    attachment_over_limit(m, 0).map(|size| {
        format!("an attachment of {size} bytes: a PST cannot hold one of 2 GiB or more (PidTagAttachSize is 32 bits)")
    })
}

fn attachment_over_limit(m: &Message, depth: usize) -> Option<u64> {
    m.attachments.iter().find_map(|a| match &a.content {
        AttachContent::Bytes(b) | AttachContent::Ole(b) => {
            let n = b.len() as u64;
            (n > i32::MAX as u64).then_some(n)
        }
        AttachContent::Embedded(e) if depth < 64 => attachment_over_limit(e, depth + 1),
        _ => None,
    })
}

fn message_size_of(props: &[(u16, PropValue<'_>)]) -> u64 {
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
        self.root_is_inbox = store.is_none();
        if let Some(s) = &store {
            self.source_key = s.bin(tags::RECORD_KEY).unwrap_or_default().to_vec();
        }
        if let (Some(s), None) = (store, &self.existing) {
            self.identity(&s, false);
        }
        self.source_folders = folders.into_iter().collect();
        Ok(())
    }

    fn begin(&mut self, folders: &[Folder]) -> Result<()> {
        if self.uid == [0; 16] {
            let mut h = Sha256::new();
            h.update(b"mailshift pst store\0");
            h.update(self.target.as_os_str().as_encoded_bytes());
            if self.part > 0 {
                h.update(self.part.to_le_bytes());
            }
            self.uid.copy_from_slice(&h.finalize()[..16]);
        }
        self.skeleton();
        // The file added to first: its folders keep their places, and the
        // source's folders of the same path join them.
        if let Some(mut ex) = self.existing.take() {
            let mut map = HashMap::new();
            for f in &ex.folders {
                let props = ex.reader.folder_mapi(f.id);
                let n = self.place(f, props, &map, true);
                map.insert(f.id, n);
            }
            ex.map = map;
            self.existing = Some(ex);
        }
        for f in folders {
            let props = self.source_folders.get(&f.id).cloned();
            let map = std::mem::take(&mut self.map);
            let n = self.place(f, props, &map, false);
            self.map = map;
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
        self.open = Some(OpenFolder {
            nid: n,
            contents: Table::streaming(self.format, cols::CONTENTS)?,
            assoc: Table::streaming(self.format, cols::ASSOC_CONTENTS)?,
        });
        self.carry_over(n)
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
        if let Some(reason) = refusal(m) {
            return Err(Error::Unsupported { path: self.target.clone(), reason });
        }
        let mut lost = Vec::new();
        let bytes = self.write_message(m, &mut lost, Origin::Source)?;
        self.messages += 1;
        if m.associated {
            self.associated_written += 1;
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

    fn swept(&self) -> Vec<PathBuf> {
        self.swept.clone()
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        if self.associated_written > 0 {
            notes.push(format!(
                "{} of the items copied are folder-associated (views, rules, forms: hidden in Outlook, not listed by info)",
                self.associated_written
            ));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::md5;

    /// An attachment of 2 GiB or more is refused with its reason, before
    /// anything of the message is written (the zeroed buffer is never
    /// touched: the check reads its length only).
    #[test]
    fn an_attachment_past_32_bits_is_refused() {
        use mailshift_core::mapi::{AttachContent, Attachment, Message};
        use mailshift_core::{Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, Prepared, StoreWriter};
        let mut w = super::PstWriter::in_memory(super::PstWriteOptions::default());
        let f = Folder {
            id: FolderId(1),
            parent: None,
            path: vec!["Big".into()],
            name: "Big".into(),
            kind: FolderKind::Mail,
            role: FolderRole::None,
        };
        w.begin(std::slice::from_ref(&f)).unwrap();
        w.open_folder(&f).unwrap();
        let mut m = Message::default();
        m.attachments.push(Attachment { props: Default::default(), content: AttachContent::Bytes(vec![0; 1 << 31]) });
        let p = Prepared::new(Item::Mapi(Box::new(m)), ItemMeta { id: ItemId(0, 0), size: None });
        let err = w.write(&p).unwrap_err().to_string();
        assert!(err.contains("an attachment of 2147483648 bytes"), "{err}");
        assert_eq!(w.messages, 0);
        w.close_folder().unwrap();
        let file = w.finish_to_vec().unwrap();
        assert!(file.len() < 1 << 20);
    }

    /// The test suite of RFC 1321 A.5.
    #[test]
    fn md5_of_rfc_1321() {
        let hex = |d: [u8; 16]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        for (input, want) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            assert_eq!(hex(md5(input.as_bytes())), want, "MD5({input:?})");
        }
    }
}
