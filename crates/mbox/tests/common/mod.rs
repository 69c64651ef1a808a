//! Helpers shared by the mbox integration tests.
#![allow(dead_code)]

use std::path::Path;

use mailshift_core::{Flags, Folder, Item, ItemId, ItemMeta, MailItem, Prepared, Problem, StoreReader, StoreWriter};
use mailshift_mbox::{MboxReader, MboxWriteOptions, MboxWriter};

/// The date of the From_ lines the tests write.
pub const D1: &str = "Mon Jan  1 00:00:00 2001";

/// An mbox of one short message per subject (`Subject: s`, body `body s`).
pub fn mbox(subjects: &[&str]) -> String {
    subjects.iter().map(|s| format!("From a@x {D1}\nSubject: {s}\n\nbody {s}\n\n")).collect()
}

/// One message as read, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub id: ItemId,
    pub raw: Vec<u8>,
    pub borrowed: bool,
    pub flags: Flags,
    pub keywords: Vec<String>,
    pub received: Option<i64>,
    pub from_line: Option<Vec<u8>>,
}

/// Every message of every folder of `r`, in order.
pub fn read_all(r: &MboxReader) -> Vec<Msg> {
    let mut out = Vec::new();
    for f in r.folders().expect("folders") {
        for m in r.items(f.id).expect("items") {
            match r.read(m.id).expect("read") {
                Item::Mail(mail) => {
                    assert_eq!(m.size, Some(m.id.1 - (m.id.0 & ((1 << 48) - 1))));
                    out.push(Msg {
                        id: m.id,
                        borrowed: matches!(mail.raw, std::borrow::Cow::Borrowed(_)),
                        raw: mail.raw.into_owned(),
                        flags: mail.flags,
                        keywords: mail.keywords,
                        received: mail.received,
                        from_line: mail.mbox_from_line.map(|l| l.into_owned()),
                    })
                }
                other => panic!("unexpected item {other:?}"),
            }
        }
    }
    out
}

/// Writes `bytes` to `dir/name` and reads it.
pub fn read_bytes(dir: &Path, name: &str, bytes: &[u8]) -> (Vec<Msg>, Vec<Problem>) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    let r = MboxReader::open(&p).expect("open");
    let msgs = read_all(&r);
    (msgs, r.problems())
}

/// The root folder of a single-file store.
pub fn root() -> Folder {
    Folder {
        id: mailshift_core::FolderId(0),
        parent: None,
        path: Vec::new(),
        name: "x".into(),
        kind: mailshift_core::FolderKind::Mail,
        role: mailshift_core::FolderRole::None,
    }
}

/// Writes mail items to a single mbox file at `path`.
pub fn write_file(path: &Path, items: Vec<MailItem<'_>>, opts: MboxWriteOptions) -> Vec<Vec<String>> {
    let mut w = MboxWriter::create(path, opts).expect("create");
    w.begin(&[root()]).expect("begin");
    w.open_folder(&root()).expect("open");
    let mut lost = Vec::new();
    for m in items {
        let p = Prepared::new(Item::Mail(m), ItemMeta { id: ItemId(0, 0), size: None });
        lost.push(w.write(&p).expect("write").lost);
    }
    w.close_folder().expect("close");
    w.finish().expect("finish");
    lost
}

/// Problems whose message contains `needle`.
pub fn count_problems(p: &[Problem], needle: &str) -> usize {
    p.iter().filter(|p| p.message.contains(needle)).count()
}
