//! Microsoft's `outlook-pst` crate as an oracle, in process: the root
//! folder's hierarchy tables down (folders opened by entry id), each
//! folder's contents table, each message's PidTagSubject and, for the rows
//! of its attachment table whose PidTagAttachMethod is afByValue, the
//! attachment's PidTagAttachDataBinary. The IPM subtree comes from the
//! store's PidTagIpmSubtreeEntryId.
//!
//! Two limits of outlook-pst 1.2 shape this walk: it deadlocks on embedded
//! messages (its attachment reader holds the file lock while it reads the
//! embedded message, which takes the lock again), so only attachments the
//! attachment table says are by value are opened; and its types are
//! `Rc`-based, so the walk runs on a thread of its own, given
//! [`super::TIMEOUT`], and a panic or a hang is [`OracleError::Failed`].
//! It decodes no 8-bit string: those of ANSI stores are decoded here as
//! Windows-1252, our reader's default.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::{sha256_hex, OracleError, RawError, RawFolder, RawView, MAX_DEPTH, TIMEOUT};

/// NID of the root folder (MS-PST 2.4.1).
const NID_ROOT_FOLDER: u32 = 0x122;
/// PidTagDisplayName, PidTagSubject, PidTagAttachMethod ([MS-OXPROPS]).
const DISPLAY_NAME: u16 = 0x3001;
const SUBJECT: u16 = 0x0037;
const ATTACH_METHOD: u16 = 0x3705;
/// The envelope's properties ([MS-OXPROPS]): PidTagMessageClass,
/// PidTagInternetMessageId, PidTagSentRepresentingSmtpAddress and
/// PidTagSentRepresentingEmailAddress (From), PidTagClientSubmitTime, and the recipient
/// rows' PidTagRecipientType, PidTagSmtpAddress, PidTagEmailAddress.
const MESSAGE_CLASS: u16 = 0x001A;
const INTERNET_MESSAGE_ID: u16 = 0x1035;
const SENT_REPRESENTING_SMTP_ADDRESS: u16 = 0x5D02;
const SENT_REPRESENTING_EMAIL_ADDRESS: u16 = 0x0065;
const CLIENT_SUBMIT_TIME: u16 = 0x0039;
const RECIPIENT_TYPE: u16 = 0x0C15;
const SMTP_ADDRESS: u16 = 0x39FE;
const EMAIL_ADDRESS: u16 = 0x3003;
/// afByValue ([MS-OXCMSG] 2.2.2.9).
const AF_BY_VALUE: i32 = 1;
/// Folder-count bound, for corrupt hierarchies.
const MAX_FOLDERS: usize = 5000;

fn text(v: Option<&outlook_pst::ltp::prop_context::PropertyValue>) -> Option<String> {
    use outlook_pst::ltp::prop_context::PropertyValue;
    match v? {
        PropertyValue::String8(s) => {
            Some(encoding_rs::WINDOWS_1252.decode_without_bom_handling(s.buffer()).0.into_owned())
        }
        PropertyValue::Unicode(s) => Some(String::from_utf16_lossy(s.buffer())),
        _ => None,
    }
}

/// The walk over one kind of store (Unicode or ANSI: outlook-pst's types
/// differ, the code does not).
macro_rules! walk {
    ($fn:ident, $file:ty, $store:ty, $folder:ty, $message:ty, $attachment:ty) => {
        fn $fn(path: &Path) -> Result<RawView, String> {
            use outlook_pst::ltp::prop_context::PropertyValue;
            use outlook_pst::messaging::attachment::{Attachment as _, AttachmentData};
            use outlook_pst::messaging::folder::Folder as _;
            use outlook_pst::messaging::message::Message as _;
            use outlook_pst::messaging::store::Store as _;
            use outlook_pst::ndb::node_id::NodeId;
            use std::rc::Rc;

            let file = <$file>::open(path).map_err(|e| format!("open: {e}"))?;
            let store = <$store>::read(Rc::new(file)).map_err(|e| format!("message store: {e}"))?;
            let mut view = RawView::default();
            let ipm_nid = store.properties().ipm_sub_tree_entry_id().ok().map(|e| u32::from(e.node_id()));
            let entry = |nid: u32| store.properties().make_entry_id(NodeId::from(nid));
            let mut seen: HashSet<u32> = HashSet::new();
            // (folder NID, its path), parents before children.
            let mut stack: Vec<(u32, Vec<String>)> = vec![(NID_ROOT_FOLDER, Vec::new())];
            while let Some((nid, path)) = stack.pop() {
                if !seen.insert(nid) {
                    view.errors.push(RawError::at(&path, format!("folder {nid:#x} reached twice")));
                    continue;
                }
                let folder = match entry(nid).and_then(|e| <$folder>::read(store.clone(), &e)) {
                    Ok(f) => f,
                    Err(e) if nid == NID_ROOT_FOLDER => return Err(format!("root folder: {e}")),
                    Err(e) => {
                        view.errors.push(RawError::at(&path, format!("folder {nid:#x}: {e}")));
                        continue;
                    }
                };
                if Some(nid) == ipm_nid {
                    view.ipm_subtree = Some(path.clone());
                }
                let mut raw = RawFolder { path: path.clone(), ..RawFolder::default() };
                let rows: Vec<u32> = folder
                    .contents_table()
                    .map(|ct| ct.rows_matrix().map(|r| u32::from(r.id())).collect())
                    .unwrap_or_default();
                for m in rows {
                    let msg = match entry(m).and_then(|e| <$message>::read(store.clone(), &e, None)) {
                        Ok(msg) => msg,
                        Err(e) => {
                            view.errors.push(RawError::at(&path, format!("message {m:#x}: {e}")));
                            continue;
                        }
                    };
                    raw.count += 1;
                    raw.subjects.push(text(msg.properties().get(SUBJECT)).unwrap_or_default());
                    // The envelope (super::fact), for mail.
                    let props = msg.properties();
                    if text(props.get(MESSAGE_CLASS)).is_none_or(|c| c.to_ascii_lowercase().starts_with("ipm.note")) {
                        let (mut to, mut cc) = (Vec::new(), Vec::new());
                        if let Some(rt) = msg.recipient_table() {
                            let ctx = rt.context();
                            for row in rt.rows_matrix() {
                                let Ok(cells) = row.columns(ctx) else { continue };
                                let mut kind = None;
                                let (mut smtp, mut email) = (None, None);
                                for (c, v) in ctx.columns().iter().zip(cells) {
                                    let Some(v) = v.and_then(|v| rt.read_column(&v, c.prop_type()).ok()) else {
                                        continue;
                                    };
                                    match c.prop_id() {
                                        RECIPIENT_TYPE => {
                                            if let PropertyValue::Integer32(k) = v {
                                                kind = Some(k)
                                            }
                                        }
                                        SMTP_ADDRESS => smtp = text(Some(&v)),
                                        EMAIL_ADDRESS => email = text(Some(&v)),
                                        _ => {}
                                    }
                                }
                                let Some(a) = smtp.or(email) else { continue };
                                match kind {
                                    Some(1) => to.push(a),
                                    Some(2) => cc.push(a),
                                    _ => {}
                                }
                            }
                        }
                        let date = match props.get(CLIENT_SUBMIT_TIME) {
                            Some(PropertyValue::Time(ft)) => Some(ft / 10_000_000 - 11_644_473_600),
                            _ => None,
                        };
                        let from = text(props.get(SENT_REPRESENTING_SMTP_ADDRESS))
                            .or_else(|| text(props.get(SENT_REPRESENTING_EMAIL_ADDRESS)));
                        raw.facts.push(super::fact(
                            text(props.get(INTERNET_MESSAGE_ID)).as_deref(),
                            from.as_deref(),
                            &to,
                            &cc,
                            date,
                        ));
                    }
                    let Some(table) = msg.attachment_table() else { continue };
                    let ctx = table.context();
                    for row in table.rows_matrix() {
                        let att = u32::from(row.id());
                        let method = match row.columns(ctx) {
                            Ok(cells) => ctx
                                .columns()
                                .iter()
                                .zip(cells)
                                .find(|(c, _)| c.prop_id() == ATTACH_METHOD)
                                .and_then(|(c, v)| v.map(|v| table.read_column(&v, c.prop_type())))
                                .and_then(Result::ok),
                            Err(e) => {
                                view.errors
                                    .push(RawError::at(&path, format!("message {m:#x} attachment row {att:#x}: {e}")));
                                continue;
                            }
                        };
                        match method {
                            Some(PropertyValue::Integer32(AF_BY_VALUE)) => {}
                            Some(_) => continue,
                            None => {
                                view.errors.push(RawError::at(
                                    &path,
                                    format!("message {m:#x} attachment {att:#x}: no PidTagAttachMethod in its row"),
                                ));
                                continue;
                            }
                        }
                        match <$attachment>::read(msg.clone(), NodeId::from(att), None) {
                            Ok(a) => match a.data() {
                                Some(AttachmentData::Binary(b)) => raw.attachments.push(sha256_hex(b.buffer())),
                                _ => view
                                    .errors
                                    .push(RawError::at(&path, format!("message {m:#x} attachment {att:#x}: no data"))),
                            },
                            Err(e) => view
                                .errors
                                .push(RawError::at(&path, format!("message {m:#x} attachment {att:#x}: {e}"))),
                        }
                    }
                }
                view.folders.push(raw);
                if path.len() >= MAX_DEPTH || view.folders.len() >= MAX_FOLDERS {
                    view.errors.push(RawError::at(&path, "subfolders not read (depth or folder bound)"));
                    continue;
                }
                let Some(ht) = folder.hierarchy_table() else { continue };
                let mut children = Vec::new();
                for row in ht.rows_matrix() {
                    let child = u32::from(row.id());
                    let name = match entry(child).and_then(|e| <$folder>::read(store.clone(), &e)) {
                        Ok(f) => text(f.properties().get(DISPLAY_NAME)).unwrap_or_default(),
                        Err(e) => {
                            view.errors.push(RawError::at(&path, format!("folder {child:#x}: {e}")));
                            continue;
                        }
                    };
                    let mut p = path.clone();
                    p.push(name);
                    children.push((child, p));
                }
                // Reversed, so that the stack pops them in table order.
                stack.extend(children.into_iter().rev());
            }
            Ok(view)
        }
    };
}

walk!(
    walk_unicode,
    outlook_pst::UnicodePstFile,
    outlook_pst::messaging::store::UnicodeStore,
    outlook_pst::messaging::folder::UnicodeFolder,
    outlook_pst::messaging::message::UnicodeMessage,
    outlook_pst::messaging::attachment::UnicodeAttachment
);
walk!(
    walk_ansi,
    outlook_pst::AnsiPstFile,
    outlook_pst::messaging::store::AnsiStore,
    outlook_pst::messaging::folder::AnsiFolder,
    outlook_pst::messaging::message::AnsiMessage,
    outlook_pst::messaging::attachment::AnsiAttachment
);

/// True when the header says ANSI (wVer 14 or 15, MS-PST 2.2.2.6).
fn is_ansi(path: &Path) -> Result<bool, OracleError> {
    use std::io::Read;
    let mut head = [0u8; 12];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|e| OracleError::Failed(format!("{}: {e}", path.display())))?;
    Ok(matches!(u16::from_le_bytes([head[10], head[11]]), 14 | 15))
}

pub(super) fn raw(pst: &Path) -> Result<RawView, OracleError> {
    let ansi = is_ansi(pst)?;
    let path: PathBuf = pst.to_path_buf();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("outlook-pst".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(|| if ansi { walk_ansi(&path) } else { walk_unicode(&path) });
            let r = r.unwrap_or_else(|p| {
                let why = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panicked: {why}"))
            });
            let _ = tx.send(r);
        })
        .map_err(|e| OracleError::Failed(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(view)) => Ok(view),
        Ok(Err(why)) => Err(OracleError::Failed(why)),
        // The thread is left behind (a deadlock cannot be undone).
        Err(_) => Err(OracleError::Failed(format!("outlook-pst did not finish in {TIMEOUT:?}"))),
    }
}
