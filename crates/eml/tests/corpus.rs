//! The generated corpus through EmlWriter and back through EmlReader: every
//! message byte for byte, in its folder, with its received time.

use std::collections::BTreeMap;

use mailshift_core::{
    Flags, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, Prepared, StoreReader,
    StoreWriter,
};
use mailshift_eml::{EmlReader, EmlWriteOptions, EmlWriter};
use mailshift_testkit::corpus::{generate, CorpusSpec};

#[test]
fn corpus_round_trips_through_eml() {
    let msgs = generate(&CorpusSpec { seed: 11, messages: 120, target_bytes: 400_000, max_attachment: 30_000 });
    let mut by_folder: BTreeMap<Vec<String>, Vec<&mailshift_testkit::corpus::GenMessage>> = BTreeMap::new();
    for m in &msgs {
        by_folder.entry(m.folder.clone()).or_default().push(m);
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut w = EmlWriter::create(tmp.path(), EmlWriteOptions::default()).unwrap();
    let folders: Vec<Folder> = by_folder
        .keys()
        .enumerate()
        .map(|(i, p)| Folder {
            id: FolderId(i as u64),
            parent: None,
            path: p.clone(),
            name: p.last().cloned().unwrap_or_default(),
            kind: FolderKind::Mail,
            role: FolderRole::None,
        })
        .collect();
    w.begin(&folders).unwrap();
    let mut lost_flags = 0;
    for (f, items) in folders.iter().zip(by_folder.values()) {
        w.open_folder(f).unwrap();
        for m in items {
            let mut mi = MailItem::new(m.raw.as_slice());
            mi.received = Some(m.received);
            if m.flags.seen {
                mi.flags = Flags::SEEN;
            }
            let written = w.write(&Prepared::new(Item::Mail(mi), ItemMeta { id: ItemId(0, 0), size: None })).unwrap();
            assert_eq!(written.bytes, m.raw.len() as u64);
            assert!(written.lost.is_empty(), "EML drops flags by design: not kept, not lost");
            lost_flags += written.not_kept.iter().filter(|l| l.contains("\\Seen")).count();
        }
        w.close_folder().unwrap();
    }
    w.finish().unwrap();
    assert_eq!(lost_flags, msgs.iter().filter(|m| m.flags.seen).count());

    let r = EmlReader::open(tmp.path()).unwrap();
    let read_folders = r.folders().unwrap();
    // Every generated folder, plus "Archiv" as the parent of "Archiv/2019"
    // when it has no messages of its own.
    for (path, items) in &by_folder {
        let f = read_folders.iter().find(|f| &f.path == path).unwrap_or_else(|| panic!("folder {path:?}"));
        let mut got: Vec<(Vec<u8>, Option<i64>)> = r
            .items(f.id)
            .unwrap()
            .iter()
            .map(|meta| match r.read(meta.id).unwrap() {
                Item::Mail(m) => (m.raw.into_owned(), m.received),
                _ => panic!("not mail"),
            })
            .collect();
        let mut want: Vec<(Vec<u8>, Option<i64>)> = items.iter().map(|m| (m.raw.clone(), Some(m.received))).collect();
        got.sort();
        want.sort();
        assert!(got == want, "folder {path:?}: {} read, {} written", got.len(), want.len());
    }
    assert!(r.problems().is_empty());
}

#[test]
fn generated_fixtures_are_not_eml() {
    let root = mailshift_testkit::workspace_root().join("fixtures/generated");
    assert!(!EmlReader::probe(&root.join("sample.mbox")));
    assert!(!EmlReader::probe(&root.join("tree")));
    assert!(!EmlReader::probe(&root.join("tree/Inbox")));
}
