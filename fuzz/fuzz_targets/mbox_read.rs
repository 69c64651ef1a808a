//! The mbox reader over the input as a file: every folder, every item read.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;
use mailshift_core::StoreReader;
use mailshift_mbox::MboxReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut f) = tempfile::Builder::new().suffix(".mbox").tempfile() else { return };
    if f.write_all(data).and_then(|_| f.flush()).is_err() {
        return;
    }
    let Ok(reader) = MboxReader::open(f.path()) else { return };
    let Ok(folders) = reader.folders() else { return };
    for folder in folders {
        let Ok(items) = reader.items(folder.id) else { continue };
        for meta in items {
            let _ = reader.describe(meta.id);
            if let Ok(item) = reader.read(meta.id) {
                let _ = format!("{item:?}").len();
            }
        }
    }
    let _ = reader.problems();
});
