//! Opens a PST or OST and lists its folders, timing each step: issue 12's
//! "open a 500,000-item store and list its folders in under a second".
//!
//! ```text
//! cargo run --release -p mailshift-pst --example open_list -- STORE.pst
//! ```
//!
//! Prints each folder's path, then one JSON line with the milliseconds
//! `PstReader::open` (header, the B-trees' check and the folder hierarchy)
//! and `folders()` took.

use std::path::PathBuf;
use std::time::Instant;

use mailshift_core::StoreReader;
use mailshift_pst::PstReader;

fn main() {
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: open_list STORE.pst");
        std::process::exit(2);
    };
    let t = Instant::now();
    let reader = match PstReader::open(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let opened = t.elapsed();
    let folders = match reader.folders() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let listed = t.elapsed();
    for f in &folders {
        println!("{}", mailshift_core::text::for_terminal(&f.display_path()));
    }
    println!(
        "{{\"folders\":{},\"open_ms\":{:.1},\"open_and_list_ms\":{:.1}}}",
        folders.len(),
        opened.as_secs_f64() * 1e3,
        listed.as_secs_f64() * 1e3
    );
}
