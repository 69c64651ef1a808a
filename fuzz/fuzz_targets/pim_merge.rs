//! An existing .ics / .vcf target file that mailshift merges into: the
//! input is the file, one event and one contact are added, and the result
//! is written back (pim::files's component splitter and UID index).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_core::pim::files::{PimFileKind, PimFiles, PimOptions};
use mailshift_core::pim::{Contact, Event};
use mailshift_core::{Folder, FolderId, FolderRole, Item, ItemId, ItemMeta, Prepared, StoreWriter};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    for (name, kind, item) in [
        ("x.ics", PimFileKind::Ics, Item::Event(Box::new(Event { uid: "u1".into(), ..Event::default() }))),
        (
            "x.vcf",
            PimFileKind::Vcf,
            Item::Contact(Box::new(Contact { uid: "u1".into(), full_name: "F".into(), ..Contact::default() })),
        ),
    ] {
        let path = dir.path().join(name);
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let mut w = PimFiles::single(&path, kind, PimOptions { fsync: false, ..PimOptions::default() });
        let folder = Folder {
            id: FolderId(1),
            parent: None,
            path: vec!["F".into()],
            name: "F".into(),
            kind: kind.folder_kinds()[0],
            role: FolderRole::None,
        };
        if w.begin(std::slice::from_ref(&folder)).is_err() || w.open_folder(&folder).is_err() {
            return;
        }
        let _ = w.write(&Prepared::new(item, ItemMeta { id: ItemId(1, 0), size: None }));
        let _ = w.close_folder();
        let _ = w.finish();
    }
});
