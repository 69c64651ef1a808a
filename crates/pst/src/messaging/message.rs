//! Messages (MS-PST 2.4.5), their recipients (2.4.5.3) and attachments
//! (2.4.6), read into the owned [`Message`].

use std::borrow::Cow;

use encoding_rs::Encoding;
use mailshift_core::Result;

use super::nameid::NameMap;
use super::{decode_string8, encoding_for, Store, NID_ATTACHMENT_TABLE, NID_RECIPIENT_TABLE};
use crate::ltp::prop::PropValue;
use crate::mapi::{AttachContent, Attachment, Message, PropBag};
use crate::tags;
use crate::{nid_with_type, NodeRef, PropertyContext, TableContext, NID_TYPE_CONTENTS_TABLE};

/// Embedded messages nested deeper than this are left out
/// ([`AttachContent::Missing`]).
pub const MAX_EMBEDDING_DEPTH: usize = 8;

/// The code page String8 values are decoded with when a message names
/// none (and its store is not Unicode-only): Windows-1252, Outlook's
/// default for Western installations.
pub const DEFAULT_CODEPAGE: u32 = 1252;

/// One row of a folder's contents table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentsRow {
    /// The message's NID (`dwRowID` / PidTagLtpRowId).
    pub nid: u32,
    /// PidTagMessageSize from the row, if present.
    pub size: Option<u64>,
}

/// Collects what went wrong while reading one message, for the report.
#[derive(Debug, Default)]
struct Notes {
    list: Vec<String>,
    /// Named property ids the store's map lacks.
    unmapped: Vec<u16>,
}

impl Notes {
    fn push(&mut self, s: String) {
        // Bounded: a message with thousands of bad properties gives one
        // line per kind of problem, not thousands.
        if self.list.len() < 32 && !self.list.contains(&s) {
            self.list.push(s);
        }
    }
}

/// Converts a borrowed value to an owned one, decoding 8-bit text.
fn own(v: PropValue<'_>, enc: &'static Encoding) -> PropValue<'static> {
    use PropValue as P;
    match v {
        P::Null => P::Null,
        P::I16(x) => P::I16(x),
        P::I32(x) => P::I32(x),
        P::F32(x) => P::F32(x),
        P::F64(x) => P::F64(x),
        P::Currency(x) => P::Currency(x),
        P::AppTime(x) => P::AppTime(x),
        P::Error(x) => P::Error(x),
        P::Bool(x) => P::Bool(x),
        P::I64(x) => P::I64(x),
        P::Time(x) => P::Time(x),
        P::Guid(x) => P::Guid(x),
        P::String8(b) => P::Unicode(decode_string8(&b, enc)),
        P::Unicode(s) => P::Unicode(s),
        P::Binary(b) => P::Binary(Cow::Owned(b.into_owned())),
        P::ServerId(b) => P::ServerId(Cow::Owned(b.into_owned())),
        P::Restriction(b) => P::Restriction(Cow::Owned(b.into_owned())),
        P::RuleAction(b) => P::RuleAction(Cow::Owned(b.into_owned())),
        P::Object { nid, size } => P::Object { nid, size },
        P::Unspecified(b) => P::Unspecified(Cow::Owned(b.into_owned())),
        P::MvI16(x) => P::MvI16(x),
        P::MvI32(x) => P::MvI32(x),
        P::MvError(x) => P::MvError(x),
        P::MvF32(x) => P::MvF32(x),
        P::MvF64(x) => P::MvF64(x),
        P::MvAppTime(x) => P::MvAppTime(x),
        P::MvI64(x) => P::MvI64(x),
        P::MvCurrency(x) => P::MvCurrency(x),
        P::MvTime(x) => P::MvTime(x),
        P::MvGuid(x) => P::MvGuid(x),
        P::MvString8(x) => P::MvUnicode(x.iter().map(|b| decode_string8(b, enc)).collect()),
        P::MvUnicode(x) => P::MvUnicode(x),
        P::MvBinary(x) => P::MvBinary(x),
        P::Unknown { ptype, raw } => P::Unknown { ptype, raw: Cow::Owned(raw.into_owned()) },
    }
}

/// Puts one value in the bag: ids below 0x8000 as tagged, named ones
/// through the store's map (an id the map lacks is dropped with a note).
fn insert(bag: &mut PropBag, id: u16, v: PropValue<'static>, names: &NameMap, notes: &mut Notes) {
    if id < 0x8000 {
        bag.tagged.insert(id, v);
    } else if let Some(n) = names.get(id) {
        bag.named.insert(n.clone(), v);
    } else {
        if !notes.unmapped.contains(&id) {
            notes.unmapped.push(id);
        }
    }
}

/// The encoding for String8 values of an object whose properties include
/// `codepage` values; `inherited` when it names none (or an unknown one).
fn encoding_of(mp: Option<i64>, ip: Option<i64>, inherited: &'static Encoding) -> &'static Encoding {
    [mp, ip].into_iter().flatten().find_map(|cp| u32::try_from(cp).ok().and_then(encoding_for)).unwrap_or(inherited)
}

fn int_of(pc: &PropertyContext<'_>, id: u16) -> Option<i64> {
    pc.get(id).ok().flatten().and_then(|v| v.as_i64())
}

/// A PC's properties as a bag.
fn pc_bag(pc: &PropertyContext<'_>, enc: &'static Encoding, names: &NameMap, what: &str, notes: &mut Notes) -> PropBag {
    let mut bag = PropBag::default();
    for e in pc.entries() {
        match pc.value(e) {
            Ok(v) => insert(&mut bag, e.prop_id, own(v, enc), names, notes),
            Err(err) => notes.push(format!("{what}: property {:#06x} unreadable, dropped: {err}", e.prop_id)),
        }
    }
    bag
}

/// A table row's cells as a bag.
fn row_bag(
    tc: &TableContext<'_>,
    i: usize,
    enc: &'static Encoding,
    names: &NameMap,
    what: &str,
    notes: &mut Notes,
) -> PropBag {
    let mut bag = PropBag::default();
    let cols: Vec<_> = tc.columns().to_vec();
    for c in &cols {
        match tc.cell(i, c) {
            Ok(Some(v)) => insert(&mut bag, c.prop_id(), own(v, enc), names, notes),
            Ok(None) => {}
            Err(err) => notes.push(format!("{what}: column {:#010x} unreadable, dropped: {err}", c.tag)),
        }
    }
    bag
}

impl Store {
    /// The rows of folder `folder`'s contents table (MS-PST 2.4.4.5), in
    /// table order; empty when the folder has none.
    ///
    /// A contents table that cannot be read does not hide the folder's
    /// messages: they are found by their NBT parent links instead
    /// ([`crate::Pst::children`], as readpst does), in NID order; the
    /// table's error is returned only when no message names the folder.
    pub fn contents(&self, folder: u32) -> Result<Vec<ContentsRow>> {
        match self.contents_table(folder) {
            // No table where the B-trees are damaged: perhaps a lost entry.
            Ok(None) if self.pst().is_salvaged() => Ok(self.note_linked(self.linked_messages(folder))),
            Ok(rows) => Ok(rows.unwrap_or_default()),
            Err(e) => {
                let rows = self.linked_messages(folder);
                if rows.is_empty() {
                    Err(e)
                } else {
                    Ok(self.note_linked(rows))
                }
            }
        }
    }

    fn note_linked(&self, rows: Vec<ContentsRow>) -> Vec<ContentsRow> {
        if let Ok(mut l) = self.linked.lock() {
            l.extend(rows.iter().map(|r| r.nid));
        }
        rows
    }

    /// The normal messages whose NBT parent link names `folder`.
    pub fn linked_messages(&self, folder: u32) -> Vec<ContentsRow> {
        self.pst()
            .children(folder)
            .into_iter()
            .filter(|n| n.nid & 0x1F == super::NID_TYPE_NORMAL_MESSAGE)
            .map(|n| ContentsRow { nid: n.nid, size: None })
            .collect()
    }

    /// The rows of the contents table itself.
    fn contents_table(&self, folder: u32) -> Result<Option<Vec<ContentsRow>>> {
        let pst = self.pst();
        let Some(node) = pst.node(nid_with_type(folder, NID_TYPE_CONTENTS_TABLE))? else {
            return Ok(None);
        };
        let tc = pst.table_context(&node)?;
        let size_col = tc.column(tags::MESSAGE_SIZE).copied();
        let mut out = Vec::with_capacity(tc.row_count());
        for i in 0..tc.row_count() {
            let Some(nid) = tc.row_id(i) else { continue };
            let size = size_col
                .and_then(|c| tc.cell(i, &c).ok().flatten())
                .and_then(|v| v.as_i64())
                .and_then(|s| u64::try_from(s).ok());
            out.push(ContentsRow { nid, size });
        }
        Ok(Some(out))
    }

    /// The rows of folder `folder`'s associated contents table (MS-PST
    /// 2.4.4.6): its FAI messages (views, rules, forms), in table order.
    pub fn associated_contents(&self, folder: u32) -> Result<Vec<ContentsRow>> {
        let pst = self.pst();
        let Some(node) = pst.node(nid_with_type(folder, crate::NID_TYPE_ASSOC_CONTENTS_TABLE))? else {
            return Ok(Vec::new());
        };
        let tc = pst.table_context(&node)?;
        Ok((0..tc.row_count()).filter_map(|i| tc.row_id(i)).map(|nid| ContentsRow { nid, size: None }).collect())
    }

    /// The properties of the object whose PC is `node` (a folder, the
    /// message store), String8 decoded with the store's default code page
    /// and named properties resolved. Unreadable properties are left out.
    pub fn property_bag(&self, node: &NodeRef) -> Result<PropBag> {
        let pc = self.pst().property_context(node)?;
        let mut notes = Notes::default();
        let enc = encoding_of(int_of(&pc, tags::MESSAGE_CODEPAGE), None, self.default_encoding());
        Ok(pc_bag(&pc, enc, self.names(), "object", &mut notes))
    }

    /// Reads message `nid` with its recipients, attachments and embedded
    /// messages. Unreadable properties, recipients and attachments do not
    /// fail the message; [`Store::message_with_notes`] says what was lost.
    pub fn message(&self, nid: u32) -> Result<Message> {
        self.message_with_notes(nid).map(|(m, _)| m)
    }

    /// [`Store::message`], plus notes on what could not be read.
    pub fn message_with_notes(&self, nid: u32) -> Result<(Message, Vec<String>)> {
        let node = self
            .pst()
            .node(nid)?
            .ok_or_else(|| self.format_err("NBT", format!("message NID {nid:#x} is not in the node B-tree")))?;
        self.message_at(node)
    }

    /// [`Store::message_with_notes`] for a node already found: one the NBT
    /// no longer lists, such as [`crate::Pst::recovered_nodes`].
    pub fn message_at(&self, node: NodeRef) -> Result<(Message, Vec<String>)> {
        let nid = node.nid;
        let mut notes = Notes::default();
        let default = self.default_encoding();
        let mut msg = match self.read_message(node, default, 0, &mut notes) {
            Ok(m) => m,
            Err(e) => {
                // Salvage (issue 11): blocks whose CRC alone fails (their
                // size, BID and signature match) are read as they are, and
                // the message is marked as damaged.
                let mut retry = Notes::default();
                let (got, lenient) = crate::ndb::block::lenient(|| self.read_message(node, default, 0, &mut retry));
                match got {
                    Ok(m) if lenient > 0 => {
                        notes = retry;
                        notes.list.insert(
                            0,
                            format!(
                                "{lenient} of its blocks fail their CRC and were read as they are: parts may be \
                                 lost or altered ({e})"
                            ),
                        );
                        m
                    }
                    _ => return Err(e),
                }
            }
        };
        msg.nid = nid;
        msg.associated = nid & 0x1F == super::NID_TYPE_ASSOC_MESSAGE;
        if !notes.unmapped.is_empty() {
            let mut ids = std::mem::take(&mut notes.unmapped);
            ids.sort_unstable();
            let shown: Vec<String> = ids.iter().take(8).map(|i| format!("{i:#06x}")).collect();
            let more = if ids.len() > 8 { ", ..." } else { "" };
            if self.names().problems.is_empty() {
                notes.list.push(format!(
                    "{} named properties not in the store's name-to-id map were dropped ({}{more})",
                    ids.len(),
                    shown.join(", ")
                ));
            } else {
                // The map itself is damaged: what they were is lost with it.
                notes.list.push(format!(
                    "{} named properties lost: the store's name-to-id map is damaged ({}{more})",
                    ids.len(),
                    shown.join(", ")
                ));
            }
        }
        Ok((msg, notes.list))
    }

    /// String8 values of messages naming no code page: Windows-1252.
    fn default_encoding(&self) -> &'static Encoding {
        encoding_for(DEFAULT_CODEPAGE).unwrap_or(encoding_rs::WINDOWS_1252)
    }

    /// Reads the message PC of `node` (top-level or the subnode of an
    /// embedded-message attachment).
    fn read_message(
        &self,
        node: NodeRef,
        inherited: &'static Encoding,
        depth: usize,
        notes: &mut Notes,
    ) -> Result<Message> {
        let pst = self.pst();
        let names = self.names();
        let pc = pst.property_context(&node)?;
        let enc = encoding_of(int_of(&pc, tags::MESSAGE_CODEPAGE), int_of(&pc, tags::INTERNET_CODEPAGE), inherited);
        let props = pc_bag(&pc, enc, names, "message", notes);
        drop(pc);

        let mut recipients = Vec::new();
        match pst.subnode(&node, NID_RECIPIENT_TABLE) {
            Ok(Some(sub)) => match pst.table_context(&sub) {
                Ok(tc) => {
                    for i in 0..tc.row_count() {
                        recipients.push(row_bag(&tc, i, enc, names, "recipient", notes));
                    }
                }
                Err(e) => notes.push(format!("recipient table unreadable, recipients lost: {e}")),
            },
            Ok(None) => {}
            Err(e) => notes.push(format!("recipient table unreadable, recipients lost: {e}")),
        }

        let mut attachments = Vec::new();
        match pst.subnode(&node, NID_ATTACHMENT_TABLE) {
            Ok(Some(sub)) => match pst.table_context(&sub) {
                Ok(tc) => {
                    for i in 0..tc.row_count() {
                        attachments.push(self.read_attachment(&node, &tc, i, enc, depth, notes));
                    }
                }
                Err(e) => notes.push(format!("attachment table unreadable, attachments lost: {e}")),
            },
            Ok(None) => {}
            Err(e) => notes.push(format!("attachment table unreadable, attachments lost: {e}")),
        }
        Ok(Message { nid: 0, props, recipients, attachments, associated: false })
    }

    /// One attachment (MS-PST 2.4.6.2): the PC in the message's subnode
    /// named by the table row, and its content by `PidTagAttachMethod`.
    fn read_attachment(
        &self,
        msg: &NodeRef,
        tc: &TableContext<'_>,
        i: usize,
        enc: &'static Encoding,
        depth: usize,
        notes: &mut Notes,
    ) -> Attachment {
        let pst = self.pst();
        let names = self.names();
        let row_id = tc.row_id(i).unwrap_or(0);
        let missing = |props: PropBag, why: String| Attachment { props, content: AttachContent::Missing(why) };
        let node = match pst.subnode(msg, row_id) {
            Ok(Some(n)) => n,
            Ok(None) => {
                let props = row_bag(tc, i, enc, names, "attachment", notes);
                return missing(props, format!("attachment subnode {row_id:#x} does not exist"));
            }
            Err(e) => {
                let props = row_bag(tc, i, enc, names, "attachment", notes);
                return missing(props, format!("attachment subnode {row_id:#x}: {e}"));
            }
        };
        let pc = match pst.property_context(&node) {
            Ok(pc) => pc,
            Err(e) => {
                let props = row_bag(tc, i, enc, names, "attachment", notes);
                return missing(props, format!("attachment {row_id:#x}: {e}"));
            }
        };
        // The data is read apart from the other properties so that a bad
        // data value is a Missing attachment, not a lost property.
        let mut props = PropBag::default();
        let mut data: Option<std::result::Result<PropValue<'static>, String>> = None;
        for e in pc.entries() {
            let v = pc.value(e);
            // PidTagAttachDataObject has the same id: the type tells them apart.
            if e.prop_id == tags::ATTACH_DATA_BINARY {
                data = Some(v.map(|v| own(v, enc)).map_err(|e| e.to_string()));
                continue;
            }
            match v {
                Ok(v) => insert(&mut props, e.prop_id, own(v, enc), names, notes),
                Err(err) => notes.push(format!("attachment: property {:#06x} unreadable, dropped: {err}", e.prop_id)),
            }
        }
        drop(pc);
        let method = props.int(tags::ATTACH_METHOD).unwrap_or(0);
        let content = match (method, data) {
            (_, Some(Err(e))) => AttachContent::Missing(format!("attachment data unreadable: {e}")),
            // afEmbeddedMessage ([MS-OXCMSG] 2.2.2.9): a PtypObject whose
            // subnode holds a message PC with its own subnodes.
            (5, Some(Ok(PropValue::Object { nid, .. }))) => {
                if depth + 1 > MAX_EMBEDDING_DEPTH {
                    AttachContent::Missing(format!("embedded messages nested deeper than {MAX_EMBEDDING_DEPTH}"))
                } else {
                    match pst.subnode(&node, nid) {
                        Ok(Some(sub)) => match self.read_message(sub, enc, depth + 1, notes) {
                            Ok(m) => AttachContent::Embedded(Box::new(m)),
                            Err(e) => AttachContent::Missing(format!("embedded message unreadable: {e}")),
                        },
                        Ok(None) => AttachContent::Missing(format!("embedded message subnode {nid:#x} does not exist")),
                        Err(e) => AttachContent::Missing(format!("embedded message subnode {nid:#x}: {e}")),
                    }
                }
            }
            // afStorage: the object's bytes (an OLE compound file).
            (6, Some(Ok(PropValue::Object { nid, .. }))) => match pst.subnode(&node, nid) {
                Ok(Some(sub)) => match pst.read_node_data(&sub) {
                    Ok(b) => AttachContent::Ole(b.into_owned()),
                    Err(e) => AttachContent::Missing(format!("OLE object unreadable: {e}")),
                },
                Ok(None) => AttachContent::Missing(format!("OLE object subnode {nid:#x} does not exist")),
                Err(e) => AttachContent::Missing(format!("OLE object subnode {nid:#x}: {e}")),
            },
            (
                6,
                Some(Ok(
                    PropValue::Binary(b)
                    | PropValue::ServerId(b)
                    | PropValue::Restriction(b)
                    | PropValue::RuleAction(b),
                )),
            ) => AttachContent::Ole(b.into_owned()),
            // afByReference, afByReferenceResolve, afByReferenceOnly, afByWebReference.
            (2..=4 | 7, _) => {
                match props.str(tags::ATTACH_LONG_PATHNAME).or_else(|| props.str(tags::ATTACH_PATHNAME)) {
                    Some(p) => AttachContent::Reference(p.to_string()),
                    None => AttachContent::Missing(format!("attached by reference (method {method}) without a path")),
                }
            }
            (
                _,
                Some(Ok(
                    PropValue::Binary(b)
                    | PropValue::ServerId(b)
                    | PropValue::Restriction(b)
                    | PropValue::RuleAction(b),
                )),
            ) => AttachContent::Bytes(b.into_owned()),
            (5, Some(Ok(v))) => AttachContent::Missing(format!("embedded message stored as {}", type_name(&v))),
            (_, Some(Ok(PropValue::Object { nid, .. }))) => {
                match pst.subnode(&node, nid).ok().flatten().map(|s| pst.read_node_data(&s)) {
                    Some(Ok(b)) => AttachContent::Ole(b.into_owned()),
                    _ => AttachContent::Missing(format!("attachment object {nid:#x} unreadable")),
                }
            }
            (_, Some(Ok(v))) => AttachContent::Missing(format!("attachment data stored as {}", type_name(&v))),
            (0, None) => AttachContent::Missing("attachment method afNone and no data".into()),
            (_, None) => AttachContent::Missing("no PidTagAttachDataBinary".into()),
        };
        Attachment { props, content }
    }
}

fn type_name(v: &PropValue<'_>) -> &'static str {
    match v {
        PropValue::Unicode(_) | PropValue::String8(_) => "text",
        PropValue::Object { .. } => "an object",
        PropValue::Binary(_) | PropValue::ServerId(_) | PropValue::Restriction(_) | PropValue::RuleAction(_) => {
            "binary"
        }
        _ => "an unexpected type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string8_decoded_with_code_page() {
        let v = own(PropValue::String8(Cow::Borrowed(b"\xe4\xf6\0")), encoding_rs::WINDOWS_1252);
        assert_eq!(v, PropValue::Unicode("äö".into()));
        let v = own(PropValue::MvString8(vec![b"\xc0\xe1".to_vec()]), encoding_rs::WINDOWS_1251);
        assert_eq!(v, PropValue::MvUnicode(vec!["Аб".into()]));
    }

    #[test]
    fn encoding_choice() {
        let d = encoding_rs::WINDOWS_1252;
        assert_eq!(encoding_of(Some(1251), Some(65001), d), encoding_rs::WINDOWS_1251);
        assert_eq!(encoding_of(None, Some(65001), d), encoding_rs::UTF_8);
        assert_eq!(encoding_of(Some(437), None, d), d);
        assert_eq!(encoding_of(Some(-1), None, d), d);
    }
}
