//! The messaging layer (MS-PST 2.4): the nodes every store has, the folder
//! tree against the hierarchy tables, the contents tables against the
//! messages, the counts in their three places (the folder's PC, its row in
//! the parent's hierarchy table, its contents table), and the size
//! properties of messages and attachments.
//!
//! Values are read with the reader ([`Pst::property_context`],
//! [`Pst::table_context`]); structures it cannot read were reported by
//! [`super::ltp`] and are passed over here.

use std::collections::{HashMap, HashSet};

use super::Ctx;
use crate::ltp::prop::PropValue;
use crate::messaging::{entry_id_nid, msgflag};
use crate::raw::{NbtEntry, Nid};
use crate::{tags, NodeRef, PropertyContext, Pst, TableContext};

/// NID types (MS-PST 2.2.2.1).
const NORMAL_FOLDER: u8 = 0x02;
const SEARCH_FOLDER: u8 = 0x03;
const NORMAL_MESSAGE: u8 = 0x04;
const ATTACHMENT: u8 = 0x05;
const ASSOC_MESSAGE: u8 = 0x08;
const HIERARCHY_TABLE: u8 = 0x0D;
const CONTENTS_TABLE: u8 = 0x0E;
const ASSOC_CONTENTS_TABLE: u8 = 0x0F;

/// The nodes of every store (MS-PST 2.7.1), all present in every
/// Outlook-made fixture: the message store, the name-to-id map, the root
/// folder and its three tables, the search queues, the table templates,
/// the receive folder and outgoing queue tables, the IPM subtree and the
/// search root.
pub const REQUIRED: [(u32, &str); 19] = [
    (0x21, "message store"),
    (0x61, "name-to-id map"),
    (0x122, "root folder"),
    (0x12D, "root folder's hierarchy table"),
    (0x12E, "root folder's contents table"),
    (0x12F, "root folder's associated contents table"),
    (0x1E1, "search management queue"),
    (0x201, "search activity list"),
    (0x261, "search domain object"),
    (0x60D, "hierarchy table template"),
    (0x60E, "contents table template"),
    (0x60F, "associated contents table template"),
    (0x610, "search contents table template"),
    (0x62B, "receive folder table"),
    (0x64C, "outgoing queue table"),
    (0x671, "attachment table template"),
    (0x692, "recipient table template"),
    (0x8022, "IPM subtree (Top of Personal Folders)"),
    (0x8042, "search root (Finder)"),
];

/// Message store properties that name folders (MS-PST 2.4.3).
const STORE_FOLDERS: [(u16, &str); 3] = [
    (tags::IPM_SUBTREE_ENTRY_ID, "PidTagIpmSubtreeEntryId"),
    (tags::IPM_WASTEBASKET_ENTRY_ID, "PidTagIpmWastebasketEntryId"),
    (tags::FINDER_ENTRY_ID, "PidTagFinderEntryId"),
];

/// How deep embedded messages are followed.
const MAX_EMBED: usize = 16;

fn is_folder(nid: u32) -> bool {
    matches!(Nid(nid).nid_type(), NORMAL_FOLDER | SEARCH_FOLDER)
}

/// Checks the messaging layer.
pub(crate) fn check(cx: &mut Ctx<'_>, pst: &Pst) {
    cx.explained = cx.sink.has_errors();
    let nodes: HashMap<u32, NbtEntry> = cx.nbt.iter().map(|e| (e.nid, *e)).collect();
    if cx.nbt_complete {
        for (nid, what) in REQUIRED {
            if !nodes.contains_key(&nid) {
                cx.report("msg.required", None, format!("node {nid:#x} ({what}) is missing"));
            }
        }
    }
    store(cx, pst, &nodes);
    name_map(cx, pst, &nodes);
    // Children by parent, from the NBT's nidParent.
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut sorted: Vec<&NbtEntry> = nodes.values().collect();
    sorted.sort_by_key(|e| e.nid);
    for e in &sorted {
        let t = Nid(e.nid).nid_type();
        if matches!(t, NORMAL_FOLDER | SEARCH_FOLDER | NORMAL_MESSAGE | ASSOC_MESSAGE) && e.nid != e.nid_parent {
            children.entry(e.nid_parent).or_default().push(e.nid);
        }
        let what = match t {
            NORMAL_FOLDER | SEARCH_FOLDER => "folder",
            NORMAL_MESSAGE | ASSOC_MESSAGE => "message",
            _ => continue,
        };
        if e.nid == crate::NID_ROOT_FOLDER {
            if e.nid_parent != e.nid {
                cx.report(
                    "msg.parent",
                    None,
                    format!("the root folder's nidParent is {:#x}, not itself", e.nid_parent),
                );
            }
            continue;
        }
        let known = nodes.contains_key(&e.nid_parent);
        if !known && !cx.nbt_complete {
            // The parent may sit in an NBT page that could not be read.
            continue;
        }
        if !(known && is_folder(e.nid_parent)) {
            cx.report(
                "msg.parent",
                None,
                format!("{what} {:#x}: its parent {:#x} is not a folder of this store", e.nid, e.nid_parent),
            );
        }
    }
    let f = Folders { nodes: &nodes, children: &children };
    for e in &sorted {
        if Nid(e.nid).nid_type() == NORMAL_FOLDER {
            f.folder(cx, pst, e);
        }
    }
    for e in &sorted {
        if Nid(e.nid).nid_type() == NORMAL_MESSAGE {
            message(cx, pst, node_ref(e), 0);
        }
    }
}

fn node_ref(e: &NbtEntry) -> NodeRef {
    NodeRef { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub, nid_parent: Some(e.nid_parent) }
}

/// The reader's PC, or a reported error.
fn read_pc<'p>(cx: &mut Ctx<'_>, pst: &'p Pst, node: &NodeRef, what: &str) -> Option<PropertyContext<'p>> {
    match pst.property_context(node) {
        Ok(pc) => Some(pc),
        Err(e) => {
            unreadable(cx, format!("{what} {:#x}: {e}", node.nid));
            None
        }
    }
}

fn read_tc<'p>(cx: &mut Ctx<'_>, pst: &'p Pst, node: &NodeRef, what: &str) -> Option<TableContext<'p>> {
    match pst.table_context(node) {
        Ok(tc) => Some(tc),
        Err(e) => {
            unreadable(cx, format!("{what} {:#x}: {e}", node.nid));
            None
        }
    }
}

/// The reader failed where the layers below found nothing wrong. After an
/// error below (a bad CRC, a broken tree), the reader failing is its
/// consequence, already reported: then it is not reported again.
fn unreadable(cx: &mut Ctx<'_>, message: String) {
    if !cx.explained {
        cx.report("ltp.unreadable", None, message);
    }
}

/// The message store's entry ids (MS-PST 2.4.3): each names a folder of
/// this store, and its `uid` is the store's `PidTagRecordKey`.
fn store(cx: &mut Ctx<'_>, pst: &Pst, nodes: &HashMap<u32, NbtEntry>) {
    let Some(e) = nodes.get(&crate::NID_MESSAGE_STORE) else { return };
    let Some(pc) = read_pc(cx, pst, &node_ref(e), "message store") else { return };
    cx.count("STORE", 1);
    let key = pc.get(tags::RECORD_KEY).ok().flatten().and_then(|v| v.as_bytes().map(<[u8]>::to_vec));
    match &key {
        Some(k) if k.len() == 16 => {}
        other => cx.report(
            "msg.store",
            None,
            format!(
                "PidTagRecordKey is {}, not 16 bytes",
                other.as_ref().map_or("missing".into(), |k| format!("{} bytes", k.len()))
            ),
        ),
    }
    for (tag, name) in STORE_FOLDERS {
        let Some(id) = pc.get(tag).ok().flatten().and_then(|v| v.as_bytes().map(<[u8]>::to_vec)) else {
            // An OST's store keeps them elsewhere (Outlook's OST has none).
            if &cx.hdr.magic_client == b"SM" {
                cx.report("msg.store", None, format!("the message store has no {name}"));
            }
            continue;
        };
        let nid = entry_id_nid(&id);
        if !nid.is_some_and(|n| nodes.contains_key(&n)) && !cx.nbt_complete {
            continue;
        }
        match nid {
            Some(n) if nodes.contains_key(&n) && is_folder(n) => {}
            _ => cx.report(
                "msg.store",
                None,
                format!("{name} names NID {:#x}, which is not a folder of this store", nid.unwrap_or(0)),
            ),
        }
        if let (Some(k), Some(uid)) = (&key, id.get(4..20)) {
            if k.len() == 16 && uid != &k[..] {
                cx.report("msg.store", None, format!("{name}: its uid is not the store's PidTagRecordKey"));
            }
        }
    }
}

/// The name-to-id map's streams (MS-PST 2.4.7): whole GUIDs and NAMEID
/// records, each naming a GUID that exists and a string inside the string
/// stream.
fn name_map(cx: &mut Ctx<'_>, pst: &Pst, nodes: &HashMap<u32, NbtEntry>) {
    let Some(e) = nodes.get(&crate::NID_NAME_TO_ID_MAP) else { return };
    let Some(pc) = read_pc(cx, pst, &node_ref(e), "name-to-id map") else { return };
    let bytes = |id: u16| pc.get(id).ok().flatten().and_then(|v| v.as_bytes().map(<[u8]>::to_vec)).unwrap_or_default();
    let (guids, entries, strings) =
        (bytes(tags::NAMEID_STREAM_GUID), bytes(tags::NAMEID_STREAM_ENTRY), bytes(tags::NAMEID_STREAM_STRING));
    if guids.len() % 16 != 0 || entries.len() % 8 != 0 {
        cx.report(
            "msg.nameid",
            None,
            format!("GUID stream of {} bytes, entry stream of {} bytes: not whole records", guids.len(), entries.len()),
        );
        return;
    }
    let n_guids = guids.len() / 16;
    let mut bad = 0usize;
    let mut first = None;
    for (i, r) in entries.chunks_exact(8).enumerate() {
        let id = u32::from_le_bytes([r[0], r[1], r[2], r[3]]) as usize;
        let w = u16::from_le_bytes([r[4], r[5]]);
        let (is_string, guid) = (w & 1 == 1, usize::from(w >> 1));
        // wGuid: 1 PS_MAPI, 2 PS_PUBLIC_STRINGS, 3 and up the GUID stream.
        let guid_ok = guid == 1 || guid == 2 || (guid >= 3 && guid - 3 < n_guids);
        let string_ok = !is_string
            || strings
                .get(id..id + 4)
                .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize)
                .is_some_and(|len| id + 4 + len <= strings.len());
        if !(guid_ok && string_ok) {
            bad += 1;
            first.get_or_insert(i);
        }
    }
    cx.count("STORE", 1);
    if let Some(i) = first {
        cx.report(
            "msg.nameid",
            None,
            format!(
                "{bad} NAMEID record(s) name a missing GUID or a string outside the string stream (first: record {i})"
            ),
        );
    }
}

struct Folders<'n> {
    nodes: &'n HashMap<u32, NbtEntry>,
    children: &'n HashMap<u32, Vec<u32>>,
}

/// A subject without its MS-PST prefix marker: U+0001 and one character
/// giving the prefix length ([MS-OXCMSG] 2.2.1.46), which some writers keep
/// in the row and others not.
fn unmarked(s: &str) -> &str {
    let mut c = s.chars();
    match (c.next(), c.next()) {
        (Some('\u{1}'), Some(_)) => c.as_str(),
        _ => s,
    }
}

/// Text and integers compare by value (a String8 cell may hold what a
/// Unicode property holds); everything else as stored.
fn same(a: &PropValue<'_>, b: &PropValue<'_>) -> bool {
    if let (Some(x), Some(y)) = (a.as_text(), b.as_text()) {
        return unmarked(&x) == unmarked(&y);
    }
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    a == b
}

fn show(v: &PropValue<'_>) -> String {
    if let Some(t) = v.as_text() {
        return format!("{t:?}");
    }
    if let Some(i) = v.as_i64() {
        return i.to_string();
    }
    let s = format!("{v:?}");
    if s.len() > 80 {
        format!("{}...", &s[..s.char_indices().nth(77).map_or(s.len(), |(i, _)| i)])
    } else {
        s
    }
}

impl Folders<'_> {
    /// One normal folder: its tables, their rows, and the counts.
    fn folder(&self, cx: &mut Ctx<'_>, pst: &Pst, e: &NbtEntry) {
        cx.count("FOLDER", 1);
        let nid = e.nid;
        let Some(pc) = read_pc(cx, pst, &node_ref(e), "folder") else { return };
        let kids = self.children.get(&nid).cloned().unwrap_or_default();
        let sub_folders: HashSet<u32> = kids.iter().copied().filter(|k| is_folder(*k)).collect();
        let messages: HashSet<u32> = kids.iter().copied().filter(|k| Nid(*k).nid_type() == NORMAL_MESSAGE).collect();
        let assoc: HashSet<u32> = kids.iter().copied().filter(|k| Nid(*k).nid_type() == ASSOC_MESSAGE).collect();
        let table = |t: u8| self.nodes.get(&Nid(nid).with_type(t).0).copied();
        let (ht, ct, at) = (table(HIERARCHY_TABLE), table(CONTENTS_TABLE), table(ASSOC_CONTENTS_TABLE));
        for (t, name) in [(ht, "hierarchy"), (ct, "contents"), (at, "associated contents")] {
            if t.is_none() && cx.nbt_complete {
                cx.report("msg.tables", None, format!("folder {nid:#x} has no {name} table"));
            }
        }
        let name = pc.string(tags::DISPLAY_NAME).ok().flatten().unwrap_or_default();
        let label = format!("folder {nid:#x} {name:?}");

        // PidTagSubfolders.
        if let Ok(Some(v)) = pc.get(tags::SUBFOLDERS) {
            let says = v.as_i64().unwrap_or(0) != 0;
            let has = !sub_folders.is_empty();
            if says != has && cx.nbt_complete {
                cx.report(
                    "msg.subfolders",
                    None,
                    format!("{label}: PidTagSubfolders is {says}, it has {} subfolder(s)", sub_folders.len()),
                );
            }
        }

        // The hierarchy table: one row per subfolder, equal to its PC.
        if let Some(ht) = ht.and_then(|t| read_tc(cx, pst, &node_ref(&t), "hierarchy table")) {
            let mut listed = HashSet::new();
            for i in 0..ht.row_count() {
                let Some(child) = ht.row_id(i) else { continue };
                if !listed.insert(child) {
                    cx.report("msg.hierarchy", None, format!("{label}: subfolder {child:#x} has two rows"));
                    continue;
                }
                if !self.nodes.contains_key(&child) && !cx.nbt_complete {
                    continue;
                }
                if !sub_folders.contains(&child) {
                    cx.report(
                        "msg.hierarchy",
                        None,
                        format!("{label}: hierarchy row {child:#x} is not a subfolder (its nidParent says otherwise)"),
                    );
                    continue;
                }
                let Some(ce) = self.nodes.get(&child) else { continue };
                let Some(cpc) = read_pc(cx, pst, &node_ref(ce), "folder") else { continue };
                for (prop, rule) in [
                    (tags::DISPLAY_NAME, "msg.hierarchy_row"),
                    (tags::CONTENT_COUNT, "msg.count"),
                    (tags::CONTENT_UNREAD_COUNT, "msg.unread"),
                    (tags::SUBFOLDERS, "msg.hierarchy_row"),
                ] {
                    let (Ok(Some(cell)), Ok(Some(own))) = (ht.get(i, prop), cpc.get(prop)) else { continue };
                    if !same(&cell, &own) {
                        cx.report(
                            rule,
                            None,
                            format!(
                                "{label}: the hierarchy row of {child:#x} has {:#06x} = {}, the folder's own is {}",
                                prop,
                                show(&cell),
                                show(&own)
                            ),
                        );
                    }
                }
            }
            if cx.nbt_complete {
                let mut missing: Vec<&u32> = sub_folders.iter().filter(|c| !listed.contains(c)).collect();
                missing.sort();
                if let Some(c) = missing.first() {
                    cx.report(
                        "msg.hierarchy",
                        None,
                        format!("{label}: {} subfolder(s) without a hierarchy row (first: {c:#x})", missing.len()),
                    );
                }
            }
        }

        // The contents table: one row per message, equal to its PC where
        // they share a column; the counts from it.
        let mut unread = 0i64;
        // False once a message could not be read: its flags are unknown.
        let mut unread_known = true;
        if let Some(ct) = ct.and_then(|t| read_tc(cx, pst, &node_ref(&t), "contents table")) {
            let rows = ct.row_count();
            let mut listed = HashSet::new();
            for i in 0..rows {
                let Some(id) = ct.row_id(i) else { continue };
                if !listed.insert(id) {
                    cx.report("msg.contents", None, format!("{label}: message {id:#x} has two rows"));
                    continue;
                }
                if !self.nodes.contains_key(&id) && !cx.nbt_complete {
                    unread_known = false;
                    continue;
                }
                if !messages.contains(&id) {
                    cx.report(
                        "msg.contents",
                        None,
                        format!("{label}: contents row {id:#x} is not a message of the folder"),
                    );
                    unread_known = false;
                    continue;
                }
                let Some(me) = self.nodes.get(&id) else { continue };
                let Some(mpc) = read_pc(cx, pst, &node_ref(me), "message") else {
                    unread_known = false;
                    continue;
                };
                let flags = mpc.get(tags::MESSAGE_FLAGS).ok().flatten().and_then(|v| v.as_i64()).unwrap_or(0);
                if flags & msgflag::READ == 0 {
                    unread += 1;
                }
                compare_row(cx, &ct, i, &mpc, &label, id);
            }
            if cx.nbt_complete {
                let mut missing: Vec<&u32> = messages.iter().filter(|m| !listed.contains(m)).collect();
                missing.sort();
                if let Some(m) = missing.first() {
                    cx.report(
                        "msg.contents",
                        None,
                        format!("{label}: {} message(s) without a contents row (first: {m:#x})", missing.len()),
                    );
                }
            }
            match pc.get(tags::CONTENT_COUNT) {
                Ok(Some(v)) if v.as_i64() != Some(rows as i64) => cx.report(
                    "msg.count",
                    None,
                    format!("{label}: PidTagContentCount is {}, its contents table has {rows} row(s)", show(&v)),
                ),
                _ => {}
            }
            match pc.get(tags::CONTENT_UNREAD_COUNT) {
                Ok(Some(v)) if unread_known && v.as_i64() != Some(unread) => cx.report(
                    "msg.unread",
                    None,
                    format!("{label}: PidTagContentUnreadCount is {}, {unread} of its messages are unread", show(&v)),
                ),
                _ => {}
            }
        }

        // The associated contents table.
        if let Some(at) = at.and_then(|t| read_tc(cx, pst, &node_ref(&t), "associated contents table")) {
            let rows = at.row_count();
            let mut listed = HashSet::new();
            for i in 0..rows {
                let Some(id) = at.row_id(i) else { continue };
                if !self.nodes.contains_key(&id) && !cx.nbt_complete {
                    continue;
                }
                if !listed.insert(id) || !assoc.contains(&id) {
                    cx.report(
                        "msg.assoc",
                        None,
                        format!("{label}: associated row {id:#x} is listed twice or is not an associated message of the folder"),
                    );
                }
            }
            if cx.nbt_complete {
                let n = assoc.iter().filter(|m| !listed.contains(m)).count();
                if n > 0 {
                    cx.report("msg.assoc", None, format!("{label}: {n} associated message(s) without a row"));
                }
            }
            // PidTagAssociatedContentCount is not compared: Outlook's own
            // exports (hughbe_backup*.pst) and OST keep counts that no table
            // matches.
        }
    }
}

/// Columns whose row value may differ from the object's own: the row's
/// own id and version, and PidTagMessageSize, which Outlook updates in the
/// message without updating the row (its OST, a1sellers.pst,
/// hughbe_Outlook.pst: the row lags by some hundred bytes).
const ROW_ONLY: [u16; 3] = [tags::LTP_ROW_ID, tags::LTP_ROW_VER, tags::MESSAGE_SIZE];

/// A contents row against the message's PC, column by column.
fn compare_row(cx: &mut Ctx<'_>, ct: &TableContext<'_>, i: usize, mpc: &PropertyContext<'_>, label: &str, id: u32) {
    for col in ct.columns() {
        let prop = col.prop_id();
        if ROW_ONLY.contains(&prop) {
            continue;
        }
        let (Ok(Some(cell)), Ok(Some(own))) = (ct.cell(i, col), mpc.get(prop)) else { continue };
        if !same(&cell, &own) {
            cx.report(
                "msg.contents_row",
                None,
                format!(
                    "{label}: the contents row of {id:#x} has {:#010x} = {}, the message's own is {}",
                    col.tag,
                    show(&cell),
                    show(&own)
                ),
            );
        }
    }
}

/// A message: PidTagMessageSize, and its attachments against the
/// attachment table; embedded messages likewise.
fn message(cx: &mut Ctx<'_>, pst: &Pst, node: NodeRef, depth: usize) {
    if depth > MAX_EMBED {
        return;
    }
    cx.count("MESSAGE", 1);
    let nid = node.nid;
    let Some(pc) = read_pc(cx, pst, &node, "message") else { return };
    if !matches!(pc.get(tags::MESSAGE_SIZE), Ok(Some(_))) {
        cx.report("msg.message_size", None, format!("message {nid:#x} has no PidTagMessageSize"));
    }
    let subs = match pst.subnodes(&node) {
        Ok(s) => s,
        Err(_) => return,
    };
    let attachments: Vec<&NodeRef> = subs.iter().filter(|s| Nid(s.nid).nid_type() == ATTACHMENT).collect();
    let attachment_nids: HashSet<u32> = attachments.iter().map(|a| a.nid).collect();
    let table = subs.iter().find(|s| s.nid == crate::messaging::NID_ATTACHMENT_TABLE);
    let mut listed = HashSet::new();
    if let Some(t) = table.and_then(|t| read_tc(cx, pst, t, "attachment table")) {
        for i in 0..t.row_count() {
            let Some(id) = t.row_id(i) else { continue };
            if !listed.insert(id) || !attachment_nids.contains(&id) {
                cx.report(
                    "msg.attachments",
                    None,
                    format!("message {nid:#x}: attachment row {id:#x} is listed twice or has no attachment subnode"),
                );
            }
        }
    }
    for a in &attachments {
        if !listed.contains(&a.nid) {
            cx.report(
                "msg.attachments",
                None,
                format!("message {nid:#x}: attachment {:#x} has no row in the attachment table", a.nid),
            );
        }
        let Some(apc) = read_pc(cx, pst, a, "attachment") else { continue };
        // [MS-OXCMSG] 2.2.2.5: PidTagAttachSize counts the data and the
        // attachment's properties; in every Outlook-made fixture it exceeds
        // the data by 100 bytes or more.
        match apc.get(tags::ATTACH_SIZE).ok().flatten().and_then(|v| v.as_i64()) {
            None => cx.report(
                "msg.attach_size",
                None,
                format!("message {nid:#x}: attachment {:#x} has no PidTagAttachSize", a.nid),
            ),
            Some(size) => {
                let data = match apc.get(tags::ATTACH_DATA_BINARY) {
                    Ok(Some(PropValue::Binary(b))) => Some(b.len() as i64),
                    Ok(Some(PropValue::Object { size, .. })) => Some(i64::from(size)),
                    _ => None,
                };
                if let Some(d) = data.filter(|&d| size < d) {
                    cx.report(
                        "msg.attach_size",
                        None,
                        format!(
                            "message {nid:#x}: attachment {:#x}: PidTagAttachSize {size}, its data alone {d} bytes",
                            a.nid
                        ),
                    );
                }
            }
        }
        // An embedded message (PidTagAttachMethod afEmbeddedMessage, 5):
        // PidTagAttachDataObject names a subnode of the attachment (MS-PST
        // 2.4.6.2.3). Other objects (afOle, 6) are OLE storages.
        let method = apc.get(tags::ATTACH_METHOD).ok().flatten().and_then(|v| v.as_i64());
        if method != Some(5) {
            continue;
        }
        if let Ok(Some(PropValue::Object { nid: sub, .. })) = apc.get(tags::ATTACH_DATA_OBJECT) {
            if let Ok(Some(m)) = pst.subnode(a, sub) {
                message(cx, pst, m, depth + 1);
            }
        }
    }
}
