//! Our reader's view of a store in the oracles' terms
//! ([`mailshift_testkit::oracle::StoreView`]), for tests that hold it
//! against the independent readers.
#![allow(dead_code)]

use std::path::Path;

use mailshift_core::{convert, NoProgress, Options, Report};
use mailshift_pst::mapi::AttachContent;
use mailshift_pst::{tags, PstReader, PstWriteOptions, PstWriter, Store};
use mailshift_testkit::oracle::{self, RawError, RawFolder, RawView, Reader, StoreView};

/// What our reader (messaging::Store) sees, in the oracles' view: the IPM
/// subtree's folders (FolderTree), each folder's contents-table messages
/// (Store::contents, Store::message), their PidTagSubject as stored, and
/// their by-value attachments' bytes.
pub fn our_view(path: &Path) -> StoreView {
    let store = Store::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tree = store.folders().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut raw = RawView { ipm_subtree: Some(Vec::new()), ..RawView::default() };
    let mut folders: Vec<(u32, Vec<String>)> =
        tree.all.iter().filter(|f| f.in_ipm_subtree).map(|f| (f.nid, f.path.clone())).collect();
    // A store whose subtree fell back to the root folder: the root is not
    // among `all`.
    if !folders.iter().any(|(n, _)| *n == tree.ipm_subtree) {
        folders.insert(0, (tree.ipm_subtree, Vec::new()));
    }
    for (nid, path) in folders {
        let mut f = RawFolder { path: path.clone(), ..RawFolder::default() };
        match store.contents(nid) {
            Ok(rows) => {
                for row in rows {
                    match store.message(row.nid) {
                        Ok(m) => {
                            f.count += 1;
                            f.subjects.push(m.props.str(tags::SUBJECT).unwrap_or("").to_string());
                            for a in &m.attachments {
                                if let AttachContent::Bytes(b) = &a.content {
                                    f.attachments.push(oracle::sha256_hex(b));
                                }
                            }
                        }
                        Err(e) => raw.errors.push(RawError::at(&path, format!("message {:#x}: {e}", row.nid))),
                    }
                }
            }
            Err(e) => raw.errors.push(RawError::at(&path, format!("contents table: {e}"))),
        }
        raw.folders.push(f);
    }
    raw.normalize(Reader::Ours)
}

/// Copies `src` into a new PST at `dst` with `opts`, the way `mailshift
/// convert SRC DST.pst` does: what every writer test starts from.
pub fn copy_store(src: &Path, dst: &Path, opts: PstWriteOptions) -> Report {
    let reader = PstReader::open(src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let mut writer = PstWriter::create(dst, opts).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
    convert(&reader, &mut writer, None, &Options::default(), &NoProgress)
        .unwrap_or_else(|e| panic!("{}: {e}", src.display()))
}
